"""The C++ LLM runner (ember.llm.Runner, the ember_llm tool, `ember llm`) on a
tiny random-weight Llama exported with ember.llm.export and a byte-level BPE
tokenizer trained here (nothing is downloaded): greedy generation equal to
ember.llm.generate_tokens and transformers' generate, text equal to the HF
tokenizer's decode, seeded sampling, stop tokens, a full cache, and clear
errors for bad inputs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import ember
import ember.llm
from ember.errors import EmberRuntimeError

tokenizers = pytest.importorskip("tokenizers")
transformers = pytest.importorskip("transformers")
if not hasattr(ember._C, "llm"):
    pytest.skip("built without the LLM tokenizers (libpcre2-dev)", allow_module_level=True)

MAX_SEQ_LEN = 48
PROMPT = "the quick brown fox jumps"


def _train_tokenizer(path: Path, vocab_size: int) -> object:
    """Byte-level BPE (GPT-2's pre-tokenizer) with <s> = 0 and </s> = 1."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=["<s>", "</s>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    words = ("the quick brown fox jumps over the lazy dog while a tiny model "
             "learns nothing at all from random weights").split()
    text = [" ".join(words[i:] + words[:i]) for i in range(len(words))] * 10
    tok.train_from_iterator(text, trainer=trainer)
    tok.save(str(path))
    return tok


def _llama(vocab_size: int) -> torch.nn.Module:
    config = transformers.LlamaConfig(
        vocab_size=vocab_size, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128, head_dim=16,
        bos_token_id=0, eos_token_id=1, pad_token_id=1)
    torch.manual_seed(0)
    return transformers.AutoModelForCausalLM.from_config(config).eval()


def _hf_generate(model, ids: list[int], new: int, **kw) -> list[int]:
    with torch.no_grad():
        out = model.generate(torch.tensor([ids]), max_new_tokens=new, do_sample=False,
                             cache_implementation="dynamic", **kw)
    return out[0, len(ids):].tolist()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("llm_runner")
    tok = _train_tokenizer(d / "tokenizer.json", 320)
    model = _llama(tok.get_vocab_size())
    ember.llm.export(model, max_seq_len=MAX_SEQ_LEN).save(str(d / "model.pte"))
    return {"dir": d, "pte": d / "model.pte", "tokenizer": d / "tokenizer.json", "tok": tok,
            "model": model}


@pytest.fixture(scope="module")
def runner(files):
    return ember.llm.Runner(files["pte"], files["tokenizer"])


@pytest.fixture(scope="module")
def greedy(files, runner):
    return runner.generate(PROMPT, max_new_tokens=16)


def test_load_reads_the_constant_methods(files, runner):
    assert runner.max_seq_len == MAX_SEQ_LEN
    assert runner.vocab_size == files["tok"].get_vocab_size()
    assert runner.bos_id == 0
    assert runner.eos_ids == [1]
    assert runner.model_family == "llama"
    assert runner.load_ms > 0


def test_greedy_equals_generate_tokens_and_transformers(files, greedy):
    ids = [0] + files["tok"].encode(PROMPT).ids
    assert greedy.prompt_tokens == ids
    assert len(greedy.tokens) == 16
    assert greedy.tokens == _hf_generate(files["model"], ids, 16)
    m = ember.runtime.load(str(files["pte"]))
    assert greedy.tokens == ember.llm.generate_tokens(m, ids, 16)
    assert 1 not in greedy.tokens  # no eos: the text is every token's
    assert greedy.text == files["tok"].decode(greedy.tokens, skip_special_tokens=False)
    s = greedy.stats
    assert s["prompt_tokens"] == len(ids) and s["generated_tokens"] == 16
    assert s["stop_reason"] == "max_new_tokens"
    assert s["prefill_tokens_per_s"] > 0 and s["decode_tokens_per_s"] > 0
    assert 0 < s["time_to_first_token_ms"] and s["load_ms"] > 0
    assert s["peak_rss_kib"] > 0


