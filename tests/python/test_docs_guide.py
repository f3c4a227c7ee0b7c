"""The user guide's examples run: every ```python block of each docs/guide page,
in order, in one namespace, in an empty folder (the pages say so)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "guide"
PAGES = sorted(GUIDE.glob("*.md"))


def _python_blocks(text: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```$", text, flags=re.S | re.M)


def test_the_guide_has_pages_with_examples():
    assert [p.name for p in PAGES] == ["exporting.md", "getting-started.md", "llms.md",
                                      "quantization.md"]
    for page in PAGES:
        assert _python_blocks(page.read_text()), page.name


@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_guide_examples_run(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": f"guide_{page.stem}"}
    for i, block in enumerate(_python_blocks(page.read_text())):
        code = compile(block, f"{page.name}[python block {i}]", "exec")
        exec(code, namespace)  # noqa: S102 - the guide's own examples
