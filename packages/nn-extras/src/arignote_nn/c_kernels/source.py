"""The C text of nn-extras' kernels: the shared helpers, and convolution or pooling instantiated for one dtype.

Each part is include-guarded, so that several kernels (each carrying its support text) share one module.
"""

from __future__ import annotations

import functools
from importlib.resources import files

from arignote_c import Unsupported
from arignote_c.runtime import services_header

#: the headers of each part that are not just ``part.h`` (the 3-d convolution builds on the 2-d one's rules)
_HEADERS = {"conv3d": ("conv.h", "conv3d.h")}

#: the C type, its name suffix and codegen-c's BLAS table index of each dtype with kernels
C_TYPES = {"float32": ("float", "f32", 0), "float64": ("double", "f64", 1)}


def c_type(dtype: str) -> tuple[str, str, int]:
    """(C type, suffix, BLAS index) of ``dtype``; ``Unsupported`` for the others (their nodes run ``perform``)."""
    if dtype not in C_TYPES:
        raise Unsupported(f"nn-extras has C kernels for float32 and float64, not {dtype}")
    return C_TYPES[dtype]


@functools.cache
def support(part: str, dtype: str) -> str:
    """One kernel's support text: the runtime's services (codegen-c's ``services.h``), the shared helpers
    (``common.h``), those of ``part`` (``conv``, ``conv3d`` or ``pool``: ``part.h``, after ``conv.h`` for
    ``conv3d``), and ``part.c`` instantiated for ``dtype``."""
    ctype, suffix, blas = c_type(dtype)
    here = files(__package__)
    guard = f"ARIGNOTE_NN_{part.upper()}_{suffix.upper()}"
    return "\n".join([
        services_header(),
        here.joinpath("common.h").read_text(),
        *(here.joinpath(header).read_text() for header in _HEADERS.get(part, (f"{part}.h",))),
        f"#ifndef {guard}", f"#define {guard}", f"#define real_t {ctype}", f"#define NN_BLAS {blas}",
        f"#define NN(name) nn_##name##_{suffix}",
        here.joinpath(f"{part}.c").read_text(),
        "#undef NN", "#undef NN_BLAS", "#undef real_t", "#endif",
    ])


def function_name(name: str, dtype: str) -> str:
    """The C name of kernel function ``name`` for ``dtype``."""
    return f"nn_{name}_{c_type(dtype)[1]}"
