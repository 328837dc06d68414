"""The distributions built on the stream's primitives (lognormal ... multivariate_normal): sample moments against
theory (within 5 standard errors of n = 200k draws), the law itself against SciPy's (Kolmogorov-Smirnov for the
continuous ones, a chi-square test of the frequencies for the discrete ones), supports, shapes and broadcasting,
NumPy's errors for invalid parameters, and the same numbers in the reference evaluator and in the C mode."""

import numpy as np
import pytest
import scipy.stats

import arignote_core as ac

N = 200_000
P_MIN = 1e-3


def _draw(build, seed=2024):
    stream = ac.RandomStream(seed)
    return ac.function([], build(stream), updates=stream.updates())()


def _c_mode_available():
    try:
        import arignote  # noqa: F401  (the full stack: its C mode runs random draws through the op's perform)
    except ImportError:
        return False
    return True


def _from_mode(angle, mu):
    return ac.mod(angle - mu + np.pi, 2 * np.pi) - np.pi


# name: (build, the SciPy law)
CONTINUOUS = {
    "lognormal": (lambda s: s.lognormal(0.5, 0.4, size=N), scipy.stats.lognorm(0.4, scale=np.exp(0.5))),
    "laplace": (lambda s: s.laplace(-1.0, 2.0, size=N), scipy.stats.laplace(-1.0, 2.0)),
    "logistic": (lambda s: s.logistic(3.0, 0.5, size=N), scipy.stats.logistic(3.0, 0.5)),
    "gumbel": (lambda s: s.gumbel(1.0, 2.0, size=N), scipy.stats.gumbel_r(1.0, 2.0)),
    "weibull": (lambda s: s.weibull(1.7, size=N), scipy.stats.weibull_min(1.7)),
    "weibull a < 1": (lambda s: s.weibull(0.6, size=N), scipy.stats.weibull_min(0.6)),
    "pareto": (lambda s: s.pareto(6.0, 2.0, size=N), scipy.stats.pareto(6.0, scale=2.0)),
    "cauchy": (lambda s: s.cauchy(1.0, 3.0, size=N), scipy.stats.cauchy(1.0, 3.0)),
    "standard_cauchy": (lambda s: s.standard_cauchy(size=N), scipy.stats.cauchy()),
    "halfnormal": (lambda s: s.halfnormal(1.0, 2.0, size=N), scipy.stats.halfnorm(1.0, 2.0)),
    "halfcauchy": (lambda s: s.halfcauchy(-1.0, 0.5, size=N), scipy.stats.halfcauchy(-1.0, 0.5)),
    "invgamma": (lambda s: s.invgamma(6.0, 2.0, size=N), scipy.stats.invgamma(6.0, scale=2.0)),
    "invgamma shape < 1": (lambda s: s.invgamma(0.5, 1.0, size=N), scipy.stats.invgamma(0.5)),
    "rayleigh": (lambda s: s.rayleigh(2.0, size=N), scipy.stats.rayleigh(scale=2.0)),
    "standard_gamma": (lambda s: s.standard_gamma(3.0, size=N), scipy.stats.gamma(3.0)),
    "standard_exponential": (lambda s: s.standard_exponential(size=N), scipy.stats.expon()),
    "chisquare": (lambda s: s.chisquare(3.0, size=N), scipy.stats.chi2(3.0)),
    "chisquare df < 2": (lambda s: s.chisquare(0.7, size=N), scipy.stats.chi2(0.7)),
    "t": (lambda s: s.t(10.0, 1.0, 2.0, size=N), scipy.stats.t(10.0, 1.0, 2.0)),
    "standard_t heavy": (lambda s: s.standard_t(1.5, size=N), scipy.stats.t(1.5)),
    "wald": (lambda s: s.wald(2.0, 3.0, size=N), scipy.stats.invgauss(2.0 / 3.0, scale=3.0)),
    "wald large mean": (lambda s: s.wald(50.0, 0.5, size=N), scipy.stats.invgauss(100.0, scale=0.5)),
    "triangular": (lambda s: s.triangular(-1.0, 0.5, 4.0, size=N), scipy.stats.triang(0.3, -1.0, 5.0)),
    "triangular mode at an end": (lambda s: s.triangular(0.0, 0.0, 2.0, size=N), scipy.stats.triang(0.0, 0.0, 2.0)),
    # angles: the distance from the mode, wrapped to [-pi, pi], against SciPy's von Mises at 0
    "vonmises": (lambda s: _from_mode(s.vonmises(1.0, 2.5, size=N), 1.0), scipy.stats.vonmises(2.5)),
    "vonmises small kappa": (lambda s: _from_mode(s.vonmises(-2.0, 0.05, size=N), -2.0),
                             scipy.stats.vonmises(0.05)),
    "vonmises tiny kappa": (lambda s: s.vonmises(0.0, 1e-6, size=N), scipy.stats.uniform(-np.pi, 2 * np.pi)),
    "vonmises mode near pi": (lambda s: _from_mode(s.vonmises(3.0, 4.0, size=N), 3.0), scipy.stats.vonmises(4.0)),
    "vonmises large kappa": (lambda s: _from_mode(s.vonmises(-3.0, 3e6, size=N), -3.0),
                             scipy.stats.norm(0.0, 1 / np.sqrt(3e6))),
}


