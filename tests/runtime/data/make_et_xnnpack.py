"""Write et_xnnpack_cnn.pte (ExecuTorch 1.4.1 + XnnpackPartitioner), its input
and ExecuTorch's own outputs for it, and ember_xnnpack_cnn.pte, the same model
and weights exported by Ember's XnnpackPartitioner (its constants inside the
delegate's blob, where ExecuTorch's are named data); tests/runtime/test_xnnpack.cpp
reads them.

    .venv/bin/python tests/runtime/data/make_et_xnnpack.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner
from executorch.exir import to_edge_transform_and_lower
from executorch.runtime import Runtime
from torch import nn

HERE = Path(__file__).resolve().parent


class XnnpackCnn(nn.Module):
    """conv + relu, a depthwise block with a residual add, a constant multiplier
    (XNNPACK reads it at run time: the backend must keep its own copy), a
    permute feeding a convolution (a transpose between two XNNPACK stages), and
    global pooling reshaped to [N, C] for a linear layer (a transpose that
    moves no data). Input [1, 3, 16, 16]; outputs [1, 10] and [1, 4, 8, 8]."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.dw = nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.pw = nn.Conv2d(8, 8, 1)
        self.mix = nn.Conv2d(8, 4, 1)
        # A parameter (not a buffer, which ExecuTorch would pass in as an input):
        # a static value of the blob, transposed to NHWC at init.
        self.scale = nn.Parameter(torch.linspace(0.5, 1.5, 8).view(1, 8, 1, 1), requires_grad=False)
        self.fc = nn.Linear(8, 10)

    def forward(self, x):
        y = torch.relu(self.stem(x))
        y = y + self.pw(F.relu6(self.dw(y)))
        y = y * self.scale
        z = self.mix(y.permute(0, 1, 3, 2))
        return self.fc(y.mean(dim=(2, 3), keepdim=True).view(1, 8)), z


def main() -> None:
    torch.manual_seed(0)
    model = XnnpackCnn().eval()
    x = torch.from_numpy(np.random.default_rng(0).uniform(-1, 1, (1, 3, 16, 16)).astype(np.float32))
    ep = torch.export.export(model, (x,))
    prog = to_edge_transform_and_lower(ep, partitioner=[XnnpackPartitioner()]).to_executorch()
    (HERE / "et_xnnpack_cnn.pte").write_bytes(prog.buffer)
    np.save(HERE / "et_xnnpack_cnn_input.npy", x.numpy())
    method = Runtime.get().load_program(prog.buffer).load_method("forward")
    outs = [o.numpy() for o in method.execute([x])]
    with torch.no_grad():
        wants = [w.numpy() for w in model(x)]
    print("ExecuTorch vs eager:", max(float(np.abs(o - w).max()) for o, w in zip(outs, wants)))
    np.save(HERE / "et_xnnpack_cnn_output0_et141.npy", outs[0])
    np.save(HERE / "et_xnnpack_cnn_output1_et141.npy", outs[1])
    write_ember_file(ep)


def write_ember_file(ep: torch.export.ExportedProgram) -> None:
    import ember
    from ember.partitioners import XnnpackPartitioner
    lowered = ember.to_edge_transform_and_lower(ep, partitioner=[XnnpackPartitioner()])
    (HERE / "ember_xnnpack_cnn.pte").write_bytes(lowered.to_executorch().buffer)


if __name__ == "__main__":
    main()
