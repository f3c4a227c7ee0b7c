"""The LLM benchmark's models, tokenizers and systems (bench/llm.py drives them).

Each step that takes a while runs in a process of its own, started by
bench/llm.py, so that its time, peak memory and any crash are its own:

    python -m bench.llm_systems export-ember MODEL OUT.pte
    python -m bench.llm_systems run-et MODEL.pte TOKENIZER.json PROMPT.txt NEW THREADS
    python -m bench.llm_systems run-llamacpp MODEL.gguf PROMPT_IDS.json NEW THREADS
    python -m bench.llm_systems gguf MODEL HF_DIR OUT.gguf

A run prints one JSON line: load ms, time to first token, prefill and decode
tokens per second, token counts, the peak resident memory and the memory
after the runtime's imports. Ember's runs use its C++ runner (`ember_llm`),
which prints its own stats line (parsed here: `parse_ember_stats`).

The models have random weights (nothing is downloaded) and the published
shapes; bos and eos ids follow the bench's tokenizers: bos 1, and an eos id
equal to the vocabulary size, which no model can produce, so that every
system generates exactly the tokens asked for.
"""

from __future__ import annotations

import glob
import json
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "bench" / ".cache" / "llm"
MAX_SEQ_LEN = 256  # the cache: a 119-token prompt and 119 new tokens fit
GROUP = 32  # 8da4w's weight group (ExecuTorch's -G 32) and the 4-bit embeddings' (-E 4,32)
LLAMA_CPP_DIR = ROOT / "build" / "llama-cpp"
LLAMA_CPP_HINT = ("llama-cpp-python is not installed: EMBER_BENCH_LLAMA_CPP=1 "
                  "EMBER_SKIP_BUILD=1 scripts/setup.sh builds it (about 5 minutes)")


@dataclass(frozen=True)
class LLM:
    """One benchmark model: its transformers config and ExecuTorch's params for
    the same shapes (ExecuTorch's Llama transformer, examples/models/llama)."""

    name: str
    family: str  # transformers' model_type: "llama" or "qwen3"
    hf: dict[str, Any]
    et: dict[str, Any]
    about: str = ""
    vocab: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "vocab", int(self.hf["vocab_size"]))

    def config(self) -> Any:
        """The transformers config, with the bench's bos and never-produced eos."""
        import transformers
        cls = {"llama": transformers.LlamaConfig, "qwen3": transformers.Qwen3Config}[self.family]
        return cls(**self.hf, bos_token_id=1, eos_token_id=self.vocab, pad_token_id=None)

    def build(self) -> Any:
        """The causal LM with seeded random weights (the same on every call)."""
        import torch
        import transformers
        torch.manual_seed(0)
        cls = {"llama": transformers.LlamaForCausalLM,
               "qwen3": transformers.Qwen3ForCausalLM}[self.family]
        return cls(self.config()).eval()

    def et_params(self) -> dict[str, Any]:
        return {**self.et, "vocab_size": self.vocab}


