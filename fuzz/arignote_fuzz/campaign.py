"""A fuzzing run: cases from a seed through every mode, findings counted per mode and class, each new finding
shrunk, grouped with the ones like it and written as a script. The CLI and the CI test both call :func:`run`."""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .compare import BUILD, Oracle, Verdict, judge
from .generator import generate
from .ir import Case
from .modes import MODES
from .script import write_script
from .shrink import Shrinker
from .worker import Worker


@dataclass(frozen=True)
class Settings:
    """What a run does: cases ``first`` to ``first + count - 1`` of ``seed`` (or as many as ``minutes`` allow),
    each finding shrunk for up to ``shrink_seconds`` while the run's ``shrink_budget`` lasts."""

    seed: int = 0
    count: int = 200
    minutes: float | None = None
    modes: tuple[str, ...] = MODES
    out: Path | None = None
    cache_dir: Path | None = None
    timeout: float = 60.0
    shrink_seconds: float = 60.0
    shrink_budget: float | None = None
    first: int = 0


@dataclass
class Distinct:
    """One finding after shrinking: its class, the modes that show it, a detail, the shrunk case, the cases that
    led to it and the script written for it."""

    kind: str
    modes: tuple[str, ...]
    detail: str
    case: Case
    labels: list[str]
    script: str
    path: Path | None = None

    @property
    def title(self) -> str:
        return f"{self.kind} in {', '.join(self.modes)}"


@dataclass
class Summary:
    cases: int = 0
    seconds: float = 0.0
    mode_runs: Counter[str] = field(default_factory=Counter)
    mode_seconds: Counter[str] = field(default_factory=Counter)
    findings: Counter[tuple[str, str]] = field(default_factory=Counter)
    excluded: Counter[tuple[str, str]] = field(default_factory=Counter)
    distinct: list[Distinct] = field(default_factory=list)
    shrink_seconds: float = 0.0

    def table(self) -> str:
        """Per mode: graphs run, seconds, findings per class, exclusions applied."""
        lines = [f"{self.cases} cases in {self.seconds:.0f} s ({self.shrink_seconds:.0f} s shrinking)", "",
                 f"{'mode':<14}{'graphs':>8}{'graphs/min':>12}  findings (per class) / excluded"]
        for mode in (BUILD, *self.mode_runs):
            kinds = {k: n for (m, k), n in sorted(self.findings.items()) if m == mode}
            excluded = {k: n for (m, k), n in sorted(self.excluded.items()) if m == mode}
            if mode == BUILD and not kinds:
                continue
            runs, seconds = self.mode_runs.get(mode, 0), self.mode_seconds.get(mode, 0.0)
            rate = f"{60 * runs / seconds:.0f}" if seconds else "-"
            found = ", ".join(f"{k} {n}" for k, n in kinds.items()) or "none"
            skipped = ", ".join(f"{k} {n}" for k, n in excluded.items())
            lines.append(f"{mode:<14}{runs:>8}{rate:>12}  {found}" + (f" / excluded: {skipped}" if skipped else ""))
        return "\n".join(lines)


#: classes whose detail is a message: findings with the same message (names and numbers aside) are one
MESSAGE_KINDS = frozenset({"spurious_error", "missing_error", "internal_error", "compile_error", "warning",
                           "grad_error"})
#: classes with one mechanism whatever the ops (outputs that are views of others are not copied)
MODE_KINDS = frozenset({"aliased_outputs"})
#: what a message's grouping ignores: the op's name and parameters, dtypes, variable names, numbers
_WORDS = [(re.compile(r"^\w+\{[^}]*\}: "), ""), (re.compile(r"\bgot [^.;]*"), "got <value>"),
          (re.compile(r"\b(u?int(8|16|32|64)|float(16|32|64)|bool)\b"), "<dtype>"),
          (re.compile(r"\b(v\d+|[xyzW])\b"), "<var>"),
          (re.compile(r"-?\d+(\.\d+)?(e[-+]?\d+)?"), "<n>")]


def group_key(distinct: Distinct) -> tuple[object, ...]:
    """Shrunk findings with one key are reported once: same class and modes, and the same message (for errors
    and warnings), else the same set of ops."""
    if distinct.kind in MODE_KINDS:
        return distinct.kind, distinct.modes
    if distinct.kind in MESSAGE_KINDS:
        message = distinct.detail.split(": ", 1)[-1]
        for pattern, replacement in _WORDS:
            message = pattern.sub(replacement, message)
        return distinct.kind, distinct.modes, message
    return distinct.kind, distinct.modes, tuple(sorted(set(distinct.case.graph.ops())))


