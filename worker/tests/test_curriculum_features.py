"""Early stopping with the best adapter kept, DoRA, and merging an adapter
into its base: each through the real jobs on the tiny model."""

import json
from pathlib import Path

import pytest
import yaml

from test_jobs import run_job, specs, stage1, train_fields  # noqa: F401 (fixtures)


@pytest.fixture(scope="module")
def specs_dir(tiny_run) -> Path:
    d = tiny_run["run_dir"] / "jobs-features"
    d.mkdir(exist_ok=True)
    return d


def config_with(tiny_run, tmp_path, **train) -> str:
    cfg = json.loads(json.dumps(tiny_run["cfg"]))
    for key, value in train.items():
        section, name = key.split("__")
        cfg[section][name] = value
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return str(path)


def test_early_stopping_keeps_the_best_adapter(tiny_run, specs_dir, tmp_path):
    # A learning rate far too high makes validation loss rise after the first
    # steps: training must stop early and keep the adapter of the best step.
    config = config_with(tiny_run, tmp_path, train__early_stopping_patience=2, train__eval_every=1)
    fields = train_fields(tiny_run, "foundation", 7, 3.0)
    fields.update(config=config, max_steps=30, output_dir=str(tmp_path / "ck"))
    run_job("train", specs_dir, **fields)
    m = json.loads((tmp_path / "ck" / "metrics.json").read_text())
    vals = [h["loss"] for h in m["history"] if h["split"] == "val"]
    assert m["stopped_early"] and m["steps"] < 30, m["steps"]
    assert m["best_val_loss"] == pytest.approx(min(vals))
    # The saved adapter is the best one: its validation loss is the best, not the last.
    out = tmp_path / "loss.json"
    run_job("loss", specs_dir, config=config, run_dir=str(tiny_run["run_dir"]), adapter=str(tmp_path / "ck" / "adapter"),
            files={"val": str(tiny_run["val"])}, output_file=str(out))
    assert json.loads(out.read_text())["val"]["loss"] == pytest.approx(min(vals), rel=1e-3)
    assert vals[-1] > min(vals)


def test_dora_adapter(tiny_run, specs_dir, tmp_path):
    cfg = json.loads(json.dumps(tiny_run["cfg"]))
    cfg["lora"]["use_dora"] = True
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    fields = train_fields(tiny_run, "foundation", 8, 1e-2)
    fields.update(config=str(config), output_dir=str(tmp_path / "ck"))
    run_job("train", specs_dir, **fields)
    assert json.loads((tmp_path / "ck" / "adapter" / "adapter_config.json").read_text())["use_dora"] is True


def test_merge_matches_base_plus_adapter(stage1, tiny_run, specs_dir, tmp_path):
    import torch
    from transformers import AutoModelForCausalLM

    from pixel_worker.model import chat_format, load_adapter, load_base

    out = tmp_path / "merged"
    run_job("merge", specs_dir, config=str(tiny_run["config"]), run_dir=str(tiny_run["run_dir"]),
            checkpoint=str(stage1["out"]), output_dir=str(out), dtype="float32")
    assert (out / "model.safetensors").is_file() and (out / "config.json").is_file()
    assert json.loads((out / "pixel_model.json").read_text())["merged_from"] == str(stage1["out"])
    assert list(out.glob("mistral_instruct_tokenizer_*")), "the tokenizer travels with the merged model"
    cfg = tiny_run["cfg"]
    fmt = chat_format(cfg, str(tiny_run["run_dir"]))
    ref = load_adapter(load_base(cfg, str(tiny_run["run_dir"]), fmt), str(stage1["out"] / "adapter"), trainable=False).eval()
    merged = AutoModelForCausalLM.from_pretrained(out).eval()
    ids = torch.tensor([fmt.encode_prompt([{"role": "user", "content": "I feel tired all the time."}])])
    with torch.no_grad():
        assert torch.allclose(ref(input_ids=ids).logits, merged(input_ids=ids).logits, atol=1e-4)
