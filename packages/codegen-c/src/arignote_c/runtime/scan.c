/* SCAN steps: a Scan node's loop (graph-core's control/scan_loop.py, run_scan) in C, with no Python per step.
 *
 * obj is (step program, fallback): the step graph compiled into a Program, and the node's Python step, which runs
 * the reference loop over that same program. The step's inputs are the node's: the number of steps, the
 * sequences, the states' initial buffers, the carried values' initial values, the non-sequences; its outputs the
 * states' and the outputs' stacks [T, ...], then the carried values' last values.
 *
 * At step t the program reads each tap of a sequence or a state through a view of one row: of the sequence, of
 * the state's stack, or of its initial buffer before the state has a value of its own there. A view that nobody
 * holds after a step is moved to its next row rather than made anew, and the program reuses its own buffers from
 * step to step as from call to call, so that a step allocates nothing but what it passes on (carried values).
 * Its results are copied into row t of the stacks and its carried values passed on to step t + 1; a condition
 * that is true ends the loop after the step, and the stacks are cut there.
 *
 * What the loop leaves to the fallback: no step to run (the outputs' shapes come from a step on zeros), inputs it
 * does not expect (a negative count, lengths that do not fit the taps: the fallback's errors say which), and any
 * error of a step: the fallback runs the loop again, and its error names the scan, the step and the shapes the
 * step was given, as the reference loop's does. */

/* A sequence or a state: where its taps read. */
typedef struct {
    PyArrayObject *source; /* the sequence, or the state's initial buffer */
    PyArrayObject *stack;  /* the state's stack (NULL for a sequence) */
    const int64_t *taps;
    int ntaps;
    int64_t lo, hi; /* its smallest and largest tap */
} ag_scan_group;

/* The view a tap input of the step reads, kept from step to step. */
typedef struct {
    PyObject *view;
    PyArrayObject *source; /* the array it is a row of */
} ag_row_view;

/* The groups of the node's sequences and states (their taps from the step's parameters), and the number of steps;
 * 0 when the loop is one the fallback must run. */
static int ag_scan_groups(ag_outctx *ctx, ag_program *step, ag_scan_group *groups, int ngroups, int nseq,
                          int64_t *n) {
    ag_step *s = ctx->s;
    const int64_t *ip = s->ip;
    int ncarried = (int)ip[AG_SCAN_N_CARRIED], nfixed = (int)ip[AG_SCAN_N_NON_SEQUENCES], ntaps = 0;
    PyObject *count = ctx->values[s->ins[0]];
    if (!PyArray_Check(count) || PyArray_NDIM((PyArrayObject *)count) != 0 ||
        PyArray_TYPE((PyArrayObject *)count) != NPY_INT64)
        return 0;
    *n = *(int64_t *)PyArray_DATA((PyArrayObject *)count);
    const int64_t *taps = s->ip + AG_SCAN_TAPS, *end = s->ip + s->nip;
    for (int g = 0; g < ngroups; ++g) {
        ag_scan_group *group = &groups[g];
        PyObject *source = ctx->values[s->ins[1 + g]];
        if (taps >= end || *taps < 1 || taps + 1 + *taps > end || !PyArray_Check(source) ||
            PyArray_NDIM((PyArrayObject *)source) < 1)
            return 0;
        group->source = (PyArrayObject *)source;
        group->ntaps = (int)*taps++;
        ntaps += group->ntaps;
        group->taps = taps;
        group->lo = group->hi = taps[0];
        for (int k = 0; k < group->ntaps; ++k) {
            if (taps[k] < group->lo) group->lo = taps[k];
            if (taps[k] > group->hi) group->hi = taps[k];
        }
        taps += group->ntaps;
        npy_intp length = PyArray_DIM(group->source, 0);
        if (g < nseq ? length < *n + group->hi - group->lo : length != -group->lo) return 0;
    }
    int nouts = (int)(ngroups - nseq + ip[AG_SCAN_N_OUTPUTS] + ncarried);
    return *n > 0 && s->nin == 1 + ngroups + ncarried + nfixed && s->nout == nouts &&
           step->ninputs == ntaps + ncarried + nfixed && step->noutputs == nouts + (int)ip[AG_SCAN_AS_WHILE];
}

