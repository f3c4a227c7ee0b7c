"""The graph view: a .pte's methods drawn as layered graphs in one self-contained
HTML page (inline SVG and CSS and a few lines of script; nothing is fetched), what
`ember inspect --html model.pte [--debug-info model.debug.json]` writes.

Per method, a node per instruction: a kernel call named by its operator (by its
Edge op when the debug info is given), a delegate call by its backend (and the
Edge ops it runs); a node per method input and output. An edge per tensor value,
from the instruction that writes it to each one that reads it; the value's dtype,
sizes and memory (planned buffer, offset and bytes, or the caller's) are written
under its writer and on hover. Constants are listed in their readers' details.
The fill colour says what runs the node; a red outline marks a fallback, an op a
backend was asked to take and refused, with the reason on hover and in the
side table (the refusals are in the debug info only, not in the .pte).

    save_html("model.pte", "model.html", debug_info="model.debug.json")
    # or: render_html(ember.cli._inspect("model.pte", graph=True), load_debug_info(...))

Layout, computed here: layers by longest path from the inputs; edges that span
layers routed through dummy points (one chain per writer, shared by its
readers); orders within layers from barycenter sweeps, the one with the fewest
crossings kept; x by averaging the left- and right-packed placements of the
neighbours' mean, which keeps the order and the spacing.
"""

from __future__ import annotations

import functools
import html
import os
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from .inspector import _load_debug_info

KERNELS = "Ember's kernels"
KERNEL_COLOUR = "#9fc5e8"
BACKEND_COLOURS = {"XnnpackBackend": "#f6b26b"}
PALETTE = ("#b4a7d6", "#93c47d", "#ffd966", "#76a5af", "#d5a6bd", "#a2c4c9")
IO_COLOUR = "#e0e0e0"
CONTROL_COLOUR = "#ffffff"
FALLBACK_COLOUR = "#cc0000"

_DTYPES = {"float32": "f32", "float16": "f16", "bfloat16": "bf16", "float64": "f64",
           "int8": "i8", "uint8": "u8", "int16": "i16", "int32": "i32", "int64": "i64"}
_NODE_H = 44
_ROW = 13          # a value label's line
_GAP = 34          # between a layer's labels and the next layer
_MARGIN = 24
_CHAR = 5.6        # a value label's average character width (10px font)
_SWEEPS = 6


def load_debug_info(path: Any) -> list[dict]:
    """The entries of a save_debug_info file (or of a program manager, or a
    list), each checked to name a method, an instruction and a target."""
    entries = _load_debug_info(path)
    for i, e in enumerate(entries):
        if not (isinstance(e, dict) and isinstance(e.get("method"), str)
                and isinstance(e.get("instruction"), int) and isinstance(e.get("target"), str)
                and isinstance(e.get("refused", {}), dict)
                and isinstance(e.get("delegated_ops", {}), dict)):
            raise ValueError(f"{path}: debug-info entry {i} is not an instruction's entry "
                             '({"method", "instruction", "op", "target", "source", ...})')
    return entries


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "\u2026"


def type_text(v: dict) -> str:
    """'f32[1,8,16,16]' (sizes of a dynamic tensor are its bound: '<=' before them)."""
    if v["kind"] != "Tensor":
        return v["kind"] + (f" {v['value']!r}" if "value" in v else "")
    bound = "" if v["dynamism"] == "static" else "<="
    return f"{_DTYPES.get(v['dtype'], v['dtype'])}[{bound}{','.join(map(str, v['sizes']))}]"


def where_text(v: dict, role: str = "") -> str:
    """Where a tensor's memory is: 'mem 1 @ 8192, 3072 B' for planned memory,
    'constant #3, 864 B', or the caller's ('input', 'output')."""
    if v["kind"] != "Tensor":
        return role or "value"
    if v["planned"]:
        init = ", initial value" if v["data_buffer_idx"] else ""
        return f"mem {v['memory_id']} @ {v['offset']}, {v['nbytes']} B{init}"
    if v["data_buffer_idx"]:
        return f"constant #{v['data_buffer_idx']}, {v['nbytes']} B"
    return f"{role or 'caller'} memory, {v['nbytes']} B"


