"""``verify_grad`` and ``verify_rop``: symbolic derivatives against central finite differences.

``verify_grad`` projects the output(s) of ``fn`` on fixed random tensors (so any output shape gives a scalar
cost and every output element is checked at once) and compares the symbolic gradient of that cost, element by
element of every differentiated input, with central differences of it (a complex output counts as its real
and imaginary parts). Elements whose value is NaN or infinite are not moved (nor checked), output elements that
are not finite at the point are left out, and where both sides are not finite (the function is singular there)
they agree. ``verify_rop`` compares the forward-mode derivative in a random direction with central differences
along that direction. Steps and tolerances depend on the dtypes involved.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from arignote_core import Variable, as_tensor, cast, function, tensor
from arignote_core.tensors.math import add, imag, multiply, real, where
from arignote_core.tensors.math import sum as tensor_sum

from .errors import GradientCheckError, NothingToCheckError
from .forward import Rop
from .reverse import grad
from .tensor_utils import is_differentiable


@dataclass(frozen=True)
class Tolerance:
    """Finite-difference step and accepted error for one dtype: an element passes when its absolute error is
    at most ``abs_tol`` or its relative error at most ``rel_tol``."""

    eps: float
    abs_tol: float
    rel_tol: float


TOLERANCES = {
    "float64": Tolerance(eps=1e-6, abs_tol=1e-6, rel_tol=1e-5),
    "float32": Tolerance(eps=1e-3, abs_tol=1e-2, rel_tol=1e-2),
    "float16": Tolerance(eps=1e-1, abs_tol=2e-1, rel_tol=2e-1),
}

Shapes = bool | Sequence[Sequence[int | None]]


def tolerance_for(dtypes: Sequence[str], eps: float | None = None, abs_tol: float | None = None,
                  rel_tol: float | None = None) -> Tolerance:
    """The loosest default among ``dtypes``, with any given value overriding it."""
    loosest = max((TOLERANCES[d] for d in dtypes if d in TOLERANCES), key=lambda t: t.rel_tol,
                  default=TOLERANCES["float64"])
    return Tolerance(eps if eps is not None else loosest.eps, abs_tol if abs_tol is not None else loosest.abs_tol,
                     rel_tol if rel_tol is not None else loosest.rel_tol)


@dataclass
class _Problem:
    """Symbolic inputs for the points, the float outputs of ``fn``, and which inputs are differentiated."""

    values: list[np.ndarray]
    inputs: Sequence[Variable]
    outputs: Sequence[Variable]
    wrt: list[int]
    tol: Tolerance


def _problem(fn: Callable[..., Any], points: Sequence[Any], static_shapes: Shapes, wrt: Sequence[int] | None,
             kwargs: dict[str, Any], tolerances: tuple[float | None, float | None, float | None],
             what: str) -> _Problem:
    values = [np.array(p) for p in points]
    if isinstance(static_shapes, bool):
        shapes = [v.shape if static_shapes else (None,) * v.ndim for v in values]
    else:
        shapes = [tuple(s) for s in static_shapes]
    inputs = [tensor(v.dtype, shape, name=f"input{k}") for k, (v, shape) in enumerate(zip(values, shapes,
                                                                                              strict=True))]
    built = fn(*inputs, **kwargs)
    outputs = [as_tensor(o) for o in (built if isinstance(built, list | tuple) else [built])]
    # a complex output is checked as its real and imaginary parts, two real outputs
    outputs = [part for o in outputs if is_differentiable(o)
               for part in ((real(o), imag(o)) if o.type.dtype.startswith("complex") else (o,))]
    chosen = [k for k, v in enumerate(values) if v.dtype.kind == "f"] if wrt is None else list(wrt)
    if not chosen or not outputs:
        raise NothingToCheckError(f"{what}: nothing to check: no float input to differentiate, or no float "
                                  "output")
    dtypes = [values[k].dtype.name for k in chosen] + [o.type.dtype for o in outputs]
    return _Problem(values, inputs, outputs, chosen, tolerance_for(dtypes, *tolerances))


def numeric_gradient(cost: Callable[[list[np.ndarray]], float], values: list[np.ndarray], which: int,
                     eps: float) -> np.ndarray:
    """Central differences of ``cost`` in each element of ``values[which]``; NaN where that element is not
    finite (there is nothing to move)."""
    point = values[which]
    result = np.full(point.shape, np.nan)
    for index in np.ndindex(point.shape):
        original = point[index]
        if not np.isfinite(original):
            continue
        shifted = [v.copy() if k == which else v for k, v in enumerate(values)]
        shifted[which][index] = original + eps
        plus = cost(shifted)
        shifted[which][index] = original - eps
        minus = cost(shifted)
        step = float(np.asarray(original + eps, point.dtype)) - float(np.asarray(original - eps, point.dtype))
        result[index] = (plus - minus) / step
    return result


def verify_grad(fn: Callable[..., Any], points: Sequence[Any], *, wrt: Sequence[int] | None = None,
                rng: np.random.Generator | int | None = None, eps: float | None = None,
                abs_tol: float | None = None, rel_tol: float | None = None, mode: Any = None,
                static_shapes: Shapes = False, kwargs: dict[str, Any] | None = None) -> None:
    """Check the symbolic gradient of ``fn`` at ``points`` against finite differences; raise
    ``GradientCheckError`` naming the input and element that disagree.

    ``fn`` takes one symbolic tensor per point (and ``kwargs``) and returns a symbolic tensor or a list of them
    (integer outputs are skipped). ``wrt`` picks the points to differentiate (default: every float one).
    Inputs get the points' dtypes; their static shapes are unknown unless ``static_shapes`` is True (or a
    shape per input), so runtime broadcasting is exercised. ``eps``, ``abs_tol``, ``rel_tol`` override the
    defaults of the dtypes involved; ``mode`` compiles with another backend.
    """
    rng = np.random.default_rng(rng)
    p = _problem(fn, points, static_shapes, wrt, kwargs or {}, (eps, abs_tol, rel_tol), "verify_grad")
    projections = [tensor("float64", (None,) * o.type.ndim, name=f"projection{j}")
                   for j, o in enumerate(p.outputs)]
    masks = [tensor("bool", (None,) * o.type.ndim, name=f"finite{j}")
             for j, o in enumerate(p.outputs)]
    cost = None
    for out, projection, mask in zip(p.outputs, projections, masks, strict=True):
        term = tensor_sum(multiply(where(mask, cast(out, "float64"), 0.0), projection))
        cost = term if cost is None else add(cost, term)
    grads = grad(cost, [p.inputs[k] for k in p.wrt], disconnected_inputs="ignore")
    f_output = function(p.inputs, p.outputs, mode=mode, on_unused_input="ignore")
    f_cost = function([*p.inputs, *projections, *masks], cost, mode=mode, on_unused_input="ignore")
    f_grad = function([*p.inputs, *projections, *masks], grads, mode=mode, on_unused_input="ignore")
    values_out = f_output(*p.values)
    if not any(np.isfinite(o).any() for o in values_out):
        raise NothingToCheckError("verify_grad: no output is finite at the point")
    # output elements that are NaN or infinite at the point are left out of the projection
    extra = [rng.uniform(0.5, 1.5, size=np.shape(o)) for o in values_out] + [np.isfinite(o) for o in values_out]
    analytic = f_grad(*p.values, *extra)
    for k, symbolic in zip(p.wrt, analytic, strict=True):
        numeric = numeric_gradient(lambda vs: float(f_cost(*vs, *extra)), p.values, k, p.tol.eps)
        moved = np.isfinite(p.values[k])
        _compare(f"the gradient of input {k}", np.where(moved, np.asarray(symbolic, dtype="float64"), np.nan),
                 numeric, p.tol)


def verify_rop(fn: Callable[..., Any], points: Sequence[Any], *, wrt: Sequence[int] | None = None,
               rng: np.random.Generator | int | None = None, eps: float | None = None,
               abs_tol: float | None = None, rel_tol: float | None = None, mode: Any = None,
               static_shapes: Shapes = False, kwargs: dict[str, Any] | None = None) -> None:
    """Check the forward-mode derivative (``Rop``) of ``fn`` at ``points`` in a random direction against
    central finite differences along that direction; same arguments as :func:`verify_grad`."""
    rng = np.random.default_rng(rng)
    p = _problem(fn, points, static_shapes, wrt, kwargs or {}, (eps, abs_tol, rel_tol), "verify_rop")
    tangent_inputs = [tensor(p.values[k].dtype, p.inputs[k].type.shape, name=f"tangent{k}")
                      for k in p.wrt]
    directional = Rop(p.outputs, [p.inputs[k] for k in p.wrt], tangent_inputs, disconnected_outputs="ignore")
    f_output = function(p.inputs, [cast(o, "float64") for o in p.outputs], mode=mode, on_unused_input="ignore")
    f_rop = function([*p.inputs, *tangent_inputs], directional, mode=mode, on_unused_input="ignore")
    tangents = [rng.uniform(-1.0, 1.0, size=p.values[k].shape).astype(p.values[k].dtype) for k in p.wrt]
    analytic = f_rop(*p.values, *tangents)

    def shifted(sign: float) -> list[np.ndarray]:
        moved = list(p.values)
        for k, t in zip(p.wrt, tangents, strict=True):
            moved[k] = (p.values[k] + sign * p.tol.eps * t).astype(p.values[k].dtype)
        return [np.asarray(v) for v in f_output(*moved)]

    at_point = shifted(0.0)
    for j, (got, plus, minus) in enumerate(zip(analytic, shifted(1.0), shifted(-1.0), strict=True)):
        with np.errstate(invalid="ignore"):
            numeric = (plus - minus) / (2 * p.tol.eps)
        finite = np.isfinite(at_point[j])  # output elements that are NaN or infinite at the point are not checked
        _compare(f"the directional derivative (Rop) of output {j}",
                 np.where(finite, np.asarray(got, dtype="float64"), np.nan), np.where(finite, numeric, np.nan),
                 p.tol)


def _compare(what: str, analytic: np.ndarray, numeric: np.ndarray, tol: Tolerance) -> None:
    if analytic.shape != numeric.shape:
        raise GradientCheckError(f"verify: {what} has shape {analytic.shape}, expected {numeric.shape}")
    with np.errstate(invalid="ignore"):
        abs_err = np.abs(analytic - numeric)
        rel_err = abs_err / np.maximum(np.abs(analytic) + np.abs(numeric), 1e-300)
    same_nonfinite = (~np.isfinite(analytic) & ~np.isfinite(numeric)) | (analytic == numeric)
    bad = ~((abs_err <= tol.abs_tol) | (rel_err <= tol.rel_tol) | same_nonfinite)
    if np.any(bad):
        where = np.unravel_index(int(np.argmax(np.where(bad, abs_err, -1.0))), analytic.shape) \
            if analytic.ndim else ()
        raise GradientCheckError(
            f"verify: {what} disagrees with finite differences at index {where}: symbolic {analytic[where]!r}, "
            f"numeric {numeric[where]!r} (abs error {abs_err[where]:.3g}, rel error {rel_err[where]:.3g}; "
            f"tolerances abs {tol.abs_tol}, rel {tol.rel_tol}, eps {tol.eps})\nsymbolic:\n{analytic}\n"
            f"numeric:\n{numeric}")
