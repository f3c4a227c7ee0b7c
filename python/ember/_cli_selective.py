"""`ember selective-build`: the kernel list, and the registration, of only
what given programs use, for a runtime trimmed to them.

    ember selective-build model.pte [other.pte ...] -o DIR [--json]

Reads each file's methods (no method is loaded) and writes to DIR:
  selected_kernels.yaml   the kernel list: per operator, the dtype signatures
                          of its calls (tensor arguments in order), its call
                          count and the files calling it; the backends called
  selected_kernels.h      the registration: EMBER_SELECT_<operator> and
                          EMBER_SELECT_DTYPE_<dtype> per kept operator and dtype
                          (runtime/kernels/selective_build.h reads it)
  selected_kernels.cmake  the backends the programs call (EMBER_SELECTED_BACKENDS)
then prints the CMake command that builds the trimmed runtime:
  cmake -S <ember> -B build/sel -DEMBER_SELECTED_KERNELS=DIR \\
        -DEMBER_BUILD_COMPILER=OFF -DEMBER_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=MinSizeRel
A runtime built so registers only these operators' kernels, compiles only
these dtypes, and links only these backends: a program calling anything else
fails at load (an operator or backend it lacks) or at its call (a dtype it
lacks), naming what is missing. docs/selective-build.md has the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import re
from pathlib import Path
from typing import Any

from ._cli_common import CliError, report

# ember::scalar_type_name -> the ScalarType enumerator selective_build.h names.
_DTYPE_ENUM = {"float32": "Float", "float64": "Double", "float16": "Half",
               "bfloat16": "BFloat16", "int32": "Int", "int64": "Long", "int16": "Short",
               "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def selection_macro(operator: str) -> str:
    """The macro that keeps `operator`'s kernel: "aten::add.out" ->
    EMBER_SELECT_aten__add_out (as exir/gen_edge_ops.py writes the tables)."""
    return "EMBER_SELECT_" + re.sub(r"[^A-Za-z0-9_]", "_", operator)


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "selective-build", help="the kernel list and registration of only what .pte files use",
        formatter_class=argparse.RawDescriptionHelpFormatter, description=__doc__)
    p.add_argument("models", nargs="+", help=".pte (or .bpte) files the runtime must run")
    p.add_argument("-o", "--output-dir", required=True, metavar="DIR",
                   help="where to write selected_kernels.{yaml,h,cmake}")
    p.add_argument("--json", action="store_true", help="print the selection as JSON")
    p.add_argument("--debug", action="store_true", help="show tracebacks")


def select(paths: list[str]) -> dict:
    """The operators (with their dtype signatures, calls and files), dtypes
    and backends the programs at `paths` use."""
    from . import _C
    from .errors import EmberError

    operators: dict[str, dict] = {}
    backends: set[str] = set()
    for path in paths:
        if not os.path.isfile(path):
            raise CliError(f"{path}: no such file")
        try:
            summary = _C.RuntimeModule.load(os.fspath(path)).program_summary()
        except EmberError as e:
            raise CliError(f"{path}: {e}") from e
        for method in summary["methods"]:
            for op in method["operators"]:
                entry = operators.setdefault(op["name"], {"dtypes": [], "calls": 0, "files": []})
                entry["calls"] += op["calls"]
                for sig in op["dtypes"]:
                    if list(sig) not in entry["dtypes"]:
                        entry["dtypes"].append(list(sig))
                if path not in entry["files"]:
                    entry["files"].append(path)
            backends.update(d["id"] for d in method["delegates"])
    known = set(_C.registered_kernels())
    missing = sorted(name for name in operators if name not in known)
    if missing:
        raise CliError(f"no Ember kernel library has {', '.join(missing)}: a runtime cannot "
                       f"be built for these programs")
    dtypes = sorted({t for e in operators.values() for sig in e["dtypes"] for t in sig})
    unknown = [t for t in dtypes if t not in _DTYPE_ENUM]
    if unknown:
        raise CliError(f"the programs' kernels take dtypes no kernel library has: "
                       f"{', '.join(unknown)}")
    return {"operators": dict(sorted(operators.items())), "dtypes": dtypes,
            "backends": sorted(backends), "files": list(paths)}


def _yaml(sel: dict) -> str:
    lines = ["# Written by `ember selective-build` from " + ", ".join(sel["files"]) + ".",
             "# The operators these programs call, each with the dtype signatures of its",
             "# calls (tensor arguments in order), and the backends they delegate to.",
             "operators:"]
    for name, e in sel["operators"].items():
        lines.append(f"  {json.dumps(name)}:")
        lines.append(f"    calls: {e['calls']}")
        lines.append("    dtypes: [" + ", ".join(
            "[" + ", ".join(sig) + "]" for sig in e["dtypes"]) + "]")
        lines.append("    files: [" + ", ".join(json.dumps(f) for f in e["files"]) + "]")
    lines.append("dtypes: [" + ", ".join(sel["dtypes"]) + "]")
    lines.append("backends: [" + ", ".join(sel["backends"]) + "]")
    return "\n".join(lines) + "\n"


def _header(sel: dict) -> str:
    lines = ["// Written by `ember selective-build`: the operators and dtypes a selective",
             "// build keeps (runtime/kernels/selective_build.h). Do not edit; run it again.",
             "#pragma once",
             "#define EMBER_SELECTIVE_BUILD 1"]
    for name, e in sel["operators"].items():
        calls = f"{e['calls']} call" + ("" if e["calls"] == 1 else "s")
        lines.append(f"#define {selection_macro(name)} 1  // {calls}")
    lines += [f"#define EMBER_SELECT_DTYPE_{_DTYPE_ENUM[t]} 1  // {t}" for t in sel["dtypes"]]
    names = ", ".join(sel["dtypes"]) or "no dtypes"
    lines.append(f'#define EMBER_SELECTED_DTYPE_NAMES "{names}"')
    return "\n".join(lines) + "\n"


def _cmake(sel: dict) -> str:
    return ("# Written by `ember selective-build`: the backends the programs call.\n"
            f"set(EMBER_SELECTED_BACKENDS \"{';'.join(sel['backends'])}\")\n")


def main(args: argparse.Namespace) -> int:
    try:
        sel = select(args.models)
        out = Path(args.output_dir)
        out.mkdir(parents=True, exist_ok=True)
        (out / "selected_kernels.yaml").write_text(_yaml(sel))
        (out / "selected_kernels.h").write_text(_header(sel))
        (out / "selected_kernels.cmake").write_text(_cmake(sel))
    except (CliError, OSError) as e:
        return report("selective-build", e, args.debug)
    if args.json:
        print(json.dumps(sel, indent=2))
        return 0
    print(f"{len(sel['operators'])} operators, dtypes {', '.join(sel['dtypes']) or 'none'}, "
          f"backends {', '.join(sel['backends']) or 'none'}; wrote "
          f"{out}/selected_kernels.{{yaml,h,cmake}}")
    print("build the runtime with only these kernels:")
    print(f"  cmake -S <ember source> -B build/selected -G Ninja -DCMAKE_BUILD_TYPE=MinSizeRel "
          f"-DEMBER_BUILD_COMPILER=OFF -DEMBER_BUILD_TESTS=OFF "
          f"-DEMBER_SELECTED_KERNELS={out.resolve()}")
    print("  cmake --build build/selected --target ember_run")
    return 0
