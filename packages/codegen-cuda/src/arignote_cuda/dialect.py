"""The CUDA dialect of codegen-c's emitter, and the preamble every CUDA module starts with.

The scalar expressions are codegen-c's (``emit/scalar.py``), spelled for CUDA C++ through ``CUDA_DIALECT``:
helpers are ``__device__`` functions, pointers ``__restrict__``, no OpenMP pragmas. float16 and complex dtypes
have no CUDA spelling yet: their nodes run on the host.
"""

from __future__ import annotations

from arignote_c.emit.dialect import Dialect

#: the dtypes kernels compute in and store, with their CUDA C++ types (the names are the preamble's typedefs)
DEVICE_TYPES = {
    "bool": "uint8_t", "int8": "int8_t", "int16": "int16_t", "int32": "int32_t", "int64": "int64_t",
    "uint8": "uint8_t", "uint16": "uint16_t", "uint32": "uint32_t", "uint64": "uint64_t", "float32": "float",
    "float64": "double",
}

CUDA_DIALECT = Dialect(
    name="cuda",
    storage=DEVICE_TYPES,
    compute=DEVICE_TYPES,
    helper_qualifier="__device__ static inline",
    simd_pragma="",
    simd_reduction="",
    restrict="__restrict__",
    vector_declaration="",
    headers=(),
    signed_arithmetic_wraps=False,  # NVRTC and nvcc have no -fwrapv
)

#: the error codes a kernel raises through its error flag (codegen-c's AG_ERR_* names), and what they mean
KERNEL_ERRORS: dict[str, tuple[int, type[Exception], str]] = {
    "AG_ERR_NEGATIVE_POWER": (1, ValueError, "Integers to negative integer powers are not allowed."),
    # random draws (ops/random.py) whose parameter is out of its domain: graph-core's samplers' messages
    "AG_ERR_RANDOM_SCALE": (256, ValueError, "scale < 0: a distribution's scale must be >= 0 (and not NaN)"),
    "AG_ERR_RANDOM_SIGMA": (512, ValueError, "sigma < 0: lognormal's sigma must be >= 0 (and not NaN)"),
    # an index array's entry outside -size .. size-1 of its axis (ops/indexing.py); NumPy's message also names
    # the index, the axis and its size, which one flag cannot carry
    "AG_ERR_INDEX_OUT_OF_BOUNDS": (8192, IndexError, "index out of bounds: an index array holds an index outside "
                                   "-size .. size-1 of the axis it indexes"),
}

ERROR_ENUM = "enum { " + ", ".join(f"{name} = {code}" for name, (code, _, _) in KERNEL_ERRORS.items()) + " };\n"

#: libm functions of two doubles: C converts mixed arguments (``copysign(0, b)``, ``nextafter(x, INFINITY)``), where
#: CUDA C++'s float and double overloads would be ambiguous; the preamble's templates convert as C does
_C_BINARY = ("copysign", "nextafter", "fmod", "pow", "atan2", "hypot", "fmax", "fmin")

#: what NVRTC lacks without headers (fixed-width integers, NAN, INFINITY); nvcc has them from the C headers
CUDA_PREAMBLE = """#ifdef __CUDACC_RTC__
typedef signed char int8_t;
typedef short int16_t;
typedef int int32_t;
typedef long long int64_t;
typedef unsigned char uint8_t;
typedef unsigned short uint16_t;
typedef unsigned int uint32_t;
typedef unsigned long long uint64_t;
#define NAN __int_as_float(0x7fffffff)
#define INFINITY __int_as_float(0x7f800000)
#else
#include <stdint.h>
#include <math.h>
#endif
""" + ERROR_ENUM + "".join(
    f"template <typename A, typename B> __device__ static inline double {name}(A a, B b) "
    f"{{ return {name}((double)a, (double)b); }}\n" for name in _C_BINARY)
