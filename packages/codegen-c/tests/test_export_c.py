"""Standalone C export: models exported with ``export_c``, called from a C ``main`` built with gcc alone (no Python
in the program), give the compiled function's results; a node without C and a wrong input are clear errors.

Every model goes into one program (one gcc run): that also checks that several exported models link together.
"""

from __future__ import annotations

import ctypes
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import arignote_core as ac
from arignote_c import ExportError, export_c
from arignote_core.mode import Mode

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")

RNG = np.random.default_rng(21)
C_TYPES = {"float64": "double", "float32": "float"}


def _models() -> dict[str, tuple[Any, list[np.ndarray]]]:
    """name -> (graph builder, inputs); each builder returns (inputs, outputs) of a function."""
    def mlp() -> Any:
        x = ac.dmatrix("x")
        w1 = ac.shared(RNG.standard_normal((3, 5)), name="w1")
        b1 = ac.shared(RNG.standard_normal(5), name="b1")
        w2 = ac.shared(RNG.standard_normal((5, 4)), name="w2")
        h = ac.tanh(ac.dot(x, w1) + b1)
        return [x], ac.softmax(ac.dot(h, w2), axis=-1)

    def broadcast() -> Any:
        x, y, z = ac.dmatrix("x"), ac.dvector("y"), ac.dscalar("z")
        return [x, y, z], ac.exp(-(x**2)) * y + z / (1 + ac.abs(y))

    def reduction() -> Any:
        x = ac.dtensor3("x")
        return [x], ((x - 0.5) ** 2).sum(axis=1)

    def two_outputs() -> Any:
        x, y = ac.dmatrix("x"), ac.dmatrix("y")
        return [x, y], [ac.maximum(x, y), (x * y).max(axis=0)]

    def scaled() -> Any:
        x = ac.fvector("x")
        scale = ac.shared(np.array([1.5, -2.0, 0.25], dtype="float32"), name="scale")
        return [x], x * scale + 1

    def shapes() -> Any:
        x = ac.dtensor3("x")
        # the transposed view reshapes through a copy, the contiguous x as a view
        rows = x.transpose(0, 2, 1).reshape((x.shape[0], -1))[:, 1:].sum(axis=1) + x.flatten().mean()
        filled = ac.zeros((x.shape[0], 3)) + ac.ones_like(x).sum()
        spread = ac.broadcast_to(x[:, :1], (x.shape[0], 3, x.shape[2]))
        return [x], [rows, x[:, ::-2, 1:] * 1.0, ac.log_softmax(x, axis=1), filled, spread]

    return {
        "mlp": (mlp, [RNG.standard_normal((4, 3))]),
        "shapes": (shapes, [RNG.standard_normal((2, 3, 4))]),
        # y's values a non-contiguous view of a larger array
        "broadcast": (broadcast, [RNG.standard_normal((3, 4)).T.copy().T, RNG.standard_normal(4), np.array(0.75)]),
        "reduction": (reduction, [RNG.standard_normal((2, 5, 3))]),
        "two_outputs": (two_outputs, [RNG.standard_normal((3, 2)), RNG.standard_normal((3, 2))]),
        "scaled": (scaled, [RNG.standard_normal(3).astype("float32")]),
    }


def _literal(value: Any, dtype: str) -> str:
    return float(value).hex() + ("f" if dtype == "float32" else "")


def _call(name: str, inputs: list[np.ndarray], n_outputs: int, caller_buffer: tuple[int, ...] | None = None) -> str:
    """C statements calling model ``name`` on ``inputs`` (their memory order and strides kept) and printing each
    output as ``OUT name j dtype ndim shape... values...``; with ``caller_buffer``, output 0 goes into a
    buffer of that shape that main allocates."""
    lines = [f"{{ /* {name} */", f"    {name}_array in[{max(1, len(inputs))}], out[{n_outputs}];",
             "    memset(in, 0, sizeof in); memset(out, 0, sizeof out);"]
    for i, a in enumerate(inputs):
        ctype = C_TYPES[a.dtype.name]
        data = ", ".join(_literal(v, a.dtype.name) for v in a.ravel(order="K")) or "0"
        lines += [f"    static {ctype} in{i}[] = {{{data}}};",
                  f"    in[{i}].data = in{i}; in[{i}].ndim = {a.ndim}; in[{i}].dtype = AG_{a.dtype.name.upper()};"]
        lines += [f"    in[{i}].shape[{d}] = {a.shape[d]}; in[{i}].strides[{d}] = {a.strides[d]};"
                  for d in range(a.ndim)]
    if caller_buffer is not None:
        size = int(np.prod(caller_buffer))
        lines += [f"    static double mine[{size}];", "    out[0].data = mine; out[0].dtype = AG_FLOAT64;",
                  f"    out[0].ndim = {len(caller_buffer)};"]
        lines += [f"    out[0].shape[{d}] = {s};" for d, s in enumerate(caller_buffer)]
    lines += [f'    if ({name}_run(in, out, error, sizeof error)) {{ printf("ERROR {name} %s\\n", error); return 1; }}',
              f'    for (int j = 0; j < {n_outputs}; ++j) print_array("{name}", j, &out[j]);']
    if caller_buffer is not None:
        lines += ['    printf("MINE %d\\n", out[0].data == (void *)mine);', "    out[0].data = NULL;"]
    lines += [f"    {name}_free_outputs(out);", "}"]
    return "\n".join(lines)