def check_case(worker: Worker, case: Case, modes: tuple[str, ...], timeout: float,
               summary: Summary | None = None) -> Verdict:
    """``case`` in every mode against NumPy."""
    oracle = Oracle(case)
    verdict = Verdict()
    for mode in modes:
        start = time.monotonic()
        result = worker.run(case, mode, timeout)
        if summary is not None:
            summary.mode_runs[mode] += 1
            summary.mode_seconds[mode] += time.monotonic() - start
        judge(case, oracle, result, verdict)
        if result.build_failure is not None:
            break
    return verdict


def run(settings: Settings, progress: Callable[[str], None] = print) -> Summary:
    """The cases of ``settings`` in every mode: findings counted per mode and class, each new one shrunk (once
    per class, modes and set of ops), grouped (:func:`group_key`) and written as a script to ``settings.out``."""
    worker = Worker(settings.cache_dir)
    shrinker = Shrinker(worker, settings.timeout)
    summary = Summary()
    seen: dict[tuple[object, ...], Distinct] = {}
    start = last_report = time.monotonic()
    if settings.out is not None:
        settings.out.mkdir(parents=True, exist_ok=True)
        for old in settings.out.glob("finding-*.py"):
            old.unlink()
    try:
        for index in range(settings.first, settings.first + settings.count):
            if settings.minutes is not None and time.monotonic() - start > 60 * settings.minutes:
                progress(f"time limit of {settings.minutes} min reached")
                break
            case = generate(settings.seed, index)
            verdict = check_case(worker, case, settings.modes, settings.timeout, summary)
            summary.cases += 1
            summary.excluded.update(verdict.excluded)
            for finding in verdict.findings:
                summary.findings[(finding.mode, finding.kind)] += 1
            for kind in dict.fromkeys(f.kind for f in verdict.findings):
                modes = tuple(f.mode for f in verdict.findings if f.kind == kind)
                signature = (kind, modes, frozenset(case.graph.ops()))
                if signature in seen:
                    seen[signature].labels.append(case.label)
                    continue
                shrink_start = time.monotonic()
                distinct = _shrunk(shrinker, worker, case, kind, modes, settings)
                summary.shrink_seconds += time.monotonic() - shrink_start
                key = group_key(distinct)
                if key in seen:
                    seen[key].labels.append(case.label)
                else:
                    seen[key] = distinct
                    summary.distinct.append(distinct)
                    _write(distinct, settings.out, len(summary.distinct))
                    progress(f"  new finding {len(summary.distinct)}: {distinct.title} (case {case.label}, "
                             f"{len(distinct.case.graph.nodes)} nodes): {distinct.detail[:160]}")
                seen[signature] = seen[key]
            now = time.monotonic()
            if now - last_report > 15 or index + 1 == settings.first + settings.count:
                last_report = now
                progress(f"[{summary.cases}/{settings.count}] {now - start:.0f} s, "
                         f"{60 * summary.cases / (now - start):.0f} cases/min, findings in "
                         f"{len(summary.findings)} mode/class pairs, {len(summary.distinct)} distinct")
    finally:
        worker.stop()
    summary.seconds = time.monotonic() - start
    return summary


def _shrunk(shrinker: Shrinker, worker: Worker, case: Case, kind: str, modes: tuple[str, ...],
            settings: Settings) -> Distinct:
    """The finding shrunk against its cheapest mode, then checked again in every mode."""
    target = modes[0]
    seconds = settings.shrink_seconds
    if settings.shrink_budget is not None:
        seconds = min(seconds, settings.shrink_budget - shrinker.seconds)
    small = shrinker.shrink(case, target, kind, seconds) if seconds > 0 else case
    verdict = check_case(worker, small, settings.modes, settings.timeout)
    found = [f for f in verdict.findings if f.kind == kind]
    if not found and small is not case:  # it did not show again (memory left uninitialised): keep the original
        small = case
        found = [f for f in check_case(worker, case, settings.modes, settings.timeout).findings if f.kind == kind]
    shown = tuple(f.mode for f in found) or modes
    detail = found[0].detail if found else "(not reproduced when checked again)"
    title = f"Arignote fuzz finding: {kind} in {', '.join(shown)}"
    script_modes = list(dict.fromkeys(["reference", *(m for m in settings.modes if m in shown or m == BUILD)]))
    script_modes = [m for m in script_modes if m != BUILD] or ["reference"]
    return Distinct(kind, shown, detail, small, [case.label], write_script(small, script_modes, title, detail))


def _write(distinct: Distinct, out: Path | None, number: int) -> None:
    if out is None:
        return
    slug = re.sub(r"[^a-z0-9_]+", "-", f"{distinct.kind}-{'-'.join(distinct.modes)}".lower())
    distinct.path = out / f"finding-{number:03d}-{slug}.py"
    distinct.path.write_text(distinct.script, encoding="utf-8")
