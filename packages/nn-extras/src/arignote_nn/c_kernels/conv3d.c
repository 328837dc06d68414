/* 3-d convolution (NCDHW input, FCDHW filters) as im2col plus one BLAS GEMM per image and group (through the
 * runtime's services, as conv2d), and its two adjoints: the filter gradient multiplies the output gradient by the
 * same columns (into one accumulator per block of items, summed in block order: the same result whichever worker
 * took which block), the input gradient multiplies into columns and adds them back (col2im). Inputs are read
 * through their byte strides (views need no copy); filters and output gradients that are not C-contiguous are
 * copied once. Written once for a type real_t (BLAS table index NN_BLAS); NN(name) gives the name for that type. */

/* The windows of one image's group (cg channels from `x`, byte strides s) as rows (c, kd, kh, kw) x columns
 * (od, oh, ow): zeros where a window reads padding. */
static void NN(im2col3)(const char *x, const int64_t *s, const nn_conv3d_geom *g, real_t *cols) {
    for (int64_t ci = 0; ci < g->cg; ++ci)
        for (int64_t kd = 0; kd < g->k[0]; ++kd)
            for (int64_t kh = 0; kh < g->k[1]; ++kh)
                for (int64_t kw = 0; kw < g->k[2]; ++kw) {
                    real_t *r = cols;
                    cols += g->out[0] * g->out[1] * g->out[2];
                    for (int64_t od = 0; od < g->out[0]; ++od) {
                        const int64_t id = od * g->stride[0] - g->pad[0] + kd * g->dil[0];
                        for (int64_t oh = 0; oh < g->out[1]; ++oh, r += g->out[2]) {
                            const int64_t ih = oh * g->stride[1] - g->pad[1] + kh * g->dil[1];
                            if (id < 0 || id >= g->in[0] || ih < 0 || ih >= g->in[1]) {
                                memset(r, 0, g->out[2] * sizeof(real_t));
                                continue;
                            }
                            const char *src = x + ci * s[1] + id * s[2] + ih * s[3];
                            for (int64_t ow = 0; ow < g->out[2]; ++ow) {
                                const int64_t iw = ow * g->stride[2] - g->pad[2] + kw * g->dil[2];
                                r[ow] = iw >= 0 && iw < g->in[2] ? *(const real_t *)(src + iw * s[4]) : 0;
                            }
                        }
                    }
                }
}

/* The transpose of im2col3: gx (one image's group, cg C-contiguous channels) = the sum of the columns over the
 * windows. */
static void NN(col2im3)(const real_t *cols, const nn_conv3d_geom *g, real_t *gx) {
    const int64_t plane = nn_volume(g->in, 3);
    memset(gx, 0, g->cg * plane * sizeof(real_t));
    for (int64_t ci = 0; ci < g->cg; ++ci)
        for (int64_t kd = 0; kd < g->k[0]; ++kd)
            for (int64_t kh = 0; kh < g->k[1]; ++kh)
                for (int64_t kw = 0; kw < g->k[2]; ++kw)
                    for (int64_t od = 0; od < g->out[0]; ++od) {
                        const int64_t id = od * g->stride[0] - g->pad[0] + kd * g->dil[0];
                        for (int64_t oh = 0; oh < g->out[1]; ++oh, cols += g->out[2]) {
                            const int64_t ih = oh * g->stride[1] - g->pad[1] + kh * g->dil[1];
                            if (id < 0 || id >= g->in[0] || ih < 0 || ih >= g->in[1]) continue;
                            real_t *dst = gx + ((ci * g->in[0] + id) * g->in[1] + ih) * g->in[2];
                            for (int64_t ow = 0; ow < g->out[2]; ++ow) {
                                const int64_t iw = ow * g->stride[2] - g->pad[2] + kw * g->dil[2];
                                if (iw >= 0 && iw < g->in[2]) dst[iw] += cols[ow];
                            }
                        }
                    }
}

/* a's data as a C-contiguous 5-d array: a itself, or a copy in *copy (to free) when its strides are others. */
static const real_t *NN(contiguous3)(const ag_array *a, real_t **copy) {
    *copy = NULL;
    if (nn_c_contiguous(a, sizeof(real_t))) return (const real_t *)a->data;
    const int64_t size = nn_volume(a->shape, 5);
    real_t *out = malloc((size ? size : 1) * sizeof(real_t));
    if (!out) return NULL;
    int64_t k = 0;
    for (int64_t i0 = 0; i0 < a->shape[0]; ++i0)
        for (int64_t i1 = 0; i1 < a->shape[1]; ++i1)
            for (int64_t i2 = 0; i2 < a->shape[2]; ++i2)
                for (int64_t i3 = 0; i3 < a->shape[3]; ++i3)
                    for (int64_t i4 = 0; i4 < a->shape[4]; ++i4) out[k++] = NN3_AT(a, i0, i1, i2, i3, i4);
    *copy = out;
    return out;
}