def test_generation_starts_over_and_takes_token_ids(runner, greedy):
    again = runner.generate(PROMPT, max_new_tokens=16)
    assert again.tokens == greedy.tokens
    from_ids = runner.generate(greedy.prompt_tokens, max_new_tokens=16)
    assert from_ids.tokens == greedy.tokens and from_ids.text == greedy.text
    none = runner.generate(PROMPT, max_new_tokens=0)
    assert none.tokens == [] and none.text == "" and none.prompt_tokens == greedy.prompt_tokens


def test_streaming_joins_into_the_text(files, runner, greedy):
    chunks: list[str] = []
    out = runner.generate(PROMPT, max_new_tokens=16, on_text=chunks.append)
    assert "".join(chunks) == out.text == greedy.text
    chunks.clear()
    runner.generate(PROMPT, max_new_tokens=16, echo=True, on_text=chunks.append)
    assert "".join(chunks) == PROMPT + greedy.text  # bos is special: not echoed


def test_a_callback_error_is_raised(runner):
    def boom(text):
        raise KeyError("from the callback")

    with pytest.raises(KeyError, match="from the callback"):
        runner.generate(PROMPT, max_new_tokens=4, on_text=boom)


def test_stop_token_ends_generation(files, runner, greedy):
    # The first token that did not appear before it, as the stop token.
    k = next(i for i in range(1, 16) if greedy.tokens[i] not in greedy.tokens[:i])
    out = runner.generate(PROMPT, max_new_tokens=16, stop=[greedy.tokens[k]])
    assert out.tokens == greedy.tokens[:k + 1]
    assert out.stats["stop_reason"] == "stop token"
    assert out.text == files["tok"].decode(greedy.tokens[:k])


def test_generation_stops_when_the_cache_is_full(files, runner):
    ids = [0] + [files["tok"].token_to_id("the")] * 41  # 42 of 48 positions
    out = runner.generate(ids, max_new_tokens=20)
    assert out.stats["stop_reason"] == "cache full"
    # The token of the last position's logits comes too: 48 - 42 + 1.
    assert out.tokens == _hf_generate(files["model"], ids, 7)


def test_repetition_penalty_equals_transformers(files, runner):
    ids = [0] + files["tok"].encode(PROMPT).ids
    out = runner.generate(PROMPT, max_new_tokens=12, repetition_penalty=1.5)
    assert out.tokens == _hf_generate(files["model"], ids, 12, repetition_penalty=1.5)


def test_seeded_sampling_reproduces_and_differs_from_greedy(runner, greedy):
    a = runner.generate(PROMPT, max_new_tokens=16, temperature=1.0, seed=5)
    b = runner.generate(PROMPT, max_new_tokens=16, temperature=1.0, seed=5)
    c = runner.generate(PROMPT, max_new_tokens=16, temperature=1.0, seed=6)
    assert a.tokens == b.tokens and a.text == b.text
    assert a.tokens != greedy.tokens
    assert a.tokens != c.tokens
    # top_k=1 keeps only the argmax: greedy whatever the temperature and seed.
    k1 = runner.generate(PROMPT, max_new_tokens=16, temperature=1.5, top_k=1, seed=9)
    assert k1.tokens == greedy.tokens
    p = runner.generate(PROMPT, max_new_tokens=16, temperature=0.7, top_k=40, top_p=0.9,
                        seed=5)
    assert p.tokens == runner.generate(PROMPT, max_new_tokens=16, temperature=0.7, top_k=40,
                                       top_p=0.9, seed=5).tokens


def _tool() -> str:
    path = ember.llm.runner.runner_path()
    assert path.is_file(), f"ember_llm is not installed ({path})"
    return str(path)


