"""The C++ LLM runner (runtime/extension/llm/runner.h) from Python: an
`ember.llm.export` program plus a tokenizer file, generating text.

    from ember.llm import Runner
    r = Runner("model.pte", "tokenizer.json")
    out = r.generate("Once upon a time", max_new_tokens=32)            # greedy
    print(out.text, out.tokens, out.stats["decode_tokens_per_s"])
    r.generate("Hi", max_new_tokens=32, temperature=0.8, top_p=0.9, seed=7,
               on_text=lambda s: print(s, end="", flush=True))       # streams

Everything runs in C++ (tokenizer, forward calls, sampling) without the GIL;
only `on_text` comes back to Python. Errors raise
ember.errors.EmberRuntimeError ("InvalidArgument: not an LLM export: ...").
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import _C
from ..runtime import tool_path


def runner_path() -> Path:
    """The installed `ember_llm` command-line tool."""
    return tool_path("ember_llm")


@dataclass
class Generation:
    """What `Runner.generate` returns."""

    text: str                # the generated text (the stop token's excluded)
    tokens: list[int]        # the generated ids (a stop token included)
    prompt_tokens: list[int]  # the prompt's ids as fed (bos included)
    # load_ms, time_to_first_token_ms, prefill_ms, decode_ms, prefill_tokens_per_s,
    # decode_tokens_per_s, prompt_tokens, generated_tokens, peak_rss_kib, stop_reason
    # ("max_new_tokens", "stop token" or "cache full")
    stats: dict[str, Any] = field(default_factory=dict)


class Runner:
    """An `ember.llm.export` .pte with its tokenizer (tokenizer.json, tiktoken
    or SentencePiece model). Load errors: a missing or corrupt file, a
    program that is not an LLM export, a tokenizer vocabulary larger than
    the model's. `tokenizer_options` go to the tokenizer loader (tiktoken's
    `pattern`, `special_tokens`, and `bos_id` / `eos_id` overrides)."""

    def __init__(self, pte_path: str | os.PathLike, tokenizer_path: str | os.PathLike,
                 **tokenizer_options: Any):
        self._native = _C.llm.Runner.load(os.fspath(pte_path), os.fspath(tokenizer_path),
                                          **tokenizer_options)

    def generate(self, prompt: str | Sequence[int], max_new_tokens: int = 128, *,
                 temperature: float = 0.0, top_k: int = 0, top_p: float = 1.0,
                 repetition_penalty: float = 1.0, seed: int = 0,
                 stop: Sequence[int] | None = None, echo: bool = False,
                 bos: bool | None = None,
                 on_text: Callable[[str], Any] | None = None) -> Generation:
        """Generate up to `max_new_tokens` after `prompt` (text, or token ids
        taken as they are). temperature 0 is greedy; `stop` defaults to the
        model's eos ids; `bos` None adds the model's bos id when it has one
        (text prompts only); `echo` streams the prompt's text to `on_text`
        first. The cache starts over at every call."""
        if isinstance(max_new_tokens, bool) or not isinstance(max_new_tokens, int):
            raise TypeError(f"max_new_tokens must be an int, not {type(max_new_tokens).__name__}")
        if not isinstance(prompt, str):
            prompt = [int(t) for t in prompt]
        out = self._native.generate(
            prompt, max_new_tokens=max_new_tokens, temperature=float(temperature),
            top_k=int(top_k), top_p=float(top_p), repetition_penalty=float(repetition_penalty),
            seed=int(seed), stop_ids=[int(s) for s in (stop or [])], echo=bool(echo),
            bos=-1 if bos is None else int(bool(bos)), on_text=on_text)
        return Generation(text=out["text"], tokens=list(out["tokens"]),
                          prompt_tokens=list(out["prompt_tokens"]), stats=dict(out["stats"]))

    @property
    def max_seq_len(self) -> int:
        """Positions of the KV cache: prompt and generated tokens together
        (the program's get_max_seq_len)."""
        return self._native.max_seq_len

    @property
    def vocab_size(self) -> int:
        """Logits per token (the program's get_vocab_size)."""
        return self._native.vocab_size

    @property
    def bos_id(self) -> int:
        """The program's beginning-of-sequence id (get_bos_id), -1 when it
        has none."""
        return self._native.bos_id

    @property
    def eos_ids(self) -> list[int]:
        """The program's end-of-sequence ids (get_eos_ids), where generation
        stops unless `stop` is given; empty when it names none (generation
        then stops at the tokenizer's eos)."""
        return list(self._native.eos_ids)

    @property
    def model_family(self) -> str:
        """The model's family as the export recorded it (get_model_family,
        e.g. "llama"), "" when the program does not say."""
        return self._native.model_family

    @property
    def load_ms(self) -> float:
        """Milliseconds the load took: program, tokenizer and forward."""
        return self._native.load_ms
