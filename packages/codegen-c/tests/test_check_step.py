"""Run-time checks (graph-core's CheckAndRaise, which rewrites insert where they must keep an error) are C steps:
a check costs what a view costs, not a call into Python (inside a loop's step, at every step)."""

from __future__ import annotations

import numpy as np
import pytest

import arignote_core as ac
from arignote_core.tensors.checks import check


def test_a_check_is_a_c_step_that_passes_its_value_on():
    x, n = ac.dvector("x"), ac.lscalar("n")
    f = ac.function([x, n], check(x * 2, "n must be positive", n > 0, ac.all(x > -1)), mode="c")
    assert "python" not in f.report().split("\n")[0]
    np.testing.assert_array_equal(f([1.0, 2.0], 3), [2.0, 4.0])


@pytest.mark.parametrize("error", ["ValueError", "IndexError"])
def test_a_failing_check_raises_its_error_naming_the_node(error):
    x, n = ac.dvector("x"), ac.lscalar("n")
    f = ac.function([x, n], check(x + 1, "n must be positive", n > 0, error=error), mode="c")
    with pytest.raises({"ValueError": ValueError, "IndexError": IndexError}[error], match="n must be positive") as info:
        f([1.0], 0)
    assert "CheckAndRaise" in str(info.value)
    np.testing.assert_array_equal(f([1.0], 1), [2.0])


def test_a_condition_over_an_array_must_hold_everywhere():
    x = ac.dvector("x")
    f = ac.function([x], check(x, "x must be positive", x > 0), mode="c")
    np.testing.assert_array_equal(f([1.0, 2.0]), [1.0, 2.0])
    with pytest.raises(ValueError, match="x must be positive"):
        f([1.0, -2.0])
    np.testing.assert_array_equal(f(np.zeros(0)), np.zeros(0))  # no element: nothing fails