_LLAMA3_ROPE = {"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0,
                "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}
# The published shapes (as tests/models/hf.py builds them) and ExecuTorch's
# params for the same ones (Qwen3: ExecuTorch's examples/models/qwen3 0.6B config).
MODELS: dict[str, LLM] = {m.name: m for m in [
    LLM("llama-134m", "llama",
        dict(vocab_size=32000, hidden_size=768, intermediate_size=2048, num_hidden_layers=12,
             num_attention_heads=12, num_key_value_heads=12, max_position_embeddings=2048,
             rms_norm_eps=1e-5, rope_theta=10000.0, tie_word_embeddings=False),
        dict(dim=768, n_layers=12, n_heads=12, n_kv_heads=12, multiple_of=256, norm_eps=1e-5,
             rope_theta=10000.0, use_scaled_rope=False),
        "Llama, dim 768, 12 layers, 12 heads, FFN 2048, vocab 32000, untied: 134M parameters"),
    LLM("llama3.2-1b", "llama",
        dict(vocab_size=128256, hidden_size=2048, intermediate_size=8192, num_hidden_layers=16,
             num_attention_heads=32, num_key_value_heads=8, head_dim=64,
             max_position_embeddings=131072, rms_norm_eps=1e-5, rope_theta=500000.0,
             rope_scaling=_LLAMA3_ROPE, tie_word_embeddings=True),
        dict(dim=2048, n_layers=16, n_heads=32, n_kv_heads=8, ffn_dim_multiplier=1.5,
             multiple_of=256, norm_eps=1e-5, rope_theta=500000.0, use_scaled_rope=True,
             rope_scale_factor=32),
        "Llama-3.2-1B's shapes: dim 2048, 16 layers, 32 heads / 8 KV, FFN 8192, vocab 128256"),
    LLM("qwen3-0.6b", "qwen3",
        dict(vocab_size=151936, hidden_size=1024, intermediate_size=3072, num_hidden_layers=28,
             num_attention_heads=16, num_key_value_heads=8, head_dim=128,
             max_position_embeddings=40960, rms_norm_eps=1e-6, rope_theta=1000000.0,
             tie_word_embeddings=True),
        dict(dim=1024, n_layers=28, n_heads=16, n_kv_heads=8, head_dim=128, hidden_dim=3072,
             ffn_dim_multiplier=1, norm_eps=1e-6, rope_theta=1000000.0, use_scaled_rope=False,
             use_hf_rope=True, attention_qkv_bias=False, use_qk_norm=True,
             qk_norm_before_rope=True),
        "Qwen3-0.6B's shapes: dim 1024, 28 layers, 16 heads / 8 KV of 128, QK norm, FFN 3072, "
        "vocab 151936"),
]}


def version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as v
    try:
        return v(package)
    except PackageNotFoundError:
        return "none"


def cache_dir(kind: str, *parts: Any) -> Path:
    """bench/.cache/llm/KIND-<hash of parts>: one folder per artefact and inputs."""
    import hashlib
    digest = hashlib.sha1(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()
    d = CACHE / f"{kind}-{digest[:12]}"
    d.mkdir(parents=True, exist_ok=True)
    return d


# -- tokenizers ----------------------------------------------------------------

def corpus_files() -> list[Path]:
    """Local text to train on: the licences Debian ships and the .venv's torch
    sources (sorted, about 40 MB): the same on every machine set up alike."""
    files = sorted(Path("/usr/share/common-licenses").glob("*"))
    torch_dir = sorted(glob.glob(str(ROOT / ".venv" / "lib" / "python3*" / "site-packages" /
                                     "torch")))
    total = 0
    for f in sorted(Path(torch_dir[0]).rglob("*.py")) if torch_dir else []:
        if total > 40 << 20:
            break
        files.append(f)
        total += f.stat().st_size
    return [f for f in files if f.is_file()]


def bpe_tokenizer(vocab: int) -> Path:
    """A byte-level BPE tokenizer.json of up to `vocab` tokens (<unk> 0, <s> 1,
    </s> 2), trained with the `tokenizers` package on corpus_files(); cached."""
    d = cache_dir("bpe", vocab, version("tokenizers"))
    path = d / "tokenizer.json"
    if not path.exists():
        from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
        tok = Tokenizer(models.BPE())
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(vocab_size=vocab, special_tokens=["<unk>", "<s>", "</s>"],
                                      initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                      show_progress=False)
        t0 = time.perf_counter()
        tok.train([str(f) for f in corpus_files()], trainer)
        tok.save(str(path.with_suffix(".tmp")))
        path.with_suffix(".tmp").rename(path)
        print(f"[llm] trained a byte-level BPE of {tok.get_vocab_size()} tokens in "
              f"{time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    return path


def sentencepiece_tokenizer(vocab: int) -> tuple[Path, str]:
    """A SentencePiece BPE model (byte fallback) for llama.cpp's converter,
    which rejects a home-made byte-level BPE; cached. Returns the file and a
    note when it holds fewer pieces than `vocab` (the converter pads)."""
    import sentencepiece as spm

    d = cache_dir("spm", vocab, version("sentencepiece"))
    path = d / "tokenizer.model"
    if not path.exists():
        text = d / "corpus.txt"
        with open(text, "w") as out:  # one line a sentence, long lines cut
            for f in corpus_files():
                for line in f.read_text(errors="ignore").splitlines():
                    if line.strip():
                        out.write(line[:2000] + "\n")
        t0 = time.perf_counter()
        size = vocab
        while True:
            try:
                spm.SentencePieceTrainer.train(
                    input=str(text), model_prefix=str(d / "tokenizer"), model_type="bpe",
                    vocab_size=size, byte_fallback=True, character_coverage=1.0,
                    input_sentence_size=2_000_000, shuffle_input_sentence=True,
                    num_threads=os.cpu_count() or 1, minloglevel=2)
                break
            except RuntimeError as e:  # too large for the corpus: its message says the bound
                bound = re.search(r"<= (\d+)", str(e))
                if not bound or int(bound[1]) >= size:
                    raise
                size = int(bound[1])
        text.unlink()
        (d / "trained.json").write_text(json.dumps({"pieces": size,
                                                    "s": time.perf_counter() - t0}))
    pieces = json.loads((d / "trained.json").read_text())["pieces"]
    return path, "" if pieces >= vocab else f"SentencePiece vocabulary {pieces}, padded"


PROMPT_TEXT = (
    "The compiler reads a graph of operations, plans the memory of every tensor ahead of time, "
    "and writes one file that a small runtime loads on the device. Each layer of the network "
    "becomes a call to a kernel that was chosen for the processor: the matrix products run on "
    "packed weights, the attention reads the cache of keys and values, and the normalisation "
    "and the activation functions are fused where the data stays in the registers. When a new "
    "token is generated, the model runs once more over that single token, reads the cache, "
    "and writes the next position into it, so that the work of each step stays small and the "
    "memory it needs was planned before the first call. ")


def prompt(tokenizer: Path, n: int) -> tuple[str, list[int]]:
    """A prompt of exactly `n` tokens under `tokenizer` (no bos): its text and ids."""
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(str(tokenizer))
    text = PROMPT_TEXT * (1 + 4 * n // max(len(tok.encode(PROMPT_TEXT).ids), 1))
    ids = tok.encode(text).ids[:n]
    for cut in range(n, 0, -1):  # decoding a prefix may merge differently at its end
        text = tok.decode(ids[:cut])
        got = tok.encode(text).ids
        if len(got) == n:
            return text, got
        if len(got) < n:
            break
    raise RuntimeError(f"no text of exactly {n} tokens under {tokenizer}")


# -- exports -------------------------------------------------------------------

def export_ember(model: LLM, out: Path) -> dict:
    """ember.llm.export of the model, 8da4w with 4-bit embeddings; its seconds
    (quantize, export and compile; not the random initialisation)."""
    import ember.llm
    m = model.build()
    t0 = time.perf_counter()
    prog = ember.llm.export(m, max_seq_len=MAX_SEQ_LEN, quantize="8da4w", group_size=GROUP)
    prog.save(str(out))
    return {"s": time.perf_counter() - t0}


def et_config(model: LLM, d: Path) -> Path:
    """The params json and export_llm config of ExecuTorch's 8da4w XNNPACK export."""
    (d / "params.json").write_text(json.dumps(model.et_params()))
    meta = json.dumps({"get_bos_id": 1, "get_eos_ids": [model.vocab]})
    config = {
        "base": {"params": "params.json", "metadata": meta},
        "model": {"use_kv_cache": True, "use_sdpa_with_kv_cache": True, "dtype_override": "fp32"},
        "quantization": {"qmode": "8da4w", "group_size": GROUP, "embedding_quantize": f"4,{GROUP}"},
        "backend": {"xnnpack": {"enabled": True, "extended_ops": True}},
        # max_seq_length: the longest prefill call (the prompt's 119 tokens fit).
        "export": {"max_seq_length": 128, "max_context_length": MAX_SEQ_LEN, "output_dir": ".",
                   "output_name": "model.pte"},
    }
    path = d / "export.yaml"
    path.write_text(json.dumps(config, indent=1))  # JSON is YAML
    return path


def run_process(cmd: list[str], cwd: Path, timeout: float, log: Path,
                env: dict | None = None) -> tuple[int, float, dict]:
    """Run `cmd` (niced: the machine is shared) with its output to `log`;
    returns its exit code, wall seconds and the child's own rusage figures
    (peak RSS in bytes, CPU seconds), with the machine's mean load average
    meanwhile. A process over `timeout` is killed."""
    import signal
    import subprocess

    t0 = time.perf_counter()
    with open(log, "w") as out:
        proc = subprocess.Popen(["nice", "-n", "10", *cmd], cwd=cwd, stdout=out,
                                stderr=subprocess.STDOUT, env=env, start_new_session=True)
        deadline = t0 + timeout
        loads = [os.getloadavg()[0]]
        try:
            while True:
                loads.append(os.getloadavg()[0])
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    break
                if time.perf_counter() > deadline:
                    os.killpg(proc.pid, signal.SIGKILL)
                    pid, status, usage = os.wait4(proc.pid, 0)
                    status = -1
                    break
                time.sleep(0.5)
        except BaseException:  # interrupted: its own session would outlive us
            os.killpg(proc.pid, signal.SIGKILL)
            raise
        proc.returncode = 0  # reaped above; keeps Popen from waiting again
    code = os.waitstatus_to_exitcode(status) if status != -1 else -9
    return code, time.perf_counter() - t0, {"peak_rss": usage.ru_maxrss * 1024,
                                            "cpu_s": usage.ru_utime + usage.ru_stime,
                                            "load": sum(loads) / len(loads)}


def et_dir(model: LLM) -> Path:
    """The cache folder of ExecuTorch's export of `model` (keyed by its params,
    the recipe and the package versions)."""
    return cache_dir("et", model.name, model.et_params(), MAX_SEQ_LEN, GROUP, "8da4w", "E4",
                     version("executorch"), version("torchao"), version("torch"))


def export_et(model: LLM, timeout: float, retry: bool = False) -> dict:
    """ExecuTorch's export_llm of `model`, cached: {"s", "peak_rss", "cpu_s",
    "date"} of the export that made the file, or {"error", "s"}. A failure
    (or an export given up after `timeout` seconds) is cached too, and
    reported again unless `retry`."""
    d = et_dir(model)
    meta, pte, failed = d / "export.json", d / "model.pte", d / "failed.json"
    if meta.exists() and pte.exists():
        return {**json.loads(meta.read_text()), "cached": True}
    if failed.exists() and not retry:
        return {**json.loads(failed.read_text()), "cached": True}
    config = et_config(model, d)
    cmd = [sys.executable, "-m", "executorch.extension.llm.export.export_llm",
           "--config", str(config.name)]
    print(f"[llm] ExecuTorch export_llm of {model.name} (cached in {d})", file=sys.stderr,
          flush=True)
    code, seconds, usage = run_process(cmd, d, timeout, d / "export.log")
    if code != 0 or not pte.exists():
        tail = [ln for ln in (d / "export.log").read_text(errors="replace").splitlines()
                if ln.strip()]
        why = (f"gave up after {seconds / 60:.0f} min" if code == -9
               else f"exit {code}: {tail[-1][:200] if tail else ''}")
        result = {"error": f"export_llm {why}", "s": seconds, "date": time.strftime("%Y-%m-%d")}
        failed.write_text(json.dumps(result))
        return result
    failed.unlink(missing_ok=True)
    result = {"s": seconds, **usage, "date": time.strftime("%Y-%m-%d")}
    meta.write_text(json.dumps(result))
    return result


def convert_gguf(model: LLM, hf_dir: Path, out: Path) -> dict:
    """The model (the same seeded weights as Ember's) as GGUF Q4_0 for llama.cpp:
    saved by transformers, converted to f32 GGUF by the converter llama.cpp's
    sources carry, quantized by llama_model_quantize. Returns the seconds."""
    import shutil
    import subprocess

    import llama_cpp

    src = sorted(LLAMA_CPP_DIR.glob("llama_cpp_python-*/vendor/llama.cpp"))
    if not src:
        raise RuntimeError(f"no llama.cpp sources in {LLAMA_CPP_DIR} (for its GGUF converter): "
                           + LLAMA_CPP_HINT.split(": ", 1)[1])
    sp, _ = sentencepiece_tokenizer(model.vocab)
    hf_dir.mkdir(parents=True, exist_ok=True)
    model.build().save_pretrained(hf_dir)
    shutil.copy(sp, hf_dir / "tokenizer.model")
    t0 = time.perf_counter()
    f32 = out.with_suffix(".f32.gguf")
    env = dict(os.environ, PYTHONPATH=str(src[0] / "gguf-py"))
    proc = subprocess.run([sys.executable, str(src[0] / "convert_hf_to_gguf.py"), str(hf_dir),
                           "--outtype", "f32", "--outfile", str(f32)],
                          capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
        why = lines[-1] if lines else f"exit {proc.returncode}"
        raise RuntimeError(f"convert_hf_to_gguf.py failed: {why}")
    t1 = time.perf_counter()
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = llama_cpp.LLAMA_FTYPE_MOSTLY_Q4_0
    params.nthread = os.cpu_count() or 1
    if llama_cpp.llama_model_quantize(str(f32).encode(), str(out).encode(), params) != 0:
        raise RuntimeError("llama_model_quantize to Q4_0 failed")
    t2 = time.perf_counter()
    f32.unlink()
    shutil.rmtree(hf_dir)
    return {"s": t2 - t0, "convert_s": t1 - t0, "quantize_s": t2 - t1}


# -- runs ----------------------------------------------------------------------

def current_rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peak_rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise OSError("/proc/self/status has no VmHWM")


_EMBER_STATS = re.compile(
    r"prompt (\d+) tokens, generated (\d+) \(([^)]*)\) \| load ([0-9.]+) ms \| first token "
    r"([0-9.]+) ms \| prefill ([0-9.]+) tok/s \| decode ([0-9.]+) tok/s \| peak RSS (\d+) KiB")


def parse_ember_stats(stdout: str) -> dict:
    """The figures of ember_llm's stats line (its last line)."""
    m = _EMBER_STATS.search(stdout.strip().splitlines()[-1] if stdout.strip() else "")
    if not m:
        raise RuntimeError(f"ember_llm printed no stats line: {stdout.strip()[-160:]!r}")
    return {"prompt_tokens": int(m[1]), "generated": int(m[2]), "stop": m[3],
            "load_ms": float(m[4]), "ttft_ms": float(m[5]), "prefill_tps": float(m[6]),
            "decode_tps": float(m[7]), "peak_rss": int(m[8]) * 1024}


def _figures(first: dict, warm: dict, load_ms: float, import_rss: int) -> dict:
    """A run's figures: the rates of the warm generation, the time to first
    token of the first one (what a user waits for after loading)."""
    return {"prompt_tokens": warm["prompt_tokens"], "generated": warm["generated"],
            "load_ms": load_ms, "ttft_ms": first["ttft_ms"], "prefill_tps": warm["prefill_tps"],
            "decode_tps": warm["decode_tps"], "cold_prefill_tps": first["prefill_tps"],
            "cold_decode_tps": first["decode_tps"], "peak_rss": peak_rss(),
            "import_rss": import_rss}


def run_et(pte: str, tokenizer: str, prompt_file: str, new: int, threads: int) -> dict:
    """Two greedy generations with ExecuTorch's TextLLMRunner (its first call
    does work the second does not: 10 s more prefill for the 134M model), each
    as its own Stats report."""
    import executorch.extension.llm.custom_ops.custom_ops  # noqa: F401  (llama:: kernels)
    import executorch.kernels.quantized  # noqa: F401  (embedding_4bit, ...)
    from executorch.extension.llm.runner import GenerationConfig, TextLLMRunner
    from executorch.extension.pybindings import portable_lib

    # The pool is process-wide and XNNPACK binds it at load: size it first.
    portable_lib._unsafe_reset_threadpool(threads)
    import_rss = current_rss()
    text = Path(prompt_file).read_text()
    t0 = time.perf_counter()
    runner = TextLLMRunner(pte, tokenizer)
    construct_ms = 1e3 * (time.perf_counter() - t0)
    config = GenerationConfig(echo=False, max_new_tokens=new, temperature=0.0, num_bos=0,
                              num_eos=0)

    def generate() -> dict:
        got: list[dict] = []
        tokens = [0]

        def on_token(_: str) -> None:
            tokens[0] += 1
        runner.generate(text, config, token_callback=on_token,
                        stats_callback=lambda st: got.append(json.loads(st.to_json_string())))
        if not got:
            raise RuntimeError("TextLLMRunner reported no stats")
        s = got[-1]
        # Its own rates: prefill = prompt tokens / (prompt evaluated - start),
        # decode = tokens after the first / (end - prompt evaluated).
        return {"prompt_tokens": int(s["prompt_tokens"]), "generated": tokens[0],
                "load_ms": float(s["model_load_end_ms"]) - float(s["model_load_start_ms"]),
                "ttft_ms": float(s["first_token_ms"]) - float(s["inference_start_ms"]),
                "prefill_tps": float(s["prefill_token_per_sec"]),
                "decode_tps": float(s["decode_token_per_sec"])}

    first = generate()
    runner.reset()
    return _figures(first, generate(), construct_ms + first["load_ms"], import_rss)


def run_llamacpp(gguf: str, ids_file: str, new: int, threads: int) -> dict:
    """Two greedy generations with llama.cpp (llama-cpp-python), each timed here
    the way the other runners time themselves: the prompt in one call
    (prefill), then one call a token, argmax of the last logits."""
    import llama_cpp
    import numpy as np

    import_rss = current_rss()
    ids = json.loads(Path(ids_file).read_text())
    t0 = time.perf_counter()
    llm = llama_cpp.Llama(model_path=gguf, n_ctx=MAX_SEQ_LEN, n_batch=MAX_SEQ_LEN,
                          n_ubatch=MAX_SEQ_LEN, n_threads=threads, n_threads_batch=threads,
                          verbose=False)
    load_ms = 1e3 * (time.perf_counter() - t0)

    def generate() -> dict:
        llm.reset()
        t0 = time.perf_counter()
        llm.eval(ids)
        t1 = time.perf_counter()
        token = int(np.argmax(llm.scores[llm.n_tokens - 1]))
        t_first = time.perf_counter()
        out = [token]
        while len(out) < new:
            llm.eval([token])
            token = int(np.argmax(llm.scores[llm.n_tokens - 1]))
            out.append(token)
        t_end = time.perf_counter()
        return {"prompt_tokens": len(ids), "generated": len(out),
                "ttft_ms": 1e3 * (t_first - t0), "prefill_tps": len(ids) / (t1 - t0),
                "decode_tps": (len(out) - 1) / (t_end - t_first)}

    first = generate()
    return _figures(first, generate(), load_ms, import_rss)


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    # Runtimes print to file descriptor 1 too: keep it for the JSON answer alone.
    answer = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    cmd, args = argv[0], argv[1:]
    if cmd == "export-ember":
        result = export_ember(MODELS[args[0]], Path(args[1]))
    elif cmd == "gguf":
        result = convert_gguf(MODELS[args[0]], Path(args[1]), Path(args[2]))
    elif cmd == "run-et":
        result = run_et(args[0], args[1], args[2], int(args[3]), int(args[4]))
    elif cmd == "run-llamacpp":
        result = run_llamacpp(args[0], args[1], int(args[2]), int(args[3]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    result.setdefault("peak_rss", peak_rss())
    answer.write(json.dumps(result) + "\n")
    answer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
