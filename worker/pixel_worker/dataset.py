"""Stage shards as token ids and labels, and the padding collator."""

from collections import Counter
from typing import Any

import torch

from .chat_format import IGNORE, ChatFormat
from .record import read_jsonl


def encode_file(path: str, fmt: ChatFormat, max_len: int) -> tuple[list[dict[str, list[int]]], Counter]:
    """Encode every conversation of a shard. Counts say what was kept whole,
    cut at a turn boundary, or skipped as too long (never silently)."""
    rows, stats = [], Counter()
    for conv in read_jsonl(path):
        enc = fmt.encode(conv.messages, max_len=max_len)
        if enc is None:
            stats["skipped_too_long"] += 1
            continue
        stats["truncated" if enc.truncated else "whole"] += 1
        stats["tokens"] += len(enc.input_ids)
        stats["loss_tokens"] += sum(1 for x in enc.labels if x != IGNORE)
        rows.append({"input_ids": enc.input_ids, "labels": enc.labels})
    return rows, stats


def pack(rows: list[dict[str, list[int]]], max_len: int) -> list[dict[str, list[int]]]:
    """Packs short conversations into rows of at most max_len tokens (first
    fit, longest first, so the result depends only on the rows). Each row
    carries position_ids that restart at 0 for every conversation: with no
    attention mask, transformers turns them into a block-diagonal mask, so no
    conversation attends to another. A conversation's first token is its BOS,
    whose label is -100, so none is trained to predict the next one's start."""
    order = sorted(range(len(rows)), key=lambda i: (-len(rows[i]["input_ids"]), i))
    bins: list[list[int]] = []
    room: list[int] = []
    for i in order:
        n = len(rows[i]["input_ids"])
        for b, free in enumerate(room):
            if n <= free:
                bins[b].append(i)
                room[b] -= n
                break
        else:
            bins.append([i])
            room.append(max_len - n)
    packed = []
    for members in bins:
        row = {"input_ids": [], "labels": [], "position_ids": []}
        for i in sorted(members):
            row["input_ids"] += rows[i]["input_ids"]
            row["labels"] += rows[i]["labels"]
            row["position_ids"] += list(range(len(rows[i]["input_ids"])))
        packed.append(row)
    return packed


class Collator:
    """Right-pads a batch; padding is masked out of attention and loss.

    Packed rows (with position_ids) get no attention mask: their padding
    becomes one more segment of its own, with its own positions and no labels.
    """

    def __init__(self, pad_id: int) -> None:
        self.pad_id = pad_id

    def __call__(self, batch: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        packed = "position_ids" in batch[0]
        n = max(len(b["input_ids"]) for b in batch)
        ids = torch.full((len(batch), n), self.pad_id, dtype=torch.long)
        labels = torch.full((len(batch), n), IGNORE, dtype=torch.long)
        extra = torch.zeros((len(batch), n), dtype=torch.long)  # position ids (packed) or attention mask
        for i, b in enumerate(batch):
            k = len(b["input_ids"])
            ids[i, :k] = torch.tensor(b["input_ids"])
            labels[i, :k] = torch.tensor(b["labels"])
            if packed:
                extra[i, :k] = torch.tensor(b["position_ids"])
                extra[i, k:] = torch.arange(n - k)
            else:
                extra[i, :k] = 1
        return {"input_ids": ids, "labels": labels, ("position_ids" if packed else "attention_mask"): extra}
