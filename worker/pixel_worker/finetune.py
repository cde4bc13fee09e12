"""Fine-tuned scorer heads: the sentence encoder itself trained as a
sequence classifier (transformers), for heads where a frozen encoder with a
logistic head falls short of its goal. Pairs are encoded as (context,
response) segments; the loss is class-weighted cross-entropy (balanced, as
the logistic heads). Saved as a transformers folder <name>.model/ beside the
other heads, with the same <name>.json metadata ("kind": "finetuned")."""

import os
import shutil
from pathlib import Path

import numpy as np

from . import events


def _batches(tok, rows: list[dict], inputs: list[str], max_len: int, bs: int):
    for start in range(0, len(rows), bs):
        chunk = rows[start : start + bs]
        a = [str(r["texts"].get(inputs[0]) or "") for r in chunk]
        b = [str(r["texts"].get(inputs[1]) or "") for r in chunk] if len(inputs) > 1 else None
        yield start, chunk, tok(a, b, padding=True, truncation=True, max_length=max_len, return_tensors="pt")


def fit(rows: list[dict], labels: list[str], inputs: list[str], encoder_path: str, out: Path, ft: dict, seed: int, name: str) -> list[str]:
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    classes = sorted(set(labels))
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    tok = AutoTokenizer.from_pretrained(encoder_path)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = AutoModelForSequenceClassification.from_pretrained(encoder_path, num_labels=len(classes)).to(device)
    counts = np.array([labels.count(c) for c in classes], dtype=np.float32)
    weight = torch.tensor(len(labels) / (len(classes) * counts)).to(device)
    y_all = np.array([classes.index(lab) for lab in labels])
    epochs, bs, max_len = int(ft.get("epochs", 2)), int(ft.get("batch_size", 32)), int(ft.get("max_len", 128))
    opt = torch.optim.AdamW(model.parameters(), lr=float(ft.get("lr", 3e-5)), weight_decay=0.01)
    steps = epochs * ((len(rows) + bs - 1) // bs)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / max(1, steps // 10)) * max(0.0, 1 - s / steps))
    done = 0
    model.train()
    for _ in range(epochs):
        order = rng.permutation(len(rows))
        shuffled = [rows[i] for i in order]
        for start, chunk, batch in _batches(tok, shuffled, inputs, max_len, bs):
            y = torch.tensor(y_all[order[start : start + len(chunk)]]).to(device)
            loss = torch.nn.functional.cross_entropy(model(**batch.to(device)).logits, y, weight=weight)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            opt.zero_grad()
            done += 1
            events.progress(f"fine-tune {name}", done, steps, unit="step")
    tmp = out.with_name(out.name + f".tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    tok.save_pretrained(tmp)
    shutil.rmtree(out, ignore_errors=True)
    os.replace(tmp, out)
    return classes


def predict(folder: Path, rows: list[dict], inputs: list[str], max_len: int, name: str) -> np.ndarray:
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(folder)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = AutoModelForSequenceClassification.from_pretrained(folder).to(device).eval()
    out = []
    with torch.no_grad():
        for start, chunk, batch in _batches(tok, rows, inputs, max_len, 64):
            out.append(torch.softmax(model(**batch.to(device)).logits.float(), dim=-1).cpu().numpy())
            events.progress(f"score {name}", start + len(chunk), len(rows), unit="text")
    return np.concatenate(out) if out else np.zeros((0, model.config.num_labels))