DISCRETE = {
    "geometric": (lambda s: s.geometric(0.3, size=N), scipy.stats.geom(0.3)),
    "geometric small p": (lambda s: s.geometric(0.01, size=N), scipy.stats.geom(0.01)),
    "negative_binomial": (lambda s: s.negative_binomial(3, 0.4, size=N), scipy.stats.nbinom(3, 0.4)),
    "negative_binomial real n": (lambda s: s.negative_binomial(0.5, 0.05, size=N), scipy.stats.nbinom(0.5, 0.05)),
    "beta_binomial": (lambda s: s.beta_binomial(20, 2.0, 3.0, size=N), scipy.stats.betabinom(20, 2.0, 3.0)),
    "beta_binomial large n": (lambda s: s.beta_binomial(500, 5.0, 1.0, size=N), scipy.stats.betabinom(500, 5, 1)),
    "hypergeometric": (lambda s: s.hypergeometric(10, 15, 12, size=N), scipy.stats.hypergeom(25, 10, 12)),
    "hypergeometric large": (lambda s: s.hypergeometric(4000, 6000, 3000, size=N),
                             scipy.stats.hypergeom(10000, 4000, 3000)),
}


def _assert_moments(x, mean, variance):
    standard_error = np.sqrt(variance / x.size)
    assert abs(x.mean() - mean) < 5 * standard_error, (x.mean(), mean)
    mu4 = np.mean((x - x.mean()) ** 4)  # the variance of the sample variance is about (mu4 - sigma^4) / n
    assert abs(x.var() - variance) < 5 * np.sqrt(max(mu4 - variance ** 2, 1e-30) / x.size), (x.var(), variance)


@pytest.mark.parametrize("name", CONTINUOUS)
def test_continuous_laws_match_scipy(name):
    build, law = CONTINUOUS[name]
    x = _draw(build)
    assert x.shape == (N,) and x.dtype == np.float64 and np.isfinite(x).all()
    assert scipy.stats.kstest(x, law.cdf).pvalue > P_MIN
    mean, variance = law.stats("mv")
    if np.isfinite(variance) and np.isfinite(law.moment(4)):
        _assert_moments(x, float(mean), float(variance))