@dataclass
class Node:
    key: str        # "i3" (instruction 3; "c1-i3" in chain 1), "in0", "out0", "s5" (buffer)
    kind: str       # kernel, delegate, move, jump_false, free, input, output, state
    title: str
    subtitle: str = ""
    group: str = KERNELS      # legend entry: KERNELS, a backend id, "input / output", ...
    instruction: int | None = None
    source: str = ""
    ops: dict[str, int] = field(default_factory=dict)     # a delegate's Edge ops
    refused: dict[str, str] = field(default_factory=dict)  # backend -> reason
    reads: list[int] = field(default_factory=list)
    writes: list[int] = field(default_factory=list)
    constants: list[int] = field(default_factory=list)


@dataclass
class MethodView:
    """One method as nodes and value edges, before layout."""
    name: str
    graph: dict
    nodes: list[Node]
    edges: dict[tuple[int, int], list[int]]   # (writer, reader) -> values
    roles: dict[int, str]                     # value -> "input 0", "output 1", "buffer x"


def _tensors(values: list[dict], args: list[int]) -> list[int]:
    """The tensor values among `args`, with tensor lists' items in their place."""
    out = []
    for a in args:
        v = values[a]
        if v["kind"] == "Tensor":
            out.append(a)
        elif v["kind"] in ("TensorList", "OptionalTensorList"):
            out.extend(i for i in v["items"] if i >= 0 and values[i]["kind"] == "Tensor")
    return out


@functools.lru_cache(maxsize=None)
def _operator_writes(operator: str) -> tuple[int, tuple[int, ...]] | None:
    """The runtime's write description of `operator` (one lookup per operator,
    however many calls a graph has)."""
    from .. import _C

    writes = _C.operator_writes(operator)
    return None if writes is None else (writes[0], tuple(writes[1]))


def _written(values: list[dict], args: list[int], operator: str) -> list[int]:
    """The tensors a KernelCall of `operator` with `args` writes."""
    writes = _operator_writes(operator)
    if writes is None:
        return _tensors(values, args[-1:])
    num_schema_args, written = writes
    picked = [a for k, a in enumerate(args) if k >= num_schema_args or k in written]
    return _tensors(values, picked)


def _check_debug(name: str, graph: dict, entries: dict[int, dict]) -> None:
    """Refuse debug info of another program: every kernel and delegate call
    must have its entry, naming the same kernel or backend."""
    calls = {}
    for ins in graph["instructions"]:
        if ins["kind"] == "kernel" and ins["chain"] == 0:
            calls[ins["index"]] = graph["operators"][ins["target"]]
        elif ins["kind"] == "delegate" and ins["chain"] == 0:
            calls[ins["index"]] = graph["delegates"][ins["target"]]
    for index in sorted(set(calls) | set(entries)):
        want = calls.get(index, "no kernel or delegate call")
        got = entries[index].get("target", "?") if index in entries else "nothing"
        if want != got:
            raise ValueError(f"the debug info does not match the program: method '{name}' "
                             f"instruction {index} is {want} in the .pte but {got} in the "
                             "debug info (saved for another program?)")


