"""Ember: torch.export graph in, one .pte file out, run by a small C++ runtime.

    ep = torch.export.export(model.eval(), example_inputs)
    prog = ember.to_edge(ep).to_executorch()
    prog.save("model.pte")
    y = ember.runtime.load("model.pte").forward(x)
"""

from importlib.metadata import PackageNotFoundError, version

from . import partitioners, runtime
from .config import EdgeCompileConfig, ExecutorchBackendConfig
from .errors import CompileError, EmberError, EmberRuntimeError, UnsupportedOpError

try:  # pyproject.toml's version, as installed: the one place it is written
    __version__ = version("ember")
except PackageNotFoundError:  # pragma: no cover - imported from a tree never installed
    __version__ = "0+unknown"


def __getattr__(name: str):
    # The compiler front end imports torch; keep `import ember` (and the
    # runtime) usable without it.
    if name in ("to_edge", "to_edge_transform_and_lower", "EdgeProgramManager",
                "ExecutorchProgramManager"):
        from . import edge
        return getattr(edge, name)
    if name == "quantizer":  # imports torch and torchao
        import importlib
        return importlib.import_module(".quantizer", __name__)
    raise AttributeError(f"module 'ember' has no attribute {name!r}")


__all__ = [
    "to_edge", "to_edge_transform_and_lower", "partitioners", "EdgeProgramManager",
    "ExecutorchProgramManager", "EdgeCompileConfig",
    "ExecutorchBackendConfig", "runtime", "EmberError", "CompileError", "UnsupportedOpError",
    "EmberRuntimeError", "quantizer",
]
