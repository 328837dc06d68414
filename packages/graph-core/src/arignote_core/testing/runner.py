"""Running conformance cases: build, compile with a mode, run, and compare with NumPy.

For each sample the runner checks that

- the result values equal NumPy's within the case's tolerances (NaN equal to NaN), and their dtypes exactly;
- the static shape of each output agrees with the computed value;
- the symbolic shape from ``infer_shape`` (computed without computing the op) equals the value's shape;
- the inputs are left unmodified;
- where NumPy raises, Arignote raises too: when the graph is built, or at the latest when it runs (samples
  tagged ``build-error`` demand the former).
"""

from __future__ import annotations

import unittest
import warnings
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from ..function import function
from ..graph import Variable, ancestors
from ..tensors.basic import tensor
from ..tensors.shape_inference import infer_shapes, shape_vector
from .case import Case, Sample

#: What a graph may raise when it is built with bad arguments (anything else is a bug).
BUILD_ERRORS = (TypeError, ValueError, IndexError, OverflowError, NotImplementedError)


class ConformanceError(AssertionError):
    """A case disagrees with NumPy (or with its own shape inference)."""


class CaseSkipped(unittest.SkipTest):
    """A case the mode's backend declares it cannot run (``Case.unsupported_backends``); test runners report it as
    skipped, with the reason."""


def _backend_name(mode: Any) -> str | None:
    backend = getattr(mode, "backend", mode)
    return backend if isinstance(backend, str) or backend is None else getattr(backend, "name", None)


@contextmanager
def quiet() -> Iterator[None]:
    """No floating-point warnings (NaN, overflow, empty slices are expected outcomes of edge samples) and no
    NumPy deprecation warnings from the oracle."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        yield


def _as_list(value: Any) -> tuple[list[Any], bool]:
    if isinstance(value, list | tuple):
        return list(value), False
    return [value], True


def call_oracle(case: Case, s: Sample) -> tuple[list[np.ndarray] | None, BaseException | None]:
    """NumPy's results for ``s`` (on copies of the inputs), or the exception NumPy raised."""
    args = [v.copy() for v in s.values]
    try:
        with quiet():
            result = case.oracle(*args, **s.kwargs)
    except Exception as exc:  # noqa: BLE001 -- any NumPy error is an expected outcome
        return None, exc
    values, _ = _as_list(result)
    return [np.asarray(v) for v in values], None


def _fail(case: Case, s: Sample, message: str) -> ConformanceError:
    return ConformanceError(f"[{case.name}] {s.describe()}: {message}")


def run_sample(case: Case, s: Sample, mode: Any = None) -> None:
    """Check one sample of ``case`` compiled with ``mode``; raises ConformanceError on any disagreement."""
    inputs = [tensor(v.dtype, shape, name=f"in{i}") for i, (v, shape) in enumerate(zip(s.values, s.static_shapes,
                                                                                       strict=True))]
    expected, numpy_error = call_oracle(case, s)
    try:
        built = case.build(*inputs, **s.kwargs)
    except BUILD_ERRORS as exc:
        if numpy_error is not None:
            return
        raise _fail(case, s, f"building the graph failed where NumPy succeeds: {type(exc).__name__}: {exc}") \
            from exc
    if numpy_error is not None and "build-error" in s.tags:
        raise _fail(case, s, f"NumPy raises {type(numpy_error).__name__} ({numpy_error}); building the graph "
                             "should have failed")
    outputs, _ = _as_list(built)
    shapes = infer_shapes(outputs)
    shape_outputs = [shape_vector(shapes[o]) for o in outputs]
    if not case.dynamic_shape:
        _check_shape_graph(case, s, outputs, shape_outputs)
    fn = function(inputs, outputs + shape_outputs, mode=mode, on_unused_input="ignore")
    originals = [v.copy() for v in s.values]
    try:
        with quiet():
            results = fn(*s.values)
    except Exception as exc:
        if numpy_error is not None:
            return
        raise _fail(case, s, f"running failed where NumPy succeeds: {type(exc).__name__}: {exc}") from exc
    if numpy_error is not None:
        raise _fail(case, s, f"NumPy raises {type(numpy_error).__name__} ({numpy_error}) but Arignote computed "
                             "a result")
    assert expected is not None
    n = len(outputs)
    if len(expected) != n:
        raise _fail(case, s, f"{n} outputs built, NumPy gives {len(expected)}")
    _check_values(case, s, outputs, expected, results[:n])
    for i, (got, shape) in enumerate(zip(results[:n], results[n:], strict=True)):
        if tuple(int(d) for d in shape) != got.shape:
            raise _fail(case, s, f"output {i}: infer_shape gives {tuple(int(d) for d in shape)}, the value has "
                                 f"shape {got.shape}")
    for i, (before, after) in enumerate(zip(originals, s.values, strict=True)):
        if not np.array_equal(before, after, equal_nan=before.dtype.kind in "fc"):
            raise _fail(case, s, f"input {i} was modified")


