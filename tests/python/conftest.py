import sys
from pathlib import Path

import pytest
import torch

# The example models are shared with the demo.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples"))


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
