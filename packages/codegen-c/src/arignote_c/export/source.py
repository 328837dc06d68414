"""The exported model's C source: the standalone runtime, the generated kernels, the constants, and the driver
``<name>_run`` that runs the steps in order."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from arignote_core.tensors import TensorType

from ..lowering import ARRAY_STRUCT
from ..program import ERROR_CODES
from ..runtime.source import StepKind, param_enums
from .plan import ExportPlan, ExportStep, where

RUNTIME = Path(__file__).resolve().parent / "runtime.c"
#: The strided iteration the compiled runtime shares (free of Python.h), inlined where runtime.c includes it.
STRIDED = Path(__file__).resolve().parent.parent / "runtime" / "strided.h"


def runtime_text() -> str:
    """The standalone runtime's C, ``strided.h`` inlined: an exported model's source includes no file of ours."""
    include = '#include "strided.h"'
    text = RUNTIME.read_text()
    assert text.count(include) == 1
    return text.replace(include, STRIDED.read_text())


def _c_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")
    return '"' + "".join(ch if 32 <= ord(ch) < 127 else "?" for ch in escaped) + '"'


def _dtype(plan: ExportPlan, slot: int) -> tuple[str, int]:
    """The C enum name and item size of a slot's dtype."""
    t = plan.variables[slot].type
    assert isinstance(t, TensorType)
    return f"AG_{t.dtype.upper()}", np.dtype(t.dtype).itemsize


def _literals(value: np.ndarray) -> tuple[str, list[str]]:
    """The C element type and the exact literals of a constant's elements (complex: real and imaginary parts)."""
    flat = value.reshape(-1)
    kind = value.dtype.kind
    if kind == "c":
        part = "float" if value.dtype == np.complex64 else "double"
        return part, _literals(flat.view(np.float32 if part == "float" else np.float64))[1]
    if kind == "f":
        suffix = "f" if value.dtype == np.float32 else ""
        texts = []
        for x in flat.astype(np.float64):
            if np.isnan(x):
                texts.append("NAN")
            elif np.isinf(x):
                texts.append("INFINITY" if x > 0 else "-INFINITY")
            else:
                texts.append(float(x).hex() + suffix)
        return ("float" if suffix else "double"), texts
    if kind == "b":
        return "uint8_t", ["1" if x else "0" for x in flat]
    ctype = f"{'u' if kind == 'u' else ''}int{value.dtype.itemsize * 8}_t"
    if value.dtype == np.int64:
        return ctype, [f"INT64_C({x})" if x != -(2**63) else "INT64_MIN" for x in flat.tolist()]
    return ctype, [f"UINT64_C({x})" if kind == "u" else str(x) for x in flat.tolist()]


def _constant(slot: int, value: np.ndarray) -> str:
    ctype, items = _literals(value)
    lines = [", ".join(items[i:i + 8]) for i in range(0, len(items), 8)] or ["0"]
    body = ",\n    ".join(lines)
    shape = ", ".join(str(s) for s in value.shape) or "0"
    return (f"static const {ctype} agc_{slot}[] = {{\n    {body}\n}};\n"
            f"static const int64_t agc_{slot}_shape[] = {{{shape}}};\n")


def _array(name: str, ctype: str, items: Sequence[str]) -> str:
    return f"{ctype} {name}[] = {{{', '.join(items) or ('NULL' if '*' in ctype else '0')}}};"


def _values(slots: Sequence[int]) -> list[str]:
    return [f"&v[{s}]" for s in slots]


