"""Busy variants: W1 (10^5 and 10^7 elements), W2 and W4 timed while another process keeps one CPU busy.

Usage: ``python benchmarks/busy.py [--quick]``. Writes ``benchmarks/results/busy.md``. A process spinning in a
Python loop takes one CPU for the whole run; every peer is timed under that load, interleaved as in ``run.py``,
and Arignote twice: with its default threads (all CPUs) and with one thread, its own reference: a parallel loop
must never cost much more than the serial one when a core is taken (issue 15: at most 1.2x, and at most the best
peer's time).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent / "workloads"))

import peers  # noqa: E402,I001  (first: it sets the thread pools' environment before NumPy loads its BLAS)

import w1_elementwise  # noqa: E402
import w2_softmax  # noqa: E402
import w4_mlp_step  # noqa: E402
from run import RESULTS, Row, run_workload  # noqa: E402
from suite import Workload  # noqa: E402

#: the peers timed under load (the issue's: NumPy, PyTorch and JAX), besides Arignote's two
PEERS = ("numpy", "arignote C", "jax (jit)", "torch")
ONE_THREAD = "arignote C (1 thread)"


def one_thread_mode() -> Any:
    return peers.arignote().fast_run().with_options(threads=1)


def _w4_one_thread(variant: tuple[str, int]) -> Any:
    ar = peers.arignote()
    data = w4_mlp_step._data(*variant)  # noqa: SLF001 (the workload's own inputs)
    f, params = w4_mlp_step.arignote_training_function(ar, data, variant[0], mode=one_thread_mode())
    step = lambda: f(data["x"], data["y"])  # noqa: E731
    return step, w4_mlp_step._first_step(step, params, data, read=lambda: params["W1"].get_value())  # noqa: SLF001


def busy_workloads() -> list[Workload]:
    def kept(workload: Workload, one_thread: Any) -> dict[str, Any]:
        chosen = {name: workload.peers[name] for name in PEERS if name in workload.peers}
        return {**chosen, ONE_THREAD: one_thread}

    w1, w2, w4 = w1_elementwise.WORKLOAD, w2_softmax.WORKLOAD, w4_mlp_step.WORKLOAD
    return [
        replace(w1, variants=(10**5, 10**7), quick_variants=(10**5,),
                peers=kept(w1, lambda n: w1_elementwise.arignote_(one_thread_mode())(n))),
        replace(w2, peers=kept(w2, lambda n: w2_softmax.arignote_(one_thread_mode())(n))),
        replace(w4, variants=(("float32", 128),), peers=kept(w4, _w4_one_thread)),
    ]


def verdict(rows: list[Row]) -> str:
    """Arignote's time over its one-thread time, and over the best peer's, under the same load."""
    times = {r.peer: r.median for r in rows if r.median}
    own, single = times.get("arignote C"), times.get(ONE_THREAD)
    others = [t for name, t in times.items() if not name.startswith("arignote")]
    if not own or not single:
        return "Arignote did not run"
    best = f", {own / min(others):.2f}x the best peer" if others else ""
    return f"default threads: {own / single:.2f}x its one-thread time{best}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer variants and repeats")
    args = parser.parse_args()
    burner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        sections = []
        for workload in busy_workloads():
            results = run_workload(workload, args.quick)
            lines = [f"### {workload.name} busy: {workload.title}", ""]
            for variant, rows in results:
                lines += [f"variant `{workload.label(variant)}`: {verdict(rows)}", "",
                          "| peer | median | spread |", "|---|---:|---:|"]
                lines += [f"| {r.peer} | {r.median * 1e3:.3g} ms | ±{50 * r.spread:.0f}% |" if r.median
                          else f"| {r.peer} | {r.status} | |" for r in rows]
                lines.append("")
            sections.append("\n".join(lines))
    finally:
        burner.kill()
        burner.wait()
    report = (f"# Arignote benchmarks, busy variants\n\nOne CPU of {peers.os.cpu_count()} taken by a spinning "
              f"process for the whole run; {peers.THREADS} thread(s) per peer.\n\n" + "\n".join(sections))
    print(report)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "busy.md").write_text(report + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
