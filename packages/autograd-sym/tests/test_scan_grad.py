"""Derivatives through ``scan``: backpropagation through time against finite differences (``verify_grad``) and a
hand-written NumPy BPTT (truncated), the pushforward (``verify_rop``), Jacobians and Hessians through a loop."""

import numpy as np
import pytest

import arignote_core as ac
import arignote_grad as ag
from arignote_core.control import Scan, foldl, map, scan, until


def rnn(x, W, U, b, h0, **kwargs):
    h, _ = scan(lambda x_t, h_tm1: ac.tanh(x_t @ W + h_tm1 @ U + b), sequences=x, outputs_info=h0, **kwargs)
    return h


def rnn_points(rng, steps=5):
    return [rng.normal(size=(steps, 3)), rng.normal(size=(3, 4)), 0.5 * rng.normal(size=(4, 4)),
            rng.normal(size=4), rng.normal(size=4)]


def test_rnn_gradient_in_every_input(rng):
    ag.verify_grad(rnn, rnn_points(rng), rng=rng)


def test_rnn_gradient_of_the_last_state_only(rng):
    ag.verify_grad(lambda *args: rnn(*args)[-1], rnn_points(rng), rng=rng)


def test_gradient_with_sequence_and_state_taps(rng):
    def fn(x, h0, w):
        def step(x_tm2, x_t, x_tp1, h_tm1, h_tm3):
            return ac.sin(x_tm2 * w + x_t * x_tp1) + 0.5 * h_tm1 * h_tm3

        h, _ = scan(step, sequences=dict(input=x, taps=[-2, 0, 1]), outputs_info=dict(initial=h0, taps=[-1, -3]))
        return h

    ag.verify_grad(fn, [rng.normal(size=(8, 2)), rng.normal(size=(3, 2)), rng.normal(size=2)], rng=rng)


def test_gradient_of_several_outputs_some_not_fed_back(rng):
    def fn(x, a):
        def step(x_t, s_tm1):
            return x_t * a, s_tm1 * ac.cos(x_t) + a

        (y, s), _ = scan(step, sequences=x, outputs_info=[None, ac.zeros_like(a)])
        return [y, s]

    ag.verify_grad(fn, [rng.normal(size=(4, 3)), rng.normal(size=3)], rng=rng)


def test_gradient_going_backwards(rng):
    def fn(x, h0):
        h, _ = scan(lambda a, b, h: h * a + b, sequences=dict(input=x, taps=[0, 2]), outputs_info=h0,
                    go_backwards=True)
        return h

    ag.verify_grad(fn, [rng.normal(size=6), rng.normal(size=())], rng=rng)


def test_gradient_through_a_nested_scan(rng):
    def fn(x, w):
        def outer(row, acc):
            inner, _ = scan(lambda v, s: ac.tanh(s * w + v), sequences=row, outputs_info=ac.zeros_like(w))
            return acc + inner[-1]

        totals, _ = scan(outer, sequences=x, outputs_info=ac.zeros_like(w))
        return totals

    ag.verify_grad(fn, [rng.normal(size=(3, 4)), rng.normal(size=())], rng=rng)


def test_gradient_of_map_and_foldl(rng):
    ag.verify_grad(lambda x, y: map(lambda a, b: a * ac.exp(b), sequences=[x, y])[0],
                   [rng.normal(size=(4, 2)), rng.normal(size=(4, 2))], rng=rng)
    ag.verify_grad(lambda x: foldl(lambda a, acc: acc * a + 1, sequences=x, outputs_info=np.float64(1))[0],
                   [rng.normal(size=5)], rng=rng)


def test_gradient_with_respect_to_shared_variables_the_step_reads(rng):
    W = ac.shared(rng.normal(size=(3, 3)), name="W")
    x = ac.dmatrix("x")
    h, _ = scan(lambda x_t, h: ac.tanh(x_t + h @ W), sequences=x, outputs_info=ac.zeros(3))
    g = ag.grad(h.sum(), W)
    xv = rng.normal(size=(4, 3))
    got = ac.function([x], g)(xv)

    def cost(w):
        state, total = np.zeros(3), 0.0
        for t in range(4):
            state = np.tanh(xv[t] + state @ w)
            total += state.sum()
        return total

    w0, eps = W.get_value(), 1e-6
    numeric = np.zeros_like(w0)
    for idx in np.ndindex(*w0.shape):
        plus, minus = w0.copy(), w0.copy()
        plus[idx] += eps
        minus[idx] -= eps
        numeric[idx] = (cost(plus) - cost(minus)) / (2 * eps)
    np.testing.assert_allclose(got, numeric, rtol=1e-5, atol=1e-8)


