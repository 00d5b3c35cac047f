"""Connection expressions compiled to numba functions of one pair, and their interval bounds.

``Expression`` trees (``lifnet.expressions``) are translated to the source of
small numba functions of one pair: rows ``a`` and ``b`` of the pre and post
coordinate tables ``P``, ``Q`` (x, y, z, xnorm, ynorm, znorm) and a random
state ``S``. Only the node types ``Expression`` accepts can appear, so the
generated source contains nothing but arithmetic on the pair's coordinates,
numbers, and the listed functions. A probability expression also gets an
*interval* twin: the range of p over every postsynaptic position in a box, by
interval arithmetic (``lifnet.pair_kernels`` uses it to skip unlikely pairs).

Random numbers are splitmix64 streams seeded by Philox from (seed, row,
stream): a row's draws do not depend on any other row's.
"""

import ast
import math

import numpy as np
from numba import uint64

from . import validation as val
from .expressions import Expression
from .integrators.philox import philox4x32
from .kernel_cache import njit

_COORD = {"x": 0, "y": 1, "z": 2, "xnorm": 3, "ynorm": 4, "znorm": 5}
_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**",
           ast.Mod: "%"}
_COMPARE = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==",
            ast.NotEq: "!="}
_CMP_CODE = {ast.Lt: 0, ast.LtE: 1, ast.Gt: 2, ast.GtE: 3, ast.Eq: 4, ast.NotEq: 5}
_CALLS = {"exp": "np.exp", "log": "np.log", "sqrt": "np.sqrt", "abs": "abs", "sin": "np.sin",
          "cos": "np.cos", "tanh": "np.tanh", "minimum": "min", "maximum": "max",
          "floor": "np.floor", "round": "np.round", "uniform": "_uniform",
          "normal": "_normal", "lognormal": "_lognormal", "exponential": "_exponential",
          "poisson": "_poisson"}
_RANDOM = ("uniform", "normal", "lognormal", "exponential", "poisson")
_MONOTONE = {"exp": "np.exp", "tanh": "np.tanh", "floor": "np.floor", "round": "np.round"}
_VARIABLES = {
    "dist_x": "abs(Q[b, 0] - P[a, 0])", "dist_y": "abs(Q[b, 1] - P[a, 1])",
    "dist_z": "abs(Q[b, 2] - P[a, 2])",
    "dist_2D": "np.sqrt((Q[b, 0] - P[a, 0]) ** 2 + (Q[b, 2] - P[a, 2]) ** 2)",
    "dist_3D": "np.sqrt((Q[b, 0] - P[a, 0]) ** 2 + (Q[b, 1] - P[a, 1]) ** 2 "
               "+ (Q[b, 2] - P[a, 2]) ** 2)",
}
_DIST_AXES = {"dist_x": (1, 0, 0), "dist_y": (0, 1, 0), "dist_z": (0, 0, 1),
              "dist_2D": (1, 0, 1), "dist_3D": (1, 1, 1)}
_cache = {}


# --- Random numbers: splitmix64 streams, one per presynaptic row and use ---------------------

@njit(cache=True, inline="always")
def row_state(row, stream, k0, k1):
    r0, r1, _, _ = philox4x32(row, 0x5EED, stream, 0, k0, k1)
    return (r0 << uint64(32)) | r1


@njit(cache=True, inline="always")
def _next(S):
    S[0] += uint64(0x9E3779B97F4A7C15)
    z = S[0]
    z = (z ^ (z >> uint64(30))) * uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> uint64(27))) * uint64(0x94D049BB133111EB)
    return z ^ (z >> uint64(31))


@njit(cache=True, inline="always")
def unit(S):
    """A double in the open interval (0, 1)."""
    return ((_next(S) >> uint64(11)) + 0.5) * (1.0 / 9007199254740992.0)


@njit(cache=True)
def _uniform(S, low, high):
    return low + (high - low) * unit(S)


# A draw whose parameter is out of its domain gives NaN, which the kernels count as
# an error (as expressions.Expression does for the NumPy path).
@njit(cache=True)
def _normal(S, mean, sd):
    # Box-Muller; one of the pair is used, so each call is a pure function of the stream.
    if not sd >= 0.0:
        return np.nan
    return mean + sd * math.sqrt(-2.0 * math.log(unit(S))) * math.cos(2.0 * math.pi * unit(S))


