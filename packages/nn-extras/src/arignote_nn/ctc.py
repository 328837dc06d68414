"""Connectionist temporal classification: the loss ``CTCLoss`` (Theano's ``nnet.ctc``, PyTorch's ``ctc_loss``
with ``reduction="none"``) and its gradient ``CTCLossGrad``, with NumPy ``perform``s.

Both run the forward-backward recursion over the label sequence extended with blanks, in log space and in
float64, vectorized over the batch and the label positions (a Python loop runs over time steps only).
Neither has C code: on the C backend they run as Python steps (codegen-c's automatic fallback).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from arignote_core import Apply, Op, TensorType, TensorVariable, as_tensor, cast
from arignote_core.dtypes import is_integer

# -----------------------------------------------------------------------------------------------------------
# NumPy kernels


@dataclass(frozen=True)
class CTCProblem:
    """Checked inputs of a batch: log-probabilities (T, B, C) in float64 and the extended labels (B, S),
    S = 2 * max label length + 1, blanks at even positions, padded with blanks."""

    log_probs: np.ndarray
    extended: np.ndarray
    input_lengths: np.ndarray
    label_lengths: np.ndarray
    skip: np.ndarray  # (B, S): whether position s may be reached from s - 2

    @property
    def ends(self) -> np.ndarray:
        """2 * label length + 1 per example: how many extended positions it uses."""
        return 2 * self.label_lengths + 1


def _log_softmax(a: np.ndarray) -> np.ndarray:
    shifted = a - a.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def ctc_problem(activations: np.ndarray, labels: np.ndarray, input_lengths: np.ndarray,
                label_lengths: np.ndarray, blank: int) -> CTCProblem:
    """Check the inputs' shapes and values (ValueError naming the input) and extend the labels."""
    steps, batch, classes = activations.shape
    if labels.shape[0] != batch or input_lengths.shape != (batch,) or label_lengths.shape != (batch,):
        raise ValueError(f"ctc_loss: activations of shape {activations.shape} need labels of shape ({batch}, L) and "
                         f"lengths of shape ({batch},); got labels {labels.shape}, input_lengths "
                         f"{input_lengths.shape}, label_lengths {label_lengths.shape}")
    if not 0 <= blank < classes:
        raise ValueError(f"ctc_loss: the blank class {blank} is not one of the {classes} classes of activations")
    if np.any(input_lengths < 0) or np.any(input_lengths > steps):
        raise ValueError(f"ctc_loss: input_lengths must lie in [0, {steps}] (the activations' time steps), got "
                         f"{input_lengths.tolist()}")
    if np.any(label_lengths < 0) or np.any(label_lengths > labels.shape[1]):
        raise ValueError(f"ctc_loss: label_lengths must lie in [0, {labels.shape[1]}] (the labels' columns), got "
                         f"{label_lengths.tolist()}")
    used = np.arange(labels.shape[1]) < label_lengths[:, None]
    if np.any(used & ((labels < 0) | (labels >= classes) | (labels == blank))):
        raise ValueError(f"ctc_loss: labels within label_lengths must be classes in [0, {classes}) other than the "
                         f"blank {blank}, got {labels.tolist()}")
    extended = np.full((batch, 2 * labels.shape[1] + 1), blank, dtype=np.int64)
    extended[:, 1::2] = np.where(used, labels, blank)
    skip = np.zeros(extended.shape, dtype=bool)
    skip[:, 3::2] = used[:, 1:] & (labels[:, 1:] != labels[:, :-1])
    with np.errstate(over="ignore"):
        log_probs = _log_softmax(activations.astype(np.float64))
    return CTCProblem(log_probs, extended, input_lengths.astype(np.int64), label_lengths.astype(np.int64), skip)


def _emissions(p: CTCProblem, t: int) -> np.ndarray:
    """log P(extended label s at time t): (B, S)."""
    return np.take_along_axis(p.log_probs[t], p.extended, axis=1)


