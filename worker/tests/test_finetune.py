"""Fine-tuned scorer heads: length-sorted batches, counterfactual pairs,
rationale targets, and that the invariance loss does what it is for."""

import os

import numpy as np
import pytest

from pixel_worker import finetune, scorers

from test_scorers import QUESTIONS, STATEMENTS

PHRASES = ["a Deaf person", "an elderly person", "a Muslim person", "a gay person", "a tall person", "a rich person"]
TEMPLATES = ["I am %s.", "As %s, I worry a lot."]


def test_length_batches_cover_every_row_once_in_similar_lengths():
    rng = np.random.default_rng(0)
    lengths = rng.integers(1, 500, size=1000).tolist()
    batches = finetune.length_batches(lengths, 16, rng, window=8)
    flat = [i for b in batches for i in b]
    assert sorted(flat) == list(range(1000)) and all(1 <= len(b) <= 16 for b in batches)
    # Within a batch lengths are close: far less spread than random batches.
    spread = np.mean([max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in batches])
    assert spread < 100, spread
    # The batch order is shuffled, not sorted by length.
    means = [np.mean([lengths[i] for i in b]) for b in batches]
    assert means != sorted(means)


def test_counterfactual_pairs_differ_only_in_the_phrase():
    rows = [{"texts": {"context": "I can't sleep.", "response": "That sounds hard."}} for _ in range(20)]
    va, vb = finetune.counterfactual_pairs(rows, ["context", "response"], {"phrases": PHRASES, "templates": TEMPLATES}, np.random.default_rng(1))
    for a, b in zip(va, vb):
        assert a["texts"]["response"] == b["texts"]["response"] == "That sounds hard."
        assert a["texts"]["context"] != b["texts"]["context"] and "I can't sleep." in a["texts"]["context"]
        pa = [p for p in PHRASES if p in a["texts"]["context"]]
        pb = [p for p in PHRASES if p in b["texts"]["context"]]
        assert len(pa) == len(pb) == 1
        assert a["texts"]["context"].replace(pa[0], "X") == b["texts"]["context"].replace(pb[0], "X")
    # Both sides of the text are used.
    assert {a["texts"]["context"].startswith("I can't") for a in va} == {True, False}


def test_counterfactual_rows_add_focus_rows_only_when_asked():
    """A share of the batch always; with "focus", that share of a batch again
    from the focus rows, never more than there are; without it the same
    draws as before the setting existed."""
    chunk = [{"id": f"b{i}"} for i in range(16)]
    focus = [{"id": f"f{i}"} for i in range(3)]
    plain, n = finetune.counterfactual_rows(chunk, focus, {"share": 0.25}, np.random.default_rng(0))
    assert n == 0 and len(plain) == 4 and all(r["id"].startswith("b") for r in plain)
    idx = np.random.default_rng(0).choice(16, 4, replace=False)
    assert [r["id"] for r in plain] == [f"b{i}" for i in idx]
    both, n = finetune.counterfactual_rows(chunk, focus, {"share": 0.25, "focus": 0.125}, np.random.default_rng(0))
    assert [r["id"] for r in both[:4]] == [r["id"] for r in plain]
    assert n == 2 and len(both) == 6 and len({r["id"] for r in both[4:]}) == 2 and all(r["id"].startswith("f") for r in both[4:])
    capped, n = finetune.counterfactual_rows(chunk, focus, {"share": 0.25, "focus": 1.0}, np.random.default_rng(0))
    assert n == 3 and sorted(r["id"] for r in capped[4:]) == ["f0", "f1", "f2"]
    assert finetune.counterfactual_rows(chunk, [], {"share": 0.25, "focus": 0.5}, np.random.default_rng(0))[1] == 0


def test_pair_label_loss_is_cross_entropy_on_both_copies_of_focus_rows_only():
    """Only the focus rows (the last n) with a label for the head count, each
    copy as half a row of the batch: by hand, two focus rows of a batch of 16
    give (CE(a1) + CE(b1) + CE(a2) + CE(b2)) / 32."""
    import torch
    import torch.nn.functional as F

    torch.manual_seed(0)
    head = torch.nn.Linear(4, 3)
    ea, eb = torch.randn(5, 4), torch.randn(5, 4)
    classes = ["high", "low", "none"]
    rows = [{"y": {"crisis": "none"}}] * 2 + [{"y": {}}, {"y": {"crisis": "high"}}, {"y": {"crisis": "low"}}]
    got = finetune.pair_label_loss(head, ea, eb, rows, 3, "crisis", classes, None, 16)
    y = torch.tensor([0, 1])
    want = (F.cross_entropy(head(ea[3:]), y, reduction="sum") + F.cross_entropy(head(eb[3:]), y, reduction="sum")) / 32
    assert torch.isclose(got, want)
    # The rows before the focus rows, labelled or not, never count.
    assert finetune.pair_label_loss(head, ea, eb, rows, 1, "crisis", classes, None, 16) is not None
    assert finetune.pair_label_loss(head, ea, eb, rows, 3, "empathy", classes, None, 16) is None
    assert finetune.pair_label_loss(head, ea, eb, rows[:3], 1, "crisis", classes, None, 16) is None


