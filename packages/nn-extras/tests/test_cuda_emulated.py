"""nn-extras on codegen-cuda's backend, emulated on the CPU: the convolution and pooling kernels that load through
the entry point ``arignote_cuda.extensions`` (``arignote_nn.cuda_kernels``). Every conformance case, the kernels
really used (``f.report()``), gradients through them against the reference evaluator, odd sizes, strides,
padding, views and two launch geometries, shape errors, deliberately broken copies of the kernels that must
fail, and the kernels' PTX (NVRTC).

Skipped where codegen-cuda is not installed (the nn-extras-only session); the full-stack sessions run it.
"""

import hashlib
import os
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("arignote_cuda", reason="codegen-cuda is not installed; the full-stack sessions run these tests")

import arignote_core as ac  # noqa: E402
import arignote_nn as nn  # noqa: E402
from arignote_c.cache import ModuleCache  # noqa: E402
from arignote_c.emit.context import EmitContext  # noqa: E402
from arignote_core.graph import Apply  # noqa: E402
from arignote_core.mode import Mode, get_mode  # noqa: E402
from arignote_core.testing import ConformanceError, run_case  # noqa: E402
from arignote_cuda.collect import KernelCollector, build_emulated  # noqa: E402
from arignote_cuda.device_array import DeviceArray  # noqa: E402
from arignote_cuda.dialect import CUDA_DIALECT  # noqa: E402
from arignote_cuda.emulation.build import EmulatedLibrary, find_cxx  # noqa: E402
from arignote_cuda.emulation.driver import EmulatedDriver  # noqa: E402
from arignote_cuda.lowering import lower  # noqa: E402
from arignote_cuda.memory import MemoryPool  # noqa: E402
from arignote_cuda.nvrtc import find_nvrtc  # noqa: E402
from arignote_cuda.plan import Geometry, LaunchContext  # noqa: E402
from arignote_cuda.ptx import PtxBuilder, module_text  # noqa: E402
from arignote_grad import grad  # noqa: E402
from arignote_nn.cuda_kernels import conv, pool  # noqa: E402
from arignote_nn.testing import ALL_CASES, conv_cases, pool_cases  # noqa: E402

#: the ops with CUDA kernels
KERNEL_OPS = (nn.Conv2d, nn.Conv2dGradInput, nn.Conv2dGradWeights, nn.Conv3d, nn.Conv3dGradInput,
              nn.Conv3dGradWeights, nn.Pool2d, nn.MaxPool2dGrad, nn.MaxPool2dGradGrad, nn.AveragePool2dGrad)
#: every kernel maker, for PTX
MAKERS = (conv.forward_kernel, conv.grad_input_kernel, conv.grad_weights_kernel, pool.forward_kernel,
          pool.max_grad_kernel, pool.max_grad_grad_kernel, pool.average_grad_kernel)
GRAD_PARAMS = [pytest.param(case, s, id=f"{case.name}[{s.label}]")
               for case in [*conv_cases.CASES, *pool_cases.CASES] for s in case.grad_samples()[::4]]
#: (threads per block, most blocks): two warps over three blocks, and one warp in one block (every loop strides)
GEOMETRIES = [(64, 3), (32, 1)]


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


def _network(x, w, w3):
    """Every op with a kernel: conv2d (odd stride, padding), both poolings with their gradients (max pooling's
    second order too) and conv3d with its gradients."""
    h = nn.conv2d(x, w, stride=(1, 2), padding=((1, 0), (2, 1)))
    pooled = nn.max_pool2d(h, 2, stride=(1, 2), padding=1, ignore_border=False)
    averaged = nn.avg_pool2d(h, 3, stride=2, padding=1, count_include_pad=False)
    v = nn.conv3d(ac.stack([x, ac.sin(x)], axis=2), w3, padding=1, dilation=(1, 2, 1))
    cost = ac.sum(pooled ** 2) + ac.sum(averaged ** 2) + ac.sum(ac.sin(v))
    gx, gw, gw3 = grad(cost, [x, w, w3])
    return [h, pooled, averaged, v, gx, gw, gw3, grad(ac.sum(gx ** 2), x)]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return os.environ.get("ARIGNOTE_TEST_CACHE_DIR") or str(tmp_path_factory.mktemp("nn-cuda-cache"))  # nox shares one


