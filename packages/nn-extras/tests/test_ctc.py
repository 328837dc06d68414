"""The CTC loss: against every alignment enumerated on tiny cases, the probability-space reference, PyTorch's
``ctc_loss`` where installed; its gradient numerically and against PyTorch's; infeasible labellings, Theano's
-1 padding, shapes, errors, and the C backend (where it runs as a Python step)."""

import numpy as np
import pytest

import arignote_core as ac
import arignote_nn as nn
from arignote_core.mode import get_mode
from arignote_core.tensors.shape_inference import infer_shape
from arignote_grad import UndefinedGradientError, grad, verify_grad
from arignote_nn.testing import references as ref


def _variables(dtype="float64"):
    return (ac.tensor(dtype, (None, None, None), "acts"), ac.lmatrix("labels"), ac.lvector("input_lengths"),
            ac.lvector("label_lengths"))


def _loss_and_grad(blank=0, dtype="float64", mode=None):
    acts, labels, il, ll = _variables(dtype)
    loss = nn.ctc_loss(acts, labels, il, ll, blank=blank)
    weights = ac.dvector("weights")
    g = grad(ac.sum(loss * weights.astype(dtype)), acts)
    return ac.function([acts, labels, il, ll, weights], [loss, g], mode=mode)


def _random_problem(rng, steps, batch, classes, width, blank=0):
    labels = rng.integers(0, classes - 1, size=(batch, width))
    labels = labels + (labels >= blank)  # never the blank
    label_lengths = rng.integers(0, width + 1, size=batch)
    input_lengths = rng.integers(1, steps + 1, size=batch)
    input_lengths[0] = steps
    return rng.normal(size=(steps, batch, classes)), labels, input_lengths, label_lengths


@pytest.mark.parametrize(("steps", "classes", "labels"), [
    (3, 3, [1, 2]), (4, 3, [1, 1]), (4, 3, [2]), (3, 2, []), (4, 3, [1, 2, 1]), (2, 3, [1, 1]), (1, 4, [3]),
])
def test_matches_every_alignment_enumerated(steps, classes, labels):
    rng = np.random.default_rng(len(labels) * 10 + steps)
    acts = rng.normal(size=(steps, 1, classes))
    padded = np.array([labels + [0] * (2 - len(labels)) if len(labels) < 2 else labels])
    f = _loss_and_grad()
    got, _ = f(acts, padded, [steps], [len(labels)], [1.0])
    want = ref.ctc_loss_brute_force(acts[:, 0], labels)
    if np.isinf(want):
        assert got[0] == np.inf
    else:
        np.testing.assert_allclose(got[0], want, rtol=1e-12)


def test_a_blank_other_than_zero_matches_brute_force():
    acts = np.random.default_rng(3).normal(size=(4, 1, 3))
    got, _ = _loss_and_grad(blank=2)(acts, [[0, 1]], [4], [2], [1.0])
    np.testing.assert_allclose(got[0], ref.ctc_loss_brute_force(acts[:, 0], [0, 1], blank=2), rtol=1e-12)


