"""arignote_core.sparse on the reference evaluator: types and their checks, sparse inputs, constants and shared
variables, each op against SciPy on random matrices (csr and csc, several dtypes, empty ones), shape inference,
and the errors that name the input, the expected and the actual. The conformance table (testing/cases/sparse.py)
runs the same ops from dense inputs on every backend."""

import numpy as np
import pytest
import scipy.sparse as sp

import arignote_core as ac
from arignote_core import sparse as S
from arignote_core.tensors.basic import Shape
from arignote_core.tensors.shape_inference import infer_shape
from arignote_core.testing import CaseSkipped, cases, run_case

FORMATS = ["csr", "csc"]


def random_sparse(fmt, shape=(6, 5), dtype="float64", density=0.4, seed=0):
    return sp.random(*shape, density=density, format=fmt, dtype=dtype, random_state=seed)


def run(inputs, outputs, *values):
    return ac.function(inputs, outputs, mode="reference")(*values)


# -- types, inputs, constants, shared variables ------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_symbolic_matrix_has_its_type_and_passes_values_through(fmt):
    x = S.matrix(fmt, "x", "float32")
    assert x.type == S.SparseType(fmt, "float32") and x.format == fmt and x.dtype == "float32" and x.ndim == 2
    value = random_sparse(fmt, dtype="float32")
    out = run([x], x, value)
    assert out.format == fmt and (out != value).nnz == 0


def test_sparse_arrays_are_accepted_and_kept_as_matrices():
    value = sp.csr_array(random_sparse("csr").toarray())
    checked = S.SparseType("csr", "float64").filter(value)
    assert isinstance(checked, sp.csr_matrix) and np.array_equal(checked.toarray(), value.toarray())


@pytest.mark.parametrize(("value", "message"), [
    (random_sparse("csc"), "expected a float64 csr sparse matrix, got float64 csc matrix"),
    (np.ones((2, 2)), "got float64 dense array of shape (2, 2)"),
    (random_sparse("csr", dtype="float64"), "casting float64 to float32 could lose precision"),
    (sp.coo_matrix(np.eye(2)), "got float64 coo matrix"),
])
def test_filter_names_the_expected_and_the_actual_value(value, message):
    wanted = "float32" if "float32" in message else "float64"
    with pytest.raises(TypeError, match=message.replace("(", r"\(").replace(")", r"\)")):
        S.SparseType("csr", wanted).filter(value)


def test_a_compiled_function_refuses_a_value_of_the_wrong_format_naming_the_input():
    x = S.csr_matrix("x")
    f = ac.function([x], S.sp_sum(x), mode="reference")
    with pytest.raises(TypeError, match="csr"):
        f(random_sparse("csc"))


def test_format_must_be_csr_or_csc():
    with pytest.raises(ValueError, match="'csr' or 'csc', got 'coo'"):
        S.SparseType("coo")


def test_constants_compare_by_value():
    value = random_sparse("csr")
    a, b = S.as_sparse_variable(value), S.as_sparse_variable(value.copy())
    assert isinstance(a, S.SparseConstant) and a.equals(b)
    assert np.allclose(run([], S.dense_from_sparse(a)), value.toarray())


@pytest.mark.parametrize("fmt", FORMATS)
def test_shared_gives_a_sparse_shared_variable_with_copy_semantics(fmt):
    value = random_sparse(fmt)
    s = ac.shared(value, name="w")
    assert isinstance(s, S.SparseSharedVariable) and s.type == S.SparseType(fmt, "float64")
    value.data[:] = 0  # the variable kept a copy
    got = s.get_value()
    assert got.nnz and np.abs(got.data).sum() > 0
    got.data[:] = 7  # and gives one
    assert not np.any(s.get_value().data == 7)
    f = ac.function([], S.sp_sum(s), updates=[(s, S.sqr(s))], mode="reference")
    before = s.get_value().toarray()
    assert np.isclose(f(), before.sum())
    assert np.allclose(s.get_value().toarray(), before ** 2)
    with pytest.raises(TypeError, match="set_value of shared variable w"):
        s.set_value(np.ones((2, 2)))


def test_shared_of_another_sparse_format_is_stored_as_csr():
    s = ac.shared(sp.coo_matrix(np.eye(3)))
    assert s.type.format == "csr" and isinstance(s.get_value(), sp.csr_matrix)


def test_shared_of_an_array_is_still_a_tensor():
    assert isinstance(ac.shared(np.ones(3)), ac.TensorSharedVariable)


# -- parts and conversions ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_csm_properties_and_csm_rebuild_the_matrix(fmt):
    value = random_sparse(fmt)
    x = S.matrix(fmt, "x")
    data, indices, indptr, shape = S.csm_properties(x)
    got = run([x], [data, indices, indptr, shape, S.CSM(fmt)(data * 2, indices, indptr, shape).toarray()], value)
    assert np.array_equal(got[0], value.data) and np.array_equal(got[1], value.indices)
    assert np.array_equal(got[2], value.indptr) and list(got[3]) == list(value.shape)
    assert np.allclose(got[4], 2 * value.toarray())


