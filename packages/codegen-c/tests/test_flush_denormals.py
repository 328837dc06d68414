"""The ``flush_denormals`` option: a call runs with subnormal numbers flushed to zero (FTZ and DAZ) on every thread
it uses, loops included, and gives the caller its floating-point control back; off, results keep NumPy's
subnormals."""

from __future__ import annotations

import platform
from typing import Any

import numpy as np
import pytest

import arignote_core as ac
from arignote_c import CBackend
from arignote_c.options import COptions
from arignote_core import function
from arignote_core.mode import Mode

TINY = np.finfo(np.float64).tiny
pytestmark = pytest.mark.skipif(platform.machine().lower() not in {"x86_64", "amd64"},
                                reason="flush_denormals sets x86's MXCSR")


def _mode(cache_dir: Any, flush: bool, **options: Any) -> Mode:
    return Mode(backend=CBackend(), options={"cache_dir": str(cache_dir), "threads": 1, "flush_denormals": flush,
                                             **options})


def _subnormal_products() -> tuple[np.ndarray, np.ndarray]:
    """Operands whose products are subnormal (FTZ's case) or that are subnormal themselves (DAZ's)."""
    return np.array([TINY, TINY / 4, 1.0, -TINY / 8, 3.0]), np.array([0.5, 2.0, 3.0, 1.0, TINY * 4])


def test_off_by_default_subnormals_are_numpys(cache_dir: Any) -> None:
    x, y = ac.dvector("x"), ac.dvector("y")
    xv, yv = _subnormal_products()
    assert not COptions.from_mapping({}).flush_denormals
    got = function([x, y], x * y, mode=Mode(backend=CBackend(), options={"cache_dir": str(cache_dir)}))(xv, yv)
    np.testing.assert_array_equal(got, xv * yv)
    assert np.count_nonzero((got != 0) & (np.abs(got) < TINY)) == 3


def test_a_call_flushes_subnormal_results_and_operands_and_restores_the_callers_control(cache_dir: Any) -> None:
    x, y = ac.dvector("x"), ac.dvector("y")
    xv, yv = _subnormal_products()
    f = function([x, y], [x * y, x + 0.0], mode=_mode(cache_dir, True))
    product, copy = f(xv, yv)
    np.testing.assert_array_equal(product, [0.0, 0.0, 3.0, -0.0, 12 * TINY])
    np.testing.assert_array_equal(copy, [TINY, 0.0, 1.0, -0.0, 3.0])       # DAZ: a subnormal operand reads as 0
    assert np.signbit(product[3])
    assert np.count_nonzero((xv * yv != 0) & (np.abs(xv * yv) < TINY)) == 3   # NumPy, after the call: unflushed
    with pytest.raises(ValueError):
        f(xv, yv[:2])                                                        # a failing call restores it too
    assert (xv[:1] * 0.5)[0] == TINY / 2


def test_every_thread_of_a_parallel_loop_flushes(cache_dir: Any) -> None:
    x = ac.dvector("x")
    f = function([x], x * 0.5, mode=_mode(cache_dir, True, threads=2, parallel_threshold=1024))
    xv = np.full(1 << 18, TINY)
    for _ in range(20):                      # helpers join at different times: each must take the control
        assert not f(xv).any()


def test_a_loop_that_decays_reaches_zero_sooner(cache_dir: Any) -> None:
    """A scan whose state halves each step: subnormal for its last 52 steps unflushed, 0 from the first
    subnormal one flushed; the steps' own programs run under the call's control."""
    h0 = ac.dscalar("h0")
    states, _ = ac.scan(lambda h: h * 0.5, outputs_info=h0, n_steps=1100)
    plain = function([h0], states, mode=_mode(cache_dir, False))(1.0)
    flushed = function([h0], states, mode=_mode(cache_dir, True))(1.0)
    first_subnormal = int(np.argmax((plain != 0) & (plain < TINY)))
    np.testing.assert_array_equal(flushed[:first_subnormal], plain[:first_subnormal])
    assert not flushed[first_subnormal:].any() and plain[first_subnormal:first_subnormal + 52].all()


def test_machines_without_mxcsr_are_told(monkeypatch: pytest.MonkeyPatch, cache_dir: Any) -> None:
    monkeypatch.setattr(platform, "machine", lambda: "aarch64")
    with pytest.raises(ValueError, match="flush_denormals option needs an x86 CPU.*'aarch64'"):
        COptions.from_mapping({"cache_dir": str(cache_dir), "flush_denormals": True})
    assert not COptions.from_mapping({"cache_dir": str(cache_dir)}).flush_denormals
