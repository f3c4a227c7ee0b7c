"""EdgeProgramManager and ExecutorchProgramManager: the to_edge / to_executorch API."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from torch.export import ExportedProgram

from . import _C, _graph
from .config import EdgeCompileConfig, ExecutorchBackendConfig
from .partitioners import Partitioner


class EdgeProgramManager:
    """One or more methods in the Edge dialect, verified against the Edge contract.

    `str(edge)` (or `edge.ir()`) shows the Edge IR; `to_executorch()` plans
    memory and serializes a .pte.
    """

    def __init__(self, programs: Mapping[str, ExportedProgram],
                 compile_config: EdgeCompileConfig | None = None,
                 constant_methods: Mapping[str, Any] | None = None):
        self.compile_config = compile_config or EdgeCompileConfig()
        self._constant_methods = dict(constant_methods or {})
        for name in self._constant_methods:
            if name in programs:
                raise ValueError(f"constant method '{name}' has the name of an exported method")
        # 1. Decompose to core ATen (the only step that needs torch's passes).
        fuse = self.compile_config.fuse_attention
        self._programs = {name: _graph.decompose(ep, fuse) for name, ep in sorted(programs.items())}
        # 2. Reject unsupported operators before any other work.
        _graph.check_supported(self._programs, self.compile_config.fold_constants)
        # 3. Hand every method to C++ in one call; weights are not copied.
        self._graphs = [_graph.build_graph(name, ep, self.compile_config.fold_constants)
                        for name, ep in self._programs.items()]
        self._partitioners: list[Partitioner] = []
        self._session: _C.CompilerSession | None = self._import()

    def _import(self) -> _C.CompilerSession:
        """A session at the end of the quantize phase with this manager's partitioners
        applied."""
        session = _C.CompilerSession()
        session.import_graphs(self._graphs)
        session.set_constant_methods(self._constant_methods)
        # Up to the quantize phase: quantized patterns are folded before any
        # backend partitions the graph.
        session.run_to("quantize", fuse_attention=self.compile_config.fuse_attention,
                       fuse_linear=self.compile_config.fuse_linear,
                       fold_quantized=self.compile_config.fold_quantized)
        for p in self._partitioners:
            session.partition(p.backend, p.options)
        return session

    def to_backend(self, partitioner: Partitioner | list[Partitioner]) -> EdgeProgramManager:
        """A new manager whose programs have the ops `partitioner` takes delegated
        to its backend (several partitioners apply in order)."""
        new = object.__new__(EdgeProgramManager)
        new.__dict__.update(self.__dict__)
        ps = partitioner if isinstance(partitioner, list) else [partitioner]
        for p in ps:
            if not isinstance(p, Partitioner):
                raise TypeError(f"{p!r} is not an ember.partitioners.Partitioner")
        new._partitioners = [*self._partitioners, *ps]
        new._session = new._import()
        return new

    def _live_session(self) -> _C.CompilerSession:
        """The session at the end of the quantize phase (imported again if
        to_executorch took the last one)."""
        if self._session is None:
            self._session = self._import()
        return self._session

    def delegation_summary(self) -> str:
        """Per backend, its delegates and the ops they took; then the ops left
        to the portable kernels."""
        return self._live_session().delegation_summary()

    @property
    def methods(self) -> list[str]:
        """Exported methods (constant methods not included)."""
        return list(self._programs)

    def exported_program(self, method_name: str = "forward") -> ExportedProgram:
        """The decomposed program of a method."""
        return self._programs[method_name]

    def ir(self, full: bool = False) -> str:
        """The Edge IR as MLIR text (large constants elided unless `full`)."""
        return self._live_session().print(full)

    def __str__(self) -> str:
        return self.ir()

    def to_executorch(self, config: ExecutorchBackendConfig | None = None
                      ) -> ExecutorchProgramManager:
        """Plan memory and emit the .pte."""
        config = config or ExecutorchBackendConfig()
        # Emitting plans memory in the session's module: it takes this
        # manager's session (importing and folding again cost as much as the
        # emit itself: seconds for a 1B LLM), and the next use imports anew.
        session, self._session = self._live_session(), None
        data = session.emit(alignment=config.memory_alignment,
                            plan_inputs=config.alloc_graph_input,
                            plan_outputs=config.alloc_graph_output,
                            algorithm=config.memory_planning_algorithm,
                            alias_views=config.remove_view_copy,
                            fuse_activations=self.compile_config.fuse_activations,
                            channels_last=self.compile_config.channels_last,
                            delegate_segments=config.extract_delegate_segments)
        return ExecutorchProgramManager(data, session.print(False),
                                        sorted([*self.methods, *self._constant_methods]),
                                        session.memory_plans(), session.instruction_debug())


class ExecutorchProgramManager:
    """A serialized program: `.buffer` holds the .pte bytes, `.save()` writes them.

    The bytes stay in the compiler's memory; `.save()` and `.write_to_file()`
    write them from there, and `.buffer` makes a Python bytes copy on first
    use only (a large model is not held twice unless asked for)."""

    def __init__(self, data: Any, planned_ir: str, methods: list[str],
                 memory_plans: dict | None = None, debug_info: list[dict] | None = None):
        self._data = memoryview(data)
        self._bytes: bytes | None = None
        self._planned_ir = planned_ir
        self.methods = methods
        self._memory_plans = memory_plans or {}
        # Per kernel or delegate call: {"method", "instruction", "op", "target",
        # "source"}; what ember.devtools.Inspector ties profile events to.
        self.debug_info: list[dict] = list(debug_info or [])

    @property
    def buffer(self) -> bytes:
        """The .pte bytes (copied out of the compiler's memory on first use)."""
        if self._bytes is None:
            self._bytes = self._data.tobytes()
        return self._bytes

    def __len__(self) -> int:
        return self._data.nbytes

    def ir(self) -> str:
        """The planned Edge IR the file was emitted from."""
        return self._planned_ir

    def save_debug_info(self, path: str | os.PathLike) -> None:
        """Write `debug_info` as JSON (Ember's counterpart of ExecuTorch's
        ETRecord): ship the .pte, keep this, and ember.devtools.Inspector
        ties a profile from the device back to the Edge ops and source lines."""
        Path(path).write_text(json.dumps({"format": "ember-debug-info", "version": 1,
                                          "instructions": self.debug_info}, indent=1))

    def memory_plan(self, method_name: str = "forward") -> dict:
        """How a method's memory was planned: "arena_bytes" (per memory id,
        the .pte's non_const_buffer_sizes after the reserved 0), "algorithm"
        (the one whose plan was kept), "candidates" (every algorithm tried:
        its total bytes) and "lower_bound" (per memory id: the most bytes
        alive at any one instruction, which no plan can beat)."""
        return dict(self._memory_plans[method_name])

    def save(self, path: str | os.PathLike) -> None:
        """Write the .pte atomically: a temporary file in the same folder, then a rename."""
        path = Path(path)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or ".")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(self._data)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def write_to_file(self, f) -> None:
        """ExecuTorch's spelling: write the bytes to an open binary file."""
        f.write(self._data)


