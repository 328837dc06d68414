"""Composite: a fused scalar expression, computed for each element in one pass."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, cast

import numpy as np

from ..dtypes import DtypeSpec, result_dtype
from ..formatting import pformat_scalar
from ..graph import Apply, Constant, Variable, dtype_spec, toposort
from .basic import ScalarOp


class Composite(ScalarOp):
    """A small graph of scalar ops from ``inputs`` to ``outputs``; equal when structurally equal."""

    def __init__(self, inputs: Sequence[Variable], outputs: Sequence[Variable]) -> None:
        self.inputs = tuple(inputs)
        self.outputs = tuple(outputs)
        self.nodes: tuple[Apply, ...] = tuple(toposort(self.outputs, stop_at=self.inputs))
        self.nin = len(self.inputs)  # type: ignore[misc]
        self.nout = len(self.outputs)  # type: ignore[misc]
        self._key = self._structure()

    def _structure(self) -> tuple[Any, ...]:
        refs: dict[Variable, Any] = {v: ("in", i) for i, v in enumerate(self.inputs)}

        def ref(v: Variable) -> Any:
            if v in refs:
                return refs[v]
            if isinstance(v, Constant):
                return ("const", v.signature())
            raise ValueError(f"Composite output depends on {v}, which is not among its inputs")

        body = []
        for k, node in enumerate(self.nodes):
            body.append((node.op, tuple(ref(v) for v in node.inputs)))
            for j, out in enumerate(node.outputs):
                refs[out] = ("node", k, j)
        return (tuple(v.type for v in self.inputs), tuple(body), tuple(ref(o) for o in self.outputs))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Composite) and self._key == other._key

    def __hash__(self) -> int:
        return hash(self._key)

    @property
    def name(self) -> str:  # type: ignore[override]
        return "composite{" + "; ".join(pformat_scalar(o, self.inputs) for o in self.outputs) + "}"

    def resolve(self, specs: Sequence[DtypeSpec]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        expected = tuple(v.type.dtype for v in self.inputs)
        for spec, want in zip(specs, expected, strict=True):
            if result_dtype(spec, want) != want:
                raise TypeError(f"{self} expects inputs of dtype {expected}, got {tuple(specs)}")
        return expected, tuple(o.type.dtype for o in self.outputs)

    @functools.cached_property
    def _argument_dtypes(self) -> tuple[tuple[str, ...], ...]:
        """Per node, the dtypes its op computes in, as Elemwise takes them: a weak 1e308 is float32's inf."""
        return tuple(node.op.resolve(tuple(dtype_spec(v) for v in node.inputs))[0]
                     for node in self.nodes)

    def impl(self, *inputs: Any) -> Any:
        values: dict[Variable, Any] = dict(zip(self.inputs, inputs, strict=True))
        for node, in_dtypes in zip(self.nodes, self._argument_dtypes, strict=True):
            args = [values[v] if v in values else cast(Constant, v).data for v in node.inputs]
            args = [a if np.asarray(a).dtype == d else np.asarray(a).astype(d) for a, d in zip(args, in_dtypes,
                                                                                                strict=True)]
            outs = node.op.run(
                args, [o.type.dtype for o in node.outputs])
            values.update(zip(node.outputs, outs, strict=True))
        results = tuple(values[o] if o in values else np.asarray(cast(Constant, o).data)
                        for o in self.outputs)
        return results if self.nout > 1 else results[0]

    def __reduce__(self) -> tuple[Any, ...]:
        return (Composite, (self.inputs, self.outputs))
