"""The systems the benchmark puts side by side: how each one turns an exported
program into a file (timed by the harness), loads that file and runs one
inference. Eager PyTorch runs in the harness's process; every file-based system runs
in a process of its own (bench/worker.py).

    ember        .pte   ember.to_edge -> to_executorch; Ember's runtime, portable kernels
                        alone (EMBER_KERNELS=portable in its worker)
    ember_opt    .pte   the same file; Ember's runtime, optimized kernels over portable
    ember_xnnpack .pte  ember.to_edge_transform_and_lower(XnnpackPartitioner) -> to_executorch;
                        Ember's runtime with its XNNPACK backend (Debian's XNNPACK; on
                        AVX-512 CPUs its float convolutions on Ember's kernel) and the
                        optimized kernels for what the delegate leaves
    et_portable  .pte   executorch to_edge -> to_executorch; ExecuTorch's runtime, portable
    et_xnnpack   .pte   to_edge_transform_and_lower(XnnpackPartitioner) -> to_executorch;
                        ExecuTorch's runtime with XNNPACK
    onnxruntime  .onnx  torch.onnx.export(ep, dynamo=True); ONNX Runtime, CPU provider

Quantized systems (python -m bench.quant): each quantizes with its own
quantizer (PT2E: prepare, calibrate on the example input and noisy copies of
it, convert, export again), and the quantization is counted in its export time.
    ember_int8   .pte   ember.quantizer (static int8, per-channel weights) -> ember.to_edge;
                        Ember's runtime, optimized kernels
    et_int8      .pte   ExecuTorch's XNNPACKQuantizer (the same config) -> XnnpackPartitioner;
                        ExecuTorch's runtime with XNNPACK
    ember_dyn8 / et_dyn8  the same with dynamic int8 (linears only)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

KINDS = ["ember_xnnpack", "ember_opt", "ember", "et_xnnpack", "et_portable", "onnxruntime"]
LABELS = {"ember": "Ember portable", "ember_opt": "Ember optimized", "ember_xnnpack": "Ember XNNPACK",
          "et_portable": "ExecuTorch portable", "et_xnnpack": "ExecuTorch XNNPACK",
          "onnxruntime": "ONNX Runtime", "eager": "eager"}
SUFFIX = {"ember": ".pte", "ember_opt": ".pte", "ember_xnnpack": ".pte", "et_portable": ".pte", "et_xnnpack": ".pte",
          "onnxruntime": ".onnx"}
QUANT_KINDS = ["ember_int8", "et_int8", "ember_dyn8", "et_dyn8"]
LABELS.update({"ember_int8": "Ember int8", "et_int8": "ExecuTorch int8 XNNPACK",
               "ember_dyn8": "Ember dynamic int8", "et_dyn8": "ExecuTorch dynamic int8 XNNPACK"})
SUFFIX.update({k: ".pte" for k in QUANT_KINDS})
# Runtimes whose kernels use more than one thread; the others run one thread
# whatever they are asked, so they are timed once, at 1 thread.
THREADED = {"eager", "ember_opt", "ember_xnnpack", "et_xnnpack", "onnxruntime", *QUANT_KINDS}
# Environment a system's worker process runs with (the kernel library is
# chosen per process, at import).
WORKER_ENV = {"ember": {"EMBER_KERNELS": "portable"}}


def describe_error(e: BaseException) -> str:
    """The reason a system shows in its cell: the exception's type and first line."""
    text = str(e).strip()
    return f"{type(e).__name__}: {text.splitlines()[0][:160] if text else ''}".rstrip(": ")


def first_output(x: Any) -> Any:
    """The first tensor of a model's (possibly nested) outputs. The zoo's models
    return tensors or tuples of them (tests/models/hf.py unwraps HF outputs)."""
    while isinstance(x, (tuple, list)):
        x = x[0]
    return x


def to_numpy(x: Any) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().float() if x.is_floating_point() else x.detach()
        return x.cpu().numpy()
    return np.asarray(x)


# -- export: ExportedProgram -> file -----------------------------------------

