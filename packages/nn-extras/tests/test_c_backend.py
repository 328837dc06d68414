"""nn-extras on codegen-c's C backend, whose kernels for convolution and pooling load through the entry point
``arignote_c.extensions``: every conformance case (values, shapes, inputs left untouched), the kernels really
used, and their gradients against the reference evaluator and finite differences.

Skipped where codegen-c is not installed (the nn-extras-only session); the full-stack sessions run it.
"""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

pytest.importorskip("arignote_c", reason="codegen-c is not installed; the full-stack sessions run these tests")

import arignote_core as ac  # noqa: E402
import arignote_nn as nn  # noqa: E402
from arignote_c.warmup import KernelCollector  # noqa: E402
from arignote_core.mode import Mode, get_mode  # noqa: E402
from arignote_core.testing import ConformanceError, run_case  # noqa: E402
from arignote_grad import grad, verify_grad  # noqa: E402
from arignote_nn.testing import ALL_CASES, conv_cases, pool_cases  # noqa: E402

#: the cases whose ops have C kernels, and the ops
KERNEL_CASES = [*conv_cases.CASES, *pool_cases.CASES]
KERNEL_OPS = (nn.Conv2d, nn.Conv2dGradInput, nn.Conv2dGradWeights, nn.Pool2d, nn.MaxPool2dGrad,
              nn.MaxPool2dGradGrad, nn.AveragePool2dGrad)
#: cases the named mode ``c`` gets wrong through a graph-opt rewrite, not a C kernel: mul canonicalization turns
#: ``x * (erfc(..) * 0.5)`` into ``x * erfc(..) * 0.5``, which overflows to inf for x near the dtype's maximum
GRAD_PARAMS = [pytest.param(case, s, id=f"{case.name}[{s.label}]")
               for case in KERNEL_CASES for s in case.grad_samples()[::4]]


def _gradients(case, sample, mode):
    """The gradient of ``sum(out ** 2) / 2`` in the case's differentiable inputs, compiled with ``mode``, and
    the values to call it with."""
    wrt = case.wrt(sample)
    variables = [ac.tensor(sample.values[i].dtype, (None,) * sample.values[i].ndim, f"in{i}") for i in wrt]
    chosen = iter(variables)
    inputs = [next(chosen) if i in wrt else ac.constant(v) for i, v in enumerate(sample.values)]
    out = case.build(*inputs, **sample.kwargs)
    cost = sum(ac.sum(o * o) / 2 for o in (out if isinstance(out, list) else [out]))
    return ac.function(variables, grad(cost, variables), mode=mode), [sample.values[i] for i in wrt]


def _verify_grad(case, sample, mode):
    wrt = case.wrt(sample)

    def fn(*variables):
        chosen = iter(variables)
        return case.build(*(next(chosen) if i in wrt else ac.constant(v) for i, v in enumerate(sample.values)),
                          **sample.kwargs)

    verify_grad(fn, [sample.values[i] for i in wrt], rng=0, mode=mode)


@pytest.fixture(scope="module")
def c_mode(tmp_path_factory):
    """The named mode ``c`` with a private cache, every kernel of this module's tests compiled in a few gcc runs
    first (arignote_c.warmup)."""
    cache = os.environ.get("ARIGNOTE_TEST_CACHE_DIR") or str(tmp_path_factory.mktemp("nn-c-cache"))  # nox shares one
    mode = get_mode("c").with_options(cache_dir=cache, threads=1)
    collector = KernelCollector()
    collect = Mode(backend=collector, rewriter=mode.rewriter)
    for case in ALL_CASES:
        try:
            run_case(case, mode=collect)
        except ConformanceError:
            pass  # fails on its own below
    for param in GRAD_PARAMS:
        case, s = param.values
        _gradients(case, s, collect)
        _verify_grad(case, s, collect)
    collector.build(mode)
    return mode


