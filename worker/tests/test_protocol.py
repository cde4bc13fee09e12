"""The process contract with the Go core: JSON-lines events on stdout only,
an error event with a fix and exit 1 on failure, argparse's exit 2 on a bad
command line. These fail before any model is loaded, so they are fast."""

import json

from conftest import parse_events, run_worker, strict_json, write_spec


def assert_error_run(proc, job):
    assert proc.returncode == 1, proc.stderr
    evs = parse_events(proc.stdout)
    assert evs[0]["type"] == "start" and evs[0]["job"] == job
    assert isinstance(evs[0]["pid"], int) and evs[0]["version"]
    last = evs[-1]
    assert last["type"] == "error", evs
    assert last["job"] == job and last["kind"] == "WorkerError"
    assert last["error"] and last["fix"]
    assert all(e["type"] != "done" for e in evs)
    assert all(isinstance(e["time"], float | int) for e in evs)
    return last


def test_spec_for_another_job_is_an_error(tmp_path, tiny_run):
    spec = write_spec(tmp_path / "job.json", job="generate", config=str(tiny_run["config"]))
    proc = run_worker("train", "--spec", str(spec))
    err = assert_error_run(proc, "train")
    assert "'generate'" in err["error"] and "'train'" in err["error"]
    assert "python -m pixel_worker generate" in err["fix"]


def test_missing_spec_is_an_error(tmp_path):
    missing = tmp_path / "nope.json"
    err = assert_error_run(run_worker("loss", "--spec", str(missing)), "loss")
    assert str(missing) in err["error"] and "not found" in err["error"]


def test_invalid_json_spec_is_an_error(tmp_path):
    spec = tmp_path / "job.json"
    spec.write_text('{"job": "train",\n oops}', encoding="utf-8")
    err = assert_error_run(run_worker("train", "--spec", str(spec)), "train")
    assert "line 2" in err["error"]


def test_missing_config_is_an_error(tmp_path):
    spec = write_spec(tmp_path / "job.json", job="loss", config=str(tmp_path / "config.yaml"))
    err = assert_error_run(run_worker("loss", "--spec", str(spec)), "loss")
    assert "config" in err["error"]


def test_missing_spec_field_is_an_error_event(tmp_path, tiny_run):
    # Gets past the spec into the job itself (imports torch), then fails on a
    # field the Go core always writes; warnings from the imports go to stderr.
    spec = write_spec(tmp_path / "job.json", job="generate", config=str(tiny_run["config"]))
    err = assert_error_run(run_worker("generate", "--spec", str(spec)), "generate")
    assert "'run_dir'" in err["error"]


def test_unknown_job_is_a_usage_error(tmp_path):
    proc = run_worker("finetune", "--spec", str(tmp_path / "job.json"))
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "invalid choice" in proc.stderr


def test_spec_is_required():
    proc = run_worker("train")
    assert proc.returncode == 2 and proc.stdout == "" and "--spec" in proc.stderr


def test_events_are_one_json_object_per_line():
    # The emit helper itself, outside a subprocess.
    import io

    from pixel_worker import events

    buf = io.StringIO()
    old = events._out
    events._out = buf
    try:
        events.progress("train x", 1, 2)
        events.metric("val_loss", 1.5, stage="x")
        events.artifact("checkpoint", "/p/ü", stage="x")
        events.log("hello\nworld")
    finally:
        events._out = old
    lines = buf.getvalue().splitlines()
    assert len(lines) == 4
    evs = [json.loads(line) for line in lines]
    assert [e["type"] for e in evs] == ["progress", "metric", "artifact", "log"]
    assert evs[0] == {"type": "progress", "time": evs[0]["time"], "task": "train x", "done": 1, "total": 2, "unit": "step"}
    assert evs[2]["path"] == "/p/ü" and evs[3]["message"] == "hello\nworld"


def test_library_output_cannot_reach_stdout():
    # After claim_stdout, print(), C-level writes to fd 1 and warnings all end
    # up on stderr; only emit() writes to the real stdout.
    import subprocess
    import sys

    from conftest import ROOT, worker_env

    code = (
        "import os, sys, warnings\n"
        "from pixel_worker import events\n"
        "events.claim_stdout()\n"
        "print('python print')\n"
        "os.write(1, b'c-level write\\n')\n"
        "warnings.warn('a library warning')\n"
        "events.emit('log', level='info', message='only this')\n"
        "sys.stdout.write('more noise\\n')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=worker_env(), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    evs = parse_events(proc.stdout)
    assert [e["message"] for e in evs] == ["only this"]
    for noise in ("python print", "c-level write", "a library warning", "more noise"):
        assert noise in proc.stderr


def test_events_never_carry_nan():
    import io
    import math

    from pixel_worker import events

    buf = io.StringIO()
    old = events._out
    events._out = buf
    try:
        events.metric("val_loss", float("nan"), tokens=0, extra={"inf": [math.inf, -math.inf, 1.5]})
    finally:
        events._out = old
    ev = strict_json(buf.getvalue())
    assert ev["value"] is None and ev["extra"] == {"inf": [None, None, 1.5]} and ev["tokens"] == 0


def test_chat_session(tmp_path):
    """The chat job answers each request line with a reply event and stops at EOF."""
    import subprocess
    import sys

    from conftest import ROOT, tiny_config, worker_env
    import yaml

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    cfg = tiny_config(run_dir)
    (run_dir / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    spec = tmp_path / "chat.json"
    spec.write_text(json.dumps({"job": "chat", "config": str(run_dir / "config.yaml"), "run_dir": str(run_dir),
                                "adapter": None, "max_new_tokens": 3, "temperature": 0}))
    req = json.dumps({"messages": [{"role": "user", "content": "I feel low."}]})
    proc = subprocess.run([sys.executable, "-m", "pixel_worker", "chat", "--spec", str(spec)], cwd=ROOT, env=worker_env(),
                          input=req + "\n" + req + "\n", capture_output=True, text=True, timeout=300)
    evs = [json.loads(line) for line in proc.stdout.splitlines()]
    assert proc.returncode == 0, proc.stderr[-2000:]
    types = [e["type"] for e in evs if e["type"] in ("ready", "reply", "done")]
    assert types == ["ready", "reply", "reply", "done"]
    replies = [e for e in evs if e["type"] == "reply"]
    assert replies[0]["content"] == replies[1]["content"] and 0 <= replies[0]["tokens"] <= 3
    bad = subprocess.run([sys.executable, "-m", "pixel_worker", "chat", "--spec", str(spec)], cwd=ROOT, env=worker_env(),
                         input='{"messages": [{"role": "assistant", "content": "x"}]}\n', capture_output=True, text=True, timeout=300)
    assert bad.returncode == 1 and json.loads(bad.stdout.splitlines()[-1])["type"] == "error"
