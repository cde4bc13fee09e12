"""The `loss` job: held-out loss and perplexity over assistant tokens only,
weighted by token (not by batch), for each named shard.

Spec fields: run_dir, files ({"val": path, "test": path}), output_file,
adapter (optional), max_conversations (optional: an evenly spaced sample of
each shard, 0 = all).
"""

import json
import math
import os
from pathlib import Path

from . import events
from .chat_format import IGNORE
from .dataset import Collator, encode_file
from .model import chat_format, load_adapter, load_base, setup_threads


def run(job) -> dict:
    import torch

    cfg = job.cfg
    run_dir = job.need("run_dir")
    setup_threads(cfg)
    fmt = chat_format(cfg, run_dir)
    model = load_adapter(load_base(cfg, run_dir, fmt), job.get("adapter"), trainable=False).eval()
    device = next(model.parameters()).device
    collate, bs = Collator(fmt.pad_id), int(cfg["eval"]["batch_size"])
    results = {}
    for split, path in sorted(job.need("files").items()):
        rows, stats = encode_file(path, fmt, cfg["train"]["max_seq_len"])
        cap = int(job.get("max_conversations") or 0)
        if 0 < cap < len(rows):
            step = len(rows) / cap
            rows = [rows[int(i * step)] for i in range(cap)]
            stats["sampled"] = cap
        total_nll, total_tokens = 0.0, 0
        for start in range(0, len(rows), bs):
            batch = collate(rows[start : start + bs])
            with torch.no_grad():
                logits = model(input_ids=batch["input_ids"].to(device), attention_mask=batch["attention_mask"].to(device)).logits.float()
            labels = batch["labels"][:, 1:].to(device)
            nll = torch.nn.functional.cross_entropy(
                logits[:, :-1].reshape(-1, logits.size(-1)), labels.reshape(-1), ignore_index=IGNORE, reduction="sum")
            total_nll += nll.item()
            total_tokens += int((labels != IGNORE).sum())
            events.progress(f"loss {job.get('label', '')} {split}".strip(), min(start + bs, len(rows)), len(rows), unit="conversation")
        loss = total_nll / total_tokens if total_tokens else float("nan")
        results[split] = {"loss": loss, "perplexity": math.exp(loss) if total_tokens else float("nan"),
                          "tokens": total_tokens, "conversations": len(rows), **{k: v for k, v in stats.items() if k != "tokens"}}
        events.metric(f"{split}_loss", loss, split=split, tokens=total_tokens)
    out = Path(job.need("output_file"))
    tmp = out.with_name(out.name + f".tmp-{os.getpid()}")
    # A split with no scorable token (all too long) has no loss: null, not NaN.
    tmp.write_text(json.dumps(events.jsonable(results), indent=2, allow_nan=False) + "\n")
    os.replace(tmp, out)
    events.artifact("loss", str(out))
    return events.jsonable(results)
