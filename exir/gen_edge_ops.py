"""Generate the Edge dialect's ATen-mirroring ops from exir/ops.yaml.

One table, five outputs:
  --td     EdgeAtenOps.td: ODS definitions (one op per ATen overload)
  --table  EdgeOpTable.inc: the C++ table the importer and the emitter walk
           (argument names and kinds of the functional and out schemas)
  --docs   docs/ops.md: the list of supported ops and dtypes
  --op-writes  runtime/kernels/portable/op_writes.inc: which arguments each
           out-variant kernel writes, for the runtime's load-time check
  --portable-kernels  runtime/kernels/portable/kernels.inc: every portable
           kernel of an Edge op (function and operator name), from which
           portable_kernels.h declares and register.cpp registers them

Runs at build time with only PyYAML (never torch).
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

# Element types the table may name, with their MLIR spelling.
DTYPES = {
    "f32": "F32", "f16": "F16", "bf16": "BF16", "f64": "F64",
    "i64": "I64", "i32": "I32", "i16": "I16", "i8": "I8", "ui8": "UI8", "i1": "I1",
}

# ATen base types -> (ArgKind enumerator, ODS constraint).
BASE_TYPES = {
    "Tensor": ("Tensor", "AnyRankedTensor"),
    "int": ("Int", "I64Attr"),
    "SymInt": ("Int", "I64Attr"),
    "float": ("Float", "F64Attr"),
    "bool": ("Bool", "BoolAttr"),
    "Scalar": ("Scalar", "Edge_ScalarAttr"),
    "ScalarType": ("ScalarType", "I64Attr"),
    "Layout": ("Layout", "I64Attr"),
    "MemoryFormat": ("MemoryFormat", "I64Attr"),
    "Device": ("Device", "StrAttr"),
    "str": ("String", "StrAttr"),
}
LIST_TYPES = {
    "Tensor": ("TensorList", "Variadic<AnyRankedTensor>"),
    "int": ("IntList", "DenseI64ArrayAttr"),
    "SymInt": ("IntList", "DenseI64ArrayAttr"),
    "float": ("FloatList", "DenseF64ArrayAttr"),
    "bool": ("BoolList", "DenseBoolArrayAttr"),
}
# ODS accessor names that would clash with Operation/OpState members.
RESERVED = {"name", "type", "location", "operands", "results", "attributes", "context"}


@dataclass
class Arg:
    name: str
    kind: str          # ArgKind enumerator
    optional: bool
    kwarg_only: bool
    is_out: bool
    ods: str           # ODS constraint
    symbolic: bool = False  # SymInt, SymInt[] or Scalar: may be computed at run time

    @property
    def is_tensor(self) -> bool:
        return self.kind in ("Tensor", "TensorList")

    @property
    def ods_name(self) -> str:
        return self.name + "_" if self.name in RESERVED else self.name


@dataclass
class Schema:
    ns: str
    name: str
    overload: str
    args: list[Arg]
    num_returns: int

    @property
    def qualified(self) -> str:
        return f"{self.ns}::{self.name}"

    @property
    def symbolic(self) -> bool:
        """Whether an argument may be a value computed at run time (a size of
        a dynamic-shape input, or arithmetic on one)."""
        return any(a.symbolic for a in self.args)


def split_top_level(text: str) -> list[str]:
    """Split on commas that are not inside brackets or quotes."""
    parts, depth, quote, cur = [], 0, None, ""
    for ch in text:
        if quote:
            quote = None if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(cur.strip())
            cur = ""
            continue
        cur += ch
    if cur.strip():
        parts.append(cur.strip())
    return parts


def parse_type(text: str, where: str) -> tuple[str, str, bool]:
    """'Tensor(a!)' / 'int[2]?' / 'Tensor?[]' -> (kind, ods, optional)."""
    t = re.sub(r"\([a-z]!?\)", "", text)           # alias annotations
    optional = t.endswith("?")
    t = t.rstrip("?")
    m = re.fullmatch(r"(\w+)(\?)?(\[\d*\])?", t)
    if not m:
        sys.exit(f"gen_edge_ops: cannot parse type '{text}' in {where}")
    base, elem_optional, is_list = m.group(1), m.group(2), m.group(3)
    if is_list:
        if base not in LIST_TYPES:
            sys.exit(f"gen_edge_ops: unsupported list type '{text}' in {where}")
        kind, ods = LIST_TYPES[base]
        if base == "Tensor" and elem_optional:
            return "OptionalTensorList", "Variadic<Edge_OptionalTensor>", optional
        return kind, ods, optional
    if base not in BASE_TYPES:
        sys.exit(f"gen_edge_ops: unsupported type '{text}' in {where}")
    kind, ods = BASE_TYPES[base]
    if base == "Tensor" and optional:
        return "Tensor", "Edge_OptionalTensor", True
    return kind, ods, optional


def parse_schema(text: str) -> Schema:
    m = re.fullmatch(r"(\w+)::([\w]+)(?:\.(\w+))?\((.*)\) -> (.*)", text)
    if not m:
        sys.exit(f"gen_edge_ops: cannot parse schema '{text}'")
    ns, name, overload, args_text, returns = m.groups()
    args, kwarg_only = [], False
    for part in split_top_level(args_text):
        if part == "*":
            kwarg_only = True
            continue
        decl = part.split("=")[0].strip()
        type_text, arg_name = decl.rsplit(" ", 1)
        kind, ods, optional = parse_type(type_text, text)
        is_out = "!" in type_text
        symbolic = re.match(r"(SymInt|Scalar)\b", type_text) is not None
        args.append(Arg(arg_name, kind, optional, kwarg_only, is_out, ods, symbolic))
    returns = returns.strip()
    num_returns = len(split_top_level(returns.strip("()"))) if returns != "()" else 0
    return Schema(ns, name, overload or "", args, num_returns)


def camel(text: str) -> str:
    return "".join(p[:1].upper() + p[1:] for p in re.split(r"[_.]", text) if p)


@dataclass
class Op:
    schema: Schema
    out: Schema
    dtypes: list[str]
    summary: str
    verifier: bool

    @property
    def mnemonic(self) -> str:
        s = self.schema
        return f"{s.name}.{s.overload}" if s.overload else s.name

    @property
    def cpp_class(self) -> str:
        return camel(self.schema.name) + camel(self.schema.overload) + "Op"

    @property
    def out_kernel(self) -> str:
        o = self.out
        return f"{o.qualified}.{o.overload}" if o.overload else o.qualified

    @property
    def portable_function(self) -> str:
        """The portable kernel's C++ name: the out overload's name (leading
        underscores dropped) and overload, lower case: aten::sum.IntList_out
        -> sum_intlist_out, aten::_softmax.out -> softmax_out."""
        o = self.out
        name = o.name.lstrip("_") + (f"_{o.overload}" if o.overload else "")
        return name.lower()


def load_ops(path: Path) -> list[Op]:
    ops, seen = [], {}
    for entry in yaml.safe_load(path.read_text())["ops"]:
        schema, out = parse_schema(entry["schema"]), parse_schema(entry["out"])
        for dt in entry["dtypes"]:
            if dt not in DTYPES:
                sys.exit(f"gen_edge_ops: unknown dtype '{dt}' for {entry['schema']}")
        op = Op(schema, out, entry["dtypes"], entry.get("summary", ""),
                entry.get("verifier", False))
        if op.cpp_class in seen:
            sys.exit(f"gen_edge_ops: {op.mnemonic} and {seen[op.cpp_class]} "
                     f"both map to {op.cpp_class}")
        seen[op.cpp_class] = op.mnemonic
        functional = {a.name: a for a in schema.args}
        for a in out.args:
            if not a.is_out and (a.name not in functional or functional[a.name].kind != a.kind):
                sys.exit(f"gen_edge_ops: out-variant argument '{a.name}' of {op.out_kernel} "
                         f"has no match in {entry['schema']}")
        if sum(1 for a in out.args if a.is_out) != schema.num_returns:
            sys.exit(f"gen_edge_ops: {op.out_kernel} has a different number of outputs "
                     f"than {op.mnemonic}")
        if sum(1 for a in schema.args if a.kind.endswith("TensorList")) > 1:
            sys.exit(f"gen_edge_ops: {op.mnemonic} has more than one tensor-list argument")
        if schema.symbolic and any(a.kind.endswith("TensorList") for a in schema.args):
            # Both would be variadic operand groups; the op would need segment sizes.
            sys.exit(f"gen_edge_ops: {op.mnemonic} has both symbolic and tensor-list arguments")
        ops.append(op)
    return ops


def gen_td(ops: list[Op]) -> str:
    lines = [
        "// Generated by exir/gen_edge_ops.py from exir/ops.yaml. Do not edit.",
        "#ifndef EMBER_EDGE_ATEN_OPS_TD",
        "#define EMBER_EDGE_ATEN_OPS_TD",
        "",
        'include "exir/EdgeBase.td"',
        "",
    ]
    for op in ops:
        s = op.schema
        ins = []
        for a in s.args:
            ods = f"OptionalAttr<{a.ods}>" if a.optional and not a.is_tensor else a.ods
            ins.append(f"{ods}:${a.ods_name}")
        if s.symbolic:
            # Run-time values of symbolic arguments; the attributes keep their
            # upper bounds (see exir/EdgeBase.td).
            ins += ["Variadic<Edge_SymValue>:$sym_values",
                    "OptionalAttr<DenseI64ArrayAttr>:$sym_slots"]
        if s.num_returns == 1:
            outs = ["AnyRankedTensor:$result"]
        else:
            outs = [f"AnyRankedTensor:$result{i}" for i in range(s.num_returns)]
        dtypes = ", ".join(op.dtypes)
        lines += [
            f'def Edge_{op.cpp_class} : Edge_AtenOp<"{op.mnemonic}"> {{',
            f'  let summary = "{op.summary}";',
            "  let description = [{",
            f"    Mirrors `{s.qualified}{'.' + s.overload if s.overload else ''}`; "
            "the runtime executes",
            f"    it as `{op.out_kernel}`. Kernel element types: {dtypes}.",
            "  }];",
            f"  let arguments = (ins {', '.join(ins)});",
            f"  let results = (outs {', '.join(outs)});",
            f"  let hasVerifier = {1 if op.verifier else 0};",
            "}",
            "",
        ]
    lines.append("#endif // EMBER_EDGE_ATEN_OPS_TD")
    return "\n".join(lines) + "\n"


def _arg_specs(args: list[Arg]) -> str:
    items = [
        f'{{"{a.ods_name}", ArgKind::{a.kind}, {str(a.optional).lower()}, {str(a.is_out).lower()}}}'
        for a in args
    ]
    return ", ".join(items)


def gen_table(ops: list[Op]) -> str:
    lines = [
        "// Generated by exir/gen_edge_ops.py from exir/ops.yaml. Do not edit.",
        "// Included by exir/EdgeOpTable.cpp inside namespace ember::edge.",
        "",
    ]
    for i, op in enumerate(ops):
        lines.append(f"static const ArgSpec kArgs{i}[] = {{{_arg_specs(op.schema.args)}}};")
        lines.append(f"static const ArgSpec kOutArgs{i}[] = {{{_arg_specs(op.out.args)}}};")
    lines += ["", "static const EdgeOpInfo kEdgeOps[] = {"]
    for i, op in enumerate(ops):
        s = op.schema
        mask = " | ".join(f"DTypeBit::{DTYPES[d]}" for d in op.dtypes)
        lines.append(
            f'    {{"edge.{op.mnemonic}", "{s.qualified}", "{s.overload}", "{op.out.qualified}", '
            f'"{op.out.overload}", {{kArgs{i}, {len(s.args)}}}, '
            f"{{kOutArgs{i}, {len(op.out.args)}}}, "
            f"{s.num_returns}, {mask}, {str(s.symbolic).lower()}}},"
        )
    lines.append("};")
    return "\n".join(lines) + "\n"


def selection_macro(operator: str) -> str:
    """The macro a selective build's header defines to keep `operator`'s
    kernel (runtime/kernels/selective_build.h): "aten::add.out" ->
    EMBER_SELECT_aten__add_out. `ember selective-build` names them the same."""
    return "EMBER_SELECT_" + re.sub(r"[^A-Za-z0-9_]", "_", operator)


def selected(operator: str, line: str) -> list[str]:
    """`line` of a registration table, kept unless register.cpp is building
    a selection (EMBER_SELECTING) that leaves `operator` out."""
    return [f"#if !EMBER_SELECTING || {selection_macro(operator)}", line, "#endif"]


def gen_op_writes(ops: list[Op]) -> str:
    """The runtime's table of what each out-variant kernel writes: the
    out-schema's argument count (arguments from there on are the results)
    and a bit per `(a!)` argument."""
    lines = [
        "// Generated by exir/gen_edge_ops.py --op-writes runtime/kernels/portable/op_writes.inc",
        "// from exir/ops.yaml. Do not edit. Included by runtime/kernels/portable/register.cpp:",
        "// per out-variant kernel, its schema's argument count (the KernelCall's arguments",
        "// from there on are its results) and a bit per argument the schema marks (a!).",
        "// A selective build keeps only its operators' lines (runtime/kernels/selective_build.h).",
    ]
    seen = set()
    for op in sorted(ops, key=lambda o: o.out_kernel):
        if op.out_kernel in seen:
            continue
        seen.add(op.out_kernel)
        mask = sum(1 << i for i, a in enumerate(op.out.args) if a.is_out)
        if len(op.out.args) > 31 or mask == 0:
            sys.exit(f"gen_edge_ops: {op.out_kernel} has {len(op.out.args)} arguments "
                     f"and out mask {mask:#x}")
        lines += selected(op.out_kernel,
                          f'{{"{op.out_kernel}", {len(op.out.args)}, {mask:#x}u}},')
    return "\n".join(lines) + "\n"


def gen_portable_kernels(ops: list[Op]) -> str:
    """The portable kernels of the Edge ops, one X-macro line each:
    EMBER_PORTABLE_KERNEL(function, "operator") with the dtypes it accepts."""
    lines = [
        "// Generated by exir/gen_edge_ops.py --portable-kernels runtime/kernels/portable/kernels.inc",
        "// from exir/ops.yaml. Do not edit. One EMBER_PORTABLE_KERNEL(function, \"operator\") per",
        "// out-variant kernel of an Edge op, with the dtypes it accepts: portable_kernels.h",
        "// declares the functions and register.cpp registers them (catch-all keys); a selective",
        "// build registers only its operators' (runtime/kernels/selective_build.h).",
    ]
    seen: dict[str, str] = {}
    for op in sorted(ops, key=lambda o: o.out_kernel):
        fn = op.portable_function
        if op.out_kernel in seen:
            continue
        if fn in seen.values():
            sys.exit(f"gen_edge_ops: {op.out_kernel} and another kernel both map to {fn}")
        seen[op.out_kernel] = fn
        if selection_macro(op.out_kernel) in map(selection_macro, list(seen)[:-1]):
            sys.exit(f"gen_edge_ops: {op.out_kernel} and another kernel share the selection "
                     f"macro {selection_macro(op.out_kernel)}")
        lines += selected(op.out_kernel, f'EMBER_PORTABLE_KERNEL({fn}, "{op.out_kernel}")  '
                                         f'// {" ".join(op.dtypes)}')
    return "\n".join(lines) + "\n"


def gen_docs(ops: list[Op]) -> str:
    lines = [
        "# Supported operators",
        "",
        "Generated from `exir/ops.yaml` by `exir/gen_edge_ops.py --docs docs/ops.md`; "
        "do not edit by hand.",
        "Each Edge op mirrors one core ATen overload and runs as the out-variant kernel "
        "named here.",
        "",
        "| ATen op | Edge op | kernel | dtypes | what it does |",
        "|---|---|---|---|---|",
    ]
    for op in sorted(ops, key=lambda o: o.mnemonic.lstrip("_")):
        s = op.schema
        aten = s.qualified + (f".{s.overload}" if s.overload else "")
        lines.append(f"| `{aten}` | `edge.{op.mnemonic}` | `{op.out_kernel}` | "
                     f"{', '.join(op.dtypes)} | {op.summary} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ops", type=Path, default=Path(__file__).with_name("ops.yaml"))
    parser.add_argument("--td", type=Path)
    parser.add_argument("--table", type=Path)
    parser.add_argument("--docs", type=Path)
    parser.add_argument("--op-writes", type=Path)
    parser.add_argument("--portable-kernels", type=Path)
    args = parser.parse_args()
    ops = load_ops(args.ops)
    for path, gen in ((args.td, gen_td), (args.table, gen_table), (args.docs, gen_docs),
                      (args.op_writes, gen_op_writes),
                      (args.portable_kernels, gen_portable_kernels)):
        if path:
            path.parent.mkdir(parents=True, exist_ok=True)
            text = gen(ops)
            if not path.exists() or path.read_text() != text:
                path.write_text(text)


if __name__ == "__main__":
    main()