def test_csm_properties_of_csm_are_its_parts():
    parts = (ac.dvector("d"), ac.ivector("i"), ac.ivector("p"), ac.lvector("s"))
    assert S.csm_properties(S.csr_from_parts(*parts)) == parts


def test_csm_refuses_inconsistent_parts():
    f = ac.function([], S.csr_from_parts(np.ones(2), np.array([0, 1], "int32"), np.array([0, 1], "int32"),
                                         np.array([2, 2])).toarray(), mode="reference")
    with pytest.raises(ValueError, match="inconsistent csr parts: 2 values, 2 indices, 2 pointers"):
        f()


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("dtype", ["float64", "float32", "int64"])
def test_dense_and_sparse_conversions_agree_with_scipy(fmt, dtype):
    a = random_sparse("csr", dtype="float64").toarray().astype(dtype)
    d = ac.matrix("d", dtype=dtype)
    sparse_value, dense = run([d], [S.sparse_from_dense(d, fmt), S.sparse_from_dense(d, fmt).toarray()], a)
    assert sparse_value.format == fmt and sparse_value.dtype == dtype and sparse_value.nnz == np.count_nonzero(a)
    assert np.array_equal(dense, a) and dense.dtype == dtype


def test_as_format_and_transpose():
    value = random_sparse("csr")
    x = S.csr_matrix("x")
    as_csc, transposed = run([x], [S.as_format(x, "csc"), x.T], value)
    assert as_csc.format == "csc" and np.array_equal(as_csc.toarray(), value.toarray())
    assert transposed.format == "csc" and np.array_equal(transposed.toarray(), value.T.toarray())
    assert S.as_format(x, "csr") is x


@pytest.mark.parametrize("key", [slice(1, 4), slice(None, -2), slice(0, 6, 2), slice(5, 2), 3, -1])
def test_rows_agree_with_scipy(key):
    value = random_sparse("csr")
    x = S.csr_matrix("x")
    got = run([x], x[key], value)
    assert got.format == "csr" and np.array_equal(got.toarray(), value[key].toarray())


def test_rows_refuse_symbolic_keys_and_rows_out_of_bounds():
    x = S.csr_matrix("x")
    with pytest.raises(TypeError, match="a Python int or a slice of ints"):
        x[ac.iscalar("i")]
    with pytest.raises(IndexError, match="row 6 is out of bounds"):
        run([x], x[6], random_sparse("csr"))


# -- arithmetic ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape", [(6, 5), (0, 5), (6, 0), (1, 1)])
def test_structured_dot_agrees_with_scipy(fmt, dtype, shape):
    value = random_sparse(fmt, shape, dtype)
    d = np.random.default_rng(1).normal(size=(shape[1], 3)).astype(dtype)
    x, y, v = S.matrix(fmt, "x", dtype), ac.matrix("y", dtype=dtype), ac.vector("v", dtype=dtype)
    got, vec = run([x, y, v], [S.structured_dot(x, y), S.structured_dot(x, v)], value, d, d[:, 0])
    np.testing.assert_allclose(got, value @ d, rtol=1e-5)
    np.testing.assert_allclose(vec, value @ d[:, 0], rtol=1e-5)
    assert got.dtype == dtype


def test_dot_of_every_combination_agrees_with_scipy():
    a, b = random_sparse("csr", (4, 5)), random_sparse("csc", (5, 3), seed=1)
    dense = np.random.default_rng(2).normal(size=(2, 4))
    x, y, d = S.csr_matrix("x"), S.csc_matrix("y"), ac.dmatrix("d")
    sparse_product, dense_sparse, via_matmul = run([x, y, d], [S.dot(x, y), S.dot(d, x), x.T.T @ y], a, b, dense)
    assert sparse_product.format == "csr"
    np.testing.assert_allclose(sparse_product.toarray(), (a @ b).toarray())
    np.testing.assert_allclose(dense_sparse, dense @ a)
    np.testing.assert_allclose(via_matmul.toarray(), (a @ b).toarray())


def test_products_name_the_mismatched_input():
    x = S.csr_matrix("x")
    with pytest.raises(TypeError, match="the dense operand must have dtype float64 .* got float32"):
        S.structured_dot(x, ac.fmatrix("d"))
    with pytest.raises(TypeError, match="the dense operand must be a 1-d or 2-d dense tensor"):
        S.structured_dot(x, ac.dtensor3("d"))
    with pytest.raises(ValueError, match=r"has shape \(6, 5\), so the dense operand needs 5 rows; it has shape"):
        run([x], S.structured_dot(x, np.ones((4, 2))), random_sparse("csr"))
    with pytest.raises(TypeError, match="dtype float64 .* got float32"):
        S.dot(x, S.csr_matrix("y", "float32"))


