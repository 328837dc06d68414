"""Random cases from a seed: inputs over shared dimension sizes, a small graph grown op by op (each node checked
with the NumPy twin on every call's values as it is added), outputs, shared-variable updates and calls.

Case ``index`` of seed ``seed`` depends on nothing else, so any case can be made again alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from . import values
from .catalog import FAMILIES, REDUCTIONS, Proposal
from .context import MAX_ELEMENTS, Context, Meta
from .ir import LAYOUTS, Case, Graph, Input, Node, Value
from .oracle import evaluate_node

#: sizes a dimension takes (0 and 1 included: empty arrays and run-time broadcasting) and their weights
SIZES = {0: 0.05, 1: 0.12, 2: 0.23, 3: 0.25, 4: 0.15, 5: 0.12, 64: 0.03}
NDIMS = {0: 0.12, 1: 0.33, 2: 0.4, 3: 0.15}
#: the share of cases with a gradient check, edge values, a call on large arrays, a shared variable
GRAD_SHARE, EDGE_SHARE, LARGE_SHARE, SHARED_SHARE, GIVENS_SHARE = 0.1, 0.35, 0.05, 0.25, 0.08
#: a large call makes some input hold at least this many elements (the C backend's parallel loops)
LARGE_ELEMENTS = 65_536
CALLS = 3
#: how many nodes a graph grows (before pruning what no output needs) and how often
NODE_COUNTS = {1: 0.06, 2: 0.1, 3: 0.16, 4: 0.18, 5: 0.18, 6: 0.14, 7: 0.1, 8: 0.08}
SYMBOLS = ("a", "b", "c")


@dataclass(frozen=True)
class Dims:
    """Each input's dimensions: a symbol (its size may change between calls) or 1."""

    sizes: tuple[dict[str, int], ...]
    fixed: frozenset[str]

    def shape(self, dims: tuple[str | int, ...], call: int) -> tuple[int, ...]:
        return tuple(d if isinstance(d, int) else self.sizes[call][d] for d in dims)


def _draw(rng: np.random.Generator, table: dict[int, float]) -> int:
    keys = list(table)
    weights = np.array([table[k] for k in keys])
    return keys[int(rng.choice(len(keys), p=weights / weights.sum()))]


def _dims(rng: np.random.Generator, grad: bool) -> Dims:
    fixed = frozenset(s for s in SYMBOLS if rng.random() < 0.4)
    sizes: list[dict[str, int]] = []
    for call in range(CALLS):
        call_sizes = {}
        for s in SYMBOLS:
            if call > 0 and (s in fixed or call == 2 and rng.random() < 0.7):
                call_sizes[s] = sizes[0][s]
            else:
                size = _draw(rng, SIZES)
                call_sizes[s] = min(max(size, 1), 4) if grad else size
        sizes.append(call_sizes)
    return Dims(tuple(sizes), fixed)


def _make_large(rng: np.random.Generator, dims: Dims, shapes: list[tuple[str | int, ...]]) -> Dims:
    """Dims whose second call gives some input at least LARGE_ELEMENTS (and no input more than MAX_ELEMENTS)."""
    varying = [s for s in SYMBOLS if s not in dims.fixed and any(s in d for d in shapes)]
    if not varying:
        return dims
    symbol = varying[int(rng.integers(len(varying)))]
    sizes = [dict(s) for s in dims.sizes]
    host = next(d for d in shapes if symbol in d)
    others = int(np.prod([1 if d == symbol else max(dims.shape((d,), 1)[0], 1) for d in host]))
    count = host.count(symbol)
    sizes[1][symbol] = int(np.ceil((LARGE_ELEMENTS / others) ** (1 / count)))
    large = Dims(tuple(sizes), dims.fixed)
    if max(int(np.prod(large.shape(d, 1))) for d in shapes) > MAX_ELEMENTS:
        return dims
    return large


def _input_dims(rng: np.random.Generator, ndim: int) -> tuple[str | int, ...]:
    return tuple(1 if rng.random() < 0.15 else SYMBOLS[int(rng.integers(len(SYMBOLS)))] for _ in range(ndim))


def _static(rng: np.random.Generator, dims: tuple[str | int, ...], sizes: Dims) -> tuple[int | None, ...]:
    """Static sizes: a 1 or a fixed symbol's size is known half of the time, anything else is None."""
    return tuple((d if isinstance(d, int) else sizes.sizes[0][d]) if (d == 1 or d in sizes.fixed) and
                 rng.random() < 0.5 else None for d in dims)


def _layout(rng: np.random.Generator, call: int) -> str:
    if call == 0 and rng.random() < 0.7:
        return "c"
    return LAYOUTS[int(rng.integers(len(LAYOUTS)))]


