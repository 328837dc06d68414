/* 2-d convolution (NCHW input, FCHW filters) as im2col plus one BLAS GEMM per image and group, and its two
 * adjoints: the gradient in the filters (GEMM against the same columns, accumulated over images) and in the
 * input (GEMM into columns, then col2im). Written once for a type real_t (float or double, BLAS table index
 * NN_BLAS); NN(name) gives the name for that type. */

/* Zero the columns a block copy of rows [first, last) wrapped from one row into the next (windows over the
 * left or right padding): the `gap` = w - hi + lo elements after column hi of each row but the last. One or
 * two elements for the usual kernels, stored one by one (a memset call each would cost more than the copy). */
static void NN(zero_wrapped)(real_t *row, int64_t w, int64_t first, int64_t last, int64_t lo, int64_t hi) {
    const int64_t gap = w - hi + lo;
    if (gap == 1) {
        for (int64_t oy = first; oy < last - 1; ++oy) row[oy * w + hi] = 0;
        return;
    }
    for (int64_t oy = first; oy < last - 1; ++oy) {
        real_t *p = row + oy * w + hi;
        for (int64_t k = 0; k < gap; ++k) p[k] = 0;
    }
}

/* Row (c, i, j) of the columns, for stride 1 along the width, unit element stride and contiguous rows, with
 * as many output as input columns ("same" padding): the window row is the input plane shifted by a constant,
 * so the rows inside the input are one block copy whose wrapped edge columns are then zeroed. The rest of the
 * row (windows over the top or bottom padding, or all of it) is never written: the job's columns start zeroed,
 * and every image writes the same parts. */
static void NN(im2col_shifted)(const real_t *plane, const nn_conv_geom *g, int64_t i, int64_t shift, int64_t lo,
                               int64_t hi, real_t *row) {
    const int64_t w = g->w, top = i * g->dh - g->pt;
    const int64_t first = top >= 0 ? 0 : -top, last = g->h - top < g->oh ? g->h - top : g->oh;
    if (first >= last || lo >= hi) return;
    memcpy(row + first * w + lo, plane + (first + top) * w + lo + shift,
           ((last - 1 - first) * w + hi - lo) * sizeof(real_t));
    NN(zero_wrapped)(row, w, first, last, lo, hi);
}

/* The windows of x (one image, cg channels, byte strides sc, sy, sx) as rows (c, kh, kw) x columns (oh, ow):
 * zeros where a window reads padding. */
static void NN(im2col)(const char *x, int64_t sc, int64_t sy, int64_t sx, const nn_conv_geom *g, real_t *cols) {
    const int64_t ohw = g->oh * g->ow, isz = sizeof(real_t);
    const int shifted = g->sh == 1 && g->sw == 1 && sx == isz && sy == g->w * isz && g->ow == g->w;
    for (int64_t c = 0; c < g->cg; ++c)
        for (int64_t i = 0; i < g->kh; ++i)
            for (int64_t j = 0; j < g->kw; ++j) {
                real_t *row = cols + ((c * g->kh + i) * g->kw + j) * ohw;
                const int64_t shift = j * g->dw - g->pl;
                int64_t lo, hi;
                nn_inside(shift, g->sw, g->w, g->ow, &lo, &hi);
                if (shifted) {
                    NN(im2col_shifted)((const real_t *)(x + c * sc), g, i, shift, lo, hi, row);
                    continue;
                }
                for (int64_t oy = 0; oy < g->oh; ++oy) {
                    real_t *r = row + oy * g->ow;
                    const int64_t iy = oy * g->sh - g->pt + i * g->dh;
                    if (iy < 0 || iy >= g->h) {
                        for (int64_t k = 0; k < g->ow; ++k) r[k] = 0;
                        continue;
                    }
                    const char *src = x + c * sc + iy * sy + shift * sx;
                    for (int64_t k = 0; k < lo; ++k) r[k] = 0;
                    if (g->sw == 1 && sx == isz) {
                        const real_t *s = (const real_t *)src;
                        for (int64_t k = lo; k < hi; ++k) r[k] = s[k];
                    } else {
                        for (int64_t k = lo; k < hi; ++k) r[k] = *(const real_t *)(src + k * g->sw * sx);
                    }
                    for (int64_t k = hi; k < g->ow; ++k) r[k] = 0;
                }
            }
}