/* Input j of the step := row `row` of source, through the view kept for that input: moved to the row when nobody
 * else holds it (every row of an array is aligned when its first stride is a multiple of its item size), else
 * made anew. */
static int ag_bind_row(ag_program *step, PyObject **values, int j, ag_row_view *rv, PyArrayObject *source,
                       npy_intp row) {
    char *data = PyArray_BYTES(source) + row * PyArray_STRIDE(source, 0);
    if (rv->view && rv->source == source && Py_REFCNT(rv->view) == 1 &&
        PyArray_STRIDE(source, 0) % PyArray_ITEMSIZE(source) == 0) {
        ((PyArrayObject_fields *)rv->view)->data = data;
    } else {
        PyObject *view = ag_view(source, PyArray_NDIM(source) - 1, PyArray_DIMS(source) + 1,
                                 PyArray_STRIDES(source) + 1, data);
        if (!view) return -1;
        Py_XSETREF(rv->view, view);
        rv->source = source;
    }
    return ag_bind_input(step, values, j, rv->view);
}

/* Row t of stack := value, which must have a row's shape (the fallback's error says what differs). */
static int ag_store_row(PyArrayObject *stack, npy_intp t, PyObject *value) {
    int nd = PyArray_NDIM(stack) - 1;
    PyArrayObject *v = (PyArrayObject *)value;
    if (!PyArray_Check(value) || PyArray_NDIM(v) != nd ||
        (nd && memcmp(PyArray_DIMS(v), PyArray_DIMS(stack) + 1, nd * sizeof(npy_intp)))) {
        PyErr_SetString(PyExc_ValueError, "a scan's step gave a value of another shape than its stack's rows");
        return -1;
    }
    char *row = PyArray_BYTES(stack) + t * PyArray_STRIDE(stack, 0); /* the stack is C-contiguous */
    if (PyArray_TYPE(v) == PyArray_TYPE(stack) && PyArray_IS_C_CONTIGUOUS(v)) {
        memcpy(row, PyArray_DATA(v), PyArray_NBYTES(v));
        return 0;
    }
    PyObject *view = ag_view(stack, nd, PyArray_DIMS(stack) + 1, PyArray_STRIDES(stack) + 1, row);
    int rc = view ? PyArray_CopyInto((PyArrayObject *)view, v) : -1;
    Py_XDECREF(view);
    return rc;
}

/* A carried value's last value as the node's output: itself when nothing else holds or shares it, else a copy. */
static PyObject *ag_owned(PyObject *v) {
    if (PyArray_CheckExact(v) && Py_REFCNT(v) == 1 && PyArray_CHKFLAGS((PyArrayObject *)v, NPY_ARRAY_OWNDATA) &&
        PyArray_ISWRITEABLE((PyArrayObject *)v))
        return Py_NewRef(v);
    return PyArray_Check(v) ? PyArray_NewCopy((PyArrayObject *)v, NPY_CORDER) : Py_NewRef(v);
}

/* Whether the loop ends after this step: the step's condition (a boolean scalar). -1 on error. */
static int ag_until(PyObject *condition) {
    if (PyArray_Check(condition) && PyArray_NDIM((PyArrayObject *)condition) == 0 &&
        PyArray_TYPE((PyArrayObject *)condition) == NPY_BOOL)
        return *(npy_bool *)PyArray_DATA((PyArrayObject *)condition) != 0;
    return PyObject_IsTrue(condition);
}

/* A carried value that the step computed into a new buffer of its slot's pool (``fresh``: the step did not compute
 * it into the buffer of the value it read, ``old``) leaves that buffer to the next step, and the pool gets ``old``
 * instead, once nothing but the loop holds it: the step after computes into it, so two buffers take turns and a
 * step allocates nothing. ``old`` is the loop's own (a value of an earlier step, never the node's input): an
 * array that owns its memory, of the same type and shape; the pool reuses it only when nobody else holds it then
 * (ag_alloc_output). */