def build_view(graph: dict, debug: list[dict] | None) -> MethodView:
    """Nodes and edges of one method (`debug`: every debug-info entry, or None)."""
    name, values = graph["name"], graph["values"]
    entries = {int(e["instruction"]): e for e in debug or [] if e.get("method") == name}
    if debug is not None:
        _check_debug(name, graph, entries)
    nodes: list[Node] = []
    edges: dict[tuple[int, int], list[int]] = {}
    writer: dict[int, int] = {}   # value -> node that wrote it last
    roles: dict[int, str] = {}

    def read(node: int, v: int) -> None:
        if v in writer:
            vals = edges.setdefault((writer[v], node), [])
            if v not in vals:
                vals.append(v)

    for i, v in enumerate(graph["inputs"]):
        roles.setdefault(v, f"input {i}")
        nodes.append(Node(f"in{i}", "input", f"input {i}", type_text(values[v]),
                          group="input / output", writes=[v]))
        writer.setdefault(v, len(nodes) - 1)
    for j, v in enumerate(graph["outputs"]):
        roles.setdefault(v, f"output {j}")
    inputs = set(graph["inputs"])

    def is_constant(v: int) -> bool:
        x = values[v]
        return x["kind"] == "Tensor" and bool(x["data_buffer_idx"]) and not x["planned"]

    def is_state(v: int) -> bool:
        """A mutable buffer: planned, named or with an initial value; it holds
        its value from one run to the next."""
        x = values[v]
        return x["kind"] == "Tensor" and x["planned"] and bool(x["data_buffer_idx"] or x["name"])

    for ins in graph["instructions"]:
        kind = ins["kind"]
        first = ins["chain"] == 0   # the debug info's instruction indices: chain 0's
        label = f"#{ins['index']}" if first else f"chain {ins['chain']} #{ins['index']}"
        entry = entries.get(ins["index"], {}) if first else {}
        key = f"i{ins['index']}" if first else f"c{ins['chain']}-i{ins['index']}"
        node = Node(key, kind, kind, label, group="control", instruction=ins["index"],
                    source=entry.get("source", ""), refused=dict(entry.get("refused") or {}))
        if kind == "kernel":
            op = graph["operators"][ins["target"]]
            node.group = KERNELS
            node.title = entry.get("op") or op
            node.subtitle = f"{label} {op}" if entry.get("op") else f"{label} kernel call"
        elif kind == "delegate":
            node.group = graph["delegates"][ins["target"]]
            node.title = node.group
            node.ops = dict(entry.get("delegated_ops") or {})
            if node.ops:
                ops = sorted(node.ops.items(), key=lambda kv: (-kv[1], kv[0]))
                parts = [f"{o.removeprefix('edge.')} x{n}" for o, n in ops]
                node.subtitle = f"{label} {sum(node.ops.values())} ops: {', '.join(parts)}"
            else:
                node.subtitle = f"{label} delegate {ins['target']}"
        if kind in ("kernel", "delegate"):
            # What a kernel call writes: its operator's write description in
            # the runtime's registry (the out-schema's (a!) arguments and the
            # results after them); for an operator without one, its last
            # argument (what it returns). Other values no instruction wrote
            # before (a delegate's outputs) are written here too.
            if kind == "kernel":
                returned = set(_written(values, ins["args"], graph["operators"][ins["target"]]))
            else:
                returned = set()
            for v in dict.fromkeys(_tensors(values, ins["args"])):
                if is_constant(v):
                    node.constants.append(v)
                elif v in returned or not (v in writer or is_state(v)):
                    node.writes.append(v)
                else:
                    node.reads.append(v)
            # Scalars the caller passes in (a method's int or float input).
            node.reads += [a for a in dict.fromkeys(ins["args"])
                           if a in inputs and values[a]["kind"] != "Tensor"]
        elif kind == "move":
            node.reads = _tensors(values, ins["args"][:1])
            node.writes = _tensors(values, ins["args"][1:])
        else:
            node.reads = _tensors(values, ins["args"])
        for v in node.reads:
            if v not in writer and is_state(v):   # a buffer read before this run writes it
                roles.setdefault(v, f"buffer {values[v]['name'] or v}")
                nodes.append(Node(f"s{v}", "state", roles[v], type_text(values[v]),
                                  group="input / output", writes=[v]))
                writer[v] = len(nodes) - 1
        nodes.append(node)
        for v in node.reads:
            read(len(nodes) - 1, v)
        for v in node.writes:
            writer[v] = len(nodes) - 1
    for j, v in enumerate(graph["outputs"]):
        x = values[v]
        sub = type_text(x) + (" constant" if is_constant(v) else "")
        nodes.append(Node(f"out{j}", "output", f"output {j}", sub, group="input / output",
                          reads=[v]))
        read(len(nodes) - 1, v)
    return MethodView(name, graph, nodes, edges, roles)


# -- Layout -------------------------------------------------------------------------

@dataclass
class Layout:
    x: list[float]
    y: list[float]            # of each layer's top
    layer: list[int]
    width: list[float]
    routes: dict[tuple[int, int], list[tuple[float, float]]]
    size: tuple[float, float]


def _crossings(order: list[list[int]], pos: list[int], down: list[list[int]]) -> int:
    """Edge crossings between adjacent layers (inversions of the edges sorted
    by their upper end)."""
    total = 0
    for layer in order:
        ends = sorted((pos[u], pos[w]) for u in layer for w in down[u])
        seq = [w for _, w in ends]
        total += _inversions(seq)
    return total


