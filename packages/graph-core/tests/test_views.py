"""Views are declared: an op output that shares memory with an input must be listed in the op's ``view_map``
(``function`` copies such outputs before returning them, backends plan buffers by it), and ``function`` never
hands the caller an array that shares memory with an input."""

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pytest

import arignote_core as ac
from arignote_core.graph import toposort
from arignote_core.testing import parametrize_cases
from arignote_core.testing.runner import quiet


def _undeclared_views(case):
    """(op, output, input) for every node output of the case's graphs that shares memory with an input of its
    node without being declared a view of it, each node computed by its own ``perform``."""
    found = set()
    for s in case.make_samples():
        if s.tags & {"error", "build-error"}:
            continue
        inputs = [ac.tensor(v.dtype, shape) for v, shape in zip(s.values, s.static_shapes, strict=True)]
        try:
            built = case.build(*inputs, **s.kwargs)
        except (TypeError, ValueError, IndexError, OverflowError, NotImplementedError):
            continue
        outputs = list(built) if isinstance(built, list | tuple) else [built]
        values = dict(zip(inputs, s.values, strict=True))
        with quiet():
            for node in toposort(outputs):
                args = [values[v] if v in values else v.data for v in node.inputs]
                try:
                    results = node.op.perform(node, args)
                except Exception:  # noqa: BLE001 -- a sample NumPy rejects at run time; the conformance suite checks it
                    break
                for o, (var, result) in enumerate(zip(node.outputs, results, strict=True)):
                    values[var] = result
                    declared = node.op.view_map.get(o, [])
                    for i, arg in enumerate(args):
                        if isinstance(result, np.ndarray) and isinstance(arg, np.ndarray) \
                                and i not in declared and np.shares_memory(result, arg):
                            found.add((str(node.op), o, i))
    return found


@parametrize_cases()
def test_an_output_sharing_memory_with_an_input_is_declared_a_view(case):
    assert not _undeclared_views(case)


@pytest.mark.parametrize("build", [
    pytest.param(lambda x: ac.squeeze(x, 1), id="squeeze of an axis of unknown size"),
    pytest.param(lambda x: ac.specify_shape(x, (None, 1)), id="specify_shape"),
    pytest.param(lambda x: ac.broadcast_to(x, x.shape), id="broadcast_to"),
    pytest.param(lambda x: ac.sum_to_shape(x, x.shape), id="sum_to_shape with nothing to sum"),
    pytest.param(lambda x: ac.real(x), id="real"),
    pytest.param(lambda x: ac.einsum("ij->ji", x), id="einsum transpose"),
])
def test_writing_into_an_output_leaves_the_input_alone(build):
    x = ac.dmatrix("x")
    value = np.ones((3, 1))
    out = ac.function([x], build(x))(value)
    assert not np.shares_memory(out, value)
    out[...] = 7.0
    np.testing.assert_array_equal(value, np.ones((3, 1)))


@dataclass(frozen=True)
class _EitherInput(ac.Op):
    """Its second input, declared a view of both (an op that may return either)."""

    view_map: ClassVar[dict[int, list[int]]] = {0: [0, 1]}

    def make_node(self, a, b):
        return ac.Apply(self, [a, b], [b.type])

    def perform(self, node, inputs):
        return [inputs[1]]


def test_a_view_of_any_declared_input_is_copied():
    x, y = ac.dvector("x"), ac.dvector("y")
    value = np.ones(3)
    out = ac.function([x, y], _EitherInput()(ac.exp(x), y))(np.zeros(3), value)
    assert not np.shares_memory(out, value)
