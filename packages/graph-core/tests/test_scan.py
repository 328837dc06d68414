"""``scan`` against NumPy loops: recurrences, taps, outputs not fed back, while loops, nested loops, empty loops,
scalar states, backwards loops, shared variables and random draws in the step, and ``map``/``reduce``/``foldl``/
``foldr``, in the reference evaluator and, where arignote is installed, in its C mode."""

import numpy as np
import pytest

import arignote_core as ac
from arignote_core.control import Scan, foldl, foldr, map, reduce, scan, until


def _modes():
    modes = [None]
    try:
        import arignote  # noqa: F401  (the full stack: its C mode runs a scan through the op's perform)
    except ImportError:
        return modes
    return [*modes, "c"]


MODES = _modes()


def compile_fn(inputs, outputs, mode, **kwargs):
    if mode == "c":
        import arignote as ar

        return ar.function(inputs, outputs, mode="c", **kwargs)
    return ac.function(inputs, outputs, **kwargs)


@pytest.fixture
def rng():
    return np.random.default_rng(42)


@pytest.mark.parametrize("mode", MODES)
def test_rnn_matches_a_numpy_loop(rng, mode):
    x, W, U = ac.dmatrix("x"), ac.dmatrix("W"), ac.dmatrix("U")
    b, h0 = ac.dvector("b"), ac.dvector("h0")
    h, updates = scan(lambda x_t, h_tm1: ac.tanh(x_t @ W + h_tm1 @ U + b), sequences=x, outputs_info=h0)
    assert updates == {} and h.type.ndim == 2
    f = compile_fn([x, W, U, b, h0], h, mode)
    xv, Wv, Uv = rng.normal(size=(6, 3)), rng.normal(size=(3, 4)), rng.normal(size=(4, 4))
    bv, hv = rng.normal(size=4), rng.normal(size=4)
    expected, state = [], hv
    for t in range(6):
        state = np.tanh(xv[t] @ Wv + state @ Uv + bv)
        expected.append(state)
    np.testing.assert_allclose(f(xv, Wv, Uv, bv, hv), expected, rtol=1e-12)


@pytest.mark.parametrize("mode", MODES)
def test_cumulative_sum_of_rows_and_a_scalar_state(rng, mode):
    x = ac.dmatrix("x")
    rows, _ = scan(lambda x_t, acc: acc + x_t, sequences=x, outputs_info=ac.zeros_like(x[0]))
    total, _ = scan(lambda x_t, acc: acc + x_t.sum(), sequences=x, outputs_info=np.float64(0.0))
    f = compile_fn([x], [rows, total], mode)
    xv = rng.normal(size=(5, 3))
    got_rows, got_total = f(xv)
    np.testing.assert_allclose(got_rows, np.cumsum(xv, axis=0))
    np.testing.assert_allclose(got_total, np.cumsum(xv.sum(axis=1)))
    assert got_total.shape == (5,)


@pytest.mark.parametrize("mode", MODES)
def test_sequence_taps_and_state_taps(rng, mode):
    x = ac.dvector("x")
    h0 = ac.dvector("h0")  # the three values before the first step, oldest first

    def step(x_tm2, x_t, x_tp1, h_tm1, h_tm3):
        return x_tm2 + 2 * x_t + 3 * x_tp1 + 0.5 * h_tm1 - 0.25 * h_tm3

    h, _ = scan(step, sequences=dict(input=x, taps=[-2, 0, 1]), outputs_info=dict(initial=h0, taps=[-1, -3]))
    f = compile_fn([x, h0], h, mode)
    xv, hv = rng.normal(size=9), rng.normal(size=3)
    values = list(hv)
    for t in range(9 - 3):
        i = t + 2  # the position of tap 0
        values.append(xv[i - 2] + 2 * xv[i] + 3 * xv[i + 1] + 0.5 * values[-1] - 0.25 * values[-3])
    np.testing.assert_allclose(f(xv, hv), values[3:])


@pytest.mark.parametrize("mode", MODES)
def test_several_outputs_some_not_fed_back(rng, mode):
    x = ac.dvector("x")

    def step(x_t, s_tm1, p_tm1):
        return x_t * 2, s_tm1 + x_t, p_tm1 * x_t, x_t ** 2

    (double, sums, prods, squares), _ = scan(step, sequences=x, outputs_info=[None, np.float64(0), np.float64(1),
                                                                                None])
    f = compile_fn([x], [double, sums, prods, squares], mode)
    xv = rng.normal(size=5)
    got = f(xv)
    for value, expected in zip(got, [2 * xv, np.cumsum(xv), np.cumprod(xv), xv ** 2], strict=True):
        np.testing.assert_allclose(value, expected)


