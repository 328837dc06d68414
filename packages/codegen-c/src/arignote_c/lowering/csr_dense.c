/* Compressed sparse (csr or csc) times dense: y = x @ d, instantiated by codegen-c's lowering/sparse.py for one
 * value type (real_t), one type of the index array (idx_t) and one of the pointer array (ptr_t), under the user-op
 * ABI (ag_array: strides in bytes; the output allocated C-contiguous, its sizes checked in Python before the call).
 *
 * Inputs: data, indices, indptr, shape (int64 [rows, cols] of x), d (k or k x n). The parts are checked here
 * first (pointers nondecreasing from 0 and within data, indices within the matrix), with the GIL held, so that a
 * bad matrix is a ValueError, never a wild read. csr splits the rows over the runtime's threads in blocks of about
 * equal stored values; csc scatters into the output and splits its columns. Each output element is a sum in
 * storage order, so results do not depend on the thread count. */
#ifndef ARIGNOTE_SPARSE_COMMON
#define ARIGNOTE_SPARSE_COMMON
#include <stdint.h>
#include <string.h>

#define SPK_MAX_THREADS 64
/* below this many multiply-adds a product runs on the calling thread */
#define SPK_PARALLEL_WORK (1 << 18)

#endif

#define SPK_AT(a, T, i) (*(const T *)((a)->data + (int64_t)(i) * (a)->strides[0]))

typedef struct {
    const ag_array *data, *indices, *indptr, *d;
    real_t *y;
    int64_t major, n, nnz, blocks;
} SPK(job);

/* The parts of x and the sizes: 0, or -1 with a ValueError set. */
static int SPK(check)(const SPK(job) *j, int64_t minor) {
    const int64_t np = j->indptr->shape[0];
    if (np != j->major + 1) {
        PyErr_Format(PyExc_ValueError, "structured_dot: indptr has %lld entries, %lld expected",
                     (long long)np, (long long)(j->major + 1));
        return -1;
    }
    int64_t last = 0;
    for (int64_t i = 0; i < np; ++i) {
        const int64_t p = (int64_t)SPK_AT(j->indptr, ptr_t, i);
        if (p < last || (i == 0 && p != 0) || p > j->nnz) {
            PyErr_Format(PyExc_ValueError, "structured_dot: indptr[%lld] = %lld is out of order or outside the "
                         "%lld stored values", (long long)i, (long long)p, (long long)j->nnz);
            return -1;
        }
        last = p;
    }
    for (int64_t k = 0; k < last; ++k) {
        const int64_t c = (int64_t)SPK_AT(j->indices, idx_t, k);
        if (c < 0 || c >= minor) {
            PyErr_Format(PyExc_ValueError, "structured_dot: indices[%lld] = %lld is outside [0, %lld)", (long long)k,
                         (long long)c, (long long)minor);
            return -1;
        }
    }
    return 0;
}

/* csr: rows [r0, r1) of y. */
static void SPK(csr_rows)(const SPK(job) *j, int64_t r0, int64_t r1) {
    const int64_t n = j->n, rs = j->d->strides[0], cs = j->d->ndim == 2 ? j->d->strides[1] : (int64_t)sizeof(real_t);
    for (int64_t i = r0; i < r1; ++i) {
        real_t *restrict yr = j->y + i * n;
        memset(yr, 0, (size_t)n * sizeof(real_t));
        const int64_t k1 = (int64_t)SPK_AT(j->indptr, ptr_t, i + 1);
        for (int64_t k = (int64_t)SPK_AT(j->indptr, ptr_t, i); k < k1; ++k) {
            const real_t v = SPK_AT(j->data, real_t, k);
            const char *row = j->d->data + (int64_t)SPK_AT(j->indices, idx_t, k) * rs;
            if (cs == (int64_t)sizeof(real_t)) {
                const real_t *restrict x = (const real_t *)row;
                for (int64_t c = 0; c < n; ++c) yr[c] += v * x[c];
            } else {
                for (int64_t c = 0; c < n; ++c) yr[c] += v * *(const real_t *)(row + c * cs);
            }
        }
    }
}