def _shift(a: np.ndarray, by: int) -> np.ndarray:
    """``a`` shifted right (by > 0) or left along the last axis, filled with -inf."""
    out = np.full_like(a, -np.inf)
    if by > 0:
        out[:, by:] = a[:, :-by]
    else:
        out[:, :by] = a[:, -by:]
    return out


def ctc_alpha(p: CTCProblem) -> np.ndarray:
    """log alpha (T, B, S): the log-probability of the paths that emit the first t + 1 frames and end at s."""
    steps, batch = p.log_probs.shape[:2]
    size = p.extended.shape[1]
    alpha = np.full((steps, batch, size), -np.inf)
    if steps == 0:
        return alpha
    start = np.full((batch, size), -np.inf)
    start[:, 0] = 0.0
    start[:, 1] = np.where(p.label_lengths > 0, 0.0, -np.inf)
    alpha[0] = start + _emissions(p, 0)
    for t in range(1, steps):
        prev = alpha[t - 1]
        came = np.logaddexp(np.logaddexp(prev, _shift(prev, 1)), np.where(p.skip, _shift(prev, 2), -np.inf))
        alpha[t] = came + _emissions(p, t)
    return alpha


def ctc_beta(p: CTCProblem) -> np.ndarray:
    """log beta (T, B, S): the log-probability of emitting frames t + 1 .. T_b - 1 from position s at t (each
    example's frames past its input length: -inf)."""
    steps, batch = p.log_probs.shape[:2]
    size = p.extended.shape[1]
    beta = np.full((steps, batch, size), -np.inf)
    final = np.full((batch, size), -np.inf)
    rows = np.arange(batch)
    final[rows, p.ends - 1] = 0.0
    final[rows, np.maximum(p.ends - 2, 0)] = 0.0
    skip_next = _shift(p.skip.astype(float), -2).astype(bool)  # whether s + 2 may be reached from s
    for t in range(steps - 1, -1, -1):
        if t + 1 < steps:
            nxt = beta[t + 1] + _emissions(p, t + 1)
            came = np.logaddexp(np.logaddexp(nxt, _shift(nxt, -1)), np.where(skip_next, _shift(nxt, -2), -np.inf))
        else:
            came = np.full((batch, size), -np.inf)
        last = (p.input_lengths - 1 == t)[:, None]
        beta[t] = np.where(last, final, np.where((t < p.input_lengths)[:, None], came, -np.inf))
    return beta


def ctc_log_likelihood(p: CTCProblem, alpha: np.ndarray) -> np.ndarray:
    """log P(labels | activations) per example (B,): -inf where no alignment fits the input length."""
    batch = p.extended.shape[0]
    result = np.where(p.label_lengths == 0, 0.0, -np.inf)  # an empty input emits only an empty labelling
    rows = np.arange(batch)
    for b in rows[p.input_lengths > 0]:
        last = alpha[p.input_lengths[b] - 1, b]
        end = p.ends[b]
        result[b] = np.logaddexp(last[end - 1], last[end - 2]) if end > 1 else last[0]
    return result


def ctc_loss_forward(activations: np.ndarray, labels: np.ndarray, input_lengths: np.ndarray,
                     label_lengths: np.ndarray, blank: int) -> np.ndarray:
    """Negative log-likelihood per example (B,), +inf where no alignment fits."""
    p = ctc_problem(activations, labels, input_lengths, label_lengths, blank)
    return (-ctc_log_likelihood(p, ctc_alpha(p))).astype(activations.dtype)


