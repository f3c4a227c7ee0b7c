"""Memory planning report: per zoo model, Ember's planned arena bytes, the
lower bound (the most bytes alive at any one instruction), every Ember
algorithm's plan, and ExecuTorch 1.4.1's planned bytes for the same exported
program (its .pte's non_const_buffer_sizes, default to_edge -> to_executorch).
Both plan user inputs and outputs and let views share memory (their defaults).

    .venv/bin/python bench/memory_plan.py                 # every model, full size
    .venv/bin/python bench/memory_plan.py resnet50 bert   # some
    .venv/bin/python bench/memory_plan.py --small         # the test-size models
    .venv/bin/python bench/memory_plan.py --ember-only    # keep the recorded ExecuTorch figures
    .venv/bin/python bench/memory_plan.py --campaign 400  # random graphs and variants
    .venv/bin/python bench/memory_plan.py --campaign 400 --jobs 2

Each zoo model is exported and compiled in a fresh process per system (large
models need the memory). The campaign compares Ember's plan with ExecuTorch's
on N seeded random CNN- and transformer-shaped graphs
(tests/models/random_graphs.py), every test-size zoo model, and the vision
zoo with other padding styles ("same", explicit F.pad) and input sizes (the
full-size models at 128x128 included); it fails (exit 1) if Ember's plan is
ever larger. Writes build/bench/memory_plan.json (zoo) or
memory_plan_campaign.json, and the "Memory planning" section of
docs/benchmarks.md (both tables). A peer that fails shows its error.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script: bench/ itself is on the path, not the root
from bench.report import DOC, recorded_line, replace_section  # noqa: E402

MODELS = ROOT / "tests" / "models"
OUT_JSON = ROOT / "build" / "bench" / "memory_plan.json"
CAMPAIGN_JSON = ROOT / "build" / "bench" / "memory_plan_campaign.json"
SECTION = "## Memory planning"
ALGORITHMS = ["greedy", "greedy_by_size", "greedy_by_size_first_fit", "greedy_by_breadth",
              "refined"]
# The vision zoo's variants: (full size?, padding style, input size).
VARIANTS = ([(False, padding, size) for padding in ("torch", "same", "explicit")
             for size in (64, 96, 128, 160)]
            + [(True, padding, 128) for padding in ("torch", "same", "explicit")])

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


# ---------------------------------------------------------------------------
# The campaign: many small programs, in-process (a pool of workers)
# ---------------------------------------------------------------------------


def plan_both(model, args: tuple) -> dict:
    """Ember's plan (bytes, lower bound, kept algorithm, every candidate) and
    ExecuTorch's planned bytes for one exported program, both with their
    default options (inputs and outputs planned, views shared, 16-byte
    alignment), on the same graph: Ember's channels-last pass is off (its
    transposed copies of a CNN's input and last feature map are extra
    tensors ExecuTorch's graph does not have)."""
    import torch
    from executorch.exir import to_edge

    import ember

    ep = torch.export.export(model, args)
    session = ember.to_edge(ep)._import()
    session.run_to("memory-plan", channels_last=False)
    plan = session.memory_plans()["forward"]
    program = to_edge(ep).to_executorch()
    sizes = program.executorch_program.execution_plan[0].non_const_buffer_sizes
    return dict(ember=sum(plan["arena_bytes"]), bound=sum(plan["lower_bound"]),
                executorch=sum(sizes), algorithm=plan["algorithm"],
                candidates=plan["candidates"])


def campaign_cases(seeds: int) -> list[tuple]:
    """("random", seed) for every seed, ("zoo", name) for every test-size zoo
    model, ("variant", name, full, padding, size) for the vision zoo."""
    sys.path.insert(0, str(MODELS))
    from vision import VISION_MODELS
    from zoo import ZOO
    cases: list[tuple] = [("random", s) for s in range(seeds)]
    cases += [("zoo", name) for name in sorted(ZOO)]
    cases += [("variant", name, full, padding, size) for name in sorted(VISION_MODELS)
              for full, padding, size in VARIANTS]
    return cases


def case_name(case: tuple) -> str:
    if case[0] == "random":
        return f"random {case[1]} ({'cnn' if case[1] % 2 == 0 else 'transformer'})"
    if case[0] == "zoo":
        return case[1]
    _, name, full, padding, size = case
    return f"{name}{'' if full else ' (small)'} {padding} {size}"


def build_case(case: tuple):
    """The model and example inputs of a campaign case."""
    import torch

    sys.path.insert(0, str(MODELS))
    from random_graphs import PADDINGS, random_model
    from zoo import ZOO
    if case[0] == "random":
        return random_model(case[1])
    if case[0] == "zoo":
        torch.manual_seed(0)
        return ZOO[case[1]](False)
    _, name, full, padding, size = case
    model, _ = ZOO[name](full)
    return PADDINGS[padding](model), (torch.randn(1, 3, size, size,
                                                  generator=torch.Generator().manual_seed(0)),)


