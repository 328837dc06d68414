"""Conformance cases of the debugging op ``Print``: every backend passes the value on unchanged, for every dtype,
empty arrays, 0-d arrays and views (with a ``global_fn`` that keeps quiet: printing is tested apart, in
graph-core's and codegen-c's tests, with captured output)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...debugprint import Print
from ..case import Case
from ..generators import layouts


def _quiet(op: Print, value: Any) -> None:
    """A ``global_fn`` that prints nothing (a module function, so that a compiled case pickles)."""


def _print_through(x: Any) -> Any:
    return Print("conformance", global_fn=_quiet)(x) * 1


def _identity_times_one(x: np.ndarray) -> np.ndarray:
    return x * 1


CASES = [Case(name="Print", function="Print", build=_print_through, oracle=_identity_times_one,
              samples=layouts(((3, 4), {}), ((0,), {}), ((), {})))]