def _step_call(plan: ExportPlan, k: int, step: ExportStep) -> list[str]:
    """The statements running ``step`` (each failing with ``goto done``)."""
    p, ins, outs = step.plan, step.inputs, step.outputs
    params = p.params
    kernels = [kn.name for kn in p.kernels]
    lines: list[str] = []
    if p.kind == StepKind.ELEMWISE:
        dtypes = [_dtype(plan, o) for o in outs]
        lines += [_array("in_", "agx_value *const", _values(ins)), _array("out_", "agx_value *const", _values(outs)),
                  _array("dt_", "static const int", [d for d, _ in dtypes]),
                  _array("sz_", "static const int", [str(s) for _, s in dtypes]),
                  f"if (agx_elemwise(&c, {kernels[0]}, {len(ins)}, in_, {len(outs)}, out_, dt_, sz_, "
                  f"{params['ndim']})) goto done;"]
    elif p.kind == StepKind.REDUCE:
        dtype, size = _dtype(plan, outs[0])
        identity, op_name = p.obj
        ident = np.asarray(identity, dtype=plan.variables[outs[0]].type.dtype)
        ctype, items = _literals(ident.reshape(1))
        axes = [str(a) for a in params["axes"]]  # type: ignore[union-attr]
        lines += [_array("in_", "agx_value *const", _values(ins)),
                  f"static const {ctype} identity_[] = {{{', '.join(items)}}};",
                  _array("axes_", "static const int", axes),
                  f"if (agx_reduce(&c, {kernels[0]}, {kernels[1]}, {len(ins)}, in_, &v[{outs[0]}], {dtype}, {size}, "
                  f"{params['ndim']}, {len(axes)}, axes_, identity_, {params['no_identity']}, "
                  f"{_c_string(op_name)})) goto done;"]
    elif p.kind == StepKind.DIMSHUFFLE:
        order = [str(o) for o in params["order"]]  # type: ignore[union-attr]
        lines += [_array("order_", "static const int", order),
                  f"agx_dimshuffle(&v[{outs[0]}], &v[{ins[0]}], {len(order)}, order_);"]
    elif p.kind == StepKind.SUBTENSOR:
        entries = [str(e) for e in p.ip[1:]]
        lines += [_array("syms_", "agx_value *const", _values(ins[1:])),
                  _array("entries_", "static const int64_t", entries),
                  f"if (agx_subtensor(&c, &v[{outs[0]}], &v[{ins[0]}], syms_, {params['n_entries']}, entries_)) "
                  "goto done;"]
    elif p.kind == StepKind.RESHAPE:
        lines.append(f"if (agx_reshape(&c, &v[{outs[0]}], &v[{ins[0]}], &v[{ins[1]}], {params['ndim']})) goto done;")
    elif p.kind == StepKind.SHAPE:
        lines.append(f"if (agx_shape_of(&c, &v[{outs[0]}], &v[{ins[0]}])) goto done;")
    elif p.kind == StepKind.MAKE_VECTOR:
        dtype, size = _dtype(plan, outs[0])
        lines += [_array("in_", "agx_value *const", _values(ins)),
                  f"if (agx_make_vector(&c, &v[{outs[0]}], {len(ins)}, in_, {dtype}, {size})) goto done;"]
    elif p.kind == StepKind.ALLOC:
        dtype, size = _dtype(plan, outs[0])
        lines += [_array("sizes_", "agx_value *const", _values(ins[1:])),
                  f"if (agx_alloc_step(&c, {kernels[0]}, &v[{outs[0]}], &v[{ins[0]}], {len(ins) - 1}, sizes_, {dtype}, "
                  f"{size})) goto done;"]
    elif p.kind == StepKind.MATMUL:
        dtype, size = _dtype(plan, outs[0])
        lines.append(f"if (agx_matmul(&c, &v[{outs[0]}], &v[{ins[0]}], &v[{ins[1]}], {dtype}, {size})) goto done;")
    elif p.kind == StepKind.GEMM:
        dtype, size = _dtype(plan, outs[0])
        args = ", ".join(f"&v[{s}]" for s in ins)
        lines.append(f"if (agx_gemm_step(&c, &v[{outs[0]}], {args}, {params['trans_a']}, {params['trans_b']}, "
                     f"{dtype}, {size})) goto done;")
    elif p.kind == StepKind.ROWS:
        lines.append(f"if (agx_rows(&c, {kernels[0]}, &v[{outs[0]}], &v[{ins[0]}], {params['axis']})) goto done;")
    else:  # plan_export admits only the kinds above
        raise AssertionError(f"no standalone C for {p.kind.name} steps")
    lines += [f"agx_release(&v[{s}]);" for s in step.frees]
    return [f"/* step {k}: {where(step.node).replace('*/', '* /')} */",
            f"c.where = {_c_string(where(step.node))};", "{", *("    " + line for line in lines), "}"]


