"""The `ember` command line.

    ember run model.pte [ember_run flags...]   run a .pte with the C++ runner
    ember inspect model.pte [--json]            methods, inputs/outputs, operators, memory
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from . import runtime
from .errors import EmberError


def _inspect(path: str) -> dict:
    m = runtime.load(path)
    size = os.path.getsize(path)
    methods = []
    for name in m.method_names:
        meta = m.method_meta(name)
        methods.append({
            "name": name,
            "inputs": meta["inputs"],
            "outputs": meta["outputs"],
            "operators": meta["operators"],
            "num_instructions": meta["num_instructions"],
            "planned_buffer_sizes": meta["planned_buffer_sizes"],
            "input_spec": meta["input_spec"],
            "output_spec": meta["output_spec"],
        })
    return {"file": path, "size": size, "methods": methods}


def _describe(v: dict) -> str:
    where = "planned" if v["planned"] else "caller memory"
    return f"{v['dtype']} {v['sizes']} dim_order {v['dim_order']} ({where})"


def _print_inspect(info: dict) -> None:
    print(f"{info['file']}: {info['size']} bytes, {len(info['methods'])} method(s)")
    for m in info["methods"]:
        print(f"\nmethod {m['name']}: {m['num_instructions']} instructions")
        for i, v in enumerate(m["inputs"]):
            print(f"  input  {i}: {_describe(v)}")
        for i, v in enumerate(m["outputs"]):
            print(f"  output {i}: {_describe(v)}")
        sizes = m["planned_buffer_sizes"]
        print(f"  planned memory: {sum(sizes)} bytes in {len(sizes)} buffer(s) {sizes}")
        print("  operators:")
        for op in sorted(m["operators"]):
            print(f"    {op}")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="ember", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a .pte with the C++ runner (ember_run)")
    run.add_argument("model")
    inspect = sub.add_parser("inspect", help="describe a .pte")
    inspect.add_argument("model")
    inspect.add_argument("--json", action="store_true", help="print JSON")

    if argv and argv[0] == "run":
        # Everything after the model goes to ember_run unchanged.
        if len(argv) < 2:
            parser.parse_args(argv)
        runner = str(runtime.runner_path())
        os.execv(runner, [runner, *argv[1:]])
    args = parser.parse_args(argv)
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
