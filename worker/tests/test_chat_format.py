"""The loss mask: exactly the assistant's reply tokens and its end-of-turn
token carry labels, in the real Mistral v7 instruct format.

The expected mask is rebuilt here two independent ways: from mistral-common
directly (turn-by-turn prefix spans), and from the control-token structure of
the encoding ([INST] ... [/INST] reply </s>), so a bug in the worker's
masking cannot also be in the oracle.
"""

import pytest

from pixel_worker.chat_format import IGNORE, ChatFormat, Encoded
from pixel_worker.errors import WorkerError

from conftest import V7


# ---------------------------------------------------------------- oracles


@pytest.fixture(scope="module")
def reference():
    """mistral-common's own tokenizers (not the worker's instances)."""
    from mistral_common.protocol.instruct.validator import ValidationMode
    from mistral_common.tokens.tokenizers.mistral import MistralTokenizer

    from pixel_worker.chat_format import mistral_data_dir

    path = str(mistral_data_dir() / V7)
    return {"train": MistralTokenizer.from_file(path, mode=ValidationMode.finetuning),
            "test": MistralTokenizer.from_file(path, mode=ValidationMode.test)}


def ref_encode(reference, messages, train):
    from mistral_common.protocol.instruct.messages import AssistantMessage, SystemMessage, UserMessage
    from mistral_common.protocol.instruct.request import ChatCompletionRequest

    kinds = {"system": SystemMessage, "user": UserMessage, "assistant": AssistantMessage}
    req = ChatCompletionRequest(messages=[kinds[m["role"]](content=m["content"]) for m in messages])
    return reference["train" if train else "test"].encode_chat_completion(req).tokens


def special(fmt, piece: str) -> int:
    raw = fmt._train.instruct_tokenizer.tokenizer
    return raw.get_special_token(piece)


def labelled_spans(labels: list[int]) -> list[tuple[int, int]]:
    """Maximal runs [start, end) of positions whose label is not IGNORE."""
    spans, start = [], None
    for i, x in enumerate(labels + [IGNORE]):
        if x != IGNORE and start is None:
            start = i
        elif x == IGNORE and start is not None:
            spans.append((start, i))
            start = None
    return spans


def assistant_contents(messages):
    return [m["content"] for m in messages if m["role"] == "assistant"]


@pytest.fixture(scope="module")
def records(valid_records):
    therapist = next(r for r in valid_records if r["persona"] == "therapist" and len(r["messages"]) >= 5)
    client = next(r for r in valid_records if r["persona"] == "client")
    no_system = next(r for r in valid_records if r["messages"][0]["role"] != "system")
    return {"therapist": therapist, "client": client, "no_system": no_system}


CASES = ["therapist", "client", "no_system"]


# ---------------------------------------------------------------- the mask


@pytest.mark.parametrize("case", CASES)
def test_ids_are_mistral_commons_own_encoding(v7_format, reference, records, case):
    msgs = records[case]["messages"]
    enc = v7_format.encode(msgs)
    assert enc.input_ids == ref_encode(reference, msgs, train=True)
    assert len(enc.labels) == len(enc.input_ids)
    assert enc.truncated is False
    assert enc.input_ids[0] == v7_format.bos_id


@pytest.mark.parametrize("case", CASES)
def test_labels_are_exactly_the_assistant_spans(v7_format, reference, records, case):
    msgs = records[case]["messages"]
    enc = v7_format.encode(msgs)
    want = set()
    for k, m in enumerate(msgs):
        if m["role"] != "assistant":
            continue
        start = len(v7_format.encode_prompt(msgs[:k]))
        assert start == len(ref_encode(reference, msgs[:k], train=False))
        end = len(ref_encode(reference, msgs[: k + 1], train=True))
        assert start < end
        want.update(range(start, end))
    got = {i for i, x in enumerate(enc.labels) if x != IGNORE}
    assert got == want
    # A label is the token at its own position (the model shifts internally).
    for i in got:
        assert enc.labels[i] == enc.input_ids[i]


