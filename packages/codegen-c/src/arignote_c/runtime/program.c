/* The executor: a compiled function as a list of steps over numbered slots (inputs first, then constants and
 * intermediates). Calling a Program checks its inputs, runs the steps and returns the outputs as a list.
 *
 * Buffers: every step output slot keeps the last array it allocated; the next call reuses it when nobody else
 * holds a reference (reference count 1) and it has the same shape, so a steady loop allocates nothing, and an
 * array the caller kept is never overwritten. */

/* The step kinds (enum AG_STEP_*) are generated from arignote_c.runtime.source.StepKind, and the positions of each
 * kind's integer parameters in ip (AG_<KIND>_<NAME>) and their mode constants from source.STEP_PARAMS. */

typedef struct {
    int kind, nin, nout, nip, nfree;
    int *ins, *outs, *out_types, *frees;
    void *fn[3];
    int64_t *ip;
    PyObject *obj;
    double seconds;
    int64_t calls;
    ag_pk_cache packed; /* a product's b, packed once for a loop (ag_loop_packed_b) */
} ag_step;

typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    int nslots, ninputs, noutputs, nsteps, profile, busy, flush_denormals;
    int *in_typenum, *in_itemsize, *in_ndim, *output_slots;
    char *in_kind, *is_const;
    int64_t *in_shape;
    PyObject **values, **pool;
    ag_step *steps;
    PyObject *info, *keepalive;
    PyObject *observer; /* NULL, or info.step_observer(...): before(k, inputs) and after(k, state, outputs) */
    ag_par par;
    int64_t gil_threshold, peak_bytes;
    /* While a scan's loop runs this program as its step (on its own slots): a number no other run of a loop had,
     * and the first of its inputs bound once for the whole loop (the non-sequences); loop_epoch is 0 otherwise. */
    int64_t loop_epoch;
    int invariant_from;
} ag_program;

struct ag_outctx {
    ag_program *p;
    ag_step *s;
    PyObject **values;
    int usepool;
};

static PyArrayObject *ag_alloc_output(ag_outctx *ctx, int index, int nd, const npy_intp *shape) {
    int slot = ctx->s->outs[index], typenum = ctx->s->out_types[index];
    PyObject *cached = ctx->usepool ? ctx->p->pool[slot] : NULL;
    if (cached && Py_REFCNT(cached) == 1) {
        PyArrayObject *a = (PyArrayObject *)cached;
        int same = PyArray_NDIM(a) == nd && PyArray_TYPE(a) == typenum && PyArray_ISWRITEABLE(a);
        for (int d = 0; same && d < nd; ++d) same = PyArray_DIM(a, d) == shape[d];
        if (same) {
            Py_INCREF(cached);
            Py_XSETREF(ctx->values[slot], cached);
            return a;
        }
    }
    PyObject *fresh = PyArray_EMPTY(nd, (npy_intp *)shape, typenum, 0);
    if (!fresh) return NULL;
    if (ctx->usepool) {
        Py_INCREF(fresh);
        Py_XSETREF(ctx->p->pool[slot], fresh);
    }
    Py_XSETREF(ctx->values[slot], fresh);
    return (PyArrayObject *)fresh;
}

static int ag_step_threads(const ag_outctx *ctx) { return ctx->p->par.threads; }

#define AG_IN_ARRAY(ctx, i) ((PyArrayObject *)(ctx)->values[(ctx)->s->ins[i]])

/* The array a view chain ends at (the object owning the memory). */
static PyObject *ag_memory_owner(PyObject *v) {
    while (PyArray_Check(v) && PyArray_BASE((PyArrayObject *)v)) v = PyArray_BASE((PyArrayObject *)v);
    return v;
}

/* b, input ``input`` of the running step (the array itself: a copy's pointer may recur with other values),
 * packed for the float64 kernel (packed_gemm.c) once for the loop that runs this program as its step: when the
 * program runs on its own slots in that loop and b's memory is that of an input bound once for the loop (a
 * non-sequence: no step writes it), else NULL. The packing is kept while the same loop multiplies by the same
 * view (pointer, sizes, strides) of that memory. */
