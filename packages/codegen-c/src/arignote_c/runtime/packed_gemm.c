/* Float64 products by a kernel of our own, on CPUs with AVX-512 (chosen at run time: the prebuilt runtime is
 * portable). OpenBLAS repacks both operands at every call; a loop's step multiplying by the same matrix at every
 * step (a recurrent network's h @ U) packs it once for the whole loop here (ag_pk_cache, used by blas.c), and
 * the kernel itself reaches 75 GFLOP/s where OpenBLAS's reaches 55 on the shapes of such a step (64 x 256 x 256).
 *
 * The product is blocked as BLIS blocks it: b in panels of AG_PK_NR columns and AG_PK_KC rows (a panel stays in
 * L1 while every row block of a uses it), a in blocks of AG_PK_MC rows (in L2), both packed so that the kernel
 * reads them contiguously, zero-padded to whole panels. The kernel keeps a 6 x 32 tile of c in 24 registers
 * over a block of the contracted dimension. Which kernel computes a product depends on its sizes alone (and the
 * CPU), never on whether b was packed before: a function gives the same result on every call, in a loop or
 * not. */

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define AG_PK_AVAILABLE 1
#include <immintrin.h>

#define AG_PK_MR 6
#define AG_PK_NR 32
#define AG_PK_KC 256
#define AG_PK_MC 96  /* a multiple of AG_PK_MR */
#define AG_PK_NC 512 /* a multiple of AG_PK_NR */
#define AG_PK_TARGET __attribute__((target("avx512f,fma")))

/* Products below these sizes stay with the BLAS, whose kernels for small matrices pack nothing (measured with
 * per-call packing, benchmarks/workloads/w8_scan_rnn.py's machine: 16x128x128 took 1.2x OpenBLAS's time,
 * 32x256x64 1.16x, 64x128x128 0.71x, 256x64x256 0.73x). */
#define AG_PK_MIN_M 8
#define AG_PK_MIN_N 128
#define AG_PK_MIN_K 32
#define AG_PK_MIN_MACS (1 << 20)

static int ag_pk_cpu = -1;

/* Whether a float64 product of these sizes runs on this kernel. */
static int ag_pk_ok(int64_t m, int64_t n, int64_t k) {
    if (ag_pk_cpu < 0) {
        __builtin_cpu_init();
        ag_pk_cpu = __builtin_cpu_supports("avx512f") != 0;
    }
    return ag_pk_cpu && m >= AG_PK_MIN_M && n >= AG_PK_MIN_N && k >= AG_PK_MIN_K &&
           (double)m * (double)n * (double)k >= AG_PK_MIN_MACS;
}

static int64_t ag_pk_padded(int64_t n) { return (n + AG_PK_NR - 1) / AG_PK_NR * AG_PK_NR; }

/* The doubles a packed k x n operand takes. */
static int64_t ag_pk_packed_size(int64_t k, int64_t n) { return k * ag_pk_padded(n); }

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

/* All of b packed: its blocks of AG_PK_KC rows one after the other, as ag_pk_gemm reads them. */
static void ag_pk_pack_all(const double *b, int64_t k, int64_t n, int64_t rs, int64_t cs, double *out) {
    const int64_t padded = ag_pk_padded(n);
    for (int64_t k0 = 0; k0 < k; k0 += AG_PK_KC)
        ag_pk_pack_b(b + k0 * rs, k - k0 < AG_PK_KC ? k - k0 : AG_PK_KC, n, rs, cs, out + k0 * padded);
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
 * ``packed``: b already packed by ag_pk_pack_all, or NULL. Returns -1, having done nothing, when out of memory. */
static int ag_pk_gemm(int64_t m, int64_t n, int64_t k, const double *a, int64_t ars, int64_t acs, const double *b,
                      int64_t brs, int64_t bcs, const double *packed, double *c, int64_t ldc, double alpha,
                      double beta) {
    double *pa = ag_pk_aligned(&ag_pk_a_buffer, (size_t)AG_PK_MC * AG_PK_KC);
    double *pb = packed ? NULL : ag_pk_aligned(&ag_pk_b_buffer, (size_t)AG_PK_KC * AG_PK_NC);
    if (!pa || (!packed && !pb)) return -1;
    const int64_t padded = ag_pk_padded(n);
    for (int64_t j0 = 0; j0 < n; j0 += AG_PK_NC) {
        int64_t nc = n - j0 < AG_PK_NC ? n - j0 : AG_PK_NC;
        for (int64_t k0 = 0; k0 < k; k0 += AG_PK_KC) {
            int64_t kc = k - k0 < AG_PK_KC ? k - k0 : AG_PK_KC;
            const double *block = packed ? packed + k0 * padded + j0 * kc : pb;
            if (!packed) ag_pk_pack_b(b + k0 * brs + j0 * bcs, kc, nc, brs, bcs, pb);
            double step_beta = k0 == 0 ? beta : 1.0;
            for (int64_t i0 = 0; i0 < m; i0 += AG_PK_MC) {
                int64_t mc = m - i0 < AG_PK_MC ? m - i0 : AG_PK_MC;
                ag_pk_pack_a(a + i0 * ars + k0 * acs, mc, kc, ars, acs, pa);
                for (int64_t j = 0; j < nc; j += AG_PK_NR)
                    for (int64_t i = 0; i < mc; i += AG_PK_MR)
                        ag_pk_kernel(kc, pa + i * kc, block + j * kc, c + (i0 + i) * ldc + j0 + j, ldc,
                                     mc - i < AG_PK_MR ? mc - i : AG_PK_MR, nc - j < AG_PK_NR ? nc - j : AG_PK_NR,
                                     alpha, step_beta);
            }
        }
    }
    return 0;
}

#else
#define AG_PK_AVAILABLE 0
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
