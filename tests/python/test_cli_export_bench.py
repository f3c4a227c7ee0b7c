"""`ember export` and `ember bench`: each export path checked against eager
PyTorch by running the .pte it wrote, bench's text and JSON, every user
error as one line on stderr with exit 1, and the progress bars (drawn on a
terminal only, not with --quiet, and not without tqdm).

Most calls go through `ember.cli.main` in this process (a subprocess pays
~3 s of `import torch` each); a few run `python -m ember` for what needs a
real process: the entry point, a terminal on stderr, --threads.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import textwrap

import numpy as np
import pytest
import torch

import ember
from ember import cli

MODEL_FILE = textwrap.dedent("""\
    import torch

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = torch.nn.Linear(16, 32)
            self.b = torch.nn.Linear(32, 8)

        def forward(self, x):
            return self.b(torch.relu(self.a(x)))

    def make():
        torch.manual_seed(0)
        return Net(), (torch.randn(4, 16),)

    def make_kwargs():
        model, args = make()
        return model, (), {"x": args[0]}

    def make_program():
        model, args = make()
        return torch.export.export(model.eval(), args)

    class Two(torch.nn.Module):
        def forward(self, x, mask):
            return x * mask

    def two():
        return Two(), (torch.randn(3, 8), torch.ones(3, 8))

    def not_a_model():
        return 42

    def wrong_model():
        return "model", (torch.randn(4, 16),)

    def raises():
        raise RuntimeError("the user's function failed")

    class NoExport(torch.nn.Module):
        def forward(self, x):
            if x.sum() > 0:  # data-dependent control flow: torch.export refuses it
                return x + 1
            return x - 1

    def unexportable():
        return NoExport(), (torch.randn(3),)
