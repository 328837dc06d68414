/* Float64 products by a kernel of our own, on CPUs with AVX-512 (chosen at run time: the prebuilt runtime is
 * portable). OpenBLAS repacks both operands at every call; a loop's step multiplying by the same matrix at every
 * step (a recurrent network's h @ U) packs it once for the whole loop here (ag_pk_cache, kept by program.c), and
 * the kernel itself reaches 75 GFLOP/s where OpenBLAS's reaches 55 on the shapes of such a step (64 x 256 x 256).
 *
 * The product is blocked as BLIS blocks it: b in panels of AG_PK_NR columns and up to AG_PK_KC rows (the
 * contracted dimension split evenly; a panel stays in L1 while every row block of a uses it), a in blocks of
 * AG_PK_MC rows (in L2), both packed so that the kernel reads them contiguously, zero-padded to whole panels.
 * The kernel keeps a 6 x 32 tile of c in 24 registers over a block of the contracted dimension. Which kernel
 * computes a product depends on its sizes alone (and the CPU), never on whether b was packed before: a function
 * gives the same result on every call, in a loop or not.
 *
 * Subnormal numbers: an x86 instruction with a subnormal operand takes a microcode assist (39 ns per FMA here, 60
 * times a normal one), and a gradient decaying through a long loop is full of them (W8's small gradient: 1536 of
 * the 32000 entries of the product after its loop made it 5 times slower). A panel of b holding subnormals is
 * scaled by 2^64 as it is packed (exact: a power of two), and its tiles' alpha by 2^-64 (exact), where the sizes
 * of a and b show that the scaled sums cannot overflow: the results are the same but for the rounding of partial
 * sums below DBL_MIN, which the scaled sums do not lose (a subnormal result is rounded once). Not under
 * flush_denormals (DAZ reads subnormals as zero, and is fast). */

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <float.h>
#include <immintrin.h>
#include <math.h>

#define AG_PK_MR 6
#define AG_PK_NR 32
#define AG_PK_KC 256
#define AG_PK_MC 96  /* a multiple of AG_PK_MR */
#define AG_PK_NC 512 /* a multiple of AG_PK_NR */
#define AG_PK_TARGET __attribute__((target("avx512f,fma")))

/* Products below these sizes stay with the BLAS, whose kernels for small matrices pack nothing (measured with
 * per-call packing, benchmarks/workloads/w8_scan_rnn.py's machine: 16x128x128 took 1.2x OpenBLAS's time,
 * 32x256x64 1.16x, 64x128x128 0.71x, 256x64x256 0.73x; with n < 128 a long contraction pays: 32x1000x32 0.99x,
 * 64x1000x32 0.87x, 1000x1000x32 0.81x), and so do products whose columns pad their last panel by more than a
 * quarter. */
#define AG_PK_MIN_M 32
#define AG_PK_MIN_N 32
#define AG_PK_MIN_K 32
#define AG_PK_WIDE_N 128 /* below it, k must be at least AG_PK_LONG_K */
#define AG_PK_LONG_K 512
#define AG_PK_MIN_MACS 1000000

/* Subnormal panels of b (see above): the factor, and the bound that the scaled sums of a tile stay under. */
#define AG_PK_UNSCALE 0x1p-64
#define AG_PK_SAFE_SUM 0x1p956 /* max|a| max|b| k: scaled by 2^64, at most 2^1020 */
#define AG_PK_MIN_ALPHA 0x1p-900 /* alpha 2^-64 stays a normal number */
#define AG_PK_MAX_SCALED 0x1p400 /* panels with larger numbers are not scaled */

static int ag_pk_cpu = -1;

/* Whether a float64 product of these sizes runs on this kernel. */
static int ag_pk_ok(int64_t m, int64_t n, int64_t k) {
    if (ag_pk_cpu < 0) {
        __builtin_cpu_init();
        ag_pk_cpu = __builtin_cpu_supports("avx512f") != 0;
    }
    const int64_t padded = (n + AG_PK_NR - 1) / AG_PK_NR * AG_PK_NR;
    return ag_pk_cpu && m >= AG_PK_MIN_M && n >= AG_PK_MIN_N && k >= AG_PK_MIN_K &&
           (n >= AG_PK_WIDE_N || k >= AG_PK_LONG_K) && padded * 4 <= n * 5 &&
           (double)m * (double)n * (double)k >= AG_PK_MIN_MACS;
}

