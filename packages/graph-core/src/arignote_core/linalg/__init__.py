"""Linear algebra on symbolic tensors: ``numpy.linalg``'s functions under their names, plus SciPy's
``solve_triangular``, ``cho_solve``, ``cho_factor``, ``expm``, ``block_diag`` and ``kron``, and SciPy's ``lu``,
``lu_factor``/``lu_solve``, ``schur``, ``sqrtm``, ``logm``, ``solve_sylvester`` and the Lyapunov solvers.

Decompositions and solvers are ops computed with NumPy/SciPy (stacks of matrices over the leading axes); norms,
ranks, powers and the tensor forms are built from them.
"""

from __future__ import annotations

from .equations import (
    SolveContinuousLyapunov,
    SolveDiscreteLyapunov,
    SolveSylvester,
    solve_continuous_lyapunov,
    solve_discrete_lyapunov,
    solve_sylvester,
)
from .factorizations import LU, LUFactor, LUSolve, Schur, lu, lu_factor, lu_solve, schur
from .functions import *  # noqa: F403
from .functions import __all__ as _functions
from .matrix_functions import Logm, Sqrtm, logm, sqrtm
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
           "SlogDet", "Solve", "SolveTriangular", *_functions,
           "LU", "LUFactor", "LUSolve", "Logm", "Schur", "SolveContinuousLyapunov", "SolveDiscreteLyapunov",
           "SolveSylvester", "Sqrtm", "logm", "lu", "lu_factor", "lu_solve", "schur", "solve_continuous_lyapunov",
           "solve_discrete_lyapunov", "solve_sylvester", "sqrtm"]
