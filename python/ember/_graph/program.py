"""One method's ExportedProgram (decomposed to core ATen) as the
`ember._C.graph.Graph` CompilerSession.import_graphs takes: user inputs,
constants (numpy views of the weights: the session keeps them alive and
never copies them), nodes, outputs, buffer write-backs, run-time sizes and
the pytree container strings."""

from __future__ import annotations

import operator

import torch
from torch.export import ExportedProgram
from torch.export.graph_signature import InputKind, OutputKind

from .. import _pytree
from .._C import graph as _desc
from ..errors import CompileError
from .builder import Builder, Input, Node, node_args, tensor_type
from .folding import fold, fold_plan
from .fx import is_assertion, op_name, source_loc
from .rewrites import REWRITES
from .sizes import Sizes, is_size_node


def build_graph(name: str, ep: ExportedProgram, fold_constants: bool = True) -> _desc.Graph:
    """The graph of one method (already decomposed to core ATen)."""
    b = Builder(name, Sizes(ep))
    folded = fold_plan(ep) if fold_constants else set()
    sig = ep.graph_signature
    specs = {s.arg.name: s for s in sig.input_specs}
    mutated = set(sig.buffers_to_mutate.values())
    buffer_ids: dict[str, int] = {}
    outputs: list[int] = []
    write_backs: list[_desc.WriteBack] = []
    for node in ep.graph.nodes:
        if node.op == "placeholder":
            spec = specs[node.name]
            if spec.kind == InputKind.USER_INPUT:
                val = node.meta.get("val")
                if not isinstance(val, torch.Tensor):
                    raise CompileError(f"input '{node.name}' is a {type(val).__name__}; "
                                       "only tensor inputs are supported yet")
                type_ = tensor_type(val, f"input '{node.name}'", b.sizes)
                b.ids[node] = b.new_id()
                b.inputs.append(Input(b.ids[node], node.name, type_))
            elif spec.kind in (InputKind.PARAMETER, InputKind.BUFFER, InputKind.CONSTANT_TENSOR):
                source = ep.constants if spec.target in ep.constants else ep.state_dict
                if spec.target in mutated:
                    b.ids[node] = b.add_constant(spec.target, source[spec.target], mutable=True)
                    buffer_ids[spec.target] = b.ids[node]
                else:
                    b.values[node] = source[spec.target]
                    b.value_names[node] = spec.target
            else:
                raise CompileError(f"input '{node.name}' of kind {spec.kind.name} "
                                   "is not supported yet")
        elif node.op == "call_function":
            if is_assertion(node) or is_size_node(node):
                continue  # sizes are described where an argument first uses them
            if node.target is operator.getitem:
                if node.args[0] in b.values:
                    b.values[node] = b.values[node.args[0]][node.args[1]]
                    b.value_names[node] = f"{b.value_names[node.args[0]]}_{node.args[1]}"
                else:
                    b.ids[node] = b.ids[node.args[0]][node.args[1]]
                continue
            if node in folded:
                fold(b, node)
                continue
            if node.target in REWRITES:
                b.ids[node] = REWRITES[node.target](b, node)
                continue
            val = node.meta.get("val")
            vals = list(val) if isinstance(val, (tuple, list)) else [val]
            loc = source_loc(node)
            results = [tensor_type(v, f"{op_name(node.target)} at {loc}", b.sizes) for v in vals]
            result_ids = [b.new_id() for _ in results]
            b.ids[node] = result_ids if isinstance(val, (tuple, list)) else result_ids[0]
            schema = node.target._schema
            b.nodes.append(Node(schema.name, node.target._overloadname, node.name,
                                node_args(b, node), results, result_ids, loc))
        elif node.op == "output":
            for out, spec in zip(node.args[0], sig.output_specs, strict=True):
                if not isinstance(out, torch.fx.Node):
                    raise CompileError(f"output {out!r} is not a tensor; only tensor outputs "
                                       "are supported yet")
                if out in b.values and out not in b.ids:
                    b.tensor_ref(out, "output")  # a constant output: make it a graph constant
                if spec.kind == OutputKind.BUFFER_MUTATION:
                    write_backs.append(_desc.WriteBack(buffer_ids[spec.target],
                                                       b.tensor_ref(out, "output")))
                elif spec.kind == OutputKind.USER_OUTPUT:
                    outputs.append(b.tensor_ref(out, "output"))
                else:
                    raise CompileError(f"output '{spec.arg.name}' of kind {spec.kind.name} "
                                       "(e.g. an input mutated in place) is not supported yet")
    return _desc.Graph(
        name=name,
        inputs=b.inputs,
        constants=b.constants,
        nodes=b.nodes,
        outputs=outputs,
        write_backs=write_backs,
        syms=b.syms,
        in_spec=_pytree.encode(_pytree.from_treespec(ep.call_spec.in_spec)),
        out_spec=_pytree.encode(_pytree.from_treespec(ep.call_spec.out_spec)),
    )
