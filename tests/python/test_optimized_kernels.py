"""The optimized kernel library end to end: a model whose float32 ops all have
optimized kernels (convolutions plain, depthwise, 1x1 and squeeze-excite's
one-position 1x1; max pooling; means over H and W; linear; layer norm;
gelu; softmax; broadcast arithmetic; permutes; clamps) runs against eager
PyTorch under the optimized kernels (the default), the portable ones alone
(EMBER_KERNELS=portable), each instruction set this CPU has
(EMBER_KERNELS_ISA), and 1 and 2 threads (bit-identical). Each configuration
runs in a fresh process: the kernel library is chosen per process, at import.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F

import ember
from ember import runtime

RUNNER = r"""
import sys
import numpy as np
from ember import runtime
threads = int(sys.argv[3])
runtime.set_num_threads(threads)
m = runtime.load(sys.argv[1])
x = np.load(sys.argv[2])
out = m.forward(x)
out = out[0] if isinstance(out, (list, tuple)) else out
np.save(sys.argv[2] + f".{sys.argv[4]}.npy", np.asarray(out))
print(runtime.kernel_library())
"""


class Mixed(nn.Module):
    """Every op family of the optimized library, on odd sizes."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 12, 3, stride=2, padding=1)
        self.dw = nn.Conv2d(12, 12, 5, padding=2, groups=12)
        self.dw2 = nn.Conv2d(12, 12, 3, stride=2, padding=1, groups=12)
        self.se = nn.Conv2d(12, 12, 1)
        self.pw = nn.Conv2d(12, 20, 1)
        self.norm = nn.LayerNorm(20)
        self.fc1 = nn.Linear(20, 37)
        self.fc2 = nn.Linear(37, 20)
        self.scale = nn.Parameter(torch.randn(20, 1, 1))

    def forward(self, x):
        y = F.relu6(self.stem(x))
        y = F.hardtanh(self.dw(y), -0.5, 2.0) + y
        y = F.max_pool2d(y, 3, stride=1, padding=1)
        y = y * torch.sigmoid(self.se(y.mean((2, 3), keepdim=True)))   # squeeze-excite
        y = self.pw(self.dw2(y)) * self.scale - 0.25
        t = y.permute(0, 2, 3, 1)                          # NHWC, as ConvNeXt
        t = self.fc2(F.gelu(self.fc1(self.norm(t))))       # erf gelu
        t = F.gelu(t, approximate="tanh") / 1.5
        att = torch.softmax(t @ t.transpose(-1, -2) * 0.1, dim=-1)
        out = torch.sigmoid(att @ t) + torch.tanh(t).clamp(min=-0.3)
        return out.permute(0, 3, 1, 2).exp()


@pytest.fixture(scope="module")
def program(tmp_path_factory) -> tuple[Path, Path, np.ndarray]:
    torch.manual_seed(0)
    model = Mixed().eval()
    x = torch.randn(2, 3, 29, 31)
    with torch.no_grad():
        want = model(x).numpy()
    d = tmp_path_factory.mktemp("optimized")
    pte = d / "mixed.pte"
    pte.write_bytes(ember.to_edge(torch.export.export(model, (x,))).to_executorch().buffer)
    inp = d / "x.npy"
    np.save(inp, x.numpy())
    return pte, inp, want


def _run(program, tag: str, threads: int = 1, **env: str) -> tuple[np.ndarray, str]:
    pte, inp, _ = program
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("EMBER_KERNELS")}
    full_env.update(env)
    proc = subprocess.run([sys.executable, "-c", RUNNER, str(pte), str(inp), str(threads), tag],
                          env=full_env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return np.load(f"{inp}.{tag}.npy"), proc.stdout.strip().splitlines()[-1]


def test_default_is_optimized_and_matches_eager(program):
    got, library = _run(program, "default")
    assert library.startswith("optimized ("), library
    np.testing.assert_allclose(got, program[2], rtol=1e-4, atol=1e-5)


def test_portable_alone_matches_eager_and_optimized(program):
    got, library = _run(program, "portable", EMBER_KERNELS="portable")
    assert library == "portable"
    np.testing.assert_allclose(got, program[2], rtol=1e-4, atol=1e-5)
    optimized, _ = _run(program, "default")
    np.testing.assert_allclose(optimized, got, rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("isa", ["generic", "avx2", "avx512", "neon"])
def test_every_instruction_set_matches_eager(program, isa):
    got, library = _run(program, f"isa_{isa}", EMBER_KERNELS_ISA=isa)
    if library != f"optimized ({isa})":
        pytest.skip(f"{isa} is not available here ({library})")
    np.testing.assert_allclose(got, program[2], rtol=1e-4, atol=1e-5)


def test_one_and_two_threads_give_the_same_bits(program):
    one, _ = _run(program, "t1", threads=1)
    two, _ = _run(program, "t2", threads=2)
    assert one.tobytes() == two.tobytes()


def test_kernel_library_names_the_library_in_process():
    name = runtime.kernel_library()
    expected = "portable" if os.environ.get("EMBER_KERNELS") == "portable" else "optimized ("
    assert name.startswith(expected), name
