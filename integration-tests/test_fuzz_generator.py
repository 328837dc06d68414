"""The fuzzer's generator: the same seed gives the same cases, and within a few thousand cases it reaches every
op of its catalog, every input dtype, layout and edge value, and the form of each bug the fuzzer was built to
find (the known list of its issue)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from arignote_fuzz import catalog
from arignote_fuzz.context import MAX_ELEMENTS
from arignote_fuzz.generator import LARGE_ELEMENTS, generate
from arignote_fuzz.ir import LAYOUTS, Case, Node
from arignote_fuzz.render import build_lines
from arignote_fuzz.values import INPUT_DTYPES

COUNT = 3000


@pytest.fixture(scope="module")
def cases() -> list[Case]:
    return [generate(0, i) for i in range(COUNT)]


def test_a_case_depends_only_on_its_seed_and_index() -> None:
    for index in (0, 7, 123):
        a, b = generate(5, index), generate(5, index)
        assert build_lines(a.graph, str) == build_lines(b.graph, str)
        assert all(np.array_equal(u[n].data, v[n].data, equal_nan=True) and u[n].layout == v[n].layout
                   for u, v in zip(a.calls, b.calls, strict=True) for n in u)
    assert build_lines(generate(5, 1).graph, str) != build_lines(generate(6, 1).graph, str)


def ops_of(cases: list[Case]) -> set[str]:
    return {n.op for c in cases for n in c.graph.nodes}


EXPECTED_OPS = {
    *catalog.UNARY, *catalog.UNARY_HELPERS, "operator-", "operatorabs()", "operator~",
    *(f"binary{op}" for op in catalog.OPERATORS), *(f"compare{op}" for op in catalog.COMPARISONS),
    *catalog.EQUALITIES, *catalog.BINARY_FUNCTIONS, *(f"bitwise{op}" for op in catalog.BITWISE),
    *(f"literal{op}" for op in catalog.OPERATORS + catalog.COMPARISONS), "where", "clip",
    *catalog.REDUCTIONS, "argmax", "argmin", "logsumexp", "cumsum", "cumprod", "softmax", "log_softmax",
    "transpose", "dimshuffle", "reshape", "expand_dims", "squeeze", "swapaxes", "flip", "ravel", "index", "take",
    "set_subtensor", "inc_subtensor", "dot", "matmul", "outer", "concatenate", "stack", "astype",
    *(f.name for f in catalog.FORMULAS), "update",
}


def test_every_op_of_the_catalog_is_generated(cases: list[Case]) -> None:
    assert EXPECTED_OPS - ops_of(cases) == set()


def values(case: Case) -> list[np.ndarray]:
    return [v.data for call in case.calls for v in call.values()] + list(case.shared_values.values())


EDGES: dict[str, Callable[[np.ndarray], bool]] = {
    "nan": lambda v: v.dtype.kind == "f" and bool(np.isnan(v).any()),
    "+inf": lambda v: v.dtype.kind == "f" and bool((v == np.inf).any()),
    "-inf": lambda v: v.dtype.kind == "f" and bool((v == -np.inf).any()),
    "-0.0": lambda v: v.dtype.kind == "f" and bool(((v == 0) & np.signbit(v)).any()),
    "huge": lambda v: v.dtype.kind == "f" and bool((np.abs(v) == np.finfo(v.dtype).max).any()),
    "subnormal": lambda v: v.dtype.kind == "f" and bool((np.abs(v) == np.finfo(v.dtype).smallest_subnormal).any()),
    "integer limits": lambda v: v.dtype.kind in "iu" and bool((v == np.iinfo(v.dtype).max).any()),
    "empty": lambda v: v.size == 0,
    "large": lambda v: LARGE_ELEMENTS <= v.size <= MAX_ELEMENTS,
}


@pytest.mark.parametrize("edge", list(EDGES))
def test_edge_values_and_sizes_are_generated(cases: list[Case], edge: str) -> None:
    assert any(EDGES[edge](v) for c in cases for v in values(c))


def test_every_input_dtype_layout_and_rank_is_generated(cases: list[Case]) -> None:
    inputs = [i for c in cases for i in c.graph.inputs]
    assert {i.dtype for i in inputs} >= set(INPUT_DTYPES)
    assert {v.layout for c in cases for call in c.calls for v in call.values() if v.data.ndim >= 2} == set(LAYOUTS)
    assert {len(i.static) for i in inputs} >= {0, 1, 2, 3}


def runtime_broadcast(case: Case) -> bool:
    """An input whose static size is unknown and is 1 in a call."""
    return any(i.static[a] is None and call[i.name].data.shape[a] == 1
               for i in case.graph.explicit for call in case.calls for a in range(len(i.static)))


def by_name(case: Case) -> dict[str, Node]:
    return {n.name: n for n in case.graph.nodes}


def op_of(case: Case, name: str) -> str:
    node = by_name(case).get(name)
    return node.op if node is not None else "input"


def fused_reduction_pair(case: Case) -> bool:
    """Known bug 1's form: an elementwise value used both directly and through a reduction by one node."""
    nodes = by_name(case)
    return any(len(n.args) == 2 and any(a in nodes and nodes[a].op in catalog.REDUCTIONS and
                                        nodes[a].args[0] in n.args for a in n.args) for n in case.graph.nodes)