@pytest.mark.parametrize("name", DISCRETE)
def test_discrete_laws_match_scipy(name):
    build, law = DISCRETE[name]
    x = _draw(build)
    assert x.shape == (N,) and x.dtype == np.int64
    _assert_moments(x.astype(np.float64), *(float(v) for v in law.stats("mv")))
    lo, hi = law.ppf(1e-4), law.ppf(1 - 1e-4)  # bins with enough expected counts, the tails pooled
    edges = np.arange(lo, hi + 1)
    observed = np.array([(x < lo).sum(), *((x == k).sum() for k in edges), (x > hi).sum()])
    expected = N * np.array([law.cdf(lo - 1), *law.pmf(edges), law.sf(hi)])
    keep = expected > 5
    observed, expected = observed[keep], expected[keep]
    assert scipy.stats.chisquare(observed, expected * observed.sum() / expected.sum()).pvalue > P_MIN


def test_supports():
    draws = _draw(lambda s: [
        s.lognormal(0.0, 3.0, size=N), s.halfnormal(-1.0, 2.0, size=N), s.chisquare(0.3, size=N),
        s.pareto(1.5, 2.0, size=N), s.weibull(0.3, size=N), s.halfcauchy(1.0, size=N), s.invgamma(2.0, size=N),
        s.rayleigh(size=N), s.wald(1.0, 0.1, size=N),
        s.triangular(2.0, 2.5, 3.0, size=N), s.vonmises(3.1, 0.5, size=N), s.geometric(0.9, size=N),
        s.negative_binomial(2.0, 0.99, size=N), s.beta_binomial(7, 0.2, 0.3, size=N),
        s.hypergeometric(5, 20, 22, size=N), s.hypergeometric(7, 3, 10, size=N)])
    (lognormal, halfnormal, chisquare, pareto, weibull, halfcauchy, invgamma, rayleigh, wald, triangular, vonmises,
     geometric, negbin, betabin, hyper, all_drawn) = draws
    assert (lognormal > 0).all() and (halfnormal >= -1.0).all() and (chisquare >= 0).all()
    assert (pareto >= 2.0).all() and (weibull >= 0).all() and (wald > 0).all() and (halfcauchy >= 1.0).all()
    assert (invgamma > 0).all() and (rayleigh >= 0).all()
    assert ((2.0 <= triangular) & (triangular <= 3.0)).all()
    assert ((-np.pi <= vonmises) & (vonmises <= np.pi)).all()
    assert geometric.min() == 1 and negbin.min() == 0 and set(np.unique(betabin)) == set(range(8))
    assert hyper.min() == 2 and hyper.max() == 5  # 22 of 25 drawn: at least 2 and at most 5 good ones
    assert (all_drawn == 7).all()


def test_dirichlet_draws_points_of_the_simplex_with_the_right_moments():
    alpha = np.array([0.5, 2.0, 3.5])
    x = _draw(lambda s: s.dirichlet(alpha, size=N))
    assert x.shape == (N, 3) and (x >= 0).all()
    np.testing.assert_allclose(x.sum(axis=1), 1.0, rtol=1e-12)
    a0 = alpha.sum()
    mean, variance = alpha / a0, alpha * (a0 - alpha) / (a0 ** 2 * (a0 + 1))
    for j in range(3):
        _assert_moments(x[:, j], mean[j], variance[j])
        assert scipy.stats.kstest(x[:, j], scipy.stats.beta(alpha[j], a0 - alpha[j]).cdf).pvalue > P_MIN


def test_multivariate_normal_has_the_mean_and_covariance_asked_for():
    mean = np.array([1.0, -2.0, 0.5])
    root = np.array([[1.0, 0.0, 0.0], [0.8, 0.6, 0.0], [-0.5, 1.2, 0.3]])
    cov = root @ root.T
    x = _draw(lambda s: s.multivariate_normal(mean, cov, size=N))
    assert x.shape == (N, 3)
    sample_cov = np.cov(x, rowvar=False)
    assert np.linalg.eigvalsh(sample_cov).min() > 0
    standard_error = np.sqrt((cov ** 2 + np.outer(np.diag(cov), np.diag(cov))) / N)  # of each sample covariance
    assert (np.abs(sample_cov - cov) < 5 * standard_error).all()
    assert (np.abs(x.mean(axis=0) - mean) < 5 * np.sqrt(np.diag(cov) / N)).all()
    whitened = np.linalg.solve(np.linalg.cholesky(cov), (x - mean).T).ravel()
    assert scipy.stats.kstest(whitened, scipy.stats.norm.cdf).pvalue > P_MIN


