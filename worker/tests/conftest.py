"""Shared fixtures: the repository's testdata, the v7 Mistral chat format,
and a tiny run folder (resolved config + stage shards) for the job tests."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKER_DIR = ROOT / "worker"
TESTDATA = ROOT / "testdata"
V7 = "mistral_instruct_tokenizer_241114.model.v7"


@pytest.fixture(scope="session")
def testdata() -> Path:
    assert (TESTDATA / "records" / "valid.jsonl").is_file(), f"shared fixtures missing under {TESTDATA}"
    return TESTDATA


@pytest.fixture(scope="session")
def valid_lines(testdata) -> list[str]:
    """The lines of valid.jsonl, without their newline."""
    return (testdata / "records" / "valid.jsonl").read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="session")
def valid_records(valid_lines) -> list[dict]:
    return [json.loads(line) for line in valid_lines]


@pytest.fixture(scope="session")
def v7_format():
    """MistralFormat on the v7 instruct tokenizer shipped in mistral-common."""
    from pixel_worker.chat_format import MistralFormat, resolve_tokenizer_file

    return MistralFormat(resolve_tokenizer_file(V7, None))


def tiny_config(run_dir: Path) -> dict:
    """configs/demo.yaml, shrunk so a train step takes a fraction of a second."""
    cfg = yaml.safe_load((ROOT / "configs" / "demo.yaml").read_text(encoding="utf-8"))
    cfg["run"]["out_dir"] = str(run_dir.parent)
    cfg["model"]["tiny"].update(hidden_size=32, layers=1, heads=2, kv_heads=1, intermediate_size=64, init_std=0.1)
    cfg["model"]["device"] = "cpu"
    cfg["train"].update(max_seq_len=256, batch_size=2, epochs=1, max_steps=2)
    cfg["eval"].update(max_new_tokens=4, batch_size=4)
    return cfg


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory, valid_lines) -> dict:
    """A run folder like the Go core lays out: config.yaml (resolved config),
    data/<stage>/{train,val}.jsonl. Returns the paths as a dict."""
    run_dir = tmp_path_factory.mktemp("runs") / "tiny-run"
    run_dir.mkdir()
    cfg = tiny_config(run_dir)
    config = run_dir / "config.yaml"
    config.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    data = run_dir / "data" / "foundation"
    data.mkdir(parents=True)
    train, val = data / "train.jsonl", data / "val.jsonl"
    train.write_text("".join(line + "\n" for line in valid_lines), encoding="utf-8")
    val.write_text("".join(line + "\n" for line in valid_lines[:2]), encoding="utf-8")
    return {"run_dir": run_dir, "config": config, "cfg": cfg, "train": train, "val": val}


def worker_env() -> dict:
    env = dict(os.environ)
    env.update(PYTHONPATH=str(WORKER_DIR), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
               PYTHONUNBUFFERED="1", OMP_NUM_THREADS=env.get("OMP_NUM_THREADS", "2"))
    return env


def run_worker(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """`python -m pixel_worker ARGS` with the test interpreter, as Go launches it."""
    return subprocess.run([sys.executable, "-m", "pixel_worker", *args], cwd=ROOT, env=worker_env(),
                          capture_output=True, text=True, timeout=timeout)


def _reject_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def strict_json(text: str):
    """json.loads that, like Go, rejects NaN and Infinity."""
    return json.loads(text, parse_constant=_reject_constant)


def parse_events(stdout: str) -> list[dict]:
    """Every stdout line must be one (strict) JSON event object."""
    out = []
    for n, line in enumerate(stdout.splitlines(), 1):
        try:
            ev = strict_json(line)
        except ValueError:
            raise AssertionError(f"stdout line {n} is not JSON: {line!r}") from None
        assert isinstance(ev, dict) and isinstance(ev.get("type"), str), f"stdout line {n} is not an event: {line!r}"
        out.append(ev)
    return out


def write_spec(path: Path, **fields) -> Path:
    path.write_text(json.dumps(fields), encoding="utf-8")
    return path
