"""The standard tensor rewrites. Importing this package registers every rule into the rule sets of
:mod:`.rulesets` (each module below registers its own)."""

from . import (  # noqa: F401
    algebra,
    blas,
    broadcasts,
    cancel,
    canonical,
    control,
    folding,
    fusion,
    indexing,
    matrix_chain,
    scan_pushout,
    scan_shapes,
    shape_rules,
    specialize,
    stabilize,
)
from .pipeline import STANDARD_PHASES, standard_rewriter
from .rulesets import BLAS, CANONICALIZE, FOLD, FUSE, INDEXING, SHAPE, SPECIALIZE, STABILIZE
from .vocabulary import VOCABULARY, elemwise

__all__ = ["BLAS", "CANONICALIZE", "FOLD", "FUSE", "INDEXING", "SHAPE", "SPECIALIZE", "STABILIZE",
           "STANDARD_PHASES", "VOCABULARY", "elemwise", "standard_rewriter"]
