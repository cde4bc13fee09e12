"""The base model's own chat format, and the loss mask over it.

Mistral models are formatted by mistral-common, Mistral's reference
tokenizer, so the tiny default (a v7 instruct tokenizer shipped inside the
package) and Mistral Small 3.1 (tekken, v7) go through the same code. Other
models use their Hugging Face chat template.

Masking works the same for both: the tokens an assistant turn adds are the
difference between the encoding of the conversation up to that turn and the
encoding of the prompt before it (which ends with the generation cue). Those
tokens -- the reply and its end-of-turn token -- carry labels; everything
else is -100. The prefix property this needs is checked, never assumed.
"""

import os
from dataclasses import dataclass
from pathlib import Path

from .errors import WorkerError

IGNORE = -100


@dataclass
class Encoded:
    input_ids: list[int]
    labels: list[int]
    truncated: bool = False


class ChatFormat:
    """Encodes messages ({"role", "content"} dicts) into token ids."""

    name = "base"
    bos_id: int
    eos_id: int
    pad_id: int
    vocab_size: int

    def _encode(self, messages: list[dict[str, str]], train: bool) -> list[int]:
        raise NotImplementedError

    def decode(self, ids: list[int]) -> str:
        raise NotImplementedError

    def encode_prompt(self, messages: list[dict[str, str]]) -> list[int]:
        """Tokens up to and including the cue for the assistant's next turn."""
        if not messages or messages[-1]["role"] != "user":
            raise WorkerError("a generation prompt must end with a user turn", "end each eval prompt with a user message")
        return self._encode(messages, train=False)

    def encode(self, messages: list[dict[str, str]], max_len: int | None = None) -> Encoded:
        """Token ids and labels for a training conversation ending with the assistant.

        If it is longer than max_len, it is cut after the last assistant turn
        that fits; None is returned when not even the first one fits.
        """
        ids = self._encode(messages, train=True)
        labels = [IGNORE] * len(ids)
        ends = []
        for k, m in enumerate(messages):
            if m["role"] != "assistant":
                continue
            prompt = self._encode(messages[:k], train=False)
            full = self._encode(messages[: k + 1], train=True)
            if full[: len(prompt)] != prompt or ids[: len(full)] != full:
                raise WorkerError(
                    f"the {self.name} chat format does not extend a conversation turn by turn, so assistant tokens cannot be located",
                    "use a model whose chat format is prefix-stable (Mistral v7 / tekken, or a standard HF template)",
                )
            labels[len(prompt) : len(full)] = full[len(prompt) :]
            ends.append(len(full))
        if max_len is None or len(ids) <= max_len:
            return Encoded(ids, labels)
        fitting = [e for e in ends if e <= max_len]
        if not fitting:
            return None  # type: ignore[return-value]
        cut = fitting[-1]
        return Encoded(ids[:cut], labels[:cut], truncated=True)


class MistralFormat(ChatFormat):
    """Mistral's instruct format through mistral-common."""

    name = "mistral"

    def __init__(self, path: str) -> None:
        from mistral_common.protocol.instruct.validator import ValidationMode
        from mistral_common.tokens.tokenizers.mistral import MistralTokenizer

        self.path = path
        self._train = MistralTokenizer.from_file(path, mode=ValidationMode.finetuning)
        self._test = MistralTokenizer.from_file(path, mode=ValidationMode.test)
        raw = self._train.instruct_tokenizer.tokenizer
        self.bos_id, self.eos_id, self.vocab_size = raw.bos_id, raw.eos_id, raw.n_words
        self.pad_id = raw.pad_id if raw.pad_id >= 0 else self.eos_id
        self.version = str(raw.version.value) if hasattr(raw, "version") else ""

    def _encode(self, messages: list[dict[str, str]], train: bool) -> list[int]:
        from mistral_common.protocol.instruct.messages import AssistantMessage, SystemMessage, UserMessage
        from mistral_common.protocol.instruct.request import ChatCompletionRequest

        kinds = {"system": SystemMessage, "user": UserMessage, "assistant": AssistantMessage}
        request = ChatCompletionRequest(messages=[kinds[m["role"]](content=m["content"]) for m in messages])
        tok = self._train if train else self._test
        return tok.encode_chat_completion(request).tokens

    def decode(self, ids: list[int]) -> str:
        return self._train.decode(ids)


class HFTemplateFormat(ChatFormat):
    """Any model with a Hugging Face chat template."""

    name = "hf-template"

    def __init__(self, tokenizer) -> None:  # a transformers tokenizer
        if not getattr(tokenizer, "chat_template", None):
            raise WorkerError("the model's tokenizer has no chat template", "set model.tokenizer to a mistral-common tokenizer file, or use an instruct model")
        self.tok = tokenizer
        self.bos_id = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else -1
        self.eos_id = tokenizer.eos_token_id
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else self.eos_id
        self.vocab_size = len(tokenizer)

    def _encode(self, messages: list[dict[str, str]], train: bool) -> list[int]:
        out = self.tok.apply_chat_template(messages, tokenize=True, add_generation_prompt=not train, return_dict=False)
        return list(out["input_ids"] if isinstance(out, dict) else out)

    def decode(self, ids: list[int]) -> str:
        return self.tok.decode(ids, skip_special_tokens=True)


def mistral_data_dir() -> Path:
    import mistral_common

    return Path(os.path.dirname(mistral_common.__file__)) / "data"


def resolve_tokenizer_file(name: str, model_dir: str | None) -> str | None:
    """A mistral-common tokenizer file: a path, a file shipped in the package,
    or one found in the model folder (tekken.json, tokenizer.model.v*)."""
    if name:
        for cand in (Path(name), mistral_data_dir() / name):
            if cand.is_file():
                return str(cand)
        raise WorkerError(
            f"tokenizer {name!r} is neither a file nor one shipped in mistral-common",
            f"use a path, or one of {sorted(p.name for p in mistral_data_dir().iterdir())}",
        )
    if model_dir and Path(model_dir).is_dir():
        for pattern in ("tekken.json", "tokenizer.model.v*"):
            found = sorted(Path(model_dir).glob(pattern))
            if found:
                return str(found[-1])
    return None


def load_format(tokenizer: str, base: str, local_dir: str | None) -> ChatFormat:
    """The chat format for a model: mistral-common when a Mistral tokenizer
    file is named or found, else the model's HF chat template."""
    path = resolve_tokenizer_file(tokenizer, local_dir)
    if path:
        return MistralFormat(path)
    if not (local_dir and Path(local_dir).is_dir()):
        try:  # a hub model that ships a Mistral tokenizer (needs the network)
            from mistral_common.tokens.tokenizers.mistral import MistralTokenizer  # noqa: F401
            from huggingface_hub import list_repo_files, hf_hub_download

            files = list_repo_files(base)
            for want in ["tekken.json"] + sorted(f for f in files if f.startswith("tokenizer.model.v")):
                if want in files:
                    return MistralFormat(hf_hub_download(base, want))
        except Exception:  # noqa: BLE001 - fall back to the HF template below
            pass
    from transformers import AutoTokenizer

    return HFTemplateFormat(AutoTokenizer.from_pretrained(local_dir or base))
