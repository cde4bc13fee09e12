"""The job spec the Go core writes, and the resolved run config it points to."""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .errors import WorkerError


@dataclass
class Job:
    """A job spec: {"job", "config", ...job fields}. `config` is the run's
    resolved config.yaml; `cfg` is that file, parsed."""

    name: str
    fields: dict[str, Any]
    cfg: dict[str, Any]

    def get(self, key: str, default: Any = None) -> Any:
        return self.fields.get(key, default)

    def need(self, key: str) -> Any:
        if key not in self.fields or self.fields[key] in (None, ""):
            raise WorkerError(f"job spec has no {key!r}", f"the Go core writes it; see docs/worker-protocol.md for the {self.name} job")
        return self.fields[key]


# Jobs that need no run config (the scorers are not tied to a run).
CONFIG_FREE = ("scorer_fit", "scorer_predict")


def load(path: str, job: str) -> Job:
    try:
        fields = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise WorkerError(f"job spec {path} not found", "pass --spec with the file the Go core wrote") from None
    except json.JSONDecodeError as e:
        raise WorkerError(f"job spec {path} line {e.lineno}: invalid JSON", "the spec is written by `pixel`; do not edit it by hand") from None
    if fields.get("job") != job:
        raise WorkerError(f"job spec {path} is for {fields.get('job')!r}, not {job!r}", f"run `python -m pixel_worker {fields.get('job')} --spec {path}`")
    cfg_path = fields.get("config")
    if job in CONFIG_FREE and not cfg_path:
        return Job(name=job, fields=fields, cfg={})
    if not cfg_path or not Path(cfg_path).is_file():
        raise WorkerError(f"job spec {path}: config {cfg_path!r} not found", "the run folder's config.yaml must exist; rerun `pixel run`")
    cfg = yaml.safe_load(Path(cfg_path).read_text(encoding="utf-8"))
    return Job(name=job, fields=fields, cfg=cfg)
