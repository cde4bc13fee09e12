"""The scorer jobs: heads fitted on the packaged MiniLM, saved as arrays,
and applied with numpy exactly as scikit-learn would."""

import json
from pathlib import Path

import numpy as np
import pytest

from pixel_worker import scorers
from test_jobs import run_job

# Short labelled texts written for this test: questions vs statements, a cue
# the n-grams and the embedding both carry.
QUESTIONS = ["What brings you here today?", "How did that make you feel?", "When did it start?", "Who else knows about this?",
             "What would you like to change?", "How are you sleeping lately?", "Where do you feel it most?", "What happened next?"]
STATEMENTS = ["It sounds like you feel alone.", "You have been carrying a lot.", "That must have been frightening.",
              "You want things to be different.", "Your family matters to you.", "You are tired of arguing.",
              "It has been a hard year for you.", "You did your best with what you had."]


def write_rows(path: Path, rows: list[tuple[str, str, str]]) -> str:
    with open(path, "w", encoding="utf-8") as f:
        for i, (ctx, text, label) in enumerate(rows):
            f.write(json.dumps({"id": f"r{i}", "texts": {"context": ctx, "response": text}, "label": label}) + "\n")
    return str(path)


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    d = tmp_path_factory.mktemp("scorers")
    train = write_rows(d / "train.jsonl", [("Hi.", q, "question") for q in QUESTIONS[:6]] + [("Hi.", s, "other") for s in STATEMENTS[:6]])
    held = write_rows(d / "held.jsonl", [("Hi.", q, "question") for q in QUESTIONS[6:]] + [("Hi.", s, "other") for s in STATEMENTS[6:]])
    specs = d / "specs"
    specs.mkdir()
    task = {"name": "toy", "train": train, "inputs": ["context", "response"], "ngrams": True, "c": 1.0}
    _, summary = run_job("scorer_fit", specs, encoder=scorers.PACKAGED_ENCODER, cache_dir=str(d / "cache"), out_dir=str(d / "heads"), tasks=[task])
    return d, specs, summary


def test_fit_saves_a_head_without_pickle(fitted):
    d, _, summary = fitted
    assert summary["toy"] == {"train_examples": 12, "classes": ["other", "question"]}
    meta = json.loads((d / "heads" / "toy.json").read_text())
    assert meta["train_counts"] == {"other": 6, "question": 6} and meta["inputs"] == ["context", "response"]
    arrays = np.load(d / "heads" / "toy.npz", allow_pickle=False)
    assert arrays["coef"].shape == (1, 384 * 3 + scorers.HASH_FEATURES)


def test_predict_on_unseen_rows(fitted):
    d, specs, _ = fitted
    out = d / "pred.jsonl"
    run_job("scorer_predict", specs, encoder=scorers.PACKAGED_ENCODER, cache_dir=str(d / "cache"), heads_dir=str(d / "heads"),
            tasks=[{"name": "toy", "input": str(d / "held.jsonl"), "output": str(out)}])
    preds = [json.loads(line) for line in out.read_text().splitlines()]
    gold = [json.loads(line)["label"] for line in (d / "held.jsonl").read_text().splitlines()]
    assert [p["id"] for p in preds] == [f"r{i}" for i in range(4)]
    for p in preds:
        assert abs(sum(p["probs"].values()) - 1) < 1e-4
    assert [max(p["probs"], key=p["probs"].get) for p in preds] == gold


def test_one_standard_error_rule_prefers_the_smaller_c():
    # Within one standard error of the best: the most regularised wins.
    assert scorers.one_se_pick({0.1: (0.79, 0.03), 0.3: (0.80, 0.03), 1.0: (0.80, 0.03), 3.0: (0.79, 0.03)}) == 0.1
    # Outside it: the best stands.
    assert scorers.one_se_pick({0.1: (0.60, 0.01), 1.0: (0.80, 0.02), 3.0: (0.75, 0.02)}) == 1.0
    # A tie at the best goes to the smaller C.
    assert scorers.one_se_pick({1.0: (0.8, 0.0), 0.3: (0.8, 0.0)}) == 0.3


def test_c_chosen_by_cross_validation_on_training_rows(tmp_path):
    rows = [("Hi.", q, "question") for q in QUESTIONS] + [("Hi.", s, "other") for s in STATEMENTS]
    train = write_rows(tmp_path / "train.jsonl", rows)
    specs = tmp_path / "specs"
    specs.mkdir()
    task = {"name": "toy", "train": train, "inputs": ["context", "response"], "ngrams": True, "c": 1.0, "c_grid": [0.01, 1.0]}
    run_job("scorer_fit", specs, encoder=scorers.PACKAGED_ENCODER, cache_dir=str(tmp_path / "cache"), out_dir=str(tmp_path / "heads"), tasks=[task])
    meta = json.loads((tmp_path / "heads" / "toy.json").read_text())
    assert set(meta["c_cv"]) == {"0.01", "1.0"} and meta["c_cv_folds"] == 8  # 8 rows per label: 8 folds, not 10
    # The recorded choice is the rule applied to the recorded figures.
    assert meta["c"] == scorers.one_se_pick({float(c): tuple(v) for c, v in meta["c_cv"].items()})
    for mean, se in meta["c_cv"].values():
        assert 0 <= mean <= 1 and se >= 0