MAIN_HEAD = r"""
#include <stdio.h>
#include <string.h>
HEADERS

static void print_array(const char *name, int j, const ag_export_array *a) {
    int64_t n = 1;
    printf("OUT %s %d %d %lld", name, j, a->dtype, (long long)a->ndim);
    for (int d = 0; d < a->ndim; ++d) { printf(" %lld", (long long)a->shape[d]); n *= a->shape[d]; }
    for (int64_t i = 0; i < n; ++i) {
        int64_t r = i, off = 0;
        for (int d = (int)a->ndim - 1; d >= 0; --d) { off += (r % a->shape[d]) * a->strides[d]; r /= a->shape[d]; }
        const char *p = (const char *)a->data + off;
        printf(" %.17g", a->dtype == AG_FLOAT64 ? *(const double *)p : (double)*(const float *)p);
    }
    printf("\n");
}

int main(void) {
    char error[512];
"""

#: calls that must fail: (label, model, C statements setting up in[] before the call)
BAD_CALLS = {
    "wrong_ndim": ("reduction", "in[0].ndim = 2; in[0].shape[0] = 2; in[0].shape[1] = 3;"),
    "wrong_dtype": ("reduction", "in[0].dtype = AG_FLOAT32;"),
    "wrong_static_shape": ("fixed", "in[0].shape[1] = 4;"),
    "broadcast_mismatch": ("two_outputs", "in[1].shape[0] = 2;"),
    "inner_size": ("mlp", "in[0].shape[1] = 2;"),
}


def _bad_call(label: str, name: str, setup: str, n_inputs: int) -> str:
    static = {"ndim": 3, "shape": (2, 5, 3)} if name == "reduction" else {"ndim": 2, "shape": (3, 2)}
    fills = [f"in[{i}].data = dummy; in[{i}].ndim = {static['ndim']}; in[{i}].dtype = AG_FLOAT64;" +
             "".join(f" in[{i}].shape[{d}] = {s};" for d, s in enumerate(static["shape"])) +
             "".join(f" in[{i}].strides[{d}] = {st};" for d, st in enumerate(np.zeros(static["shape"]).strides))
             for i in range(n_inputs)]
    return "\n".join([f"{{ /* {label} */", f"    {name}_array in[{n_inputs}], out[2];",
                      "    static double dummy[64];", "    memset(in, 0, sizeof in); memset(out, 0, sizeof out);",
                      *("    " + line for line in fills), f"    {setup}",
                      f'    int rc = {name}_run(in, out, error, sizeof error);',
                      f'    printf("BAD {label} %d %s\\n", rc, rc ? error : "");',
                      f"    if (!rc) {name}_free_outputs(out);", "}"])


