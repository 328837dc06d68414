"""Running the compiler with a bound: past its timeout, or when cancelled, its whole process group is killed.

gcc is a driver that starts cc1, as and ld; killing the driver alone would leave a hung cc1 running, so the
compiler runs in a process group of its own and the group is killed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Sequence

from .errors import stop_if_due

#: how often a running compiler is checked for cancellation
_POLL_S = 0.05


def run_compiler(command: Sequence[str], timeout: float, cancel: threading.Event | None = None,
                 what: str = "a module") -> subprocess.CompletedProcess[str]:
    """Run ``command`` and return its result; BuildTimeout after ``timeout`` seconds, BuildCancelled when
    ``cancel`` is set (the compiler is killed either way)."""
    process = subprocess.Popen(list(command), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               process_group=0)
    deadline = time.monotonic() + timeout
    compiler = os.path.basename(command[0])
    try:
        while True:
            left = deadline - time.monotonic()
            try:
                out, err = process.communicate(timeout=max(0.0, left if cancel is None else min(left, _POLL_S)))
                return subprocess.CompletedProcess(process.args, process.returncode, out, err)
            except subprocess.TimeoutExpired:
                pass
            stop_if_due(cancel, deadline, f"{compiler} stopped: the build of {what} was cancelled",
                        f"{compiler} ran longer than the build timeout ({timeout:g} s) on {what} and was killed. "
                        "If the module is just large, raise the bound with Mode(options={'build_timeout': seconds})")
    finally:
        if process.returncode is None:
            _kill_group(process)


def _kill_group(process: subprocess.Popen[str]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.communicate()
