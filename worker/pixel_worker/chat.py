"""The `chat` job: a conversation with a stage checkpoint, one turn at a time.

After loading, it reads requests from stdin, one JSON object per line:
{"messages": [...]} (the conversation so far, ending with the user's turn),
and answers each with a `reply` event {"content", "tokens"}. It ends at EOF.

Spec fields: run_dir, adapter (optional), max_new_tokens, temperature.
"""

import json
import sys

from . import events
from .errors import WorkerError
from .model import chat_format, load_adapter, load_base, setup_threads


def run(job) -> dict:
    import torch
    from transformers import set_seed

    cfg = job.cfg
    setup_threads(cfg)
    set_seed(int(cfg["run"]["seed"]))
    fmt = chat_format(cfg, job.need("run_dir"))
    model = load_adapter(load_base(cfg, job.need("run_dir"), fmt), job.get("adapter"), trainable=False).eval()
    device = next(model.parameters()).device
    max_new, temp = int(job.need("max_new_tokens")), float(job.get("temperature") or 0)
    events.emit("ready")
    turns = 0
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            messages = json.loads(line)["messages"]
            ids = fmt.encode_prompt(messages)
        except (ValueError, KeyError, TypeError) as e:
            raise WorkerError(f"bad chat request: {e}", 'send {"messages": [..., {"role": "user", "content": ...}]} per line') from None
        with torch.no_grad():
            out = model.generate(input_ids=torch.tensor([ids], device=device), max_new_tokens=max_new,
                                 do_sample=temp > 0, temperature=temp if temp > 0 else None, top_p=None, top_k=None,
                                 eos_token_id=fmt.eos_id, pad_token_id=fmt.pad_id)
        new = out[0, len(ids):].tolist()
        if fmt.eos_id in new:
            new = new[: new.index(fmt.eos_id)]
        events.emit("reply", content=fmt.decode(new), tokens=len(new))
        turns += 1
    return {"turns": turns}
