"""Run the benchmark workloads against every installed peer, interleaved, and report ratios to NumPy.

Usage: ``python benchmarks/run.py [--quick] [--only W1,W4]``. Writes ``benchmarks/results/{quick,full}.md`` and a
PNG plot beside it (when matplotlib is installed), even for a run of some workloads only; a full run that
measures W8 also writes its section (table, time per step, cold compile) to ``w8.md``. DIST (training over MPI
ranks, Dask workers: ``workloads/dist_scaling.py``) runs only when named, and writes ``dist.md``; ``--only DIST``
writes nothing else. Peers that are not
installed are listed as such; a peer whose result disagrees with NumPy is reported as wrong and never timed.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import os
import platform
import statistics
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent / "workloads"))

import peers  # noqa: E402,I001  (first: it sets the thread pools' environment before NumPy loads its BLAS)

import numpy as np  # noqa: E402

import floors  # noqa: E402
import plot  # noqa: E402
from suite import Workload  # noqa: E402
from timing import calibrate, sample_times  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
WORKLOADS = ["w1_elementwise", "w2_softmax", "w3_matrix_chain", "w4_mlp_step", "w5_call_overhead", "convnet_step",
             "w8_scan_rnn"]


@dataclass
class Row:
    peer: str
    median: float | None = None
    spread: float | None = None
    status: str = ""


def _load(module: str) -> Workload:
    return importlib.import_module(module).WORKLOAD  # type: ignore[no-any-return]


def build_peers(workload: Workload, variant: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """Steps of the peers that built and agree with the NumPy oracle; a status for each of the others."""
    steps: dict[str, Any] = {}
    status: dict[str, str] = {}
    oracle = None
    for name, builder in workload.peers.items():
        try:
            step, result = builder(variant)
            value = np.asarray(result())
        except ImportError as exc:
            status[name] = f"not installed ({exc.name or exc})"
            continue
        except Exception as exc:  # a peer failing must not stop the others
            status[name] = f"failed: {type(exc).__name__}: {str(exc).splitlines()[0][:80] if str(exc) else ''}"
            traceback.print_exc(file=sys.stderr)
            continue
        if oracle is None:
            oracle = value
        elif not np.allclose(value, oracle, rtol=workload.rtol(variant), atol=workload.rtol(variant)):
            status[name] = f"wrong result (max abs diff {np.max(np.abs(value - oracle)):.3g})"
            continue
        steps[name] = step
    return steps, status


#: Untimed rounds of every step before timing, for at least this long: caches, allocators and thread pools
#: settle, and a small machine recovers from building the peers (gcc, XLA).
WARM_UP_SECONDS = 1.0


def time_steps(steps: dict[str, Any], repeats: int, min_time: float) -> dict[str, list[float]]:
    """Interleaved samples of seconds per call for each step (warm-up and calibration first)."""
    start = time.perf_counter()
    while time.perf_counter() - start < WARM_UP_SECONDS:
        for step in steps.values():
            step()
    loops = {name: calibrate(step, min_time) for name, step in steps.items()}
    return sample_times(steps, loops, repeats)


def run_workload(workload: Workload, quick: bool) -> list[tuple[Any, list[Row]]]:
    variants = workload.quick_variants if quick and workload.quick_variants else workload.variants
    repeats, min_time = (5, 0.02) if quick else (15, 0.1)
    out = []
    for variant in variants:
        steps, status = build_peers(workload, variant)
        samples = time_steps(steps, repeats, min_time)
        rows = []
        for name in workload.peers:
            if name in samples:
                values = samples[name]
                med = statistics.median(values)
                rows.append(Row(name, med, (max(values) - min(values)) / (2 * med)))
            else:
                rows.append(Row(name, status=status[name]))
        out.append((variant, rows))
        print(f"{workload.name} {workload.label(variant)}: done", file=sys.stderr)
    return out


def _seconds(s: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if s >= scale:
            return f"{s / scale:.3g} {unit}"
    return f"{s * 1e9:.3g} ns"


def table(workload: Workload, results: list[tuple[Any, list[Row]]], floor: Any) -> str:
    lines = [f"### {workload.name}: {workload.title}", "", *(f"- {note}" for note in workload.notes),
             *([""] if workload.notes else [])]
    for variant, rows in results:
        base = next((r.median for r in rows if r.peer == workload.baseline and r.median), None)
        lines += [f"variant `{workload.label(variant)}`" + (f", physical floor {_seconds(floor(variant))}"
                                                              if floor else ""), "",
                  f"| peer | median | spread | / {workload.baseline} |" + (" / floor |" if floor else ""),
                  "|---|---:|---:|---:|" + ("---:|" if floor else "")]
        for r in rows:
            if r.median is None:
                lines.append(f"| {r.peer} | {r.status} | | |" + (" |" if floor else ""))
                continue
            ratio = f"{r.median / base:.2f}" if base else "–"
            cells = f"| {r.peer} | {_seconds(r.median)} | ±{100 * r.spread / 2:.0f}% | {ratio} |"
            lines.append(cells + (f" {r.median / floor(variant):.1f} |" if floor else ""))
        lines.append("")
    return "\n".join(lines)


def floors_for(bandwidth: float, gemm: dict[str, float]) -> dict[str, Any]:
    """Per workload: the time no implementation can beat on this machine, from bytes moved or flops (``gemm``:
    the GEMM rate per dtype)."""
    n_in, n_hidden, n_out = 784, 500, 10
    # W4's products: the first layer forward and its weight gradient (its input gradient is not needed), the
    # second layer forward and both its gradients
    w4_flops = lambda batch: 2 * batch * (2 * n_in * n_hidden + 3 * n_hidden * n_out)  # noqa: E731
    return {
        "W1": lambda n: 3 * 8 * n / bandwidth,
        "W2": lambda n: 2 * 8 * n * n / bandwidth,
        "W3": lambda n: (2 * 10 * n * n * 2) / gemm["float64"],
        "W4": lambda v: w4_flops(v[1]) / gemm[v[0]],
    }


def write_plot(measured: list[tuple[Workload, list[tuple[Any, list[Row]]]]], path: Path) -> bool:
    """Draw the plot (:mod:`plot`) when matplotlib is installed; say whether it was drawn."""
    try:
        plot.draw(plot.layout(measured), path)
    except ImportError:
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer variants and repeats (minutes)")
    parser.add_argument("--only", default="", help="comma-separated workload names, e.g. W1,W4,W6")
    args = parser.parse_args()
    only = {w.strip().upper() for w in args.only.split(",") if w.strip()}

    measured = []
    for module in WORKLOADS:
        workload = _load(module)
        if only and workload.name.upper() not in only:
            continue
        measured.append((workload, run_workload(workload, args.quick)))
    # The floors load both cores for seconds, which a small machine (or its host) pays for afterwards: last.
    bandwidth = floors.memory_bandwidth()
    gemm = {dtype: floors.gemm_rate(dtype=dtype) for dtype in ("float32", "float64")}
    floor = floors_for(bandwidth, gemm)
    sections = [table(workload, results, floor.get(workload.name)) for workload, results in measured]
    if not only or "W6" in only:
        sections.append(w6_section())
    dist = None
    if "DIST" in only:  # minutes of launches of processes on every core: only when asked for
        import dist_scaling

        dist = dist_scaling.section()
        sections.append(dist)
    name = "quick" if args.quick else "full"
    header = [
        f"# Arignote benchmarks ({name} run)",
        "",
        f"Measured {datetime.date.today().isoformat()} on {platform.machine()}, {os.cpu_count()} CPUs, "
        f"{peers.THREADS} thread(s) per peer (idle pools sleeping: OMP_WAIT_POLICY="
        f"{os.environ['OMP_WAIT_POLICY']}, OPENBLAS_THREAD_TIMEOUT={os.environ['OPENBLAS_THREAD_TIMEOUT']}), "
        f"Python {platform.python_version()}, NumPy {np.__version__}. "
        f"Memory bandwidth {bandwidth / 1e9:.1f} GB/s (large copy), GEMM {gemm['float64'] / 1e9:.1f} GFLOP/s "
        f"float64, {gemm['float32'] / 1e9:.1f} float32 (1024^3). Median of interleaved repeats; spread = half "
        "the min-max range; / NumPy = time ratio (lower is faster); / floor = time over the machine's physical "
        "floor.",
        "",
    ]
    w8 = next((k for k, (workload, _) in enumerate(measured) if workload.name == "W8"), None)
    if w8 is not None:
        sections[w8] += "\n" + w8_section(measured[w8][1])
    report = "\n".join(header) + "\n".join(sections)
    print(report)
    RESULTS.mkdir(exist_ok=True)
    if only != {"DIST"}:  # DIST alone writes dist.md only
        (RESULTS / f"{name}.md").write_text(report + "\n", encoding="utf-8")
    if w8 is not None and not args.quick:
        (RESULTS / "w8.md").write_text("\n".join(header) + "\n" + sections[w8] + "\n", encoding="utf-8")
    if dist is not None:
        import dist_scaling

        dist_scaling.write(dist)
    if measured and write_plot(measured, RESULTS / f"{name}.png"):
        print(f"plot: {RESULTS / f'{name}.png'}", file=sys.stderr)


def w6_section() -> str:
    import w6_compile

    results, failures = w6_compile.measure(list(w6_compile.SCRIPTS))
    lines = ["### W6: compile of the W4 training function in a fresh process", "",
             "| peer | import | cold first result | warm first result |", "|---|---:|---:|---:|"]
    for peer in w6_compile.SCRIPTS:
        if peer in results:
            r = results[peer]
            lines.append(f"| {peer} | {_seconds(r['import'])} | {_seconds(r['cold'])} | {_seconds(r['warm'])} |")
        else:
            lines.append(f"| {peer} | {failures.get(peer, 'not run')[:90]} | | |")
    return "\n".join(lines) + "\n"


def w8_section(results: list[tuple[Any, list[Row]]]) -> str:
    """W8's figures beyond its table: each peer's time per step of the small forward variant, and Arignote's
    cold compile of the gradient function in fresh processes."""
    import w8_scan_rnn

    rows = next(rows for variant, rows in results if variant == w8_scan_rnn.SMALL)
    lines = [f"Per step, `{w8_scan_rnn.SMALL}` (median / T):", "", "| peer | per step |", "|---|---:|",
             *(f"| {peer} | {_seconds(t)} |" for peer, t in w8_scan_rnn.per_step(rows).items()), ""]
    try:
        cold = w8_scan_rnn.cold_compile()
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        return "\n".join([*lines, f"Cold compile of the gradient function: failed: {exc}"[:200], ""])
    lines += [f"Arignote's function of `{w8_scan_rnn.COLD}` (mode \"c\") in a fresh process with an empty cache "
              f"(median of {w8_scan_rnn.RUNS}): import {_seconds(cold['import'])}, build and compile "
              f"{_seconds(cold['compile'])}, first call {_seconds(cold['first_call'])}.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