def _export_ember(ep: Any, path: Path) -> None:
    import ember
    path.write_bytes(ember.to_edge(ep).to_executorch().buffer)


def _export_ember_xnnpack(ep: Any, path: Path) -> None:
    import ember
    from ember.partitioners import XnnpackPartitioner
    lowered = ember.to_edge_transform_and_lower(ep, partitioner=[XnnpackPartitioner()])
    path.write_bytes(lowered.to_executorch().buffer)


def _export_et_portable(ep: Any, path: Path) -> None:
    from executorch.exir import to_edge
    path.write_bytes(to_edge(ep).to_executorch().buffer)


def _export_et_xnnpack(ep: Any, path: Path) -> None:
    from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner
    from executorch.exir import to_edge_transform_and_lower
    lowered = to_edge_transform_and_lower(ep, partitioner=[XnnpackPartitioner()])
    path.write_bytes(lowered.to_executorch().buffer)


def _export_onnx(ep: Any, path: Path) -> None:
    import torch
    # One self-contained file (the zoo's largest model is well under protobuf's 2 GB).
    torch.onnx.export(ep, f=str(path), dynamo=True, external_data=False, verbose=False)


def _calibration(ep: Any) -> list[tuple]:
    """The example input and three noisy copies of its float tensors."""
    import torch

    args = tuple(ep.example_inputs[0])
    noisy = [tuple(a + 0.1 * torch.randn_like(a) if a.is_floating_point() else a for a in args)
             for _ in range(3)]
    return [args, *noisy]


def _pt2e(ep: Any, quantizer: Any) -> Any:
    """`ep` quantized by `quantizer` (prepare, calibrate, convert) and exported again."""
    import torch
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e

    prepared = prepare_pt2e(ep.module(), quantizer)
    with torch.no_grad():
        for args in _calibration(ep):
            prepared(*args)
    return torch.export.export(convert_pt2e(prepared), tuple(ep.example_inputs[0]))


def _export_ember_quantized(ep: Any, path: Path, dynamic: bool) -> None:
    import ember
    from ember.quantizer import XNNPACKQuantizer, get_symmetric_quantization_config
    config = get_symmetric_quantization_config(is_per_channel=True, is_dynamic=dynamic)
    quantized = _pt2e(ep, XNNPACKQuantizer().set_global(config))
    path.write_bytes(ember.to_edge(quantized).to_executorch().buffer)


def _export_et_quantized(ep: Any, path: Path, dynamic: bool) -> None:
    from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner
    from executorch.backends.xnnpack.quantizer.xnnpack_quantizer import (
        XNNPACKQuantizer,
        get_symmetric_quantization_config,
    )
    from executorch.exir import to_edge_transform_and_lower
    config = get_symmetric_quantization_config(is_per_channel=True, is_dynamic=dynamic)
    try:
        quantized = _pt2e(ep, XNNPACKQuantizer().set_global(config))
    except IndexError:
        # ExecuTorch's quantizer breaks BERT's prepared model (its calibration
        # indexes with a tensor the quantizer's transform made float). Its
        # graphs equal ember.quantizer's (tests/python/test_quantizer.py), so
        # that one quantizes and ExecuTorch lowers and runs: its runtime is
        # still measured, its quantize time is not its own (docs say so).
        from ember.quantizer import XNNPACKQuantizer as EmberQuantizer
        from ember.quantizer import get_symmetric_quantization_config as ember_config
        quantized = _pt2e(ep, EmberQuantizer().set_global(
            ember_config(is_per_channel=True, is_dynamic=dynamic)))
    lowered = to_edge_transform_and_lower(quantized, partitioner=[XnnpackPartitioner()])
    path.write_bytes(lowered.to_executorch().buffer)


EXPORTERS: dict[str, Callable[[Any, Path], None]] = {
    "ember": _export_ember, "ember_opt": _export_ember, "ember_xnnpack": _export_ember_xnnpack,
    "et_portable": _export_et_portable,
    "et_xnnpack": _export_et_xnnpack, "onnxruntime": _export_onnx,
    "ember_int8": lambda ep, path: _export_ember_quantized(ep, path, False),
    "et_int8": lambda ep, path: _export_et_quantized(ep, path, False),
    "ember_dyn8": lambda ep, path: _export_ember_quantized(ep, path, True),
    "et_dyn8": lambda ep, path: _export_et_quantized(ep, path, True)}