def _inversions(seq: list[int]) -> int:
    if len(seq) < 2:
        return 0
    mid = len(seq) // 2
    left, right = sorted(seq[:mid]), sorted(seq[mid:])
    n = _inversions(seq[:mid]) + _inversions(seq[mid:])
    j = 0
    for a in left:   # pairs (a in left, b in right) with a > b
        while j < len(right) and right[j] < a:
            j += 1
        n += j
    return n


def layout(view: MethodView) -> Layout:
    """Positions for `view`'s nodes, and each edge's route through its dummies."""
    n = len(view.nodes)
    preds: list[list[int]] = [[] for _ in range(n)]
    for (u, w) in view.edges:
        preds[w].append(u)
    # 1. Layers: longest path from the sources (nodes are in a topological order).
    layer = [0] * n
    for w in range(n):
        layer[w] = max((layer[u] + 1 for u in preds[w]), default=0)
    #    An instruction that reads no value (its operands constants) sits just
    #    above its first reader rather than beside the inputs.
    succs: list[list[int]] = [[] for _ in range(n)]
    for (u, w) in view.edges:
        succs[u].append(w)
    for u in range(n - 1, -1, -1):
        if not preds[u] and succs[u] and view.nodes[u].kind != "input":
            layer[u] = min(layer[w] for w in succs[u]) - 1
    # 2. Dummies: one chain down from each writer, shared by its readers.
    down: list[list[int]] = [[] for _ in range(n)]
    up: list[list[int]] = [[] for _ in range(n)]
    chains: dict[tuple[int, int], int] = {}
    routes_nodes: dict[tuple[int, int], list[int]] = {}

    def link(a: int, b: int) -> None:
        if b not in down[a]:
            down[a].append(b)
            up[b].append(a)

    for (u, w) in sorted(view.edges, key=lambda e: (e[0], layer[e[1]], e[1])):
        path, prev = [u], u
        for lv in range(layer[u] + 1, layer[w]):
            d = chains.get((u, lv))
            if d is None:
                d = chains[(u, lv)] = len(layer)
                layer.append(lv)
                down.append([])
                up.append([])
            link(prev, d)
            path.append(d)
            prev = d
        link(prev, w)
        routes_nodes[(u, w)] = path + [w]
    total = len(layer)
    width = [_node_width(view.nodes[i]) if i < n else 0.0 for i in range(total)]
    # How far right of its centre a node reaches: its box, or the labels of
    # the values it writes, which hang below it across its layer's band.
    reach = [max([width[i] / 2] + [6 + _CHAR * len(_write_label(view, v))
                                   for v in (view.nodes[i].writes if i < n else [])])
             for i in range(total)]
    # 3. Orders: first appearance, then barycenter sweeps; the fewest crossings wins.
    order: list[list[int]] = [[] for _ in range(max(layer, default=0) + 1)]
    for i in range(total):
        order[layer[i]].append(i)
    pos = [0] * total
    for lv in order:
        for p, i in enumerate(lv):
            pos[i] = p
    best, best_cross = [list(lv) for lv in order], _crossings(order, pos, down)
    for sweep in range(_SWEEPS):
        downward = sweep % 2 == 0
        levels = range(1, len(order)) if downward else range(len(order) - 2, -1, -1)
        for li in levels:
            bary = {}
            for i in order[li]:
                nb = up[i] if downward else down[i]
                bary[i] = sum(pos[j] for j in nb) / len(nb) if nb else pos[i]
            order[li].sort(key=bary.__getitem__)
            for p, i in enumerate(order[li]):
                pos[i] = p
        cross = _crossings(order, pos, down)
        if cross < best_cross:
            best, best_cross = [list(lv) for lv in order], cross
    order = best
    # 4. x: each layer packed, then pulled to its neighbours' mean.
    x = [0.0] * total

    def sep(a: int, b: int) -> float:
        return reach[a] + width[b] / 2 + (24 if width[a] and width[b] else 12)

    for lv in order:
        at = 0.0
        for p, i in enumerate(lv):
            at = at + sep(lv[p - 1], i) if p else 0.0
            x[i] = at
        shift = x[lv[-1]] / 2 if lv else 0.0
        for i in lv:
            x[i] -= shift
    for sweep in range(8):
        levels = range(len(order)) if sweep % 2 == 0 else range(len(order) - 1, -1, -1)
        for li in levels:
            lv = order[li]
            want = []
            for i in lv:
                nb = up[i] + down[i]
                want.append(sum(x[j] for j in nb) / len(nb) if nb else x[i])
            left, right = list(want), list(want)
            for p in range(1, len(lv)):
                left[p] = max(want[p], left[p - 1] + sep(lv[p - 1], lv[p]))
            for p in range(len(lv) - 2, -1, -1):
                right[p] = min(want[p], right[p + 1] - sep(lv[p], lv[p + 1]))
            for p, i in enumerate(lv):
                x[i] = (left[p] + right[p]) / 2
    low = min((x[i] - width[i] / 2 for i in range(total)), default=0.0)
    x = [v - low + _MARGIN for v in x]
    # 5. y: each layer as tall as a node plus the value labels under its nodes.
    ys, at = [], float(_MARGIN)
    for lv in order:
        ys.append(at)
        lines = max((len(view.nodes[i].writes) for i in lv if i < n), default=0)
        at += _NODE_H + lines * _ROW + _GAP
    routes = {}
    for e, path in routes_nodes.items():
        pts = [(x[path[0]], ys[layer[path[0]]] + _NODE_H)]
        for d in path[1:-1]:
            pts += [(x[d], ys[layer[d]]), (x[d], ys[layer[d]] + _NODE_H)]
        pts.append((x[path[-1]], ys[layer[path[-1]]]))
        routes[e] = pts
    right_edge = max((x[i] + reach[i] for i in range(total)), default=0.0)
    return Layout(x[:n], ys, layer[:n], width[:n], routes, (right_edge + _MARGIN, at))


