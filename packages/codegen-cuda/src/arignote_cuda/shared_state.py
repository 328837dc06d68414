"""Shared variables kept on the device between calls: the value a function stores in a variable's container
(graph-core's ``DeviceValue``) instead of a host array.

A program uploads a device-resident variable's host value once and stores it back as a ``SharedDeviceValue``
(whose host copy is that value); an update computed on the device is stored as one with no host copy, which
``get_value`` makes once (``host``). Device memory is never written in place: an update is a new array, and
the old one's block goes back to its pool when the container lets it go (the next call's update reuses it).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from arignote_core.shared import DeviceValue

from .device_array import DeviceArray


class SharedDeviceValue(DeviceValue):
    """A shared variable's value in device memory: ``array``, and ``host`` copied from it at most once (or the
    host value it was uploaded from)."""

    def __init__(self, array: DeviceArray, host: np.ndarray | None = None) -> None:
        self.array = array
        self._host = host

    def host(self) -> np.ndarray:
        """The value on the host, downloaded on first use."""
        if self._host is None:
            self._host = self.array.get()
        return self._host

    @property
    def on_host(self) -> bool:
        """Whether the host copy exists (no download needed)."""
        return self._host is not None

    def __repr__(self) -> str:
        return f"SharedDeviceValue({self.array!r}, on_host={self.on_host})"

    def __reduce__(self) -> Any:
        return np.asarray, (self.host(),)  # device memory is of one process: a pickle holds the host value
