"""Shared variables: values that live across calls of compiled functions and that updates change.

A variable's value may be kept in a device's memory by a backend (``device="cuda"``): the container then holds a
``DeviceValue``, which the backend reads and replaces without copies, and ``get_value`` reads on the host.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np

from .graph import AtomicVariable, Type, Variable
from .locking import ReadWriteLock

#: where a shared variable's value may live between calls: host memory, or a CUDA device's
DEVICES = ("cpu", "cuda")


class DeviceValue(ABC):
    """A shared variable's value that a backend keeps in a device's memory (its updates are stored as one):
    ``get_value`` and backends that read host memory ask it for ``host()``."""

    @abstractmethod
    def host(self) -> Any:
        """The value on the host, as the variable's type holds it (not to be changed in place)."""


def host_value(value: Any) -> Any:
    """``value`` on the host: a ``DeviceValue``'s ``host()``, any other value as it is."""
    return value.host() if isinstance(value, DeviceValue) else value


class SharedVariable(AtomicVariable):
    """A named, mutable value; compiled functions read it and may update it. ``device``: where a backend that
    has one keeps it between calls ("cpu", the default, or "cuda": uploaded once, updated on the device, copied
    back only when ``get_value`` asks; other backends read it on the host)."""

    def __init__(self, type: Type, value: Any, name: str | None = None, borrow: bool = False,
                 device: str = "cpu") -> None:
        super().__init__(type, name=name)
        if device not in DEVICES:
            raise ValueError(f"shared variable {name or '(unnamed)'}: device must be 'cpu' or 'cuda', not {device!r}")
        self.device = device
        self._value = type.filter(value if borrow else _copy(value))
        #: the update a compiled function applies when it uses this variable and gives no update of its own
        #: (a random generator's state advancing after each draw)
        self.default_update: Variable | None = None
        #: held shared by calls that read the value, exclusively by calls that update it (see ``locking``)
        self.lock = ReadWriteLock()

    def get_value(self, borrow: bool = False) -> Any:
        """The current value (a copy unless ``borrow``; the copy is never taken halfway through an update). A
        value kept on a device is read on the host (copied once per new value); borrowing it gives that host
        copy, which changes nothing when changed in place: ``set_value`` replaces the value."""
        if borrow:
            return host_value(self._value)
        self.lock.acquire_read()
        try:
            return _copy(host_value(self._value))
        finally:
            self.lock.release_read()

    def set_value(self, value: Any, borrow: bool = False) -> None:
        """Replace the value; it is checked against the variable's type (a copy is kept unless ``borrow``)."""
        try:
            checked = self.type.filter(value if borrow else _copy(value))
        except TypeError as exc:
            raise TypeError(f"set_value of shared variable {self}: {exc}") from None
        self.lock.acquire_write()
        try:
            self._value = checked
        finally:
            self.lock.release_write()

    def store(self, value: Any) -> None:
        """Set a value already known to have the right type (compiled functions' updates), without checks."""
        self._value = value

    def clone(self) -> SharedVariable:
        return self

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["lock"]  # a lock is of one process: a copy or an unpickled variable gets its own
        state["_value"] = host_value(self._value)  # device memory is of one process too
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.__dict__.setdefault("device", "cpu")  # pickled before variables had one
        self.lock = ReadWriteLock()


def _copy(value: Any) -> Any:
    return value.copy() if isinstance(value, np.ndarray) else value
