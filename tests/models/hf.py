"""HuggingFace transformers models of the zoo, built from configs with random
weights (nothing is downloaded). Each builder takes `full`: the published
configuration of the named checkpoint, or a small one (2 layers, narrow) that
keeps the test command fast while exercising every op the full model uses.

Each returns (model in eval mode, example inputs). The models are wrapped so
that they return plain tuples of tensors (logits or hidden states).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import torch

warnings.filterwarnings("ignore", message=".*bos_token_id.*|.*eos_token_id.*")


def _seeded(model: torch.nn.Module) -> torch.nn.Module:
    return model.eval()


class _First(torch.nn.Module):
    """Calls the HF model with return_dict=False and returns its first output."""

    def __init__(self, model: torch.nn.Module, **kwargs):
        super().__init__()
        self.model = model
        self.kwargs = kwargs

    def forward(self, *args):
        return self.model(*args, return_dict=False, **self.kwargs)[0]


def _tokens(vocab: int, seq: int, batch: int = 1) -> torch.Tensor:
    g = torch.Generator().manual_seed(1)
    return torch.randint(0, vocab, (batch, seq), generator=g)


def bert(full: bool):
    from transformers import BertConfig, BertModel
    cfg = BertConfig() if full else BertConfig(
        num_hidden_layers=2, hidden_size=64, num_attention_heads=4, intermediate_size=128,
        vocab_size=1000, max_position_embeddings=128)
    torch.manual_seed(0)
    model = BertModel(cfg, add_pooling_layer=True)
    seq = 128 if full else 16
    ids = _tokens(cfg.vocab_size, seq)
    mask = torch.ones_like(ids)
    mask[:, seq - 3:] = 0  # padding at the end exercises the attention mask
    return _First(model).eval(), (ids, mask)


def gpt2(full: bool):
    from transformers import GPT2Config, GPT2LMHeadModel
    cfg = GPT2Config(use_cache=False) if full else GPT2Config(
        n_layer=2, n_embd=64, n_head=4, vocab_size=1000, n_positions=128, use_cache=False)
    torch.manual_seed(0)
    model = GPT2LMHeadModel(cfg)
    return _First(model).eval(), (_tokens(cfg.vocab_size, 128 if full else 16),)


def llama(full: bool):
    """Llama-3.2-1B's configuration (or a 2-layer narrow one)."""
    from transformers import LlamaConfig, LlamaForCausalLM
    if full:
        cfg = LlamaConfig(
            vocab_size=128256, hidden_size=2048, intermediate_size=8192, num_hidden_layers=16,
            num_attention_heads=32, num_key_value_heads=8, head_dim=64, hidden_act="silu",
            max_position_embeddings=131072, rms_norm_eps=1e-5, rope_theta=500000.0,
            rope_scaling={"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0,
                          "high_freq_factor": 4.0, "original_max_position_embeddings": 8192},
            tie_word_embeddings=True, use_cache=False)
    else:
        cfg = LlamaConfig(
            vocab_size=1000, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
            num_attention_heads=4, num_key_value_heads=2, head_dim=16, rope_theta=500000.0,
            max_position_embeddings=131072,
            rope_scaling={"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0,
                          "high_freq_factor": 4.0, "original_max_position_embeddings": 8192},
            tie_word_embeddings=True, use_cache=False)
    torch.manual_seed(0)
    model = LlamaForCausalLM(cfg)
    return _First(model).eval(), (_tokens(cfg.vocab_size, 64 if full else 16),)


def qwen3(full: bool):
    """Qwen3-0.6B's configuration (or a 2-layer narrow one)."""
    from transformers import Qwen3Config, Qwen3ForCausalLM
    if full:
        cfg = Qwen3Config(
            vocab_size=151936, hidden_size=1024, intermediate_size=3072, num_hidden_layers=28,
            num_attention_heads=16, num_key_value_heads=8, head_dim=128, hidden_act="silu",
            max_position_embeddings=40960, rms_norm_eps=1e-6, rope_theta=1000000.0,
            tie_word_embeddings=True, use_cache=False)
    else:
        cfg = Qwen3Config(
            vocab_size=1000, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
            num_attention_heads=4, num_key_value_heads=2, head_dim=16, rms_norm_eps=1e-6,
            rope_theta=1000000.0, tie_word_embeddings=True, use_cache=False)
    torch.manual_seed(0)
    model = Qwen3ForCausalLM(cfg)
    return _First(model).eval(), (_tokens(cfg.vocab_size, 64 if full else 16),)


def whisper_encoder(full: bool):
    """Whisper-tiny's encoder (or a 2-layer narrow one over a shorter input)."""
    from transformers import WhisperConfig
    from transformers.models.whisper.modeling_whisper import WhisperEncoder
    if full:
        cfg = WhisperConfig(d_model=384, encoder_layers=4, encoder_attention_heads=6,
                            encoder_ffn_dim=1536, num_mel_bins=80, max_source_positions=1500)
        frames = 3000
    else:
        cfg = WhisperConfig(d_model=64, encoder_layers=2, encoder_attention_heads=4,
                            encoder_ffn_dim=128, num_mel_bins=80, max_source_positions=50)
        frames = 100
    torch.manual_seed(0)
    model = WhisperEncoder(cfg)
    g = torch.Generator().manual_seed(1)
    return _First(model).eval(), (torch.randn(1, cfg.num_mel_bins, frames, generator=g),)


def vit_b16(full: bool):
    from transformers import ViTConfig, ViTModel
    cfg = ViTConfig() if full else ViTConfig(
        num_hidden_layers=2, hidden_size=64, num_attention_heads=4, intermediate_size=128,
        image_size=64, patch_size=16)
    torch.manual_seed(0)
    model = ViTModel(cfg)
    g = torch.Generator().manual_seed(1)
    size = cfg.image_size
    return _First(model).eval(), (torch.randn(1, 3, size, size, generator=g),)


HF_MODELS: dict[str, Callable[[bool], tuple[torch.nn.Module, tuple]]] = {
    "vit_b16": vit_b16,
    "bert": bert,
    "gpt2": gpt2,
    "llama": llama,
    "qwen3": qwen3,
    "whisper_encoder": whisper_encoder,
}