def _numpy_truncated_bptt(xv, Wv, Uv, bv, hv, k):
    """Gradients of sum(h) w.r.t. W, U, b, h0 and x, going back at most k steps from the last (Theano's
    truncate_gradient: the backward loop runs over the last k steps only)."""
    T = len(xv)
    hs = [hv]
    for t in range(T):
        hs.append(np.tanh(xv[t] @ Wv + hs[-1] @ Uv + bv))
    gW, gU, gb, gx = np.zeros_like(Wv), np.zeros_like(Uv), np.zeros_like(bv), np.zeros_like(xv)
    carry = np.zeros_like(hv)
    for t in range(T - 1, max(T - k, 0) - 1, -1):
        dh = np.ones_like(hv) + carry
        da = dh * (1 - hs[t + 1] ** 2)
        gW += np.outer(xv[t], da)
        gU += np.outer(hs[t], da)
        gb += da
        gx[t] = Wv @ da
        carry = Uv @ da
    gh0 = carry if k >= T else np.zeros_like(hv)
    return [gW, gU, gb, gh0, gx]


@pytest.mark.parametrize("k", [1, 3, 5, 9])
def test_truncate_gradient_against_a_truncated_numpy_bptt(rng, k):
    x, W, U, b, h0 = ac.dmatrix("x"), ac.dmatrix("W"), ac.dmatrix("U"), ac.dvector("b"), ac.dvector("h0")
    h = rnn(x, W, U, b, h0, truncate_gradient=k)
    grads = ag.grad(h.sum(), [W, U, b, h0, x])
    values = rnn_points(rng, steps=6)
    got = ac.function([x, W, U, b, h0], grads)(*values)
    expected = _numpy_truncated_bptt(*values, k=k)
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-12)


def test_gradient_of_zero_steps_is_zero():
    x, w, h0 = ac.dvector("x"), ac.dscalar("w"), ac.dscalar("h0")
    h, _ = scan(lambda v, h: h * w + v, sequences=x, outputs_info=h0)
    grads = ag.grad(h.sum() + h0, [w, h0, x])
    got = ac.function([x, w, h0], grads)(np.zeros(0), 2.0, 1.0)
    assert got[0] == 0 and got[1] == 1 and got[2].shape == (0,)


def test_gradient_through_random_draws_in_the_step(rng):
    """A mask drawn at every step (dropout): the backward loop reads the generator's state of each step, from
    the forward loop run again."""
    stream = ac.RandomStream(seed=3)
    x, w = ac.dvector("x"), ac.dscalar("w")

    def step(v, h):
        mask = stream.bernoulli(0.5, size=()).astype("float64")
        return ac.tanh(h * w + v) * mask + h * (1 - mask)

    h, updates = scan(step, sequences=x, outputs_info=np.float64(0.5))
    state = next(iter(updates))
    start = state.get_value()
    f = ac.function([x, w], [h, ag.grad(h.sum(), w)], no_default_updates=True)
    xv = rng.normal(size=6)
    values, gw = f(xv, 0.7)
    masks = []  # the masks, recovered from the values: 1 where the step changed h
    previous = 0.5
    for t in range(6):
        masks.append(float(not np.isclose(values[t], previous)))
        previous = values[t]

    def cost(wv):
        hv, total = 0.5, 0.0
        for t in range(6):
            hv = np.tanh(hv * wv + xv[t]) * masks[t] + hv * (1 - masks[t])
            total += hv
        return total

    np.testing.assert_allclose(gw, (cost(0.7 + 1e-6) - cost(0.7 - 1e-6)) / 2e-6, rtol=1e-6)
    np.testing.assert_array_equal(state.get_value(), start)


def test_until_has_no_gradient():
    x0 = ac.dscalar("x0")
    values, _ = scan(lambda v: (v * 2, until(v > 10)), outputs_info=x0, n_steps=10)
    with pytest.raises(ag.UndefinedGradientError, match="while loop"):
        ag.grad(values.sum(), x0)


def test_integer_states_and_sequences_carry_no_gradient(rng):
    x, w = ac.lvector("x"), ac.dscalar("w")
    (count, y), _ = scan(lambda v, c: (c + v, w * ac.cast(v, "float64")), sequences=x,
                         outputs_info=[np.int64(0), None])
    gw = ag.grad(y.sum(), w)
    np.testing.assert_allclose(ac.function([x, w], gw)(np.arange(4), 2.0), 6.0)
    with pytest.raises(ag.UndefinedGradientError, match="integer"):
        ag.grad(y.sum(), x)
    del count


def test_the_backward_loop_is_a_scan_going_backwards():
    x, w = ac.dvector("x"), ac.dscalar("w")
    h, _ = scan(lambda v, h: h * w + v, sequences=x, outputs_info=np.float64(0), name="decay")
    g = ag.grad(h.sum(), w)
    scans = [n.op for n in ac.function([x, w], g).fgraph.toposort() if isinstance(n.op, Scan)]
    assert any(op.info.go_backwards and op.name == "grad of decay" for op in scans)


