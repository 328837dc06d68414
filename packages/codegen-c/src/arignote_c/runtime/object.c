/* The Program type (Python's view of a compiled function) and the module entry point ag_install. */
#include <structmember.h>

static int *ag_ints(PyObject *seq, int *n) {
    PyObject *fast = PySequence_Fast(seq, "expected a sequence of ints");
    if (!fast) return NULL;
    Py_ssize_t len = PySequence_Fast_GET_SIZE(fast);
    int *out = calloc(len + 1, sizeof(int));
    for (Py_ssize_t i = 0; out && i < len; ++i) out[i] = (int)PyLong_AsLong(PySequence_Fast_GET_ITEM(fast, i));
    Py_DECREF(fast);
    if (n) *n = (int)len;
    if (!out) PyErr_NoMemory();
    return PyErr_Occurred() ? (free(out), NULL) : out;
}

static int64_t *ag_int64s(PyObject *seq, int *n) {
    PyObject *fast = PySequence_Fast(seq, "expected a sequence of ints");
    if (!fast) return NULL;
    Py_ssize_t len = PySequence_Fast_GET_SIZE(fast);
    int64_t *out = calloc(len + 1, sizeof(int64_t));
    for (Py_ssize_t i = 0; out && i < len; ++i) out[i] = PyLong_AsLongLong(PySequence_Fast_GET_ITEM(fast, i));
    Py_DECREF(fast);
    if (n) *n = (int)len;
    if (!out) PyErr_NoMemory();
    return PyErr_Occurred() ? (free(out), NULL) : out;
}

/* The Python objects a program holds (its info can lead back to the function that owns the program). */
static int ag_program_traverse(PyObject *self, visitproc visit, void *arg) {
    ag_program *p = (ag_program *)self;
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(p->info);
    Py_VISIT(p->keepalive);
    Py_VISIT(p->observer);
    for (int i = 0; p->values && p->pool && i < p->nslots; ++i) {
        Py_VISIT(p->values[i]);
        Py_VISIT(p->pool[i]);
    }
    for (int k = 0; p->steps && k < p->nsteps; ++k) Py_VISIT(p->steps[k].obj);
    return 0;
}

static int ag_program_clear(PyObject *self) {
    ag_program *p = (ag_program *)self;
    Py_CLEAR(p->info);
    Py_CLEAR(p->observer);
    for (int i = 0; p->pool && i < p->nslots; ++i) Py_CLEAR(p->pool[i]);
    for (int k = 0; p->steps && k < p->nsteps; ++k) Py_CLEAR(p->steps[k].obj);
    return 0;
}

static void ag_program_dealloc(PyObject *self) {
    ag_program *p = (ag_program *)self;
    PyObject_GC_UnTrack(self);
    for (int i = 0; p->values && p->pool && i < p->nslots; ++i) {
        Py_XDECREF(p->values[i]);
        Py_XDECREF(p->pool[i]);
    }
    for (int k = 0; p->steps && k < p->nsteps; ++k) {
        ag_step *s = &p->steps[k];
        free(s->ins); free(s->outs); free(s->out_types); free(s->frees); free(s->ip); free(s->packed.data);
        Py_XDECREF(s->obj);
    }
    free(p->steps); free(p->values); free(p->pool); free(p->is_const);
    free(p->in_typenum); free(p->in_itemsize); free(p->in_ndim); free(p->in_kind); free(p->in_shape);
    free(p->output_slots);
    Py_XDECREF(p->info);
    Py_XDECREF(p->keepalive);
    Py_XDECREF(p->observer);
    PyTypeObject *tp = Py_TYPE(self);
    tp->tp_free(self);
    Py_DECREF(tp);
}