static const double *ag_loop_packed_b(ag_outctx *ctx, int input, const ag_mat *b) {
    ag_program *p = ctx->p;
    if (!p->loop_epoch || !ctx->usepool) return NULL;
    PyObject *owner = ag_memory_owner(ctx->values[ctx->s->ins[input]]);
    int invariant = 0;
    for (int j = p->invariant_from; j < p->ninputs && !invariant; ++j)
        invariant = ctx->values[j] && ag_memory_owner(ctx->values[j]) == owner;
    if (!invariant) return NULL;
    ag_pk_cache *pk = &ctx->s->packed;
    if (pk->epoch == p->loop_epoch && pk->source == b->data && pk->k == b->rows && pk->n == b->cols &&
        pk->rs == b->rs && pk->cs == b->cs)
        return pk->data;
    int64_t size = ag_pk_packed_size(b->rows, b->cols);
    if (size > pk->capacity) {
        free(pk->data);
        pk->capacity = 0;
        if (posix_memalign((void **)&pk->data, 64, (size_t)size * sizeof(double)) != 0) {
            pk->data = NULL;
            return NULL;
        }
        pk->capacity = size;
    }
    ag_pk_pack_all((const double *)b->data, b->rows, b->cols, b->rs, b->cs, pk->data);
    *pk = (ag_pk_cache){pk->data, pk->capacity, p->loop_epoch, b->rows, b->cols, b->rs, b->cs, b->data};
    return pk->data;
}

/* Output 0 as input ``input`` itself, for a step the memory plan lets overwrite that input (it is dead after the
 * step), when at run time the input has the output's shape and dtype, is C-contiguous, aligned and writeable,
 * and no other input of the call shares its memory (a caller may pass a shared variable's value as an explicit
 * input too). NULL when it may not: the step then allocates as usual. */
static PyArrayObject *ag_output_into_input(ag_outctx *ctx, int input, int nd, const npy_intp *shape) {
    PyArrayObject *c = AG_IN_ARRAY(ctx, input);
    if (PyArray_NDIM(c) != nd || PyArray_TYPE(c) != ctx->s->out_types[0] || !PyArray_IS_C_CONTIGUOUS(c)
        || !PyArray_ISALIGNED(c) || !PyArray_ISWRITEABLE(c))
        return NULL;
    for (int d = 0; d < nd; ++d)
        if (PyArray_DIM(c, d) != shape[d]) return NULL;
    PyObject *owner = ag_memory_owner((PyObject *)c);
    for (int i = 0; i < ctx->p->ninputs; ++i) {
        PyObject *v = ctx->values[i];
        if (i != ctx->s->ins[input] && v && ag_memory_owner(v) == owner) return NULL;
    }
    Py_INCREF(c);
    Py_XSETREF(ctx->values[ctx->s->outs[0]], (PyObject *)c);
    return c;
}

/* NumPy's broadcasting of the inputs (all of ndim nd) into shape; a ValueError like NumPy's when impossible. */
static int ag_broadcast(ag_outctx *ctx, int nin, int nd, npy_intp *shape) {
    for (int d = 0; d < nd; ++d) shape[d] = 1;
    for (int i = 0; i < nin; ++i) {
        PyArrayObject *a = AG_IN_ARRAY(ctx, i);
        for (int d = 0; d < nd; ++d) {
            npy_intp z = PyArray_DIM(a, d);
            if (z == 1 || z == shape[d]) continue;
            if (shape[d] != 1) goto mismatch;
            shape[d] = z;
        }
    }
    return 0;
mismatch: {
        PyObject *text = PyUnicode_FromString("operands could not be broadcast together with shapes");
        for (int i = 0; text && i < nin; ++i) {
            PyObject *dims = PyObject_Repr(PyObject_GetAttrString((PyObject *)AG_IN_ARRAY(ctx, i), "shape"));
            PyObject *joined = dims ? PyUnicode_FromFormat("%U %U", text, dims) : NULL;
            Py_XDECREF(dims);
            Py_SETREF(text, joined);
        }
        if (text) PyErr_SetObject(PyExc_ValueError, text);
        Py_XDECREF(text);
        return -1;
    }
}

