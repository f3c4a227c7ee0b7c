# The two commands of the README:
#   make demo   set up if needed, export a CNN, compile it, run it with ember_run
#   make test   set up if needed, run every test suite (lit, gtest, pytest)
.PHONY: demo test setup clean

PY := .venv/bin/python

setup:
	@scripts/setup.sh

demo: setup
	@$(PY) examples/cnn_demo.py

test: setup
	@scripts/test.sh

clean:
	rm -rf build .venv