def ctc_loss_grad(activations: np.ndarray, labels: np.ndarray, input_lengths: np.ndarray,
                  label_lengths: np.ndarray, blank: int) -> np.ndarray:
    """d loss_b / d activations (T, B, C): ``softmax - occupancy`` on each example's frames, where occupancy is
    the posterior of emitting each class there; zero past the input length and for examples with no alignment."""
    p = ctc_problem(activations, labels, input_lengths, label_lengths, blank)
    alpha, beta = ctc_alpha(p), ctc_beta(p)
    log_likelihood = ctc_log_likelihood(p, alpha)
    feasible = np.isfinite(log_likelihood)
    posterior = np.exp(alpha + beta - np.where(feasible, log_likelihood, 0.0)[None, :, None])  # (T, B, S)
    steps, batch, classes = activations.shape
    occupancy = np.zeros((steps, batch, classes))
    for b in range(batch):
        np.add.at(occupancy[:, b].T, p.extended[b], posterior[:, b].T)  # (classes, T) view
    live = ((np.arange(steps)[:, None] < p.input_lengths[None, :]) & feasible[None, :])[..., None]
    grad = np.where(live, np.exp(p.log_probs) - occupancy, 0.0)
    return grad.astype(activations.dtype)


# -----------------------------------------------------------------------------------------------------------
# ops


def _ctc_inputs(activations: Any, labels: Any, input_lengths: Any, label_lengths: Any) -> list[TensorVariable]:
    acts = as_tensor(activations)
    if np.dtype(acts.dtype).kind != "f" or acts.ndim != 3:
        raise TypeError(f"ctc_loss: activations must be a floating-point (time, batch, classes) tensor, got {acts} "
                        f"of type {acts.type}")
    out: list[TensorVariable] = [acts]
    for value, what, ndim in ((labels, "labels", 2), (input_lengths, "input_lengths", 1),
                              (label_lengths, "label_lengths", 1)):
        v = as_tensor(value)
        if not is_integer(v.dtype) or v.ndim != ndim:
            raise TypeError(f"ctc_loss: {what} must be an integer tensor of {ndim} dimensions, got {v} of type "
                            f"{v.type}")
        out.append(cast(v, "int64"))
    return out


@dataclass(frozen=True)
class CTCLoss(Op):
    """``(activations (T, B, C), labels (B, L), input_lengths (B,), label_lengths (B,)) -> (B,)``: each
    example's negative log-likelihood of its labels under the softmax of its activations over classes."""

    blank: int = 0

    def make_node(self, activations: Any, labels: Any, input_lengths: Any, label_lengths: Any) -> Apply:
        inputs = _ctc_inputs(activations, labels, input_lengths, label_lengths)
        return Apply(self, inputs, [TensorType(inputs[0].dtype, (inputs[0].type.shape[1],))])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        activations, labels, input_lengths, label_lengths = inputs
        return [ctc_loss_forward(activations, labels, input_lengths, label_lengths, self.blank)]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [(input_shapes[0][1],)]

    def __str__(self) -> str:
        return f"CTCLoss{{blank={self.blank}}}"


@dataclass(frozen=True)
class CTCLossGrad(Op):
    """``CTCLoss``'s inputs ``-> (T, B, C)``: the gradient of each example's loss in its activations."""

    blank: int = 0

    def make_node(self, activations: Any, labels: Any, input_lengths: Any, label_lengths: Any) -> Apply:
        inputs = _ctc_inputs(activations, labels, input_lengths, label_lengths)
        return Apply(self, inputs, [inputs[0].type])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        activations, labels, input_lengths, label_lengths = inputs
        return [ctc_loss_grad(activations, labels, input_lengths, label_lengths, self.blank)]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [input_shapes[0]]

    def __str__(self) -> str:
        return f"CTCLossGrad{{blank={self.blank}}}"


def ctc_loss(activations: Any, labels: Any, input_lengths: Any, label_lengths: Any = None,
             blank: int = 0) -> Any:
    """The CTC loss of each example (B,): ``activations`` (time, batch, classes) are unnormalized (a log-softmax
    over classes is taken inside), ``labels`` (batch, L) are padded label sequences, of ``label_lengths``
    entries each (None: the entries before the first negative one, Theano's -1 padding), ``input_lengths``
    the frames of each example. An example no alignment fits (too few frames) costs +inf, with a zero
    gradient."""
    if label_lengths is None:
        lab = as_tensor(labels)
        label_lengths = (lab >= 0).astype("int64").cumprod(axis=-1).sum(axis=-1)
    return CTCLoss(int(blank))(activations, labels, input_lengths, label_lengths)
