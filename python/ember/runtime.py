"""Ember's C++ runtime from Python: load a .pte and run its methods.

    m = ember.runtime.load("model.pte")      # path (memory-mapped) or bytes
    y = m.forward(x)                          # torch tensors or numpy arrays in
    y = m.forward(x=x, mask=mask)             # inputs exported as keywords: by name,
    y = m.forward(x, mask)                    # or flat, in the exported order

Outputs come back as torch tensors when the inputs were torch tensors, numpy
arrays otherwise, nested as the exported method returned them.

    prof = m.profile(x, runs=10, warmup=2)    # every instruction timed, per run
    print(prof.table())                       # op, kind, calls, total ms, % of the run
    prof.save_trace("trace.json")             # Chrome trace: Perfetto, chrome://tracing
    prof.save_etdump("model.etdp")            # ETDump: ExecuTorch's Inspector reads it
    ember.runtime.set_num_threads(2)          # process-wide, like torch.set_num_threads

    m = ember.runtime.load("model.bpte")     # a bundled program: the program inside
    report = m.verify()                       # every test case run and compared
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import _C, _pytree

__all__ = ["load", "Module", "runner_path", "tool_path", "Profile", "OpRow", "Event",
           "set_num_threads", "get_num_threads", "kernel_library"]


def tool_path(name: str) -> Path:
    """An installed command-line tool of the package (`ember_run`,
    `ember_llm`): pip puts them with the package's scripts, beside the `ember`
    command (`.venv/bin`); else PATH's. EMBER_TOOLS_DIR, when set, is looked
    in first (a build tree's runtime/ folder, for tools built, not installed)."""
    tools_dir = os.environ.get("EMBER_TOOLS_DIR")
    if tools_dir and (Path(tools_dir) / name).is_file():
        return Path(tools_dir) / name
    path = Path(sysconfig.get_path("scripts")) / name
    return path if path.is_file() else Path(shutil.which(name) or path)


def runner_path() -> Path:
    """The installed `ember_run` command-line runner."""
    return tool_path("ember_run")


def set_num_threads(n: int) -> None:
    """Threads of the process's one pool (shared by every backend and kernel
    library) from now on: `n`, or one per core when n == 0. Like
    torch.set_num_threads, process-wide; set it before loading, since a
    backend may bind the pool when a method loads."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"set_num_threads takes an int, not {type(n).__name__}")
    if not 0 <= n <= _C.MAX_THREADS:
        raise ValueError(f"set_num_threads({n}): the thread count must be between 0 (one per "
                         f"core) and {_C.MAX_THREADS}")
    _C.set_num_threads(n)


def get_num_threads() -> int:
    """Threads the process's pool uses now (default: one per core)."""
    return _C.get_num_threads()


def kernel_library() -> str:
    """The kernels this process runs: "optimized (<isa>)", Ember's vectorized,
    threaded kernels over the portable ones (the default; <isa> is the
    instruction set chosen for this CPU, e.g. "avx512"), or "portable" when
    EMBER_KERNELS=portable was set before `import ember`."""
    return _C.kernel_library()


@dataclass(frozen=True)
class OpRow:
    """Every event of one operator (or backend, or control instruction) over
    the profiled runs. `share` is total_ms over the runs' execute() time."""
    name: str
    kind: str  # "kernel", "delegate", "control" or "delegate_internal"
    calls: int
    total_ms: float
    share: float


@dataclass(frozen=True)
class Event:
    """One recorded event. `debug_handle` is the instruction's index in the
    method's chain (-1 for the whole run); `delegate_debug_id` a backend's own
    id for work it reported from inside its call (-1 otherwise)."""
    name: str
    kind: str  # "method", "kernel", "delegate", "control" or "delegate_internal"
    debug_handle: int
    delegate_debug_id: int
    start_ns: int
    end_ns: int
    run: int

    @property
    def duration_ms(self) -> float:
        """end_ns - start_ns, in milliseconds."""
        return (self.end_ns - self.start_ns) / 1e6


class Profile:
    """The result of Module.profile: per-op rows sorted by time, the raw
    events of every run, the per-op table, the Chrome trace and the ETDump."""

    def __init__(self, native: _C.Profile):
        self._native = native
        self.method: str = native.method
        self.runs: int = native.runs
        self.dropped: int = native.dropped  # events that did not fit the buffer
        self.rows: list[OpRow] = [OpRow(**r) for r in native.ops()]
        self.delegate_rows: list[OpRow] = [OpRow(**r) for r in native.delegate_ops()]
        self.events: list[Event] = [Event(*e) for e in native.events()]
        self.run_times_ms: list[float] = native.run_times_ms()
        self.total_ms: float = native.total_ms()

    def table(self) -> str:
        """The per-op table `ember run --profile` prints."""
        return self._native.table()

    def trace(self) -> dict:
        """The Chrome trace as data: {"traceEvents": [...], ...}."""
        return json.loads(self._native.chrome_trace())

    def save_trace(self, path: str | os.PathLike) -> None:
        """Write the Chrome trace (JSON that Perfetto and chrome://tracing load)."""
        Path(path).write_text(self._native.chrome_trace())

    def etdump(self, bundled_input_index: int = -1) -> bytes:
        """The runs as an ETDump file's bytes (ExecuTorch's format of runtime
        events): one run block per run, named after the method, with one
        profile event per recorded event (docs/devtools.md).
        `bundled_input_index`: the bundled program's test case whose inputs
        the runs took (RunData.bundled_input_index), or -1."""
        return self._native.etdump(bundled_input_index)

    def save_etdump(self, path: str | os.PathLike, bundled_input_index: int = -1) -> None:
        """Write the ETDump (`.etdp`), which ExecuTorch's devtools Inspector
        reads: `executorch.devtools.Inspector(etdump_path=path)`."""
        Path(path).write_bytes(self._native.etdump(bundled_input_index))

    def __repr__(self) -> str:
        return (f"Profile(method={self.method!r}, runs={self.runs}, "
                f"total_ms={self.total_ms:.3f}, rows={len(self.rows)})")


def _to_numpy(x: Any) -> tuple[Any, bool]:
    # A torch tensor can only come from an imported torch: the runtime neither
    # needs torch nor pays for importing it.
    if isinstance(x, np.ndarray):
        return x, False
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(x, torch.Tensor):
        try:
            # A CPU tensor without grad of a numpy dtype, any strides (the
            # runtime reads a C-contiguous copy of the array).
            return x.numpy(), True
        except (RuntimeError, TypeError):
            pass  # needs grad, another device, bfloat16, a conjugate view
        x = x.detach().cpu().resolve_conj().resolve_neg().contiguous()
        if x.dtype == torch.bfloat16:  # numpy has no bfloat16: its bits as uint16
            return x.view(torch.int16).numpy().view(np.uint16), True
        return x.numpy(), True
    return x, False


def _named_bfloat16(error: TypeError, leaves: Any) -> TypeError:
    """The binding's dtype error for input i, naming bfloat16 where the
    caller gave a torch.bfloat16 tensor (it crosses as uint16 bits)."""
    m = re.match(r"input (\d+) has dtype uint16\b", str(error))
    torch = sys.modules.get("torch")
    if m and torch is not None:
        x = leaves[int(m[1])]
        if isinstance(x, torch.Tensor) and x.dtype == torch.bfloat16:
            return TypeError(str(error).replace("dtype uint16", "dtype bfloat16", 1))
    return error


def _to_torch(x: Any, dtype: str) -> Any:
    """An output array as a torch tensor (bfloat16 arrives as uint16 bits)."""
    import torch
    if not isinstance(x, np.ndarray):
        return x
    if dtype == "bfloat16":
        return torch.from_numpy(x.view(np.int16)).view(torch.bfloat16)
    return torch.from_numpy(x)


class Module:
    """A loaded program, made by `load`. Methods load on first use."""

    def __init__(self, native: _C.RuntimeModule):
        self._native = native
        self._in_specs: dict[str, _pytree.Node | None] = {}
        self._out_specs: dict[str, _pytree.Node] = {}
        self._out_is_tuple: dict[str, bool] = {}  # output spec: a tuple of leaves
        self._out_dtype_names: dict[str, list[str]] = {}
        self._flat_arities: dict[str, int | None] = {}

    @property
    def step_limit(self) -> int:
        """Most instructions one run may execute (0: no limit)."""
        return self._native.step_limit

    @step_limit.setter
    def step_limit(self, max_steps: int) -> None:
        if max_steps < 0:
            raise ValueError("step_limit must be >= 0 (0: no limit)")
        self._native.step_limit = max_steps

    @property
    def method_names(self) -> list[str]:
        """The program's methods, constant methods included, in file order."""
        return self._native.method_names()

    def load_method(self, name: str = "forward") -> None:
        """Load method `name` now (its plan, kernels and delegates) rather than
        on its first call."""
        self._native.load_method(name)

    def method_meta(self, name: str = "forward") -> dict:
        """Inputs, outputs (dtype, sizes, dim order, planned), planned buffer
        sizes and operators of a method."""
        return self._native.method_info(name)

    def run_method(self, name: str, inputs: list | tuple = (), kwargs: dict | None = None) -> Any:
        """Run method `name`. `inputs` (and `kwargs`) nest as the exported
        method's signature did, or `inputs` are all its inputs flat in the
        exported order (keyword inputs included), as ExecuTorch's runtime
        takes them; either way they are flattened by its container string."""
        # The common call (every input a positional tensor or scalar, as the
        # signature takes them) skips the general flattening: a decode step
        # of an LLM pays this per token.
        # Loops rather than generators: a one-linear program's call had cost
        # 6 us of Python with torch tensors, beside 26 us for the run.
        n = self._flat_arity(name)
        plain = n is not None and not kwargs and len(inputs) == n
        for x in inputs if plain else ():
            if isinstance(x, (tuple, list, dict)):
                plain = False
                break
        leaves = inputs if plain else self._flatten_inputs(name, tuple(inputs), kwargs or {})
        arrays = []
        any_torch = False
        for x in leaves:
            if type(x) is np.ndarray:
                arrays.append(x)
            else:
                a, is_torch = _to_numpy(x)
                arrays.append(a)
                any_torch = any_torch or is_torch
        try:
            outputs = self._native.execute(name, arrays)
        except TypeError as e:
            raise _named_bfloat16(e, leaves) from None
        if any_torch:
            outputs = [_to_torch(o, d)
                       for o, d in zip(outputs, self._out_dtypes(name), strict=True)]
        spec = self._out_spec(name)
        if spec.kind == "$":
            return outputs[0]
        return tuple(outputs) if self._out_is_tuple[name] else _pytree.unflatten(spec, outputs)

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        """run_method("forward", inputs, kwargs); calling the Module does the same."""
        return self.run_method("forward", inputs, kwargs)

    def profile_method(self, name: str, inputs: list | tuple = (), kwargs: dict | None = None,
                       runs: int = 1, warmup: int = 0) -> Profile:
        """Run method `name` `warmup` times, then `runs` times with every
        instruction timed (inputs as run_method takes them), and return the
        Profile of the timed runs."""
        for what, value, least in (("runs", runs, 1), ("warmup", warmup, 0)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{what} must be an int, not {type(value).__name__}")
            if value < least:
                raise ValueError(f"{what} must be >= {least}, got {value}")
        leaves = self._flatten_inputs(name, tuple(inputs), kwargs or {})
        flat = [_to_numpy(x)[0] for x in leaves]
        try:
            return Profile(self._native.profile(name, flat, runs, warmup))
        except TypeError as e:
            raise _named_bfloat16(e, leaves) from None

    def profile(self, *inputs: Any, runs: int = 1, warmup: int = 0, **kwargs: Any) -> Profile:
        """profile_method("forward", ...)."""
        return self.profile_method("forward", inputs, kwargs, runs=runs, warmup=warmup)

    def __call__(self, *inputs: Any, **kwargs: Any) -> Any:
        return self.forward(*inputs, **kwargs)

    def verify(self, method: str | None = None, rtol: float = 1e-5, atol: float = 1e-8) -> dict:
        """Run every test case of a bundled program (a Module loaded from a
        .bpte; of `method` only, if given) and compare its outputs with the
        expected ones: |got - expected| <= atol + rtol * |expected|, exact for
        integer and bool dtypes. Returns {"passed", "rtol", "atol", "cases"},
        each case {"method", "test_case", "compared", "matched",
        "description", "max_abs_diff"} plus, when it differs, where the worst
        difference is ("output", "element", "index", "expected", "got",
        "abs_diff", "allowed", or "problem" for a dtype or shape mismatch).
        EmberRuntimeError for a plain .pte (no test cases)."""
        return self._native.verify(method or "", rtol, atol)

    def _flatten_inputs(self, name: str, args: tuple, kwargs: dict) -> list:
        """The method's flat inputs from a call. Two forms are accepted: nested
        as the exported signature (its positional inputs, then its keyword
        inputs by name), or every input flat and positional in the exported
        order (keyword inputs included, in the order of the method's input
        container), as ExecuTorch's runtime takes them."""
        node = self._in_spec(name)
        # torch.export's input spec is (args tuple, kwargs dict).
        if node is None or node.kind != "T" or len(node.children) != 2:
            if kwargs:
                raise TypeError(f"method '{name}' has no input signature for keyword inputs")
            return list(args)
        positional, keywords = node.children
        npos = len(positional.children)
        names = list(keywords.keys) if keywords.kind == "D" else []
        unknown = [k for k in kwargs if k not in names]
        if unknown:
            raise TypeError(f"method '{name}' got unexpected keyword input(s) {_names(unknown)} "
                            f"(its keyword inputs: {_names(names) or 'none'})")
        if len(args) == npos and len(kwargs) == len(names):
            return _pytree.flatten(node, (args, kwargs), f"{name} input")
        if not kwargs and len(args) == node.num_leaves():
            nested = [i for i, a in enumerate(args) if isinstance(a, (tuple, list, dict))]
            if nested:
                raise TypeError(f"method '{name}': input {nested[0]} is a "
                                f"{type(args[nested[0]]).__name__}; give the inputs nested as "
                                f"exported ({npos} positional) or all flat, not a mix")
            return list(args)
        if kwargs and len(args) == npos:
            missing = [k for k in names if k not in kwargs]
            raise TypeError(f"method '{name}' is missing keyword input(s) {_names(missing)}")
        if not names and npos == node.num_leaves():
            raise TypeError(f"method '{name}' takes {npos} positional inputs, got {len(args)}")
        given = f"{len(args)} positional" + (f" and {_names(kwargs)} by keyword" if kwargs else "")
        takes = f"{npos} positional" + (f" and {_names(names)} by keyword" if names else "")
        raise TypeError(f"method '{name}' takes {takes}, or all {node.num_leaves()} inputs "
                        f"positional in the exported order; got {given}")

    def _flat_arity(self, name: str) -> int | None:
        """N when method `name` takes N positional leaves and no keyword
        inputs (its inputs are then the call's arguments as they are), else
        None."""
        if name not in self._flat_arities:
            node = self._in_spec(name)
            n = None
            if node is not None and node.kind == "T" and len(node.children) == 2:
                positional, keywords = node.children
                if (positional.kind == "T" and all(c.kind == "$" for c in positional.children)
                        and keywords.kind == "D" and not keywords.keys):
                    n = len(positional.children)
            self._flat_arities[name] = n
        return self._flat_arities[name]

    def _in_spec(self, name: str) -> _pytree.Node | None:
        if name not in self._in_specs:
            spec = self.method_meta(name)["input_spec"]
            self._in_specs[name] = _pytree.decode(spec) if spec else None
        return self._in_specs[name]

    def _out_dtypes(self, name: str) -> list[str]:
        if name not in self._out_dtype_names:
            self._out_dtype_names[name] = [o["dtype"] for o in self.method_meta(name)["outputs"]]
        return self._out_dtype_names[name]

    def _out_spec(self, name: str) -> _pytree.Node:
        if name not in self._out_specs:
            meta = self.method_meta(name)
            spec = meta["output_spec"]
            node = _pytree.decode(spec) if spec else None
            n = len(meta["outputs"])
            if node is None or node.num_leaves() != n:
                node = _pytree.Node("$") if n == 1 else _pytree.Node("T", [_pytree.Node("$")] * n)
            self._out_specs[name] = node
            self._out_is_tuple[name] = node.kind == "T" and all(
                c.kind == "$" for c in node.children)
        return self._out_specs[name]


def _names(keys: Any) -> str:
    return ", ".join(repr(k) for k in keys)


def load(source: str | os.PathLike | bytes, poison_dead_memory: bool | None = None,
         step_limit: int | None = None) -> Module:
    """Load a .pte from a path (memory-mapped) or from bytes (copied). A
    bundled program (.bpte) loads the program inside it; Module.verify() runs
    its test cases.

    step_limit: most instructions one run of a method may execute before it
    fails with InvalidState (a control-flow loop that never ends); 0 means no
    limit. Default: 100,000,000. Also settable later as `Module.step_limit`.

    poison_dead_memory: a debug mode that checks the memory plan while it
    runs: after each instruction the planned bytes of every tensor it used
    for the last time are filled with 0xFF (NaN, or -1), so a tensor the plan
    wrongly overlaps with a dead one reads poison. Default: on when the
    environment variable EMBER_POISON_DEAD_MEMORY is 1."""
    if poison_dead_memory is None:
        poison_dead_memory = os.environ.get("EMBER_POISON_DEAD_MEMORY", "0") == "1"
    if isinstance(source, (bytes, bytearray, memoryview)):
        module = Module(_C.RuntimeModule.from_bytes(bytes(source), poison_dead_memory))
    else:
        module = Module(_C.RuntimeModule.load(os.fspath(source), poison_dead_memory))
    if step_limit is not None:
        module.step_limit = step_limit
    return module
