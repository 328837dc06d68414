"""``theano.config``: Theano's flags, from ``THEANO_FLAGS`` at import and assignable afterwards.

``floatX`` (the dtype of ``T.matrix()`` and of random draws; float64 or float32), ``device`` (``cpu``; ``cuda``
or ``gpu`` run on the CPU with a warning, as Arignote's CUDA backend is not there yet) and ``mode``
(``FAST_RUN``, ``FAST_COMPILE``, ``DebugMode``, ``NanGuardMode``: the mode of ``theano.function``) change what
runs. The other flags Theano scripts commonly set (``optimizer``, ``compute_test_value``, ``exception_verbosity``
...) are accepted and kept, so that such scripts run, but change nothing; a flag Theano never had is an error.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from typing import Any

#: flags that change what runs, with their Theano defaults
ACTIVE_FLAGS: dict[str, str] = {"floatX": "float64", "device": "cpu", "mode": "FAST_RUN"}

#: flags accepted for compatibility only: kept, read back, and without effect
KEPT_FLAGS: dict[str, Any] = {
    "optimizer": "fast_run", "linker": "cvm", "compute_test_value": "off", "compute_test_value_opt": "off",
    "exception_verbosity": "low", "warn_float64": "ignore", "allow_gc": True, "openmp": False, "profile": False,
    "profile_memory": False, "print_active_device": True, "deterministic": "default", "cast_policy": "custom",
    "int_division": "int", "on_unused_input": "raise", "on_opt_error": "warn", "optimizer_including": "",
    "optimizer_excluding": "", "optimizer_verbose": False, "traceback__limit": 8, "cxx": "g++",
    "base_compiledir": "", "compiledir": "", "force_device": False, "init_gpu_device": "", "print_test_value": False,
    "reoptimize_unpickled_function": False, "check_input": True, "blas__ldflags": "", "gcc__cxxflags": "",
    "dnn__enabled": "auto", "nvcc__fastmath": False, "lib__cnmem": 0, "gpuarray__preallocate": 0,
}

FLOATX_CHOICES = ("float64", "float32")
_CPU = "cpu"
_GPU_PREFIXES = ("cuda", "gpu", "opencl")


class TheanoConfig:
    """Theano's ``config`` object: flags as attributes (``config.floatX``; ``config.gcc.cxxflags`` for the
    dotted ones)."""

    def __init__(self, flags: Mapping[str, str] | None = None) -> None:
        values: dict[str, Any] = {**ACTIVE_FLAGS, **KEPT_FLAGS}
        object.__setattr__(self, "_values", values)
        for name, value in (flags or {}).items():
            self._set(name.replace(".", "__"), value)

    def __getattr__(self, name: str) -> Any:
        values = self.__dict__["_values"]
        if name in values:
            return values[name]
        section = name + "__"
        if any(key.startswith(section) for key in values):
            return _Section(self, section)
        raise AttributeError(f"theano.config has no flag {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        self._set(name, value)

    def _set(self, name: str, value: Any) -> None:
        if name not in self._values:
            raise AttributeError(f"theano.config has no flag {name.replace('__', '.')!r}; Arignote knows "
                                 f"{', '.join(sorted(k.replace('__', '.') for k in self._values))}")
        if name == "floatX" and value not in FLOATX_CHOICES:
            raise ValueError(f"theano.config.floatX must be one of {', '.join(FLOATX_CHOICES)}, got {value!r}")
        if name == "device":
            _check_device(value)
        self._values[name] = value


class _Section:
    """A dotted group of flags (``config.gcc``), read and set through its parent."""

    def __init__(self, config: TheanoConfig, prefix: str) -> None:
        object.__setattr__(self, "_config", config)
        object.__setattr__(self, "_prefix", prefix)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._config, self._prefix + name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._config, self._prefix + name, value)


def _check_device(device: Any) -> None:
    if device == _CPU:
        return
    if isinstance(device, str) and device.startswith(_GPU_PREFIXES):
        warnings.warn(f"theano.config.device={device!r}: Arignote has no CUDA backend yet; functions compile for "
                      "the CPU", RuntimeWarning, stacklevel=4)
        return
    raise ValueError(f"theano.config.device must be 'cpu' or a GPU name ('cuda', 'cuda0', 'gpu'...), got {device!r}")


def parse_flags(text: str) -> dict[str, str]:
    """``THEANO_FLAGS`` (``"floatX=float32,device=cpu"``) as a dict; a part without ``=`` is refused."""
    flags: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = part.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"THEANO_FLAGS: expected name=value, got {part!r} in {text!r}")
        flags[name.strip()] = value.strip()
    return flags


def _typed(flags: dict[str, str]) -> dict[str, Any]:
    """Flag texts as the types of their defaults (``allow_gc=False`` is the bool False)."""
    typed: dict[str, Any] = {}
    for name, text in flags.items():
        default = KEPT_FLAGS.get(name.replace(".", "__"))
        if isinstance(default, bool):
            if text not in ("True", "False", "true", "false", "1", "0"):
                raise ValueError(f"THEANO_FLAGS: {name} must be True or False, got {text!r}")
            typed[name] = text in ("True", "true", "1")
        elif isinstance(default, int):
            typed[name] = int(text)
        else:
            typed[name] = text
    return typed


def from_environment(environ: Mapping[str, str] = os.environ) -> TheanoConfig:
    """The config ``THEANO_FLAGS`` describes (Theano's defaults where it says nothing)."""
    return TheanoConfig(_typed(parse_flags(environ.get("THEANO_FLAGS", ""))))


config = from_environment()
