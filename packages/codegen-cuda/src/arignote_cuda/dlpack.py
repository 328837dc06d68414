"""DLPack capsules of device memory, made and read with ctypes: what ``DeviceArray.__dlpack__`` hands another
library, and what ``from_dlpack`` takes from one.

A capsule made here holds a ``DLManagedTensor`` (named "dltensor"), or a ``DLManagedTensorVersioned``
("dltensor_versioned", DLPack 1.0) when the consumer asks for ``max_version`` (1, 0) or later. The structs, the
shape and strides they point to and the exported array are kept in a table until the consumer calls the
deleter (or, for a capsule never consumed, until the capsule is garbage), so the memory outlives the array's
last Python reference for as long as the consumer holds it. A capsule read here is renamed ("used_dltensor") as
the protocol asks, and its producer's deleter is called once when the ``ImportedTensor`` is garbage.
"""

from __future__ import annotations

import ctypes
import threading
import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np

#: DLPack's device type of CUDA memory (``kDLCUDA``)
KDL_CUDA = 2
#: ``DLManagedTensorVersioned.flags``: the consumer must not write the memory; the producer copied it
FLAG_READ_ONLY, FLAG_IS_COPIED = 1, 2
#: the version of the versioned struct made here
VERSION = (1, 0)

#: DLPack's type codes (``DLDataTypeCode``) by NumPy kind, and back
_CODES = {"i": 0, "u": 1, "f": 2, "c": 5, "b": 6}
_KINDS = {code: kind for kind, code in _CODES.items()}

_LEGACY, _VERSIONED, _USED_LEGACY, _USED_VERSIONED = (ctypes.create_string_buffer(name) for name in (
    b"dltensor", b"dltensor_versioned", b"used_dltensor", b"used_dltensor_versioned"))


class DLDevice(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


class DLDataType(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint8), ("bits", ctypes.c_uint8), ("lanes", ctypes.c_uint16)]


class DLTensor(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("device", DLDevice), ("ndim", ctypes.c_int32), ("dtype", DLDataType),
                ("shape", ctypes.POINTER(ctypes.c_int64)), ("strides", ctypes.POINTER(ctypes.c_int64)),
                ("byte_offset", ctypes.c_uint64)]


#: the deleter both structs hold: ``void (*)(DLManagedTensor *)``
_Deleter = ctypes.CFUNCTYPE(None, ctypes.c_void_p)


class DLManagedTensor(ctypes.Structure):
    _fields_ = [("dl_tensor", DLTensor), ("manager_ctx", ctypes.c_void_p), ("deleter", ctypes.c_void_p)]


class DLPackVersion(ctypes.Structure):
    _fields_ = [("major", ctypes.c_uint32), ("minor", ctypes.c_uint32)]


class DLManagedTensorVersioned(ctypes.Structure):
    _fields_ = [("version", DLPackVersion), ("manager_ctx", ctypes.c_void_p), ("deleter", ctypes.c_void_p),
                ("flags", ctypes.c_uint64), ("dl_tensor", DLTensor)]


def _api() -> ctypes.PyDLL:
    """CPython's capsule functions, as function objects of our own (``ctypes.pythonapi``'s are shared, and their
    ``argtypes`` with them)."""
    api = ctypes.PyDLL(ctypes.pythonapi._name, handle=ctypes.pythonapi._handle)
    api.PyCapsule_New.restype = ctypes.py_object
    api.PyCapsule_New.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
    api.PyCapsule_IsValid.restype = ctypes.c_int
    api.PyCapsule_IsValid.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    api.PyCapsule_GetPointer.restype = ctypes.c_void_p
    api.PyCapsule_GetPointer.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    api.PyCapsule_SetName.restype = ctypes.c_int
    api.PyCapsule_SetName.argtypes = [ctypes.py_object, ctypes.c_char_p]
    return api


_PY = _api()

#: what each exported struct keeps alive, by the struct's address (the producer's ``manager_ctx``)
_EXPORTED: dict[int, tuple[Any, ...]] = {}
_LOCK = threading.Lock()


def _release(managed: int | None) -> None:
    with _LOCK:
        _EXPORTED.pop(managed or 0, None)


#: the deleter of every struct made here: it drops what the table keeps for it
_DELETER = _Deleter(_release)


@ctypes.CFUNCTYPE(None, ctypes.c_void_p)
def _capsule_destructor(capsule: int) -> None:
    """A capsule never consumed still holds its tensor: release it (a consumed one was renamed)."""
    for name in (_LEGACY, _VERSIONED):
        if _PY.PyCapsule_IsValid(capsule, name):
            _release(_PY.PyCapsule_GetPointer(capsule, name))


def dl_dtype(dtype: np.dtype) -> tuple[int, int]:
    """DLPack's type code and bits of ``dtype`` (BufferError for one DLPack has no code for)."""
    if dtype.kind not in _CODES or not dtype.isnative:
        raise BufferError(f"DLPack has no type for {dtype}")
    return _CODES[dtype.kind], dtype.itemsize * 8