def test_c_grid_needs_two_rows_of_every_label(tmp_path):
    X = np.zeros((3, 2))
    with pytest.raises(scorers.WorkerError, match="at least 2 training rows"):
        scorers.choose_c(X, ["a", "a", "b"], [0.1, 1.0])


def test_numpy_head_matches_scikit_learn():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 5))
    for labels in (np.array(["a", "b"])[(X[:, 0] > 0).astype(int)], np.array(["a", "b", "c"])[rng.integers(0, 3, 60)]):
        clf = LogisticRegression(max_iter=1000).fit(X, labels)
        head = {"coef": clf.coef_, "intercept": clf.intercept_}
        np.testing.assert_allclose(scorers.predict_proba(head, X), clf.predict_proba(X), atol=1e-6)


def test_embedding_cache_is_reused(tmp_path, monkeypatch):
    enc = scorers.Encoder(scorers.PACKAGED_ENCODER, str(tmp_path))
    first = enc.encode(["I feel alone.", "Me too."], "t")
    assert len(list(tmp_path.glob("*.npy"))) == 1
    monkeypatch.setattr(enc, "_load", lambda: pytest.fail("the cache should answer"))
    np.testing.assert_array_equal(enc.encode(["I feel alone.", "Me too."], "t"), first)


def test_single_class_training_data_is_a_clear_error(tmp_path):
    train = write_rows(tmp_path / "one.jsonl", [("", "Hello.", "x"), ("", "Bye.", "x")])
    specs = tmp_path / "specs"
    specs.mkdir()
    from conftest import parse_events, run_worker, write_spec

    spec = write_spec(specs / "fit.json", job="scorer_fit", encoder=scorers.PACKAGED_ENCODER, cache_dir="", out_dir=str(tmp_path / "h"),
                      tasks=[{"name": "one", "train": train, "inputs": ["response"]}])
    proc = run_worker("scorer_fit", "--spec", str(spec))
    err = [e for e in parse_events(proc.stdout) if e["type"] == "error"]
    assert proc.returncode == 1 and "1 class" in err[0]["error"]


def test_finetuned_head_round_trip(tmp_path):
    rows = [("Hi.", q, "question") for q in QUESTIONS] + [("Hi.", s, "other") for s in STATEMENTS]
    train = write_rows(tmp_path / "train.jsonl", rows)
    specs = tmp_path / "specs"
    specs.mkdir()
    task = {"name": "ft", "train": train, "inputs": ["context", "response"],
            "finetune": {"epochs": 3, "lr": 1e-4, "batch_size": 8, "max_len": 32}}
    _, summary = run_job("scorer_fit", specs, encoder=scorers.PACKAGED_ENCODER, cache_dir="", out_dir=str(tmp_path / "heads"), tasks=[task])
    assert summary["ft"]["kind"] == "finetuned" and (tmp_path / "heads" / "ft.model" / "config.json").exists()
    out = tmp_path / "pred.jsonl"
    run_job("scorer_predict", specs, encoder=scorers.PACKAGED_ENCODER, cache_dir="", heads_dir=str(tmp_path / "heads"),
            tasks=[{"name": "ft", "input": train, "output": str(out)}])
    preds = [json.loads(line) for line in out.read_text().splitlines()]
    acc = sum(max(p["probs"], key=p["probs"].get) == lab for p, (_, _, lab) in zip(preds, rows)) / len(rows)
    assert acc >= 0.75, f"a fine-tuned head should fit 16 easy training rows, got {acc:.2f}"


def test_debias_projection_removes_the_descriptor_directions(tmp_path):
    enc = scorers.Encoder(scorers.PACKAGED_ENCODER, str(tmp_path))
    with_desc = [f"I am a {d} person." for d in ("deaf", "Muslim", "elderly", "gay", "tall", "rich")]
    basis = scorers.fit_debias(enc, with_desc, ["I am a person."] * len(with_desc), k=3)
    assert basis.shape == (3, 384)
    np.testing.assert_allclose(basis @ basis.T, np.eye(3), atol=1e-5)
    x = enc.encode(with_desc, "x")
    np.testing.assert_allclose(scorers.project_out(x, basis) @ basis.T, 0, atol=1e-5)
    assert scorers.project_out(x, None) is x


