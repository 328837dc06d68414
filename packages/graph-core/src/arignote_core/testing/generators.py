"""Input generators for conformance cases: random values per dtype, edge values, views, and sample batteries
for elementwise ops and reductions.

Every generator is a function ``rng -> list[Sample]``, built by the helpers here, so a case's inputs are fixed
by its seed.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..dtypes import ALL_DTYPES, FLOAT, INTEGER
from .case import Sample, sample

SampleFn = Callable[[np.random.Generator], list[Sample]]
Domain = tuple[float, float]

#: The dtypes that get the whole battery of shapes, broadcasting and views; the others get a dtype sweep.
PRIMARY = ("float64", "float32", "int64")
NUMERIC = tuple(d for d in ALL_DTYPES if d != "bool")
REAL = tuple(d for d in ALL_DTYPES if not d.startswith("complex"))
REAL_NUMERIC = tuple(d for d in REAL if d != "bool")
FLOATS = FLOAT
INTS = INTEGER


def random_array(rng: np.random.Generator, dtype: str, shape: Sequence[int], domain: Domain = (-5.0, 5.0),
                 int_domain: Domain | None = None) -> np.ndarray:
    """Random values of ``dtype``: floats uniform in ``domain``, integers in ``int_domain`` (default: the
    domain rounded, clipped to the dtype), bools fair."""
    kind = np.dtype(dtype).kind
    shape = tuple(shape)
    if kind == "b":
        return rng.integers(0, 2, shape).astype(bool)
    if kind in "iu":
        lo, hi = int_domain if int_domain is not None else (np.floor(domain[0]), np.ceil(domain[1]))
        info = np.iinfo(dtype)
        lo, hi = max(int(lo), int(info.min)), min(int(hi), int(info.max))
        return rng.integers(lo, hi, shape, endpoint=True).astype(dtype)
    real = rng.uniform(domain[0], domain[1], shape)
    if kind == "c":
        real = real + 1j * rng.uniform(domain[0], domain[1], shape)
    return real.astype(dtype)


def edge_values(dtype: str) -> np.ndarray:
    """Values at the edges of ``dtype``: zeros of both signs, ones, the extremes, tiny and subnormal numbers,
    infinities and NaN."""
    kind = np.dtype(dtype).kind
    if kind == "b":
        return np.array([False, True])
    if kind in "iu":
        info = np.iinfo(dtype)
        values = [0, 1, 2, int(info.max), int(info.max) - 1, int(info.min)]
        if kind == "i":
            values += [-1, -2, int(info.min) + 1]
        return np.array(sorted(set(values)), dtype=dtype)
    finfo = np.finfo(dtype)
    real = [0.0, -0.0, 1.0, -1.0, 0.5, -2.5, float(finfo.tiny), -float(finfo.tiny),
            float(finfo.smallest_subnormal), float(finfo.max), -float(finfo.max), 1e4, np.inf, -np.inf, np.nan]
    if kind == "c":
        pairs = [(0, 0), (1, 0), (0, 1), (-1, -1), (0.5, -2.5), (np.inf, 0), (0, -np.inf), (np.nan, 0), (1, np.nan),
                 (float(finfo.max), 1), (float(finfo.tiny), 0)]
        return np.array([complex(r, i) for r, i in pairs], dtype=dtype)
    with np.errstate(over="ignore"):
        return np.array(real, dtype=dtype)


def strided(array: np.ndarray) -> np.ndarray:
    """The same values as a non-contiguous view (every other element of a larger buffer)."""
    if array.ndim == 0:
        return array
    buffer = np.zeros((array.shape[0] * 2,) + array.shape[1:], dtype=array.dtype)
    buffer[::2] = array
    return buffer[::2]


def reversed_view(array: np.ndarray) -> np.ndarray:
    """The same values as a view with a negative stride on the first axis."""
    if array.ndim == 0:
        return array
    return array[::-1].copy()[::-1]


def fortran(array: np.ndarray) -> np.ndarray:
    """The same values in column-major order (not C-contiguous for ndim >= 2)."""
    return np.asfortranarray(array)


def _per_input(value: Any, nin: int) -> list[Any]:
    if isinstance(value, list):
        if len(value) != nin:
            raise ValueError(f"expected {nin} per-input values, got {len(value)}")
        return value
    return [value] * nin


def elementwise(nin: int = 1, *, dtypes: Sequence[str | tuple[str, ...]] = ALL_DTYPES,
                primary: Sequence[str | tuple[str, ...]] = PRIMARY, domain: Domain | list[Domain] = (-5.0, 5.0),
                int_domain: Domain | list[Domain | None] | None = None, edges: bool = True,
                mixed: Sequence[tuple[str, ...]] | None = None) -> SampleFn:
    """Samples for an elementwise op of ``nin`` inputs.

    Each entry of ``dtypes`` (one dtype for every input, or a tuple of one per input) gets a random sample and
    an edge-value sample (every combination of edge values for two inputs); the ``primary`` ones also get
    scalars, empty arrays, 3-d arrays, static and run-time broadcasting, inputs of different ndim, and strided,
    reversed and column-major views. ``mixed`` lists dtype combinations tried once each (default: a few
    promotions across kinds).
    """
    domains = _per_input(domain, nin)
    int_domains = _per_input(int_domain, nin)
    if mixed is None:
        pairs = [("int32", "float32"), ("uint8", "int8"), ("float32", "float64"), ("bool", "int16"),
                 ("int64", "complex64"), ("uint64", "int64"), ("float16", "int8")]
        mixed = [tuple(itertools.islice(itertools.cycle(p), nin)) for p in pairs] if nin > 1 else []

    def per_input(entry: str | tuple[str, ...]) -> tuple[str, ...]:
        return (entry,) * nin if isinstance(entry, str) else tuple(entry)

    def make(rng: np.random.Generator) -> list[Sample]:
        def arrays(types: tuple[str, ...], shapes: Sequence[Sequence[int]], view: bool = False) -> list[np.ndarray]:
            views = [strided, reversed_view, fortran]
            out = [random_array(rng, d, shapes[i % len(shapes)], domains[i], int_domains[i])
                   for i, d in enumerate(types)]
            return [views[i % 3](a) for i, a in enumerate(out)] if view else out

        out: list[Sample] = []
        for entry in dtypes:
            types = per_input(entry)
            name = entry if isinstance(entry, str) else "/".join(entry)
            out.append(sample(*arrays(types, [(3, 4)]), label=f"{name} random"))
            if edges:
                out.append(_edge_sample(types, rng))
            if entry not in primary:
                continue
            out.append(sample(*arrays(types, [()]), label=f"{name} scalars"))
            out.append(sample(*arrays(types, [(0, 3)]), tags=["empty"], label=f"{name} empty"))
            out.append(sample(*arrays(types, [(2, 3, 4)]), static=["none"] * nin,
                              label=f"{name} 3-d, run-time shapes"))
            out.append(sample(*arrays(types, [(6, 5)], view=True), tags=["view"], label=f"{name} views"))
            if nin > 1:
                values = arrays(types, [(3, 1), (1, 4), (3, 4)])
                out.append(sample(*values, tags=["broadcast"], label=f"{name} static broadcasting"))
                out.append(sample(*values, static=["none"] * nin, tags=["runtime-broadcast"],
                                  label=f"{name} run-time broadcasting"))
                out.append(sample(*arrays(types, [(4,), (3, 4), ()]), tags=["broadcast"],
                                  label=f"{name} different ranks"))
        for combo in mixed:
            out.append(sample(*arrays(tuple(combo), [(5,)]), label=f"mixed {combo}"))
        return out

    return make


def _edge_sample(types: tuple[str, ...], rng: np.random.Generator) -> Sample:
    edges = [edge_values(d) for d in types]
    name = "/".join(types)
    if len(types) == 1:
        return sample(edges[0], tags=["edge"], label=f"{name} edge values")
    if len(types) == 2:
        a, b = np.meshgrid(*edges, indexing="ij")
        return sample(a.ravel(), b.ravel(), tags=["edge"], label=f"{name} edge values, all pairs")
    columns = [rng.choice(e, 64) for e in edges]
    return sample(*columns, tags=["edge"], label=f"{name} edge values, random combinations")


#: (shape, keyword arguments) of the reduction battery.
REDUCTION_LAYOUTS: list[tuple[tuple[int, ...], dict[str, Any], str]] = [
    ((2, 3, 4), {}, "all axes"),
    ((2, 3, 4), {"axis": 1}, "axis 1"),
    ((2, 3, 4), {"axis": (0, 2)}, "axes (0, 2)"),
    ((2, 3, 4), {"axis": -1, "keepdims": True}, "axis -1, keepdims"),
    ((3, 4), {"axis": None, "keepdims": True}, "all axes, keepdims"),
    ((), {}, "0-d"),
    ((5,), {"axis": 0}, "vector"),
    ((0, 3), {"axis": 1}, "empty, axis 1"),
    ((0, 3), {"axis": 0}, "empty, axis 0"),
]


def reductions(*, dtypes: Sequence[str] = ALL_DTYPES, primary: Sequence[str] = PRIMARY,
               domain: Domain = (-5.0, 5.0), int_domain: Domain | None = None, multi_axis: bool = True,
               keepdims: bool = True, edges: bool = True, extra_inputs: Callable[..., tuple[Any, ...]] | None = None
               ) -> SampleFn:
    """Samples for a reduction ``f(x, axis=..., keepdims=...)``: several axes on a 3-d array, 0-d, empty,
    views and run-time shapes for the primary dtypes, an axis-0 sample for every dtype, and edge values.

    ``multi_axis=False`` leaves out tuples of axes (for argmax-like functions); ``keepdims=False`` leaves
    out ``keepdims``.
    """

    def usable(kwargs: dict[str, Any]) -> bool:
        return (multi_axis or not isinstance(kwargs.get("axis"), tuple)) and (keepdims or "keepdims" not in kwargs)

    def make(rng: np.random.Generator) -> list[Sample]:
        out = []
        for dtype in dtypes:
            out.append(sample(random_array(rng, dtype, (3, 4), domain, int_domain), axis=0,
                              label=f"{dtype} axis 0"))
            if edges:
                edge = edge_values(dtype)
                out.append(sample(np.stack([edge, np.roll(edge, 1)]), axis=1, tags=["edge"],
                                  label=f"{dtype} edge values"))
            if dtype not in primary:
                continue
            for shape, kwargs, label in REDUCTION_LAYOUTS:
                if usable(kwargs):
                    tags = ["empty"] if 0 in shape else []
                    out.append(sample(random_array(rng, dtype, shape, domain, int_domain), tags=tags,
                                      label=f"{dtype} {label}", **kwargs))
            x = random_array(rng, dtype, (6, 5), domain, int_domain)
            out.append(sample(strided(x), axis=0, tags=["view"], label=f"{dtype} strided view"))
            out.append(sample(fortran(reversed_view(x)), axis=-1, tags=["view"], label=f"{dtype} reversed view"))
            out.append(sample(random_array(rng, dtype, (2, 3, 4), domain, int_domain), static=["none"], axis=1,
                              label=f"{dtype} run-time shape"))
        return out

    return make


def concat(*makers: SampleFn) -> SampleFn:
    """The samples of several generators, in order."""

    def make(rng: np.random.Generator) -> list[Sample]:
        return [s for m in makers for s in m(rng)]

    return make


def fixed(*samples: Sample) -> SampleFn:
    """Samples given literally."""

    def make(rng: np.random.Generator) -> list[Sample]:
        return list(samples)

    return make



#: (input shapes, keyword arguments); a single shape (a tuple of ints, or ``()``) stands for one input.
Layout = tuple[Any, dict[str, Any]]


def _input_shapes(shapes: Any) -> tuple[tuple[int, ...], ...]:
    if all(isinstance(s, int) for s in shapes):
        return (tuple(shapes),)
    return tuple(tuple(s) for s in shapes)


def layouts(*entries: Layout, dtypes: Sequence[str] = ALL_DTYPES, primary: Sequence[str] = ("float64",),
            domain: Domain = (-5.0, 5.0), int_domain: Domain | None = None, runtime: bool = True,
            views: bool = True) -> SampleFn:
    """Samples from ``(input shapes, keyword arguments)`` layouts: every layout for the ``primary`` dtypes (also
    with run-time shapes, and the first with strided and reversed views), the first layout for every other
    dtype."""

    normalized = [(_input_shapes(shapes), kwargs) for shapes, kwargs in entries]

    def make(rng: np.random.Generator) -> list[Sample]:
        out = []
        for dtype in dtypes:
            chosen = normalized if dtype in primary else normalized[:1]
            for shapes, kwargs in chosen:
                values = [random_array(rng, dtype, s, domain, int_domain) for s in shapes]
                tags = ["empty"] if any(0 in s for s in shapes) else []
                label = f"{dtype} {' '.join(str(s) for s in shapes)}"
                out.append(sample(*values, tags=tags, label=label, **kwargs))
                if dtype in primary and runtime:
                    out.append(sample(*values, static=["none"] * len(values), tags=tags,
                                      label=f"{label}, run-time shapes", **kwargs))
            if dtype in primary and views and normalized:
                shapes, kwargs = normalized[0]
                values = [random_array(rng, dtype, s, domain, int_domain) for s in shapes]
                viewed = [strided(v) if i % 2 == 0 else reversed_view(v) for i, v in enumerate(values)]
                out.append(sample(*viewed, tags=["view"], label=f"{dtype} views", **kwargs))
        return out

    return make