static int ag_parse_step(ag_step *s, PyObject *spec) {
    PyObject *ins, *outs, *types, *fns, *ip, *obj, *frees;
    if (!PyArg_ParseTuple(spec, "iOOOOOOO", &s->kind, &ins, &outs, &types, &fns, &ip, &obj, &frees)) return -1;
    if (!(s->ins = ag_ints(ins, &s->nin)) || !(s->outs = ag_ints(outs, &s->nout)) ||
        !(s->out_types = ag_ints(types, NULL)) || !(s->ip = ag_int64s(ip, &s->nip)) ||
        !(s->frees = ag_ints(frees, &s->nfree)))
        return -1;
    /* kernels and array steps keep their operands in arrays of AG_MAXOPS; a Python step, a scan's loop (which
     * allocates what it needs) and a check (a broadcast of many shapes) take any number */
    if (s->nin + s->nout > AG_MAXOPS && s->kind != AG_STEP_PYTHON && s->kind != AG_STEP_SCAN &&
        s->kind != AG_STEP_CHECK) {
        PyErr_SetString(PyExc_ValueError, "too many operands for one step");
        return -1;
    }
    for (int j = 0; j < 3; ++j) {
        PyObject *f = PySequence_GetItem(fns, j);
        s->fn[j] = f ? PyLong_AsVoidPtr(f) : NULL;
        Py_XDECREF(f);
    }
    Py_INCREF(obj);
    s->obj = obj;
    return PyErr_Occurred() ? -1 : 0;
}

static PyObject *ag_program_vectorcall(PyObject *self, PyObject *const *args, size_t nargsf, PyObject *kwnames);

/* Program(nslots, inputs, outputs, constants, steps, info, options, keepalive); see arignote_c/program.py */
static PyObject *ag_program_new(PyTypeObject *type, PyObject *args, PyObject *kwds) {
    int nslots;
    PyObject *inputs, *outputs, *constants, *steps, *info, *options, *keepalive;
    if (!PyArg_ParseTuple(args, "iOOOOOOO", &nslots, &inputs, &outputs, &constants, &steps, &info, &options,
                          &keepalive))
        return NULL;
    ag_program *p = (ag_program *)type->tp_alloc(type, 0);
    if (!p) return NULL;
    p->vectorcall = ag_program_vectorcall;
    p->nslots = nslots;
    p->values = calloc(nslots + 1, sizeof(PyObject *));
    p->pool = calloc(nslots + 1, sizeof(PyObject *));
    p->is_const = calloc(nslots + 1, 1);
    if (!p->values || !p->pool || !p->is_const) {
        PyErr_NoMemory();
        goto fail;
    }
    Py_INCREF(info);
    p->info = info;
    Py_INCREF(keepalive);
    p->keepalive = keepalive;
    int threads = 1, profile = 0, flush_denormals = 0;
    long long par_threshold = 0, gil_threshold = 0;
    if (!PyArg_ParseTuple(options, "iLLpp", &threads, &par_threshold, &gil_threshold, &profile, &flush_denormals))
        goto fail;
    p->flush_denormals = flush_denormals;
    p->par.threads = threads;
    p->par.parallel_threshold = par_threshold;
    p->gil_threshold = gil_threshold;
    p->profile = profile;
    p->ninputs = (int)PyTuple_Size(inputs);
    p->in_typenum = calloc(p->ninputs + 1, sizeof(int));
    p->in_itemsize = calloc(p->ninputs + 1, sizeof(int));
    p->in_ndim = calloc(p->ninputs + 1, sizeof(int));
    p->in_kind = calloc(p->ninputs + 1, 1);
    p->in_shape = calloc((size_t)(p->ninputs + 1) * AG_MAXDIMS, sizeof(int64_t));
    for (int i = 0; i < p->ninputs; ++i) {
        PyObject *shape;
        const char *kind;
        if (!PyArg_ParseTuple(PyTuple_GET_ITEM(inputs, i), "isiO", &p->in_typenum[i], &kind, &p->in_itemsize[i],
                              &shape))
            goto fail;
        int nd;
        int64_t *dims = ag_int64s(shape, &nd);
        if (!dims) goto fail;
        p->in_kind[i] = kind[0];
        p->in_ndim[i] = nd;
        memcpy(p->in_shape + (size_t)i * AG_MAXDIMS, dims, nd * sizeof(int64_t));
        free(dims);
    }
    if (!(p->output_slots = ag_ints(outputs, &p->noutputs))) goto fail;
    for (Py_ssize_t i = 0; i < PyTuple_Size(constants); ++i) {
        int slot;
        PyObject *value;
        if (!PyArg_ParseTuple(PyTuple_GET_ITEM(constants, i), "iO", &slot, &value)) goto fail;
        Py_INCREF(value);
        Py_XSETREF(p->values[slot], value);
        p->is_const[slot] = 1;
    }
    p->nsteps = (int)PyTuple_Size(steps);
    p->steps = calloc(p->nsteps + 1, sizeof(ag_step));
    for (int k = 0; k < p->nsteps; ++k)
        if (ag_parse_step(&p->steps[k], PyTuple_GET_ITEM(steps, k)) < 0) goto fail;
    return (PyObject *)p;
fail:
    Py_DECREF(p);
    return NULL;
}