def test_finetuned_group_shares_one_encoder(tmp_path):
    """Two heads in one group: one encoder folder, each head its own layer;
    a row labelled for one head only still trains that head."""
    rows = [("Hi.", q, "question") for q in QUESTIONS] + [("Hi.", s, "other") for s in STATEMENTS]
    a = write_rows(tmp_path / "a.jsonl", rows)
    b = write_rows(tmp_path / "b.jsonl", [(c, t, "long" if len(t) > 28 else "short") for c, t, _ in rows[::2]])
    specs = tmp_path / "specs"
    specs.mkdir()
    ft = {"epochs": 3, "lr": 1e-4, "batch_size": 8, "max_len": 32, "group": "g"}
    tasks = [{"name": "kind", "train": a, "inputs": ["context", "response"], "finetune": ft},
             {"name": "size", "train": b, "inputs": ["context", "response"], "finetune": ft}]
    cache = str(tmp_path / "ftcache")
    heads = tmp_path / "heads"
    cut = heads / "g.model.tmp-999999999"  # an encoder save a kill cut short, its process gone
    cut.mkdir(parents=True)
    (cut / "model.safetensors").write_bytes(b"partial")
    (tmp_path / "ftcache").mkdir()
    (tmp_path / "ftcache" / "0123abcd.ckpt.pt").write_bytes(b"x" * 2**20)  # another recipe's, never finished
    evs, summary = run_job("scorer_fit", specs, encoder=scorers.PACKAGED_ENCODER, cache_dir="", out_dir=str(heads), tasks=tasks,
                           finetune_cache=cache)
    assert any(e["type"] == "progress" and e.get("task") == "fine-tune g" for e in evs)
    assert (heads / "g.model" / "config.json").exists() and not (heads / "kind.model").exists() and not cut.exists()
    assert [e["message"] for e in evs if e["type"] == "log" and "checkpoint(s)" in e["message"]] == [
        f"1 fine-tune checkpoint(s) of recipes not finished (1 MB) stay in {cache}: run the command that started one again "
        "to resume it, or delete *.ckpt.pt there to reclaim the space"]
    # The same group again, into another set: reused from the cache, not retrained.
    evs2, summary2 = run_job("scorer_fit", specs, encoder=scorers.PACKAGED_ENCODER, cache_dir="", out_dir=str(tmp_path / "heads2"), tasks=tasks,
                             finetune_cache=cache)
    assert summary2 == summary and not any(e["type"] == "progress" and e.get("task") == "fine-tune g" for e in evs2)
    assert (tmp_path / "heads2" / "size.npz").read_bytes() == (heads / "size.npz").read_bytes()
    assert summary["size"]["train_examples"] == 8 and summary["kind"]["train_examples"] == 16
    assert json.loads((heads / "size.json").read_text())["model"] == "g.model"
    outs = {n: tmp_path / f"{n}.pred.jsonl" for n in ("kind", "size")}
    run_job("scorer_predict", specs, encoder=scorers.PACKAGED_ENCODER, cache_dir="", heads_dir=str(heads),
            tasks=[{"name": n, "input": a, "output": str(o)} for n, o in outs.items()])
    for n, o in outs.items():
        preds = [json.loads(line) for line in o.read_text().splitlines()]
        assert len(preds) == len(rows) and all(abs(sum(p["probs"].values()) - 1) < 1e-4 for p in preds), n
    kind = [json.loads(line) for line in outs["kind"].read_text().splitlines()]
    acc = sum(max(p["probs"], key=p["probs"].get) == lab for p, (_, _, lab) in zip(kind, rows)) / len(rows)
    assert acc >= 0.75, f"the jointly trained head should fit its 16 easy rows, got {acc:.2f}"


def test_a_fine_tune_runs_at_the_jobs_thread_count_whether_or_not_the_frozen_encoder_loaded(tmp_path, monkeypatch):
    """On a CPU the thread count changes a fine-tuned encoder's weights. The
    job sets it once (OMP_NUM_THREADS here), so a build with a cold embedding
    cache (the frozen head loads the encoder before the fine-tune, which used
    to raise the count to every CPU) and one with a warm cache (the encoder
    never loads) train the same weights, and the head's json says how."""
    import torch
    from safetensors.torch import load_file

    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    rows = [("Hi.", q, "question") for q in QUESTIONS] + [("Hi.", s, "other") for s in STATEMENTS]
    train = write_rows(tmp_path / "train.jsonl", rows)
    specs = tmp_path / "specs"
    specs.mkdir()
    tasks = [{"name": "toy", "train": train, "inputs": ["context", "response"], "c": 1.0},
             {"name": "ft", "train": train, "inputs": ["response"], "finetune": {"epochs": 2, "lr": 1e-4, "batch_size": 8, "max_len": 32}}]
    emb = tmp_path / "emb"
    for out in ("cold", "warm"):
        run_job("scorer_fit", specs, encoder=scorers.PACKAGED_ENCODER, cache_dir=str(emb), out_dir=str(tmp_path / out), tasks=tasks)
        if out == "cold":
            assert list(emb.glob("*.npy")), "the first build embeds the frozen head's rows (the encoder loads)"
        meta = json.loads((tmp_path / out / "ft.json").read_text())
        assert meta["trained_on"] == {"device": "cuda" if torch.cuda.is_available() else "cpu", "threads": 1, "torch": torch.__version__}
    cold, warm = (load_file(tmp_path / out / "ft.model" / "model.safetensors") for out in ("cold", "warm"))
    assert cold.keys() == warm.keys() and all(torch.equal(cold[k], warm[k]) for k in cold)