@njit(cache=True)
def _lognormal(S, mean, sigma):
    return math.exp(_normal(S, mean, sigma))


@njit(cache=True)
def _exponential(S, scale):
    if not scale >= 0.0:
        return np.nan
    return -scale * math.log(unit(S))


@njit(cache=True)
def _poisson(S, lam):
    if not 0.0 <= lam < 1e15:   # NaN and inf included: the loop below would not end
        return np.nan
    if lam == 0.0:
        return 0.0
    if lam < 30.0:
        # Multiplication of uniforms (Knuth): expected lam + 1 draws.
        limit = math.exp(-lam)
        k = 0
        prod = unit(S)
        while prod > limit:
            k += 1
            prod *= unit(S)
        return float(k)
    # Transformed rejection with squeeze (Hörmann 1993, PTRS).
    slam = math.sqrt(lam)
    loglam = math.log(lam)
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    inv_alpha = 1.1239 + 1.1328 / (b - 3.4)
    v_r = 0.9277 - 3.6224 / (b - 2.0)
    while True:
        u = unit(S) - 0.5
        v = unit(S)
        us = 0.5 - abs(u)
        k = math.floor((2.0 * a / us + b) * u + lam + 0.43)
        if us >= 0.07 and v <= v_r:
            return k
        if k < 0.0 or (us < 0.013 and v > us):
            continue
        if (math.log(v) + math.log(inv_alpha) - math.log(a / (us * us) + b)
                <= -lam + k * loglam - math.lgamma(k + 1.0)):
            return k


# --- Interval arithmetic: the range of an expression over a box of positions ---------------

_INF = np.inf


@njit(cache=True, inline="always")
def _gap(p, lo, hi):
    return max(lo - p, 0.0, p - hi)


@njit(cache=True, inline="always")
def _far(p, lo, hi):
    return max(abs(p - lo), abs(p - hi))


@njit(cache=True, inline="always")
def _idist(P, a, lo, hi, c, ax, ay, az):
    near = 0.0
    far = 0.0
    for k, on in ((0, ax), (1, ay), (2, az)):
        if on:
            near += _gap(P[a, k], lo[c, k], hi[c, k]) ** 2
            far += _far(P[a, k], lo[c, k], hi[c, k]) ** 2
    return math.sqrt(near), math.sqrt(far)


@njit(cache=True, inline="always")
def _imul(a, b, c, d):
    p1, p2, p3, p4 = a * c, a * d, b * c, b * d
    if p1 != p1 or p2 != p2 or p3 != p3 or p4 != p4:
        return -_INF, _INF
    return min(p1, p2, p3, p4), max(p1, p2, p3, p4)


@njit(cache=True, inline="always")
def _idiv(a, b, c, d):
    if c > 0.0 or d < 0.0:
        return _imul(a, b, 1.0 / d, 1.0 / c)
    return -_INF, _INF


@njit(cache=True, inline="always")
def _ipow(a, b, c, d):
    if c == d:
        e = c
        if a >= 0.0:
            if e >= 0.0:
                return a ** e, b ** e
            return (_INF if b == 0.0 else b ** e), (_INF if a == 0.0 else a ** e)
        if e == math.floor(e) and e >= 0.0:
            x, y = a ** e, b ** e
            if e % 2.0 == 1.0:
                return x, y
            return (0.0 if b >= 0.0 else min(x, y)), max(x, y)
        return -_INF, _INF
    if a == b and a > 0.0:
        x, y = a ** c, a ** d
        return min(x, y), max(x, y)
    return -_INF, _INF


@njit(cache=True, inline="always")
def _imod(a, b, c, d):
    if c == d and c > 0.0:
        return 0.0, c
    return -_INF, _INF


@njit(cache=True, inline="always")
def _iabs(a, b):
    if a >= 0.0:
        return a, b
    if b <= 0.0:
        return -b, -a
    return 0.0, max(-a, b)


