"""`ember inspect --html`: the graph view (ember.devtools.graph_view).

The page of a small CNN lowered with XnnpackPartitioner, with two ops XNNPACK
refuses (tanh, and a 7x7 depthwise convolution), is read back with an HTML
parser and checked against `_inspect`'s graph, which is itself checked against
flatc's reading of the same flatbuffer. Then: the page without the debug
info, several methods, a ~300-node ResNet-like layout, the command's errors, and
Debian's chromium loading the page: its script ran, and its screenshot holds the
backends' colours.
"""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import sys
import time
import zlib
from html.parser import HTMLParser
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest
import torch

import ember
from ember.cli import _inspect
from ember.devtools import graph_view
from ember.partitioners import XnnpackPartitioner

REFUSALS = {"tanh": "tanh: not in XNNPACK 2022",
            "depthwise": "depthwise window of 49 taps"}


class SmallCnn(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.dw = torch.nn.Conv2d(8, 8, 7, padding=3, groups=8)   # XNNPACK refuses: 49 taps
        self.conv2 = torch.nn.Conv2d(8, 8, 3, padding=1)
        self.fc = torch.nn.Linear(8, 5)

    def forward(self, x):
        y = torch.relu(self.conv(x))
        y = torch.tanh(y)                                          # XNNPACK refuses tanh
        y = self.dw(y)
        z = torch.relu(self.conv2(y)) + y
        return self.fc(z.mean(dim=(2, 3)))


@pytest.fixture(scope="module")
def cnn(tmp_path_factory):
    """(the .pte path, the debug-info path) of SmallCnn lowered with XNNPACK."""
    d = tmp_path_factory.mktemp("graph_view")
    ep = torch.export.export(SmallCnn().eval(), (torch.randn(1, 3, 16, 16),))
    prog = ember.to_edge_transform_and_lower(ep, partitioner=[XnnpackPartitioner()])
    prog = prog.to_executorch()
    prog.save(d / "cnn.pte")
    prog.save_debug_info(d / "cnn.debug.json")
    return d / "cnn.pte", d / "cnn.debug.json"


class _Page(HTMLParser):
    """The page's node groups (id, class, kind, fill, hover text, label texts)
    and table rows (id, class, cell texts)."""

    def __init__(self, text: str):
        super().__init__()
        self.nodes: dict[str, dict] = {}
        self.rows: dict[str, dict] = {}
        self._node = self._row = None
        self._field: str | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "g" and "node" in a.get("class", ""):
            self._node = self.nodes[a["id"]] = {"class": a["class"], "kind": a["data-kind"],
                                                "title": "", "texts": []}
        elif self._node is not None and tag == "rect":
            self._node["fill"] = a["fill"]
        elif self._node is not None and tag in ("title", "text"):
            self._field = tag
            if tag == "text":
                self._node["texts"].append("")
        elif tag == "tr" and "id" in a:
            self._row = self.rows[a["id"]] = {"class": a.get("class", ""), "text": ""}

    def handle_endtag(self, tag):
        if tag == "g":
            self._node = None
        elif tag in ("title", "text"):
            self._field = None
        elif tag == "tr":
            self._row = None

    def handle_data(self, data):
        if self._node is not None and self._field == "title":
            self._node["title"] += data
        elif self._node is not None and self._field == "text":
            self._node["texts"][-1] += data
        if self._row is not None:
            self._row["text"] += data + " "


def _type(v: dict) -> str:
    return f"f32[{','.join(map(str, v['sizes']))}]"


def _memory(v: dict) -> str:
    return f"mem {v['memory_id']} @ {v['offset']}, {v['nbytes']} B"


def test_page_shows_instructions_backends_fallbacks_shapes_and_offsets(cnn):
    pte, debug_path = cnn
    info = _inspect(pte, graph=True)
    debug = graph_view.load_debug_info(debug_path)
    page = _Page(graph_view.render_html(info, debug, str(debug_path)))
    graph = info["methods"][0]["graph"]
    values = graph["values"]
    by_index = {e["instruction"]: e for e in debug}
    # Every instruction is a node, coloured by what runs it; inputs and outputs too.
    assert len(page.nodes) == len(graph["instructions"]) + len(graph["inputs"]) + 1
    kinds = [ins["kind"] for ins in graph["instructions"]]
    assert "delegate" in kinds and "kernel" in kinds
    for ins in graph["instructions"]:
        node = page.nodes[f"m0-i{ins['index']}"]
        assert node["kind"] == ins["kind"]
        entry = by_index[ins["index"]]
        if ins["kind"] == "delegate":
            assert node["fill"] == graph_view.BACKEND_COLOURS["XnnpackBackend"]
            assert node["texts"][0] == "XnnpackBackend"
            ops = entry["delegated_ops"]
            assert ops and f"{sum(ops.values())} ops" in node["texts"][1]
        else:
            assert node["fill"] == graph_view.KERNEL_COLOUR
            assert node["texts"][0] == entry["op"]          # the Edge op
            assert graph["operators"][ins["target"]] in node["texts"][1]   # the kernel
        # Each value the instruction writes: its shape and planned memory under it.
        out = [v for v in ins["args"] if values[v]["kind"] == "Tensor" and values[v]["planned"]]
        assert out, ins
        assert f"{_type(values[out[-1]])} \u00b7 {_memory(values[out[-1]])}" in node["texts"]
        row = page.rows[f"m0-row-i{ins['index']}"]
        assert _memory(values[out[-1]]) in row["text"]
        # Fallbacks: outlined, with the reason on hover and in the side table.
        assert ("fallback" in node["class"]) == bool(entry["refused"])
        for why in entry["refused"].values():
            assert why in node["title"] and why in row["text"]
            assert "fallback" in row["class"]
    refused = [n for n in page.nodes.values() if "fallback" in n["class"]]
    assert len(refused) == 2
    for key, why in REFUSALS.items():
        assert sum(why in n["title"] for n in refused) == 1, (key, [n["title"] for n in refused])
    # The depthwise convolution runs on Ember's kernels with its constant weight.
    dw = next(n for n in refused if REFUSALS["depthwise"] in n["title"])
    weight = next(v for v in values if v["kind"] == "Tensor" and v["sizes"] == [8, 1, 7, 7])
    assert f"constant #{weight['data_buffer_idx']}, {weight['nbytes']} B" in dw["title"]
    inp = values[graph["inputs"][0]]
    assert f"{_type(inp)} \u00b7 {_memory(inp)}" in page.nodes["m0-in0"]["texts"]


def _flatc_plan(pte, tmp_path) -> dict:
    """The first plan as flatc (the FlatBuffers compiler, Debian's
    flatbuffers-compiler) reads the file's flatbuffer with the schema: a
    reading independent of the runtime's code."""
    data = pte.read_bytes()
    if data[8:12] == b"eh00":
        data = data[:struct.unpack_from("<Q", data, 16)[0]]
    (tmp_path / "p.bin").write_bytes(data)
    schema = Path(__file__).resolve().parents[2] / "serializer" / "schema" / "program.fbs"
    r = subprocess.run(["flatc", "--json", "--strict-json", "--raw-binary", "--defaults-json",
                        "-o", str(tmp_path), str(schema), "--", str(tmp_path / "p.bin")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return json.loads((tmp_path / "p.json").read_text())["execution_plan"][0]


@pytest.mark.skipif(shutil.which("flatc") is None,
                    reason="flatc is not installed (apt-get install flatbuffers-compiler)")
def test_method_graph_matches_flatc_reading(cnn, tmp_path):
    pte, _ = cnn
    graph = _inspect(pte, graph=True)["methods"][0]["graph"]
    plan = _flatc_plan(pte, tmp_path)
    assert len(graph["values"]) == len(plan["values"])
    for got, ev in zip(graph["values"], plan["values"], strict=True):
        assert got["kind"] == ev["val_type"]
        if got["kind"] != "Tensor":
            continue
        t = ev["val"]
        assert got["sizes"] == t["sizes"] and got["data_buffer_idx"] == t["data_buffer_idx"]
        a = t.get("allocation_info")
        assert got["planned"] == (a is not None)
        if a is not None:
            assert got["memory_id"] == a["memory_id"]
            assert got["offset"] == a["memory_offset_low"] | (a["memory_offset_high"] << 32)
    assert graph["inputs"] == plan["inputs"] and graph["outputs"] == plan["outputs"]
    instructions = plan["chains"][0]["instructions"]
    assert len(graph["instructions"]) == len(instructions)
    for got, ins in zip(graph["instructions"], instructions, strict=True):
        a = ins["instr_args"]
        assert got["kind"] == {"KernelCall": "kernel", "DelegateCall": "delegate"}[
            ins["instr_args_type"]]
        assert got["args"] == a["args"]
        assert got["target"] == a.get("op_index", a.get("delegate_index"))
    assert graph["delegates"] == [d["id"] for d in plan["delegates"]]
    assert graph["operators"] == [o["name"] + (f".{o['overload']}" if o["overload"] else "")
                                  for o in plan["operators"]]


def test_page_without_debug_info_names_kernels_and_says_what_is_missing(cnn):
    pte, _ = cnn
    info = _inspect(pte, graph=True)
    text = graph_view.render_html(info)
    page = _Page(text)
    graph = info["methods"][0]["graph"]
    assert not [n for n in page.nodes.values() if "fallback" in n["class"]]
    assert "--debug-info" in text and "save_debug_info" in text
    for ins in graph["instructions"]:
        node = page.nodes[f"m0-i{ins['index']}"]
        want = (graph["operators"][ins["target"]] if ins["kind"] == "kernel"
                else graph["delegates"][ins["target"]])
        assert node["texts"][0] == want


def test_strings_are_escaped(cnn):
    pte, debug_path = cnn
    debug = graph_view.load_debug_info(debug_path)
    nasty = '<img src=x onerror="alert(1)"> & "q"'
    for e in debug:
        e["source"] = nasty
        e["refused"] = {k: nasty for k in e["refused"]}
    text = graph_view.render_html(_inspect(pte, graph=True), debug, nasty)
    assert "<img" not in text
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; &quot;q&quot;" in text


def test_several_methods_and_a_constant_method(tmp_path):
    class Add(torch.nn.Module):
        def forward(self, x, y):
            return x + y

    class Scale(torch.nn.Module):
        def forward(self, x):
            return x * 2.0

    x = torch.randn(2, 3)
    prog = ember.to_edge({"forward": torch.export.export(Add(), (x, x)),
                          "scale": torch.export.export(Scale(), (x,))},
                         constant_methods={"get_n": 7}).to_executorch()
    prog.save(tmp_path / "m.pte")
    info = _inspect(tmp_path / "m.pte", graph=True)
    assert [m["name"] for m in info["methods"]] == ["forward", "get_n", "scale"]
    text = graph_view.render_html(info)
    page = _Page(text)
    assert {"m0-in0", "m0-in1", "m0-out0", "m2-in0", "m2-out0"} <= set(page.nodes)
    assert "method get_n</h2><p>No instructions: returns Int 7." in text
    assert page.nodes["m0-i0"]["texts"][0] == "aten::add.out"
    assert page.nodes["m2-i0"]["texts"][0] == "aten::mul.out"


def test_a_buffer_is_read_from_its_own_node_and_written_back(tmp_path):
    class Acc(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("acc", torch.zeros(4))

        def forward(self, x):
            self.acc.add_(x.sum(0))
            return self.acc * 2

    batch = torch.export.Dim("batch", min=1, max=8)
    ep = torch.export.export(Acc(), (torch.randn(3, 4),), dynamic_shapes={"x": {0: batch}})
    prog = ember.to_edge(ep).to_executorch()
    prog.save(tmp_path / "acc.pte")
    graph = _inspect(tmp_path / "acc.pte", graph=True)["methods"][0]["graph"]
    view = graph_view.build_view(graph, prog.debug_info)
    buf = next(i for i, v in enumerate(graph["values"]) if v.get("name") == "acc")
    state = next(k for k, n in enumerate(view.nodes) if n.kind == "state")
    assert view.nodes[state].title == "buffer acc" and view.nodes[state].writes == [buf]
    add = next(k for k, n in enumerate(view.nodes) if n.title == "edge.add.Tensor")
    back = next(n for n in view.nodes if n.title == "edge.write_back")
    assert buf in view.edges[(state, add)]
    assert back.writes == [buf] and buf not in back.reads   # copy_ writes the buffer back
    assert view.nodes[0].subtitle == "f32[<=8,4]"           # a dynamic input: its bound


class ResBlock(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.a = torch.nn.Conv2d(4, 4, 3, padding=1)
        self.b = torch.nn.Conv2d(4, 4, 1)

    def forward(self, x):
        return torch.relu(self.b(torch.tanh(torch.relu(self.a(x)))) + x)


def test_a_300_node_graph_is_laid_out_in_layers(tmp_path):
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, padding=1),
                              *[ResBlock() for _ in range(60)]).eval()
    ep = torch.export.export(net, (torch.randn(1, 3, 8, 8),))
    ember.to_edge(ep).to_executorch().save(tmp_path / "res.pte")
    info = _inspect(tmp_path / "res.pte", graph=True)
    start = time.perf_counter()
    view = graph_view.build_view(info["methods"][0]["graph"], None)
    lay = graph_view.layout(view)
    text = graph_view.render_html(info)
    assert time.perf_counter() - start < 5
    assert len(view.nodes) >= 300
    assert text.count('<g class="node"') == len(view.nodes)
    # Edges go down; the skip connections make the graph more than a chain.
    assert all(lay.layer[u] < lay.layer[w] for u, w in view.edges)
    assert sum(lay.layer[w] - lay.layer[u] > 1 for u, w in view.edges) >= 60
    # No two nodes of a layer overlap.
    by_layer: dict[int, list[int]] = {}
    for i, layer in enumerate(lay.layer):
        by_layer.setdefault(layer, []).append(i)
    for nodes in by_layer.values():
        nodes.sort(key=lambda i: lay.x[i])
        for a, b in pairwise(nodes):
            assert lay.x[b] - lay.x[a] >= (lay.width[a] + lay.width[b]) / 2
    assert max(lay.x) - min(lay.x) < 1000   # a chain with side branches, not a spread


def _ember(*args):
    return subprocess.run([sys.executable, "-m", "ember", *args], capture_output=True, text=True)


def test_command_writes_the_page_and_reports_errors_in_one_line(cnn, tmp_path):
    pte, debug_path = cnn
    out = tmp_path / "view.html"
    r = _ember("inspect", "--html", str(pte), "--debug-info", str(debug_path), "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"wrote {out}: 1 method, ") and ", 2 fallbacks;" in r.stdout
    assert "http" not in out.read_text().replace('xmlns="http://www.w3.org/2000/svg"', "")
    r = _ember("inspect", "--html", str(pte), "-o", str(tmp_path / "plain.html"))
    assert r.returncode == 0 and "fallback" not in r.stdout, r.stderr
    bad = tmp_path / "bad.pte"
    bad.write_bytes(b"\x00" * 8 + b"not a program" * 10)
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"format": "ember-debug-info", "version": 1, "instructions": [
        {"method": "forward", "instruction": 0, "op": "edge.add", "target": "aten::add.out",
         "source": ""}]}))
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json")
    for args, words in [
            ([str(bad)], "cannot load the program"),
            ([str(tmp_path / "missing.pte")], "missing.pte"),
            ([str(pte), "--debug-info", str(other)], "does not match the program"),
            ([str(pte), "--debug-info", str(garbage)], "not a debug-info file"),
            ([str(pte), "-o", str(tmp_path / "no" / "dir.html")], "dir.html")]:
        r = _ember("inspect", "--html", *args)
        assert r.returncode == 1, (args, r.stdout)
        assert r.stderr.startswith("ember: ") and words in r.stderr, (args, r.stderr)
        assert "Traceback" not in r.stderr
    r = _ember("inspect", str(pte), "--debug-info", str(debug_path))
    assert r.returncode == 2 and "go with --html" in r.stderr


# -- In a browser --------------------------------------------------------------------

def _png_rgb(data: bytes) -> np.ndarray:
    """An 8-bit RGB or RGBA PNG (what chromium writes) as an (h, w, 3) array."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat = 8, b""
    while pos < len(data):
        (n,), kind = struct.unpack(">I", data[pos:pos + 4]), data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and colour in (2, 6) and interlace == 0
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    bpp = 3 if colour == 2 else 4
    stride = w * bpp
    raw = zlib.decompress(idat)
    prev = bytearray(stride)
    rows = []
    for r in range(h):
        f, line = raw[r * (stride + 1)], bytearray(raw[r * (stride + 1) + 1:(r + 1) * (stride + 1)])
        cur = np.frombuffer(line, np.uint8).astype(np.int64)
        if f == 1:    # Sub: running sums per channel
            line = bytearray((np.cumsum(cur.reshape(-1, bpp), axis=0) % 256).astype(np.uint8))
        elif f == 2:  # Up
            line = bytearray(((cur + np.frombuffer(prev, np.uint8)) % 256).astype(np.uint8))
        elif f in (3, 4):  # Average, Paeth: byte by byte
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b, c = prev[i], (prev[i - bpp] if i >= bpp else 0)
                if f == 3:
                    line[i] = (line[i] + (a + b) // 2) & 255
                    continue
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return np.frombuffer(b"".join(rows), np.uint8).reshape(h, w, bpp)[:, :, :3]


def _pixels(img: np.ndarray, colour: str) -> int:
    rgb = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
    return int(np.all(img == rgb, axis=2).sum())


@pytest.mark.skipif(shutil.which("chromium") is None,
                    reason="Debian's chromium is not installed (apt-get install chromium)")
def test_chromium_draws_the_page(cnn, tmp_path):
    pte, debug_path = cnn
    page = tmp_path / "cnn.html"
    r = _ember("inspect", "--html", str(pte), "--debug-info", str(debug_path), "-o", str(page))
    assert r.returncode == 0, r.stderr
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000"]
    dom = subprocess.run(["chromium", *flags, "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    # The page's script ran and measured the laid-out SVG.
    assert 'data-graph-view="ready"' in dom.stdout
    n = len(_inspect(pte, graph=True)["methods"][0]["graph"]["instructions"]) + 2
    drawn = dom.stdout.split('data-drawn="', 1)[1].split('"', 1)[0]
    count, size = drawn.split(" nodes, ")
    width, height = map(int, size.split("x"))
    assert int(count) == n and width > 200 and height > 60 * n, drawn
    shot = tmp_path / "cnn.png"
    r = subprocess.run(["chromium", *flags, f"--screenshot={shot}", page.as_uri()],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and shot.exists(), r.stderr[-2000:]
    img = _png_rgb(shot.read_bytes())
    assert img.shape == (1000, 1400, 3)
    # Nodes, not only the legend's swatches (144 pixels each, the fallback's 180):
    # a node's fill covers about 5000 pixels, a fallback's outline about 1000.
    assert _pixels(img, graph_view.BACKEND_COLOURS["XnnpackBackend"]) > 3000
    assert _pixels(img, graph_view.KERNEL_COLOUR) > 3000
    assert _pixels(img, graph_view.FALLBACK_COLOUR) > 1000


def test_kernel_writes_follow_the_runtimes_write_descriptions():
    tensor = {"kind": "Tensor"}
    values = [tensor, tensor, {"kind": "Bool"}, tensor, tensor]
    # copy_(Tensor(a!) self, Tensor src, bool non_blocking) -> self: writes self.
    assert graph_view._written(values, [0, 1, 2, 0], "aten::copy_") == [0, 0]
    # add.out(self, other, alpha, Tensor(a!) out) -> out: the out argument only.
    assert graph_view._written(values, [0, 1, 2, 3, 3], "aten::add.out") == [3, 3]
    # An operator the runtime has no description of: what it returns.
    assert graph_view._written(values, [0, 1, 4], "custom::op.out") == [4]
