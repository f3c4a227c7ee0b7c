"""The `ember` command line.

    ember run model.pte [ember_run flags...]   run a .pte with the C++ runner (`ember run
                                                --help`); --profile prints a per-op table,
                                                --trace FILE writes a Chrome trace,
                                                --etdump FILE an ETDump (ExecuTorch's
                                                Inspector reads it),
                                                --threads N sizes the thread pool; a .bpte
                                                runs the program inside on its first
                                                test case's inputs
    ember run model.bpte --verify [--method NAME] [--rtol R] [--atol A]
                                                run every test case of a bundled program
                                                (ember.devtools.BundledProgram, or
                                                ExecuTorch's) and compare the outputs:
                                                exit 0 when |got - expected| <= A + R *
                                                |expected| everywhere (defaults R 1e-05,
                                                A 1e-08, ExecuTorch's; integers exact),
                                                1 with the worst difference (method,
                                                test case, output, element, expected
                                                and got) otherwise
    ember llm model.pte --tokenizer PATH --prompt TEXT [ember_llm flags...]
                                                generate text with the C++ LLM runner
                                                (`ember llm --help`): the text as it
                                                streams, then one stats line
    ember inspect model.pte [--json]            header, segments, constants, and per method:
                                                inputs/outputs, operators, delegates, memory
                                                (of a .bpte: its test cases per method, then
                                                the program inside)
    ember inspect model.pte --html [-o OUT.html] [--debug-info model.debug.json]
                                                the graph view: one self-contained page (no
                                                network) drawing every method's instructions
                                                and the tensors between them, coloured by
                                                backend; with the debug info
                                                (save_debug_info), Edge ops, source lines
                                                and each fallback's reason
    ember export SOURCE [-o OUT.pte] [--backend portable|xnnpack] [--quantize MODE]
                 [--dynamic [SYM=]INPUT:DIM:MIN:MAX]... [--quiet] [--debug]
                                                a .pte from a torch.export.save'd .pt2, or
                                                from FILE.py:FUNCTION / MODULE:FUNCTION
                                                returning (model, args), (model, args,
                                                kwargs) or an ExportedProgram; prints the
                                                delegation summary and the file written
                                                (`ember export --help`: the quantize modes)
    ember bench model.pte [--iterations N | --seconds S] [--warmup N] [--threads N]
                [--input FILE]... [--seed S] [--profile] [--trace FILE] [--json]
                                                latency percentiles (min, p50, p90, p99,
                                                mean, max) of timed runs through
                                                ember.runtime; --profile adds the per-op
                                                table of Module.profile
    ember --version                             the installed package's version

`export` and `bench` draw progress bars (tqdm, when installed) on stderr when
it is a terminal and --quiet is not given. Their errors are one line on
stderr, `ember export: ...`, and exit status 1 (--debug prints the
traceback too).

Output into a pipe whose reader stops early (`ember inspect model.pte | head`)
ends the command quietly, as SIGPIPE ends a Unix tool.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys

from . import _C, __version__, _cli_bench, _cli_export, _cli_selective, runtime
from .errors import EmberError


def _inspect(path: str, graph: bool = False) -> dict:
    """Everything `ember inspect` shows, as plain data (the --json output);
    with `graph`, each method also has "graph", its values and instructions
    (RuntimeModule.method_graph: what --html draws). Reads the file's header
    and flatbuffer only: no method is loaded, so files with operators or
    delegates this runtime lacks still inspect."""
    module = _C.RuntimeModule.load(os.fspath(path))
    info = {"file": os.fspath(path), **module.program_summary()}
    if graph:
        for m in info["methods"]:
            m["graph"] = module.method_graph(m["name"])
    suites = module.bundled_test_cases()
    if suites is not None:  # a .bpte: the rest describes the program inside
        info["bundled"] = {"file_size": os.path.getsize(path),
                           "test_suites": [{"method": m, "test_cases": n} for m, n in suites]}
    return info


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _describe(v: dict) -> str:
    if v["kind"] != "Tensor":
        return v["kind"]
    where = "planned" if v["planned"] else "caller memory"
    dyn = "" if v["dynamism"] == "static" else f", {v['dynamism']} (sizes are the bound)"
    return (f"{v['dtype']} {v['sizes']} dim_order {v['dim_order']} ({where}{dyn}), "
            f"{v['nbytes']} bytes")


def _header_lines(info: dict) -> list[str]:
    h = info["header"]
    if not h["extended_header"]:
        return ["header: no extended header (the whole file is the flatbuffer, no segment data)"]
    return [
        "header: extended header eh00",
        f"  program_size        {h['program_size']}",
        f"  segment_base_offset {h['segment_base_offset']}",
        f"  segment_data_size   {h['segment_data_size']}",
    ]


def _segment_lines(info: dict) -> list[str]:
    segs = info["segments"]
    if not segs:
        return ["segments: none"]
    lines = [f"segments: {len(segs)}"]
    for s in segs:
        what = ", ".join(s["contents"]) or "unused"
        bad = "" if s["in_file"] else "  (OUTSIDE THE FILE'S SEGMENT DATA)"
        lines.append(f"  [{s['index']}] offset {s['offset']} (file offset {s['file_offset']}), "
                     f"{s['size']} bytes: {what}{bad}")
    return lines


def _data_lines(info: dict) -> list[str]:
    c = info["constants"]
    if c["storage"] == "segment":
        where = f"in segment {c['segment_index']}"
    elif c["storage"] == "inline":
        where = "in Program.constant_buffer (inline, legacy)"
    else:
        where = "(no constant storage)"
    lines = [f"constant data: {c['data_bytes']} bytes {where}, "
             f"{_plural(c['num_buffers'], 'buffer')} (index 0 reserved), "
             f"{c['tensor_bytes']} bytes of distinct constant tensors"]
    md = info["mutable_data"]
    if md:
        parts = [f"segment {m['segment_index']} ({_plural(m['num_buffers'], 'offset')})"
                 for m in md]
        lines.append("mutable data: " + ", ".join(parts))
    else:
        lines.append("mutable data: none")
    nd = info["named_data"]
    if nd:
        lines.append(f"named data: {len(nd)} {'entry' if len(nd) == 1 else 'entries'}, "
                     f"{sum(n['size'] for n in nd)} bytes")
        for n in nd:
            lines.append(f"  '{n['key']}': segment {n['segment_index']}, {n['size']} bytes")
    else:
        lines.append("named data: none")
    inline = info["inline_delegate_data_sizes"]
    if inline:
        lines.append(f"inline delegate data: {_plural(len(inline), 'blob')}, sizes {inline}")
    return lines


def _method_lines(m: dict) -> list[str]:
    ins = m["instructions"]
    kinds = [f"{ins['kernel_calls']} kernel"]
    for key, word in (("delegate_calls", "delegate"), ("move_calls", "move"),
                      ("jump_false_calls", "jump_false"), ("free_calls", "free")):
        if ins[key]:
            kinds.append(f"{ins[key]} {word}")
    v = m["values"]
    lines = [
        f"method {m['name']}: {_plural(m['num_instructions'], 'instruction')} "
        f"({', '.join(kinds)}), {_plural(m['num_chains'], 'chain')}",
        f"  values: {v['total']} ({_plural(v['constant_tensors'], 'constant tensor')}, "
        f"{v['planned_tensors']} planned, {v['mutable_tensors']} planned with an initial value)",
    ]
    for i, x in enumerate(m["inputs"]):
        lines.append(f"  input  {i}: {_describe(x)}")
    for i, x in enumerate(m["outputs"]):
        lines.append(f"  output {i}: {_describe(x)}")
    lines.append(f"  input container:  {m['input_spec'] or '(none)'}")
    lines.append(f"  output container: {m['output_spec'] or '(none)'}")
    ops = m["operators"]
    lines.append(f"  operators: {len(ops)}")
    width = max((len(op["name"]) for op in ops), default=0)
    for op in ops:
        lines.append(f"    {op['name']:<{width}}  {_plural(op['calls'], 'call')}")
    dels = m["delegates"]
    lines.append(f"  delegates: {len(dels) or 'none'}")
    for i, d in enumerate(dels):
        where = ("Program.backend_delegate_data" if d["location"] == "inline" else "segment")
        bad = "" if d["valid"] else " (INDEX OUT OF RANGE)"
        keys = ", ".join(d["compile_spec_keys"]) or "none"
        lines.append(f"    [{i}] {d['id']}: {where} {d['index']}{bad}, {d['size']} bytes, "
                     f"compile specs: {keys}, {_plural(d['calls'], 'call')}")
    sizes = m["planned_buffer_sizes"]
    lines.append(f"  planned memory: {m['planned_memory']} bytes in "
                 f"{_plural(len(sizes), 'buffer')}")
    for i, s in enumerate(sizes):
        lines.append(f"    buffer {i} (memory_id {i + 1}): {s} bytes")
    return lines


def _print_inspect(info: dict) -> None:
    methods = _plural(len(info["methods"]), "method")
    lines = [f"{info['file']}: {info['file_size']} bytes, {methods}"]
    if "bundled" in info:
        b = info["bundled"]
        cases = ", ".join(f"{s['method']} {s['test_cases']}" for s in b["test_suites"])
        lines = [f"{info['file']}: bundled program (.bpte), {b['file_size']} bytes; test cases: "
                 f"{cases or 'none'} (`ember run --verify` runs them)",
                 f"the program inside: {info['file_size']} bytes, {methods}"]
    lines += _header_lines(info) + _segment_lines(info) + _data_lines(info)
    for m in info["methods"]:
        lines += [""] + _method_lines(m)
    print("\n".join(lines))


def _write_html(args: argparse.Namespace) -> int:
    """`ember inspect --html`: the graph view (ember.devtools.graph_view)."""
    from .devtools import graph_view

    out = args.output or os.path.splitext(args.model)[0] + ".html"
    try:
        what = graph_view.save_html(args.model, out, args.debug_info)
    except (EmberError, OSError, ValueError) as e:
        print(f"ember: {e}", file=sys.stderr)
        return 1
    print(f"wrote {out}: {what}; open it in a browser")
    return 0


def main(argv: list[str] | None = None) -> int:
    try:
        try:
            return _main(argv)
        finally:
            sys.stdout.flush()  # here, so that a closed pipe is seen here
    except BrokenPipeError:
        # The reader went away (`ember inspect model.pte | head`): stop quietly
        # with the status of a tool SIGPIPE ended. stdout goes to /dev/null so
        # that Python's own flush at exit does not fail on the pipe again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return 128 + signal.SIGPIPE


def _main(argv: list[str] | None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="ember", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"ember {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a .pte or .bpte with the C++ runner (ember_run)")
    run.add_argument("model")
    llm = sub.add_parser("llm", help="generate text from an ember.llm.export .pte (ember_llm)")
    llm.add_argument("model")
    inspect = sub.add_parser("inspect", help="describe a .pte (or a .bpte)")
    inspect.add_argument("model")
    inspect.add_argument("--json", action="store_true", help="print JSON")
    inspect.add_argument("--html", action="store_true",
                         help="write the graph view, a self-contained HTML page")
    inspect.add_argument("-o", "--output", metavar="OUT.html",
                         help="with --html: where (default: the model's path with .html)")
    inspect.add_argument("--debug-info", metavar="FILE",
                         help="with --html: the program's save_debug_info JSON (Edge ops, "
                              "source lines, why backends refused ops)")
    _cli_export.add_parser(sub)
    _cli_bench.add_parser(sub)
    _cli_selective.add_parser(sub)

    if argv and argv[0] in ("run", "llm"):
        # Everything after the command goes to ember_run / ember_llm unchanged.
        if len(argv) < 2:
            parser.parse_args(argv)
        runner = str(runtime.tool_path("ember_run" if argv[0] == "run" else "ember_llm"))
        if argv[0] == "llm" and not os.path.isfile(runner):
            print(f"ember: ember_llm is not installed (looked for {runner})", file=sys.stderr)
            return 1
        # Python ignores SIGPIPE and an ignored signal stays ignored across
        # exec: give the runner the default, so a closed pipe ends it quietly.
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        os.execv(runner, [runner, *argv[1:]])
    args = parser.parse_args(argv)
    if args.command == "export":
        return _cli_export.main(args)
    if args.command == "bench":
        return _cli_bench.main(args)
    if args.command == "selective-build":
        return _cli_selective.main(args)
    if args.html:
        if args.json:
            parser.error("inspect: --html and --json do not go together")
        return _write_html(args)
    if args.output or args.debug_info:
        parser.error("inspect: --output and --debug-info go with --html")
    try:
        info = _inspect(args.model)
    except (EmberError, OSError) as e:
        print(f"ember: {e}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(info, indent=2))
    else:
        _print_inspect(info)
    return 0


if __name__ == "__main__":
    sys.exit(main())
