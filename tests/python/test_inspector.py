"""The Inspector: profile events tied to Edge ops and the user's source lines
through the debug info the compiler records per instruction."""

from __future__ import annotations

import inspect

import pytest
import torch

import ember
from ember.devtools import Inspector
from ember.partitioners import XnnpackPartitioner


class HeavyConv(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(16, 64, 3, padding=1)
        self.fc = torch.nn.Linear(64, 8)

    def forward(self, x):
        y = self.conv(x)  # LINE:conv
        y = torch.relu(y).mean(dim=(2, 3))  # LINE:relu
        return self.fc(y).cumsum(-1)  # LINE:fc


def _line(tag: str) -> str:
    lines, first = inspect.getsourcelines(HeavyConv.forward)
    for i, text in enumerate(lines):
        if f"# LINE:{tag}" in text:
            return f"{__file__}:{first + i}"
    raise AssertionError(tag)


@pytest.fixture(scope="module")
def compiled():
    torch.manual_seed(0)
    model = HeavyConv().eval()
    x = torch.randn(1, 16, 48, 48)
    prog = ember.to_edge(torch.export.export(model, (x,))).to_executorch()
    return prog, x


def test_debug_info_names_every_call_and_its_source_lines(compiled):
    prog, _ = compiled
    info = prog.debug_info
    assert [d["instruction"] for d in info] == list(range(len(info)))
    assert {d["method"] for d in info} == {"forward"}
    by_op = {d["op"]: d for d in info}
    # The convolution and the relu fused into it (channels-last, the clamp
    # in the convolution): both lines; the permute of the input to NHWC is
    # the convolution's too.
    conv = by_op["edge.convolution_nhwc"]
    assert conv["target"] == "ember::convolution_nhwc.out"
    assert conv["source"].split("; ") == [_line("conv"), _line("relu")]
    assert by_op["edge.permute"]["source"] == conv["source"]
    assert _line("fc") in by_op["edge.addmm"]["source"]


def test_the_slowest_source_line_is_the_convolution(compiled, tmp_path):
    prog, x = compiled
    prog.save(tmp_path / "m.pte")
    prog.save_debug_info(tmp_path / "m.debug.json")
    profile = ember.runtime.load(tmp_path / "m.pte").profile(x, runs=3)
    insp = Inspector(tmp_path / "m.debug.json", profile)
    top = insp.by_source()[0]
    assert _line("conv") in top.source and "edge.convolution_nhwc" in top.ops
    at_line = sum(d["source"] == top.source for d in prog.debug_info)  # with its permute
    assert top.calls == 3 * at_line and top.share > 0.5
    assert sum(r.calls for r in insp.rows) == 3 * len(prog.debug_info)
    assert abs(sum(r.share for r in insp.rows) - 1.0) < 0.05
    assert "edge.convolution_nhwc" in insp.table().splitlines()[2]  # the first row
    insp.save_html(tmp_path / "m.html")
    page = (tmp_path / "m.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "By source line" in page
    assert _line("conv").replace("<", "&lt;") in page
    # The program manager itself works as the debug info.
    assert Inspector(prog, profile).rows == insp.rows


def test_a_delegate_points_at_every_line_it_runs():
    model = HeavyConv().eval()
    x = torch.randn(1, 16, 8, 8)
    ep = torch.export.export(model, (x,))
    prog = ember.to_edge_transform_and_lower(ep, partitioner=[XnnpackPartitioner()]).to_executorch()
    calls = [d for d in prog.debug_info if d["op"] == "edge.delegate_call"]
    assert calls and calls[0]["target"] == "XnnpackBackend"
    lines = calls[0]["source"].split("; ")
    assert _line("conv") in lines and _line("fc") in lines


def test_debug_info_of_another_program_is_refused(compiled, tmp_path):
    prog, x = compiled
    other = ember.to_edge(torch.export.export(torch.nn.Linear(4, 4), (torch.randn(1, 4),)))
    other_prog = other.to_executorch()
    profile = ember.runtime.load(prog.buffer).profile(x)
    with pytest.raises(ValueError, match="another program"):
        Inspector(other_prog, profile)
    bad = tmp_path / "bad.json"
    bad.write_text('{"something": 1}')
    with pytest.raises(ValueError, match="not a debug-info file"):
        Inspector(bad, profile)
    with pytest.raises(TypeError):
        Inspector(3, profile)