@pytest.mark.parametrize(("steps", "batch", "classes", "width", "blank"), [
    (12, 4, 6, 4, 0), (30, 3, 10, 8, 0), (7, 5, 4, 3, 3), (20, 1, 28, 6, 5),
])
def test_matches_pytorch_losses_and_gradients(steps, batch, classes, width, blank):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(steps + batch)
    acts, labels, input_lengths, label_lengths = _random_problem(rng, steps, batch, classes, width, blank)
    weights = rng.uniform(0.5, 2.0, size=batch)
    loss, g = _loss_and_grad(blank)(acts, labels, input_lengths, label_lengths, weights)
    t = torch.tensor(acts, requires_grad=True)
    want = torch.nn.functional.ctc_loss(torch.log_softmax(t, -1), torch.tensor(labels), torch.tensor(input_lengths),
                                        torch.tensor(label_lengths), blank=blank, reduction="none")
    (want * torch.tensor(weights)).sum().backward()
    finite = np.isfinite(want.detach().numpy())
    np.testing.assert_allclose(loss[finite], want.detach().numpy()[finite], rtol=1e-10)
    assert np.all(np.isinf(loss[~finite]))
    np.testing.assert_allclose(g[:, finite], t.grad.numpy()[:, finite], rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(loss, ref.ctc_loss(acts, labels, input_lengths, label_lengths, blank), rtol=1e-9)


def test_gradient_numerically():
    rng = np.random.default_rng(5)
    acts, labels, input_lengths, label_lengths = _random_problem(rng, 5, 3, 4, 2)
    label_lengths[:] = [2, 1, 0]
    input_lengths[:] = [5, 3, 4]
    verify_grad(lambda a: nn.ctc_loss(a, ac.constant(labels), ac.constant(input_lengths),
                                      ac.constant(label_lengths)), [acts], rng=0)


def test_infeasible_labellings_cost_inf_with_zero_gradient():
    """``[1, 1]`` needs a blank between its repeats: three frames at least."""
    acts = np.random.default_rng(6).normal(size=(2, 2, 3))
    loss, g = _loss_and_grad()(acts, [[1, 1], [1, 2]], [2, 2], [2, 2], [1.0, 1.0])
    assert loss[0] == np.inf and np.isfinite(loss[1])
    assert not g[:, 0].any() and g[:, 1].any()


def test_frames_past_an_input_length_get_no_gradient():
    acts = np.random.default_rng(7).normal(size=(6, 2, 4))
    _, g = _loss_and_grad()(acts, [[1, 2], [3, 0]], [6, 3], [2, 1], [1.0, 1.0])
    assert not g[3:, 1].any() and g[:3, 1].all()
    np.testing.assert_allclose(g.sum(axis=-1), 0, atol=1e-12)  # softmax minus a distribution, on each frame


def test_theano_padding_with_minus_one():
    rng = np.random.default_rng(8)
    acts = rng.normal(size=(5, 3, 4))
    labels = np.array([[1, 2, 3], [2, -1, -1], [-1, -1, -1]])
    a, lab, il = ac.dtensor3("a"), ac.lmatrix("labels"), ac.lvector("il")
    got = ac.function([a, lab, il], nn.ctc_loss(a, lab, il))(acts, labels, [5, 4, 2])
    want = ref.ctc_loss(acts, np.maximum(labels, 0), np.array([5, 4, 2]), np.array([3, 1, 0]))
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_empty_input_and_empty_labels():
    acts = np.zeros((3, 2, 3))
    loss, g = _loss_and_grad()(acts, [[1], [1]], [0, 0], [0, 1], [1.0, 1.0])
    assert loss.tolist() == [0.0, np.inf] and not g.any()


def test_float32_keeps_its_dtype():
    rng = np.random.default_rng(9)
    acts, labels, input_lengths, label_lengths = _random_problem(rng, 8, 3, 5, 3)
    loss, g = _loss_and_grad(dtype="float32")(acts.astype("float32"), labels, input_lengths, label_lengths,
                                              np.ones(3))
    assert loss.dtype == g.dtype == np.float32
    np.testing.assert_allclose(loss, ref.ctc_loss(acts, labels, input_lengths, label_lengths), rtol=1e-5)


def test_shapes():
    acts, labels, il, ll = ac.tensor("float64", (7, 5, 3)), ac.lmatrix(), ac.lvector(), ac.lvector()
    assert nn.ctc_loss(acts, labels, il, ll).type.shape == (5,)
    a = ac.dtensor3("a")
    loss = nn.ctc_loss(a, labels, il, ll)
    dims = ac.function([a], ac.as_tensor(infer_shape(loss)[0]))(np.zeros((4, 6, 3)))
    assert int(dims) == 6


def test_second_derivative_is_refused():
    acts, labels, il, ll = _variables()
    g = grad(ac.sum(nn.ctc_loss(acts, labels, il, ll)), acts)
    with pytest.raises(UndefinedGradientError, match="second derivative of the CTC loss"):
        grad(ac.sum(g), acts)


@pytest.mark.parametrize(("make", "error", "message"), [
    (lambda: nn.ctc_loss(ac.dmatrix(), ac.lmatrix(), ac.lvector(), ac.lvector()), TypeError, "activations"),
    (lambda: nn.ctc_loss(ac.itensor3(), ac.lmatrix(), ac.lvector(), ac.lvector()), TypeError, "activations"),
    (lambda: nn.ctc_loss(ac.dtensor3(), ac.dmatrix(), ac.lvector(), ac.lvector()), TypeError, "labels"),
    (lambda: nn.ctc_loss(ac.dtensor3(), ac.lmatrix(), ac.lmatrix(), ac.lvector()), TypeError, "input_lengths"),
    (lambda: nn.ctc_loss(ac.dtensor3(), ac.lmatrix(), ac.lvector(), ac.dvector()), TypeError, "label_lengths"),
])
def test_bad_types_are_refused(make, error, message):
    with pytest.raises(error, match=message):
        make()


@pytest.mark.parametrize(("labels", "input_lengths", "label_lengths", "blank", "message"), [
    ([[1, 2]], [3], [3], 0, "label_lengths must lie in"),
    ([[1, 2]], [4], [2], 0, "input_lengths must lie in"),
    ([[1, 2]], [-1], [2], 0, "input_lengths must lie in"),
    ([[0, 2]], [3], [2], 0, "other than the blank 0"),
    ([[1, 3]], [3], [2], 0, r"classes in \[0, 3\)"),
    ([[1, 2]], [3], [2], 3, "blank class 3"),
    ([[1, 2], [1, 2]], [3], [2], 0, "labels of shape"),
])
def test_bad_values_are_refused(labels, input_lengths, label_lengths, blank, message):
    acts, lab, il, ll = _variables()
    f = ac.function([acts, lab, il, ll], nn.ctc_loss(acts, lab, il, ll, blank=blank))
    with pytest.raises(ValueError, match=message):
        f(np.zeros((3, 1, 3)), labels, input_lengths, label_lengths)


def test_c_backend_gives_the_same_numbers(tmp_path):
    """No C kernel: codegen-c runs CTCLoss and CTCLossGrad as Python steps, with the reference's numbers."""
    pytest.importorskip("arignote_c", reason="codegen-c is not installed")
    mode = get_mode("c").with_options(cache_dir=str(tmp_path), threads=1)
    rng = np.random.default_rng(10)
    values = [*_random_problem(rng, 9, 4, 5, 3), rng.uniform(size=4)]
    f = _loss_and_grad(mode=mode)
    assert {type(s.node.op) for s in f.executable.info.fallbacks} >= {nn.CTCLoss, nn.CTCLossGrad}
    for got, want in zip(f(*values), _loss_and_grad()(*values), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