/* One call: items are (image, group) pairs shared by `workers` workers, each with its own columns, each product
 * on `gemm_threads` threads; the filter gradient sums each block of items into an accumulator of its own. */
typedef struct {
    nn_conv3d_geom g;
    int64_t rows, ncols, blocks;
    const ag_array *x;
    const real_t *w, *gy;
    real_t *out, *copy_w, *copy_gy;
    int workers, gemm_threads;
    real_t *cols[NN_MAX_THREADS], *acc[NN_MAX_BLOCKS];
} NN(job3);

static void NN(job3_free)(NN(job3) *j) {
    for (int w = 0; w < NN_MAX_THREADS; ++w) free(j->cols[w]);
    for (int b = 0; b < NN_MAX_BLOCKS; ++b) free(j->acc[b]);
    free(j->copy_w);
    free(j->copy_gy);
}

/* Sizes, workers, columns and (`accumulate`) accumulators of a job whose geometry is set; -1 with a Python
 * exception set on failure (the job freed). */
static int NN(job3_start)(NN(job3) *j, int accumulate) {
    const nn_conv3d_geom *g = &j->g;
    j->rows = g->cg * nn_volume(g->k, 3);
    j->ncols = nn_volume(g->out, 3);
    if (nn_load_services() < 0 || !nn_blas_sizes_ok(j->rows, j->ncols, g->fg)) goto fail;
    const int64_t items = g->n * g->groups;
    j->workers = nn_workers(items, items * g->fg * j->rows * j->ncols);
    j->gemm_threads = j->workers > 1 ? 1 : nn_threads();
    j->blocks = accumulate ? nn_blocks(items, j->workers) : 0;
    const int64_t cols = j->rows * j->ncols, acc = g->f * j->rows;
    for (int w = 0; w < j->workers; ++w)
        if (!(j->cols[w] = malloc((cols > 0 ? cols : 1) * sizeof(real_t)))) goto oom;
    for (int64_t b = 0; b < j->blocks; ++b)
        if (!(j->acc[b] = calloc(acc > 0 ? acc : 1, sizeof(real_t)))) goto oom;
    return 0;
oom:
    PyErr_NoMemory();
fail:
    NN(job3_free)(j);
    return -1;
}

/* Run the items of a started job over its workers without the GIL (the filter gradient's blocks then summed in
 * order into the output); frees the job. */
static int NN(job3_run)(NN(job3) *j, nn_range_fn fn) {
    PyThreadState *save = PyEval_SaveThread();
    nn_parallel(fn, j, j->g.n * j->g.groups, j->workers);
    const int64_t size = j->g.f * j->rows;
    for (int64_t at = 0; at < size && j->blocks; ++at) {
        real_t total = j->acc[0][at];
        for (int64_t b = 1; b < j->blocks; ++b) total += j->acc[b][at];
        j->out[at] = total;
    }
    PyEval_RestoreThread(save);
    NN(job3_free)(j);
    return 0;
}

static void NN(gemm3)(const NN(job3) *j, int ta, int tb, int64_t m, int64_t n, int64_t k, const real_t *a,
                      int64_t lda, const real_t *b, int64_t ldb, double beta, real_t *c, int64_t ldc) {
    nn_services->gemm(NN_BLAS, ta, tb, m, n, k, a, lda, b, ldb, beta, c, ldc, j->gemm_threads);
}

/* The columns of image n, group grp of x, in the worker's buffer. */
static const real_t *NN(columns3)(const NN(job3) *j, int64_t n, int64_t grp, int worker) {
    const char *xg = j->x->data + n * j->x->strides[0] + grp * j->g.cg * j->x->strides[1];
    NN(im2col3)(xg, j->x->strides, &j->g, j->cols[worker]);
    return j->cols[worker];
}

static void NN(conv3d_forward_range)(void *arg, int64_t begin, int64_t end, int worker, int64_t block) {
    const NN(job3) *j = (const NN(job3) *)arg;
    const nn_conv3d_geom *g = &j->g;
    (void)block;
    for (int64_t item = begin; item < end; ++item) {
        const int64_t n = item / g->groups, grp = item % g->groups;
        const real_t *cols = NN(columns3)(j, n, grp, worker);
        NN(gemm3)(j, 0, 0, g->fg, j->ncols, j->rows, j->w + grp * g->fg * j->rows, j->rows, cols, j->ncols, 0.0,
                  j->out + (n * g->f + grp * g->fg) * j->ncols, j->ncols);
    }
}