static void ag_recycle(ag_program *step, PyObject **values, int slot, PyObject *fresh, PyObject *old) {
    if (values != step->values || step->pool[slot] != fresh || old == fresh || !PyArray_CheckExact(old) ||
        !PyArray_CheckExact(fresh))
        return;
    PyArrayObject *o = (PyArrayObject *)old, *f = (PyArrayObject *)fresh;
    if (!PyArray_CHKFLAGS(o, NPY_ARRAY_OWNDATA) || !PyArray_ISWRITEABLE(o) || !PyArray_IS_C_CONTIGUOUS(o) ||
        !PyArray_ISALIGNED(o) || PyArray_TYPE(o) != PyArray_TYPE(f) || PyArray_NDIM(o) != PyArray_NDIM(f) ||
        memcmp(PyArray_DIMS(o), PyArray_DIMS(f), PyArray_NDIM(f) * sizeof(npy_intp)))
        return;
    Py_SETREF(step->pool[slot], Py_NewRef(old));
}

/* The steps of the loop, t = 0 .. n - 1 (fewer when the condition ends it: *done says how many ran). */
static int ag_scan_steps(ag_outctx *ctx, ag_program *step, PyObject **values, const ag_scan_group *groups, int nseq,
                         int nstate, int nout, int ncarried, int64_t n, ag_row_view *views, PyObject **carried,
                         PyArrayObject **stacks, int64_t *done) {
    const int64_t *ip = ctx->s->ip;
    const int as_while = (int)ip[AG_SCAN_AS_WHILE], backwards = (int)ip[AG_SCAN_GO_BACKWARDS];
    const int *outs = step->output_slots, *ins = ctx->s->ins;
    const int fixed = 1 + nseq + nstate + ncarried; /* where the non-sequences start among the node's inputs */
    /* the non-sequences are the step's last inputs: bound once, kept from step to step (no step writes them) */
    const int first_fixed = step->ninputs - (int)ip[AG_SCAN_N_NON_SEQUENCES];
    for (int q = fixed, j = first_fixed; j < step->ninputs; ++q, ++j)
        if (ag_bind_input(step, values, j, ctx->values[ins[q]]) < 0) return -1;
    for (int64_t t = 0; t < n; ++t) {
        int j = 0;
        for (int g = 0; g < nseq + nstate; ++g) {
            const ag_scan_group *group = &groups[g];
            for (int k = 0; k < group->ntaps; ++k, ++j) {
                int64_t tap = group->taps[k], row;
                PyArrayObject *source = group->source;
                if (g < nseq)
                    row = backwards ? PyArray_DIM(source, 0) - 1 - group->hi + tap - t : t + tap - group->lo;
                else if (t + tap >= 0)
                    source = group->stack, row = t + tap;
                else
                    row = -group->lo + tap + t;
                if (ag_bind_row(step, values, j, &views[j], source, row) < 0) return -1;
            }
        }
        for (int m = 0; m < ncarried; ++m, ++j)
            if (ag_bind_input(step, values, j, carried[m]) < 0) return -1;
        if (ag_exec(step, values) < 0) return -1;
        for (int o = 0; o < nstate + nout; ++o) {
            PyObject *value = values[outs[o]];
            if (!stacks[o]) { /* an output's stack, sized by its first value */
                npy_intp shape[AG_MAXDIMS];
                int nd = PyArray_Check(value) ? PyArray_NDIM((PyArrayObject *)value) : -1;
                if (nd < 0 || nd >= AG_MAXDIMS) {
                    PyErr_SetString(PyExc_TypeError, "a scan's step gave an output that is not an array");
                    return -1;
                }
                shape[0] = n;
                memcpy(shape + 1, PyArray_DIMS((PyArrayObject *)value), nd * sizeof(npy_intp));
                if (!(stacks[o] = ag_alloc_output(ctx, o, nd + 1, shape))) return -1;
            }
            if (ag_store_row(stacks[o], t, value) < 0) return -1;
        }
        for (int m = 0; m < ncarried; ++m) {
            PyObject *fresh = values[outs[nstate + nout + m]];
            if (t > 0) ag_recycle(step, values, outs[nstate + nout + m], fresh, carried[m]);
            Py_XSETREF(carried[m], Py_NewRef(fresh));
        }
        int stop = as_while ? ag_until(values[outs[nstate + nout + ncarried]]) : 0;
        ag_clear_values_from(step, values, first_fixed, step->ninputs);
        if (stop < 0) return -1;
        *done = t + 1;
        if (stop) break;
    }
    return 0;
}

