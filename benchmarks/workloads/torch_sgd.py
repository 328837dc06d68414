"""The PyTorch SGD step of the training workloads (W4, CONV), with the loss eager or under ``torch.compile``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


def sgd_step(torch: Any, loss_fn: Callable[..., Any], params: dict[str, Any], inputs: tuple[Any, ...], rate: float,
             data: dict[str, np.ndarray], watched: str) -> tuple[Callable[[], None], Callable[[], np.ndarray]]:
    """``(step, result)``: ``step()`` updates ``params`` in place by ``rate`` times the gradient of
    ``loss_fn(params, *inputs)``; ``result()`` resets them to ``data``, steps once and returns ``watched``."""

    def step() -> None:
        grads = torch.autograd.grad(loss_fn(params, *inputs), list(params.values()))
        with torch.no_grad():
            for p, g in zip(params.values(), grads, strict=True):
                p -= rate * g

    def result() -> np.ndarray:
        with torch.no_grad():
            for k, p in params.items():
                p.copy_(torch.from_numpy(data[k]))
        step()
        return params[watched].detach().numpy().copy()

    return step, result
