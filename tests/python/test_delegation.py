"""Delegation end to end with EmberTestBackend: partition, outline, blob
(inline and in segments), DelegateCall, runtime backend, against eager."""

from __future__ import annotations

import re

import pytest
import torch

import ember
from ember.partitioners import Partitioner, TestBackendPartitioner
from helpers import assert_close
from models import MLP, SmallCNN, TwoInTwoOut, randomize_batch_norm

CASES = [
    ("mlp_all", MLP(), (torch.randn(4, 32),), None),
    ("mlp_addmm_only", MLP(), (torch.randn(4, 32),), ["addmm"]),
    ("cnn_conv_relu", randomize_batch_norm(SmallCNN()), (torch.randn(1, 3, 16, 16),),
     ["convolution", "relu"]),
    ("two_io_elementwise", TwoInTwoOut(), (torch.randn(3, 8), torch.randn(3, 8)),
     ["mul.Tensor", "add.Tensor", "sub.Tensor", "tanh"]),
]


@pytest.mark.parametrize("segments", [True, False], ids=["segments", "inline"])
@pytest.mark.parametrize("name,model,args,ops", CASES, ids=[c[0] for c in CASES])
def test_delegated_model_matches_eager(name, model, args, ops, segments):
    model = model.eval()
    edge = ember.to_edge(torch.export.export(model, args))
    lowered = edge.to_backend(TestBackendPartitioner(ops))
    assert "edge.delegate_call" in lowered.ir()
    assert "edge.delegate_call" not in edge.ir()  # to_backend returns a new manager
    config = ember.ExecutorchBackendConfig(extract_delegate_segments=segments)
    m = ember.runtime.load(lowered.to_executorch(config).buffer)
    with torch.no_grad():
        want = model(*args)
    for _ in range(2):  # the delegate's state is reusable call after call
        assert_close(m.forward(*args), want)


def test_delegation_summary_counts_ops():
    model = randomize_batch_norm(SmallCNN()).eval()
    edge = ember.to_edge(torch.export.export(model, (torch.randn(1, 3, 16, 16),)))
    summary = edge.to_backend(TestBackendPartitioner(["convolution", "relu"])).delegation_summary()
    assert "backend EmberTestBackend:" in summary
    assert "edge.convolution x2" in summary and "edge.relu x2" in summary
    assert "portable kernels:" in summary and "edge.max_pool2d_with_indices x2" in summary
    # Each fallback names its source line (this file, where SmallCNN calls
    # max_pool2d) and why the backend refused it.
    fallbacks = summary.split("why the backend refused it):\n")[1].splitlines()
    pools = [line for line in fallbacks if "edge.max_pool2d_with_indices" in line]
    assert len(pools) == 2, summary
    for line in pools:
        assert re.search(r"\.py:\d+ \(max_pool2d_with_indices(_\d+)?\)", line), line
        assert line.endswith("EmberTestBackend: not in the partitioner's op list"), line


def test_partition_runs_in_the_pass_pipeline(monkeypatch, capfd):
    # EMBER_DEBUG prints the IR after every pass: partitioning is one of them.
    monkeypatch.setenv("EMBER_DEBUG", "1")
    edge = ember.to_edge(torch.export.export(MLP().eval(), (torch.randn(4, 32),)))
    edge.to_backend(TestBackendPartitioner(["addmm"])).delegation_summary()
    assert "IR Dump After Partition (ember-partition)" in capfd.readouterr().err


def test_to_edge_transform_and_lower_and_blob_dedup():
    class Twice(torch.nn.Module):
        def forward(self, x):
            a = torch.relu(x)
            b = torch.sigmoid(a)
            return torch.relu(b)   # the same subgraph shape as the first relu

    x = torch.randn(2, 5)
    lowered = ember.to_edge_transform_and_lower(torch.export.export(Twice(), (x,)),
                                               partitioner=[TestBackendPartitioner(["relu"])])
    prog = lowered.to_executorch()
    # Two delegate calls, one blob: identical subgraphs are stored once.
    assert prog.ir().count("edge.delegate_call") == 2
    m = ember.runtime.load(prog.buffer)
    assert_close(m.forward(x), torch.relu(torch.sigmoid(torch.relu(x))))


def test_unknown_backend_and_bad_op_are_clear_errors():
    edge = ember.to_edge(torch.export.export(MLP().eval(), (torch.randn(1, 32),)))
    with pytest.raises(ember.CompileError, match="no partitioner for backend 'Nope'"):
        edge.to_backend(Partitioner("Nope"))
    with pytest.raises(ember.CompileError,
                       match="EmberTestBackend: 'frobnicate' is not an Edge op"):
        edge.to_backend(TestBackendPartitioner(["frobnicate"]))
    with pytest.raises(TypeError):
        edge.to_backend("EmberTestBackend")


def test_named_data_holds_the_nested_programs():
    """With named_data the delegate blobs are references into the .pte's named
    data; identical subgraphs share one entry."""
    class Twice(torch.nn.Module):
        def forward(self, x):
            return torch.relu(torch.sigmoid(torch.relu(x)))

    x = torch.randn(3, 4)
    edge = ember.to_edge(torch.export.export(Twice(), (x,)))
    prog = edge.to_backend(TestBackendPartitioner(["relu"], named_data=True)).to_executorch()
    summary = ember._C.RuntimeModule.from_bytes(prog.buffer).program_summary()
    named = summary["named_data"]
    assert len(named) == 1 and named[0]["key"].startswith("EmberTestBackend/")
    assert_close(ember.runtime.load(prog.buffer).forward(x),
                 torch.relu(torch.sigmoid(torch.relu(x))))


def test_missing_named_data_is_a_load_error():
    """A blob that refers to named data the file does not have fails to load."""
    class One(torch.nn.Module):
        def forward(self, x):
            return torch.relu(x)

    x = torch.randn(2, 2)
    prog = ember.to_edge(torch.export.export(One(), (x,))).to_backend(
        TestBackendPartitioner(named_data=True)).to_executorch()
    data = bytearray(prog.buffer)
    key = b"EmberTestBackend/"
    i = data.index(key)
    data[i] = ord("X")  # the NamedData key no longer matches the blob's reference
    with pytest.raises(ember.EmberRuntimeError) as info:
        ember.runtime.load(bytes(data)).forward(x)
    assert info.value.code == "NotFound"