/* Row (c, i, j) of the columns added onto its input plane, for stride 1 and as many output as input columns:
 * the row is the plane shifted by a constant, so once its wrapped edge columns (windows over padding) are
 * zeroed, it is one long vectorized add. */
static void NN(col2im_shifted)(real_t *row, const nn_conv_geom *g, int64_t i, int64_t shift, int64_t lo, int64_t hi,
                               real_t *plane) {
    const int64_t w = g->w, top = i * g->dh - g->pt;
    const int64_t first = top >= 0 ? 0 : -top, last = g->h - top < g->oh ? g->h - top : g->oh;
    if (first >= last || lo >= hi) return;
    NN(zero_wrapped)(row, w, first, last, lo, hi);
    const int64_t begin = first * w + lo, end = (last - 1) * w + hi;
    real_t *restrict dst = plane + top * w + shift;
    const real_t *restrict src = row;
    for (int64_t k = begin; k < end; ++k) dst[k] += src[k];
}

/* The transpose of im2col: gx (one image, cg channels, C-contiguous) = the sum of the columns (scratch: their
 * edges may be zeroed) over the windows. With stride 1, as many output as input columns and a window row that
 * covers its plane exactly (the centre of a "same" convolution), that row is copied in and the others added;
 * otherwise the plane is zeroed first. */
static void NN(col2im)(real_t *cols, const nn_conv_geom *g, real_t *gx) {
    const int64_t ohw = g->oh * g->ow, hw = g->h * g->w;
    const int shifted = g->sh == 1 && g->sw == 1 && g->ow == g->w;
    const int64_t ci = g->pt / g->dh, cj = g->pl / g->dw;
    const int covering = shifted && g->oh == g->h && g->pt % g->dh == 0 && g->pl % g->dw == 0 && ci < g->kh &&
                         cj < g->kw;
    for (int64_t c = 0; c < g->cg; ++c) {
        real_t *plane = gx + c * hw;
        if (covering)
            memcpy(plane, cols + ((c * g->kh + ci) * g->kw + cj) * ohw, hw * sizeof(real_t));
        else
            memset(plane, 0, hw * sizeof(real_t));
        for (int64_t i = 0; i < g->kh; ++i)
            for (int64_t j = 0; j < g->kw; ++j) {
                if (covering && i == ci && j == cj) continue;
                real_t *row = cols + ((c * g->kh + i) * g->kw + j) * ohw;
                const int64_t shift = j * g->dw - g->pl;
                int64_t lo, hi;
                nn_inside(shift, g->sw, g->w, g->ow, &lo, &hi);
                if (shifted) {
                    NN(col2im_shifted)(row, g, i, shift, lo, hi, plane);
                    continue;
                }
                for (int64_t oy = 0; oy < g->oh; ++oy) {
                    const int64_t iy = oy * g->sh - g->pt + i * g->dh;
                    if (iy < 0 || iy >= g->h) continue;
                    const real_t *r = row + oy * g->ow;
                    real_t *dst = plane + iy * g->w + shift;
                    if (g->sw == 1)
                        for (int64_t k = lo; k < hi; ++k) dst[k] += r[k];
                    else
                        for (int64_t k = lo; k < hi; ++k) dst[k * g->sw] += r[k];
                }
            }
    }
}

