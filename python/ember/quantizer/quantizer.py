"""XNNPACKQuantizer: which ops of a torch.export graph are quantized, and how.

A drop-in for ExecuTorch's class of the same name: the same setters with the
same precedence, the same config objects, and graphs of the same form
(quantized_decomposed quantize/dequantize pairs around the ops, weights as
int8 constants), which Ember's compiler folds into int8 kernels.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch.fx import GraphModule, Node
from torchao.quantization.pt2e.quantizer import (
    QuantizationConfig,
    QuantizationSpec,
    Quantizer,
)

from ._nodes import ADD_OPS, ANNOTATION_KEY, MUL_OPS, NodeFilter, is_op, tensor_of
from .config import is_dynamic_config
from .patterns import EMBER_RULES, EXECUTORCH_RULES, Pattern, patterns_for, propagate_sharing

__all__ = ["XNNPACKQuantizer"]

_RULES = {"ember": EMBER_RULES, "executorch": EXECUTORCH_RULES}


def _type_name(tp: object) -> str:
    return f"{tp.__module__}.{tp.__qualname__}" if isinstance(tp, type) else str(tp)


def _module_stack(node: Node) -> list[tuple[str, str]]:
    """(path, type name) of the modules `node` was traced in, outermost first."""
    stack = node.meta.get("nn_module_stack") or {}
    out = []
    for path, tp in stack.values():
        # Graphs from the older capture APIs spell the root L['self'].
        path = path[len("L['self']."):] if path.startswith("L['self'].") else path
        out.append((path, _type_name(tp)))
    return out


def _in_module_named(name: str) -> NodeFilter:
    return lambda n: any(path == name for path, _ in _module_stack(n))


def _in_module_of_type(tp: type) -> NodeFilter:
    want = _type_name(tp)
    return lambda n: any(t == want for _, t in _module_stack(n))


def _is_op_type(node: Node, op: object) -> bool:
    return node.op == "call_function" and (
        node.target is op or getattr(node.target, "overloadpacket", None) is op)


def _check_config(config: object, allow_none: bool = True) -> None:
    if config is None and allow_none:
        return
    if not isinstance(config, QuantizationConfig):
        raise TypeError("expected a QuantizationConfig (from get_symmetric_quantization_config)"
                        f", got {type(config).__name__}")


class XNNPACKQuantizer(Quantizer):
    """Annotates a torch.export graph for int8 PT2E quantization.

        q = XNNPACKQuantizer().set_global(get_symmetric_quantization_config())
        m = prepare_pt2e(torch.export.export(model, args).module(), q)

    Which config an op gets, first match wins: `set_module_name`, then
    `set_module_type` (an op is in a module if it was traced inside it, at
    any depth), then `set_operator_type`, then `set_global`. A scope set to
    None leaves its ops float. A pattern (conv + relu) is quantized with a
    scope's config when all its ops (not its weights) are in the scope.

    patterns: "ember" (the default) annotates ExecuTorch's patterns and,
    where Ember's int8 kernels run them, more: matmul/bmm, hardswish, sigmoid
    (fixed output qparams), conv/linear/add/mul fused with relu6/hardtanh/
    clamp as well as relu, and pools, means and clamps after float ops.
    "executorch" annotates exactly what ExecuTorch 1.4's XNNPACKQuantizer
    does, so the graphs are identical to its graphs.
    """

    def __init__(self, patterns: str = "ember") -> None:
        super().__init__()
        if patterns not in _RULES:
            raise ValueError(f"patterns must be one of {sorted(_RULES)}, got {patterns!r}")
        self.rules = _RULES[patterns]
        self.global_config: QuantizationConfig | None = None
        self.operator_type_config: dict[object, QuantizationConfig | None] = {}
        self.module_type_config: dict[type, QuantizationConfig | None] = {}
        self.module_name_config: dict[str, QuantizationConfig | None] = {}
        self.filter_fn: NodeFilter | None = None

    # -- configuration -------------------------------------------------------

    def set_global(self, quantization_config: QuantizationConfig | None) -> XNNPACKQuantizer:
        """The config of every op no narrower scope claims."""
        _check_config(quantization_config)
        self.global_config = quantization_config
        return self

    def set_operator_type(self, operator_type: object,
                          quantization_config: QuantizationConfig | None) -> XNNPACKQuantizer:
        """The config of the patterns anchored on an op, e.g.
        torch.ops.aten.linear.default (or its packet torch.ops.aten.linear)."""
        if not isinstance(operator_type, (torch._ops.OpOverload, torch._ops.OpOverloadPacket)):
            raise TypeError(f"operator_type must be an aten op such as torch.ops.aten.linear."
                            f"default, got {operator_type!r}")
        _check_config(quantization_config)
        self.operator_type_config[operator_type] = quantization_config
        return self

    def set_module_type(self, module_type: type,
                        quantization_config: QuantizationConfig | None) -> XNNPACKQuantizer:
        """The config of the ops traced inside any module of this type."""
        if not isinstance(module_type, type):
            raise TypeError(f"module_type must be a class such as torch.nn.Linear, "
                            f"got {module_type!r}")
        _check_config(quantization_config)
        self.module_type_config[module_type] = quantization_config
        return self

    def set_module_name(self, module_name: str,
                        quantization_config: QuantizationConfig | None) -> XNNPACKQuantizer:
        """The config of the ops traced inside the submodule with this
        qualified name ("blocks.0.attn"), at any depth below it."""
        if not isinstance(module_name, str):
            raise TypeError(f"module_name must be a str, got {module_name!r}")
        _check_config(quantization_config)
        self.module_name_config[module_name] = quantization_config
        return self

    def set_filter_function(self, filter_fn: Callable[[Node], bool]) -> XNNPACKQuantizer:
        """Only quantize ops for which filter_fn(node) is true (in every scope)."""
        self.filter_fn = filter_fn
        return self

    # -- Quantizer interface -------------------------------------------------

    def transform_for_annotation(self, model: GraphModule) -> GraphModule:
        """Turn scalar operands of float add/mul into 0-d constants, so that
        they are quantized with the op (`x * 0.5` runs as an int8 mul)."""
        count = 0
        for node in list(model.graph.nodes):
            if not is_op(node, ADD_OPS | MUL_OPS):
                continue
            tensors = [a for a in node.args[:2] if isinstance(a, Node)]
            scalars = [a for a in node.args[:2] if isinstance(a, (int, float))
                       and not isinstance(a, bool)]
            if len(tensors) != 1 or len(scalars) != 1:
                continue
            val = tensor_of(tensors[0], model)
            if val is None or val.dtype != torch.float32:
                continue
            while hasattr(model, f"_ember_scalar_{count}"):
                count += 1
            name = f"_ember_scalar_{count}"
            const = torch.tensor(float(scalars[0]))
            model.register_buffer(name, const)
            with model.graph.inserting_before(node):
                attr = model.graph.get_attr(name)
            fake_mode = getattr(val, "fake_mode", None)
            attr.meta["val"] = (fake_mode.from_tensor(const, static_shapes=True)
                                if fake_mode is not None else const)
            args = list(node.args)
            args[0 if not isinstance(args[0], Node) else 1] = attr
            node.args = tuple(args)
        model.recompile()
        return model

    def annotate(self, model: GraphModule) -> GraphModule:
        """Annotate scope by scope, narrowest first; an op annotated by one
        scope is skipped by the others. Then let views, pools and clamps
        after quantized ops share their qparams."""
        names = [_in_module_named(n) for n in self.module_name_config]
        types = [_in_module_of_type(t) for t in self.module_type_config]
        float_ops = [op for op, c in self.operator_type_config.items() if c is None]

        def outside(scopes: list[NodeFilter]) -> NodeFilter:
            return lambda n: not any(f(n) for f in scopes)

        def only(scope: NodeFilter, above: NodeFilter) -> NodeFilter:
            return lambda n: scope(n) and above(n)

        # Each scope keeps only the ops no wider-precedence scope holds, even
        # one set to None: that is how None leaves a scope float.
        for name, config in self.module_name_config.items():
            self._annotate_scope(model, config, _in_module_named(name))
        for tp, config in self.module_type_config.items():
            self._annotate_scope(model, config, only(_in_module_of_type(tp), outside(names)))
        not_in_modules = outside(names + types)
        for op, config in self.operator_type_config.items():
            self._annotate_scope(model, config, not_in_modules, op)
        self._annotate_scope(model, self.global_config, lambda n: not_in_modules(n) and not any(
            _is_op_type(n, op) for op in float_ops))
        propagate_sharing(model, self.rules)
        return model

    def _annotate_scope(self, model: GraphModule, config: QuantizationConfig | None,
                        scope: NodeFilter, op: object | None = None) -> None:
        if config is None:
            return
        user_filter = self.filter_fn

        def keep(n: Node) -> bool:
            return scope(n) and (user_filter is None or user_filter(n))

        for pattern in patterns_for(self.rules):
            anchors = pattern.anchors_for(op)
            if anchors and self._applies(pattern, config):
                pattern.annotator(model, config, keep, anchors, self.rules)

    @staticmethod
    def _applies(pattern: Pattern, config: QuantizationConfig) -> bool:
        if pattern.qat_only:
            return config.is_qat
        return pattern.dynamic if is_dynamic_config(config) else pattern.static

    def validate(self, model: GraphModule) -> None:
        """Check that every annotation is one Ember's int8 kernels take:
        int8/uint8 activations per tensor, int8 constant weights per tensor
        or per channel. Raises ValueError naming the op otherwise (a custom
        QuantizationConfig can ask for more than that)."""
        for node in model.graph.nodes:
            ann = node.meta.get(ANNOTATION_KEY)
            if ann is None:
                continue
            for src, spec in ann.input_qspec_map.items():
                _check_spec(node, spec, f"input {src.name}", src.op == "get_attr")
            _check_spec(node, ann.output_qspec, "output", False)


_PER_TENSOR = (torch.per_tensor_affine, torch.per_tensor_symmetric)
_PER_CHANNEL = (torch.per_channel_affine, torch.per_channel_symmetric)


def _check_spec(node: Node, spec: object, what: str, constant: bool) -> None:
    if not isinstance(spec, QuantizationSpec) or spec.dtype in (torch.float32, torch.float):
        return  # shared/derived/fixed specs refer to checked ones; float means none

    def fail(why: str) -> None:
        raise ValueError(f"XNNPACKQuantizer: {node.name} ({node.target}), {what}: {why}")

    if spec.dtype not in (torch.int8, torch.uint8):
        fail(f"dtype {spec.dtype} is not supported (int8 or uint8)")
    if spec.qscheme in _PER_CHANNEL:
        if not constant:
            fail("per-channel quantization is for constant weights only")
        if spec.dtype != torch.int8 or spec.ch_axis is None:
            fail("per-channel weights must be int8 with a ch_axis")
    elif spec.qscheme not in _PER_TENSOR + (None,):
        fail(f"qscheme {spec.qscheme} is not supported")
    if spec.is_dynamic and what == "output":
        fail("an output cannot be quantized dynamically")
