# The two commands of the README:
#   make demo   set up if needed, export a CNN, compile it, run it with ember_run
#   make test   set up if needed, run every test suite (lit, gtest, pytest)
.PHONY: demo test bench setup clean

PY := .venv/bin/python

setup:
	@scripts/setup.sh

demo: setup
	@$(PY) examples/cnn_demo.py

test: setup
	@scripts/test.sh

# Ember beside ExecuTorch, ONNX Runtime and eager PyTorch on the zoo (docs/benchmarks.md).
# Not a test: run it on a quiet machine. BENCH_ARGS passes options, e.g. --models resnet50.
bench: setup
	@$(PY) -m bench $(BENCH_ARGS)

clean:
	rm -rf build .venv
