"""The text report of a compiled program: what was compiled, what fell back to Python, and where time went."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from arignote_core.profiling import time_table


def _where(node: Any) -> str:
    return f" at {node.source.short()}" if getattr(node, "source", None) else ""


def format_report(info: Any, stats: list[tuple[float, int]], peak_bytes: int) -> str:
    """Compilation summary, fallbacks, and (when profiled) time per node, per op class and per kernel."""
    steps = info.steps
    counts: dict[str, int] = defaultdict(int)
    for step in steps:
        counts[step.label] += 1
    summary = ", ".join(f"{n} {label}" for label, n in sorted(counts.items()))
    modules = ", ".join(info.modules) or "none"
    lines = [f"Arignote C backend: {len(steps)} nodes ({summary or 'none'}); kernel modules: {modules}"
             f"{' (compiled now)' if info.built else ''}"]
    fallbacks = info.fallbacks
    if fallbacks:
        lines.append(f"{len(fallbacks)} node(s) run their Python perform:")
        lines += [f"  {s.node.op}{_where(s.node)}: {s.reason}" for s in fallbacks]
    total = sum(seconds for seconds, _ in stats)
    if not any(calls for _, calls in stats):
        lines.append("No profile (compile with Mode(options={'profile': True}) to time every node).")
        return "\n".join(lines)
    calls = max(c for _, c in stats)
    lines.append(f"Profile: {calls} call(s), {total * 1e3:.3f} ms in nodes, "
                 f"peak memory of intermediates {peak_bytes / 2**20:.2f} MiB")
    by_node = {f"{k:3d} {s.label:7s} {s.node.op}{_where(s.node)}": [sec, c]
               for k, (s, (sec, c)) in enumerate(zip(steps, stats, strict=True))}
    by_class: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])
    by_kernel: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])
    for s, (sec, c) in zip(steps, stats, strict=True):
        by_class[type(s.node.op).__name__][0] += sec
        by_class[type(s.node.op).__name__][1] += c
        key = "+".join(s.kernels) if s.kernels else f"({s.label})"
        by_kernel[key][0] += sec
        by_kernel[key][1] += c
    lines += time_table("By node:", by_node, total)
    lines += time_table("By op class:", dict(by_class), total)
    lines += time_table("By kernel:", dict(by_kernel), total)
    return "\n".join(lines)