""")


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """The model file, its eager model and example input, and a .pt2 of it."""
    d = tmp_path_factory.mktemp("cli")
    (d / "tiny.py").write_text(MODEL_FILE)
    namespace: dict = {}
    exec(compile(MODEL_FILE, str(d / "tiny.py"), "exec"), namespace)
    model, (x,) = namespace["make"]()
    torch.export.save(torch.export.export(model.eval(), (x,)), d / "tiny.pt2")
    return d, model.eval(), x, namespace


def _main(capsys, *args) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def _export(capsys, *args) -> str:
    code, out, err = _main(capsys, "export", *args)
    assert code == 0, err
    assert err == ""  # stderr is not a terminal here: no bar, and no library noise
    return out


def _close(pte, model, x, atol=1e-5):
    got = ember.runtime.load(pte).forward(x)
    torch.testing.assert_close(got, model(x), atol=atol, rtol=0)


def test_export_from_pt2_portable(models, capsys):
    d, model, x, _ = models
    out = _export(capsys, d / "tiny.pt2")  # default output: beside the .pt2
    assert out.startswith("delegated ops: 0, portable ops: 3\n")
    assert f"wrote {d / 'tiny.pte'} (" in out and "backend portable)" in out
    _close(d / "tiny.pte", model, x)


def test_export_from_a_function_xnnpack(models, capsys):
    d, model, x, _ = models
    pte = d / "x.pte"
    out = _export(capsys, f"{d / 'tiny.py'}:make", "--backend", "xnnpack", "-o", pte)
    assert "delegated ops: 3, portable ops: 0\nbackend XnnpackBackend: 1 delegate(s)" in out
    info = ember.runtime.load(pte).method_meta()
    assert info["operators"] == []  # all inside the delegate
    _close(pte, model, x)


def test_export_writes_the_debug_info_the_graph_view_reads(models, capsys):
    d, model, x, _ = models
    pte, debug = d / "dbg.pte", d / "dbg.debug.json"
    out = _export(capsys, f"{d / 'tiny.py'}:make", "--backend", "xnnpack", "-o", pte,
                  "--debug-info", debug)
    assert f"wrote {debug} (debug info: `ember inspect --html {pte} --debug-info {debug}`)" in out
    entries = json.loads(debug.read_text())["instructions"]
    assert [e["target"] for e in entries] == ["XnnpackBackend"]  # forward's one delegate call
    code, out, err = _main(capsys, "inspect", "--html", str(pte), "--debug-info", str(debug),
                           "-o", str(d / "dbg.html"))
    assert code == 0, err
    assert "XnnpackBackend" in (d / "dbg.html").read_text()


def test_export_keyword_inputs_and_an_exported_program(models, capsys, monkeypatch):
    d, model, x, _ = models
    monkeypatch.chdir(d)
    monkeypatch.syspath_prepend(str(d))  # MODULE:FUNCTION imports `tiny` from the path
    _export(capsys, "tiny:make_kwargs")  # default output: FUNCTION.pte here
    torch.testing.assert_close(ember.runtime.load(d / "make_kwargs.pte").forward(x=x),
                               model(x), atol=1e-5, rtol=0)
    _export(capsys, "tiny:make_program", "-o", "p.pte")
    _close(d / "p.pte", model, x)
    # Two inputs whose batch must match share one Dim (SYM=).
    _export(capsys, "tiny:two", "--dynamic", "b=x:0:1:16", "--dynamic", "b=mask:0", "-o", "2.pte")
    two = ember.runtime.load(d / "2.pte")
    for batch in (1, 12):
        a, b = torch.randn(batch, 8), torch.randn(batch, 8)
        torch.testing.assert_close(two.forward(a, b), a * b)


def test_export_dynamic_dim_runs_at_two_sizes(models, capsys):
    d, model, _, _ = models
    pte = d / "dyn.pte"
    _export(capsys, f"{d / 'tiny.py'}:make", "--dynamic", "x:0:1:64", "-o", pte)
    m = ember.runtime.load(pte)
    assert m.method_meta()["inputs"][0]["sizes"] == [64, 16]  # the bound
    for batch in (2, 40):
        xb = torch.randn(batch, 16)
        torch.testing.assert_close(m.forward(xb), model(xb), atol=1e-5, rtol=0)


def test_export_quantized(models, capsys):
    """static-int8 against the float model: within 5% of the output's range
    (measured 1.2%); 8da4w against torchao's own quantized eager model."""
    d, model, x, namespace = models
    pte = d / "q8.pte"
    out = _export(capsys, f"{d / 'tiny.py'}:make", "--quantize", "static-int8", "-o", pte)
    assert "edge.quantized_linear x2" in out and "quantized static-int8)" in out
    got, want = ember.runtime.load(pte).forward(x), model(x)
    assert 0 < (got - want).abs().max() <= 0.05 * want.abs().max()

    pte = d / "q4.pte"
    out = _export(capsys, f"{d / 'tiny.py'}:make", "--quantize", "8da4w", "--group-size", "16",
                  "-o", pte)
    assert "edge.linear_lowbit x2" in out
    from ember.llm.export import _quantize

    quantized, _ = namespace["make"]()
    assert _quantize(quantized.eval(), "8da4w", 16) == 2
    torch.testing.assert_close(ember.runtime.load(pte).forward(x), quantized(x),
                               atol=1e-4, rtol=0)