def test_rationale_targets_mark_the_span_tokens_of_the_judged_field():
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(scorers._encoder_path(scorers.PACKAGED_ENCODER))
    rows = [{"texts": {"context": "I feel so alone lately.", "response": "I'm sorry you feel alone. Do you talk to anyone?"},
             "rationale": {"ex": "Do you talk to anyone?"}},
            {"texts": {"context": "Work is hard.", "response": "Work is hard."}, "rationale": {}}]
    inputs = ["context", "response"]
    batch = finetune._tokens(tok, rows, inputs, 64, offsets=True)
    offsets = batch.pop("offset_mapping")
    tgt, mask = finetune.rationale_targets(batch, offsets, rows, "ex", [finetune._pair(r, inputs)[0] for r in rows])
    words = tok.convert_ids_to_tokens(batch["input_ids"][0])
    tagged = [w for w, t in zip(words, tgt[0].tolist()) if t]
    assert tagged == ["do", "you", "talk", "to", "anyone", "?"]
    in_mask = [w for w, m in zip(words, mask[0].tolist()) if m]
    assert in_mask[0] == "i" and "alone" in in_mask and "lately" not in in_mask  # the context is not tagged
    assert mask[1].sum() == 0  # no rationale for the second row


def _text_rows() -> list[dict]:
    """16 one-field training rows: questions and statements."""
    return ([{"id": f"q{i}", "texts": {"text": q}, "label": "question"} for i, q in enumerate(QUESTIONS)]
            + [{"id": f"s{i}", "texts": {"text": s}, "label": "other"} for i, s in enumerate(STATEMENTS)])


def _gap(folder, rows, phrases) -> float:
    """Mean absolute move of P(question) across phrases, per row."""
    head = scorers.load_head(folder.parent, "kind")
    moves = []
    for r in rows:
        variants = [{"texts": {"context": f"I am {p}. Hi.", "response": r}} for p in phrases]
        finetune._loaded.clear()
        p = scorers.predict_proba(head, finetune.embed(folder, variants, ["context", "response"], 48, "t"))[:, 1]
        moves.append(np.abs(p - p.mean()).max())
    return float(np.mean(moves))


def _fit_and_gap(tmp_path, weight: float) -> float:
    # The descriptor leaks into the label: "question" rows say "young", the others "old".
    train = [{"id": f"q{i}", "texts": {"context": "I am a young person. Hi.", "response": q}, "label": "question"} for i, q in enumerate(QUESTIONS)]
    train += [{"id": f"s{i}", "texts": {"context": "I am an old person. Hi.", "response": s}, "label": "other"} for i, s in enumerate(STATEMENTS)]
    cf = {"phrases": ["a young person", "an old person", *PHRASES[:3]], "templates": TEMPLATES, "weight": weight, "share": 1.0}
    out = tmp_path / f"w{weight}" / "g.model"
    heads = finetune.fit_group([{"name": "kind", "inputs": ["context", "response"], "rows": train}], scorers._encoder_path(scorers.PACKAGED_ENCODER),
                               out, {"epochs": 6, "lr": 1e-4, "batch_size": 8, "max_len": 48}, 0, "g", cf)
    h = heads["kind"]
    scorers.save_head(out.parent, "kind", h["coef"], h["intercept"], h["classes"],
                      {"kind": "finetuned", "model": "g.model", "inputs": ["context", "response"], "max_len": 48})
    # Measured with descriptors the loss never saw.
    return _gap(out, ["How are you?", "You seem tired."], ["a young person", "an old person", *PHRASES[3:]])


def test_counterfactual_loss_makes_heads_invariant_to_descriptors(tmp_path):
    """The same training with and without the invariance loss: with it, the
    head's output moves less when only the descriptor changes."""
    without, with_loss = _fit_and_gap(tmp_path, 0.0), _fit_and_gap(tmp_path, 50.0)
    print(f"gap without {without:.4f}, with {with_loss:.4f}")
    assert with_loss < 0.5 * without, f"invariance loss: gap {with_loss:.4f} vs {without:.4f} without it"


