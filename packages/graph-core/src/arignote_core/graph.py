"""The IR: types, variables, constants, applications of ops, and graph walks.

A graph is a DAG of :class:`Apply` nodes connected by :class:`Variable` s. Users never mutate nodes; a
:class:`~arignote_core.fgraph.FunctionGraph` works on its own copy and may rewire inputs of its nodes when it
replaces a variable, which keeps a local rewrite local.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar, Generic, TypeVar

import numpy as np

from .dtypes import DtypeSpec, weak_spec
from .sourceinfo import SourceLocation, user_location


class Type:
    """An immutable description of the values a variable may take."""

    variable_class: ClassVar[type[Variable]]
    constant_class: ClassVar[type[Constant]]

    def filter(self, value: Any, *, allow_downcast: bool = False) -> Any:
        """Return ``value`` converted to this type, or raise ``TypeError`` saying what was expected."""
        raise NotImplementedError

    def is_compatible(self, other: Type) -> bool:
        """Whether a variable of ``other`` may stand where one of ``self`` is expected."""
        return self == other

    def refine(self, var: Variable) -> Variable:
        """``var`` (of a compatible type) stated to have what this type knows and its own does not, for a
        rewrite that replaces a variable of this type by ``var``: nodes built on that knowledge stay valid."""
        return var

    def make_variable(self, name: str | None = None) -> Variable:
        return self.variable_class(self, name=name)

    def __call__(self, name: str | None = None) -> Variable:
        return self.make_variable(name)

    def values_eq(self, a: Any, b: Any) -> bool:
        return bool(a == b)


TypeT = TypeVar("TypeT", bound=Type, covariant=True)


class Variable(Generic[TypeT]):
    """A typed value in a graph: an input (``owner`` is None) or output ``index`` of the Apply ``owner``.

    ``Variable[TensorType]`` (a ``TensorVariable``) says what ``type`` is; a plain ``Variable`` may be of any
    type."""

    def __init__(self, type: TypeT, owner: Apply | None = None, index: int | None = None,
                 name: str | None = None) -> None:
        self.type: TypeT = type
        self.owner = owner
        self.index = index
        self.name = name

    def clone(self) -> Variable:
        """A new, unowned variable of the same type and name."""
        return type(self)(self.type, name=self.name)

    def __str__(self) -> str:
        if self.name is not None:
            return self.name
        if self.owner is not None:
            op = str(self.owner.op)
            return op if len(self.owner.outputs) == 1 else f"{op}.{self.index}"
        return f"<{self.type}>"

    def __repr__(self) -> str:
        return str(self)

    def eval(self, inputs_to_values: dict[Variable, Any] | None = None) -> Any:
        """Evaluate this variable with the reference evaluator, given values for its inputs."""
        if not _COMPILERS:
            raise RuntimeError("Variable.eval needs arignote_core.function, installed when arignote_core is imported")
        inputs_to_values = inputs_to_values or {}
        fn = _COMPILERS[0](list(inputs_to_values), self)
        return fn(*inputs_to_values.values())


#: What ``Variable.eval`` compiles with: ``function``, installed by the compile floor above (``install_compiler``),
#: which this module does not import.
_COMPILERS: list[Callable[..., Any]] = []


def install_compiler(function: Callable[..., Any]) -> None:
    """Give ``Variable.eval`` the ``function`` it compiles with (function.py installs its own)."""
    _COMPILERS[:] = [function]


class AtomicVariable(Variable):
    """A leaf that carries its own value, a constant or a shared variable: a graph needs no input for it, and a
    copied graph shares it (PyTensor's AtomicVariable)."""


class Constant(AtomicVariable):
    """A variable with a fixed value; two constants with equal type and value are equal.

    ``weak`` marks a constant made from a Python scalar: like NumPy 2, promotion lets the other operand's dtype
    win (``float32_array + 1.0`` stays float32).
    """

    def __init__(self, type: Type, data: Any, name: str | None = None, weak: bool = False) -> None:
        super().__init__(type, None, None, name)
        self.data = type.filter(data, allow_downcast=True)
        self.weak = weak
        if isinstance(self.data, np.ndarray):
            self.data.setflags(write=False)

    def signature(self) -> tuple[Any, ...]:
        """What makes two constants one: type, weakness and the values' bytes, every NaN the same NaN (NaN is
        not equal to itself, and rewriting ``x * nan`` must find the ``nan`` it started from)."""
        data = self.data
        if not isinstance(data, np.ndarray):
            return (self.type, data if data == data else "nan", self.weak)
        if data.dtype.kind in "fc" and np.isnan(data).any():
            data = np.where(np.isnan(data), np.array(np.nan, data.dtype), data)
        return (self.type, data.shape, data.tobytes(), self.weak)

    def equals(self, other: object) -> bool:
        return isinstance(other, Constant) and self.signature() == other.signature()

    def clone(self) -> Constant:
        return self

    def __str__(self) -> str:
        if self.name is not None:
            return self.name
        data = np.asarray(self.data)
        if data.size == 1:
            return str(data.item())
        if data.size > 8:
            return f"Constant{{{self.type}}}"
        return np.array2string(data, separator=",")


def unaliased(results: Sequence[Any], inputs: Sequence[Any]) -> list[Any]:
    """``results`` with a copy of each one that shares memory with one of ``inputs``: what an op that declares no
    view (no ``view_map``) returns where NumPy gives a view (``np.real`` of a real array is the array itself)."""
    return [r.copy() if _aliases(r, inputs) else r for r in results]


def _aliases(result: Any, inputs: Sequence[Any]) -> bool:
    if not isinstance(result, np.ndarray):
        return False
    if result.base is None and not any(result is x for x in inputs):
        return False  # it owns its buffer, which it got just now: the common case, decided without a bounds test
    return any(isinstance(x, np.ndarray) and np.may_share_memory(result, x) for x in inputs)


def dtype_spec(var: Variable) -> DtypeSpec:
    """What promotion sees of ``var``: its dtype, or the Python type of a weak constant."""
    if isinstance(var, Constant) and var.weak:
        return weak_spec(np.asarray(var.data).item())
    return var.type.dtype


_SMALL_CONSTANTS: weakref.WeakValueDictionary[tuple[Any, ...], Constant] = weakref.WeakValueDictionary()


def shared_constant(constant: Constant) -> Constant:
    """The one live constant equal to ``constant`` when it is small (merging small constants at build time)."""
    data = constant.data
    if constant.name is not None or (isinstance(data, np.ndarray) and data.size > 16):
        return constant
    key = constant.signature()
    existing = _SMALL_CONSTANTS.get(key)
    if existing is not None:
        return existing
    _SMALL_CONSTANTS[key] = constant
    return constant


#: The op class of a node: ``Apply[Reduce]`` is a node whose op is a Reduce (registries hand their rules typed nodes).
OpT = TypeVar("OpT", bound="Op", covariant=True)


class Apply(Generic[OpT]):
    """One use of an op: ``op`` applied to ``inputs`` gives ``outputs``; records the user's source line."""

    def __init__(self, op: OpT, inputs: Sequence[Variable], output_types: Sequence[Type],
                 source: SourceLocation | None = None) -> None:
        self.op: OpT = op
        self.inputs: list[Variable] = list(inputs)
        self.outputs: list[Variable] = [t.variable_class(t, self, i) for i, t in enumerate(output_types)]
        self.source = source if source is not None else user_location()

    @property
    def out(self) -> Variable:
        """The single output (an error for multi-output nodes)."""
        if len(self.outputs) != 1:
            raise ValueError(f"{self.op} has {len(self.outputs)} outputs")
        return self.outputs[0]

    def clone_with_new_inputs(self, inputs: Sequence[Variable]) -> Apply[OpT]:
        """The same op applied to ``inputs`` (rebuilt through ``make_node`` when the types differ)."""
        if all(a.type == b.type for a, b in zip(inputs, self.inputs, strict=True)):
            node = Apply(self.op, inputs, [o.type for o in self.outputs], self.source)
        else:
            node = self.op.make_node(*inputs)
            node.source = self.source
        for old, new in zip(self.outputs, node.outputs, strict=True):
            new.name = old.name
        return node

    def __repr__(self) -> str:
        return f"{self.op}({', '.join(map(str, self.inputs))})"


class Op:
    """What a node computes. Concrete ops are frozen dataclasses: equality and hash come from parameters.

    An op builds nodes (``make_node``), computes them with NumPy (``perform``), and may infer output shapes
    symbolically (``infer_shape``). It carries no gradient, no C code and no execution state: those live in
    the registries of autograd-sym and the backends.
    """

    #: ``{output index: [input indices]}``: outputs that may share memory with (be views of) those inputs. Any
    #: output ``perform`` may return as an input itself or a view of one must be declared here: ``function`` copies
    #: such an output before handing it to the caller, and backends plan buffers by it.
    view_map: ClassVar[dict[int, list[int]]] = {}
    #: a guard's one output is its first input, passed through once its other inputs (conditions) hold: a run-time
    #: check, which rewrites must not lose when they stop computing what it checks
    is_guard: ClassVar[bool] = False

    def make_node(self, *inputs: Any) -> Apply:
        raise NotImplementedError

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        """Compute the outputs of ``node`` from input values; returns one value per output."""
        raise NotImplementedError(f"{type(self).__name__} has no reference implementation")

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]] | None:
        """Output shapes as tuples of symbolic int64 scalars (or ints), from the inputs' shapes.

        Return None when the shape cannot be known without computing the op.
        """
        return None

    def __call__(self, *inputs: Any) -> Any:
        node = self.make_node(*inputs)
        return node.outputs[0] if len(node.outputs) == 1 else node.outputs

    def __str__(self) -> str:
        return type(self).__name__


