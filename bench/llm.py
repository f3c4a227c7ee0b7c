"""LLMs: Ember beside ExecuTorch and llama.cpp, in one run (issue 16's benchmark).

    .venv/bin/python -m bench.llm                         # three models, 1 and 2 threads
    .venv/bin/python -m bench.llm --models llama-134m --reuse --no-doc   # a quick look
    .venv/bin/python -m bench.llm --ember-llm build/py/runtime/ember_llm  # a build's runner
    .venv/bin/python -m bench.llm --from-json build/bench/llm.json       # tables of a run

Models (random weights from configs, nothing downloaded; bench/llm_systems.py):
llama-134m (dim 768, 12 layers, vocab 32000, untied), and the shapes of
Llama-3.2-1B and Qwen3-0.6B. Systems, each exporting the same architecture:

- Ember: `ember.llm.export(model, max_seq_len=256, quantize="8da4w")` (int4 weights
  per group of 32, int8 activations per token, 4-bit embeddings), run by its C++
  runner `ember_llm`. Exported anew each run (Ember's code changes); --reuse keeps
  the last file.
- ExecuTorch: `python -m executorch.extension.llm.export.export_llm` (8da4w, group
  32, embeddings 4,32, XNNPACK, custom SDPA and KV cache, fp32), run by its
  TextLLMRunner. Its own random weights, same shapes (its params json).
- llama.cpp: the same weights as Ember's, converted to GGUF by the converter
  llama.cpp's sources carry (with a SentencePiece tokenizer: it rejects a
  home-made byte-level BPE), quantized to Q4_0 (4-bit, groups of 32), run by
  llama-cpp-python. Optional: EMBER_BENCH_LLAMA_CPP=1 EMBER_SKIP_BUILD=1
  scripts/setup.sh builds it; without it the system is skipped.

ExecuTorch's export (minutes to hours) and the GGUF file are cached in
bench/.cache/llm/, keyed by model, recipe and package versions; their export
times are those of the run that made them. Each measurement is a fresh process
of the system's runner: greedy generation from a prompt of 119 tokens (no bos)
in one prefill call, then 119 new tokens (the eos id is one the model never
produces), at 1 and 2 threads; the peers generate twice and report the second
(their first call does work the second does not), Ember's CLI once. Systems run
in turns, `--rounds` times; the tables show medians.
Results go to build/bench/llm.json and the section "LLMs beside ExecuTorch and
llama.cpp" of docs/benchmarks.md (unless --no-doc).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: python bench/llm.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import MIB, _table  # noqa: E402
from bench.llm_systems import (  # noqa: E402
    GROUP,
    LLAMA_CPP_HINT,
    LLM,
    MAX_SEQ_LEN,
    MODELS,
    ROOT,
    bpe_tokenizer,
    cache_dir,
    et_dir,
    export_et,
    parse_ember_stats,
    prompt,
    run_process,
    sentencepiece_tokenizer,
    version,
)
from bench.report import recorded_line, replace_section  # noqa: E402

SECTION = "## LLMs beside ExecuTorch and llama.cpp"
SYSTEMS = ["ember", "et", "llamacpp"]
LABELS = {"ember": "Ember 8da4w", "et": "ExecuTorch 8da4w (XNNPACK)",
          "llamacpp": "llama.cpp Q4_0"}
FIGURES = ["prefill_tps", "decode_tps", "ttft_ms", "load_ms", "peak_rss", "import_rss",
           "cpu_util", "prompt_tokens", "generated"]


def _log(msg: str) -> None:
    print(f"[llm] {msg}", file=sys.stderr, flush=True)


def _last_json(log: Path) -> dict:
    lines = [ln for ln in log.read_text(errors="replace").splitlines() if ln.startswith("{")]
    if not lines:
        raise RuntimeError(f"no result in {log}")
    return json.loads(lines[-1])


def _tail(log: Path) -> str:
    lines = [ln for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
    return lines[-1][:200] if lines else "no output"


def _helper(*args: str) -> list[str]:
    return [sys.executable, "-m", "bench.llm_systems", *args]


# -- the files -----------------------------------------------------------------

def export_ember(model: LLM, reuse: bool, timeout: float) -> tuple[dict, Path | None]:
    d = cache_dir("ember", model.name, model.hf, MAX_SEQ_LEN, GROUP, "8da4w")
    pte, meta = d / "model.pte", d / "export.json"
    if reuse and pte.exists() and meta.exists():
        return {**json.loads(meta.read_text()), "cached": True}, pte
    _log(f"Ember export of {model.name}")
    pte.unlink(missing_ok=True)
    code, wall, usage = run_process(_helper("export-ember", model.name, str(pte)), ROOT,
                                    timeout, d / "export.log")
    if code != 0 or not pte.exists():
        return {"error": f"ember.llm.export failed ({code}): {_tail(d / 'export.log')}"}, None
    result = {**_last_json(d / "export.log"), "wall_s": wall, **usage,
              "date": time.strftime("%Y-%m-%d")}
    meta.write_text(json.dumps(result))
    return result, pte


def export_gguf(model: LLM, timeout: float) -> tuple[dict, Path | None]:
    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        return {"error": LLAMA_CPP_HINT}, None
    _, note = sentencepiece_tokenizer(model.vocab)
    d = cache_dir("gguf", model.name, model.hf, version("llama-cpp-python"), "Q4_0")
    gguf, meta = d / "model.gguf", d / "export.json"
    if gguf.exists() and meta.exists():
        return {**json.loads(meta.read_text()), "cached": True}, gguf
    _log(f"GGUF Q4_0 of {model.name} (cached in {d})")
    code, wall, usage = run_process(_helper("gguf", model.name, str(d / "hf"), str(gguf)), ROOT,
                                    timeout, d / "export.log")
    if code != 0 or not gguf.exists():
        return {"error": f"GGUF conversion failed: {_tail(d / 'export.log')}"}, None
    result = {**_last_json(d / "export.log"), "wall_s": wall, **usage, "note": note,
              "date": time.strftime("%Y-%m-%d")}
    meta.write_text(json.dumps(result))
    return result, gguf


def prepare(model: LLM, systems: list[str], a: argparse.Namespace) -> dict:
    """The tokenizer, the prompt (text and ids files) and every system's file of
    `model`, with each export's figures or the reason it failed ("export")."""
    from tokenizers import Tokenizer

    tok = bpe_tokenizer(model.vocab)
    text, ids = prompt(tok, a.prompt_tokens)
    d = cache_dir("prompt", model.name, a.prompt_tokens, str(tok))
    (d / "prompt.txt").write_text(text)
    (d / "ids.json").write_text(json.dumps(ids))
    out: dict = {"tokenizer": tok, "prompt_file": d / "prompt.txt", "ids_file": d / "ids.json",
                 "export": {}, "files": {},
                 "tokenizer_vocab": Tokenizer.from_file(str(tok)).get_vocab_size()}
    for s in systems:
        if s == "ember":
            report, path = export_ember(model, a.reuse, a.export_timeout)
        elif s == "et":
            report = export_et(model, a.et_timeout)
            path = None if "error" in report else et_dir(model) / "model.pte"
        else:
            report, path = export_gguf(model, a.export_timeout)
        out["export"][s] = report
        if path is not None:
            out["files"][s] = path
        _log(f"{model.name} {s}: " + (report["error"] if "error" in report
                                      else f"{report['s']:.0f} s" +
                                      (" (cached)" if report.get("cached") else "")))
    return out


