"""Ember's benchmarks: `python -m bench` (latency, bench/harness.py) and
bench/memory_plan.py (memory plans). Benchmarks are not tests: they measure
and record in docs/benchmarks.md; the test command only smoke-tests them."""
