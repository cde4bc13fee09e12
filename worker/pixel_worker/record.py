"""The canonical conversation record, read exactly as the Go core writes it
(internal/record). testdata/records holds the vectors both sides test."""

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

STAGES = ("foundation", "expertise", "edge", "voice")
PERSONAS = ("therapist", "client")
FIELDS = {"id", "source", "license", "language", "stage", "persona", "provenance", "content_hash", "labels", "messages"}


@dataclass
class Conversation:
    id: str
    source: str
    license: str
    language: str
    stage: str
    persona: str
    provenance: list[dict[str, str]]
    messages: list[dict[str, str]]
    content_hash: str = ""
    labels: dict[str, str] = field(default_factory=dict)


class InvalidRecord(ValueError):
    """A record that breaks the schema; `reason` is the code Go uses too."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def content_hash(messages: list[dict[str, str]]) -> str:
    """sha256 over role, 0x1f, content, 0x1e per message (same as Go's Hash)."""
    h = hashlib.sha256()
    for m in messages:
        h.update(m["role"].encode())
        h.update(b"\x1f")
        h.update(m["content"].encode())
        h.update(b"\x1e")
    return "sha256:" + h.hexdigest()


def validate(c: Conversation) -> None:
    """Raise InvalidRecord with the same reason codes, in the same order, as Go."""
    for name in ("id", "source", "license", "language"):
        if not getattr(c, name):
            raise InvalidRecord(f"missing_{name}", f"{name} is empty")
    if c.stage not in STAGES:
        raise InvalidRecord("unknown_stage", f"stage {c.stage!r} is not one of {list(STAGES)}")
    if c.persona not in PERSONAS:
        raise InvalidRecord("unknown_persona", f"persona {c.persona!r} is not one of {list(PERSONAS)}")
    if not c.provenance:
        raise InvalidRecord("missing_provenance", "provenance is empty")
    msgs = c.messages
    if msgs and msgs[0]["role"] == "system":
        msgs = msgs[1:]
    elif c.persona == "client":
        raise InvalidRecord("client_without_system_prompt", "persona client needs a system prompt that says the assistant plays the client")
    if len(msgs) < 2:
        raise InvalidRecord("too_few_turns", f"{len(msgs)} turns after the system prompt; need a user and an assistant turn")
    for i, m in enumerate(c.messages):
        if not m["content"]:
            raise InvalidRecord("empty_turn", f"message {i} ({m['role']}) is empty")
    for i, m in enumerate(msgs):
        want = "user" if i % 2 == 0 else "assistant"
        if m["role"] != want:
            raise InvalidRecord("roles_not_alternating", f"turn {i} has role {m['role']!r}, want {want!r}")
    if msgs[-1]["role"] != "assistant":
        raise InvalidRecord("ends_without_assistant", f"last turn is {msgs[-1]['role']!r}; a training conversation ends with the assistant")
    if c.content_hash and c.content_hash != content_hash(c.messages):
        raise InvalidRecord("content_hash_mismatch", "content_hash does not match the messages")


def _string(v, name: str) -> str:
    if v is None:
        return ""
    if not isinstance(v, str):
        raise InvalidRecord("bad_json", f"field {name!r} has the wrong type ({type(v).__name__}, want string)")
    return v


def _array(v, name: str) -> list:
    if v is None:
        return []
    if not isinstance(v, list):
        raise InvalidRecord("bad_json", f"field {name!r} has the wrong type ({type(v).__name__}, want array)")
    return v


def _struct(v, name: str, keys: tuple[str, ...]) -> dict[str, str]:
    """An object with only these string fields, all present, in Go's order."""
    if v is None:
        v = {}
    if not isinstance(v, dict):
        raise InvalidRecord("bad_json", f"field {name!r} has the wrong type ({type(v).__name__}, want object)")
    unknown = set(v) - set(keys)
    if unknown:
        raise InvalidRecord("bad_json", f"unknown field {sorted(unknown)[0]!r}")
    return {k: _string(v.get(k), f"{name}.{k}") for k in keys}


def _labels(v) -> dict[str, str]:
    if v is None:
        return {}
    if not isinstance(v, dict):
        raise InvalidRecord("bad_json", f"field 'labels' has the wrong type ({type(v).__name__}, want object)")
    return {k: _string(x, "labels") for k, x in v.items()}


def from_json(line: str) -> Conversation:
    """Parse and validate one JSONL line."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as e:
        raise InvalidRecord("bad_json", f"invalid JSON at char {e.pos}") from None
    if not isinstance(obj, dict):
        raise InvalidRecord("bad_json", "a record is a JSON object")
    unknown = set(obj) - FIELDS
    if unknown:
        raise InvalidRecord("bad_json", f"unknown field {sorted(unknown)[0]!r}")
    # Decoded as Go's encoding/json decodes the struct: null is the zero
    # value, a wrong type or an unknown nested field is bad_json.
    c = Conversation(
        **{k: _string(obj.get(k), k) for k in ("id", "source", "license", "language", "stage", "persona", "content_hash")},
        provenance=[_struct(p, "provenance", ("source", "id", "step")) for p in _array(obj.get("provenance"), "provenance")],
        messages=[_struct(m, "messages", ("role", "content")) for m in _array(obj.get("messages"), "messages")],
        labels=_labels(obj.get("labels")),
    )
    validate(c)
    return c


def to_json(c: Conversation) -> str:
    """One JSONL line, fields in Go's order, so both sides write the same bytes."""
    obj = {
        "id": c.id, "source": c.source, "license": c.license, "language": c.language,
        "stage": c.stage, "persona": c.persona, "provenance": c.provenance,
    }
    if c.content_hash:
        obj["content_hash"] = c.content_hash
    if c.labels:
        obj["labels"] = dict(sorted(c.labels.items()))
    obj["messages"] = c.messages
    # Go's encoder escapes U+2028 and U+2029 even with HTML escaping off.
    line = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return line.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def read_jsonl(path: str | Path) -> Iterator[Conversation]:
    """Yield records; a bad line raises InvalidRecord naming file and line."""
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                yield from_json(line)
            except InvalidRecord as e:
                raise InvalidRecord(e.reason, f"{path} line {n}: {e.detail}") from None
