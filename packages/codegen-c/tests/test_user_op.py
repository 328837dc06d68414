"""A user-defined op with its own C code (a ``c_code`` method, or a function in the registry) is compiled,
cached and profiled like the built-in kernels."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from arignote_c import CBackend, CKernel, register_c_code
from arignote_core import Apply, Op, TensorType, as_tensor, function, tensor
from arignote_core.mode import Mode


@dataclass(frozen=True)
class ClampedSquare(Op):
    """min(x**2, limit) elementwise, for float64 vectors; brings its own C."""

    limit: float

    def make_node(self, x: Any) -> Apply:
        x = as_tensor(x)
        return Apply(self, [x], [TensorType("float64", x.type.shape)])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        return [np.minimum(inputs[0] ** 2, self.limit)]

    def c_code(self, node: Apply) -> CKernel:
        return CKernel(body=f"""
    const ag_array *x = &in[0];
    double *y = (double *)out[0].data;
    for (int64_t i = 0; i < x->shape[0]; ++i) {{
        double v = *(const double *)(x->data + i * x->strides[0]);
        y[i] = v * v < {self.limit!r} ? v * v : {self.limit!r};
    }}
    return 0;""")


@dataclass(frozen=True)
class PairSums(Op):
    """Sums of neighbouring pairs: y[i] = x[2i] + x[2i+1] (C code registered for the class)."""

    def make_node(self, x: Any) -> Apply:
        x = as_tensor(x)
        return Apply(self, [x], [TensorType(x.type.dtype, (None,))])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        x = inputs[0]
        return [x[0::2] + x[1::2]]


@register_c_code(PairSums)
def _pair_sums(node: Apply) -> CKernel:
    return CKernel(body="""
    if (in[0].shape[0] % 2) { PyErr_SetString(PyExc_ValueError, "PairSums needs an even length"); return -1; }
    for (int64_t i = 0; i < out[0].shape[0]; ++i) {
        const char *p = in[0].data + 2 * i * in[0].strides[0];
        ((double *)out[0].data)[i] = *(const double *)p + *(const double *)(p + in[0].strides[0]);
    }
    return 0;""", output_shapes=lambda shapes: [(shapes[0][0] // 2,)])


def test_user_ops_are_compiled_cached_and_profiled(cache_dir) -> None:
    import pytest

    mode = Mode(backend=CBackend(), options={"cache_dir": str(cache_dir), "threads": 1, "profile": True})
    x = tensor("float64", (None,), "x")
    f = function([x], [ClampedSquare(4.0)(x) + 1, PairSums()(x * 2)], mode=mode)
    value = np.array([0.5, -3.0, 1.5, 2.5])
    first, second = f(value[::-1])
    np.testing.assert_array_equal(first, np.minimum(value[::-1] ** 2, 4.0) + 1)
    np.testing.assert_array_equal(second, [8.0, -5.0])
    info = f.executable.info
    assert not info.fallbacks
    assert {s.label for s in info.steps if type(s.node.op) in (ClampedSquare, PairSums)} == {"user"}
    stats, _ = f.executable.stats()
    assert all(calls == 1 for _, calls in stats)
    assert "ClampedSquare" in f.executable.report()
    again = function([x], [ClampedSquare(4.0)(x) + 1, PairSums()(x * 2)], mode=mode)
    assert not again.executable.info.built  # every kernel, the user's too, came from the cache
    with pytest.raises(ValueError, match="PairSums needs an even length") as error:
        f(np.zeros(3))
    assert "test_user_op.py" in str(error.value)
