/* nn-extras' C kernels: the convolutions' BLAS, geometry and threading rules (include-guarded). */
#ifndef ARIGNOTE_NN_CONV
#define ARIGNOTE_NN_CONV

typedef void (*nn_gemm_t)(char *, char *, int *, int *, int *, void *, void *, int *, void *, int *, void *,
                          void *, int *);

/* SciPy's sgemm (0) and dgemm (1), taken once from the capsules that codegen-c's runtime hands its own BLAS
 * calls (arignote_c.runtime.cython_blas_capi), so nothing links against a BLAS. */
static nn_gemm_t nn_gemm_fn[2];

static int nn_load_blas(void) {
    static const char *names[2] = {"sgemm", "dgemm"};
    if (nn_gemm_fn[0] && nn_gemm_fn[1]) return 0;
    PyObject *runtime = PyImport_ImportModule("arignote_c.runtime");
    PyObject *capi = runtime ? PyObject_CallMethod(runtime, "cython_blas_capi", NULL) : NULL;
    Py_XDECREF(runtime);
    if (!capi) return -1;
    for (int t = 0; t < 2; ++t) {
        PyObject *capsule = PyMapping_GetItemString(capi, names[t]);
        void *fn = capsule ? PyCapsule_GetPointer(capsule, PyCapsule_GetName(capsule)) : NULL;
        Py_XDECREF(capsule);
        if (!fn) {
            Py_DECREF(capi);
            return -1;
        }
        nn_gemm_fn[t] = (nn_gemm_t)fn;
    }
    Py_DECREF(capi);
    return 0;
}

/* Whether BLAS (32-bit ints) can take these sizes; sets ValueError when not. */
static int nn_blas_sizes_ok(int64_t a, int64_t b, int64_t c) {
    if (a > INT_MAX || b > INT_MAX || c > INT_MAX) {
        PyErr_SetString(PyExc_ValueError, "convolution too large for BLAS (a dimension above 2**31 - 1)");
        return 0;
    }
    return 1;
}

/* Row-major c (m x n, row stride ldc) = op(a) op(b) + beta c, op transposing where ta / tb: the column-major
 * BLAS computes the transposed product c^T = op(b)^T op(a)^T. */
static void nn_gemm(int t, int ta, int tb, int64_t m, int64_t n, int64_t k, const void *a, int64_t lda,
                    const void *b, int64_t ldb, double beta, void *c, int64_t ldc) {
    char ca = ta ? 'T' : 'N', cb = tb ? 'T' : 'N';
    int im = (int)m, in = (int)n, ik = (int)k, ila = (int)lda, ilb = (int)ldb, ilc = (int)ldc;
    double one_d = 1.0, beta_d = beta;
    float one_f = 1.0f, beta_f = (float)beta;
    void *one = t ? (void *)&one_d : (void *)&one_f, *bet = t ? (void *)&beta_d : (void *)&beta_f;
    nn_gemm_fn[t](&cb, &ca, &in, &im, &ik, one, (void *)b, &ilb, (void *)a, &ila, bet, c, &ilc);
}

/* Threads. OpenBLAS runs a product of at most NN_SERIAL_MACS multiply-adds on the calling thread, so kernels
 * whose products can be cut into pieces that small (of at least NN_MIN_PIECE columns) split their images over
 * their own threads, each calling BLAS piecewise; the others go image by image, BLAS threading each product.
 * Below NN_PARALLEL_MACS of work in all, starting threads costs more than it saves. */
#define NN_SERIAL_MACS (1 << 18)
#define NN_MIN_PIECE 32
#define NN_PARALLEL_MACS (1 << 24)

/* Columns (or inner length) per BLAS call for products whose other two sizes multiply to fixed: a piece
 * OpenBLAS runs on the calling thread, or 0 when such pieces would be too thin. */
static int64_t nn_piece(int64_t fixed) {
    int64_t piece = NN_SERIAL_MACS / (fixed > 0 ? fixed : 1);
    return piece >= NN_MIN_PIECE ? piece : 0;
}

/* How many workers share `items` items of `macs` multiply-adds in all, each product having `fixed` as above. */
static int nn_workers(int64_t items, int64_t macs, int64_t fixed) {
    int64_t workers = nn_threads();
    if (workers > items) workers = items;
    return workers > 1 && macs >= NN_PARALLEL_MACS && nn_piece(fixed) ? (int)workers : 1;
}

/* Padding of a convolution: mode NN_PAD_EXPLICIT uses pads (top, bottom, left, right); the others resolve
 * like arignote_nn.windows.resolve_pads. */
enum { NN_PAD_EXPLICIT = 0, NN_PAD_VALID = 1, NN_PAD_SAME = 2, NN_PAD_FULL = 3 };

typedef struct {
    int pad_mode;
    int64_t pads[4], stride[2], dilation[2], groups;
} nn_conv_params;

/* Where the windows of one convolution lie: input (n, c, h, w), filters (f, cg, kh, kw), output (oh, ow),
 * stride, dilation and the top / left padding. */
typedef struct {
    int64_t n, c, h, w, f, cg, kh, kw, oh, ow, sh, sw, dh, dw, pt, pl, groups;
} nn_conv_geom;

static int64_t nn_pad_before(const nn_conv_params *p, int axis, int64_t size, int64_t kernel) {
    int64_t stride = p->stride[axis], extent = p->dilation[axis] * (kernel - 1) + 1;
    switch (p->pad_mode) {
    case NN_PAD_VALID:
        return 0;
    case NN_PAD_FULL:
        return extent - 1;
    case NN_PAD_SAME: {
        int64_t out = (size + stride - 1) / stride, total = (out - 1) * stride + extent - size;
        return total > 0 ? total / 2 : 0;
    }
    default:
        return p->pads[2 * axis];
    }
}

static nn_conv_geom nn_conv_geometry(const nn_conv_params *p, const int64_t *x, const int64_t *w, const int64_t *y) {
    nn_conv_geom g = {x[0], x[1], x[2], x[3], w[0], w[1], w[2], w[3], y[2], y[3], p->stride[0], p->stride[1],
                      p->dilation[0], p->dilation[1], 0, 0, p->groups};
    g.pt = nn_pad_before(p, 0, g.h, g.kh);
    g.pl = nn_pad_before(p, 1, g.w, g.kw);
    return g;
}

/* Output columns [lo, hi) of a window row whose input column, ow * stride + shift, lies in [0, size). */
static void nn_inside(int64_t shift, int64_t stride, int64_t size, int64_t out, int64_t *lo, int64_t *hi) {
    int64_t a = shift >= 0 ? 0 : (-shift + stride - 1) / stride;
    int64_t b = size - shift > 0 ? (size - shift + stride - 1) / stride : 0;
    if (b > out) b = out;
    *hi = b;
    *lo = a < b ? a : b;
}

/* Whether a 4-d array is C-contiguous (dimensions of size 1 may have any stride). */
static int nn_c_contiguous(const ag_array *a, int64_t itemsize) {
    int64_t expect = itemsize;
    for (int d = a->ndim - 1; d >= 0; --d) {
        if (a->shape[d] != 1 && a->strides[d] != expect) return 0;
        expect *= a->shape[d];
    }
    return 1;
}

#endif
