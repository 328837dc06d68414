/* 2-d pooling over the last two axes (max, sum, the two averages) and its gradients: one pass over the windows
 * of each plane, planes split over threads when there are many. Written once for a type real_t; NN(name) gives
 * the name for that type. Sums accumulate in double. Padding counts as minus infinity in a maximum; the gradients
 * go to the first maximum of each window in row-major order among the input's own elements, NaN being the
 * largest. */

/* The maximum of window (sy, sx) of plane x (byte strides ry, rx): NaN when it holds one. */
static real_t NN(window_max)(const char *x, int64_t ry, int64_t rx, nn_span sy, nn_span sx) {
    real_t best = -INFINITY;
    int nan = 0;
    for (int64_t i = sy.lo; i < sy.hi; ++i)
        for (int64_t j = sx.lo; j < sx.hi; ++j) {
            const real_t v = *(const real_t *)(x + i * ry + j * rx);
            best = v > best ? v : best;
            nan |= v != v;
        }
    return nan ? (real_t)NAN : best;
}

/* The first maximum (row-major) of window (sy, sx) of plane x among the input's own elements, NaN being the
 * largest: its position in *iy, *ix, both -1 when the window holds no element of the input. The padding is never
 * chosen, so a window of minus infinities gives its gradient to its first element (as PyTorch does). */
static void NN(window_argmax)(const char *x, int64_t ry, int64_t rx, nn_span sy, nn_span sx, int64_t *iy,
                              int64_t *ix) {
    int64_t fy = -1, fx = -1;
    if (sy.lo < sy.hi && sx.lo < sx.hi) {
        real_t best = *(const real_t *)(x + sy.lo * ry + sx.lo * rx);
        fy = sy.lo;
        fx = sx.lo;
        for (int64_t i = sy.lo; i < sy.hi; ++i)
            for (int64_t j = sx.lo; j < sx.hi; ++j) {
                const real_t v = *(const real_t *)(x + i * ry + j * rx);
                const int take = (v > best) | ((v != v) & (best == best));
                best = take ? v : best;
                fy = take ? i : fy;
                fx = take ? j : fx;
            }
    }
    *iy = fy;
    *ix = fx;
}

/* Whether the windows of an (h, w) plane pooled to (oh, ow) are the usual 2x2 tiles (stride 2, no padding), all
 * inside the plane (no border window cut short), over rows of unit element stride: the fast paths below, with
 * the general loops' results. */
static int NN(pool_tiles_2x2)(const nn_pool_params *p, const ag_array *x, int64_t h, int64_t w, int64_t oh,
                              int64_t ow) {
    return p->ws[0] == 2 && p->ws[1] == 2 && p->stride[0] == 2 && p->stride[1] == 2 && p->pad[0] == 0 &&
           p->pad[1] == 0 && 2 * oh <= h && 2 * ow <= w && x->strides[x->ndim - 1] == (int64_t)sizeof(real_t);
}

/* Which of a 2x2 tile's values (a b / c d, row-major) window_argmax chooses: the first maximum, NaN largest. */
static int NN(tile_argmax)(real_t a, real_t b, real_t c, real_t d) {
    real_t best = a;
    int at = 0, take;
    take = (b > best) | ((b != b) & (best == best));
    best = take ? b : best;
    at = take ? 1 : at;
    take = (c > best) | ((c != c) & (best == best));
    best = take ? c : best;
    at = take ? 2 : at;
    take = (d > best) | ((d != d) & (best == best));
    return take ? 3 : at;
}

/* Row oy of the 2x2-tile maxima of a plane (rows r0 and r1 of the input): window_max on each tile. */
static void NN(tile_max_row)(const real_t *r0, const real_t *r1, int64_t ow, real_t *y) {
    for (int64_t ox = 0; ox < ow; ++ox) {
        const real_t a = r0[2 * ox], b = r0[2 * ox + 1], c = r1[2 * ox], d = r1[2 * ox + 1];
        real_t best = a > -INFINITY ? a : -INFINITY;
        best = b > best ? b : best;
        best = c > best ? c : best;
        best = d > best ? d : best;
        y[ox] = (a != a) | (b != b) | (c != c) | (d != d) ? (real_t)NAN : best;
    }
}

/* One call of a pooling kernel: planes of `in` (..., h, w) pooled to (oh, ow). */
typedef struct {
    const nn_pool_params *p;
    const ag_array *in, *pooled, *other;
    real_t *out;
    int64_t planes, h, w, oh, ow;
} NN(pool_job);

