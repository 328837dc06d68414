"""Other libraries' arrays as inputs (DLPack, the array interfaces) read without a copy, device memory refused by
name, ndarrays passed as before; outputs taken by ``numpy.from_dlpack``, PyTorch and JAX."""

import importlib
from typing import Any

import numpy as np
import pytest

import arignote_core as ac
from arignote_core import interop
from arignote_core.debugprint import Print

function_module = importlib.import_module("arignote_core.function")  # the package's ``function`` is the function


class DLPackOnly:
    """An array offering only DLPack (as a foreign library's would), backed by an ndarray."""

    def __init__(self, array: np.ndarray, device: tuple[int, int] = (1, 0)) -> None:
        self._array = array
        self._device = device

    def __dlpack__(self, **kwargs: Any) -> Any:
        return self._array.__dlpack__(**kwargs)

    def __dlpack_device__(self) -> tuple[int, int]:
        return self._device


class InterfaceOnly:
    """An array offering only ``__array_interface__``."""

    def __init__(self, array: np.ndarray) -> None:
        self.keep = array
        self.__array_interface__ = array.__array_interface__


class CudaOnly:
    """What a CUDA array looks like from the host: ``__cuda_array_interface__``."""

    __cuda_array_interface__ = {"shape": (2,), "typestr": "<f8", "data": (0, False), "version": 3}


def _seen_by_identity(mode: Any = None) -> tuple[Any, list[np.ndarray]]:
    """A function returning its input through a Print that records the value it is given."""
    seen: list[np.ndarray] = []
    x = ac.dvector("x")
    return ac.function([x], Print("", global_fn=lambda op, value: seen.append(value))(x) * 1.0, mode=mode), seen


@pytest.mark.parametrize("wrap", [DLPackOnly, InterfaceOnly], ids=["dlpack", "array_interface"])
def test_host_arrays_are_read_without_a_copy(wrap: Any) -> None:
    f, seen = _seen_by_identity()
    base = np.arange(6.0)[::2]  # not contiguous: viewed as it is
    np.testing.assert_array_equal(f(wrap(base)), base)
    assert np.shares_memory(seen[-1], base)
    assert isinstance(interop.host_array(wrap(base)), np.ndarray)


def test_dtype_conversion_and_shape_errors_name_the_input() -> None:
    x = ac.dvector("x")
    f = ac.function([x], x + 1)
    np.testing.assert_array_equal(f(DLPackOnly(np.arange(3, dtype="float32"))), [1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match=r"bad input 'x' \(argument 0\).*wrong number of dimensions"):
        f(DLPackOnly(np.zeros((2, 2))))
    with pytest.raises(TypeError, match="bad input 'x'.*could lose precision"):
        f(InterfaceOnly(np.zeros(2, dtype="complex128")))


@pytest.mark.parametrize(("value", "where"), [
    (CudaOnly(), "CUDA device memory"),
    (DLPackOnly(np.zeros(2), device=(2, 1)), r"CUDA memory \(device 1\)"),
    (DLPackOnly(np.zeros(2), device=(10, 0)), "ROCm memory"),
    (DLPackOnly(np.zeros(2), device=(99, 0)), "DLPack device type 99"),
])
def test_device_memory_is_refused_by_name(value: Any, where: str) -> None:
    x = ac.dvector("x")
    f = ac.function([x], x + 1)
    with pytest.raises(TypeError, match=rf"bad input 'x' \(argument 0\) to function: a \w+ in {where}.*"
                                        r"read host memory"):
        f(value)
    with pytest.raises(TypeError, match="bad input 'x'"):
        f(x=value)


def test_an_export_that_fails_is_a_type_error() -> None:
    class Refusing(DLPackOnly):
        def __dlpack__(self, **kwargs: Any) -> Any:
            raise BufferError("cannot export")

    x = ac.dvector("x")
    f = ac.function([x], x * 2)
    with pytest.raises(TypeError, match="NumPy cannot read through DLPack.*BufferError: cannot export"):
        f(Refusing(np.zeros(1)))


def test_plain_values_never_reach_the_conversion(monkeypatch: pytest.MonkeyPatch) -> None:
    x = ac.dvector("x")
    f = ac.function([x], x * 2)

    def refuse(value: Any) -> Any:
        raise AssertionError("an ndarray of the input's type must take the fast path")

    monkeypatch.setattr(function_module, "host_array", refuse)
    np.testing.assert_array_equal(f(np.ones(2)), [2.0, 2.0])
    assert interop.host_array([1.0]) == [1.0] and interop.host_array(2) == 2


def test_outputs_go_out_through_dlpack() -> None:
    x = ac.dvector("x")
    out = ac.function([x], x * 2)(np.arange(3.0))
    np.testing.assert_array_equal(np.from_dlpack(out), [0.0, 2.0, 4.0])
    torch = pytest.importorskip("torch")
    t = torch.from_dlpack(out)
    assert t.dtype == torch.float64 and t.tolist() == [0.0, 2.0, 4.0]
    assert t.data_ptr() == out.ctypes.data  # the same memory


def test_torch_and_jax_inputs() -> None:
    torch = pytest.importorskip("torch")
    f, seen = _seen_by_identity()
    t = torch.arange(4, dtype=torch.float64)
    np.testing.assert_array_equal(f(t), [0.0, 1.0, 2.0, 3.0])
    assert seen[-1].ctypes.data == t.data_ptr()
    jnp = pytest.importorskip("jax.numpy")
    jax = pytest.importorskip("jax")
    v = ac.fvector("v")
    h = ac.function([v], v * 2)
    np.testing.assert_array_equal(h(jnp.arange(3, dtype=jnp.float32)), [0.0, 2.0, 4.0])
    back = jax.dlpack.from_dlpack(h(np.ones(2, dtype="float32")))
    assert back.tolist() == [2.0, 2.0]
