/* dot / matmul through the BLAS that SciPy bundles: the function pointers come from the capsules of
 * scipy.linalg.cython_blas (set_blas), so nothing links against a system BLAS. Column-major BLAS computes the
 * row-major product C = A B as C^T = B^T A^T; an operand that BLAS cannot address (no unit stride on either
 * axis, negative strides) is copied to C order first. Index 0 of each table is float32, 1 is float64. */
#include <dlfcn.h>

typedef void (*ag_gemm_t)(char *, char *, int *, int *, int *, void *, void *, int *, void *, int *, void *, void *,
                          int *);
typedef void (*ag_gemv_t)(char *, int *, int *, void *, void *, int *, void *, int *, void *, void *, int *);

static ag_gemm_t ag_gemm_fn[2];
static ag_gemv_t ag_gemv_fn[2];

/* A matrix operand: rows x cols, strides in elements. */
typedef struct {
    char *data;
    int64_t rows, cols, rs, cs;
} ag_mat;

/* b, the running step's input ``input`` itself (not a copy), packed once for the loop running the step's
 * program, or NULL (program.c). */
static const double *ag_loop_packed_b(ag_outctx *ctx, int input, const ag_mat *b);

/* How BLAS addresses the column-major rows x cols matrix m: 'N' with leading dimension ld, or 'T' of its
 * transpose. Returns 0 when it cannot. */
static int ag_blas_layout(const ag_mat *m, char *trans, int *ld) {
    int64_t rmin = m->rows > 1 ? m->rows : 1, cmin = m->cols > 1 ? m->cols : 1;
    if (m->rs == 1 || m->rows <= 1) {
        int64_t l = m->cols <= 1 ? rmin : m->cs;
        if (l >= rmin && l <= INT_MAX) { *trans = 'N'; *ld = (int)l; return 1; }
    }
    if (m->cs == 1 || m->cols <= 1) {
        int64_t l = m->rows <= 1 ? cmin : m->rs;
        if (l >= cmin && l <= INT_MAX) { *trans = 'T'; *ld = (int)l; return 1; }
    }
    return 0;
}

static int ag_blas_size_ok(int64_t n) {
    if (n > INT_MAX) {
        PyErr_SetString(PyExc_ValueError, "dimension too large for BLAS (more than 2**31 - 1)");
        return 0;
    }
    return 1;
}

/* The BLAS's own threads. Arignote splits large products over its pool itself (parts claimed dynamically, so a
 * core taken by another process delays one part, not a fixed half), and keeps the BLAS at one thread while it
 * calls it: two pools on the same cores would wake, spin and preempt each other (a LeNet step took 4x longer).
 * The thread count is the BLAS's process-wide setting, so it is set to one for the length of the calls (a count
 * of callers inside, under a lock) and restored when the last leaves: code outside Arignote (SciPy's own calls)
 * keeps the BLAS threads it had. A BLAS whose setting cannot be found (not OpenBLAS or BLIS) is left to thread
 * itself, and Arignote does not split its products. */
typedef int (*ag_blas_get_t)(void);
typedef void (*ag_blas_set_t)(int);
static ag_blas_get_t ag_blas_get_threads;
static ag_blas_set_t ag_blas_set_threads;
static pthread_mutex_t ag_blas_lock = PTHREAD_MUTEX_INITIALIZER;
static int ag_blas_inside, ag_blas_saved;
/* Calls nested on one thread (a scan's loop holds the setting for all its steps' products) take the lock once:
 * locking twice per product cost a recurrent step more than its 1 x 32 x 32 product. */
static __thread int ag_blas_nesting;

static void ag_blas_before_fork(void) { pthread_mutex_lock(&ag_blas_lock); }
static void ag_blas_after_fork_parent(void) { pthread_mutex_unlock(&ag_blas_lock); }
/* The child has none of the parent's callers inside but the thread that forked (a Python step of a scan's loop
 * may fork): it gets the BLAS threads back unless that thread is inside, which restores them when it leaves. */
static void ag_blas_after_fork_child(void) {
    pthread_mutex_init(&ag_blas_lock, NULL);
    if (ag_blas_inside && ag_blas_nesting == 0 && ag_blas_saved != 1) ag_blas_set_threads(ag_blas_saved);
    ag_blas_inside = ag_blas_nesting > 0;
}

