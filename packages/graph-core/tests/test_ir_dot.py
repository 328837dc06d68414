"""DOT export: every op and input appears, fused kernels are clusters, and the text is valid DOT."""

import re

import numpy as np

import arignote_core as ac
from arignote_core.dotgraph import to_dot
from arignote_core.scalars import SCALAR_OPS, Composite, ScalarType


def _graph():
    x = ac.dvector("x")
    w = ac.shared(np.ones(2), name="w")
    a, b = ScalarType("float64")(), ScalarType("float64")()
    fused = ac.Elemwise(Composite([a, b], [SCALAR_OPS["add"](SCALAR_OPS["exp"](a), b)]))
    return x, (fused(x, w).sum() * 2)


def test_dot_lists_ops_inputs_and_fused_kernels():
    x, y = _graph()
    text = to_dot(y)
    assert text.startswith('digraph "arignote" {') and text.rstrip().endswith("}")
    assert 'label="x\\nfloat64[?]"' in text and "fillcolor=lightblue" in text
    assert 'label="w\\nfloat64[?]"' in text and "fillcolor=lightgoldenrod1" in text
    assert "subgraph cluster_" in text and "exp(i0) + i1" in text
    assert "sum{axes=[0]}" in text and "output 0: float64[]" in text
    node_ids = set(re.findall(r"^\s*(n\d+) \[", text, flags=re.M))
    edge_ids = set(re.findall(r"(n\d+) ->", text)) | set(re.findall(r"-> (n\d+)", text))
    assert edge_ids <= node_ids


def test_dot_of_a_compiled_function():
    x, y = _graph()
    text = to_dot(ac.function([x], y))
    assert "Elemwise{multiply}" in text