def test_job_threads_is_every_usable_cpu_unless_omp_num_threads_says(monkeypatch):
    import os

    import torch

    before = torch.get_num_threads()
    try:
        monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
        assert scorers.job_threads() == len(os.sched_getaffinity(0)) == torch.get_num_threads()
        monkeypatch.setenv("OMP_NUM_THREADS", "1")
        assert scorers.job_threads() == 1 == torch.get_num_threads()
        monkeypatch.setenv("OMP_NUM_THREADS", "4,2")
        with pytest.raises(scorers.WorkerError, match="OMP_NUM_THREADS is '4,2'"):
            scorers.job_threads()
    finally:
        torch.set_num_threads(before)


def test_finetuned_group_with_mismatched_settings_is_an_error(tmp_path):
    train = write_rows(tmp_path / "t.jsonl", [("Hi.", q, "question") for q in QUESTIONS[:4]] + [("Hi.", s, "other") for s in STATEMENTS[:4]])
    specs = tmp_path / "specs"
    specs.mkdir()
    tasks = [{"name": "a", "train": train, "inputs": ["context", "response"], "finetune": {"epochs": 1, "group": "g"}},
             {"name": "b", "train": train, "inputs": ["response"], "finetune": {"epochs": 1, "group": "g"}}]
    from conftest import parse_events, run_worker, write_spec

    spec = write_spec(specs / "fit.json", job="scorer_fit", encoder=scorers.PACKAGED_ENCODER, cache_dir="", out_dir=str(tmp_path / "h"), tasks=tasks)
    proc = run_worker("scorer_fit", "--spec", str(spec))
    err = [e for e in parse_events(proc.stdout) if e["type"] == "error"]
    assert proc.returncode == 1 and "differ in inputs or settings" in err[0]["error"]


def test_finetuned_seed_ensemble_averages_its_members(tmp_path):
    """seeds: 2 trains two encoders with seeds 0 and 1 and predicts the mean
    of their probabilities; each member is cached on its own recipe, so a
    one-seed set reuses the first and a second ensemble retrains nothing."""
    rows = [("Hi.", q, "question") for q in QUESTIONS] + [("Hi.", s, "other") for s in STATEMENTS]
    train = write_rows(tmp_path / "train.jsonl", rows)
    specs = tmp_path / "specs"
    specs.mkdir()
    ft = {"epochs": 2, "lr": 1e-4, "batch_size": 8, "max_len": 32, "group": "g"}
    cache = str(tmp_path / "ftcache")

    def fit(out, seeds):
        task = {"name": "kind", "train": train, "inputs": ["context", "response"], "finetune": {**ft, "seeds": seeds}}
        evs, summary = run_job("scorer_fit", specs, encoder=scorers.PACKAGED_ENCODER, cache_dir="", out_dir=str(tmp_path / out),
                               tasks=[task], finetune_cache=cache)
        return sum(e["type"] == "progress" and e.get("task") == "fine-tune g" and e["done"] == e["total"] for e in evs), summary

    trained, summary = fit("ens", 2)
    assert trained == 2 and summary["kind"]["seeds"] == 2
    ens = tmp_path / "ens"
    meta = json.loads((ens / "kind.json").read_text())
    assert meta["members"] == ["g.s1"] and meta["seeds"] == [0, 1]
    assert (ens / "g.s1" / "g.model" / "config.json").exists()
    assert not np.allclose(np.load(ens / "kind.npz")["coef"], np.load(ens / "g.s1" / "kind.npz")["coef"]), "the members should differ by seed"
    assert fit("one", 1)[0] == 0, "a one-seed set is the ensemble's first member, from the cache"
    assert fit("ens2", 2)[0] == 0, "an ensemble already trained is reused member by member"

    def predict(heads):
        out = tmp_path / f"{heads.replace('/', '_')}.pred.jsonl"
        run_job("scorer_predict", specs, encoder=scorers.PACKAGED_ENCODER, cache_dir="", heads_dir=str(tmp_path / heads),
                tasks=[{"name": "kind", "input": train, "output": str(out)}])
        return np.array([[json.loads(line)["probs"][c] for c in ("other", "question")] for line in out.read_text().splitlines()])

    first, second, both = predict("one"), predict("ens/g.s1"), predict("ens")
    assert not np.allclose(first, second, atol=1e-3)
    np.testing.assert_allclose(both, (first + second) / 2, atol=2e-6)


