import sys
from pathlib import Path

# opcheck.py sits beside the per-op tests.
sys.path.insert(0, str(Path(__file__).resolve().parent))