def test_labelled_focus_pairs_enter_the_training_loss(tmp_path):
    """The same run (seed, batches, pairs) with focus pairs labelled or not:
    the labels are trained on, so the heads differ; with the focus off the
    flag changes nothing."""
    train = _text_rows()
    ids = [r["id"] for r in train[::2]]

    def fit(name, **extra):
        cf = {"phrases": PHRASES, "templates": TEMPLATES, "weight": 1.0, "share": 0.25, **extra}
        heads = finetune.fit_group([{"name": "kind", "inputs": ["text"], "rows": train}], scorers._encoder_path(scorers.PACKAGED_ENCODER),
                                   tmp_path / name / "g.model", {"epochs": 1, "lr": 1e-4, "batch_size": 8, "max_len": 32}, 0, "g", cf)
        return heads["kind"]["coef"]

    plain = fit("plain", focus=0.25, focus_ids=ids)
    labelled = fit("labelled", focus=0.25, focus_ids=ids, focus_labelled=True)
    assert not np.allclose(plain, labelled)
    assert np.allclose(fit("off", focus_labelled=True), fit("off2"))


def test_labelled_pairs_train_every_pair_on_its_labels(tmp_path):
    """ft["labelled_pairs"]: the copies of every counterfactual pair, not
    only focus rows', enter the loss with their labels, so the head differs
    from the same run without it; without counterfactual pairs it is inert."""
    train = _text_rows()

    def fit(name, weight, **ft):
        cf = {"phrases": PHRASES, "templates": TEMPLATES, "weight": weight, "share": 0.25}
        heads = finetune.fit_group([{"name": "kind", "inputs": ["text"], "rows": train}], scorers._encoder_path(scorers.PACKAGED_ENCODER),
                                   tmp_path / name / "g.model", {"epochs": 1, "lr": 1e-4, "batch_size": 8, "max_len": 32, **ft}, 0, "g", cf)
        return heads["kind"]["coef"]

    assert not np.allclose(fit("plain", 1.0), fit("labelled", 1.0, labelled_pairs=True))
    assert np.allclose(fit("off", 0.0, labelled_pairs=True), fit("off2", 0.0))


def test_remove_dead_writes_keeps_live_writes_and_other_files(tmp_path):
    target = tmp_path / "g.model"
    dead_dir, dead_file = tmp_path / "g.model.tmp-999999999", tmp_path / "g.model.tmp-999999998"
    live, other = tmp_path / f"g.model.tmp-{os.getpid()}", tmp_path / "h.model.tmp-999999999"
    (dead_dir / "sub").mkdir(parents=True)
    for f in (dead_dir / "sub" / "w.bin", dead_file, live, other):
        f.write_bytes(b"x")
    finetune.remove_dead_writes(target)
    assert not dead_dir.exists() and not dead_file.exists()
    assert live.exists() and other.exists()


@pytest.mark.parametrize("kill_at", [2, 3])
def test_a_killed_fine_tune_resumes_to_the_weights_of_an_uninterrupted_run(tmp_path, monkeypatch, kill_at):
    """Checkpoints after every step; killed at step kill_at (3: the first
    step of the second epoch), the rerun starts from the checkpoint, not
    from step 1, and ends with the uninterrupted run's weights (batch
    order, descriptor pairs and dropout restored); the checkpoint is then
    removed."""
    import torch
    from transformers import AutoModel

    train = _text_rows()
    cf = {"phrases": PHRASES, "templates": TEMPLATES, "weight": 1.0, "share": 0.25}
    ckpt = tmp_path / "entry.ckpt.pt"

    def fit(name, **kw):
        heads = finetune.fit_group([{"name": "kind", "inputs": ["text"], "rows": train}], scorers._encoder_path(scorers.PACKAGED_ENCODER),
                                   tmp_path / name / "g.model", {"epochs": 3, "lr": 1e-4, "batch_size": 8, "max_len": 32}, 0, "g", cf, **kw)
        return heads["kind"]["coef"], AutoModel.from_pretrained(tmp_path / name / "g.model").state_dict()

    whole_coef, whole_model = fit("whole")
    real, steps_seen = finetune.events.progress, []

    def killed(task, done, total, **kw):
        real(task, done, total, **kw)
        if done == kill_at:
            raise KeyboardInterrupt

    def watched(task, done, total, **kw):
        steps_seen.append(done)
        real(task, done, total, **kw)

    monkeypatch.setattr(finetune.events, "progress", killed)
    with pytest.raises(KeyboardInterrupt):
        fit("killed", checkpoint=ckpt, checkpoint_s=1e-9)
    state = torch.load(ckpt, weights_only=True)
    assert state["done"] == kill_at - 1 and state["steps"] == 6
    assert finetune.load_state(ckpt, 5, len(train)) is None  # another run's checkpoint is not taken
    cut = tmp_path / "entry.ckpt.pt.tmp-999999999"  # a write a kill cut short, its process gone
    cut.write_bytes(b"partial")
    monkeypatch.setattr(finetune.events, "progress", watched)
    coef, model = fit("killed", checkpoint=ckpt, checkpoint_s=1e-9)
    assert steps_seen == list(range(kill_at, 7))  # resumed, not started again
    assert not ckpt.exists() and not cut.exists()
    assert np.allclose(coef, whole_coef, atol=1e-6)
    assert all(torch.allclose(model[k], whole_model[k], atol=1e-6) for k in whole_model)
