/* nn-extras' C kernels: the pooling windows and planes (include-guarded). */
#ifndef ARIGNOTE_NN_POOL
#define ARIGNOTE_NN_POOL

/* pooling windows reading at least this many elements in all split their planes over threads */
#define NN_PARALLEL_POOL (1 << 19)

/* Byte offset of plane p (an index over every axis but the last two) of a. */
static int64_t nn_plane_offset(const ag_array *a, int64_t p) {
    int64_t offset = 0;
    for (int d = a->ndim - 3; d >= 0; --d) {
        offset += (p % a->shape[d]) * a->strides[d];
        p /= a->shape[d];
    }
    return offset;
}

static int64_t nn_planes(const ag_array *a) {
    int64_t count = 1;
    for (int d = 0; d < a->ndim - 2; ++d) count *= a->shape[d];
    return count;
}

/* Pooling: window, stride, symmetric padding, and the mode (as arignote_nn.pool_kernels.POOL_MODES). */
enum { NN_POOL_MAX = 0, NN_POOL_SUM = 1, NN_POOL_AVG_INC_PAD = 2, NN_POOL_AVG_EXC_PAD = 3 };

typedef struct {
    int64_t ws[2], stride[2], pad[2];
    int mode;
} nn_pool_params;

/* One pooling window along one axis: its start (may be in the padding) and the input range [lo, hi) it covers. */
typedef struct {
    int64_t start, lo, hi;
} nn_span;

static nn_span nn_pool_span(const nn_pool_params *p, int axis, int64_t o, int64_t size) {
    nn_span s;
    s.start = o * p->stride[axis] - p->pad[axis];
    s.lo = s.start > 0 ? s.start : 0;
    s.hi = s.start + p->ws[axis] < size ? s.start + p->ws[axis] : size;
    return s;
}

/* How many elements a window averages along one axis (padding counts for NN_POOL_AVG_INC_PAD). */
static int64_t nn_pool_count(const nn_pool_params *p, int axis, nn_span s, int64_t size) {
    if (p->mode != NN_POOL_AVG_INC_PAD) return s.hi - s.lo;
    int64_t end = s.start + p->ws[axis], top = size + p->pad[axis], bottom = -p->pad[axis];
    return (end < top ? end : top) - (s.start > bottom ? s.start : bottom);
}
#endif
