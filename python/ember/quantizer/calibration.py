"""Calibration and the whole PTQ flow in one call.

Static quantization picks each activation's scale from the values seen while
the prepared model runs on representative inputs; `calibrate` runs them, with
a progress bar since a real data set takes minutes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import torch
from torchao.quantization.pt2e import ObserverBase, PlaceholderObserver
from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e
from torchao.quantization.pt2e.quantizer import Quantizer
from tqdm.auto import tqdm

__all__ = ["calibrate", "quantize_pt2e"]


def _as_args(item: object, index: int) -> tuple[Any, ...]:
    if isinstance(item, torch.Tensor):
        return (item,)
    if isinstance(item, (tuple, list)):
        return tuple(item)
    raise TypeError(f"calibration item {index} is a {type(item).__name__}; expected a tuple "
                    "of positional arguments (or a single tensor)")


def calibrate(prepared_module: torch.nn.Module, data: Iterable[object], *,
              progress: bool = True) -> int:
    """Run `prepared_module` (from prepare_pt2e) on every item of `data`, a
    tuple of positional arguments each (a lone tensor is taken as one
    argument), without autograd, so that its observers see the activations.

    progress: show a tqdm bar (tqdm still hides it when stderr is not a
    terminal). Returns the number of items run.
    """
    total = len(data) if hasattr(data, "__len__") else None  # type: ignore[arg-type]
    count = 0
    with torch.no_grad(), tqdm(data, total=total, desc="Calibrating", unit="batch",
                               disable=None if progress else True) as bar:
        for count, item in enumerate(bar, 1):
            prepared_module(*_as_args(item, count - 1))
    return count


def _observes_activations(prepared: torch.fx.GraphModule) -> bool:
    """Whether an observer watches an activation (a static config). Weight
    observers, on get_attr nodes, see the weights on any input; dynamic
    configs only insert placeholders for activations."""
    for node in prepared.graph.nodes:
        if node.op != "call_module":
            continue
        observer = prepared.get_submodule(str(node.target))
        if (isinstance(observer, ObserverBase) and not isinstance(observer, PlaceholderObserver)
                and not (node.args and getattr(node.args[0], "op", None) == "get_attr")):
            return True
    return False


def quantize_pt2e(model: torch.nn.Module, example_args: tuple[Any, ...], quantizer: Quantizer,
                  calibration_data: Iterable[object] | None, *, progress: bool = True,
                  dynamic_shapes: Mapping[str, Any] | tuple[Any, ...] | None = None,
                  ) -> torch.export.ExportedProgram:
    """Post-training quantization of `model`, ready for `ember.to_edge`:
    torch.export, prepare_pt2e with `quantizer`, `calibrate` on
    calibration_data, convert_pt2e, and torch.export again.

    The model must be in eval mode (batch norms are folded into their convs
    with their running statistics). calibration_data may be None for a
    dynamic config, whose activations are observed at run time (the model
    then runs once on example_args, for the weight observers).
    """
    if model.training:
        raise ValueError("quantize_pt2e quantizes a model for inference: call model.eval() "
                         "first (a training-mode batch norm would not be folded)")
    example_args = tuple(example_args)
    graph = torch.export.export(model, example_args, dynamic_shapes=dynamic_shapes).module()
    prepared = prepare_pt2e(graph, quantizer)
    seen = calibrate(prepared, calibration_data or (), progress=progress)
    if seen == 0:
        if _observes_activations(prepared):
            raise ValueError("the quantizer's config is static: calibration_data must hold "
                             "at least one batch of representative inputs")
        # Dynamic: the weight observers still need one run to see the weights.
        calibrate(prepared, [example_args], progress=False)
    converted = convert_pt2e(prepared)
    return torch.export.export(converted, example_args, dynamic_shapes=dynamic_shapes)
