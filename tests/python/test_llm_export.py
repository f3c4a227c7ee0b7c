"""ember.llm.export: transformers causal LMs with a static KV cache, checked
token for token against transformers' own greedy generate (random weights
from tiny configs; nothing is downloaded)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import transformers

import ember
import ember.llm

_TINY = dict(vocab_size=256, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
             num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128,
             head_dim=16, bos_token_id=1, eos_token_id=None, pad_token_id=0)

_FAMILIES = {
    "llama": transformers.LlamaConfig,
    "qwen2": transformers.Qwen2Config,
    "qwen3": transformers.Qwen3Config,
    "mistral": transformers.MistralConfig,
    "phi3": transformers.Phi3Config,
    "gemma": transformers.GemmaConfig,
    "gpt2": transformers.GPT2Config,
}


def _model(family: str, seed: int = 0, **overrides) -> torch.nn.Module:
    if family == "gpt2":
        kw = dict(vocab_size=256, n_embd=64, n_layer=2, n_head=4, n_positions=128,
                  bos_token_id=1, eos_token_id=None, pad_token_id=0)
    else:
        kw = dict(_TINY)
    kw.update(overrides)
    torch.manual_seed(seed)
    return transformers.AutoModelForCausalLM.from_config(_FAMILIES[family](**kw)).eval()


def _reference(model: torch.nn.Module, prompt: list[int], new: int) -> list[int]:
    with torch.no_grad():
        out = model.generate(torch.tensor([prompt]), max_new_tokens=new, do_sample=False,
                             cache_implementation="dynamic")
    return out[0, len(prompt):].tolist()


@pytest.mark.parametrize("family", sorted(_FAMILIES))
def test_greedy_generation_equals_transformers(family):
    model = _model(family)
    prompt = torch.randint(2, 256, (9,), generator=torch.Generator().manual_seed(1)).tolist()
    want = _reference(model, prompt, 16)
    prog = ember.llm.export(model, max_seq_len=40)
    m = ember.runtime.load(prog.buffer)
    assert ember.llm.generate_tokens(m, prompt, 16) == want
    # The cache starts over at position 0: the same file generates the same again.
    assert ember.llm.generate_tokens(m, prompt, 16) == want
    assert m.run_method("get_model_family") == family
    assert m.run_method("get_max_seq_len") == 40


def test_constant_methods_describe_the_model():
    model = _model("llama", eos_token_id=[2, 7])
    m = ember.runtime.load(ember.llm.export(model, max_seq_len=32).buffer)
    assert m.run_method("get_eos_ids") == [2, 7]
    assert m.run_method("get_bos_id") == 1
    assert m.run_method("get_vocab_size") == 256
    assert m.run_method("get_n_layers") == 2
    assert m.run_method("use_kv_cache") is True
    meta = m.method_meta("forward")
    assert [i["dtype"] for i in meta["inputs"]] == ["int64", "int64"]
    assert meta["outputs"][0]["sizes"] == [1, 256]


def test_prefill_in_chunks_equals_one_prefill():
    # The cache is written at input_pos: a prompt fed in two calls gives the
    # same next-token logits as one call.
    model = _model("qwen3")
    prog = ember.llm.export(model, max_seq_len=32)
    m = ember.runtime.load(prog.buffer)
    # Each layer's K and V caches are written in place (ember::update_cache
    # on the mutable buffer: no index_put copying the cache, nothing copied
    # back).
    updates = [line for line in prog.ir().splitlines() if "edge.update_cache" in line]
    assert len(updates) == 4 and all("edge.in_place" in line for line in updates), updates
    assert "aten::index_put.out" not in m.method_meta("forward")["operators"]
    prompt = np.arange(3, 15, dtype=np.int64)[None]
    whole = m.forward(prompt, np.arange(12, dtype=np.int64))
    m.forward(prompt[:, :5], np.arange(5, dtype=np.int64))
    split = m.forward(prompt[:, 5:], np.arange(5, 12, dtype=np.int64))
    np.testing.assert_allclose(split, whole, rtol=1e-5, atol=1e-5)
    with torch.no_grad():
        eager = model(torch.from_numpy(prompt)).logits[:, -1].numpy()
    np.testing.assert_allclose(whole, eager, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("mode", ["8da4w", "int8", "int4-weight-only"])
def test_quantized_export_runs_the_quantized_model(mode):
    model = _model("llama", seed=3)
    prompt = torch.randint(2, 256, (1, 10), generator=torch.Generator().manual_seed(2))
    prog = ember.llm.export(model, max_seq_len=32, quantize=mode)
    # The linears and the embedding table were quantized in place (torchao):
    # the eager model is now the quantized reference.
    with torch.no_grad():
        want = model(prompt).logits[:, -1].numpy()
    m = ember.runtime.load(prog.buffer)
    got = m.forward(prompt.numpy(), np.arange(10, dtype=np.int64))
    scale = float(np.abs(want).max())
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-4 * scale)
    # The table stays 4-bit (8-bit) and only looked-up rows are dequantized.
    ops = m.method_meta("forward")["operators"]
    table = "embedding_byte" if mode == "int8" else "embedding_4bit"
    assert any(table in op for op in ops), ops
    # Every linear folded whole, the per-token activation quantization with
    # it (through the dynamic-length view before each linear): no torchao
    # op is left to run on its own.
    assert not any(op.startswith("torchao::") for op in ops), ops
    float_size = len(ember.llm.export(_model("llama", seed=3), max_seq_len=32).buffer)
    assert len(prog.buffer) < 0.5 * float_size


@pytest.mark.parametrize("scale_dtype", ["float32", "bfloat16"])
def test_scale_dtype_is_what_the_file_stores(scale_dtype):
    # The default stores the linears' weight scales as float16 (torchao's
    # weight_scale_dtype: the eager model computes with the same scales);
    # float32 keeps torchao's default, bfloat16 is ExecuTorch's choice. Each
    # matches its own eager model; 16-bit scales take 2 bytes a group.
    prompt = torch.randint(2, 256, (1, 10), generator=torch.Generator().manual_seed(4))
    sizes = {}
    for dtype in (scale_dtype, "float16"):
        model = _model("llama", seed=5)
        prog = ember.llm.export(model, max_seq_len=32, quantize="8da4w",
                                quantize_embeddings=False, scale_dtype=dtype)
        with torch.no_grad():
            want = model(prompt).logits[:, -1].numpy()
        got = ember.runtime.load(prog.buffer).forward(prompt.numpy(),
                                                      np.arange(10, dtype=np.int64))
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-4 * float(np.abs(want).max()))
        ir = prog.ir()
        assert ("xf16>, none" in ir) == (dtype == "float16"), dtype
        sizes[dtype] = len(prog.buffer)
    # One scale per 32 inputs: 2 layers x (q, o [64, 64]; k, v [32, 64]; gate,
    # up [128, 64]; down [64, 128]) + lm_head [256, 64].
    groups = 2 * (2 * 64 * 64 + 2 * 32 * 64 + 3 * 128 * 64) // 32 + 256 * 64 // 32
    expect = 2 * groups if scale_dtype == "float32" else 0
    assert abs(sizes[scale_dtype] - sizes["float16"] - expect) <= 256, (sizes, expect)


def test_bad_input_is_a_clear_error():
    model = _model("llama")
    with pytest.raises(ValueError, match=r"max_seq_len 500 exceeds the model's 128 positions"):
        ember.llm.export(model, max_seq_len=500)
    with pytest.raises(ValueError, match=r"scale_dtype='int8' is not one of"):
        ember.llm.export(_model("llama"), max_seq_len=16, quantize="8da4w", scale_dtype="int8")
    with pytest.raises(ValueError, match=r"quantize='int3' is not one of"):
        ember.llm.export(model, max_seq_len=16, quantize="int3")
    with pytest.raises(ValueError, match=r"quantize_embeddings needs a quantize mode"):
        ember.llm.export(model, max_seq_len=16, quantize_embeddings=True)
    with pytest.raises(TypeError, match=r"takes a transformers causal LM"):
        ember.llm.export(torch.nn.Linear(4, 4), max_seq_len=16)
    m = ember.runtime.load(ember.llm.export(model, max_seq_len=16).buffer)
    with pytest.raises(ValueError, match=r"do not fit the cache of 16 positions"):
        ember.llm.generate_tokens(m, list(range(2, 12)), 10)
    # The runtime itself refuses more tokens than the cache holds.
    with pytest.raises(Exception, match=r"input 0"):
        m.forward(np.zeros((1, 17), dtype=np.int64), np.arange(17, dtype=np.int64))