def _check_shape_graph(case: Case, s: Sample, outputs: Sequence[Variable], shape_outputs: Sequence[Variable]) -> None:
    for i, (out, shape) in enumerate(zip(outputs, shape_outputs, strict=True)):
        if out.owner is not None and out in ancestors([shape]):
            raise _fail(case, s, f"output {i}: {out.owner.op} cannot infer its shape without computing it "
                                 "(infer_shape returned None); mark the case dynamic_shape if that is inherent")


def _check_values(case: Case, s: Sample, outputs: list[Variable], expected: Sequence[np.ndarray],
                  results: Sequence[np.ndarray]) -> None:
    for i, (out, want, got) in enumerate(zip(outputs, expected, results, strict=True)):
        static = out.type.shape
        if len(static) != got.ndim or any(a is not None and a != b for a, b in zip(static, got.shape,
                                                                                      strict=False)):
            raise _fail(case, s, f"output {i}: static shape {static} disagrees with the value's shape {got.shape}")
        if got.dtype != want.dtype:
            raise _fail(case, s, f"output {i}: dtype {got.dtype}, NumPy gives {want.dtype}")
        if case.compare is None and got.shape != want.shape:
            raise _fail(case, s, f"output {i}: shape {got.shape}, NumPy gives {want.shape}")
    if case.compare is not None:
        try:
            case.compare(expected, results, s)
        except AssertionError as exc:
            raise _fail(case, s, str(exc)) from None
        return
    for i, (want, got) in enumerate(zip(expected, results, strict=True)):
        try:
            assert_close(want, got, *case.tolerance(want.dtype.name))
        except AssertionError as exc:
            raise _fail(case, s, f"output {i}: {exc}") from None


def assert_close(expected: np.ndarray, got: np.ndarray, rtol: float, atol: float) -> None:
    """Equal values (exactly for bool and integers; within tolerances, NaN equal to NaN, for inexact)."""
    if expected.dtype.kind in "fc":
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, equal_nan=True, verbose=False)
    elif not np.array_equal(got, expected):
        raise AssertionError(f"values differ:\n expected {expected!r}\n got      {got!r}")


def run_case(case: Case, mode: Any = None, *, skip_tags: Iterable[str] = (),
             dtypes: Iterable[str] | None = None) -> int:
    """Check every sample of ``case`` with ``mode``; returns the number of samples checked and raises
    ConformanceError listing every failing sample (``CaseSkipped`` where the backend declares it cannot run it).
    ``skip_tags`` leaves out samples with those tags;
    ``dtypes``, when given, keeps only samples whose inputs all have one of these dtypes."""
    backend = _backend_name(mode)
    if backend is not None and backend in case.unsupported_backends:
        raise CaseSkipped(f"{case.name} is not run on the {backend} backend: {case.unsupported_backends[backend]}")
    skip = set(skip_tags)
    allowed = None if dtypes is None else set(dtypes)
    failures: list[str] = []
    count = 0
    for s in case.make_samples():
        if s.tags & skip or (allowed is not None and not set(s.dtypes) <= allowed):
            continue
        count += 1
        try:
            run_sample(case, s, mode)
        except ConformanceError as exc:
            failures.append(str(exc))
    if failures:
        shown = "\n\n".join(failures[:8])
        more = f"\n\n... and {len(failures) - 8} more" if len(failures) > 8 else ""
        raise ConformanceError(f"{len(failures)} of {count} samples of {case.name} failed:\n\n{shown}{more}")
    return count
