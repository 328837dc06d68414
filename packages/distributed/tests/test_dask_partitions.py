"""Compiled functions over the elements of dask bags and the partitions of dask dataframes, against NumPy, in
process and on a LocalCluster of 2 worker processes."""

from __future__ import annotations

import numpy as np
import pytest

import arignote_core as ac

db = pytest.importorskip("dask.bag")
dd = pytest.importorskip("dask.dataframe")
pd = pytest.importorskip("pandas")
distributed = pytest.importorskip("distributed")
partitions = pytest.importorskip("arignote_dist.dask_partitions")


def _expression() -> ac.Function:
    x, y = ac.dvector("x"), ac.dvector("y")
    return ac.function([x, y], ac.exp(-x**2) * ac.sin(y) + x * y)


def _numpy(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.exp(-x**2) * np.sin(y) + x * y


def test_a_bag_of_input_tuples_gives_a_bag_of_outputs() -> None:
    rng = np.random.default_rng(1)
    pairs = [(rng.normal(size=n), rng.normal(size=n)) for n in (3, 0, 7, 1, 5)]
    got = partitions.map_bag(_expression(), db.from_sequence(pairs, npartitions=2)).compute(scheduler="sync")
    assert len(got) == len(pairs)
    for value, (x, y) in zip(got, pairs, strict=True):
        np.testing.assert_allclose(value, _numpy(x, y), rtol=1e-12)


def test_a_bag_of_single_inputs_and_a_function_of_several_outputs() -> None:
    m = ac.dmatrix("m")
    f = ac.function([m], [m.sum(axis=0), m.max()])
    mats = [np.arange(6.0).reshape(2, 3), -np.ones((4, 3))]
    got = partitions.map_bag(f, db.from_sequence(mats, npartitions=2)).compute(scheduler="sync")
    for (sums, top), m_value in zip(got, mats, strict=True):
        np.testing.assert_allclose(sums, m_value.sum(axis=0))
        assert top == m_value.max()


def test_a_bag_element_of_the_wrong_arity_is_an_error_naming_it() -> None:
    bag = db.from_sequence([(np.ones(2),)], npartitions=1)
    with pytest.raises(TypeError, match="holds 1 values; the function takes 2"):
        partitions.map_bag(_expression(), bag).compute(scheduler="sync")


def _frame(n: int = 1000) -> pd.DataFrame:
    rng = np.random.default_rng(2)
    return pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n), "label": rng.integers(0, 3, n)})


def test_dataframe_columns_in_and_out_on_two_worker_processes() -> None:
    frame = _frame()
    x, y = ac.dvector("x"), ac.dvector("y")
    f = ac.function([x, y], [ac.exp(-x**2) * ac.sin(y) + x * y, (x > y).astype("int8")])
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    with cluster, distributed.Client(cluster):
        result = partitions.map_partitions(f, dd.from_pandas(frame, npartitions=4), ["a", "b"],
                                           ["value", "greater"])
        assert dict(result.dtypes) == {"value": np.dtype("float64"), "greater": np.dtype("int8")}
        got = result.compute()
    np.testing.assert_allclose(got["value"].to_numpy(), _numpy(frame["a"].to_numpy(), frame["b"].to_numpy()),
                               rtol=1e-12)
    np.testing.assert_array_equal(got["greater"].to_numpy(), (frame["a"] > frame["b"]).to_numpy())
    assert got.index.equals(frame.index)


def test_dataframe_arguments_are_checked_when_the_graph_is_built() -> None:
    frame = dd.from_pandas(_frame(10), npartitions=2)
    f = _expression()
    with pytest.raises(TypeError, match="takes 2 inputs; got 1 columns"):
        partitions.map_partitions(f, frame, ["a"], ["out"])
    with pytest.raises(KeyError, match="no column 'c'"):
        partitions.map_partitions(f, frame, ["a", "c"], ["out"])
    m = ac.dmatrix("m")
    with pytest.raises(TypeError, match="is not a vector"):
        partitions.map_partitions(ac.function([m], m.sum(axis=1)), frame, ["a"], ["out"])
    s = ac.dvector("s")
    summed = partitions.map_partitions(ac.function([s], s.sum().reshape((1,))), frame, ["a"], ["total"])
    with pytest.raises(ValueError, match="needs \\(5,\\)"):
        summed.compute(scheduler="sync")