static NN(pool_job) NN(pool_job_of)(const nn_pool_params *p, const ag_array *in, const ag_array *pooled,
                                    const ag_array *other, real_t *out) {
    NN(pool_job) j = {p, in, pooled, other, out, nn_planes(in), in->shape[in->ndim - 2], in->shape[in->ndim - 1],
                      pooled->shape[pooled->ndim - 2], pooled->shape[pooled->ndim - 1]};
    return j;
}

/* Run fn over the planes of j, on several threads when the windows hold many elements. */
static int NN(pool_run)(NN(pool_job) *j, nn_range_fn fn) {
    if (nn_load_services() < 0) return -1;
    const int64_t work = j->planes * j->oh * j->ow * j->p->ws[0] * j->p->ws[1];
    int64_t workers = work >= NN_PARALLEL_POOL ? nn_threads() : 1;
    if (workers > j->planes) workers = j->planes;
    if (workers <= 1) {
        fn(j, 0, j->planes, 0, 0);
        return 0;
    }
    PyThreadState *save = PyEval_SaveThread();
    nn_parallel(fn, j, j->planes, (int)workers);
    PyEval_RestoreThread(save);
    return 0;
}

static void NN(pool_forward_range)(void *arg, int64_t begin, int64_t end, int worker, int64_t block) {
    const NN(pool_job) *j = (const NN(pool_job) *)arg;
    const nn_pool_params *p = j->p;
    const ag_array *x = j->in;
    const int64_t ry = x->strides[x->ndim - 2], rx = x->strides[x->ndim - 1];
    real_t *y = j->out + begin * j->oh * j->ow;
    (void)worker;
    (void)block;
    const int tiles = p->mode == NN_POOL_MAX && NN(pool_tiles_2x2)(p, x, j->h, j->w, j->oh, j->ow);
    for (int64_t q = begin; q < end; ++q) {
        const char *plane = x->data + nn_plane_offset(x, q);
        if (tiles) {
            for (int64_t oy = 0; oy < j->oh; ++oy, y += j->ow)
                NN(tile_max_row)((const real_t *)(plane + 2 * oy * ry), (const real_t *)(plane + (2 * oy + 1) * ry),
                                 j->ow, y);
            continue;
        }
        for (int64_t oy = 0; oy < j->oh; ++oy) {
            const nn_span sy = nn_pool_span(p, 0, oy, j->h);
            for (int64_t ox = 0; ox < j->ow; ++ox, ++y) {
                const nn_span sx = nn_pool_span(p, 1, ox, j->w);
                if (p->mode == NN_POOL_MAX) {
                    *y = NN(window_max)(plane, ry, rx, sy, sx);
                    continue;
                }
                double total = 0;
                for (int64_t i = sy.lo; i < sy.hi; ++i)
                    for (int64_t k = sx.lo; k < sx.hi; ++k) total += *(const real_t *)(plane + i * ry + k * rx);
                if (p->mode != NN_POOL_SUM)
                    total /= (double)(nn_pool_count(p, 0, sy, j->h) * nn_pool_count(p, 1, sx, j->w));
                *y = (real_t)total;
            }
        }
    }
}

/* max_pool2d_grad (other NULL: each output gradient of `pooled` added at its window's first maximum) or
 * max_pool2d_grad_grad (`other` = ggx read at each window's first maximum) */
