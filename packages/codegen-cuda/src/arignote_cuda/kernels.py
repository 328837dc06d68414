"""CUDA kernels around codegen-c's scalar expressions: elementwise (grid-stride) and reductions (block and warp).

A kernel takes one argument, a struct (``args.py``) of sizes, per-operand strides in elements (0 where an input
is broadcast) and pointers, and raises codegen-c's error codes through ``atomicOr`` on ``err``.

- elementwise: each thread takes flat indices ``i`` in a grid-stride loop and splits ``i`` over the merged
  dimensions into each operand's offset (one multiply per operand when there is one dimension); where every
  operand is contiguous (or broadcast) and aligned, it first takes vectors of 16 bytes of the widest operand,
  read and written as CUDA's vector types (``float4``...), the scalar loop doing the tail;
- reduction: each block takes outputs in a grid-stride loop; its threads fold strided runs of the output's
  elements, then the warps combine through ``__shfl_down_sync`` and the warps' partial results through shared
  memory, and thread 0 writes the output. Blocks are a whole number of warps (at most 32 of them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from arignote_c.emit.context import EmitContext, Unsupported, Value
from arignote_c.emit.kernels import Body, Operand, Reduction, Statements, check_statements, named_kernel

from .args import MAX_DIMS, ArgLayout, elemwise_layout, reduce_layout
from .dialect import CUDA_DIALECT


@dataclass(frozen=True)
class DeviceKernel:
    """A ``__global__`` function: its name (a hash of its text), its text, its argument struct and the helper
    functions it calls (codegen-c's, by name: a module defines each once)."""

    name: str
    text: str
    layout: ArgLayout
    helpers: Mapping[str, str]


def _named(ctx: EmitContext, text: str, layout: ArgLayout) -> DeviceKernel:
    source = named_kernel(layout.c_struct("NAME_args") + "\n" + text, "", prefix="agcu")
    return DeviceKernel(source.name, source.text, layout, dict(ctx.helpers))


def module_context(kernels: Sequence[DeviceKernel]) -> EmitContext:
    """An emitting context holding the helpers of ``kernels``: its ``prelude()`` defines them, once each."""
    ctx = EmitContext(CUDA_DIALECT)
    for kernel in kernels:
        ctx.helpers.update(kernel.helpers)
    return ctx


def _pointers(ctx: EmitContext, operands: Sequence[Operand], outputs: Sequence[str]) -> list[str]:
    r = ctx.dialect.restrict
    lines = [f"const {ctx.storage(op.dtype)} *{r} p{k} = (const {ctx.storage(op.dtype)} *)a.ptr[{k}];"
             for k, op in enumerate(operands)]
    base = len(operands)
    return lines + [f"{ctx.storage(d)} *{r} q{j} = ({ctx.storage(d)} *)a.ptr[{base + j}];"
                    for j, d in enumerate(outputs)]


def _offsets(index: str, count: int, out: str, dims: str, start: str | None = None) -> list[str]:
    """Statements declaring ``{out}0..`` as the operands' offsets of flat ``index`` over the dimensions named
    ``dims`` (``a.{dims}dim``, ``a.{dims}shape``, ``a.{dims}strides``), plus ``{start}k`` when given: one multiply
    per operand over one dimension, else a division per dimension (unrolled, so no local memory)."""
    names = [f"{out}{k}" for k in range(count)]
    if not names:
        return []
    base = [f"{start}{k}" if start else "0" for k in range(count)]
    ndim, shape, strides = f"a.{dims}dim", f"a.{dims}shape", f"a.{dims}strides"
    pairs = enumerate(zip(names, base, strict=True))
    one = " ".join(f"{o} = {b} + {index} * {strides}[{k}][0];" for k, (o, b) in pairs)
    return [f"int64_t {', '.join(names)};",
            f"if ({ndim} == 1) {{ {one} }}",
            "else {",
            "    " + " ".join(f"{o} = {b};" for o, b in zip(names, base, strict=True)),
            f"    int64_t r = {index};",
            "    #pragma unroll",
            f"    for (int d = {MAX_DIMS - 1}; d >= 0; --d) {{",
            f"        if (d < {ndim}) {{",
            f"            const int64_t c = r % {shape}[d];",
            f"            r /= {shape}[d];",
            *(f"            {o} += c * {strides}[{k}][d];" for k, o in enumerate(names)),
            "        }",
            "    }",
            "}"]


def _loads(ctx: EmitContext, operands: Sequence[Operand]) -> list[str]:
    return [f"const {ctx.ctype(op.dtype)} x{k} = {ctx.load(f'p{k}[o{k}]', op.dtype)};"
            for k, op in enumerate(operands)]


def _body(ctx: EmitContext, operands: Sequence[Operand], body: Body) -> tuple[Statements, list[Value]]:
    ctx.checks = []
    block = Statements(ctx)
    values = body([Value(f"x{k}", op.dtype, op.spec) for k, op in enumerate(operands)], block.assign)
    return block, values


def _indent(lines: Sequence[str], spaces: int) -> str:
    return "\n".join(" " * spaces + line for line in lines if line)


#: the bytes each thread reads of the widest operand per iteration of the vector path
VECTOR_BYTES = 16
#: CUDA's vector types by element dtype and bytes per vector; other dtypes (1 and 2 bytes wide) are packed in
#: the 32-bit words of ``uint4`` or ``uint2``
_TYPED_VECTORS = {("float32", 16): "float4", ("float32", 8): "float2", ("float64", 16): "double2",
                  ("int32", 16): "int4", ("int32", 8): "int2", ("uint32", 16): "uint4", ("uint32", 8): "uint2",
                  ("int64", 16): "longlong2", ("uint64", 16): "ulonglong2"}
_PACKED = {16: "uint4", 8: "uint2"}


def vector_width(dtypes: Sequence[str]) -> int:
    """Elements per thread per iteration of the vector path: 16 bytes of the widest of ``dtypes``."""
    return VECTOR_BYTES // max(np.dtype(d).itemsize for d in dtypes)


def _vector_type(dtype: str, vec: int) -> str | None:
    """The CUDA type ``vec`` elements of ``dtype`` are read and written as (packed in its 32-bit words where
    CUDA has no vector of ``dtype``); None where their bytes are not 16 or 8 (scalar accesses)."""
    nbytes = vec * np.dtype(dtype).itemsize
    if nbytes not in _PACKED:
        return None
    return _TYPED_VECTORS.get((dtype, nbytes), _PACKED[nbytes])


def _vector_load(ctx: EmitContext, k: int, dtype: str, vec: int) -> list[str]:
    """Declare ``e{k}[]`` as operand ``k``'s elements of vector ``v``: one vector load where its bytes allow,
    else scalar loads; a broadcast operand (stride 0) is read once."""
    t, found = ctx.storage(dtype), _vector_type(dtype, vec)
    read = (f"for (int m = 0; m < {vec}; ++m) e{k}[m] = p{k}[v * {vec} + m];" if found is None else
            f"const {found} w = ((const {found} *)p{k})[v]; memcpy(e{k}, &w, sizeof w);")
    return [f"{t} e{k}[{vec}];",
            f"if (a.strides[{k}][0] == 0) {{ const {t} s = p{k}[0]; for (int m = 0; m < {vec}; ++m) e{k}[m] = s; }}",
            f"else {{ {read} }}"]


def _vector_store(j: int, dtype: str, vec: int) -> str:
    """Output ``j``'s elements ``r{j}[]`` of vector ``v`` written (one vector store where its bytes allow)."""
    found = _vector_type(dtype, vec)
    if found is None:
        return f"for (int m = 0; m < {vec}; ++m) q{j}[v * {vec} + m] = r{j}[m];"
    return f"{{ {found} w; memcpy(&w, r{j}, sizeof w); (({found} *)q{j})[v] = w; }}"


def elemwise_kernel(ctx: EmitContext, operands: Sequence[Operand], out_dtypes: Sequence[str],
                    body: Body) -> DeviceKernel:
    """``outputs = body(inputs)`` for each element, over broadcast and strided operands.

    The body is a device function of one element (``NAME_elem``), called by two loops: where the runner sets
    ``a.vec`` (every operand contiguous over one merged dimension or broadcast, pointers 16-byte aligned), each
    thread first takes vectors of ``vector_width`` elements, read and written as CUDA vector types; then, and
    otherwise from the start, single elements at any strides (the tail of fewer than a vector)."""
    block, values = _body(ctx, operands, body)
    if len(values) != len(out_dtypes):
        raise Unsupported("kernel body gave the wrong number of outputs")
    n_in, count = len(operands), len(operands) + len(out_dtypes)
    vec = vector_width([*(op.dtype for op in operands), *out_dtypes])
    params = [*(f"const {ctx.ctype(op.dtype)} x{k}" for k, op in enumerate(operands)),
              *(f"{ctx.storage(d)} &y{j}" for j, d in enumerate(out_dtypes)), "int &err"]
    results = [f"y{j} = {ctx.store(ctx.convert(v.expr, v.dtype, d), d)};"
               for j, (v, d) in enumerate(zip(values, out_dtypes, strict=True))]

    def call(inputs: Sequence[str], outputs: Sequence[str]) -> str:
        loaded = [ctx.load(x, op.dtype) for x, op in zip(inputs, operands, strict=True)]
        return f"NAME_elem({', '.join([*loaded, *outputs, 'err'])});"

    vector = [*(line for k, op in enumerate(operands) for line in _vector_load(ctx, k, op.dtype, vec)),
              *(f"{ctx.storage(d)} r{j}[{vec}];" for j, d in enumerate(out_dtypes)),
              "#pragma unroll",
              f"for (int m = 0; m < {vec}; ++m) "
              + call([f"e{k}[m]" for k in range(n_in)], [f"r{j}[m]" for j in range(len(out_dtypes))]),
              *(_vector_store(j, d, vec) for j, d in enumerate(out_dtypes))]
    scalar = [*_offsets("i", count, "o", ""),
              *(f"{ctx.storage(d)} y{j};" for j, d in enumerate(out_dtypes)),
              call([f"p{k}[o{k}]" for k in range(n_in)], [f"y{j}" for j in range(len(out_dtypes))]),
              *(f"q{j}[o{n_in + j}] = y{j};" for j in range(len(out_dtypes)))]
    text = f"""__device__ __forceinline__ static void NAME_elem({', '.join(params)}) {{
{_indent([*block.lines, *check_statements(ctx), *results], 4)}
}}

extern "C" __global__ void NAME(const NAME_args a) {{
{_indent(_pointers(ctx, operands, out_dtypes), 4)}
    int err = 0;
    const int64_t step = (int64_t)blockDim.x * gridDim.x, first = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    int64_t start = 0;
    if (a.vec) {{
        const int64_t nv = a.n / {vec};
        for (int64_t v = first; v < nv; v += step) {{
{_indent(vector, 12)}
        }}
        start = nv * {vec};
    }}
    for (int64_t i = start + first; i < a.n; i += step) {{
{_indent(scalar, 8)}
    }}
    if (err) atomicOr((int *)a.err, err);
}}"""
    return _named(ctx, text, elemwise_layout(count))


def _shuffle_type(ctx: EmitContext, dtype: str) -> str:
    """The type a value crosses ``__shfl_down_sync`` in: its own, or int for types narrower than 32 bits."""
    return ctx.ctype(dtype) if np.dtype(dtype).itemsize >= 4 else "int32_t"


def reduce_kernel(ctx: EmitContext, operands: Sequence[Operand], red: Reduction, body: Body,
                  initial: float | None = None) -> DeviceKernel:
    """``red`` folding ``body(inputs)`` over the reduced dimensions, one output per block at a time; the result
    is combined with ``initial`` when given."""
    block, (value,) = _body(ctx, operands, body)
    dtype, n_in = red.dtype, len(operands)
    ct, st = ctx.ctype(dtype), _shuffle_type(ctx, dtype)
    ident = ctx.literal(red.identity(), dtype)
    result = "acc" if initial is None else red.combine(ctx.literal(initial, dtype), "acc")
    fold = [*_offsets("j", n_in, "o", "r", start="b"), *_loads(ctx, operands), *block.lines,
            *check_statements(ctx), f"const {ct} v = {ctx.convert(value.expr, value.dtype, dtype)};",
            f"acc = {red.combine('acc', 'v')};"]
    warp = (f"for (int off = 16; off > 0; off >>= 1) {{ const {ct} other = ({ct})__shfl_down_sync(0xffffffffu, "
            f"({st})acc, off); acc = {red.combine('acc', 'other')}; }}")
    text = f"""extern "C" __global__ void NAME(const NAME_args a) {{
{_indent(_pointers(ctx, operands, [dtype]), 4)}
    __shared__ {ct} partial[32];
    int err = 0;
    const unsigned lane = threadIdx.x & 31u, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    for (int64_t o = blockIdx.x; o < a.n; o += gridDim.x) {{
{_indent(_offsets("o", n_in, "b", ""), 8)}
        {ct} acc = {ident};
        for (int64_t j = threadIdx.x; j < a.m; j += blockDim.x) {{
{_indent(fold, 12)}
        }}
        {warp}
        if (lane == 0) partial[warp] = acc;
        __syncthreads();
        if (warp == 0) {{
            acc = lane < warps ? partial[lane] : {ident};
            {warp}
            if (lane == 0) q0[o] = {ctx.store(result, dtype)};
        }}
        __syncthreads();
    }}
    if (err) atomicOr((int *)a.err, err);
}}"""
    return _named(ctx, text, reduce_layout(n_in))