@pytest.mark.parametrize("mode", MODES)
def test_until_ends_the_loop_early(mode):
    x0, limit = ac.dscalar("x0"), ac.dscalar("limit")

    def step(x):
        new = x * 2
        return new, until(new > limit)

    values, _ = scan(step, outputs_info=x0, n_steps=100)
    f = compile_fn([x0, limit], values, mode)
    np.testing.assert_allclose(f(1.0, 20.0), [2, 4, 8, 16, 32])
    np.testing.assert_allclose(f(1.0, 1e9), 2.0 ** np.arange(1, 31))
    assert f(1.0, 1e300).shape == (100,)  # n_steps is the maximum


@pytest.mark.parametrize("mode", MODES)
def test_nested_scan(rng, mode):
    x = ac.dmatrix("x")  # rows of a matrix, each summed by an inner loop

    def row_sum(row, acc):
        inner, _ = scan(lambda v, s: s + v, sequences=row, outputs_info=np.float64(0))
        return acc + inner[-1]

    totals, _ = scan(row_sum, sequences=x, outputs_info=np.float64(0))
    f = compile_fn([x], totals, mode)
    xv = rng.normal(size=(4, 3))
    np.testing.assert_allclose(f(xv), np.cumsum(xv.sum(axis=1)))


@pytest.mark.parametrize("mode", MODES)
def test_zero_steps_give_empty_stacks(mode):
    x, W = ac.dmatrix("x"), ac.dmatrix("W")
    h0 = ac.dvector("h0")
    (h, y), _ = scan(lambda x_t, h: (ac.tanh(x_t @ W + h), (x_t @ W).sum() * h[:2]), sequences=x,
                     outputs_info=[h0, None])
    f = compile_fn([x, W, h0], [h, y], mode)
    got_h, got_y = f(np.zeros((0, 3)), np.ones((3, 4)), np.ones(4))
    assert got_h.shape == (0, 4) and got_y.shape == (0, 2)


@pytest.mark.parametrize("mode", MODES)
def test_go_backwards_reads_the_sequences_from_their_end(rng, mode):
    x = ac.dvector("x")
    acc, _ = scan(lambda x_t, s: s * 0.5 + x_t, sequences=x, outputs_info=np.float64(0), go_backwards=True)
    taps, _ = scan(lambda a, b: a - b, sequences=dict(input=x, taps=[0, 2]), go_backwards=True)
    f = compile_fn([x], [acc, taps], mode)
    xv = rng.normal(size=6)
    expected, s = [], 0.0
    for value in xv[::-1]:
        s = s * 0.5 + value
        expected.append(s)
    got_acc, got_taps = f(xv)
    np.testing.assert_allclose(got_acc, expected)
    # Theano's meaning: each tap's slice of the sequence, reversed
    np.testing.assert_allclose(got_taps, (xv[0:4] - xv[2:6])[::-1])


@pytest.mark.parametrize("mode", MODES)
def test_n_steps_with_sequences_takes_the_fewer(rng, mode):
    x = ac.dvector("x")
    n = ac.lscalar("n")
    ys, _ = scan(lambda v: v * 3, sequences=x, n_steps=n)
    f = compile_fn([x, n], ys, mode)
    xv = rng.normal(size=5)
    np.testing.assert_allclose(f(xv, 3), xv[:3] * 3)
    np.testing.assert_allclose(f(xv, 10), xv * 3)


@pytest.mark.parametrize("mode", MODES)
def test_states_of_any_rank_and_integer_dtype(mode):
    m0 = ac.dtensor3("m0")
    counts, _ = scan(lambda c: c + 1, outputs_info=np.int64(0), n_steps=4)
    cubes, _ = scan(lambda m: m * 2, outputs_info=m0, n_steps=3)
    f = compile_fn([m0], [counts, cubes], mode)
    got_counts, got_cubes = f(np.ones((2, 1, 3)))
    assert got_counts.dtype == np.int64 and got_counts.tolist() == [1, 2, 3, 4]
    np.testing.assert_allclose(got_cubes, [np.full((2, 1, 3), 2.0 ** k) for k in (1, 2, 3)])


@pytest.mark.parametrize("mode", MODES)
def test_shared_variables_read_and_updated_in_the_step(mode):
    W = ac.shared(np.array([[0.5, 0.0], [0.0, 2.0]]), name="W")
    counter = ac.shared(np.int64(0), name="counter")
    h0 = ac.dvector("h0")

    def step(h):
        return h @ W, {counter: counter + 1}

    hs, updates = scan(step, outputs_info=h0, n_steps=3)
    assert list(updates) == [counter]
    f = compile_fn([h0], hs, mode, updates=updates)
    np.testing.assert_allclose(f(np.ones(2)), [[0.5, 2], [0.25, 4], [0.125, 8]])
    assert counter.get_value() == 3
    f(np.ones(2))
    assert counter.get_value() == 6


