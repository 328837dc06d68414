"""``jacobian`` of every differentiable op of the conformance table, with the sizes unknown at build time (those
the op needs known, like cross's 3, as the sample declares them), against central differences of the same
compiled function."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import arignote_core as ac
import arignote_grad as ag
from arignote_core.testing import ALL_CASES, call_oracle

#: larger inputs are left to the gradient conformance test (central differences cost one call per element)
LARGEST_INPUT = 40


def _first_output(out):
    return out[0] if isinstance(out, list | tuple) else out


def _built(case, sample):
    """Symbolic inputs with every size unknown, or, where the op needs sizes known, the sample's own."""
    for shapes in ([(None,) * v.ndim for v in sample.values], sample.static_shapes):
        inputs = [ac.tensor(v.dtype.name, shape, f"x{k}") for k, (v, shape) in
                  enumerate(zip(sample.values, shapes, strict=True))]
        try:
            out = _first_output(case.build(*inputs, **sample.kwargs))
            wrt = [inputs[k] for k in case.wrt(sample) if sample.values[k].dtype.kind == "f"]
            return inputs, out, wrt, ag.jacobian(out, wrt, disconnected_inputs="ignore")
        except (ValueError, ag.UndefinedGradientError):
            continue  # the op needs sizes known to build (cross, unstack) or to differentiate (qr)
    pytest.fail(f"{case.name}: no jacobian with the sizes unknown or as the sample declares them")


def _central_differences(function, values, k, step=1e-6):
    x = values[k].astype(np.float64)
    base = np.asarray(function(*values))
    jac = np.zeros(base.shape + x.shape)
    for index in np.ndindex(x.shape):
        h = step * max(1.0, abs(x[index]))
        up, down = x.copy(), x.copy()
        up[index] += h
        down[index] -= h
        plus = np.asarray(function(*[up if j == k else v for j, v in enumerate(values)]))
        minus = np.asarray(function(*[down if j == k else v for j, v in enumerate(values)]))
        jac[(...,) + index] = (plus - minus) / (2 * h)
    return jac


def _checked(case):
    if not case.differentiable:
        return None
    for sample in case.grad_samples()[:1]:
        floats = [k for k in case.wrt(sample) if sample.values[k].dtype.kind == "f"]
        if not floats or call_oracle(case, sample)[1] is not None:
            continue
        inputs = [ac.tensor(v.dtype.name, shape) for v, shape in zip(sample.values, sample.static_shapes, strict=True)]
        if _first_output(case.build(*inputs, **sample.kwargs)).type.dtype[0] == "f":
            return sample  # (a cast to an integer has no derivative to take)
    return None


CASES = [(case, sample) for case in ALL_CASES if (sample := _checked(case)) is not None]


@pytest.mark.parametrize(("case", "sample"), CASES, ids=[case.name for case, _ in CASES])
def test_jacobian_of_every_differentiable_op_with_unknown_sizes(case, sample):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        inputs, out, wrt, jacobians = _built(case, sample)
        mode = "reference"
        got = ac.function(inputs, jacobians, mode=mode, on_unused_input="ignore")(*sample.values)
        function = ac.function(inputs, out, mode=mode, on_unused_input="ignore")
        for jac, var in zip(got, wrt, strict=True):
            k = inputs.index(var)
            if sample.values[k].size > LARGEST_INPUT:
                continue
            want = _central_differences(function, list(sample.values), k)
            np.testing.assert_allclose(jac, want, rtol=1e-4, atol=1e-5, err_msg=f"d {case.name} / d x{k}")
