"""Large language models on Ember: export a transformers causal LM with a static
KV cache into one .pte (`export`), and generate from it (`generate_tokens`, a
greedy loop over `ember.runtime`; the C++ runner with tokenizers comes with
runtime/extension/llm).

    import ember.llm
    prog = ember.llm.export(model, max_seq_len=256, quantize="8da4w")
    prog.save("model.pte")
"""

from .export import QUANTIZE_MODES, export, generate_tokens

__all__ = ["QUANTIZE_MODES", "export", "generate_tokens"]