/* Whether v can be used as input i as it is: an aligned, native-order ndarray of the right dtype and shape. */
static int ag_input_ok(ag_program *p, int i, PyObject *v) {
    if (p->in_typenum[i] < 0) return 1; /* not a tensor: only Python steps read it */
    if (Py_TYPE(v) != &PyArray_Type) return 0;
    PyArrayObject *a = (PyArrayObject *)v;
    if (PyArray_TYPE(a) != p->in_typenum[i] &&
        (PyArray_DESCR(a)->kind != p->in_kind[i] || PyArray_ITEMSIZE(a) != p->in_itemsize[i] ||
         PyArray_DESCR(a)->type_num > NPY_CLONGDOUBLE))
        return 0;
    if (!PyArray_ISALIGNED(a) || !PyArray_ISNOTSWAPPED(a) || PyArray_NDIM(a) != p->in_ndim[i]) return 0;
    const int64_t *want = p->in_shape + (size_t)i * AG_MAXDIMS;
    for (int d = 0; d < p->in_ndim[i]; ++d)
        if (want[d] >= 0 && want[d] != PyArray_DIM(a, d)) return 0;
    return 1;
}

static double ag_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static int64_t ag_live_bytes(ag_program *p, PyObject **values) {
    int64_t total = 0;
    for (int i = p->ninputs; i < p->nslots; ++i)
        if (values[i] && !p->is_const[i] && PyArray_Check(values[i]) && PyArray_CHKFLAGS((PyArrayObject *)values[i], NPY_ARRAY_OWNDATA))
            total += PyArray_NBYTES((PyArrayObject *)values[i]);
    return total;
}

/* A failed step: re-raise its error naming the node, its inputs and the user's line (info.node_error). */
static void ag_node_error(ag_program *p, int k, PyObject **values) {
    ag_step *s = &p->steps[k];
    if (s->kind == AG_STEP_PYTHON || s->kind == AG_STEP_SCAN) return; /* named by python_step already */
    PyObject *type, *exc, *tb;
    PyErr_Fetch(&type, &exc, &tb);
    PyErr_NormalizeException(&type, &exc, &tb);
    if (tb) PyException_SetTraceback(exc, tb);
    PyObject *ins = PyList_New(s->nin);
    for (int i = 0; ins && i < s->nin; ++i) {
        PyObject *v = values[s->ins[i]] ? values[s->ins[i]] : Py_None;
        Py_INCREF(v);
        PyList_SET_ITEM(ins, i, v);
    }
    PyObject *r = ins ? PyObject_CallMethod(p->info, "node_error", "iOO", k, exc, ins) : NULL;
    if (r) { /* node_error did not raise: keep the original error */
        Py_DECREF(r);
        PyErr_Restore(type, exc, tb);
        type = exc = tb = NULL;
    }
    Py_XDECREF(ins);
    Py_XDECREF(type);
    Py_XDECREF(exc);
    Py_XDECREF(tb);
}

/* The values of n slots as a new list. */
static PyObject *ag_slot_list(PyObject **values, const int *slots, int n) {
    PyObject *list = PyList_New(n);
    for (int i = 0; list && i < n; ++i) {
        PyObject *v = values[slots[i]] ? values[slots[i]] : Py_None;
        Py_INCREF(v);
        PyList_SET_ITEM(list, i, v);
    }
    return list;
}

/* Step k between the observer's before(k, inputs) and after(k, state, outputs). Returns 0, -1 when the step
 * failed (its error is to be named by ag_node_error), or -2 when the observer raised (its error stands). */