@pytest.mark.parametrize("case", ALL_CASES, ids=[c.name for c in ALL_CASES])
def test_case_matches_numpy_on_c(case, c_mode):
    assert run_case(case, mode=c_mode) > 0


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_conv_and_pool_nodes_run_their_c_kernels(dtype, c_mode):
    x, w = ac.tensor(dtype, (None,) * 4, "x"), ac.tensor(dtype, (None,) * 4, "w")
    h = nn.conv2d(x, w, padding=1)
    cost = ac.sum(nn.max_pool2d(h, 2) ** 2) + ac.sum(nn.avg_pool2d(h, 3, stride=2, padding=1) ** 2)
    gx, gw = grad(cost, [x, w])
    gx_x = grad(ac.sum(gx ** 2), x)  # second order: MaxPool2dGradGrad
    f = ac.function([x, w], [cost, gx, gw, gx_x], mode=c_mode)
    ran = {type(s.node.op) for s in f.executable.info.steps if s.label == "user"}
    assert ran == set(KERNEL_OPS)
    assert not any(isinstance(s.node.op, KERNEL_OPS) for s in f.executable.info.fallbacks)


def test_other_dtypes_fall_back_to_perform(c_mode):
    x, w = ac.tensor("float16", (None,) * 4, "x"), ac.tensor("float16", (None,) * 4, "w")
    f = ac.function([x, w], nn.max_pool2d(nn.conv2d(x, w), 2), mode=c_mode)
    assert {type(s.node.op) for s in f.executable.info.fallbacks} == {nn.Conv2d, nn.Pool2d}
    rng = np.random.default_rng(0)
    xv, wv = rng.normal(size=(1, 2, 6, 6)).astype("float16"), rng.normal(size=(3, 2, 3, 3)).astype("float16")
    np.testing.assert_array_equal(f(xv, wv), ac.function([x, w], nn.max_pool2d(nn.conv2d(x, w), 2))(xv, wv))


@pytest.mark.parametrize(("case", "sample"), GRAD_PARAMS)
def test_gradient_matches_the_reference(case, sample, c_mode):
    """Gradients through the C kernels equal the reference evaluator's; the inputs stay untouched."""
    f_c, values = _gradients(case, sample, c_mode)
    f_ref, _ = _gradients(case, sample, None)
    copies = [v.copy() for v in values]
    for got, want in zip(f_c(*values), f_ref(*copies), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-11)
    for before, after in zip(copies, values, strict=True):
        np.testing.assert_array_equal(before, after)


@pytest.mark.parametrize(("case", "sample"), GRAD_PARAMS)
def test_gradient_matches_finite_differences(case, sample, c_mode):
    _verify_grad(case, sample, c_mode)


def test_errors_name_the_problem(c_mode):
    x, w = ac.tensor("float64", (None,) * 4, "x"), ac.tensor("float64", (None,) * 4, "w")
    f = ac.function([x, w], nn.conv2d(x, w), mode=c_mode)
    with pytest.raises(ValueError, match="channels"):
        f(np.zeros((1, 3, 5, 5)), np.zeros((2, 2, 3, 3)))
    with pytest.raises(ValueError, match="does not fit"):
        f(np.zeros((1, 2, 2, 5)), np.zeros((2, 2, 3, 3)))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("views", [False, True], ids=["contiguous", "strided views"])
@pytest.mark.parametrize("kwargs", [{"padding": "same", "groups": 2}, {"stride": 2, "dilation": 2, "padding": 1}],
                         ids=["same, groups 2", "stride 2, dilation 2"])
