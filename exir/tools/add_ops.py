"""Append Edge op entries to exir/ops.yaml from torch's own schemas.

Usage: python exir/tools/add_ops.py aten.add.Tensor=aten.add.out aten.relu.default=aten.relu.out ...

Each pair names the functional overload and the out-variant overload that the
runtime executes. The entry gets both schemas verbatim from torch, a dtype list
of [f32] and an empty summary for a person to fill in. Entries already in the
table are left alone. Needs torch; the build itself never does.
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

OPS_YAML = Path(__file__).resolve().parents[1] / "ops.yaml"


def _overload(path: str) -> torch._ops.OpOverload:
    ns, name, overload = path.split(".")
    return getattr(getattr(getattr(torch.ops, ns), name), overload)


def main(pairs: list[str]) -> None:
    text = OPS_YAML.read_text()
    added = []
    for pair in pairs:
        functional, out = pair.split("=")
        schema = str(_overload(functional)._schema)
        if f"schema: '{schema}'" in text:
            continue
        out_schema = str(_overload(out)._schema)
        added.append(
            f"  - schema: '{schema}'\n"
            f"    out: '{out_schema}'\n"
            f"    dtypes: [f32]\n"
            f'    summary: ""\n'
        )
    OPS_YAML.write_text(text.rstrip("\n") + "\n" + "".join(added))
    print(f"added {len(added)} ops to {OPS_YAML}")


if __name__ == "__main__":
    main(sys.argv[1:])
