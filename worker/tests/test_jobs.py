"""The three jobs end to end on a tiny random Mistral (2 train steps), run
as the Go core runs them: a subprocess, a JSON spec, events on stdout."""

import json
import math
from pathlib import Path

import pytest

from conftest import parse_events, run_worker, strict_json, write_spec

PROMPTS = [
    {"id": "p-1", "stage": "foundation", "persona": "therapist",
     "messages": [{"role": "user", "content": "I have been feeling flat lately."}]},
    {"id": "p-2", "stage": "voice", "persona": "client",
     "messages": [{"role": "system", "content": "Role-play: you are the client."},
                  {"role": "user", "content": "What brings you in today?"}]},
]


def run_job(job: str, spec_dir: Path, **fields) -> tuple[list[dict], dict]:
    spec = write_spec(spec_dir / f"{job}-{len(list(spec_dir.iterdir()))}.json", job=job, **fields)
    proc = run_worker(job, "--spec", str(spec))
    evs = parse_events(proc.stdout)
    assert proc.returncode == 0, f"{job} failed: {evs[-1] if evs else ''}\n{proc.stderr[-3000:]}"
    assert evs[0]["type"] == "start" and evs[-1]["type"] == "done" and evs[-1]["ok"] is True
    assert sum(e["type"] == "done" for e in evs) == 1 and not any(e["type"] == "error" for e in evs)
    return evs, evs[-1]["summary"]


def first_appearance(evs: list[dict]) -> list[str]:
    seen = []
    for e in evs:
        if e["type"] not in seen:
            seen.append(e["type"])
    return seen


def tensors(adapter_dir: Path) -> dict:
    from safetensors.torch import load_file

    return load_file(str(adapter_dir / "adapter_model.safetensors"))


@pytest.fixture(scope="module")
def specs(tiny_run) -> Path:
    d = tiny_run["run_dir"] / "jobs"
    d.mkdir(exist_ok=True)
    return d


def train_fields(tiny_run, stage, index, lr, init_adapter=None):
    return dict(config=str(tiny_run["config"]), run_dir=str(tiny_run["run_dir"]), stage=stage,
                train_file=str(tiny_run["train"]), val_file=str(tiny_run["val"]),
                output_dir=str(tiny_run["run_dir"] / "checkpoints" / f"{index}-{stage}"),
                lr=lr, epochs=1, max_steps=2, init_adapter=init_adapter, data_manifest_hash="sha256:test")


@pytest.fixture(scope="module")
def stage1(tiny_run, specs):
    fields = train_fields(tiny_run, "foundation", 1, 1e-2)
    evs, summary = run_job("train", specs, **fields)
    return {"events": evs, "summary": summary, "out": Path(fields["output_dir"])}


@pytest.fixture(scope="module")
def stage2(tiny_run, specs, stage1):
    init = str(stage1["out"] / "adapter")
    fields = train_fields(tiny_run, "expertise", 2, 1e-2, init_adapter=init)
    evs, summary = run_job("train", specs, **fields)
    return {"events": evs, "summary": summary, "out": Path(fields["output_dir"]), "init": init}


