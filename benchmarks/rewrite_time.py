"""Rewrite time of Arignote's standard pipeline, side by side with PyTensor's (when it is installed).

Graphs:
- ``dots-1000``: 1000 independent ``dot(A_i, B_i) + c_i`` (3000 nodes); target < 0.5 s;
- ``dots-10000``: the same, ten times larger; target: at most 12 times the time of ``dots-1000``;
- ``mlp``: a training step of a 784-256-10 tanh MLP: forward, softmax cross-entropy, gradients (when
  ``arignote_grad`` is importable; otherwise forward and loss only) and SGD updates; target < 30 ms.

Only rewriting is timed: each repeat builds a fresh graph, then times the rewriter on it (Arignote:
``standard_rewriter()(fgraph)``; PyTensor: what ``pytensor.function`` does, the FAST_RUN rewriter on a
``FunctionGraph`` with its inputs protected). Times are the best of the repeats, as ``timeit`` reports: on a
shared machine the other runs only add noise.

Usage: ``python benchmarks/rewrite_time.py [--repeats N] [--no-pytensor] [--pytensor-large]``. Prints a Markdown
table and writes it to ``benchmarks/results/rewrite_time.md``.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"
TARGETS = {"dots-1000": "< 0.5 s", "dots-10000": "<= 12 x dots-1000", "mlp": "< 30 ms"}
MLP_SIZES = (784, 256, 10)

# -----------------------------------------------------------------------------------------------------------
# Arignote


def arignote_dots(n: int) -> Any:
    import arignote_core as ac

    outputs, inputs = [], []
    for i in range(n):
        a, b, c = ac.dmatrix(f"A{i}"), ac.dmatrix(f"B{i}"), ac.dvector(f"c{i}")
        inputs += [a, b, c]
        outputs.append(ac.dot(a, b) + c)
    return ac.FunctionGraph(inputs, outputs)


def arignote_mlp() -> Any:
    import arignote_core as ac
    from arignote_core.tensors.special import softmax

    rng = np.random.default_rng(0)
    n_in, n_hidden, n_out = MLP_SIZES
    x, y = ac.dmatrix("x"), ac.lvector("y")
    params = [ac.shared(rng.normal(size=(n_in, n_hidden)) * 0.01, "W1"), ac.shared(np.zeros(n_hidden), "b1"),
              ac.shared(rng.normal(size=(n_hidden, n_out)) * 0.01, "W2"), ac.shared(np.zeros(n_out), "b2")]
    w1, b1, w2, b2 = params
    hidden = ac.tanh(ac.dot(x, w1) + b1)
    probabilities = softmax(ac.dot(hidden, w2) + b2)
    loss = -ac.mean(ac.log(probabilities[ac.arange(y.shape[0]), y]))
    try:
        import arignote_grad
    except ImportError:
        return ac.FunctionGraph([x, y, *params], [loss])
    grads = arignote_grad.grad(loss, params)
    updates = [p - 0.1 * g for p, g in zip(params, grads, strict=True)]
    return ac.FunctionGraph([x, y, *params], [loss, *updates])


def arignote_rewrite(fgraph: Any) -> None:
    import arignote_opt

    arignote_opt.standard_rewriter()(fgraph)


def arignote_has_gradients() -> bool:
    try:
        import arignote_grad  # noqa: F401
    except ImportError:
        return False
    return True


# -----------------------------------------------------------------------------------------------------------
# PyTensor


def pytensor_dots(n: int) -> Any:
    import pytensor.tensor as pt
    from pytensor.graph.fg import FunctionGraph

    outputs, inputs = [], []
    for i in range(n):
        a, b, c = pt.dmatrix(f"A{i}"), pt.dmatrix(f"B{i}"), pt.dvector(f"c{i}")
        inputs += [a, b, c]
        outputs.append(pt.dot(a, b) + c)
    return FunctionGraph(inputs, outputs, clone=True)


def pytensor_mlp() -> Any:
    import pytensor
    import pytensor.tensor as pt
    from pytensor.graph.fg import FunctionGraph

    rng = np.random.default_rng(0)
    n_in, n_hidden, n_out = MLP_SIZES
    x, y = pt.dmatrix("x"), pt.lvector("y")
    params = [pytensor.shared(rng.normal(size=(n_in, n_hidden)) * 0.01, "W1"),
              pytensor.shared(np.zeros(n_hidden), "b1"),
              pytensor.shared(rng.normal(size=(n_hidden, n_out)) * 0.01, "W2"),
              pytensor.shared(np.zeros(n_out), "b2")]
    w1, b1, w2, b2 = params
    hidden = pt.tanh(pt.dot(x, w1) + b1)
    probabilities = pt.special.softmax(pt.dot(hidden, w2) + b2, axis=-1)
    loss = -pt.mean(pt.log(probabilities[pt.arange(y.shape[0]), y]))
    outputs = [loss]
    if arignote_has_gradients():  # the same graph as Arignote's
        grads = pytensor.grad(loss, params)
        outputs += [p - 0.1 * g for p, g in zip(params, grads, strict=True)]
    return FunctionGraph([x, y, *params], outputs, clone=True)


def pytensor_rewrite(fgraph: Any) -> None:
    """What ``pytensor.function`` does before linking: protect the inputs, then run FAST_RUN's rewriter."""
    from pytensor.compile.aliasing import add_supervisor_to_fgraph
    from pytensor.compile.io import In
    from pytensor.compile.mode import get_mode

    add_supervisor_to_fgraph(fgraph, [In(v) for v in fgraph.inputs])
    get_mode("FAST_RUN").optimizer.rewrite(fgraph)


