"""Entry points of the installed Arignote parts (backends, modes, C extensions), read once per process.

Each ``importlib.metadata.entry_points`` call scans the metadata of every installed distribution (milliseconds,
more where many packages are installed), and a compiled function's first call would pay it once per group.
"""

from __future__ import annotations

import functools
from importlib.metadata import EntryPoint, entry_points
from typing import Any


@functools.cache
def _installed() -> Any:
    """Every installed entry point: ``EntryPoints`` (``SelectableGroups`` before Python 3.12; both select)."""
    return entry_points()


def entry_points_in(group: str) -> tuple[EntryPoint, ...]:
    """The installed entry points of ``group``."""
    return tuple(_installed().select(group=group))
