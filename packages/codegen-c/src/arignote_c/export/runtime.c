/* Arignote standalone runtime: what an exported model's driver calls between its generated kernels.
 *
 * Single-threaded, no Python, no NumPy: values are agx_value (data, shape, strides in bytes, dtype); each step
 * allocates its outputs with malloc, views share their input's buffer, and the driver frees a buffer once no
 * later step reads it. Every function returns 0, or -1 after writing a message into the context's error buffer.
 * Matrix products call CBLAS (cblas_sgemm/cblas_dgemm) when compiled with -DAG_USE_CBLAS, else a plain loop.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AGX_FOLD_CHUNK 4096 /* elements folded into one partial result, as the compiled runtime does */
#define AG_MAXOPS 32
#define AG_MAXDIMS AG_MAX_DIMS
/* the compiled runtime's strided iteration (ag_iter), inlined here by export/source.py */
#include "strided.h"

/* every runtime function is file-local; a model uses some of them */
#if defined(__GNUC__)
#define AGX_FN static __attribute__((unused))
#else
#define AGX_FN static
#endif

typedef int (*agx_loop_fn)(int64_t n, char **args, const int64_t *steps);
typedef int (*agx_fold_fn)(int64_t n, char **args, const int64_t *steps, char *acc);
typedef void (*agx_combine_fn)(char *acc, const char *part);
typedef int (*agx_rows_fn)(const ag_array *in, const ag_array *out, int64_t begin, int64_t end);

typedef struct {
    char *data;
    int ndim;
    int64_t shape[AG_MAX_DIMS];
    int64_t strides[AG_MAX_DIMS]; /* bytes */
    int dtype;
    int itemsize;
    int owns; /* data is this value's own malloc'd buffer */
} agx_value;

typedef struct {
    char *error;
    size_t size;
    const char *where; /* the running step, for messages */
} agx_ctx;

static const char *const agx_dtype_names[] = {"bool", "int8", "int16", "int32", "int64", "uint8", "uint16",
                                              "uint32", "uint64", "float32", "float64", "complex64",
                                              "complex128"};

AGX_FN const char *agx_dtype_name(int dtype) {
    return dtype >= 0 && dtype <= AG_COMPLEX128 ? agx_dtype_names[dtype] : "an unknown dtype";
}

