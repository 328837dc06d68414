/* Shape-making and indexing steps: MakeVector, BroadcastTo, Alloc, SumToShape, set/inc_subtensor with a basic
 * index, and integer-array indexing (take) and its set/inc (numpy.add.at semantics) on leading axes. */

static int ag_shape_vector(PyObject *v, npy_intp *dims, int *n) {
    PyArrayObject *a = (PyArrayObject *)v;
    if (!PyArray_Check(v) || PyArray_NDIM(a) != 1 || PyArray_TYPE(a) != NPY_INT64) {
        PyErr_SetString(PyExc_TypeError, "a shape must be an int64 vector");
        return -1;
    }
    *n = (int)PyArray_DIM(a, 0);
    for (int d = 0; d < *n; ++d) dims[d] = *(int64_t *)PyArray_GETPTR1(a, d);
    return 0;
}

static PyObject *ag_shape_text(int nd, const npy_intp *dims) {
    PyObject *t = PyTuple_New(nd);
    for (int d = 0; t && d < nd; ++d) PyTuple_SET_ITEM(t, d, PyLong_FromSsize_t(dims[d]));
    PyObject *r = t ? PyObject_Repr(t) : NULL;
    Py_XDECREF(t);
    return r;
}

static int ag_step_make_vector(ag_outctx *ctx) {
    npy_intp n = ctx->s->nin;
    PyArrayObject *out = ag_alloc_output(ctx, 0, 1, &n);
    if (!out) return -1;
    int isz = (int)PyArray_ITEMSIZE(out);
    for (int i = 0; i < n; ++i) {
        PyArrayObject *a = AG_IN_ARRAY(ctx, i);
        if (PyArray_NDIM(a) != 0 || PyArray_ITEMSIZE(a) != isz) {
            PyErr_SetString(PyExc_TypeError, "MakeVector takes 0-d arrays of its dtype");
            return -1;
        }
        memcpy(PyArray_BYTES(out) + (size_t)i * isz, PyArray_DATA(a), isz);
    }
    return 0;
}

/* Strides (bytes) of x broadcast to the nd-dimensional shape dims (aligned on the right); -1 on mismatch. */
static int ag_broadcast_strides(PyArrayObject *x, int nd, const npy_intp *dims, npy_intp *strides) {
    int lead = nd - PyArray_NDIM(x);
    if (lead < 0) return -1;
    for (int d = 0; d < nd; ++d) {
        npy_intp z = d < lead ? 1 : PyArray_DIM(x, d - lead);
        if (z != 1 && z != dims[d]) return -1;
        strides[d] = z == 1 ? 0 : PyArray_STRIDE(x, d - lead);
    }
    return 0;
}

static int ag_broadcast_error(PyArrayObject *x, int nd, const npy_intp *dims) {
    PyObject *from = ag_shape_text(PyArray_NDIM(x), PyArray_DIMS(x)), *to = ag_shape_text(nd, dims);
    if (from && to) PyErr_Format(PyExc_ValueError, "cannot broadcast an array of shape %U to shape %U", from, to);
    Py_XDECREF(from);
    Py_XDECREF(to);
    return -1;
}

/* A read-only view of x broadcast to the shape vector (numpy.broadcast_to). */
static int ag_step_broadcast_to(ag_outctx *ctx) {
    PyArrayObject *x = AG_IN_ARRAY(ctx, 0);
    npy_intp dims[AG_MAXDIMS], strides[AG_MAXDIMS];
    int nd;
    if (ag_shape_vector(ctx->values[ctx->s->ins[1]], dims, &nd) < 0) return -1;
    if (ag_broadcast_strides(x, nd, dims, strides) < 0) return ag_broadcast_error(x, nd, dims);
    PyObject *view = ag_view(x, nd, dims, strides, PyArray_DATA(x));
    if (!view) return -1;
    PyArray_CLEARFLAGS((PyArrayObject *)view, NPY_ARRAY_WRITEABLE);
    return ag_set_output(ctx, 0, view);
}