# -- one generation --------------------------------------------------------------

def run_once(system: str, prep: dict, threads: int, a: argparse.Namespace) -> dict:
    """One greedy generation of `system` in a fresh process; its figures,
    with the share of the wall time the process spent on CPUs (cpu_util)."""
    f, new = prep["files"][system], a.new_tokens
    if system == "ember":
        cmd = [str(a.ember_llm), str(f), "--tokenizer", str(prep["tokenizer"]),
               "--prompt", prep["prompt_file"].read_text(), "--max-new-tokens", str(new),
               "--threads", str(threads), "--no-bos"]
    elif system == "et":
        cmd = _helper("run-et", str(f), str(prep["tokenizer"]), str(prep["prompt_file"]),
                      str(new), str(threads))
    else:
        cmd = _helper("run-llamacpp", str(f), str(prep["ids_file"]), str(new), str(threads))
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    # ExecuTorch's Python runner links libtorch, whose OpenMP its custom ops use
    # beside its own pool (fighting over 2 cores: 1,150 against 1,800 prefill tok/s
    # for the 134M model at 2 threads); its C++ runner has only the pool, so
    # OpenMP gets one thread.
    omp = 1 if system == "et" else threads
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=a.run_timeout,
                          env=dict(os.environ, PYTHONWARNINGS="ignore", OMP_NUM_THREADS=str(omp)))
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
        raise RuntimeError(f"exit {proc.returncode}: {lines[-1][:200] if lines else ''}")
    r = (parse_ember_stats(proc.stdout) if system == "ember"
         else json.loads(proc.stdout.strip().splitlines()[-1]))
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    r["cpu_util"], r["load"] = cpu / wall, load
    return r


