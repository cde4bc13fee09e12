"""Fine-tuned scorer heads: the sentence encoder itself trained, for heads
where a frozen encoder with a logistic head falls short of its goal.

Heads in the same group (the Go core groups them by scorer, e.g. the three
EPITOME mechanisms, which label the same pairs) are trained jointly: one
encoder, one linear layer per head, the sum of their class-weighted
(balanced) cross-entropies; a row without a head's label adds nothing to
that head's loss. The text is encoded as the sentence encoder was trained:
mean-pooled token states. Pairs are (judged field, context) segments with
longest-first truncation, so a long context never pushes the reply out.
Batches are drawn from length-sorted windows of a shuffled order, so a
batch pads to similar lengths (the order is still random across batches).

Two optional extra losses:
- rationales (a row's "aux": {"rationale": "span|span"}, EPITOME's
  annotators' evidence): a token tagger per head on the judged field's
  tokens, as in the EPITOME paper, weighted by ft["rationale_weight"];
- counterfactual invariance ({"phrases", "templates", "weight", "share"[,
  "focus", "focus_ids"]}): for a share of each batch, the first input field
  gets the same sentence with two different demographic noun phrases, and
  the symmetric KL divergence of every head's prediction between the two
  is penalised (counterfactual logit pairing, Garg et al. 2019, with the
  consistency loss of R-Drop). With "focus", as many pairs again are drawn
  from the rows named in "focus_ids" (counterfactual_rows); with
  "focus_labelled", both copies of those pairs also carry their row's labels
  (cross-entropy, each copy half a batch row): on invariance alone the crisis
  head learned to give every message with such a sentence one value. With
  ft["labelled_pairs"] every pair's copies carry their row's labels (the MI
  heads flattened the same way on any message). The Go core passes the
  HolisticBias half that the bias check never uses.

A long fine-tune (12 minutes to over an hour per encoder on 2 CPU cores) saves its
training state every checkpoint_s seconds when given a checkpoint file, and
resumes from it after a kill to the weights an uninterrupted run would have.

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


def _tokens(tok, rows: list[dict], inputs: list[str], max_len: int, offsets: bool = False):
    pairs = [_pair(r, inputs) for r in rows]
    a = [p[0] for p in pairs]
    b = [p[1] or "" for p in pairs] if len(inputs) > 1 else None
    return tok(a, b, padding=True, truncation="longest_first", max_length=max_len, return_tensors="pt", return_offsets_mapping=offsets)


def _pool(model, batch):
    """Mean-pooled token states and the token states themselves."""
    hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0), hidden


def _embed(model, tok, rows: list[dict], inputs: list[str], max_len: int, device: str):
    """Mean-pooled token states of rows (a torch tensor, gradients kept)."""
    return _pool(model, _tokens(tok, rows, inputs, max_len).to(device))[0]


def _device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def length_batches(lengths: list[int], bs: int, rng: np.random.Generator, window: int = 32) -> list[list[int]]:
    """Every index once, in batches of bs: a random order cut into windows of
    window batches, each sorted by length, then the batches shuffled."""
    order = rng.permutation(len(lengths))
    batches = []
    for start in range(0, len(order), bs * window):
        part = sorted(order[start : start + bs * window].tolist(), key=lambda i: lengths[i])
        batches += [part[j : j + bs] for j in range(0, len(part), bs)]
    return [batches[i] for i in rng.permutation(len(batches))]


def counterfactual_pairs(rows: list[dict], inputs: list[str], cf: dict, rng: np.random.Generator) -> tuple[list[dict], list[dict]]:
    """Two copies of each row whose first input field carries one template
    sentence, before or after it, with two different noun phrases."""
    field, phrases, templates = inputs[0], cf["phrases"], cf["templates"]
    va, vb = [], []
    for r in rows:
        tmpl = templates[int(rng.integers(len(templates)))]
        i, j = rng.choice(len(phrases), 2, replace=False)
        base, before = str(r["texts"].get(field) or ""), bool(rng.random() < 0.5)
        for out, p in ((va, phrases[i]), (vb, phrases[j])):
            s = tmpl.replace("%s", p)
            out.append({"texts": {**r["texts"], field: (f"{s} {base}" if before else f"{base} {s}").strip()}})
    return va, vb


def counterfactual_rows(chunk: list[dict], focus: list[dict], cf: dict, rng: np.random.Generator) -> tuple[list[dict], int]:
    """The rows one step's counterfactual pairs are built from: a share of
    the batch and, with cf["focus"], that share of a batch again drawn from
    the focus rows (the project's own short messages, where one identity
    word weighs most and which are few among the public posts). Returns the
    rows and how many of them, at the end, are focus rows."""
    share = float(cf.get("share", 0.25))
    out = [chunk[i] for i in rng.choice(len(chunk), max(1, round(share * len(chunk))), replace=False)]
    extra = float(cf.get("focus", 0) or 0)
    if not focus or extra <= 0:
        return out, 0
    n = min(len(focus), max(1, round(extra * len(chunk))))
    return out + [focus[i] for i in rng.choice(len(focus), n, replace=False)], n


def pair_label_loss(head, ea, eb, rows: list[dict], n_labelled: int, name: str, classes: list[str], weight, batch: int):
    """Cross-entropy of a head on both copies of the last n_labelled rows'
    pairs (the focus rows, or every row with ft["labelled_pairs"]) against
    the rows' labels, each copy counted as half a row of a batch of size
    batch; None when none of those rows has a label for this head."""
    import torch
    import torch.nn.functional as F

    sel = [i for i in range(len(rows) - n_labelled, len(rows)) if name in rows[i]["y"]]
    if not sel:
        return None
    y = torch.tensor([classes.index(rows[i]["y"][name]) for i in sel], device=ea.device)
    ce = F.cross_entropy(head(ea[sel]), y, weight=weight, reduction="none") + F.cross_entropy(head(eb[sel]), y, weight=weight, reduction="none")
    return ce.sum() / (2 * batch)


def rationale_targets(batch, offsets, rows: list[dict], head: str, judged: list[str]):
    """(targets, mask) over the batch's tokens for one head's rationale
    tagger: mask marks the judged field's tokens of rows with a rationale
    for head, targets the tokens inside an annotated span."""
    import torch

    tgt, mask = torch.zeros(offsets.shape[:2]), torch.zeros(offsets.shape[:2])
    for i, r in enumerate(rows):
        spans = r["rationale"].get(head)
        if spans is None:
            continue
        ranges = []
        for s in spans.split("|"):
            s = s.strip()
            at = judged[i].find(s) if s else -1
            if at >= 0:
                ranges.append((at, at + len(s)))
        seq = batch.sequence_ids(i)
        for t, (a, b) in enumerate(offsets[i].tolist()):
            if seq[t] == 0 and b > a:
                mask[i, t] = 1.0
                tgt[i, t] = float(any(a < e and b > s for s, e in ranges))
    return tgt, mask


def save_state(path: Path, state: dict) -> None:
    """Write a training checkpoint atomically: a kill mid-write leaves the
    previous checkpoint, never a broken one."""
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".tmp-{os.getpid()}")
    torch.save(state, tmp)
    os.replace(tmp, path)


def load_state(path: Path | None, steps: int, n_rows: int) -> dict | None:
    """The checkpoint at path if it belongs to this run (same step count and
    rows; the caller keys path by the whole recipe), else None."""
    import torch

    if path is None:
        return None
    remove_dead_writes(path)
    if not path.exists():
        return None
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # a checkpoint from another torch, or damaged: start again, say so
        events.log(f"fine-tune checkpoint {path} unreadable ({e}); training from the start")
        return None
    if state.get("steps") != steps or state.get("rows") != n_rows:
        events.log(f"fine-tune checkpoint {path} is of another run ({state.get('steps')} steps, {state.get('rows')} rows); training from the start")
        return None
    return state


def remove_dead_writes(path: Path) -> None:
    """Remove path's atomic-write leftovers (<name>.tmp-<pid>, a file or a
    folder) whose process is gone: a kill mid-write leaves them, and each
    holds a whole checkpoint or encoder. A live process's write is kept."""
    for tmp in path.parent.glob(path.name + ".tmp-*"):
        pid = tmp.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(tmp, ignore_errors=True) if tmp.is_dir() and not tmp.is_symlink() else tmp.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    """Whether process pid exists (a checkpoint write of a live run is not removed)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _rng_states() -> dict:
    import torch

    states = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def _set_rng_states(states: dict) -> None:
    import torch

    torch.set_rng_state(states["torch"])
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])


def fit_group(tasks: list[dict], encoder_path: str, out: Path, ft: dict, seed: int, group: str, cf: dict | None = None,
              checkpoint: Path | None = None, checkpoint_s: float = 0.0) -> dict[str, dict]:
    """Train one encoder for every task in tasks ({name, inputs, rows});
    returns each head's {classes, coef, intercept, train_counts}.

    With checkpoint (a file path the caller keys by the whole recipe) and
    checkpoint_s > 0, the training state (encoder, heads, optimiser,
    schedule, the epoch's remaining batches, numpy and torch random states)
    is saved there at most every checkpoint_s seconds; a run that finds it
    continues from it and ends with the weights an uninterrupted run would
    have. The file is removed once the encoder is saved."""
    import time

    import torch
    import torch.nn.functional as F
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
            m = merged.setdefault(key, {"id": str(r.get("id")), "texts": r["texts"], "y": {}, "rationale": {}})
            m["y"][t["name"]] = str(r["label"])
            if "rationale" in (r.get("aux") or {}):
                m["rationale"][t["name"]] = str(r["aux"]["rationale"])
    rows = list(merged.values())
    lengths = [sum(len(str(v)) for v in r["texts"].values()) for r in rows]
    classes = {t["name"]: sorted({str(r["label"]) for r in t["rows"]}) for t in tasks}
    heads = torch.nn.ModuleDict({n: torch.nn.Linear(dim, len(c)) for n, c in classes.items()}).to(device)
    rw = float(ft.get("rationale_weight", 0) or 0)
    tagged = sorted({n for r in rows for n in r["rationale"]}) if rw > 0 else []
    taggers = torch.nn.ModuleDict({n: torch.nn.Linear(dim, 1) for n in tagged}).to(device)
    weights = {}
    for n, cl in classes.items():
        counts = np.array([sum(1 for r in rows if r["y"].get(n) == c) for c in cl], np.float32)
        weights[n] = torch.tensor(counts.sum() / (len(cl) * counts)).to(device)
    epochs, bs, max_len = int(ft.get("epochs", 5)), int(ft.get("batch_size", 16)), int(ft.get("max_len", 128))
    cf_weight = float(cf.get("weight", 0)) if cf else 0.0
    focus_ids = set(cf.get("focus_ids") or []) if cf else set()
    focus = [r for r in rows if r["id"] in focus_ids]
    opt = torch.optim.AdamW([{"params": model.parameters(), "lr": float(ft.get("lr", 8e-5))},
                             {"params": [*heads.parameters(), *taggers.parameters()], "lr": float(ft.get("head_lr", 1e-3))}], weight_decay=0.01)
    steps = epochs * ((len(rows) + bs - 1) // bs)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / max(1, steps // 10)) * max(0.0, 1 - s / steps))
    done, epoch, pending = 0, 0, None
    state = load_state(checkpoint, steps, len(rows)) if checkpoint_s > 0 else None
    if state is not None:
        model.load_state_dict(state["model"])
        heads.load_state_dict(state["heads"])
        taggers.load_state_dict(state["taggers"])
        opt.load_state_dict(state["opt"])
        sched.load_state_dict(state["sched"])
        rng.bit_generator.state = state["numpy_rng"]
        _set_rng_states(state["rng"])
        done, epoch, pending = int(state["done"]), int(state["epoch"]), [list(b) for b in state["pending"]]
        events.log(f"fine-tune {group}: resuming from step {done} of {steps} ({checkpoint})")
    saved = time.monotonic()
    model.train()
    while epoch < epochs:
        batches = pending if pending is not None else length_batches(lengths, bs, rng)
        pending = None
        for k, idx in enumerate(batches):
            chunk = [rows[i] for i in idx]
            batch = _tokens(tok, chunk, inputs, max_len, offsets=bool(tagged))
            offsets = batch.pop("offset_mapping", None)
            emb, hidden = _pool(model, batch.to(device))
            loss = emb.sum() * 0.0
            for n, head in heads.items():
                sel = [i for i, r in enumerate(chunk) if n in r["y"]]
                if sel:
                    y = torch.tensor([classes[n].index(chunk[i]["y"][n]) for i in sel], device=device)
                    loss = loss + F.cross_entropy(head(emb[sel]), y, weight=weights[n])
            for n, tagger in taggers.items():
                tgt, mask = rationale_targets(batch, offsets, chunk, n, [_pair(r, inputs)[0] for r in chunk])
                if mask.sum() > 0:
                    tgt, mask = tgt.to(device), mask.to(device)
                    bce = F.binary_cross_entropy_with_logits(tagger(hidden).squeeze(-1), tgt, reduction="none")
                    loss = loss + rw * (bce * mask).sum() / mask.sum()
            if cf_weight > 0:
                cfr, n_focus = counterfactual_rows(chunk, focus, cf, rng)
                va, vb = counterfactual_pairs(cfr, inputs, cf, rng)
                ea, eb = _embed(model, tok, va + vb, inputs, max_len, device).split(len(va))
                for n, head in heads.items():
                    la, lb = F.log_softmax(head(ea), -1), F.log_softmax(head(eb), -1)
                    # Symmetric KL: a move in a probable class counts, one
                    # among near-zero probabilities hardly does.
                    gap = ((la.exp() - lb.exp()) * (la - lb)).sum(-1).mean() / 2
                    loss = loss + cf_weight * gap
                    # ft["labelled_pairs"] (a scorer's own setting): every
                    # pair's copies carry their row's labels, not only the
                    # focus rows'.
                    labelled = len(cfr) if ft.get("labelled_pairs") else (n_focus if cf.get("focus_labelled") else 0)
                    if labelled:
                        ce = pair_label_loss(head, ea, eb, cfr, labelled, n, classes[n], weights[n], len(chunk))
                        loss = loss if ce is None else loss + ce
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            opt.zero_grad()
            done += 1
            events.progress(f"fine-tune {group}", done, steps, unit="step")
            if checkpoint is not None and checkpoint_s > 0 and done < steps and time.monotonic() - saved >= checkpoint_s:
                save_state(checkpoint, {"steps": steps, "rows": len(rows), "done": done, "epoch": epoch, "pending": [[int(i) for i in b] for b in batches[k + 1:]],
                                        "model": model.state_dict(), "heads": heads.state_dict(), "taggers": taggers.state_dict(),
                                        "opt": opt.state_dict(), "sched": sched.state_dict(), "numpy_rng": rng.bit_generator.state,
                                        "rng": _rng_states()})
                saved = time.monotonic()
        epoch += 1
    remove_dead_writes(out)
    tmp = out.with_name(out.name + f".tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    tok.save_pretrained(tmp)
    shutil.rmtree(out, ignore_errors=True)
    os.replace(tmp, out)
    if checkpoint is not None:
        checkpoint.unlink(missing_ok=True)
    result = {}
    for n, head in heads.items():
        labels = [str(r["label"]) for t in tasks if t["name"] == n for r in t["rows"]]
        result[n] = {"classes": classes[n], "coef": head.weight.detach().cpu().numpy(), "intercept": head.bias.detach().cpu().numpy(),
                     "train_counts": {c: labels.count(c) for c in classes[n]},
                     # What a rebuild needs to match to reproduce these weights
                     # bit for bit (on a CPU the thread count changes them).
                     "trained_on": {"device": device, "threads": torch.get_num_threads(), "torch": torch.__version__}}
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
    # In length order (less padding), returned in the rows' order.
    order = sorted(range(len(rows)), key=lambda i: sum(len(str(v)) for v in rows[i]["texts"].values()))
    out = np.zeros((len(rows), model.config.hidden_size), np.float32)
    with torch.no_grad():
        for start in range(0, len(rows), 64):
            part = order[start : start + 64]
            out[part] = _embed(model, tok, [rows[i] for i in part], inputs, max_len, device).float().cpu().numpy()
            events.progress(f"embed {name}", min(start + 64, len(rows)), len(rows), unit="text")
    return out
