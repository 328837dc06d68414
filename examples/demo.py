"""The main job: train three models on a generated image set with Arignote's compiled C backend.

For each model: compile time, training with a progress bar (loss and accuracy per epoch; one line per epoch where
the output is not a terminal), step time beside the NumPy reference evaluator, what the compiler made of the
training graph (fused kernels, BLAS calls, nodes left to Python), and a final test accuracy that the demo checks.
Run with ``nox -s demo``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any, TextIO

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import arignote as ar  # noqa: E402
from models import MODELS, training_functions  # noqa: E402
from shapes import CLASSES, NAMES, split  # noqa: E402

EPOCHS, BATCH = 6, 32
# Chance is 1/6. The shapes sit at random places: a linear model barely sees them, a convnet does.
REQUIRED_ACCURACY = {"logistic regression": 0.35, "MLP 144-128-6": 0.6, "convnet (2 conv+pool, 2 dense)": 0.93}


class Progress:
    """One epoch's progress: on a terminal a bar redrawn in place; elsewhere (a log, a pipe, CI) no frames, one
    line when the epoch ends."""

    def __init__(self, epoch: int, total: int, stream: TextIO | None = None, width: int = 28) -> None:
        self.stream = stream or sys.stdout
        self.live = self.stream.isatty()
        self.epoch, self.total, self.width = epoch, total, width

    def update(self, done: int, loss: float) -> None:
        """Redraw the bar after ``done`` of ``total`` batches (on a terminal only)."""
        if self.live:
            filled = self.width * done // self.total
            bar = "#" * filled + "." * (self.width - filled)
            self.stream.write(f"\r  epoch {self.epoch + 1}/{EPOCHS} [{bar}] {done}/{self.total} loss {loss:.3f}")
            self.stream.flush()

    def finish(self, loss: float, accuracy: float) -> None:
        """End the epoch's line with its test accuracy (a whole line where no bar was drawn)."""
        if not self.live:
            self.stream.write(f"  epoch {self.epoch + 1}/{EPOCHS}: {self.total} batches, loss {loss:.3f}")
        self.stream.write(f"  test accuracy {accuracy:.3f}\n")
        self.stream.flush()


def graph_summary(fn: Any) -> str:
    """What the compiled training graph contains: fused kernels, BLAS calls, ops left to Python."""
    nodes = fn.fgraph.toposort()
    fused = sum(1 for n in nodes if type(getattr(n.op, "scalar_op", None)).__name__ == "Composite"
                or "Fused" in type(n.op).__name__)
    blas = sum(1 for n in nodes if type(n.op).__name__ in ("Dot", "MatMul", "Gemm", "Gemv", "Gemm22", "BatchedGemm"))
    report = getattr(fn.executable, "report", None)
    fallbacks = len(getattr(getattr(fn.executable, "info", None), "fallbacks", ())) if report else 0
    return f"{len(nodes)} nodes, {fused} fused kernels, {blas} BLAS calls, {fallbacks} run in Python"


def step_time(train: Any, x: np.ndarray, y: np.ndarray, repeats: int = 20) -> float:
    train(x, y)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        train(x, y)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def run(name: str, build: Any, data: tuple[np.ndarray, ...]) -> float:
    train_x, train_y, test_x, test_y = data
    print(f"\n== {name}")
    start = time.perf_counter()
    train, predict, params = training_functions(build, mode="fast_run")
    print(f"  compiled in {time.perf_counter() - start:.2f} s: {graph_summary(train)}")
    rng = np.random.default_rng(1)
    for epoch in range(EPOCHS):
        order = rng.permutation(len(train_y))
        losses = []
        bar = Progress(epoch, len(order) // BATCH)
        for k in range(bar.total):
            batch = order[k * BATCH:(k + 1) * BATCH]
            losses.append(float(train(train_x[batch], train_y[batch])))
            if k % 8 == 0 or k == bar.total - 1:
                bar.update(k + 1, float(np.mean(losses[-8:])))
        accuracy = float((predict(test_x) == test_y).mean())
        bar.finish(float(np.mean(losses[-8:])), accuracy)
    reference_train, _, _ = training_functions(build, mode="reference")
    xb, yb = train_x[:BATCH], train_y[:BATCH]
    ours, numpy_time = step_time(train, xb, yb), step_time(reference_train, xb, yb, repeats=5)
    print(f"  step time {ours * 1e3:.3f} ms compiled vs {numpy_time * 1e3:.3f} ms on the NumPy evaluator "
          f"({numpy_time / ours:.1f}x faster)")
    return accuracy


def main() -> int:
    data = split()
    print(f"Arignote {ar.__version__}: {len(data[1])} training and {len(data[3])} test images of {CLASSES} "
          f"shapes ({', '.join(NAMES)}), batch {BATCH}, {EPOCHS} epochs, Adam")
    failures = []
    for name, build in MODELS.items():
        accuracy = run(name, build, data)
        if accuracy < REQUIRED_ACCURACY[name]:
            failures.append(f"{name}: test accuracy {accuracy:.3f} < {REQUIRED_ACCURACY[name]}")
    print()
    if failures:
        print("FAILED: " + "; ".join(failures))
        return 1
    print("All three models reached their required test accuracy.")
    print("What to read next: examples/models.py (the three graphs), README.md (the packages), "
          "packages/graph-opt/README.md (rewrites), packages/codegen-c/README.md (the C backend), "
          "benchmarks/run.py (timings beside NumPy, JAX, PyTensor and PyTorch).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