# ---------------------------------------------------------------------------------------------------------
# graph walks


def toposort(outputs: Iterable[Variable], stop_at: Iterable[Variable] = ()) -> list[Apply]:
    """Apply nodes that ``outputs`` depend on, inputs before users; ``stop_at`` variables are not expanded."""
    order: list[Apply] = []
    seen: set[int] = set()
    stopped = {id(v) for v in stop_at}
    stack: list[tuple[Apply, int]] = []
    for out in outputs:
        node = out.owner
        if node is None or id(node) in seen or id(out) in stopped:
            continue
        seen.add(id(node))
        stack.append((node, 0))
        while stack:
            node, i = stack.pop()
            if i < len(node.inputs):
                stack.append((node, i + 1))
                var = node.inputs[i]
                parent = var.owner
                if parent is not None and id(parent) not in seen and id(var) not in stopped:
                    seen.add(id(parent))
                    stack.append((parent, 0))
            else:
                order.append(node)
    return order


def graph_inputs(outputs: Iterable[Variable], stop_at: Iterable[Variable] = ()) -> list[Variable]:
    """Variables without owner (inputs, constants, shared) that ``outputs`` depend on, in first-seen order."""
    outputs = list(outputs)
    stopped = {id(v) for v in stop_at}
    found: dict[int, Variable] = {}
    for out in outputs:
        if out.owner is None or id(out) in stopped:
            found.setdefault(id(out), out)
    for node in toposort(outputs, stop_at):
        for var in node.inputs:
            if var.owner is None or id(var) in stopped:
                found.setdefault(id(var), var)
    return list(found.values())


