"""The permanent alias: a ``.pth`` file in site-packages that installs :mod:`.alias` at every interpreter
start, in an environment without a real Theano (``python -m arignote.theano install-alias``).

The file's one line loads ``alias.py`` by its path inside the installed ``arignote`` package, without
importing Arignote, and does nothing when ``arignote`` is no longer installed or a real Theano is.
"""

from __future__ import annotations

import sysconfig
from pathlib import Path

from . import alias

PTH_NAME = "arignote_theano_alias.pth"

PTH_LINE = (
    "import importlib.util as _u, os as _o; _p = _u.find_spec('arignote'); "
    "_s = _p and _u.spec_from_file_location('arignote_theano_alias', "
    "_o.path.join(_p.submodule_search_locations[0], 'theano', 'alias.py')); "
    "_m = _s and _u.module_from_spec(_s); _m and (_s.loader.exec_module(_m), _m.install(True))\n"
)


def default_site_dir() -> Path:
    """This environment's site-packages (where pip installs pure-Python packages)."""
    return Path(sysconfig.get_path("purelib"))


def install_pth(site_dir: Path | None = None) -> Path:
    """Write the ``.pth`` file into ``site_dir`` (this environment's site-packages by default); refused when a
    real Theano is installed, which the alias would hide."""
    real = alias.real_theano()
    if real is not None:
        raise RuntimeError(f"a real Theano is installed ({real}); the alias would hide it. Uninstall it first, or "
                           "use `python -m arignote.theano RUN script.py` for one run")
    path = (site_dir or default_site_dir()) / PTH_NAME
    path.write_text(PTH_LINE, encoding="utf-8")
    return path


def remove_pth(site_dir: Path | None = None) -> Path | None:
    """Remove the ``.pth`` file; returns its path, or None when there was none."""
    path = (site_dir or default_site_dir()) / PTH_NAME
    if not path.exists():
        return None
    path.unlink()
    return path