@pytest.mark.parametrize("args, message", [
    (["missing.pt2"], "no such file: missing.pt2"),
    (["{d}/garbage.pt2"], "is not a torch.export.save'd .pt2 file"),
    (["{d}/tiny.py:nope"], "has no function 'nope'"),
    (["{d}/nofile.py:make"], "no such file: "),
    (["no_such_module_xyz:make"], "no module named 'no_such_module_xyz'"),
    (["{d}/tiny.py:not_a_model"], "returned int 42; expected (model, args)"),
    (["{d}/tiny.py:wrong_model"], "returned str as the model"),
    (["{d}/tiny.py:raises"], "RuntimeError: the user's function failed"),
    (["{d}/tiny.py:unexportable"], "(--debug shows the traceback)"),
    (["{d}/tiny.py:make", "--dynamic", "x:0"], "needs :MIN:MAX"),
    (["{d}/tiny.py:make", "--dynamic", "x-0-1-64"], "expected [SYM=]INPUT:DIM:MIN:MAX"),
    (["{d}/tiny.py:make", "--dynamic", "y:0:1:64"], "has no input 'y' (its inputs: x)"),
    (["{d}/tiny.py:make", "--dynamic", "x:2:1:64"], "input 'x' has 2 dims"),
    (["{d}/tiny.py:make", "--dynamic", "x:0:8:64"], "size 4 on dim 0, outside [8, 64]"),
    (["{d}/tiny.pt2", "--dynamic", "x:0:1:64"], "already exported"),
    (["{d}/tiny.py:two", "--dynamic", "x:0:1:64"], "dims that must be equal share one SYM="),
    (["{d}/tiny.pt2", "--quantize", "8da4w"], "give a MODULE:FUNCTION"),
    (["{d}/tiny.py:make", "-o", "{d}/no/such/dir/x.pte"], "cannot write"),
])
def test_export_errors_are_one_line(models, capsys, args, message):
    d = models[0]
    (d / "garbage.pt2").write_text("not a zip")
    code, out, err = _main(capsys, "export", *[a.format(d=d) for a in args])
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith("ember export: "), err
    assert message in err, err


def test_export_debug_shows_the_traceback(models, capsys):
    code, _, err = _main(capsys, "export", f"{models[0] / 'tiny.py'}:raises", "--debug")
    assert code == 1 and "Traceback (most recent call last)" in err
    assert err.rstrip().splitlines()[-1] == ("ember export: RuntimeError: the user's "
                                             "function failed")


# ---- ember bench ----

def test_bench_text_and_profile(models, capsys):
    d = models[0]
    _export(capsys, d / "tiny.pt2")
    code, out, err = _main(capsys, "bench", d / "tiny.pte", "-n", "20", "--warmup", "2",
                           "--profile", "--trace", d / "trace.json", "--etdump", d / "b.etdp")
    assert code == 0 and err == "", err
    from ember.devtools.etdump import read_etdump
    runs = read_etdump(d / "b.etdp")  # (name, bundled_input_index, events) per profiled run
    assert len(runs) == 20 and all(name == "forward" for name, _, _ in runs)
    assert re.search(r"^.*tiny\.pte: method forward, 20 timed runs after 2 warm-up", out)
    m = re.search(r"^latency \(ms\): min ([0-9.]+)  p50 ([0-9.]+)  p90 ([0-9.]+)  "
                  r"p99 ([0-9.]+)  mean ([0-9.]+)  max ([0-9.]+)$", out, re.M)
    assert m, out
    lo, p50, p90, p99, _, hi = map(float, m.groups())
    assert lo <= p50 <= p90 <= p99 <= hi
    assert "per-op profile of 20 more runs:" in out and "aten::addmm.out" in out
    assert json.loads((d / "trace.json").read_text())["traceEvents"]


def test_bench_json_and_input_files(models, capsys):
    d, model, x, _ = models
    _export(capsys, d / "tiny.pt2")
    np.save(d / "x.npy", x.numpy())
    code, out, err = _main(capsys, "bench", d / "tiny.pte", "--json", "-n", "7",
                           "--input", d / "x.npy", "--profile")
    assert code == 0, err
    r = json.loads(out)
    assert set(r) == {"file", "method", "threads", "kernels", "warmup", "iterations",
                      "load_ms", "latency_ms", "inputs", "profile"}
    assert set(r["latency_ms"]) == {"min", "p50", "p90", "p99", "mean", "max", "std"}
    assert r["iterations"] == 7 and r["method"] == "forward"
    assert r["inputs"] == [{"kind": "Tensor", "dtype": "float32", "sizes": [4, 16],
                            "source": str(d / "x.npy")}]
    assert {op["name"]: op["calls"] for op in r["profile"]["ops"]
            if op["kind"] == "kernel"} == {"aten::addmm.out": 14, "aten::relu.out": 7}
    (d / "raw.bin").write_bytes(x.numpy().tobytes())  # raw bytes of the planned size
    code, out, err = _main(capsys, "bench", d / "tiny.pte", "--json", "--seconds", "0.05",
                           "--input", d / "raw.bin")
    assert code == 0 and json.loads(out)["iterations"] >= 1, err