/* The thread-count functions of the BLAS library that provides ``fn`` (or one it links), by the names OpenBLAS
 * (plain, SciPy's prefixed, 64-bit-integer suffixed) and BLIS give them. */
static void ag_blas_find_threads_control(void *fn) {
    static const char *names[][2] = {
        {"scipy_openblas_get_num_threads", "scipy_openblas_set_num_threads"},
        {"scipy_openblas_get_num_threads64_", "scipy_openblas_set_num_threads64_"},
        {"openblas_get_num_threads", "openblas_set_num_threads"},
        {"openblas_get_num_threads64_", "openblas_set_num_threads64_"},
        {"bli_thread_get_num_threads", "bli_thread_set_num_threads"}};
    Dl_info info;
    if (ag_blas_set_threads || !dladdr(fn, &info) || !info.dli_fname) return;
    void *lib = dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD); /* kept open: the BLAS stays loaded anyway */
    void *get = NULL, *set = NULL;
    for (size_t i = 0; lib && !(get && set) && i < sizeof(names) / sizeof(names[0]); ++i) {
        get = dlsym(lib, names[i][0]);
        set = dlsym(lib, names[i][1]);
    }
    if (get && set && pthread_atfork(ag_blas_before_fork, ag_blas_after_fork_parent, ag_blas_after_fork_child) == 0) {
        ag_blas_get_threads = (ag_blas_get_t)get;
        ag_blas_set_threads = (ag_blas_set_t)set;
    }
}

static void ag_blas_serial_begin(void) {
    if (!ag_blas_set_threads || ag_blas_nesting++ > 0) return;
    pthread_mutex_lock(&ag_blas_lock);
    if (ag_blas_inside++ == 0) {
        ag_blas_saved = ag_blas_get_threads();
        if (ag_blas_saved != 1) ag_blas_set_threads(1);
    }
    pthread_mutex_unlock(&ag_blas_lock);
}

static void ag_blas_serial_end(void) {
    if (!ag_blas_set_threads || --ag_blas_nesting > 0) return;
    pthread_mutex_lock(&ag_blas_lock);
    if (--ag_blas_inside == 0 && ag_blas_saved != 1) ag_blas_set_threads(ag_blas_saved);
    pthread_mutex_unlock(&ag_blas_lock);
}

/* c = alpha a b + beta c by plain loops, for operands BLAS cannot address: the callers copy such operands first
 * (ag_blas_ready), so this only keeps a layout they missed from reaching BLAS, which reads a wrong result. */
#define AG_DEFINE_GEMM_STRIDED(T)                                                                                  \
    static void ag_gemm_strided_##T(const ag_mat *a, const ag_mat *b, char *cdata, int64_t ldc, double alpha,    \
                                    double beta) {                                                                 \
        const T *A = (const T *)a->data, *B = (const T *)b->data;                                                  \
        for (int64_t i = 0; i < a->rows; ++i)                                                                      \
            for (int64_t j = 0; j < b->cols; ++j) {                                                                \
                T sum = 0, *out = (T *)cdata + i * ldc + j;                                                        \
                for (int64_t p = 0; p < a->cols; ++p) sum += A[i * a->rs + p * a->cs] * B[p * b->rs + j * b->cs];  \
                *out = beta == 0 ? (T)alpha * sum : (T)alpha * sum + (T)beta * *out;                               \
            }                                                                                                      \
    }
AG_DEFINE_GEMM_STRIDED(float)
AG_DEFINE_GEMM_STRIDED(double)
#undef AG_DEFINE_GEMM_STRIDED

/* c (m x n, row stride ldc) = alpha a (m x k) b (k x n) + beta c, in one call on this thread: of the float64
 * kernel (packed_gemm.c) where the sizes suit it, b read from ``packed`` when not NULL, else of the BLAS. */
