"""The user guide's examples run: every ```python block of each docs/guide page,
in order, in one namespace, in an empty folder (the pages say so). The
embedding page's ```cmake and ```cpp blocks are built against an install of
the runtime and run on the .pte its python block wrote. docs/guide/api.md is
what scripts/gen_api_docs.py writes from the docstrings, and the index lists
every page."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest
import torch

import ember

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "guide"
# The pages with examples; README.md is the index, api.md the generated reference.
PAGES = sorted(p for p in GUIDE.glob("*.md") if p.name not in ("README.md", "api.md"))
EMBEDDING = GUIDE / "embedding.md"

sys.path.insert(0, str(ROOT / "tests" / "embed"))
import embed_build  # noqa: E402 - tests/embed's helper, found through the path above


def _blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"^```{lang}\n(.*?)^```$", text, flags=re.S | re.M)


def test_the_guide_has_pages_with_examples():
    assert [p.name for p in PAGES] == [
        "backends.md", "devtools.md", "dynamic-shapes.md", "embedding.md", "exporting.md",
        "getting-started.md", "llms.md", "quantization.md", "troubleshooting.md"]
    for page in PAGES:
        assert _blocks(page.read_text(), "python"), page.name


def test_the_index_lists_every_page_in_reading_order():
    index = (GUIDE / "README.md").read_text()
    linked = re.findall(r"^\d+\. \[[^\]]+\]\(([\w.-]+\.md)\)", index, flags=re.M)
    assert sorted(linked) == sorted([p.name for p in PAGES] + ["api.md"]), linked
    assert linked[0] == "getting-started.md" and linked[-1] == "api.md", linked
    assert "docs/guide/README.md" in (ROOT / "README.md").read_text()


def _run_page(page: Path, folder: Path, monkeypatch) -> dict:
    """Run the page's python blocks in order in `folder`, as a script there
    would (the folder on sys.path); returns their namespace. The process's
    thread count is restored after, whatever the page set."""
    monkeypatch.chdir(folder)
    monkeypatch.syspath_prepend(str(folder))
    threads = ember.runtime.get_num_threads()
    namespace: dict = {"__name__": f"guide_{page.stem}"}
    try:
        for i, block in enumerate(_blocks(page.read_text(), "python")):
            code = compile(block, f"{page.name}[python block {i}]", "exec")
            exec(code, namespace)  # noqa: S102 - the guide's own examples
    finally:
        ember.runtime.set_num_threads(threads)
    return namespace


@pytest.mark.parametrize("page", [p for p in PAGES if p != EMBEDDING],
                         ids=[p.stem for p in PAGES if p != EMBEDDING])
def test_guide_examples_run(page, tmp_path, monkeypatch):
    _run_page(page, tmp_path, monkeypatch)


def test_embedding_page_app_builds_and_runs(tmp_path, monkeypatch):
    text = EMBEDDING.read_text()
    namespace = _run_page(EMBEDDING, tmp_path, monkeypatch)
    if embed_build.CMAKE is None:
        pytest.skip("cmake is not on PATH")  # as tests/embed
    (cmake_block,), (cpp_block,) = _blocks(text, "cmake"), _blocks(text, "cpp")
    app = embed_build.WORK / "guide-app"  # kept: the next run rebuilds only what changed
    app.mkdir(parents=True, exist_ok=True)
    for name, content in (("CMakeLists.txt", cmake_block), ("main.cpp", cpp_block)):
        if not (app / name).is_file() or (app / name).read_text() != content:
            (app / name).write_text(content)
    with embed_build.runtime_install() as prefix:
        embed_build.configure(app, app / "build", f"-DCMAKE_PREFIX_PATH={prefix}")
        embed_build.run(embed_build.CMAKE, "--build", app / "build")
        out = embed_build.run(app / "build" / "mlp_app", tmp_path / "mlp.pte").stdout

    # What the page says it prints: the dtype and sizes, then PyTorch's values.
    lines = out.splitlines()
    assert lines[0] == "output: float32 [2, 4]", out
    got = torch.tensor([[float(v) for v in line.split()] for line in lines[1:]])
    torch.testing.assert_close(got, namespace["expected"], rtol=0, atol=2e-6)


def test_api_reference_is_generated_from_the_docstrings():
    spec = importlib.util.spec_from_file_location("gen_api_docs",
                                                  ROOT / "scripts" / "gen_api_docs.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    text = gen.render()
    assert (GUIDE / "api.md").read_text() == text, (
        "docs/guide/api.md is out of date: run scripts/gen_api_docs.py")
    # Every public name of every module has its entry.
    for module_name, names in gen.SECTIONS:
        module = importlib.import_module(module_name)
        for name in names if names is not None else module.__all__:
            if not isinstance(getattr(module, name), type(ember)):  # submodules: own section
                assert f"`{module_name}.{name}`" in text, f"{module_name}.{name}"
