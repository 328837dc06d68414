"""The fuzzer (fuzz/arignote_fuzz) is a folder of the repository, not an installed package: its tests import it
from there, and the worker processes it starts inherit this path. The fuzzer's tests share ``worker``."""

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

FUZZ = Path(__file__).resolve().parents[1] / "fuzz"
if str(FUZZ) not in sys.path:
    sys.path.insert(0, str(FUZZ))

from arignote_fuzz.worker import Worker  # noqa: E402 (found through the path above)


@pytest.fixture(scope="module")
def worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Worker]:
    """A fuzz worker process with its own module cache, stopped after the module's tests."""
    running = Worker(tmp_path_factory.mktemp("fuzz-cache"))
    yield running
    running.stop()
