import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))


def pytest_collection_modifyitems(config, items):
    # Full-size models run only when asked for: pytest -m full tests/models
    if "full" in (config.getoption("-m") or ""):
        return
    skip = pytest.mark.skip(reason="full-size model: run with -m full")
    for item in items:
        if "full" in item.keywords:
            item.add_marker(skip)