static void ag_gemm_call(int t, const ag_mat *a, const ag_mat *b, char *c, int64_t ldc64, double alpha_value,
                         double beta_value, const double *packed) {
    int m = (int)a->rows, k = (int)a->cols, n = (int)b->cols, ldc = (int)ldc64, lda, ldb;
    if (m == 0 || n == 0) return;
    if (k == 0) {
        for (int64_t i = 0; i < m; ++i)
            for (int64_t j = 0; j < n; ++j) {
                if (t) { double *x = (double *)c + i * ldc + j; *x = beta_value == 0 ? 0.0 : beta_value * *x; }
                else { float *x = (float *)c + i * ldc + j; *x = beta_value == 0 ? 0.0f : (float)beta_value * *x; }
            }
        return;
    }
    if (t && ag_pk_ok(m, n, k)) {
        int rc = ag_pk_gemm(m, n, k, (const double *)a->data, a->rs, a->cs, (const double *)b->data, b->rs, b->cs,
                            packed, (double *)c, ldc64, alpha_value, beta_value);
        if (rc == -2) /* packed for the loop with a scaled panel that this a forbids */
            rc = ag_pk_gemm(m, n, k, (const double *)a->data, a->rs, a->cs, (const double *)b->data, b->rs, b->cs,
                            NULL, (double *)c, ldc64, alpha_value, beta_value);
        if (rc == 0) return;
    }
    ag_mat bt = {b->data, b->cols, b->rows, b->cs, b->rs}, at = {a->data, a->cols, a->rows, a->cs, a->rs};
    char tb, ta;
    if (!ag_blas_layout(&bt, &tb, &ldb) || !ag_blas_layout(&at, &ta, &lda)) {
        if (t) ag_gemm_strided_double(a, b, c, ldc64, alpha_value, beta_value);
        else ag_gemm_strided_float(a, b, c, ldc64, alpha_value, beta_value);
        return;
    }
    double alpha_d = alpha_value, beta_d = beta_value;
    float alpha_f = (float)alpha_value, beta_f = (float)beta_value;
    void *alpha = t ? (void *)&alpha_d : (void *)&alpha_f, *beta = t ? (void *)&beta_d : (void *)&beta_f;
    if (n == 1 && ag_gemv_fn[t]) {
        /* c^T = a b  as a matrix-vector product (c a column: stride ldc) */
        int inc = (int)(b->rs > 0 ? b->rs : 1);
        if (ta == 'N') { /* a^T is k x m column-major: c = (a^T)^T b */
            char tr = 'T';
            ag_gemv_fn[t](&tr, &k, &m, alpha, a->data, &lda, b->data, &inc, beta, c, &ldc);
        } else {         /* a is m x k column-major */
            char tr = 'N';
            ag_gemv_fn[t](&tr, &m, &k, alpha, a->data, &lda, b->data, &inc, beta, c, &ldc);
        }
        return;
    }
    ag_gemm_fn[t](&tb, &ta, &n, &m, &k, alpha, b->data, &ldb, a->data, &lda, beta, c, &ldc);
}

/* Products of at least this many multiply-adds are split over the pool (below, waking helpers costs more than
 * they save), one part per thread (each part packs its own copy of the operand it shares with the others, so
 * more parts cost more copying), of at least AG_GEMM_PART_MACS and AG_GEMM_PART_UNITS rows (or columns). When
 * the pool is backing off (helpers descheduled: a busy machine) the product is one BLAS call. */
#define AG_GEMM_PARALLEL_MACS (1 << 20)
#define AG_GEMM_PART_MACS (1 << 18)
#define AG_GEMM_PART_UNITS 8

typedef struct {
    int t, by_rows;
    ag_mat a, b;
    char *c;
    int64_t ldc, units, parts;
    double alpha, beta;
} ag_gemm_job;

/* Where part ``part`` of the rows (columns) begins: a multiple of AG_GEMM_PART_UNITS but at the end. */
static int64_t ag_gemm_cut(const ag_gemm_job *j, int64_t part) {
    int64_t at = j->units * part / j->parts;
    return part >= j->parts ? j->units : at - at % AG_GEMM_PART_UNITS;
}

static int ag_gemm_part(void *ctx, int64_t part, int worker) {
    const ag_gemm_job *j = (const ag_gemm_job *)ctx;
    int64_t lo = ag_gemm_cut(j, part), hi = ag_gemm_cut(j, part + 1);
    size_t isz = j->t ? 8 : 4;
    ag_mat a = j->a, b = j->b;
    char *c = j->c;
    (void)worker;
    if (lo >= hi) return 0;
    if (j->by_rows) {
        a.data += lo * a.rs * (int64_t)isz;
        a.rows = hi - lo;
        c += lo * j->ldc * (int64_t)isz;
    } else {
        b.data += lo * b.cs * (int64_t)isz;
        b.cols = hi - lo;
        c += lo * (int64_t)isz;
    }
    ag_gemm_call(j->t, &a, &b, c, j->ldc, j->alpha, j->beta, NULL);
    return 0;
}