def ancestors(outputs: Iterable[Variable]) -> list[Variable]:
    """Every variable ``outputs`` depend on, themselves included."""
    outputs = list(outputs)
    result: dict[int, Variable] = {id(v): v for v in graph_inputs(outputs)}
    for node in toposort(outputs):
        for var in node.outputs:
            result.setdefault(id(var), var)
    for v in outputs:
        result.setdefault(id(v), v)
    return list(result.values())


def clone_replace(outputs: Sequence[Variable], replace: dict[Variable, Variable] | None = None,
                  clone_inputs: bool = False) -> tuple[list[Variable], dict[Variable, Variable]]:
    """Copy the graph of ``outputs`` with ``replace`` substituted; returns new outputs and the old→new map.

    Constants and shared variables are never copied. Inputs are copied when ``clone_inputs``.
    """
    memo: dict[Variable, Variable] = dict(replace or {})
    stop = list(memo)
    if clone_inputs:
        for var in graph_inputs(outputs, stop_at=stop):
            if var not in memo and not isinstance(var, AtomicVariable):
                memo[var] = var.clone()
    for node in toposort(outputs, stop_at=stop):
        new_inputs = [memo.get(v, v) for v in node.inputs]
        if all(a is b for a, b in zip(new_inputs, node.inputs, strict=True)) and not clone_inputs:
            new_node = node
        else:
            new_node = node.clone_with_new_inputs(new_inputs)
        for old, new in zip(node.outputs, new_node.outputs, strict=True):
            memo.setdefault(old, new)
    return [memo.get(o, o) for o in outputs], memo

