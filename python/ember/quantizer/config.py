"""Quantization configs: how activations and weights are observed and quantized.

`get_symmetric_quantization_config` takes the arguments of ExecuTorch's function
of the same name and means the same, so a config can be passed to either
quantizer. The result is torchao's `QuantizationConfig`, not a class of our own,
for the same reason.
"""

from __future__ import annotations

import functools
from typing import Any

import torch
from torchao.quantization.pt2e import (
    FakeQuantize,
    FusedMovingAvgObsFakeQuantize,
    HistogramObserver,
    MinMaxObserver,
    MovingAverageMinMaxObserver,
    MovingAveragePerChannelMinMaxObserver,
    PerChannelMinMaxObserver,
    PlaceholderObserver,
)
from torchao.quantization.pt2e.quantizer import QuantizationConfig, QuantizationSpec

__all__ = ["QuantizationConfig", "get_symmetric_quantization_config"]

# Smallest scale an observer may pick. XNNPACK requantizes with a fixed-point
# multiplier that loses precision below 2^-12; ExecuTorch uses the same floor.
_EPS = 2.0**-12

_INT8_MIN, _INT8_MAX = -128, 127


def _check_range(what: str, qmin: int, qmax: int) -> None:
    for name, value in ((f"{what}_qmin", qmin), (f"{what}_qmax", qmax)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} must be an int, got {type(value).__name__}")
        if not _INT8_MIN <= value <= _INT8_MAX:
            raise ValueError(f"{name}={value} is outside int8's range "
                             f"[{_INT8_MIN}, {_INT8_MAX}]: Ember quantizes to int8")
    if qmin >= qmax:
        raise ValueError(f"{what}_qmin ({qmin}) must be smaller than {what}_qmax ({qmax})")


def _activation_spec(is_qat: bool, is_dynamic: bool, qmin: int, qmax: int) -> QuantizationSpec:
    # Static PTQ: a histogram observer, which clips outliers (min/max would
    # spend the int8 range on them). Dynamic: nothing to observe, the scale is
    # computed at run time by choose_qparams; the placeholder only carries the
    # dtype and range. QAT fake-quantizes instead of observing.
    args: dict[str, Any] = {"eps": _EPS}
    if is_qat and is_dynamic:
        # A fake quant whose range is the current batch's (averaging 1), as
        # the run-time choose_qparams will see it.
        ctr: Any = FakeQuantize
        args["observer"] = MovingAverageMinMaxObserver.with_args(averaging_constant=1)
    elif is_qat:
        ctr = FusedMovingAvgObsFakeQuantize
    elif is_dynamic:
        ctr = PlaceholderObserver
    else:
        ctr = HistogramObserver
    return QuantizationSpec(
        dtype=torch.int8,
        quant_min=qmin,
        quant_max=qmax,
        qscheme=torch.per_tensor_affine,
        is_dynamic=is_dynamic,
        observer_or_fake_quant_ctr=ctr.with_args(**args),
    )


def _weight_spec(is_per_channel: bool, is_qat: bool, qmin: int, qmax: int) -> QuantizationSpec:
    # Weights are symmetric (zero point 0) so the int8 kernels need no
    # zero-point correction term for them; per channel along axis 0, the
    # output channel of conv and linear weights (the conv_transpose annotator
    # moves it to axis 1).
    args: dict[str, Any] = {"eps": _EPS}
    if is_qat:
        ctr: Any = FusedMovingAvgObsFakeQuantize
        args["observer"] = (MovingAveragePerChannelMinMaxObserver if is_per_channel
                            else MovingAverageMinMaxObserver)
    elif is_per_channel:
        ctr = PerChannelMinMaxObserver
    else:
        ctr = MinMaxObserver
    return QuantizationSpec(
        dtype=torch.int8,
        quant_min=qmin,
        quant_max=qmax,
        qscheme=torch.per_channel_symmetric if is_per_channel else torch.per_tensor_symmetric,
        ch_axis=0,
        is_dynamic=False,
        observer_or_fake_quant_ctr=ctr.with_args(**args),
    )


# Cached: torchao compares specs by value, and a spec's observer constructor
# compares by identity, so two calls with the same arguments must return the
# same objects for their specs to be recognised as equal (as ExecuTorch does).
@functools.lru_cache
def get_symmetric_quantization_config(
    is_per_channel: bool = False,
    is_qat: bool = False,
    is_dynamic: bool = False,
    act_qmin: int = -128,
    act_qmax: int = 127,
    weight_qmin: int = -127,
    weight_qmax: int = 127,
) -> QuantizationConfig:
    """An int8 config for `XNNPACKQuantizer`, as ExecuTorch's function of the same name.

    Activations: int8 per tensor, affine (any zero point), range
    [act_qmin, act_qmax]; static configs observe them with a histogram during
    calibration, dynamic ones (is_dynamic=True) compute scale and zero point
    at run time (`choose_qparams`) and leave the op's output in float.
    Weights: int8 symmetric, per output channel if is_per_channel, else per
    tensor, range [weight_qmin, weight_qmax] (-127..127 by default, so that
    -w is representable). Biases are left in float: the backend quantizes
    them to int32 with the product of the input and weight scales.
    is_qat: fake-quantize instead of observing, for `prepare_qat_pt2e`.
    """
    for flag, value in (("is_per_channel", is_per_channel), ("is_qat", is_qat),
                        ("is_dynamic", is_dynamic)):
        if not isinstance(value, bool):
            raise TypeError(f"{flag} must be a bool, got {value!r}")
    _check_range("act", act_qmin, act_qmax)
    _check_range("weight", weight_qmin, weight_qmax)
    act = _activation_spec(is_qat, is_dynamic, act_qmin, act_qmax)
    weight = _weight_spec(is_per_channel, is_qat, weight_qmin, weight_qmax)
    # Dynamic quantization has no output spec: the op's result stays float.
    return QuantizationConfig(act, None if is_dynamic else act, weight, None, is_qat)


def is_dynamic_config(config: QuantizationConfig) -> bool:
    """Whether `config` quantizes activations at run time."""
    act = config.input_activation
    return act is not None and act.is_dynamic
