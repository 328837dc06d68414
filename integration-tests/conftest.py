"""The fuzzer (fuzz/arignote_fuzz) is a folder of the repository, not an installed package: its tests import it
from there, and the worker processes it starts inherit this path."""

import sys
from pathlib import Path

FUZZ = Path(__file__).resolve().parents[1] / "fuzz"
if str(FUZZ) not in sys.path:
    sys.path.insert(0, str(FUZZ))
