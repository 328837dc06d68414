"""C helper functions with NumPy's exact semantics (integer division and modulo, float divmod, shifts, powers,
logaddexp, complex arithmetic), each defined once per module for the dtypes it is used with.

The algorithms are NumPy's own (numpy/_core/src/npymath and umath loops), so results match bit for bit.
"""

from __future__ import annotations

import numpy as np

from .context import EmitContext


def _minimum(dtype: str) -> str:
    return f"(({dtype}_t){np.iinfo(dtype).min + 1} - 1)"


def _ctype_int(dtype: str) -> str:
    return f"{dtype}_t"


def _unsigned(dtype: str) -> str:
    return "u" + dtype if not dtype.startswith("u") else dtype


def int_floor_divide(ctx: EmitContext, dtype: str) -> str:
    t = _ctype_int(dtype)
    if dtype.startswith("u"):
        body = "return b == 0 ? 0 : (T)(a / b);"
    else:
        body = ("if (b == 0) return 0;\n    if (b == -1 && a == MIN) return a;\n    T q = (T)(a / b);\n"
                "    if (((a > 0) != (b > 0)) && (T)(q * b) != a) q -= 1;\n    return q;")
        body = body.replace("MIN", _minimum(dtype))
    name = f"ag_floor_divide_{dtype}"
    return ctx.helper(name, lambda q: f"{q} {t} {name}({t} a, {t} b) {{\n    {body.replace('T', t)}\n}}")


def int_remainder(ctx: EmitContext, dtype: str, python_sign: bool) -> str:
    """NumPy's remainder (sign of the divisor) or fmod (sign of the dividend) on integers; x % 0 is 0."""
    t = _ctype_int(dtype)
    name = f"ag_{'remainder' if python_sign else 'fmod'}_{dtype}"
    if dtype.startswith("u"):
        body = f"return b == 0 ? 0 : ({t})(a % b);"
    else:
        fix = "    if (r != 0 && ((a > 0) != (b > 0))) r += b;\n" if python_sign else ""
        body = (f"if (b == 0 || (b == -1 && a == {_minimum(dtype)})) return 0;\n    {t} r = ({t})(a % b);\n"
                f"{fix}    return r;")
    return ctx.helper(name, lambda q: f"{q} {t} {name}({t} a, {t} b) {{\n    {body}\n}}")


def float_divmod(ctx: EmitContext, dtype: str) -> str:
    """npy_divmod: Python's floored division and modulo for floats (computed in float for float16)."""
    t = ctx.ctype(dtype)
    fmod, floor, copysign = (ctx.math(n, dtype) for n in ("fmod", "floor", "copysign"))
    name = f"ag_divmod_{dtype}"
    return ctx.helper(name, lambda q: f"""{q} {t} {name}({t} a, {t} b, {t} *modulus) {{
    {t} mod = {fmod}(a, b);
    if (!b) {{ *modulus = mod; return a / b; }}
    {t} div = (a - mod) / b, floordiv;
    if (mod) {{ if ((b < 0) != (mod < 0)) {{ mod += b; div -= 1; }} }}
    else {{ mod = {copysign}(0, b); }}
    if (div) {{ floordiv = {floor}(div); if (div - floordiv > 0.5) floordiv += 1; }}
    else {{ floordiv = {copysign}(0, a / b); }}
    *modulus = mod;
    return floordiv;
}}""")


def float_floor_divide(ctx: EmitContext, dtype: str) -> str:
    t, divmod_ = ctx.ctype(dtype), float_divmod(ctx, dtype)
    name = f"ag_floor_divide_{dtype}"
    return ctx.helper(name, lambda q: f"""{q} {t} {name}({t} a, {t} b) {{
    {t} mod;
    return b ? {divmod_}(a, b, &mod) : a / b;
}}""")


