"""The canonical record against the vectors the Go tests read too."""

import json

import pytest

from pixel_worker import record
from pixel_worker.record import InvalidRecord, content_hash, from_json, read_jsonl, to_json, validate


def test_valid_lines_parse_validate_and_hash(valid_lines):
    assert len(valid_lines) >= 3
    for line in valid_lines:
        c = from_json(line)
        validate(c)
        assert c.content_hash, "every fixture record carries its hash"
        assert c.content_hash == content_hash(c.messages)
        assert c.id == json.loads(line)["id"]


def test_valid_lines_round_trip_byte_for_byte(valid_lines):
    # Go's record.Marshal writes these exact bytes; the worker must too.
    for line in valid_lines:
        assert to_json(from_json(line)) == line


def test_round_trip_keeps_non_ascii_unescaped(valid_lines):
    line = next(ln for ln in valid_lines if "’" in ln)
    out = to_json(from_json(line))
    assert "’" in out and "—" in out and "\\u" not in out


def test_labels_written_sorted_and_omitted_when_empty(valid_records):
    rec = dict(valid_records[0], labels={"b": "2", "a": "1"})
    out = to_json(from_json(json.dumps(rec)))
    assert out.index('"a":"1"') < out.index('"b":"2"')
    rec.pop("labels")
    rec.pop("content_hash")
    out = to_json(from_json(json.dumps(rec)))
    assert '"labels"' not in out and '"content_hash"' not in out
    # Go's field order: content_hash and labels sit between provenance and messages.
    assert list(json.loads(to_json(from_json(json.dumps(valid_records[0]))))) == [
        "id", "source", "license", "language", "stage", "persona", "provenance", "content_hash", "labels", "messages"]


def test_invalid_lines_give_expected_reasons(testdata):
    lines = (testdata / "records" / "invalid.jsonl").read_text(encoding="utf-8").splitlines()
    expected = (testdata / "records" / "invalid.expected").read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(expected) and lines
    got = []
    for n, line in enumerate(lines, 1):
        with pytest.raises(InvalidRecord) as e:
            from_json(line)
        got.append((n, e.value.reason))
    assert got == [(n, want) for n, want in enumerate(expected, 1)]


def test_hash_vectors(testdata):
    vectors = json.loads((testdata / "records" / "hash_vectors.json").read_text(encoding="utf-8"))
    assert vectors
    for v in vectors:
        assert content_hash(v["messages"]) == v["hash"], v["messages"]


def test_hash_depends_on_role_and_boundaries():
    a = content_hash([{"role": "user", "content": "ab"}])
    assert a != content_hash([{"role": "assistant", "content": "ab"}])
    assert content_hash([{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]) != content_hash(
        [{"role": "user", "content": "ab"}])


def test_read_jsonl_yields_records_and_skips_blank_lines(tmp_path, valid_lines):
    p = tmp_path / "ok.jsonl"
    p.write_text(valid_lines[0] + "\n\n" + valid_lines[1] + "\n", encoding="utf-8")
    assert [c.id for c in read_jsonl(p)] == [json.loads(valid_lines[0])["id"], json.loads(valid_lines[1])["id"]]


def test_read_jsonl_error_names_file_and_line(tmp_path, valid_lines, testdata):
    bad = (testdata / "records" / "invalid.jsonl").read_text(encoding="utf-8").splitlines()[4]  # unknown_stage
    p = tmp_path / "shard.jsonl"
    p.write_text(valid_lines[0] + "\n\n" + bad + "\n", encoding="utf-8")
    it = read_jsonl(p)
    assert next(it).id == json.loads(valid_lines[0])["id"]
    with pytest.raises(InvalidRecord) as e:
        next(it)
    assert e.value.reason == "unknown_stage"
    assert str(p) in str(e.value) and "line 3" in str(e.value)


def test_wrong_types_are_bad_json():
    for line in ('[1, 2]', '{"messages": [{"role": "user", "content": 1}]}', '{"messages": ["hi"]}',
                 '{"messages": [{"role": "user", "content": "a", "name": "x"}]}'):
        with pytest.raises(InvalidRecord) as e:
            from_json(line)
        assert e.value.reason == "bad_json", line


def test_constants_match_go():
    assert record.STAGES == ("foundation", "expertise", "edge", "voice")
    assert record.PERSONAS == ("therapist", "client")
