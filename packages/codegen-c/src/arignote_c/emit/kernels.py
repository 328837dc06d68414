"""Kernel functions: loops around a scalar expression, in the ABIs the runtime's drivers call.

Every kernel gets ``n`` and one pointer per operand with its stride in elements (``steps``). It has two loops:
one for unit strides, marked for vectorization (libmvec supplies vector exp, sin, ...), and a strided one. The
driver hands it contiguous blocks whenever it can, so the first is the one that runs.

- elementwise: ``int k(int64_t n, char **args, const int64_t *steps)``, inputs then outputs;
- reduce, fold: ``int k_fold(int64_t n, char **args, const int64_t *steps, char *acc)``: combines the
  expression's values over the run into ``*acc``;
- reduce, accumulate: ``int k_acc(int64_t n, char **args, const int64_t *steps)``: ``acc[i] = op(acc[i], v[i])``
  with the accumulator as the last operand;
- reduce, combine: ``void k_comb(char *acc, const char *part)``.

A kernel returns 0 or the first AG_ERR_* code a check raised.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from arignote_core.dtypes import DtypeSpec

from .context import EmitContext, Unsupported, Value
from .scalar import _max_min

#: body(inputs, assign) -> outputs: emits statements through ``assign`` and returns the output values
Body = Callable[[list[Value], Callable[[str, str], str]], list[Value]]


@dataclass(frozen=True)
class KernelSource:
    """One C function: its name, definition and declaration; ``python`` when its text uses CPython's C API (user
    ops may: they return -1 with a Python error set), so that its module must be an extension module."""

    name: str
    text: str
    cdef: str
    python: bool = False


@dataclass(frozen=True)
class Operand:
    """A pointer operand: its dtype in memory, and the spec promotion sees (weak constants)."""

    dtype: str
    spec: DtypeSpec | None = None


def named_kernel(template: str, cdef: str, prefix: str = "ag", python: bool = False) -> KernelSource:
    digest = hashlib.sha256(template.encode()).hexdigest()[:16]
    name = f"{prefix}_{digest}"
    return KernelSource(name, template.replace("NAME", name), cdef.replace("NAME", name), python)


class _Body:
    """Straight-line statements of a loop body: typed temporaries t0, t1, ..."""

    def __init__(self, ctx: EmitContext) -> None:
        self.ctx = ctx
        self.lines: list[str] = []

    def assign(self, expr: str, dtype: str) -> str:
        if expr in self.ctx.known:
            return expr
        name = f"t{len(self.lines)}"
        if dtype == "float16":
            expr = f"(float)(_Float16)({expr})"
        self.lines.append(f"const {self.ctx.ctype(dtype)} {name} = {expr};")
        return name


#: the statement builder and the run-time checks of a kernel body, for kernels of another dialect (codegen-cuda
#: writes its own loops around the same body)
Statements = _Body


def check_statements(ctx: EmitContext) -> list[str]:
    """The statements raising the kernel's error code where ``ctx.checks`` hold: ``err |= cond ? code : 0``."""
    return _checks(ctx)


def _pointers(ctx: EmitContext, operands: Sequence[Operand], outputs: Sequence[str], restrict: str) -> list[str]:
    lines = [f"const {ctx.storage(op.dtype)} *{restrict} p{k} = (const {ctx.storage(op.dtype)} *)args[{k}];"
             for k, op in enumerate(operands)]
    base = len(operands)
    lines += [f"{ctx.storage(d)} *{restrict} q{j} = ({ctx.storage(d)} *)args[{base + j}];"
              for j, d in enumerate(outputs)]
    return lines


def _loop(ctx: EmitContext, operands: Sequence[Operand], body: list[str], stores: list[str], pragma: str,
          strided: bool) -> str:
    """One for loop over i; operand k is read at p{k}[i], store line j writes output j at q{j}[i] (indices
    times the steps when strided)."""
    def at(k: int) -> str:
        return f"i * s{k}" if strided else "i"

    loads = [f"const {ctx.ctype(op.dtype)} x{k} = {ctx.load(f'p{k}[{at(k)}]', op.dtype)};"
             for k, op in enumerate(operands)]
    writes = [line.replace(f"q{j}[i]", f"q{j}[{at(len(operands) + j)}]") for j, line in enumerate(stores)]
    header = "" if strided else f"        {pragma}\n"
    inner = "\n            ".join(loads + body + writes)
    return f"{header}        for (int64_t i = 0; i < n; ++i) {{\n            {inner}\n        }}"


