"""``python -m arignote.theano``: run a Theano script with this namespace as ``theano``, or install that alias
for good.

- ``RUN script.py [args...]``: run ``script.py`` as ``__main__`` (its ``sys.argv`` is ``script.py args...``)
  with ``import theano`` (and ``theano.tensor.nnet``...) resolving to ``arignote.theano``, for this run only;
- ``install-alias [--site-dir DIR]``: write a ``.pth`` file that makes ``import theano`` resolve to
  ``arignote.theano`` in every run of this environment (refused where a real Theano is installed);
- ``uninstall-alias [--site-dir DIR]``: remove it.
"""

from __future__ import annotations

import argparse
import runpy
import sys
from pathlib import Path

from . import alias, sitealias


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m arignote.theano",
                                     description="Run Theano programs on Arignote.")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("RUN", aliases=["run"], help="run a script whose imports say `import theano`")
    run.add_argument("script", type=Path)
    run.add_argument("args", nargs=argparse.REMAINDER)
    for name, text in (("install-alias", "make `import theano` mean arignote.theano in this environment"),
                       ("uninstall-alias", "remove that alias")):
        command = commands.add_parser(name, help=text)
        command.add_argument("--site-dir", type=Path, default=None,
                             help="the site-packages folder (default: this environment's)")
    return parser


def run_script(script: Path, args: list[str]) -> None:
    """Run ``script`` as ``__main__`` with the alias installed."""
    if not script.is_file():
        raise SystemExit(f"python -m arignote.theano RUN: no script at {script}")
    alias.install()
    sys.argv = [str(script), *args]
    sys.path.insert(0, str(script.resolve().parent))
    runpy.run_path(str(script), run_name="__main__")


def main(argv: list[str] | None = None) -> int:
    options = _parser().parse_args(argv)
    if options.command in ("RUN", "run"):
        run_script(options.script, options.args)
    elif options.command == "install-alias":
        try:
            path = sitealias.install_pth(options.site_dir)
        except RuntimeError as exc:
            print(f"install-alias: {exc}", file=sys.stderr)
            return 1
        print(f"wrote {path}: `import theano` now imports arignote.theano in this environment")
    else:
        removed = sitealias.remove_pth(options.site_dir)
        print(f"removed {removed}" if removed else "no alias was installed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
