"""``Print``, ``profile=True`` and foreign input arrays on the C backend: Print runs as a Python step, once per
call, through graph-opt's rewrites (no folding, no merging of different messages); every mode's profile is a
report (the executor's own, or graph-core's where the function falls back on the reference evaluator); DLPack
inputs are read without a copy through the input filter."""

from typing import Any

import numpy as np
import pytest

import arignote_core as ac
from arignote_c import CBackend
from arignote_c.backend import CompilerWarning
from arignote_core.debugprint import Print
from arignote_core.mode import Mode
from arignote_core.profiling import ProfiledExecutable
from arignote_opt import standard_rewriter


def _lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return capsys.readouterr().out.splitlines()


@pytest.fixture(params=["c", "fast"])
def mode(request: pytest.FixtureRequest, c_mode: Mode, fast_mode: Mode) -> Mode:
    return c_mode if request.param == "c" else fast_mode


def test_print_once_per_call_around_fused_arithmetic(mode: Mode, capsys: pytest.CaptureFixture[str]) -> None:
    x = ac.dvector("x")
    f = ac.function([x], ac.exp(Print("mid")(x * 2 + 1)) - 1, mode=mode)
    assert _lines(capsys) == []
    for value in (np.array([0.0, 1.0]), np.array([-0.5])):
        np.testing.assert_allclose(f(value), np.exp(value * 2 + 1) - 1)
        assert _lines(capsys) == [f"mid __str__ = {value * 2 + 1}"]
    assert "Print{mid}" in f.report()  # a Python step: fusion stops at it


def test_print_of_a_constant_is_not_folded(fast_mode: Mode, capsys: pytest.CaptureFixture[str]) -> None:
    f = ac.function([], Print("c", attrs=("shape",))(ac.as_tensor(np.ones((2, 3)))) * 2, mode=fast_mode)
    assert _lines(capsys) == []
    for _ in range(2):
        np.testing.assert_array_equal(f(), np.full((2, 3), 2.0))
    assert _lines(capsys) == ["c shape = (2, 3)", "c shape = (2, 3)"]


def test_different_messages_are_not_merged(fast_mode: Mode, capsys: pytest.CaptureFixture[str]) -> None:
    x = ac.dvector("x")
    f = ac.function([x], Print("a")(x) + Print("b")(x), mode=fast_mode)
    np.testing.assert_array_equal(f(np.array([1.0])), [2.0])
    assert sorted(_lines(capsys)) == ["a __str__ = [1.]", "b __str__ = [1.]"]


def test_print_output_is_not_an_alias_of_the_input(mode: Mode, capsys: pytest.CaptureFixture[str]) -> None:
    x = ac.dmatrix("x")
    f = ac.function([x], Print("t", attrs=())(x[:, ::2]), mode=mode)
    value = np.arange(12.0).reshape(3, 4)
    out = f(value)
    np.testing.assert_array_equal(out, value[:, ::2])
    assert not np.shares_memory(out, value)


def test_gradient_through_print_in_c(fast_mode: Mode, capsys: pytest.CaptureFixture[str]) -> None:
    grad = pytest.importorskip("arignote_grad")
    x = ac.dvector("x")
    g = ac.function([x], grad.grad(ac.sin(Print("g")(x)).sum(), x), mode=fast_mode)
    np.testing.assert_allclose(g(np.array([0.0, 1.0])), np.cos([0.0, 1.0]))
    assert _lines(capsys) == ["g __str__ = [0. 1.]"]


def _profiled_report(mode: Mode) -> tuple[Any, str]:
    x = ac.dmatrix("x")
    f = ac.function([x], ac.tanh(x @ x.T).sum(axis=1), mode=mode, profile=True)
    for _ in range(2):
        np.testing.assert_allclose(f(np.ones((2, 3))), np.tanh(np.full((2, 2), 3.0)).sum(axis=1))
    return f, f.report()


@pytest.mark.parametrize("options", [{}, {"check": True}, {"nan_guard": True}])
def test_c_profiles_itself(mode: Mode, options: dict[str, bool]) -> None:
    f, report = _profiled_report(mode.with_options(**options))
    assert not isinstance(f.executable, ProfiledExecutable)
    assert "Arignote C backend" in report and "By kernel:" in report, report


def test_reference_with_rewrites_is_profiled_by_graph_core() -> None:
    _, report = _profiled_report(Mode(rewriter=standard_rewriter(exclude=("specialize", "fuse"))))
    assert "Arignote reference backend" in report and "Profile: 2 call(s)" in report and "By node:" in report


def test_fallback_on_reference_is_profiled(tmp_path: Any) -> None:
    mode = Mode(backend=CBackend(), options={"cc": str(tmp_path / "no-such-cc"), "cache_dir": str(tmp_path)})
    with pytest.warns(CompilerWarning):
        f, report = _profiled_report(mode)
    assert isinstance(f.executable, ProfiledExecutable)
    assert "Profile: 2 call(s)" in report and "By op class:" in report, report


def test_cuda_emulated_prints_and_profiles(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("arignote_cuda")
    x = ac.dvector("x")
    f = ac.function([x], ac.exp(Print("px")(x) * 2).sum(), mode="cuda-emulated", profile=True)
    np.testing.assert_allclose(f(np.ones(3)), 3 * np.exp(2.0))
    assert _lines(capsys) == ["px __str__ = [1. 1. 1.]"]
    assert "Profile: 1 call(s)" in f.report()


class _DLPackOnly:
    def __init__(self, array: np.ndarray) -> None:
        self._array = array

    def __dlpack__(self, **kwargs: Any) -> Any:
        return self._array.__dlpack__(**kwargs)

    def __dlpack_device__(self) -> tuple[int, int]:
        return (1, 0)


def test_foreign_inputs_through_the_input_filter(mode: Mode) -> None:
    seen: list[np.ndarray] = []
    x = ac.dvector("x")
    f = ac.function([x], Print("", global_fn=lambda op, value: seen.append(value))(x) + 1, mode=mode)
    base = np.arange(3.0)
    np.testing.assert_array_equal(f(_DLPackOnly(base)), base + 1)
    assert np.shares_memory(seen[-1], base)
    with pytest.raises(TypeError, match=r"bad input 'x' \(argument 0\).*CUDA memory \(device 0\)"):
        f(type("OnGpu", (_DLPackOnly,), {"__dlpack_device__": lambda self: (2, 0)})(base))