/* The node's outputs once the loop ran `done` of its n steps. */
static int ag_scan_outputs(ag_outctx *ctx, int nstacks, int ncarried, int64_t n, int64_t done,
                           PyArrayObject **stacks, PyObject **carried) {
    for (int o = 0; o < nstacks && done < n; ++o)
        if (ag_set_output(ctx, o, PySequence_GetSlice((PyObject *)stacks[o], 0, done)) < 0) return -1;
    for (int m = 0; m < ncarried; ++m)
        if (ag_set_output(ctx, nstacks + m, ag_owned(carried[m])) < 0) return -1;
    return 0;
}

static int ag_step_scan(ag_outctx *ctx) {
    ag_step *s = ctx->s;
    const int64_t *ip = s->ip;
    const int nseq = (int)ip[AG_SCAN_N_SEQUENCES], nstate = (int)ip[AG_SCAN_N_STATES];
    const int nout = (int)ip[AG_SCAN_N_OUTPUTS], ncarried = (int)ip[AG_SCAN_N_CARRIED];
    ag_program *step = (ag_program *)PyTuple_GET_ITEM(s->obj, 0);
    PyObject *fallback = PyTuple_GET_ITEM(s->obj, 1);
    if (Py_TYPE(step) != ag_program_type) return ag_call_python(ctx, fallback);
    ag_scan_group *groups = calloc(nseq + nstate + 1, sizeof(ag_scan_group));
    ag_row_view *views = calloc(step->ninputs + 1, sizeof(ag_row_view));
    PyObject **carried = calloc(ncarried + 1, sizeof(PyObject *));
    PyArrayObject **stacks = calloc(nstate + nout + 1, sizeof(PyArrayObject *));
    PyObject **values = NULL;
    int64_t n = 0, done = 0;
    int rc = -1, looped = 0;
    if (!groups || !views || !carried || !stacks) {
        PyErr_NoMemory();
        goto done;
    }
    if (!ag_scan_groups(ctx, step, groups, nseq + nstate, nseq, &n)) {
        rc = ag_call_python(ctx, fallback);
        goto done;
    }
    looped = 1;
    for (int j = 0; j < nstate; ++j) {
        PyArrayObject *buffer = groups[nseq + j].source;
        npy_intp shape[AG_MAXDIMS];
        shape[0] = n;
        memcpy(shape + 1, PyArray_DIMS(buffer) + 1, (PyArray_NDIM(buffer) - 1) * sizeof(npy_intp));
        if (!(stacks[j] = groups[nseq + j].stack = ag_alloc_output(ctx, j, PyArray_NDIM(buffer), shape))) goto done;
    }
    /* the carried values' initial values are copied: the step may compute a carried value into the buffer of the
     * one it reads (the memory plan treats them as updates, lowering/control.py) */
    for (int m = 0; m < ncarried; ++m) {
        PyObject *v = ctx->values[s->ins[1 + nseq + nstate + m]];
        if (!(carried[m] = PyArray_Check(v) ? PyArray_NewCopy((PyArrayObject *)v, NPY_CORDER) : Py_NewRef(v)))
            goto done;
    }
    if (!(values = ag_enter(step))) goto done;
    if (values == step->values) { /* the step's products may pack their non-sequence operands once (blas.c) */
        static int64_t loops_run;
        step->loop_epoch = ++loops_run;
        step->invariant_from = step->ninputs - (int)s->ip[AG_SCAN_N_NON_SEQUENCES];
    }
    ag_blas_serial_begin(); /* once for the loop, not per product of a step (blas.c) */
    rc = ag_scan_steps(ctx, step, values, groups, nseq, nstate, nout, ncarried, n, views, carried, stacks, &done);
    ag_blas_serial_end();
    if (values == step->values) step->loop_epoch = 0;
    ag_leave(step, values);
    if (rc == 0) rc = ag_scan_outputs(ctx, nstate + nout, ncarried, n, done, stacks, carried);
done:
    for (int j = 0; views && j < step->ninputs; ++j) Py_XDECREF(views[j].view);
    for (int m = 0; carried && m < ncarried; ++m) Py_XDECREF(carried[m]);
    free(groups);
    free(views);
    free(carried);
    free(stacks);
    if (rc < 0 && looped && PyErr_ExceptionMatches(PyExc_Exception)) {
        /* the Python loop names the failing step, or, where it does not fail, its results stand */
        PyErr_Clear();
        rc = ag_call_python(ctx, fallback);
    }
    return rc;
}
