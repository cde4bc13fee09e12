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
    """The frozen base model on its device, in model.dtype (4-bit NF4 with model.quantize: nf4)."""
    from transformers import AutoConfig, AutoModelForCausalLM

    m = cfg["model"]
    dtype = DTYPES[m["dtype"]]
    device = device_for(cfg)
    quant = quantization(m, device, dtype)
    if m["base"] == TINY:
        path = base_dir(run_dir)
        if not (path / "config.json").is_file():
            build_tiny(cfg, fmt, path)
        source = str(path)
    else:
        source = m["base"]
    try:
        kind = AutoConfig.from_pretrained(source).model_type
        if kind == "mistral3":
            model = load_mistral3_text(source, dtype, quant)
        else:
            model = AutoModelForCausalLM.from_pretrained(source, dtype=dtype, quantization_config=quant)
    except OSError as e:
        raise WorkerError(f"cannot load model.base={source!r}: {e}", "give a local folder, or a hub id with network access (HF_HUB_OFFLINE unset)") from None
    if quant is not None:
        from peft import prepare_model_for_kbit_training

        # Quantized weights are placed on the GPU by from_pretrained.
        return prepare_model_for_kbit_training(model, use_gradient_checkpointing=bool(cfg["train"].get("gradient_checkpointing")))
    return model.to(device)


def quantization(m: dict[str, Any], device: torch.device, dtype: torch.dtype):
    """QLoRA's 4-bit NF4 base (bitsandbytes), GPU only."""
    q = m.get("quantize") or "none"
    if q == "none":
        return None
    if q != "nf4":
        raise WorkerError(f"model.quantize={q!r} is not supported", "use none, or nf4 (QLoRA) on a CUDA GPU")
    if device.type != "cuda":
        raise WorkerError("model.quantize=nf4 (QLoRA) needs a CUDA GPU; bitsandbytes 4-bit kernels do not run on a CPU",
                          "set model.quantize: none on a CPU, or run on a GPU")
    try:
        import bitsandbytes  # noqa: F401
    except ImportError:
        raise WorkerError("model.quantize=nf4 needs bitsandbytes", "run `make setup-gpu` (installs worker/requirements-gpu.txt)") from None
    from transformers import BitsAndBytesConfig

    return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                              bnb_4bit_compute_dtype=dtype if dtype != torch.float32 else torch.bfloat16)


def load_mistral3_text(source: str, dtype: torch.dtype, quant):
    """The text model of a Mistral 3 vision-language checkpoint (Mistral Small
    3.1) as a MistralForCausalLM: its language model and LM head, without the
    vision tower, so training, masking and merging treat it like any causal LM."""
    from transformers import AutoModelForImageTextToText, MistralForCausalLM

    full = AutoModelForImageTextToText.from_pretrained(source, dtype=dtype, quantization_config=quant)
    text_config = full.config.text_config
    with torch.device("meta"):
        causal = MistralForCausalLM(text_config)
    causal.model = full.model.language_model
    causal.lm_head = full.lm_head
    causal.generation_config = full.generation_config
    del full
    events.log(f"loaded the text model of the Mistral 3 checkpoint {source} (vision tower dropped)")
    return causal


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
    try:
        os.replace(tmp, path)
    except OSError:  # another process (a torchrun rank) published it first: the same seed made the same model
        shutil.rmtree(tmp, ignore_errors=True)
        if not (path / "config.json").is_file():
            raise
        return
    n = sum(p.numel() for p in model.parameters())
    events.artifact("base_model", str(path), parameters=n)


def load_adapter(model, adapter: str | None, trainable: bool):
    """Wrap the base in a saved PEFT adapter (or return it unchanged). When
    the adapter's stage began by merging earlier stages' adapters into the
    base (train.stage_init: merge), those are merged first, in order."""
    if not adapter:
        return model
    from peft import PeftModel

    if not (Path(adapter) / "adapter_config.json").is_file():
        raise WorkerError(f"adapter {adapter} has no adapter_config.json", "point at a stage checkpoint's adapter/ folder")
    for earlier in merged_chain(adapter):
        model = PeftModel.from_pretrained(model, earlier).merge_and_unload()
    return PeftModel.from_pretrained(model, adapter, is_trainable=trainable)


def merged_chain(adapter: str) -> list[str]:
    """The adapters merged into the base before this one was trained, from
    its checkpoint.json (empty for a stage that continued an adapter)."""
    card = Path(adapter).parent / "checkpoint.json"
    if not card.is_file():
        return []
    import json

    return list(json.loads(card.read_text()).get("merged_adapters") or [])