def test_cli_prints_the_text_and_a_stats_line(files, greedy):
    args = [str(files["pte"]), "--tokenizer", str(files["tokenizer"]), "--prompt", PROMPT,
            "--max-new-tokens", "16", "--threads", "1"]
    out = subprocess.run([_tool(), *args], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    text, stats = out.stdout.rstrip("\n").rsplit("\n", 1)
    assert text == greedy.text
    assert "generated 16 (max_new_tokens)" in stats and "decode" in stats and "tok/s" in stats
    assert "peak RSS" in stats
    # `ember llm` forwards to it.
    env = dict(os.environ, PATH=os.path.dirname(_tool()) + os.pathsep + os.environ["PATH"])
    via = subprocess.run([sys.executable, "-m", "ember", "llm", *args], capture_output=True,
                         text=True, timeout=120, env=env)
    assert via.returncode == 0, via.stderr
    assert via.stdout.rstrip("\n").rsplit("\n", 1)[0] == greedy.text


def test_cli_sampling_and_errors(files):
    base = [_tool(), str(files["pte"]), "--tokenizer", str(files["tokenizer"]), "--prompt",
            PROMPT, "--max-new-tokens", "8"]
    runs = [subprocess.run(base + ["--temperature", "1", "--seed", "3"], capture_output=True,
                           text=True, timeout=120) for _ in range(2)]
    assert runs[0].returncode == 0, runs[0].stderr
    assert runs[0].stdout.split("\n")[0] == runs[1].stdout.split("\n")[0]
    bad = subprocess.run(base + ["--top-p", "1.5"], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1 and "top_p 1.5 must be in (0, 1]" in bad.stderr
    missing = subprocess.run(base[:2] + ["--prompt", "x"], capture_output=True, text=True)
    assert missing.returncode == 1 and "no --tokenizer given" in missing.stderr


def test_prompt_longer_than_the_cache_is_refused(runner):
    with pytest.raises(EmberRuntimeError, match=r"prompt's \d+ tokens do not fit the cache of "
                                                r"48 positions \(max_seq_len\)") as e:
        runner.generate("the quick brown fox " * 20, max_new_tokens=4)
    assert e.value.code == "InvalidArgument"
    with pytest.raises(EmberRuntimeError, match="prompt is empty"):
        runner.generate("", max_new_tokens=4, bos=False)


def test_missing_and_corrupt_tokenizers_are_refused(files, tmp_path):
    with pytest.raises(EmberRuntimeError, match="cannot load tokenizer .*nope.json") as e:
        ember.llm.Runner(files["pte"], tmp_path / "nope.json")
    assert e.value.code == "NotFound"
    bad = tmp_path / "corrupt.json"
    bad.write_text('{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [')
    with pytest.raises(EmberRuntimeError, match="cannot load tokenizer .*corrupt.json") as e:
        ember.llm.Runner(files["pte"], bad)
    assert e.value.code == "InvalidArgument"


def test_tokenizer_larger_than_the_model_is_refused(files, tmp_path):
    big = tmp_path / "big.json"
    n = _train_tokenizer(big, 400).get_vocab_size()
    assert n > files["tok"].get_vocab_size()
    with pytest.raises(EmberRuntimeError, match=rf"vocabulary .*big.json: {n} tokens\) is larger "
                                                rf"than the model's .*get_vocab_size 3\d\d"):
        ember.llm.Runner(files["pte"], big)


def test_a_program_that_is_not_an_llm_export_is_refused(files, tmp_path):
    mlp = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    ep = torch.export.export(mlp.eval(), (torch.randn(1, 4),))
    path = tmp_path / "mlp.pte"
    ember.to_edge(ep).to_executorch().save(str(path))
    with pytest.raises(EmberRuntimeError, match="not an LLM export: .*mlp.pte has no method "
                                                "'get_max_seq_len'") as e:
        ember.llm.Runner(path, files["tokenizer"])
    assert e.value.code == "InvalidArgument"
    with pytest.raises(EmberRuntimeError, match="missing.pte"):
        ember.llm.Runner(tmp_path / "missing.pte", files["tokenizer"])
