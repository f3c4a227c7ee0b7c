"""The Python API's shape: to_edge variants, the Edge IR, configs, inspection."""

from __future__ import annotations

import pytest
import torch
import torch.ao.quantization.fx._decomposed  # noqa: F401  (the quantized_decomposed ops)

import ember
from helpers import assert_close
from models import MLP, SmallCNN, randomize_batch_norm


def test_edge_ir_is_printable():
    ep = torch.export.export(randomize_batch_norm(SmallCNN()).eval(), (torch.randn(1, 3, 16, 16),))
    edge = ember.to_edge(ep)
    text = str(edge)
    assert "func.func @forward" in text
    for op in ("edge.convolution", "edge.relu", "edge.max_pool2d_with_indices", "edge.addmm"):
        assert op in text, op
    # The edge phase folds each inference batch norm into its convolution.
    assert "batch_norm" not in text
    assert 'name = "features.0.weight.bn_fused"' in text  # the folded weight keeps its name
    assert edge.methods == ["forward"]


def test_edge_manager_stays_usable_after_to_executorch():
    """to_executorch emits from the manager's own session (no second import):
    the IR, the delegation summary and another to_executorch still work after
    it, and give what they gave before."""
    ep = torch.export.export(MLP().eval(), (torch.randn(2, 32),))
    edge = ember.to_edge(ep)
    before, summary = edge.ir(), edge.delegation_summary()
    first = edge.to_executorch().buffer
    assert edge.ir() == before
    assert edge.delegation_summary() == summary
    assert edge.to_executorch().buffer == first
    assert "edge.linear" in edge.ir() or "edge.addmm" in edge.ir()


def test_to_edge_accepts_a_dict_of_methods(tmp_path):
    mlp = MLP().eval()
    x = torch.randn(2, 32)
    edge = ember.to_edge({"forward": torch.export.export(mlp, (x,)),
                          "twice": torch.export.export(MLP((32, 8)).eval(), (x,))})
    assert edge.methods == ["forward", "twice"]
    m = ember.runtime.load(edge.to_executorch().buffer)
    assert sorted(m.method_names) == ["forward", "twice"]
    with torch.no_grad():
        assert_close(m.forward(x), mlp(x))


def test_unplanned_inputs_and_alignment(tmp_path):
    mlp = MLP().eval()
    x = torch.randn(2, 32)
    ep = torch.export.export(mlp, (x,))
    config = ember.ExecutorchBackendConfig(alloc_graph_input=False, memory_alignment=64)
    prog = ember.to_edge(ep).to_executorch(config)
    assert "edge.arg_offsets = array<i64: -1>" in prog.ir()
    m = ember.runtime.load(prog.buffer)
    meta = m.method_meta()
    assert meta["inputs"][0]["planned"] is False
    assert meta["planned_buffer_sizes"][0] % 64 == 0
    with torch.no_grad():
        assert_close(m.forward(x), mlp(x))


def test_method_meta_describes_io():
    m = ember.runtime.load(ember.to_edge(torch.export.export(
        MLP().eval(), (torch.randn(3, 32),))).to_executorch().buffer)
    meta = m.method_meta("forward")
    assert meta["inputs"][0]["dtype"] == "float32" and meta["inputs"][0]["sizes"] == [3, 32]
    assert meta["outputs"][0]["sizes"] == [3, 10]
    assert "aten::addmm.out" in meta["operators"]


def test_quantized_decomposed_kernels_are_executorchs():
    """The quantized_decomposed kernels keep ExecuTorch's names and argument
    lists (kernels/quantized/quantized.yaml in its wheel), so that files run
    both ways."""
    import importlib.util
    import re
    from pathlib import Path

    spec = importlib.util.find_spec("executorch")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("executorch is not installed")
    root = Path(list(spec.submodule_search_locations)[0])
    yaml_text = (root / "kernels" / "quantized" / "quantized.yaml").read_text()
    theirs = {}
    for line in yaml_text.splitlines():
        m = re.match(r"- func: (quantized_decomposed::[\w.]+)\((.*)\) ->", line.strip())
        if m:
            theirs[m[1]] = [a.split("=")[0].split()[-1] for a in m[2].split(", ") if a != "*"]
    ours = [op for op in ember._C.edge_ops() if op["kernel"].startswith("quantized_decomposed::")]
    assert ours
    for op in ours:
        assert op["kernel"] in theirs, op["kernel"]
        assert op["kernel_args"] == theirs[op["kernel"]], op["kernel"]