@pytest.fixture(scope="module")
def too_long_shard(tiny_run, valid_records) -> Path:
    """A shard whose one conversation's first reply ends past train.max_seq_len."""
    long = dict(valid_records[0], messages=[dict(m) for m in valid_records[0]["messages"]])
    long.pop("content_hash")
    long["messages"][2]["content"] = "word " * 400
    path = tiny_run["run_dir"] / "data" / "too-long.jsonl"
    path.write_text(json.dumps(long) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def frozen_stage(tiny_run, specs, stage2, too_long_shard):
    """A third stage at lr=0: its saved adapter is exactly what it started from.
    Its val shard has nothing that fits, so it also covers a stage left with
    no validation data."""
    init = str(stage2["out"] / "adapter")
    fields = train_fields(tiny_run, "edge", 3, 0.0, init_adapter=init)
    fields["val_file"] = str(too_long_shard)
    evs, summary = run_job("train", specs, **fields)
    return {"events": evs, "summary": summary, "out": Path(fields["output_dir"]), "init": init}


def test_train_writes_a_complete_checkpoint(stage1, tiny_run):
    out, run_dir = stage1["out"], tiny_run["run_dir"]
    assert (out / "adapter" / "adapter_config.json").is_file()
    weights = tensors(out / "adapter")
    assert weights and all("lora_" in k for k in weights)
    # Training moved the adapter off its init (LoRA B starts at zero).
    assert any(float(v.abs().max()) > 0 for k, v in weights.items() if "lora_B" in k)

    card = json.loads((out / "checkpoint.json").read_text())
    assert card["stage"] == "foundation" and card["base_model"] == "tiny-mistral"
    assert card["chat_format"] == "mistral" and card["init_adapter"] is None
    assert card["tokenizer"] == "mistral_instruct_tokenizer_241114.model.v7"
    assert (out / card["tokenizer"]).is_file()
    hp = card["hyperparameters"]
    assert hp["lr"] == 1e-2 and hp["steps"] == 2 and hp["batch_size"] == 2 and hp["max_seq_len"] == 256
    assert hp["lora"]["r"] == tiny_run["cfg"]["lora"]["r"]
    assert card["data"]["manifest_hash"] == "sha256:test" and card["seed"] == tiny_run["cfg"]["run"]["seed"]

    metrics = strict_json((out / "metrics.json").read_text())
    assert metrics["stage"] == "foundation" and metrics["steps"] == 2
    hist = metrics["history"]
    assert [h["step"] for h in hist if h["split"] == "train"] == [1, 2]
    assert [h["step"] for h in hist if h["split"] == "val"] == [2]
    assert all(math.isfinite(h["loss"]) for h in hist)
    assert math.isfinite(metrics["final_val_loss"])
    assert metrics["final_train_loss"] == [h["loss"] for h in hist if h["split"] == "train"][-1]
    assert metrics["data"]["train"]["whole"] == 3 and metrics["data"]["val"]["whole"] == 2
    assert metrics["data"]["train"]["loss_tokens"] > 0

    # Atomic writes leave no scratch folders behind; the tiny base is saved once.
    assert not list(run_dir.rglob("*.tmp-*"))
    assert (run_dir / "base_model" / "config.json").is_file()
    assert (run_dir / "base_model" / card["tokenizer"]).is_file()
    assert not (out / "trainer").exists()


def test_train_event_stream(stage1):
    evs = stage1["events"]
    # The first job also builds the tiny base, reported as an artifact up front.
    base = [e for e in evs if e["type"] == "artifact" and e["kind"] == "base_model"]
    assert len(base) == 1 and base[0]["parameters"] > 0
    stream = [e for e in evs if not (e["type"] == "artifact" and e["kind"] == "base_model")]
    order = [t for t in first_appearance(stream) if t in ("start", "progress", "metric", "artifact", "done")]
    assert order == ["start", "progress", "metric", "artifact", "done"]
    steps = [e["done"] for e in evs if e["type"] == "progress"]
    assert steps == [1, 2] and all(e["total"] == 2 and e["task"] == "train foundation" for e in evs if e["type"] == "progress")
    names = {e["name"] for e in evs if e["type"] == "metric"}
    assert names == {"train_loss", "val_loss"}
    assert {e["split"] for e in evs if e["type"] == "data"} == {"train", "val"}
    ckpt = [e for e in evs if e["type"] == "artifact" and e["kind"] == "checkpoint"]
    assert len(ckpt) == 1 and ckpt[0]["path"] == str(stage1["out"]) and ckpt[0]["stage"] == "foundation"
    assert stage1["summary"]["steps"] == 2 and stage1["summary"]["stage"] == "foundation"


def test_init_adapter_loads_the_saved_weights(stage1, tiny_run):
    # What the train job does with init_adapter, in-process: the wrapped
    # model's trainable LoRA weights are exactly the previous stage's.
    import torch

    from pixel_worker.model import chat_format, load_adapter, load_base

    cfg, run_dir = tiny_run["cfg"], str(tiny_run["run_dir"])
    model = load_adapter(load_base(cfg, run_dir, chat_format(cfg, run_dir)), str(stage1["out"] / "adapter"), trainable=True)
    live = {k.replace(".default", ""): v for k, v in model.named_parameters() if "lora_" in k}
    assert live and all(v.requires_grad for v in live.values())
    saved = tensors(stage1["out"] / "adapter")
    assert set(saved) == set(live)
    for k, v in saved.items():
        assert torch.equal(live[k].detach(), v), k


def test_second_stage_continues_from_the_first(stage1, stage2):
    card = json.loads((stage2["out"] / "checkpoint.json").read_text())
    assert card["stage"] == "expertise" and card["init_adapter"] == stage2["init"]
    first, second = tensors(stage1["out"] / "adapter"), tensors(stage2["out"] / "adapter")
    assert set(first) == set(second)
    assert any(not (first[k] == second[k]).all() for k in first), "stage 2 trained"
    # The first stage's checkpoint is left as it was.
    assert json.loads((stage1["out"] / "checkpoint.json").read_text())["stage"] == "foundation"
    # The base already exists, so stage 2 reports only its checkpoint.
    arts = [e for e in stage2["events"] if e["type"] == "artifact"]
    assert [a["kind"] for a in arts] == ["checkpoint"]
    assert first_appearance(stage2["events"])[0] == "start"
    order = [t for t in first_appearance(stage2["events"]) if t in ("start", "progress", "metric", "artifact", "done")]
    assert order == ["start", "progress", "metric", "artifact", "done"]


def test_init_adapter_is_where_training_starts(stage2, frozen_stage):
    # With lr=0 nothing moves, so the saved weights are the start weights:
    # the previous stage's, not a fresh LoRA (whose B matrices are zero).
    start, end = tensors(stage2["out"] / "adapter"), tensors(frozen_stage["out"] / "adapter")
    assert set(start) == set(end)
    for k in start:
        assert (start[k] == end[k]).all(), k
    assert any(float(v.abs().max()) > 0 for k, v in end.items() if "lora_B" in k)
    card = json.loads((frozen_stage["out"] / "checkpoint.json").read_text())
    assert card["init_adapter"] == frozen_stage["init"] and card["hyperparameters"]["lr"] == 0.0


def test_stage_without_val_data_trains(frozen_stage):
    metrics = strict_json((frozen_stage["out"] / "metrics.json").read_text())
    assert metrics["data"]["val"] == {"skipped_too_long": 1}
    assert metrics["final_val_loss"] is None
    assert [h["split"] for h in metrics["history"]] == ["train", "train"]
    assert [e["name"] for e in frozen_stage["events"] if e["type"] == "metric"] == ["train_loss", "train_loss"]


def test_loss_job(stage1, too_long_shard, tiny_run, specs, v7_format):
    # "long" holds only a conversation longer than train.max_seq_len: no
    # token to score, so no loss (null, never NaN, which Go cannot parse).
    out = tiny_run["run_dir"] / "loss.json"
    evs, summary = run_job("loss", specs, config=str(tiny_run["config"]), run_dir=str(tiny_run["run_dir"]),
                           adapter=str(stage1["out"] / "adapter"), label="foundation",
                           files={"val": str(tiny_run["val"]), "long": str(too_long_shard)}, output_file=str(out))
    res = strict_json(out.read_text())
    assert res == summary and set(res) == {"val", "long"}
    val = res["val"]
    assert math.isfinite(val["loss"]) and val["loss"] > 0
    assert val["perplexity"] == pytest.approx(math.exp(val["loss"]), rel=1e-12)
    from pixel_worker.dataset import encode_file

    _, stats = encode_file(str(tiny_run["val"]), v7_format, tiny_run["cfg"]["train"]["max_seq_len"])
    assert val["tokens"] == stats["loss_tokens"] > 0  # every assistant token, nothing else
    assert val["conversations"] == 2 and val["whole"] == 2
    assert res["long"] == {"loss": None, "perplexity": None, "tokens": 0, "conversations": 0, "skipped_too_long": 1}
    metrics = {e["name"]: e for e in evs if e["type"] == "metric"}
    assert set(metrics) == {"val_loss", "long_loss"}
    assert metrics["val_loss"]["value"] == val["loss"] and metrics["val_loss"]["tokens"] == val["tokens"]
    assert metrics["long_loss"]["value"] is None
    assert [e["kind"] for e in evs if e["type"] == "artifact"] == ["loss"]
    assert not list(out.parent.glob("loss.json.tmp-*"))


def test_generate_job(stage1, tiny_run, specs, v7_format):
    prompts = tiny_run["run_dir"] / "prompts.jsonl"
    prompts.write_text("".join(json.dumps(p) + "\n" for p in PROMPTS), encoding="utf-8")
    out = tiny_run["run_dir"] / "samples.jsonl"
    max_new = tiny_run["cfg"]["eval"]["max_new_tokens"]
    evs, summary = run_job("generate", specs, config=str(tiny_run["config"]), run_dir=str(tiny_run["run_dir"]),
                           adapter=str(stage1["out"] / "adapter"), label="foundation", prompts_file=str(prompts),
                           output_file=str(out), max_new_tokens=max_new, temperature=0)
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert summary == {"samples": 2}
    assert [r["id"] for r in rows] == ["p-1", "p-2"]
    for r, p in zip(rows, PROMPTS):
        assert r["stage"] == p["stage"] and r["persona"] == p["persona"]
        assert r["prompt_tokens"] == len(v7_format.encode_prompt(p["messages"]))
        assert 0 <= r["completion_tokens"] <= max_new
        assert isinstance(r["stopped"], bool) and isinstance(r["completion"], str)
        if not r["stopped"]:
            assert r["completion_tokens"] == max_new
    prog = [e for e in evs if e["type"] == "progress"]
    assert prog and prog[-1]["done"] == prog[-1]["total"] == 2 and prog[-1]["unit"] == "prompt"
    assert [e["kind"] for e in evs if e["type"] == "artifact"] == ["samples"]

    # Batched with left padding (p-1 is the shorter prompt) gives what the
    # same model generates for p-1 alone, greedily.
    import torch

    from pixel_worker.model import chat_format, load_adapter, load_base

    cfg, run_dir = tiny_run["cfg"], str(tiny_run["run_dir"])
    fmt = chat_format(cfg, run_dir)
    model = load_adapter(load_base(cfg, run_dir, fmt), str(stage1["out"] / "adapter"), trainable=False).eval()
    prompt = fmt.encode_prompt(PROMPTS[0]["messages"])
    assert len(prompt) < rows[1]["prompt_tokens"]
    with torch.no_grad():
        alone = model.generate(input_ids=torch.tensor([prompt]), attention_mask=torch.ones(1, len(prompt), dtype=torch.long),
                               max_new_tokens=max_new, do_sample=False, eos_token_id=fmt.eos_id, pad_token_id=fmt.pad_id)
    new = alone[0, len(prompt):].tolist()
    if fmt.eos_id in new:
        new = new[: new.index(fmt.eos_id)]
    assert rows[0]["completion_tokens"] == len(new) and rows[0]["completion"] == fmt.decode(new)


def test_local_model_folder_is_a_base(stage1, tiny_run, tmp_path):
    """model.base may be a local folder (how Mistral Small 3.1 is used offline):
    the same code loads it and finds the Mistral tokenizer file inside it."""
    import yaml

    base = tiny_run["run_dir"] / "base_model"
    assert (base / "config.json").is_file() and list(base.glob("tokenizer.model.v*")) == []
    folder = tmp_path / "local-mistral"
    import shutil

    shutil.copytree(base, folder)
    # A model folder names its tokenizer as Mistral's hub repos do.
    v7 = next(folder.glob("mistral_instruct_tokenizer_*"))
    v7.rename(folder / "tokenizer.model.v7")
    cfg = dict(tiny_run["cfg"], model=dict(tiny_run["cfg"]["model"], base=str(folder), tokenizer=""))
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    fields = train_fields(tiny_run, "foundation", 9, 1e-2)
    fields.update(config=str(config), run_dir=str(tmp_path), output_dir=str(tmp_path / "ck"))
    evs, _ = run_job("train", tmp_path, **fields)
    card = json.loads((tmp_path / "ck" / "checkpoint.json").read_text())
    assert card["base_model"] == str(folder) and card["chat_format"] == "mistral"
    assert card["tokenizer"] == "tokenizer.model.v7"
    assert not (tmp_path / "base_model").exists(), "a local base must not be rebuilt as tiny-mistral"


def test_tokens_job(tiny_run, specs, v7_format):
    """Training tokens per conversation, in the chat format the trainer uses."""
    from pixel_worker.record import read_jsonl

    out = tiny_run["run_dir"] / "tokens.jsonl"
    evs, summary = run_job("tokens", specs, config=str(tiny_run["config"]), run_dir=str(tiny_run["run_dir"]),
                           input_file=str(tiny_run["train"]), output_file=str(out))
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    convs = list(read_jsonl(tiny_run["train"]))
    assert [r["id"] for r in rows] == [c.id for c in convs]
    for r, c in zip(rows, convs):
        assert r["tokens"] == len(v7_format.encode(c.messages).input_ids) > 0
    assert summary["tokens"] == sum(r["tokens"] for r in rows)