/* Run the loop kernel fn on [source broadcast to target's shape, target] (target written, or read and written). */
static int ag_broadcast_into(ag_outctx *ctx, ag_loop_fn fn, PyArrayObject *source, PyArrayObject *target, int role) {
    int nd = PyArray_NDIM(target);
    npy_intp sstrides[AG_MAXDIMS];
    if (ag_broadcast_strides(source, nd, PyArray_DIMS(target), sstrides) < 0)
        return ag_broadcast_error(source, nd, PyArray_DIMS(target));
    ag_iter it;
    it.nops = 2;
    it.ndim = nd;
    for (int d = 0; d < nd; ++d) {
        it.shape[d] = PyArray_DIM(target, d);
        it.strides[0][d] = sstrides[d];
    }
    ag_iter_operand(&it, 1, target, role);
    it.data[0] = PyArray_DATA(source);
    it.itemsize[0] = (int)PyArray_ITEMSIZE(source);
    it.role[0] = AG_IN;
    return ag_run_unlocked(ctx, ag_iter_size(&it), NULL, fn, NULL, &it, NULL);
}

/* Alloc: inputs value, then one int64 0-d size per dimension; fn[0] converts a value element. */
static int ag_step_alloc(ag_outctx *ctx) {
    ag_step *s = ctx->s;
    int nd = s->nin - 1;
    npy_intp dims[AG_MAXDIMS];
    for (int d = 0; d < nd; ++d) {
        int64_t z;
        if (ag_int64_value(ctx->values[s->ins[1 + d]], &z) < 0) return -1;
        if (z < 0) {
            PyErr_SetString(PyExc_ValueError, "negative dimensions are not allowed");
            return -1;
        }
        dims[d] = z;
    }
    PyArrayObject *out = ag_alloc_output(ctx, 0, nd, dims);
    return out ? ag_broadcast_into(ctx, (ag_loop_fn)s->fn[0], AG_IN_ARRAY(ctx, 0), out, AG_OUT) : -1;
}

/* ARange of integers: start, stop and step are integer scalars; the length is NumPy's,
 * max(ceil((stop - start) / step), 0). The output dtype is int64. */
static int ag_step_arange(ag_outctx *ctx) {
    ag_step *s = ctx->s;
    long long v[3];
    for (int i = 0; i < 3; ++i) {
        PyObject *index = PyNumber_Index(ctx->values[s->ins[i]]);
        if (!index) return -1;
        v[i] = PyLong_AsLongLong(index);
        Py_DECREF(index);
        if (v[i] == -1 && PyErr_Occurred()) return -1;
    }
    /* in 128 bits: the span of two int64 and the rounding up overflow 64 (arange(-2**63, 2**63 - 1)) */
    __int128 start = v[0], span = (__int128)v[1] - v[0], step = v[2];
    if (step == 0) {
        PyErr_SetString(PyExc_ValueError, "arange: step must not be zero");
        return -1;
    }
    __int128 n = step > 0 ? (span <= 0 ? 0 : (span + step - 1) / step) : (span >= 0 ? 0 : (span + step + 1) / step);
    if (n > NPY_MAX_INTP) {
        PyErr_SetString(PyExc_ValueError, "Maximum allowed size exceeded");
        return -1;
    }
    npy_intp dims[1] = {(npy_intp)n};
    PyArrayObject *out = ag_alloc_output(ctx, 0, 1, dims);
    if (!out) return -1;
    int64_t *data = (int64_t *)PyArray_DATA(out);
    for (npy_intp i = 0; i < (npy_intp)n; ++i) data[i] = (int64_t)(start + (__int128)i * step);
    return 0;
}

/* SumToShape: x summed over its leading axes and where the target has size 1; fn: reduce kernels of add. */
static int ag_step_sum_to_shape(ag_outctx *ctx) {
    PyArrayObject *x = AG_IN_ARRAY(ctx, 0);
    npy_intp target[AG_MAXDIMS];
    int n, nd = PyArray_NDIM(x), reduced[AG_MAXDIMS], out_dim[AG_MAXDIMS], any = 0;
    if (ag_shape_vector(ctx->values[ctx->s->ins[1]], target, &n) < 0) return -1;
    int lead = nd - n;
    for (int d = 0; d < nd; ++d) {
        npy_intp have = PyArray_DIM(x, d);
        if (d >= lead && target[d - lead] != 1 && target[d - lead] != have) {
            PyObject *from = ag_shape_text(nd, PyArray_DIMS(x)), *to = ag_shape_text(n, target);
            if (from && to)
                PyErr_Format(PyExc_ValueError, "sum_to_shape: cannot sum an array of shape %U to shape %U", from, to);
            Py_XDECREF(from);
            Py_XDECREF(to);
            return -1;
        }
        reduced[d] = d < lead || (target[d - lead] == 1 && have != 1);
        out_dim[d] = d < lead ? -1 : d - lead;
        any |= reduced[d];
    }
    if (lead < 0) return ag_broadcast_error(x, n, target);
    if (!any) {
        Py_INCREF(x);
        return ag_set_output(ctx, 0, (PyObject *)x);
    }
    return ag_reduce_into(ctx, 1, nd, reduced, n, target, out_dim, 0);
}

