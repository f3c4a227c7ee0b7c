"""Smoke test of the benchmark harness (`python -m bench`): one tiny model end
to end, every system either timed or with its reason. No time is asserted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_runs_end_to_end_on_a_tiny_model(tmp_path):
    out = tmp_path / "latency.json"
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--small", "--models", "mobilenet_v3_small",
         "--runs", "2", "--warmup", "1", "--threads", "1", "--no-doc", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env=dict(os.environ, PYTHONWARNINGS="ignore"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    [result] = json.loads(out.read_text())
    systems = result["systems"]
    assert set(systems) == {"eager (1 thread)", "ember", "executorch (portable)"}
    for name, r in systems.items():
        if "error" in r:  # a peer that cannot run says why (e.g. executorch missing)
            assert name != "ember" and r["error"], r
            continue
        assert r["runs"] == 2 and 0 < r["median_ms"] <= r["p90_ms"], (name, r)
    ember = systems["ember"]
    assert ember["max_abs_diff"] <= 1e-4, ember  # a fast wrong answer would show here
