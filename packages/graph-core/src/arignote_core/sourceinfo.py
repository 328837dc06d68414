"""Where the user created a node: the first stack frame outside Arignote's own packages."""

from __future__ import annotations

import linecache
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from types import FrameType

_OWN_PACKAGES = ("arignote_core", "arignote_opt", "arignote_grad", "arignote_c", "arignote_cuda", "arignote_nn",
                 "arignote")


def _is_internal(frame: FrameType) -> bool:
    filename = frame.f_code.co_filename
    internal = _INTERNAL_FILES.get(filename)
    if internal is None:
        module = frame.f_globals.get("__name__") or ""
        internal = module.partition(".")[0] in _OWN_PACKAGES or filename.startswith("<frozen")
        if not filename.startswith("<"):  # "<string>" and the like are shared by code of many modules
            _INTERNAL_FILES[filename] = internal
    return internal


#: whether each source file seen on the stack so far belongs to Arignote (every node walks the stack)
_INTERNAL_FILES: dict[str, bool] = {}


@dataclass(frozen=True)
class SourceLocation:
    """A file, line and function in user code."""

    filename: str
    lineno: int
    function: str

    @property
    def line(self) -> str:
        return linecache.getline(self.filename, self.lineno).strip()

    def short(self) -> str:
        return f"{os.path.basename(self.filename)}:{self.lineno}"

    def __str__(self) -> str:
        text = f'File "{self.filename}", line {self.lineno}, in {self.function}'
        code = self.line
        return f"{text}\n    {code}" if code else text


#: set while the code creating nodes gives them their location itself (a rewriter's rules: each new node takes
#: the location of the node it replaces), so that creating one does not walk the stack for nothing
_ASSIGNED_BY_CALLER: ContextVar[bool] = ContextVar("arignote_locations_assigned_by_caller", default=False)


@contextmanager
def locations_assigned_by_caller() -> Iterator[None]:
    """Within this block, new nodes record no location: the caller assigns one (rewrites run deep in
    Arignote's own frames, so each node would otherwise walk a long stack to find the user's line)."""
    token = _ASSIGNED_BY_CALLER.set(True)
    try:
        yield
    finally:
        _ASSIGNED_BY_CALLER.reset(token)


def user_location() -> SourceLocation | None:
    """The innermost frame of the caller that is not inside Arignote."""
    if _ASSIGNED_BY_CALLER.get():
        return None
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        code = frame.f_code
        if not _is_internal(frame):
            return SourceLocation(code.co_filename, frame.f_lineno, code.co_name)
        frame = frame.f_back
    return None
