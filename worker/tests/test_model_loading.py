"""Loading bases other than the built-in tiny model: the text model of a
Mistral 3 vision-language checkpoint (the shape of Mistral Small 3.1), and
QLoRA's refusal to run on a CPU."""

import json
from pathlib import Path

import pytest
import torch

from pixel_worker.errors import WorkerError
from pixel_worker.model import load_base


def tiny_mistral3(folder: Path, vocab: int) -> torch.nn.Module:
    from transformers import Mistral3Config, Mistral3ForConditionalGeneration, MistralConfig, PixtralVisionConfig

    torch.manual_seed(0)
    text = MistralConfig(vocab_size=vocab, hidden_size=32, num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=1,
                         intermediate_size=64, max_position_embeddings=256, head_dim=16)
    vision = PixtralVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2,
                                 image_size=32, patch_size=16, head_dim=16)
    model = Mistral3ForConditionalGeneration(Mistral3Config(text_config=text, vision_config=vision)).eval()
    model.save_pretrained(folder)
    return model


def test_mistral3_text_model(tmp_path, tiny_run, v7_format):
    folder = tmp_path / "mistral3"
    full = tiny_mistral3(folder, v7_format.vocab_size)
    cfg = json.loads(json.dumps(tiny_run["cfg"]))
    cfg["model"].update(base=str(folder), tokenizer="mistral_instruct_tokenizer_241114.model.v7")
    text = load_base(cfg, str(tmp_path), v7_format).eval()
    assert type(text).__name__ == "MistralForCausalLM"
    assert not any("vision" in n for n, _ in text.named_parameters()), "the vision tower must be dropped"
    ids = torch.tensor([v7_format.encode_prompt([{"role": "user", "content": "I feel on edge lately."}])])
    with torch.no_grad():
        assert torch.allclose(text(input_ids=ids).logits, full(input_ids=ids).logits, atol=1e-5)


def test_qlora_needs_a_gpu(tiny_run, v7_format, tmp_path):
    cfg = json.loads(json.dumps(tiny_run["cfg"]))
    cfg["model"]["quantize"] = "nf4"
    cfg["model"]["device"] = "cpu"
    with pytest.raises(WorkerError, match="CUDA GPU"):
        load_base(cfg, str(tmp_path), v7_format)


def test_tiny_base_published_once_when_ranks_race(tmp_path, tiny_run):
    """Under torchrun every rank builds the tiny base and publishes it by
    renaming its folder into place; a rank that finds it already published
    (os.replace onto a full folder fails) keeps the first and leaves no
    temporary folder. Something else in the way is still an error."""
    from pixel_worker.model import build_tiny, chat_format

    cfg = tiny_run["cfg"]
    fmt = chat_format(cfg, str(tiny_run["run_dir"]))
    path = tmp_path / "base_model"
    build_tiny(cfg, fmt, path)
    first = (path / "model.safetensors").read_bytes()
    build_tiny(cfg, fmt, path)  # the rank that lost the race
    assert (path / "model.safetensors").read_bytes() == first
    assert [p.name for p in tmp_path.iterdir()] == ["base_model"], "no temporary folder left"

    junk = tmp_path / "other"
    junk.mkdir()
    (junk / "notes.txt").write_text("not a model")
    with pytest.raises(OSError):
        build_tiny(cfg, fmt, junk)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["base_model", "other"]
