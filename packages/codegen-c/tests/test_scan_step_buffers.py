"""What a scan's step costs beyond its own arithmetic: the runtime leaves the vector registers clean for the BLAS
and the interpreter (no AVX-to-SSE transition penalty), and a step computes its carried values into buffers the
loop owns (in place when the memory plan allows, else two buffers taking turns) without ever writing into the
caller's arrays."""

from __future__ import annotations

import re
import shutil
import subprocess
import sysconfig

import numpy as np
import pytest

import arignote_core as ac
from arignote_c import backend
from arignote_c.lowering.control import inner_graph_step
from arignote_c.runtime import source
from arignote_c.toolchain import BASE_FLAGS, EXTENSION_SUFFIX
from arignote_core.control import Scan, scan


def _functions(disassembly: str) -> dict[str, list[str]]:
    functions: dict[str, list[str]] = {}
    lines: list[str] = []
    for line in disassembly.splitlines():
        header = re.match(r"^[0-9a-f]+ <(.+)>:$", line)
        if header:
            lines = functions.setdefault(header.group(1), [])
        else:
            lines.append(line)
    return functions


@pytest.mark.skipif(not (shutil.which("gcc") and shutil.which("objdump")), reason="needs gcc and objdump")
def test_the_runtime_clears_the_upper_vector_registers_after_using_them(tmp_path):
    """Built as the cache builds it (-O1 for the runtime, -march=native), every function of the runtime that
    writes the 256- or 512-bit registers ymm0-15/zmm0-15 ends its AVX code with vzeroupper: gcc inserts it only
    with -fexpensive-optimizations, which -O1 leaves off. Left dirty, they made every SSE instruction after them
    (OpenBLAS's interface, the interpreter) slow: a 1x32 @ 32x32 product in a scan's step took 0.33 us, not 0.05."""
    import numpy  # noqa: PLC0415

    built = source.build_prebuilt(["gcc"], (*BASE_FLAGS, "-march=native"), EXTENSION_SUFFIX,
                                  [sysconfig.get_paths()["include"], numpy.get_include()], tmp_path)
    code = subprocess.run(["objdump", "-d", "--no-show-raw-insn", str(built)], capture_output=True, text=True,
                          check=True).stdout
    dirty = re.compile(r"%[yz]mm([0-9]|1[0-5])\b")
    using = {name: body for name, body in _functions(code).items() if any(dirty.search(line) for line in body)}
    missing = [name for name, body in using.items() if not any("vzeroupper" in line for line in body)]
    assert not missing, f"functions leaving the upper halves dirty: {missing[:10]}"


@pytest.fixture
def step_programs(monkeypatch):
    """The programs compiled for inner graphs (scan steps), in order."""
    programs = []
    compile_inner = backend.CBackend.compile_inner

    def kept(self, inner, mode):
        program = compile_inner(self, inner, mode)
        programs.append(program)
        return program

    monkeypatch.setattr(backend.CBackend, "compile_inner", kept)
    return programs


def test_an_accumulator_adds_in_place_and_the_callers_initial_value_is_untouched(step_programs):
    x, acc0 = ac.dtensor3("x"), ac.dmatrix("acc0")
    # a decaying sum (the sum of plain products would become one product after the loop: graph-opt's
    # scan_pushes_out_accumulated_products)
    sums, _ = scan(lambda xt, acc: acc * 0.5 + xt.T @ xt, sequences=x, outputs_info=acc0)
    f = ac.function([x, acc0], sums[-1], mode="c")
    (step,) = step_programs
    assert [info.in_place for info in step.info.steps] == [{0: 0}], "the carried sum is not computed in place"

    def decayed(xs, start):
        total = start
        for xt in xs:
            total = total * 0.5 + xt.T @ xt
        return total

    rng = np.random.default_rng(1)
    xs, start = rng.normal(size=(40, 2, 3)), rng.normal(size=(3, 3))
    kept = start.copy()
    first = f(xs, start)
    np.testing.assert_allclose(first, decayed(xs, kept), rtol=1e-12)
    np.testing.assert_array_equal(start, kept)  # the caller's array: the loop added into a copy
    first_copy = first.copy()
    second = f(xs * 2, start)
    np.testing.assert_array_equal(first, first_copy)  # a result the caller keeps is never overwritten
    np.testing.assert_allclose(second, decayed(xs * 2, kept), rtol=1e-12)
    np.testing.assert_array_equal(start, kept)


