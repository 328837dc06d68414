/* Views without copies: DimShuffle, basic indexing (Subtensor), Reshape (a view of contiguous data), Shape. */

static PyObject *ag_view(PyArrayObject *base, int nd, const npy_intp *shape, const npy_intp *strides, char *data) {
    PyArray_Descr *descr = PyArray_DESCR(base);
    Py_INCREF(descr);
    int flags = PyArray_FLAGS(base) & NPY_ARRAY_WRITEABLE;
    PyObject *v = PyArray_NewFromDescr(&PyArray_Type, descr, nd, (npy_intp *)shape, (npy_intp *)strides, data,
                                       flags, NULL);
    if (!v) return NULL;
    Py_INCREF(base);
    if (PyArray_SetBaseObject((PyArrayObject *)v, (PyObject *)base) < 0) {
        Py_DECREF(v);
        return NULL;
    }
    return v;
}

/* order: out_nd input axes, -1 for a new length-1 axis. */
static PyObject *ag_dimshuffle(PyArrayObject *x, int out_nd, const int64_t *order) {
    npy_intp shape[AG_MAXDIMS], strides[AG_MAXDIMS];
    for (int d = 0; d < out_nd; ++d) {
        int64_t src = order[d];
        shape[d] = src < 0 ? 1 : PyArray_DIM(x, (int)src);
        strides[d] = src < 0 ? 0 : PyArray_STRIDE(x, (int)src);
    }
    return ag_view(x, out_nd, shape, strides, PyArray_DATA(x));
}

static int ag_int64_value(PyObject *v, int64_t *out) {
    if (!PyArray_Check(v) || PyArray_NDIM((PyArrayObject *)v) != 0 || PyArray_TYPE((PyArrayObject *)v) != NPY_INT64) {
        PyErr_SetString(PyExc_TypeError, "expected an int64 scalar index");
        return -1;
    }
    *out = *(int64_t *)PyArray_DATA((PyArrayObject *)v);
    return 0;
}

/* x[index] for a basic index of n entries, each AG_INDEX_ENTRY_SIZE integers (source.INDEX_ENTRY: its kind,
 * AG_INDEX_KIND_*, its flags, AG_INDEX_FLAG_* shifted by j for part j, and its parts). */
static PyObject *ag_subtensor(PyArrayObject *x, PyObject **symbolic, int n, const int64_t *entries) {
    int axis = 0, nd = 0, next = 0;
    npy_intp shape[AG_MAXDIMS], strides[AG_MAXDIMS];
    char *data = PyArray_DATA(x);
    for (int e = 0; e < n; ++e) {
        const int64_t *entry = entries + AG_INDEX_ENTRY_SIZE * e;
        int64_t kind = entry[AG_INDEX_ENTRY_KIND], part[3];
        int none[3];
        const int syms = ag_index_parts(entry, part, none);
        for (int j = 0; j < 3; ++j)
            if (syms >> j & 1 && ag_int64_value(symbolic[next++], &part[j]) < 0) return NULL;
        if (kind == AG_INDEX_KIND_NEW_AXIS) {
            shape[nd] = 1;
            strides[nd++] = 0;
            continue;
        }
        npy_intp size = PyArray_DIM(x, axis), stride = PyArray_STRIDE(x, axis);
        if (kind == AG_INDEX_KIND_INT) {
            int64_t i = part[0] < 0 ? part[0] + size : part[0];
            if (i < 0 || i >= size) {
                PyErr_Format(PyExc_IndexError, "index %lld is out of bounds for axis %d with size %lld",
                             (long long)part[0], axis, (long long)size);
                return NULL;
            }
            data += i * stride;
        } else { /* AG_INDEX_KIND_SLICE */
            Py_ssize_t step = none[2] ? 1 : (Py_ssize_t)part[2];
            if (step == 0) {
                PyErr_SetString(PyExc_ValueError, "slice step cannot be zero");
                return NULL;
            }
            Py_ssize_t start = none[0] ? (step < 0 ? PY_SSIZE_T_MAX : 0) : (Py_ssize_t)part[0];
            Py_ssize_t stop = none[1] ? (step < 0 ? PY_SSIZE_T_MIN : PY_SSIZE_T_MAX) : (Py_ssize_t)part[1];
            Py_ssize_t length = PySlice_AdjustIndices(size, &start, &stop, step);
            shape[nd] = length;
            strides[nd++] = stride * step;
            if (length > 0) data += start * stride;
        }
        ++axis;
    }
    for (; axis < PyArray_NDIM(x); ++axis) {
        shape[nd] = PyArray_DIM(x, axis);
        strides[nd++] = PyArray_STRIDE(x, axis);
    }
    return ag_view(x, nd, shape, strides, data);
}

/* NumPy's reshape: a view when the data allows it, else a copy. */
static PyObject *ag_reshape(PyArrayObject *x, PyObject *shape_value, int ndim) {
    PyArrayObject *s = (PyArrayObject *)shape_value;
    if (!PyArray_Check(shape_value) || PyArray_NDIM(s) != 1 || PyArray_TYPE(s) != NPY_INT64 || PyArray_DIM(s, 0) != ndim) {
        PyErr_SetString(PyExc_TypeError, "reshape: the shape must be an int64 vector of the output's length");
        return NULL;
    }
    npy_intp dims[AG_MAXDIMS];
    for (int d = 0; d < ndim; ++d) dims[d] = *(int64_t *)PyArray_GETPTR1(s, d);
    PyArray_Dims newshape = {dims, ndim};
    return PyArray_Newshape(x, &newshape, NPY_CORDER);
}

static PyObject *ag_shape_of(PyArrayObject *x) {
    npy_intp n = PyArray_NDIM(x);
    PyObject *out = PyArray_EMPTY(1, &n, NPY_INT64, 0);
    if (!out) return NULL;
    for (int d = 0; d < n; ++d) ((int64_t *)PyArray_DATA((PyArrayObject *)out))[d] = PyArray_DIM(x, d);
    return out;
}