static int ag_run_observed(ag_program *p, int k, ag_outctx *ctx) {
    ag_step *s = ctx->s;
    PyObject *observer = Py_NewRef(p->observer); /* held: the observer may replace itself while it runs */
    PyObject *ins = ag_slot_list(ctx->values, s->ins, s->nin), *state = NULL, *outs = NULL, *r = NULL;
    int rc = -2;
    if (!ins || !(state = PyObject_CallMethod(observer, "before", "iO", k, ins))) goto done;
    if (ag_run_step(ctx) < 0) {
        rc = -1;
        goto done;
    }
    if (!(outs = ag_slot_list(ctx->values, s->outs, s->nout))) goto done;
    if (!(r = PyObject_CallMethod(observer, "after", "iOO", k, state, outs))) goto done;
    rc = 0;
done:
    Py_XDECREF(r);
    Py_XDECREF(outs);
    Py_XDECREF(state);
    Py_XDECREF(ins);
    Py_DECREF(observer);
    return rc;
}

/* The slots a call of p runs on: the program's own, or, for a reentrant call (from a fallback op, a scan's step, or
 * another thread while the GIL is released), new ones holding the constants; NULL when out of memory. Every
 * ag_enter is paired with an ag_leave. */
static PyObject **ag_enter(ag_program *p) {
    PyObject **values = p->values;
    if (p->busy) {
        values = calloc(p->nslots + 1, sizeof(PyObject *));
        if (!values) return (PyObject **)PyErr_NoMemory();
        for (int i = 0; i < p->nslots; ++i)
            if (p->is_const[i]) values[i] = Py_NewRef(p->values[i]);
    }
    p->busy++;
    return values;
}

/* Release the values of a call but the constants and the slots [keep_from, keep_to) (inputs bound once for
 * several runs: a scan's non-sequences): its buffers go back to the pool for the next call. */
static void ag_clear_values_from(ag_program *p, PyObject **values, int keep_from, int keep_to) {
    for (int i = 0; i < p->nslots; ++i)
        if (!p->is_const[i] && (i < keep_from || i >= keep_to)) Py_CLEAR(values[i]);
}

static void ag_leave(ag_program *p, PyObject **values) {
    ag_clear_values_from(p, values, 0, 0);
    if (values != p->values) {
        for (int i = 0; i < p->nslots; ++i) Py_XDECREF(values[i]);
        free(values);
    }
    p->busy--;
}

/* values[i] := v (a new reference) when it fits input i as it is, else what info.convert_input makes of it. */
static int ag_bind_input(ag_program *p, PyObject **values, int i, PyObject *v) {
    if (ag_input_ok(p, i, v)) {
        Py_INCREF(v);
    } else {
        v = PyObject_CallMethod(p->info, "convert_input", "iO", i, v);
        if (!v) return -1;
        if (!ag_input_ok(p, i, v)) {
            Py_DECREF(v);
            PyErr_Format(PyExc_TypeError, "input %d could not be converted to the type the program expects", i);
            return -1;
        }
    }
    Py_XSETREF(values[i], v);
    return 0;
}

/* Run the steps of p over values, its inputs bound; -1 with an error naming the failing node. */
static int ag_exec(ag_program *p, PyObject **values) {
    int usepool = values == p->values;
    for (int k = 0; k < p->nsteps; ++k) {
        ag_step *s = &p->steps[k];
        ag_outctx ctx = {p, s, values, usepool};
        double t0 = p->profile ? ag_now() : 0.0;
        int rc = p->observer ? ag_run_observed(p, k, &ctx) : ag_run_step(&ctx);
        if (rc < 0) {
            if (rc == -1) ag_node_error(p, k, values);
            return -1;
        }
        if (p->profile) {
            s->seconds += ag_now() - t0;
            s->calls++;
            int64_t live = ag_live_bytes(p, values);
            if (live > p->peak_bytes) p->peak_bytes = live;
        }
        for (int j = 0; j < s->nfree; ++j) Py_CLEAR(values[s->frees[j]]);
    }
    return 0;
}

