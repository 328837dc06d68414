"""The text of the matrix-product kernels: a tiled GEMM and a GEMV, batched, over operands of any strides.

Both compute ``out[b, i, j] = alpha * sum_k A[b, i, k] * B[b, k, j] (+ beta * C0[b, i, j])`` with every operand
addressed by element strides (0 where broadcast; negative for reversed views), so transposed, column-major and
strided views are read where they lie. The batch index is split over up to MAX_DIMS merged batch dimensions, as
the elementwise kernels split theirs.

- tiled GEMM (``gemm_kernel``): a block computes a ``bm x bn`` output tile at a time (a grid-stride loop over
  tiles and batches); its threads stage ``bk``-deep slices of A and B in shared memory (two buffers: the next
  slice is loaded from global memory into registers while the current one is multiplied), each thread
  accumulating ``tm x tn`` outputs in registers. Every loop has a constant trip count and is unrolled, so the
  accumulators stay in registers (no local memory). Loads map consecutive threads to the operand's unit-stride
  axis (k or m for A, k or n for B), so they are coalesced in either layout; out-of-range rows, columns and
  depths load zeros.
- GEMV (``gemv_kernel``): ``n == 1``. Either a block per output row (its threads fold strided runs of the row,
  then a warp and a block reduction: rows whose unit stride is along k), or a thread per output row (rows whose
  unit stride is along m, a transposed matrix: consecutive threads read consecutive elements).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..args import MAX_DIMS, ArgLayout, Field
from ..dialect import DEVICE_TYPES
from ..kernels import _indent, _offsets

#: the operands, in the order of their pointers and batch strides
OPERANDS = ("A", "B", "C0", "out")
#: the element strides of the matrices, in the order of the ``st`` field
STRIDES = ("sam", "sak", "sbk", "sbn", "scm", "scn", "som", "son")
#: bits of ``flags``: C0 is read (beta is not 0); the GEMV gives each thread an output row
READ_C, BY_THREAD = 1, 2


def product_layout() -> ArgLayout:
    """Sizes ``m``, ``n``, ``k`` and ``batch``; the batch dimensions (``bdim``, ``bshape``) and each operand's
    strides over them (``bstrides``); the matrices' element strides (``st``, in ``STRIDES`` order); ``alpha`` and
    ``beta`` (a float64's bits); ``flags``; pointers to A, B, C0 and the output; the error flag."""
    return ArgLayout((Field("m"), Field("n"), Field("k"), Field("batch"), Field("bdim"), Field("bshape", (MAX_DIMS,)),
                      Field("bstrides", (len(OPERANDS), MAX_DIMS)), Field("st", (len(STRIDES),)), Field("alpha"),
                      Field("beta"), Field("flags"), Field("ptr", (len(OPERANDS),), True),
                      Field("err", pointer=True)))


@dataclass(frozen=True)
class Tile:
    """A GEMM block's work: a ``bm x bn`` output tile, ``bk`` deep slices, ``tm x tn`` outputs per thread (in
    groups of ``vec`` consecutive rows and columns, the groups ``bm / (tm / vec)`` apart, so a warp's reads of
    shared memory spread over the banks); ``min_blocks``: blocks an SM should hold at once (``__launch_bounds__``:
    the registers per thread the compiler may use)."""

    bm: int
    bn: int
    bk: int
    tm: int
    tn: int
    vec: int
    min_blocks: int = 1

    @property
    def threads(self) -> int:
        """Threads per block: one per ``tm x tn`` outputs of the tile."""
        return (self.bm // self.tm) * (self.bn // self.tn)

    def check(self) -> None:
        """ValueError unless the tile divides evenly among its threads."""
        t = self.threads
        if (self.tm % self.vec or self.tn % self.vec or self.bm % self.tm or self.bn % self.tn or t % 32
                or (self.bm * self.bk) % t or (self.bn * self.bk) % t or t > 1024):
            raise ValueError(f"{self} does not divide among {t} threads")


#: float32: 128 x 128 tiles, 8 x 8 outputs per thread, 256 threads (the register blocking of fast SGEMMs)
TILE_FLOAT32 = Tile(bm=128, bn=128, bk=8, tm=8, tn=8, vec=4)
#: float64: 64 x 64 tiles, 4 x 4 outputs per thread, 256 threads, 16 deep, two blocks an SM (128 registers, which
#: ptxas meets without spilling; float32's 8 x 8 outputs need more)
TILE_FLOAT64 = Tile(bm=64, bn=64, bk=16, tm=4, tn=4, vec=2, min_blocks=2)


def tile_for(compute: str) -> Tile:
    """The tile a product computing in ``compute`` uses."""
    return TILE_FLOAT32 if compute == "float32" else TILE_FLOAT64


def _prologue(types: tuple[str, str, str], compute: str) -> list[str]:
    """Pointers, the scalars, and the compute type ``T``."""
    ta, tb, to = (DEVICE_TYPES[d] for d in types)
    t = DEVICE_TYPES[compute]
    return [f"typedef {t} T;",
            f"const {ta} *__restrict__ pa = (const {ta} *)a.ptr[0];",
            f"const {tb} *__restrict__ pb = (const {tb} *)a.ptr[1];",
            f"const {to} *__restrict__ pc = (const {to} *)a.ptr[2];",
            f"{to} *__restrict__ po = ({to} *)a.ptr[3];",
            "union { int64_t i; double d; } alpha_bits, beta_bits;",
            "alpha_bits.i = a.alpha;",
            "beta_bits.i = a.beta;",
            "const T alpha = (T)alpha_bits.d, beta = (T)beta_bits.d;",
            f"const bool read_c = (a.flags & {READ_C}) != 0;",
            *(f"const int64_t {name} = a.st[{k}];" for k, name in enumerate(STRIDES))]


def _store(row: str, col: str, acc: str, out: str) -> list[str]:
    return [f"T v = alpha * {acc};",
            f"if (read_c) v += beta * (T)pc[oc + {row} * scm + {col} * scn];",
            f"po[oo + {row} * som + {col} * son] = ({out})v;"]


def gemm_kernel(types: tuple[str, str, str], compute: str, tile: Tile) -> str:
    """The tiled GEMM's text (its struct name ``NAME_args``) for A, B and output dtypes ``types``."""
    tile.check()
    bm, bn, bk, tm, tn, vec = tile.bm, tile.bn, tile.bk, tile.tm, tile.tn, tile.vec
    threads, cols = tile.threads, bn // tn
    la, lb = bm * bk // threads, bn * bk // threads
    pad = vec  # keeps rows 16-byte aligned and the k-major stores of shared memory off one bank
    row_group, col_group = bm // (tm // vec), bn // (tn // vec)
    to = DEVICE_TYPES[types[2]]
    slots = [*(f"a_kk[{r}] = a_kfast ? {e} % {bk} : {e} / {bm}; a_mm[{r}] = a_kfast ? {e} / {bk} : {e} % {bm};"
               for r, e in ((r, f"(tid + {r * threads})") for r in range(la))),
             *(f"b_kk[{r}] = b_nfast ? {e} / {bn} : {e} % {bk}; b_nn[{r}] = b_nfast ? {e} % {bn} : {e} / {bk};"
               for r, e in ((r, f"(tid + {r * threads})") for r in range(lb)))]
    at = [*(f"a_ok[{r}] = m0 + a_mm[{r}] < a.m; a_at[{r}] = A + (m0 + a_mm[{r}]) * sam + a_kk[{r}] * sak;"
            for r in range(la)),
          *(f"b_ok[{r}] = n0 + b_nn[{r}] < a.n; b_at[{r}] = B + (n0 + b_nn[{r}]) * sbn + b_kk[{r}] * sbk;"
            for r in range(lb))]
    loads = ["const int64_t ka = kn * sak, kb = kn * sbk;",
             *(f"ra[{r}] = (a_ok[{r}] && K_IN(kn + a_kk[{r}])) ? (T)a_at[{r}][ka] : (T)0;" for r in range(la)),
             *(f"rb[{r}] = (b_ok[{r}] && K_IN(kn + b_kk[{r}])) ? (T)b_at[{r}][kb] : (T)0;" for r in range(lb))]
    stores = [*(f"As[buf][a_kk[{r}]][a_mm[{r}]] = ra[{r}];" for r in range(la)),
              *(f"Bs[buf][b_kk[{r}]][b_nn[{r}]] = rb[{r}];" for r in range(lb))]
    multiply = [f"for (int kk = 0; kk < {bk}; ++kk) {{",
                f"    T fa[{tm}], fb[{tn}];",
                "    #pragma unroll",
                f"    for (int i = 0; i < {tm}; ++i) fa[i] = As[buf][kk][(i / {vec}) * {row_group} + ty * {vec} + "
                f"i % {vec}];",
                "    #pragma unroll",
                f"    for (int j = 0; j < {tn}; ++j) fb[j] = Bs[buf][kk][(j / {vec}) * {col_group} + tx * {vec} + "
                f"j % {vec}];",
                "    #pragma unroll",
                f"    for (int i = 0; i < {tm}; ++i)",
                "        #pragma unroll",
                f"        for (int j = 0; j < {tn}; ++j) acc[i][j] = FMA(fa[i], fb[j], acc[i][j]);",
                "}"]
    epilogue = ["#pragma unroll",
                f"for (int i = 0; i < {tm}; ++i) {{",
                f"    const int64_t row = m0 + (i / {vec}) * {row_group} + ty * {vec} + i % {vec};",
                "    #pragma unroll",
                f"    for (int j = 0; j < {tn}; ++j) {{",
                f"        const int64_t col = n0 + (j / {vec}) * {col_group} + tx * {vec} + j % {vec};",
                "        if (row < a.m && col < a.n) {",
                *("            " + line for line in _store("row", "col", "acc[i][j]", to)),
                "        }",
                "    }",
                "}"]
    fma = "fmaf" if compute == "float32" else "fma"
    return f"""#define K_IN(kg) ((kg) < a.k)
#define FMA {fma}
extern "C" __global__ void __launch_bounds__({threads}, {tile.min_blocks}) NAME(const NAME_args a) {{
{_indent(_prologue(types, compute), 4)}
    __shared__ __align__(16) T As[2][{bk}][{bm + pad}];
    __shared__ __align__(16) T Bs[2][{bk}][{bn + pad}];
    const int tid = threadIdx.x, tx = tid % {cols}, ty = tid / {cols};
    const bool a_kfast = sak == 1 && sam != 1, b_nfast = sbn == 1;
    const int64_t tiles_m = (a.m + {bm - 1}) / {bm}, tiles_n = (a.n + {bn - 1}) / {bn};
    const int64_t per_batch = tiles_m * tiles_n, tiles = per_batch * a.batch;
    int a_kk[{la}], a_mm[{la}], b_kk[{lb}], b_nn[{lb}];  // where this thread's loads go in the tiles
{_indent(slots, 4)}
    for (int64_t t = blockIdx.x; t < tiles; t += gridDim.x) {{
        const int64_t bt = t / per_batch, within = t % per_batch;
        const int64_t m0 = within / tiles_n * {bm}, n0 = within % tiles_n * {bn};
{_indent(_offsets("bt", len(OPERANDS), "o", "b"), 8)}
        const int64_t oc = o2, oo = o3;
        const auto *A = pa + o0;
        const auto *B = pb + o1;
        T acc[{tm}][{tn}];
        #pragma unroll
        for (int i = 0; i < {tm}; ++i)
            #pragma unroll
            for (int j = 0; j < {tn}; ++j) acc[i][j] = (T)0;
        const {DEVICE_TYPES[types[0]]} *a_at[{la}];
        const {DEVICE_TYPES[types[1]]} *b_at[{lb}];
        bool a_ok[{la}], b_ok[{lb}];
{_indent(at, 8)}
        T ra[{la}], rb[{lb}];
        int buf = 0;
        {{
            const int64_t kn = 0;
{_indent(loads + stores, 12)}
        }}
        __syncthreads();
        for (int64_t k0 = 0; k0 < a.k; k0 += {bk}) {{
            const int64_t kn = k0 + {bk};
            const bool more = kn < a.k;
            if (more) {{
{_indent(loads, 16)}
            }}
            #pragma unroll
{_indent(multiply, 12)}
            if (more) {{
                buf ^= 1;
{_indent(stores, 16)}
            }}
            __syncthreads();
        }}
{_indent(epilogue, 8)}
    }}
}}
#undef FMA
#undef K_IN"""


def gemv_kernel(types: tuple[str, str, str], compute: str) -> str:
    """The GEMV's text (``n == 1``; any block of whole warps, at most 1024 threads)."""
    to = DEVICE_TYPES[types[2]]
    fma = "fmaf" if compute == "float32" else "fma"
    row = ["const int64_t bt = r / a.m, m = r % a.m;",
           *_offsets("bt", len(OPERANDS), "o", "b"),
           "const int64_t oc = o2, oo = o3;",
           "const auto *A = pa + o0 + m * sam;",
           "const auto *B = pb + o1;"]
    return f"""extern "C" __global__ void NAME(const NAME_args a) {{
{_indent(_prologue(types, compute), 4)}
    __shared__ T partial[32];
    (void)sbn;  // B is a column: its one column's stride is not used
    const int64_t rows = a.m * a.batch;
    const unsigned lane = threadIdx.x & 31u, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    if (a.flags & {BY_THREAD}) {{
        const int64_t step = (int64_t)blockDim.x * gridDim.x;
        for (int64_t r = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; r < rows; r += step) {{
{_indent(row, 12)}
            T acc = (T)0;
            for (int64_t k = 0; k < a.k; ++k) acc = {fma}((T)A[k * sak], (T)B[k * sbk], acc);
{_indent(_store("m", "0", "acc", to), 12)}
        }}
        return;
    }}
    for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {{
{_indent(row, 8)}
        T acc = (T)0;
        for (int64_t k = threadIdx.x; k < a.k; k += blockDim.x) acc = {fma}((T)A[k * sak], (T)B[k * sbk], acc);
        for (int off = 16; off > 0; off >>= 1) acc += (T)__shfl_down_sync(0xffffffffu, acc, off);
        if (lane == 0) partial[warp] = acc;
        __syncthreads();
        if (warp == 0) {{
            acc = lane < warps ? partial[lane] : (T)0;
            for (int off = 16; off > 0; off >>= 1) acc += (T)__shfl_down_sync(0xffffffffu, acc, off);
            if (lane == 0) {{
{_indent(_store("m", "0", "acc", to), 16)}
            }}
        }}
        __syncthreads();
    }}
}}"""