def numpy_dtype(code: int, bits: int, lanes: int) -> np.dtype:
    """The NumPy dtype of DLPack's ``(code, bits, lanes)`` (TypeError for one NumPy has no dtype for)."""
    kind = _KINDS.get(code)
    if kind is None or lanes != 1 or bits % 8:
        raise TypeError(f"DLPack type (code {code}, {bits} bits, {lanes} lanes) has no NumPy dtype here")
    return np.dtype("?" if kind == "b" else f"{kind}{bits // 8}")


def make_capsule(keep: Any, pointer: int, shape: tuple[int, ...], strides: tuple[int, ...], dtype: np.dtype,
                 device: tuple[int, int], versioned: bool, flags: int = 0) -> Any:
    """A capsule of the tensor at device ``pointer`` (``strides`` in elements), keeping ``keep`` alive until its
    consumer calls the deleter."""
    code, bits = dl_dtype(dtype)
    shape_array = (ctypes.c_int64 * max(len(shape), 1))(*shape)
    strides_array = (ctypes.c_int64 * max(len(strides), 1))(*strides)
    managed: DLManagedTensor | DLManagedTensorVersioned
    managed = DLManagedTensorVersioned() if versioned else DLManagedTensor()
    tensor = managed.dl_tensor
    tensor.data = pointer or None
    tensor.device = DLDevice(*device)
    tensor.ndim = len(shape)
    tensor.dtype = DLDataType(code, bits, 1)
    tensor.shape = ctypes.cast(shape_array, ctypes.POINTER(ctypes.c_int64))
    tensor.strides = ctypes.cast(strides_array, ctypes.POINTER(ctypes.c_int64))
    tensor.byte_offset = 0
    address = ctypes.addressof(managed)
    managed.manager_ctx = address
    managed.deleter = ctypes.cast(_DELETER, ctypes.c_void_p).value
    if isinstance(managed, DLManagedTensorVersioned):
        managed.version = DLPackVersion(*VERSION)
        managed.flags = flags
    with _LOCK:
        _EXPORTED[address] = (keep, managed, shape_array, strides_array)
    destructor = ctypes.cast(_capsule_destructor, ctypes.c_void_p).value
    return _PY.PyCapsule_New(address, _VERSIONED if versioned else _LEGACY, destructor)


def exported(managed: int) -> Any:
    """What the struct at ``managed`` keeps alive when it was made here (None otherwise)."""
    with _LOCK:
        kept = _EXPORTED.get(managed)
    return None if kept is None else kept[0]


def exported_count() -> int:
    """How many structs made here no consumer has released yet."""
    with _LOCK:
        return len(_EXPORTED)


def _call_deleter(deleter: int, managed: int) -> None:
    _Deleter(deleter)(managed)


@dataclass(frozen=True)
class ImportedTensor:
    """A tensor read from a consumed capsule: element 0 at ``pointer``, ``strides`` in bytes (None: C order),
    ``producer`` what the producer keeps alive when it was made here. The producer's deleter is called once,
    when this object is garbage."""

    pointer: int
    device: tuple[int, int]
    shape: tuple[int, ...]
    strides: tuple[int, ...] | None
    dtype: np.dtype
    readonly: bool
    producer: Any


def read_capsule(capsule: Any) -> ImportedTensor:
    """Consume ``capsule`` (a "dltensor" or "dltensor_versioned" one): its tensor, which now owns the producer's
    deleter (TypeError for anything else, a version this reads not, or a type NumPy has no dtype for)."""
    address = id(capsule)
    if _PY.PyCapsule_IsValid(address, _VERSIONED):
        managed = _PY.PyCapsule_GetPointer(address, _VERSIONED)
        versioned = DLManagedTensorVersioned.from_address(managed)
        if versioned.version.major > VERSION[0]:
            raise TypeError(f"a DLPack {versioned.version.major}.{versioned.version.minor} tensor: this reads "
                            f"DLPack {VERSION[0]}.x")
        tensor, deleter, flags, used = versioned.dl_tensor, versioned.deleter, int(versioned.flags), _USED_VERSIONED
    elif _PY.PyCapsule_IsValid(address, _LEGACY):
        managed = _PY.PyCapsule_GetPointer(address, _LEGACY)
        legacy = DLManagedTensor.from_address(managed)
        tensor, deleter, flags, used = legacy.dl_tensor, legacy.deleter, 0, _USED_LEGACY
    else:
        raise TypeError(f"not a DLPack capsule, or one already consumed: {capsule!r}")
    dtype = numpy_dtype(tensor.dtype.code, tensor.dtype.bits, tensor.dtype.lanes)
    shape = tuple(tensor.shape[d] for d in range(tensor.ndim))
    strides = None if not tensor.strides else tuple(tensor.strides[d] * dtype.itemsize for d in range(tensor.ndim))
    imported = ImportedTensor((tensor.data or 0) + tensor.byte_offset,
                              (tensor.device.device_type, tensor.device.device_id), shape, strides, dtype,
                              bool(flags & FLAG_READ_ONLY), exported(managed))
    _PY.PyCapsule_SetName(capsule, used)
    if deleter:
        weakref.finalize(imported, _call_deleter, deleter, managed)
    return imported
