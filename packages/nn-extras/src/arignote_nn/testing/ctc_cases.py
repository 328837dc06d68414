"""Conformance cases of the CTC loss: several batch, time and label sizes, repeated labels (which need a blank
between them), a blank other than 0, examples shorter than the batch's frames, empty labellings, Theano's -1
padding, and the gradient op."""

from __future__ import annotations

from typing import Any

import numpy as np

from arignote_core.testing import Case, Sample, sample

from ..ctc import CTCLossGrad, ctc_loss
from . import references as ref


def _problem(rng: np.random.Generator, steps: int, classes: int, label_lengths: list[int], blank: int = 0,
             input_lengths: list[int] | None = None) -> tuple[np.ndarray, ...]:
    batch, width = len(label_lengths), max(max(label_lengths), 1)
    labels = np.zeros((batch, width), dtype=np.int64)
    choices = [k for k in range(classes) if k != blank]
    for b, n in enumerate(label_lengths):
        labels[b, :n] = rng.choice(choices, size=n)
    lengths = np.array(input_lengths if input_lengths is not None else [steps] * batch, dtype=np.int64)
    return rng.normal(size=(steps, batch, classes)), labels, lengths, np.array(label_lengths, dtype=np.int64)


def _samples(rng: np.random.Generator) -> list[Sample]:
    out = [
        sample(*_problem(rng, 5, 4, [2, 3]), label="T=5, B=2, C=4"),
        sample(*_problem(rng, 8, 6, [3, 1, 0, 4], input_lengths=[8, 5, 3, 7]), label="varying lengths, empty label"),
        sample(*_problem(rng, 6, 5, [3, 2], blank=4), blank=4, label="blank 4"),
        sample(*_problem(rng, 1, 3, [1, 0]), label="one frame"),
    ]
    acts, labels, lengths, label_lengths = _problem(rng, 6, 3, [4, 3])
    labels[0, :4] = [1, 1, 2, 2]  # repeats need blanks between them: 7 frames at least, so no alignment
    labels[1, :3] = [2, 2, 2]
    out.append(sample(acts, labels, lengths, label_lengths, label="repeated labels, one infeasible",
                      not_differentiable="an example no alignment fits costs +inf"))
    acts, labels, lengths, label_lengths = _problem(rng, 7, 4, [3, 3])
    labels[0, :3] = [1, 1, 2]
    out.append(sample(acts, labels, lengths, label_lengths, label="repeated labels"))
    acts, labels, lengths, label_lengths = _problem(rng, 10, 5, [2, 4, 1], input_lengths=[10, 9, 4])
    out.append(sample(acts.astype("float32"), labels, lengths, label_lengths, static=["none"] * 4,
                      label="float32, run-time shapes"))
    acts, labels, lengths, label_lengths = _problem(rng, 4, 3, [2, 1])
    out.append(sample(acts[:, ::-1], labels, lengths, label_lengths, label="strided view"))
    out.append(sample(acts, labels, lengths, np.array([3, 1]), tags=["error"], label="label length too long"))
    out.append(sample(acts, labels, np.array([5, 1]), label_lengths, tags=["error"],
                      label="input length too long"))
    bad = labels.copy()
    bad[0, 0] = 0
    out.append(sample(acts, bad, lengths, label_lengths, tags=["error"], label="blank among the labels"))
    return out


def _theano_samples(rng: np.random.Generator) -> list[Sample]:
    acts, labels, lengths, _ = _problem(rng, 6, 5, [3, 2, 0], input_lengths=[6, 4, 2])
    labels[1, 2:] = -1
    labels[2, :] = -1
    return [sample(acts, labels, lengths, label="labels padded with -1")]


def _theano_build(activations: Any, labels: Any, input_lengths: Any) -> Any:
    return ctc_loss(activations, labels, input_lengths)


def _grad_oracle(activations: np.ndarray, labels: np.ndarray, input_lengths: np.ndarray,
                 label_lengths: np.ndarray, blank: int = 0) -> np.ndarray:
    """Central differences of the probability-space reference, element by element (tiny cases only)."""
    eps = 1e-6
    grad = np.zeros(activations.shape)
    flat = activations.astype("float64").reshape(-1)
    for i in range(flat.size):
        up, down = flat.copy(), flat.copy()
        up[i] += eps
        down[i] -= eps
        diff = (ref.ctc_loss(up.reshape(activations.shape), labels, input_lengths, label_lengths, blank)
                - ref.ctc_loss(down.reshape(activations.shape), labels, input_lengths, label_lengths, blank))
        t, b = np.unravel_index(i, activations.shape)[:2]
        grad[t, b, i % activations.shape[2]] = diff[b] / (2 * eps)
    return grad.astype(activations.dtype)


def _grad_samples(rng: np.random.Generator) -> list[Sample]:
    return [sample(*_problem(rng, 4, 3, [2, 1]), label="T=4, B=2, C=3"),
            sample(*_problem(rng, 5, 4, [2, 0, 3], input_lengths=[5, 2, 5]), label="varying lengths")]


CASES: list[Case] = [
    Case(name="ctc_loss", function="ctc_loss", grad_wrt=(0,), build=ctc_loss, oracle=ref.ctc_loss,
         samples=_samples),
    Case(name="ctc_loss_theano_padding", function="ctc_loss", grad_wrt=(0,), build=_theano_build,
         oracle=ref.ctc_loss, samples=_theano_samples),
    Case(name="ctc_loss_grad", function="CTCLossGrad", differentiable=False,
         why_not_differentiable="CTC's second derivative is not implemented",
         build=lambda a, labels, il, ll, blank=0: CTCLossGrad(blank)(a, labels, il, ll), oracle=_grad_oracle,
         samples=_grad_samples, tolerances={"float64": (1e-6, 1e-7)}),
]
