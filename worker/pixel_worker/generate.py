"""The `generate` job: replies to a fixed prompt set from a base model plus
an optional stage adapter, in the model's own chat format.

Spec fields: run_dir, prompts_file (JSONL of {"id", "messages", ...}),
output_file, adapter (optional), max_new_tokens, temperature.
"""

import json
import os
from pathlib import Path

from . import events
from .errors import WorkerError
from .model import chat_format, load_adapter, load_base, setup_threads


def read_prompts(path: str) -> list[dict]:
    prompts = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                p = json.loads(line)
                if not p.get("id") or not p.get("messages"):
                    raise ValueError
            except ValueError:
                raise WorkerError(f"{path} line {n}: not a prompt", 'write {"id": ..., "messages": [..., {"role": "user", ...}]} per line') from None
            prompts.append(p)
    return prompts


def run(job) -> dict:
    import torch
    from transformers import set_seed

    cfg = job.cfg
    run_dir = job.need("run_dir")
    setup_threads(cfg)
    set_seed(int(cfg["run"]["seed"]))
    fmt = chat_format(cfg, run_dir)
    model = load_adapter(load_base(cfg, run_dir, fmt), job.get("adapter"), trainable=False).eval()
    prompts = read_prompts(job.need("prompts_file"))
    max_new, temp = int(job.need("max_new_tokens")), float(job.get("temperature") or 0)
    bs = int(cfg["eval"]["batch_size"])
    task = f"generate {job.get('label', '')}".strip()
    out_rows = []
    device = next(model.parameters()).device
    for start in range(0, len(prompts), bs):
        batch = prompts[start : start + bs]
        encoded = [fmt.encode_prompt(p["messages"]) for p in batch]
        width = max(len(e) for e in encoded)
        # Left padding keeps every prompt's last token next to its reply.
        ids = torch.full((len(batch), width), fmt.pad_id, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for i, e in enumerate(encoded):
            ids[i, width - len(e) :] = torch.tensor(e)
            mask[i, width - len(e) :] = 1
        with torch.no_grad():
            gen = model.generate(
                input_ids=ids.to(device), attention_mask=mask.to(device), max_new_tokens=max_new,
                do_sample=temp > 0, temperature=temp if temp > 0 else None, top_p=None, top_k=None,
                eos_token_id=fmt.eos_id, pad_token_id=fmt.pad_id,
            )
        for i, p in enumerate(batch):
            new = gen[i, width:].tolist()
            stopped = fmt.eos_id in new
            if stopped:
                new = new[: new.index(fmt.eos_id)]
            out_rows.append({
                "id": p["id"], "stage": p.get("stage", ""), "persona": p.get("persona", ""),
                "prompt_tokens": len(encoded[i]), "completion_tokens": len(new),
                "stopped": stopped, "completion": fmt.decode(new),
            })
        events.progress(task, min(start + bs, len(prompts)), len(prompts), unit="prompt")
    out = Path(job.need("output_file"))
    tmp = out.with_name(out.name + f".tmp-{os.getpid()}")
    tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in out_rows), encoding="utf-8")
    os.replace(tmp, out)
    events.artifact("samples", str(out), count=len(out_rows))
    return {"samples": len(out_rows)}