def measure(models: list[LLM], systems: list[str], a: argparse.Namespace) -> list[dict]:
    results = []
    for model in models:
        prep = prepare(model, systems, a)
        res: dict = {"model": model.name, "about": model.about, "export": prep["export"],
                     "tokenizer_vocab": prep["tokenizer_vocab"], "vocab": model.vocab,
                     "new_tokens": a.new_tokens,
                     "file_bytes": {s: p.stat().st_size for s, p in prep["files"].items()},
                     "runs": {}, "errors": {}}
        runnable = [s for s in systems if s in prep["files"]]
        load0 = os.getloadavg()[0]
        for r in range(a.rounds):
            order = runnable[r % len(runnable):] + runnable[:r % len(runnable)] if runnable else []
            for threads in a.threads:
                for s in order:
                    k = f"{s}@{threads}"
                    if k in res["errors"]:
                        continue
                    try:
                        got = run_once(s, prep, threads, a)
                    except Exception as e:  # noqa: BLE001 - a system that fails is reported
                        res["errors"][k] = f"{type(e).__name__}: {e}"[:240]
                        _log(f"{model.name} {k}: {res['errors'][k]}")
                        continue
                    res["runs"].setdefault(k, []).append(got)
                    _log(f"{model.name} {k} round {r + 1}: prefill {got['prefill_tps']:.0f} "
                         f"decode {got['decode_tps']:.1f} tok/s, generated {got['generated']}, "
                         f"cpu {got['cpu_util']:.2f}")
        res["load"] = [load0, os.getloadavg()[0]]
        res["median"] = {k: {f: statistics.median(x[f] for x in runs) for f in FIGURES
                             if all(f in x for x in runs)} for k, runs in res["runs"].items()}
        results.append(res)
        a.out.parent.mkdir(parents=True, exist_ok=True)  # what is done so far
        a.out.write_text(json.dumps({"results": results}, indent=1, default=str))
    return results


# -- the report ------------------------------------------------------------------

def _num(v: float | None, fmt: str = "{:,.0f}") -> str:
    return fmt.format(v) if v is not None else "n/a"


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}" if a and b else "n/a"


def _export_cell(e: dict) -> str:
    if "error" in e:
        return f"n/a: {e['error']}"
    s = e["s"]
    text = f"{s / 60:.1f} min" if s >= 120 else f"{s:.0f} s"
    when = [e["date"]] if e.get("cached") else []
    when += [f"load {e['load']:.1f}"] if "load" in e else []
    when += ["cached"] if e.get("cached") else []
    return (text + (f" ({', '.join(when)})" if when else "")
            + (f"; {e['note']}" if e.get("note") else ""))


