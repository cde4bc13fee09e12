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


class Collator:
    """Right-pads a batch; padding is masked out of attention and loss."""

    def __init__(self, pad_id: int) -> None:
        self.pad_id = pad_id

    def __call__(self, batch: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        n = max(len(b["input_ids"]) for b in batch)
        ids = torch.full((len(batch), n), self.pad_id, dtype=torch.long)
        labels = torch.full((len(batch), n), IGNORE, dtype=torch.long)
        mask = torch.zeros((len(batch), n), dtype=torch.long)
        for i, b in enumerate(batch):
            k = len(b["input_ids"])
            ids[i, :k] = torch.tensor(b["input_ids"])
            labels[i, :k] = torch.tensor(b["labels"])
            mask[i, :k] = 1
        return {"input_ids": ids, "labels": labels, "attention_mask": mask}
