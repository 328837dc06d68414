"""Inputs are checked against their types; every kind of bad input gets an error naming it."""

import numpy as np
import pytest

import arignote_core as ac


@pytest.fixture
def f():
    x = ac.tensor("float32", (None, 3), name="x")
    n = ac.iscalar("n")
    return ac.function([x, n], x.sum() * n)


def test_good_inputs_are_converted_when_nothing_is_lost(f):
    assert f(np.ones((2, 3), np.float32), 2) == 12.0
    assert f([[1.0, 2.0, 3.0]], np.int8(1)) == 6.0  # Python floats go into float32, int8 into int32
    assert f(np.ones((2, 3), np.int16), 1) == 6.0  # int16 -> float32 is a safe cast


@pytest.mark.parametrize("value, fragment", [
    (np.ones((2, 3), np.float64), "casting float64 to float32 could lose precision"),
    (np.ones(3, np.float32), "wrong number of dimensions (1 instead of 2)"),
    (np.ones((2, 4), np.float32), "dimension 1 has size 4, the type requires 3"),
    ("hello", "not a numeric array"),
    ({"a": 1}, "not a numeric array"),
    (np.array(["a", "b"]), "not a numeric array"),
])
def test_bad_first_input(f, value, fragment):
    with pytest.raises(TypeError) as info:
        f(value, 1)
    message = str(info.value)
    assert "'x' (argument 0)" in message
    assert "expected float32 array of shape (?, 3)" in message
    assert fragment in message


@pytest.mark.parametrize("value, fragment", [
    (1.5, "would lose information"),
    (2**40, "would lose information"),
    (np.int64(3), "casting int64 to int32 could lose precision"),
    (1 + 2j, "would lose information"),
])
def test_values_that_lose_precision(f, value, fragment):
    with pytest.raises(TypeError, match="'n' \\(argument 1\\)") as info:
        f(np.ones((1, 3), np.float32), value)
    assert fragment in str(info.value)


def test_allow_input_downcast():
    x = ac.fvector("x")
    g = ac.function([x], x * 2, allow_input_downcast=True)
    out = g(np.array([1.0, 2.0]))
    assert out.dtype == np.float32


def test_wrong_number_of_arguments_and_names(f):
    with pytest.raises(TypeError, match="missing input 'n' \\(argument 1\\)"):
        f(np.ones((1, 3), np.float32))
    with pytest.raises(TypeError, match="takes 2 inputs, got 3"):
        f(1, 2, 3)
    with pytest.raises(TypeError, match="no input named 'm'"):
        f(np.ones((1, 3), np.float32), m=2)
    assert f(x=np.ones((1, 3), np.float32), n=3) == 9.0


def test_defaults_and_keywords():
    x, y = ac.dscalar("x"), ac.dscalar("y")
    g = ac.function([x, ac.In(y, value=10.0, name="offset")], x + y)
    assert g(1.0) == 11.0
    assert g(1.0, offset=2.0) == 3.0
    with pytest.raises(TypeError, match="both by position and by name"):
        g(1.0, 2.0, offset=3.0)


def test_trust_input_skips_checks():
    x = ac.dvector("x")
    g = ac.function([x], x + 1, trust_input=True)
    np.testing.assert_array_equal(g(np.arange(3.0)), np.arange(3.0) + 1)


def test_bad_function_arguments():
    x = ac.dvector("x")
    with pytest.raises(TypeError, match="is a constant"):
        ac.function([ac.constant(1.0)], x)
    with pytest.raises(TypeError, match="is computed by"):
        ac.function([x + 1], x)
    with pytest.raises(ValueError, match="not used"):
        ac.function([x, ac.dvector("unused")], x)
    assert ac.function([x, ac.dvector("u")], x, on_unused_input="ignore")([1.0], [2.0]) == [1.0]
    with pytest.raises(ac.MissingInputError, match="not among the inputs"):
        ac.function([x], x + ac.dvector("y"))


def test_shared_set_value_is_checked():
    w = ac.shared(np.zeros(3), name="w")
    with pytest.raises(TypeError, match="set_value of shared variable w"):
        w.set_value(np.zeros((2, 2)))
    w.set_value([1, 2, 3])
    np.testing.assert_array_equal(w.get_value(), [1.0, 2.0, 3.0])


def test_report_of_a_backend_without_one_says_so() -> None:
    x = ac.dvector("x")
    assert ac.function([x], x + 1, name="inc").report() == "function 'inc': the reference backend keeps no report"
    f = ac.function([x], x + 1, name="inc", profile=True)  # graph-core profiles it (test_profile_modes.py)
    assert f.mode.options["profile"] is True
    assert f.report() == "Arignote reference backend: 1 nodes\nProfile: no call yet."