def _node_width(node: Node) -> float:
    return float(min(max(150, 7 * max(len(node.title), len(node.subtitle) * 0.85) + 24), 260))


# -- The page -----------------------------------------------------------------------

def colours(groups: list[str]) -> dict[str, str]:
    """The fill of each legend entry: Ember's kernels blue, XNNPACK orange, other
    backends from a palette in name order."""
    out = {KERNELS: KERNEL_COLOUR, "input / output": IO_COLOUR, "control": CONTROL_COLOUR}
    others = sorted(g for g in set(groups) if g not in out and g not in BACKEND_COLOURS)
    out.update({g: BACKEND_COLOURS[g] for g in groups if g in BACKEND_COLOURS})
    out.update({g: PALETTE[i % len(PALETTE)] for i, g in enumerate(others)})
    return out


def _value_line(values: list[dict], v: int, roles: dict[int, str]) -> str:
    x = values[v]
    role = roles.get(v, "").split(" ")[0]
    tag = f" ({roles[v]})" if v in roles else ""
    return f"v{v} {type_text(x)}  {where_text(x, role)}{tag}"


def _write_label(view: MethodView, v: int) -> str:
    """The label under a value's writer: 'f32[1,8,16,16] · mem 1 @ 0, 8192 B'."""
    x = view.graph["values"][v]
    return f"{type_text(x)} \u00b7 {where_text(x, view.roles.get(v, '').split(' ')[0])}"


def _tooltip(view: MethodView, node: Node) -> str:
    values = view.graph["values"]
    lines = [f"{node.title}  {node.subtitle}".strip()]
    if node.source:
        lines.append(f"source: {node.source}")
    for b, why in node.refused.items():
        lines.append(f"FALLBACK: {b} refused it: {why}")
    if node.ops:
        lines.append("runs: " + ", ".join(f"{o} x{c}" for o, c in node.ops.items()))
    lines += ["reads " + _value_line(values, v, view.roles) for v in node.reads]
    lines += ["constant " + _value_line(values, v, view.roles) for v in node.constants]
    lines += ["writes " + _value_line(values, v, view.roles) for v in node.writes]
    return "\n".join(lines)


