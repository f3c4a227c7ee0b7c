"""Run every zoo model at full size, each in a fresh process, and record the
results in docs/models.md (the issue's "each full-size model must pass at
least once, with its result recorded").

    .venv/bin/python tests/models/record_full.py            # all models
    .venv/bin/python tests/models/record_full.py llama bert # some
    .venv/bin/python tests/models/record_full.py --dynamic  # exported with dynamic shapes

A model's row says pass/FAIL against the zoo bound 1e-4 * max(1, max |eager|),
its max difference, the .pte size and the times; a model that cannot compile
shows the error's first line.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DOC = ROOT / "docs" / "models.md"
RESULTS = ROOT / "build" / "zoo_full.json"
RESULTS_DYNAMIC = ROOT / "build" / "zoo_full_dynamic.json"

CHILD = r"""
import json, sys, tempfile, time
sys.path.insert(0, {here!r})
import torch
torch.manual_seed(0)
from zoo import ZOO, tolerance
import ember
name = {name!r}
model, args = ZOO[name](True)
t0 = time.perf_counter()
ep = torch.export.export(model, args)
t1 = time.perf_counter()
with tempfile.TemporaryDirectory() as d:
    path = d + "/m.pte"
    ember.to_edge(ep).to_executorch().save(path)
    t2 = time.perf_counter()
    size = __import__("os").path.getsize(path)
    module = ember.runtime.load(path)
    t3 = time.perf_counter()
    got = module.forward(*args)
    t4 = time.perf_counter()
with torch.no_grad():
    want = model(*args)
got = got[0] if isinstance(got, (tuple, list)) else got
want = want[0] if isinstance(want, (tuple, list)) else want
params = sum(p.numel() for p in model.parameters())
diff = (got - want).abs().max().item()
scale = want.abs().max().item()
print("RESULT " + json.dumps(dict(
    model=name, params=params, shape=list(want.shape), max_abs_diff=diff, max_abs_eager=scale,
    bound=tolerance(scale), ok=bool(got.shape == want.shape and diff <= tolerance(scale)),
    pte_bytes=size, export_s=t1 - t0, compile_s=t2 - t1, load_s=t3 - t2, run_s=t4 - t3)))
"""


# Dynamic shapes: the bounds and sizes of tests/models/test_zoo_dynamic.py at
# full size; the .pte is compiled once and run at the bound and below it.
CHILD_DYNAMIC = r"""
import json, sys, time
sys.path.insert(0, {here!r})
import torch
torch.manual_seed(0)
from zoo import tolerance
from test_zoo_dynamic import dynamic_case, _export
import ember
name = {name!r}
model, example, spec, runs = dynamic_case(name, full=True)
t0 = time.perf_counter()
ep = _export(model, example, spec)
t1 = time.perf_counter()
program = ember.to_edge(ep).to_executorch()
t2 = time.perf_counter()
module = ember.runtime.load(program.buffer)
meta = module.method_meta("forward")
cases = []
for case in runs:
    t3 = time.perf_counter()
    got = module.forward(*case)
    t4 = time.perf_counter()
    with torch.no_grad():
        want = model(*case)
    diff = (got - want).abs().max().item()
    bound = tolerance(want.abs().max().item())
    cases.append(dict(input=list(case[0].shape), output=list(got.shape), max_abs_diff=diff,
                      bound=bound, ok=bool(got.shape == want.shape and diff <= bound),
                      run_s=t4 - t3))
print("RESULT " + json.dumps(dict(
    model=name, bounds=[i["sizes"] for i in meta["inputs"]],
    dynamism=[i["dynamism"] for i in meta["inputs"]], cases=cases,
    ok=all(c["ok"] for c in cases) and all(d == "dynamic_bound" for d in
                                            (i["dynamism"] for i in meta["inputs"])),
    planned_bytes=sum(meta["planned_buffer_sizes"]), pte_bytes=len(program),
    export_s=t1 - t0, compile_s=t2 - t1)))