static int64_t ag_pk_padded(int64_t n) { return (n + AG_PK_NR - 1) / AG_PK_NR * AG_PK_NR; }

static int64_t ag_pk_panels(int64_t n) { return ag_pk_padded(n) / AG_PK_NR; }

static int64_t ag_pk_blocks(int64_t k) { return (k + AG_PK_KC - 1) / AG_PK_KC; }

/* The rows of the contracted dimension per block: k split evenly into ag_pk_blocks(k) blocks of at most
 * AG_PK_KC (784 is 4 x 196, not 3 x 256 and a block of 16 that would read and write c for little). */
static int64_t ag_pk_block_rows(int64_t k) { return (k + ag_pk_blocks(k) - 1) / ag_pk_blocks(k); }

/* The doubles a packed k x n operand takes: its panels, then two per panel (its factor, its largest magnitude:
 * ag_pk_pack_all). */
static int64_t ag_pk_packed_size(int64_t k, int64_t n) {
    return k * ag_pk_padded(n) + 2 * ag_pk_blocks(k) * ag_pk_panels(n);
}

/* Whether this thread reads subnormal operands as zero (DAZ: flush_denormals): then nothing is scaled. */
static int ag_pk_daz(void) { return (_mm_getcsr() & 0x40) != 0; }

/* The scan and the scaling read the numbers' bits with integer instructions: a floating-point instruction with a
 * subnormal operand is what takes the assist. */
#define AG_PK_MAGNITUDE 0x7fffffffffffffffLL
#define AG_PK_SMALLEST_NORMAL 0x0010000000000000LL /* DBL_MIN's bits */
#define AG_PK_INFINITY 0x7ff0000000000000LL