def pytensor_version() -> str | None:
    try:
        import pytensor
    except ImportError:
        return None
    return str(pytensor.__version__)


# -----------------------------------------------------------------------------------------------------------
# timing


def best_rewrite_time(build: Callable[[], Any], rewrite: Callable[[Any], None], repeats: int,
                      collect: bool = False) -> tuple[float, int, int]:
    """Best seconds of ``rewrite`` on fresh graphs, with the node counts before and after (last repeat).
    ``collect`` adds a collection of the youngest generation, which holds every object the rewrite made, to the
    timed part: Arignote pauses the collector while it rewrites, and this charges it the collection it defers."""
    times = []
    before = after = 0
    for _ in range(repeats):
        fgraph = build()
        gc.collect()
        before = len(fgraph.apply_nodes)
        start = time.perf_counter()
        rewrite(fgraph)
        if collect:
            gc.collect(0)
        times.append(time.perf_counter() - start)
        after = len(fgraph.apply_nodes)
    return min(times), before, after


def seconds(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value * 1e3:.1f} ms" if value < 1 else f"{value:.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-pytensor", action="store_true", help="time Arignote only")
    parser.add_argument("--pytensor-large", action="store_true", help="also time PyTensor on dots-10000")
    args = parser.parse_args()

    version = None if args.no_pytensor else pytensor_version()
    graphs: dict[str, tuple[Callable[[], Any], Callable[[], Any] | None, int]] = {
        "dots-1000": (lambda: arignote_dots(1000), lambda: pytensor_dots(1000), args.repeats),
        "dots-10000": (lambda: arignote_dots(10000), lambda: pytensor_dots(10000) if args.pytensor_large else None,
                       args.repeats),
        "mlp": (arignote_mlp, pytensor_mlp, args.repeats * 4),
    }
    rows = []
    measured: dict[str, float] = {}
    for name, (ours, theirs, repeats) in graphs.items():
        ours_time, before, after = best_rewrite_time(ours, arignote_rewrite, repeats)
        with_collection = best_rewrite_time(ours, arignote_rewrite, repeats, collect=True)[0]
        measured[name] = ours_time
        measured[name + " collected"] = with_collection
        theirs_time = None
        if version is not None and theirs is not None and (name != "dots-10000" or args.pytensor_large):
            theirs_time = best_rewrite_time(theirs, pytensor_rewrite, 1 if name.startswith("dots") else repeats)[0]
        ratio = f"{theirs_time / ours_time:.0f}x" if theirs_time else "–"
        rows.append(f"| {name} | {before} -> {after} | {seconds(ours_time)} | {seconds(with_collection)} | "
                    f"{seconds(theirs_time)} | {ratio} | {TARGETS[name]} |")
    scaling = measured["dots-10000"] / measured["dots-1000"]
    scaling_collected = measured["dots-10000 collected"] / measured["dots-1000 collected"]
    mlp_kind = "forward, loss, gradients, SGD updates" if arignote_has_gradients() else "forward and loss"
    report = "\n".join([
        "# Rewrite time: Arignote's standard pipeline vs PyTensor's FAST_RUN rewriter",
        "",
        f"Best of {args.repeats} fresh graphs (PyTensor's dots graphs: one run). Python {platform.python_version()}, "
        f"NumPy {np.__version__}, PyTensor {version or 'not installed'}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs. MLP: {'-'.join(map(str, MLP_SIZES))} tanh, {mlp_kind}.",
        "",
        "| graph | nodes (before -> after) | Arignote | Arignote + gc.collect(0) | PyTensor | PyTensor / Arignote "
        "| target |",
        "|---|---:|---:|---:|---:|---:|---|",
        *rows,
        "",
        f"Scaling: dots-10000 took {scaling:.1f} x as long as dots-1000 (10 x the nodes; target <= 12 x); "
        f"{scaling_collected:.1f} x counting the garbage collection Arignote defers.",
    ])
    print(report)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "rewrite_time.md").write_text(report + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