static void NN(conv3d_grad_input_range)(void *arg, int64_t begin, int64_t end, int worker, int64_t block) {
    const NN(job3) *j = (const NN(job3) *)arg;
    const nn_conv3d_geom *g = &j->g;
    (void)block;
    for (int64_t item = begin; item < end; ++item) {
        const int64_t n = item / g->groups, grp = item % g->groups;
        NN(gemm3)(j, 1, 0, j->rows, j->ncols, g->fg, j->w + grp * g->fg * j->rows, j->rows,
                  j->gy + (n * g->f + grp * g->fg) * j->ncols, j->ncols, 0.0, j->cols[worker], j->ncols);
        NN(col2im3)(j->cols[worker], g, j->out + (n * g->c + grp * g->cg) * nn_volume(g->in, 3));
    }
}

static void NN(conv3d_grad_weights_range)(void *arg, int64_t begin, int64_t end, int worker, int64_t block) {
    const NN(job3) *j = (const NN(job3) *)arg;
    const nn_conv3d_geom *g = &j->g;
    for (int64_t item = begin; item < end; ++item) {
        const int64_t n = item / g->groups, grp = item % g->groups;
        const real_t *cols = NN(columns3)(j, n, grp, worker);
        NN(gemm3)(j, 0, 1, g->fg, j->rows, j->ncols, j->gy + (n * g->f + grp * g->fg) * j->ncols, j->ncols, cols,
                  j->ncols, 1.0, j->acc[block] + grp * g->fg * j->rows, j->rows);
    }
}

/* Start a job whose geometry, input and output are set, take the filters `w` and the output gradient `gy` (NULL:
 * not an operand) C-contiguous, and run fn over its items; frees the job. */
static int NN(job3_go)(NN(job3) *j, int accumulate, const ag_array *w, const ag_array *gy, nn_range_fn fn) {
    if (NN(job3_start)(j, accumulate) < 0) return -1;
    if ((w && !(j->w = NN(contiguous3)(w, &j->copy_w))) || (gy && !(j->gy = NN(contiguous3)(gy, &j->copy_gy)))) {
        NN(job3_free)(j);
        return PyErr_NoMemory(), -1;
    }
    return NN(job3_run)(j, fn);
}

/* y (n, f, od, oh, ow) = conv3d(x, w) */
static int NN(conv3d_forward)(const ag_array *in, const ag_array *out, const nn_conv3d_params *p) {
    NN(job3) j = {0};
    j.g = nn_conv3d_geometry(p, in[0].shape, in[1].shape, out[0].shape);
    j.x = &in[0];
    j.out = (real_t *)out[0].data;
    if (nn_conv3d_empty(&j.g)) return memset(j.out, 0, nn_volume(out[0].shape, 5) * sizeof(real_t)), 0;
    return NN(job3_go)(&j, 0, &in[1], NULL, NN(conv3d_forward_range));
}

/* gx (n, c, d, h, w) = conv3d_grad_input(w, gy) */
static int NN(conv3d_grad_input)(const ag_array *in, const ag_array *out, const nn_conv3d_params *p) {
    NN(job3) j = {0};
    j.g = nn_conv3d_geometry(p, out[0].shape, in[0].shape, in[1].shape);
    j.out = (real_t *)out[0].data;
    if (nn_conv3d_empty(&j.g)) return memset(j.out, 0, nn_volume(out[0].shape, 5) * sizeof(real_t)), 0;
    return NN(job3_go)(&j, 0, &in[0], &in[1], NN(conv3d_grad_input_range));
}

/* gw (f, cg, kd, kh, kw) = conv3d_grad_weights(x, gy) */
static int NN(conv3d_grad_weights)(const ag_array *in, const ag_array *out, const nn_conv3d_params *p) {
    NN(job3) j = {0};
    j.g = nn_conv3d_geometry(p, in[0].shape, out[0].shape, in[1].shape);
    j.x = &in[0];
    j.out = (real_t *)out[0].data;
    memset(j.out, 0, nn_volume(out[0].shape, 5) * sizeof(real_t));
    return nn_conv3d_empty(&j.g) ? 0 : NN(job3_go)(&j, 1, NULL, &in[1], NN(conv3d_grad_weights_range));
}