/* c (m x n, row stride ldc) = alpha a b + beta c, on up to ``threads`` threads (the BLAS's kept at one) when the
 * product is large; rows are split, or columns when they are the longer side. ``packed``: b packed for the
 * float64 kernel, or NULL (a product split in parts packs each part's own). Call without the GIL when
 * threads > 1. */
static void ag_gemm_ld(int t, const ag_mat *a, const ag_mat *b, char *c, int64_t ldc, double alpha, double beta,
                       int threads, const double *packed) {
    const int64_t m = a->rows, n = b->cols;
    const double macs = (double)m * (double)n * (double)a->cols;
    ag_gemm_job job = {t, m >= n, *a, *b, c, ldc, m >= n ? m : n, 1, alpha, beta};
    /* The parts depend on the sizes and the function's threads only, never on the machine's load: a product
     * split differently rounds differently, and a function gives the same result on every call. When the pool
     * backs off, ag_parallel runs the same parts on this thread. */
    if (threads > 1 && ag_blas_set_threads && macs >= AG_GEMM_PARALLEL_MACS) {
        job.parts = job.units / AG_GEMM_PART_UNITS < threads ? job.units / AG_GEMM_PART_UNITS : threads;
        if ((double)job.parts * AG_GEMM_PART_MACS > macs) job.parts = (int64_t)(macs / AG_GEMM_PART_MACS);
    }
    ag_blas_serial_begin();
    if (job.parts >= 2)
        ag_parallel(job.parts, threads, ag_gemm_part, &job);
    else
        ag_gemm_call(t, a, b, c, ldc, alpha, beta, packed);
    ag_blas_serial_end();
}

/* c (m x n, C-contiguous) = alpha a (m x k) b (k x n) + beta c */
static void ag_gemm(int t, const ag_mat *a, const ag_mat *b, char *c, double alpha, double beta, int threads,
                    const double *packed) {
    ag_gemm_ld(t, a, b, c, b->cols > 1 ? b->cols : 1, alpha, beta, threads, packed);
}

/* The services' GEMM (services.h): row-major operands with row strides, transposed where asked. */
static void ag_services_gemm(int t, int ta, int tb, int64_t m, int64_t n, int64_t k, const void *a, int64_t lda,
                             const void *b, int64_t ldb, double beta, void *c, int64_t ldc, int threads) {
    ag_mat ma = ta ? (ag_mat){(char *)a, m, k, 1, lda} : (ag_mat){(char *)a, m, k, lda, 1};
    ag_mat mb = tb ? (ag_mat){(char *)b, k, n, 1, ldb} : (ag_mat){(char *)b, k, n, ldb, 1};
    ag_gemm_ld(t, &ma, &mb, (char *)c, ldc, 1.0, beta, threads, NULL);
}

/* An operand BLAS can address, copying the array to C order when it cannot (a C-ordered one can: no division
 * per axis then, the common case). */
static PyArrayObject *ag_blas_ready(PyArrayObject *x) {
    if (PyArray_IS_C_CONTIGUOUS(x) && PyArray_SIZE(x) <= INT_MAX) {
        Py_INCREF(x);
        return x;
    }
    int nd = PyArray_NDIM(x), isz = (int)PyArray_ITEMSIZE(x), ok = 1;
    for (int d = 0; d < nd; ++d) ok &= PyArray_STRIDE(x, d) % isz == 0;
    if (ok && nd >= 1) {
        int64_t last = PyArray_DIM(x, nd - 1), ls = PyArray_STRIDE(x, nd - 1) / isz;
        if (nd == 1) {
            ok = last <= 1 || ls > 0;
        } else {
            ag_mat m = {NULL, PyArray_DIM(x, nd - 2), last, PyArray_STRIDE(x, nd - 2) / isz, ls};
            ag_mat mt = {NULL, m.cols, m.rows, m.cs, m.rs};
            char tr;
            int ld;
            ok = ag_blas_layout(&mt, &tr, &ld);
        }
    }
    if (ok) {
        Py_INCREF(x);
        return x;
    }
    return (PyArrayObject *)PyArray_NewCopy(x, NPY_CORDER);
}

