"""Random draws on the device (``ops/random.py``): the same Philox4x64 stream as the CPU's samplers, so a seed
gives the same numbers in ``cuda-emulated`` as in ``reference`` and ``c``.

Uniform, integers and Bernoulli draws are compared bit for bit with the reference. The transforms through
``log``, ``exp``, ``cos`` and ``tan`` are compared bit for bit with the CPU's formulas evaluated with glibc's
libm (Python's ``math``, which the emulation also calls), and within a few ulp with the reference: NumPy's own
SIMD loops (AVX-512) and CUDA's libm round a few results differently from glibc."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from mutants import run_mutant

import arignote_core as ac
from arignote_c.cache import ModuleCache
from arignote_core import function
from arignote_core.graph import Apply
from arignote_core.mode import Mode, get_mode
from arignote_core.random import philox
from arignote_core.random.ops import RandomVariable
from arignote_cuda import CudaBackend
from arignote_cuda.collect import KernelCollector, build_emulated, compile_ptx
from arignote_cuda.dialect import KERNEL_ERRORS
from arignote_cuda.lowering import lower
from arignote_cuda.nvrtc import find_nvrtc
from arignote_cuda.ops.random import SAMPLERS
from arignote_cuda.ptx import PtxBuilder

SEEDS = [np.array([7, 0, 0], np.uint64), np.array([2**63 + 5, 3, 41], np.uint64),
         np.array([2**64 - 1, 2**64 - 1, 2**64 - 1], np.uint64)]
SIZES = [(0,), (1,), (7,), (1000,), (3, 4, 5)]
#: the draws compared bit for bit with the reference (no libm on the way)
EXACT = ("uniform", "integers", "bernoulli")


# -- the CPU's samplers, one element at a time, with glibc's libm ----------------------------------------------


def _unit(w: int) -> float:
    return float(w >> 11) * 2.0**-53


def _open_unit(w: int) -> float:
    return (float(w >> 11) + 0.5) * 2.0**-53


def _box_muller(w: list[int]) -> float:
    return math.sqrt(-2.0 * math.log(_open_unit(w[0]))) * math.cos(2.0 * math.pi * _unit(w[1]))


def _integer(w: list[int], low: float, high: float) -> int:
    lo = int(low) % 2**64
    value = (lo + (w[0] * ((int(high) - int(low)) % 2**64) >> 64)) % 2**64
    return value - 2**64 if value >= 2**63 else value


def _sign(u: float) -> float:
    return 1.0 if u > 0 else -1.0 if u < 0 else 0.0


def _laplace(w: list[int], loc: float, scale: float) -> float:
    u = _open_unit(w[0]) - 0.5
    return loc - scale * _sign(u) * math.log1p(-2.0 * abs(u))


def _logistic(w: list[int], loc: float, scale: float) -> float:
    u = _open_unit(w[0])
    return loc + scale * (math.log(u) - math.log1p(-u))


SCALAR: dict[str, Callable[..., float]] = {
    "uniform": lambda w, low, high: low + (high - low) * _unit(w[0]),
    "normal": lambda w, loc, scale: loc + scale * _box_muller(w),
    "exponential": lambda w, scale: -math.log(_open_unit(w[0])) * scale,
    "bernoulli": lambda w, p: int(_unit(w[0]) < p),
    "integers": _integer,
    "lognormal": lambda w, mean, sigma: math.exp(mean + sigma * _box_muller(w)),
    "laplace": _laplace,
    "logistic": _logistic,
    "gumbel": lambda w, loc, scale: loc - scale * math.log(-math.log(_open_unit(w[0]))),
    "cauchy": lambda w, loc, scale: loc + scale * math.tan(math.pi * (_open_unit(w[0]) - 0.5)),
    "halfnormal": lambda w, loc, scale: loc + scale * abs(_box_muller(w)),
    "halfcauchy": lambda w, loc, scale: loc + scale * math.tan(0.5 * math.pi * _open_unit(w[0])),
    "rayleigh": lambda w, scale: scale * math.sqrt(-2.0 * math.log(_open_unit(w[0]))),
}

#: parameters of each distribution (values of the right sign for every one)
PARAMS: dict[str, list[float]] = {
    "uniform": [-1.0, 3.0], "normal": [1.5, 2.0], "exponential": [2.0], "bernoulli": [0.3], "integers": [-5, 5],
    "lognormal": [0.5, 0.75], "laplace": [1.0, 2.0], "logistic": [-1.0, 2.0], "gumbel": [0.0, 1.5],
    "cauchy": [0.0, 2.0], "halfnormal": [1.0, 0.5], "halfcauchy": [0.0, 3.0], "rayleigh": [0.5],
}


def glibc_draws(distribution: str, state: np.ndarray, params: list[np.ndarray], shape: tuple[int, ...],
                dtype: str) -> np.ndarray:
    """What the CPU's sampler computes, element by element with glibc's libm, converted to ``dtype``."""
    n = math.prod(shape)
    counter = np.zeros((n, 4), np.uint64)
    counter[:, 0], counter[:, 2] = np.arange(n, dtype=np.uint64), state[2]
    words = philox.philox4x64(counter, state[:2]).tolist()
    flat = [np.broadcast_to(np.asarray(p, np.float64), shape).ravel().tolist() for p in params]
    draw = SCALAR[distribution]
    values = [draw(words[i], *(p[i] for p in flat)) for i in range(n)]
    result = np.int64 if distribution in ("integers", "bernoulli") else np.float64
    return np.array(values, result).reshape(shape).astype(dtype)


def _close(got: np.ndarray, want: np.ndarray, distribution: str) -> None:
    if distribution in EXACT:
        np.testing.assert_array_equal(got, want)
    else:  # a few ulp: NumPy's SIMD libm is not glibc's
        tol = 1e-13 if got.dtype == np.float64 else 1e-6
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


# -- functions of one draw ------------------------------------------------------------------------------------


def _mode(cache_dir: Path, block: int = 64, max_grid: int = 3) -> Mode:
    return Mode(backend=CudaBackend(), options={"emulate": True, "cache_dir": str(cache_dir), "block": block,
                                                "max_grid": max_grid})


def _draw_function(mode: Mode, distribution: str, dtype: str, size_length: int | None,
                   param_types: list[Any]) -> Any:
    """``f(state, [size], *params) -> [next state, draws]``."""
    state = ac.TensorType("uint64", (3,))("state")
    params = [t() for t in param_types]
    size = ac.TensorType("int64", (size_length,))("size") if size_length is not None else None
    vector = size if size is not None else ac.constant(np.zeros(0, np.int64))
    next_state, draws = RandomVariable(distribution, dtype, size is not None)(state, vector, *params)
    inputs = [state, *([size] if size is not None else []), *params]
    return function(inputs, [next_state, draws], mode=mode)


def _scalar_types(distribution: str) -> list[Any]:
    return [ac.TensorType("int64" if distribution == "integers" else "float64", ())] * len(PARAMS[distribution])


@pytest.fixture(scope="module")
def functions(cache_dir: Path) -> dict[tuple[str, str, int], Any]:
    """For each distribution, output dtype and length of the size: the emulated and the reference function
    (their kernels compiled first, in one module)."""
    cases = [(name, dtype, length) for name in SAMPLERS
             for dtype in (["int64", "int32"] if name in ("integers", "bernoulli") else ["float64", "float32"])
             for length in (1, 3)]
    mode = _mode(cache_dir)
    collector = KernelCollector()
    for name, dtype, length in cases:
        _draw_function(Mode(backend=collector), name, dtype, length, _scalar_types(name))
    build_emulated(list(collector.kernels.values()), mode)
    return {(name, dtype, length): tuple(_draw_function(m, name, dtype, length, _scalar_types(name))
                                         for m in (mode, get_mode("reference")))
            for name, dtype, length in cases}


def test_every_device_sampler_is_checked_here() -> None:
    assert set(SAMPLERS) == set(SCALAR) == set(PARAMS)


@pytest.mark.filterwarnings("ignore:overflow encountered in scalar add:RuntimeWarning")  # the CPU's wrapping state
@pytest.mark.parametrize("distribution", sorted(SAMPLERS))
def test_draws_are_the_cpus(functions: dict[tuple[str, str, int], Any], distribution: str) -> None:
    for (name, dtype, length), (emulated, reference) in functions.items():
        if name != distribution:
            continue
        for state in SEEDS:
            for shape in (s for s in SIZES if len(s) == length):
                params = [np.array(p, np.int64 if name == "integers" else np.float64) for p in PARAMS[name]]
                args = [state, np.array(shape, np.int64), *params]
                (next_state, got), (want_state, want) = emulated(*args), reference(*args)
                assert got.dtype == np.dtype(dtype) and got.shape == shape
                np.testing.assert_array_equal(next_state, want_state)
                np.testing.assert_array_equal(got, glibc_draws(name, state, params, shape, dtype),
                                              err_msg=f"{name} {dtype} {shape} {state}")
                _close(got, want, name)


def test_a_strided_state_is_read_where_it_lies(functions: dict[tuple[str, str, int], Any]) -> None:
    emulated, reference = functions["normal", "float64", 1]
    words = np.zeros(6, np.uint64)
    words[::2] = SEEDS[1]
    args = [np.array([50]), np.float64(0.0), np.float64(1.0)]
    for got, want in zip(emulated(words[::2], *args), reference(SEEDS[1], *args), strict=True):
        _close(got, want, "normal")


@pytest.mark.parametrize(("block", "max_grid"), [(64, 3), (32, 1)])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_broadcast_and_strided_parameters(cache_dir: Path, block: int, max_grid: int, dtype: str) -> None:
    rng = np.random.default_rng(3)
    loc = rng.standard_normal((8, 1, 10))[::2, :, ::-2]                 # 4 x 1 x 5, strided, reversed
    scale = (rng.random((1, 3)) + 0.5).astype(np.float32).T             # 3 x 1, transposed, float32
    types = [ac.TensorType("float64", (None, 1, None)), ac.TensorType("float32", (None, 1))]
    state = SEEDS[1]
    for name in ("normal", "laplace", "uniform"):
        for length, shape in [(None, (4, 3, 5)), (4, (2, 4, 3, 5))]:
            fs = [_draw_function(m, name, dtype, length, types)
                  for m in (_mode(cache_dir, block, max_grid), get_mode("reference"))]
            args = [state, *([np.array(shape)] if length else []), loc, scale]
            (next_state, got), (want_state, want) = (f(*args) for f in fs)
            np.testing.assert_array_equal(next_state, want_state)
            assert got.shape == shape
            np.testing.assert_array_equal(got, glibc_draws(name, state, [loc, scale.astype(np.float64)], shape,
                                                           dtype))
            _close(got, want, name)


def test_a_size_the_parameters_do_not_broadcast_to_raises_numpys_error(cache_dir: Path) -> None:
    f = _draw_function(_mode(cache_dir), "normal", "float64", 1, [ac.dvector, ac.dscalar])
    with pytest.raises(ValueError, match="broadcast"):
        f(SEEDS[0], np.array([4]), np.zeros(3), np.float64(1.0))


@pytest.mark.parametrize(("name", "bad", "message"), [("laplace", -1.0, "scale < 0"), ("gumbel", np.nan, "scale < 0"),
                                                      ("lognormal", -0.5, "sigma < 0")])
def test_a_parameter_out_of_its_domain_raises(cache_dir: Path, name: str, bad: float, message: str) -> None:
    f = _draw_function(_mode(cache_dir), name, "float64", None, [ac.dscalar, ac.dvector])
    scale = np.r_[np.ones(150), bad, np.ones(49)]
    with pytest.raises(ValueError, match=message) as raised:
        f(SEEDS[0], np.float64(0.0), scale)
    assert name in str(raised.value)
    op = RandomVariable(name, "float64", False)
    with pytest.raises(ValueError, match=message):                      # the CPU's sampler refuses it too
        op.perform(None, [SEEDS[0], np.zeros(0, np.int64), np.float64(0.0), scale])  # type: ignore[arg-type]


def test_error_codes_are_distinct_bits() -> None:
    codes = [code for code, _, _ in KERNEL_ERRORS.values()]
    assert all(code & (code - 1) == 0 for code in codes) and len(set(codes)) == len(codes)


# -- streams: the state advances as on the CPU -------------------------------------------------------------------


def _stream_draws(seed: int) -> tuple[ac.RandomStream, list[Any]]:
    stream = ac.RandomStream(seed)
    loc = ac.dvector("loc")
    return stream, [loc, stream.normal(loc, 2.0, size=(3, 4)), stream.uniform(-1.0, 1.0, size=7, dtype="float32"),
                    stream.integers(0, 10, size=(2, 3)), stream.bernoulli(0.25, size=9), stream.gamma(2.0, size=4)]


@pytest.mark.parametrize("seed", [0, 12345])
def test_a_stream_gives_the_same_values_as_in_c_call_after_call(cache_dir: Path, seed: int) -> None:
    results = []
    for name in ("cuda-emulated", "c"):                                 # graph-opt's rewrites, then the backend
        mode = get_mode(name).with_options(cache_dir=str(cache_dir))
        stream, (loc, *draws) = _stream_draws(seed)
        f = function([loc], draws, mode=mode)
        calls = [f(np.array([0.0, 1.0, 2.0, 3.0])) for _ in range(2)]
        results.append((calls, [state.get_value() for state, _ in stream.updates()], f))
    (emulated, states, f), (compiled, c_states, _) = results
    for first, second in zip(emulated, compiled, strict=True):
        for got, want in zip(first, second, strict=True):
            _close(got, want, "normal" if got.dtype.kind == "f" else "integers")
    assert not np.array_equal(emulated[0][0], emulated[1][0])            # the second call drew new numbers
    for got, want in zip(states, c_states, strict=True):
        np.testing.assert_array_equal(got, want)
        assert got[2] == 2                                             # two calls
    report = f.report()
    assert "RandomVariable{normal, float64}" in report and "kernel" in report
    assert re.search(r"host\s+RandomVariable\{gamma, float64\}: gamma draws loop until accepted", report)


def test_a_chain_of_draws_stays_on_the_device(cache_dir: Path) -> None:
    state = ac.TensorType("uint64", (3,))("state")
    s1, x = RandomVariable("uniform", "float64", False)(state, ac.constant(np.zeros(0, np.int64)),
                                                         ac.constant(0.0), ac.constant(np.ones(50)))
    s2, y = RandomVariable("normal", "float64", False)(s1, ac.constant(np.zeros(0, np.int64)), x, ac.constant(1.0))
    mode = _mode(cache_dir).with_options(outputs="device")
    f = function([state], [s2, y], mode=mode)
    driver = f.executable.driver
    before = driver.counts["dtoh"]
    new_state, out = f(SEEDS[1])
    assert driver.counts["dtoh"] - before == 1                          # the error flags: nothing else came back
    want_state, want = function([state], [s2, y], mode="reference")(SEEDS[1])
    x_cpu = glibc_draws("uniform", SEEDS[1], [np.float64(0.0), np.ones(50)], (50,), "float64")
    advanced = SEEDS[1] + np.array([0, 0, 1], np.uint64)
    np.testing.assert_array_equal(out.get(), glibc_draws("normal", advanced, [x_cpu, np.float64(1.0)], (50,),
                                                         "float64"))
    np.testing.assert_allclose(out.get(), want, rtol=1e-13)
    np.testing.assert_array_equal(new_state, want_state)


# -- broken kernels must fail ------------------------------------------------------------------------------------


def _uniform_node() -> Apply:
    state = ac.TensorType("uint64", (3,))("state")
    node = RandomVariable("uniform", "float64", True)(state, ac.TensorType("int64", (1,))("size"), ac.dscalar(),
                                                 ac.dvector())[0].owner
    assert node is not None
    return node


def _uniform_values() -> tuple[list[Any], list[np.ndarray]]:
    values = [SEEDS[1], np.array([500]), np.float64(-1.0), np.array([1.0, 3.0]).repeat(250)]
    return values, list(RandomVariable("uniform", "float64", True).perform(None, values))  # type: ignore[arg-type]


def test_the_unbroken_kernel_runs_through_the_same_harness(cache_dir: Path) -> None:
    values, want = _uniform_values()
    for got, expected in zip(run_mutant(cache_dir, _uniform_node(), values, "offset + 1", "offset + 1", count=-1), want,
                             strict=True):
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize(("old", "new", "what"), [
    (f"{int(philox.M0):016X}", f"{int(philox.M0) ^ 4:016X}", "a wrong multiplier of the Philox round"),
    (f"{int(philox.W1):016X}", f"{int(philox.W1) + 2:016X}", "a wrong Weyl increment of the key"),
    (f"r < {philox.ROUNDS}", f"r < {philox.ROUNDS - 1}", "a round short"),
    ("c2 = hi0 ^ c3 ^ k1", "c2 = hi0 ^ c3 ^ k0", "the wrong key word"),
    ("((uint64_t)i, 0, offset, 0", "((uint64_t)i, 0, offset + 1, 0", "the counter of the next call"),
    ("i += step", "i += step + 1", "a grid-stride loop that skips elements"),
    ("offset + 1; }", "offset + 2; }", "a wrong increment of the state's counter"),
    ("q1[1] = k1;", "q1[1] = k0;", "a next state with the wrong key"),
])
def test_a_broken_generator_fails(cache_dir: Path, old: str, new: str, what: str) -> None:
    values, (want_state, want) = _uniform_values()
    got_state, got = run_mutant(cache_dir, _uniform_node(), values, old, new, count=-1)
    assert not (np.array_equal(got, want) and np.array_equal(got_state, want_state)), what


# -- PTX ---------------------------------------------------------------------------------------------------------


@pytest.mark.skipif(find_nvrtc() is None, reason="no NVRTC (pip install nvidia-cuda-nvrtc-cu12)")
def test_every_sampler_compiles_to_ptx(cache_dir: Path) -> None:
    state, size = ac.TensorType("uint64", (3,))("state"), ac.TensorType("int64", (2,))("size")
    kernels = []
    for name in sorted(SAMPLERS):
        for dtype in ("float32", "float64", "int64"):
            params = [ac.TensorType(d, (None,))() for d in ("float32", "int32", "float64")[: len(PARAMS[name])]]
            node = RandomVariable(name, dtype, True)(state, size, *params)[0].owner
            assert node is not None
            kernels.append(lower(node).kernels[0])
    builder = PtxBuilder(find_nvrtc(), ModuleCache(cache_dir))
    for trig in (False, True):
        # CUDA's cos and tan keep their argument reduction's slow path in local memory; nothing else may
        chunk = [k for k in kernels if ("agr_box_muller(" in k.text or "tan(" in k.text) == trig]
        ((built, ptx),) = compile_ptx(chunk, builder)
        assert set(re.findall(r"\.entry\s+(\w+)\(", ptx)) == {k.name for k in built} and len(built) == len(chunk)
        assert ptx.count("mul.hi.u64") >= len(chunk)                 # __umul64hi: the hardware's high product
        assert trig or ".local" not in ptx
