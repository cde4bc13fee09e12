"""Early stopping with the best adapter kept, DoRA, and merging an adapter
into its base: each through the real jobs on the tiny model."""

import json
from pathlib import Path

import pytest
import yaml

from test_jobs import run_job, train_fields

# Each test uses its own run folder (and so builds its own tiny base), so
# test_jobs can check that the first job of a run reports building the base.


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
    fields.update(config=config, run_dir=str(tmp_path), max_steps=30, output_dir=str(tmp_path / "ck"))
    run_job("train", specs_dir, **fields)
    m = json.loads((tmp_path / "ck" / "metrics.json").read_text())
    vals = [h["loss"] for h in m["history"] if h["split"] == "val"]
    assert m["stopped_early"] and m["steps"] < 30, m["steps"]
    assert m["best_val_loss"] == pytest.approx(min(vals))
    # The saved adapter is the best one: its validation loss is the best, not the last.
    out = tmp_path / "loss.json"
    run_job("loss", specs_dir, config=config, run_dir=str(tmp_path), adapter=str(tmp_path / "ck" / "adapter"),
            files={"val": str(tiny_run["val"])}, output_file=str(out))
    assert json.loads(out.read_text())["val"]["loss"] == pytest.approx(min(vals), rel=1e-3)
    assert vals[-1] > min(vals)


def test_dora_adapter(tiny_run, specs_dir, tmp_path):
    cfg = json.loads(json.dumps(tiny_run["cfg"]))
    cfg["lora"]["use_dora"] = True
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    fields = train_fields(tiny_run, "foundation", 8, 1e-2)
    fields.update(config=str(config), run_dir=str(tmp_path), output_dir=str(tmp_path / "ck"))
    run_job("train", specs_dir, **fields)
    assert json.loads((tmp_path / "ck" / "adapter" / "adapter_config.json").read_text())["use_dora"] is True


def test_merge_matches_base_plus_adapter(tiny_run, specs_dir, tmp_path):
    import torch
    from transformers import AutoModelForCausalLM

    from pixel_worker.model import chat_format, load_adapter, load_base

    ck = tmp_path / "ck"
    run_job("train", specs_dir, **dict(train_fields(tiny_run, "foundation", 1, 1e-2), run_dir=str(tmp_path), output_dir=str(ck)))
    out = tmp_path / "merged"
    run_job("merge", specs_dir, config=str(tiny_run["config"]), run_dir=str(tmp_path),
            checkpoint=str(ck), output_dir=str(out), dtype="float32")
    assert (out / "model.safetensors").is_file() and (out / "config.json").is_file()
    assert json.loads((out / "pixel_model.json").read_text())["merged_from"] == str(ck)
    assert list(out.glob("mistral_instruct_tokenizer_*")), "the tokenizer travels with the merged model"
    cfg = tiny_run["cfg"]
    fmt = chat_format(cfg, str(tmp_path))
    ref = load_adapter(load_base(cfg, str(tmp_path), fmt), str(ck / "adapter"), trainable=False).eval()
    merged = AutoModelForCausalLM.from_pretrained(out).eval()
    ids = torch.tensor([fmt.encode_prompt([{"role": "user", "content": "I feel tired all the time."}])])
    with torch.no_grad():
        assert torch.allclose(ref(input_ids=ids).logits, merged(input_ids=ids).logits, atol=1e-4)


