"""Runs cases in a child process that may die: a segfault or an abort in compiled code is a "crash" finding, a
call that runs past its time limit a "hang", and the next case gets a fresh child.

The child is a plain ``python -c`` process (not multiprocessing: a script's main module is not run again in it)
speaking length-prefixed pickles over its own stdin and a private copy of its stdout; whatever the compiler or
the library prints goes to stderr.
"""

from __future__ import annotations

import os
import pickle
import resource
import select
import signal
import struct
import subprocess
import sys
import traceback
from pathlib import Path
from typing import IO, Any

from .ir import Case
from .results import ModeResult

#: address space a child may use: a compiled function that allocates from a garbage shape fails with a
#: MemoryError there instead of taking the machine's memory
MEMORY_LIMIT = 8 << 30
_HEADER = struct.Struct("<Q")


def _send(stream: IO[bytes], message: Any) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def _read_exactly(stream: IO[bytes], size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = stream.read(left)
        if not chunk:
            raise EOFError("the other side closed the pipe")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _receive(stream: IO[bytes]) -> Any:
    (size,) = _HEADER.unpack(_read_exactly(stream, _HEADER.size))
    return pickle.loads(_read_exactly(stream, size))


def serve() -> None:
    """The child's loop: (case, mode, cache_dir) in, a ModeResult out, until stdin closes."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    from .execute import run_case

    requests = sys.stdin.buffer
    while True:
        try:
            case, mode, cache_dir = _receive(requests)
        except EOFError:
            return
        try:
            answer = run_case(case, mode, cache_dir)
        except Exception:  # noqa: BLE001 (a fault of the runner itself: reported, never hidden)
            answer = ModeResult(mode, dead="internal", dead_detail=traceback.format_exc()[-2000:])
        _send(replies, answer)


class Worker:
    """A child process running :func:`arignote_fuzz.execute.run_case`, restarted after it dies."""

    def __init__(self, cache_dir: Path | None) -> None:
        self.cache_dir = cache_dir
        self._process: subprocess.Popen[bytes] | None = None

    def _start(self) -> subprocess.Popen[bytes]:
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        self._process = subprocess.Popen(
            [sys.executable, "-c", "from arignote_fuzz.worker import serve; serve()"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        return self._process

    def run(self, case: Case, mode: str, timeout: float) -> ModeResult:
        """``case`` in ``mode``; a dead or stuck child is killed and reported in the result."""
        process = self._process if self._process is not None and self._process.poll() is None else self._start()
        assert process.stdin is not None and process.stdout is not None
        try:
            _send(process.stdin, (case, mode, self.cache_dir))
            ready, _, _ = select.select([process.stdout], [], [], timeout)
            if ready:
                return _receive(process.stdout)  # type: ignore[no-any-return]
            dead, detail = "hang", f"no result after {timeout:.0f} s"
        except (EOFError, BrokenPipeError, ConnectionError):
            process.wait(10)
            dead, detail = "crash", _exit_description(process.returncode)
        self.stop()
        return ModeResult(mode, dead=dead, dead_detail=detail)

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.kill()
        process.wait()
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()


def _exit_description(code: int | None) -> str:
    if code is not None and code < 0:
        return f"the process died of signal {signal.Signals(-code).name}"
    return f"the process exited with status {code}"
