"""A finding as a standalone script: it builds the graph with ``ar``, holds the input values, computes NumPy's
result with the same expressions and prints it beside each mode's, call by call, with what the fuzzer checks
(inputs changed, outputs sharing memory, kept outputs changed by the next call, shared values, the gradient
against central differences). Nothing in it imports the fuzzer."""

from __future__ import annotations

import base64
import inspect
import textwrap
import zlib

import numpy as np

from . import twin
from .ir import Case, in_layout
from .render import build_lines, function_source, grad_source

#: arrays up to this many elements are written as literals; larger ones compressed
LITERAL_ELEMENTS = 64

MODE_SOURCES = {
    "reference": '"reference"',
    "fast_compile": '"fast_compile"',
    "fast_run_ref": 'ar.Mode(backend="reference", rewriter=ar.fast_run().rewriter)',
    "fast_run": '"fast_run"',
}


def mode_source(name: str) -> str:
    """Source making the mode ``name`` (a ``module:function`` mode calls that function)."""
    if name in MODE_SOURCES:
        return MODE_SOURCES[name]
    module, _, factory = name.partition(":")
    return f"__import__({module!r}).{factory}()"


def _scalar(value: object, kind: str) -> str:
    if kind == "b":
        return repr(bool(value))
    if kind in "iu":
        return repr(int(value))  # type: ignore[call-overload]
    number = float(value)  # type: ignore[arg-type]
    if np.isnan(number):
        return "np.nan"
    if np.isinf(number):
        return "np.inf" if number > 0 else "-np.inf"
    return repr(number)


def _nested(data: np.ndarray) -> str:
    if data.ndim == 0:
        return _scalar(data[()], data.dtype.kind)
    return "[" + ", ".join(_nested(row) for row in data) + "]"


def array_source(data: np.ndarray) -> str:
    """Source text making ``data`` again, bit for bit."""
    data = np.asarray(data)
    dtype = f"np.{data.dtype.name}" if data.dtype.kind != "b" else "np.bool_"
    if data.size == 0:
        return f"np.zeros({data.shape!r}, dtype={dtype})"
    flat = data.ravel()
    if data.size > 1 and flat.tobytes() == np.full_like(flat, flat[0]).tobytes():
        return f"np.full({data.shape!r}, {_scalar(flat[0], data.dtype.kind)}, dtype={dtype})"
    if data.size <= LITERAL_ELEMENTS:
        return f"np.array({_nested(data)}, dtype={dtype})"
    packed = base64.b64encode(zlib.compress(np.ascontiguousarray(data).tobytes(), 9)).decode()
    return (f"np.frombuffer(zlib.decompress(base64.b64decode({packed!r})), dtype={dtype})"
            f".reshape({data.shape!r}).copy()")


def _helpers(case: Case) -> list[str]:
    names: list[str] = []
    for node in case.graph.nodes:
        for name in node.helpers:
            for needed in (*twin.HELPER_NEEDS.get(name, ()), name):
                if needed not in names:
                    names.append(needed)
    return [inspect.getsource(twin.HELPERS[n]) for n in names]


def _twin_source(case: Case) -> list[str]:
    graph = case.graph
    args = ", ".join(i.name for i in graph.inputs)
    lines = [f"def numpy_twin({args}):", '    """NumPy\'s outputs and new shared values, node by node."""']
    lines += [f"    {n.name} = {n.source('np')}" for n in graph.nodes]
    updates = ", ".join(f"{t!r}: {e}" for t, e in graph.updates)
    lines.append(f"    return [{', '.join(graph.outputs)}], {{{updates}}}")
    return lines


def _build_source(case: Case) -> list[str]:
    graph = case.graph
    lines = ["def build(mode):", '    """The graph with ar, compiled in ``mode``; also its shared variables."""']
    lines += [f"    {line}" for line in build_lines(graph, lambda n: f"SHARED[{n!r}].copy()")]
    lines.append(f"    function = {function_source(graph)}")
    shared = ", ".join(f"{i.name!r}: {i.name}" for i in graph.shared)
    lines.append(f"    gradient = {grad_source(graph, case.grad_output)}" if case.grad_output else
                 "    gradient = None")
    lines.append(f"    return function, gradient, {{{shared}}}")
    return lines