@pytest.mark.parametrize("fmt", FORMATS)
def test_elementwise_ops_keep_the_sparsity_and_agree_with_numpy(fmt):
    value = random_sparse(fmt)
    dense = value.toarray()
    x = S.matrix(fmt, "x")
    outs = run([x], [S.neg(x), S.sqr(x), S.sqrt(S.abs(x)), abs(x), S.sign(x), -x], value)
    expected = [-dense, dense ** 2, np.sqrt(np.abs(dense)), np.abs(dense), np.sign(dense), -dense]
    for got, want in zip(outs, expected, strict=True):
        assert got.format == fmt and got.nnz == value.nnz
        np.testing.assert_allclose(got.toarray(), want)


def test_sqrt_refuses_integers():
    with pytest.raises(TypeError, match="must be floating point, got int64"):
        S.sqrt(S.csr_matrix("x", "int64"))


@pytest.mark.parametrize("fmt", FORMATS)
def test_mul_and_add_agree_with_numpy(fmt):
    a, b = random_sparse(fmt), random_sparse(fmt, seed=3)
    d = np.random.default_rng(4).normal(size=a.shape)
    x, y, e = S.matrix(fmt, "x"), S.matrix(fmt, "y"), ac.dmatrix("e")
    outs = run([x, y, e], [x * e, S.mul(e, x), x * y, x + y, S.mul(x, ac.as_tensor(2.0))], a, b, d)
    for got, want in zip(outs, [a.toarray() * d, a.toarray() * d, a.toarray() * b.toarray(),
                                a.toarray() + b.toarray(), 2 * a.toarray()], strict=True):
        assert got.format == fmt
        np.testing.assert_allclose(got.toarray(), want)
    assert outs[0].nnz <= a.nnz


def test_mul_and_add_name_mismatched_formats_dtypes_and_shapes():
    x = S.csr_matrix("x")
    with pytest.raises(TypeError, match=r"add: y must be a float64 csr sparse matrix like the first operand, got "
                                        r"float64\[csc\]"):
        x + S.csc_matrix("y")
    with pytest.raises(TypeError, match="mul: the dense operand must have dtype float64"):
        x * ac.fmatrix("d")
    y = S.csr_matrix("y")
    with pytest.raises(ValueError, match=r"the second operand must have the first's shape \(6, 5\), got \(5, 5\)"):
        run([x, y], x + y, random_sparse("csr"), random_sparse("csr", (5, 5)))
    with pytest.raises(ValueError, match=r"does not broadcast to the sparse operand's shape \(6, 5\)"):
        run([y], y * np.ones((6, 4)), random_sparse("csr"))


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("axis", [None, 0, 1, -1])
@pytest.mark.parametrize("dtype", ["float64", "float32", "int32", "bool"])
def test_sp_sum_agrees_with_numpy(fmt, axis, dtype):
    dense = random_sparse("csr").toarray()
    value = sp.csr_matrix((dense * 3).astype(dtype)).asformat(fmt)
    x = S.matrix(fmt, "x", dtype)
    got = run([x], x.sum(axis), value)
    want = np.sum(value.toarray(), axis=axis)
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_sp_sum_refuses_an_axis_a_matrix_lacks():
    with pytest.raises(ValueError, match="axis must be None, 0 or 1 for a matrix, got 2"):
        S.sp_sum(S.csr_matrix("x"), 2)


# -- shapes and the conformance mechanism -------------------------------------------------------------------


def test_shapes_are_inferred_without_computing_the_ops():
    d, e = ac.dmatrix("d"), ac.dmatrix("e")
    x = S.csr_from_dense(d)
    out = S.structured_dot(x, e)
    rows = S.sp_sum(S.transpose(x), 0)
    f = ac.function([d, e], [*infer_shape(out), *infer_shape(rows), Shape()(x.T)],
                    mode="reference", on_unused_input="ignore")
    r = f(np.ones((4, 3)), np.ones((3, 2)))
    assert [int(v) for v in r[:3]] == [4, 2, 4] and list(r[3]) == [3, 4]


def test_cases_declare_the_backends_that_cannot_run_them():
    case = cases("sparse.neg")[0]
    assert "cuda" in case.unsupported_backends
    with pytest.raises(CaseSkipped, match="sparse.neg is not run on the cuda backend: sparse matrices"):
        run_case(case, mode=ac.Mode(backend="cuda"))
    assert run_case(case, mode="reference") > 0


def test_the_checking_mode_compares_sparse_results():
    x, d = S.csr_matrix("x"), ac.dmatrix("d")
    f = ac.function([x, d], [S.structured_dot(S.sqr(x), d), S.sqr(x) + x, x.T],
                    mode=ac.Mode(options={"check": True}))
    value = random_sparse("csr")
    product, total, transposed = f(value, np.ones((5, 2)))
    np.testing.assert_allclose(product, (value.toarray() ** 2) @ np.ones((5, 2)))
    assert total.format == "csr" and transposed.format == "csc"
