/* nn-extras' C kernels: the convolutions' geometry and threading rules (include-guarded); the 3-d kernels
 * (conv3d.h) build on its padding, threading and BLAS-size rules. */
#ifndef ARIGNOTE_NN_CONV
#define ARIGNOTE_NN_CONV

/* Whether BLAS (32-bit ints) can take these sizes; sets ValueError when not. */
static int nn_blas_sizes_ok(int64_t a, int64_t b, int64_t c) {
    if (a > INT_MAX || b > INT_MAX || c > INT_MAX) {
        PyErr_SetString(PyExc_ValueError, "convolution too large for BLAS (a dimension above 2**31 - 1)");
        return 0;
    }
    return 1;
}

/* Threads. A kernel of several (image, group) items and at least NN_PARALLEL_MACS multiply-adds in all splits
 * its items over the threads (no more threads than items), each product on one thread; the others go item by
 * item, and the runtime's GEMM splits each product that is large enough over the threads. */
#define NN_PARALLEL_MACS (1 << 22)

/* How many workers share `items` items of `macs` multiply-adds in all. */
static int nn_workers(int64_t items, int64_t macs) {
    int64_t workers = nn_threads();
    if (workers > items) workers = items;
    return workers > 1 && macs >= NN_PARALLEL_MACS ? (int)workers : 1;
}

/* Padding of a convolution: mode NN_PAD_EXPLICIT uses the explicit pads ((before, after) per spatial axis: top,
 * bottom, left, right for 2-d); the others resolve like arignote_nn.windows.resolve_pads (NN_PAD_HALF from the
 * kernel's size at run time). */
enum { NN_PAD_EXPLICIT = 0, NN_PAD_VALID = 1, NN_PAD_SAME = 2, NN_PAD_FULL = 3, NN_PAD_HALF = 4 };

typedef struct {
    int pad_mode;
    int64_t pads[4], stride[2], dilation[2], groups;
} nn_conv_params;

/* Where the windows of one convolution lie: input (n, c, h, w), filters (f, cg, kh, kw), output (oh, ow),
 * stride, dilation and the top / left padding. */
typedef struct {
    int64_t n, c, h, w, f, cg, kh, kw, oh, ow, sh, sw, dh, dw, pt, pl, groups;
} nn_conv_geom;

/* The padding before a spatial axis of `size` under pad mode `mode` (`before`: the explicit pad), for a kernel of
 * `kernel` taps, stride and dilation: the same rule for every number of spatial axes. */
static int64_t nn_resolve_pad_before(int mode, int64_t before, int64_t stride, int64_t dilation, int64_t size,
                                     int64_t kernel) {
    const int64_t extent = dilation * (kernel - 1) + 1;
    switch (mode) {
    case NN_PAD_VALID:
        return 0;
    case NN_PAD_FULL:
        return extent - 1;
    case NN_PAD_HALF:
        return extent / 2;
    case NN_PAD_SAME: {
        const int64_t out = (size + stride - 1) / stride, total = (out - 1) * stride + extent - size;
        return total > 0 ? total / 2 : 0;
    }
    default:
        return before;
    }
}

static int64_t nn_pad_before(const nn_conv_params *p, int axis, int64_t size, int64_t kernel) {
    return nn_resolve_pad_before(p->pad_mode, p->pads[2 * axis], p->stride[axis], p->dilation[axis], size, kernel);
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

/* Whether an array is C-contiguous (dimensions of size 1 may have any stride). */
static int nn_c_contiguous(const ag_array *a, int64_t itemsize) {
    int64_t expect = itemsize;
    for (int d = a->ndim - 1; d >= 0; --d) {
        if (a->shape[d] != 1 && a->strides[d] != expect) return 0;
        expect *= a->shape[d];
    }
    return 1;
}

#endif