class _Builder:
    """The graph under construction: nodes, their values in every call, the sampler's context."""

    def __init__(self, rng: np.random.Generator, grad: bool, envs: list[dict[str, Any]]) -> None:
        self.rng = rng
        self.grad = grad
        self.ctx = Context(rng, grad)
        self.envs = envs
        self.nodes: list[Node] = []
        for name in envs[0]:
            self.ctx.add(name, Meta(np.asarray(envs[0][name]).dtype,
                                    tuple(np.asarray(env[name]).shape for env in envs)))

    def try_add(self, proposal: Proposal, keep_failing: bool = False) -> Node | None:
        """Add the proposal if NumPy computes it in the first call (or, with ``keep_failing``, as a node only an
        output may use: NumPy's refusal is then what every mode must match)."""
        if self.grad and not proposal.differentiable:
            return None
        node = Node(f"v{len(self.nodes)}", **vars(proposal))  # by field name: a field Node lacks fails here
        results: list[np.ndarray | None] = []
        for env in self.envs:
            try:
                result = evaluate_node(node, env) if all(a in env for a in node.args) else None
            except Exception:  # noqa: BLE001 (NumPy refused: no value in this call)
                result = None
            if result is not None and (result.size > MAX_ELEMENTS or result.dtype.kind not in "biuf"):
                return None
            results.append(result)
        if results[0] is None and not keep_failing:
            return None
        self.nodes.append(node)
        for env, result in zip(self.envs, results, strict=True):
            if result is not None:
                env[node.name] = result
        if results[0] is not None:
            self.ctx.add(node.name, Meta(results[0].dtype, tuple(None if r is None else r.shape for r in results)),
                         node.args)
            if node.op in REDUCTIONS and self.rng.random() < 0.7:
                self.ctx.focus = [node.name, node.name]  # e * mean(e) and f(mean(e)): a fused multi-output kernel
        return node

    def grow(self, count: int) -> None:
        families = [f for f in FAMILIES if f.differentiable or not self.grad]
        weights = np.array([f.weight for f in families])
        for _ in range(count):
            for _attempt in range(10):
                family = families[int(self.rng.choice(len(families), p=weights / weights.sum()))]
                proposal = family.sampler(self.ctx)
                if proposal is not None and self.try_add(proposal, keep_failing=self.rng.random() < 0.04):
                    break


def generate(seed: int, index: int) -> Case:
    """Case ``index`` of seed ``seed``."""
    rng = np.random.default_rng([seed, index])
    grad = rng.random() < GRAD_SHARE
    edge = not grad and rng.random() < EDGE_SHARE
    dims = _dims(rng, grad)
    explicit = []
    for name in ("x", "y", "z")[: int(rng.integers(1, 4))]:
        dtype = "float64" if grad else str(rng.choice(list(values.INPUT_DTYPES), p=_weights(values.INPUT_DTYPES)))
        explicit.append((name, dtype, _input_dims(rng, _draw(rng, NDIMS))))
    shared = []
    if not grad and rng.random() < SHARED_SHARE:
        dtype = str(rng.choice(["float64", "float32", "int64"], p=[0.7, 0.2, 0.1]))
        fixed = sorted(dims.fixed) or [1]
        ndim = int(rng.choice([0, 1, 2], p=[0.1, 0.4, 0.5]))
        shared.append(("W", dtype, tuple(fixed[int(rng.integers(len(fixed)))] for _ in range(ndim))))
    if not grad and rng.random() < LARGE_SHARE:
        dims = _make_large(rng, dims, [d for _, _, d in explicit])
    inputs = [Input(name, dtype, _static(rng, d, dims)) for name, dtype, d in explicit]
    calls = [{name: Value(values.value(rng, dtype, dims.shape(d, call), edge=edge), _layout(rng, call))
              for name, dtype, d in explicit} for call in range(CALLS)]
    shared_values = {name: values.value(rng, dtype, dims.shape(d, 0), edge=edge) for name, dtype, d in shared}
    inputs += [Input(name, dtype, tuple(v.shape), shared=True) for (name, dtype, _), v in
               zip(shared, shared_values.values(), strict=True)]

    envs = [{name: v.data for name, v in call.items()} | shared_values for call in calls]
    builder = _Builder(rng, grad, envs)
    builder.grow(_draw(rng, NODE_COUNTS))
    if not builder.nodes:
        builder.try_add(Proposal("binary+", (inputs[0].name, inputs[0].name), "({0} + {1})"))
    updates = [(name, _update(builder, name)) for name, _, _ in shared if rng.random() < 0.85]
    outputs = _outputs(rng, builder, [i.name for i in inputs])
    for name, _, _ in shared:
        outputs = list(dict.fromkeys(outputs + _shared_views(builder, name)))
    if any(e is not None for _, e in updates) and rng.random() < 0.2:
        outputs = []
    givens = not grad and rng.random() < GIVENS_SHARE
    graph = Graph(tuple(inputs), tuple(builder.nodes), tuple(outputs),
                  tuple((t, e) for t, e in updates if e is not None), givens).pruned()
    used = {i.name for i in graph.inputs}
    grad_output = _grad_output(graph, builder) if grad else None
    return Case(f"{seed}:{index}", graph, tuple({n: v for n, v in call.items() if n in used} for call in calls),
                {n: v for n, v in shared_values.items() if n in used}, grad_output)