def _driver(plan: ExportPlan) -> str:
    name = plan.name
    body: list[str] = []
    for i, input_name in enumerate(plan.input_names):
        dtype, size = _dtype(plan, i)
        t = plan.variables[i].type
        assert isinstance(t, TensorType)
        expected = [str(-1 if s is None else s) for s in t.shape]
        body += ["{", "    " + _array("shape_", "static const int64_t", expected),
                 f"    if (agx_bind_input(&c, &v[{i}], &inputs[{i}], {_c_string(input_name)}, {i}, {dtype}, {size}, "
                 f"{t.ndim}, shape_)) goto done;", "}"]
    for s, value in plan.constants.items():
        dtype, size = _dtype(plan, s)
        body.append(f"agx_constant(&v[{s}], agc_{s}, {value.ndim}, agc_{s}_shape, {dtype}, {size});")
    for k, step in enumerate(plan.steps):
        body += _step_call(plan, k, step)
    body.append("c.where = NULL;")
    for j, (s, output_name) in enumerate(plan.outputs):
        body.append(f"if (agx_output(&c, &outputs[{j}], &v[{s}], {_c_string(output_name)}, {j}, &allocated[{j}])) "
                    "goto done;")
    n_out, n_slots = len(plan.outputs), len(plan.variables)
    check = "(!inputs && " + str(len(plan.input_names)) + ") || !outputs"
    return f"""int {name}_run(const {name}_array *inputs, {name}_array *outputs, char *error, size_t error_size) {{
    agx_ctx c = {{error, error_size, NULL}};
    agx_value v[{n_slots}];
    int allocated[{n_out}] = {{0}}, rc = -1;
    memset(v, 0, sizeof v);
    if (error && error_size) error[0] = '\\0';
    if ({check}) {{
        agx_fail(&c, "inputs and outputs must not be NULL");
        return -1;
    }}
    {(chr(10) + '    ').join(body)}
    rc = 0;
done:
    for (int j = 0; rc && j < {n_out}; ++j)
        if (allocated[j]) {{
            free(outputs[j].data);
            outputs[j].data = NULL;
        }}
    for (int i = 0; i < {n_slots}; ++i) agx_release(&v[i]);
    return rc;
}}

void {name}_free_outputs({name}_array *outputs) {{
    for (int j = 0; j < {n_out}; ++j) {{
        free(outputs[j].data);
        outputs[j].data = NULL;
    }}
}}
"""


def source_text(plan: ExportPlan, header_name: str) -> str:
    """The C source of ``plan``'s model, including ``header_name``."""
    # the kernels are file-local (several exported models may go into one program): static prototypes first
    prototypes = "\n".join("static " + k.cdef for k in plan.kernels)
    constants = "".join(_constant(s, value) for s, value in plan.constants.items())
    return "\n".join([
        f"/* {plan.name}: generated by Arignote (arignote_c.export_c); see {header_name}. */",
        f'#include "{header_name}"',
        plan.ctx.prelude(), ERROR_CODES, param_enums(), ARRAY_STRUCT, "",
        "/* ---- the standalone runtime ---- */", runtime_text(),
        "/* ---- generated kernels ---- */", prototypes, *(k.text for k in plan.kernels),
        "/* ---- constants ---- */", constants,
        "/* ---- the driver ---- */", _driver(plan)])