def test_short_turns_are_read_by_the_frozen_head_fitted_for_them(tmp_path):
    """A fine-tuned head with short_turns gets a frozen head on the same rows
    (<name>.short); predict gives turns of at most max_words words that
    head's probabilities and the longer ones the fine-tuned head's."""
    rows = [("", q, "question") for q in QUESTIONS] + [("", s, "other") for s in STATEMENTS]
    rows += [("", "How so?", "question"), ("", "Really?", "question"), ("", "I see.", "other"), ("", "Okay.", "other")]
    train = write_rows(tmp_path / "train.jsonl", rows)
    test = write_rows(tmp_path / "test.jsonl", [("", "Why?", "question"), ("", "Okay then.", "other"), ("", "You are not sure yet.", "other"),
                                                ("", "What would help most right now?", "question")])
    specs = tmp_path / "specs"
    specs.mkdir()
    task = {"name": "kind", "train": train, "inputs": ["response"], "ngrams": True, "short_turns": {"max_words": 2}, "calibration_folds": 2,
            "finetune": {"epochs": 2, "lr": 1e-4, "batch_size": 8, "max_len": 32, "group": "g"}}
    heads = tmp_path / "heads"
    run_job("scorer_fit", specs, encoder=scorers.PACKAGED_ENCODER, cache_dir="", out_dir=str(heads), tasks=[task])
    meta = json.loads((heads / "kind.json").read_text())
    assert meta["short_turns"] == {"head": "kind.short", "max_words": 2, "input": "response"} and meta["kind"] == "finetuned"
    short_meta = json.loads((heads / "kind.short.json").read_text())
    assert short_meta.get("kind") != "finetuned"
    # its temperature is fitted on the rows it reads, the turns of at most 2 words
    n_short = sum(len(t.split()) <= 2 for _, t, _ in rows)
    assert 0 < n_short < len(rows) and short_meta["temperature_reads"] == n_short and short_meta["temperature_folds"] == 2

    def predict(name, meta_json=None):
        if meta_json is not None:
            (heads / "kind.json").write_text(json.dumps(meta_json))
        out = tmp_path / f"{name}.{meta_json is not None}.pred.jsonl"
        run_job("scorer_predict", specs, encoder=scorers.PACKAGED_ENCODER, cache_dir="", heads_dir=str(heads),
                tasks=[{"name": name, "input": test, "output": str(out)}])
        return [json.loads(line)["probs"] for line in out.read_text().splitlines()]

    routed, short = predict("kind"), predict("kind.short")
    tuned = predict("kind", {k: v for k, v in meta.items() if k != "short_turns"})
    assert routed[:2] == short[:2] and routed[2:] == tuned[2:]
    assert all(abs(a["question"] - b["question"]) > 1e-4 for a, b in zip(short, tuned)), "the two heads should differ, or the test shows nothing"


def _nll(p: np.ndarray, y: np.ndarray) -> float:
    return float(-np.log(np.clip(p[np.arange(len(y)), y], 1e-12, 1)).mean())


@pytest.mark.parametrize("n_classes", [2, 3])
def test_temperature_scaling_calibrates_without_changing_decisions(n_classes):
    """A strongly regularised head is underconfident; the temperature fitted
    on out-of-fold logits of its training rows sharpens it, and on fresh rows
    from the same distribution its log loss falls while its decisions stay."""
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(n_classes)
    w = rng.normal(size=(6, n_classes)) * 2
    X, Xn = rng.normal(size=(400, 6)), rng.normal(size=(2000, 6))
    names = np.array(["c0", "c1", "c2"][:n_classes])
    y, yn = names[(X @ w).argmax(1)], (Xn @ w).argmax(1)

    def head():
        return LogisticRegression(C=0.01, max_iter=3000, class_weight="balanced")

    coef, intercept, classes, info = scorers.temperature_scaled(head(), X, list(y), 5)
    plain = head().fit(X, y)
    assert [str(c) for c in classes] == list(names) and info["temperature_folds"] == 5 and info["temperature"] < 1
    calibrated = scorers.predict_proba({"coef": coef, "intercept": intercept}, Xn)
    before = plain.predict_proba(Xn)
    assert (calibrated.argmax(1) == before.argmax(1)).all()
    assert _nll(calibrated, yn) < _nll(before, yn) - 0.05
    # folds 0: the plain head, nothing recorded
    coef0, intercept0, _, info0 = scorers.temperature_scaled(head(), X, list(y), 0)
    assert info0 == {} and np.allclose(coef0, plain.coef_) and np.allclose(intercept0, plain.intercept_)