MAIN = '''
def call_values(call):
    return [in_layout(layout, data) for layout, data in call]


def numpy_results():
    print("NumPy:")
    state = {k: v.copy() for k, v in SHARED.items()}
    for i, call in enumerate(CALLS):
        values = dict(zip(EXPLICIT, (data for _, data in call)))
        try:
            with np.errstate(all="ignore"):
                outputs, updates = numpy_twin(**values, **state)
        except Exception as error:
            print(f"  call {i}: raises {type(error).__name__}: {error}")
            continue
        state.update({k: np.array(v) for k, v in updates.items()})
        print(f"  call {i}: outputs {[np.asarray(o) for o in outputs]!r}")
        if state:
            print(f"          shared after {state!r}")


def mode_results(name, mode):
    print(f"{name}:")
    try:
        function, gradient, shared = build(mode)
    except Exception as error:
        print(f"  building/compiling raises {type(error).__name__}: {error}")
        return
    kept = []
    for i, call in enumerate(CALLS):
        values = call_values(call)
        before = [(v if v.base is None else v.base).tobytes() for v in values]
        try:
            outputs = function(*values)
        except Exception as error:
            print(f"  call {i}: raises {type(error).__name__}: {error}")
        else:
            print(f"  call {i}: outputs {[np.asarray(o) for o in outputs]!r}")
            kept.append((i, outputs, [np.array(o, copy=True) for o in outputs]))
            for k, out in enumerate(outputs):
                for n, v in zip(EXPLICIT, values):
                    if np.shares_memory(out, v if v.base is None else v.base):
                        print(f"          output {k} shares memory with input {n}")
                for j in range(k):
                    if np.asarray(out).size and np.shares_memory(out, outputs[j]):
                        print(f"          output {k} shares memory with output {j}")
        changed = [n for n, v, b in zip(EXPLICIT, values, before) if (v if v.base is None else v.base).tobytes() != b]
        if changed:
            print(f"          inputs changed by the call: {changed}")
        if shared:
            print(f"          shared after {({k: v.get_value() for k, v in shared.items()})!r}")
    for i, outputs, copies in kept:
        for k, (out, copy) in enumerate(zip(outputs, copies)):
            if np.asarray(out).tobytes() != copy.tobytes():
                print(f"  output {k} of call {i} changed later: now {np.asarray(out)!r}, was {copy!r}")
    if gradient is not None:
        print(f"  gradient: {gradient(*call_values(CALLS[0]))!r}")


def central_differences(step=1e-6):
    """d sum(sin(output)) / d each explicit input, at the first call's values."""
    base = {n: np.array(d, dtype=np.float64) for n, (_, d) in zip(EXPLICIT, CALLS[0])}

    def cost(values):
        with np.errstate(all="ignore"):
            outputs, _ = numpy_twin(**values, **SHARED)
        return float(np.sum(np.sin(outputs[GRAD_OUTPUT])))

    result = []
    for name, data in base.items():
        grad = np.zeros(data.shape)
        for index in np.ndindex(data.shape):
            h = step * max(1.0, abs(data[index]))
            plus, minus = data.copy(), data.copy()
            plus[index] += h
            minus[index] -= h
            grad[index] = (cost(base | {name: plus}) - cost(base | {name: minus})) / (2 * h)
        result.append(grad)
    return result


if __name__ == "__main__":
    np.set_printoptions(precision=17, floatmode="maxprec")
    numpy_results()
    if GRAD_OUTPUT is not None:
        print(f"central differences: {central_differences()!r}")
    for name, mode in MODES.items():
        mode_results(name, mode)
'''


def write_script(case: Case, modes: list[str], title: str, detail: str) -> str:
    """The script's source for ``case``, running NumPy and ``modes``."""
    graph = case.graph
    body = [f'"""{title} (fuzz case {case.label}).', "", *_wrap(detail), "",
            "Run: python <this file>. It prints NumPy's result and each mode's, call by call.", '"""', "",
            "import base64  # noqa: F401 (large arrays)", "import zlib  # noqa: F401", "from typing import Any", "",
            "import numpy as np", "import scipy.special  # noqa: F401 (the NumPy twin's helpers)", "",
            "import arignote as ar", "", ""]
    for source in [*_helpers(case), inspect.getsource(in_layout)]:
        body += [source.rstrip(), "", ""]
    body.append(f"EXPLICIT = {[i.name for i in graph.explicit]!r}")
    body.append("SHARED = {" + ", ".join(f"{n!r}: {array_source(v)}" for n, v in case.shared_values.items()) + "}")
    body.append("CALLS = [")
    for call in case.calls:
        items = ", ".join(f"({call[i.name].layout!r}, {array_source(call[i.name].data)})" for i in graph.explicit)
        body.append(f"    [{items}],")
    body.append("]")
    grad_position = graph.outputs.index(case.grad_output) if case.grad_output in graph.outputs else None
    body.append(f"GRAD_OUTPUT = {grad_position!r}")
    body.append("MODES = {" + ", ".join(f"{m!r}: {mode_source(m)}" for m in modes) + "}")
    body += ["", ""]
    body += _twin_source(case) + ["", ""] + _build_source(case) + ["", ""]
    return "\n".join(body) + MAIN


def _wrap(text: str, width: int = 110) -> list[str]:
    return textwrap.wrap(text.replace('"""', "'''"), width) or [""]