/* Run the program on its ninputs input values; returns the list of outputs, or the only output when single. */
static PyObject *ag_program_run(ag_program *p, PyObject *const *items, int single) {
    PyObject **values = ag_enter(p), *result = NULL;
    if (!values) return NULL;
    unsigned fp_control = 0; /* the caller's, given back after the call (read only where it is changed) */
    if (p->flush_denormals) {
        fp_control = ag_fp_control();
        ag_set_fp_control(fp_control | AG_FLUSH_DENORMALS);
    }
    for (int i = 0; i < p->ninputs; ++i)
        if (ag_bind_input(p, values, i, items[i]) < 0) goto done;
    if (ag_exec(p, values) < 0) goto done;
    if (single) {
        result = Py_NewRef(values[p->output_slots[0]]);
        goto done;
    }
    result = PyList_New(p->noutputs);
    for (int j = 0; result && j < p->noutputs; ++j) {
        PyObject *v = values[p->output_slots[j]];
        Py_INCREF(v);
        PyList_SET_ITEM(result, j, v);
    }
done:
    if (p->flush_denormals) ag_set_fp_control(fp_control);
    ag_leave(p, values);
    return result;
}

static PyObject *ag_program_vectorcall(PyObject *self, PyObject *const *args, size_t nargsf, PyObject *kwnames) {
    ag_program *p = (ag_program *)self;
    if (PyVectorcall_NARGS(nargsf) != 1 || (kwnames && PyTuple_GET_SIZE(kwnames))) {
        PyErr_SetString(PyExc_TypeError, "a compiled program takes one argument: the list of input values");
        return NULL;
    }
    PyObject *seq = PySequence_Fast(args[0], "a compiled program takes a list of input values");
    if (!seq) return NULL;
    PyObject *result = NULL;
    if (PySequence_Fast_GET_SIZE(seq) != p->ninputs)
        PyErr_Format(PyExc_TypeError, "expected %d input values, got %zd", p->ninputs, PySequence_Fast_GET_SIZE(seq));
    else
        result = ag_program_run(p, PySequence_Fast_ITEMS(seq), 0);
    Py_DECREF(seq);
    return result;
}

/* An Entry calls its program with the input values as positional arguments, and returns the only output itself
 * when there is one: the call path of a function with nothing to do in Python around the program (graph-core's
 * Function installs it as its __call__). Any other call (another number of arguments, keywords) goes to the
 * fallback, the general call path. */
typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    ag_program *program;
    PyObject *fallback;
    int single;
} ag_entry;

static PyObject *ag_entry_vectorcall(PyObject *self, PyObject *const *args, size_t nargsf, PyObject *kwnames) {
    ag_entry *e = (ag_entry *)self;
    if (PyVectorcall_NARGS(nargsf) != e->program->ninputs || (kwnames && PyTuple_GET_SIZE(kwnames)))
        return PyObject_Vectorcall(e->fallback, args, nargsf, kwnames);
    return ag_program_run(e->program, args, e->single);
}

static int ag_entry_traverse(PyObject *self, visitproc visit, void *arg) {
    ag_entry *e = (ag_entry *)self;
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(e->program);
    Py_VISIT(e->fallback);
    return 0;
}

static int ag_entry_clear(PyObject *self) {
    ag_entry *e = (ag_entry *)self;
    Py_CLEAR(e->program);
    Py_CLEAR(e->fallback);
    return 0;
}

static void ag_entry_dealloc(PyObject *self) {
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    ag_entry_clear(self);
    tp->tp_free(self);
    Py_DECREF(tp);
}

static PyMemberDef ag_entry_members[] = {
    {"__vectorcalloffset__", T_PYSSIZET, offsetof(ag_entry, vectorcall), READONLY, NULL},
    {NULL, 0, 0, 0, NULL}};

static PyType_Slot ag_entry_slots[] = {
    {Py_tp_dealloc, ag_entry_dealloc},
    {Py_tp_traverse, ag_entry_traverse},
    {Py_tp_clear, ag_entry_clear},
    {Py_tp_call, PyVectorcall_Call},
    {Py_tp_members, ag_entry_members},
    {Py_tp_doc, "A compiled function called with its input values as arguments (see Program.entry)."},
    {0, NULL}};

