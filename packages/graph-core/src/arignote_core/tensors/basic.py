"""Building tensors: ``as_tensor``, constructors (``dmatrix``...), and the shape-making ops."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..dtypes import as_dtype, is_integer, result_dtype, weak_spec
from ..graph import Apply, Constant, Op, Variable, dtype_spec, shared_constant
from ..scalars import Cast
from .type import TensorType
from .variable import TensorConstant, TensorVariable


def constant(value: Any, dtype: Any = None, name: str | None = None) -> TensorConstant:
    """A constant tensor; Python scalars give weak constants (NumPy 2 promotion)."""
    weak = dtype is None and type(value) in (bool, int, float, complex)
    if weak:
        weak_spec(value)
    array = np.asarray(value, dtype=dtype)
    if array.dtype.kind not in "biufc":
        raise TypeError(f"cannot make a tensor constant from {type(value).__name__} {value!r:.60}")
    result = TensorConstant(TensorType(array.dtype, array.shape), array, name=name, weak=weak)
    return shared_constant(result)  # type: ignore[return-value]


def as_tensor(value: Any, dtype: Any = None, name: str | None = None, ndim: int | None = None) -> TensorVariable:
    """``value`` as a symbolic tensor: tensors pass, sequences holding tensors are stacked, data is constant."""
    if isinstance(value, Variable):
        if not isinstance(value.type, TensorType):
            raise TypeError(f"expected a tensor, got {value} of type {value.type}")
        result: Any = value if dtype is None else cast(value, dtype)
    elif isinstance(value, list | tuple) and any(isinstance(v, Variable) for v in _flatten(value)):
        from .join import stack as stack_any  # noqa: PLC0415  (join builds on this module)

        result = stack_any([as_tensor(v) for v in value])
        if dtype is not None:
            result = cast(result, dtype)
    else:
        result = constant(value, dtype, name)
    if ndim is not None and result.ndim != ndim:
        raise TypeError(f"expected a {ndim}-d tensor, got {result} with {result.ndim} dimensions")
    return result


def _flatten(items: Any) -> list[Any]:
    if isinstance(items, list | tuple):
        return [leaf for item in items for leaf in _flatten(item)]
    return [items]


def tensor(first: Any = None, /, shape: Sequence[int | None] = (), name: str | None = None, *,
           dtype: Any = None) -> TensorVariable:
    """A symbolic input of ``dtype`` (float64 by default) with static ``shape`` (None for an unknown size).

    Theano's form, ``tensor(dtype, shape, name)``, takes the dtype first; PyTensor's, ``tensor(name, dtype=...,
    shape=...)``, the name: with ``dtype`` given by keyword, the first positional argument is the name.
    """
    if dtype is None:
        dtype = "float64" if first is None else first
    elif first is not None:
        if name is not None:
            raise TypeError(f"tensor: the name is given twice ({first!r} and name={name!r})")
        name = first
    if name is not None and not isinstance(name, str):
        raise TypeError(f"tensor: the name must be a string, got {type(name).__name__} {name!r}")
    try:
        ttype = TensorType(dtype, shape)
    except TypeError as exc:
        if dtype is first and isinstance(first, str):
            raise TypeError(f"{exc}. To name a tensor, give its dtype by keyword: tensor({first!r}, "
                            "dtype='float64', shape=(...))") from None
        raise
    return ttype.make_variable(name)  # type: ignore[return-value]


def _constructor(ndim: int, dtype: str | None, label: str) -> Any:
    def make(name: str | None = None, dtype: Any = dtype, shape: Sequence[int | None] | None = None) -> Any:
        static = (None,) * ndim if shape is None else tuple(shape)
        if len(static) != ndim:
            raise ValueError(f"{label} takes a shape of length {ndim}, got {static}")
        return tensor("float64" if dtype is None else dtype, static, name)

    make.__name__ = label
    make.__doc__ = f"A symbolic {ndim}-d {'tensor' if dtype is None else dtype} input."
    return make


_PREFIXES = {"b": "int8", "w": "int16", "i": "int32", "l": "int64", "f": "float32", "d": "float64",
             "c": "complex64", "z": "complex128"}
_KINDS = {"scalar": 0, "vector": 1, "matrix": 2, "tensor3": 3, "tensor4": 4, "tensor5": 5}

#: scalar, vector, ..., and Theano's typed forms dscalar, fmatrix, ivector, ...
CONSTRUCTORS: dict[str, Any] = {}
for _kind, _ndim in _KINDS.items():
    CONSTRUCTORS[_kind] = _constructor(_ndim, None, _kind)
    for _prefix, _dtype in _PREFIXES.items():
        CONSTRUCTORS[_prefix + _kind] = _constructor(_ndim, _dtype, _prefix + _kind)

# each by name, so that readers and type checkers see them (a test checks none is missing)
Constructor = Callable[..., TensorVariable]
scalar: Constructor = CONSTRUCTORS["scalar"]
bscalar: Constructor = CONSTRUCTORS["bscalar"]
wscalar: Constructor = CONSTRUCTORS["wscalar"]
iscalar: Constructor = CONSTRUCTORS["iscalar"]
lscalar: Constructor = CONSTRUCTORS["lscalar"]
fscalar: Constructor = CONSTRUCTORS["fscalar"]
dscalar: Constructor = CONSTRUCTORS["dscalar"]
cscalar: Constructor = CONSTRUCTORS["cscalar"]
zscalar: Constructor = CONSTRUCTORS["zscalar"]
vector: Constructor = CONSTRUCTORS["vector"]
bvector: Constructor = CONSTRUCTORS["bvector"]
wvector: Constructor = CONSTRUCTORS["wvector"]
ivector: Constructor = CONSTRUCTORS["ivector"]
lvector: Constructor = CONSTRUCTORS["lvector"]
fvector: Constructor = CONSTRUCTORS["fvector"]
dvector: Constructor = CONSTRUCTORS["dvector"]
cvector: Constructor = CONSTRUCTORS["cvector"]
zvector: Constructor = CONSTRUCTORS["zvector"]
matrix: Constructor = CONSTRUCTORS["matrix"]
bmatrix: Constructor = CONSTRUCTORS["bmatrix"]
wmatrix: Constructor = CONSTRUCTORS["wmatrix"]
imatrix: Constructor = CONSTRUCTORS["imatrix"]
lmatrix: Constructor = CONSTRUCTORS["lmatrix"]
fmatrix: Constructor = CONSTRUCTORS["fmatrix"]
dmatrix: Constructor = CONSTRUCTORS["dmatrix"]
cmatrix: Constructor = CONSTRUCTORS["cmatrix"]
zmatrix: Constructor = CONSTRUCTORS["zmatrix"]
tensor3: Constructor = CONSTRUCTORS["tensor3"]
btensor3: Constructor = CONSTRUCTORS["btensor3"]
wtensor3: Constructor = CONSTRUCTORS["wtensor3"]
itensor3: Constructor = CONSTRUCTORS["itensor3"]
ltensor3: Constructor = CONSTRUCTORS["ltensor3"]
ftensor3: Constructor = CONSTRUCTORS["ftensor3"]
dtensor3: Constructor = CONSTRUCTORS["dtensor3"]
ctensor3: Constructor = CONSTRUCTORS["ctensor3"]
ztensor3: Constructor = CONSTRUCTORS["ztensor3"]
tensor4: Constructor = CONSTRUCTORS["tensor4"]
btensor4: Constructor = CONSTRUCTORS["btensor4"]
wtensor4: Constructor = CONSTRUCTORS["wtensor4"]
itensor4: Constructor = CONSTRUCTORS["itensor4"]
ltensor4: Constructor = CONSTRUCTORS["ltensor4"]
ftensor4: Constructor = CONSTRUCTORS["ftensor4"]
dtensor4: Constructor = CONSTRUCTORS["dtensor4"]
ctensor4: Constructor = CONSTRUCTORS["ctensor4"]
ztensor4: Constructor = CONSTRUCTORS["ztensor4"]
tensor5: Constructor = CONSTRUCTORS["tensor5"]
btensor5: Constructor = CONSTRUCTORS["btensor5"]
wtensor5: Constructor = CONSTRUCTORS["wtensor5"]
itensor5: Constructor = CONSTRUCTORS["itensor5"]
ltensor5: Constructor = CONSTRUCTORS["ltensor5"]
ftensor5: Constructor = CONSTRUCTORS["ftensor5"]
dtensor5: Constructor = CONSTRUCTORS["dtensor5"]
ctensor5: Constructor = CONSTRUCTORS["ctensor5"]
ztensor5: Constructor = CONSTRUCTORS["ztensor5"]


def cast(x: Any, dtype: Any) -> TensorVariable:
    """``x`` converted to ``dtype`` (NumPy ``astype``); a no-op when it already has it."""
    from .elemwise import Elemwise  # noqa: PLC0415  (elemwise builds on this module)

    x = as_tensor(x)
    dtype = as_dtype(dtype)
    if x.dtype == dtype:
        return x
    return Elemwise(Cast(dtype))(x)


# -----------------------------------------------------------------------------------------------------------
# shape ops


def _index_scalar(value: Any, what: str) -> TensorVariable:
    """An int64 scalar tensor from an int or an integer scalar variable."""
    var = as_tensor(value)
    if var.ndim != 0 or not (is_integer(var.dtype) or var.dtype == "bool"):
        raise TypeError(f"{what} must be an integer scalar, got {var} of type {var.type}")
    return cast(var, "int64")


def static_int(var: Variable) -> int | None:
    """The value of an integer scalar known at graph-build time, else None."""
    value = static_value(var)
    return None if value is None else int(value)


@dataclass(frozen=True)
class Shape(Op):
    """The shape of a tensor (or of another value with a shape: a sparse matrix) as an int64 vector."""

    def make_node(self, x: Any) -> Apply:
        if not (isinstance(x, Variable) and not isinstance(x.type, TensorType) and hasattr(x.type, "ndim")):
            x = as_tensor(x)
        return Apply(self, [x], [TensorType("int64", (x.type.ndim,))])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        return [np.array(inputs[0].shape, dtype="int64")]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [(node.inputs[0].type.ndim,)]


def shape(x: Any) -> TensorVariable:
    """Symbolic shape of ``x`` (an int64 vector); constant where every size is static."""
    x = as_tensor(x)
    if all(s is not None for s in x.type.shape):
        return constant(np.array(x.type.shape, dtype="int64"))
    return Shape()(x)


@dataclass(frozen=True)
class MakeVector(Op):
    """A vector from scalars (``stack`` of 0-d tensors)."""

    dtype: str

    def make_node(self, *scalars: Any) -> Apply:
        items = [cast(as_tensor(s), self.dtype) for s in scalars]
        for s in items:
            if s.ndim != 0:
                raise TypeError(f"MakeVector takes scalars, got {s} with shape {s.type.shape}")
        return Apply(self, items, [TensorType(self.dtype, (len(items),))])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        return [np.array(inputs, dtype=self.dtype).reshape(len(inputs))]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [(len(node.inputs),)]


def stack(items: Sequence[Any]) -> TensorVariable:
    """Stack 0-d tensors into a vector (the general N-d ``stack`` comes with the op library)."""
    tensors = [as_tensor(v) for v in items]
    dtype = result_dtype(*[dtype_spec(t) for t in tensors])
    return MakeVector(dtype)(*tensors)


def _shape_vector(shape_value: Any) -> tuple[TensorVariable, tuple[int | None, ...]]:
    """A shape given as ints/scalars/a vector, as an int64 vector plus what is known statically of it."""
    if isinstance(shape_value, int | np.integer) or (isinstance(shape_value, Variable) and shape_value.type.ndim == 0):
        shape_value = (shape_value,)
    if isinstance(shape_value, list | tuple):
        items = [_index_scalar(v, "a shape entry") for v in shape_value]
        static = tuple(static_int(v) for v in items)
        if all(s is not None for s in static):
            return constant(np.array(static, dtype="int64")), static
        return MakeVector("int64")(*items), static
    vec = as_tensor(shape_value)
    if vec.ndim != 1 or vec.type.shape[0] is None or not is_integer(vec.dtype):
        raise TypeError(f"a shape must be a sequence or an integer vector of static length, got {vec} "
                        f"of type {vec.type}")
    vec = cast(vec, "int64")
    if isinstance(vec, Constant):
        return vec, tuple(int(v) for v in vec.data)
    length = vec.type.shape[0]
    assert length is not None  # checked above
    return vec, (None,) * length


@dataclass(frozen=True)
class Reshape(Op):
    """NumPy's ``reshape``; the new shape is an int64 vector input of static length ``ndim``."""

    ndim: int
    view_map: ClassVar[dict[int, list[int]]] = {0: [0]}

    def make_node(self, x: Any, shape_value: Any) -> Apply:
        x = as_tensor(x)
        vec, static = _shape_vector(shape_value)
        if len(static) != self.ndim:
            raise ValueError(f"Reshape{{{self.ndim}}} got a shape of length {len(static)}")
        out_shape = _static_reshape(x.type.shape, static)
        return Apply(self, [x, vec], [TensorType(x.dtype, out_shape)])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        x, new_shape = inputs
        return [np.reshape(x, tuple(int(s) for s in new_shape))]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        from . import math as tm  # noqa: PLC0415  (math builds on this module)

        total = math.prod(input_shapes[0]) if input_shapes[0] else 1
        entries = [node.inputs[1][i] for i in range(self.ndim)]  # type: ignore[index]
        if not entries:
            return [()]
        product = tm.prod(node.inputs[1])
        missing = tm.floor_divide(total, tm.where(tm.less(product, 0), -product, 1))
        return [tuple(tm.where(tm.equal(e, -1), missing, e) for e in entries)]

    def __str__(self) -> str:
        return f"Reshape{{{self.ndim}}}"