def test_every_table_op_has_a_kernel():
    kernels = set(ember._C.registered_kernels())
    missing = [op["kernel"] for op in ember._C.edge_ops() if op["kernel"] not in kernels]
    assert not missing, f"ops in exir/ops.yaml without a runtime kernel: {missing}"


# Ember's own ops with no ATen functional form: the ATen op each extends and
# the arguments it adds.
OWN_OPS = {"ember::convolution_clamp.default": ("convolution", ["min", "max"]),
           "ember::rms_norm.default": ("rms_norm", [])}


def test_table_matches_torch_schemas():
    """exir/ops.yaml's out-variant argument lists are torch's; a kernel of
    Ember's own (ember::sdpa.out) takes its ATen op's arguments, then out."""
    for op in ember._C.edge_ops():
        ns, rest = op["kernel"].split("::")
        name, overload = rest.split(".")
        if ns == "aten":
            schema = getattr(getattr(torch.ops.aten, name), overload)._schema
            assert [a.name for a in schema.arguments] == op["kernel_args"], op["kernel"]
            continue
        if ns in ("quantized_decomposed", "torchao"):
            # Quantization ops: torch's functional arguments, then the outs.
            if ns == "torchao":
                pytest.importorskip("torchao.quantization.quant_primitives")  # registers them
            if "embedding_" in op["aten"]:
                # ExecuTorch's quantized embeddings are defined by its wheel.
                pytest.importorskip("executorch.exir.passes._quant_patterns_and_replacements")
            fn_name, fn_overload = op["aten"].split("::")[1].split(".")
            schema = getattr(getattr(getattr(torch.ops, ns), fn_name), fn_overload)._schema
            names = [a.name for a in schema.arguments]
            assert op["kernel_args"][:len(names)] == names, op["kernel"]
            assert all(a.endswith("out") for a in op["kernel_args"][len(names):]), op["kernel"]
            continue
        assert ns == "ember", op["kernel"]
        if op["aten"] == op["kernel"].replace(".out", ".default") and op["aten"] not in OWN_OPS:
            continue  # a quantized op of Ember's own (quantizer/ makes it): no torch schema
        if op["aten"].startswith("ember::"):
            # An op of Ember's own that no export produces (a pass makes it):
            # the ATen op it extends, its own arguments, then out.
            base, extra = OWN_OPS[op["aten"]]
            schema = getattr(torch.ops.aten, base).default._schema
            assert [a.name for a in schema.arguments] + extra + ["out"] == op["kernel_args"]
            continue
        aten_name, aten_overload = op["aten"].split("::")[1].split(".")
        schema = getattr(getattr(torch.ops.aten, aten_name), aten_overload)._schema
        assert [a.name for a in schema.arguments] + ["out"] == op["kernel_args"], op["kernel"]


def test_ember_debug_prints_ir_after_every_pass():
    import subprocess
    import sys
    code = ("import torch, ember, sys; sys.path.insert(0, 'examples'); from models import MLP; "
            "ember.to_edge(torch.export.export(MLP().eval(), (torch.randn(1, 32),)))"
            ".to_executorch()")
    env = {**__import__("os").environ, "EMBER_DEBUG": "1"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         cwd=str(__import__("pathlib").Path(__file__).resolve().parents[2]))
    assert out.returncode == 0, out.stderr
    assert "IR Dump After VerifyEdgeContract" in out.stderr
    assert "IR Dump After PlanMemory" in out.stderr


def test_docs_ops_md_is_generated_from_the_table(tmp_path):
    """docs/ops.md is what exir/gen_edge_ops.py makes of exir/ops.yaml."""
    import subprocess
    import sys
    from pathlib import Path
    root = Path(__file__).resolve().parents[2]
    out = tmp_path / "ops.md"
    subprocess.run([sys.executable, str(root / "exir" / "gen_edge_ops.py"), "--docs", str(out)],
                   check=True)
    assert out.read_text() == (root / "docs" / "ops.md").read_text(), \
        "docs/ops.md is stale: run python exir/gen_edge_ops.py --docs docs/ops.md"


class Keywords(torch.nn.Module):
    def forward(self, x, y):
        return x * 2 + y


