"""The demo (examples/demo.py, ``nox -s demo``) writes a progress bar only to a terminal: piped into a log it
prints one line per epoch and no carriage return."""

import io
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
sys.path.insert(0, str(EXAMPLES))

import demo  # noqa: E402


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_a_bar_redrawn_in_place_and_a_log_one_line_per_epoch():
    for stream, frames in ((Terminal(), 2), (io.StringIO(), 0)):
        bar = demo.Progress(0, 10, stream)
        bar.update(1, 2.0)
        bar.update(10, 1.0)
        bar.finish(1.0, 0.5)
        assert stream.getvalue().count("\r") == frames
        assert stream.getvalue().count("\n") == 1 and "test accuracy 0.500" in stream.getvalue()


def test_the_demo_piped_into_a_log_prints_no_carriage_return():
    run = subprocess.run([sys.executable, str(EXAMPLES / "demo.py")], capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "\r" not in run.stdout
    assert run.stdout.count(f"epoch {demo.EPOCHS}/{demo.EPOCHS}: ") == len(demo.MODELS)