@pytest.mark.parametrize("images", [32, 1])
def test_large_layers_split_over_threads_match_the_reference(kwargs, views, dtype, images, c_mode):
    """Layers big enough for the kernels to split their images (and pooling its planes) over three threads, or
    with one image, its products (the runtime's GEMM), with the same results on every call; views reach the
    strided column and copy paths."""
    c_mode = c_mode.with_options(threads=3)
    rng = np.random.default_rng(1)
    groups = kwargs.get("groups", 1)
    size = 30 if images > 1 else 90
    x_value = rng.normal(size=(images, 8, size, 2 * size) if views else (images, 8, size, size)).astype(dtype)
    w_value = rng.normal(size=(3, 3, 8 // groups, 16) if views else (16, 8 // groups, 3, 3)).astype(dtype)
    if views:
        x_value, w_value = x_value[..., ::2], w_value.transpose(3, 2, 0, 1)
    x, w = ac.tensor(dtype, (None,) * 4, "x"), ac.tensor(dtype, (None,) * 4, "w")
    h = nn.conv2d(x, w, **kwargs)
    pooled = nn.max_pool2d(h, 3, stride=2, padding=1, ignore_border=False)
    cost = ac.sum(pooled ** 2) + ac.sum(nn.avg_pool2d(h, 2) ** 2)
    outputs = [h, pooled, *grad(cost, [x, w])]
    f = ac.function([x, w], outputs, mode=c_mode)
    got, again = f(x_value, w_value), f(x_value, w_value)
    want = ac.function([x, w], outputs)(x_value, w_value)
    for g, a in zip(got, again, strict=True):
        np.testing.assert_array_equal(g, a)
    for g, r in zip(got, want, strict=True):
        scale = np.abs(r).max()
        np.testing.assert_allclose(g, r, rtol=0, atol=scale * (1e-5 if dtype == "float32" else 1e-12))


@pytest.mark.parametrize("kwargs", [
    {"padding": "valid"}, {"padding": "same"}, {"padding": "full"}, {"padding": ((2, 0), (0, 3))},
    {"padding": ((5, 1), (4, 0))}, {"padding": "same", "dilation": (2, 3)}, {"padding": 1, "groups": 3},
], ids=["valid", "same", "full", "uneven pads", "pads beyond the kernel", "same, dilation 2x3", "groups 3"])
@pytest.mark.parametrize("kernel", [(3, 3), (2, 4), (1, 1)], ids=["3x3", "2x4", "1x1"])
def test_stride_one_input_gradients_match_the_reference(kwargs, kernel, c_mode):
    """col2im with stride 1 adds each window row as one shifted block, and copies in the row that covers its
    plane exactly when there is one (the centre of a "same" convolution): every padding, dilation, grouping."""
    rng = np.random.default_rng(4)
    x_value = rng.normal(size=(3, 6, 9, 11))
    w_value = rng.normal(size=(6, 6 // kwargs.get("groups", 1), *kernel))
    x, w = ac.tensor("float64", (None,) * 4, "x"), ac.tensor("float64", (None,) * 4, "w")
    h = nn.conv2d(x, w, **kwargs)
    g_value = rng.normal(size=ac.function([x, w], h.shape)(x_value, w_value))
    gx = grad(ac.sum(h * ac.constant(g_value)), [x])[0]
    got = ac.function([x, w], gx, mode=c_mode)(x_value, w_value)
    np.testing.assert_allclose(got, ac.function([x, w], gx)(x_value, w_value), rtol=1e-12, atol=1e-12)


def test_a_convolution_first_in_a_process_finds_its_blas(c_mode):
    """The kernels take GEMM from the runtime's services, which hand the BLAS over: in a process whose first
    compiled function has no product of its own, the convolution used to call through a null pointer."""
    code = textwrap.dedent(f"""
        import numpy as np
        import arignote_core as ac
        import arignote_nn as nn
        from arignote_core.mode import get_mode
        x, w = ac.tensor("float64", (None,) * 4, "x"), ac.tensor("float64", (None,) * 4, "w")
        mode = get_mode("c").with_options(cache_dir={c_mode.options["cache_dir"]!r})
        values = np.random.default_rng(2).normal(size=(2, 3, 9, 9)), np.random.default_rng(3).normal(size=(4, 3, 3, 3))
        got = ac.function([x, w], nn.conv2d(x, w), mode=mode)(*values)
        np.testing.assert_allclose(got, ac.function([x, w], nn.conv2d(x, w))(*values), rtol=1e-12)
        print("same")
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stdout.strip() == "same", done.stderr[-2000:]