def _checks(ctx: EmitContext) -> list[str]:
    return [f"err |= ({cond}) ? {code} : 0;" for cond, code in ctx.checks]


def _unit_test(count: int) -> str:
    return " && ".join(f"steps[{k}] == 1" for k in range(count)) or "1"


def _strides(count: int) -> str:
    return "const int64_t " + ", ".join(f"s{k} = steps[{k}]" for k in range(count)) + ";" if count else ""


def elemwise_kernel(ctx: EmitContext, operands: Sequence[Operand], out_dtypes: Sequence[str],
                    body: Body) -> KernelSource:
    """``outputs = body(inputs)`` for each element."""
    ctx.checks = []
    block = _Body(ctx)
    values = body([Value(f"x{k}", op.dtype, op.spec) for k, op in enumerate(operands)], block.assign)
    if len(values) != len(out_dtypes):
        raise Unsupported("kernel body gave the wrong number of outputs")
    stores = [f"q{j}[i] = {ctx.store(ctx.convert(v.expr, v.dtype, d), d)};"
              for j, (v, d) in enumerate(zip(values, out_dtypes, strict=True))]
    lines = block.lines + _checks(ctx)
    d = ctx.dialect
    pragma = d.simd_pragma + (" " + d.simd_reduction.format(op="|", var="err") if ctx.checks else "")
    count = len(operands) + len(out_dtypes)
    template = f"""int NAME(int64_t n, char **args, const int64_t *steps) {{
    {chr(10).join('    ' + p for p in _pointers(ctx, operands, out_dtypes, d.restrict)).strip()}
    int err = 0;
    if ({_unit_test(count)}) {{
{_loop(ctx, operands, lines, stores, pragma, False)}
    }} else {{
        {_strides(count)}
{_loop(ctx, operands, lines, stores, pragma, True)}
    }}
    return err;
}}"""
    return named_kernel(template, "int NAME(int64_t, char **, const int64_t *);")


# ---------------------------------------------------------------------------------------------------------
# reductions


@dataclass(frozen=True)
class Reduction:
    """How a binary scalar op folds: its C update, OpenMP reduction identifier, identity and NaN rule."""

    op: str
    dtype: str

    @property
    def kind(self) -> str:
        return np.dtype(self.dtype).kind

    def omp_identifier(self) -> str:
        if self.dtype == "bool":
            return {"add": "|", "maximum": "|", "logical_or": "|"}.get(self.op, "&")
        return {"add": "+", "multiply": "*", "maximum": "max", "minimum": "min"}[self.op]

    def identity(self) -> object:
        """The value a reduction starts from (NumPy's identity; the extreme value for maximum/minimum)."""
        if self.op in ("add", "logical_or"):
            return 0
        if self.op in ("multiply", "logical_and"):
            return 1
        largest = self.op == "minimum"
        if self.kind == "b":
            return int(largest)
        if self.kind == "f":
            return float("inf") if largest else float("-inf")
        info = np.iinfo(self.dtype)
        return int(info.max if largest else info.min)

    @property
    def has_identity(self) -> bool:
        return self.op not in ("maximum", "minimum")

    def combine(self, a: str, b: str) -> str:
        """op(a, b) with NumPy's NaN propagation for maximum/minimum."""
        if self.op in ("maximum", "minimum"):
            return _max_min([a, b], self.dtype, self.op == "maximum", True)
        return f"({a} {self.omp_identifier()} {b})"

    def update(self, acc: str, v: str) -> tuple[str, str | None]:
        """The statement folding v into acc (vectorizable), and the NaN flag update if one is needed."""
        if self.op in ("maximum", "minimum") and self.kind in "iuf":
            cmp = ">" if self.op == "maximum" else "<"
            nan = f"nan |= {v} != {v};" if self.kind == "f" else None
            return f"{acc} = {v} {cmp} {acc} ? {v} : {acc};", nan
        return f"{acc} = {self.combine(acc, v)};", None


