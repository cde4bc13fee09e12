"""JSON-lines events on stdout, the worker's only channel to the Go core.

Everything else a library prints (warnings, progress bars, C-level output)
is sent to stderr, which the Go side keeps in the run log, so stdout carries
nothing but events.
"""

import json
import math
import os
import sys
import time
from typing import Any, TextIO

_out: TextIO | None = None


def claim_stdout() -> None:
    """Keep the real stdout for events and point fd 1 at stderr."""
    global _out
    if _out is not None:
        return
    sys.stdout.flush()
    _out = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr


def jsonable(value: Any) -> Any:
    """value with every NaN or infinity replaced by None: json.dumps would
    write them as NaN / Infinity, which is not JSON and which Go rejects."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def emit(event: str, **fields: Any) -> None:
    """Write one event: {"type": event, "time": unix seconds, **fields}.

    Under torchrun only rank 0 reports (errors come from every rank), so the
    Go side sees one job, not one per process."""
    if os.environ.get("RANK", "0") != "0" and event != "error":
        return
    line = json.dumps(jsonable({"type": event, "time": round(time.time(), 3), **fields}), ensure_ascii=False, allow_nan=False)
    (_out or sys.stdout).write(line + "\n")
    (_out or sys.stdout).flush()


def progress(task: str, done: int, total: int, unit: str = "step", **fields: Any) -> None:
    emit("progress", task=task, done=done, total=total, unit=unit, **fields)


def metric(name: str, value: float, **fields: Any) -> None:
    emit("metric", name=name, value=value, **fields)


def artifact(kind: str, path: str, **fields: Any) -> None:
    emit("artifact", kind=kind, path=path, **fields)


def log(message: str, level: str = "info") -> None:
    emit("log", level=level, message=message)
