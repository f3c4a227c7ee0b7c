"""Bundled programs (.bpte): Ember writes them (ember.devtools, ExecuTorch's
API), `ember run --verify` checks them, and ExecuTorch's tools interoperate
both ways.

- Ember's .bpte of a two-method program with three test cases verifies
  (exit 0); a tampered expected output fails (exit 1) naming the method, test
  case, output, element, expected and got values of the worst difference.
- A plain `ember run model.bpte` runs the program inside on test case 0.
- ExecuTorch's BundledProgram and serializer bundle an Ember-exported .pte
  (through pte_file_path=: ExecuTorch's constructor checks an in-memory
  program only of its own classes) and Ember verifies it; a .bpte of
  ExecuTorch's own program verifies too.
- ExecuTorch's reader and its runtime read and verify Ember's .bpte.
- A truncated or corrupted .bpte fails with a clear error, never a crash; a
  .pte given to --verify says it has no test cases.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch
from torch import nn

import ember
from ember.devtools import BundledProgram
from ember.devtools.bundled_program.config import MethodTestCase, MethodTestSuite
from ember.devtools.bundled_program.serialize import (
    deserialize_from_flatbuffer_to_bundled_program,
    serialize_from_bundled_program_to_flatbuffer,
)


class LinearAndDiff(nn.Module):
    """forward(x, y) -> (linear(x) * 2, x - y)."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(8, 4)

    def forward(self, x, y):
        return self.linear(x) * 2, x - y


class Scale(nn.Module):
    def forward(self, x):
        return x * 3 + 1


def _inputs(n: int = 3) -> list[tuple[torch.Tensor, torch.Tensor]]:
    return [(torch.randn(3, 8), torch.randn(3, 8)) for _ in range(n)]


def _scale_inputs(n: int = 2) -> list[tuple[torch.Tensor]]:
    return [(torch.randn(5),) for _ in range(n)]


@pytest.fixture
def models():
    return LinearAndDiff().eval(), Scale().eval()


def _program(models):
    model, scale = models
    eps = {"forward": torch.export.export(model, _inputs(1)[0]),
           "scale": torch.export.export(scale, _scale_inputs(1)[0])}
    return ember.to_edge(eps).to_executorch()


def _suites(models, tamper: dict | None = None) -> list[MethodTestSuite]:
    """Test suites whose expected outputs are the eager model's; `tamper`
    maps (test case, output) -> (flat element, amount added)."""
    model, scale = models
    cases = []
    for i, inputs in enumerate(_inputs()):
        expected = [o.clone() for o in model(*inputs)]
        for (case, output), (element, amount) in (tamper or {}).items():
            if case == i:
                expected[output].view(-1)[element] += amount
        cases.append(MethodTestCase(inputs=inputs, expected_outputs=tuple(expected)))
    scale_cases = [MethodTestCase(inputs=x, expected_outputs=scale(*x)) for x in _scale_inputs()]
    # Given out of order: BundledProgram sorts suites by method name.
    return [MethodTestSuite(method_name="scale", test_cases=scale_cases),
            MethodTestSuite(method_name="forward", test_cases=cases)]


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ember", "run", *args], capture_output=True,
                          text=True, timeout=120)


def _runner(*args: str) -> subprocess.CompletedProcess:
    """ember_run itself (no Python start-up), for many runs."""
    return subprocess.run([str(ember.runtime.runner_path()), *args], capture_output=True,
                          timeout=60)


def _save(tmp_path, models, tamper=None, name="model.bpte"):
    path = tmp_path / name
    BundledProgram(_program(models), _suites(models, tamper)).save(path)
    return path


