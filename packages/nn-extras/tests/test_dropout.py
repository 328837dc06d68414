"""Dropout: the fraction dropped, inverted scaling, a new mask per call, reproducibility from the seed, the
gradient through the mask, inference as the identity."""

import numpy as np
import pytest

import arignote_core as ac
import arignote_nn as nn
from arignote_grad import grad


def test_drops_the_stated_fraction_and_rescales():
    stream = ac.RandomStream(1)
    x = ac.tensor("float32", (200, 500), "x")
    f = ac.function([x], nn.dropout(x, 0.3, stream), updates=stream.updates())
    out = f(np.ones((200, 500), "float32"))
    assert out.dtype == np.float32
    kept = out != 0
    standard_error = np.sqrt(0.3 * 0.7 / out.size)
    assert abs(kept.mean() - 0.7) < 4.5 * standard_error
    np.testing.assert_allclose(out[kept], 1 / 0.7, rtol=1e-6)


def test_a_new_mask_each_call_and_the_same_masks_from_the_same_seed():
    def masks(seed):
        stream = ac.RandomStream(seed)
        x = ac.tensor("float64", (None, None), "x")
        f = ac.function([x], nn.dropout(x, 0.5, stream, rescale=False), updates=stream.updates())
        return [f(np.ones((8, 9))) for _ in range(3)]

    first, again, other = masks(7), masks(7), masks(8)
    assert first[0].shape == (8, 9) and set(np.unique(first[0])) <= {0.0, 1.0}
    assert not np.array_equal(first[0], first[1])
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert not np.array_equal(first[0], other[0])


def test_gradient_goes_through_the_kept_elements():
    stream = ac.RandomStream(3)
    x = ac.tensor("float64", (6, 7), "x")
    y = nn.dropout(x, 0.4, stream)
    f = ac.function([x], [y, grad(ac.sum(y), x)], updates=stream.updates())
    out, g = f(np.ones((6, 7)))
    np.testing.assert_array_equal(g, out)


def test_inference_and_zero_probability_are_the_identity():
    x = ac.dmatrix("x")
    stream = ac.RandomStream(0)
    assert nn.dropout(x, 0.5, stream, training=False) is x
    assert nn.dropout(x, 0.0, stream) is x
    assert stream.updates() == []


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5])
def test_bad_probabilities(p):
    with pytest.raises(ValueError, match="probability"):
        nn.dropout(ac.dmatrix(), p, ac.RandomStream(0))
