"""The README's example is real code: it runs here (emulated, without a GPU) and prints what it says."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_readme_example_runs() -> None:
    (code,) = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, str(README), "exec"), {})  # noqa: S102 -- the README's own example
    printed = out.getvalue()
    assert "[ 1.          0.19876611 -0.007622  ]" in printed
    assert "composite{cos(i0) * exp(-square(i0))}" in printed
    assert "(3,) [ 1.          0.19876611 -0.007622  ]" in printed