@pytest.mark.parametrize("args, message", [
    (["{d}/missing.pte"], "no such file"),
    (["{d}/tiny.py"], "EmberRuntimeError: "),
    (["{d}/tiny.pte", "--method", "nope"], "no method 'nope' in"),
    (["{d}/tiny.pte", "--iterations", "0"], "--iterations must be >= 1"),
    (["{d}/tiny.pte", "--seconds", "0"], "--seconds must be > 0"),
    (["{d}/tiny.pte", "--input", "{d}/short.bin"], "8 bytes, input 0 (float32 [4, 16]) takes 256"),
    (["{d}/tiny.pte", "--input", "{d}/i.npy"], "dtype int64, input 0 expects float32"),
    (["{d}/tiny.pte", "--input", "{d}/a", "--input", "{d}/b"], "2 --input files given"),
])
def test_bench_errors_are_one_line(models, capsys, args, message):
    d = models[0]
    if not (d / "tiny.pte").exists():
        _export(capsys, d / "tiny.pt2")
    (d / "short.bin").write_bytes(b"12345678")
    np.save(d / "i.npy", np.zeros((4, 16), np.int64))
    code, out, err = _main(capsys, "bench", *[a.format(d=d) for a in args])
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith("ember bench: "), err
    assert message in err, err


# ---- A real process: the entry point, --threads, progress bars on a terminal ----

def _on_a_terminal(args: list[str], code: str | None = None) -> tuple[int, str, str]:
    """Run `python -m ember args` (or `python -c code args`) with stderr a
    pseudo-terminal; returns the exit status, stdout and what the terminal got."""
    controller, terminal = pty.openpty()
    # A terminal 100 columns wide: tqdm draws nothing on one of 0 columns.
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    cmd = [sys.executable, "-c", code, *args] if code else [sys.executable, "-m", "ember", *args]
    try:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=terminal, text=True)
        os.close(terminal)
        chunks = []
        while True:
            try:
                data = os.read(controller, 4096)
            except OSError:  # EIO: the child closed its end
                break
            if not data:
                break
            chunks.append(data)
        out, _ = proc.communicate(timeout=120)
    finally:
        os.close(controller)
    return proc.returncode, out, b"".join(chunks).decode(errors="replace")


def test_progress_bars_on_a_terminal_only(models, capsys):
    d = models[0]
    _export(capsys, d / "tiny.pt2")
    pte = str(d / "tiny.pte")
    code, out, term = _on_a_terminal(["bench", pte, "-n", "200", "--threads", "1"])
    assert code == 0 and "1 thread," in out
    assert "ember bench:" in term and "/200 [" in term, term
    code, out, term = _on_a_terminal(["bench", pte, "-n", "200", "--quiet"])
    assert code == 0 and term == ""
    # Without tqdm (an optional dependency): no bar, the same results.
    no_tqdm = ("import sys; sys.modules['tqdm'] = None; from ember.cli import main; "
               "sys.exit(main(sys.argv[1:]))")
    code, out, term = _on_a_terminal(["bench", pte, "-n", "5"], code=no_tqdm)
    assert code == 0 and term == "" and "latency (ms): min " in out
    code, out, term = _on_a_terminal(["export", f"{d / 'tiny.py'}:make", "-o",
                                      str(d / "bar.pte")])
    assert code == 0 and "ember export: lower" in term and f"wrote {d / 'bar.pte'}" in out
