/* Loop drivers: run a generated kernel over an n-d iteration space of strided, broadcast operands.
 *
 * The space is simplified first (length-1 dimensions dropped, dimensions that are contiguous for every operand
 * merged), so that a contiguous array of any shape is one run. The last dimension is the inner run handed to
 * the kernel: when every operand has unit stride there, the kernel runs on the arrays themselves (its
 * vectorized path); otherwise runs longer than a few elements go through small contiguous buffers (gathered
 * before, scattered after), so that the kernel's vectorized path is used for broadcast and strided operands
 * too. Large spaces are cut into parts by rows, or by columns when rows are few, which the threads of the pool
 * (pool.c) claim one at a time.
 */

/* ag_iter and ag_iter_collapse: strided.h. */

typedef struct {
    ag_loop_fn loop;   /* elementwise: every operand goes to the kernel */
    ag_fold_fn fold;   /* reduce: the last operand is the accumulator, passed apart */
} ag_kernel;

static int64_t ag_iter_size(const ag_iter *it) {
    int64_t n = 1;
    for (int d = 0; d < it->ndim; ++d) n *= it->shape[d];
    return n;
}

static void ag_gather(char *dst, const char *src, int64_t stride, int64_t m, int isz) {
#define AG_GATHER(T)                                                                              \
    {                                                                                              \
        T *d = (T *)dst;                                                                           \
        if (stride == 0) {                                                                         \
            T v = *(const T *)src;                                                                 \
            for (int64_t i = 0; i < m; ++i) d[i] = v;                                              \
        } else {                                                                                   \
            for (int64_t i = 0; i < m; ++i) d[i] = *(const T *)(src + i * stride);                 \
        }                                                                                          \
    }
    switch (isz) {
    case 1: AG_GATHER(uint8_t) break;
    case 2: AG_GATHER(uint16_t) break;
    case 4: AG_GATHER(uint32_t) break;
    case 8: AG_GATHER(uint64_t) break;
    default:
        for (int64_t i = 0; i < m; ++i) memcpy(dst + i * isz, src + i * stride, isz);
    }
#undef AG_GATHER
}

static void ag_scatter(char *dst, int64_t stride, const char *src, int64_t m, int isz) {
#define AG_SCATTER(T)                                                                             \
    for (int64_t i = 0; i < m; ++i) *(T *)(dst + i * stride) = ((const T *)src)[i];
    switch (isz) {
    case 1: AG_SCATTER(uint8_t) break;
    case 2: AG_SCATTER(uint16_t) break;
    case 4: AG_SCATTER(uint32_t) break;
    case 8: AG_SCATTER(uint64_t) break;
    default:
        for (int64_t i = 0; i < m; ++i) memcpy(dst + i * stride, src + i * isz, isz);
    }
#undef AG_SCATTER
}

/* One inner run of n elements starting at ptr (one pointer per operand). */
static int ag_inner(const ag_kernel *kn, const ag_iter *it, char **ptr, int64_t n, char *acc, char **scratch) {
    int nops = kn->fold ? it->nops - 1 : it->nops, d = it->ndim - 1, unit = 1;
    int64_t steps[AG_MAXOPS], ones[AG_MAXOPS];
    for (int k = 0; k < nops; ++k) {
        int64_t s = it->strides[k][d];
        steps[k] = s / it->itemsize[k];
        ones[k] = 1;
        unit &= s == it->itemsize[k];
    }
    if (!kn->fold && (unit || n < 16)) return kn->loop(n, ptr, unit ? ones : steps);
    if (kn->fold && n <= AG_FOLD_CHUNK && (unit || n < 16)) return kn->fold(n, ptr, unit ? ones : steps, acc);
    int64_t block = unit ? AG_FOLD_CHUNK : AG_BLOCK;
    if (!unit && !*scratch) {
        *scratch = malloc((size_t)nops * AG_BLOCK * 16);
        if (!*scratch) return -2;
    }
    char *bp[AG_MAXOPS];
    for (int64_t off = 0; off < n; off += block) {
        int64_t m = n - off < block ? n - off : block;
        for (int k = 0; k < nops; ++k) {
            int64_t s = it->strides[k][d];
            if (s == it->itemsize[k]) {
                bp[k] = ptr[k] + off * s;
            } else {
                bp[k] = *scratch + (size_t)k * AG_BLOCK * 16;
                if (it->role[k] & AG_IN) ag_gather(bp[k], ptr[k] + off * s, s, m, it->itemsize[k]);
            }
        }
        int rc = kn->fold ? kn->fold(m, bp, ones, acc) : kn->loop(m, bp, ones);
        if (rc) return rc;
        for (int k = 0; k < nops; ++k) {
            int64_t s = it->strides[k][d];
            if (s != it->itemsize[k] && (it->role[k] & AG_OUT))
                ag_scatter(ptr[k] + off * s, s, bp[k], m, it->itemsize[k]);
        }
    }
    return 0;
}

/* Rows [r0, r1) x columns [c0, c1) of the space; rows run over every dimension but the last. When acc_override
 * is set, a fold accumulates there instead of into the accumulator operand. */
