"""``python -m arignote.theano RUN script.py``: an unmodified script that says ``import theano`` runs on this
namespace for that run; ``install-alias`` makes the alias permanent through a ``.pth`` file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from arignote.theano import alias
from arignote.theano.sitealias import PTH_NAME

SCRIPT = '''
import sys
import numpy
import theano
import theano.tensor as T
from theano.tensor.nnet import sigmoid
from theano.sandbox.rng_mrg import MRG_RandomStreams

x = T.dmatrix("x")
W = theano.shared(numpy.ones((2, 1)), name="W")
f = theano.function([x], sigmoid(T.dot(x, W)).sum())
print(theano.__name__, theano.tensor.nnet.__name__, float(f(numpy.zeros((3, 2)))), sys.argv[1:], __name__)
'''


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "THEANO_FLAGS"}


def test_run_an_unmodified_theano_script(tmp_path: Path) -> None:
    script = tmp_path / "old_script.py"
    script.write_text(SCRIPT, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "arignote.theano", "RUN", str(script), "--epochs", "3"],
                          capture_output=True, text=True, env=_env(), check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["arignote.theano", "arignote.theano.tensor.nnet", "1.5", "['--epochs',", "'3']",
                                   "__main__"]


def test_run_refuses_a_missing_script(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "arignote.theano", "RUN", str(tmp_path / "nope.py")],
                          capture_output=True, text=True, env=_env(), check=False)
    assert done.returncode != 0 and "no script at" in done.stderr


def test_the_alias_gives_the_same_modules() -> None:
    assert alias.install()
    try:
        import theano.tensor.nnet  # noqa: PLC0415  (importable only once the alias is installed)

        import arignote.theano.tensor.nnet  # noqa: PLC0415  (compared with what the alias gave)

        assert theano.tensor.nnet is arignote.theano.tensor.nnet
        assert arignote.theano.__spec__ is not None and arignote.theano.__spec__.name == "arignote.theano"
        with pytest.raises(ModuleNotFoundError):
            import theano.no_such_module  # noqa: F401, PLC0415
    finally:
        alias.uninstall()
    assert "theano" not in sys.modules


def test_install_alias_writes_a_pth_that_works(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "arignote.theano", "install-alias", "--site-dir", str(tmp_path)],
                          capture_output=True, text=True, env=_env(), check=True)
    assert (tmp_path / PTH_NAME).is_file(), done.stdout
    probe = (f"import site; site.addsitedir({str(tmp_path)!r}); import sys; assert 'arignote' not in sys.modules; "
             "import theano.tensor as T; print(T.__name__)")
    shown = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=_env(), check=True)
    assert shown.stdout.strip() == "arignote.theano.tensor"
    subprocess.run([sys.executable, "-m", "arignote.theano", "uninstall-alias", "--site-dir", str(tmp_path)],
                   check=True, capture_output=True, env=_env())
    assert not (tmp_path / PTH_NAME).exists()


def test_install_alias_refuses_beside_a_real_theano(tmp_path: Path) -> None:
    fake = tmp_path / "real" / "theano"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("", encoding="utf-8")
    env = {**_env(), "PYTHONPATH": os.pathsep.join([str(tmp_path / "real"), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-m", "arignote.theano", "install-alias", "--site-dir", str(tmp_path)],
                          capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 1 and "a real Theano is installed" in done.stderr
    assert not (tmp_path / PTH_NAME).exists()