def test_the_backward_step_reads_the_recorded_states_instead_of_computing_them_again(rng):
    """tanh's derivative uses its output: the backward step reads h_t from the forward loop's stack, so it has no
    tanh and no product of the forward step (only the derivative's four: the gradients of x_t, h, W and U),
    and the values are the same."""
    x, W, U, b, h0 = ac.dmatrix("x"), ac.dmatrix("W"), ac.dmatrix("U"), ac.dvector("b"), ac.dvector("h0")
    grads = ag.grad(rnn(x, W, U, b, h0)[-1].sum(), [W, U, b, h0])
    backward = [n.op for n in ac.graph.toposort(grads) if isinstance(n.op, Scan) and n.op.info.go_backwards]
    (step,) = [op.step for op in backward]
    ops = [n.op for n in step.fgraph.toposort()]
    assert not any(getattr(getattr(op, "scalar_op", None), "name", None) == "tanh" for op in ops)
    assert sum(type(op).__name__ in ("Dot", "MatMul") for op in ops) == 4
    ag.verify_grad(lambda *args: rnn(*args)[-1], rnn_points(rng), rng=rng)


# -- forward mode, Jacobians, Hessians ---------------------------------------------------------------------------


def test_rop_of_an_rnn(rng):
    ag.verify_rop(rnn, rnn_points(rng), rng=rng)


def test_rop_with_taps_and_outputs(rng):
    def fn(x, h0):
        def step(a, b, h1, h2):
            return h1 * ac.sin(a) + h2 * b, a * h1

        (h, y), _ = scan(step, sequences=dict(input=x, taps=[0, 1]), outputs_info=[dict(initial=h0, taps=[-1, -2]),
                                                                                     None])
        return [h, y]

    ag.verify_rop(fn, [rng.normal(size=7), rng.normal(size=2)], rng=rng)


def test_jacobian_through_scan(rng):
    x, W = ac.dmatrix("x"), ac.dmatrix("W")
    h0 = ac.dvector("h0")
    h, _ = scan(lambda x_t, h: ac.tanh(x_t @ W + h), sequences=x, outputs_info=h0)
    jac = ag.jacobian(h[-1], h0)
    xv, Wv, hv = rng.normal(size=(3, 2)), rng.normal(size=(2, 2)), rng.normal(size=2)
    got = ac.function([x, W, h0], jac)(xv, Wv, hv)

    def last(h_start):
        state = h_start
        for t in range(3):
            state = np.tanh(xv[t] @ Wv + state)
        return state

    numeric = np.stack([(last(hv + e * 1e-6) - last(hv - e * 1e-6)) / 2e-6 for e in np.eye(2)], axis=1)
    np.testing.assert_allclose(got, numeric, rtol=1e-6, atol=1e-9)


def test_hessian_through_scan(rng):
    x, w = ac.dvector("x"), ac.dvector("w")
    h, _ = scan(lambda v, h: ac.tanh(h * w + v), sequences=x, outputs_info=ac.zeros_like(w))
    hess = ag.hessian(h[-1].sum(), w)
    xv, wv = rng.normal(size=4), rng.normal(size=2)
    got = ac.function([x, w], hess)(xv, wv)
    g = ac.function([x, w], ag.grad(h[-1].sum(), w))
    numeric = np.stack([(g(xv, wv + e * 1e-6) - g(xv, wv - e * 1e-6)) / 2e-6 for e in np.eye(2)], axis=1)
    np.testing.assert_allclose(got, numeric, rtol=1e-5, atol=1e-8)


def test_gradients_in_the_c_mode(rng):
    ar = pytest.importorskip("arignote")
    x, W, U, b, h0 = ac.dmatrix("x"), ac.dmatrix("W"), ac.dmatrix("U"), ac.dvector("b"), ac.dvector("h0")
    h = rnn(x, W, U, b, h0)
    grads = ag.grad(h.sum(), [W, U, b, h0, x])
    values = rnn_points(rng)
    got = ar.function([x, W, U, b, h0], grads, mode="c")(*values)
    expected = ac.function([x, W, U, b, h0], grads)(*values)
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-12)


@pytest.mark.parametrize("go_backwards", [False, True])
def test_gradient_when_n_steps_reads_part_of_the_sequences(rng, go_backwards):
    def fn(x, h0):
        h, _ = scan(lambda a, b, h: ac.sin(h) * a + b, sequences=dict(input=x, taps=[-1, 1]), outputs_info=h0,
                    n_steps=4, go_backwards=go_backwards)
        return h

    ag.verify_grad(fn, [rng.normal(size=9), rng.normal(size=())], rng=rng)
