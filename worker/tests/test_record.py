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


# Go's encoding/json decodes the record struct: a wrong type or an unknown
# nested field is bad_json, a null is the zero value, and Marshal writes every
# struct field in declaration order. Expected outcomes below were checked
# against internal/record (Read + Marshal).

PROV = '[{"source":"s","id":"a","step":"x"}]'
MSGS = '[{"role":"user","content":"x"},{"role":"assistant","content":"ok"}]'


def line_with(prov=PROV, msgs=MSGS, extra="", head='"id":"a"'):
    return (f'{{{head},"source":"s","license":"l","language":"en","stage":"edge","persona":"therapist",'
            f'"provenance":{prov}{extra},"messages":{msgs}}}')


@pytest.mark.parametrize("line", [
    line_with(prov='"abc"'),
    line_with(prov='[{"source":"s","id":"a","step":"x","extra":"1"}]'),
    line_with(prov='[{"source":1}]'),
    line_with(msgs='{}'),
    line_with(msgs='[{"role":"user","content":1},{"role":"assistant","content":"ok"}]'),
    line_with(extra=',"labels":["a"]'),
    line_with(extra=',"labels":{"a":1}'),
    line_with(extra=',"content_hash":1'),
    line_with(head='"id":5'),
    line_with(head='"id":true'),
    line_with() + " trailing",
], ids=["prov_string", "prov_unknown_field", "prov_number", "messages_object", "content_number",
        "labels_array", "labels_number", "hash_number", "id_number", "id_bool", "trailing_data"])
def test_wrong_types_match_go(line):
    with pytest.raises(InvalidRecord) as e:
        from_json(line)
    assert e.value.reason == "bad_json"


@pytest.mark.parametrize("line,reason", [
    (line_with(msgs='[{"role":"user"},{"role":"assistant","content":"ok"}]'), "empty_turn"),
    (line_with(msgs='[{"role":"user","content":null},{"role":"assistant","content":"ok"}]'), "empty_turn"),
    (line_with(msgs='[{"content":"x"},{"role":"assistant","content":"ok"}]'), "roles_not_alternating"),
    (line_with(msgs='[null,{"role":"user","content":"x"},{"role":"assistant","content":"ok"}]'), "empty_turn"),
    (line_with(head='"id":null'), "missing_id"),
    (line_with(prov="null"), "missing_provenance"),
], ids=["no_content", "null_content", "no_role", "null_message", "null_id", "null_provenance"])
def test_nulls_are_zero_values_like_go(line, reason):
    with pytest.raises(InvalidRecord) as e:
        from_json(line)
    assert e.value.reason == reason


@pytest.mark.parametrize("line,want", [
    (line_with(extra=',"labels":null,"content_hash":null'), line_with()),
    (line_with(extra=',"labels":{"b":"1","a":null}'), line_with(extra=',"labels":{"a":"","b":"1"}')),
    (line_with(prov='[{"step":"x","id":"a","source":"s"}]'), line_with()),
    (line_with(prov='[{"source":"s"}]'), line_with(prov='[{"source":"s","id":"","step":""}]')),
    (line_with(prov='[null]'), line_with(prov='[{"source":"","id":"","step":""}]')),
    (line_with(msgs='[{"content":"x","role":"user"},{"role":"assistant","content":"ok"}]'), line_with()),
], ids=["null_optional", "labels_sorted_null_value", "prov_order", "prov_partial", "prov_null_item", "message_order"])
def test_to_json_writes_what_go_marshal_writes(line, want):
    assert to_json(from_json(line)) == want


def test_to_json_escapes_like_go():
    # Go escapes control characters and U+2028/U+2029, not HTML or non-ASCII.
    text = "a\x01\x08\t\n\x0c\r\x1f\x7f<b>&amp;\"q\"\\\u2028\u2029ü😀\ufeff/"
    msgs = [{"role": "user", "content": text}, {"role": "assistant", "content": "ok"}]
    rec = record.Conversation(id="a", source="s", license="l", language="en", stage="edge", persona="therapist",
                              provenance=[{"source": "s", "id": "a", "step": "x"}], messages=msgs,
                              content_hash=content_hash(msgs))
    out = to_json(rec)
    want = 'a\\u0001\\b\\t\\n\\f\\r\\u001f\x7f<b>&amp;\\"q\\"\\\\\\u2028\\u2029ü😀\ufeff/'
    assert f'"content":"{want}"' in out
    assert "\u2028" not in out and "\u2029" not in out
    back = from_json(out)
    assert back.messages == msgs and to_json(back) == out
