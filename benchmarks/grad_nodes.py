"""Node counts of the training graph of a 784-500-10 MLP (softmax cross-entropy, SGD updates): Arignote's
gradient graph before and after graph-opt's rewrites, and PyTensor's after its FAST_RUN rewrites.

    python benchmarks/grad_nodes.py

Both sides build the same graph from inputs of the same static shapes (the parameters' sizes known, the batch
size not) and count the apply nodes computing the loss and the four updated parameters (PyTensor with the
Python linker, so nothing is compiled to C). A side that is not installed is left out.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

SIZES = (784, 500, 10)
BATCH = 64
LEARNING_RATE = 0.1


def _parameter_shapes() -> list[tuple[str, tuple[int, ...]]]:
    """The model's parameters and their (static) shapes, the same on both sides; the batch size is left free."""
    n_in, n_hidden, n_out = SIZES
    return [("w1", (n_in, n_hidden)), ("b1", (n_hidden,)), ("w2", (n_hidden, n_out)), ("b2", (n_out,))]


def _training_graph(np_: Any, x: Any, y: Any, params: list[Any], grad: Any) -> tuple[Any, list[Any]]:
    w1, b1, w2, b2 = params
    hidden = np_.tanh(np_.dot(x, w1) + b1)
    logits = np_.dot(hidden, w2) + b2
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np_.log(np_.exp(shifted).sum(axis=1, keepdims=True))
    loss = -(log_probs * y).sum() / BATCH
    grads = grad(loss, params)
    return loss, [p - LEARNING_RATE * g for p, g in zip(params, grads, strict=True)]


def arignote_counts() -> dict[str, int]:
    import arignote_core as ac
    import arignote_grad as ag

    x, y = ac.tensor("float64", (None, SIZES[0]), "x"), ac.tensor("float64", (None, SIZES[2]), "y")
    params = [ac.tensor("float64", shape, name) for name, shape in _parameter_shapes()]
    loss, updated = _training_graph(ac, x, y, params, ag.grad)
    outputs = [loss, *updated]
    counts = {"arignote (gradient graph, no rewrites)": len(ac.toposort(outputs))}
    try:
        import arignote_opt
    except ImportError:
        return counts
    rewritten = arignote_opt.optimize(outputs)
    counts["arignote (after graph-opt)"] = len(ac.toposort(list(rewritten)))
    return counts


def pytensor_counts() -> dict[str, int]:
    try:
        import pytensor
        import pytensor.tensor as pt
    except ImportError:
        return {}
    x, y = pt.tensor("x", dtype="float64", shape=(None, SIZES[0])), pt.tensor("y", dtype="float64",
                                                                            shape=(None, SIZES[2]))
    params = [pt.tensor(name, dtype="float64", shape=shape) for name, shape in _parameter_shapes()]
    loss, updated = _training_graph(pt, x, y, params, pytensor.grad)
    mode = pytensor.compile.mode.Mode(linker="py", optimizer="fast_run")
    fn = pytensor.function([x, y, *params], [loss, *updated], mode=mode)
    return {f"pytensor {pytensor.__version__} (FAST_RUN)": len(fn.maker.fgraph.apply_nodes)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the counts as JSON")
    args = parser.parse_args()
    counts = {**arignote_counts(), **pytensor_counts()}
    if args.json:
        print(json.dumps(counts, indent=2))
        return
    width = max(len(k) for k in counts)
    print(f"training graph of a {'-'.join(map(str, SIZES))} MLP: apply nodes")
    for name, count in counts.items():
        print(f"  {name:<{width}}  {count:5d}")


if __name__ == "__main__":
    main()