def test_parameters_broadcast_and_sizes_apply():
    stream = ac.RandomStream(0)
    df, loc = ac.dmatrix("df"), ac.dvector("loc")
    t = stream.t(df, loc, 2.0)
    tri = stream.triangular(0.0, np.array([0.2, 0.5]), 1.0, size=(3, 2), dtype="float32")
    hyper = stream.hypergeometric(np.array([[5], [50]]), 10, np.array([1, 2, 3]))
    alpha = stream.dirichlet(np.ones((2, 1, 4)), size=(5, 2, 3))
    mvn = stream.multivariate_normal(np.zeros((2, 3)), np.eye(3))
    mvn_batched = stream.multivariate_normal(np.zeros(3), np.stack([np.eye(3)] * 4), size=(5, 4))
    assert t.type.shape == (None, None) and tri.type.shape == (3, 2) and tri.dtype == "float32"
    assert hyper.type.shape == (2, 3) and alpha.type.shape == (5, 2, 3, 4)
    assert mvn.type.shape == (2, 3) and mvn_batched.type.shape == (5, 4, 3)
    outputs = [t, tri, hyper, alpha, mvn, mvn_batched]
    f = ac.function([df, loc], [*outputs, *(o.shape for o in outputs)], updates=stream.updates())
    values = f(np.full((2, 1), 5.0), np.zeros(3))
    for value, shape in zip(values[:6], values[6:], strict=True):
        assert value.shape == tuple(shape)
    assert values[0].shape == (2, 3) and values[1].dtype == np.float32
    assert (values[2][0] <= np.array([1, 2, 3])).all()
    np.testing.assert_allclose(values[3].sum(axis=-1), 1.0)
    with pytest.raises(ValueError):
        f(np.ones((2, 2)), np.zeros(3))


def test_a_vector_parameter_may_be_a_list_or_tuple():
    x, y = _draw(lambda s: [s.dirichlet((1, 2, 3)), s.multivariate_normal([0.0, 1.0], [[1.0, 0.0], [0.0, 1.0]])])
    assert x.shape == (3,) and y.shape == (2,)


INVALID = [
    ("lognormal", (0.0, -1.0), "sigma < 0"), ("laplace", (0.0, -1.0), "scale < 0"),
    ("logistic", (0.0, -1.0), "scale < 0"), ("gumbel", (0.0, -1.0), "scale < 0"), ("weibull", (-1.0,), "a < 0"),
    ("pareto", (0.0,), "b <= 0"), ("pareto", (2.0, 0.0), "scale <= 0"), ("cauchy", (0.0, -1.0), "scale < 0"),
    ("halfnormal", (0.0, -1.0), "scale < 0"), ("halfcauchy", (0.0, -1.0), "scale < 0"),
    ("invgamma", (0.0,), "shape <= 0"), ("invgamma", (1.0, 0.0), "scale <= 0"), ("rayleigh", (-1.0,), "scale < 0"),
    ("chisquare", (0.0,), "df <= 0"), ("standard_t", (0.0,), "df <= 0"),
    ("t", (3.0, 0.0, -1.0), "scale < 0"), ("wald", (0.0, 1.0), "mean <= 0"), ("wald", (1.0, 0.0), "scale <= 0"),
    ("triangular", (1.0, 0.0, 2.0), "left > mode"), ("triangular", (0.0, 3.0, 2.0), "mode > right"),
    ("triangular", (1.0, 1.0, 1.0), "left == right"), ("vonmises", (0.0, -1.0), "kappa < 0"),
    ("geometric", (0.0,), "p <= 0"), ("geometric", (1.5,), "p <= 0"), ("geometric", (np.nan,), "NaN"),
    ("negative_binomial", (0, 0.5), "n <= 0"), ("negative_binomial", (1, 0.0), "p <= 0"),
    ("beta_binomial", (-1, 1.0, 1.0), "n < 0"), ("beta_binomial", (3, 0.0, 1.0), "a <= 0"),
    ("hypergeometric", (3, 4, 8), "ngood \\+ nbad < nsample"), ("hypergeometric", (-1, 4, 2), "ngood < 0"),
    ("hypergeometric", (3, 4, -1), "nsample < 0"), ("dirichlet", (np.array([-1.0, 1.0]),), "alpha < 0"),
    ("multivariate_normal", (np.zeros(2), np.array([[1.0, 2.0], [2.0, 1.0]])), "not symmetric positive definite"),
    ("multivariate_normal", (np.zeros(3), np.eye(2)), "mean has 3 components"),
    ("multivariate_normal", (np.zeros(3), np.ones((3, 2))), "cov must be square"),
]