@pytest.fixture(scope="module")
def cuda_mode(cache_dir):
    """The named mode ``cuda-emulated`` with a private cache, every kernel of this module's conformance and
    gradient tests compiled in a few g++ runs first (arignote_cuda.collect)."""
    mode = get_mode("cuda-emulated").with_options(cache_dir=cache_dir)
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
    build_emulated(list(collector.kernels.values()), mode)
    return mode


@pytest.mark.parametrize("case", ALL_CASES, ids=[c.name for c in ALL_CASES])
def test_case_matches_numpy_on_cuda_emulated(case, cuda_mode):
    assert run_case(case, mode=cuda_mode) > 0


def _kernel_lines(f) -> tuple[set[str], str]:
    """The op classes the report lists as kernels, and the report."""
    report = f.report()
    return set(re.findall(r"^  kernel \w+: (\w+)\{", report, re.M)), report


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_conv_and_pool_nodes_run_their_kernels(dtype, cuda_mode):
    x, w = ac.tensor(dtype, (None,) * 4, "x"), ac.tensor(dtype, (None,) * 4, "w")
    w3 = ac.tensor(dtype, (None,) * 5, "w3")
    f = ac.function([x, w, w3], _network(x, w, w3), mode=cuda_mode)
    kernels, report = _kernel_lines(f)
    assert {op.__name__ for op in KERNEL_OPS} <= kernels, report
    assert not any(re.search(rf"^  host +{op.__name__}\{{", report, re.M) for op in KERNEL_OPS), report


def test_other_dtypes_run_on_the_host(cuda_mode):
    x, w = ac.tensor("float16", (None,) * 4, "x"), ac.tensor("float16", (None,) * 4, "w")
    f = ac.function([x, w], nn.max_pool2d(nn.conv2d(x, w), 2), mode=cuda_mode)
    kernels, report = _kernel_lines(f)
    assert not kernels & {"Conv2d", "Pool2d"}
    assert re.search(r"^  host +Conv2d\{.*float16", report, re.M), report
    rng = np.random.default_rng(0)
    xv, wv = rng.normal(size=(1, 2, 6, 6)).astype("float16"), rng.normal(size=(3, 2, 3, 3)).astype("float16")
    np.testing.assert_array_equal(f(xv, wv), ac.function([x, w], nn.max_pool2d(nn.conv2d(x, w), 2))(xv, wv))


@pytest.mark.parametrize(("case", "sample"), GRAD_PARAMS)
def test_gradient_matches_the_reference(case, sample, cuda_mode):
    """Gradients through the kernels equal the reference evaluator's; the inputs stay untouched."""
    f_cuda, values = _gradients(case, sample, cuda_mode)
    f_ref, _ = _gradients(case, sample, None)
    copies = [v.copy() for v in values]
    tolerance = 1e-4 if any(v.dtype == np.float32 for v in values) else 1e-10
    for got, want in zip(f_cuda(*values), f_ref(*copies), strict=True):
        np.testing.assert_allclose(got, want, rtol=tolerance, atol=tolerance)
    for before, after in zip(copies, values, strict=True):
        np.testing.assert_array_equal(before, after)