static ag_mat ag_as_mat(PyArrayObject *x, int as_row, char *data) {
    int nd = PyArray_NDIM(x), isz = (int)PyArray_ITEMSIZE(x);
    ag_mat m;
    m.data = data;
    if (nd == 1) {
        int64_t n = PyArray_DIM(x, 0), s = PyArray_STRIDE(x, 0) / isz;
        if (n <= 1) s = 1;
        if (as_row) { m.rows = 1; m.cols = n; m.rs = n > 1 ? n : 1; m.cs = s; }
        else        { m.rows = n; m.cols = 1; m.rs = s; m.cs = 1; }
    } else {
        m.rows = PyArray_DIM(x, nd - 2);
        m.cols = PyArray_DIM(x, nd - 1);
        m.rs = PyArray_STRIDE(x, nd - 2) / isz;
        m.cs = PyArray_STRIDE(x, nd - 1) / isz;
    }
    return m;
}

/* Whether a batched product a[i] @ b over ``batch`` is one product of a's rows stacked: b the same matrix for
 * every entry (batch strides 0) and a's batch axes continuing its rows at equal strides (a C-ordered stack of
 * matrices, or any view whose batch and row axes collapse into one). */
static int ag_batch_folds_into_rows(int nbatch, const int64_t *batch, const int64_t *sa, const int64_t *sb,
                                    const ag_mat *ma, int64_t itemsize) {
    int64_t next = ma->rows * ma->rs * itemsize, rows = ma->rows;
    for (int d = nbatch - 1; d >= 0; --d) {
        if (batch[d] == 1) continue;
        if (sb[d] != 0 || sa[d] != next) return 0;
        next *= batch[d];
        rows *= batch[d];
    }
    /* the stacked rows must be a matrix BLAS addresses: one matrix row may have any row stride, several may not
     * (a (1, k) matrix whose columns are strided: its rows, stacked, have no unit stride) */
    ag_mat stacked = {NULL, ma->cols, rows, ma->cs, ma->rs}; /* transposed: as BLAS reads it */
    char trans;
    int ld;
    return ag_blas_layout(&stacked, &trans, &ld);
}

/* matmul semantics (NumPy's, vectors promoted, batch axes broadcast); dot is the same for ndim <= 2.
 * The output has shape batch + (m if a is a matrix) + (n if b is a matrix). */