/* Fill the operand columns of it for the array a, broadcast (stride 0) where its size is 1. */
static void ag_iter_operand(ag_iter *it, int k, PyArrayObject *a, int role) {
    it->data[k] = PyArray_DATA(a);
    it->itemsize[k] = (int)PyArray_ITEMSIZE(a);
    it->role[k] = role;
    for (int d = 0; d < it->ndim; ++d)
        it->strides[k][d] = PyArray_DIM(a, d) == 1 ? 0 : PyArray_STRIDE(a, d);
}

/* Strides that are not a multiple of the item size (possible with exotic views) go through a copy. A contiguous
 * array's are (but on axes of length 1, which the loops give stride 0): no division per axis, the common case. */
static int ag_strides_ok(PyArrayObject *a) {
    if (PyArray_CHKFLAGS(a, NPY_ARRAY_C_CONTIGUOUS) || PyArray_CHKFLAGS(a, NPY_ARRAY_F_CONTIGUOUS)) return 1;
    for (int d = 0; d < PyArray_NDIM(a); ++d)
        if (PyArray_STRIDE(a, d) % (npy_intp)PyArray_ITEMSIZE(a)) return 0;
    return 1;
}

static int ag_fix_strides(ag_outctx *ctx, int nin) {
    for (int i = 0; i < nin; ++i) {
        PyArrayObject *a = AG_IN_ARRAY(ctx, i);
        if (ag_strides_ok(a)) continue;
        PyObject *copy = PyArray_NewCopy(a, NPY_CORDER);
        if (!copy) return -1;
        Py_SETREF(ctx->values[ctx->s->ins[i]], copy);
    }
    return 0;
}

static int ag_run_unlocked(ag_outctx *ctx, int64_t size, ag_fold_fn fold, ag_loop_fn loop, ag_combine_fn combine,
                           ag_iter *it, const char *identity) {
    int rc;
    if (size >= ctx->p->gil_threshold) {
        Py_BEGIN_ALLOW_THREADS
        rc = fold ? ag_run_reduce(fold, loop, combine, it, &ctx->p->par, identity) : ag_run_loop(loop, it, &ctx->p->par);
        Py_END_ALLOW_THREADS
    } else {
        rc = fold ? ag_run_reduce(fold, loop, combine, it, &ctx->p->par, identity) : ag_run_loop(loop, it, &ctx->p->par);
    }
    return rc ? ag_set_kernel_error(rc) : 0;
}

static int ag_step_elemwise(ag_outctx *ctx) {
    ag_step *s = ctx->s;
    int nd = (int)s->ip[AG_ELEMWISE_NDIM], nin = s->nin;
    npy_intp shape[AG_MAXDIMS];
    if (ag_fix_strides(ctx, nin) < 0 || ag_broadcast(ctx, nin, nd, shape) < 0) return -1;
    ag_iter it;
    it.nops = nin + s->nout;
    it.ndim = nd;
    for (int d = 0; d < nd; ++d) it.shape[d] = shape[d];
    for (int i = 0; i < nin; ++i) ag_iter_operand(&it, i, AG_IN_ARRAY(ctx, i), AG_IN);
    for (int o = 0; o < s->nout; ++o) {
        PyArrayObject *out = ag_alloc_output(ctx, o, nd, shape);
        if (!out) return -1;
        ag_iter_operand(&it, nin + o, out, AG_OUT);
    }
    return ag_run_unlocked(ctx, ag_iter_size(&it), NULL, (ag_loop_fn)s->fn[0], NULL, &it, NULL);
}

/* The reduction of the broadcast inputs (ndim nd) over the dimensions where reduced[d], into output `index`
 * of shape out_shape; out_dim[d] is the output dimension of each kept input dimension. obj: (identity as a 0-d
 * array of the output dtype, ufunc name); fn: fold, accumulate, combine. */
