"""RandomStream: moments against theory (fixed seeds, bounds of a few standard errors), NumPy-style broadcasting,
reproducibility from a seed, state updates, and the Philox generator bit for bit against NumPy's."""

import numpy as np
import pytest
import scipy.special
import scipy.stats

import arignote_core as ac
from arignote_core.random.philox import philox4x64

N = 200_000


def _draw(build, seed=1234):
    stream = ac.RandomStream(seed)
    draws = build(stream)
    return ac.function([], draws, updates=stream.updates())()


def _truncnorm_moments(a, b):
    z = scipy.stats.norm.cdf(b) - scipy.stats.norm.cdf(a)
    pa, pb = scipy.stats.norm.pdf(a), scipy.stats.norm.pdf(b)
    mean = (pa - pb) / z
    return mean, 1 + (a * pa - b * pb) / z - mean ** 2


# name: (build, theoretical mean, theoretical variance)
MOMENTS = {
    "normal": (lambda s: s.normal(1.5, 2.0, size=N), 1.5, 4.0),
    "uniform": (lambda s: s.uniform(-1.0, 3.0, size=N), 1.0, 16 / 12),
    "integers": (lambda s: s.integers(-3, 7, size=N), 1.5, (10 ** 2 - 1) / 12),
    "integers endpoint": (lambda s: s.integers(0, 4, size=N, endpoint=True), 2.0, (5 ** 2 - 1) / 12),
    "bernoulli": (lambda s: s.bernoulli(0.3, size=N), 0.3, 0.21),
    "binomial small": (lambda s: s.binomial(20, 0.3, size=N), 6.0, 4.2),
    "binomial large": (lambda s: s.binomial(1000, 0.4, size=N), 400.0, 240.0),
    "binomial p > 1/2": (lambda s: s.binomial(50, 0.9, size=N), 45.0, 4.5),
    "poisson small": (lambda s: s.poisson(3.0, size=N), 3.0, 3.0),
    "poisson large": (lambda s: s.poisson(80.0, size=N), 80.0, 80.0),
    "gamma": (lambda s: s.gamma(2.5, 2.0, size=N), 5.0, 10.0),
    "gamma shape < 1": (lambda s: s.gamma(0.3, 1.5, size=N), 0.45, 0.3 * 1.5 ** 2),
    "beta": (lambda s: s.beta(2.0, 5.0, size=N), 2 / 7, 10 / (49 * 8)),
    "beta small shapes": (lambda s: s.beta(0.5, 0.8, size=N), 0.5 / 1.3, 0.4 / (1.3 ** 2 * 2.3)),
    "exponential": (lambda s: s.exponential(3.0, size=N), 3.0, 9.0),
    "truncated_normal": (lambda s: s.truncated_normal(1.0, 2.0, -1.0, 2.0, size=N),
                         1.0 + 2.0 * _truncnorm_moments(-1.0, 2.0)[0], 4.0 * _truncnorm_moments(-1.0, 2.0)[1]),
    "truncated_normal far tail": (lambda s: s.truncated_normal(0.0, 1.0, 4.0, 6.0, size=N),
                                  *_truncnorm_moments(4.0, 6.0)),
    "categorical": (lambda s: s.categorical(np.array([0.2, 0.5, 0.3]), size=N), 1.1, 1.7 - 1.1 ** 2),
}


@pytest.mark.parametrize("name", MOMENTS)
def test_mean_and_variance_match_theory(name):
    build, mean, variance = MOMENTS[name]
    x = _draw(build).astype(np.float64)
    assert x.shape == (N,)
    standard_error = np.sqrt(variance / N)
    assert abs(x.mean() - mean) < 4.5 * standard_error, (x.mean(), mean)
    # the variance of the sample variance is about (mu4 - sigma^4) / N; 4.5 of its standard errors, with mu4
    # estimated from the sample
    mu4 = np.mean((x - x.mean()) ** 4)
    assert abs(x.var() - variance) < 4.5 * np.sqrt(max(mu4 - variance ** 2, 1e-30) / N), (x.var(), variance)