static int ag_walk(const ag_kernel *kn, const ag_iter *it, int64_t r0, int64_t r1, int64_t c0, int64_t c1,
                   char *acc_override) {
    int nops = it->nops, d_in = it->ndim - 1;
    int64_t idx[AG_MAXDIMS];
    char *row[AG_MAXOPS], *ptr[AG_MAXOPS], *scratch = NULL;
    int rc = 0;
    for (int k = 0; k < nops; ++k) row[k] = it->data[k];
    int64_t r = r0;
    for (int d = d_in - 1; d >= 0; --d) {
        idx[d] = r % it->shape[d];
        r /= it->shape[d];
        for (int k = 0; k < nops; ++k) row[k] += idx[d] * it->strides[k][d];
    }
    for (int64_t i = r0; i < r1; ++i) {
        for (int k = 0; k < nops; ++k) ptr[k] = row[k] + c0 * it->strides[k][d_in];
        char *acc = acc_override ? acc_override : ptr[nops - 1];
        rc = ag_inner(kn, it, ptr, c1 - c0, acc, &scratch);
        if (rc) break;
        ag_iter_next_row(it, d_in, idx, row);
    }
    free(scratch);
    return rc;
}

static int ag_threads_for(const ag_par *par, int64_t size) {
    return par->threads > 1 && size >= par->parallel_threshold ? par->threads : 1;
}

/* A walk cut into parts along rows (or columns), each part folding into its own partial when ``partials``. */
typedef struct {
    const ag_kernel *kn;
    const ag_iter *it;
    int64_t rows, cols, parts;
    int split_rows;
    char *partials; /* 16 bytes per part, or NULL */
} ag_walk_job;

static int ag_walk_part(void *ctx, int64_t part, int worker) {
    (void)worker;
    const ag_walk_job *job = (const ag_walk_job *)ctx;
    int64_t total = job->split_rows ? job->rows : job->cols;
    int64_t a = total * part / job->parts, b = total * (part + 1) / job->parts;
    if (a >= b) return 0;
    char *acc = job->partials ? job->partials + (size_t)part * 16 : NULL;
    return job->split_rows ? ag_walk(job->kn, job->it, a, b, 0, job->cols, acc)
                           : ag_walk(job->kn, job->it, 0, job->rows, a, b, acc);
}

/* Split rows (or columns, when rows are fewer than threads) over nt threads, in parts claimed dynamically. */
static int ag_walk_parallel(const ag_kernel *kn, const ag_iter *it, int64_t rows, int64_t cols, int nt,
                            int split_rows, char *partials, int64_t parts) {
    ag_walk_job job = {kn, it, rows, cols, parts, split_rows, partials};
    return ag_parallel(parts, nt, ag_walk_part, &job);
}

/* Elementwise: every operand goes to the kernel. Returns 0 or a kernel error code; touches no Python object, so
 * callers may release the GIL around it. */
static int ag_run_loop(ag_loop_fn fn, ag_iter *it, const ag_par *par) {
    int64_t total = ag_iter_size(it);
    if (total == 0) return 0;
    ag_iter_collapse(it);
    ag_kernel kn = {fn, NULL};
    int64_t cols = it->shape[it->ndim - 1], rows = total / cols;
    int nt = ag_threads_for(par, total), rc;
    if (nt > 1) {
        int split_rows = rows >= nt;
        if (!split_rows && cols < 2 * nt) nt = 1;
        rc = nt > 1 ? ag_walk_parallel(&kn, it, rows, cols, nt, split_rows, NULL,
                                       ag_parts_for(split_rows ? rows : cols, nt))
                    : ag_walk(&kn, it, 0, rows, 0, cols, NULL);
    } else {
        rc = ag_walk(&kn, it, 0, rows, 0, cols, NULL);
    }
    return rc;
}

/* Reduce: the last operand is the accumulator (already holding the identity), with stride 0 on reduced
 * dimensions. Runs where the accumulator is fixed fold into it; others accumulate elementwise. */
static int ag_run_reduce(ag_fold_fn fold, ag_loop_fn accum, ag_combine_fn combine, ag_iter *it, const ag_par *par,
                         const char *identity) {
    int64_t total = ag_iter_size(it);
    if (total == 0) return 0;
    ag_iter_collapse(it);
    int nd = it->ndim, acc = it->nops - 1, rc = 0;
    int64_t cols = it->shape[nd - 1], rows = total / cols;
    int nt = ag_threads_for(par, total);
    if (it->strides[acc][nd - 1] != 0) {
        ag_kernel kn = {accum, NULL};
        if (nt > 1 && cols >= 2 * nt)
            rc = ag_walk_parallel(&kn, it, rows, cols, nt, 0, NULL, ag_parts_for(cols, nt));
        else
            rc = ag_walk(&kn, it, 0, rows, 0, cols, NULL);
        return rc;
    }
    ag_kernel kn = {NULL, fold};
    int rows_distinct = 1;
    for (int d = 0; d < nd - 1; ++d) rows_distinct &= it->strides[acc][d] != 0;
    if (nt > 1 && rows_distinct && rows >= nt) {
        rc = ag_walk_parallel(&kn, it, rows, cols, nt, 1, NULL, ag_parts_for(rows, nt));
    } else if (nt > 1 && rows == 1 && cols >= 2 * AG_FOLD_CHUNK) {
        /* one long run: each part folds into its own partial, combined in order afterwards */
        int isz = it->itemsize[acc];
        int64_t parts = ag_parts_for(cols / AG_FOLD_CHUNK, nt);
        char *partials = malloc((size_t)parts * 16);
        if (!partials) return -2;
        for (int64_t t = 0; t < parts; ++t) memcpy(partials + (size_t)t * 16, identity, isz);
        int err = ag_walk_parallel(&kn, it, 1, cols, nt, 0, partials, parts);
        for (int64_t t = 0; t < parts && !err; ++t) combine(it->data[acc], partials + (size_t)t * 16);
        free(partials);
        rc = err;
    } else {
        rc = ag_walk(&kn, it, 0, rows, 0, cols, NULL);
    }
    return rc;
}
