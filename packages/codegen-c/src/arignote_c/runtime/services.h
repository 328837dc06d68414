/* What the runtime offers the kernels of user ops (the AG_ARRAY ABI, nn-extras' convolutions and pooling), so
 * that a process has one thread pool and one owner of the BLAS threads: the pool of parallel loops, how many
 * threads the running step may use (ARIGNOTE_THREADS, the mode's option), and GEMM split over that pool with the
 * BLAS's own threads kept at one. The runtime module holds the table as the capsule ``services``
 * (arignote_c.runtime.kernel_services() finds it); a kernel checks ``version`` before using it. Include-guarded:
 * the runtime and every user kernel carrying it include this text. */
#ifndef ARIGNOTE_SERVICES_H
#define ARIGNOTE_SERVICES_H
#include <stdint.h>

#define AG_SERVICES_CAPSULE "arignote_c.services"
#define AG_SERVICES_VERSION 1

/* One part of a parallel loop, run by worker ``worker`` (0: the calling thread; helpers 1 to threads - 1, so a
 * part may use per-worker scratch memory): 0, or a kernel error code. */
typedef int (*ag_part_fn)(void *ctx, int64_t part, int worker);

typedef struct {
    int version;
    /* threads the running step may use (1 outside a step) */
    int (*threads)(void);
    /* fn(ctx, part, worker) for every part in [0, parts) on up to ``threads`` threads, parts claimed one at a
     * time; returns 0 or the first error code. Call without the GIL. */
    int (*parallel)(int64_t parts, int threads, ag_part_fn fn, void *ctx);
    /* Row-major c (m x n, row stride ldc) = op(a) op(b) + beta c, op transposing where ta / tb, a and b with row
     * strides lda and ldb; t: 0 float32, 1 float64. Large products are split over ``threads`` threads. Sizes
     * must fit BLAS's int. Call without the GIL. */
    void (*gemm)(int t, int ta, int tb, int64_t m, int64_t n, int64_t k, const void *a, int64_t lda, const void *b,
                 int64_t ldb, double beta, void *c, int64_t ldc, int threads);
} ag_services;

#endif
