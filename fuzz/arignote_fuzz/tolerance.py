"""When two arrays agree: integers and booleans exactly; floats to a tolerance by dtype, NaN where NaN,
infinities exactly, zeros of either sign equal (the sign of zero is an exclusion, see exclusions.py)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: relative tolerance by result dtype: a few ulp of every op a small graph chains (libmvec's functions are
#: within 4 ulp), and sums in another order
RTOL = {"float16": 1e-2, "float32": 2e-5, "float64": 1e-9}


@dataclass(frozen=True)
class Tolerance:
    """How close a result must be: ``rtol``, the precision of the least precise float it was computed through (a
    float16 intermediate limits a float64 result); ``terms``, the largest magnitude summed on the way (a sum
    whose terms cancel is exact only to a few ulp of its largest term); ``absolute``, the textbook bound of a
    sum's rounding, n * eps * sum(|terms|), which matters for float16 (NumPy's own float16 sums of 4096 ones
    give 2048 or 4096 depending on the layout)."""

    rtol: float = RTOL["float64"]
    terms: float = 0.0
    absolute: float = 0.0
    #: infinities among summed terms: inf, -inf and NaN stand for one another (the order of the terms decides)
    specials: bool = False
    #: a chain of products and quotients whose factors overflow in some order: an infinity (or NaN) may stand
    #: for NumPy's finite value (``y * (y / y)`` is y, ``(y * y) / y`` inf)
    reordered: bool = False

    @staticmethod
    def of(dtypes: list[np.dtype], terms: float = 0.0, absolute: float = 0.0, specials: bool = False,
           reordered: bool = False) -> Tolerance:
        rtol = max((RTOL.get(d.name, RTOL["float64"]) for d in dtypes if d.kind == "f"), default=RTOL["float64"])
        return Tolerance(rtol, terms, absolute, specials or reordered, reordered)


def mismatches(actual: np.ndarray, expected: np.ndarray, tolerance: Tolerance = Tolerance()) -> np.ndarray:
    """A boolean mask of the elements that disagree (the arrays have one shape and dtype). Besides the relative
    tolerance, an absolute one: relative to the array's largest finite value (bounded) or to the summed terms."""
    if expected.dtype.kind != "f":
        return np.asarray(actual != expected)
    a, e = actual.astype(np.float64), expected.astype(np.float64)
    rtol = max(tolerance.rtol, RTOL.get(expected.dtype.name, RTOL["float64"]))
    finite = np.isfinite(e) & np.isfinite(a)
    scale = max(min(max(float(np.max(np.abs(e[np.isfinite(e)]), initial=0.0)), 1e-3), 1e6), tolerance.terms)
    with np.errstate(all="ignore"):
        close = np.abs(a - e) <= rtol * np.abs(e) + rtol * scale + tolerance.absolute
    same_special = ~np.isfinite(e) & ~np.isfinite(a) & ((np.isnan(e) & np.isnan(a)) | (a == e))
    atol = rtol * scale + tolerance.absolute
    # with an unbounded rounding error (sums or products that overflow in some order), inf, -inf and NaN are
    # each a possible result of another order, and so is NaN for a product that is 0 (0 * inf)
    unbounded = (~np.isfinite(a) & ~np.isfinite(e)) | (np.isnan(a) & (e == 0)) \
        if np.isinf(tolerance.absolute) or tolerance.specials else np.zeros(a.shape, bool)
    # an overflow (inf, or NaN from inf - inf, 0 * inf) where NumPy's order stayed finite; never a finite value
    # that no order gives
    reordered = (~np.isfinite(a) & np.isfinite(e)) if tolerance.reordered else np.zeros(a.shape, bool)
    return ~((finite & close) | same_special | unbounded | reordered |
             _same_overflow(a, e, expected.dtype, rtol, atol))


def _same_overflow(a: np.ndarray, e: np.ndarray, dtype: np.dtype, rtol: float, atol: float) -> np.ndarray:
    """An infinity and a finite value that rounding could take to the dtype's largest, of one sign: where a
    result overflows depends on the order of its operations."""
    largest = float(np.finfo(dtype).max)
    top = largest * (1 - 16 * rtol) - atol
    with np.errstate(all="ignore"):
        a_top, e_top = np.where(np.isnan(a), 0, a), np.where(np.isnan(e), 0, e)
        return (np.sign(a_top) == np.sign(e_top)) & (np.abs(a_top) >= top) & (np.abs(e_top) >= top) & (
            np.isinf(a) != np.isinf(e))


def nan_only(actual: np.ndarray, expected: np.ndarray, mask: np.ndarray) -> bool:
    """Whether every mismatch is NaN on exactly one side (the "nan" finding class rather than "value")."""
    if expected.dtype.kind != "f":
        return False
    return bool(np.all(np.isnan(actual[mask]) != np.isnan(expected[mask])))