def test_a_head_used_on_some_rows_fits_its_temperature_on_those():
    """A head trained on every row but read on a subset (persona's short
    turns) fits its temperature on the subset's out-of-fold logits: where
    the subset is noisier than the rest, that temperature softens the head
    and beats the every-row temperature on fresh subset rows, decisions
    unchanged."""
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(7)

    def draw(n, noisy):
        X = rng.normal(size=(n, 4))
        y = (X[:, 0] > 0).astype(int)
        flip = rng.random(n) < (0.3 if noisy else 0.0)
        return np.hstack([X, np.full((n, 1), float(noisy))]), np.where(flip, 1 - y, y)

    (Xc, yc), (Xn, yn) = draw(600, False), draw(200, True)
    X, y = np.vstack([Xc, Xn]), np.concatenate([yc, yn]).astype(str)
    reads = list(range(600, 800))

    def head():
        return LogisticRegression(C=1.0, max_iter=3000)

    everyrow = scorers.temperature_scaled(head(), X, list(y), 5)
    coef, intercept, classes, info = scorers.temperature_scaled(head(), X, list(y), 5, reads)
    assert info["temperature_reads"] == 200 and info["temperature_folds"] == 5 and info["temperature"] > everyrow[3]["temperature"]
    assert info["temperature_log_loss"][1] <= info["temperature_log_loss"][0]
    Xf, yf = draw(3000, True)
    on_reads = scorers.predict_proba({"coef": coef, "intercept": intercept}, Xf)
    on_all = scorers.predict_proba({"coef": everyrow[0], "intercept": everyrow[1]}, Xf)
    assert (on_reads.argmax(1) == on_all.argmax(1)).all()
    assert _nll(on_reads, yf) < _nll(on_all, yf) - 0.02


def test_temperature_scaling_needs_two_rows_of_every_label():
    from sklearn.linear_model import LogisticRegression

    X = np.array([[0.0], [0.1], [0.2], [1.0]])
    _, _, _, info = scorers.temperature_scaled(LogisticRegression(), X, ["a", "a", "a", "b"], 5)
    assert info == {"temperature": 1.0, "temperature_folds": 0}


def test_fit_job_records_the_temperature_and_predict_applies_it(fitted, tmp_path):
    d, specs, _ = fitted
    task = {"name": "toy", "train": str(d / "train.jsonl"), "inputs": ["context", "response"], "ngrams": True, "c": 1.0, "calibration_folds": 3}
    run_job("scorer_fit", specs, encoder=scorers.PACKAGED_ENCODER, cache_dir=str(d / "cache"), out_dir=str(tmp_path / "heads"), tasks=[task])
    meta = json.loads((tmp_path / "heads" / "toy.json").read_text())
    assert meta["temperature_folds"] == 3 and 0 < meta["temperature"] < 1  # 12 separable rows at C 1: underconfident

    def top(heads: Path, out: Path) -> list[float]:
        run_job("scorer_predict", specs, encoder=scorers.PACKAGED_ENCODER, cache_dir=str(d / "cache"), heads_dir=str(heads),
                tasks=[{"name": "toy", "input": str(d / "held.jsonl"), "output": str(out)}])
        return [max(json.loads(line)["probs"].items(), key=lambda kv: kv[1]) for line in out.read_text().splitlines()]

    plain, scaled = top(d / "heads", tmp_path / "plain.jsonl"), top(tmp_path / "heads", tmp_path / "scaled.jsonl")
    assert [c for c, _ in scaled] == [c for c, _ in plain]
    assert all(s > p for (_, s), (_, p) in zip(scaled, plain))


def test_ngram_inputs_are_one_hashed_block_per_field():
    """The permission detector reads the turns before as words: each field in
    ngram_inputs is its own block, so a word there is not the same feature as
    the same word in the reply."""
    rows = [{"id": "a", "texts": {"response": "Try a walk.", "before": "Any advice?"}},
            {"id": "b", "texts": {"response": "Try a walk.", "before": "I'm tired."}}]
    X = scorers.features(rows, [], True, None, "t", None, ["response", "before"]).toarray()
    assert X.shape == (2, 2 * scorers.HASH_FEATURES)
    h = scorers.HASH_FEATURES
    assert np.array_equal(X[0, :h], X[1, :h]) and not np.array_equal(X[0, h:], X[1, h:])


def test_fit_temperature_recovers_the_temperature_of_overconfident_probabilities():
    """Labels drawn from softmax(z); the head says softmax(3 z), three times
    too sharp: the fitted temperature is about 3, the log loss falls, and no
    row's ranking of classes changes."""
    rng = np.random.default_rng(0)
    z = rng.normal(size=(4000, 4)) * 1.5
    p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    y = np.array([rng.choice(4, p=row) for row in p])
    sharp = scorers.tempered(p, 1 / 3)
    t, before, after = scorers.fit_temperature(sharp, y)
    assert 2.7 < t < 3.3 and after < before - 0.1
    assert abs(after - _nll(p, y)) < 0.01
    fixed = scorers.tempered(sharp, t)
    assert (np.argsort(fixed, 1) == np.argsort(sharp, 1)).all()
    np.testing.assert_allclose(scorers.tempered(p, 1.0), p, atol=1e-9)