SUPPORTED_REDUCTIONS = ("add", "multiply", "maximum", "minimum", "logical_and", "logical_or")


def reduction_for(op_name: str, dtype: str) -> Reduction:
    if op_name not in SUPPORTED_REDUCTIONS or np.dtype(dtype).kind == "c":
        raise Unsupported(f"no C reduction for {op_name} in {dtype}")
    if op_name.startswith("logical") and dtype != "bool":
        raise Unsupported(f"{op_name} reduces booleans")
    return Reduction(op_name, dtype)


def reduce_kernels(ctx: EmitContext, operands: Sequence[Operand], red: Reduction, body: Body) -> list[KernelSource]:
    """The fold, accumulate and combine functions of ``op.reduce(body(inputs))``."""
    ctx.checks = []
    block = _Body(ctx)
    (value,) = body([Value(f"x{k}", op.dtype, op.spec) for k, op in enumerate(operands)], block.assign)
    acc_dtype, ct, st = red.dtype, ctx.ctype(red.dtype), ctx.storage(red.dtype)
    v = ctx.convert(value.expr, value.dtype, acc_dtype)
    lines = block.lines + _checks(ctx) + [f"const {ct} v = {v};"]
    d = ctx.dialect
    update, nan = red.update("acc", "v")
    clauses = [d.simd_reduction.format(op=red.omp_identifier(), var="acc")]
    if nan:
        clauses.append(d.simd_reduction.format(op="|", var="nan"))
    if ctx.checks:
        clauses.append(d.simd_reduction.format(op="|", var="err"))
    n_in = len(operands)
    ident = ctx.literal(red.identity(), acc_dtype)
    fold_body = lines + [update] + ([nan] if nan else [])
    pointers = "\n    ".join(_pointers(ctx, operands, [], d.restrict))
    fold = f"""int NAME(int64_t n, char **args, const int64_t *steps, char *accp) {{
    {pointers}
    {ct} acc = {ident};
    int err = 0, nan = 0;
    if ({_unit_test(n_in)}) {{
{_loop(ctx, operands, fold_body, [], d.simd_pragma + ' ' + ' '.join(clauses), False)}
    }} else {{
        {_strides(n_in)}
{_loop(ctx, operands, fold_body, [], '', True)}
    }}
    if (nan) acc = NAN;
    {st} *out = ({st} *)accp;
    *out = {ctx.store(red.combine(ctx.load('*out', acc_dtype), 'acc'), acc_dtype)};
    return err;
}}"""
    # the accumulator is output 0, read and written in place: q0[i] = op(q0[i], v)
    store = f"q0[i] = {ctx.store(red.combine(ctx.load('q0[i]', acc_dtype), 'v'), acc_dtype)};"
    acc_pointers = "\n    ".join(_pointers(ctx, operands, [acc_dtype], d.restrict))
    err_clause = " " + d.simd_reduction.format(op="|", var="err") if ctx.checks else ""
    accumulate = f"""int NAME(int64_t n, char **args, const int64_t *steps) {{
    {acc_pointers}
    int err = 0;
    if ({_unit_test(n_in + 1)}) {{
{_loop(ctx, operands, lines, [store], d.simd_pragma + err_clause, False)}
    }} else {{
        {_strides(n_in + 1)}
{_loop(ctx, operands, lines, [store], '', True)}
    }}
    return err;
}}"""
    combine = f"""void NAME(char *accp, const char *partp) {{
    {st} *a = ({st} *)accp;
    const {st} *b = (const {st} *)partp;
    *a = {ctx.store(red.combine(ctx.load('*a', acc_dtype), ctx.load('*b', acc_dtype)), acc_dtype)};
}}"""
    return [named_kernel(fold, "int NAME(int64_t, char **, const int64_t *, char *);"),
            named_kernel(accumulate, "int NAME(int64_t, char **, const int64_t *);"),
            named_kernel(combine, "void NAME(char *, const char *);")]
