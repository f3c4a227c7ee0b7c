"""The runtime from Python and the command line on hostile files and awkward
inputs: writes into constants are refused at load (not a crash on the
read-only mapping), endless loops end at a step limit, an error is reported
once, and any numpy array of the right dtype is accepted."""

from __future__ import annotations

import multiprocessing.shared_memory as shm
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

import ember

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "runtime" / "data"


def _run_python(code: str) -> subprocess.CompletedProcess:
    """`code` in a fresh interpreter, so that a crash fails the test instead of ending it."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)


@pytest.mark.parametrize("source", ["path", "bytes"])
def test_program_writing_its_constants_is_refused(source):
    # ember_writes_constant.pte: relu.out writes into the constant w. From a
    # path the constants are mapped read-only (this crashed with SIGSEGV);
    # from bytes the weights were silently overwritten.
    pte = DATA / "ember_writes_constant.pte"
    arg = f"r'{pte}'" if source == "path" else f"open(r'{pte}', 'rb').read()"
    out = _run_python(
        "import numpy as np, ember\n"
        "try:\n"
        f"    ember.runtime.load({arg}).forward(np.ones(4, np.float32))\n"
        "except ember.EmberRuntimeError as e:\n"
        "    print('code', e.code); print(e)\n")
    assert out.returncode == 0, out.stderr
    assert "code InvalidProgram" in out.stdout
    assert "instruction 0 (aten::relu.out) writes argument 1, value 1, which is a constant" \
        in out.stdout
    assert "[ember E" not in out.stderr, out.stderr  # raised, not also logged


def test_runner_refuses_program_writing_its_constants():
    out = subprocess.run([str(ember.runtime.runner_path()), str(DATA / "ember_writes_constant.pte")],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 1
    assert "InvalidProgram: cannot load method 'forward'" in out.stderr
    assert out.stderr.count("InvalidProgram") == 1, out.stderr


def test_endless_loop_ends_at_the_step_limit():
    m = ember.runtime.load(DATA / "ember_endless_loop.pte", step_limit=1000)
    assert m.step_limit == 1000
    with pytest.raises(ember.EmberRuntimeError, match="step limit of 1000 instructions") as info:
        m.forward(np.ones(4, np.float32))
    assert info.value.code == "InvalidState"
    m.step_limit = 5000  # applies to the loaded method too
    with pytest.raises(ember.EmberRuntimeError, match="step limit of 5000 instructions"):
        m.forward(np.ones(4, np.float32))
    with pytest.raises(ValueError):
        m.step_limit = -1


def test_endless_loop_ends_at_the_default_step_limit():
    m = ember.runtime.load(DATA / "ember_endless_loop.pte")
    assert m.step_limit == 100_000_000
    with pytest.raises(ember.EmberRuntimeError, match="step limit of 100000000 instructions"):
        m.forward(np.ones(4, np.float32))


def test_runner_max_steps():
    runner = str(ember.runtime.runner_path())
    out = subprocess.run([runner, str(DATA / "ember_endless_loop.pte"), "--max-steps", "300"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 1
    assert "step limit of 300 instructions" in out.stderr
    ok = subprocess.run([runner, str(DATA / "ember_no_kernels.pte"), "--max-steps", "2"],
                        capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr


@pytest.fixture(scope="module")
def linear_pte(tmp_path_factory) -> Path:
    torch.manual_seed(0)
    model = nn.Linear(6, 3).eval()
    ep = torch.export.export(model, (torch.randn(2, 6),))
    path = tmp_path_factory.mktemp("linear") / "linear.pte"
    ember.to_edge(ep).to_executorch().save(path)
    return path


def _expected(x: np.ndarray, path: Path) -> np.ndarray:
    return ember.runtime.load(path).forward(np.ascontiguousarray(x, np.float32))


def test_error_names_its_code_once_and_is_not_also_logged(linear_pte, capfd):
    m = ember.runtime.load(linear_pte)
    with pytest.raises(ember.EmberRuntimeError) as info:
        m.forward(np.ones((5, 6), np.float32))  # static shape [2, 6]
    msg = str(info.value)
    assert msg.startswith("InvalidArgument: method 'forward': input 0: sizes [5, 6] given"), msg
    assert msg.count("InvalidArgument") == 1 and msg.count("input 0") == 1, msg
    assert "[ember E" not in capfd.readouterr().err


def test_non_tensor_outputs_print_no_errors(capfd):
    ep = torch.export.export(nn.Linear(4, 2).eval(), (torch.randn(1, 4),))
    prog = ember.to_edge(ep, constant_methods={"name": "two", "n": 7}).to_executorch()
    m = ember.runtime.load(prog.buffer)
    assert m.run_method("name") == "two"
    assert m.run_method("n") == 7
    assert m.method_meta("n")["outputs"][0]["kind"] == "Int"
    assert "[ember E" not in capfd.readouterr().err


def test_runner_prints_string_constant_method(tmp_path):
    ep = torch.export.export(nn.Linear(4, 2).eval(), (torch.randn(1, 4),))
    path = tmp_path / "m.pte"
    ember.to_edge(ep, constant_methods={"name": "two"}).to_executorch().save(path)
    out = subprocess.run([str(ember.runtime.runner_path()), str(path), "--method", "name"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert 'output[0]: str = "two"' in out.stdout


def test_numpy_inputs_compared_by_value(linear_pte):
    x = np.random.default_rng(0).standard_normal((2, 6)).astype(np.float32)
    want = _expected(x, linear_pte)
    m = ember.runtime.load(linear_pte)
    # A dtype object that is equal to numpy's canonical one but not it.
    unpickled = pickle.loads(pickle.dumps(x))
    np.testing.assert_array_equal(m.forward(unpickled), want)
    # Read-only memory (np.frombuffer) and the other byte order.
    np.testing.assert_array_equal(m.forward(np.frombuffer(x.tobytes(), np.float32).reshape(2, 6)),
                                  want)
    np.testing.assert_array_equal(m.forward(x.astype(">f4")), want)
    # Non-contiguous views.
    wide = np.zeros((2, 12), np.float32)
    wide[:, ::2] = x
    np.testing.assert_array_equal(m.forward(wide[:, ::2]), want)
    np.testing.assert_array_equal(m.forward(np.asfortranarray(x)), want)
    # Memory shared between processes.
    block = shm.SharedMemory(create=True, size=x.nbytes)
    try:
        shared = np.ndarray(x.shape, np.float32, buffer=block.buf)
        shared[:] = x
        np.testing.assert_array_equal(m.forward(shared), want)
        del shared
    finally:
        block.close()
        block.unlink()
    with pytest.raises(TypeError, match="has dtype float64, the method expects float32"):
        m.forward(x.astype(np.float64))
    # A torch.bfloat16 tensor crosses as its uint16 bits; the error names bfloat16.
    import torch
    for call in (m.forward, lambda t: m.profile(t)):
        with pytest.raises(TypeError, match="input 0 has dtype bfloat16, the method expects "
                                            "float32"):
            call(torch.from_numpy(x).to(torch.bfloat16))


@pytest.mark.parametrize("flag, name", [("--op-writes", "op_writes.inc"),
                                        ("--portable-kernels", "kernels.inc")])
def test_portable_tables_are_generated_from_ops_yaml(tmp_path, flag, name):
    """The portable library's write table and kernel list
    (runtime/kernels/portable/op_writes.inc, kernels.inc) are what
    gen_edge_ops.py makes of exir/ops.yaml."""
    out = tmp_path / name
    subprocess.run([sys.executable, str(ROOT / "exir" / "gen_edge_ops.py"), flag, str(out)],
                   check=True)
    committed = ROOT / "runtime" / "kernels" / "portable" / name
    assert out.read_text() == committed.read_text(), \
        f"{name} is stale: run python exir/gen_edge_ops.py {flag} runtime/kernels/portable/{name}"


def _address(a: np.ndarray) -> int:
    return a.__array_interface__["data"][0]


def test_outputs_are_never_changed_by_a_later_call(linear_pte):
    """Each call's outputs are the caller's: an array it still holds, a view of
    one, or a torch tensor over one keeps its values through later calls. Only
    an array nothing references any more has its memory filled again."""
    m = ember.runtime.load(linear_pte)
    x1, x2 = np.ones((2, 6), np.float32), np.full((2, 6), -3.0, np.float32)
    ref1, ref2 = m.forward(x1).copy(), m.forward(x2).copy()
    assert not np.array_equal(ref1, ref2)

    held = m.forward(x1)
    later = m.forward(x2)
    np.testing.assert_array_equal(held, ref1)
    np.testing.assert_array_equal(later, ref2)
    assert _address(held) != _address(later)

    view = m.forward(x1)[1:]  # only the view keeps its base alive
    m.forward(x2)
    np.testing.assert_array_equal(view, ref1[1:])

    tensor = m.forward(torch.from_numpy(x1))  # a torch tensor sharing the array's memory
    m.forward(torch.from_numpy(x2))
    np.testing.assert_array_equal(tensor.numpy(), ref1)

    # Dropped: the next call fills the same memory (no fresh pages per call).
    first = m.forward(x1)
    address = _address(first)
    del first
    again = m.forward(x2)
    assert _address(again) == address
    np.testing.assert_array_equal(again, ref2)