def _svg(view: MethodView, lay: Layout, fills: dict[str, str], mid: str) -> str:
    values = view.graph["values"]
    w, h = lay.size
    out = [f'<svg class="graph" id="{mid}-svg" xmlns="http://www.w3.org/2000/svg" '
           f'width="{w:.0f}" height="{h:.0f}" viewBox="0 0 {w:.0f} {h:.0f}" '
           f'data-nodes="{len(view.nodes)}">',
           f'<defs><marker id="{mid}-arrow" viewBox="0 0 8 8" refX="8" refY="4" '
           'markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L8,4 L0,8 z" '
           'fill="#777"/></marker></defs>']
    for (u, v), vals in view.edges.items():
        pts = lay.routes[(u, v)]
        d = f"M{pts[0][0]:.1f},{pts[0][1]:.1f}"
        for (x0, y0), (x1, y1) in pairwise(pts):
            if x0 == x1:
                d += f" L{x1:.1f},{y1:.1f}"
            else:
                m = (y0 + y1) / 2
                d += f" C{x0:.1f},{m:.1f} {x1:.1f},{m:.1f} {x1:.1f},{y1:.1f}"
        tip = "\n".join(_value_line(values, x, view.roles) for x in vals)
        out.append(f'<path class="edge" d="{d}" marker-end="url(#{mid}-arrow)">'
                   f"<title>{_e(tip)}</title></path>")
    for i, node in enumerate(view.nodes):
        cx, top, nw = lay.x[i], lay.y[lay.layer[i]], lay.width[i]
        cls = "node fallback" if node.refused else "node"
        href = f"#{mid}-row-{node.key}"
        out.append(f'<g class="{cls}" id="{mid}-{node.key}" data-kind="{node.kind}">'
                   f'<title>{_e(_tooltip(view, node))}</title><a href="{href}">'
                   f'<rect x="{cx - nw / 2:.1f}" y="{top:.1f}" width="{nw:.0f}" '
                   f'height="{_NODE_H}" rx="6" fill="{fills[node.group]}"/>'
                   f'<text x="{cx:.1f}" y="{top + 18:.1f}" class="t">'
                   f"{_e(_clip(node.title, 34))}</text>"
                   f'<text x="{cx:.1f}" y="{top + 34:.1f}" class="s">'
                   f"{_e(_clip(node.subtitle, 40))}</text></a>")
        for k, v in enumerate(node.writes):
            text = _write_label(view, v)
            out.append(f'<text class="v" x="{cx + 6:.1f}" y="{top + _NODE_H + 11 + k * _ROW:.1f}">'
                       f"{_e(text)}</text>")
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out)


def _value_cell(view: MethodView, node: Node) -> str:
    values = view.graph["values"]
    lines = [("reads", node.reads), ("const", node.constants), ("writes", node.writes)]
    return "<br>".join(f"<b>{what}</b> {_e(_value_line(values, v, view.roles))}"
                       for what, vs in lines for v in vs) or "-"


def _tables(view: MethodView, mid: str, has_debug: bool) -> str:
    rows = []
    for node in view.nodes:
        if node.instruction is None:   # inputs, outputs, buffers
            continue
        runs = f"{_e(node.kind)}: {_e(node.title)}"
        if node.ops:
            runs += "<br><small>" + _e(", ".join(f"{o} x{c}" for o, c in node.ops.items()))
            runs += "</small>"
        elif node.kind == "kernel" and has_debug:
            runs += "<br><small>" + _e(node.subtitle.split(" ", 1)[-1]) + "</small>"
        for b, r in node.refused.items():
            runs += f'<br><span class="why">{_e(b)} refused it: {_e(r)}</span>'
        cls = ' class="fallback"' if node.refused else ""
        rows.append(f'<tr id="{mid}-row-{node.key}"{cls}><td><a href="#{mid}-{node.key}">'
                    f"{node.instruction}</a></td><td>{runs}</td>"
                    f'<td class="vals">{_value_cell(view, node)}</td>'
                    f"<td>{_e(node.source) or '-'}</td></tr>")
    fallbacks = [n for n in view.nodes if n.refused]
    if not has_debug:
        fb = ('<p class="note">Fallbacks: unknown. The reasons why a backend refused an op '
              "are in the debug info, not in the .pte: save it at export "
              "(<code>prog.save_debug_info(\"model.debug.json\")</code>) and give it with "
              "<code>--debug-info model.debug.json</code>.</p>")
    elif not fallbacks:
        fb = "<p>Fallbacks: none (no op a backend was asked to take was refused).</p>"
    else:
        items = "".join(
            f'<tr><td><a href="#{mid}-{n.key}">{n.instruction}</a></td><td>{_e(n.title)}</td>'
            f"<td>{_e(n.source) or '-'}</td><td>"
            + "<br>".join(_e(f"{b}: {r}") for b, r in n.refused.items()) + "</td></tr>"
            for n in fallbacks)
        fb = (f'<h3>Fallbacks: {len(fallbacks)}</h3><table class="fallbacks"><tr><th>#</th>'
              f"<th>op</th><th>source</th><th>why</th></tr>{items}</table>")
    return (fb + '<h3>Instructions</h3><table class="instructions"><tr><th>#</th>'
            "<th>runs</th><th>values</th><th>source</th></tr>" + "\n".join(rows) + "</table>")


