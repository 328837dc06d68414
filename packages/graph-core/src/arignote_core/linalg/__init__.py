"""Linear algebra on symbolic tensors: ``numpy.linalg``'s functions under their names, plus SciPy's
``solve_triangular``, ``cho_solve``, ``cho_factor``, ``expm``, ``block_diag`` and ``kron``.

Decompositions and solvers are ops computed with NumPy/SciPy (stacks of matrices over the leading axes); norms,
ranks, powers and the tensor forms are built from them.
"""

from __future__ import annotations

from .functions import *  # noqa: F403
from .functions import __all__ as _functions
from .ops import (
                  QR,
                  SVD,
                  Cholesky,
                  ChoSolve,
                  Det,
                  Eig,
                  Eigh,
                  Expm,
                  Inv,
                  Lstsq,
                  MatrixOp,
                  Pinv,
                  SlogDet,
                  Solve,
                  SolveTriangular,
)

__all__ = ["QR", "SVD", "ChoSolve", "Cholesky", "Det", "Eig", "Eigh", "Expm", "Inv", "Lstsq", "MatrixOp", "Pinv",
           "SlogDet", "Solve", "SolveTriangular", *_functions]