/* A copy of input 0 as output 0 (the target of set/inc). */
static PyArrayObject *ag_copy_of_input(ag_outctx *ctx) {
    PyArrayObject *x = AG_IN_ARRAY(ctx, 0);
    PyArrayObject *out = ag_alloc_output(ctx, 0, PyArray_NDIM(x), PyArray_DIMS(x));
    if (out && PyArray_CopyInto(out, x) < 0) return NULL;
    return out;
}

/* set/inc_subtensor with a basic index (encoded as for ag_subtensor); inputs x, v, index scalars;
 * fn[0]: out = v (set) or acc += v (inc, the accumulator last). */
static int ag_step_inc_subtensor(ag_outctx *ctx) {
    ag_step *s = ctx->s;
    PyArrayObject *out = ag_copy_of_input(ctx);
    if (!out) return -1;
    PyObject *symbolic[AG_MAXOPS];
    for (int i = 2; i < s->nin; ++i) symbolic[i - 2] = ctx->values[s->ins[i]];
    PyObject *region = ag_subtensor(out, symbolic, (int)s->ip[AG_INC_SUBTENSOR_N_ENTRIES],
                                    s->ip + AG_INC_SUBTENSOR_ENTRIES);
    if (!region) return -1;
    int rc = ag_broadcast_into(ctx, (ag_loop_fn)s->fn[0], AG_IN_ARRAY(ctx, 1), (PyArrayObject *)region,
                               s->ip[AG_INC_SUBTENSOR_SET_INSTEAD_OF_INC] ? AG_OUT : AG_INOUT);
    Py_DECREF(region);
    return rc;
}

/* An index array for axis ``axis`` of x as int64. Unsigned 64-bit indices (NumPy takes them) are converted after
 * checking that none is beyond int64, where every one is out of bounds. A new reference, or NULL with an error. */
static PyArrayObject *ag_index_array(PyObject *a, PyArrayObject *x, int axis) {
    if (PyArray_Check(a) && PyArray_TYPE((PyArrayObject *)a) == NPY_UINT64) {
        PyArrayObject *u = (PyArrayObject *)PyArray_FROM_OTF(a, NPY_UINT64, NPY_ARRAY_ALIGNED | NPY_ARRAY_C_CONTIGUOUS);
        if (!u) return NULL;
        const uint64_t *values = (const uint64_t *)PyArray_DATA(u);
        for (npy_intp i = 0, n = PyArray_SIZE(u); i < n; ++i) {
            if (values[i] > (uint64_t)INT64_MAX) {
                PyErr_Format(PyExc_IndexError, "index %llu is out of bounds for axis %d with size %lld",
                             (unsigned long long)values[i], axis, (long long)PyArray_DIM(x, axis));
                Py_DECREF(u);
                return NULL;
            }
        }
        PyArrayObject *converted = (PyArrayObject *)PyArray_FROM_OTF((PyObject *)u, NPY_INT64,
                                                                     NPY_ARRAY_ALIGNED | NPY_ARRAY_FORCECAST);
        Py_DECREF(u);
        return converted;
    }
    return (PyArrayObject *)PyArray_FROM_OTF(a, NPY_INT64, NPY_ARRAY_ALIGNED);
}

/* The k index arrays (inputs first..first+k-1) as int64, broadcast together: shape bshape (bnd dims) and byte
 * strides istr[j][d] of each. New references in idx. */