/* a's data as a C-contiguous array: a itself, or a copy in *copy (to free) when its strides are others. */
static const real_t *NN(contiguous)(const ag_array *a, real_t **copy) {
    *copy = NULL;
    if (nn_c_contiguous(a, sizeof(real_t))) return (const real_t *)a->data;
    int64_t size = a->shape[0] * a->shape[1] * a->shape[2] * a->shape[3], k = 0;
    real_t *out = malloc((size ? size : 1) * sizeof(real_t));
    if (!out) return NULL;
    for (int64_t i0 = 0; i0 < a->shape[0]; ++i0)
        for (int64_t i1 = 0; i1 < a->shape[1]; ++i1)
            for (int64_t i2 = 0; i2 < a->shape[2]; ++i2)
                for (int64_t i3 = 0; i3 < a->shape[3]; ++i3)
                    out[k++] = *(const real_t *)(a->data + i0 * a->strides[0] + i1 * a->strides[1] +
                                                  i2 * a->strides[2] + i3 * a->strides[3]);
    *copy = out;
    return out;
}

/* Row-major c (m x n, row stride ldc) = op(a) b + beta c, on `threads` threads. */
static void NN(gemm)(int ta, int tb, int64_t m, int64_t n, int64_t k, const real_t *a, int64_t lda, const real_t *b,
                     int64_t ldb, double beta, real_t *c, int64_t ldc, int threads) {
    nn_services->gemm(NN_BLAS, ta, tb, m, n, k, a, lda, b, ldb, beta, c, ldc, threads);
}

/* One call of a convolution kernel: its items are (image, group) pairs, shared by `workers` workers, each
 * with its own columns, each product on `gemm_threads` threads. The filter gradient sums each block of items
 * into an accumulator of its own, transposed (per group, rows x fg: BLAS is faster with the filters as the
 * short side of the product), then the blocks in order into the output: the same result whichever worker took
 * which block. */
typedef struct {
    nn_conv_geom g;
    int64_t fg, rows, ohw, blocks;
    const ag_array *x;
    const real_t *w, *gy;
    real_t *out, *copy_w, *copy_gy;
    int direct, workers, gemm_threads;
    real_t *cols[NN_MAX_THREADS], *acc[NN_MAX_BLOCKS];
} NN(job);

static void NN(job_free)(NN(job) *j) {
    for (int w = 0; w < NN_MAX_THREADS; ++w) free(j->cols[w]);
    for (int b = 0; b < NN_MAX_BLOCKS; ++b) free(j->acc[b]);
    free(j->copy_w);
    free(j->copy_gy);
}

/* Sizes, workers and memory of a job whose geometry is set: per worker, columns for im2col (zeroed, see
 * im2col_shifted) or for a product (`im2col` 0); per block, an accumulator (`accumulate`). -1 with a Python
 * exception set on failure. */
static int NN(job_start)(NN(job) *j, int accumulate, int im2col) {
    const nn_conv_geom *g = &j->g;
    j->fg = g->f / g->groups;
    j->rows = g->cg * g->kh * g->kw;
    j->ohw = g->oh * g->ow;
    if (nn_load_services() < 0 || !nn_blas_sizes_ok(j->rows, j->ohw, j->fg)) return -1;
    const int64_t items = g->n * g->groups;
    j->workers = nn_workers(items, items * j->fg * j->rows * j->ohw);
    j->gemm_threads = j->workers > 1 ? 1 : nn_threads();
    j->blocks = accumulate ? nn_blocks(items, j->workers) : 0;
    const int64_t cols = j->rows * j->ohw, acc = g->f * j->rows;
    for (int w = 0; w < j->workers; ++w)
        if (!j->direct && !(j->cols[w] = im2col ? calloc(cols > 0 ? cols : 1, sizeof(real_t))
                                                : malloc((cols > 0 ? cols : 1) * sizeof(real_t))))
            goto oom;
    for (int64_t b = 0; b < j->blocks; ++b)
        if (!(j->acc[b] = calloc(acc > 0 ? acc : 1, sizeof(real_t)))) goto oom;
    return 0;
oom:
    PyErr_NoMemory();
    return -1;
}