def float_remainder(ctx: EmitContext, dtype: str) -> str:
    t, divmod_, fmod = ctx.ctype(dtype), float_divmod(ctx, dtype), ctx.math("fmod", dtype)
    name = f"ag_remainder_{dtype}"
    return ctx.helper(name, lambda q: f"""{q} {t} {name}({t} a, {t} b) {{
    {t} mod;
    if (!b) return {fmod}(a, b);
    {divmod_}(a, b, &mod);
    return mod;
}}""")


def int_power(ctx: EmitContext, dtype: str) -> str:
    """Exponentiation by squaring, wrapping on overflow; the caller flags negative exponents."""
    t = _ctype_int(dtype)
    name = f"ag_power_{dtype}"
    return ctx.helper(name, lambda q: f"""{q} {t} {name}({t} a, {t} b) {{
    if (b <= 0 || a == 1) return b == 0 || a == 1 ? 1 : 0;
    {t} out = (b & 1) ? a : 1;
    b >>= 1;
    while (b > 0) {{ a = ({t})(a * a); if (b & 1) out = ({t})(out * a); b >>= 1; }}
    return out;
}}""")


def shift(ctx: EmitContext, dtype: str, left: bool) -> str:
    """npy_lshift / npy_rshift: shifting by the bit width or more gives 0 (or -1 for negative signed >>)."""
    t, u = _ctype_int(dtype), _ctype_int(_unsigned(dtype))
    bits = np.dtype(dtype).itemsize * 8
    name = f"ag_{'lshift' if left else 'rshift'}_{dtype}"
    if left:
        body = f"return ({u})b < {bits} ? ({t})(({u})a << b) : 0;"
    else:
        overflow = "(a < 0 ? -1 : 0)" if not dtype.startswith("u") else "0"
        body = f"return ({u})b < {bits} ? ({t})(a >> b) : {overflow};"
    return ctx.helper(name, lambda q: f"{q} {t} {name}({t} a, {t} b) {{ {body} }}")


def _unsigned_gcd(ctx: EmitContext, dtype: str) -> str:
    u = _ctype_int(_unsigned(dtype))
    name = f"ag_gcdu_{_unsigned(dtype)}"
    return ctx.helper(name, lambda q: f"""{q} {u} {name}({u} a, {u} b) {{
    while (a != 0) {{ {u} c = a; a = ({u})(b % a); b = c; }}
    return b;
}}""")


def gcd(ctx: EmitContext, dtype: str) -> str:
    """npy_gcd: Euclid on the magnitudes, in unsigned arithmetic (so that the minimum integer works)."""
    t, u, g = _ctype_int(dtype), _ctype_int(_unsigned(dtype)), _unsigned_gcd(ctx, dtype)
    name = f"ag_gcd_{dtype}"
    magnitude = "({u})(x < 0 ? -x : x)" if not dtype.startswith("u") else "x"
    a, b = (magnitude.replace("x", v).replace("{u}", u) for v in "ab")
    return ctx.helper(name, lambda q: f"{q} {t} {name}({t} a, {t} b) {{ return ({t}){g}({a}, {b}); }}")


def lcm(ctx: EmitContext, dtype: str) -> str:
    """npy_lcm: |a| / gcd * |b| in unsigned arithmetic (wrapping like NumPy)."""
    t, u, g = _ctype_int(dtype), _ctype_int(_unsigned(dtype)), _unsigned_gcd(ctx, dtype)
    name = f"ag_lcm_{dtype}"
    magnitude = "({u})(x < 0 ? -x : x)" if not dtype.startswith("u") else "x"
    a, b = (magnitude.replace("x", v).replace("{u}", u) for v in "ab")
    return ctx.helper(name, lambda q: f"""{q} {t} {name}({t} a, {t} b) {{
    {u} ua = {a}, ub = {b}, g = {g}(ua, ub);
    return g == 0 ? 0 : ({t})({u})(ua / g * ub);
}}""")


