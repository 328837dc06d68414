"""A character-level LSTM language model written with ``ar.scan``, trained with Adam on a built-in text, in C.

The recurrence is one ``scan``: each step takes one character's input projection and the previous hidden and
cell states, computes the four gates and returns the new hidden and cell states (two fed-back outputs). What
does not depend on the previous step stays outside the loop: the input projections of every character are one
product before it, the logits of every step one product after it. A training step predicts every next character
of a batch of random windows of the text (``alice.py``); gradients flow back through the scan (``ar.grad``).
After training, the same cell generates text greedily, in a second scan that feeds each character back.

Run ``python examples/lstm_language_model.py [--epochs 8] [--steps 60]``: it prints the loss (nats per character,
the mean over the epoch's steps) per epoch, then a generated passage. The text is small enough for the default
model to learn it by heart in a few hundred steps, so the passage is mostly a recital of it.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import arignote as ar  # noqa: E402
from alice import TEXT  # noqa: E402


@dataclass(frozen=True)
class Config:
    """Sizes and training settings; the command line sets each of them."""

    epochs: int = 8
    steps: int = 60  # training steps per epoch
    batch: int = 32  # windows per step
    length: int = 32  # characters predicted per window
    hidden: int = 128
    embed: int = 32
    learning_rate: float = 0.01
    seed: int = 0
    mode: str = "c"


@dataclass(frozen=True)
class Model:
    """The characters the model knows (its classes, in order) and its shared parameters."""

    chars: str
    params: dict[str, Any]
    hidden: int

    def encode(self, text: str) -> np.ndarray:
        index = {ch: k for k, ch in enumerate(self.chars)}
        return np.array([index[ch] for ch in text], dtype="int64")


def build_model(text: str, config: Config) -> Model:
    """Initial parameters: Glorot input and output weights, orthogonal recurrent weights, forget-gate bias 1 (so
    that the cell keeps its state at first)."""
    rng = np.random.default_rng(config.seed)
    chars = "".join(sorted(set(text)))
    n, h, e = len(chars), config.hidden, config.embed
    bias = np.zeros(4 * h)
    bias[h:2 * h] = 1.0
    values = {"embedding": rng.normal(0.0, 0.1, (n, e)), "w_in": ar.nn.glorot_uniform((e, 4 * h), rng=rng),
              "w_rec": np.hstack([ar.nn.orthogonal((h, h), rng=rng) for _ in range(4)]), "bias": bias,
              "w_out": ar.nn.glorot_uniform((h, n), rng=rng), "b_out": np.zeros(n)}
    return Model(chars, {k: ar.shared(v, name=k, shape=v.shape) for k, v in values.items()}, h)


def cell(z_in: Any, h: Any, c: Any, w_rec: Any, hidden: int) -> list[Any]:
    """One LSTM step: ``z_in`` is the step's input projection and bias (batch, 4 * hidden); the gates input,
    forget and output, then the candidate, in that order along its last axis. Returns the next ``[h, c]``."""
    z = z_in + h @ w_rec
    i, f, o = (ar.nn.sigmoid(z[:, k * hidden:(k + 1) * hidden]) for k in range(3))
    c_next = f * c + i * ar.tanh(z[:, 3 * hidden:])
    return [o * ar.tanh(c_next), c_next]


def lstm(inputs: Any, h0: Any, c0: Any, w_rec: Any, hidden: int) -> Any:
    """The hidden states (steps, batch, hidden) of the LSTM over ``inputs`` (steps, batch, 4 * hidden), from the
    states ``h0`` and ``c0``: a scan whose step returns two fed-back outputs, the hidden and the cell state."""
    (hs, _), _ = ar.scan(lambda z_in, h, c, w_rec: cell(z_in, h, c, w_rec, hidden), sequences=inputs,
                         outputs_info=[h0, c0], non_sequences=[w_rec])
    return hs


def training_function(model: Model, config: Config) -> Any:
    """``train(windows) -> loss``: one Adam step on a (length + 1, batch) matrix of character ids (time first),
    predicting rows 1.. from rows ..-1; gradients clipped to a global norm of 5, as is usual for LSTMs."""
    p = model.params
    windows = ar.lmatrix("windows")
    inputs = ar.nn.embedding(windows[:-1], p["embedding"]) @ p["w_in"] + p["bias"]
    zeros = ar.zeros((windows.shape[1], model.hidden))
    hidden_states = lstm(inputs, zeros, zeros, p["w_rec"], model.hidden)
    logits = hidden_states @ p["w_out"] + p["b_out"]
    loss = ar.nn.categorical_crossentropy(logits, windows[1:], from_logits=True).mean()
    params = list(p.values())
    grads = ar.nn.clip_by_global_norm(ar.grad(loss, params), 5.0)
    updates = ar.nn.adam(grads, params, learning_rate=config.learning_rate)
    return ar.function([windows], loss, updates=updates, mode=config.mode)


def generating_function(model: Model, length: int, mode: str) -> Any:
    """``generate(first) -> ids``: ``length`` characters after the id ``first``, each the most likely one after
    those before it, fed back as the next step's input."""
    p = model.params
    first = ar.lvector("first")
    zeros = ar.zeros((1, model.hidden))

    def step(char: Any, h: Any, c: Any, embedding: Any, w_in: Any, bias: Any, w_rec: Any, w_out: Any,
             b_out: Any) -> list[Any]:
        h_next, c_next = cell(embedding[char] @ w_in + bias, h, c, w_rec, model.hidden)
        return [ar.argmax(h_next @ w_out + b_out, axis=1), h_next, c_next]

    (chars, _, _), _ = ar.scan(step, outputs_info=[first, zeros, zeros], n_steps=length,
                               non_sequences=[p[k] for k in ("embedding", "w_in", "bias", "w_rec", "w_out", "b_out")])
    return ar.function([first], chars[:, 0], mode=mode)