def test_multinomial_counts_match_theory():
    p = np.array([0.2, 0.5, 0.3])
    counts = _draw(lambda s: s.multinomial(10, p, size=N))
    assert counts.shape == (N, 3) and (counts.sum(axis=1) == 10).all()
    np.testing.assert_allclose(counts.mean(axis=0), 10 * p, atol=4.5 * np.sqrt(10 * p * (1 - p) / N).max())
    np.testing.assert_allclose(counts.var(axis=0), 10 * p * (1 - p), rtol=0.02)


def test_choice_and_permutation():
    stream = ac.RandomStream(7)
    draws = [stream.choice(5, size=(4,), replace=False), stream.permutation(8),
             stream.permutation(np.arange(12.0).reshape(4, 3)), stream.choice(np.array([10, 20, 30]), size=N,
                                                                                 p=np.array([0.1, 0.6, 0.3])),
             stream.choice(4, size=N)]
    without, perm, rows, weighted, uniform = ac.function([], draws, updates=stream.updates())()
    assert len(set(without.tolist())) == 4 and set(without.tolist()) <= set(range(5))
    assert sorted(perm.tolist()) == list(range(8))
    assert sorted(rows[:, 0].tolist()) == [0.0, 3.0, 6.0, 9.0] and (rows[:, 1] == rows[:, 0] + 1).all()
    np.testing.assert_allclose([(weighted == v).mean() for v in (10, 20, 30)], [0.1, 0.6, 0.3], atol=0.005)
    np.testing.assert_allclose(np.bincount(uniform) / N, 0.25, atol=0.005)


def test_weighted_choice_without_replacement_follows_the_weights():
    stream = ac.RandomStream(3)
    first = stream.choice(3, size=1, replace=False, p=np.array([0.7, 0.2, 0.1]))
    f = ac.function([], first, updates=stream.updates())
    picks = np.array([f()[0] for _ in range(3000)])
    np.testing.assert_allclose(np.bincount(picks, minlength=3) / 3000, [0.7, 0.2, 0.1], atol=0.03)


def test_parameters_broadcast_like_numpy_generator():
    stream = ac.RandomStream(0)
    loc = ac.dvector("loc")
    scale = ac.dmatrix("scale")
    x = stream.normal(loc, scale)
    y = stream.normal(loc, 1.0, size=(2, 3))
    z = stream.binomial(np.array([[5], [10]]), np.array([0.1, 0.5, 0.9]))
    assert x.type.shape == (None, None) and y.type.shape == (2, 3) and z.type.shape == (2, 3)
    f = ac.function([loc, scale], [x, y, z], updates=stream.updates())
    xv, yv, zv = f(np.zeros(3), np.ones((2, 1)))
    assert xv.shape == (2, 3) and yv.shape == (2, 3) and zv.shape == (2, 3)
    assert (zv[0] <= 5).all() and (zv[1] <= 10).all()
    with pytest.raises(ValueError):
        f(np.zeros(3), np.ones((2, 4)))