@pytest.mark.parametrize(("name", "args", "message"), INVALID, ids=[f"{n}-{m}" for n, _, m in INVALID])
def test_invalid_parameters_raise_numpys_errors(name, args, message):
    stream = ac.RandomStream(0)
    f = ac.function([], getattr(stream, name)(*args, size=(2,)))
    with pytest.raises(ValueError, match=f"{name if name != 'standard_t' else 't'}: .*{message}"):
        f()


def test_vector_parameters_need_their_core_axes():
    stream = ac.RandomStream(0)
    with pytest.raises(ValueError, match="parameter 0 needs at least 1 dimension"):
        stream.dirichlet(2.0)
    with pytest.raises(ValueError, match="parameter 1 needs at least 2 dimension"):
        stream.multivariate_normal(np.zeros(2), np.ones(2))


def _every_distribution(s, n=7):
    return [
        s.lognormal(size=n), s.laplace(size=n), s.logistic(size=n), s.gumbel(size=n), s.weibull(0.8, size=n),
        s.pareto(2.0, size=n), s.cauchy(size=n), s.halfnormal(size=n), s.chisquare(0.5, size=n),
        s.t(3.0, size=n), s.standard_t(8.0, size=n), s.halfcauchy(size=n), s.invgamma(0.7, size=n),
        s.rayleigh(size=n), s.wald(1.0, 1.0, size=n),
        s.triangular(0.0, 0.2, 1.0, size=n), s.vonmises(0.0, np.array([0.0, 1e-6, 0.7, 30.0, 1e7]), size=(n, 5)),
        s.geometric(0.2, size=n), s.negative_binomial(4, 0.3, size=n), s.beta_binomial(400, 0.5, 0.5, size=n),
        s.hypergeometric(np.array([10, 1000]), 800, np.array([5, 900]), size=(n, 2)),
        s.dirichlet(np.array([0.3, 1.0, 9.0]), size=n), s.multivariate_normal(np.zeros(3), np.diag([1.0, 2.0, 3.0]),
                                                                             size=n),
    ]


def test_each_element_depends_only_on_its_index():
    """Counter-based: the first 7 draws of a sample of 500 are the draws of a sample of 7."""
    small = _draw(lambda s: _every_distribution(s, 7), seed=5)
    large = _draw(lambda s: _every_distribution(s, 500), seed=5)
    for a, b in zip(small, large, strict=True):
        np.testing.assert_array_equal(a, b[:7])


@pytest.mark.skipif(not _c_mode_available(), reason="the C mode needs arignote (codegen-c) installed")
def test_the_c_mode_draws_the_very_same_numbers():
    import arignote as ar

    reference_stream, c_stream = ac.RandomStream(77), ac.RandomStream(77)
    reference = ac.function([], _every_distribution(reference_stream), updates=reference_stream.updates())
    compiled = ar.function([], _every_distribution(c_stream), updates=c_stream.updates(), mode="c")
    for _ in range(2):  # the first call and the next, after the updates advanced both streams
        for a, b in zip(reference(), compiled(), strict=True):
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(a, b)