def windows(ids: np.ndarray, rng: np.random.Generator, config: Config) -> np.ndarray:
    """``batch`` random windows of ``length + 1`` consecutive ids, as the columns of a matrix."""
    starts = rng.integers(0, len(ids) - config.length, config.batch)
    return ids[starts[None, :] + np.arange(config.length + 1)[:, None]]


def train(config: Config, log: Callable[[str], None] = print) -> tuple[Model, list[float]]:
    """Train on the built-in text; returns the model and the mean loss of each epoch."""
    model = build_model(TEXT, config)
    ids = model.encode(TEXT)
    start = time.perf_counter()
    step = training_function(model, config)
    log(f"{len(TEXT)} characters, {len(model.chars)} distinct; LSTM {config.embed}-{config.hidden}, batch "
        f"{config.batch} x {config.length} characters, mode {config.mode!r}: compiled in "
        f"{time.perf_counter() - start:.2f} s")
    rng = np.random.default_rng(config.seed + 1)
    losses = []
    for epoch in range(config.epochs):
        start = time.perf_counter()
        losses.append(float(np.mean([step(windows(ids, rng, config)) for _ in range(config.steps)])))
        log(f"epoch {epoch + 1}/{config.epochs}: loss {losses[-1]:.3f} ({time.perf_counter() - start:.2f} s)")
    return model, losses


def parse(argv: Sequence[str] | None = None) -> tuple[Config, int]:
    """The configuration and the number of characters to generate, from the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    defaults = Config()
    for name in ("epochs", "steps", "batch", "length", "hidden", "embed", "seed"):
        parser.add_argument(f"--{name}", type=int, default=getattr(defaults, name))
    parser.add_argument("--learning-rate", type=float, default=defaults.learning_rate)
    parser.add_argument("--mode", default=defaults.mode, help="an Arignote mode (default: %(default)s)")
    parser.add_argument("--generate", type=int, default=200, help="characters to generate after training")
    args = vars(parser.parse_args(argv))
    count = args.pop("generate")
    return Config(**args), count


def main(argv: Sequence[str] | None = None) -> int:
    config, count = parse(argv)
    model, losses = train(config)
    if count > 0:
        generate = generating_function(model, count, config.mode)
        prompt = TEXT[0]
        print("generated:", prompt + "".join(model.chars[k] for k in generate(model.encode(prompt))), sep="\n")
    return 0 if losses[-1] < losses[0] else 1


if __name__ == "__main__":
    sys.exit(main())
