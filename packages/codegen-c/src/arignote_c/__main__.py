"""``python -m arignote_c cache info|clear [--dir DIR]``: look at or empty the compiled-module cache."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .cache import ModuleCache, default_cache_dir
from .errors import CacheUnusable


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m arignote_c", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    cache = sub.add_parser("cache", help="the compiled-module cache")
    cache.add_argument("action", choices=["info", "clear"])
    cache.add_argument("--dir", type=Path, default=None, help="cache directory (default: %(default)s, i.e. "
                       "$ARIGNOTE_CACHE_DIR or ~/.cache/arignote/c)")
    args = parser.parse_args(argv)
    try:
        store = ModuleCache(args.dir or default_cache_dir())
        if args.action == "info":
            info = store.info()
            print(f"cache: {info['root']}\nentries: {info['entries']}\nsize: {int(info['bytes']) / 2**20:.1f} MiB")
        else:
            print(f"removed {store.clear()} entries from {store.root}")
    except CacheUnusable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