def test_keyword_inputs_by_name_or_flat_in_the_exported_order():
    """A method exported with keyword inputs takes them by name, or flat and
    positional in the exported order (the order of the kwargs given to
    export, here y then x), as ExecuTorch's runtime takes every input."""
    x, y = torch.randn(3), torch.randn(3)
    ep = torch.export.export(Keywords(), (), kwargs={"y": y, "x": x})
    m = ember.runtime.load(ember.to_edge(ep).to_executorch().buffer)
    want = Keywords()(x, y)
    assert_close(m.forward(x=x, y=y), want)
    assert_close(m.forward(y, x), want)
    with pytest.raises(TypeError, match=r"unexpected keyword input\(s\) 'z' "
                                        r"\(its keyword inputs: 'y', 'x'\)"):
        m.forward(x=x, z=y)
    with pytest.raises(TypeError, match=r"missing keyword input\(s\) 'y'"):
        m.forward(x=x)
    with pytest.raises(TypeError, match=r"takes 0 positional and 'y', 'x' by keyword, or all 2 "
                                        r"inputs positional in the exported order; got 1 "
                                        r"positional$"):
        m.forward(x)
    with pytest.raises(TypeError, match=r"got 1 positional and 'x' by keyword$"):
        m.forward(y, x=x)


class Nested(torch.nn.Module):
    def forward(self, pair, s, *, bias):
        return pair[0] * s + pair[1] + bias


def test_nested_and_keyword_inputs_flat():
    a, b, s, bias = (torch.randn(4) for _ in range(4))
    ep = torch.export.export(Nested(), ((a, b), s), kwargs={"bias": bias})
    m = ember.runtime.load(ember.to_edge(ep).to_executorch().buffer)
    want = Nested()((a, b), s, bias=bias)
    assert_close(m.forward((a, b), s, bias=bias), want)
    assert_close(m.forward(a, b, s, bias), want)  # flat: the pair's leaves, s, then bias
    got = m.forward(a.numpy(), b.numpy(), s.numpy(), bias.numpy())  # numpy in, numpy out
    assert_close(torch.from_numpy(got), want)
    with pytest.raises(TypeError, match=r"takes 2 positional and 'bias' by keyword, or all 4 "
                                        r"inputs positional"):
        m.forward(a, b, s)
    with pytest.raises(TypeError, match=r"input 1 is a tuple; give the inputs nested as "
                                        r"exported \(2 positional\) or all flat, not a mix"):
        m.forward(a, (b, b), s, bias)


def test_positional_input_count_is_checked():
    m = ember.runtime.load(ember.to_edge(torch.export.export(
        MLP().eval(), (torch.randn(2, 32),))).to_executorch().buffer)
    with pytest.raises(TypeError, match=r"method 'forward' takes 1 positional inputs, got 2"):
        m.forward(torch.randn(2, 32), torch.randn(2, 32))
    with pytest.raises(TypeError, match=r"unexpected keyword input\(s\) 'x' "
                                        r"\(its keyword inputs: none\)"):
        m.forward(x=torch.randn(2, 32))


class _TwoInputs(torch.nn.Module):
    def forward(self, x, y):
        return x * 2 + y


def test_tensor_inputs_of_any_kind_give_the_same_result():
    # forward's fast path (positional leaves) and its fallbacks: tensors that
    # need grad, transposed and strided views, numpy arrays, and a mix of
    # them, against eager.
    x, y = torch.randn(4, 6), torch.randn(4, 6)
    m = ember.runtime.load(ember.to_edge(torch.export.export(
        _TwoInputs(), (x, y))).to_executorch().buffer)
    want = _TwoInputs()(x, y)
    assert_close(m.forward(x, y), want)
    assert_close(m(x.clone().requires_grad_(True), y), want)
    xt = x.t().contiguous().t()  # the same values through a transposed view
    assert not xt.is_contiguous()
    assert_close(m.forward(xt, y), want)
    wide = torch.randn(4, 12)
    assert_close(m.forward(wide[:, ::2], y), _TwoInputs()(wide[:, ::2], y))
    got = m.forward(x.numpy(), y)  # numpy and torch mixed: torch out
    assert isinstance(got, torch.Tensor)
    assert_close(got, want)
    with pytest.raises(TypeError, match=r"takes 2 positional inputs, got 1"):
        m.forward(x)
