"""``function(..., profile=True)`` gives a report on every backend: graph-core times the nodes of a backend that
keeps no profile itself (the reference evaluator, checked or not), the calls of one that takes no step observer,
and leaves alone one that profiles itself."""

from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

import arignote_core as ac
from arignote_core.evaluator import ReferenceProgram
from arignote_core.fgraph import FunctionGraph
from arignote_core.mode import Mode
from arignote_core.profiling import ProfiledExecutable


def _graph() -> tuple[ac.Variable, ac.Variable]:
    x = ac.dmatrix("x")
    return x, ac.tanh(x @ x.T).sum(axis=1)


@pytest.mark.parametrize("options", [{}, {"check": True}, {"nan_guard": True}])
def test_reference_times_every_node(options: dict[str, bool]) -> None:
    x, y = _graph()
    f = ac.function([x], y, mode=Mode(options=options), profile=True)
    for _ in range(3):
        np.testing.assert_allclose(f(np.ones((2, 3))), np.tanh(np.full((2, 2), 3.0)).sum(axis=1))
    report = f.report()
    assert "Profile: 3 call(s)" in report, report
    assert "By node:" in report and "By op class:" in report
    for op_class in ("MatMul", "Elemwise", "Reduce", "DimShuffle"):
        assert f"  {op_class}\n" in report + "\n", report
    runs = 6 if options.get("check") else 3  # checking runs the compiled program twice per call
    assert f"{runs:7d}    0 " in report, report


def test_no_profile_no_wrapper_and_no_call_yet() -> None:
    x, y = _graph()
    plain = ac.function([x], y)
    assert isinstance(plain.executable, ReferenceProgram)
    assert "keeps no report" in plain.report()
    profiled = ac.function([x], y, mode=Mode(options={"profile": True}))
    assert isinstance(profiled.executable, ProfiledExecutable)
    assert "Profile: no call yet." in profiled.report()


class _Opaque:
    """A backend whose executable takes no step observer and keeps a report of its own."""

    name = "opaque"

    def compile(self, fgraph: FunctionGraph, mode: Mode) -> Any:
        program = ReferenceProgram(fgraph)

        class Executable:
            def __call__(self, values: Sequence[Any]) -> list[Any]:
                return program(values)

            def report(self) -> str:
                return "opaque: one program"

        return Executable()


class _SelfTiming(_Opaque):
    """A backend that says it profiles itself: graph-core adds nothing."""

    profiles = True


def test_a_backend_without_observer_has_its_calls_timed() -> None:
    x, y = _graph()
    f = ac.function([x], y, mode=Mode(backend=_Opaque()), profile=True)
    f(np.ones((2, 2)))
    f(np.ones((2, 2)))
    report = f.report()
    assert report.startswith("opaque: one program\nProfile: 2 call(s), ")
    assert "not timed one by one" in report


def test_a_backend_that_profiles_itself_is_left_alone() -> None:
    x, y = _graph()
    f = ac.function([x], y, mode=Mode(backend=_SelfTiming()), profile=True)
    f(np.ones((2, 2)))
    assert f.report() == "opaque: one program"


def test_profile_with_print_and_keyword_call(capsys: pytest.CaptureFixture[str]) -> None:
    x = ac.dvector("x")
    f = ac.function([x], ac.printing.Print("p", attrs=("size",))(x) + 1, profile=True)
    np.testing.assert_array_equal(f(x=np.zeros(2)), [1.0, 1.0])
    assert capsys.readouterr().out == "p size = 2\n"
    assert "Print{p}" in f.report() and "Profile: 1 call(s)" in f.report()