static int ag_index_arrays(ag_outctx *ctx, PyArrayObject *x, int first, int k, PyArrayObject **idx, npy_intp *bshape,
                           int *bnd, npy_intp istr[][AG_MAXDIMS]) {
    int nd = 0;
    for (int j = 0; j < k; ++j) {
        idx[j] = ag_index_array(ctx->values[ctx->s->ins[first + j]], x, j);
        if (!idx[j]) return -1;
        if (PyArray_NDIM(idx[j]) > nd) nd = PyArray_NDIM(idx[j]);
    }
    for (int d = 0; d < nd; ++d) bshape[d] = 1;
    for (int j = 0; j < k; ++j) {
        int lead = nd - PyArray_NDIM(idx[j]);
        for (int d = lead; d < nd; ++d) {
            npy_intp z = PyArray_DIM(idx[j], d - lead);
            if (z != 1 && bshape[d] != 1 && z != bshape[d]) {
                PyErr_SetString(PyExc_IndexError, "shape mismatch: indexing arrays could not be broadcast together");
                return -1;
            }
            if (z != 1) bshape[d] = z;
        }
    }
    for (int j = 0; j < k; ++j) {
        int lead = nd - PyArray_NDIM(idx[j]);
        for (int d = 0; d < nd; ++d)
            istr[j][d] = d < lead || PyArray_DIM(idx[j], d - lead) == 1 ? 0 : PyArray_STRIDE(idx[j], d - lead);
    }
    *bnd = nd;
    return 0;
}

/* Byte offset into x of index position b (counters over bshape), checking bounds like NumPy. */
static int ag_index_offset(PyArrayObject *x, int k, PyArrayObject **idx, int bnd, const npy_intp *b,
                           npy_intp istr[][AG_MAXDIMS], npy_intp *offset) {
    *offset = 0;
    for (int j = 0; j < k; ++j) {
        char *p = PyArray_BYTES(idx[j]);
        for (int d = 0; d < bnd; ++d) p += b[d] * istr[j][d];
        int64_t i = *(int64_t *)p, size = PyArray_DIM(x, j);
        if (i < -size || i >= size) {
            PyErr_Format(PyExc_IndexError, "index %lld is out of bounds for axis %d with size %lld", (long long)i, j,
                         (long long)size);
            return -1;
        }
        *offset += (i < 0 ? i + size : i) * PyArray_STRIDE(x, j);
    }
    return 0;
}

static int ag_next(int nd, npy_intp *b, const npy_intp *shape) {
    for (int d = nd - 1; d >= 0; --d) {
        if (++b[d] < shape[d]) return 1;
        b[d] = 0;
    }
    return 0;
}

/* x[i0, i1, ..., ik-1] for integer arrays on the leading k axes; inputs x, the arrays. */
static int ag_step_take(ag_outctx *ctx) {
    int k = (int)ctx->s->ip[AG_TAKE_N_ARRAYS], bnd, rc = -1;
    PyArrayObject *x = AG_IN_ARRAY(ctx, 0), *idx[AG_MAXOPS] = {NULL};
    npy_intp bshape[AG_MAXDIMS], shape[AG_MAXDIMS], istr[AG_MAXOPS][AG_MAXDIMS], b[AG_MAXDIMS] = {0};
    if (ag_index_arrays(ctx, x, 1, k, idx, bshape, &bnd, istr) < 0) goto done;
    int nd = bnd + PyArray_NDIM(x) - k;
    memcpy(shape, bshape, bnd * sizeof(npy_intp));
    for (int d = k; d < PyArray_NDIM(x); ++d) shape[bnd + d - k] = PyArray_DIM(x, d);
    PyArrayObject *out = ag_alloc_output(ctx, 0, nd, shape);
    if (!out) goto done;
    npy_intp count = 1, inner = PyArray_ITEMSIZE(x);
    for (int d = 0; d < bnd; ++d) count *= bshape[d];
    for (int d = k; d < PyArray_NDIM(x); ++d) inner *= PyArray_DIM(x, d);
    rc = 0;
    if (count == 0) goto done;
    /* the rest of x at one index position, as an array to copy from */
    npy_intp sub_shape[AG_MAXDIMS], sub_strides[AG_MAXDIMS];
    int sub_nd = PyArray_NDIM(x) - k, contiguous = 1;
    npy_intp expect = PyArray_ITEMSIZE(x);
    for (int d = sub_nd - 1; d >= 0; --d) {
        sub_shape[d] = PyArray_DIM(x, k + d);
        sub_strides[d] = PyArray_STRIDE(x, k + d);
        contiguous &= sub_shape[d] == 1 || sub_strides[d] == expect;
        expect *= sub_shape[d];
    }
    char *dst = PyArray_BYTES(out);
    do {
        npy_intp offset;
        if ((rc = ag_index_offset(x, k, idx, bnd, b, istr, &offset)) < 0) goto done;
        if (inner == 0) continue; /* nothing to copy, but every index is still checked, as NumPy does */
        if (contiguous) {
            memcpy(dst, PyArray_BYTES(x) + offset, inner);
        } else {
            PyObject *sub = ag_view(x, sub_nd, sub_shape, sub_strides, PyArray_BYTES(x) + offset);
            PyObject *to = sub ? ag_view(out, sub_nd, sub_shape, NULL, dst) : NULL;
            rc = to ? PyArray_CopyInto((PyArrayObject *)to, (PyArrayObject *)sub) : -1;
            Py_XDECREF(sub);
            Py_XDECREF(to);
            if (rc < 0) goto done;
        }
        dst += inner;
    } while (ag_next(bnd, b, bshape));
done:
    for (int j = 0; j < k; ++j) Py_XDECREF(idx[j]);
    return rc;
}

