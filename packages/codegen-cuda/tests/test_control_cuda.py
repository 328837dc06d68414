"""Control flow on the CUDA backend, emulated: scans run their step's kernels once per step on device arrays
(states never bounce to the host when the step has only kernels) and read the step's error flags once per call,
``ifelse`` runs only the branch taken, and ``OpFromGraph`` its graph, each against NumPy (and a scan's gradient
against the reference evaluator); under the named mode the inner graphs are rewritten (fused) once."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import arignote_core as ac
from arignote_core import function
from arignote_core.control import OpFromGraph, Scan, ifelse, scan, until
from arignote_core.fgraph import FunctionGraph
from arignote_core.linalg import cholesky
from arignote_core.mode import Mode, get_mode
from arignote_core.scalars.composite import Composite
from arignote_core.tensors import Elemwise
from arignote_cuda import CudaBackend
from arignote_cuda.emulation.driver import EmulatedDriver
from arignote_cuda.ops.control import InnerProgram
from arignote_cuda.program import CudaProgram

GEOMETRIES = [{"block": 64, "max_grid": 3}, {"block": 32, "max_grid": 1}]


@pytest.fixture(scope="module", params=GEOMETRIES, ids=lambda g: f"block{g['block']}-grid{g['max_grid']}")
def mode(request: pytest.FixtureRequest, cache_dir: Path) -> Mode:
    return Mode(backend=CudaBackend(), options={"emulate": True, "cache_dir": str(cache_dir), **request.param})


def _program(f: Any) -> CudaProgram:
    program = f.executable
    assert isinstance(program, CudaProgram)
    return program


def _counted(f: Any, *args: Any) -> tuple[Any, Counter[str], Counter[str]]:
    driver = _program(f).driver
    assert isinstance(driver, EmulatedDriver)
    counts, copied = Counter(driver.counts), Counter(driver.copied)
    result = f(*args)
    return result, driver.counts - counts, driver.copied - copied


def _plan_of(f: Any, op_type: type) -> Any:
    plans = [plan for node, plan in _program(f).steps if isinstance(node.op, op_type)]
    assert len(plans) == 1 and plans[0] is not None, _program(f).report()
    return plans[0]


def _rnn_oracle(x: np.ndarray, w: np.ndarray, u: np.ndarray, h0: np.ndarray) -> np.ndarray:
    h, states = h0, []
    for x_t in x:
        h = np.tanh(x_t @ w + h @ u)
        states.append(h)
    return np.array(states).reshape((len(x), *h0.shape))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_an_rnn_step_runs_its_kernels_once_per_step(mode: Mode, dtype: str) -> None:
    x, w, u, h0 = ac.matrix("x", dtype), ac.matrix("w", dtype), ac.matrix("u", dtype), ac.vector("h0", dtype)
    h, _ = scan(lambda x_t, h_tm1: ac.tanh(x_t @ w + h_tm1 @ u), sequences=x, outputs_info=h0)
    f = function([x, w, u, h0], h, mode=mode)
    rng = np.random.default_rng(1)
    xv, wv, uv = (rng.standard_normal(s).astype(dtype) * 0.5 for s in ((5, 3), (3, 4), (4, 4)))
    hv = rng.standard_normal(4).astype(dtype)
    got, counts, _ = _counted(f, xv, wv, uv, hv)
    np.testing.assert_allclose(got, _rnn_oracle(xv, wv, uv, hv), rtol=1e-5 if dtype == "float32" else 1e-12)
    assert "host   Scan" not in f.report()
    step = _plan_of(f, Scan).run.keywords["step"]
    kernels = sum(plan is not None for _, plan in step.steps)   # the add and tanh, and the products' if on the device
    outside = sum(plan is not None and not isinstance(node.op, Scan) for node, plan in _program(f).steps)
    assert kernels >= 2 and counts["launch"] == 5 * kernels + outside


def test_a_sequence_only_host_steps_read_stays_on_the_host(mode: Mode) -> None:
    x, h0 = ac.dmatrix("x"), ac.dvector("h0")
    h, _ = scan(lambda x_t, h_tm1: h_tm1 * 0.5 + ac.sort(x_t), sequences=x, outputs_info=h0)
    f = function([x, h0], h, mode=mode)
    xv, hv = np.random.default_rng(10).standard_normal((4, 5)), np.zeros(5)
    expected, s = [], hv
    for row in xv:
        s = s * 0.5 + np.sort(row)
        expected.append(s)
    np.testing.assert_allclose(f(xv, hv), np.array(expected), rtol=1e-12)
    plan = _plan_of(f, Scan)
    assert 1 not in plan.operands and 2 in plan.operands   # the sequence is sliced on the host, the state not


def test_the_state_stays_on_the_device_between_steps(cache_dir: Path) -> None:
    mode = Mode(backend=CudaBackend(), options={"emulate": True, "cache_dir": str(cache_dir)})
    x, h0 = ac.dmatrix("x"), ac.dvector("h0")
    h, _ = scan(lambda x_t, h_tm1: ac.tanh(x_t + h_tm1 * 0.5), sequences=x, outputs_info=h0)
    f = function([x, h0], h, mode=mode)
    rng = np.random.default_rng(2)
    runs = {}
    f(np.zeros((1, 256)), np.zeros(256))   # the first call builds the step's program (its flags go up once)
    for steps in (3, 7):
        xv, hv = rng.standard_normal((steps, 256)), rng.standard_normal(256)
        got, counts, copied = _counted(f, xv, hv)
        expected, s = [], hv
        for row in xv:
            s = np.tanh(row + s * 0.5)
            expected.append(s)
        np.testing.assert_allclose(got, np.array(expected), rtol=1e-12)
        runs[steps] = counts, copied
    (c3, b3), (c7, b7) = runs[3], runs[7]
    # each more step: its 3 kernels and one device copy of the state into its stack; no upload and no download
    # of the state, and no read of the step's error flags (read once, after the loop)
    assert c7["launch"] - c3["launch"] == 4 * 3
    assert c7["htod"] == c3["htod"]
    assert c7["dtod"] - c3["dtod"] == 4 and b7["dtod"] - b3["dtod"] == 4 * 256 * 8
    assert c7["dtoh"] == c3["dtoh"] and b7["dtoh"] - b3["dtoh"] == 4 * 256 * 8   # only the longer output
    step = _plan_of(f, Scan).run.keywords["step"]
    assert isinstance(step, InnerProgram) and step.compiled is not None and step.compiled.pool is _program(f).pool


def test_taps_of_sequences_and_states(mode: Mode) -> None:
    x, h0 = ac.dmatrix("x"), ac.dmatrix("h0")

    def step(x_tm2: Any, x_t: Any, x_tp1: Any, h_tm1: Any, h_tm3: Any) -> Any:
        return x_tm2 + 2 * x_t + 3 * x_tp1 + 0.5 * h_tm1 - 0.25 * h_tm3

    h, _ = scan(step, sequences=dict(input=x, taps=[-2, 0, 1]), outputs_info=dict(initial=h0, taps=[-1, -3]))
    f = function([x, h0], h, mode=mode)
    rng = np.random.default_rng(3)
    xv, hv = rng.standard_normal((8, 2)), rng.standard_normal((3, 2))
    values = list(hv)
    for i in range(2, len(xv) - 1):
        values.append(xv[i - 2] + 2 * xv[i] + 3 * xv[i + 1] + 0.5 * values[-1] - 0.25 * values[-3])
    np.testing.assert_allclose(f(xv, hv), np.array(values[3:]), rtol=1e-12)
    assert "host   Scan" not in f.report()


def test_outputs_not_fed_back_and_carried_values(mode: Mode) -> None:
    x = ac.imatrix("x")

    def step(x_t: Any, s_tm1: Any) -> Any:
        return s_tm1 + x_t, x_t * 3

    (sums, triples), _ = scan(step, sequences=x, outputs_info=[ac.zeros_like(x[0]), None])
    f = function([x], [sums, triples], mode=mode)
    base = np.arange(24, dtype=np.int32).reshape(4, 6)
    for xv in (base[:, :3], base[::-1, ::2], base.T[::2]):   # sequences read where they lie: strided, reversed
        got_sums, got_triples = f(xv)
        np.testing.assert_array_equal(got_sums, np.cumsum(xv, axis=0))
        np.testing.assert_array_equal(got_triples, xv * 3)


def test_a_while_loop_reads_its_condition_once_per_step(mode: Mode) -> None:
    x0, limit = ac.dscalar("x0"), ac.dscalar("limit")

    def step(x: Any) -> Any:
        new = x * 2
        return new, until(new > limit)

    values, _ = scan(step, outputs_info=x0, n_steps=40)
    f = function([x0, limit], values, mode=mode)
    got, counts, copied = _counted(f, 1.0, 20.0)
    np.testing.assert_array_equal(got, [2.0, 4.0, 8.0, 16.0, 32.0])
    # per step: the condition (1 byte); then the step's error flags (once), the output and the function's flags
    assert counts["dtoh"] == 5 + 3
    np.testing.assert_array_equal(f(1.0, 0.0), [2.0])
    assert len(f(0.7, 1e300)) == 40


def test_go_backwards(mode: Mode) -> None:
    x = ac.dvector("x")
    acc, _ = scan(lambda x_t, s: s * 0.5 + x_t, sequences=x, outputs_info=ac.zeros_like(x[0]), go_backwards=True)
    diffs, _ = scan(lambda a, b: a - b, sequences=dict(input=x, taps=[0, 2]), go_backwards=True)
    f = function([x], [acc, diffs], mode=mode)
    xv = np.random.default_rng(4).standard_normal(6)
    expected, s = [], 0.0
    for value in xv[::-1]:
        s = s * 0.5 + value
        expected.append(s)
    got_acc, got_diffs = f(xv)
    np.testing.assert_allclose(got_acc, expected, rtol=1e-12)
    np.testing.assert_allclose(got_diffs, (xv[:-2] - xv[2:])[::-1], rtol=1e-12)


def test_zero_steps(mode: Mode) -> None:
    x, h0 = ac.dmatrix("x"), ac.dvector("h0")
    (h, y), _ = scan(lambda x_t, h_tm1: [h_tm1 + x_t, ac.exp(x_t) * 2], sequences=x, outputs_info=[h0, None])
    f = function([x, h0], [h, y], mode=mode)
    got_h, got_y = f(np.zeros((0, 3)), np.ones(3))
    assert got_h.shape == (0, 3) and got_y.shape == (0, 3)
    assert "host   Scan" not in f.report()


def test_nested_scans(mode: Mode) -> None:
    x = ac.dmatrix("x")

    def row_sum(row: Any, acc: Any) -> Any:
        inner, _ = scan(lambda v, s: s + v * v, sequences=row, outputs_info=ac.zeros_like(row[0]))
        return acc + inner[-1]

    totals, _ = scan(row_sum, sequences=x, outputs_info=ac.zeros_like(x[0, 0]))
    f = function([x], totals, mode=mode)
    xv = np.random.default_rng(5).standard_normal((4, 3))
    got, counts, _ = _counted(f, xv)
    np.testing.assert_allclose(got, np.cumsum((xv * xv).sum(axis=1)), rtol=1e-12)
    assert counts["launch"] >= 4 * 3 * 2    # the inner loop's kernels, 3 steps in each of 4


def test_a_strided_step_result_is_stored_as_numpy_lays_it_out(mode: Mode) -> None:
    x = ac.tensor3("x")
    transposed, _ = scan(lambda m: (m * 1.0).T, sequences=x)
    f = function([x], transposed, mode=mode)
    xv = np.random.default_rng(6).standard_normal((3, 2, 4))
    np.testing.assert_array_equal(f(xv), xv.transpose(0, 2, 1))


def test_inputs_that_do_not_fit_raise_the_reference_error(mode: Mode) -> None:
    x, h0 = ac.dmatrix("x"), ac.dvector("h0")
    h, _ = scan(lambda x_t, h_tm1: h_tm1 * x_t, sequences=x, outputs_info=h0)
    f = function([x, h0], h, mode=mode)
    with pytest.raises(ValueError, match="keep their shape from step to step"):   # (1,) * (4,) gives (4,)
        f(np.ones((3, 4)), np.ones(1))
    k = ac.lscalar("k")
    g, _ = scan(lambda h_tm1: h_tm1 * 2, outputs_info=h0, n_steps=k)
    with pytest.raises(ValueError, match="cannot be negative"):
        function([h0, k], g, mode=mode)(np.ones(3), -1)


def test_a_step_without_kernels_is_a_host_step(mode: Mode) -> None:
    x = ac.dmatrix("x")
    rows, _ = scan(lambda r: ac.sort(r), sequences=x)
    f = function([x], rows, mode=mode)
    xv = np.random.default_rng(7).standard_normal((3, 4))
    np.testing.assert_array_equal(f(xv), np.sort(xv, axis=1))
    assert "host   Scan" in f.report() and "no CUDA kernels" in f.report()


def test_lazy_ifelse_never_runs_the_branch_not_taken(mode: Mode) -> None:
    c, x = ac.dscalar("c"), ac.dmatrix("x")
    f = function([c, x], ifelse(c > 0, cholesky(x), x), mode=mode)
    indefinite = np.array([[1.0, 2.0], [2.0, 1.0]])
    np.testing.assert_array_equal(f(-1.0, indefinite), indefinite)
    spd = np.array([[4.0, 2.0], [2.0, 3.0]])
    np.testing.assert_allclose(f(1.0, spd), np.linalg.cholesky(spd), rtol=1e-12)
    with pytest.raises(np.linalg.LinAlgError):
        f(1.0, indefinite)


def _two_branch_launches(mode: Mode) -> tuple[Any, tuple[int, int]]:
    """A two-output ifelse under ``mode``, checked against NumPy on both branches; its function and the kernels
    each branch launched."""
    c, x, y = ac.bscalar("c"), ac.dvector("x"), ac.dvector("y")
    f = function([c, x, y], ifelse(c, [ac.exp(x) * y + 1, x], [x - y * 2, y]), mode=mode)
    xv, yv = np.linspace(-1, 1, 50), np.linspace(0, 2, 50)
    (a, b), taken, _ = _counted(f, np.int8(1), xv, yv)
    np.testing.assert_allclose(a, np.exp(xv) * yv + 1, rtol=1e-12)
    np.testing.assert_array_equal(b, xv)
    (a, b), other, _ = _counted(f, np.int8(0), xv, yv)
    np.testing.assert_allclose(a, xv - yv * 2, rtol=1e-12)
    np.testing.assert_array_equal(b, yv)
    return f, (taken["launch"], other["launch"])


def test_ifelse_launches_only_the_kernels_of_the_branch_taken(mode: Mode) -> None:
    f, launches = _two_branch_launches(mode)
    assert launches == (3, 2)
    assert "host   IfElse" not in f.report()


def test_an_op_from_graph_runs_its_graph_on_the_device(mode: Mode) -> None:
    a, b = ac.dmatrix("a"), ac.dmatrix("b")
    op = OpFromGraph([a, b], [a * b + ac.sin(a), a - b], name="f")
    x, y = ac.dmatrix("x"), ac.dmatrix("y")
    f = function([x, y], op(x, y), mode=mode)
    rng = np.random.default_rng(8)
    xv, yv = rng.standard_normal((3, 4)), rng.standard_normal((1, 4))
    (p, q), counts, _ = _counted(f, xv, yv)
    np.testing.assert_allclose(p, xv * yv + np.sin(xv), rtol=1e-12)
    np.testing.assert_allclose(q, xv - yv, rtol=1e-12)
    assert counts["launch"] == 4 and "host   OpFromGraph" not in f.report()


def test_scan_gradients_equal_the_reference(mode: Mode) -> None:
    pytest.importorskip("arignote_grad")
    from arignote_grad import grad

    x, w, h0 = ac.dmatrix("x"), ac.dmatrix("w"), ac.dvector("h0")
    h, _ = scan(lambda x_t, h_tm1: ac.tanh(x_t + ac.dot(h_tm1, w)), sequences=x, outputs_info=h0)
    cost = (h ** 2).sum()
    outputs = [cost, *grad(cost, [x, w, h0])]
    rng = np.random.default_rng(9)
    values = [rng.standard_normal((4, 3)), rng.standard_normal((3, 3)) * 0.5, rng.standard_normal(3)]
    expected = function([x, w, h0], outputs, mode="reference")(*values)
    f = function([x, w, h0], outputs, mode=mode)
    for got, want in zip(f(*values), expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    assert f.report().count("host   Scan") == 0


def test_an_error_in_a_step_names_the_step(mode: Mode) -> None:
    x, e = ac.lmatrix("x"), ac.lscalar("e")
    powers, _ = scan(lambda x_t, k: x_t ** k, sequences=x, non_sequences=e, name="powers")
    f = function([x, e], powers, mode=mode)
    np.testing.assert_array_equal(f(np.arange(6).reshape(3, 2), 2), np.arange(6).reshape(3, 2) ** 2)
    with pytest.raises(ValueError, match=r"(?s)negative integer powers.*in step 0 of 3 of scan 'powers'"):
        f(np.arange(6).reshape(3, 2), -1)
    a = ac.dtensor3("a")
    factors, _ = scan(lambda m: cholesky(m) * 2, sequences=a)
    g = function([a], factors, mode=mode)
    with pytest.raises(np.linalg.LinAlgError, match="in step 1 of 2"):
        g(np.array([np.eye(2), [[1.0, 2.0], [2.0, 1.0]]]))


@pytest.fixture(scope="module")
def named(cache_dir: Path) -> Mode:
    """The named mode "cuda-emulated" (graph-opt's rewrites, then the backend) over the session's cache."""
    return get_mode("cuda-emulated").with_options(cache_dir=str(cache_dir))


def _rnn_with_powers(mode: Mode) -> Any:
    """``h_t = tanh(x_t w + h_tm1 u) * 2**k_t``: an integer power that raises NumPy's error where ``k_t < 0``."""
    x, k, w, u, h0 = ac.dmatrix("x"), ac.lvector("k"), ac.dmatrix("w"), ac.dmatrix("u"), ac.dvector("h0")
    h, _ = scan(lambda x_t, k_t, h_tm1: ac.tanh(x_t @ w + h_tm1 @ u) * (2 ** k_t), sequences=[x, k],
                outputs_info=h0, name="rnn")
    return function([x, k, w, u, h0], h, mode=mode)


def test_an_rnn_reads_its_step_flags_once_per_call(named: Mode) -> None:
    f = _rnn_with_powers(named)
    rng = np.random.default_rng(11)
    w, u, h0 = rng.standard_normal((3, 4)), rng.standard_normal((4, 4)) * 0.5, rng.standard_normal(4)
    runs = {}
    for steps in (5, 50):
        x, k = rng.standard_normal((steps, 3)), rng.integers(0, 3, steps)
        got, counts, copied = _counted(f, x, k, w, u, h0)
        np.testing.assert_allclose(got, _rnn_powers_oracle(x, k, w, u, h0), rtol=1e-12)
        runs[steps] = counts, copied
    (c5, b5), (c50, b50) = runs[5], runs[50]
    assert c50["launch"] > c5["launch"] + 45 * 2          # the step's kernels ran 45 more times...
    assert c50["dtoh"] == c5["dtoh"] <= 4                 # ...but its flags were read once in both calls
    assert b50["dtoh"] - b5["dtoh"] == 45 * 4 * 8         # what more came back: the longer output only
    x, k = rng.standard_normal((50, 3)), np.ones(50, dtype=np.int64)
    k[7] = -1
    with pytest.raises(ValueError, match=r"(?s)Integers to negative integer powers are not allowed.*"
                       r"Elemwise\{power\}.*test_control_cuda.py.*in step 7 of 50 of scan 'rnn'.*"
                       r"while computing Scan\{rnn\}"):
        f(x, k, w, u, h0)
    k[7] = 2   # the flags were cleared: the next call is right
    np.testing.assert_allclose(f(x, k, w, u, h0), _rnn_powers_oracle(x, k, w, u, h0), rtol=1e-12)


def _rnn_powers_oracle(x: np.ndarray, k: np.ndarray, w: np.ndarray, u: np.ndarray, h0: np.ndarray) -> np.ndarray:
    h, states = h0, []
    for x_t, k_t in zip(x, k, strict=True):
        h = np.tanh(x_t @ w + h @ u) * (2 ** k_t)
        states.append(h)
    return np.array(states)


def test_a_kernel_error_comes_before_what_its_garbage_causes(mode: Mode) -> None:
    # a step reading its power's result on the host (sort) and factoring a matrix (cholesky): an error flag set in
    # step t is raised, naming step t, before any later host error; a host error before it is raised as it is
    x, k, m, h0 = ac.lmatrix("x"), ac.lvector("k"), ac.dtensor3("m"), ac.dvector("h0")

    def step(x_t: Any, k_t: Any, m_t: Any, h_tm1: Any) -> Any:
        return h_tm1 + ac.sort(x_t ** k_t) + cholesky(m_t).sum()

    h, _ = scan(step, sequences=[x, k, m], outputs_info=h0, name="mixed")
    f = function([x, k, m, h0], h, mode=mode)
    assert "host   Scan" not in f.report()
    xv, h0v = np.arange(30, dtype=np.int64).reshape(10, 3) % 4 + 1, np.zeros(3)
    spd = np.array([[4.0, 2.0], [2.0, 3.0]])
    kv, mv = np.ones(10, dtype=np.int64), np.array([spd] * 10)
    expected = np.cumsum(np.sort(xv, axis=1) + np.linalg.cholesky(spd).sum(), axis=0)
    np.testing.assert_allclose(f(xv, kv, mv, h0v), expected, rtol=1e-12)
    kv[7] = -1                                                   # a kernel's error in step 7
    with pytest.raises(ValueError, match="(?s)negative integer powers.*in step 7 of 10 of scan 'mixed'"):
        f(xv, kv, mv, h0v)
    mv[9] = [[1.0, 2.0], [2.0, 1.0]]                             # and a host step's in step 9: step 7's first
    with pytest.raises(ValueError, match="(?s)negative integer powers.*in step 7 of 10 of scan 'mixed'"):
        f(xv, kv, mv, h0v)
    mv[3] = mv[9]                                                # a host step's error in step 3 comes first
    with pytest.raises(np.linalg.LinAlgError, match="in step 3 of 10 of scan 'mixed'"):
        f(xv, kv, mv, h0v)
    kv[7], mv[3], mv[9] = 1, spd, spd                            # nothing left set from the failed calls
    np.testing.assert_allclose(f(xv, kv, mv, h0v), expected, rtol=1e-12)


def _step_program(f: Any) -> InnerProgram:
    step = _plan_of(f, Scan).run.keywords["step"]
    assert isinstance(step, InnerProgram)
    return step


def _is_composite(node: Any) -> bool:
    return isinstance(node.op, Elemwise) and isinstance(node.op.scalar_op, Composite)


def test_a_step_is_fused_under_the_named_mode(named: Mode, mode: Mode) -> None:
    x = ac.dmatrix("x")
    y, _ = scan(lambda x_t: ac.exp(x_t) * 2 + 1, sequences=x)
    xv = np.random.default_rng(12).standard_normal((6, 5))
    f = function([x], y, mode=named)
    got, counts, _ = _counted(f, xv)
    np.testing.assert_allclose(got, np.exp(xv) * 2 + 1, rtol=1e-12)
    kernels = [node for node, plan in _step_program(f).steps if plan is not None]
    assert len(kernels) == 1 and _is_composite(kernels[0]) and counts["launch"] == 6   # one kernel per step
    assert len(_plan_of(f, Scan).kernels) == 1 and "host   Scan" not in f.report()
    unfused = function([x], y, mode=mode)                        # no rewriter: the step as written
    np.testing.assert_allclose(unfused(xv), np.exp(xv) * 2 + 1, rtol=1e-12)
    assert sum(plan is not None for _, plan in _step_program(unfused).steps) == 3


class _Counting:
    """A rewriter counting the graphs it rewrites."""

    def __init__(self, rewriter: Any) -> None:
        self.rewriter, self.graphs = rewriter, 0

    def __call__(self, fgraph: FunctionGraph) -> Any:
        self.graphs += 1
        return self.rewriter(fgraph)


def test_inner_graphs_are_rewritten_once_as_copies(named: Mode) -> None:
    counting = _Counting(named.rewriter)
    mode = Mode(backend=named.backend, rewriter=counting, options=named.options)
    x, h0 = ac.dmatrix("x"), ac.dvector("h0")
    h, _ = scan(lambda x_t, h_tm1: ac.tanh(x_t * 0.5 + h_tm1), sequences=x, outputs_info=h0)
    f = function([x, h0], h, mode=mode)
    assert counting.graphs == 2                                  # the function's graph and the step's copy
    rng = np.random.default_rng(13)
    for steps in (2, 4):
        xv, hv = rng.standard_normal((steps, 3)), rng.standard_normal(3)
        expected, s = [], hv
        for row in xv:
            s = np.tanh(row * 0.5 + s)
            expected.append(s)
        np.testing.assert_allclose(f(xv, hv), np.array(expected), rtol=1e-12)
    assert counting.graphs == 2                                  # not per call
    op = _plan_of(f, Scan).node.op
    assert not any(map(_is_composite, op.step.fgraph.apply_nodes))   # the op's own step is left as written
    assert any(map(_is_composite, _step_program(f).fgraph.apply_nodes))


def test_ifelse_and_op_from_graph_under_the_named_mode(named: Mode) -> None:
    _, launches = _two_branch_launches(named)
    assert launches == (1, 1)                                     # each branch one fused kernel, only it run
    s, m = ac.dscalar("s"), ac.dmatrix("m")
    lazy = function([s, m], ifelse(s > 0, cholesky(m) * 2 + 1, m), mode=named)
    indefinite = np.array([[1.0, 2.0], [2.0, 1.0]])
    np.testing.assert_array_equal(lazy(-1.0, indefinite), indefinite)    # the factorization never runs
    with pytest.raises(np.linalg.LinAlgError):
        lazy(1.0, indefinite)
    p, q = ac.dmatrix("p"), ac.dmatrix("q")
    op = OpFromGraph([p, q], [p * q + ac.sin(p), p - q], name="g")
    g = function([p, q], op(p, q), mode=named)
    pv, qv = np.random.default_rng(14).standard_normal((2, 3, 4))
    (u, v), counts, _ = _counted(g, pv, qv)
    np.testing.assert_allclose(u, pv * qv + np.sin(pv), rtol=1e-12)
    np.testing.assert_allclose(v, pv - qv, rtol=1e-12)
    assert counts["launch"] <= 2 and "host   OpFromGraph" not in g.report()