@pytest.fixture(scope="module")
def program(tmp_path_factory: pytest.TempPathFactory, c_mode: Mode) -> dict[str, Any]:
    """Every model exported, one C program calling them built and run; its output parsed."""
    folder = tmp_path_factory.mktemp("export")
    expected: dict[str, list[np.ndarray]] = {}
    calls, headers, sources = [], [], []
    for name, (build, inputs) in _models().items():
        ins, outs = build()
        f = ac.function(ins, outs, mode=c_mode)
        result = export_c(f, name, folder)
        values = f(*inputs)
        expected[name] = list(values) if isinstance(values, list) else [values]
        headers.append(f'#include "{result.header.name}"')
        sources.append(str(result.source))
        calls.append(_call(name, inputs, len(expected[name]),
                           caller_buffer=(3, 2) if name == "two_outputs" else None))
    fixed = ac.tensor("x", shape=(3, 2), dtype="float64")
    result = export_c(ac.function([fixed], fixed * 2, mode=c_mode), "fixed", folder)
    headers.append(f'#include "{result.header.name}"')
    sources.append(str(result.source))
    n_inputs = {"reduction": 1, "fixed": 1, "two_outputs": 2, "mlp": 1}
    calls += [_bad_call(label, name, setup, n_inputs[name]) for label, (name, setup) in BAD_CALLS.items()]
    main = folder / "main.c"
    main.write_text(MAIN_HEAD.replace("HEADERS", "\n".join(headers)) + "\n".join(calls) + "\n    return 0;\n}\n")
    binary = folder / "main"
    subprocess.run(["gcc", "-O2", "-std=c11", "-Wall", "-Werror", "-Wno-unknown-pragmas", str(main), *sources,
                    "-o", str(binary), "-lm"], check=True, capture_output=True, text=True, cwd=folder)
    done = subprocess.run([str(binary)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    outputs: dict[str, list[np.ndarray]] = {}
    lines: dict[str, list[str]] = {}
    for line in done.stdout.splitlines():
        kind, label, *rest = line.split(" ", 2)
        if kind == "OUT":
            j, _dtype, ndim, *numbers = rest[0].split()
            shape = tuple(int(s) for s in numbers[: int(ndim)])
            outputs.setdefault(label, []).append(np.array([float(v) for v in numbers[int(ndim):]]).reshape(shape))
        else:
            lines.setdefault(kind, []).append(line)
    return {"expected": expected, "outputs": outputs, "lines": lines, "folder": folder}


@pytest.mark.parametrize("name", ["mlp", "broadcast", "reduction", "two_outputs", "scaled", "shapes"])
def test_exported_model_matches_the_function(program: dict[str, Any], name: str) -> None:
    expected, got = program["expected"][name], program["outputs"][name]
    assert len(got) == len(expected)
    for want, have in zip(expected, got, strict=True):
        assert have.shape == want.shape
        tolerance = 1e-6 if want.dtype == np.float32 else 1e-12
        np.testing.assert_allclose(have, want, rtol=tolerance, atol=tolerance)


def test_caller_buffer_is_filled_in_place(program: dict[str, Any]) -> None:
    assert program["lines"]["MINE"] == ["MINE 1"]


def test_shared_values_are_baked_in_at_export(program: dict[str, Any]) -> None:
    header = (program["folder"] / "scaled.h").read_text()
    assert "baked in as constants" in header and "scale" in header


@pytest.mark.parametrize(("label", "message"), [
    ("wrong_ndim", "input 0 (x): expected 3 dimensions, got 2"),
    ("wrong_dtype", "input 0 (x): expected dtype float64, got float32"),
    ("wrong_static_shape", "input 0 (x): expected shape (3, 2), got (3, 4)"),
    ("broadcast_mismatch", "could not be broadcast together"),
    ("inner_size", "shapes not aligned"),
])
def test_bad_input_is_an_error_at_run_time(program: dict[str, Any], label: str, message: str) -> None:
    (line,) = [line for line in program["lines"]["BAD"] if line.split()[1] == label]
    assert line.split()[2] != "0" and message in line


def test_node_without_c_is_an_export_error(tmp_path: Path, c_mode: Mode) -> None:
    a, b = ac.dmatrix("a"), ac.dvector("b")
    f = ac.function([a, b], ac.linalg.solve(a, b), mode=c_mode)  # this line is named in the error
    with pytest.raises(ExportError, match=r"node 'Solve\S*' \(test_export_c.py:\d+\) has no C implementation"):
        export_c(f, "solver", tmp_path)
    assert not (tmp_path / "solver.c").exists()


def test_export_takes_a_compiled_function_and_a_c_name(tmp_path: Path, c_mode: Mode) -> None:
    x = ac.dvector("x")
    with pytest.raises(TypeError, match="compiled function"):
        export_c(x * 2, "model", tmp_path)
    with pytest.raises(ValueError, match="C identifier"):
        export_c(ac.function([x], x * 2, mode=c_mode), "my-model", tmp_path)


def test_updates_are_an_export_error(tmp_path: Path, c_mode: Mode) -> None:
    x = ac.dvector("x")
    total = ac.shared(np.zeros(2), name="total")
    f = ac.function([x], x.sum(), updates=[(total, total + x)], mode=c_mode)
    with pytest.raises(ExportError, match="updates shared variables"):
        export_c(f, "stateful", tmp_path)


class _Array(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("ndim", ctypes.c_int64), ("shape", ctypes.c_int64 * 32),
                ("strides", ctypes.c_int64 * 32), ("dtype", ctypes.c_int)]


def test_built_library_runs(tmp_path: Path, c_mode: Mode) -> None:
    x = ac.dmatrix("x")
    f = ac.function([x], ac.log1p(x * x).sum(axis=0), mode=c_mode)
    result = export_c(f, "lib_model", tmp_path, build=True)
    assert result.library is not None and result.library.exists()
    library = ctypes.CDLL(str(result.library))
    value = RNG.standard_normal((3, 4))
    inputs, outputs = _Array(), _Array()
    inputs.data, inputs.ndim, inputs.dtype = value.ctypes.data, 2, 10  # AG_FLOAT64
    inputs.shape[:2], inputs.strides[:2] = value.shape, value.strides
    error = ctypes.create_string_buffer(256)
    assert library.lib_model_run(ctypes.byref(inputs), ctypes.byref(outputs), error, 256) == 0, error.value
    got = np.ctypeslib.as_array(ctypes.cast(outputs.data, ctypes.POINTER(ctypes.c_double)), shape=(outputs.shape[0],))
    np.testing.assert_allclose(got, f(value), rtol=1e-12)
    library.lib_model_free_outputs(ctypes.byref(outputs))


#: a CBLAS of its own, as the CBLAS interface defines it (row-major order 101, 111 as is, 112 transposed), which
#: counts its calls: the exported products' calling convention checked without a BLAS installed
STAND_IN_CBLAS = r"""
#include <stdio.h>
int blas_calls = 0;
#define GEMM(NAME, T)                                                                                        \
void NAME(int order, int ta, int tb, int m, int n, int k, T alpha, const T *a, int lda, const T *b, int ldb,  \
          T beta, T *c, int ldc) {                                                                          \
    if (order != 101) { printf("column-major call\n"); return; }                                            \
    ++blas_calls;                                                                                           \
    for (int i = 0; i < m; ++i)                                                                             \
        for (int j = 0; j < n; ++j) {                                                                       \
            double s = 0;                                                                                   \
            for (int p = 0; p < k; ++p)                                                                     \
                s += (double)(ta == 111 ? a[i * lda + p] : a[p * lda + i]) *                                \
                     (tb == 111 ? b[p * ldb + j] : b[j * ldb + p]);                                         \
            c[i * ldc + j] = (T)(alpha * s + (beta != 0 ? beta * c[i * ldc + j] : 0));                      \
        }                                                                                                   \
}
GEMM(cblas_dgemm, double)
GEMM(cblas_sgemm, float)
"""


def test_products_call_cblas_when_built_with_it(tmp_path: Path, c_mode: Mode) -> None:
    x, y = ac.dmatrix("x"), ac.fmatrix("y")
    w = ac.shared(RNG.standard_normal((4, 3)), name="w")
    v = ac.shared(RNG.standard_normal((2, 3)).astype("float32"), name="v")
    f = ac.function([x, y], [ac.dot(x.T, w) * 2, ac.dot(y, v.T)], mode=c_mode)  # transposed operands
    inputs = [RNG.standard_normal((4, 5)), RNG.standard_normal((2, 3)).astype("float32")]
    result = export_c(f, "blas_model", tmp_path)
    (tmp_path / "cblas.c").write_text(STAND_IN_CBLAS)
    main = tmp_path / "main.c"
    main.write_text(MAIN_HEAD.replace("HEADERS", f'#include "{result.header.name}"\nextern int blas_calls;')
                    + _call("blas_model", inputs, 2) + '\n    printf("CALLS %d\\n", blas_calls);\n    return 0;\n}\n')
    binary = tmp_path / "main"
    subprocess.run(["gcc", "-O2", "-std=c11", "-DAG_USE_CBLAS", str(main), str(result.source),
                    str(tmp_path / "cblas.c"), "-o", str(binary), "-lm"], check=True, capture_output=True, text=True)
    out = subprocess.run([str(binary)], capture_output=True, text=True, check=True, timeout=60).stdout.splitlines()
    assert "CALLS 2" in out
    for want, line in zip(f(*inputs), [line for line in out if line.startswith("OUT")], strict=True):
        ndim = int(line.split()[4])
        numbers = line.split()[5:]
        have = np.array([float(t) for t in numbers[ndim:]]).reshape([int(s) for s in numbers[:ndim]])
        tolerance = 1e-6 if want.dtype == np.float32 else 1e-12
        np.testing.assert_allclose(have, want, rtol=tolerance, atol=tolerance)
