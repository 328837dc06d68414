"""Fixed slices of the fuzzer (fuzz/), about two minutes together on a 2-CPU machine: random graphs in every
mode against NumPy. Each fails with the standalone script of each distinct finding in the message."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from arignote_fuzz.campaign import Settings, Summary, run

#: (seed, cases): cases 0 to cases - 1 of each seed. Seed 4's first 450 reach most of the issue's known bugs
#: (in-place GEMM, givens, x ** -0.5, views of inputs, clip's gradient, rewrite rules on booleans), seed 7's
#: first 200 the fused reduction that crashes
SLICES = ((4, 450), (7, 200))
#: seconds to shrink each finding, and all of a slice's
SHRINK_SECONDS, SHRINK_BUDGET = 6.0, 25.0


def report(summary: Summary) -> str:
    parts = [summary.table()]
    for number, distinct in enumerate(summary.distinct, 1):
        parts.append(f"--- finding {number}: {distinct.title} (cases {', '.join(distinct.labels[:5])})\n"
                     f"{distinct.detail}\n\n{distinct.script}")
    return "\n\n".join(parts)


@pytest.mark.parametrize(("seed", "count"), SLICES)
def test_a_fixed_slice_of_random_graphs_agrees_with_numpy_in_every_mode(tmp_path: Path, seed: int,
                                                                         count: int) -> None:
    cache = os.environ.get("ARIGNOTE_TEST_CACHE_DIR")
    settings = Settings(seed=seed, count=count, out=tmp_path, cache_dir=Path(cache) if cache else None,
                        shrink_seconds=SHRINK_SECONDS, shrink_budget=SHRINK_BUDGET)
    summary = run(settings, progress=lambda text: None)
    assert summary.cases == count
    assert not summary.distinct, report(summary)