static int ag_matmul(ag_outctx *ctx, PyArrayObject *a0, PyArrayObject *b0, int typenum) {
    int t = typenum == NPY_FLOAT64 ? 1 : 0, rc = -1;
    if (!ag_gemm_fn[t]) {
        PyErr_SetString(PyExc_RuntimeError, "BLAS is not loaded");
        return -1;
    }
    PyArrayObject *a = ag_blas_ready(a0), *b = a ? ag_blas_ready(b0) : NULL;
    if (!b) goto done;
    int na = PyArray_NDIM(a), nb = PyArray_NDIM(b);
    int ba = na > 2 ? na - 2 : 0, bb = nb > 2 ? nb - 2 : 0, nbatch = ba > bb ? ba : bb;
    npy_intp shape[AG_MAXDIMS];
    int64_t batch[AG_MAXDIMS], sa[AG_MAXDIMS], sb[AG_MAXDIMS];
    for (int d = 0; d < nbatch; ++d) {
        int da = d - (nbatch - ba), db = d - (nbatch - bb);
        int64_t za = da >= 0 ? PyArray_DIM(a, da) : 1, zb = db >= 0 ? PyArray_DIM(b, db) : 1;
        if (za != zb && za != 1 && zb != 1) {
            PyErr_Format(PyExc_ValueError, "matmul: batch dimensions %lld and %lld cannot be broadcast together",
                         (long long)za, (long long)zb);
            goto done;
        }
        batch[d] = za == 1 ? zb : za;
        sa[d] = da >= 0 && za != 1 ? PyArray_STRIDE(a, da) : 0;
        sb[d] = db >= 0 && zb != 1 ? PyArray_STRIDE(b, db) : 0;
        shape[d] = batch[d];
    }
    ag_mat ma = ag_as_mat(a, 1, PyArray_DATA(a)), mb = ag_as_mat(b, 0, PyArray_DATA(b));
    if (ma.cols != mb.rows) {
        PyErr_Format(PyExc_ValueError, "shapes not aligned: %lld (last dim of the first) != %lld (contracted dim of the second)",
                     (long long)ma.cols, (long long)mb.rows);
        goto done;
    }
    if (!ag_blas_size_ok(ma.rows) || !ag_blas_size_ok(ma.cols) || !ag_blas_size_ok(mb.cols)) goto done;
    int nd = nbatch;
    if (na > 1) shape[nd++] = ma.rows;
    if (nb > 1) shape[nd++] = mb.cols;
    PyArrayObject *out = ag_alloc_output(ctx, 0, nd, shape);
    if (!out) goto done;
    int64_t count = 1, idx[AG_MAXDIMS] = {0};
    for (int d = 0; d < nbatch; ++d) count *= batch[d];
    if (count > 1 && ag_batch_folds_into_rows(nbatch, batch, sa, sb, &ma, PyArray_ITEMSIZE(a))) {
        /* one product of count * m rows: b is packed once, not once per batch entry */
        ma.rows *= count;
        count = 1;
        if (!ag_blas_size_ok(ma.rows)) goto done;
    }
    /* b packed once for a loop where a step's product runs on the float64 kernel (packed_gemm.c) */
    const double *packed =
        t && count == 1 && b == b0 && ag_pk_ok(ma.rows, mb.cols, ma.cols) ? ag_loop_packed_b(ctx, 1, &mb) : NULL;
    size_t out_step = (size_t)ma.rows * mb.cols * PyArray_ITEMSIZE(out);
    int release = ma.rows * ma.cols * mb.cols * count > 100000;
    PyThreadState *save = release ? PyEval_SaveThread() : NULL;
    char *pa = PyArray_DATA(a), *pb = PyArray_DATA(b), *pc = PyArray_DATA(out);
    for (int64_t i = 0; i < count; ++i) {
        ma.data = pa;
        mb.data = pb;
        ag_gemm(t, &ma, &mb, pc, 1.0, 0.0, ag_step_threads(ctx), packed);
        pc += out_step;
        ag_batch_next(nbatch, batch, idx, &pa, sa, &pb, sb);
    }
    if (save) PyEval_RestoreThread(save);
    rc = 0;
done:
    Py_XDECREF(a);
    Py_XDECREF(b);
    return rc;
}

static int ag_scalar_value(PyObject *v, double *out) {
    PyArrayObject *a = (PyArrayObject *)v;
    if (!PyArray_Check(v) || PyArray_NDIM(a) != 0) {
        PyErr_SetString(PyExc_TypeError, "alpha and beta must be 0-d arrays");
        return -1;
    }
    *out = PyArray_TYPE(a) == NPY_FLOAT64 ? *(double *)PyArray_DATA(a) : (double)*(float *)PyArray_DATA(a);
    return 0;
}

/* c broadcast to the output (rows x cols, C order); cs: c's strides, 0 along broadcast dimensions. */
static void ag_copy_bias(char *o, const char *src, int64_t rows, int64_t cols, const int64_t *cs, size_t item) {
    if (cs[1] == (int64_t)item && (rows == 1 || cs[0] == cols * (int64_t)item)) {
        memcpy(o, src, (size_t)(rows * cols) * item);
        return;
    }
    if (cs[1] == (int64_t)item) {  /* contiguous rows (a bias row broadcast down the columns, say) */
        for (int64_t i = 0; i < rows; ++i) memcpy(o + i * cols * item, src + i * cs[0], (size_t)cols * item);
        return;
    }
    for (int64_t i = 0; i < rows; ++i)
        for (int64_t j = 0; j < cols; ++j) memcpy(o + (i * cols + j) * item, src + i * cs[0] + j * cs[1], item);
}

/* graph-opt's Gemm / Gemv: out = beta c + alpha op(a) op(b), c broadcast to the product's shape (and not read
 * when beta is 0). With in_place (the memory plan's advice) the product accumulates into c itself when
 * ag_output_into_input allows. Returns 1 when c is larger than the product (broadcast the other way): the caller
 * then runs the reference implementation. */
