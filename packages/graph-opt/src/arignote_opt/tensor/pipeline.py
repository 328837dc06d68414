"""The standard tensor pipeline: canonicalize, stabilize, specialize, blas, fuse."""

from __future__ import annotations

from collections.abc import Iterable

from ..engine import Phase, RewriteOptions, Rewriter
from .rulesets import BLAS, CANONICALIZE, FOLD, FUSE, INDEXING, SHAPE, SPECIALIZE, STABILIZE

#: The phases in order. Each runs its rule sets to a fixpoint, merging equal computations as it goes; after
#: the first, the sets it has applied everywhere only revisit what later phases create or change.
_TIDY = (FOLD, CANONICALIZE, SHAPE, INDEXING)
STANDARD_PHASES: tuple[Phase, ...] = (
    Phase("canonicalize", _TIDY),
    Phase("stabilize", (STABILIZE,), revisit=_TIDY),
    Phase("specialize", (SPECIALIZE,), revisit=(FOLD, SHAPE, INDEXING)),
    Phase("blas", (BLAS,), revisit=(FOLD,)),
    Phase("fuse", (FUSE,), fixpoint=False),
)


def standard_rewriter(*, strict: bool = False, exclude: Iterable[str] = (), fast_math: bool = False) -> Rewriter:
    """The standard pipeline; ``exclude`` names phases, rules or tags to leave out (``exclude=["fuse"]``
    keeps elementwise ops unfused; ``exclude=["stabilize"]`` keeps the user's unstable forms). By default
    rewrites keep IEEE results for infinities and NaN (``x - x`` stays, and is NaN at inf); ``fast_math=True``
    lets them assume finite values, as a C compiler's ``-ffast-math`` does (``x - x`` is 0, ``x / x`` 1)."""
    rewriter = Rewriter(STANDARD_PHASES, RewriteOptions(strict=strict))
    return rewriter.excluding("ieee" if fast_math else "fast_math", *exclude)