_CSS = """
body{font-family:system-ui,sans-serif;margin:12px;color:#222}
h1{font-size:20px;margin:4px 0} h2{font-size:17px;margin:18px 0 4px} h3{font-size:14px}
.legend span{display:inline-block;margin-right:14px} .sw{display:inline-block;width:12px;
height:12px;border:1px solid #555;vertical-align:middle;margin-right:4px}
.body{display:flex;gap:12px;align-items:flex-start}
.pane{overflow:auto;max-height:86vh;border:1px solid #ccc}
.gpane{flex:3} .side{flex:2;font-size:12px;padding:0 6px}
svg .edge{fill:none;stroke:#777;stroke-width:1.3} svg .edge:hover{stroke:#000;stroke-width:3}
svg rect{stroke:#444;stroke-width:1} svg .fallback rect{stroke:@FALLBACK@;stroke-width:3}
svg text{text-anchor:middle;font-size:12px}
svg .t{font-weight:600} svg .s{font-size:10px;fill:#333}
svg .v{text-anchor:start;font-size:10px;fill:#555;stroke:#fff;stroke-width:3px;
paint-order:stroke} svg g:target rect{stroke:#000;stroke-width:4}
table{border-collapse:collapse} td,th{border:1px solid #ccc;padding:2px 4px;vertical-align:top}
tr.fallback td{background:#fde8e8} tr:target td{background:#fff3b0} .note{color:#8a4b00}
td.vals{white-space:nowrap} .why{color:#a30000} table.instructions td:nth-child(2){min-width:200px}
.zoom button{margin-right:4px}
"""

_SCRIPT = """
for (const sec of document.querySelectorAll('section.method')) {
  const svg = sec.querySelector('svg.graph'); if (!svg) continue;
  const w0 = +svg.getAttribute('width'), h0 = +svg.getAttribute('height');
  let scale = 1;
  const zoom = s => { scale = s; svg.setAttribute('width', w0 * s);
                      svg.setAttribute('height', h0 * s); };
  for (const b of sec.querySelectorAll('.zoom button')) b.onclick = () => {
    const pane = sec.querySelector('.gpane');
    zoom(b.dataset.z === 'fit' ? Math.min(1, (pane.clientWidth - 4) / w0)
                               : scale * (+b.dataset.z)); };
  // Open on the graph's start: its top layer's leftmost node (a wide graph
  // would otherwise show empty canvas).
  const pane = sec.querySelector('.gpane');
  let first = null;
  for (const r of svg.querySelectorAll('g.node rect')) {
    const b = r.getBBox();
    if (!first || b.y < first.y - 1 || (Math.abs(b.y - first.y) <= 1 && b.x < first.x)) first = b;
  }
  if (first) pane.scrollLeft = Math.max(0, first.x - 20);
  const box = svg.getBBox();
  svg.dataset.drawn = svg.querySelectorAll('g.node').length + ' nodes, ' +
      Math.round(box.width) + 'x' + Math.round(box.height);
}
document.body.dataset.graphView = 'ready';
"""


