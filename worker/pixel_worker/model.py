"""Loading the base model, its chat format, and a stage's adapter.

`tiny-mistral` is a random-init MistralForCausalLM of a few million
parameters, built from model.tiny with the run's seed and saved once in the
run folder, so every stage and every later `pixel chat` loads the same
weights. Any other model.base is a hub id or a local folder, loaded with the
same code.
"""

import os
import shutil
from pathlib import Path
from typing import Any

import torch

from . import events
from .chat_format import ChatFormat, load_format
from .errors import WorkerError

TINY = "tiny-mistral"
DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def device_for(cfg: dict[str, Any]) -> torch.device:
    want = cfg["model"]["device"]
    if want == "cuda" and not torch.cuda.is_available():
        raise WorkerError("model.device=cuda but no CUDA device is visible", "set model.device to auto or cpu")
    if want == "auto":
        want = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(want)


def setup_threads(cfg: dict[str, Any]) -> None:
    n = int(cfg["train"].get("threads") or 0)
    if n > 0:
        torch.set_num_threads(n)


def base_dir(run_dir: str) -> Path:
    return Path(run_dir) / "base_model"


def chat_format(cfg: dict[str, Any], run_dir: str) -> ChatFormat:
    base = cfg["model"]["base"]
    local = str(base_dir(run_dir)) if base == TINY else (base if Path(base).is_dir() else None)
    return load_format(cfg["model"].get("tokenizer", ""), base, local)


def load_base(cfg: dict[str, Any], run_dir: str, fmt: ChatFormat):
    """The frozen base model on its device, in model.dtype."""
    from transformers import AutoModelForCausalLM

    m = cfg["model"]
    dtype = DTYPES[m["dtype"]]
    if m["base"] == TINY:
        path = base_dir(run_dir)
        if not (path / "config.json").is_file():
            build_tiny(cfg, fmt, path)
        model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype)
    else:
        try:
            model = AutoModelForCausalLM.from_pretrained(m["base"], dtype=dtype)
        except OSError as e:
            raise WorkerError(f"cannot load model.base={m['base']!r}: {e}", "give a local folder, or a hub id with network access (HF_HUB_OFFLINE unset)") from None
        except ValueError as e:
            if "mistral3" in str(e).lower():
                # The hub checkpoint of Mistral Small 3.1 is vision-language
                # (Mistral3ForConditionalGeneration); the plan trains its text model.
                raise WorkerError(
                    f"model.base={m['base']!r} is a Mistral 3 vision-language checkpoint; this worker loads causal LMs only",
                    "use a folder holding its text model as a MistralForCausalLM, or a text-only Mistral checkpoint") from None
            raise
    return model.to(device_for(cfg))


def build_tiny(cfg: dict[str, Any], fmt: ChatFormat, path: Path) -> None:
    """Random-init the tiny Mistral with the run's seed and save it atomically."""
    from transformers import MistralConfig, MistralForCausalLM

    t = cfg["model"]["tiny"]
    torch.manual_seed(int(cfg["run"]["seed"]))
    config = MistralConfig(
        vocab_size=fmt.vocab_size, hidden_size=t["hidden_size"], num_hidden_layers=t["layers"],
        num_attention_heads=t["heads"], num_key_value_heads=t["kv_heads"], intermediate_size=t["intermediate_size"],
        max_position_embeddings=t["max_position"], tie_word_embeddings=True,
        initializer_range=float(t["init_std"]),
        bos_token_id=fmt.bos_id, eos_token_id=fmt.eos_id, pad_token_id=fmt.pad_id,
    )
    model = MistralForCausalLM(config)
    tmp = path.with_name(path.name + f".tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    if getattr(fmt, "path", None):
        shutil.copy(fmt.path, tmp / Path(fmt.path).name)
    if path.exists():  # another process finished first
        shutil.rmtree(tmp)
        return
    os.replace(tmp, path)
    n = sum(p.numel() for p in model.parameters())
    events.artifact("base_model", str(path), parameters=n)


def load_adapter(model, adapter: str | None, trainable: bool):
    """Wrap the base in a saved PEFT adapter (or return it unchanged)."""
    if not adapter:
        return model
    from peft import PeftModel

    if not (Path(adapter) / "adapter_config.json").is_file():
        raise WorkerError(f"adapter {adapter} has no adapter_config.json", "point at a stage checkpoint's adapter/ folder")
    return PeftModel.from_pretrained(model, adapter, is_trainable=trainable)