def logaddexp(ctx: EmitContext, dtype: str, base2: bool) -> str:
    t = ctx.ctype(dtype)
    log1p, exp = ctx.math("log1p", dtype), ctx.math("exp2" if base2 else "exp", dtype)
    same = "1" if base2 else "0.693147180559945309417232121458176568"
    scale = "1.442695040888963407359924681001892137 * " if base2 else ""
    name = f"ag_logaddexp{'2' if base2 else ''}_{dtype}"
    return ctx.helper(name, lambda q: f"""{q} {t} {name}({t} x, {t} y) {{
    if (x == y) return x + ({t}){same};
    {t} d = x - y;
    if (d > 0) return x + ({t})({scale}{log1p}({exp}(-d)));
    if (d <= 0) return y + ({t})({scale}{log1p}({exp}(d)));
    return d;
}}""")


def spacing(ctx: EmitContext, dtype: str) -> str:
    t = ctx.ctype(dtype)
    name = f"ag_spacing_{dtype}"
    if dtype == "float16":  # npy_half_spacing, on the bits (its result is never negative, unlike float's)
        body = """_Float16 in = (_Float16)x, out;
    uint16_t h, r, e, m;
    __builtin_memcpy(&h, &in, 2);
    e = h & 0x7c00u;
    m = h & 0x03ffu;
    if (e == 0x7c00u) return NAN;
    if (h == 0x7bffu) return INFINITY;
    if ((h & 0x8000u) && m == 0) r = e > 0x2c00u ? e - 0x2c00u : (e > 0x0400u ? 1 << ((e >> 10) - 2) : 1);
    else r = e > 0x2800u ? e - 0x2800u : (e > 0x0400u ? 1 << ((e >> 10) - 1) : 1);
    __builtin_memcpy(&out, &r, 2);
    return (float)out;"""
    else:
        nextafter = ctx.math("nextafter", dtype)
        body = f"if (isinf(x)) return NAN;\n    return {nextafter}(x, x < 0 || signbit(x) ? -INFINITY : INFINITY) - x;"
    return ctx.helper(name, lambda q: f"{q} {t} {name}({t} x) {{\n    {body}\n}}")


def complex_divide(ctx: EmitContext, dtype: str) -> str:
    """Smith's algorithm, as NumPy divides complex numbers."""
    t = ctx.ctype(dtype)
    r = "float" if dtype == "complex64" else "double"
    make = "CMPLXF" if dtype == "complex64" else "CMPLX"
    re, im, fabs = ctx.math("real", dtype), ctx.math("imag", dtype), "fabsf" if r == "float" else "fabs"
    name = f"ag_cdiv_{dtype}"
    return ctx.helper(name, lambda q: f"""{q} {t} {name}({t} a, {t} b) {{
    {r} ar = {re}(a), ai = {im}(a), br = {re}(b), bi = {im}(b), abr = {fabs}(br), abi = {fabs}(bi);
    if (abr >= abi) {{
        if (abr == 0 && abi == 0) return {make}(ar / abr, ai / abr);
        {r} rat = bi / br, scl = 1 / (br + bi * rat);
        return {make}((ar + ai * rat) * scl, (ai - ar * rat) * scl);
    }}
    {r} rat = br / bi, scl = 1 / (bi + br * rat);
    return {make}((ar * rat + ai) * scl, (ai * rat - ar) * scl);
}}""")


def complex_multiply(ctx: EmitContext, dtype: str) -> str:
    """The textbook product (NumPy's), without C99's Annex G recovery of infinities."""
    t = ctx.ctype(dtype)
    r = "float" if dtype == "complex64" else "double"
    make = "CMPLXF" if dtype == "complex64" else "CMPLX"
    re, im = ctx.math("real", dtype), ctx.math("imag", dtype)
    name = f"ag_cmul_{dtype}"
    return ctx.helper(name, lambda q: f"""{q} {t} {name}({t} a, {t} b) {{
    {r} ar = {re}(a), ai = {im}(a), br = {re}(b), bi = {im}(b);
    return {make}(ar * br - ai * bi, ar * bi + ai * br);
}}""")
