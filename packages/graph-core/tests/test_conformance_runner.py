"""The conformance runner catches each kind of disagreement it promises to catch."""

from dataclasses import dataclass

import numpy as np
import pytest

import arignote_core as ac
from arignote_core.graph import Apply, Op
from arignote_core.testing import Case, ConformanceError, cases, format_report, report, run_case, sample
from arignote_core.testing.generators import edge_values, elementwise, fixed, reductions


def _case(build, oracle, *samples, **options):
    return Case(name="probe", function="probe", build=build, oracle=oracle, samples=fixed(*samples), **options)


@dataclass(frozen=True)
class _Probe(Op):
    """An op whose behaviour the tests choose: static shape, inferred shape, in-place writes."""

    static: tuple = (None,)
    inferred: int | None = None
    write_input: bool = False

    def make_node(self, x):
        x = ac.as_tensor(x)
        return Apply(self, [x], [ac.TensorType(x.dtype, self.static)])

    def perform(self, node, inputs):
        (x,) = inputs
        if self.write_input:
            x[...] = 0
            return [x.copy()]
        return [x.copy()]

    def infer_shape(self, node, input_shapes):
        return None if self.inferred is None else [(self.inferred,)]


X = sample(np.arange(4.0))


def test_wrong_values_are_caught():
    with pytest.raises(ConformanceError, match="Not equal to tolerance"):
        run_case(_case(ac.exp, lambda x: np.exp(x) * (1 + 1e-6), X))


def test_tolerances_are_per_dtype_and_overridable():
    run_case(_case(ac.exp, lambda x: np.exp(x) * (1 + 1e-6), X, tolerances={"float64": (1e-5, 0)}))


def test_wrong_dtype_is_caught():
    with pytest.raises(ConformanceError, match="dtype float64, NumPy gives float32"):
        run_case(_case(ac.exp, lambda x: np.exp(x).astype("float32"), X))


def test_wrong_static_shape_is_caught():
    with pytest.raises(ConformanceError, match="static shape"):
        run_case(_case(_Probe(static=(3,), inferred=4), lambda x: x, X))


def test_wrong_inferred_shape_is_caught():
    with pytest.raises(ConformanceError, match="infer_shape gives"):
        run_case(_case(_Probe(inferred=5), lambda x: x, X))


def test_missing_shape_inference_is_caught_unless_dynamic():
    with pytest.raises(ConformanceError, match="cannot infer its shape"):
        run_case(_case(_Probe(), lambda x: x, X))
    run_case(_case(_Probe(), lambda x: x, X, dynamic_shape=True))


def test_modified_input_is_caught():
    with pytest.raises(ConformanceError, match="input 0 was modified"):
        run_case(_case(_Probe(write_input=True, inferred=4), lambda x: np.zeros_like(x), X))


def test_numpy_error_must_be_matched():
    with pytest.raises(ConformanceError, match="NumPy raises"):
        run_case(_case(ac.exp, lambda x: np.linalg.inv(x), X))
    run_case(_case(lambda x: ac.reshape(x, (3,)), lambda x: x.reshape(3), X))


def test_build_error_tag_demands_a_build_time_error():
    runtime_only = sample(np.arange(4.0), static=["none"], tags=["build-error"])
    with pytest.raises(ConformanceError, match="building the graph should have failed"):
        run_case(_case(lambda x: ac.reshape(x, (3,)), lambda x: x.reshape(3), runtime_only))


def test_custom_comparison_replaces_the_value_check():
    def same_shape(expected, got, s):
        assert expected[0].shape == got[0].shape

    run_case(_case(ac.exp, lambda x: x * 0, X, compare=same_shape))


def test_non_differentiable_case_needs_a_reason():
    with pytest.raises(ValueError, match="must say why"):
        _case(ac.floor, np.floor, X, differentiable=False)


def test_generators_cover_what_the_suite_promises():
    made = elementwise(2)(np.random.default_rng(0))
    tags = set().union(*(s.tags for s in made))
    assert {"edge", "empty", "view", "broadcast", "runtime-broadcast"} <= tags
    assert {d for s in made for d in s.dtypes} == set(ac.ALL_DTYPES)
    views = [v for s in made if "view" in s.tags for v in s.values]
    assert any(v.strides[0] < 0 for v in views) and any(not v.flags.c_contiguous for v in views)
    edges = edge_values("float32")
    assert np.isnan(edges).any() and np.isinf(edges).any() and (edges == np.finfo("float32").tiny).any()
    reduced = reductions()(np.random.default_rng(0))
    assert any(s.kwargs.get("keepdims") for s in reduced) and any(s.static_shapes[0] == (None,) * 3
                                                                   for s in reduced)


def test_grad_samples_are_float64_without_edges():
    (case,) = cases("exp")
    chosen = case.grad_samples()
    assert chosen and all(v.dtype == np.float64 for s in chosen for v in s.values)
    assert not any(s.tags & {"edge", "empty"} for s in chosen)
    (floor,) = cases("floor")
    assert floor.grad_samples() == [] and floor.why_not_differentiable


def test_points_without_derivative_are_kept_for_values_but_not_for_gradients():
    (svd,) = cases("linalg.svd")
    kinks = svd.nondifferentiable_samples()
    assert kinks and all("full_matrices" in s.why_not_differentiable for s in kinks)
    described = {s.describe() for s in kinks}
    assert described <= {s.describe() for s in svd.make_samples()}
    assert not described & {s.describe() for s in svd.grad_samples()}


def test_report_counts_cases_ops_and_dtypes():
    figures = report(cases("a*"))
    assert figures["cases"] == len(cases("a*")) and figures["op classes"] >= 2
    assert "float16" in figures["dtypes"]
    assert "cases:" in format_report(figures)


def test_samples_can_be_filtered_by_tag_and_dtype():
    (case,) = cases("exp")
    everything = run_case(case)
    assert 0 < run_case(case, skip_tags=["edge"]) < everything
    assert 0 < run_case(case, dtypes=["float32"]) < everything


def test_specify_shape_takes_a_shape_vector():
    x = ac.dvector("x")
    shape = ac.constant(np.array([3], dtype="int64"))
    assert ac.specify_shape(x, shape).type.shape == (3,)