static double ag_pk_double(long long bits) {
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

/* Whether the n doubles at p (a packed panel: aligned, a whole number of vectors) hold a subnormal number;
 * *largest := their largest magnitude (NaN where one is NaN). */
AG_PK_TARGET static int ag_pk_scan_panel(const double *p, int64_t n, double *largest) {
    const __m512i magnitude = _mm512_set1_epi64(AG_PK_MAGNITUDE), normal = _mm512_set1_epi64(AG_PK_SMALLEST_NORMAL);
    __m512i top = _mm512_setzero_si512();
    __mmask8 sub = 0;
    for (int64_t i = 0; i < n; i += 8) {
        __m512i bits = _mm512_and_si512(_mm512_load_si512((const void *)(p + i)), magnitude);
        sub |= _mm512_test_epi64_mask(bits, bits) & _mm512_cmplt_epu64_mask(bits, normal);
        top = _mm512_max_epu64(top, bits);
    }
    long long most = (long long)_mm512_reduce_max_epu64(top);
    _mm256_zeroupper();
    *largest = most > AG_PK_INFINITY ? NAN : ag_pk_double(most);
    return sub != 0;
}

/* The largest magnitude's bits of the n doubles at p. */
AG_PK_TARGET static long long ag_pk_largest_run(const double *p, int64_t n) {
    const __m512i magnitude = _mm512_set1_epi64(AG_PK_MAGNITUDE);
    __m512i top = _mm512_setzero_si512();
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        top = _mm512_max_epu64(top, _mm512_and_si512(_mm512_loadu_si512((const void *)(p + i)), magnitude));
    long long most = (long long)_mm512_reduce_max_epu64(top);
    _mm256_zeroupper();
    for (; i < n; ++i) {
        long long bits;
        memcpy(&bits, p + i, sizeof bits);
        bits &= AG_PK_MAGNITUDE;
        if (bits > most) most = bits;
    }
    return most;
}

/* The largest magnitude of a (rows x cols, strides in elements), compared as bits; NaN where one is NaN. */
static double ag_pk_largest(const double *a, int64_t rows, int64_t cols, int64_t rs, int64_t cs) {
    long long top = 0;
    if ((cs == 1 && rs == cols) || (rs == 1 && cs == rows)) { /* contiguous in one order or the other */
        top = ag_pk_largest_run(a, rows * cols);
    } else {
        for (int64_t i = 0; i < rows; ++i) {
            long long row = cs == 1 ? ag_pk_largest_run(a + i * rs, cols) : 0;
            for (int64_t j = 0; cs != 1 && j < cols; ++j) {
                long long bits;
                memcpy(&bits, a + i * rs + j * cs, sizeof bits);
                bits &= AG_PK_MAGNITUDE;
                if (bits > row) row = bits;
            }
            if (row > top) top = row;
        }
    }
    return top > AG_PK_INFINITY ? NAN : ag_pk_double(top);
}

/* Whether a panel holding subnormals, of largest magnitude ``largest``, is scaled as it is packed for a loop,
 * whatever a will be (false for NaN and infinities). */
static int ag_pk_may_scale(double largest) { return largest < AG_PK_MAX_SCALED; }

/* Whether such a panel of kc rows is scaled for a of largest magnitude ``a_largest``: in a loop and out of one
 * alike, so that both compute the same. */
static int ag_pk_scalable(double largest, double a_largest, int64_t kc, double alpha) {
    return ag_pk_may_scale(largest) && a_largest * largest * (double)kc < AG_PK_SAFE_SUM &&
           fabs(alpha) >= AG_PK_MIN_ALPHA;
}

/* The n doubles at p (as ag_pk_scan_panel's) times 2^64, exactly: a normal number's exponent raised by 64 (the
 * caller knows none overflows), a subnormal one rebuilt from its integer significand m as m 2^-1010, m made
 * exactly as (2^52 + m) - 2^52 from normal numbers. */
AG_PK_TARGET static void ag_pk_scale(double *p, int64_t n) {
    const __m512i magnitude = _mm512_set1_epi64(AG_PK_MAGNITUDE), normal = _mm512_set1_epi64(AG_PK_SMALLEST_NORMAL),
                  raise = _mm512_set1_epi64(64LL << 52), two52_bits = _mm512_set1_epi64(0x4330000000000000LL);
    const __m512d two52 = _mm512_set1_pd(0x1p52), down = _mm512_set1_pd(0x1p-1010);
    for (int64_t i = 0; i < n; i += 8) {
        __m512i bits = _mm512_load_si512((const void *)(p + i)), abs = _mm512_and_si512(bits, magnitude);
        __m512i sign = _mm512_andnot_si512(magnitude, bits);
        __mmask8 nonzero = _mm512_test_epi64_mask(abs, abs), small = _mm512_cmplt_epu64_mask(abs, normal);
        __m512d m = _mm512_sub_pd(_mm512_castsi512_pd(_mm512_or_si512(two52_bits, abs)), two52);
        __m512i rebuilt = _mm512_or_si512(_mm512_castpd_si512(_mm512_mul_pd(m, down)), sign);
        __m512i raised = _mm512_mask_add_epi64(bits, nonzero & (__mmask8)~small, bits, raise);
        _mm512_store_si512((void *)(p + i), _mm512_mask_mov_epi64(raised, nonzero & small, rebuilt));
    }
    _mm256_zeroupper();
}

/* b (k x n, strides in elements) packed for the kernel: panels of AG_PK_NR columns, each kc x AG_PK_NR row by
 * row, zero-padded on the right; the panels of one block of kc rows follow each other. */
static void ag_pk_pack_b(const double *b, int64_t k, int64_t n, int64_t rs, int64_t cs, double *out) {
    for (int64_t p = 0; p < n; p += AG_PK_NR) {
        int64_t w = n - p < AG_PK_NR ? n - p : AG_PK_NR;
        double *dst = out + p * k;
        for (int64_t r = 0; r < k; ++r, dst += AG_PK_NR) {
            const double *src = b + r * rs + p * cs;
            int64_t j = 0;
            if (cs == 1) {
                memcpy(dst, src, (size_t)w * sizeof(double));
                j = w;
            }
            for (; j < w; ++j) dst[j] = src[j * cs];
            for (; j < AG_PK_NR; ++j) dst[j] = 0.0;
        }
    }
}

/* All of b packed: its blocks of ag_pk_block_rows(k) rows one after the other, as ag_pk_gemm reads them, then for each
 * panel of each block its factor (AG_PK_UNSCALE where it holds subnormals and ag_pk_may_scale, scaled, else 1;
 * ag_pk_gemm checks a's sizes at each use) and its largest magnitude. */
static void ag_pk_pack_all(const double *b, int64_t k, int64_t n, int64_t rs, int64_t cs, double *out) {
    const int64_t padded = ag_pk_padded(n), panels = ag_pk_panels(n);
    double *info = out + k * padded;
    const int scaling = !ag_pk_daz();
    const int64_t rows = ag_pk_block_rows(k);
    for (int64_t k0 = 0; k0 < k; k0 += rows) {
        const int64_t kc = k - k0 < rows ? k - k0 : rows;
        double *block = out + k0 * padded;
        ag_pk_pack_b(b + k0 * rs, kc, n, rs, cs, block);
        for (int64_t p = 0; p < panels; ++p, info += 2) {
            int sub = ag_pk_scan_panel(block + p * kc * AG_PK_NR, kc * AG_PK_NR, &info[1]);
            info[0] = 1.0;
            if (scaling && sub && ag_pk_may_scale(info[1])) {
                ag_pk_scale(block + p * kc * AG_PK_NR, kc * AG_PK_NR);
                info[0] = AG_PK_UNSCALE;
            }
        }
    }
}

/* a (rows x k) packed in panels of AG_PK_MR rows, column by column, zero-padded below. */
static void ag_pk_pack_a(const double *a, int64_t rows, int64_t k, int64_t rs, int64_t cs, double *out) {
    for (int64_t i = 0; i < rows; i += AG_PK_MR) {
        int64_t h = rows - i < AG_PK_MR ? rows - i : AG_PK_MR;
        double *dst = out + i * k;
        if (h == AG_PK_MR && cs == 1) { /* rows of a C-ordered a: six streams, no index arithmetic */
            const double *r0 = a + i * rs, *r1 = r0 + rs, *r2 = r1 + rs, *r3 = r2 + rs, *r4 = r3 + rs, *r5 = r4 + rs;
            for (int64_t p = 0; p < k; ++p, dst += AG_PK_MR) {
                dst[0] = r0[p];
                dst[1] = r1[p];
                dst[2] = r2[p];
                dst[3] = r3[p];
                dst[4] = r4[p];
                dst[5] = r5[p];
            }
            continue;
        }
        for (int64_t p = 0; p < k; ++p, dst += AG_PK_MR) {
            int64_t r = 0;
            for (; r < h; ++r) dst[r] = a[(i + r) * rs + p * cs];
            for (; r < AG_PK_MR; ++r) dst[r] = 0.0;
        }
    }
}

/* c tile (h <= MR rows, w <= NR columns, row stride ldc) = alpha (a panel) (b panel) + beta c, c not read when
 * beta is 0. */
AG_PK_TARGET static void ag_pk_kernel(int64_t k, const double *ap, const double *bp, double *c, int64_t ldc,
                                      int64_t h, int64_t w, double alpha, double beta) {
    __m512d c00 = _mm512_setzero_pd(), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00,
            c20 = c00, c21 = c00, c22 = c00, c23 = c00, c30 = c00, c31 = c00, c32 = c00, c33 = c00, c40 = c00,
            c41 = c00, c42 = c00, c43 = c00, c50 = c00, c51 = c00, c52 = c00, c53 = c00;
    for (int64_t p = 0; p < k; ++p, ap += AG_PK_MR, bp += AG_PK_NR) {
        __m512d b0 = _mm512_load_pd(bp), b1 = _mm512_load_pd(bp + 8), b2 = _mm512_load_pd(bp + 16),
                b3 = _mm512_load_pd(bp + 24), x;
#define AG_PK_ROW(r)                                                                                                \
        x = _mm512_set1_pd(ap[r]);                                                                                  \
        c##r##0 = _mm512_fmadd_pd(x, b0, c##r##0);                                                                  \
        c##r##1 = _mm512_fmadd_pd(x, b1, c##r##1);                                                                  \
        c##r##2 = _mm512_fmadd_pd(x, b2, c##r##2);                                                                  \
        c##r##3 = _mm512_fmadd_pd(x, b3, c##r##3);
        AG_PK_ROW(0) AG_PK_ROW(1) AG_PK_ROW(2) AG_PK_ROW(3) AG_PK_ROW(4) AG_PK_ROW(5)
#undef AG_PK_ROW
    }
    double tile[AG_PK_MR * AG_PK_NR] __attribute__((aligned(64)));
    const __m512d va = _mm512_set1_pd(alpha);
#define AG_PK_KEEP(r)                                                                                               \
    _mm512_store_pd(tile + r * AG_PK_NR, _mm512_mul_pd(va, c##r##0));                                               \
    _mm512_store_pd(tile + r * AG_PK_NR + 8, _mm512_mul_pd(va, c##r##1));                                           \
    _mm512_store_pd(tile + r * AG_PK_NR + 16, _mm512_mul_pd(va, c##r##2));                                          \
    _mm512_store_pd(tile + r * AG_PK_NR + 24, _mm512_mul_pd(va, c##r##3));
    AG_PK_KEEP(0) AG_PK_KEEP(1) AG_PK_KEEP(2) AG_PK_KEEP(3) AG_PK_KEEP(4) AG_PK_KEEP(5)
#undef AG_PK_KEEP
    if (w == AG_PK_NR) {
        const __m512d vb = _mm512_set1_pd(beta);
        for (int64_t r = 0; r < h; ++r) {
            double *row = c + r * ldc;
            const double *t = tile + r * AG_PK_NR;
            for (int v = 0; v < AG_PK_NR; v += 8) {
                __m512d out = _mm512_load_pd(t + v);
                if (beta != 0.0)
                    out = beta == 1.0 ? _mm512_add_pd(out, _mm512_loadu_pd(row + v))
                                      : _mm512_add_pd(out, _mm512_mul_pd(vb, _mm512_loadu_pd(row + v)));
                _mm512_storeu_pd(row + v, out);
            }
        }
    } else {
        for (int64_t r = 0; r < h; ++r)
            for (int64_t j = 0; j < w; ++j) {
                double *out = c + r * ldc + j;
                *out = beta == 0.0 ? tile[r * AG_PK_NR + j] : tile[r * AG_PK_NR + j] + beta * *out;
            }
    }
    _mm256_zeroupper(); /* the interpreter and the BLAS after this run SSE code (see EXTRA_FLAGS) */
}

/* Packing buffers, one set per thread (products run on the pool's threads too), kept and grown as needed:
 * allocating them per product cost page faults at every step of a loop. */
static __thread double *ag_pk_a_buffer, *ag_pk_b_buffer;

static double *ag_pk_aligned(double **buffer, size_t doubles) {
    if (!*buffer && posix_memalign((void **)buffer, 64, doubles * sizeof(double)) != 0) *buffer = NULL;
    return *buffer;
}

/* c (m x n, row stride ldc) = alpha a (m x k) b (k x n) + beta c (not read when beta is 0), strides in elements;
 * ``packed``: b already packed by ag_pk_pack_all, or NULL. Returns -1, having done nothing, when out of memory,
 * and -2 when ``packed`` has a scaled panel that a's sizes (or DAZ) forbid using: the caller then calls again
 * without it. */
static int ag_pk_gemm(int64_t m, int64_t n, int64_t k, const double *a, int64_t ars, int64_t acs, const double *b,
                      int64_t brs, int64_t bcs, const double *packed, double *c, int64_t ldc, double alpha,
                      double beta) {
    double *pa = ag_pk_aligned(&ag_pk_a_buffer, (size_t)AG_PK_MC * AG_PK_KC);
    double *pb = packed ? NULL : ag_pk_aligned(&ag_pk_b_buffer, (size_t)AG_PK_KC * AG_PK_NC);
    if (!pa || (!packed && !pb)) return -1;
    const int64_t padded = ag_pk_padded(n), panels = ag_pk_panels(n), rows = ag_pk_block_rows(k);
    const int scaling = !ag_pk_daz();
    double a_largest = -1.0; /* not measured yet: only a subnormal panel needs it */
    if (packed) {
        const double *info = packed + k * padded;
        for (int64_t kb = 0; kb < ag_pk_blocks(k); ++kb)
            for (int64_t p = 0; p < panels; ++p, info += 2) {
                if (info[0] == 1.0) continue;
                if (a_largest < 0) a_largest = ag_pk_largest(a, m, k, ars, acs);
                int64_t kc = k - kb * rows < rows ? k - kb * rows : rows;
                if (!scaling || !ag_pk_scalable(info[1], a_largest, kc, alpha)) return -2;
            }
    }
    double factors[AG_PK_NC / AG_PK_NR];
    for (int64_t j0 = 0; j0 < n; j0 += AG_PK_NC) {
        int64_t nc = n - j0 < AG_PK_NC ? n - j0 : AG_PK_NC;
        for (int64_t k0 = 0; k0 < k; k0 += rows) {
            int64_t kc = k - k0 < rows ? k - k0 : rows;
            const double *block = packed ? packed + k0 * padded + j0 * kc : pb;
            if (packed) {
                const double *info = packed + k * padded + 2 * ((k0 / rows) * panels + j0 / AG_PK_NR);
                for (int64_t p = 0; p * AG_PK_NR < nc; ++p) factors[p] = info[2 * p];
            } else {
                ag_pk_pack_b(b + k0 * brs + j0 * bcs, kc, nc, brs, bcs, pb);
                for (int64_t p = 0; p * AG_PK_NR < nc; ++p) {
                    double largest, *panel = pb + p * kc * AG_PK_NR;
                    factors[p] = 1.0;
                    if (!scaling || !ag_pk_scan_panel(panel, kc * AG_PK_NR, &largest)) continue;
                    if (a_largest < 0) a_largest = ag_pk_largest(a, m, k, ars, acs);
                    if (ag_pk_scalable(largest, a_largest, kc, alpha)) {
                        ag_pk_scale(panel, kc * AG_PK_NR);
                        factors[p] = AG_PK_UNSCALE;
                    }
                }
            }
            double step_beta = k0 == 0 ? beta : 1.0;
            for (int64_t i0 = 0; i0 < m; i0 += AG_PK_MC) {
                int64_t mc = m - i0 < AG_PK_MC ? m - i0 : AG_PK_MC;
                ag_pk_pack_a(a + i0 * ars + k0 * acs, mc, kc, ars, acs, pa);
                for (int64_t j = 0; j < nc; j += AG_PK_NR)
                    for (int64_t i = 0; i < mc; i += AG_PK_MR)
                        ag_pk_kernel(kc, pa + i * kc, block + j * kc, c + (i0 + i) * ldc + j0 + j, ldc,
                                     mc - i < AG_PK_MR ? mc - i : AG_PK_MR, nc - j < AG_PK_NR ? nc - j : AG_PK_NR,
                                     alpha * factors[j / AG_PK_NR], step_beta);
            }
        }
    }
    return 0;
}

#else
static int ag_pk_ok(int64_t m, int64_t n, int64_t k) { (void)m; (void)n; (void)k; return 0; }
static int64_t ag_pk_packed_size(int64_t k, int64_t n) { (void)k; (void)n; return 0; }
static void ag_pk_pack_all(const double *b, int64_t k, int64_t n, int64_t rs, int64_t cs, double *out) {
    (void)b; (void)k; (void)n; (void)rs; (void)cs; (void)out;
}
static int ag_pk_gemm(int64_t m, int64_t n, int64_t k, const double *a, int64_t ars, int64_t acs, const double *b,
                      int64_t brs, int64_t bcs, const double *packed, double *c, int64_t ldc, double alpha,
                      double beta) {
    return -1;
}
#endif

/* A step's b packed once for a loop: valid while the loop that packed it runs (``epoch``) and b is the same
 * array (pointer, sizes, strides) of memory no step writes (a non-sequence's). */
typedef struct {
    double *data;
    int64_t capacity, epoch, k, n, rs, cs;
    const char *source;
} ag_pk_cache;