static int ag_gemm_step(ag_outctx *ctx, PyArrayObject *c0, PyObject *alpha_v, PyArrayObject *a0, PyArrayObject *b0,
                        PyObject *beta_v, int trans_a, int trans_b, int in_place, int typenum) {
    int t = typenum == NPY_FLOAT64 ? 1 : 0, rc = -1;
    double alpha, beta;
    if (ag_scalar_value(alpha_v, &alpha) < 0 || ag_scalar_value(beta_v, &beta) < 0) return -1;
    PyArrayObject *a = ag_blas_ready(a0), *b = a ? ag_blas_ready(b0) : NULL;
    if (!b) goto done;
    ag_mat ma = ag_as_mat(a, 1, PyArray_DATA(a)), mb = ag_as_mat(b, 0, PyArray_DATA(b));
    if (trans_a) ma = (ag_mat){ma.data, ma.cols, ma.rows, ma.cs, ma.rs};
    if (trans_b && PyArray_NDIM(b) == 2) mb = (ag_mat){mb.data, mb.cols, mb.rows, mb.cs, mb.rs};
    if (ma.cols != mb.rows) {
        PyErr_Format(PyExc_ValueError, "inner sizes differ: %lld and %lld", (long long)ma.cols, (long long)mb.rows);
        goto done;
    }
    if (!ag_blas_size_ok(ma.rows) || !ag_blas_size_ok(ma.cols) || !ag_blas_size_ok(mb.cols)) goto done;
    int vector = PyArray_NDIM(b) == 1, nd = vector ? 1 : 2, cnd = PyArray_NDIM(c0);
    npy_intp shape[2] = {ma.rows, mb.cols};
    int64_t cs[2] = {0, 0};
    for (int d = 0; d < cnd; ++d) {
        int od = nd - cnd + d;
        npy_intp z = PyArray_DIM(c0, d);
        if (z != 1 && z != shape[od]) {
            if (shape[od] == 1) { rc = 1; goto done; }
            PyErr_Format(PyExc_ValueError, "cannot broadcast c of size %lld to %lld", (long long)z, (long long)shape[od]);
            goto done;
        }
        cs[od] = z == 1 ? 0 : PyArray_STRIDE(c0, d);
    }
    PyArrayObject *out = in_place && beta != 0 ? ag_output_into_input(ctx, 0, nd, shape) : NULL;
    if (!out) {
        out = ag_alloc_output(ctx, 0, nd, shape);
        if (!out) goto done;
        if (beta != 0) {
            int64_t strides[2] = {cs[0], vector ? PyArray_ITEMSIZE(out) : cs[1]};  /* a vector: one column */
            ag_copy_bias(PyArray_DATA(out), PyArray_DATA(c0), shape[0], vector ? 1 : shape[1], strides,
                         (size_t)PyArray_ITEMSIZE(out));
        }
    }
    const double *packed = t && b == b0 && ag_pk_ok(ma.rows, mb.cols, ma.cols) ? ag_loop_packed_b(ctx, 3, &mb) : NULL;
    int release = ma.rows * ma.cols * mb.cols > 100000;
    PyThreadState *save = release ? PyEval_SaveThread() : NULL;
    ag_gemm(t, &ma, &mb, PyArray_DATA(out), alpha, beta, ag_step_threads(ctx), packed);
    if (save) PyEval_RestoreThread(save);
    rc = 0;
done:
    Py_XDECREF(a);
    Py_XDECREF(b);
    return rc;
}

static int ag_set_blas(PyObject *capi) {
    static const char *names[][2] = {{"sgemm", "sgemv"}, {"dgemm", "dgemv"}};
    for (int t = 0; t < 2; ++t) {
        void *ptrs[2];
        for (int j = 0; j < 2; ++j) {
            PyObject *cap = PyDict_GetItemString(capi, names[t][j]);
            if (!cap) {
                PyErr_Format(PyExc_KeyError, "cython_blas has no %s", names[t][j]);
                return -1;
            }
            ptrs[j] = PyCapsule_GetPointer(cap, PyCapsule_GetName(cap));
            if (!ptrs[j]) return -1;
        }
        ag_gemm_fn[t] = (ag_gemm_t)ptrs[0];
        ag_gemv_fn[t] = (ag_gemv_t)ptrs[1];
    }
    ag_blas_find_threads_control((void *)ag_gemm_fn[1]);
    return 0;
}
