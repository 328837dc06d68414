"""Every node records the user's line; errors and dprint show it."""

import io

import numpy as np
import pytest

import arignote_core as ac


def test_nodes_record_the_user_line():
    x = ac.dvector("x")
    y = ac.exp(x) + 1  # source-marker
    assert y.owner.source.filename == __file__
    assert "source-marker" in y.owner.source.line
    inner = y.owner.inputs[0].owner
    assert inner.source.lineno == y.owner.source.lineno


def test_dprint_shows_ops_types_ids_and_lines():
    x = ac.dmatrix("x")
    y = (ac.exp(x) * 2).sum(axis=0)
    buf = io.StringIO()
    text = ac.dprint(y, file=buf)
    assert buf.getvalue() == text
    lines = text.splitlines()
    assert lines[0].startswith("sum{axes=[0]} [id A] <float64[?]>")
    assert "test_ir_source.py:" in lines[0]
    assert any("Elemwise{exp}" in line for line in lines)
    assert any(line.strip().endswith("x [id C] <float64[?, ?]>") or "x [id" in line for line in lines)


def test_dprint_of_function_and_shared_subtrees():
    x = ac.dvector("x")
    e = ac.exp(x)
    f = ac.function([x], [e + e, e])
    text = ac.dprint(f, file=io.StringIO())
    assert text.count("Elemwise{exp}") == 3
    assert text.count("...") >= 1  # the repeated subtree is printed once, then referenced


def test_pprint():
    x, y = ac.dscalar("x"), ac.dscalar("y")
    assert ac.pprint((x + y) * 2) == "(x + y) * 2"
    assert ac.pprint(ac.exp(x - y)) == "exp(x - y)"


def test_runtime_error_points_at_user_line():
    x = ac.dvector("x")
    i = ac.lscalar("i")
    y = x[i]  # index-marker
    f = ac.function([x, i], y)
    with pytest.raises(IndexError) as info:
        f(np.ones(3), 5)
    assert "index-marker" in str(info.value)
    assert "Subtensor" in str(info.value)


def test_build_time_errors_are_raised_at_the_user_line():
    x = ac.tensor("float64", (3,))
    with pytest.raises(IndexError, match="index 5 is out of bounds for axis 0 with size 3"):
        x[5]
    with pytest.raises(ValueError, match="axis 2 is out of bounds"):
        ac.sum(x, axis=2)
    with pytest.raises(ValueError, match="not aligned"):
        ac.dot(ac.tensor("float64", (2, 3)), ac.tensor("float64", (4, 2)))
