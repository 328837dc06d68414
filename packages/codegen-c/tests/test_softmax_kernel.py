"""Softmax and log-softmax over one axis run as one C kernel (the C modes keep the ops whole); several axes run
the reference perform. Rows with NaN, infinities, strided and reversed views match the reference evaluator."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import compare

import arignote_core as ac
from arignote_c import CBackend
from arignote_c.backend import c_mode as named_c_mode
from arignote_core.mode import Mode


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("function", [ac.softmax, ac.log_softmax])
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_rows_with_edges_and_views(c_mode: Mode, dtype: str, function, axis: int) -> None:
    x = ac.tensor(dtype, (None, None, None), "x")
    value = (np.random.default_rng(0).standard_normal((3, 4, 6)) * 30).astype(dtype)
    value[0, 0, 0], value[1, 1, 1], value[2, 2, :] = np.nan, np.inf, -np.inf
    f = compare([x], [function(x, axis=axis)], [value], c_mode)
    assert not f.executable.info.fallbacks
    for view in (value[:, ::2, ::-1], value.transpose(2, 1, 0).copy().transpose(2, 1, 0), value[:0]):
        compare([x], [function(x, axis=axis)], [view], c_mode)


def test_several_axes_fall_back_to_the_reference(c_mode: Mode) -> None:
    x = ac.dmatrix("x")
    f = compare([x], [ac.softmax(x, axis=None)], [np.arange(6.0).reshape(2, 3)], c_mode)
    assert [type(s.node.op).__name__ for s in f.executable.info.fallbacks] == ["Softmax"]


def test_the_c_mode_keeps_softmax_whole(cache_dir) -> None:
    mode = named_c_mode().with_options(cache_dir=str(cache_dir), threads=1)
    assert "lower_softmax" in CBackend.skipped_rewrites
    x = ac.dmatrix("x")
    f = compare([x], [ac.softmax(x * 2, axis=1)], [np.arange(6.0).reshape(2, 3)], mode)
    kinds = {type(s.node.op).__name__ for s in f.executable.info.steps}
    assert "Softmax" in kinds and not f.executable.info.fallbacks


def test_rows_split_over_threads(cache_dir) -> None:
    mode = Mode(backend=CBackend(), options={"cache_dir": str(cache_dir), "threads": 2, "parallel_threshold": 16,
                                             "gil_threshold": 16})
    x = ac.dmatrix("x")
    value = np.random.default_rng(1).standard_normal((37, 11)) * 50
    compare([x], [ac.softmax(x, axis=1), ac.log_softmax(x, axis=0)], [value], mode)
