"""What the benchmark scripts share: the line that says where and with what
a table was recorded, and the replacement of one section of docs/benchmarks.md."""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"


def recorded_line(command: str) -> str:
    """"Recorded <date> on <cpu> (<n> cores), torch <v>, executorch <v>, by `<command>`."""
    import torch

    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.processor())
    try:
        from importlib.metadata import version
        et = version("executorch")
    except Exception:  # noqa: BLE001 - a missing peer is reported, not fatal
        et = "not installed"
    return (f"Recorded {time.strftime('%Y-%m-%d')} on {cpu} ({os.cpu_count()} cores), "
            f"torch {torch.__version__}, executorch {et}, by `{command}`.")


def replace_section(lines: list[str], doc: Path | None = None) -> None:
    """Put `lines` (starting with their "## " heading) in place of the section of
    `doc` (default: DOC, docs/benchmarks.md) with that heading, or at the end if it
    has none yet."""
    doc = doc or DOC
    heading = lines[0]
    text = doc.read_text() if doc.exists() else "# Benchmarks\n"
    start = text.find(heading)
    if start >= 0:
        nxt = text.find("\n## ", start + len(heading))
        after = text[nxt + 1:] if nxt >= 0 else ""
        doc.write_text(text[:start] + "\n".join(lines) + "\n" + ("\n" + after if after else ""))
        return
    doc.write_text(text.rstrip() + "\n\n" + "\n".join(lines) + "\n")