/* x with x[i0, ..., ik-1] set to v or incremented by v (repeated indices accumulate, as numpy.add.at); inputs x,
 * v, the arrays; fn[0]: out = v (set) or acc += v (inc, the accumulator last). */
static int ag_step_advanced_inc(ag_outctx *ctx) {
    ag_step *s = ctx->s;
    int k = (int)s->ip[AG_ADVANCED_INC_N_ARRAYS], set = (int)s->ip[AG_ADVANCED_INC_SET_INSTEAD_OF_INC], bnd, rc = -1;
    PyArrayObject *v = AG_IN_ARRAY(ctx, 1), *idx[AG_MAXOPS] = {NULL};
    npy_intp bshape[AG_MAXDIMS], istr[AG_MAXOPS][AG_MAXDIMS], b[AG_MAXDIMS] = {0};
    PyArrayObject *out = ag_copy_of_input(ctx);
    if (!out || ag_index_arrays(ctx, out, 2, k, idx, bshape, &bnd, istr) < 0) goto done;
    int sub_nd = PyArray_NDIM(out) - k, nd = bnd + sub_nd;
    npy_intp region[AG_MAXDIMS], vstr[AG_MAXDIMS], count = 1;
    memcpy(region, bshape, bnd * sizeof(npy_intp));
    for (int d = 0; d < sub_nd; ++d) region[bnd + d] = PyArray_DIM(out, k + d);
    for (int d = 0; d < bnd; ++d) count *= bshape[d];
    if (ag_broadcast_strides(v, nd, region, vstr) < 0) {
        ag_broadcast_error(v, nd, region);
        goto done;
    }
    rc = 0;
    if (count == 0) goto done;
    ag_loop_fn fn = (ag_loop_fn)s->fn[0];
    do {
        npy_intp offset;
        if ((rc = ag_index_offset(out, k, idx, bnd, b, istr, &offset)) < 0) goto done;
        char *src = PyArray_BYTES(v);
        for (int d = 0; d < bnd; ++d) src += b[d] * vstr[d];
        char *dst = PyArray_BYTES(out) + offset;
        if (sub_nd == 0) {
            char *args[2] = {src, dst};
            int64_t steps[2] = {1, 1};
            if ((rc = fn(1, args, steps))) { rc = ag_set_kernel_error(rc); goto done; }
            continue;
        }
        ag_iter it;
        it.nops = 2;
        it.ndim = sub_nd;
        for (int d = 0; d < sub_nd; ++d) {
            it.shape[d] = PyArray_DIM(out, k + d);
            it.strides[0][d] = vstr[bnd + d];
            it.strides[1][d] = PyArray_STRIDE(out, k + d);
        }
        it.data[0] = src;
        it.data[1] = dst;
        it.itemsize[0] = (int)PyArray_ITEMSIZE(v);
        it.itemsize[1] = (int)PyArray_ITEMSIZE(out);
        it.role[0] = AG_IN;
        it.role[1] = set ? AG_OUT : AG_INOUT;
        if ((rc = ag_run_unlocked(ctx, ag_iter_size(&it), NULL, fn, NULL, &it, NULL)) < 0) goto done;
    } while (ag_next(bnd, b, bshape));
done:
    for (int j = 0; j < k; ++j) Py_XDECREF(idx[j]);
    return rc;
}
