"""Importing graph-core stays cheap: SciPy's heavy subpackages load only when an op that needs them runs."""

import subprocess
import sys

HEAVY = ("scipy.special", "scipy.linalg")


def _loaded_after(code: str) -> set[str]:
    probe = f"import sys\n{code}\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(done.stdout.split())


def test_import_does_not_load_scipy_subpackages() -> None:
    assert _loaded_after("import arignote_core") == set()


def test_special_function_loads_scipy_special_on_first_use() -> None:
    code = "import arignote_core as ac\nx = ac.dvector('x')\nprint(ac.function([x], ac.erf(x))([0.5]))"
    assert "scipy.special" in _loaded_after(code)