def test_finetuned_head_gets_a_temperature_from_its_calibration_rows(tmp_path):
    """A fine-tuned head given rows beyond its cap gets one temperature fitted
    on them, recorded in its json and applied by predict to its (ensemble
    mean) probabilities without changing a decision; short turns, read by
    another head, are left out of the fit; without rows only the facts are
    recorded; a label the head never learned is a clear error."""
    train = write_rows(tmp_path / "train.jsonl", [("", q, "question") for q in QUESTIONS[:6]] + [("", s, "other") for s in STATEMENTS[:6]])
    cal_rows = [("", q, "question") for q in QUESTIONS[6:]] + [("", s, "other") for s in STATEMENTS[6:]] + [("", "Why?", "question"), ("", "Okay.", "other")]
    cal = write_rows(tmp_path / "cal.jsonl", cal_rows)
    specs = tmp_path / "specs"
    specs.mkdir()
    ft = {"epochs": 2, "lr": 1e-4, "batch_size": 8, "max_len": 32, "group": "g", "seeds": 2}
    cache = str(tmp_path / "ftcache")

    def fit(out, calibration, **extra):
        task = {"name": "kind", "train": train, "inputs": ["response"], "finetune": ft, "calibration": calibration, **extra}
        return run_job("scorer_fit", specs, encoder=scorers.PACKAGED_ENCODER, cache_dir="", out_dir=str(tmp_path / out), tasks=[task], finetune_cache=cache)

    fit("cal", {"spare": 14, "needed": 4, "rows": cal}, short_turns={"max_words": 1})
    meta = json.loads((tmp_path / "cal" / "kind.json").read_text())
    assert meta["calibration"] == {"spare": 14, "needed": 4} and meta["temperature_rows"] == 4  # the two 1-word turns left out
    assert meta["temperature"] > 0 and meta["temperature_log_loss"][1] <= meta["temperature_log_loss"][0]

    def predict(heads, meta_json=None):
        if meta_json is not None:
            (tmp_path / heads / "kind.json").write_text(json.dumps(meta_json))
        out = tmp_path / f"{heads}.{meta_json is not None}.jsonl"
        run_job("scorer_predict", specs, encoder=scorers.PACKAGED_ENCODER, cache_dir="", heads_dir=str(tmp_path / heads),
                tasks=[{"name": "kind", "input": train, "output": str(out)}])
        return np.array([[json.loads(line)["probs"][c] for c in ("other", "question")] for line in out.read_text().splitlines()])

    scaled = predict("cal")
    plain = predict("cal", {k: v for k, v in meta.items() if k not in ("temperature", "temperature_rows", "short_turns")})
    np.testing.assert_allclose(scaled, scorers.tempered(plain, meta["temperature"]), atol=2e-6)
    assert (scaled.argmax(1) == plain.argmax(1)).all()

    fit("nocal", {"spare": 3, "needed": 4})
    meta = json.loads((tmp_path / "nocal" / "kind.json").read_text())
    assert meta["calibration"] == {"spare": 3, "needed": 4} and "temperature" not in meta
    np.testing.assert_allclose(predict("nocal"), plain, atol=2e-6)  # the same encoders, from the cache

    short_only = write_rows(tmp_path / "short.jsonl", [("", "Why?", "question"), ("", "Okay.", "other")])
    fit("short", {"spare": 2, "needed": 2, "rows": short_only}, short_turns={"max_words": 1})
    meta = json.loads((tmp_path / "short" / "kind.json").read_text())
    assert meta["calibration"] == {"spare": 2, "needed": 2} and "temperature" not in meta, "every row is read by the short-turn head"

    from conftest import parse_events, run_worker, write_spec

    bad = write_rows(tmp_path / "bad.jsonl", [("", "Hmm, I see.", "reflection")])
    task = {"name": "kind", "train": train, "inputs": ["response"], "finetune": ft, "calibration": {"spare": 1, "needed": 1, "rows": bad}}
    spec = write_spec(specs / "bad.json", job="scorer_fit", encoder=scorers.PACKAGED_ENCODER, cache_dir="", out_dir=str(tmp_path / "bad"),
                      tasks=[task], finetune_cache=cache)
    proc = run_worker("scorer_fit", "--spec", str(spec))
    err = [e for e in parse_events(proc.stdout) if e["type"] == "error"]
    assert proc.returncode == 1 and "never learned" in err[0]["error"] and "bad.jsonl" in err[0]["error"]


