"""The standard tensor rule sets. Rule modules register into them when ``arignote_opt.tensor`` is imported."""

from __future__ import annotations

from ..engine import RuleSet
from .vocabulary import VOCABULARY

FOLD = RuleSet("constant_folding", "compute nodes whose inputs are all constants")
CANONICALIZE = RuleSet("canonicalize", "one normal form for equal expressions: sorted flat sums and products, "
                       "like terms collected, useless shape ops removed", VOCABULARY, method="canonicalize")
SHAPE = RuleSet("shape", "shapes from the inputs' shapes, without computing what they describe", VOCABULARY)
INDEXING = RuleSet("indexing", "merge slices, slice before computing, drop full slices", VOCABULARY)
STABILIZE = RuleSet("stabilize", "numerically stable forms of unstable expressions", VOCABULARY,
                    method="stabilize")
SPECIALIZE = RuleSet("specialize", "cheaper forms: powers, subtraction, lowered special functions", VOCABULARY,
                     method="specialize")
BLAS = RuleSet("blas", "matrix products: GEMM/GEMV with alpha and beta, transposes absorbed, chains "
               "reassociated by cost", VOCABULARY)
FUSE = RuleSet("fuse", "elementwise fusion into Composite kernels, and reductions fused with their input")