@pytest.mark.parametrize("case", CASES)
def test_each_labelled_span_is_one_reply_ending_with_eos(v7_format, records, case):
    msgs = records[case]["messages"]
    enc = v7_format.encode(msgs)
    spans = labelled_spans(enc.labels)
    replies = assistant_contents(msgs)
    assert len(spans) == len(replies) >= 1
    for (s, e), reply in zip(spans, replies):
        toks = enc.input_ids[s:e]
        assert toks[-1] == v7_format.eos_id, "the end-of-turn token is learned"
        assert v7_format.eos_id not in toks[:-1]
        assert v7_format.decode(toks[:-1]) == reply
        # The reply starts right after the [/INST] that closes the user turn.
        assert enc.input_ids[s - 1] == special(v7_format, "[/INST]")
    # The conversation ends with the last reply's EOS, which is labelled.
    assert spans[-1][1] == len(enc.input_ids)


@pytest.mark.parametrize("case", CASES)
def test_prompt_tokens_are_never_labelled(v7_format, records, case):
    msgs = records[case]["messages"]
    enc = v7_format.encode(msgs)
    ids, labels = enc.input_ids, enc.labels
    controls = {special(v7_format, p) for p in ("[INST]", "[/INST]", "[SYSTEM_PROMPT]", "[/SYSTEM_PROMPT]")}
    controls.add(v7_format.bos_id)
    for i, t in enumerate(ids):
        if t in controls:
            assert labels[i] == IGNORE, f"control token {t} at {i} is labelled"

    def blocks(open_piece, close_piece):
        o, c = special(v7_format, open_piece), special(v7_format, close_piece)
        opens = [i for i, t in enumerate(ids) if t == o]
        closes = [i for i, t in enumerate(ids) if t == c]
        assert len(opens) == len(closes)
        return list(zip(opens, closes))

    users = [m["content"] for m in msgs if m["role"] == "user"]
    inst = blocks("[INST]", "[/INST]")
    assert len(inst) == len(users)
    for (o, c), text in zip(inst, users):
        assert v7_format.decode(ids[o + 1 : c]) == text
        assert all(x == IGNORE for x in labels[o : c + 1]), "a user turn is labelled"
    systems = [m["content"] for m in msgs if m["role"] == "system"]
    sys_blocks = blocks("[SYSTEM_PROMPT]", "[/SYSTEM_PROMPT]")
    assert len(sys_blocks) == len(systems)
    for (o, c), text in zip(sys_blocks, systems):
        assert v7_format.decode(ids[o + 1 : c]) == text
        assert all(x == IGNORE for x in labels[o : c + 1]), "the system prompt is labelled"
    # Structurally: labelled == everything from after each [/INST] through the next EOS.
    want = set()
    for _, c in inst:
        j = c + 1
        while ids[j] != v7_format.eos_id:
            want.add(j)
            j += 1
        want.add(j)
    assert {i for i, x in enumerate(labels) if x != IGNORE} == want


def test_client_persona_trains_the_client_replies(v7_format, records):
    # The assistant plays the client; the system prompt says so and is context only.
    msgs = records["client"]["messages"]
    enc = v7_format.encode(msgs)
    learned = [v7_format.decode(enc.input_ids[s : e - 1]) for s, e in labelled_spans(enc.labels)]
    assert learned == assistant_contents(msgs)
    assert all(m["content"] not in "".join(learned) for m in msgs if m["role"] != "assistant")


# ---------------------------------------------------------------- truncation


def test_truncation_cuts_at_an_assistant_end(v7_format, records):
    msgs = records["therapist"]["messages"]
    full = v7_format.encode(msgs)
    first_end = labelled_spans(full.labels)[0][1]
    assert first_end < len(full.input_ids)
    for max_len in (first_end, first_end + 1, len(full.input_ids) - 1):
        enc = v7_format.encode(msgs, max_len=max_len)
        assert isinstance(enc, Encoded)
        assert enc.truncated is True
        assert len(enc.input_ids) == first_end <= max_len
        assert enc.input_ids == full.input_ids[:first_end]
        assert enc.labels == full.labels[:first_end]
        assert enc.labels[-1] == v7_format.eos_id
        assert len(labelled_spans(enc.labels)) == 1


def test_truncation_keeps_every_reply_that_fits(v7_format, records):
    msgs = records["therapist"]["messages"] + [
        {"role": "user", "content": "Maybe. My parents expect a lot."},
        {"role": "assistant", "content": "That sounds like a heavy weight to carry into an exam room."},
    ]
    full = v7_format.encode(msgs)
    ends = [e for _, e in labelled_spans(full.labels)]
    assert len(ends) == 3 and ends[-1] == len(full.input_ids)
    for max_len, want_end in ((ends[1], ends[1]), (ends[2] - 1, ends[1]), (ends[1] - 1, ends[0])):
        enc = v7_format.encode(msgs, max_len=max_len)
        assert enc.truncated is True
        assert len(enc.input_ids) == want_end, max_len
        assert enc.labels == full.labels[:want_end] and enc.labels[-1] == v7_format.eos_id