def run_case(case: tuple) -> dict:
    import logging
    import warnings
    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)
    t0 = time.perf_counter()
    try:
        row = plan_both(*build_case(case))
    except Exception as e:  # noqa: BLE001 - a failing case is reported, not fatal
        row = {"error": f"{type(e).__name__}: {str(e).splitlines()[0][:160]}"}
    row.update(case=list(case), name=case_name(case), seconds=time.perf_counter() - t0)
    return row


def campaign(seeds: int, jobs: int) -> list[dict]:
    import multiprocessing
    cases = campaign_cases(seeds)
    rows = []
    recorded = recorded_line(f".venv/bin/python bench/memory_plan.py --campaign {seeds} "
                             f"--jobs {jobs}")
    CAMPAIGN_JSON.parent.mkdir(parents=True, exist_ok=True)
    # Fresh workers now and then: ExecuTorch's export keeps memory. The JSON
    # is written as rows come (complete=False until the last).
    with multiprocessing.get_context("spawn").Pool(jobs, maxtasksperchild=25) as pool:
        for row in pool.imap(run_case, cases):
            print(json.dumps(row), flush=True)
            rows.append(row)
            CAMPAIGN_JSON.write_text(json.dumps(dict(seeds=seeds, recorded=recorded, rows=rows,
                                                     complete=len(rows) == len(cases)), indent=1))
    return rows


def summary(rows: list[dict]) -> dict:
    """Mean and worst Ember / bound and Ember / ExecuTorch over `rows` (the
    errors left out), the count, and how often Ember is above ExecuTorch."""
    ok = [r for r in rows if "error" not in r]
    over_bound = [r["ember"] / r["bound"] if r["bound"] else 1.0 for r in ok]
    over_et = [r["ember"] / r["executorch"] if r["executorch"] else 1.0 for r in ok]
    et_bound = [r["executorch"] / r["bound"] if r["bound"] else 1.0 for r in ok]
    mean = lambda xs: sum(xs) / len(xs) if xs else float("nan")  # noqa: E731
    return dict(n=len(ok), errors=len(rows) - len(ok),
                mean_bound=mean(over_bound), worst_bound=max(over_bound, default=float("nan")),
                at_bound=sum(x <= 1.0 for x in over_bound),
                et_mean_bound=mean(et_bound), et_worst_bound=max(et_bound, default=float("nan")),
                mean_et=mean(over_et), worst_et=max(over_et, default=float("nan")),
                losses=sum(x > 1.0 for x in over_et), wins=sum(x < 1.0 for x in over_et),
                refined=sum(r["algorithm"] == "refined" for r in ok))


# ---------------------------------------------------------------------------
# The doc
# ---------------------------------------------------------------------------


def mib(n: int) -> str:
    return f"{n / 2**20:,.2f}"


