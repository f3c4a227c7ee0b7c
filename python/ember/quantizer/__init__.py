"""int8 PT2E quantization for Ember's CPU paths, a drop-in for ExecuTorch's.

    from ember.quantizer import (XNNPACKQuantizer, get_symmetric_quantization_config,
                                 quantize_pt2e)
    q = XNNPACKQuantizer().set_global(get_symmetric_quantization_config(is_per_channel=True))
    ep = quantize_pt2e(model.eval(), (x,), q, [(x,) for x in samples])
    prog = ember.to_edge(ep).to_executorch()

or step by step, as with ExecuTorch: `prepare_pt2e`, `calibrate`,
`convert_pt2e`, `torch.export.export`. Built on torchao's PT2E API; ExecuTorch
is not needed. docs/quantization.md is the guide.
"""

from torchao.quantization.pt2e.quantize_pt2e import (
    convert_pt2e,
    prepare_pt2e,
    prepare_qat_pt2e,
)
from torchao.quantization.pt2e.quantizer import QuantizationConfig

from .calibration import calibrate, quantize_pt2e
from .config import get_symmetric_quantization_config
from .quantizer import XNNPACKQuantizer

__all__ = [
    "XNNPACKQuantizer", "get_symmetric_quantization_config", "QuantizationConfig",
    "calibrate", "quantize_pt2e", "prepare_pt2e", "prepare_qat_pt2e", "convert_pt2e",
]
