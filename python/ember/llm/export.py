"""A transformers causal LM as one .pte with a static KV cache.

The program has one method, `forward(tokens, input_pos)`:

    tokens     int64 [1, T], 1 <= T <= max_seq_len (dynamic)
    input_pos  int64 [T], the positions of the tokens in the cache
               (arange(start, start + T))
    returns    float32 [1, vocab]: the logits of the last token

which serves prefill (T prompt tokens at positions 0 .. T-1) and decode (one
token at its position). The KV cache is the program's mutable buffers, so
state persists between calls of one loaded program; a call at position 0
starts a new sequence. Constant methods describe the model: get_max_seq_len,
get_max_context_len, get_vocab_size, get_n_layers, get_bos_id, get_eos_ids,
get_model_family, use_kv_cache, enable_dynamic_shape.

The cache itself is transformers' own StaticCache (the recipe of its
`TorchExportableModuleForDecoderOnlyLM`), so every family transformers can
export that way works; tested: Llama, Qwen2, Qwen3, Mistral, Phi-3, Gemma
and GPT-2.
"""

from __future__ import annotations

from typing import Any, Sequence

import torch

# quantize= modes: torchao configs applied to the model's linear layers before
# export, folded by Ember's quantizer passes into its low-bit kernels.
QUANTIZE_MODES = {
    "8da4w": "int8 activations quantized per token at run time, int4 weights per group "
             "(ExecuTorch's LLM recipe)",
    "8da8w": "int8 activations per token, int8 weights per output channel",
    "int8": "the same as 8da8w",
    "int4-weight-only": "int4 weights per group, float activations",
    "int8-weight-only": "int8 weights per output channel, float activations",
}


# scale_dtype= choices: the dtype the linears' weight scales are stored in
# (torchao's weight_scale_dtype; the eager model then computes with them too).
SCALE_DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}


def _quantize(model: torch.nn.Module, mode: str, group_size: int,
              scale_dtype: torch.dtype = torch.float32) -> int:
    """Quantize `model`'s linear layers in place with torchao (as torchao's
    quantize_ does), their weight scales stored as `scale_dtype`; returns how
    many were quantized. Per-group modes take the linears whose in_features
    group_size divides; the others stay float, as in ExecuTorch's recipe."""
    from torchao.quantization import (Int8DynamicActivationIntxWeightConfig,
                                      IntxWeightOnlyConfig)
    from torchao.quantization.granularity import PerAxis, PerGroup

    int4 = mode in ("8da4w", "int4-weight-only")
    granularity = PerGroup(group_size) if int4 else PerAxis(0)
    dtype = torch.int4 if int4 else torch.int8
    if mode in ("8da4w", "8da8w", "int8"):
        config = Int8DynamicActivationIntxWeightConfig(weight_dtype=dtype,
                                                       weight_granularity=granularity,
                                                       weight_scale_dtype=scale_dtype)
    else:
        config = IntxWeightOnlyConfig(weight_dtype=dtype, granularity=granularity,
                                      scale_dtype=scale_dtype)

    def takes(m: torch.nn.Module, fqn: str) -> bool:
        return isinstance(m, torch.nn.Linear) and (not int4 or m.in_features % group_size == 0)

    return _quantize_where(model, config, takes)


def _quantize_where(model: torch.nn.Module, config: Any, takes: Any) -> int:
    """torchao's quantize_ of `config` on the modules `takes(module, name)`
    accepts; how many those are (quantize_ is not called for none)."""
    from torchao.quantization import quantize_

    count = sum(1 for name, m in model.named_modules() if takes(m, name))
    if count:
        quantize_(model, config, filter_fn=takes)
    return count


def _quantize_embeddings(model: torch.nn.Module, bits: int, group_size: int) -> int:
    """Quantize `model`'s embedding tables in place, weight-only (torchao's
    IntxWeightOnlyConfig, which Ember folds into ExecuTorch's embedding_4bit
    / embedding_byte: only the looked-up rows are dequantized): int4 per group
    along the embedding dim, or int8 per row. A table whose dim the group
    does not divide stays float. Returns how many were quantized."""
    from torchao.quantization import IntxWeightOnlyConfig
    from torchao.quantization.granularity import PerAxis, PerGroup

    int4 = bits == 4
    config = IntxWeightOnlyConfig(weight_dtype=torch.int4 if int4 else torch.int8,
                                  granularity=PerGroup(group_size) if int4 else PerAxis(0))

    def takes(m: torch.nn.Module, fqn: str) -> bool:
        return isinstance(m, torch.nn.Embedding) and (not int4 or m.embedding_dim % group_size == 0)

    return _quantize_where(model, config, takes)


