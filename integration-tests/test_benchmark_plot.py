"""The benchmark plot (benchmarks/plot.py) without benchmark data: every bar in its own workload's group, one
colour per peer across the whole plot, ratios to each workload's baseline, targets where there are some."""

import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import plot  # noqa: E402
from suite import Workload  # noqa: E402


@dataclass
class Row:
    peer: str
    median: float | None = None


def _measured():
    """Three workloads whose peers differ: a peer missing from the first one must not shift its bars left."""
    w1 = Workload("W1", "elementwise", (1000,), {p: None for p in ("numpy", "arignote C", "jax (jit)")})
    w5 = Workload("W5", "overhead", (10,), {p: None for p in ("numpy", "arignote C, checked", "arignote C, trusted",
                                                               "pytensor C, checked", "torch")})
    conv = Workload("CONV", "conv", (("lenet", 64),), {p: None for p in ("torch", "arignote C")}, baseline="torch")
    return [
        (w1, [(1000, [Row("numpy", 2.0), Row("arignote C", 0.5), Row("jax (jit)", None)])]),
        (w5, [(10, [Row("numpy", 1e-6), Row("arignote C, checked", 2e-7), Row("arignote C, trusted", 3e-7),
                    Row("pytensor C, checked", 2e-6), Row("torch", 4e-6)])]),
        (conv, [(("lenet", 64), [Row("torch", 4.0), Row("arignote C", 3.0)])]),
    ]


def test_each_group_holds_its_own_workloads_bars_and_each_peer_one_colour():
    result = plot.layout(_measured())
    assert [g.label for g in result.groups] == ["W1 1000", "W5 10", "CONV ('lenet', 64)"]
    w1, w5, conv = result.groups
    assert w1.ratios == {"numpy": 1.0, "arignote C": 0.25}  # a peer without a time has no bar
    assert w5.ratios == pytest.approx({"numpy": 1.0, "arignote C, checked": 0.2, "arignote C, trusted": 0.3,
                                       "pytensor C, checked": 2.0, "torch": 4.0})
    assert conv.baseline == "torch" and conv.ratios == {"torch": 1.0, "arignote C": 0.75}
    peers = {peer for group in result.groups for peer in group.ratios}
    assert set(result.colours) == peers and len(set(result.colours.values())) == len(peers)
    assert dict(w1.targets) == {"≤ 0.5": 0.5}
    assert dict(w5.targets) == pytest.approx({"≤ 1.5 µs checked": 1.5, "≤ 1.0 µs trusted": 1.0})


def test_colours_stay_distinct_beyond_the_palette():
    colours = [plot._colour(k) for k in range(3 * len(plot.PALETTE))]
    assert len(set(colours)) == len(colours)


def test_the_figure_draws_each_bar_in_its_group_in_its_peers_colour():
    pytest.importorskip("matplotlib", reason="the benchmarks' plot needs matplotlib (nox -s bench installs it)")
    from matplotlib.colors import to_hex

    result = plot.layout(_measured())
    fig = plot.figure(result)
    bars = [patch for patch in fig.axes[0].patches if patch.get_gid()]
    assert len(bars) == sum(len(group.ratios) for group in result.groups)
    for patch in bars:
        centre = patch.get_x() + patch.get_width() / 2
        group = result.groups[round(centre)]
        assert abs(centre - round(centre)) < 0.5 and patch.get_gid() in group.ratios
        assert patch.get_height() == pytest.approx(group.ratios[patch.get_gid()])
        assert to_hex(patch.get_facecolor()) == result.colours[patch.get_gid()]
    assert len(fig.axes[0].collections) == sum(len(group.targets) for group in result.groups)