static PyType_Spec ag_entry_spec = {"arignote_c.Entry", sizeof(ag_entry), 0,
                                    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
                                    ag_entry_slots};

static PyTypeObject *ag_entry_type;
static PyTypeObject *ag_program_type; /* a scan's step program is one of these (scan.c) */

static PyObject *ag_program_entry(PyObject *self, PyObject *args) {
    int single;
    PyObject *fallback;
    if (!PyArg_ParseTuple(args, "pO", &single, &fallback)) return NULL;
    if (single && ((ag_program *)self)->noutputs != 1) {
        PyErr_SetString(PyExc_ValueError, "entry(single=True) needs a program with exactly one output");
        return NULL;
    }
    ag_entry *e = (ag_entry *)ag_entry_type->tp_alloc(ag_entry_type, 0);
    if (!e) return NULL;
    e->vectorcall = ag_entry_vectorcall;
    e->program = (ag_program *)Py_NewRef(self);
    e->fallback = Py_NewRef(fallback);
    e->single = single;
    return (PyObject *)e;
}

static PyObject *ag_program_stats(PyObject *self, PyObject *unused) {
    ag_program *p = (ag_program *)self;
    PyObject *steps = PyList_New(p->nsteps);
    for (int k = 0; steps && k < p->nsteps; ++k)
        PyList_SET_ITEM(steps, k, Py_BuildValue("(dL)", p->steps[k].seconds, (long long)p->steps[k].calls));
    return steps ? Py_BuildValue("(NL)", steps, (long long)p->peak_bytes) : NULL;
}

static PyObject *ag_program_reset_stats(PyObject *self, PyObject *unused) {
    ag_program *p = (ag_program *)self;
    for (int k = 0; k < p->nsteps; ++k) {
        p->steps[k].seconds = 0.0;
        p->steps[k].calls = 0;
    }
    p->peak_bytes = 0;
    Py_RETURN_NONE;
}

static PyObject *ag_program_set_profile(PyObject *self, PyObject *flag) {
    int on = PyObject_IsTrue(flag);
    if (on < 0) return NULL;
    ((ag_program *)self)->profile = on;
    Py_RETURN_NONE;
}

static PyObject *ag_program_set_input_filter(PyObject *self, PyObject *fn) {
    if (PyObject_SetAttrString(((ag_program *)self)->info, "input_filter", fn) < 0) return NULL;
    Py_RETURN_NONE;
}

/* set_observer(observer or None): info.step_observer(observer) is told of every step from the next call on. */
static PyObject *ag_program_set_observer(PyObject *self, PyObject *observer) {
    ag_program *p = (ag_program *)self;
    PyObject *adapter = NULL;
    if (observer != Py_None && !(adapter = PyObject_CallMethod(p->info, "step_observer", "O", observer)))
        return NULL;
    Py_XSETREF(p->observer, adapter);
    Py_RETURN_NONE;
}

static PyObject *ag_program_report(PyObject *self, PyObject *unused) {
    return PyObject_CallMethod(((ag_program *)self)->info, "report", "O", self);
}

static PyMethodDef ag_program_methods[] = {
    {"stats", ag_program_stats, METH_NOARGS, "([(seconds, calls) per step], peak bytes of intermediates)"},
    {"reset_stats", ag_program_reset_stats, METH_NOARGS, "Zero the profile counters."},
    {"set_profile", ag_program_set_profile, METH_O, "Turn timing of every step on or off."},
    {"report", ag_program_report, METH_NOARGS, "A text report: fallbacks, and time per node when profiling."},
    {"set_input_filter", ag_program_set_input_filter, METH_O,
     "filter(index, value) -> value: converts an input that is not already of its type (or raises)."},
    {"set_observer", ag_program_set_observer, METH_O,
     "Have a step observer (arignote_core.checking.StepObserver) told of every node computed, or None."},
    {"entry", ag_program_entry, METH_VARARGS,
     "entry(single, fallback) -> a callable taking the input values as arguments; returns the only output when "
     "single; calls with another number of arguments or with keywords go to fallback."},
    {NULL, NULL, 0, NULL}};

