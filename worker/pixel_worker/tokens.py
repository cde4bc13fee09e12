"""The `tokens` job: training tokens per conversation in the base model's
own chat format, for the data pipeline's stage mixing.

Spec fields: run_dir, input_file (canonical JSONL), output_file (JSONL of
{"id", "tokens"}).
"""

import json
import os
from pathlib import Path

from . import events
from .model import chat_format
from .record import read_jsonl


def run(job) -> dict:
    fmt = chat_format(job.cfg, job.need("run_dir"))
    src, out = job.need("input_file"), Path(job.need("output_file"))
    total = sum(1 for line in open(src, encoding="utf-8") if line.strip())
    tmp = out.with_name(out.name + f".tmp-{os.getpid()}")
    n, tokens = 0, 0
    with open(tmp, "w", encoding="utf-8") as f:
        for conv in read_jsonl(src):
            k = len(fmt._encode(conv.messages, train=True))
            f.write(json.dumps({"id": conv.id, "tokens": k}) + "\n")
            n, tokens = n + 1, tokens + k
            if n % 500 == 0 or n == total:
                events.progress("count tokens", n, total, unit="conversation")
    os.replace(tmp, out)
    events.artifact("tokens", str(out), conversations=n, tokens=tokens)
    return {"conversations": n, "tokens": tokens}