def test_no_truncation_when_it_fits(v7_format, records):
    msgs = records["therapist"]["messages"]
    n = len(v7_format.encode(msgs).input_ids)
    for max_len in (n, n + 100, None):
        enc = v7_format.encode(msgs, max_len=max_len)
        assert enc.truncated is False and len(enc.input_ids) == n


def test_too_long_for_the_first_reply_is_none(v7_format, records):
    msgs = records["therapist"]["messages"]
    first_end = labelled_spans(v7_format.encode(msgs).labels)[0][1]
    assert v7_format.encode(msgs, max_len=first_end - 1) is None
    assert v7_format.encode(msgs, max_len=1) is None


# ---------------------------------------------------------------- prompts


def test_encode_prompt_ends_with_the_generation_cue(v7_format, reference, records):
    msgs = records["therapist"]["messages"]
    prompt = v7_format.encode_prompt(msgs[:2])
    assert prompt == ref_encode(reference, msgs[:2], train=False)
    assert prompt[-1] == special(v7_format, "[/INST]")
    # The prompt is the prefix of the training encoding that precedes the reply.
    assert v7_format.encode(msgs[:3]).input_ids[: len(prompt)] == prompt


@pytest.mark.parametrize("bad", ["empty", "assistant_last", "system_only"])
def test_encode_prompt_rejects_a_prompt_not_ending_with_user(v7_format, records, bad):
    msgs = records["therapist"]["messages"]
    prompt = {"empty": [], "assistant_last": msgs[:3], "system_only": msgs[:1]}[bad]
    with pytest.raises(WorkerError) as e:
        v7_format.encode_prompt(prompt)
    assert e.value.fix


# ---------------------------------------------------------------- prefix stability


@pytest.mark.parametrize("breakage", ["train_adds_trailer", "prompt_cue_differs"])
def test_prefix_instability_is_an_error(v7_format, records, monkeypatch, breakage):
    real = v7_format._encode

    def unstable(messages, train):
        ids = real(messages, train)
        if breakage == "train_adds_trailer" and train:
            return ids + [v7_format.pad_id + 7]  # every training encoding ends with an extra token
        if breakage == "prompt_cue_differs" and not train:
            return ids[:-1] + [v7_format.bos_id]  # the generation cue is not what training sees
        return ids

    monkeypatch.setattr(v7_format, "_encode", unstable)
    with pytest.raises(WorkerError) as e:
        v7_format.encode(records["therapist"]["messages"])
    assert "prefix" in e.value.fix or "turn by turn" in str(e.value)


class ToyFormat(ChatFormat):
    """A word-level format with known ids: <s>=1 </s>=2 [INST]=3 [/INST]=4 [SYS]=5;
    a word is its length + 100."""

    name = "toy"
    bos_id, eos_id, pad_id, vocab_size = 1, 2, 0, 200

    def _encode(self, messages, train):
        ids = [1]
        for m in messages:
            words = [100 + len(w) for w in m["content"].split()]
            if m["role"] == "system":
                ids += [5, *words, 5]
            elif m["role"] == "user":
                ids += [3, *words, 4]
            else:
                ids += [*words, 2]
        return ids


def test_generic_mask_on_a_known_format():
    msgs = [{"role": "system", "content": "be kind"}, {"role": "user", "content": "hi there"},
            {"role": "assistant", "content": "hello you"}, {"role": "user", "content": "bye"},
            {"role": "assistant", "content": "ok"}]
    enc = ToyFormat().encode(msgs)
    assert enc.input_ids == [1, 5, 102, 104, 5, 3, 102, 105, 4, 105, 103, 2, 3, 103, 4, 102, 2]
    m = IGNORE
    assert enc.labels == [m, m, m, m, m, m, m, m, m, 105, 103, 2, m, m, m, 102, 2]
    assert ToyFormat().encode(msgs, max_len=16) == Encoded(enc.input_ids[:12], enc.labels[:12], truncated=True)
    assert ToyFormat().encode(msgs, max_len=11) is None
