"""Loss-bearing tokens per second: Pixel's trainer (packing, assistant-only
labels) against a plain TRL SFTTrainer setup without packing, on the same
tiny Mistral, the same LoRA and the same conversations, in one run.

    PYTHONPATH=worker .venv/bin/python bench/train/bench.py [--epochs 1]

Prints a table and the speed-up. CPU by default (the goal there is >= 2x).
"""

import argparse
import json
import tempfile
import time
from pathlib import Path

import torch
import yaml

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=float, default=1)
    ap.add_argument("--batch-size", type=int, default=4)
    ap.add_argument("--max-seq-len", type=int, default=1024)
    args = ap.parse_args()

    from datasets import Dataset
    from peft import LoraConfig, get_peft_model
    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel
    from transformers import PreTrainedTokenizerFast, Trainer, TrainingArguments, set_seed
    from trl import SFTConfig, SFTTrainer

    from pixel_worker.chat_format import IGNORE
    from pixel_worker.dataset import Collator, encode_file, pack
    from pixel_worker.model import chat_format, load_base

    cfg = yaml.safe_load((ROOT / "configs" / "demo.yaml").read_text())
    work = Path(tempfile.mkdtemp(prefix="pixel-bench-train-"))
    fmt = chat_format(cfg, str(work))
    rows = []
    for stage in ("foundation", "expertise", "edge", "voice"):
        r, _ = encode_file(ROOT / "internal" / "corpus" / "demo" / f"{stage}.jsonl", fmt, args.max_seq_len)
        rows += r
    loss_tokens = sum(sum(1 for x in r["labels"] if x != IGNORE) for r in rows)
    lc = cfg["lora"]

    def model():
        set_seed(0)
        m = load_base(cfg, str(work), fmt)
        return get_peft_model(m, LoraConfig(r=lc["r"], lora_alpha=lc["alpha"], target_modules=lc["target_modules"], task_type="CAUSAL_LM"))

    common = dict(per_device_train_batch_size=args.batch_size, num_train_epochs=args.epochs, learning_rate=1e-3,
                  report_to="none", save_strategy="no", logging_steps=10_000, disable_tqdm=True, use_cpu=not torch.cuda.is_available(),
                  dataloader_num_workers=0, seed=0)

    # Pixel: packed rows, assistant-only labels.
    packed = pack(rows, args.max_seq_len)
    t = Trainer(model=model(), args=TrainingArguments(output_dir=str(work / "pixel"), remove_unused_columns=False, **common),
                train_dataset=packed, data_collator=Collator(fmt.pad_id))
    t0 = time.perf_counter()
    t.train()
    ours = time.perf_counter() - t0

    # Baseline: TRL's SFTTrainer on the same token ids, one conversation per
    # row, padded, loss on assistant tokens (its assistant_masks column).
    vocab = {f"<{i}>": i for i in range(fmt.vocab_size)}
    tok = PreTrainedTokenizerFast(tokenizer_object=Tokenizer(WordLevel(vocab, unk_token="<0>")),
                                  pad_token=f"<{fmt.pad_id}>", eos_token=f"<{fmt.eos_id}>")
    ds = Dataset.from_list([{"input_ids": r["input_ids"], "assistant_masks": [int(x != IGNORE) for x in r["labels"]]} for r in rows])
    sft = SFTTrainer(model=model(), processing_class=tok, train_dataset=ds,
                     args=SFTConfig(output_dir=str(work / "trl"), packing=False, max_length=args.max_seq_len, **common))
    t0 = time.perf_counter()
    sft.train()
    base = time.perf_counter() - t0

    n = int(loss_tokens * args.epochs)
    print(f"\n{len(rows)} conversations, {loss_tokens} loss-bearing tokens per epoch, {len(packed)} packed rows, device "
          f"{'cuda' if torch.cuda.is_available() else 'cpu'}, torch threads {torch.get_num_threads()}")
    print(f"{'trainer':<34}{'seconds':>10}{'loss tokens/s':>16}")
    print(f"{'pixel (packing)':<34}{ours:>10.1f}{n / ours:>16.0f}")
    print(f"{'TRL SFTTrainer (no packing)':<34}{base:>10.1f}{n / base:>16.0f}")
    print(f"speed-up: {base / ours:.2f}x (goal on CPU: >= 2x)")
    print(json.dumps({"pixel_s": ours, "trl_s": base, "speedup": base / ours, "loss_tokens": n}))


if __name__ == "__main__":
    main()
