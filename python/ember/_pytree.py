"""Pytree container strings of a method's inputs and outputs.

The .pte stores how the flat inputs/outputs nest as a string in the C++
pytree format ExecuTorch uses: a node is its kind (T tuple, L list, D dict,
N None, $ leaf), its child count, then `#` and the leaf count of each child,
then the children in parentheses; dict children are `'key':child`. forward(x)
has inputs `T2#1#0(T1#1($),D0())` and a single tensor output is `$`.
Files written by ExecuTorch's OSS Python package hold torch's JSON dump
instead; decode() accepts both.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Node:
    kind: str                          # "T", "L", "D", "N" or "$"
    children: list[Node] = field(default_factory=list)
    keys: list[Any] = field(default_factory=list)  # dict keys

    def num_leaves(self) -> int:
        if self.kind == "$":
            return 1
        return sum(c.num_leaves() for c in self.children)


def from_treespec(spec: Any) -> Node:
    """A torch.utils._pytree.TreeSpec as a Node. Containers other than tuple,
    list and dict (named tuples, dataclass outputs) are kept as tuples."""
    if spec.is_leaf():
        return Node("$")
    t = spec.type
    kids = spec.children() if hasattr(spec, "children") else spec.children_specs
    children = [from_treespec(c) for c in kids]
    if t is dict:
        return Node("D", children, list(spec.context))
    if t is list:
        return Node("L", children)
    if t is type(None):
        return Node("N")
    return Node("T", children)


def encode(node: Node) -> str:
    if node.kind in ("$", "N"):
        return node.kind
    counts = "".join(f"#{c.num_leaves()}" for c in node.children)
    if node.kind == "D":
        pairs = zip(node.keys, node.children, strict=True)
        inner = ",".join(f"{_key(k)}:{encode(c)}" for k, c in pairs)
    else:
        inner = ",".join(encode(c) for c in node.children)
    return f"{node.kind}{len(node.children)}{counts}({inner})"


def _key(k: Any) -> str:
    if isinstance(k, str):
        return "'" + k.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return str(k)


def decode(text: str) -> Node:
    """Parse a container string (C++ pytree form or torch's JSON dump)."""
    if not text:
        return Node("$")
    if text.startswith("["):
        return _from_json(json.loads(text)[1])
    node, pos = _parse(text, 0)
    if pos != len(text):
        raise ValueError(f"trailing characters in container string at {pos}: {text!r}")
    return node


def _parse(s: str, i: int) -> tuple[Node, int]:
    kind = s[i]
    if kind in ("$", "N"):
        return Node(kind), i + 1
    if kind not in "TLD":
        raise ValueError(f"bad container kind {kind!r} at {i} in {s!r}")
    j = i + 1
    while s[j].isdigit():
        j += 1
    count = int(s[i + 1:j])
    while s[j] == "#":  # leaf counts: implied by the children, skipped
        j += 1
        while s[j].isdigit():
            j += 1
    if s[j] != "(":
        raise ValueError(f"expected '(' at {j} in {s!r}")
    j += 1
    node = Node(kind)
    for n in range(count):
        if kind == "D":
            key, j = _parse_key(s, j)
            node.keys.append(key)
        child, j = _parse(s, j)
        node.children.append(child)
        if n + 1 < count:
            if s[j] != ",":
                raise ValueError(f"expected ',' at {j} in {s!r}")
            j += 1
    if s[j] != ")":
        raise ValueError(f"expected ')' at {j} in {s!r}")
    return node, j + 1


def _parse_key(s: str, j: int) -> tuple[Any, int]:
    if s[j] == "'":
        out, j = [], j + 1
        while s[j] != "'":
            if s[j] == "\\":
                j += 1
            out.append(s[j])
            j += 1
        j += 1
        key: Any = "".join(out)
    else:
        k = j
        while s[j] != ":":
            j += 1
        key = int(s[k:j])
    if s[j] != ":":
        raise ValueError(f"expected ':' at {j} in {s!r}")
    return key, j + 1


def _from_json(d: dict) -> Node:
    t = d.get("type")
    children = [_from_json(c) for c in d.get("children_spec", [])]
    if t is None:
        return Node("$")
    if t == "builtins.dict":
        return Node("D", children, json.loads(d["context"]))
    if t == "builtins.list":
        return Node("L", children)
    return Node("T", children)


def flatten(node: Node, value: Any, where: str = "input") -> list[Any]:
    """The leaves of `value` in the order `node` lays them out; a TypeError
    names the first place where `value` does not have the spec's structure."""
    if node.kind == "$":
        return [value]
    if node.kind == "N":
        if value is not None:
            raise TypeError(f"{where}: expected None, got {type(value).__name__}")
        return []
    if node.kind == "D":
        if not isinstance(value, dict):
            raise TypeError(f"{where}: expected a dict with keys {node.keys}, "
                            f"got {type(value).__name__}")
        missing = [k for k in node.keys if k not in value]
        unexpected = [k for k in value if k not in node.keys]
        if missing or unexpected:
            raise TypeError(f"{where}: expected a dict with keys {node.keys}; missing {missing}, "
                            f"unexpected {unexpected}")
        items = [(f"{where}[{k!r}]", value[k], c) for k, c in zip(node.keys, node.children,
                                                                   strict=True)]
    else:
        if not isinstance(value, (tuple, list)) or len(value) != len(node.children):
            n = len(value) if isinstance(value, (tuple, list)) else type(value).__name__
            raise TypeError(f"{where}: expected {len(node.children)} items, got {n}")
        items = [(f"{where}[{i}]", v, c) for i, (v, c) in enumerate(zip(value, node.children,
                                                                         strict=True))]
    leaves: list[Any] = []
    for w, v, c in items:
        leaves.extend(flatten(c, v, w))
    return leaves


def unflatten(node: Node, leaves: list[Any]) -> Any:
    # A module-level helper, not a nested recursive function: that would be a
    # reference cycle holding `leaves` (the outputs) until the garbage
    # collector runs, and keep the runtime from reusing their memory.
    return _build(node, iter(leaves))


def _build(n: Node, it: Any) -> Any:
    if n.kind == "$":
        return next(it)
    if n.kind == "N":
        return None
    items = [_build(c, it) for c in n.children]
    if n.kind == "D":
        return dict(zip(n.keys, items, strict=True))
    return items if n.kind == "L" else tuple(items)
