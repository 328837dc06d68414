/* Running one step: the switch over step kinds. */

static int ag_step_scan(ag_outctx *ctx); /* scan.c: it runs a program, whose type object.c defines */

static int ag_run_step(ag_outctx *ctx) {
    ag_step *s = ctx->s;
    switch (s->kind) {
    case AG_STEP_ELEMWISE: return ag_step_elemwise(ctx);
    case AG_STEP_REDUCE: return ag_step_reduce(ctx);
    case AG_STEP_DIMSHUFFLE:
        return ag_set_output(ctx, 0, ag_dimshuffle(AG_IN_ARRAY(ctx, 0), (int)s->ip[AG_DIMSHUFFLE_OUT_NDIM],
                                                   s->ip + AG_DIMSHUFFLE_ORDER));
    case AG_STEP_SUBTENSOR: {
        PyObject *symbolic[AG_MAXOPS];
        for (int i = 1; i < s->nin; ++i) symbolic[i - 1] = ctx->values[s->ins[i]];
        return ag_set_output(ctx, 0, ag_subtensor(AG_IN_ARRAY(ctx, 0), symbolic, (int)s->ip[AG_SUBTENSOR_N_ENTRIES],
                                                  s->ip + AG_SUBTENSOR_ENTRIES));
    }
    case AG_STEP_RESHAPE:
        return ag_set_output(ctx, 0, ag_reshape(AG_IN_ARRAY(ctx, 0), ctx->values[s->ins[1]],
                                                (int)s->ip[AG_RESHAPE_NDIM]));
    case AG_STEP_SHAPE: return ag_set_output(ctx, 0, ag_shape_of(AG_IN_ARRAY(ctx, 0)));
    case AG_STEP_MATMUL: return ag_matmul(ctx, AG_IN_ARRAY(ctx, 0), AG_IN_ARRAY(ctx, 1), s->out_types[0]);
    case AG_STEP_GEMM: {
        /* inputs c, alpha, a, b, beta; obj: the reference implementation */
        int rc = ag_gemm_step(ctx, AG_IN_ARRAY(ctx, 0), ctx->values[s->ins[1]], AG_IN_ARRAY(ctx, 2),
                              AG_IN_ARRAY(ctx, 3), ctx->values[s->ins[4]], (int)s->ip[AG_GEMM_TRANS_A],
                              (int)s->ip[AG_GEMM_TRANS_B], (int)s->ip[AG_GEMM_IN_PLACE], s->out_types[0]);
        return rc == 1 ? ag_step_python(ctx) : rc;
    }
    case AG_STEP_PYTHON: return ag_step_python(ctx);
    case AG_STEP_MAKE_VECTOR: return ag_step_make_vector(ctx);
    case AG_STEP_BROADCAST_TO: return ag_step_broadcast_to(ctx);
    case AG_STEP_ALLOC: return ag_step_alloc(ctx);
    case AG_STEP_SUM_TO_SHAPE: return ag_step_sum_to_shape(ctx);
    case AG_STEP_INC_SUBTENSOR: return ag_step_inc_subtensor(ctx);
    case AG_STEP_TAKE: return ag_step_take(ctx);
    case AG_STEP_ADVANCED_INC: return ag_step_advanced_inc(ctx);
    case AG_STEP_ARRAY: return ag_step_array(ctx);
    case AG_STEP_ROWS: return ag_step_rows(ctx);
    case AG_STEP_ARANGE: return ag_step_arange(ctx);
    case AG_STEP_SCAN: return ag_step_scan(ctx);
    case AG_STEP_CHECK: return ag_step_check(ctx);
    }
    PyErr_Format(PyExc_RuntimeError, "unknown step kind %d", s->kind);
    return -1;
}
