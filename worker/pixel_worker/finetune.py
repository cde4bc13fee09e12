"""Fine-tuned scorer heads: the sentence encoder itself trained, for heads
where a frozen encoder with a logistic head falls short of its goal.

Heads in the same group (the Go core groups them by scorer, e.g. the three
EPITOME mechanisms, which label the same pairs) are trained jointly: one
encoder, one linear layer per head, the sum of their class-weighted
(balanced) cross-entropies; a row without a head's label adds nothing to
that head's loss. The text is encoded as the sentence encoder was trained:
mean-pooled token states. Pairs are (judged field, context) segments with
longest-first truncation, so a long context never pushes the reply out.

Saved as a transformers folder <group>.model/ (encoder + tokenizer) and, per
head, <name>.npz (the linear layer: coef, intercept) with <name>.json
("kind": "finetuned", "model": "<group>.model"), so a head is applied as a
logistic head is: softmax(embedding @ coef.T + intercept)."""

import os
import shutil
from pathlib import Path

import numpy as np

from . import events


def _pair(row: dict, inputs: list[str]) -> tuple[str, str | None]:
    """(judged field, the other fields joined) for one row."""
    texts = row["texts"]
    first = str(texts.get(inputs[-1]) or "")
    rest = "\n".join(str(texts.get(f) or "") for f in inputs[:-1] if texts.get(f))
    return first, (rest if len(inputs) > 1 else None)


def _embed(model, tok, rows: list[dict], inputs: list[str], max_len: int, device: str):
    """Mean-pooled token states of rows (a torch tensor, gradients kept)."""
    pairs = [_pair(r, inputs) for r in rows]
    a = [p[0] for p in pairs]
    b = [p[1] or "" for p in pairs] if len(inputs) > 1 else None
    batch = tok(a, b, padding=True, truncation="longest_first", max_length=max_len, return_tensors="pt").to(device)
    hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)


def _device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def fit_group(tasks: list[dict], encoder_path: str, out: Path, ft: dict, seed: int, group: str) -> dict[str, dict]:
    """Train one encoder for every task in tasks ({name, inputs, rows});
    returns each head's {classes, coef, intercept, train_counts}."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    device = _device()
    tok = AutoTokenizer.from_pretrained(encoder_path)
    model = AutoModel.from_pretrained(encoder_path).to(device)
    dim = model.config.hidden_size
    inputs = tasks[0]["inputs"]
    # One training row per example (same id and text), with its labels for
    # each head: the EPITOME mechanisms label the same pairs.
    merged: dict[tuple, dict] = {}
    for t in tasks:
        for r in t["rows"]:
            key = (str(r.get("id")), *_pair(r, inputs))
            merged.setdefault(key, {"texts": r["texts"], "y": {}})["y"][t["name"]] = str(r["label"])
    rows = list(merged.values())
    classes = {t["name"]: sorted({str(r["label"]) for r in t["rows"]}) for t in tasks}
    heads = torch.nn.ModuleDict({n: torch.nn.Linear(dim, len(c)) for n, c in classes.items()}).to(device)
    weights = {}
    for n, cl in classes.items():
        counts = np.array([sum(1 for r in rows if r["y"].get(n) == c) for c in cl], np.float32)
        weights[n] = torch.tensor(counts.sum() / (len(cl) * counts)).to(device)
    epochs, bs, max_len = int(ft.get("epochs", 5)), int(ft.get("batch_size", 16)), int(ft.get("max_len", 128))
    opt = torch.optim.AdamW([{"params": model.parameters(), "lr": float(ft.get("lr", 8e-5))},
                             {"params": heads.parameters(), "lr": float(ft.get("head_lr", 1e-3))}], weight_decay=0.01)
    steps = epochs * ((len(rows) + bs - 1) // bs)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / max(1, steps // 10)) * max(0.0, 1 - s / steps))
    done = 0
    model.train()
    for _ in range(epochs):
        order = rng.permutation(len(rows))
        for start in range(0, len(rows), bs):
            chunk = [rows[i] for i in order[start : start + bs]]
            emb = _embed(model, tok, chunk, inputs, max_len, device)
            loss = emb.sum() * 0.0
            for n, head in heads.items():
                idx = [i for i, r in enumerate(chunk) if n in r["y"]]
                if idx:
                    y = torch.tensor([classes[n].index(chunk[i]["y"][n]) for i in idx], device=device)
                    loss = loss + torch.nn.functional.cross_entropy(head(emb[idx]), y, weight=weights[n])
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            opt.zero_grad()
            done += 1
            events.progress(f"fine-tune {group}", done, steps, unit="step")
    tmp = out.with_name(out.name + f".tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    tok.save_pretrained(tmp)
    shutil.rmtree(out, ignore_errors=True)
    os.replace(tmp, out)
    result = {}
    for n, head in heads.items():
        labels = [str(r["label"]) for t in tasks if t["name"] == n for r in t["rows"]]
        result[n] = {"classes": classes[n], "coef": head.weight.detach().cpu().numpy(), "intercept": head.bias.detach().cpu().numpy(),
                     "train_counts": {c: labels.count(c) for c in classes[n]}}
    return result


_loaded: dict[str, tuple] = {}  # folder -> (tokenizer, model), loaded once per job


def embed(folder: Path, rows: list[dict], inputs: list[str], max_len: int, name: str) -> np.ndarray:
    """The fine-tuned encoder's embeddings of rows (no gradients)."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    device = _device()
    if str(folder) not in _loaded:
        _loaded[str(folder)] = (AutoTokenizer.from_pretrained(folder), AutoModel.from_pretrained(folder).to(device).eval())
    tok, model = _loaded[str(folder)]
    out = []
    with torch.no_grad():
        for start in range(0, len(rows), 64):
            out.append(_embed(model, tok, rows[start : start + 64], inputs, max_len, device).float().cpu().numpy())
            events.progress(f"embed {name}", min(start + 64, len(rows)), len(rows), unit="text")
    return np.concatenate(out) if out else np.zeros((0, model.config.hidden_size), np.float32)
