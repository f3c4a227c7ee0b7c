"""Large language models on Ember: export a transformers causal LM with a static
KV cache into one .pte (`export`), and generate from it (`generate_tokens`, a
greedy loop over `ember.runtime`), and generate text with the C++ runner and
its tokenizers (`Runner`, runtime/extension/llm).

    import ember.llm
    prog = ember.llm.export(model, max_seq_len=256, quantize="8da4w")
    prog.save("model.pte")
    out = ember.llm.Runner("model.pte", "tokenizer.json").generate("Hello", max_new_tokens=32)
"""

from .export import QUANTIZE_MODES, export, generate_tokens
from .runner import Generation, Runner

__all__ = ["QUANTIZE_MODES", "Generation", "Runner", "export", "generate_tokens"]
