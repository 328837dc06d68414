"""The LSTM language-model example (examples/lstm_language_model.py): an ``ar.scan`` recurrence with two
fed-back states, its gradient and Adam, compiled to C, learns the built-in text within a short run, and its
generating scan (a character id fed back) produces characters of the text's alphabet."""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))

import lstm_language_model as lm  # noqa: E402

#: small enough for a few seconds of training on a slow machine, long enough for the loss to fall clearly
CONFIG = lm.Config(epochs=4, steps=20, hidden=64, mode="c")


def test_the_loss_falls_in_a_short_training_run():
    lines: list[str] = []
    model, losses = lm.train(CONFIG, log=lines.append)
    assert len(losses) == CONFIG.epochs == len(lines) - 1
    assert np.all(np.isfinite(losses))
    assert losses[0] < np.log(len(model.chars)) + 0.1, "the first epoch starts near uniform guessing"
    assert losses[-1] < 0.8 * losses[0], f"losses per epoch: {losses}"

    generate = lm.generating_function(model, 20, CONFIG.mode)
    ids = generate(model.encode("A"))
    assert ids.shape == (20,) and ids.dtype == np.int64
    assert 0 <= ids.min() and ids.max() < len(model.chars)