static int ag_reduce_into(ag_outctx *ctx, int nin, int nd, const int *reduced, int out_nd, const npy_intp *out_shape,
                          const int *out_dim, int no_identity) {
    ag_step *s = ctx->s;
    npy_intp shape[AG_MAXDIMS];
    if (ag_fix_strides(ctx, nin) < 0 || ag_broadcast(ctx, nin, nd, shape) < 0) return -1;
    int64_t reduced_size = 1;
    for (int d = 0; d < nd; ++d)
        if (reduced[d]) reduced_size *= shape[d];
    PyArrayObject *identity = (PyArrayObject *)PyTuple_GET_ITEM(s->obj, 0);
    if (reduced_size == 0 && no_identity) {
        PyErr_Format(PyExc_ValueError, "zero-size array to reduction operation %U which has no identity",
                     PyTuple_GET_ITEM(s->obj, 1));
        return -1;
    }
    PyArrayObject *out = ag_alloc_output(ctx, 0, out_nd, out_shape);
    if (!out) return -1;
    int isz = (int)PyArray_ITEMSIZE(out);
    char *o = PyArray_DATA(out), *init = PyArray_DATA(identity);
    for (npy_intp i = 0, n = PyArray_SIZE(out); i < n; ++i) memcpy(o + i * isz, init, isz);
    ag_iter it;
    it.nops = nin + 1;
    it.ndim = nd;
    for (int d = 0; d < nd; ++d) it.shape[d] = shape[d];
    for (int i = 0; i < nin; ++i) ag_iter_operand(&it, i, AG_IN_ARRAY(ctx, i), AG_IN);
    it.data[nin] = o;
    it.itemsize[nin] = isz;
    it.role[nin] = AG_INOUT;
    for (int d = 0; d < nd; ++d)
        it.strides[nin][d] = reduced[d] || shape[d] == 1 ? 0 : PyArray_STRIDE(out, out_dim[d]);
    return ag_run_unlocked(ctx, ag_iter_size(&it), (ag_fold_fn)s->fn[0], (ag_loop_fn)s->fn[1],
                           (ag_combine_fn)s->fn[2], &it, init);
}

static int ag_step_reduce(ag_outctx *ctx) {
    ag_step *s = ctx->s;
    int nd = (int)s->ip[AG_REDUCE_NDIM], naxes = (int)s->ip[AG_REDUCE_NAXES], reduced[AG_MAXDIMS] = {0};
    int out_dim[AG_MAXDIMS], out_nd = 0;
    npy_intp shape[AG_MAXDIMS], out_shape[AG_MAXDIMS];
    for (int j = 0; j < naxes; ++j) reduced[s->ip[AG_REDUCE_AXES + j]] = 1;
    if (ag_broadcast(ctx, s->nin, nd, shape) < 0) return -1;
    for (int d = 0; d < nd; ++d) {
        out_dim[d] = reduced[d] ? -1 : out_nd;
        if (!reduced[d]) out_shape[out_nd++] = shape[d];
    }
    return ag_reduce_into(ctx, s->nin, nd, reduced, out_nd, out_shape, out_dim, (int)s->ip[AG_REDUCE_NO_IDENTITY]);
}

static int ag_set_output(ag_outctx *ctx, int index, PyObject *value) {
    if (!value) return -1;
    Py_XSETREF(ctx->values[ctx->s->outs[index]], value);
    return 0;
}

/* The step's outputs from fn(list of inputs) -> list of outputs (ndarrays of the output dtypes). */
static int ag_call_python(ag_outctx *ctx, PyObject *fn) {
    ag_step *s = ctx->s;
    PyObject *args = PyList_New(s->nin);
    if (!args) return -1;
    for (int i = 0; i < s->nin; ++i) {
        PyObject *v = ctx->values[s->ins[i]];
        Py_INCREF(v);
        PyList_SET_ITEM(args, i, v);
    }
    PyObject *results = PyObject_CallOneArg(fn, args);
    Py_DECREF(args);
    if (!results) return -1;
    if (!PyList_CheckExact(results) || PyList_GET_SIZE(results) != s->nout) {
        Py_DECREF(results);
        PyErr_SetString(PyExc_TypeError, "fallback step must return a list with one array per output");
        return -1;
    }
    for (int o = 0; o < s->nout; ++o) {
        PyObject *v = PyList_GET_ITEM(results, o);
        Py_INCREF(v);
        ag_set_output(ctx, o, v);
    }
    Py_DECREF(results);
    return 0;
}

