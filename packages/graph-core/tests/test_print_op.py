"""The ``Print`` op (Theano's ``theano.printing.Print``) on the reference evaluator: it passes its input on
unchanged and prints the message and the value (or the attributes asked for) once per call, at run time."""

import pickle

import numpy as np
import pytest

import arignote_core as ac
from arignote_core.debugprint import Print, print_attributes
from arignote_core.mode import Mode


def _lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return capsys.readouterr().out.splitlines()


def test_importable_where_theano_users_look() -> None:
    assert ac.Print is Print and ac.printing.Print is Print
    assert str(Print("here")) == "Print{here}"


def test_prints_the_value_once_per_call_and_passes_it_on(capsys: pytest.CaptureFixture[str]) -> None:
    x = ac.dvector("x")
    f = ac.function([x], Print("value")(x) * 2)
    assert _lines(capsys) == []  # nothing at compile time
    np.testing.assert_array_equal(f(np.array([1.0, 2.0])), [2.0, 4.0])
    assert _lines(capsys) == ["value __str__ = [1. 2.]"]
    f(np.array([3.0]))
    f(np.array([4.0]))
    assert _lines(capsys) == ["value __str__ = [3.]", "value __str__ = [4.]"]


@pytest.mark.parametrize(("dtype", "shape"), [("float32", (2, 3)), ("int64", (0,)), ("complex128", ()),
                                              ("bool", (3, 1)), ("float64", (4, 5))])
def test_attributes_of_any_dtype_and_shape(capsys: pytest.CaptureFixture[str], dtype: str, shape: tuple[int, ...]
                                           ) -> None:
    x = ac.tensor(dtype, (None,) * len(shape), name="x")
    f = ac.function([x], Print("x is", attrs=["shape", "dtype"])(x))
    value = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    out = f(value)
    np.testing.assert_array_equal(out, value)
    assert out.dtype == value.dtype and out is not value  # the function copies a view of its input
    assert _lines(capsys) == [f"x is shape = {shape}", f"x is dtype = {dtype}"]


def test_non_contiguous_view_and_nan(capsys: pytest.CaptureFixture[str]) -> None:
    x = ac.dmatrix("x")
    f = ac.function([x], Print("t", attrs=("sum",))(x).T + 1)
    value = np.arange(12.0).reshape(3, 4)[:, ::2]
    value[0, 0] = np.nan
    np.testing.assert_array_equal(f(value), value.T + 1)
    assert _lines(capsys) == ["t sum = nan"]


def test_global_fn_is_called_with_the_op_and_the_value() -> None:
    seen = []
    op = Print("m", global_fn=lambda op, value: seen.append((op.message, value.copy())))
    x = ac.dvector("x")
    f = ac.function([x], op(x).sum())
    assert float(f(np.array([1.0, 2.0]))) == 3.0
    assert [m for m, _ in seen] == ["m"]
    np.testing.assert_array_equal(seen[0][1], [1.0, 2.0])


def test_two_messages_print_in_order_and_shapes_infer(capsys: pytest.CaptureFixture[str]) -> None:
    x = ac.dvector("x")
    y = Print("second")(Print("first")(x) + 1)
    f = ac.function([x], [y, y.shape[0]])
    out, size = f(np.zeros(2))
    np.testing.assert_array_equal(out, [1.0, 1.0])
    assert int(size) == 2
    assert _lines(capsys) == ["first __str__ = [0. 0.]", "second __str__ = [1. 1.]"]


def test_constant_input_prints_at_run_time(capsys: pytest.CaptureFixture[str]) -> None:
    f = ac.function([], Print("c")(ac.as_tensor(np.array([7.0]))))
    assert _lines(capsys) == []
    np.testing.assert_array_equal(f(), [7.0])
    assert _lines(capsys) == ["c __str__ = [7.]"]


def test_attrs_must_be_names_and_props_compare() -> None:
    with pytest.raises(TypeError, match="attrs is a sequence of attribute names"):
        Print("m", attrs="shape")  # type: ignore[arg-type]
    assert Print("a", ["shape"]) == Print("a", ("shape",))
    assert Print("a") != Print("b") and hash(Print("a")) == hash(Print("a"))


def test_checked_mode_accepts_the_declared_view(capsys: pytest.CaptureFixture[str]) -> None:
    x = ac.dvector("x")
    f = ac.function([x], Print("v")(x) * 3, mode=Mode(options={"check": True, "nan_guard": True}))
    np.testing.assert_array_equal(f(np.array([1.0])), [3.0])
    assert "v __str__ = [1.]" in _lines(capsys)  # checking runs the node's perform again: it may print more


def test_a_function_with_print_pickles(capsys: pytest.CaptureFixture[str]) -> None:
    x = ac.dvector("x")
    g = pickle.loads(pickle.dumps(ac.function([x], Print("p")(x) + 1)))
    np.testing.assert_array_equal(g(np.array([1.0])), [2.0])
    assert _lines(capsys) == ["p __str__ = [1.]"]
    assert g.fgraph.toposort()[0].op.global_fn is print_attributes


def test_gradient_is_the_identity_and_not_printed(capsys: pytest.CaptureFixture[str]) -> None:
    grad = pytest.importorskip("arignote_grad")
    x = ac.dvector("x")
    g = ac.function([x], grad.grad((Print("g")(x) ** 2).sum(), x))
    np.testing.assert_array_equal(g(np.array([1.0, 2.0])), [2.0, 4.0])
    assert _lines(capsys) == ["g __str__ = [1. 2.]"]
    grad.verify_grad(lambda v: Print("v", global_fn=lambda op, value: None)(v) * v, [np.array([0.5, -1.5])],
                     rng=0)
    v = ac.dvector("v")
    r = ac.function([x, v], grad.Rop(Print("r")(x) * x, x, v))  # forward mode: the identity too
    np.testing.assert_array_equal(r(np.array([1.0, 2.0]), np.array([1.0, -1.0])), [2.0, -4.0])
    assert _lines(capsys) == ["r __str__ = [1. 2.]"]
