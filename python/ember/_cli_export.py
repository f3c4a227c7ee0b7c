"""`ember export`: a .pte from a torch.export.save'd .pt2 file or from a
Python function that returns a model and its example inputs.

    ember export model.pt2 -o model.pte
    ember export my_models.py:make_cnn --backend xnnpack --quantize static-int8
    ember export pkg.models:make_mlp --dynamic x:0:1:64 -o mlp.pte

The function (`FILE.py:NAME` or `MODULE:NAME`) is called with no arguments
and returns one of
    (model, args)            an nn.Module and a tuple of positional inputs
                             (a lone tensor is taken as one input)
    (model, args, kwargs)    the same, plus a dict of keyword inputs
    ExportedProgram          already exported (dynamic dims fixed there)
The model is put in eval mode and exported with torch.export.export.

Phases, each under a progress bar on a terminal: export (or load),
quantize (prepare, calibrate, convert), lower (Edge, partition), serialize,
save. The delegation summary and the written file are printed at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.util
import inspect
import io
import logging
import os
import re
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._cli_common import CliError, progress_bar, report, show_progress

# --quantize modes. PT2E modes quantize the exported graph (any source);
# torchao modes rewrite the model's nn.Linear layers before export, so they
# need a model, not a .pt2 or an ExportedProgram.
PT2E_MODES = {
    "static-int8": "PT2E static int8 (XNNPACKQuantizer, per-channel weights): activation "
                   "scales calibrated on the example inputs; convs, linears, adds, pooling... "
                   "run on int8 kernels",
    "dynamic-int8": "PT2E dynamic int8 (per-channel weights): linears and 2-d convs quantize "
                    "their input at run time, no calibration",
}
TORCHAO_MODES = {
    "8da4w": "torchao on nn.Linear layers: int8 activations per token at run time, int4 "
             "weights per group (--group-size)",
    "8da8w": "torchao on nn.Linear layers: int8 activations per token, int8 weights per "
             "output channel",
    "int4-weight-only": "torchao on nn.Linear layers: int4 weights per group, float "
                        "activations",
    "int8-weight-only": "torchao on nn.Linear layers: int8 weights per output channel, float "
                        "activations",
}
BACKENDS = ("portable", "xnnpack")
_DEBUG = False  # --debug: torch's own output is let through

_DYNAMIC_RE = re.compile(r"^(?:(?P<sym>[A-Za-z_]\w*)=)?(?P<input>[A-Za-z_]\w*):(?P<dim>-?\d+)"
                         r"(?::(?P<min>\d+):(?P<max>\d+))?$")


def add_parser(sub: Any) -> None:
    modes = "\n".join(textwrap.fill(v, 79, initial_indent=f"  {k:<17} ",
                                    subsequent_indent=" " * 20)
                      for k, v in {**PT2E_MODES, **TORCHAO_MODES}.items())
    p = sub.add_parser(
        "export", help="export a .pt2 or a model:function to a .pte",
        formatter_class=argparse.RawDescriptionHelpFormatter, description=__doc__,
        epilog=f"--quantize modes:\n{modes}")
    p.add_argument("source", help="a torch.export.save'd .pt2 file, or FILE.py:FUNCTION or "
                                  "MODULE:FUNCTION returning (model, args[, kwargs]) or an "
                                  "ExportedProgram")
    p.add_argument("-o", "--output", metavar="OUT.pte",
                   help="where to write (default: the .pt2's name with .pte, or "
                        "FUNCTION.pte in the current directory)")
    p.add_argument("--backend", choices=BACKENDS, default="portable",
                   help="portable: no delegate, Ember's own kernels run every op (the "
                        "default); xnnpack: XnnpackPartitioner takes the fp32 ops it can "
                        "(static shapes only) and the summary says why it left the others")
    p.add_argument("--quantize", choices=[*PT2E_MODES, *TORCHAO_MODES], metavar="MODE",
                   help="quantize before lowering; MODE is one of: "
                        + ", ".join([*PT2E_MODES, *TORCHAO_MODES]) + " (below)")
    p.add_argument("--group-size", type=int, default=32, metavar="G",
                   help="weights per scale of 8da4w and int4-weight-only (default 32); "
                        "linears whose in_features G does not divide stay float")
    p.add_argument("--dynamic", action="append", default=[], metavar="[SYM=]INPUT:DIM:MIN:MAX",
                   help="make dim DIM of the forward's input INPUT dynamic in [MIN, MAX] "
                        "(torch.export.Dim); repeat for more; specs with the same SYM share "
                        "one Dim (the later ones may omit :MIN:MAX). Not for a .pt2 or an "
                        "ExportedProgram, whose dims were fixed when exported")
    p.add_argument("--debug-info", metavar="OUT.json",
                   help="also write the program's debug info (Edge ops, source lines, why a "
                        "backend refused an op), for `ember inspect --html --debug-info` and "
                        "ember.devtools.Inspector")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bars")
    p.add_argument("--debug", action="store_true", help="show the traceback of an error")


@dataclass
class Source:
    """What the source gave: a model to export, or a program already exported."""
    name: str
    default_output: Path
    model: Any = None
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    program: Any = None  # a torch.export.ExportedProgram


def _load_function(spec: str) -> Any:
    target, _, fn_name = spec.rpartition(":")
    if not target or not fn_name.isidentifier():
        raise CliError(f"'{spec}' is neither a file nor MODULE:FUNCTION (or FILE.py:FUNCTION)")
    if target.endswith(".py") or os.sep in target or "/" in target:
        path = Path(target)
        if not path.is_file():
            raise CliError(f"no such file: {target}")
        name = "_ember_export_" + re.sub(r"\W", "_", path.stem)
        module_spec = importlib.util.spec_from_file_location(name, path)
        if module_spec is None or module_spec.loader is None:
            raise CliError(f"cannot import {target} (not a Python file?)")
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[name] = module
        # Its own folder first, so that the file imports its siblings.
        sys.path.insert(0, str(path.resolve().parent))
        try:
            module_spec.loader.exec_module(module)
        finally:
            sys.path.remove(str(path.resolve().parent))
    else:
        if "" not in sys.path and os.getcwd() not in sys.path:
            sys.path.insert(0, os.getcwd())  # as `python -m` would find it
        try:
            module = importlib.import_module(target)
        except ModuleNotFoundError as e:
            if e.name and target.startswith(e.name):
                raise CliError(f"no module named '{target}' (nor a file of that name)") from e
            raise
    fn = getattr(module, fn_name, None)
    if not callable(fn):
        raise CliError(f"{target} has no function '{fn_name}'")
    return fn


@contextlib.contextmanager
def _torch_quiet() -> Iterator[None]:
    """torch.export prints the partial graph straight to sys.stderr before it
    raises: keep that out of the command's one-line error (--debug, which
    turns this off, shows it with the traceback)."""
    if _DEBUG:
        yield
        return
    with contextlib.redirect_stderr(io.StringIO()):
        yield


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def load_source(spec: str) -> Source:
    """The .pt2 file, or what the function returns, checked."""
    import torch

    if os.path.isfile(spec):
        try:
            program = torch.export.load(spec)
        except Exception as e:
            raise CliError(f"{spec} is not a torch.export.save'd .pt2 file ({e})") from e
        return Source(spec, Path(spec).with_suffix(".pte"), program=program)
    if ":" not in spec or spec.endswith(".pt2"):
        raise CliError(f"no such file: {spec} (the source is a .pt2 file or "
                       f"FILE.py:FUNCTION or MODULE:FUNCTION)")
    fn = _load_function(spec)
    fn_name = spec.rpartition(":")[2]
    out = fn()
    default = Path(f"{fn_name}.pte")
    if isinstance(out, torch.export.ExportedProgram):
        return Source(spec, default, program=out)
    expected = "(model, args), (model, args, kwargs) or an ExportedProgram"
    if not isinstance(out, (tuple, list)) or len(out) not in (2, 3):
        raise CliError(f"{spec} returned {type(out).__name__} {_short(out)}; "
                       f"expected {expected}")
    model, args, kwargs = (*out, {}) if len(out) == 2 else out
    if not isinstance(model, torch.nn.Module):
        raise CliError(f"{spec} returned {type(model).__name__} as the model; expected a "
                       f"torch.nn.Module ({expected})")
    if isinstance(args, torch.Tensor):
        args = (args,)
    if not isinstance(args, (tuple, list)):
        raise CliError(f"{spec} returned {type(args).__name__} as the args; expected a tuple "
                       f"of example inputs (or one tensor)")
    if not isinstance(kwargs, dict):
        raise CliError(f"{spec} returned {type(kwargs).__name__} as the kwargs; expected a "
                       f"dict of keyword inputs")
    return Source(spec, default, model=model.eval(), args=tuple(args), kwargs=kwargs)


def parse_dynamic(specs: list[str], source: Source) -> dict | None:
    """--dynamic specs as torch.export's dynamic_shapes: {input name: {dim: Dim}},
    every input of the call named (None for a static one)."""
    import torch

    if not specs:
        return None
    if source.model is None:
        raise CliError("--dynamic applies to a model the command exports; this source is "
                       "already exported (give its dynamic dims to torch.export.export)")
    try:
        bound = inspect.signature(source.model.forward).bind(*source.args, **source.kwargs)
    except TypeError as e:
        raise CliError(f"the example inputs do not fit the model's forward: {e}") from e
    values = dict(bound.arguments)
    shapes: dict[str, Any] = {name: None for name in values}
    dims: dict[str, Any] = {}
    for spec in specs:
        m = _DYNAMIC_RE.match(spec)
        if m is None:
            raise CliError(f"--dynamic {spec}: expected [SYM=]INPUT:DIM:MIN:MAX, e.g. x:0:1:64")
        name, dim = m["input"], int(m["dim"])
        if name not in values:
            raise CliError(f"--dynamic {spec}: the model's forward has no input '{name}' "
                           f"(its inputs: {', '.join(values) or 'none'})")
        value = values[name]
        if not isinstance(value, torch.Tensor):
            raise CliError(f"--dynamic {spec}: input '{name}' is a {type(value).__name__}, "
                           f"not a tensor")
        if not -value.dim() <= dim < value.dim():
            raise CliError(f"--dynamic {spec}: input '{name}' has {value.dim()} dims")
        dim %= value.dim()
        sym = m["sym"] or f"{name}_{dim}"
        if m["min"] is None:
            if sym not in dims:
                raise CliError(f"--dynamic {spec}: needs :MIN:MAX (no earlier spec named "
                               f"{sym}= gives them)")
        else:
            lo, hi = int(m["min"]), int(m["max"])
            if not 0 <= lo <= hi:
                raise CliError(f"--dynamic {spec}: MIN must be <= MAX")
            if sym in dims and (dims[sym].min, dims[sym].max) != (lo, hi):
                raise CliError(f"--dynamic {spec}: {sym} was given other bounds before")
            dims.setdefault(sym, torch.export.Dim(sym, min=lo, max=hi))
        d = dims[sym]
        size = value.shape[dim]
        if not d.min <= size <= d.max:
            raise CliError(f"--dynamic {spec}: the example input '{name}' has size {size} on "
                           f"dim {dim}, outside [{d.min}, {d.max}]")
        if shapes[name] is None:
            shapes[name] = {}
        shapes[name][dim] = d
    return shapes


def _quantize_pt2e(program: Any, mode: str, args: tuple, kwargs: dict, dynamic: Any,
                   bar: Any) -> Any:
    """prepare_pt2e, one calibration run on the example inputs (a static mode),
    convert_pt2e, and torch.export again."""
    import torch

    from .quantizer import (
        XNNPACKQuantizer,
        convert_pt2e,
        get_symmetric_quantization_config,
        prepare_pt2e,
    )

    config = get_symmetric_quantization_config(is_per_channel=True,
                                               is_dynamic=mode == "dynamic-int8")
    prepared = prepare_pt2e(program.module(), XNNPACKQuantizer().set_global(config))
    bar.set_description_str("ember export: calibrate")
    # Static: the observers see the example inputs (one batch; a script with
    # real data calls ember.quantizer.calibrate itself). Dynamic: the weight
    # observers see the weights on any run.
    with torch.no_grad():
        prepared(*args, **kwargs)
    bar.set_description_str("ember export: convert")
    converted = convert_pt2e(prepared)
    with _torch_quiet():
        return torch.export.export(converted, args, kwargs, dynamic_shapes=dynamic)


def export(args: argparse.Namespace) -> int:
    show = show_progress(args.quiet)
    phases = ["load", "lower", "serialize", "save"]
    if args.quantize:
        phases.insert(1, "quantize")
    with progress_bar(show, total=len(phases), unit="phase",
                      bar_format="{desc} {n_fmt}/{total_fmt} [{elapsed}]") as bar:

        def phase(name: str) -> None:
            bar.set_description_str(f"ember export: {name}")

        phase("load")
        import torch

        import ember
        from ember.partitioners import XnnpackPartitioner

        if args.group_size <= 0:
            raise CliError(f"--group-size must be positive, got {args.group_size}")
        source = load_source(args.source)
        dynamic = parse_dynamic(args.dynamic, source)
        if args.quantize in TORCHAO_MODES:
            if source.model is None:
                raise CliError(f"--quantize {args.quantize} rewrites the model's nn.Linear "
                               f"layers before export: give a MODULE:FUNCTION that returns "
                               f"the model (a PT2E mode, static-int8 or dynamic-int8, "
                               f"quantizes an exported program)")
            from .llm.export import _quantize

            if _quantize(source.model, args.quantize, args.group_size) == 0:
                raise CliError(f"--quantize {args.quantize}: the model has no nn.Linear layer "
                               f"to quantize (with --group-size {args.group_size})")
        if source.program is None:
            phase("torch.export")
            try:
                with _torch_quiet():
                    program = torch.export.export(source.model, source.args, source.kwargs,
                                                  dynamic_shapes=dynamic)
            except Exception as e:
                if dynamic and "Constraints violated" in str(e):
                    raise CliError(f"torch.export: {str(e).splitlines()[0]} A dynamic dim the "
                                   f"model ties to another, or to a constant: dims that must "
                                   f"be equal share one SYM= (--dynamic b=x:0:1:64 "
                                   f"--dynamic b=y:0)") from e
                raise
            example = (source.args, source.kwargs)
        else:
            program = source.program
            example = program.example_inputs
        bar.update()
        if args.quantize in PT2E_MODES:
            phase("quantize")
            if example is None:
                raise CliError(f"{args.source} has no example inputs to quantize with")
            if source.model is None and _has_dynamic_dims(program):
                raise CliError("--quantize of an exported program with dynamic dims: export "
                               "from a MODULE:FUNCTION with --dynamic instead")
            program = _quantize_pt2e(program, args.quantize, tuple(example[0]),
                                     dict(example[1] or {}), dynamic, bar)
            bar.update()
        elif args.quantize:
            bar.update()  # done before torch.export
        phase("lower")
        partitioner = [XnnpackPartitioner()] if args.backend == "xnnpack" else None
        edge = ember.to_edge_transform_and_lower(program, partitioner=partitioner)
        summary = edge.delegation_summary()
        bar.update()
        phase("serialize")
        prog = edge.to_executorch()
        bar.update()
        phase("save")
        out = Path(args.output) if args.output else source.default_output
        try:
            prog.save(out)
        except OSError as e:
            raise CliError(f"cannot write {out}: {e.strerror or e}") from e
        if args.debug_info:
            try:
                prog.save_debug_info(args.debug_info)
            except OSError as e:
                raise CliError(f"cannot write {args.debug_info}: {e.strerror or e}") from e
        bar.update()
    print(summary.rstrip("\n"))
    what = f", quantized {args.quantize}" if args.quantize else ""
    print(f"wrote {out} ({out.stat().st_size} bytes; backend {args.backend}{what})")
    if args.debug_info:
        print(f"wrote {args.debug_info} (debug info: `ember inspect --html {out} "
              f"--debug-info {args.debug_info}`)")
    return 0


def _has_dynamic_dims(program: Any) -> bool:
    import torch

    for node in program.graph.nodes:
        if node.op != "placeholder":
            continue
        val = node.meta.get("val")
        if isinstance(val, torch.Tensor) and any(not isinstance(s, int) for s in val.shape):
            return True
    return False


def main(args: argparse.Namespace) -> int:
    # torch and torchao log warnings on stderr (torchao's CUDA-only extensions
    # on every import, tracebacks and graphs before torch.export raises): noise
    # beside the command's own line. --debug keeps them.
    global _DEBUG
    _DEBUG = args.debug
    if not args.debug:
        logging.disable(logging.WARNING)
    try:
        return export(args)
    except KeyboardInterrupt:
        raise
    except BaseException as e:  # noqa: BLE001 - the user's code may raise anything
        if isinstance(e, SystemExit) and e.code in (0, None):
            raise
        return report("export", e, args.debug)
    finally:
        logging.disable(logging.NOTSET)