static void NN(max_grads_range)(void *arg, int64_t begin, int64_t end, int worker, int64_t block) {
    const NN(pool_job) *j = (const NN(pool_job) *)arg;
    const ag_array *x = j->in, *gy = j->pooled, *ggx = j->other;
    const int64_t ry = x->strides[x->ndim - 2], rx = x->strides[x->ndim - 1];
    const ag_array *src = ggx ? ggx : gy;
    const int64_t sy = src->strides[src->ndim - 2], sx = src->strides[src->ndim - 1];
    const int tiles = NN(pool_tiles_2x2)(j->p, x, j->h, j->w, j->oh, j->ow);
    (void)worker;
    (void)block;
    for (int64_t q = begin; q < end; ++q) {
        const char *plane = x->data + nn_plane_offset(x, q);
        const char *from = src->data + nn_plane_offset(src, q);
        real_t *result = j->out + q * (ggx ? j->oh * j->ow : j->h * j->w);
        if (!ggx) memset(result, 0, j->h * j->w * sizeof(real_t));
        if (tiles) { /* the tiles do not overlap: each gradient is stored, not added */
            for (int64_t oy = 0; oy < j->oh; ++oy) {
                const real_t *r0 = (const real_t *)(plane + 2 * oy * ry);
                const real_t *r1 = (const real_t *)(plane + (2 * oy + 1) * ry);
                for (int64_t ox = 0; ox < j->ow; ++ox) {
                    const int at = NN(tile_argmax)(r0[2 * ox], r0[2 * ox + 1], r1[2 * ox], r1[2 * ox + 1]);
                    const int64_t iy = 2 * oy + (at >> 1), ix = 2 * ox + (at & 1);
                    if (ggx)
                        *result++ = *(const real_t *)(from + iy * sy + ix * sx);
                    else
                        result[iy * j->w + ix] = *(const real_t *)(from + oy * sy + ox * sx);
                }
            }
            continue;
        }
        for (int64_t oy = 0; oy < j->oh; ++oy) {
            const nn_span span_y = nn_pool_span(j->p, 0, oy, j->h);
            for (int64_t ox = 0; ox < j->ow; ++ox) {
                int64_t iy, ix;
                NN(window_argmax)(plane, ry, rx, span_y, nn_pool_span(j->p, 1, ox, j->w), &iy, &ix);
                if (ggx)
                    *result++ = iy < 0 ? 0 : *(const real_t *)(from + iy * sy + ix * sx);
                else if (iy >= 0)
                    result[iy * j->w + ix] += *(const real_t *)(from + oy * sy + ox * sx);
            }
        }
    }
}

/* average_pool2d_grad: each output gradient of `pooled` spread (divided) over its window of the input */
static void NN(average_grad_range)(void *arg, int64_t begin, int64_t end, int worker, int64_t block) {
    const NN(pool_job) *j = (const NN(pool_job) *)arg;
    const nn_pool_params *p = j->p;
    const ag_array *gy = j->pooled;
    const int64_t ry = gy->strides[gy->ndim - 2], rx = gy->strides[gy->ndim - 1];
    (void)worker;
    (void)block;
    for (int64_t q = begin; q < end; ++q) {
        const char *plane = gy->data + nn_plane_offset(gy, q);
        real_t *gx = j->out + q * j->h * j->w;
        memset(gx, 0, j->h * j->w * sizeof(real_t));
        for (int64_t oy = 0; oy < j->oh; ++oy) {
            const nn_span sy = nn_pool_span(p, 0, oy, j->h);
            for (int64_t ox = 0; ox < j->ow; ++ox) {
                const nn_span sx = nn_pool_span(p, 1, ox, j->w);
                const real_t g = *(const real_t *)(plane + oy * ry + ox * rx);
                const real_t v = p->mode == NN_POOL_SUM ? g : (real_t)((double)g / (double)(
                    nn_pool_count(p, 0, sy, j->h) * nn_pool_count(p, 1, sx, j->w)));
                for (int64_t i = sy.lo; i < sy.hi; ++i)
                    for (int64_t k = sx.lo; k < sx.hi; ++k) gx[i * j->w + k] += v;
            }
        }
    }
}

/* y = pool2d(x) */
static int NN(pool2d_forward)(const ag_array *in, const ag_array *out, const nn_pool_params *p) {
    NN(pool_job) j = NN(pool_job_of)(p, &in[0], &out[0], NULL, (real_t *)out[0].data);
    return NN(pool_run)(&j, NN(pool_forward_range));
}

/* gx = max_pool2d_grad(x, gy) */
static int NN(max_pool2d_grad)(const ag_array *in, const ag_array *out, const nn_pool_params *p) {
    NN(pool_job) j = NN(pool_job_of)(p, &in[0], &in[1], NULL, (real_t *)out[0].data);
    return NN(pool_run)(&j, NN(max_grads_range));
}

/* ggy = max_pool2d_grad_grad(x, ggx) */
static int NN(max_pool2d_grad_grad)(const ag_array *in, const ag_array *out, const nn_pool_params *p) {
    NN(pool_job) j = NN(pool_job_of)(p, &in[0], &out[0], &in[1], (real_t *)out[0].data);
    return NN(pool_run)(&j, NN(max_grads_range));
}

/* gx (the input's shape) = average_pool2d_grad(gy) */
static int NN(average_pool2d_grad)(const ag_array *in, const ag_array *out, const nn_pool_params *p) {
    NN(pool_job) j = NN(pool_job_of)(p, &out[0], &in[0], NULL, (real_t *)out[0].data);
    return NN(pool_run)(&j, NN(average_grad_range));
}
