"""Profiling on any backend: the mode option ``profile`` (``function(..., profile=True)``) times every node.

A backend that times its own nodes says so (``profiles = True``: the C backend's executor keeps its timings in
C). For every other backend ``function`` wraps the executable in a :class:`ProfiledExecutable`, which counts
and times calls and, where the executable takes a step observer (``set_observer``, as the reference evaluator
does), times each node through a :class:`NodeTimer`; ``f.report()`` then gives time per node and per op class,
so a profiled function's report is never silently empty.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from .evaluator import ReferenceProgram
from .fgraph import FunctionGraph
from .graph import Apply
from .mode import Backend, Executable, Mode


def wants_generic_profile(mode: Mode, backend: Backend, executable: Executable) -> bool:
    """Whether ``mode`` asks for a profile that the backend does not keep itself (a backend that falls back on
    the reference evaluator, as the C backend does without a compiler, keeps none either)."""
    if not mode.options.get("profile", False):
        return False
    return not getattr(backend, "profiles", False) or isinstance(executable, ReferenceProgram)


class NodeTimer:
    """A step observer that adds up, per node, the seconds between ``before`` and ``after`` and the runs."""

    def __init__(self) -> None:
        #: node -> [seconds, runs]
        self.stats: dict[Apply, list[float]] = defaultdict(lambda: [0.0, 0])

    def before(self, node: Apply, inputs: Sequence[Any]) -> float:
        return time.perf_counter()

    def after(self, node: Apply, state: float, outputs: Sequence[Any], in_place: Mapping[int, int]) -> None:
        entry = self.stats[node]
        entry[0] += time.perf_counter() - state
        entry[1] += 1


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:9.3f}"


def time_table(title: str, rows: Mapping[str, list[float]], total: float) -> list[str]:
    """The lines of a profile's table: ``rows`` (name -> [seconds, calls]) slowest first, with each one's share
    of ``total`` seconds (the C backend's report prints the same tables)."""
    lines = [title, "     ms   share    calls  name"]
    for name, (seconds, calls) in sorted(rows.items(), key=lambda item: -item[1][0]):
        share = seconds / total if total else 0.0
        lines.append(f"{_ms(seconds)}  {share:6.1%}  {int(calls):7d}  {name}")
    return lines


class ProfiledExecutable:
    """``executable`` with its calls timed, and its nodes too when ``timer`` observes them; ``report()`` says
    where the time went (after the executable's own report, if it keeps one)."""

    def __init__(self, executable: Executable, timer: NodeTimer | None, backend: str, fgraph: FunctionGraph) -> None:
        self.executable = executable
        self.timer = timer
        self.backend = backend
        self.order = fgraph.toposort()
        self.calls = 0
        self.seconds = 0.0

    def __call__(self, values: Sequence[Any]) -> list[Any]:
        start = time.perf_counter()
        try:
            return self.executable(values)
        finally:
            self.seconds += time.perf_counter() - start
            self.calls += 1

    def report(self) -> str:
        own = getattr(self.executable, "report", None)
        lines = [str(own())] if own is not None else [f"Arignote {self.backend} backend: {len(self.order)} nodes"]
        if not self.calls:
            lines.append("Profile: no call yet.")
            return "\n".join(lines)
        if self.timer is None:
            lines.append(f"Profile: {self.calls} call(s), {self.seconds * 1e3:.3f} ms in calls; the {self.backend} "
                         "backend's executable takes no step observer, so its nodes are not timed one by one.")
            return "\n".join(lines)
        stats = [(node, self.timer.stats.get(node, [0.0, 0])) for node in self.order]
        total = sum(seconds for _, (seconds, _) in stats)
        lines.append(f"Profile: {self.calls} call(s), {total * 1e3:.3f} ms in nodes, "
                     f"{self.seconds * 1e3:.3f} ms in calls")
        by_node = {f"{k:3d} {node.op}{_where(node)}": list(entry) for k, (node, entry) in enumerate(stats)}
        by_class: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])
        for node, (seconds, runs) in stats:
            by_class[type(node.op).__name__][0] += seconds
            by_class[type(node.op).__name__][1] += runs
        lines += time_table("By node:", by_node, total)
        lines += time_table("By op class:", by_class, total)
        return "\n".join(lines)


def _where(node: Apply) -> str:
    return f" at {node.source.short()}" if node.source else ""
