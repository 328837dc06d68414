/* nn-extras' C kernels: the geometry of 3-d convolutions (include-guarded; after conv.h, whose padding modes,
 * threading and BLAS-size rules it shares). */
#ifndef ARIGNOTE_NN_CONV3D
#define ARIGNOTE_NN_CONV3D

/* The padding (a NN_PAD_* mode of conv.h; explicit pads: (before, after) per axis) and the rest of the
 * parameters. */
typedef struct {
    int pad_mode;
    int64_t pads[6], stride[3], dilation[3], groups;
} nn_conv3d_params;

/* One 3-d convolution: input (n, c, in[3]), filters (f, cg, k[3]), output (n, f, out[3]); fg filters per group;
 * pad: the padding before each spatial axis. */
typedef struct {
    int64_t n, c, f, cg, fg, groups, in[3], k[3], out[3], stride[3], dil[3], pad[3];
} nn_conv3d_geom;

/* The geometry from the shapes of the input x, the filters w and the output y (5 sizes each). */
static nn_conv3d_geom nn_conv3d_geometry(const nn_conv3d_params *p, const int64_t *x, const int64_t *w,
                                         const int64_t *y) {
    nn_conv3d_geom g;
    g.n = x[0];
    g.c = x[1];
    g.f = w[0];
    g.cg = w[1];
    g.groups = p->groups;
    g.fg = g.f / g.groups;
    for (int a = 0; a < 3; ++a) {
        g.in[a] = x[2 + a];
        g.k[a] = w[2 + a];
        g.out[a] = y[2 + a];
        g.stride[a] = p->stride[a];
        g.dil[a] = p->dilation[a];
        g.pad[a] = nn_resolve_pad_before(p->pad_mode, p->pads[2 * a], g.stride[a], g.dil[a], g.in[a], g.k[a]);
    }
    return g;
}

/* The product of n sizes. */
static int64_t nn_volume(const int64_t *sizes, int n) {
    int64_t v = 1;
    for (int a = 0; a < n; ++a) v *= sizes[a];
    return v;
}

/* Whether the convolution has no multiply-add to do (an empty operand or output). */
static int nn_conv3d_empty(const nn_conv3d_geom *g) {
    if (g->n == 0 || g->f == 0 || g->cg == 0) return 1;
    for (int a = 0; a < 3; ++a)
        if (g->out[a] == 0 || g->k[a] == 0) return 1;
    return 0;
}

/* Element (i0, ..., i4) of a 5-d array of real_t, through its byte strides. */
#define NN3_AT(arr, i0, i1, i2, i3, i4)                                                                           \
    (*(const real_t *)((arr)->data + (i0) * (arr)->strides[0] + (i1) * (arr)->strides[1] +                        \
                       (i2) * (arr)->strides[2] + (i3) * (arr)->strides[3] + (i4) * (arr)->strides[4]))

#endif