@njit(cache=True, inline="always")
def _isqrt(a, b):
    return math.sqrt(max(a, 0.0)), math.sqrt(max(b, 0.0))


@njit(cache=True, inline="always")
def _ilog(a, b):
    return (np.log(a) if a > 0.0 else -_INF), (np.log(b) if b > 0.0 else -_INF)


@njit(cache=True, inline="always")
def _imin(a, b, c, d):
    if a != a or b != b or c != c or d != d:
        return -_INF, _INF
    return min(a, c), min(b, d)


@njit(cache=True, inline="always")
def _imax(a, b, c, d):
    if a != a or b != b or c != c or d != d:
        return -_INF, _INF
    return max(a, c), max(b, d)


@njit(cache=True, inline="always")
def _icmp(op, a, b, c, d):
    """(lo, hi) of the 0/1 value of [a, b] op [c, d]: (1, 1) if always true, (0, 0) never."""
    if op == 0:
        always, never = b < c, a >= d
    elif op == 1:
        always, never = b <= c, a > d
    elif op == 2:
        always, never = a > d, b <= c
    elif op == 3:
        always, never = a >= d, b < c
    elif op == 4:
        always, never = a == b and b == c and c == d, b < c or a > d
    else:
        always, never = b < c or a > d, a == b and b == c and c == d
    if always:
        return 1.0, 1.0
    if never:
        return 0.0, 0.0
    return 0.0, 1.0


@njit(cache=True, inline="always")
def _iwhere(cl, ch, xl, xh, yl, yh):
    if cl > 0.0 or ch < 0.0:
        return xl, xh
    if cl == 0.0 and ch == 0.0:
        return yl, yh
    return _imin(xl, xh, yl, yh)[0], _imax(xl, xh, yl, yh)[1]


# --- Code generation ----------------------------------------------------------------------

def _source(node):
    if isinstance(node, ast.Constant):
        return repr(float(node.value))
    if isinstance(node, ast.Name):
        if node.id in _VARIABLES:
            return f"({_VARIABLES[node.id]})"
        side, coord = node.id.split("_", 1)
        return f"{'P[a' if side == 'pre' else 'Q[b'}, {_COORD[coord]}]"
    if isinstance(node, ast.BinOp):
        return f"({_source(node.left)} {_BINARY[type(node.op)]} {_source(node.right)})"
    if isinstance(node, ast.UnaryOp):
        return f"({'-' if isinstance(node.op, ast.USub) else '+'}{_source(node.operand)})"
    if isinstance(node, ast.Compare):
        return (f"(1.0 if {_source(node.left)} {_COMPARE[type(node.ops[0])]} "
                f"{_source(node.comparators[0])} else 0.0)")
    name = node.func.id
    args = [_source(a) for a in node.args]
    if name == "where":
        c, a, b = args
        return f"({a} if {c} != 0.0 else {b})"
    if name in _RANDOM:
        args = ["S"] + args
    return f"float({_CALLS[name]}({', '.join(args)}))"


