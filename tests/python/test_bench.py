"""The benchmark harness (`python -m bench`): a smoke run of one tiny model end
to end, the report written from it, and the parts that decide what is
measured (turns and budget, a failing peer). No time is asserted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench import harness, report  # noqa: E402

MIB = 1 << 20


@pytest.fixture(scope="module")
def smoke(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("bench") / "peers.json"
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--small", "--models", "mobilenet_v3_small",
         "--runs", "2", "--warmup", "1", "--threads", "1", "--no-doc", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
        env=dict(os.environ, PYTHONWARNINGS="ignore"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(out.read_text())


def test_every_system_is_timed_or_says_why(smoke):
    [result] = smoke["results"]
    latency = result["latency"]
    assert list(latency) == ["eager@1", "ember_xnnpack@1", "ember_opt@1", "ember@1",
                             "et_xnnpack@1", "et_portable@1", "onnxruntime@1"]
    for name, r in latency.items():
        if "error" in r:  # a peer that cannot run says why (e.g. its package is missing)
            assert not name.startswith(("ember", "eager")) and r["error"], (name, r)
            continue
        assert r["runs"] == 2 and 0 < r["median_ms"] <= r["p90_ms"], (name, r)
        assert r["max_abs_diff"] <= 1e-4, (name, r)  # a fast wrong answer would show here
    for name, e in result["export"].items():
        assert e.get("s", 0) > 0 or (
            name not in ("ember", "ember_opt", "ember_xnnpack", "torch.export") and e["error"]), e


def test_footprint_is_read_from_fresh_processes(smoke):
    [result] = smoke["results"]
    fp = result["footprint"]
    ember = fp["ember"]
    assert ember["file_bytes"] >= result["weight_bytes"] > 0
    assert ember["planned_bytes"] > 0 and ember["load_ms"] > 0
    assert ember["peak_rss"] >= ember["import_rss"] > 0
    # The C++ runner has no Python: a few MiB for this model. A figure
    # inherited from the (large) harness process would be hundreds.
    assert 0 < fp["ember_run"]["peak_rss"] < 64 * MIB, fp["ember_run"]
    assert fp["ember_run"]["peak_rss"] < ember["peak_rss"]


def test_report_tables_show_figures_ratios_and_reasons(smoke, tmp_path, monkeypatch):
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\n## Memory planning\n\nkept\n")
    monkeypatch.setattr(report, "DOC", doc)
    [result] = json.loads(json.dumps(smoke["results"]))
    result["latency"]["onnxruntime@1"] = {"error": "ModuleNotFoundError: onnxruntime"}
    harness.write_doc([result], [1], 3.0, 0.01, "python -m bench --small")
    text = doc.read_text()
    assert "## Memory planning\n\nkept" in text  # other sections stay
    section = text[text.index(harness.SECTION):]
    for heading in ("### Latency", "### Ember's latency over each peer's", "### Agreement",
                    "### Export time", "### Size", "### Process"):
        assert heading in section
    assert "n/a: ModuleNotFoundError: onnxruntime" in section
    assert "| geometric mean |" in section
    assert "`python -m bench --small`" in section
    xnnpack = result["latency"]["ember_xnnpack@1"]["median_ms"]
    eager = result["latency"]["eager@1"]["median_ms"]
    assert "Ember XNNPACK, 1 thread / eager, 1 thread" in section
    assert f"{xnnpack / eager:.2f}" in section
    portable = result["latency"]["ember@1"]["median_ms"]
    et_portable = result["latency"]["et_portable@1"]["median_ms"]
    assert f"{portable / et_portable:.2f}" in section


def test_turns_stop_at_runs_or_budget_and_a_failure_is_a_reason():
    calls = {"fast": lambda: 0.001, "slow": lambda: 3.0}

    def broken() -> float:
        raise RuntimeError("crashed (SIGSEGV)")
    calls["broken"] = broken
    result = harness.measure(calls, warmup=2, runs=5, budget=4.0)
    assert result["fast"]["runs"] == 5 and result["fast"]["median_ms"] == pytest.approx(1.0)
    # 3 s calls: one warm-up (half the budget spent), then two timed calls reach 4 s.
    assert result["slow"]["runs"] == 2
    assert result["broken"] == {"error": "RuntimeError: crashed (SIGSEGV)"}


def test_a_file_a_runtime_rejects_is_a_reason_not_a_crash(tmp_path):
    bad = tmp_path / "bad.pte"
    bad.write_bytes(b"not a program at all")
    harness.save_inputs((), tmp_path)
    worker = harness.Worker("ember", bad, tmp_path, 1)
    try:
        worker.wait_ready(timeout=120)
        with pytest.raises(RuntimeError) as e:
            worker.load(timeout=120)
    finally:
        worker.close()
    assert str(e.value) and "Traceback" not in str(e.value), e.value
    assert worker.proc.returncode is not None  # the process ended; the harness did not