def render_html(info: dict, debug: list[dict] | None = None, debug_path: str = "") -> str:
    """The page for `info` (ember.cli._inspect(path, graph=True)); `debug`: the
    debug-info entries (load_debug_info), or None. ValueError when the debug
    info belongs to another program."""
    views = [build_view(m["graph"], debug) for m in info["methods"]]
    groups = [n.group for v in views for n in v.nodes]
    fills = colours(groups)
    counts: dict[str, int] = {}
    for g in groups:
        counts[g] = counts.get(g, 0) + 1
    legend = "".join(
        f'<span><i class="sw" style="background:{fills[g]}"></i>{_e(g)} ({counts[g]})</span>'
        for g in fills if g in counts)
    nfall = sum(1 for v in views for n in v.nodes if n.refused)
    legend += (f'<span><i class="sw" style="border:3px solid {FALLBACK_COLOUR}"></i>'
               f"fallback: a backend refused the op ({nfall if debug is not None else '?'})"
               "</span>")
    file = _e(info["file"])
    if debug is None:
        about = ("No debug info: kernel calls are named by their kernel, delegates by their "
                 "backend; Edge ops, source lines and fallback reasons need "
                 f"<code>ember inspect --html {file} --debug-info model.debug.json</code> "
                 "(<code>ExecutorchProgramManager.save_debug_info</code>, or "
                 "<code>ember export --debug-info</code>).")
    else:
        about = f"Debug info: {_e(debug_path) or 'given'}."
    sections = []
    for k, (m, view) in enumerate(zip(info["methods"], views, strict=True)):
        mid = f"m{k}"
        ins = m["instructions"]
        summary = (f"{plural(m['num_instructions'], 'instruction')} "
                   f"({plural(ins['kernel_calls'], 'kernel call')}, "
                   f"{plural(ins['delegate_calls'], 'delegate call')}), "
                   f"{plural(len(view.nodes), 'node')}; planned "
                   f"memory {m['planned_memory']} B in buffers "
                   + (", ".join(f"mem {i + 1}: {s} B"
                                for i, s in enumerate(m["planned_buffer_sizes"])) or "none"))
        if not view.graph["instructions"]:
            outs = ", ".join(type_text(view.graph["values"][v]) for v in view.graph["outputs"])
            sections.append(f'<section class="method" id="{mid}"><h2>method {_e(m["name"])}'
                            f"</h2><p>No instructions: returns {_e(outs) or 'nothing'}.</p>"
                            "</section>")
            continue
        lay = layout(view)
        sections.append(
            f'<section class="method" id="{mid}"><h2>method {_e(m["name"])}</h2>'
            f"<p>{_e(summary)}</p><div class=\"zoom\">zoom <button data-z=\"0.8\">-</button>"
            '<button data-z="1.25">+</button><button data-z="fit">fit</button></div>'
            f'<div class="body"><div class="pane gpane">{_svg(view, lay, fills, mid)}</div>'
            f'<div class="pane side">{_tables(view, mid, debug is not None)}</div></div>'
            "</section>")
    nav = " ".join(f'<a href="#m{k}">{_e(m["name"])}</a>' for k, m in enumerate(info["methods"]))
    title = _e(f"Ember graph view: {info['file']}")
    css = _CSS.replace("@FALLBACK@", FALLBACK_COLOUR)
    return (f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{title}</title>'
            f"<style>{css}</style></head><body>\n<h1>{title}</h1>"
            f"<p>{info['file_size']} bytes, {plural(len(info['methods']), 'method')}: {nav}. "
            f"{about}</p>"
            f'<div class="legend">{legend}</div>\n' + "\n".join(sections)
            + f"\n<script>{_SCRIPT}</script></body></html>\n")


def save_html(pte: str | os.PathLike, out: str | os.PathLike, debug_info: Any = None) -> str:
    """Write the graph view of the .pte (or .bpte) at `pte` to `out`, with the
    debug info (a save_debug_info path, a program manager or its entries) when
    given. Returns what it drew: "1 method, 12 instructions[, 2 fallbacks]".
    EmberError for a file that does not load, ValueError for debug info that
    is not a debug-info file or belongs to another program, OSError."""
    from ..cli import _inspect  # the command line's reading of the file

    info = _inspect(os.fspath(pte), graph=True)
    debug = load_debug_info(debug_info) if debug_info is not None else None
    label = os.fspath(debug_info) if isinstance(debug_info, (str, os.PathLike)) else ""
    page = render_html(info, debug, label)
    with open(out, "w", encoding="utf-8") as f:
        f.write(page)
    what = (f"{plural(len(info['methods']), 'method')}, "
            f"{plural(sum(m['num_instructions'] for m in info['methods']), 'instruction')}")
    if debug is not None:
        what += ", " + plural(sum(1 for e in debug if e.get("refused")), "fallback")
    return what
