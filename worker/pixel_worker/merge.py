"""The `merge` job: fold a stage checkpoint's LoRA adapter into the base
model and save a standalone model (safetensors) with its tokenizer, ready
for any Hugging Face-compatible server.

Spec fields: run_dir, checkpoint (a stage checkpoint folder), output_dir,
dtype (bfloat16 | float16 | float32).
"""

import json
import os
import shutil
from pathlib import Path

from . import events
from .errors import WorkerError
from .model import DTYPES, chat_format, load_adapter, load_base, setup_threads


def run(job) -> dict:
    cfg = job.cfg
    run_dir, ckpt, out = job.need("run_dir"), Path(job.need("checkpoint")), Path(job.need("output_dir"))
    dtype = job.get("dtype") or "bfloat16"
    if dtype not in DTYPES:
        raise WorkerError(f"dtype {dtype!r} is not one of {sorted(DTYPES)}", "use bfloat16 for serving")
    card_path = ckpt / "checkpoint.json"
    if not card_path.is_file():
        raise WorkerError(f"{ckpt} is not a stage checkpoint (no checkpoint.json)", "point --checkpoint at runs/<run>/checkpoints/<n>-<stage>")
    setup_threads(cfg)
    # Merge into full-precision base weights, even when the stage trained on a 4-bit (QLoRA) base.
    cfg = {**cfg, "model": {**cfg["model"], "quantize": "none"}}
    fmt = chat_format(cfg, run_dir)
    model = load_adapter(load_base(cfg, run_dir, fmt), str(ckpt / "adapter"), trainable=False)
    merged = model.merge_and_unload().to(DTYPES[dtype])
    events.progress("merge", 1, 2, unit="step")
    tmp = out.with_name(out.name + f".tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    merged.save_pretrained(tmp, safe_serialization=True)
    if getattr(fmt, "path", None):
        shutil.copy(fmt.path, tmp / Path(fmt.path).name)
    card = json.loads(card_path.read_text())
    card.update(format="pixel-merged/1", merged_from=str(ckpt), dtype=dtype)
    (tmp / "pixel_model.json").write_text(json.dumps(card, indent=2) + "\n")
    if out.exists():
        shutil.rmtree(out)
    os.replace(tmp, out)
    events.progress("merge", 2, 2, unit="step")
    events.artifact("merged_model", str(out), dtype=dtype)
    return {"output_dir": str(out), "dtype": dtype, "parameters": sum(p.numel() for p in merged.parameters())}
