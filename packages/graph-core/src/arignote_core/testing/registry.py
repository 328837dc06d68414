"""The table of conformance cases: look-up, pytest parametrization and the report."""

from __future__ import annotations

import fnmatch
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from ..graph import toposort
from ..tensors.basic import tensor
from .case import Case
from .cases import ALL_CASES


def _check_unique(cases: Iterable[Case]) -> None:
    counts = Counter(c.name for c in cases)
    repeated = [name for name, n in counts.items() if n > 1]
    if repeated:
        raise ValueError(f"conformance case names must be unique; repeated: {', '.join(repeated)}")


_check_unique(ALL_CASES)


def cases(pattern: str = "*", *, functions: Iterable[str] | None = None) -> list[Case]:
    """The cases whose name matches the glob ``pattern`` (and whose function is in ``functions``)."""
    wanted = None if functions is None else set(functions)
    return [c for c in ALL_CASES if fnmatch.fnmatchcase(c.name, pattern)
            and (wanted is None or c.function in wanted)]


def case_params(pattern: str = "*", *, functions: Iterable[str] | None = None) -> list[Any]:
    """The cases as ``pytest.param`` objects with readable ids, for ``pytest.mark.parametrize("case", ...)``."""
    import pytest  # noqa: PLC0415  (an optional dependency: only a test run has it)

    return [pytest.param(c, id=c.name) for c in cases(pattern, functions=functions)]


def parametrize_cases(pattern: str = "*", *, functions: Iterable[str] | None = None,
                      argname: str = "case") -> Callable[[Any], Any]:
    """A decorator running a test once per case::

        @parametrize_cases()
        def test_my_backend(case):
            run_case(case, mode=MY_MODE)
    """
    import pytest  # noqa: PLC0415  (an optional dependency: only a test run has it)

    return pytest.mark.parametrize(argname, case_params(pattern, functions=functions))


def ops_exercised(case: Case) -> set[str]:
    """Names of the op classes (and scalar ops of Elemwise) in the graph of the case's first sample."""
    samples = [s for s in case.make_samples() if not s.tags & {"error", "build-error"}]
    names: set[str] = set()
    for s in samples[:3]:
        inputs = [tensor(v.dtype, shape) for v, shape in zip(s.values, s.static_shapes, strict=True)]
        try:
            built = case.build(*inputs, **s.kwargs)
        except (TypeError, ValueError, IndexError, OverflowError):
            continue
        outputs = list(built) if isinstance(built, list | tuple) else [built]
        for node in toposort(outputs):
            scalar_op = getattr(node.op, "scalar_op", None)
            names.add(type(node.op).__name__ + (f"{{{scalar_op}}}" if scalar_op is not None else ""))
    return names


def report(selected: Iterable[Case] | None = None) -> dict[str, Any]:
    """Figures of the table: cases, public functions, op classes, samples and dtypes covered."""
    chosen = list(ALL_CASES if selected is None else selected)
    dtypes: set[str] = set()
    n_samples = 0
    ops: set[str] = set()
    for case in chosen:
        samples = case.make_samples()
        n_samples += len(samples)
        for s in samples:
            dtypes.update(s.dtypes)
        ops |= ops_exercised(case)
    return {
        "cases": len(chosen),
        "functions": len({c.function for c in chosen}),
        "op classes": len({name.split("{")[0] for name in ops}),
        "elemwise scalar ops": len({name for name in ops if name.startswith("Elemwise{")}),
        "samples": n_samples,
        "dtypes": sorted(dtypes),
        "differentiable cases": sum(c.differentiable for c in chosen),
    }


def format_report(figures: dict[str, Any]) -> str:
    """The report as lines of text."""
    lines = ["Arignote op conformance suite"]
    for key, value in figures.items():
        text = f"{len(value)} ({', '.join(value)})" if isinstance(value, list) else str(value)
        lines.append(f"  {key}: {text}")
    return "\n".join(lines)