class _IntervalSource:
    """Statements computing (lo, hi) of an expression for pre point P and post box [lo, hi]."""

    def __init__(self):
        self.lines = []

    def _new(self, expr):
        k = len(self.lines)
        self.lines.append(f"l{k}, h{k} = {expr}")
        return f"l{k}", f"h{k}"

    def visit(self, node):
        if isinstance(node, ast.Constant):
            v = repr(float(node.value))
            return self._new(f"{v}, {v}")
        if isinstance(node, ast.Name):
            if node.id in _DIST_AXES:
                axes = ", ".join(map(str, _DIST_AXES[node.id]))
                return self._new(f"_idist(P, a, lo, hi, c, {axes})")
            side, coord = node.id.split("_", 1)
            k = _COORD[coord]
            return self._new(f"P[a, {k}], P[a, {k}]" if side == "pre" else
                             f"lo[c, {k}], hi[c, {k}]")
        if isinstance(node, ast.BinOp):
            a, b = self.visit(node.left)
            c, d = self.visit(node.right)
            op = type(node.op)
            if op is ast.Add:
                return self._new(f"{a} + {c}, {b} + {d}")
            if op is ast.Sub:
                return self._new(f"{a} - {d}, {b} - {c}")
            fn = {ast.Mult: "_imul", ast.Div: "_idiv", ast.Pow: "_ipow", ast.Mod: "_imod"}[op]
            return self._new(f"{fn}({a}, {b}, {c}, {d})")
        if isinstance(node, ast.UnaryOp):
            a, b = self.visit(node.operand)
            return self._new(f"-{b}, -{a}" if isinstance(node.op, ast.USub) else f"{a}, {b}")
        if isinstance(node, ast.Compare):
            a, b = self.visit(node.left)
            c, d = self.visit(node.comparators[0])
            return self._new(f"_icmp({_CMP_CODE[type(node.ops[0])]}, {a}, {b}, {c}, {d})")
        name = node.func.id
        if name in _RANDOM:
            return self._new("-np.inf, np.inf")
        args = [self.visit(a) for a in node.args]
        flat = ", ".join(x for pair in args for x in pair)
        if name in _MONOTONE:
            (a, b), = args
            return self._new(f"{_MONOTONE[name]}({a}), {_MONOTONE[name]}({b})")
        if name in ("sin", "cos"):
            return self._new("-1.0, 1.0")
        fn = {"abs": "_iabs", "sqrt": "_isqrt", "log": "_ilog", "minimum": "_imin",
              "maximum": "_imax", "where": "_iwhere"}[name]
        return self._new(f"{fn}({flat})")


_NAMESPACE = {"np": np, "_uniform": _uniform, "_normal": _normal, "_lognormal": _lognormal,
              "_exponential": _exponential, "_poisson": _poisson, "_idist": _idist,
              "_imul": _imul, "_idiv": _idiv, "_ipow": _ipow, "_imod": _imod, "_iabs": _iabs,
              "_isqrt": _isqrt, "_ilog": _ilog, "_imin": _imin, "_imax": _imax,
              "_icmp": _icmp, "_iwhere": _iwhere}


def _njit_source(text, name):
    namespace = dict(_NAMESPACE)
    exec(text, namespace)   # source built from a checked AST (see module docstring)
    return njit(nogil=True, inline="always")(namespace[name])


def function_source(value, name):
    """Source of ``def name(P, a, Q, b, S)``: the value of an Expression (or a number)."""
    body = _source(value.tree) if isinstance(value, Expression) else repr(float(value))
    return f"def {name}(P, a, Q, b, S):\n    return {body}\n"


def bound_source(value, name):
    """Source of ``def name(P, a, lo, hi, c)`` -> (low, high) of an Expression for P[a] and
    every postsynaptic position in the box lo[c] ... hi[c]; (0, 1) for None."""
    if value is None:
        return f"def {name}(P, a, lo, hi, c):\n    return 0.0, 1.0\n"
    gen = _IntervalSource()
    low, high = gen.visit(value.tree)
    body = "".join(f"    {line}\n" for line in gen.lines)
    return f"def {name}(P, a, lo, hi, c):\n{body}    return {low}, {high}\n"


# What the generated source may call, besides NumPy (see HELPERS_IMPORT).
HELPERS = tuple(name for name in _NAMESPACE if name != "np")
HELPERS_IMPORT = f"from lifnet.pair_functions import {', '.join(HELPERS)}"


def compiled(value):
    """A numba function f(P, a, Q, b, S) -> float of pair (P[a], Q[b]): an Expression or a number.

    Rows are indexed inside (no row views: a view per pair costs more than the
    expression).
    """
    key = ("value", value.text if isinstance(value, Expression) else float(value))
    if key not in _cache:
        _cache[key] = _njit_source(function_source(value, "f"), "f")
    return _cache[key]


def compiled_bound(value):
    """A numba function b(P, a, lo, hi, c) -> (low, high) of an Expression (see bound_source)."""
    key = ("bound", value.text)
    if key not in _cache:
        _cache[key] = _njit_source(bound_source(value, "b"), "b")
    return _cache[key]


def compilable(value):
    """True if a connect value can take the compiled path: None, a number or an expression."""
    return value is None or isinstance(value, str) or (
        not callable(value) and val.ndim("value", value) == 0)