static PyMemberDef ag_program_members[] = {
    {"__vectorcalloffset__", T_PYSSIZET, offsetof(ag_program, vectorcall), READONLY, NULL},
    {"info", T_OBJECT, offsetof(ag_program, info), READONLY, "what the program was built from"},
    {NULL, 0, 0, 0, NULL}};

static PyType_Slot ag_program_slots[] = {
    {Py_tp_new, ag_program_new},
    {Py_tp_dealloc, ag_program_dealloc},
    {Py_tp_traverse, ag_program_traverse},
    {Py_tp_clear, ag_program_clear},
    {Py_tp_call, PyVectorcall_Call},
    {Py_tp_methods, ag_program_methods},
    {Py_tp_members, ag_program_members},
    {Py_tp_doc, "A compiled function: call it with the list of input values; returns the list of outputs."},
    {0, NULL}};

static PyType_Spec ag_program_spec = {"arignote_c.Program", sizeof(ag_program), 0,
                                      Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
                                      ag_program_slots};

static PyObject *ag_py_set_blas(PyObject *module, PyObject *capi) {
    if (!PyDict_Check(capi)) {
        PyErr_SetString(PyExc_TypeError, "set_blas takes scipy.linalg.cython_blas.__pyx_capi__");
        return NULL;
    }
    if (ag_set_blas(capi) < 0) return NULL;
    Py_RETURN_NONE;
}

static PyMethodDef ag_set_blas_def = {"set_blas", ag_py_set_blas, METH_O,
                                      "Take the BLAS function pointers from cython_blas.__pyx_capi__."};

static PyObject *ag_py_run_next_loops_alone(PyObject *module, PyObject *count) {
    const long n = PyLong_AsLong(count);
    if (n == -1 && PyErr_Occurred()) return NULL;
    atomic_store_explicit(&ag_pool.serial_left, n > 0 ? (int)n : 0, memory_order_relaxed);
    Py_RETURN_NONE;
}

static PyMethodDef ag_run_alone_def = {
    "run_next_loops_alone", ag_py_run_next_loops_alone, METH_O,
    "The next n parallel loops run on the calling thread alone, as when the pool backs off after finding its "
    "helpers descheduled: for tests that results do not depend on it."};

static const ag_services ag_services_table = {AG_SERVICES_VERSION, ag_services_threads, ag_parallel,
                                              ag_services_gemm};

/* Called once through cffi after the module is loaded (and put in sys.modules under modname): adds the
 * Program type, set_blas and the services capsule to the module. cffi calls it without the GIL. */
int ag_install(const char *modname) {
    PyGILState_STATE gil = PyGILState_Ensure();
    int rc = -1;
    PyObject *module = PyImport_AddModule(modname), *type = NULL, *fn = NULL, *alone = NULL, *services = NULL;
    if (!module || PyArray_ImportNumPyAPI() < 0) goto done;
    if (ag_pool_install() < 0) {
        PyErr_SetString(PyExc_RuntimeError, "the thread pool's fork handlers could not be registered");
        goto done;
    }
    type = PyType_FromSpec(&ag_program_spec);
    fn = PyCFunction_NewEx(&ag_set_blas_def, NULL, NULL);
    alone = PyCFunction_NewEx(&ag_run_alone_def, NULL, NULL);
    services = PyCapsule_New((void *)&ag_services_table, AG_SERVICES_CAPSULE, NULL);
    ag_entry_type = (PyTypeObject *)PyType_FromSpec(&ag_entry_spec); /* both kept for the life of the process */
    ag_program_type = (PyTypeObject *)Py_XNewRef(type);
    if (!type || !fn || !ag_entry_type || PyModule_AddObjectRef(module, "Program", type) < 0 ||
        PyModule_AddObjectRef(module, "set_blas", fn) < 0 || !alone ||
        PyModule_AddObjectRef(module, "run_next_loops_alone", alone) < 0 || !services ||
        PyModule_AddObjectRef(module, "services", services) < 0)
        goto done;
    rc = 0;
done:
    if (rc < 0) PyErr_Print();
    Py_XDECREF(type);
    Py_XDECREF(fn);
    Py_XDECREF(alone);
    Py_XDECREF(services);
    PyGILState_Release(gil);
    return rc;
}
