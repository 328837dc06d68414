"""``theano.sandbox.rng_mrg``: ``MRG_RandomStreams``, Theano's fast generator for CPU and GPU."""

from __future__ import annotations

from ..tensor.raw_random import TheanoDraws

__all__ = ["MRG_RandomStreams"]


class MRG_RandomStreams(TheanoDraws):  # noqa: N801 (Theano's name)
    """Theano's ``MRG_RandomStreams(seed=12345)``, with its draw signatures (``binomial(size, p=..., n=1)``,
    ``normal(size, avg, std, truncate=)``, ``multinomial(pvals=...)``...). Arignote draws from one counter-based
    generator (Philox) for both stream classes: the numbers differ from Theano's MRG31k3p, the distributions do
    not; ``nstreams`` is accepted and has no effect."""

    def __init__(self, seed: int = 12345) -> None:
        super().__init__(seed)
