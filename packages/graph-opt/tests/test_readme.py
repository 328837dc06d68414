"""The README's examples run as written (the reuse example with only graph-core and graph-opt)."""

from __future__ import annotations

import pathlib
import re

README = pathlib.Path(__file__).parents[1] / "README.md"


def blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


def test_the_reuse_example_rewrites_de_morgan_and_keeps_truth_values():
    namespace: dict = {}
    exec(blocks()[1], namespace)  # noqa: S102 - the README's own code
    a, b = namespace["a"], namespace["b"]
    result = namespace["optimize"](namespace["NOT"](namespace["AND"](namespace["NOT"](a), namespace["NOT"](b))),
                                   namespace["rewriter"])
    assert result.owner.op == namespace["OR"] and result.owner.inputs == [a, b]
    assert namespace["optimize"](namespace["OR"](a, a), namespace["rewriter"]) is a


def test_the_tensor_example_runs_and_is_exact():
    namespace: dict = {}
    exec(blocks()[0], namespace)  # noqa: S102
    assert namespace["ac"].pprint(namespace["y"]) == "log1p(x)"
    assert namespace["f"](namespace["np"].array([[1e-20]]))[0, 0] == 1e-20