@pytest.mark.parametrize("mode", MODES)
def test_random_draws_advance_every_step_and_across_calls(mode):
    stream = ac.RandomStream(seed=7)

    def step(acc):
        return acc + stream.normal(size=(2,))

    walk, updates = scan(step, outputs_info=ac.zeros(2), n_steps=4)
    assert len(updates) == 1
    f = compile_fn([], walk, mode, updates=updates)
    first, second = f(), f()
    steps = np.diff(np.concatenate([np.zeros((1, 2)), first]), axis=0)
    assert len({tuple(s) for s in steps}) == 4  # a new draw at every step
    assert not np.allclose(first, second)  # and the generator's state advanced across calls
    # the same draws as the stream gives outside a loop, one call after another
    reference = ac.RandomStream(seed=7)
    draw = reference.normal(size=(2,))
    g = ac.function([], draw, updates=reference.updates())
    np.testing.assert_allclose(steps, [g() for _ in range(4)])


@pytest.mark.parametrize("mode", MODES)
def test_map_reduce_foldl_foldr(rng, mode):
    x, y = ac.dvector("x"), ac.dvector("y")
    squares, _ = map(lambda a, b: a * b, sequences=[x, y])
    total, _ = reduce(lambda a, acc: acc + a, sequences=x, outputs_info=np.float64(0))
    left, _ = foldl(lambda a, acc: acc * 2 + a, sequences=x, outputs_info=np.float64(0))
    right, _ = foldr(lambda a, acc: acc * 2 + a, sequences=x, outputs_info=np.float64(0))
    f = compile_fn([x, y], [squares, total, left, right], mode)
    xv, yv = rng.normal(size=5), rng.normal(size=5)
    got = f(xv, yv)
    expected_left = expected_right = 0.0
    for a, b in zip(xv, xv[::-1], strict=True):
        expected_left, expected_right = expected_left * 2 + a, expected_right * 2 + b
    np.testing.assert_allclose(got[0], xv * yv)
    np.testing.assert_allclose(got[1], xv.sum())
    np.testing.assert_allclose(got[2], expected_left)
    np.testing.assert_allclose(got[3], expected_right)


def test_fn_receives_sequence_taps_then_state_taps_then_non_sequences():
    x, c = ac.dvector("x"), ac.dscalar("c")
    seen = []

    def step(*args):
        seen.extend(args)
        return args[2] + args[0] * args[4]

    scan(step, sequences=dict(input=x, taps=[0, 1]), outputs_info=dict(initial=ac.dvector("h"), taps=[-2, -1]),
         non_sequences=c)
    assert [str(v) for v in seen] == ["x[t]", "x[t+1]", "h[t-2]", "h[t-1]", "c"]


def test_the_loop_is_one_scan_node_computing_step_invariants_once():
    x, W = ac.dvector("x"), ac.dmatrix("W")
    out, _ = scan(lambda x_t, h: h + x_t * ac.exp(W).sum(), sequences=x, outputs_info=np.float64(0))
    node = out.owner
    assert isinstance(node.op, Scan)
    # exp(W).sum() reads nothing of the step: it is computed before the loop, as a non-sequence
    assert node.op.info.n_non_sequences == 1 and node.inputs[-1].owner is not None
    assert "Scan" in str(node.op)


def test_infer_shape_of_the_stacks():
    x, W, h0 = ac.dmatrix("x"), ac.dmatrix("W"), ac.dvector("h0")
    (h, y), _ = scan(lambda x_t, h: (h + 1, x_t @ W), sequences=x, outputs_info=[h0, None])
    shape_h, shape_y = ac.infer_shape(h), ac.infer_shape(y)
    f = ac.function([x, W, h0], [ac.stack(list(shape_h)), ac.stack(list(shape_y))])
    got_h, got_y = f(np.ones((5, 3)), np.ones((3, 7)), np.ones(2))
    assert got_h.tolist() == [5, 2] and got_y.tolist() == [5, 7]
    assert not any(isinstance(n.op, Scan) for n in f.fgraph.toposort())  # the loop does not run for its shape


# -- errors --------------------------------------------------------------------------------------------------


def test_an_error_in_a_step_names_the_scan_the_step_the_shapes_and_the_line():
    x, W = ac.dmatrix("x"), ac.dmatrix("W")

    def step(x_t):
        return x_t @ W  # the line the error points at

    ys, _ = scan(step, sequences=x, name="project")
    f = ac.function([x, W], ys)
    with pytest.raises(ValueError) as info:
        f(np.ones((4, 3)), np.ones((2, 2)))
    message = str(info.value)
    assert "scan 'project'" in message and "step 0 of 4" in message
    assert "x[t] (float64, shape (3,))" in message
    assert "return x_t @ W  # the line the error points at" in message