@pytest.mark.parametrize(("block", "max_grid"), GEOMETRIES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_odd_sizes_strides_padding_and_views_agree_with_the_reference(block, max_grid, dtype, cuda_mode):
    """2 images of 3 channels, 7x9 (uploaded as strided views: every other column, transposed filters) through
    every kernel, in two launch geometries."""
    mode = cuda_mode.with_options(block=block, max_grid=max_grid)
    rng = np.random.default_rng(3)
    xv = rng.normal(size=(2, 3, 7, 18)).astype(dtype)[..., ::2]
    wv = rng.normal(size=(3, 2, 3, 4)).astype(dtype).transpose(3, 2, 0, 1)
    w3v = rng.normal(size=(2, 3, 2, 2, 3)).astype(dtype)
    assert not xv.flags.c_contiguous and not wv.flags.c_contiguous
    x, w = ac.tensor(dtype, (None,) * 4, "x"), ac.tensor(dtype, (None,) * 4, "w")
    w3 = ac.tensor(dtype, (None,) * 5, "w3")
    outputs = _network(x, w, w3)
    got = ac.function([x, w, w3], outputs, mode=mode)(xv, wv, w3v)
    want = ac.function([x, w, w3], outputs)(xv, wv, w3v)
    for g, r in zip(got, want, strict=True):
        scale = max(np.abs(r).max(), 1.0)
        np.testing.assert_allclose(g, r, rtol=0, atol=scale * (1e-5 if dtype == "float32" else 1e-12))


def test_no_images(cuda_mode):
    x, w = ac.dtensor4("x"), ac.dtensor4("w")
    h = nn.conv2d(x, w, padding="same")
    outputs = [h, nn.max_pool2d(h, 2), *grad(ac.sum(nn.avg_pool2d(h, 2) ** 2), [x, w])]
    rng = np.random.default_rng(4)
    xv, wv = rng.normal(size=(0, 3, 7, 9)), rng.normal(size=(2, 3, 3, 3))
    got = ac.function([x, w], outputs, mode=cuda_mode)(xv, wv)
    for g, r in zip(got, ac.function([x, w], outputs)(xv, wv), strict=True):
        assert g.shape == r.shape
        np.testing.assert_array_equal(g, r)


def test_no_filters(cuda_mode):
    """Empty outputs, and a gradient of zeros in the images (the reference kernels cannot reshape zero filters)."""
    x, w = ac.dtensor4("x"), ac.dtensor4("w")
    h = nn.conv2d(x, w, padding="same")
    f = ac.function([x, w], [h, nn.max_pool2d(h, 2), *grad(ac.sum(nn.conv2d(x, w, padding=1)), [x])],
                    mode=cuda_mode)
    conv_out, pooled, gx = f(np.ones((2, 3, 7, 9)), np.ones((0, 3, 3, 3)))
    assert conv_out.shape == (2, 0, 7, 9) and pooled.shape == (2, 0, 3, 4)
    np.testing.assert_array_equal(gx, np.zeros((2, 3, 7, 9)))


def test_shape_errors_name_the_problem(cuda_mode):
    x, w = ac.dtensor4("x"), ac.dtensor4("w")
    f = ac.function([x, w], nn.conv2d(x, w), mode=cuda_mode)
    with pytest.raises(ValueError, match="channels"):
        f(np.zeros((1, 3, 5, 5)), np.zeros((2, 2, 3, 3)))
    with pytest.raises(ValueError, match="does not fit"):
        f(np.zeros((1, 2, 2, 5)), np.zeros((2, 2, 3, 3)))
    gy = ac.dtensor4("gy")
    g = ac.function([x, gy], nn.Conv2dGradWeights()(x, gy, [2, 2, 3, 3]), mode=cuda_mode)
    with pytest.raises(ValueError, match="output gradient has .*shape"):
        g(np.zeros((1, 2, 5, 5)), np.zeros((1, 2, 4, 3)))
    p = ac.function([x, gy], nn.MaxPool2dGrad(2, 2)(x, gy), mode=cuda_mode)
    with pytest.raises(ValueError, match=r"shape \(1, 2, 2, 2\) is needed"):
        p(np.zeros((1, 2, 5, 5)), np.zeros((1, 2, 3, 3)))
    q = ac.function([x], nn.max_pool2d(x, 3), mode=cuda_mode)
    with pytest.raises(ValueError, match="does not fit"):
        q(np.zeros((1, 2, 2, 5)))


# ---------------------------------------------------------------------------------------------------------
# broken kernels must fail


def _run_mutant(cache_dir: str, node: Apply, values: list, old: str, new: str) -> np.ndarray:
    """``node``'s plan run with its kernel's text changed from ``old`` to ``new`` (two warps, three blocks)."""
    plan = lower(node)
    (kernel,) = plan.kernels
    assert old in kernel.text, old
    name = f"{kernel.name}_mutant{hashlib.sha256((old + new).encode()).hexdigest()[:8]}"
    mutant = replace(kernel, name=name, text=kernel.text.replace(old, new, 1).replace(kernel.name, name))
    driver = EmulatedDriver(EmulatedLibrary(ModuleCache(Path(cache_dir)), find_cxx()))
    function = driver.get_function(driver.load_module([mutant]), mutant)
    memory = MemoryPool(driver)
    err = DeviceArray.from_host(memory, np.zeros(1, dtype=np.int32))
    ctx = LaunchContext(driver, {name: function}, memory, Geometry(64, 3), err.pointer)
    args = [DeviceArray.from_host(memory, v) if i in plan.operands else v for i, v in enumerate(values)]
    result = plan.run(replace(plan, kernels=(mutant,)), args, ctx)
    assert result is not None
    return result[0].get()


_RNG = np.random.default_rng(5)
_X, _W, _GY = _RNG.normal(size=(2, 3, 7, 9)), _RNG.normal(size=(4, 3, 3, 3)), _RNG.normal(size=(2, 4, 7, 5))
_CONV = {"stride": (1, 2), "padding": 1}
_POOL = {"ws": 3, "stride": 2, "pad": 1, "ignore_border": False}
_POOLED = nn.Pool2d(**_POOL).perform(None, [_X])[0]
#: the op of each kernel, and its inputs (2 images of 3 channels, 7x9; partial border windows for pooling)
_MUTANTS = {
    "conv2d": (nn.Conv2d(**_CONV), [_X, _W]),
    "grad_input": (nn.Conv2dGradInput(**_CONV), [_W, _GY, np.array(_X.shape)]),
    "grad_weights": (nn.Conv2dGradWeights(**_CONV), [_X, _GY, np.array(_W.shape)]),
    "pool": (nn.Pool2d(**_POOL), [_X]),
    "max_grad": (nn.MaxPool2dGrad(**_POOL), [_X, _POOLED + 1]),
    "average_grad": (nn.AveragePool2dGrad(**_POOL, mode="average_exc_pad"), [_POOLED, np.array(_X.shape)]),
}


def _mutant_case(which: str) -> tuple[Apply, list, np.ndarray]:
    """The node of kernel ``which``, its inputs, and the reference ``perform``'s result."""
    op, values = _MUTANTS[which]
    node = op(*(ac.tensor(v.dtype, (None,) * v.ndim) for v in values)).owner
    return node, values, op.perform(node, values)[0]


@pytest.mark.parametrize("which", sorted(_MUTANTS))
def test_the_unbroken_kernels_run_through_the_same_harness(which, cache_dir):
    node, values, want = _mutant_case(which)
    got = _run_mutant(cache_dir, node, values, "const int64_t", "const int64_t")
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("which", "old", "new"), [
    ("conv2d", "kx < a.kernel[2];", "kx < a.kernel[2] - 1;"),                      # a window one column short
    ("conv2d", "ix >= a.size[2]) continue;", "ix >= a.size[2] - 1) continue;"),    # the last input column as padding
    ("grad_input", "ox >= a.out[2]) continue;", "ox >= a.out[2] - 1) continue;"),  # the last window forgotten
    ("grad_input", "tx % a.stride[2] != 0", "tx % a.stride[2] > 1"),              # positions between strides read
    ("grad_weights", "__syncthreads();", ""),                                      # warp 0 reads partial sums early
    ("grad_weights", "j += blockDim.x", "j += blockDim.x * 2"),                    # a block-stride loop skipping terms
    ("grad_weights", "int off = 16;", "int off = 8;"),                             # a warp sum of half the lanes
    ("pool", "yhi = ys + a.ws[0] < a.h ? ys + a.ws[0] : a.h", "yhi = ys + a.ws[0] - 1 < a.h ? ys + a.ws[0] - 1 : a.h"),
    ("max_grad", "oy <= oyhi", "oy < oyhi"),                                       # the last covering window missed
    ("average_grad", "ox <= oxhi", "ox < oxhi"),
    ("average_grad", "i += step", "i += step + 1"),                                # a grid-stride loop skipping
])
def test_a_wrong_window_bound_or_loop_fails(which, old, new, cache_dir):
    node, values, want = _mutant_case(which)
    got = _run_mutant(cache_dir, node, values, old, new)
    assert not np.allclose(got, want, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------------------------------------
# PTX


@pytest.mark.skipif(find_nvrtc() is None, reason="no NVRTC (pip install nvidia-cuda-nvrtc-cu12)")
def test_every_kernel_compiles_to_ptx_without_local_memory(cache_dir):
    kernels = [make(EmitContext(CUDA_DIALECT), dtype) for make in MAKERS for dtype in ("float32", "float64")]
    ptx = PtxBuilder(find_nvrtc(), ModuleCache(Path(cache_dir))).build(module_text(kernels))
    assert set(re.findall(r"\.entry\s+(\w+)\(", ptx)) == {k.name for k in kernels}
    assert ".local" not in ptx