def test_refit_temperature_from_out_of_fold_encoders(tmp_path):
    """calibration.refit: the group's encoder is trained again on each fold's
    complement and predicts the fold; one temperature per head is fitted on
    those out-of-fold predictions (every training row once), recorded in the
    head's json and applied by predict to the head trained on every row.
    A label missing from one fold's training rows leaves its rows there out
    of the fit; a row without a fold, or a fold that trains on one label,
    is a clear error."""
    from pixel_worker import refit

    rows = [("", q, "question") for q in QUESTIONS] + [("", s, "other") for s in STATEMENTS]
    train = write_rows(tmp_path / "train.jsonl", rows)
    fold_of = {f"r{i}": i % 2 for i in range(len(rows))}  # both labels in both folds
    specs = tmp_path / "specs"
    specs.mkdir()
    ft = {"epochs": 2, "lr": 1e-4, "batch_size": 8, "max_len": 32, "group": "g"}
    cache = tmp_path / "ftcache"

    # A second head on other rows of the same group (as the MI coder's
    # therapist and client heads), with its own rows' folds.
    rows2 = rows[:6] + rows[8:14]
    train2 = write_rows(tmp_path / "train2.jsonl", rows2)

    def task(name, folds=fold_of, path=train):
        return {"name": name, "train": path, "inputs": ["response"], "finetune": ft, "calibration": {"refit": {"folds": 2, "fold_of": folds}}}

    run_job("scorer_fit", specs, encoder=scorers.PACKAGED_ENCODER, cache_dir="", out_dir=str(tmp_path / "heads"),
            tasks=[task("kind"), task("kind2", {f"r{i}": i % 2 for i in range(len(rows2))}, train2)], finetune_cache=str(cache))
    for name, n in (("kind", len(rows)), ("kind2", len(rows2))):
        meta = json.loads((tmp_path / "heads" / f"{name}.json").read_text())
        assert meta["temperature_refit"] == 2 and meta["temperature_rows"] == n and meta["temperature_left_out"] == 0
        assert meta["temperature"] > 0 and meta["temperature_log_loss"][1] <= meta["temperature_log_loss"][0]
    assert not list((tmp_path / "heads").glob(".refit-*")), "the fold encoders are not left in the set"
    assert len([p for p in cache.iterdir() if (p / ".complete").exists()]) == 3, "the full encoder and one per fold, cached"

    out = tmp_path / "pred.jsonl"
    run_job("scorer_predict", specs, encoder=scorers.PACKAGED_ENCODER, cache_dir="", heads_dir=str(tmp_path / "heads"),
            tasks=[{"name": "kind", "input": train, "output": str(out)}])
    scaled = np.array([[json.loads(line)["probs"][c] for c in ("other", "question")] for line in out.read_text().splitlines()])
    head = scorers.load_head(tmp_path / "heads", "kind")
    plain = scorers._finetuned_probs({**head, "temperature_rows": 0}, scorers._read_rows(train), {}, "test")
    np.testing.assert_allclose(scaled, scorers.tempered(plain, head["temperature"]), atol=2e-6)

    parted = refit.split_rows(scorers._read_rows(train), fold_of, 1, "kind")
    assert [r["id"] for r in parted[1]] == [f"r{i}" for i in range(1, len(rows), 2)] and len(parted[0]) == len(rows) // 2

    from conftest import parse_events, run_worker, write_spec

    def error(folds, out):
        spec = write_spec(specs / f"{out}.json", job="scorer_fit", encoder=scorers.PACKAGED_ENCODER, cache_dir="", out_dir=str(tmp_path / out),
                          tasks=[task("kind", folds)], finetune_cache=str(cache))
        proc = run_worker("scorer_fit", "--spec", str(spec))
        assert proc.returncode == 1
        return [e for e in parse_events(proc.stdout) if e["type"] == "error"][0]["error"]

    assert "have no fold" in error({k: v for k, v in fold_of.items() if k != "r3"}, "nofold")
    one_class = {f"r{i}": int(i < len(QUESTIONS)) for i in range(len(rows))}  # fold 1 holds every question
    assert "1 label(s) to train on" in error(one_class, "oneclass")

    rare = rows + [("", "Hmm, I see.", "reflection"), ("", "Right, so it hurts.", "reflection")]
    train3 = write_rows(tmp_path / "train3.jsonl", rare)
    folds3 = {**fold_of, f"r{len(rows)}": 1, f"r{len(rows) + 1}": 1}  # both in fold 2: fold 2's encoder never learns the label
    run_job("scorer_fit", specs, encoder=scorers.PACKAGED_ENCODER, cache_dir="", out_dir=str(tmp_path / "rare"),
            tasks=[task("kind", folds3, train3)], finetune_cache=str(cache))
    meta = json.loads((tmp_path / "rare" / "kind.json").read_text())
    assert meta["classes"] == ["other", "question", "reflection"] and meta["temperature_left_out"] == 2 and meta["temperature_rows"] == len(rows)

    # A head whose every out-of-fold row is a short turn its frozen head
    # reads (persona on tiny data): its folds predict nothing it reads, so no
    # temperature is fitted, and the json says why for the table's note.
    short = {**task("kind"), "short_turns": {"max_words": 100}}
    run_job("scorer_fit", specs, encoder=scorers.PACKAGED_ENCODER, cache_dir="", out_dir=str(tmp_path / "short"),
            tasks=[short], finetune_cache=str(cache))
    meta = json.loads((tmp_path / "short" / "kind.json").read_text())
    assert "temperature" not in meta and meta["temperature_refit_short"] == 2 and meta["short_turns"]["head"] == "kind.short"
    assert not list((tmp_path / "short").glob(".refit-*"))
