"""The benchmark plot: a group of bars per workload variant, one colour per peer, the target marked.

:func:`layout` decides everything a reader must be able to trust (which bar sits in which group, its colour, its
height, the target) without matplotlib; :func:`draw` only draws it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: distinct colours: matplotlib's tab10, the dark half of tab20b, then lighter ones
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
           "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#000000", "#9edae5", "#ffbb78",
           "#98df8a", "#ff9896", "#c5b0d5", "#f7b6d2", "#dbdb8d", "#c7c7c7")


@dataclass(frozen=True)
class Target:
    """A workload's target as its baseline-relative ratio: a ratio, another peer's time, or a time in seconds."""

    label: str
    ratio: float | None = None
    peer: str | None = None
    seconds: float | None = None

    def resolve(self, medians: dict[str, float], base: float) -> float | None:
        if self.ratio is not None:
            return self.ratio
        if self.peer is not None:
            return medians[self.peer] / base if self.peer in medians else None
        return self.seconds / base if self.seconds is not None else None


#: the targets of the codegen-c issue (README, "Performance"), by workload and variant label
TARGETS: dict[tuple[str, str], tuple[Target, ...]] = {
    ("W1", "1000"): (Target("≤ 0.5", ratio=0.5),),
    ("W1", "10000000"): (Target("≤ 0.2", ratio=0.2),),
    ("W2", "1000"): (Target("≤ 0.3", ratio=0.3),),
    ("W3", "1000"): (Target("≤ 0.1", ratio=0.1),),
    ("W4", "('float32', 128)"): (Target("≤ JAX", peer="jax (jit)"),),
    ("W5", "10"): (Target("≤ 1.5 µs checked", seconds=1.5e-6), Target("≤ 1.0 µs trusted", seconds=1.0e-6)),
    ("CONV", "('conv', 32, 16, 28, 32, 3)"): (Target("≤ PyTorch", ratio=1.0),),
    ("CONV", "('lenet', 64)"): (Target("≤ PyTorch", ratio=1.0),),
}


@dataclass(frozen=True)
class Group:
    """The bars of one workload variant: ``ratios[peer]`` is the peer's median over the baseline's."""

    label: str
    baseline: str
    ratios: dict[str, float]
    targets: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class Layout:
    groups: tuple[Group, ...]
    colours: dict[str, str]


def layout(measured: list[tuple[Any, list[tuple[Any, list[Any]]]]]) -> Layout:
    """Groups and colours from ``(workload, [(variant, rows)])`` pairs (rows with ``peer`` and ``median``):
    ratios to each workload's baseline, variants without a baseline time left out, a colour per peer."""
    groups = []
    for workload, results in measured:
        for variant, rows in results:
            medians = {r.peer: r.median for r in rows if r.median}
            base = medians.get(workload.baseline)
            if not base:
                continue
            targets = tuple((t.label, value) for t in TARGETS.get((workload.name, str(variant)), ())
                            if (value := t.resolve(medians, base)) is not None)
            groups.append(Group(f"{workload.name} {workload.label(variant)}", workload.baseline,
                                {peer: median / base for peer, median in medians.items()}, targets))
    peers = list(dict.fromkeys(peer for group in groups for peer in group.ratios))
    return Layout(tuple(groups), {peer: _colour(k) for k, peer in enumerate(peers)})


def _colour(k: int) -> str:
    if k < len(PALETTE):
        return PALETTE[k]
    hue = (k * 0.618033988749895) % 1.0  # golden-ratio hues beyond the palette
    return "#" + "".join(f"{int(255 * (0.45 + 0.4 * math.cos(2 * math.pi * (hue + s / 3)))):02x}" for s in range(3))


def draw(result: Layout, path: Path) -> None:
    """Draw ``result`` into ``path`` (any format matplotlib writes)."""
    import matplotlib.pyplot as plt

    fig = figure(result)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def figure(result: Layout) -> Any:
    """The matplotlib figure of ``result``: log-scale ratios, the bars of a group side by side (only the peers it
    has, each bar labelled with its peer), a dashed line per target across its group, the baseline at 1."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(max(8.0, 1.3 * len(result.groups) + 2.0), 5.5))
    for g, group in enumerate(result.groups):
        width = 0.84 / max(1, len(group.ratios))
        left = g - 0.42
        for k, (peer, ratio) in enumerate(group.ratios.items()):
            ax.bar(left + (k + 0.5) * width, ratio, width, color=result.colours[peer], label=peer, gid=peer)
        for label, value in group.targets:
            ax.hlines(value, g - 0.45, g + 0.45, colors="black", linestyles="dashed", linewidth=1.2)
            ax.annotate(label, (g - 0.45, value), fontsize=6, va="bottom", ha="left")
    ax.set_yscale("log")
    ax.axhline(1.0, color="black", linewidth=0.8)
    labels = [group.label + ("" if group.baseline == "numpy" else f"\n(/ {group.baseline})")
              for group in result.groups]
    ax.set_xticks(range(len(result.groups)), labels, rotation=30, ha="right", fontsize=8)
    for g in range(1, len(result.groups)):
        ax.axvline(g - 0.5, color="lightgray", linewidth=0.6)
    ax.set_ylabel("time / baseline's time (log; lower is faster)")
    handles = {label: handle for handle, label in zip(*ax.get_legend_handles_labels(), strict=True)}
    ax.legend(handles.values(), handles.keys(), fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    return fig