def _weights(table: dict[str, float]) -> list[float]:
    total = sum(table.values())
    return [w / total for w in table.values()]


def _outputs(rng: np.random.Generator, builder: _Builder, inputs: list[str]) -> list[str]:
    """The nodes nothing uses (up to three, the last one first: every branch of the graph is computed, and
    branches sharing work make multi-output kernels), sometimes an intermediate value or an input too."""
    used = {a for n in builder.nodes for a in n.args}
    sinks = [n.name for n in reversed(builder.nodes) if n.name not in used]
    outputs = sinks[:3] or ([builder.nodes[-1].name] if builder.nodes else [inputs[0]])
    candidates = [n.name for n in builder.nodes if n.name in builder.ctx.metas] + inputs
    if rng.random() < 0.3:
        pick = candidates[int(rng.integers(len(candidates)))]
        if pick not in outputs:
            outputs.append(pick)
    return outputs


def _same_value_type(builder: _Builder, name: str, target: str) -> bool:
    meta, want = builder.ctx.metas.get(name), builder.ctx.metas[target]
    return meta is not None and name != target and meta.dtype == want.dtype and all(
        s == want.shape for s in meta.shapes if s is not None)


def _update(builder: _Builder, target: str) -> str | None:
    """A node of the shared variable's dtype and shape in every call; else made as ``W - 0.5 * v`` or, for a
    matrix, ``W - 0.5 * dot(a, b)`` (GEMM into the variable's own buffer)."""
    fitting = [n.name for n in builder.nodes if _same_value_type(builder, n.name, target)]
    if fitting and builder.rng.random() < 0.6:
        return fitting[int(builder.rng.integers(len(fitting)))]
    for _ in range(6):
        proposal = _gemm_update(builder, target) if builder.rng.random() < 0.5 else None
        other = builder.ctx.partner(target)
        if proposal is None and other is None:
            break
        node = builder.try_add(proposal or Proposal("update", (target, str(other)), "({0} - 0.5 * {1})"))
        if node is not None and _same_value_type(builder, node.name, target):
            return node.name
        if node is not None:
            builder.nodes.pop()
            del builder.ctx.metas[node.name]
    return None


def _gemm_update(builder: _Builder, target: str) -> Proposal | None:
    """``W - 0.5 * dot(a, b)`` with ``a``, ``b`` among the values (W and W.T included) whose product has W's
    shape."""
    ctx, shape = builder.ctx, builder.ctx.metas[target].shape
    if len(shape) != 2:
        return None
    if builder.rng.random() < 0.5:
        builder.try_add(Proposal("transpose", (target,), "{0}.T"))
    a = ctx.pick(lambda m: m.ndim == 2 and m.shape[0] == shape[0])
    if a is None:
        return None
    inner = ctx.metas[a].shape[1]
    b = ctx.pick(lambda m: m.ndim == 2 and m.shape == (inner, shape[1]))
    if b is None or not ctx.fits(tuple(None if s is None or t is None else (s[0], t[1])
                                       for s, t in zip(ctx.metas[a].shapes, ctx.metas[b].shapes, strict=True))):
        return None
    return Proposal("update", (target, a, b), "({0} - 0.5 * {m}.dot({1}, {2}))")


def _shared_views(builder: _Builder, target: str) -> list[str]:
    """Sometimes the shared variable itself and a view of it as outputs (their values are the ones before the
    update)."""
    if builder.rng.random() > 0.3:
        return []
    ndim = builder.ctx.metas[target].ndim
    view = {0: "({0} + 0)", 1: "{0}[::-1]", 2: "{0}.T"}.get(ndim, "{0}[0]")
    node = builder.try_add(Proposal("view", (target,), view))
    return [target] + ([node.name] if node is not None else [])


def _grad_output(graph: Graph, builder: _Builder) -> str | None:
    """The last float64 node that depends on an input: the gradient check's cost is ``sum(sin(it))``."""
    for node in reversed(graph.nodes):
        meta = builder.ctx.metas.get(node.name)
        if meta is not None and meta.dtype == np.float64 and node.name in graph.outputs:
            return node.name
    return None
