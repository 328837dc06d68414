/* Strided iteration that the runtime (the runtime/ parts, after common.h) and an exported model's standalone runtime
 * (export/runtime.c, which export/source.py inlines this into) share: plain C, no Python.h or NumPy. The includer
 * defines AG_MAXDIMS and AG_MAXOPS (the iteration space's bounds) and the AG_INDEX_ENTRY_* / AG_INDEX_FLAG_*
 * constants (runtime.source.param_enums) first. */
#ifndef ARIGNOTE_STRIDED_H
#define ARIGNOTE_STRIDED_H
#include <stdint.h>

#if defined(__GNUC__)
#define AG_SHARED_FN static inline __attribute__((unused))
#else
#define AG_SHARED_FN static inline
#endif

/* An n-d iteration space over nops strided operands, broadcast dimensions having stride 0. */
typedef struct {
    int nops;
    int ndim;
    int64_t shape[AG_MAXDIMS];
    int64_t strides[AG_MAXOPS][AG_MAXDIMS]; /* bytes; 0 on broadcast dimensions */
    char *data[AG_MAXOPS];
    int itemsize[AG_MAXOPS];
    int role[AG_MAXOPS]; /* AG_IN / AG_OUT / AG_INOUT, for the runtime's buffered loops (the export's are not) */
} ag_iter;

/* Drop length-1 dimensions and merge neighbours that are contiguous for every operand. */
AG_SHARED_FN void ag_iter_collapse(ag_iter *it) {
    int nd = 0;
    for (int d = 0; d < it->ndim; ++d) {
        if (it->shape[d] == 1) continue;
        if (nd > 0) {
            int prev = nd - 1, ok = 1;
            for (int k = 0; k < it->nops && ok; ++k)
                ok = it->strides[k][prev] == it->strides[k][d] * it->shape[d];
            if (ok) {
                it->shape[prev] *= it->shape[d];
                for (int k = 0; k < it->nops; ++k) it->strides[k][prev] = it->strides[k][d];
                continue;
            }
        }
        it->shape[nd] = it->shape[d];
        for (int k = 0; k < it->nops; ++k) it->strides[k][nd] = it->strides[k][d];
        ++nd;
    }
    if (nd == 0) {
        it->shape[0] = 1;
        for (int k = 0; k < it->nops; ++k) it->strides[k][0] = it->itemsize[k];
        nd = 1;
    }
    it->ndim = nd;
}

/* Move the operand pointers ptr (at index idx of the dimensions before ``inner``) to the next row, odometer-wise;
 * past the last row they are back at the first. */
AG_SHARED_FN void ag_iter_next_row(const ag_iter *it, int inner, int64_t *idx, char **ptr) {
    for (int d = inner - 1; d >= 0; --d) {
        for (int k = 0; k < it->nops; ++k) ptr[k] += it->strides[k][d];
        if (++idx[d] < it->shape[d]) break;
        for (int k = 0; k < it->nops; ++k) ptr[k] -= it->strides[k][d] * it->shape[d];
        idx[d] = 0;
    }
}

/* The same for a matrix product's two operands over its nbatch batch dimensions (strides sa, sb in bytes). */
AG_SHARED_FN void ag_batch_next(int nbatch, const int64_t *batch, int64_t *idx, char **pa, const int64_t *sa,
                                char **pb, const int64_t *sb) {
    for (int d = nbatch - 1; d >= 0; --d) {
        *pa += sa[d];
        *pb += sb[d];
        if (++idx[d] < batch[d]) break;
        *pa -= sa[d] * batch[d];
        *pb -= sb[d] * batch[d];
        idx[d] = 0;
    }
}

/* A basic index entry's three parts and which are None (none[j]); returns the parts that are symbolic, bit j for
 * part j, which the caller reads from its integer scalars in order. */
AG_SHARED_FN int ag_index_parts(const int64_t *entry, int64_t part[3], int none[3]) {
    const int64_t flags = entry[AG_INDEX_ENTRY_FLAGS];
    int symbolic = 0;
    for (int j = 0; j < 3; ++j) {
        none[j] = (flags & ((int64_t)AG_INDEX_FLAG_NONE << j)) != 0;
        part[j] = entry[AG_INDEX_ENTRY_PART0 + j];
        if (flags & ((int64_t)AG_INDEX_FLAG_SYMBOLIC << j)) symbolic |= 1 << j;
    }
    return symbolic;
}
#endif