def _static_reshape(in_shape: tuple[int | None, ...], static: tuple[int | None, ...]) -> tuple[int | None, ...]:
    if static.count(-1) > 1:
        raise ValueError(f"reshape: can only specify one unknown dimension, got {static}")
    known_in = None if None in in_shape else math.prod(s for s in in_shape if s is not None)
    if -1 in static and known_in is not None and None not in static:
        rest = math.prod(s for s in static if s is not None and s != -1)
        if rest == 0 or known_in % rest:
            raise ValueError(f"cannot reshape an array of shape {in_shape} into shape {static}")
        return tuple(known_in // rest if s == -1 else s for s in static)
    if known_in is not None and None not in static and -1 not in static and \
            math.prod(s for s in static if s is not None) != known_in:
        raise ValueError(f"cannot reshape an array of shape {in_shape} into shape {static}")
    return tuple(None if s == -1 else s for s in static)


def reshape(x: Any, new_shape: Any, ndim: int | None = None) -> TensorVariable:
    """``x`` with shape ``new_shape`` (ints, scalar variables or an int vector; one entry may be -1)."""
    vec, static = _shape_vector(new_shape)
    return Reshape(len(static) if ndim is None else ndim)(x, vec)


@dataclass(frozen=True)
class ARange(Op):
    """NumPy's ``arange(start, stop, step)``."""

    dtype: str

    def make_node(self, start: Any, stop: Any, step: Any) -> Apply:
        inputs = [as_tensor(v) for v in (start, stop, step)]
        for v in inputs:
            if v.ndim != 0:
                raise TypeError(f"arange takes scalars, got {v} of shape {v.type.shape}")
        values = [static_value(v) for v in inputs]
        length = None
        if all(v is not None for v in values):
            if values[2] == 0:
                raise ValueError("arange: step must not be zero")
            length = len(np.arange(*values))
        return Apply(self, inputs, [TensorType(self.dtype, (length,))])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        start, stop, step = (np.asarray(v).item() for v in inputs)
        return [np.arange(start, stop, step, dtype=self.dtype)]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        from . import math as tm  # noqa: PLC0415  (math builds on this module)

        start, stop, step = node.inputs
        length = tm.ceil(tm.true_divide(tm.subtract(stop, start), step))
        return [(cast(tm.maximum(length, 0), "int64"),)]

    def __str__(self) -> str:
        return f"ARange{{{self.dtype}}}"


def static_value(var: Variable) -> Any:
    """The Python value of a 0-d constant, else None."""
    if isinstance(var, Constant) and np.ndim(var.data) == 0:
        return np.asarray(var.data).item()
    return None


def arange(start: Any = None, stop: Any = None, step: Any = 1, dtype: Any = None) -> TensorVariable:
    """NumPy's ``arange``: ``arange(stop)``, ``arange(start, stop[, step])``."""
    if start is None and stop is None:
        raise TypeError("arange() requires stop to be specified.")
    if stop is None:
        start, stop = 0, start
    elif start is None:
        start = 0
    inputs = [as_tensor(v) for v in (start, stop, step)]
    if dtype is None:
        dtype = result_dtype(*[dtype_spec(v) for v in inputs])
        dtype = "int64" if dtype == "bool" else dtype
    return ARange(as_dtype(dtype))(*inputs)


@dataclass(frozen=True)
class Alloc(Op):
    """A new array of the given shape filled with ``value`` (broadcast): Theano's ``alloc``."""

    def make_node(self, value: Any, *shape_entries: Any) -> Apply:
        value = as_tensor(value)
        dims = [_index_scalar(s, "an alloc shape entry") for s in shape_entries]
        if value.ndim > len(dims):
            raise ValueError(f"alloc: value of {value.ndim} dimensions does not fit shape of {len(dims)}")
        static = [static_int(d) for d in dims]
        for v_size, size in zip(value.type.shape[::-1], static[::-1], strict=False):
            if v_size not in (None, 1) and size is not None and v_size != size:
                raise ValueError(f"alloc: value of shape {value.type.shape} cannot be broadcast to {static}")
        return Apply(self, [value, *dims], [TensorType(value.dtype, static)])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        value, *dims = inputs
        out = np.empty(tuple(int(d) for d in dims), dtype=node.outputs[0].type.dtype)
        out[...] = value
        return [out]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [tuple(node.inputs[1:])]


def alloc(value: Any, *shape_entries: Any) -> TensorVariable:
    """``value`` broadcast into a new array of shape ``shape_entries``."""
    return Alloc()(value, *shape_entries)