def test_ember_bpte_verifies(tmp_path, models):
    path = _save(tmp_path, models)
    data = path.read_bytes()
    assert data[4:8] == b"BP08"
    out = _run(str(path), "--verify")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "verify: passed: 5 test cases match (rtol 1e-05, atol 1e-08)" in out.stdout
    for case in range(3):
        assert f"method 'forward' test case {case}: ok, 2 outputs match" in out.stdout
    assert "method 'scale' test case 1: ok, 1 output matches" in out.stdout
    # --method restricts the run to one suite.
    out = _run(str(path), "--verify", "--method", "scale")
    assert out.returncode == 0 and "2 test cases match" in out.stdout, out.stdout + out.stderr
    # inspect lists the test cases, then describes the program inside.
    out = subprocess.run([sys.executable, "-m", "ember", "inspect", str(path)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(f"{path}: bundled program (.bpte), {len(data)} bytes; test "
                                 "cases: forward 3, scale 2"), out.stdout
    assert "method scale:" in out.stdout and "method forward:" in out.stdout


def test_tampered_output_fails_with_the_worst_difference(tmp_path, models):
    # Case 1 is off by 0.5 at output 0 element 5 ([1, 1] of [3, 4]); case 2 by
    # 0.01 at output 1: the worst is case 1's.
    path = _save(tmp_path, models, tamper={(1, 0): (5, 0.5), (2, 1): (3, 0.01)})
    out = _run(str(path), "--verify")
    assert out.returncode == 1, out.stdout + out.stderr
    assert "verify: FAILED: 2 of 5 test cases differ" in out.stdout
    assert "method 'forward' test case 0: ok" in out.stdout
    assert "method 'forward' test case 2: MISMATCH, output 1 element 3 [0, 3]" in out.stdout
    worst = [line for line in out.stderr.splitlines() if "worst difference" in line]
    assert len(worst) == 1, out.stderr
    assert ("method 'forward' test case 1, output 0 element 5 [1, 1]: expected " in worst[0]
            and ", got " in worst[0] and "|diff| 0.5" in worst[0]), worst[0]
    # The report names the expected (tampered) and the got (eager) values.
    b = BundledProgram.load(path)
    expected = b.method_test_suites[0].test_cases[1].expected_outputs[0].view(-1)[5].item()
    assert f"expected {expected:.8g}, got " in worst[0], worst[0]
    # Loose enough tolerances accept it.
    out = _run(str(path), "--verify", "--atol", "0.6")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "rtol 1e-05, atol 0.6" in out.stdout


def test_python_verify_and_module(tmp_path, models):
    path = _save(tmp_path, models, tamper={(0, 1): (0, 1.0)})
    m = ember.runtime.load(path)
    assert sorted(m.method_names) == ["forward", "scale"]
    report = m.verify()
    assert not report["passed"]
    failed = [c for c in report["cases"] if not c["matched"]]
    assert len(failed) == 1
    assert (failed[0]["method"], failed[0]["test_case"], failed[0]["output"]) == ("forward", 0, 1)
    assert failed[0]["index"] == [0, 0] and failed[0]["abs_diff"] == pytest.approx(1.0)
    assert m.verify(method="scale")["passed"]
    # The program inside runs like any .pte.
    x = torch.randn(5)
    torch.testing.assert_close(m.run_method("scale", (x,)), models[1](x))
    with pytest.raises(ember.EmberError, match="no test cases: not a bundled program"):
        ember.runtime.load(_program(models).buffer).verify()


def test_plain_run_uses_the_first_test_case(tmp_path, models):
    path = _save(tmp_path, models)
    out = _run(str(path), "--method", "scale")
    assert out.returncode == 0, out.stderr
    assert "inputs: test case 0 of the bundled program" in out.stdout
    b = BundledProgram.load(path)
    want = b.method_test_suites[1].test_cases[0].expected_outputs[0]
    line = next(s for s in out.stdout.splitlines() if s.startswith("output[0]"))
    got = [float(v) for v in line.split("= [")[1].rstrip("]").split(", ")]
    np.testing.assert_allclose(got, want.numpy(), rtol=1e-5)


def test_round_trip_and_checks(tmp_path, models):
    prog = _program(models)
    bundled = BundledProgram(prog, _suites(models))
    buf = serialize_from_bundled_program_to_flatbuffer(bundled)
    again = deserialize_from_flatbuffer_to_bundled_program(buf)
    assert again.program == prog.buffer
    assert [s.method_name for s in again.method_test_suites] == ["forward", "scale"]
    for s0, s1 in zip(bundled.method_test_suites, again.method_test_suites, strict=True):
        for c0, c1 in zip(s0.test_cases, s1.test_cases, strict=True):
            for a, b in zip(c0.inputs + c0.expected_outputs, c1.inputs + c1.expected_outputs,
                            strict=True):
                assert torch.equal(a, b)
    # A channels-last tensor is written in the method's (contiguous) order.
    x = torch.randn(1, 8, 3, 1).permute(0, 3, 2, 1)  # [1, 1, 3, 8], not contiguous
    ok = BundledProgram(prog, [MethodTestSuite("forward", [MethodTestCase((x[0, 0], x[0, 0]))])])
    assert torch.equal(BundledProgram.load(ok.buffer).method_test_suites[0]
                       .test_cases[0].inputs[0], x[0, 0])
    # Cases that do not fit their method are refused up front.
    bad = [
        (MethodTestSuite("backward", []), "which the program does not have"),
        (MethodTestSuite("scale", [MethodTestCase((torch.randn(5), torch.randn(5)))]),
         "test case 0: 2 inputs, the method takes 1"),
        (MethodTestSuite("scale", [MethodTestCase((torch.randn(5).double(),))]),
         "input 0: dtype float64, the method's is float32"),
        (MethodTestSuite("scale", [MethodTestCase((torch.randn(6),))]),
         r"input 0: shape \[6\], the method takes \[5\] \(static shape\)"),
        (MethodTestSuite("scale", [MethodTestCase((3,))]), "a Python int .Int., the method"),
        (MethodTestSuite("scale", [MethodTestCase((torch.randn(5),), (torch.ones(5),) * 2)]),
         "2 expected outputs, the method returns 1"),
    ]
    for suite, message in bad:
        with pytest.raises(ValueError, match=message):
            BundledProgram(prog, [suite])
    with pytest.raises(TypeError, match="is not a tensor"):
        MethodTestCase(inputs=(None,))
    with pytest.raises(ValueError, match="either executorch_program or pte_file_path"):
        BundledProgram(prog, [], pte_file_path="x.pte")


def test_truncated_or_corrupted_bpte_fails_cleanly(tmp_path, models):
    data = _save(tmp_path, models).read_bytes()
    bad = tmp_path / "bad.bpte"
    for n in (8, 100, len(data) // 2, len(data) - 1):
        bad.write_bytes(data[:n])
        out = _runner(str(bad), "--verify")
        assert out.returncode == 1, (n, out.stderr)
        assert b"failed verification (corrupt or truncated .bpte)" in out.stderr, out.stderr
    rng = np.random.default_rng(0)
    for at in rng.integers(8, len(data), 40):
        corrupt = bytearray(data)
        corrupt[at] ^= 0xFF
        bad.write_bytes(bytes(corrupt))
        out = _runner(str(bad), "--verify")
        # A flipped byte may land in weights (a mismatch) or in structure (an
        # error); the process always ends by itself with a message.
        assert out.returncode in (0, 1), (int(at), out.returncode, out.stderr)
        assert out.returncode == 0 or b"ember_run: " in out.stderr, out.stderr


def test_pte_given_to_verify(tmp_path, models):
    path = tmp_path / "model.pte"
    _program(models).save(path)
    out = _run(str(path), "--verify")
    assert out.returncode == 1
    assert "no test cases: not a bundled program" in out.stderr, out.stderr
    out = _run(str(path), "--rtol", "0.1")
    assert out.returncode == 1 and "--rtol and --atol apply to --verify" in out.stderr


# ExecuTorch's tools, both ways.

def _et():
    return pytest.importorskip("executorch.devtools.bundled_program.serialize",
                               reason="executorch is not importable")


def _et_suites(models, tamper=False):
    from executorch.devtools.bundled_program.config import MethodTestCase as EtCase
    from executorch.devtools.bundled_program.config import MethodTestSuite as EtSuite
    model = models[0]
    cases = []
    for i, inputs in enumerate(_inputs()):
        expected = [o.clone() for o in model(*inputs)]
        if tamper and i == 2:
            expected[1][2, 7] += 0.25
        cases.append(EtCase(inputs=inputs, expected_outputs=expected))
    return [EtSuite(method_name="forward", test_cases=cases)]


def test_executorch_bundles_an_ember_program(tmp_path, models):
    et_serialize = _et()
    from executorch.devtools import BundledProgram as EtBundledProgram
    pte = tmp_path / "model.pte"
    _program(models).save(pte)
    for tamper in (False, True):
        bundled = EtBundledProgram(None, _et_suites(models, tamper), pte_file_path=str(pte))
        path = tmp_path / f"et_{tamper}.bpte"
        path.write_bytes(et_serialize.serialize_from_bundled_program_to_flatbuffer(bundled))
        out = _run(str(path), "--verify")
        if not tamper:
            assert out.returncode == 0, out.stdout + out.stderr
            assert "3 test cases match" in out.stdout
        else:
            assert out.returncode == 1
            assert ("method 'forward' test case 2, output 1 element 23 [2, 7]" in out.stderr
                    and "|diff| 0.25" in out.stderr), out.stderr


def test_executorch_program_bundled_by_executorch_verifies_in_ember(tmp_path, models):
    et_serialize = _et()
    from executorch.devtools import BundledProgram as EtBundledProgram
    from executorch.exir import to_edge as et_to_edge
    model = models[0]
    et_prog = et_to_edge(torch.export.export(model, _inputs(1)[0])).to_executorch()
    bundled = EtBundledProgram(et_prog, _et_suites(models))
    path = tmp_path / "et_program.bpte"
    path.write_bytes(et_serialize.serialize_from_bundled_program_to_flatbuffer(bundled))
    out = _run(str(path), "--verify")
    assert out.returncode == 0, out.stdout + out.stderr
    read = BundledProgram.load(path)
    assert read.program == et_prog.buffer and len(read.method_test_suites[0].test_cases) == 3


def test_executorch_reads_and_verifies_ember_bpte(tmp_path, models):
    et_serialize = _et()
    prog = _program(models)
    bundled = BundledProgram(prog, _suites(models))
    schema = et_serialize.deserialize_from_flatbuffer_to_bundled_program(bundled.buffer)
    assert schema.version == 2 and bytes(schema.program) == prog.buffer
    assert [s.method_name for s in schema.method_test_suites] == ["forward", "scale"]
    ours = bundled.method_test_suites[0].test_cases[1]
    theirs = schema.method_test_suites[0].test_cases[1]
    for mine, value in zip(ours.inputs + ours.expected_outputs,
                           theirs.inputs + theirs.expected_outputs, strict=True):
        t = value.val
        assert (list(t.sizes), list(t.dim_order), t.scalar_type) == (list(mine.shape), [0, 1], 6)
        assert bytes(t.data) == mine.detach().contiguous().numpy().tobytes()

    from executorch.extension.pybindings import portable_lib
    loaded = portable_lib._load_bundled_program_from_buffer(bundled.buffer)
    for method, n in (("forward", 3), ("scale", 2)):
        for case in range(n):
            loaded.verify_result_with_bundled_expected_output(method, case)
    tampered = BundledProgram(prog, _suites(models, tamper={(1, 0): (0, 0.5)}))
    loaded = portable_lib._load_bundled_program_from_buffer(tampered.buffer)
    with pytest.raises(RuntimeError):
        loaded.verify_result_with_bundled_expected_output("forward", 1)
