"""``map``, ``reduce``, ``foldl`` and ``foldr`` on top of ``scan`` (Theano's ``theano.map``...)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .scan_api import scan


def map(fn: Callable[..., Any], sequences: Any, non_sequences: Any = None, truncate_gradient: int = -1,  # noqa: A001
        go_backwards: bool = False, mode: Any = None, name: str | None = None) -> tuple[Any, dict[Any, Any]]:
    """``fn`` applied to each entry of ``sequences``: ``(outputs, updates)``, each output a stack."""
    return scan(fn, sequences=sequences, non_sequences=non_sequences, truncate_gradient=truncate_gradient,
                go_backwards=go_backwards, mode=mode, name=name)


def reduce(fn: Callable[..., Any], sequences: Any, outputs_info: Any, non_sequences: Any = None,
           go_backwards: bool = False, mode: Any = None, name: str | None = None) -> tuple[Any, dict[Any, Any]]:
    """The values of ``scan(fn, ...)`` after its last step (``fn(x_t, acc)`` returning the next ``acc``):
    ``(outputs, updates)``."""
    outputs, updates = scan(fn, sequences=sequences, outputs_info=outputs_info, non_sequences=non_sequences,
                            go_backwards=go_backwards, mode=mode, name=name, return_list=True)
    last = [out[-1] for out in outputs]
    return (last[0] if len(last) == 1 else last), updates


def foldl(fn: Callable[..., Any], sequences: Any, outputs_info: Any, non_sequences: Any = None, mode: Any = None,
          name: str | None = None) -> tuple[Any, dict[Any, Any]]:
    """``reduce`` from the first entry of the sequences to the last."""
    return reduce(fn, sequences, outputs_info, non_sequences, go_backwards=False, mode=mode, name=name)


def foldr(fn: Callable[..., Any], sequences: Any, outputs_info: Any, non_sequences: Any = None, mode: Any = None,
          name: str | None = None) -> tuple[Any, dict[Any, Any]]:
    """``reduce`` from the last entry of the sequences to the first."""
    return reduce(fn, sequences, outputs_info, non_sequences, go_backwards=True, mode=mode, name=name)