class _CountingEntry:
    """What a backend's ``entry`` returns: called with the input values as arguments (not a descriptor)."""

    def __init__(self, program, single, fallback):
        self.program, self.single, self.fallback, self.calls = program, single, fallback, 0

    def __call__(self, *args, **kwargs):
        if kwargs or len(args) != self.program.n_inputs:
            return self.fallback(*args, **kwargs)
        self.calls += 1
        results = self.program(list(args))
        return results[0] if self.single else results


class _ProgramWithEntry:
    def __init__(self, fgraph):
        from arignote_core.evaluator import ReferenceProgram

        self.reference = ReferenceProgram(fgraph)
        self.n_inputs = len(fgraph.inputs)
        self.entries = []
        self.filter = None

    def set_input_filter(self, filter):  # this executable checks (here: converts) its inputs itself
        self.filter = filter

    def __call__(self, values):
        return self.reference([self.filter(i, v) for i, v in enumerate(values)])

    def entry(self, single, fallback):
        self.entries.append(_CountingEntry(self, single, fallback))
        return self.entries[-1]


class _BackendWithEntry:
    name = "with-entry"

    def compile(self, fgraph, mode):
        return _ProgramWithEntry(fgraph)


def test_an_executable_entry_becomes_the_call():
    """A pure function's call goes to its executable's ``entry``; other calls, pickling and copies still work."""
    import copy
    import pickle

    from arignote_core.mode import Mode

    x, y = ac.dvector("x"), ac.dvector("y")
    f = ac.function([x, ac.In(y, value=np.ones(2))], x * y, mode=Mode(backend=_BackendWithEntry()))
    entry = f.executable.entries[-1]
    np.testing.assert_array_equal(f(np.arange(2.0), np.full(2, 3.0)), [0.0, 3.0])
    assert entry.calls == 1 and entry.single
    np.testing.assert_array_equal(f(np.arange(2.0)), [0.0, 1.0])  # the default: the general path
    np.testing.assert_array_equal(f(y=np.zeros(2), x=np.ones(2)), [0.0, 0.0])
    assert entry.calls == 1
    assert isinstance(f, ac.Function)
    for again in (pickle.loads(pickle.dumps(f)), copy.deepcopy(f)):
        np.testing.assert_array_equal(again(np.ones(2), np.full(2, 2.0)), [2.0, 2.0])
        assert again.executable.entries[-1].calls == 1
    # with shared variables the general path runs: the entry is not installed
    w = ac.shared(np.ones(2), name="w")
    g = ac.function([x], x * w, mode=Mode(backend=_BackendWithEntry()))
    assert not g.executable.entries and type(g) is ac.Function


def test_tensor_takes_theano_and_pytensor_call_forms():
    for x in (ac.tensor("float32", (None, 3), "x"), ac.tensor(dtype="float32", shape=(None, 3), name="x"),
              ac.tensor("x", dtype="float32", shape=(None, 3))):
        assert (x.name, x.type.dtype, x.type.shape) == ("x", "float32", (None, 3))
    assert ac.tensor().type == ac.dscalar().type
    with pytest.raises(TypeError, match=r"tensor\('x', dtype="):
        ac.tensor("x", shape=(3,))
    with pytest.raises(TypeError, match="name is given twice"):
        ac.tensor("x", dtype="float64", name="y")
    with pytest.raises(TypeError, match="name must be a string"):
        ac.tensor(3, dtype="float64")


def test_an_input_whose_own_conversion_fails_is_a_bad_input():
    """An object whose __array__ raises is named as the bad input, with what it raised."""

    class Broken:
        def __array__(self, *args, **kwargs):
            raise RuntimeError("no array today")

    x = ac.dvector("x")
    f = ac.function([x], x * 2)
    with pytest.raises(TypeError, match=r"bad input 'x' \(argument 0\).*not array-like \(RuntimeError: no array"):
        f(Broken())


class _DeviceValue:
    """An array of a backend's own memory, as a GPU backend's device arrays are to graph-core."""

    def __init__(self, host):
        self.host = host


class _DeviceBackend:
    """Doubles its input; takes ``_DeviceValue``s as they are (``accepts_device_input``)."""

    name = "device-test"

    def compile(self, fgraph, mode):
        def run(values):
            value = values[0]
            return [np.asarray(value.host if isinstance(value, _DeviceValue) else value) * 2]

        run.accepts_device_input = lambda value: isinstance(value, _DeviceValue)
        return run


def test_a_backend_may_take_its_own_device_arrays_as_inputs_as_they_are():
    x = ac.dvector("x")
    f = ac.function([x], x, mode=ac.Mode(backend=_DeviceBackend()))
    np.testing.assert_array_equal(f(_DeviceValue(np.array([1.0, 2.0]))), [2.0, 4.0])
    np.testing.assert_array_equal(f([1.0, 3.0]), [2.0, 6.0])  # host values are converted as before
    with pytest.raises(TypeError, match="bad input"):
        f(object())  # what the backend does not take is refused as before