def test_killed_stage_resumes_to_the_same_weights(tiny_run, specs_dir, tmp_path):
    """A stage killed mid-way (like kill -9, after its step-4 checkpoint) and
    re-run with the same spec ends with the weights of an uninterrupted run."""
    import os
    import subprocess
    import sys

    from conftest import ROOT, worker_env, write_spec
    from safetensors.torch import load_file

    config = config_with(tiny_run, tmp_path, train__save_every=2)
    base = train_fields(tiny_run, "foundation", 6, 1e-2)
    base.update(config=config, run_dir=str(tmp_path), max_steps=8)
    whole = dict(base, output_dir=str(tmp_path / "whole"))
    run_job("train", specs_dir, **whole)

    killed = dict(base, output_dir=str(tmp_path / "killed"))
    spec = write_spec(tmp_path / "killed.json", job="train", **killed)
    env = dict(worker_env(), PIXEL_CRASH_AT_STEP="5")
    proc = subprocess.run([sys.executable, "-m", "pixel_worker", "train", "--spec", str(spec)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 137, proc.stderr[-2000:]
    assert not (tmp_path / "killed").exists(), "a killed stage must not leave a checkpoint folder"
    assert (tmp_path / "killed.partial" / "trainer" / "checkpoint-4" / "trainer_state.json").is_file()

    evs, _ = run_job("train", specs_dir, **killed)
    assert any("resuming from checkpoint-4" in e.get("message", "") for e in evs)
    assert not (tmp_path / "killed.partial").exists()
    a = load_file(str(tmp_path / "whole" / "adapter" / "adapter_model.safetensors"))
    b = load_file(str(tmp_path / "killed" / "adapter" / "adapter_model.safetensors"))
    assert a.keys() == b.keys()
    for k in a:
        assert torch_allclose(a[k], b[k]), k
    steps = [h["step"] for h in json.loads((tmp_path / "killed" / "metrics.json").read_text())["history"] if h["split"] == "train"]
    assert steps == list(range(1, 9)), "the resumed run's loss history covers every step once"


def torch_allclose(x, y) -> bool:
    import torch

    return torch.allclose(x, y, atol=1e-6, rtol=1e-5)


def test_tracking_tensorboard_and_mlflow(tiny_run, specs_dir, tmp_path):
    """Training metrics reach TensorBoard event files and a local MLflow store."""
    cfg = json.loads(json.dumps(tiny_run["cfg"]))
    cfg["tracking"] = {"tensorboard": True, "mlflow": True, "mlflow_uri": ""}
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    fields = train_fields(tiny_run, "foundation", 1, 1e-2)
    fields.update(config=str(config), run_dir=str(tmp_path), output_dir=str(tmp_path / "ck"))
    run_job("train", specs_dir, **fields)
    assert list((tmp_path / "tensorboard" / "foundation").rglob("events.out.tfevents.*")), "no TensorBoard events"
    import os

    import mlflow

    os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
    mlflow.set_tracking_uri((tmp_path / "mlruns").as_uri())
    runs = mlflow.search_runs(experiment_names=["pixel-" + cfg["run"]["name"]], output_format="list")
    assert len(runs) == 1 and runs[0].info.run_name == f"{tmp_path.name}-foundation"
    assert "loss" in runs[0].data.metrics or "train_loss" in runs[0].data.metrics


def test_train_with_packing(tiny_run, specs_dir, tmp_path):
    config = config_with(tiny_run, tmp_path, train__packing=True)
    fields = train_fields(tiny_run, "foundation", 9, 1e-2)
    fields.update(config=config, run_dir=str(tmp_path), output_dir=str(tmp_path / "ck"))
    evs, _ = run_job("train", specs_dir, **fields)
    assert any("packed" in e.get("message", "") for e in evs)
    m = json.loads((tmp_path / "ck" / "metrics.json").read_text())
    assert 0 < m["data"]["train"]["packed_rows"] < m["data"]["train"]["whole"]


def test_merge_then_new_adapter(tiny_run, specs_dir, tmp_path):
    """train.stage_init: merge folds the previous adapter into the base and
    trains a new one; loading the new checkpoint applies that chain."""
    import torch
    from peft import PeftModel

    from pixel_worker.model import chat_format, load_adapter, load_base

    first = dict(train_fields(tiny_run, "foundation", 1, 5e-2), run_dir=str(tmp_path), output_dir=str(tmp_path / "a"))
    run_job("train", specs_dir, **first)
    config = config_with(tiny_run, tmp_path, train__stage_init="merge")
    second = dict(train_fields(tiny_run, "expertise", 2, 5e-2, init_adapter=str(tmp_path / "a" / "adapter")),
                  config=config, run_dir=str(tmp_path), output_dir=str(tmp_path / "b"))
    run_job("train", specs_dir, **second)
    card = json.loads((tmp_path / "b" / "checkpoint.json").read_text())
    assert card["merged_adapters"] == [str(tmp_path / "a" / "adapter")]

    cfg = tiny_run["cfg"]
    fmt = chat_format(cfg, str(tmp_path))
    ids = torch.tensor([fmt.encode_prompt([{"role": "user", "content": "Work has been overwhelming."}])])
    with torch.no_grad():
        got = load_adapter(load_base(cfg, str(tmp_path), fmt), str(tmp_path / "b" / "adapter"), False).eval()(input_ids=ids).logits
        folded = PeftModel.from_pretrained(load_base(cfg, str(tmp_path), fmt), str(tmp_path / "a" / "adapter")).merge_and_unload()
        want = PeftModel.from_pretrained(folded, str(tmp_path / "b" / "adapter")).eval()(input_ids=ids).logits
        alone = PeftModel.from_pretrained(load_base(cfg, str(tmp_path), fmt), str(tmp_path / "b" / "adapter")).eval()(input_ids=ids).logits
    assert torch.allclose(got, want, atol=1e-5)
    assert not torch.allclose(got, alone, atol=1e-3), "the merged first stage must change the result"


def test_train_under_torchrun(tiny_run, tmp_path):
    """Two processes (data parallel on CPU, gloo): one event stream, one checkpoint."""
    import shutil
    import subprocess
    import sys

    from conftest import ROOT, parse_events, worker_env, write_spec

    fields = dict(train_fields(tiny_run, "foundation", 1, 1e-2), run_dir=str(tmp_path), output_dir=str(tmp_path / "ck"), max_steps=3)
    spec = write_spec(tmp_path / "spec.json", job="train", **fields)
    # Two gloo processes on a 2-core CI machine under load have failed about
    # once in four full suites (rank 1 exiting with an exception in its
    # stderr). One such failure, seen on 2026-12-03, was both ranks
    # publishing the tiny base at once (fixed in model.build_tiny; see
    # test_model_loading); others were not traced. One retry keeps CI usable,
    # and the first failure's error events are reported as a warning so a
    # flake stays visible.
    failures = []
    for _ in range(2):
        for old in tmp_path.glob("ck*"):  # a failed attempt's leftovers
            shutil.rmtree(old, ignore_errors=True)
        proc = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                               "-m", "pixel_worker", "train", "--spec", str(spec)], cwd=ROOT, env=worker_env(),
                              capture_output=True, text=True, timeout=300)
        if proc.returncode == 0:
            break
        errors = [line for line in proc.stdout.splitlines() if '"type": "error"' in line]
        failures.append(f"error events: {errors}\n{proc.stderr[-6000:]}")
    assert proc.returncode == 0, "\n\n".join(failures)
    if failures:
        import warnings

        warnings.warn(f"torchrun training failed once and passed on retry: {failures[0][:2000]}")
    evs = parse_events(proc.stdout)
    assert [e["type"] for e in evs].count("start") == 1 and [e["type"] for e in evs].count("done") == 1
    assert (tmp_path / "ck" / "adapter" / "adapter_config.json").is_file()
    assert json.loads((tmp_path / "ck" / "metrics.json").read_text())["steps"] == 3
    assert not list(tmp_path.glob("ck.*")), "no scratch or partial folder is left"
