"""Measure the test-size zoo in float16 and bfloat16 and print the accuracy
table of docs/half-precision.md (paste it there).

    .venv/bin/python tests/models/record_half.py            # all models
    .venv/bin/python tests/models/record_half.py bert gpt2  # some

Each model (seeded, `ZOO[name](False)`) is converted with `.to(dtype)`,
compiled with `ember.to_edge(...).to_executorch()` and run in Ember's runtime.
Errors are max |difference| in units in the last place of the dtype (2^-10 for
float16, 2^-7 for bfloat16) times max(1, max |fp32 output|): Ember against
eager in the same dtype, Ember against the fp32 model, and eager in the dtype
against the fp32 model (what torch's own 16-bit run costs).
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

import ember

sys.path.insert(0, str(Path(__file__).resolve().parent))
from zoo import ZOO  # noqa: E402

ULP = {torch.float16: 2.0**-10, torch.bfloat16: 2.0**-7}


def _first(out):
    return out[0] if isinstance(out, (list, tuple)) else out


def measure(name: str, dtype: torch.dtype) -> tuple[float, float, float]:
    """(Ember vs eager dtype, Ember vs fp32, eager dtype vs fp32) in ulps."""
    torch.manual_seed(0)
    model, args = ZOO[name](False)
    model = model.eval()
    with torch.no_grad():
        want32 = _first(model(*args)).float()
    model = model.to(dtype)
    args = tuple(a.to(dtype) if a.is_floating_point() else a for a in args)
    with torch.no_grad():
        want = _first(model(*args)).float()
    program = ember.to_edge(torch.export.export(model, args)).to_executorch()
    got = _first(ember.runtime.load(program.buffer).forward(*args)).float()
    unit = ULP[dtype] * max(1.0, want32.abs().max().item())
    return tuple((a - b).abs().max().item() / unit
                 for a, b in ((got, want), (got, want32), (want, want32)))


def main(names: list[str]) -> None:
    print("| model | f16: vs eager f16 | vs fp32 | eager f16 vs fp32 "
          "| bf16: vs eager bf16 | vs fp32 | eager bf16 vs fp32 |")
    print("|---|---|---|---|---|---|---|")
    for name in names:
        cells = [f"{e:.2f}" for dtype in ULP for e in measure(name, dtype)]
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:] or list(ZOO))