class _StaticCacheLM(torch.nn.Module):
    """forward(tokens, input_pos) -> the last token's logits, over
    transformers' StaticCache registered as buffers (the exportable module
    of transformers.integrations.executorch, called with logits_to_keep=1:
    prefill computes the output projection for the last token only)."""

    def __init__(self, model: torch.nn.Module, max_seq_len: int):
        super().__init__()
        from transformers.integrations.executorch import TorchExportableModuleForDecoderOnlyLM
        # Its inner module holds the model and the cache (StaticCache, or the
        # hybrid one for sliding-window configs) as registered buffers.
        self.inner = TorchExportableModuleForDecoderOnlyLM(
            model, batch_size=1, max_cache_len=max_seq_len).model
        cache = getattr(self.inner, "static_cache", None)
        self.cache = cache if cache is not None else self.inner.cache

    def forward(self, tokens: torch.Tensor, input_pos: torch.Tensor) -> torch.Tensor:
        # The cache's lengths follow the call's start (a call at 0 starts over).
        for layer in self.cache.layers:
            layer.cumulative_length.copy_(input_pos[0])
        out = self.inner.model(input_ids=tokens, attention_mask=None,
                               past_key_values=self.cache, use_cache=True,
                               cache_position=input_pos, logits_to_keep=1)
        return out.logits[:, -1, :]


def _eos_ids(config: Any) -> list[int]:
    eos = getattr(config, "eos_token_id", None)
    if eos is None:
        return []
    return [int(e) for e in (eos if isinstance(eos, (list, tuple)) else [eos])]


def _max_positions(config: Any) -> int | None:
    for name in ("max_position_embeddings", "n_positions"):
        n = getattr(config, name, None)
        if isinstance(n, int):
            return n
    return None


