"""DOT export: every op and input appears, fused kernels are clusters, and the text is valid DOT."""

import re
from xml.etree import ElementTree

import numpy as np

import arignote_core as ac
from arignote_core.dotgraph import picture, to_dot, to_svg
from arignote_core.scalars import SCALAR_OPS, Composite, ScalarType

SVG = "{http://www.w3.org/2000/svg}"


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



def test_svg_without_graphviz_draws_every_box_and_edge():
    x, y = _graph()
    svg = to_svg(ac.function([x], y))
    root = ElementTree.fromstring(svg)
    assert root.tag == SVG + "svg"
    texts = [t.text for t in root.iter(SVG + "text")]
    assert "x" in texts and "w" in texts and "fused kernel" in texts and "exp(i0) + i1" in texts
    assert "output 0: float64[]" in texts
    pic = picture(ac.function([x], y))
    assert len(root.findall(SVG + "path")) == len(pic.edges)
    assert {g.get("id") for g in root.findall(SVG + "g")} == {b.ident for b in pic.boxes}


def test_svg_layout_puts_readers_above_their_sources_and_boxes_apart():
    x, y = _graph()
    root = ElementTree.fromstring(to_svg(y))
    rects = {g.get("id"): g.find(SVG + "rect") for g in root.findall(SVG + "g")}
    boxes = {k: tuple(float(r.get(a)) for a in ("x", "y", "width", "height"))
             for k, r in rects.items() if r is not None}
    assert len(boxes) >= 5
    for edge in picture(y).edges:
        if edge.source in boxes and edge.target in boxes:
            assert boxes[edge.target][1] + boxes[edge.target][3] < boxes[edge.source][1]
    for a, (ax, ay, aw, ah) in boxes.items():
        for b, (bx, by, bw, bh) in boxes.items():
            overlap = ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah
            assert a == b or not overlap
