"""Conformance cases of ``arignote_core.fft`` and of ``complex``: every transform with its ``n``/``s`` smaller
and larger than the axis, every ``norm``, real and complex dtypes of both precisions (NumPy 2 keeps single
precision), integers, views, run-time shapes, empty arrays NumPy accepts and the lengths it refuses; the
frequency helpers and the shifts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ... import fft as F
from ...tensors import math as tm
from ..case import Case, Sample, sample
from ..generators import random_array

TOL = {"float32": (1e-4, 1e-5), "complex64": (1e-4, 1e-5), "float64": (1e-10, 1e-12),
       "complex128": (1e-10, 1e-12)}
NORMS = ("backward", "ortho", "forward")
ONE_AXIS_DTYPES = ("float64", "float32", "complex128", "complex64", "int64", "bool")


def _one_axis_samples(kind: str) -> Callable[[np.random.Generator], list[Sample]]:
    """Samples of ``numpy.fft.<kind>``: dtypes, lengths, axes, norms, views, run-time shapes and errors."""
    real_only = kind == "rfft"

    def make(rng: np.random.Generator) -> list[Sample]:
        dtypes = [d for d in ONE_AXIS_DTYPES if not (real_only and d.startswith("complex"))]
        out = [sample(random_array(rng, d, (3, 6)), label=d) for d in dtypes]
        x = random_array(rng, "float64" if real_only else "complex128", (4, 6))
        for n in (3, 6, 9):
            out.append(sample(x, n=n, label=f"n={n}"))
        out += [sample(x, norm=norm, n=5, label=norm) for norm in NORMS]
        out += [sample(x, axis=0, norm="ortho", label="axis 0"),
                sample(x, axis=-2, n=7, label="axis -2, n=7"),
                sample(random_array(rng, "float32", (2, 3, 5)), axis=1, n=4, norm="forward", label="3-d float32"),
                sample(x[:, ::2], n=4, tags=["view"], label="strided view"),
                sample(x.T, tags=["view"], label="transposed view"),
                sample(x, n=4, static=["none"], label="run-time shape"),
                sample(np.zeros((0, 6), x.dtype), tags=["empty"], label="empty, other axis"),
                sample(np.zeros((3, 0), x.dtype), n=4, tags=["empty"], label="empty axis with n"),
                sample(np.zeros((3, 0), x.dtype), tags=["error", "build-error"], label="empty axis"),
                sample(np.zeros((3, 0), x.dtype), static=["none"], tags=["error"], label="empty axis at run time"),
                sample(x, n=0, tags=["error", "build-error"], label="n=0"),
                sample(x, axis=2, tags=["error", "build-error"], label="axis out of range"),
                sample(x, norm="other", tags=["error", "build-error"], label="unknown norm"),
                sample(np.array(1.0), tags=["error", "build-error"], label="0-d")]
        if kind == "irfft":
            out.append(sample(x[:, :1], tags=["error", "build-error"], label="one point: n would be 0"))
        if real_only:
            out.append(sample(x + 1j, tags=["error", "build-error"], label="complex input"))
        return out

    return make


def _nd_samples(kind: str, two: bool) -> Callable[[np.random.Generator], list[Sample]]:
    """Samples of the two- and n-dimensional transforms."""
    real_input = kind.startswith("rfft")

    def make(rng: np.random.Generator) -> list[Sample]:
        dtype = "float64" if real_input else "complex128"
        x = random_array(rng, dtype, (3, 4, 6))
        single = random_array(rng, "float32" if real_input else "complex64", (4, 5))
        out = [sample(x, label=dtype), sample(single, label="single precision"),
               sample(random_array(rng, "int64", (3, 4)), label="int64"),
               sample(x, s=(3, 7), axes=(0, 2), label="s and axes"),
               sample(x, s=(5, 2), axes=(-1, 0), label="axes out of order"),
               sample(x[:, ::2, ::-1], tags=["view"], label="view"),
               sample(x, static=["none"], norm="forward", label="run-time shape"),
               sample(np.zeros((0, 4, 6), x.dtype), tags=["empty"], label="empty, other axis"),
               sample(x, s=(3, 4, 5), axes=(0, 1), tags=["error", "build-error"], label="s and axes differ")]
        out += [sample(x, norm=norm, axes=(0, 1), label=norm) for norm in NORMS]
        if not two:
            out += [sample(x, s=(2, 3), label="s without axes (the last axes)"),
                    sample(x, axes=(1,), norm="ortho", label="one axis")]
            if kind in ("fftn", "ifftn"):
                out.append(sample(x, axes=(1, 1), label="an axis twice"))
        return out

    return make


def _fft_case(kind: str, samples: Callable[[np.random.Generator], list[Sample]]) -> Case:
    return Case(name=f"fft.{kind}", function=f"fft.{kind}", build=getattr(F, kind), oracle=getattr(np.fft, kind),
                samples=samples, tolerances=TOL)


def _freq_samples(rng: np.random.Generator) -> list[Sample]:
    return [sample(np.float64(0.1), n=5, label="odd n"), sample(np.float64(2.5), n=8, label="even n"),
            sample(np.float32(0.5), n=1, label="one point, float32 spacing"),
            sample(np.float64(1.0), n=0, tags=["empty"], label="no point"),
            sample(np.float64(1.0), n=-1, tags=["error", "build-error"], label="negative n")]


def _shift_samples(rng: np.random.Generator) -> list[Sample]:
    x = random_array(rng, "float64", (4, 5))
    return [sample(x, label="every axis"), sample(x, axes=0, label="axis 0"), sample(x, axes=(1,), label="(1,)"),
            sample(random_array(rng, "complex64", (7,)), label="complex64"),
            sample(x, static=["none"], label="run-time shape"), sample(x.T, tags=["view"], label="view"),
            sample(np.zeros((0, 3)), tags=["empty"], label="empty"),
            sample(np.array(2.0), tags=["error", "build-error"], label="0-d")]


def numpy_complex(real: np.ndarray, imag: np.ndarray) -> np.ndarray:
    """``real + 1j * imag`` exactly (infinite parts stay infinite), complex64 for float16 and float32 parts,
    complex128 otherwise (the dtype ``complex`` gives); complex parts are refused."""
    if np.iscomplexobj(real) or np.iscomplexobj(imag):
        raise TypeError("complex: the real and imaginary parts must be real")
    dtype = "complex64" if np.result_type(real, imag) in (np.float16, np.float32) else "complex128"
    re, im = np.broadcast_arrays(real, imag)
    out = np.empty(re.shape, dtype)
    out.real, out.imag = re, im
    return out


def _complex_samples(rng: np.random.Generator) -> list[Sample]:
    a, b = random_array(rng, "float64", (3, 4)), random_array(rng, "float64", (3, 4))
    edges = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1.0])
    return [sample(a, b, label="float64"), sample(a.astype("float32"), b.astype("float32"), label="float32"),
            sample(a.astype("float16"), b.astype("float32"), label="float16 and float32"),
            sample(np.arange(3), np.arange(3, dtype="int8"), label="integers"),
            sample(a, b[:1], label="broadcast"), sample(a.T, b.T, tags=["view"], label="views"),
            sample(edges, edges[::-1], tags=["edge"], label="infinities and NaN"),
            sample(np.zeros((0, 2)), np.zeros((0, 2)), tags=["empty"], label="empty"),
            sample(a + 1j, b, tags=["error", "build-error"], label="complex part")]


def _parts_samples(rng: np.random.Generator) -> list[Sample]:
    z = random_array(rng, "complex128", (3, 4))
    return [sample(z, label="complex128"), sample(z.astype("complex64"), label="complex64"),
            sample(z.T, tags=["view"], label="view")]


def _parts(z: Any) -> Sequence[Any]:
    return [tm.real(z), tm.imag(z), tm.conjugate(z), tm.absolute(z)]


CASES: list[Case] = [
    *(_fft_case(kind, _one_axis_samples(kind)) for kind in ("fft", "ifft", "rfft", "irfft")),
    *(_fft_case(kind, _nd_samples(kind, two=kind.endswith("2")))
      for kind in ("fft2", "ifft2", "rfft2", "irfft2", "fftn", "ifftn", "rfftn", "irfftn")),
    Case(name="fft.fftfreq", function="fft.fftfreq", build=lambda d, n: F.fftfreq(n, d),
         oracle=lambda d, n: np.fft.fftfreq(n, d), samples=_freq_samples),
    Case(name="fft.rfftfreq", function="fft.rfftfreq", build=lambda d, n: F.rfftfreq(n, d),
         oracle=lambda d, n: np.fft.rfftfreq(n, d), samples=_freq_samples),
    Case(name="fft.fftshift", function="fft.fftshift", build=F.fftshift, oracle=np.fft.fftshift,
         samples=_shift_samples),
    Case(name="fft.ifftshift", function="fft.ifftshift", build=F.ifftshift, oracle=np.fft.ifftshift,
         samples=_shift_samples),
    Case(name="complex", function="complex", build=tm.complex, oracle=numpy_complex, samples=_complex_samples),
    Case(name="complex/parts", function="real", build=_parts,
         oracle=lambda z: [np.real(z), np.imag(z), np.conjugate(z), np.absolute(z)], samples=_parts_samples),
]