/* Run the items of a started job over its workers, without the GIL; frees the job. */
static int NN(job_run)(NN(job) *j, nn_range_fn fn) {
    PyThreadState *save = PyEval_SaveThread();
    nn_parallel(fn, j, j->g.n * j->g.groups, j->workers);
    for (int64_t grp = 0; grp < j->g.groups && j->blocks; ++grp)
        for (int64_t r = 0; r < j->rows; ++r)
            for (int64_t fi = 0; fi < j->fg; ++fi) {
                const int64_t at = (grp * j->rows + r) * j->fg + fi;
                real_t total = j->acc[0][at];
                for (int64_t b = 1; b < j->blocks; ++b) total += j->acc[b][at];
                j->out[(grp * j->fg + fi) * j->rows + r] = total;
            }
    PyEval_RestoreThread(save);
    NN(job_free)(j);
    return 0;
}

static int NN(job_fail)(NN(job) *j) {
    if (!PyErr_Occurred()) PyErr_NoMemory();
    NN(job_free)(j);
    return -1;
}

/* Image n, group grp of x: its first channel. */
static const char *NN(group_input)(const NN(job) *j, int64_t n, int64_t grp) {
    return j->x->data + n * j->x->strides[0] + grp * j->g.cg * j->x->strides[1];
}

/* The columns of image n, group grp of x: the worker's buffer filled by im2col, or the image itself. */
static const real_t *NN(columns)(NN(job) *j, int64_t n, int64_t grp, int worker) {
    const char *xg = NN(group_input)(j, n, grp);
    if (j->direct) return (const real_t *)xg;
    NN(im2col)(xg, j->x->strides[1], j->x->strides[2], j->x->strides[3], &j->g, j->cols[worker]);
    return j->cols[worker];
}

static void NN(forward_range)(void *arg, int64_t begin, int64_t end, int worker, int64_t block) {
    NN(job) *j = (NN(job) *)arg;
    (void)block;
    for (int64_t item = begin; item < end; ++item) {
        const int64_t n = item / j->g.groups, grp = item % j->g.groups;
        const real_t *cols = NN(columns)(j, n, grp, worker);
        NN(gemm)(0, 0, j->fg, j->ohw, j->rows, j->w + grp * j->fg * j->rows, j->rows, cols, j->ohw, 0.0,
                 j->out + (n * j->g.f + grp * j->fg) * j->ohw, j->ohw, j->gemm_threads);
    }
}

static void NN(grad_input_range)(void *arg, int64_t begin, int64_t end, int worker, int64_t block) {
    NN(job) *j = (NN(job) *)arg;
    (void)block;
    const nn_conv_geom *g = &j->g;
    for (int64_t item = begin; item < end; ++item) {
        const int64_t n = item / g->groups, grp = item % g->groups;
        real_t *target = j->out + (n * g->c + grp * g->cg) * g->h * g->w;
        real_t *cols = j->direct ? target : j->cols[worker];
        NN(gemm)(1, 0, j->rows, j->ohw, j->fg, j->w + grp * j->fg * j->rows, j->rows,
                 j->gy + (n * g->f + grp * j->fg) * j->ohw, j->ohw, 0.0, cols, j->ohw, j->gemm_threads);
        if (!j->direct) NN(col2im)(cols, g, target); /* sets target: no memset of every image beforehand */
    }
}

static void NN(grad_weights_range)(void *arg, int64_t begin, int64_t end, int worker, int64_t block) {
    NN(job) *j = (NN(job) *)arg;
    for (int64_t item = begin; item < end; ++item) {
        const int64_t n = item / j->g.groups, grp = item % j->g.groups;
        const real_t *cols = NN(columns)(j, n, grp, worker);
        NN(gemm)(0, 1, j->rows, j->fg, j->ohw, cols, j->ohw, j->gy + (n * j->g.f + grp * j->fg) * j->ohw, j->ohw,
                 1.0, j->acc[block] + grp * j->rows * j->fg, j->fg, j->gemm_threads);
    }
}

