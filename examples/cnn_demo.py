"""Ember's main job, end to end: export a small CNN with torch.export, compile it
to model.pte with its ops delegated to XNNPACK, run it with the C++ command-line
runner, and compare with eager.

    make demo          (or: .venv/bin/python examples/cnn_demo.py)
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import torch

import ember
from ember.partitioners import XnnpackPartitioner
from models import SmallCNN, randomize_batch_norm


def main() -> int:
    warnings.filterwarnings("ignore", category=FutureWarning)  # torch.export's own
    torch.manual_seed(0)
    model = randomize_batch_norm(SmallCNN()).eval()
    x = torch.randn(1, 3, 32, 32)

    # 1. Export and compile.
    start = time.perf_counter()
    ep = torch.export.export(model, (x,))
    export_s = time.perf_counter() - start
    start = time.perf_counter()
    edge = ember.to_edge_transform_and_lower(ep, partitioner=[XnnpackPartitioner()])
    program = edge.to_executorch()
    compile_s = time.perf_counter() - start
    print(edge.delegation_summary().rstrip())
    out_path = Path("model.pte")
    program.save(out_path)
    print(f"exported in {export_s:.2f} s, compiled in {compile_s:.2f} s: "
          f"{out_path} ({out_path.stat().st_size} bytes)")

    # 2. Run the .pte with the C++ runner on the same input.
    with tempfile.TemporaryDirectory() as tmp:
        np.save(Path(tmp) / "x.npy", x.numpy())
        cmd = [str(ember.runtime.runner_path()), str(out_path), "--input", f"{tmp}/x.npy",
               "--output-dir", tmp, "--iterations", "20", "--print-limit", "10"]
        print("$", " ".join(cmd[:2]), "--input x.npy ...")
        run = subprocess.run(cmd, capture_output=True, text=True)
        print(run.stdout.rstrip())
        if run.returncode != 0:
            print(run.stderr, file=sys.stderr)
            return 1
        ember_out = np.load(Path(tmp) / "output_0.npy")

    # 3. Eager PyTorch beside it.
    with torch.no_grad():
        eager = model(x).numpy()
    np.set_printoptions(precision=5, suppress=True, linewidth=120)
    print("eager  :", eager.ravel()[:10])
    print("ember  :", ember_out.ravel()[:10])
    diff = float(np.abs(ember_out - eager).max())
    print(f"max |ember - eager| = {diff:.3g}")
    if not np.allclose(ember_out, eager, rtol=1e-5, atol=1e-5):
        print("MISMATCH: Ember's output differs from eager PyTorch", file=sys.stderr)
        return 1
    print("outputs match eager PyTorch (rtol=atol=1e-5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
