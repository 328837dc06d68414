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


def standard_rewriter(*, strict: bool = False, exclude: Iterable[str] = ()) -> Rewriter:
    """The standard pipeline; ``exclude`` names phases, rules or tags to leave out (``exclude=["fuse"]``
    keeps elementwise ops unfused; ``exclude=["stabilize"]`` keeps the user's unstable forms)."""
    rewriter = Rewriter(STANDARD_PHASES, RewriteOptions(strict=strict))
    exclude = tuple(exclude)
    return rewriter.excluding(*exclude) if exclude else rewriter