/* Whether the image planes of x can serve as their own columns: a 1x1 kernel, stride 1, no padding, and
 * C-contiguous channel planes (x NULL: the output gradient's, always contiguous). */
static int NN(direct_columns)(const ag_array *x, const nn_conv_geom *g) {
    const int64_t isz = sizeof(real_t);
    if (!(g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 && g->pt == 0 && g->pl == 0 && g->oh == g->h &&
          g->ow == g->w))
        return 0;
    return !x || ((g->w == 1 || x->strides[3] == isz) && (g->h == 1 || x->strides[2] == g->w * isz) &&
                  (g->cg == 1 || x->strides[1] == g->h * g->w * isz));
}

/* y (n, f, oh, ow) = conv2d(x, w) */
static int NN(conv2d_forward)(const ag_array *in, const ag_array *out, const nn_conv_params *p) {
    NN(job) j = {0};
    j.g = nn_conv_geometry(p, in[0].shape, in[1].shape, out[0].shape);
    j.x = &in[0];
    j.out = (real_t *)out[0].data;
    const int64_t size = j.g.n * j.g.f * j.g.oh * j.g.ow;
    if (size == 0 || j.g.cg * j.g.kh * j.g.kw == 0) {
        memset(j.out, 0, size * sizeof(real_t));
        return 0;
    }
    j.direct = NN(direct_columns)(&in[0], &j.g);
    if (NN(job_start)(&j, 0, 1) < 0 || !(j.w = NN(contiguous)(&in[1], &j.copy_w))) return NN(job_fail)(&j);
    return NN(job_run)(&j, NN(forward_range));
}

/* gx (n, c, h, w) = conv2d_grad_input(w, gy) */
static int NN(conv2d_grad_input)(const ag_array *in, const ag_array *out, const nn_conv_params *p) {
    NN(job) j = {0};
    j.g = nn_conv_geometry(p, out[0].shape, in[0].shape, in[1].shape);
    j.out = (real_t *)out[0].data;
    if (j.g.n * j.g.f * j.g.oh * j.g.ow * j.g.cg * j.g.kh * j.g.kw == 0) {
        memset(j.out, 0, j.g.n * j.g.c * j.g.h * j.g.w * sizeof(real_t));
        return 0;
    }
    j.direct = NN(direct_columns)(NULL, &j.g);
    if (NN(job_start)(&j, 0, 0) < 0 || !(j.w = NN(contiguous)(&in[0], &j.copy_w)) ||
        !(j.gy = NN(contiguous)(&in[1], &j.copy_gy)))
        return NN(job_fail)(&j);
    return NN(job_run)(&j, NN(grad_input_range));
}

/* gw (f, cg, kh, kw) = conv2d_grad_weights(x, gy) */
static int NN(conv2d_grad_weights)(const ag_array *in, const ag_array *out, const nn_conv_params *p) {
    NN(job) j = {0};
    j.g = nn_conv_geometry(p, in[0].shape, out[0].shape, in[1].shape);
    j.x = &in[0];
    j.out = (real_t *)out[0].data;
    memset(j.out, 0, j.g.f * j.g.cg * j.g.kh * j.g.kw * sizeof(real_t));
    if (j.g.n * j.g.f * j.g.oh * j.g.ow * j.g.cg * j.g.kh * j.g.kw == 0) return 0;
    j.direct = NN(direct_columns)(&in[0], &j.g);
    if (NN(job_start)(&j, 1, 1) < 0 || !(j.gy = NN(contiguous)(&in[1], &j.copy_gy))) return NN(job_fail)(&j);
    return NN(job_run)(&j, NN(grad_weights_range));
}
