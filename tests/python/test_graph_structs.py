"""The hand-over from Python to the C++ importer (ember._C.graph, the structs
of compiler/GraphDesc.h): graphs built by hand import and run, values of the
wrong kind are refused where they are made, weights cross without a copy and
stay alive as long as the session needs them, and the front end's graphs
carry the typed arguments (tensors, literals, run-time sizes)."""

from __future__ import annotations

import gc

import numpy as np
import pytest
import torch
from torch import nn

import ember
from ember._C import graph as g
from ember.errors import CompileError

F32 = 6  # .pte ScalarType code of float32
# The pytree container strings of forward(x) -> y.
IN_SPEC, OUT_SPEC = "T2#1#0(T1#1($),D0())", "$"


def _add_graph(weight: np.ndarray, alpha: g.Arg | None = None) -> g.Graph:
    """forward(x) = x + alpha * weight over a [2, 3] float32 input."""
    x = g.Input(0, "x", g.TensorType(F32, [2, 3]))
    w = g.Constant(1, "w", g.TensorType(F32, [2, 3]), weight)
    add = g.Node("aten::add", "Tensor", "add",
                 [g.Arg.tensor(0), g.Arg.tensor(1), alpha or g.Arg.int(1)],
                 [g.TensorType(F32, [2, 3])], [2], g.SourceLoc("model.py", 7, "forward"))
    return g.Graph(name="forward", inputs=[x], constants=[w], nodes=[add], outputs=[2],
                   in_spec=IN_SPEC, out_spec=OUT_SPEC)


def test_a_graph_built_by_hand_imports_and_runs():
    weight = np.arange(6, dtype=np.float32).reshape(2, 3)
    session = ember._C.CompilerSession()
    session.import_graphs([_add_graph(weight, g.Arg.float(2.0))])
    ir = session.print(False)
    assert "edge.add.Tensor %arg0, %0 {alpha = 2.000000e+00 : f64}" in ir
    assert 'edge.constant {name = "w"} dense_resource<w>' in ir
    module = ember.runtime.load(bytes(memoryview(session.emit())))
    x = torch.randn(2, 3)
    torch.testing.assert_close(module.forward(x), x + 2 * torch.from_numpy(weight))


def test_weights_are_not_copied_and_are_kept_alive_by_the_session():
    weight = np.arange(6, dtype=np.float32).reshape(2, 3)
    graph = _add_graph(weight)
    assert graph.constants[0].data_address == weight.ctypes.data
    assert graph.constants[0].nbytes == weight.nbytes
    session = ember._C.CompilerSession()
    session.import_graphs([graph])
    # Only the session holds the array now: its memory must still be the weight's.
    del graph, weight
    gc.collect()
    module = ember.runtime.load(bytes(memoryview(session.emit())))
    x = torch.zeros(2, 3)
    torch.testing.assert_close(module.forward(x), torch.arange(6.0).reshape(2, 3))


def test_values_of_the_wrong_kind_are_refused_where_they_are_made():
    with pytest.raises(TypeError):  # the old tagged tuple
        g.Node("aten::relu", "default", "relu", [("t", 0)], [g.TensorType(F32, [2])], [1])
    with pytest.raises(TypeError):
        g.Arg.int("3")
    with pytest.raises(TypeError):
        g.Graph(name="forward", inputs=[], constants=[], nodes=[{"target": "aten::relu"}],
                outputs=[])
    with pytest.raises(ValueError, match="one sym"):
        g.Arg.int_list([1, 2], syms=[None])
    with pytest.raises(ValueError, match="not contiguous"):
        g.Constant(0, "w", g.TensorType(F32, [3, 2]), np.zeros((2, 3), np.float32).T)
    with pytest.raises(ValueError, match="one result id per result"):
        g.Node("aten::relu", "default", "relu", [g.Arg.tensor(0)], [g.TensorType(F32, [2])], [])


def test_an_argument_of_the_wrong_kind_for_its_schema_is_a_compile_error():
    session = ember._C.CompilerSession()
    weight = np.zeros((2, 3), np.float32)
    with pytest.raises(CompileError, match=r"aten::add: argument 'alpha' has a value of the "
                                           r"wrong kind \(a string\)"):
        session.import_graphs([_add_graph(weight, g.Arg.string("two"))])
    relu = g.Node("aten::relu", "default", "relu", [g.Arg.int(0)], [g.TensorType(F32, [2])], [1])
    graph = g.Graph(name="forward", inputs=[g.Input(0, "x", g.TensorType(F32, [2]))],
                    constants=[], nodes=[relu], outputs=[1])
    with pytest.raises(CompileError, match="argument 'self' should be a tensor, not an int"):
        session.import_graphs([graph])


def test_arguments_print_as_the_calls_that_make_them():
    assert repr(g.Arg.int(4, sym=2)) == "Arg.int(4, sym=2)"
    assert repr(g.Arg.int_list([8, 4], syms=[3, None])) == "Arg.int_list([8, 4], syms=[3, None])"
    assert repr(g.Arg.tensor_list([1, None])) == "Arg.tensor_list([1, None])"
    assert repr(g.Arg.bool_list([True, False])) == "Arg.bool_list([True, False])"
    assert g.Arg.none().kind == g.ArgKind.NONE
    assert str(g.SourceLoc("m.py", 3, "forward")) == "m.py:3 in forward"


class Conv(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)

    def forward(self, x):
        return self.conv(x).flatten(1).softmax(-1)


def test_the_front_end_hands_weights_over_without_a_copy():
    model = Conv().eval()
    graph = ember.to_edge(torch.export.export(model, (torch.randn(1, 3, 6, 6),)))._graphs[0]
    assert isinstance(graph, g.Graph)
    constants = {c.name: c for c in graph.constants}
    assert constants["conv.weight"].data_address == model.conv.weight.data_ptr()
    conv = next(n for n in graph.nodes if n.target == "aten::convolution")
    assert [a.kind for a in conv.args[:3]] == [g.ArgKind.TENSOR] * 3
    assert conv.args[3].kind == g.ArgKind.INT_LIST  # stride
    assert conv.args[6].kind == g.ArgKind.BOOL  # transposed
    assert conv.loc.file.endswith("test_graph_structs.py")


class Reshape(nn.Module):
    def forward(self, x):
        return x.reshape(x.shape[0] * 2, -1)


def test_sizes_computed_at_run_time_are_syms_the_arguments_refer_to():
    batch = torch.export.Dim("batch", max=8)
    ep = torch.export.export(Reshape(), (torch.randn(4, 6),), dynamic_shapes=({0: batch},))
    graph = ember.to_edge(ep)._graphs[0]
    view = next(n for n in graph.nodes if n.target in ("aten::view", "aten::reshape"))
    assert view.args[1].kind == g.ArgKind.INT_LIST
    assert "syms=[" in repr(view.args[1])
    assert graph.syms and graph.inputs[0].type.dynamic
    assert graph.inputs[0].type.shape == [8, 6]  # the upper bound
