"""Packing: several conversations in one row must give exactly the loss they
give one by one (no attention across conversations, no loss on boundaries)."""

import torch

from pixel_worker.dataset import Collator, encode_file, pack


def token_nll_sum(model, batch) -> tuple[float, int]:
    out = model(**{k: v for k, v in batch.items() if k != "labels"})
    logits, labels = out.logits[:, :-1].float(), batch["labels"][:, 1:]
    nll = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), labels.reshape(-1), ignore_index=-100, reduction="sum")
    return nll.item(), int((labels != -100).sum())


def test_packed_and_unpacked_losses_agree(tiny_run, v7_format):
    from pixel_worker.model import load_base

    rows, _ = encode_file(tiny_run["train"], v7_format, 256)
    assert len(rows) >= 3
    model = load_base(tiny_run["cfg"], str(tiny_run["run_dir"]), v7_format).eval()
    collate = Collator(v7_format.pad_id)
    with torch.no_grad():
        single = [token_nll_sum(model, collate([r])) for r in rows]
        packed_rows = pack(rows, sum(len(r["input_ids"]) for r in rows) + 7)
        assert len(packed_rows) == 1 and packed_rows[0]["position_ids"].count(0) == len(rows)
        packed = token_nll_sum(model, collate(packed_rows))
    assert packed[1] == sum(n for _, n in single), "packing changed which tokens carry loss"
    assert abs(packed[0] - sum(s for s, _ in single)) < 1e-3 * packed[0]


def test_pack_fills_rows_deterministically(tiny_run, v7_format):
    rows, _ = encode_file(tiny_run["train"], v7_format, 256)
    limit = max(len(r["input_ids"]) for r in rows) + 10
    a, b = pack(rows, limit), pack(list(rows), limit)
    assert a == b and all(len(r["input_ids"]) <= limit for r in a)
    assert sum(len(r["input_ids"]) for r in a) == sum(len(r["input_ids"]) for r in rows)
    padded = Collator(v7_format.pad_id)(a)
    assert "attention_mask" not in padded and (padded["labels"] != -100).sum() == sum(
        sum(1 for x in r["labels"] if x != -100) for r in rows)