"""


def run_one(name: str, dynamic: bool = False) -> dict:
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    start = time.perf_counter()
    child = CHILD_DYNAMIC if dynamic else CHILD
    proc = subprocess.run([sys.executable, "-c", child.format(here=str(HERE), name=name)],
                          capture_output=True, text=True, env=env, timeout=3600)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    err = [ln for ln in proc.stderr.splitlines() if ln.strip() and not ln.startswith(("W", "I"))]
    tail = next((ln for ln in reversed(err) if "Error" in ln), err[-1] if err else "no output")
    if proc.returncode < 0:
        tail = f"killed by signal {-proc.returncode} (out of memory?)"
    return {"model": name, "ok": False, "error": tail[:300],
            "wall_s": time.perf_counter() - start}


def write_doc(results: list[dict], dynamic: list[dict]) -> None:
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.processor())
    import torch
    lines = [
        "# The model zoo at full size",
        "",
        "Every zoo model at its published size, random weights, compiled by Ember and run by",
        "Ember's runtime (portable kernels), compared with eager PyTorch. The bound is",
        "max |ember - eager| <= 1e-4 * max(1, max |eager|) (float32).",
        "",
        f"Recorded {time.strftime('%Y-%m-%d')} on {cpu} ({os.cpu_count()} cores), "
        f"torch {torch.__version__}, by `.venv/bin/python tests/models/record_full.py`.",
        "The test command runs the same models at small size (tests/models/test_zoo.py).",
        "Times are single wall-clock readings on a shared machine, for orientation only;",
        "speed is measured by the benchmarks in bench/.",
        "",
        "| model | params | output | result | max abs diff | bound | .pte bytes | export s | "
        "compile s | run s |",
        "|---|---:|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        if "error" in r:
            lines.append(f"| {r['model']} | | | FAIL: {r['error']} | | | | | | |")
            continue
        lines.append(
            f"| {r['model']} | {r['params']:,} | {r['shape']} | {'pass' if r['ok'] else 'FAIL'} | "
            f"{r['max_abs_diff']:.2e} | {r['bound']:.2e} | {r['pte_bytes']:,} | "
            f"{r['export_s']:.1f} | {r['compile_s']:.1f} | {r['run_s']:.2f} |")
    if dynamic:
        lines += [
            "",
            "## Dynamic shapes at full size",
            "",
            "Each model exported with a dynamic batch (and sequence length for the language",
            "models; GPT-2's batch stays 1, see tests/models/test_zoo_dynamic.py), compiled once,",
            "planned at the upper bound, and run at the bound and below it. "
            "`record_full.py --dynamic`.",
            "",
            "| model | input bounds | runs (input: max abs diff / bound) | result | "
            "planned bytes | compile s |",
            "|---|---|---|---|---:|---:|",
        ]
        for r in dynamic:
            if "error" in r:
                lines.append(f"| {r['model']} | | | FAIL: {r['error']} | | |")
                continue
            runs = "; ".join(f"{c['input']}: {c['max_abs_diff']:.1e} / {c['bound']:.1e}"
                             for c in r["cases"])
            lines.append(f"| {r['model']} | {r['bounds']} | {runs} | "
                         f"{'pass' if r['ok'] else 'FAIL'} | {r['planned_bytes']:,} | "
                         f"{r['compile_s']:.1f} |")
    DOC.write_text("\n".join(lines) + "\n")


def _load(path: Path) -> dict[str, dict]:
    return {r["model"]: r for r in json.loads(path.read_text())} if path.exists() else {}


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(HERE))
    from zoo import ZOO
    dynamic = "--dynamic" in argv
    names = [a for a in argv if a != "--dynamic"]
    path = RESULTS_DYNAMIC if dynamic else RESULTS
    old = _load(path)
    for name in names or sorted(ZOO):
        r = run_one(name, dynamic)
        print(json.dumps(r), flush=True)
        old[name] = r
    results = [old[n] for n in sorted(old) if n in ZOO]
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(results, indent=1))
    tables = {False: _load(RESULTS), True: _load(RESULTS_DYNAMIC)}
    write_doc([tables[False][n] for n in sorted(tables[False]) if n in ZOO],
              [tables[True][n] for n in sorted(tables[True]) if n in ZOO])
    return 0 if all(r.get("ok") for r in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