def test_scale_and_location_apply_per_element():
    stream = ac.RandomStream(5)
    x = stream.normal(np.array([0.0, 100.0]), np.array([1.0, 0.01]), size=(N // 4, 2))
    values = ac.function([], x, updates=stream.updates())()
    np.testing.assert_allclose(values.mean(axis=0), [0.0, 100.0], atol=0.02)
    np.testing.assert_allclose(values.std(axis=0), [1.0, 0.01], rtol=0.02)


def test_same_seed_same_numbers_and_each_call_advances():
    def compiled(seed):
        stream = ac.RandomStream(seed)
        return ac.function([], [stream.normal(size=(5,)), stream.integers(0, 100, size=(3,))],
                           updates=stream.updates())

    f, g = compiled(11), compiled(11)
    first_f, second_f = f(), f()
    first_g, second_g = g(), g()
    for a, b in zip(first_f + second_f, first_g + second_g, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first_f[0], second_f[0])
    other = compiled(12)()
    assert not np.array_equal(first_f[0], other[0])


def test_two_draws_of_one_stream_are_independent():
    stream = ac.RandomStream(9)
    a, b = stream.normal(size=N), stream.normal(size=N)
    x, y = ac.function([], [a, b], updates=stream.updates())()
    assert abs(np.corrcoef(x, y)[0, 1]) < 4.5 / np.sqrt(N)


def test_reseeding_restarts_the_stream():
    stream = ac.RandomStream(1)
    x = stream.uniform(size=(4,))
    f = ac.function([], x, updates=stream.updates())
    first = f()
    f()
    stream.seed(1)
    np.testing.assert_array_equal(f(), first)


def test_the_state_is_an_explicit_input_and_an_output():
    stream = ac.RandomStream(3)
    x = stream.normal(size=(4,))
    (state, next_state), = stream.updates()
    assert x.owner.inputs[0] is state and next_state is x.owner.outputs[0]
    assert state.default_update is next_state
    state_value = state.get_value()
    f = ac.function([], [x, next_state], no_default_updates=True)
    values, advanced = f()
    assert advanced[2] == state_value[2] + 1
    np.testing.assert_array_equal(f()[0], values)  # without the update the state stays


def test_each_element_depends_only_on_its_index():
    """The counter-based layout: the first k draws of a larger sample are the draws of a size-k sample."""
    small = _draw(lambda s: [s.normal(size=(5,)), s.gamma(0.7, size=(5,)), s.binomial(500, 0.3, size=(5,))])
    large = _draw(lambda s: [s.normal(size=(1000,)), s.gamma(0.7, size=(1000,)),
                             s.binomial(500, 0.3, size=(1000,))])
    for a, b in zip(small, large, strict=True):
        np.testing.assert_array_equal(a, b[:5])


def test_philox_matches_numpy_bit_for_bit():
    key = np.array([0x0123456789ABCDEF, 0xFEDCBA9876543210], np.uint64)
    generator = np.random.Philox(key=key, counter=[5, 0, 0, 0])
    expected = generator.random_raw(8)
    counters = np.array([[6, 0, 0, 0], [7, 0, 0, 0]], np.uint64)
    np.testing.assert_array_equal(philox4x64(counters, key).ravel(), expected)


def test_dtypes_sizes_and_errors():
    stream = ac.RandomStream(2)
    n = ac.lscalar("n")
    x = stream.uniform(size=(n, 2), dtype="float32")
    k = stream.integers(5, size=3, dtype="int8")
    assert x.dtype == "float32" and x.type.shape == (None, 2) and k.dtype == "int8"
    f = ac.function([n], [x, k], updates=stream.updates())
    xv, kv = f(3)
    assert xv.shape == (3, 2) and xv.dtype == np.float32 and ((0 <= kv) & (kv < 5)).all()
    with pytest.raises(ValueError, match="negative"):
        stream.normal(size=(-1,))
    with pytest.raises(ValueError, match="larger sample"):
        stream.choice(3, size=4, replace=False)
    assert scipy.special.ndtr(0.0) == 0.5  # the truncated normal's inversion uses SciPy's ndtr/ndtri


@pytest.mark.parametrize("draw", ["uniform", "normal", "exponential", "poisson", "integers"])
def test_a_shape_where_a_parameter_goes_is_refused(draw):
    """Theano's ``uniform((2, 3))`` read in NumPy's order would draw from bounds (2, 3): refused, naming size."""
    stream = ac.random.RandomStream(0)
    with pytest.raises(TypeError, match=r"looks like a shape; pass it as size=\(2, 3\)"):
        getattr(stream, draw)((2, 3))
    assert stream.uniform(np.array([2.0, 3.0]), 4.0).type.shape == (2,)  # array-valued bounds stay allowed
    assert stream.uniform(size=(2, 3)).type.shape == (2, 3)