def to_edge(programs: ExportedProgram | Mapping[str, ExportedProgram],
            constant_methods: Mapping[str, Any] | None = None,
            compile_config: EdgeCompileConfig | None = None) -> EdgeProgramManager:
    """Lower exported program(s) to the Edge dialect.

    `programs` is one ExportedProgram (method "forward") or a dict of method
    name to ExportedProgram. `constant_methods` adds methods that take no
    input and return a constant (int, float, bool or str, or a list of them,
    returned as a list), e.g. `{"get_max_seq_len": 128, "get_eos_ids": [2]}`.
    """
    if isinstance(programs, ExportedProgram):
        programs = {"forward": programs}
    if not programs:
        raise ValueError("to_edge needs at least one program")
    for name, ep in programs.items():
        if not isinstance(ep, ExportedProgram):
            raise TypeError(f"method '{name}' is a {type(ep).__name__}, not an ExportedProgram")
    return EdgeProgramManager(programs, compile_config, constant_methods)


def to_edge_transform_and_lower(
        programs: ExportedProgram | Mapping[str, ExportedProgram],
        partitioner: Partitioner | list[Partitioner] | None = None,
        constant_methods: Mapping[str, Any] | None = None,
        compile_config: EdgeCompileConfig | None = None) -> EdgeProgramManager:
    """to_edge followed by to_backend for each partitioner, in one call."""
    edge = to_edge(programs, constant_methods=constant_methods, compile_config=compile_config)
    return edge.to_backend(partitioner) if partitioner else edge
