"""Shared variables: values that live across calls of compiled functions and that updates change."""

from __future__ import annotations

from typing import Any

import numpy as np

from .graph import AtomicVariable, Type, Variable
from .locking import ReadWriteLock


class SharedVariable(AtomicVariable):
    """A named, mutable value; compiled functions read it and may update it."""

    def __init__(self, type: Type, value: Any, name: str | None = None, borrow: bool = False) -> None:
        super().__init__(type, name=name)
        self._value = type.filter(value if borrow else _copy(value))
        #: the update a compiled function applies when it uses this variable and gives no update of its own
        #: (a random generator's state advancing after each draw)
        self.default_update: Variable | None = None
        #: held shared by calls that read the value, exclusively by calls that update it (see ``locking``)
        self.lock = ReadWriteLock()

    def get_value(self, borrow: bool = False) -> Any:
        """The current value (a copy unless ``borrow``; the copy is never taken halfway through an update)."""
        if borrow:
            return self._value
        self.lock.acquire_read()
        try:
            return _copy(self._value)
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
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.lock = ReadWriteLock()


def _copy(value: Any) -> Any:
    return value.copy() if isinstance(value, np.ndarray) else value