def tables(results: list[dict], systems: list[str], threads: list[int]) -> list[str]:
    lines: list[str] = []
    for r in results:
        med, fb, ex = r["median"], r["file_bytes"], r["export"]
        tok = (f"; the prompt's tokenizer: a byte-level BPE of {r['tokenizer_vocab']:,} tokens"
               + (" (all the merges the corpus has)" if r["tokenizer_vocab"] < r["vocab"] else "")
               if "tokenizer_vocab" in r else "")
        lines += [f"### {r['model']}", "", r["about"] + tok + ".", ""]
        rows = []
        for n in threads:
            for s in systems:
                m = med.get(f"{s}@{n}")
                err = r["errors"].get(f"{s}@{n}") or ex.get(s, {}).get("error")
                if not m:
                    rows.append([LABELS[s], str(n), f"n/a: {err or 'not run'}", *[""] * 4])
                    continue
                rss = m["peak_rss"] / MIB
                extra = (f" (+{(m['peak_rss'] - m['import_rss']) / MIB:,.0f})"
                         if "import_rss" in m else "")
                short = "" if m["generated"] >= r.get("new_tokens", 0) else " (stopped early)"
                rows.append([LABELS[s], str(n), _num(m["prefill_tps"]),
                             _num(m["decode_tps"], "{:,.1f}") + short, _num(m["ttft_ms"]),
                             _num(m["load_ms"]), f"{rss:,.0f}{extra}"])
        lines += _table(["system", "threads", "prefill tok/s", "decode tok/s", "first token ms",
                         "load ms", "peak RSS MiB"], rows)
        lines += ["", *_table(
            ["system", "file MiB", "export", "export peak RSS MiB"],
            [[LABELS[s], _num(fb[s] / MIB, "{:,.1f}") if s in fb else "n/a",
              _export_cell(ex[s]) if s in ex else "n/a",
              _num(ex.get(s, {}).get("peak_rss", 0) / MIB) if ex.get(s, {}).get("peak_rss")
              else "n/a"] for s in systems]), ""]
        cols = ["threads", "prefill / ET", "decode / ET", "prefill / llama.cpp",
                "decode / llama.cpp", "RSS / ET (above imports)", "file / ET", "export / ET"]
        rat = []
        e_ex, t_ex = ex.get("ember", {}).get("s"), ex.get("et", {}).get("s")
        for n in threads:
            em, et, lc = (med.get(f"{s}@{n}", {}) for s in ("ember", "et", "llamacpp"))
            et_rss = et.get("peak_rss", 0) - et.get("import_rss", 0) if et else None
            rat.append([str(n), _ratio(em.get("prefill_tps"), et.get("prefill_tps")),
                        _ratio(em.get("decode_tps"), et.get("decode_tps")),
                        _ratio(em.get("prefill_tps"), lc.get("prefill_tps")),
                        _ratio(em.get("decode_tps"), lc.get("decode_tps")),
                        _ratio(em.get("peak_rss"), et_rss),
                        _ratio(fb.get("ember"), fb.get("et")),
                        _ratio(e_ex if "error" not in ex.get("ember", {}) else None,
                               t_ex if "error" not in ex.get("et", {}) else None)])
        lines += ["Ember over each peer (speed: above 1, Ember is faster; memory, file and "
                  "export time: below 1, Ember is smaller or faster; targets: speed >= 1.2x "
                  "ExecuTorch and >= llama.cpp, RSS and file <= ExecuTorch, export <= 0.1x "
                  "ExecuTorch).", "", *_table(cols, rat), ""]
    return lines