AGX_FN int agx_fail(agx_ctx *c, const char *fmt, ...) {
    if (c->error && c->size) {
        int n = c->where ? snprintf(c->error, c->size, "%s: ", c->where) : 0;
        if (n < 0) n = 0;
        if ((size_t)n < c->size) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(c->error + n, c->size - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return -1;
}

AGX_FN int agx_kernel_error(agx_ctx *c, int code) {
    if (code == AG_ERR_NEGATIVE_POWER) return agx_fail(c, "Integers to negative integer powers are not allowed.");
    if (code == -2) return agx_fail(c, "out of memory");
    return agx_fail(c, "kernel failed with error code %d", code);
}

/* "(2, 3)" into buf */
AGX_FN const char *agx_shape_text(char *buf, size_t size, int nd, const int64_t *shape) {
    size_t n = (size_t)snprintf(buf, size, "(");
    for (int d = 0; d < nd && n < size; ++d)
        n += (size_t)snprintf(buf + n, size - n, d ? ", %lld" : "%lld", (long long)shape[d]);
    if (n < size) snprintf(buf + n, size - n, nd == 1 ? ",)" : ")");
    return buf;
}

AGX_FN int64_t agx_size(const agx_value *v) {
    int64_t n = 1;
    for (int d = 0; d < v->ndim; ++d) n *= v->shape[d];
    return n;
}

AGX_FN void agx_contiguous_strides(agx_value *v) {
    int64_t s = v->itemsize;
    for (int d = v->ndim - 1; d >= 0; --d) {
        v->strides[d] = s;
        s *= v->shape[d] > 1 ? v->shape[d] : 1;
    }
}

AGX_FN int agx_is_contiguous(const agx_value *v) {
    int64_t s = v->itemsize;
    for (int d = v->ndim - 1; d >= 0; --d) {
        if (v->shape[d] != 1 && v->strides[d] != s) return 0;
        s *= v->shape[d];
    }
    return 1;
}

AGX_FN void agx_release(agx_value *v) {
    if (v->owns) free(v->data);
    v->owns = 0;
    v->data = NULL;
}

/* A fresh C-contiguous buffer of this shape and dtype. */
AGX_FN int agx_alloc(agx_ctx *c, agx_value *v, int nd, const int64_t *shape, int dtype, int itemsize) {
    agx_release(v);
    v->ndim = nd;
    v->dtype = dtype;
    v->itemsize = itemsize;
    for (int d = 0; d < nd; ++d) v->shape[d] = shape[d];
    agx_contiguous_strides(v);
    int64_t n = agx_size(v);
    v->data = malloc((size_t)(n ? n : 1) * (size_t)itemsize);
    if (!v->data) return agx_fail(c, "out of memory allocating %lld elements", (long long)n);
    v->owns = 1;
    return 0;
}

/* A constant baked into the source: a view of static data. */
AGX_FN void agx_constant(agx_value *v, const void *data, int nd, const int64_t *shape, int dtype, int itemsize) {
    v->data = (char *)data;
    v->ndim = nd;
    v->dtype = dtype;
    v->itemsize = itemsize;
    for (int d = 0; d < nd; ++d) v->shape[d] = shape[d];
    agx_contiguous_strides(v);
    v->owns = 0;
}

/* dst = src, element by element (same shape; any strides). */
AGX_FN void agx_copy(const agx_value *dst, const agx_value *src) {
    int nd = src->ndim;
    int64_t n = agx_size(src), idx[AG_MAX_DIMS] = {0};
    const char *s = src->data;
    char *t = dst->data;
    for (int64_t i = 0; i < n; ++i) {
        memcpy(t, s, (size_t)src->itemsize);
        for (int d = nd - 1; d >= 0; --d) {
            s += src->strides[d];
            t += dst->strides[d];
            if (++idx[d] < src->shape[d]) break;
            s -= src->strides[d] * src->shape[d];
            t -= dst->strides[d] * dst->shape[d];
            idx[d] = 0;
        }
    }
}

/* An input given by the caller, checked against what the model expects (sizes of -1 are free). */
AGX_FN int agx_bind_input(agx_ctx *c, agx_value *v, const ag_export_array *a, const char *name, int index, int dtype,
                          int itemsize, int nd, const int64_t *expected) {
    char want[256], got[256];
    if (a->dtype != dtype)
        return agx_fail(c, "input %d (%s): expected dtype %s, got %s", index, name, agx_dtype_name(dtype),
                        agx_dtype_name(a->dtype));
    if (a->ndim != nd)
        return agx_fail(c, "input %d (%s): expected %d dimensions, got %lld", index, name, nd, (long long)a->ndim);
    for (int d = 0; d < nd; ++d) {
        if (expected[d] >= 0 && a->shape[d] != expected[d]) {
            int64_t shown[AG_MAX_DIMS];
            for (int e = 0; e < nd; ++e) shown[e] = expected[e];
            agx_shape_text(want, sizeof want, nd, shown);
            for (char *p = strstr(want, "-1"); p; p = strstr(p, "-1")) memcpy(p, "? ", 2);
            return agx_fail(c, "input %d (%s): expected shape %s, got %s", index, name, want,
                            agx_shape_text(got, sizeof got, nd, a->shape));
        }
        if (a->shape[d] < 0) return agx_fail(c, "input %d (%s): negative size in dimension %d", index, name, d);
        if (a->strides[d] % itemsize)
            return agx_fail(c, "input %d (%s): stride %lld of dimension %d is not a multiple of the item size %d",
                            index, name, (long long)a->strides[d], d, itemsize);
    }
    v->data = (char *)a->data;
    v->ndim = nd;
    v->dtype = dtype;
    v->itemsize = itemsize;
    for (int d = 0; d < nd; ++d) {
        v->shape[d] = a->shape[d];
        v->strides[d] = a->strides[d];
    }
    v->owns = 0;
    if (!v->data && agx_size(v) > 0) return agx_fail(c, "input %d (%s): data is NULL", index, name);
    return 0;
}

/* ---- loops over broadcast operands ---- */


AGX_FN int agx_broadcast(agx_ctx *c, int nin, agx_value *const *ins, int nd, int64_t *shape) {
    for (int d = 0; d < nd; ++d) shape[d] = 1;
    for (int i = 0; i < nin; ++i)
        for (int d = 0; d < nd; ++d) {
            int64_t z = ins[i]->shape[d];
            if (z == 1 || z == shape[d]) continue;
            if (shape[d] != 1) {
                char a[256], b[256];
                return agx_fail(c, "operands could not be broadcast together: shape %s against %s",
                                agx_shape_text(a, sizeof a, nd, ins[i]->shape), agx_shape_text(b, sizeof b, nd, shape));
            }
            shape[d] = z;
        }
    return 0;
}

AGX_FN void agx_iter_operand(ag_iter *it, int k, const agx_value *v) {
    it->data[k] = v->data;
    it->itemsize[k] = v->itemsize;
    for (int d = 0; d < it->ndim; ++d) it->strides[k][d] = v->shape[d] == 1 ? 0 : v->strides[d];
}

/* Run loop (every operand) or fold (all but the last, folded into the last) over each inner run. */
AGX_FN int agx_walk(ag_iter *it, agx_loop_fn loop, agx_fold_fn fold) {
    int64_t total = 1;
    for (int d = 0; d < it->ndim; ++d) total *= it->shape[d];
    if (total == 0) return 0;
    ag_iter_collapse(it);
    int nops = it->nops, inner = it->ndim - 1, nk = fold ? nops - 1 : nops;
    int64_t n = it->shape[inner], rows = total / n, idx[AG_MAX_DIMS] = {0}, steps[AG_MAXOPS];
    char *ptr[AG_MAXOPS];
    for (int k = 0; k < nops; ++k) {
        ptr[k] = it->data[k];
        steps[k] = it->strides[k][inner] / it->itemsize[k];
    }
    for (int64_t r = 0; r < rows; ++r) {
        int rc = 0;
        if (fold) {
            char *at[AG_MAXOPS];
            for (int64_t off = 0; off < n && !rc; off += AGX_FOLD_CHUNK) {
                for (int k = 0; k < nk; ++k) at[k] = ptr[k] + off * it->strides[k][inner];
                rc = fold(n - off < AGX_FOLD_CHUNK ? n - off : AGX_FOLD_CHUNK, at, steps, ptr[nops - 1]);
            }
        } else {
            rc = loop(n, ptr, steps);
        }
        if (rc) return rc;
        ag_iter_next_row(it, inner, idx, ptr);
    }
    return 0;
}

/* outs = kernel(ins), broadcast over nd dimensions; out_dtypes/out_sizes per output. */
AGX_FN int agx_elemwise(agx_ctx *c, agx_loop_fn fn, int nin, agx_value *const *ins, int nout, agx_value *const *outs,
                        const int *out_dtypes, const int *out_sizes, int nd) {
    int64_t shape[AG_MAX_DIMS];
    if (agx_broadcast(c, nin, ins, nd, shape)) return -1;
    ag_iter it;
    it.nops = nin + nout;
    it.ndim = nd;
    for (int d = 0; d < nd; ++d) it.shape[d] = shape[d];
    for (int i = 0; i < nin; ++i) agx_iter_operand(&it, i, ins[i]);
    for (int o = 0; o < nout; ++o) {
        if (agx_alloc(c, outs[o], nd, shape, out_dtypes[o], out_sizes[o])) return -1;
        agx_iter_operand(&it, nin + o, outs[o]);
    }
    int rc = agx_walk(&it, fn, NULL);
    return rc ? agx_kernel_error(c, rc) : 0;
}

/* out = reduction over the axes of kernel(ins) (ins broadcast over nd dimensions), starting from identity. */
AGX_FN int agx_reduce(agx_ctx *c, agx_fold_fn fold, agx_loop_fn accumulate, int nin, agx_value *const *ins,
                      agx_value *out, int dtype, int itemsize, int nd, int naxes, const int *axes, const void *identity,
                      int no_identity, const char *op) {
    int64_t shape[AG_MAX_DIMS], out_shape[AG_MAX_DIMS], reduced_size = 1;
    int reduced[AG_MAX_DIMS] = {0}, out_dim[AG_MAX_DIMS], out_nd = 0;
    if (agx_broadcast(c, nin, ins, nd, shape)) return -1;
    for (int j = 0; j < naxes; ++j) reduced[axes[j]] = 1;
    for (int d = 0; d < nd; ++d) {
        out_dim[d] = reduced[d] ? -1 : out_nd;
        if (reduced[d]) reduced_size *= shape[d];
        else out_shape[out_nd++] = shape[d];
    }
    if (reduced_size == 0 && no_identity)
        return agx_fail(c, "zero-size array to reduction operation %s which has no identity", op);
    if (agx_alloc(c, out, out_nd, out_shape, dtype, itemsize)) return -1;
    for (int64_t i = 0, n = agx_size(out); i < n; ++i) memcpy(out->data + i * itemsize, identity, (size_t)itemsize);
    ag_iter it;
    it.nops = nin + 1;
    it.ndim = nd;
    for (int d = 0; d < nd; ++d) it.shape[d] = shape[d];
    for (int i = 0; i < nin; ++i) agx_iter_operand(&it, i, ins[i]);
    it.data[nin] = out->data;
    it.itemsize[nin] = itemsize;
    for (int d = 0; d < nd; ++d) it.strides[nin][d] = reduced[d] || shape[d] == 1 ? 0 : out->strides[out_dim[d]];
    int64_t total = 1;
    for (int d = 0; d < nd; ++d) total *= shape[d];
    if (total == 0) return 0;
    ag_iter_collapse(&it);
    /* runs along which the accumulator moves accumulate elementwise; runs where it stays fold into it */
    int rc = it.strides[nin][it.ndim - 1] != 0 ? agx_walk(&it, accumulate, NULL) : agx_walk(&it, NULL, fold);
    return rc ? agx_kernel_error(c, rc) : 0;
}

/* ---- views ---- */

/* out = x with its axes reordered (order[d] = -1: a new axis of length 1); dropped axes have length 1. */
AGX_FN void agx_dimshuffle(agx_value *out, const agx_value *x, int out_nd, const int *order) {
    agx_release(out);
    *out = *x;
    out->owns = 0;
    out->ndim = out_nd;
    for (int d = 0; d < out_nd; ++d) {
        out->shape[d] = order[d] < 0 ? 1 : x->shape[order[d]];
        out->strides[d] = order[d] < 0 ? 0 : x->strides[order[d]];
    }
}

/* The value of an integer scalar (a size or an index), or -1 when v is not one. */
AGX_FN int agx_int_scalar(const agx_value *v, int64_t *out) {
    if (v->ndim != 0) return -1;
    switch (v->dtype) {
    case AG_INT8: *out = *(const int8_t *)v->data; return 0;
    case AG_INT16: *out = *(const int16_t *)v->data; return 0;
    case AG_INT32: *out = *(const int32_t *)v->data; return 0;
    case AG_INT64: *out = *(const int64_t *)v->data; return 0;
    case AG_UINT8: *out = *(const uint8_t *)v->data; return 0;
    case AG_UINT16: *out = *(const uint16_t *)v->data; return 0;
    case AG_UINT32: *out = *(const uint32_t *)v->data; return 0;
    case AG_UINT64: *out = (int64_t)*(const uint64_t *)v->data; return 0;
    default: return -1;
    }
}

/* Python's slice.indices: the length of start:stop:step over size, start and stop adjusted in place. */
AGX_FN int64_t agx_slice_length(int64_t size, int64_t *start, int64_t *stop, int64_t step) {
    int64_t *ends[2] = {start, stop};
    for (int j = 0; j < 2; ++j) {
        int64_t *e = ends[j];
        if (*e < 0) {
            *e += size;
            if (*e < 0) *e = step < 0 ? -1 : 0;
        } else if (*e >= size) {
            *e = step < 0 ? size - 1 : size;
        }
    }
    if (step < 0) return *stop < *start ? (*start - *stop - 1) / (-step) + 1 : 0;
    return *start < *stop ? (*stop - *start - 1) / step + 1 : 0;
}

/* out = x[index], a view, for a basic index of n entries of AG_INDEX_ENTRY_SIZE integers each (its kind, its
 * flags, AG_INDEX_FLAG_* shifted by j for part j, and its parts); symbolic parts are the integer scalars syms. */
AGX_FN int agx_subtensor(agx_ctx *c, agx_value *out, const agx_value *x, agx_value *const *syms, int n,
                         const int64_t *entries) {
    int axis = 0, nd = 0, next = 0;
    int64_t shape[AG_MAX_DIMS], strides[AG_MAX_DIMS];
    char *data = x->data;
    for (int e = 0; e < n; ++e) {
        const int64_t *entry = entries + AG_INDEX_ENTRY_SIZE * e;
        int64_t kind = entry[AG_INDEX_ENTRY_KIND], part[3];
        int none[3];
        const int symbolic = ag_index_parts(entry, part, none);
        for (int j = 0; j < 3; ++j)
            if (symbolic >> j & 1 && agx_int_scalar(syms[next++], &part[j]))
                return agx_fail(c, "expected an integer scalar index");
        if (kind == AG_INDEX_KIND_NEW_AXIS) {
            shape[nd] = 1;
            strides[nd++] = 0;
            continue;
        }
        int64_t size = x->shape[axis], stride = x->strides[axis];
        if (kind == AG_INDEX_KIND_INT) {
            int64_t i = part[0] < 0 ? part[0] + size : part[0];
            if (i < 0 || i >= size)
                return agx_fail(c, "index %lld is out of bounds for axis %d with size %lld", (long long)part[0], axis,
                                (long long)size);
            data += i * stride;
        } else { /* AG_INDEX_KIND_SLICE */
            int64_t step = none[2] ? 1 : part[2];
            if (step == 0) return agx_fail(c, "slice step cannot be zero");
            int64_t start = none[0] ? (step < 0 ? INT64_MAX : 0) : part[0];
            int64_t stop = none[1] ? (step < 0 ? INT64_MIN : INT64_MAX) : part[1];
            int64_t length = agx_slice_length(size, &start, &stop, step);
            shape[nd] = length;
            strides[nd++] = stride * step;
            if (length > 0) data += start * stride;
        }
        ++axis;
    }
    for (; axis < x->ndim; ++axis) {
        shape[nd] = x->shape[axis];
        strides[nd++] = x->strides[axis];
    }
    agx_release(out);
    *out = *x;
    out->owns = 0;
    out->data = data;
    out->ndim = nd;
    for (int d = 0; d < nd; ++d) {
        out->shape[d] = shape[d];
        out->strides[d] = strides[d];
    }
    return 0;
}

/* x's strides as an array of shape dims (x's axes aligned to the right; 0 where x has length 1), or an error. */
AGX_FN int agx_broadcast_strides(agx_ctx *c, const agx_value *x, int nd, const int64_t *dims, int64_t *strides) {
    int shift = nd - x->ndim;
    for (int d = 0; d < nd; ++d) {
        int xd = d - shift;
        int64_t z = xd >= 0 ? x->shape[xd] : 1;
        if (z != 1 && z != dims[d]) {
            char a[256], b[256];
            return agx_fail(c, "cannot broadcast an array of shape %s to shape %s",
                            agx_shape_text(a, sizeof a, x->ndim, x->shape), agx_shape_text(b, sizeof b, nd, dims));
        }
        strides[d] = xd >= 0 && z != 1 ? x->strides[xd] : 0;
    }
    if (shift < 0) return agx_fail(c, "cannot broadcast %d dimensions to %d", x->ndim, nd);
    return 0;
}

/* out = value broadcast to the shape of the integer scalars sizes, converted by the kernel fn */
AGX_FN int agx_alloc_step(agx_ctx *c, agx_loop_fn fn, agx_value *out, const agx_value *value, int nd,
                          agx_value *const *sizes, int dtype, int itemsize) {
    int64_t dims[AG_MAX_DIMS];
    for (int d = 0; d < nd; ++d) {
        if (agx_int_scalar(sizes[d], &dims[d])) return agx_fail(c, "expected an integer scalar size");
        if (dims[d] < 0) return agx_fail(c, "negative dimensions are not allowed");
    }
    ag_iter it;
    it.nops = 2;
    it.ndim = nd;
    if (agx_broadcast_strides(c, value, nd, dims, it.strides[0])) return -1;
    if (agx_alloc(c, out, nd, dims, dtype, itemsize)) return -1;
    for (int d = 0; d < nd; ++d) it.shape[d] = dims[d];
    it.data[0] = value->data;
    it.itemsize[0] = value->itemsize;
    agx_iter_operand(&it, 1, out);
    int rc = agx_walk(&it, fn, NULL);
    return rc ? agx_kernel_error(c, rc) : 0;
}

/* out = x reshaped to the int64 vector shape (one entry may be -1): a view when x is contiguous, else a copy. */
AGX_FN int agx_reshape(agx_ctx *c, agx_value *out, const agx_value *x, const agx_value *shape_value, int nd) {
    int64_t shape[AG_MAX_DIMS], known = 1, size = agx_size(x);
    int free_axis = -1;
    char a[256], b[256];
    for (int d = 0; d < nd; ++d) {
        shape[d] = *(const int64_t *)(shape_value->data + d * shape_value->strides[0]);
        if (shape[d] == -1 && free_axis < 0) free_axis = d;
        else if (shape[d] < 0) return agx_fail(c, "invalid size %lld in a new shape", (long long)shape[d]);
        else known *= shape[d];
    }
    if (free_axis >= 0) shape[free_axis] = known ? size / known : 0;
    int64_t total = 1;
    for (int d = 0; d < nd; ++d) total *= shape[d];
    if (total != size)
        return agx_fail(c, "cannot reshape an array of shape %s into shape %s",
                        agx_shape_text(a, sizeof a, x->ndim, x->shape), agx_shape_text(b, sizeof b, nd, shape));
    if (agx_is_contiguous(x)) {
        agx_release(out);
        *out = *x;
        out->owns = 0;
        out->ndim = nd;
        for (int d = 0; d < nd; ++d) out->shape[d] = shape[d];
        agx_contiguous_strides(out);
        return 0;
    }
    agx_value flat;
    memset(&flat, 0, sizeof flat);
    if (agx_alloc(c, &flat, x->ndim, x->shape, x->dtype, x->itemsize)) return -1;
    agx_copy(&flat, x);
    flat.ndim = nd;
    for (int d = 0; d < nd; ++d) flat.shape[d] = shape[d];
    agx_contiguous_strides(&flat);
    agx_release(out);
    *out = flat;
    return 0;
}

/* out = the int64 vector of x's shape */
AGX_FN int agx_shape_of(agx_ctx *c, agx_value *out, const agx_value *x) {
    int64_t n = x->ndim;
    if (agx_alloc(c, out, 1, &n, AG_INT64, 8)) return -1;
    memcpy(out->data, x->shape, (size_t)n * 8);
    return 0;
}

/* out = the vector of the 0-d inputs */
AGX_FN int agx_make_vector(agx_ctx *c, agx_value *out, int nin, agx_value *const *ins, int dtype, int itemsize) {
    int64_t n = nin;
    if (agx_alloc(c, out, 1, &n, dtype, itemsize)) return -1;
    for (int i = 0; i < nin; ++i) memcpy(out->data + i * itemsize, ins[i]->data, (size_t)itemsize);
    return 0;
}

/* ---- matrix products ---- */

typedef struct {
    char *data;
    int64_t rows, cols, rs, cs; /* strides in elements */
} agx_mat;

#ifdef AG_USE_CBLAS
void cblas_sgemm(int order, int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda, const float *b,
                 int ldb, float beta, float *c, int ldc);
void cblas_dgemm(int order, int ta, int tb, int m, int n, int k, double alpha, const double *a, int lda,
                 const double *b, int ldb, double beta, double *c, int ldc);

/* CBLAS's layout of m: 111 (as is) or 112 (transposed) with its leading dimension; 0 when BLAS cannot read it */
AGX_FN int agx_blas_layout(const agx_mat *m, int *ld) {
    if (m->cs == 1 && m->rs >= (m->cols > 1 ? m->cols : 1)) { *ld = (int)m->rs; return 111; }
    if (m->rs == 1 && m->cs >= (m->rows > 1 ? m->rows : 1)) { *ld = (int)m->cs; return 112; }
    if (m->cols == 1 && m->rs == 1) { *ld = 1; return 111; }
    if (m->rows == 1 && m->cs == 1) { *ld = (int)(m->cols > 1 ? m->cols : 1); return 111; }
    return 0;
}
#endif

/* out (rows x cols, C order) = alpha a b + beta out; f64: doubles, else floats */
AGX_FN void agx_gemm(int f64, const agx_mat *a, const agx_mat *b, char *out, double alpha, double beta) {
    int64_t m = a->rows, n = b->cols, k = a->cols;
    if (m == 0 || n == 0) return;
#ifdef AG_USE_CBLAS
    int lda, ldb, ta = agx_blas_layout(a, &lda), tb = agx_blas_layout(b, &ldb);
    if (ta && tb && k > 0 && m < INT32_MAX && n < INT32_MAX && k < INT32_MAX) {
        if (f64)
            cblas_dgemm(101, ta, tb, (int)m, (int)n, (int)k, alpha, (const double *)a->data, lda,
                        (const double *)b->data, ldb, beta, (double *)out, (int)n);
        else
            cblas_sgemm(101, ta, tb, (int)m, (int)n, (int)k, (float)alpha, (const float *)a->data, lda,
                        (const float *)b->data, ldb, (float)beta, (float *)out, (int)n);
        return;
    }
#endif
    for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) {
            double s = 0;
            if (f64) {
                const double *pa = (const double *)a->data + i * a->rs, *pb = (const double *)b->data + j * b->cs;
                for (int64_t p = 0; p < k; ++p) s += pa[p * a->cs] * pb[p * b->rs];
                double *o = (double *)out + i * n + j;
                *o = alpha * s + (beta != 0 ? beta * *o : 0);
            } else {
                const float *pa = (const float *)a->data + i * a->rs, *pb = (const float *)b->data + j * b->cs;
                for (int64_t p = 0; p < k; ++p) s += (double)pa[p * a->cs] * pb[p * b->rs];
                float *o = (float *)out + i * n + j;
                *o = (float)(alpha * s + (beta != 0 ? beta * *o : 0));
            }
        }
}

/* x as a matrix: a vector is a row (as_row) or a column */
AGX_FN agx_mat agx_as_mat(const agx_value *x, int as_row, char *data) {
    int nd = x->ndim, isz = x->itemsize;
    agx_mat m;
    m.data = data;
    if (nd == 1) {
        int64_t n = x->shape[0], s = x->strides[0] / isz;
        if (n <= 1) s = 1;
        if (as_row) { m.rows = 1; m.cols = n; m.rs = n > 1 ? n : 1; m.cs = s; }
        else { m.rows = n; m.cols = 1; m.rs = s; m.cs = 1; }
    } else {
        m.rows = x->shape[nd - 2];
        m.cols = x->shape[nd - 1];
        m.rs = x->strides[nd - 2] / isz;
        m.cs = x->strides[nd - 1] / isz;
    }
    return m;
}

/* NumPy's matmul (vectors promoted, batch axes broadcast); dot for ndim <= 2 */
AGX_FN int agx_matmul(agx_ctx *c, agx_value *out, const agx_value *a, const agx_value *b, int dtype, int itemsize) {
    int na = a->ndim, nb = b->ndim, ba = na > 2 ? na - 2 : 0, bb = nb > 2 ? nb - 2 : 0, nbatch = ba > bb ? ba : bb;
    int64_t shape[AG_MAX_DIMS], batch[AG_MAX_DIMS], sa[AG_MAX_DIMS], sb[AG_MAX_DIMS];
    for (int d = 0; d < nbatch; ++d) {
        int da = d - (nbatch - ba), db = d - (nbatch - bb);
        int64_t za = da >= 0 ? a->shape[da] : 1, zb = db >= 0 ? b->shape[db] : 1;
        if (za != zb && za != 1 && zb != 1)
            return agx_fail(c, "matmul: batch dimensions %lld and %lld cannot be broadcast together", (long long)za,
                            (long long)zb);
        batch[d] = shape[d] = za == 1 ? zb : za;
        sa[d] = da >= 0 && za != 1 ? a->strides[da] : 0;
        sb[d] = db >= 0 && zb != 1 ? b->strides[db] : 0;
    }
    agx_mat ma = agx_as_mat(a, 1, a->data), mb = agx_as_mat(b, 0, b->data);
    if (ma.cols != mb.rows)
        return agx_fail(c, "shapes not aligned: %lld (last dim of the first) != %lld (contracted dim of the second)",
                        (long long)ma.cols, (long long)mb.rows);
    int nd = nbatch;
    if (na > 1) shape[nd++] = ma.rows;
    if (nb > 1) shape[nd++] = mb.cols;
    if (agx_alloc(c, out, nd, shape, dtype, itemsize)) return -1;
    int64_t count = 1, idx[AG_MAX_DIMS] = {0};
    for (int d = 0; d < nbatch; ++d) count *= batch[d];
    char *pa = a->data, *pb = b->data, *pc = out->data;
    for (int64_t i = 0; i < count; ++i) {
        ma.data = pa;
        mb.data = pb;
        agx_gemm(dtype == AG_FLOAT64, &ma, &mb, pc, 1.0, 0.0);
        pc += ma.rows * mb.cols * itemsize;
        ag_batch_next(nbatch, batch, idx, &pa, sa, &pb, sb);
    }
    return 0;
}

AGX_FN double agx_scalar(const agx_value *v) {
    return v->dtype == AG_FLOAT64 ? *(const double *)v->data : (double)*(const float *)v->data;
}

/* graph-opt's Gemm / Gemv: out = beta c + alpha op(a) op(b), c broadcast to the product's shape */
AGX_FN int agx_gemm_step(agx_ctx *c, agx_value *out, const agx_value *cv, const agx_value *alpha_v,
                         const agx_value *a, const agx_value *b, const agx_value *beta_v, int trans_a, int trans_b,
                         int dtype, int itemsize) {
    double alpha = agx_scalar(alpha_v), beta = agx_scalar(beta_v);
    agx_mat ma = agx_as_mat(a, 1, a->data), mb = agx_as_mat(b, 0, b->data);
    if (trans_a) ma = (agx_mat){ma.data, ma.cols, ma.rows, ma.cs, ma.rs};
    if (trans_b && b->ndim == 2) mb = (agx_mat){mb.data, mb.cols, mb.rows, mb.cs, mb.rs};
    if (ma.cols != mb.rows)
        return agx_fail(c, "inner sizes differ: %lld and %lld", (long long)ma.cols, (long long)mb.rows);
    int vector = b->ndim == 1, nd = vector ? 1 : 2;
    int64_t shape[2] = {ma.rows, mb.cols};
    agx_value bias = *cv;
    bias.ndim = nd;
    for (int d = 0; d < nd; ++d) {
        int cd = cv->ndim - nd + d;
        int64_t z = cd >= 0 ? cv->shape[cd] : 1;
        if (z != 1 && z != shape[d])
            return agx_fail(c, "cannot broadcast c of size %lld to %lld", (long long)z, (long long)shape[d]);
        bias.shape[d] = shape[d];
        bias.strides[d] = cd >= 0 && z != 1 ? cv->strides[cd] : 0;
    }
    if (agx_alloc(c, out, nd, shape, dtype, itemsize)) return -1;
    if (beta != 0) agx_copy(out, &bias);
    agx_gemm(dtype == AG_FLOAT64, &ma, &mb, out->data, alpha, beta);
    return 0;
}

/* ---- rows (softmax, log-softmax) ---- */

AGX_FN int agx_rows(agx_ctx *c, agx_rows_fn fn, agx_value *out, const agx_value *x, int axis) {
    if (agx_alloc(c, out, x->ndim, x->shape, x->dtype, x->itemsize)) return -1;
    int64_t size = agx_size(x), n = x->shape[axis], rows = n ? size / n : 0;
    if (rows == 0) return 0;
    ag_array arrays[2] = {{x->data, x->ndim, x->shape, x->strides, x->dtype},
                          {out->data, out->ndim, out->shape, out->strides, out->dtype}};
    int rc = fn(arrays, arrays + 1, 0, rows);
    return rc ? agx_kernel_error(c, rc) : 0;
}

/* ---- outputs ---- */

/* Output index of the model = value v: into the caller's buffer when it gave one (data not NULL; strides all 0
 * read as C order), else into a buffer the library allocates (v's own when it can), which *allocated records. */
AGX_FN int agx_output(agx_ctx *c, ag_export_array *o, agx_value *v, const char *name, int index, int *allocated) {
    char want[256], got[256];
    *allocated = 0;
    if (o->data) {
        if (o->dtype != v->dtype)
            return agx_fail(c, "output %d (%s): the caller's buffer has dtype %s, the result is %s", index, name,
                            agx_dtype_name(o->dtype), agx_dtype_name(v->dtype));
        int same = o->ndim == v->ndim, zero = 1;
        for (int d = 0; same && d < v->ndim; ++d) same = o->shape[d] == v->shape[d];
        if (!same)
            return agx_fail(c, "output %d (%s): the caller's buffer has shape %s, the result has shape %s", index,
                            name, agx_shape_text(got, sizeof got, (int)o->ndim, o->shape),
                            agx_shape_text(want, sizeof want, v->ndim, v->shape));
        agx_value dst = *v;
        dst.data = o->data;
        dst.owns = 0;
        for (int d = 0; d < v->ndim; ++d) zero &= o->strides[d] == 0;
        if (zero) {
            agx_contiguous_strides(&dst);
            for (int d = 0; d < v->ndim; ++d) o->strides[d] = dst.strides[d];
        } else {
            for (int d = 0; d < v->ndim; ++d) dst.strides[d] = o->strides[d];
        }
        agx_copy(&dst, v);
        return 0;
    }
    o->ndim = v->ndim;
    o->dtype = v->dtype;
    for (int d = 0; d < v->ndim; ++d) o->shape[d] = v->shape[d];
    if (v->owns && agx_is_contiguous(v)) { /* hand the buffer over */
        o->data = v->data;
        v->owns = 0;
    } else {
        int64_t n = agx_size(v);
        o->data = malloc((size_t)(n ? n : 1) * (size_t)v->itemsize);
        if (!o->data) return agx_fail(c, "output %d (%s): out of memory", index, name);
        agx_value dst = *v;
        dst.data = o->data;
        agx_contiguous_strides(&dst);
        agx_copy(&dst, v);
    }
    agx_value layout = *v;
    agx_contiguous_strides(&layout);
    for (int d = 0; d < v->ndim; ++d) o->strides[d] = layout.strides[d];
    *allocated = 1;
    return 0;
}
