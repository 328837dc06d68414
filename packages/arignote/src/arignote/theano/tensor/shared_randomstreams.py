"""``theano.tensor.shared_randomstreams``: ``RandomStreams``, with Theano's draw signatures."""

from __future__ import annotations

from .raw_random import TheanoDraws

__all__ = ["RandomStreams"]


class RandomStreams(TheanoDraws):
    """Theano's ``RandomStreams(seed=None)``: ``uniform(size, low, high)``, ``normal(size, avg, std)``,
    ``binomial(size, n, p)``, ``random_integers``, ``choice``, ``poisson``, ``permutation``, ``multinomial``;
    functions compiled with ``theano.function`` advance the streams they use."""