def write_doc(results: list[dict], systems: list[str], threads: list[int], command: str,
              a: argparse.Namespace, note: str = "") -> list[str]:
    loads = [x for r in results for x in r.get("load", [])]  # at each model's start and end
    loads += [x["load"] for r in results for runs in r["runs"].values() for x in runs
              if "load" in x]  # at each run's start
    lines = [
        SECTION, "",
        f"Greedy generation of {a.new_tokens} tokens after a prompt of {a.prompt_tokens} "
        "(no bos; the eos id is one the",
        "models never produce, so no run stops early), each run in a fresh process, the systems",
        f"in turns, {a.rounds} rounds; medians. Random weights, the published shapes.",
        "",
        "- **Ember**: `ember.llm.export(model, max_seq_len=256, quantize=\"8da4w\")` (int4",
        "  weights in groups of 32, int8 activations per token, 4-bit embeddings), run by its C++",
        "  runner `ember_llm` (one generation a process: weights are packed at load).",
        "- **ExecuTorch**: `export_llm` (8da4w, group 32, embeddings 4,32, XNNPACK, its custom",
        "  SDPA and KV cache; its own Llama transformer of the same shapes, its own random",
        "  weights), run by its `TextLLMRunner` from Python, its pool set by",
        "  `_unsafe_reset_threadpool` to the thread count, `OMP_NUM_THREADS=1` (the Python",
        "  runner links libtorch, whose OpenMP its custom ops also use: with the pool at 1 and",
        "  OpenMP at its default 2, the 134M prefill fell to 14-33 tok/s, with both at 2 it",
        "  was 1,150 tok/s against 1,800 with OpenMP at 1; its C++ runner has only the pool).",
        "- **llama.cpp**: Ember's weights as GGUF Q4_0 (4-bit, groups of 32; the converter",
        "  llama.cpp's sources carry, with a SentencePiece tokenizer: it rejects a home-made",
        "  byte-level BPE), run by llama-cpp-python (`EMBER_BENCH_LLAMA_CPP=1 scripts/setup.sh`):",
        "  the prompt in one `eval`, then one a token, argmax of the logits.",
        "",
        "The peers' rates come from a second generation in the same process (their first does",
        "work the second does not); the first token time is the first generation's, Ember's",
        "rates its only generation's. Prefill tok/s = prompt tokens / the prefill call; decode",
        "tok/s = tokens after the first / the time after the first; load = the runner's load of",
        "the model. Peak RSS: the process's VmHWM; for the two Python-hosted peers also the part",
        "above their imports (Python, torch), which the RSS ratio uses (it favours the peers).",
        "Export: the whole `export_llm` command for ExecuTorch (imports and random",
        "initialisation included), the `ember.llm.export` call for Ember, conversion and",
        "quantization for llama.cpp; all run under `nice`, ExecuTorch's and llama.cpp's cached",
        "from the run that made the file (date shown, with the load average meanwhile).",
        "",
        "On a shared 2-core VM the 2-thread figures depend on what else runs: llama.cpp's",
        "OpenMP threads spin at every barrier, so a run whose second core is taken collapses",
        "(a run can be ten times slower than at 1 thread); ExecuTorch's pool and Ember's workers",
        "degrade less. Read the 2-thread ratios with the load average beside them.", "",
        recorded_line(command) + (f" Load average {min(loads):.1f}-{max(loads):.1f} during the "
                                  "runs (2 cores, shared)." if loads else ""), "",
        *([note, ""] if note else []), *tables(results, systems, threads)]
    replace_section(lines)
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.llm", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--systems", nargs="+", default=SYSTEMS, choices=SYSTEMS)
    parser.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--rounds", type=int, default=3, help="runs of each system, in turns")
    parser.add_argument("--prompt-tokens", type=int, default=119)
    parser.add_argument("--new-tokens", type=int, default=119)
    parser.add_argument("--reuse", action="store_true",
                        help="keep Ember's last export of a model instead of exporting anew")
    parser.add_argument("--et-timeout", type=float, default=3 * 3600,
                        help="seconds before ExecuTorch's export is given up (reported)")
    parser.add_argument("--export-timeout", type=float, default=3600)
    parser.add_argument("--run-timeout", type=float, default=900)
    parser.add_argument("--ember-llm", type=Path, default=None,
                        help="Ember's runner binary (default: the installed ember_llm; "
                             "e.g. build/py/runtime/ember_llm to time a build not installed)")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "bench" / "llm.json")
    parser.add_argument("--no-doc", action="store_true")
    parser.add_argument("--from-json", type=Path, default=None,
                        help="print (and record) the tables of a saved run's --out file")
    a = parser.parse_args(argv)
    if a.from_json:  # the tables and doc section of a saved run, measured anew by none
        saved = json.loads(a.from_json.read_text())
        vars(a).update(saved.get("args", {}))
        lines = tables(saved["results"], a.systems, a.threads)
        print("\n".join(lines))
        if not a.no_doc:
            write_doc(saved["results"], a.systems, a.threads, saved["command"], a)
        return 0
    if a.ember_llm is None:
        from ember.runtime import tool_path
        a.ember_llm = tool_path("ember_llm")
    if a.prompt_tokens + a.new_tokens > MAX_SEQ_LEN:
        parser.error(f"the prompt and new tokens must fit the cache of {MAX_SEQ_LEN}")
    command = " ".join(["python -m bench.llm", *(argv if argv is not None else sys.argv[1:])])
    results = measure([MODELS[m] for m in a.models], a.systems, a)
    lines = tables(results, a.systems, a.threads)
    print("\n".join(lines))
    args = {k: vars(a)[k] for k in ("systems", "threads", "rounds", "prompt_tokens",
                                     "new_tokens")}
    a.out.write_text(json.dumps({"command": command, "args": args, "results": results},
                                indent=1, default=str))
    if not a.no_doc:
        write_doc(results, a.systems, a.threads, command, a)
    return 0


if __name__ == "__main__":
    sys.exit(main())