# -- runners: a loaded file (or the eager model) and one call ---------------

class Runner:
    """One system ready to run: `run()` is one inference, returning the first output."""

    def run(self) -> Any:
        raise NotImplementedError


class EagerRunner(Runner):
    def __init__(self, model: Any, args: Sequence[Any], threads: int):
        self.model, self.args, self.threads = model, tuple(args), threads

    def run(self) -> Any:
        import torch
        torch.set_num_threads(self.threads)  # process-wide: set before each call
        with torch.inference_mode():
            return first_output(self.model(*self.args))


class EmberRunner(Runner):
    @staticmethod
    def imports() -> None:
        import ember.runtime  # noqa: F401

    def __init__(self, path: Path, args: Sequence[Any], threads: int):
        import ember.runtime
        # Process-wide, before loading: the XNNPACK backend binds the pool at init.
        ember.runtime.set_num_threads(threads)
        self.module = ember.runtime.load(path)
        self.module.load_method("forward")
        self.args = [to_numpy(a) for a in args]

    def run(self) -> Any:
        return first_output(self.module.forward(*self.args))


class ExecuTorchRunner(Runner):
    @staticmethod
    def imports() -> None:
        import executorch.extension.pybindings.portable_lib  # noqa: F401
        import executorch.kernels.quantized  # noqa: F401  (quantize/dequantize kernels)
        import executorch.runtime  # noqa: F401

    def __init__(self, path: Path, args: Sequence[Any], threads: int):
        import torch
        from executorch.extension.pybindings import portable_lib
        from executorch.runtime import Runtime
        # ExecuTorch's delegates take the process-wide thread pool when the
        # method loads and keep it: it is sized once, before, and never again
        # (resetting it under a loaded XNNPACK method crashes the process).
        if portable_lib._threadpool_get_thread_count() != threads:
            portable_lib._unsafe_reset_threadpool(threads)
        program = Runtime.get().load_program(str(path))
        self.method = program.load_method("forward")
        self.args = [torch.as_tensor(a) for a in args]

    def run(self) -> Any:
        return first_output(self.method.execute(self.args))


class OnnxRuntimeRunner(Runner):
    @staticmethod
    def imports() -> None:
        import onnxruntime  # noqa: F401

    def __init__(self, path: Path, args: Sequence[Any], threads: int):
        import onnxruntime as ort
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # Idle worker threads would otherwise spin after each call and take the
        # core from whichever system the harness times next.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        names = [i.name for i in self.session.get_inputs()]
        self.feeds = dict(zip(names, (to_numpy(a) for a in args), strict=True))

    def run(self) -> Any:
        return self.session.run(None, self.feeds)[0]


RUNNERS: dict[str, type] = {"ember": EmberRunner, "ember_opt": EmberRunner,
                            "ember_xnnpack": EmberRunner,
                            "et_portable": ExecuTorchRunner,
                            "et_xnnpack": ExecuTorchRunner, "onnxruntime": OnnxRuntimeRunner,
                            "ember_int8": EmberRunner, "ember_dyn8": EmberRunner,
                            "et_int8": ExecuTorchRunner, "et_dyn8": ExecuTorchRunner}


def file_bytes(path: Path) -> int:
    """The file's size, with any external-data files written beside it."""
    extra = [p for p in path.parent.glob(path.name + "*") if p != path]
    return path.stat().st_size + sum(p.stat().st_size for p in extra)


def planned_bytes(path: Path) -> int | None:
    """Bytes of the memory-planned arenas of a .pte's forward method, read by
    Ember's loader (it reads ExecuTorch's files too); None for other files."""
    if path.suffix != ".pte":
        return None
    import ember.runtime
    return int(sum(ember.runtime.load(path).method_meta("forward")["planned_buffer_sizes"]))