def gemm_beside_its_input(case: Case) -> bool:
    """Known bug 2's form: h + dot(h, W)."""
    nodes = by_name(case)
    return any(n.op.startswith("binary") and any(a in nodes and nodes[a].op in ("dot", "matmul") and
                                                  set(nodes[a].args) & set(n.args) for a in n.args)
               for n in case.graph.nodes)


KNOWN_FORMS: dict[str, Callable[[Case], bool]] = {
    "1 a value and its reduction in one node": fused_reduction_pair,
    "2 h + dot(h, W)": gemm_beside_its_input,
    "2/3 W - 0.5 * dot(a, b) as an update": lambda c: any(
        n.op == "update" and "dot" in n.template for n in c.graph.nodes if (c.graph.shared[0].name, n.name)
        in c.graph.updates) if c.graph.shared else False,
    "3 a shared variable and its view as outputs of an update": lambda c: bool(c.graph.updates) and any(
        o in {i.name for i in c.graph.shared} for o in c.graph.outputs) and any(
        op_of(c, o) == "view" for o in c.graph.outputs),
    "2b an update and no output": lambda c: bool(c.graph.updates) and not c.graph.outputs,
    "4 set_subtensor of a slice": lambda c: any(
        n.op in ("set_subtensor", "inc_subtensor") and op_of(c, n.args[0]) == "index" for n in c.graph.nodes),
    "5 an integer array index on an empty axis": lambda c: any(
        n.op == "index" and "np.array" in n.template for n in c.graph.nodes) and any(
        v.size == 0 for v in values(c)),
    "6 a static size beside a run-time broadcast": lambda c: any(
        s is not None for i in c.graph.explicit for s in i.static) and runtime_broadcast(c),
    "7 x ** -0.5 on edge values": lambda c: "x**-0.5" in c.graph.ops() and any(
        EDGES["-0.0"](v) or EDGES["-inf"](v) for v in values(c)),
    "8 squeeze": lambda c: "squeeze" in c.graph.ops(),
    "9 clip with tensor bounds, gradient checked": lambda c: c.grad_output is not None and any(
        n.op == "clip" and len(n.args) == 3 for n in c.graph.nodes),
    "10 bool * -1 and bool ** 3": lambda c: any(
        n.op in ("x*-1", "x**3") and c.graph.input(n.args[0]).dtype == "bool"
        for n in c.graph.nodes if n.args[0] in {i.name for i in c.graph.inputs}),
    "11 log(1 + x) on int32": lambda c: any(
        n.op == "log(1+x)" and n.args[0] in {i.name for i in c.graph.inputs} and
        c.graph.input(n.args[0]).dtype == "int32" for n in c.graph.nodes),
    "12 inc_subtensor with a 2-d index array": lambda c: any(
        n.op == "inc_subtensor" and "[[" in n.template for n in c.graph.nodes),
    "13 givens onto a static shape": lambda c: c.graph.givens and any(
        s is not None for i in c.graph.explicit for s in i.static),
    "14 the gradient of cumprod": lambda c: c.grad_output is not None and "cumprod" in c.graph.ops(),
    "14 the gradient of x ** 0": lambda c: c.grad_output is not None and "x**0" in c.graph.ops(),
    "x - x on edge values": lambda c: "x-x" in c.graph.ops() and any(EDGES["+inf"](v) for v in values(c)),
}


@pytest.mark.parametrize("form", list(KNOWN_FORMS))
def test_the_form_of_each_known_bug_is_generated(cases: list[Case], form: str) -> None:
    assert any(KNOWN_FORMS[form](c) for c in cases)
