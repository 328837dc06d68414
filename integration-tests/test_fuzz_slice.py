"""A fixed slice of the fuzzer (fuzz/), about two minutes on a 2-CPU machine: random graphs in every mode
against NumPy. It fails with the standalone script of each distinct finding in the message."""

from __future__ import annotations

import os
from pathlib import Path

from arignote_fuzz.campaign import Settings, Summary, run

#: the slice: cases 0 to COUNT - 1 of SEED (chosen so that it meets most of the catalog and the known bugs)
SEED, COUNT = 1, 500
#: seconds to shrink each finding, and all of them
SHRINK_SECONDS, SHRINK_BUDGET = 10.0, 40.0


def report(summary: Summary) -> str:
    parts = [summary.table()]
    for number, distinct in enumerate(summary.distinct, 1):
        parts.append(f"--- finding {number}: {distinct.title} (cases {', '.join(distinct.labels[:5])})\n"
                     f"{distinct.detail}\n\n{distinct.script}")
    return "\n\n".join(parts)


def test_a_fixed_slice_of_random_graphs_agrees_with_numpy_in_every_mode(tmp_path: Path) -> None:
    cache = os.environ.get("ARIGNOTE_TEST_CACHE_DIR")
    settings = Settings(seed=SEED, count=COUNT, out=tmp_path, cache_dir=Path(cache) if cache else None,
                        shrink_seconds=SHRINK_SECONDS, shrink_budget=SHRINK_BUDGET)
    summary = run(settings, progress=lambda text: None)
    assert summary.cases == COUNT
    assert not summary.distinct, report(summary)