/* obj: the callable running the node (lowering.python_step) */
static int ag_step_python(ag_outctx *ctx) { return ag_call_python(ctx, ctx->s->obj); }

/* CHECK steps (graph-core's CheckAndRaise): input 0 passed on, unchanged, once every other input (a condition)
 * holds everywhere; else the error obj = (exception class, message) names. A check is as cheap as a view. */
#ifdef NPY_RAVEL_AXIS
#define AG_EVERY_AXIS NPY_RAVEL_AXIS /* NumPy 2: axis=None */
#else
#define AG_EVERY_AXIS NPY_MAXDIMS
#endif

static int ag_step_check(ag_outctx *ctx) {
    ag_step *s = ctx->s;
    for (int i = 1; i < s->nin; ++i) {
        PyObject *all = PyArray_All(AG_IN_ARRAY(ctx, i), AG_EVERY_AXIS, NULL);
        int holds = all ? PyObject_IsTrue(all) : -1;
        Py_XDECREF(all);
        if (holds < 0) return -1;
        if (!holds) {
            PyErr_SetObject(PyTuple_GET_ITEM(s->obj, 0), PyTuple_GET_ITEM(s->obj, 1));
            return -1;
        }
    }
    PyObject *x = ctx->values[s->ins[0]];
    Py_INCREF(x);
    return ag_set_output(ctx, 0, x);
}

/* The threads the user kernel running on this thread may use (services.threads): its program's. */
static _Thread_local int ag_user_threads = 1;
static int ag_services_threads(void) { return ag_user_threads; }

/* fn[0]: ag_array_fn; the outputs' shapes as source.OutputShapes says (AG_OUTPUT_SHAPES_*) */
static int ag_step_array(ag_outctx *ctx) {
    ag_step *s = ctx->s;
    ag_array arrays[AG_MAXOPS];
    PyObject *shapes = NULL;
    int64_t mode = s->ip[AG_ARRAY_OUTPUT_SHAPES], arg = s->ip[AG_ARRAY_SHAPE_ARG];
    if (mode == AG_OUTPUT_SHAPES_FROM_SHAPES || mode == AG_OUTPUT_SHAPES_FROM_VALUES) {
        PyObject *in_shapes = PyList_New(s->nin);
        if (!in_shapes) return -1;
        for (int i = 0; i < s->nin; ++i) {
            PyObject *v = ctx->values[s->ins[i]];
            PyList_SET_ITEM(in_shapes, i,
                            mode == AG_OUTPUT_SHAPES_FROM_VALUES ? Py_NewRef(v) : PyObject_GetAttrString(v, "shape"));
        }
        shapes = PyObject_CallOneArg(s->obj, in_shapes);
        Py_DECREF(in_shapes);
        if (!shapes) return -1;
    }
    for (int o = 0; o < s->nout; ++o) {
        npy_intp shape[AG_MAXDIMS];
        int nd;
        if (shapes) {
            PyObject *t = PySequence_Fast(PySequence_GetItem(shapes, o), "output shapes must be sequences");
            if (!t) { Py_DECREF(shapes); return -1; }
            nd = (int)PySequence_Fast_GET_SIZE(t);
            for (int d = 0; d < nd; ++d) shape[d] = PyLong_AsSsize_t(PySequence_Fast_GET_ITEM(t, d));
            Py_DECREF(t);
        } else if (mode == AG_OUTPUT_SHAPES_WITHOUT_AXIS) {
            PyArrayObject *x = AG_IN_ARRAY(ctx, 0);
            nd = 0;
            for (int d = 0; arg >= 0 && d < PyArray_NDIM(x); ++d)
                if (d != arg) shape[nd++] = PyArray_DIM(x, d);
        } else { /* AG_OUTPUT_SHAPES_LIKE_INPUT */
            PyArrayObject *like = AG_IN_ARRAY(ctx, arg);
            nd = PyArray_NDIM(like);
            memcpy(shape, PyArray_DIMS(like), nd * sizeof(npy_intp));
        }
        if (PyErr_Occurred() || !ag_alloc_output(ctx, o, nd, shape)) { Py_XDECREF(shapes); return -1; }
    }
    Py_XDECREF(shapes);
    for (int k = 0; k < s->nin + s->nout; ++k) {
        PyArrayObject *a = (PyArrayObject *)ctx->values[k < s->nin ? s->ins[k] : s->outs[k - s->nin]];
        arrays[k] = (ag_array){PyArray_DATA(a), PyArray_NDIM(a), (const int64_t *)PyArray_DIMS(a),
                               (const int64_t *)PyArray_STRIDES(a), PyArray_TYPE(a)};
    }
    ag_user_threads = ctx->p->par.threads;
    int rc = ((ag_array_fn)s->fn[0])(arrays, arrays + s->nin);
    ag_user_threads = 1;
    if (rc && !PyErr_Occurred()) PyErr_Format(PyExc_RuntimeError, "C kernel returned error code %d", rc);
    return rc ? -1 : 0;
}