def test_a_state_changing_shape_is_an_error_at_run_time():
    h0 = ac.dvector("h0")
    hs, _ = scan(lambda h: ac.concatenate([h, h]), outputs_info=h0, n_steps=3, name="grow")
    f = ac.function([h0], hs)
    with pytest.raises(ValueError, match=r"scan 'grow'.*step 0 of 3 gave state 0 of shape \(4,\).*initial value has "
                                         r"shape \(2,\)"):
        f(np.ones(2))


def test_mismatched_state_types_are_errors_at_scan_time():
    h0 = ac.fvector("h0")
    with pytest.raises(TypeError, match=r"output 0 of fn is fed back.*expected float32.*got .* float64.*"
                                        r"\.astype\('float32'\)"):
        scan(lambda h: h * np.float64(2.0) + ac.dvector("d"), outputs_info=h0, n_steps=2)
    with pytest.raises(TypeError, match=r"expected float64 with shape \(\?,\) per step.*2 dimensions instead of 1"):
        scan(lambda h: ac.outer(h, h), outputs_info=ac.dvector("v"), n_steps=2)
    with pytest.raises(TypeError, match=r"another static shape"):
        scan(lambda h: ac.zeros(3), outputs_info=ac.zeros(2), n_steps=2)


def test_argument_errors():
    x = ac.dvector("x")
    with pytest.raises(ValueError, match="no sequences and no n_steps"):
        scan(lambda h: h, outputs_info=x)
    with pytest.raises(ValueError, match="fn returned 2 outputs, but outputs_info has 1"):
        scan(lambda v, h: (h, v), sequences=x, outputs_info=np.float64(0))
    with pytest.raises(ValueError, match="negative taps only"):
        scan(lambda h: h, outputs_info=dict(initial=x, taps=[1]), n_steps=2)
    with pytest.raises(ValueError, match="n_steps is -1"):
        scan(lambda h: h, outputs_info=x, n_steps=-1)
    with pytest.raises(ValueError, match="until's condition must be a scalar"):
        scan(lambda h: (h, until(h > 0)), outputs_info=x, n_steps=2)
    with pytest.raises(ValueError, match="strict.*uses c"):
        c = ac.dscalar("c")
        scan(lambda v: v * c, sequences=x, strict=True)


@pytest.mark.parametrize("mode", MODES)
def test_random_draws_in_a_nested_scan_advance_with_the_outer_loop(mode):
    stream = ac.RandomStream(seed=5)

    def outer(acc):
        inner, _ = scan(lambda a: a + stream.uniform(size=()), outputs_info=np.float64(0), n_steps=3)
        return acc + inner[-1]

    totals, updates = scan(outer, outputs_info=np.float64(0), n_steps=4)
    f = compile_fn([], totals, mode, updates=updates)
    reference = ac.RandomStream(seed=5)
    draw = ac.function([], reference.uniform(size=()), updates=reference.updates())
    draws = np.array([draw() for _ in range(24)])
    np.testing.assert_allclose(f(), np.cumsum(draws[:12].reshape(4, 3).sum(axis=1)))
    np.testing.assert_allclose(f(), np.cumsum(draws[12:].reshape(4, 3).sum(axis=1)))


def test_a_function_without_the_updates_still_advances_the_generators_by_the_whole_loop():
    stream = ac.RandomStream(seed=7)
    walk, _ = scan(lambda acc: acc + stream.normal(size=(2,)), outputs_info=ac.zeros(2), n_steps=3)
    f = ac.function([], walk)
    first, second = np.diff(f(), axis=0, prepend=0), np.diff(f(), axis=0, prepend=0)
    assert len({tuple(row) for row in np.concatenate([first, second])}) == 6


def test_a_step_returning_only_updates():
    counter = ac.shared(np.float64(1.0), name="counter")
    outputs, updates = scan(lambda: {counter: counter * 3}, n_steps=4)
    assert outputs is None
    ac.function([], [], updates=updates)()
    assert counter.get_value() == 81
    assert scan(lambda: {counter: counter * 3}, n_steps=4, return_list=True)[0] == []


def test_a_function_with_a_scan_pickles_and_runs_the_same():
    import pickle

    x, w = ac.dvector("x"), ac.dscalar("w")
    h, _ = scan(lambda v, h: ac.tanh(h * w + v), sequences=x, outputs_info=np.float64(0))
    f = ac.function([x, w], h)
    g = pickle.loads(pickle.dumps(f))
    np.testing.assert_array_equal(g(np.arange(3.0), 0.5), f(np.arange(3.0), 0.5))
