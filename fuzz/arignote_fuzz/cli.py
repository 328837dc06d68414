"""``python -m arignote_fuzz`` (and ``nox -s fuzz -- ...``): run the fuzzer, print progress and the counts per
mode and class, write each distinct finding's script, exit 1 when there are findings."""

from __future__ import annotations

import argparse
import os
import resource
import sys
from pathlib import Path

from .campaign import Settings, run
from .exclusions import EXCLUSIONS
from .modes import MODES

#: where findings go by default (ignored by git)
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "findings"


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m arignote_fuzz", description=__doc__)
    parser.add_argument("--count", type=int, default=500, help="cases to run (default 500)")
    parser.add_argument("--seed", type=int, default=0, help="the seed; case i of seed s is always the same")
    parser.add_argument("--first", type=int, default=0, help="index of the first case (default 0)")
    parser.add_argument("--minutes", type=float, default=None, help="stop starting cases after this long")
    parser.add_argument("--modes", default=",".join(MODES), help=f"comma-separated (default {','.join(MODES)})")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"findings folder (default {DEFAULT_OUT})")
    parser.add_argument("--cache-dir", type=Path, default=None,
                        help="the C backend's module cache (default $ARIGNOTE_CACHE_DIR or Arignote's own)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds a case may take in one mode")
    parser.add_argument("--shrink-seconds", type=float, default=60.0,
                        help="time to shrink each new finding (0: write it unshrunk)")
    parser.add_argument("--shrink-budget", type=float, default=None,
                        help="total time to shrink findings; later ones are written unshrunk")
    parser.add_argument("--exclusions", action="store_true", help="list the exclusions and their reasons, exit")
    return parser.parse_args(argv)


#: the address space this process may use: a generated graph NumPy would compute from an enormous intermediate
#: is refused (MemoryError) instead of taking the machine's memory
MEMORY_LIMIT = 16 << 30


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    if args.exclusions:
        for exclusion in EXCLUSIONS:
            print(f"{exclusion.name}: {exclusion.reason}")
        return 0
    cache = args.cache_dir or (Path(os.environ["ARIGNOTE_CACHE_DIR"]) if os.environ.get("ARIGNOTE_CACHE_DIR")
                               else None)
    settings = Settings(seed=args.seed, count=args.count, minutes=args.minutes, modes=tuple(args.modes.split(",")),
                        out=args.out, cache_dir=cache, timeout=args.timeout, shrink_seconds=args.shrink_seconds,
                        shrink_budget=args.shrink_budget, first=args.first)
    print(f"arignote fuzz: seed {settings.seed}, cases {settings.first}..{settings.first + settings.count - 1}, "
          f"modes {', '.join(settings.modes)}", flush=True)
    summary = run(settings, lambda text: print(text, flush=True))
    print()
    print(summary.table())
    print()
    for number, distinct in enumerate(summary.distinct, 1):
        print(f"{number:3d}. {distinct.title}: {distinct.detail[:200]}")
        print(f"     cases {', '.join(distinct.labels[:8])}{' ...' if len(distinct.labels) > 8 else ''}; "
              f"script {distinct.path}")
    return 1 if summary.distinct else 0


if __name__ == "__main__":
    sys.exit(main())