typedef int (*ag_rows_fn)(const ag_array *in, const ag_array *out, int64_t begin, int64_t end);

typedef struct {
    ag_rows_fn fn;
    const ag_array *arrays; /* the input, then the output */
    int64_t rows, parts;
} ag_rows_job;

static int ag_rows_part(void *ctx, int64_t part, int worker) {
    (void)worker;
    const ag_rows_job *job = (const ag_rows_job *)ctx;
    return job->fn(job->arrays, job->arrays + 1, job->rows * part / job->parts, job->rows * (part + 1) / job->parts);
}

/* fn[0]: ag_rows_fn, run on the rows [begin, end) of input 0 along axis AG_ROWS_AXIS (a row: every index but that
 * axis, in C order); the output has input 0's shape. Large inputs run without the GIL, their rows split over
 * the threads. The kernel touches no Python object and returns 0 or a kernel error code. */
static int ag_step_rows(ag_outctx *ctx) {
    ag_step *s = ctx->s;
    if (ag_fix_strides(ctx, 1) < 0) return -1;
    PyArrayObject *x = AG_IN_ARRAY(ctx, 0);
    int nd = PyArray_NDIM(x);
    PyArrayObject *y = ag_alloc_output(ctx, 0, nd, PyArray_DIMS(x));
    if (!y) return -1;
    int64_t size = PyArray_SIZE(x), n = PyArray_DIM(x, (int)s->ip[AG_ROWS_AXIS]), rows = n ? size / n : 0;
    if (rows == 0) return 0;
    ag_array arrays[2] = {
        {PyArray_DATA(x), nd, (const int64_t *)PyArray_DIMS(x), (const int64_t *)PyArray_STRIDES(x), PyArray_TYPE(x)},
        {PyArray_DATA(y), nd, (const int64_t *)PyArray_DIMS(y), (const int64_t *)PyArray_STRIDES(y), PyArray_TYPE(y)}};
    ag_rows_fn fn = (ag_rows_fn)s->fn[0];
    int nt = ag_threads_for(&ctx->p->par, size), rc = 0;
    PyThreadState *save = size >= ctx->p->gil_threshold ? PyEval_SaveThread() : NULL;
    if (nt > 1) {
        ag_rows_job job = {fn, arrays, rows, ag_parts_for(rows, nt)};
        rc = ag_parallel(job.parts, nt, ag_rows_part, &job);
    } else {
        rc = fn(arrays, arrays + 1, 0, rows);
    }
    if (save) PyEval_RestoreThread(save);
    return rc ? ag_set_kernel_error(rc) : 0;
}
