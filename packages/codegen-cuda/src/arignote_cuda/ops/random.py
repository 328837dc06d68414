"""Random draws (graph-core's ``RandomVariable``) as kernels: one thread per element computes the element's
Philox4x64-10 block exactly as ``arignote_core.random.philox`` does and applies the CPU sampler's transform, so
a seed gives the same numbers on the host and on the device.

Element ``i`` (C order over the draws) reads the block of counter ``(i, 0, offset, 0)`` under the key
``(state[0], state[1])`` (graph-core's ``distributions.Source``); the 64x64->128-bit products are
``__umul64hi`` and the low product. The state is read from device memory and the next state (the offset plus
one, as ``RandomVariable.perform`` makes it) written there by thread 0, so a draw needs no copy to the host and a
chain of draws stays on the device. Parameters are broadcast and strided operands, read as doubles (the CPU
samplers compute in float64 and convert the draws to the output dtype, as the kernel does).

Only samplers that take a fixed number of words per element are here: rejection samplers (gamma, beta,
binomial, Poisson...), distributions with core axes and those built on SciPy's special functions run their NumPy
``perform`` on the host, and the rule says so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from arignote_c.emit.context import EmitContext, Unsupported
from arignote_core.graph import Apply
from arignote_core.random import philox
from arignote_core.random.ops import RandomVariable

from ..args import MAX_DIMS, ArgLayout, Field
from ..device_array import DeviceArray
from ..kernels import DeviceKernel, _indent, _named, _offsets
from ..launch import padded
from ..layout import element_strides, merge_dims
from ..plan import KernelPlan, LaunchContext
from ..registry import register_lowering

_PI = float.hex(math.pi)
_HALF_PI = float.hex(0.5 * math.pi)
_TWO_PI = float.hex(2.0 * math.pi)


def _u64(value: Any) -> str:
    return f"0x{int(value):016X}ULL"


def _philox(qualifier: str) -> str:
    m0, m1, w0, w1 = (_u64(v) for v in (philox.M0, philox.M1, philox.W0, philox.W1))
    return f"""{qualifier} void agr_philox4x64(uint64_t c0, uint64_t c1, uint64_t c2, uint64_t c3, uint64_t k0,
    uint64_t k1, uint64_t *w0, uint64_t *w1, uint64_t *w2, uint64_t *w3) {{
    #pragma unroll
    for (int r = 0; r < {philox.ROUNDS}; ++r) {{
        if (r) {{ k0 += {w0}; k1 += {w1}; }}
        const uint64_t hi0 = __umul64hi({m0}, c0), lo0 = {m0} * c0;
        const uint64_t hi1 = __umul64hi({m1}, c2), lo1 = {m1} * c2;
        c0 = hi1 ^ c1 ^ k0; c1 = lo1; c2 = hi0 ^ c3 ^ k1; c3 = lo0;
    }}
    *w0 = c0; *w1 = c1; *w2 = c2; *w3 = c3;
}}"""


#: the device functions of the samplers, by name: philox.py's block and conversions, distributions.py's
#: Box-Muller and the integers' multiply-shift (low and high as float64, then int64, as the CPU converts them)
HELPERS = {
    "agr_philox4x64": _philox,
    "agr_unit": lambda q: f"{q} double agr_unit(uint64_t w) {{ return (double)(w >> 11) * 0x1p-53; }}",
    "agr_open_unit": lambda q: (f"{q} double agr_open_unit(uint64_t w) {{ "
                                "return ((double)(w >> 11) + 0.5) * 0x1p-53; }"),
    "agr_box_muller": lambda q: (f"{q} double agr_box_muller(uint64_t w0, uint64_t w1) {{ return "
                                 f"sqrt(-2.0 * log(agr_open_unit(w0))) * cos({_TWO_PI} * agr_unit(w1)); }}"),
    "agr_integer": lambda q: (f"{q} int64_t agr_integer(uint64_t w, double low, double high) {{\n"
                              "    const uint64_t lo = (uint64_t)(int64_t)low, span = (uint64_t)(int64_t)high - lo;\n"
                              "    return (int64_t)(lo + __umul64hi(w, span));\n}"),
}


@dataclass(frozen=True)
class DeviceSampler:
    """A distribution's transform of element ``i``'s words ``w0..w3`` and parameters ``x0..`` (doubles):
    ``lines`` then ``value``, of dtype ``result`` (what the CPU sampler returns before the output's astype);
    ``checks`` are (condition refusing the parameters, error code), graph-core's ``require``s."""

    result: str
    value: str
    lines: tuple[str, ...] = ()
    checks: tuple[tuple[str, str], ...] = ()


def _scale_check(x: str) -> tuple[tuple[str, str], ...]:
    return ((f"!({x} >= 0.0)", "AG_ERR_RANDOM_SCALE"),)


#: graph-core's samplers (``arignote_core.random.distributions``) that read one block per element, in the same
#: operations in the same order, so the emulation (glibc's libm, as NumPy's scalar loops) matches bit for bit
SAMPLERS: dict[str, DeviceSampler] = {
    "uniform": DeviceSampler("float64", "x0 + (x1 - x0) * agr_unit(w0)"),
    "normal": DeviceSampler("float64", "x0 + x1 * agr_box_muller(w0, w1)"),
    "exponential": DeviceSampler("float64", "-log(agr_open_unit(w0)) * x0"),
    "bernoulli": DeviceSampler("int64", "(int64_t)(agr_unit(w0) < x0)"),
    "integers": DeviceSampler("int64", "agr_integer(w0, x0, x1)"),
    "lognormal": DeviceSampler("float64", "exp(x0 + x1 * agr_box_muller(w0, w1))",
                               checks=(("!(x1 >= 0.0)", "AG_ERR_RANDOM_SIGMA"),)),
    "laplace": DeviceSampler("float64", "x0 - x1 * (u > 0.0 ? 1.0 : (u < 0.0 ? -1.0 : 0.0)) * log1p(-2.0 * fabs(u))",
                             ("const double u = agr_open_unit(w0) - 0.5;",), _scale_check("x1")),
    "logistic": DeviceSampler("float64", "x0 + x1 * (log(u) - log1p(-u))", ("const double u = agr_open_unit(w0);",),
                              _scale_check("x1")),
    "gumbel": DeviceSampler("float64", "x0 - x1 * log(-log(agr_open_unit(w0)))", checks=_scale_check("x1")),
    "cauchy": DeviceSampler("float64", f"x0 + x1 * tan({_PI} * (agr_open_unit(w0) - 0.5))", checks=_scale_check("x1")),
    "halfnormal": DeviceSampler("float64", "x0 + x1 * fabs(agr_box_muller(w0, w1))", checks=_scale_check("x1")),
    "halfcauchy": DeviceSampler("float64", f"x0 + x1 * tan({_HALF_PI} * agr_open_unit(w0))", checks=_scale_check("x1")),
    "rayleigh": DeviceSampler("float64", "x0 * sqrt(-2.0 * log(agr_open_unit(w0)))", checks=_scale_check("x0")),
}

#: why the other distributions run on the host
_REJECTION = ("gamma", "beta", "binomial", "poisson", "invgamma", "chisquare", "t", "vonmises", "negative_binomial",
              "beta_binomial", "multinomial", "dirichlet", "hypergeometric")
_CORE_AXES = ("categorical", "multivariate_normal")


def host_reason(distribution: str) -> str:
    """Why draws of ``distribution`` have no kernel."""
    if distribution in _REJECTION:
        return (f"{distribution} draws loop until accepted (a varying number of Philox blocks per element): "
                "they run on the host")
    if distribution in _CORE_AXES:
        return f"{distribution} draws have parameters with core axes: they run on the host"
    return f"{distribution} draws have no CUDA sampler yet: they run on the host"


def random_layout(params: int) -> ArgLayout:
    """``n`` draws over ``dim`` merged dimensions of ``shape``; each parameter's ``strides`` in elements;
    ``sstride``, the state's stride; pointers: the parameters, the state, the draws, the next state."""
    return ArgLayout((Field("n"), Field("dim"), Field("shape", (MAX_DIMS,)), Field("strides", (params, MAX_DIMS)),
                      Field("sstride"), Field("ptr", (params + 3,), True), Field("err", pointer=True)))


def random_kernel(ctx: EmitContext, sampler: DeviceSampler, params: Sequence[str], out_dtype: str) -> DeviceKernel:
    """Draws of ``sampler`` with parameters of dtypes ``params``, stored as ``out_dtype``, and the next state."""
    used = "\n".join([*sampler.lines, sampler.value])
    for name, define in HELPERS.items():
        if name in ("agr_philox4x64", "agr_unit", "agr_open_unit") or name in used:
            ctx.helper(name, define)
    count, r = len(params), ctx.dialect.restrict
    pointers = [f"const {ctx.storage(d)} *{r} p{k} = (const {ctx.storage(d)} *)a.ptr[{k}];"
                for k, d in enumerate(params)]
    pointers += [f"const uint64_t *{r} s = (const uint64_t *)a.ptr[{count}];",
                 f"{ctx.storage(out_dtype)} *{r} q0 = ({ctx.storage(out_dtype)} *)a.ptr[{count + 1}];",
                 f"uint64_t *{r} q1 = (uint64_t *)a.ptr[{count + 2}];"]
    ct = ctx.ctype(sampler.result)
    loop = [*_offsets("i", count, "o", ""),
            *(f"const double x{k} = (double)p{k}[o{k}];" for k in range(count)),
            "uint64_t w0, w1, w2, w3;",
            "agr_philox4x64((uint64_t)i, 0, offset, 0, k0, k1, &w0, &w1, &w2, &w3);",
            *sampler.lines,
            *(f"if ({cond}) err |= {code};" for cond, code in sampler.checks),
            f"const {ct} v = {sampler.value};",
            f"q0[i] = {ctx.store(ctx.convert('v', sampler.result, out_dtype), out_dtype)};"]
    text = f"""extern "C" __global__ void NAME(const NAME_args a) {{
{_indent(pointers, 4)}
    const uint64_t k0 = s[0], k1 = s[a.sstride], offset = s[2 * a.sstride];
    if (blockIdx.x == 0 && threadIdx.x == 0) {{ q1[0] = k0; q1[1] = k1; q1[2] = offset + 1; }}
    int err = 0;
    const int64_t step = (int64_t)blockDim.x * gridDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < a.n; i += step) {{
{_indent(loop, 8)}
    }}
    if (err) atomicOr((int *)a.err, err);
}}"""
    return _named(ctx, text, random_layout(count))


def _batch(op: RandomVariable, size: Any, shapes: Sequence[tuple[int, ...]]) -> tuple[int, ...] | None:
    """The draws' shape (the size, else the parameters' broadcast shape), or None where ``perform`` must raise
    NumPy's error (a negative size, parameters that do not broadcast to it)."""
    try:
        batch = tuple(int(s) for s in np.asarray(size)) if op.has_size else np.broadcast_shapes(*shapes)
        if any(s < 0 for s in batch) or np.broadcast_shapes(batch, *shapes) != batch:
            return None
    except ValueError:
        return None
    return batch


def run_random(plan: KernelPlan, values: Sequence[Any], ctx: LaunchContext) -> list[DeviceArray] | None:
    """``values``: the state and the parameters on the device, the size on the host. Returns the next state and
    the draws, or None (run ``perform``) for a state that is not 3 words or an invalid size."""
    node = plan.node
    op = node.op
    assert isinstance(op, RandomVariable)
    state, size, *params = values
    batch = _batch(op, size, [p.shape for p in params])
    if batch is None or state.shape != (3,):
        return None
    n = math.prod(batch)
    merged, strides = merge_dims(batch, [element_strides(p, batch) for p in params])
    (kernel,) = plan.kernels
    args = kernel.layout.pack(n=n, dim=len(merged), shape=padded([merged])[0], strides=padded(strides),
                              sstride=state.strides[0] // state.itemsize)
    draws = DeviceArray(ctx.pool, batch, np.dtype(node.outputs[1].type.dtype))
    next_state = DeviceArray(ctx.pool, (3,), np.dtype(np.uint64))
    args["ptr"] = [*(p.pointer for p in params), state.pointer, draws.pointer, next_state.pointer]
    args["err"] = ctx.err
    block = ctx.geometry.block
    # at least one block, even with no draws: thread 0 writes the next state
    ctx.launch(kernel, max(1, min(-(-n // block), ctx.geometry.max_grid)), block, args)
    return [next_state, draws]


@register_lowering(RandomVariable)
def lower_random(ctx: EmitContext, node: Apply) -> KernelPlan:
    """A draw's kernel, reading the state and the parameters on the device; Unsupported (the host) for the
    distributions without a device sampler."""
    op = node.op
    assert isinstance(op, RandomVariable)
    sampler = SAMPLERS.get(op.distribution)
    if sampler is None:
        raise Unsupported(host_reason(op.distribution))
    params = [v.type.dtype for v in node.inputs[2:]]
    kernel = random_kernel(ctx, sampler, params, op.dtype)
    return KernelPlan(node, (kernel,), (0, *range(2, len(node.inputs))), run_random)
