"""Memory planning report: per zoo model, Ember's planned arena bytes, the
lower bound (the most bytes alive at any one instruction), every Ember
algorithm's plan, and ExecuTorch 1.4.1's planned bytes for the same exported
program (its .pte's non_const_buffer_sizes, default to_edge -> to_executorch).
Both plan user inputs and outputs and let views share memory (their defaults).

    .venv/bin/python bench/memory_plan.py                 # every model, full size
    .venv/bin/python bench/memory_plan.py resnet50 bert   # some
    .venv/bin/python bench/memory_plan.py --small         # the test-size models
    .venv/bin/python bench/memory_plan.py --ember-only    # keep the recorded ExecuTorch figures

Each model is exported and compiled in a fresh process per system (large
models need the memory). Writes build/bench/memory_plan.json and the
"Memory planning" section of docs/benchmarks.md. A peer that fails shows its
error in the table.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script: bench/ itself is on the path, not the root
from bench.report import recorded_line, replace_section  # noqa: E402

MODELS = ROOT / "tests" / "models"
OUT_JSON = ROOT / "build" / "bench" / "memory_plan.json"
SECTION = "## Memory planning"
ALGORITHMS = ["greedy", "greedy_by_size", "greedy_by_size_first_fit", "greedy_by_breadth"]

CHILD = r"""
import json, sys, time
sys.path.insert(0, {models!r})
import torch
torch.manual_seed(0)
from zoo import ZOO
model, args = ZOO[{name!r}]({full!r})
ep = torch.export.export(model, args)
t0 = time.perf_counter()
if {system!r} == "ember":
    import ember
    edge = ember.to_edge(ep)
    session = edge._import()  # the planner alone: verify + plan, timed
    t1 = time.perf_counter()
    session.run_to("memory-plan")
    plan_s = time.perf_counter() - t1
    plan = session.memory_plans()["forward"]
    result = dict(planned=sum(plan["arena_bytes"]), lower_bound=sum(plan["lower_bound"]),
                  algorithm=plan["algorithm"], candidates=plan["candidates"], plan_s=plan_s)
else:
    from executorch.exir import to_edge
    program = to_edge(ep).to_executorch()
    sizes = program.executorch_program.execution_plan[0].non_const_buffer_sizes
    result = dict(planned=sum(sizes))
result["seconds"] = time.perf_counter() - t0
print("RESULT " + json.dumps(result))
"""


def run(system: str, name: str, full: bool) -> dict:
    script = CHILD.format(models=str(MODELS), name=name, full=full, system=system)
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=env, timeout=3600)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    tail = next((ln for ln in reversed(lines) if re.search(r"Error|error", ln)),
                lines[-1] if lines else f"exit {proc.returncode}")
    if proc.returncode < 0:
        tail = f"killed by signal {-proc.returncode} (out of memory?)"
    return {"error": tail[:200]}


def mib(n: int) -> str:
    return f"{n / 2**20:,.2f}"


def write_doc(rows: list[dict], full: bool) -> None:
    lines = [
        SECTION,
        "",
        "Activation memory of each zoo model "
        f"({'full size' if full else 'test size'}, batch 1), in MiB: Ember's plan (the smallest",
        "of its algorithms), the lower bound no plan can beat (the most bytes alive at one",
        "instruction), and ExecuTorch's plan of the same exported program. Inputs and outputs",
        "planned, views sharing memory, 16-byte alignment, for both. \"plan s\" is the time of",
        "Ember's memory-plan phase alone (every algorithm, the checker).",
        "",
        recorded_line(f".venv/bin/python bench/memory_plan.py{'' if full else ' --small'}"),
        "",
        "| model | Ember | lower bound | Ember / bound | ExecuTorch | Ember / ExecuTorch | "
        "kept | " + " | ".join(ALGORITHMS) + " | plan s |",
        "|---|---:|---:|---:|---:|---:|---|" + "---:|" * (len(ALGORITHMS) + 1),
    ]
    ratios_bound, ratios_et = [], []
    for r in rows:
        e, x = r["ember"], r["executorch"]
        if "error" in e:
            lines.append(f"| {r['model']} | FAIL: {e['error']} |" + " |" * (7 + len(ALGORITHMS)))
            continue
        c = e["candidates"]
        over = e["planned"] / e["lower_bound"] if e["lower_bound"] else 1.0
        ratios_bound.append(over)
        if "error" in x:
            et_cells = f"n/a: {x['error']} | "
        else:
            ratio = e["planned"] / x["planned"] if x["planned"] else float("nan")
            ratios_et.append(ratio)
            et_cells = f"{mib(x['planned'])} | {ratio:.3f}"
        lines.append(
            f"| {r['model']} | {mib(e['planned'])} | {mib(e['lower_bound'])} | {over:.3f} | "
            f"{et_cells} | {e['algorithm']} | "
            + " | ".join(mib(c[a]) if a in c else "" for a in ALGORITHMS)
            + (f" | {e['plan_s']:.3f} |" if "plan_s" in e else " | |"))
    if ratios_bound:
        lines += ["", f"Mean Ember / lower bound: {sum(ratios_bound) / len(ratios_bound):.3f}."]
    if ratios_et:
        lines += [f"Mean Ember / ExecuTorch: {sum(ratios_et) / len(ratios_et):.3f}; "
                  f"largest: {max(ratios_et):.3f}."]
    replace_section(lines)


def main(argv: list[str]) -> int:
    unknown = [a for a in argv if a.startswith("-") and a not in ("--small", "--ember-only")]
    if unknown:  # e.g. --help: say what the script takes instead of starting a long run
        print(__doc__, file=sys.stderr)
        return 2
    full = "--small" not in argv
    ember_only = "--ember-only" in argv
    names = [a for a in argv if not a.startswith("--")]
    sys.path.insert(0, str(MODELS))
    from zoo import ZOO
    old = {}
    if OUT_JSON.exists():
        old = {r["model"]: r for r in json.loads(OUT_JSON.read_text()) if r.get("full") == full}
    for name in names or sorted(ZOO):
        recorded = old.get(name, {}).get("executorch")
        row = {"model": name, "full": full, "ember": run("ember", name, full),
               "executorch": recorded if ember_only and recorded else run("executorch", name, full)}
        print(json.dumps(row), flush=True)
        old[name] = row
    rows = [old[n] for n in sorted(old) if n in ZOO]
    OUT_JSON.parent.mkdir(parents=True, exist_ok=True)
    OUT_JSON.write_text(json.dumps(rows, indent=1))
    write_doc(rows, full)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
