"""Shard encoding counts and the padding collator."""

import json

import pytest
import torch

from pixel_worker.chat_format import IGNORE
from pixel_worker.dataset import Collator, encode_file
from pixel_worker.record import InvalidRecord


def test_collator_pads_right_and_masks_pads():
    batch = [{"input_ids": [5, 6, 7], "labels": [IGNORE, 6, 7]},
             {"input_ids": [8], "labels": [8]},
             {"input_ids": [9, 10], "labels": [IGNORE, IGNORE]}]
    out = Collator(pad_id=2)(batch)
    assert set(out) == {"input_ids", "labels", "attention_mask"}
    for t in out.values():
        assert t.dtype == torch.long and t.shape == (3, 3)
    assert out["input_ids"].tolist() == [[5, 6, 7], [8, 2, 2], [9, 10, 2]]
    assert out["attention_mask"].tolist() == [[1, 1, 1], [1, 0, 0], [1, 1, 0]]
    assert out["labels"].tolist() == [[IGNORE, 6, 7], [8, IGNORE, IGNORE], [IGNORE, IGNORE, IGNORE]]


def test_collator_pad_label_is_ignored_even_when_pad_is_eos():
    # The v7 tokenizer has no pad token, so pad == eos; a padded EOS must not be learned.
    out = Collator(pad_id=2)([{"input_ids": [1, 2], "labels": [IGNORE, 2]}, {"input_ids": [1], "labels": [IGNORE]}])
    assert out["input_ids"][1].tolist() == [1, 2]
    assert out["labels"][1].tolist() == [IGNORE, IGNORE]
    assert out["attention_mask"][1].tolist() == [1, 0]


def test_encode_file_counts(tmp_path, v7_format, valid_lines, valid_records):
    p = tmp_path / "shard.jsonl"
    p.write_text("".join(line + "\n" for line in valid_lines), encoding="utf-8")
    full = [v7_format.encode(r["messages"]) for r in valid_records]
    lengths = [len(e.input_ids) for e in full]

    rows, stats = encode_file(str(p), v7_format, max_len=max(lengths) + 10)
    assert stats["whole"] == len(valid_lines) and stats["truncated"] == 0 and stats["skipped_too_long"] == 0
    assert stats["tokens"] == sum(lengths)
    assert stats["loss_tokens"] == sum(sum(1 for x in e.labels if x != IGNORE) for e in full)
    assert [r["input_ids"] for r in rows] == [e.input_ids for e in full]
    assert [r["labels"] for r in rows] == [e.labels for e in full]

    # A limit between the records' first-reply ends and their full lengths:
    # multi-turn ones are cut, a too-short limit skips, counts say which.
    first_ends = [e.labels.index(v7_format.eos_id) + 1 for e in full]  # the first reply's labelled EOS
    longest = lengths.index(max(lengths))
    limit = first_ends[longest]  # the longest record keeps only its first reply
    rows, stats = encode_file(str(p), v7_format, max_len=limit)
    want_whole = sum(1 for n in lengths if n <= limit)
    want_skip = sum(1 for n, f in zip(lengths, first_ends) if n > limit and f > limit)
    want_cut = len(lengths) - want_whole - want_skip
    assert want_cut >= 1
    assert (stats["whole"], stats["truncated"], stats["skipped_too_long"]) == (want_whole, want_cut, want_skip)
    assert len(rows) == want_whole + want_cut
    assert all(len(r["input_ids"]) <= limit for r in rows)
    assert stats["loss_tokens"] == sum(sum(1 for x in r["labels"] if x != IGNORE) for r in rows)
    assert stats["tokens"] == sum(len(r["input_ids"]) for r in rows)

    rows, stats = encode_file(str(p), v7_format, max_len=min(first_ends) - 1)
    assert rows == [] and stats["skipped_too_long"] == len(valid_lines)
    assert stats["whole"] == stats["truncated"] == stats["loss_tokens"] == 0


def test_encode_file_rejects_an_invalid_record(tmp_path, v7_format, valid_records):
    bad = dict(valid_records[0], stage="nope")
    p = tmp_path / "bad.jsonl"
    p.write_text(json.dumps(bad) + "\n", encoding="utf-8")
    with pytest.raises(InvalidRecord) as e:
        encode_file(str(p), v7_format, max_len=256)
    assert e.value.reason == "unknown_stage" and "line 1" in str(e.value)
