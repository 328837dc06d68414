"""Softmax and log-softmax over one axis as one C kernel each, row by row.

graph-opt can lower these ops to max, exp, sum and divide (its ``lower_softmax`` rules), which costs four passes
over memory; a row at a time, the row stays in cache and memory is read once and written once. The runtime's
rows step splits the rows over threads. The C modes (``c``, ``fast_run``) keep the ops whole
(``CBackend.skipped_rewrites``) so that these kernels run. The results follow the
reference ``perform``: the max shift is 0 where the row's max is not finite, so NaN and infinities give what
the naive formula gives. Several axes, or float16, run the reference ``perform``.
"""

from __future__ import annotations

from arignote_core.graph import Apply
from arignote_core.tensors.special import LogSoftmax, Softmax

from ..emit.context import EmitContext, Unsupported
from ..emit.kernels import named_kernel
from ..runtime.source import StepKind
from .base import StepPlan, register_lowering


def _row_kernel(ctx: EmitContext, node: Apply) -> str:
    op, dtype = node.op, node.inputs[0].type.dtype
    if len(op.axes) != 1:
        raise Unsupported(f"{op} over several axes runs in NumPy")
    if dtype not in ("float32", "float64"):
        raise Unsupported(f"{op} of {dtype} runs in NumPy")
    t, exp = ctx.ctype(dtype), ctx.math("exp", dtype)
    if isinstance(op, Softmax):  # exp(x - shift) goes to the output while it is summed, then is divided in place
        sum_body = f"const {t} e = {exp}(X(i) - shift); Y(i) = e; s += e;"
        # one division per row, then products: at most one more rounding than dividing each element
        final, after_sum = "Y(i) *= inv;", f"const {t} inv = ({t})(1.0 / s);"
    else:
        sum_body = f"s += {exp}(X(i) - shift);"
        final, after_sum = "Y(i) = (X(i) - shift) - lse;", f"const {t} lse = ({t})log(s);"
    row = f"""{{
            {t} m = -INFINITY;
            int nan = 0;
            #pragma omp simd reduction(max:m) reduction(|:nan)
            for (int64_t i = 0; i < n; ++i) {{ const {t} v = X(i); nan |= v != v; m = v > m ? v : m; }}
            const {t} shift = nan || !isfinite(m) ? ({t})0 : m;
            double s = 0;
            #pragma omp simd reduction(+:s)
            for (int64_t i = 0; i < n; ++i) {{ {sum_body} }}
            {after_sum}
            #pragma omp simd
            for (int64_t i = 0; i < n; ++i) {{ {final} }}
        }}"""
    # the same row code twice: unit strides (the common case, vector loads) and any strides (gathers)
    unit = row.replace("X(i)", "x[i]").replace("Y(i)", "y[i]")
    strided = row.replace("X(i)", "x[i * xs]").replace("Y(i)", "y[i * ys]")
    return f"""int NAME(const ag_array *xa, const ag_array *ya, int64_t begin, int64_t end) {{
    const int axis = {op.axes[0]}, nd = xa->ndim;
    const int64_t n = xa->shape[axis];
    const int64_t xs = xa->strides[axis] / (int64_t)sizeof({t}), ys = ya->strides[axis] / (int64_t)sizeof({t});
    for (int64_t o = begin; o < end; ++o) {{
        const char *xb = xa->data;
        char *yb = ya->data;
        for (int64_t d = nd - 1, r = o; d >= 0; --d) {{
            if (d == axis) continue;
            const int64_t i = r % xa->shape[d];
            r /= xa->shape[d];
            xb += i * xa->strides[d];
            yb += i * ya->strides[d];
        }}
        const {t} *restrict x = (const {t} *)xb;
        {t} *restrict y = ({t} *)yb;
        if (xs == 1 && ys == 1) {unit}
        else {strided}
    }}
    return 0;
}}"""


@register_lowering(Softmax, LogSoftmax)
def _lower_softmax(ctx: EmitContext, node: Apply) -> StepPlan:
    source = named_kernel(_row_kernel(ctx, node), "int NAME(const ag_array *, const ag_array *, int64_t, int64_t);",
                          prefix="ag_user")
    return StepPlan(StepKind.ROWS, node, [node.inputs[0]], [source], dict(axis=node.op.axes[0]), label="kernel")