/* The first row whose values start at or after stored value ``target`` (rows split by stored values). */
static int64_t SPK(row_at)(const SPK(job) *j, int64_t target) {
    int64_t lo = 0, hi = j->major;
    while (lo < hi) {
        const int64_t mid = lo + (hi - lo) / 2;
        if ((int64_t)SPK_AT(j->indptr, ptr_t, mid) < target) lo = mid + 1; else hi = mid;
    }
    return lo;
}

static int SPK(csr_part)(void *arg, int64_t part, int worker) {
    const SPK(job) *j = (const SPK(job) *)arg;
    (void)worker;
    const int64_t r0 = part == 0 ? 0 : SPK(row_at)(j, j->nnz * part / j->blocks);
    const int64_t r1 = part == j->blocks - 1 ? j->major : SPK(row_at)(j, j->nnz * (part + 1) / j->blocks);
    SPK(csr_rows)(j, r0, r1);
    return 0;
}

/* csc: output columns [c0, c1), every stored value scattered into its row. */
static void SPK(csc_cols)(const SPK(job) *j, int64_t c0, int64_t c1) {
    const int64_t n = j->n, rs = j->d->strides[0], cs = j->d->ndim == 2 ? j->d->strides[1] : (int64_t)sizeof(real_t);
    for (int64_t col = 0; col < j->major; ++col) {
        const char *row = j->d->data + col * rs;
        const int64_t k1 = (int64_t)SPK_AT(j->indptr, ptr_t, col + 1);
        for (int64_t k = (int64_t)SPK_AT(j->indptr, ptr_t, col); k < k1; ++k) {
            const real_t v = SPK_AT(j->data, real_t, k);
            real_t *restrict yr = j->y + (int64_t)SPK_AT(j->indices, idx_t, k) * n;
            for (int64_t c = c0; c < c1; ++c) yr[c] += v * *(const real_t *)(row + c * cs);
        }
    }
}

static int SPK(csc_part)(void *arg, int64_t part, int worker) {
    const SPK(job) *j = (const SPK(job) *)arg;
    (void)worker;
    SPK(csc_cols)(j, j->n * part / j->blocks, j->n * (part + 1) / j->blocks);
    return 0;
}

/* part over j's blocks: on the calling thread for one block, else on up to ``threads`` of the runtime's threads,
 * without the GIL. */
static int SPK(run)(SPK(job) *j, int threads, ag_part_fn part) {
    if (j->blocks <= 1) {
        j->blocks = 1;
        return part(j, 0, 0);
    }
    PyThreadState *save = PyEval_SaveThread();
    const int err = ag_kernel_services->parallel(j->blocks, threads, part, j);
    PyEval_RestoreThread(save);
    return err;
}

static int SPK(dot)(const ag_array *in, const ag_array *out, int csc) {
    const ag_array *d = &in[4];
    const int64_t rows = SPK_AT(&in[3], int64_t, 0), cols = SPK_AT(&in[3], int64_t, 1);
    SPK(job) j = {&in[0], &in[1], &in[2], d, (real_t *)out[0].data, csc ? cols : rows,
                  d->ndim == 2 ? d->shape[1] : 1, in[0].shape[0], 1};
    if (in[1].shape[0] < j.nnz) j.nnz = in[1].shape[0];
    if (SPK(check)(&j, csc ? rows : cols) < 0) return -1;
    if (ag_load_services("the sparse kernels") < 0) return -1;
    const int64_t work = j.nnz * j.n;
    const int threads = work >= SPK_PARALLEL_WORK ? ag_kernel_threads(SPK_MAX_THREADS) : 1;
    if (csc) {
        memset(j.y, 0, (size_t)(rows * j.n) * sizeof(real_t));
        j.blocks = threads > j.n ? j.n : threads;
        return SPK(run)(&j, threads, SPK(csc_part));
    }
    j.blocks = threads <= 1 ? 1 : 4 * (int64_t)threads;
    if (j.blocks > j.major) j.blocks = j.major < 1 ? 1 : j.major;
    return SPK(run)(&j, threads, SPK(csr_part));
}