def zoo_lines(rows: list[dict], full: bool) -> list[str]:
    lines = [
        "Activation memory of each zoo model "
        f"({'full size' if full else 'test size'}, batch 1), in MiB: Ember's plan (the smallest",
        "of its algorithms), the lower bound no plan can beat (the most bytes alive at one",
        "instruction), and ExecuTorch's plan of the same exported program. Inputs and outputs",
        "planned, views sharing memory, 16-byte alignment, for both. \"plan s\" is the time of",
        "Ember's memory-plan phase alone (every algorithm, the search, the checker).",
        "",
        rows[0].get("recorded") if rows else "",
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
        lines += ["", f"Mean Ember / lower bound: {sum(ratios_bound) / len(ratios_bound):.3f}; "
                  f"worst: {max(ratios_bound):.3f}."]
    if ratios_et:
        lines += [f"Mean Ember / ExecuTorch: {sum(ratios_et) / len(ratios_et):.3f}; "
                  f"largest: {max(ratios_et):.3f}."]
    return lines


def campaign_lines(data: dict) -> list[str]:
    rows, seeds = data["rows"], data["seeds"]
    randoms = [r for r in rows if r["case"][0] == "random"]
    groups = [("random CNNs", [r for r in randoms if r["case"][1] % 2 == 0]),
              ("random transformers", [r for r in randoms if r["case"][1] % 2 == 1]),
              ("zoo, test size", [r for r in rows if r["case"][0] == "zoo"]),
              ("vision zoo variants", [r for r in rows if r["case"][0] == "variant"]),
              ("all", rows)]
    lines = [
        CAMPAIGN_HEADING,
        "",
        f"{seeds} seeded random programs (tests/models/random_graphs.py: even seeds CNN-shaped —",
        "conv / batch norm / activation chains, explicit pads, pools, residual adds, concatenated",
        "branches, in torch, \"same\" or explicit padding; odd seeds transformer-shaped — linear,",
        "attention with softmax, layer norm, GELU or gated SiLU MLPs, residuals), every test-size",
        "zoo model, and the vision zoo at test size with torch, TensorFlow \"same\" (F.pad, odd",
        "pixel after, then an unpadded conv) and explicit F.pad padding at 64, 96, 128 and",
        "160 pixels, and at full size at 128 pixels in the three styles. Each exported once;",
        "Ember's plan and ExecuTorch 1.4.1's (to_edge → to_executorch) of that program, both",
        "with their defaults. Ratios to Ember's lower bound (the most bytes alive at one",
        "instruction of Ember's program: ExecuTorch's program can have more, e.g. a transposed",
        "linear weight it does not fold).",
        "",
        data["recorded"],
        "",
        "| programs | count | Ember / bound, mean | worst | at the bound | "
        "ExecuTorch / bound, mean | worst | Ember / ExecuTorch, mean | worst | "
        "Ember larger | Ember smaller | kept refined |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for title, group in groups:
        s = summary(group)
        errors = f" ({s['errors']} failed)" if s["errors"] else ""
        lines.append(
            f"| {title} | {s['n']}{errors} | {s['mean_bound']:.4f} | {s['worst_bound']:.3f} | "
            f"{s['at_bound']} | {s['et_mean_bound']:.3f} | {s['et_worst_bound']:.3f} | "
            f"{s['mean_et']:.3f} | {s['worst_et']:.3f} | {s['losses']} | {s['wins']} | "
            f"{s['refined']} |")
    ok = [r for r in rows if "error" not in r and r["bound"] and r["executorch"]]
    heuristics = [a for a in ALGORITHMS if a != "refined"]
    for title, pick in (("the heuristics alone (no refined search)",
                         lambda c: min(c[a] for a in heuristics)),
                        ("Ember's re-implementation of ExecuTorch's greedy alone",
                         lambda c: c["greedy"])):
        over_bound = [pick(r["candidates"]) / r["bound"] for r in ok]
        over_et = [pick(r["candidates"]) / r["executorch"] for r in ok]
        if ok:
            lines += ["", f"With {title}: Ember / bound mean {sum(over_bound) / len(ok):.4f}, "
                      f"worst {max(over_bound):.3f}; larger than ExecuTorch's real plan on "
                      f"{sum(x > 1 for x in over_et)} programs (worst {max(over_et):.3f})."]
    if not data.get("complete", True):
        lines += ["", f"Incomplete run: {len(rows)} programs recorded."]
    worst = sorted((r for r in rows if "error" not in r and r["bound"]),
                   key=lambda r: -r["ember"] / r["bound"])[:5]
    lines += ["", "Farthest from the bound: " + "; ".join(
        f"{r['name']} {r['ember'] / r['bound']:.3f} (ExecuTorch {r['executorch'] / r['bound']:.3f})"
        for r in worst) + "."]
    failed = [r for r in rows if "error" in r]
    if failed:
        lines += ["", "Failed: " + "; ".join(f"{r['name']}: {r['error']}" for r in failed) + "."]
    return lines


CAMPAIGN_HEADING = "### Random graphs and variants: Ember against ExecuTorch"


def recorded_parts() -> tuple[list[str], list[str]]:
    """The zoo table and the campaign part of the section as docs/benchmarks.md
    has them now: a run that has no data for one keeps it."""
    text = DOC.read_text() if DOC.exists() else ""
    start = text.find(SECTION)
    if start < 0:
        return [], []
    end = text.find("\n## ", start + len(SECTION))
    body = text[start + len(SECTION):end if end >= 0 else len(text)].strip("\n")
    zoo, _, rest = body.partition(CAMPAIGN_HEADING)
    return (zoo.strip("\n").splitlines(),
            (CAMPAIGN_HEADING + rest).strip("\n").splitlines() if rest else [])


def write_doc() -> None:
    zoo, runs = recorded_parts()
    if OUT_JSON.exists():
        rows = json.loads(OUT_JSON.read_text())
        full = all(r.get("full", True) for r in rows)
        sys.path.insert(0, str(MODELS))
        from zoo import ZOO
        zoo = zoo_lines([r for r in rows if r["model"] in ZOO], full)
    if CAMPAIGN_JSON.exists():
        runs = campaign_lines(json.loads(CAMPAIGN_JSON.read_text()))
    replace_section([SECTION, ""] + zoo + ([""] + runs if runs else []))


def main(argv: list[str]) -> int:
    known = ("--small", "--ember-only", "--campaign", "--jobs")
    unknown = [a for a in argv if a.startswith("-") and a not in known]
    if unknown:  # e.g. --help: say what the script takes instead of starting a long run
        print(__doc__, file=sys.stderr)
        return 2
    if "--campaign" in argv:
        seeds = int(argv[argv.index("--campaign") + 1])
        jobs = int(argv[argv.index("--jobs") + 1]) if "--jobs" in argv else 1
        rows = campaign(seeds, jobs)
        write_doc()
        s = summary(rows)
        print(json.dumps(s))
        return 1 if s["losses"] else 0
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
               "recorded": recorded_line(f".venv/bin/python bench/memory_plan.py"
                                         f"{'' if full else ' --small'}"),
               "executorch": recorded if ember_only and recorded else run("executorch", name, full)}
        print(json.dumps(row), flush=True)
        old[name] = row
    rows = [old[n] for n in sorted(old) if n in ZOO]
    OUT_JSON.parent.mkdir(parents=True, exist_ok=True)
    OUT_JSON.write_text(json.dumps(rows, indent=1))
    write_doc()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