def export(model: torch.nn.Module, *, max_seq_len: int, quantize: str | None = None,
           group_size: int = 32, quantize_embeddings: bool | None = None,
           scale_dtype: str = "float16", partitioner: Any = None) -> Any:
    """Export a transformers causal LM (`AutoModelForCausalLM`) with a static
    KV cache of `max_seq_len` positions; returns the program manager
    (`.save(path)`, `.buffer`).

    quantize: None, or one of QUANTIZE_MODES ("8da4w", "int8", ...); it
    replaces the model's linear weights in place, as torchao's quantize_
    does. group_size: the int4 modes' group along in_features (32, 64, 128).
    quantize_embeddings: also quantize the embedding tables weight-only (int4
    per group for the int4 modes, int8 per row for the int8 ones), as
    ExecuTorch's LLM recipe does (-E 4,32); default: when quantize is given.
    scale_dtype: what the quantized linears' weight scales are stored in,
    "float16" (default: half the bytes of float32 scales, one sixth of an
    int4 weight's file size and of what a decode step reads; ExecuTorch's
    XNNPACK blobs store bfloat16), "bfloat16" or "float32" (torchao's own
    default). It is torchao's weight_scale_dtype: the quantized eager model
    computes with the same scales, so Ember's results still match it.
    partitioner: as ember.to_edge_transform_and_lower takes it.
    """
    config = getattr(model, "config", None)
    if not isinstance(model, torch.nn.Module) or config is None:
        raise TypeError(f"ember.llm.export takes a transformers causal LM (a model with a "
                        f".config), not {type(model).__name__}")
    if not isinstance(max_seq_len, int) or isinstance(max_seq_len, bool) or max_seq_len < 2:
        raise ValueError(f"max_seq_len must be an int >= 2, got {max_seq_len!r}")
    text = config.get_text_config() if hasattr(config, "get_text_config") else config
    limit = _max_positions(text)
    if limit is not None and max_seq_len > limit:
        raise ValueError(f"max_seq_len {max_seq_len} exceeds the model's {limit} positions "
                         f"({type(config).__name__}.max_position_embeddings)")
    if quantize is not None and quantize not in QUANTIZE_MODES:
        raise ValueError(f"quantize={quantize!r} is not one of: "
                         + ", ".join(sorted(QUANTIZE_MODES)))
    if scale_dtype not in SCALE_DTYPES:
        raise ValueError(f"scale_dtype={scale_dtype!r} is not one of: "
                         + ", ".join(sorted(SCALE_DTYPES)))
    if group_size not in (32, 64, 128, 256):
        raise ValueError(f"group_size must be 32, 64, 128 or 256, got {group_size}")

    import ember
    from transformers import GenerationConfig

    if quantize_embeddings and quantize is None:
        raise ValueError("quantize_embeddings needs a quantize mode (its bits: 4 or 8)")
    model.eval()
    if quantize is not None and _quantize(model, quantize, group_size,
                                          SCALE_DTYPES[scale_dtype]) == 0:
        raise ValueError(f"quantize={quantize!r}: no linear layer of the model can be quantized "
                         f"(in_features not a multiple of group_size={group_size})")
    if quantize is not None and quantize_embeddings is not False:
        _quantize_embeddings(model, 4 if "4" in quantize else 8, group_size)
    saved = model.generation_config
    model.generation_config = GenerationConfig(
        use_cache=True, cache_implementation="static", max_length=max_seq_len,
        cache_config={"batch_size": 1, "max_cache_len": max_seq_len})
    try:
        wrapper = _StaticCacheLM(model, max_seq_len).eval()
        seq = torch.export.Dim("seq", min=1, max=max_seq_len)
        with torch.no_grad():
            ep = torch.export.export(
                wrapper, (torch.tensor([[1, 2]]), torch.arange(2)),
                dynamic_shapes={"tokens": {1: seq}, "input_pos": {0: seq}},
                # Traced by dynamo, as transformers' own recipe exports (the
                # non-strict trace of some families, Gemma's, does not
                # decompose: torch's "expected compiled_fn to be GraphModule").
                strict=True)
    finally:
        model.generation_config = saved

    constants: dict[str, Any] = {
        "get_max_seq_len": max_seq_len,
        "get_max_context_len": max_seq_len,
        "get_vocab_size": int(text.vocab_size),
        "get_n_layers": int(getattr(text, "num_hidden_layers", getattr(text, "n_layer", 0))),
        "get_model_family": str(getattr(config, "model_type", "")),
        "get_eos_ids": _eos_ids(text),
        "use_kv_cache": True,
        "enable_dynamic_shape": True,
    }
    bos = getattr(text, "bos_token_id", None)
    if bos is not None:
        constants["get_bos_id"] = int(bos)
    partitioners = [] if partitioner is None else (
        list(partitioner) if isinstance(partitioner, (list, tuple)) else [partitioner])
    edge = ember.to_edge_transform_and_lower(ep, partitioner=partitioners,
                                             constant_methods=constants)
    return edge.to_executorch()


def generate_tokens(module: Any, prompt: Sequence[int], max_new_tokens: int,
                    stop: Sequence[int] | None = None) -> list[int]:
    """Greedy generation over a loaded export (`ember.runtime.load(...)`):
    the prompt in one prefill call, then one call per new token; stops after
    `max_new_tokens` or at a token of `stop` (default: the program's
    get_eos_ids), which is included. Returns the new tokens."""
    import numpy as np

    max_seq_len = int(module.run_method("get_max_seq_len"))
    n = len(prompt)
    if n == 0:
        raise ValueError("the prompt is empty")
    if n + max_new_tokens > max_seq_len:
        raise ValueError(f"the prompt's {n} tokens and {max_new_tokens} new tokens do not fit the "
                         f"cache of {max_seq_len} positions (max_seq_len)")
    if stop is None:
        methods = module.method_names
        stop = list(module.run_method("get_eos_ids")) if "get_eos_ids" in methods else []
    stop = set(int(s) for s in stop)
    logits = module.forward(np.asarray([prompt], dtype=np.int64), np.arange(n, dtype=np.int64))
    out: list[int] = []
    pos = n
    while len(out) < max_new_tokens:
        token = int(np.argmax(logits[0]))
        out.append(token)
        if token in stop or len(out) == max_new_tokens:
            break
        logits = module.forward(np.asarray([[token]], dtype=np.int64),
                                np.asarray([pos], dtype=np.int64))
        pos += 1
    return out