def test_a_state_carried_from_step_to_step_reuses_two_buffers_and_results_stay_the_callers():
    x, w, h0 = ac.dtensor3("x"), ac.dmatrix("w"), ac.dmatrix("h0")
    hs, _ = scan(lambda xt, h, w: ac.tanh(xt + h @ w), sequences=x, outputs_info=h0, non_sequences=[w])
    f = ac.function([x, w, h0], hs[-1], mode="c")
    reference = ac.function([x, w, h0], hs[-1], mode="reference")
    rng = np.random.default_rng(2)
    values = [rng.normal(size=(25, 2, 3)), rng.normal(size=(3, 3)) * 0.5, rng.normal(size=(2, 3))]
    kept = [v.copy() for v in values]
    results = [f(*values) for _ in range(3)]
    for v, k in zip(values, kept, strict=True):
        np.testing.assert_array_equal(v, k)
    expected = reference(*values)
    for r in results:
        np.testing.assert_allclose(r, expected, rtol=1e-12)
    assert not np.shares_memory(results[0], results[1]) and not np.shares_memory(results[1], results[2])
    for steps in (1, 2, 3):  # one step: no buffer of an earlier step to take turns with
        np.testing.assert_allclose(f(values[0][:steps], *values[1:]), reference(values[0][:steps], *values[1:]),
                                   rtol=1e-12)


def test_the_gradients_accumulators_match_the_reference_and_leave_the_inputs_alone(step_programs):
    grad = pytest.importorskip("arignote_grad", reason="autograd-sym is not installed").grad
    x, w, u, b, h0 = ac.dtensor3("x"), ac.dmatrix("w"), ac.dmatrix("u"), ac.dvector("b"), ac.dmatrix("h0")
    hs, _ = scan(lambda xt, h, w, u, b: ac.tanh(xt @ w + h @ u + b), sequences=[x], outputs_info=[h0],
                 non_sequences=[w, u, b])
    grads = grad(hs[-1].sum(), [w, u, b])
    f = ac.function([x, w, u, b, h0], grads, mode="c")
    backward = step_programs[-1]
    # dW and dU are one product each after the loop (graph-opt's scan_pushes_out_accumulated_products), not a
    # product per step accumulated into a carried buffer
    assert not any("Gemm" in str(info.node.op) for info in backward.info.steps)
    reference = ac.function([x, w, u, b, h0], grads, mode="reference")
    rng = np.random.default_rng(3)
    for steps, batch, n in ((30, 1, 8), (7, 4, 5)):
        values = [rng.normal(size=(steps, batch, n)), rng.normal(size=(n, n)) * 0.3,
                  rng.normal(size=(n, n)) * 0.3, rng.normal(size=n), rng.normal(size=(batch, n))]
        kept = [v.copy() for v in values]
        got = [f(*values), f(*values)]
        expected = reference(*values)
        for g in got:
            for a, e in zip(g, expected, strict=True):
                np.testing.assert_allclose(a, e, rtol=1e-12, atol=1e-14)
        for v, k in zip(values, kept, strict=True):
            np.testing.assert_array_equal(v, k)


def test_the_python_loop_gives_the_step_copies_of_the_carried_values():
    """The Python loop (the fallback) runs the same step program, which may compute a carried value into the
    buffer it reads: it must pass copies, never the node's inputs."""
    x, acc0 = ac.dmatrix("x"), ac.dvector("acc0")
    sums, _ = scan(lambda xt, acc: acc + xt, sequences=x, outputs_info=acc0)
    f = ac.function([x, acc0], sums[-1], mode="c")
    (node,) = [n for n in f.fgraph.toposort() if isinstance(n.op, Scan)]
    assert node.op.info.n_carried == 1

    def adds_in_place(values):  # a step writing into its carried input, as an in-place step does
        carried = node.op.info.split_inner_inputs(values).carried[0]
        carried += node.op.info.split_inner_inputs(values).sequences[0][0]
        return [carried]

    run = inner_graph_step(node, {id(node.op.step): adds_in_place})
    start, xs = np.ones(3), np.arange(6.0).reshape(2, 3)
    (last,) = run([np.int64(2), xs, start])
    np.testing.assert_array_equal(last, 1 + xs.sum(axis=0))
    np.testing.assert_array_equal(start, np.ones(3))
