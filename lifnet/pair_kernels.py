"""Compiled connection drawing for expression rules, in time proportional to the synapses.

``Expression`` trees (``lifnet.expressions``) are translated to the source of
small numba functions of one pair: its pre and post coordinates ``P``, ``Q``
(x, y, z, xnorm, ynorm, znorm) and the row's random state ``S``. Only the node
types ``Expression`` accepts can appear, so the generated source contains
nothing but arithmetic on the pair's coordinates, numbers, and the listed
functions. A probability expression also gets an *interval* twin: the range
of p over every postsynaptic position in a box, by interval arithmetic.

Drawing a projection (``draw``):

1. With p an expression, the postsynaptic candidates are put in Morton (Z)
   order of their positions and cut into blocks of ``BLOCK`` cells, each with
   its bounding box.
2. For each presynaptic row and each block, ``p_max`` bounds p over the
   block. Candidates are visited by geometric skips at rate ``p_max`` and kept
   with probability ``p / p_max`` (thinning): every pair is still kept with
   probability exactly p, but a block where p is small costs almost nothing.
   A constant p is one block at rate p. Where the bound is not informative
   (a random function in p, say) every pair is tested.
3. Each row's synapses are sorted by delay when they have one each (delivery
   bisects the row). Otherwise they stay in candidate order: increasing
   postsynaptic index for a constant p, spatial (Morton) order for an expression.

Random numbers come from a splitmix64 stream per presynaptic row, seeded by
Philox from (projection seed, row): rows are independent, so the rows are
drawn in chunks on a thread pool (the kernels release the GIL) and the
synapses do not depend on the number of threads.
"""

import ast
import math
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np
from numba import njit, uint64

from .integrators.philox import philox4x32, split_seed

BLOCK = 128             # postsynaptic candidates per bounding box
EVERY_PAIR_ABOVE = 0.5  # p_max above which each pair is tested rather than skipped to
CHUNKS_PER_THREAD = 8
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


# --- Random numbers: one splitmix64 stream per presynaptic row ------------------------------

@njit(cache=True, inline="always")
def _row_state(row, stream, k0, k1):
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
def _unit(S):
    """A double in the open interval (0, 1)."""
    return ((_next(S) >> uint64(11)) + 0.5) * (1.0 / 9007199254740992.0)


@njit(cache=True)
def _uniform(S, low, high):
    return low + (high - low) * _unit(S)


@njit(cache=True)
def _normal(S, mean, sd):
    # Box-Muller; one of the pair is used, so each call is a pure function of the stream.
    return mean + sd * math.sqrt(-2.0 * math.log(_unit(S))) * math.cos(2.0 * math.pi * _unit(S))


@njit(cache=True)
def _lognormal(S, mean, sigma):
    return math.exp(_normal(S, mean, sigma))


@njit(cache=True)
def _exponential(S, scale):
    return -scale * math.log(_unit(S))


@njit(cache=True)
def _poisson(S, lam):
    if lam <= 0.0:
        return 0.0
    if lam < 30.0:
        # Multiplication of uniforms (Knuth): expected lam + 1 draws.
        limit = math.exp(-lam)
        k = 0
        prod = _unit(S)
        while prod > limit:
            k += 1
            prod *= _unit(S)
        return float(k)
    # Transformed rejection with squeeze (Hörmann 1993, PTRS).
    slam = math.sqrt(lam)
    loglam = math.log(lam)
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    inv_alpha = 1.1239 + 1.1328 / (b - 3.4)
    v_r = 0.9277 - 3.6224 / (b - 2.0)
    while True:
        u = _unit(S) - 0.5
        v = _unit(S)
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


def compiled(value):
    """A numba function f(P, a, Q, b, S) -> float of pair (P[a], Q[b]): an Expression or a number.

    Rows are indexed inside (no row views: a view per pair costs more than the
    expression).
    """
    from .expressions import Expression

    key = ("value", value.text if isinstance(value, Expression) else float(value))
    if key not in _cache:
        body = _source(value.tree) if isinstance(value, Expression) else repr(key[1])
        _cache[key] = _njit_source(f"def f(P, a, Q, b, S):\n    return {body}\n", "f")
    return _cache[key]


def compiled_bound(value):
    """A numba function b(P, a, lo, hi, c) -> (low, high) of an Expression for P[a] and
    every postsynaptic position in the box lo[c] ... hi[c]."""
    key = ("bound", value.text)
    if key not in _cache:
        gen = _IntervalSource()
        a, b = gen.visit(value.tree)
        body = "".join(f"    {line}\n" for line in gen.lines)
        _cache[key] = _njit_source(f"def b(P, a, lo, hi, c):\n{body}    return {a}, {b}\n", "b")
    return _cache[key]


def compilable(value):
    """True if a connect value can take the compiled path: None, a number or an expression."""
    return value is None or isinstance(value, str) or (
        not callable(value) and np.ndim(value) == 0)


# --- Drawing --------------------------------------------------------------------------------

@njit(cache=True, inline="always")
def delay_steps(delay, dt):
    """A per-synapse delay (float32 ms) in steps of dt, as stored for delivery (float32).

    Within float32 rounding of a whole number of steps it is that number, so a
    delay of exactly k dt arrives k steps later, not a hair before.
    """
    d = delay / dt
    r = math.floor(d + 0.5)
    return np.float32(r if abs(d - r) < 2.5e-7 * max(1.0, d) else d)


@njit(cache=True)
def steps_of(delays, dt, out):
    """delay_steps of every delay, into out."""
    for q in range(delays.shape[0]):
        out[q] = delay_steps(delays[q], dt)


@njit(cache=True)
def _sort_row(lo, hi, by_delay, J, W, D, tJ, tW, tD, count):
    """Sort J[lo:hi] (with W, D) by D if by_delay else by J: buckets, then insertion."""
    m = hi - lo
    if m < 2:
        return
    kmin = kmax = float(D[lo] if by_delay else J[lo])
    for q in range(lo + 1, hi):
        key = float(D[q] if by_delay else J[q])
        kmin = min(kmin, key)
        kmax = max(kmax, key)
    if kmax == kmin:
        return
    scale = m / (kmax - kmin)
    count[:m + 1] = 0
    for q in range(lo, hi):
        key = float(D[q] if by_delay else J[q])
        count[min(int((key - kmin) * scale), m - 1) + 1] += 1
    for b in range(m):
        count[b + 1] += count[b]
    for q in range(lo, hi):
        key = float(D[q] if by_delay else J[q])
        b = min(int((key - kmin) * scale), m - 1)
        t = count[b]
        count[b] = t + 1
        tJ[t] = J[q]
        tW[t] = W[q]
        tD[t] = D[q] if by_delay else 0.0
    # Nearly sorted now: insertion sort moves each element within its bucket only.
    for t in range(1, m):
        j, w, d = tJ[t], tW[t], tD[t]
        key = float(d if by_delay else j)
        s = t - 1
        while s >= 0 and float(tD[s] if by_delay else tJ[s]) > key:
            tJ[s + 1], tW[s + 1], tD[s + 1] = tJ[s], tW[s], tD[s]
            s -= 1
        tJ[s + 1], tW[s + 1], tD[s + 1] = j, w, d
    J[lo:hi] = tJ[:m]
    W[lo:hi] = tW[:m]
    if by_delay:
        D[lo:hi] = tD[:m]


def _kernel(p_fn, bound_fn, w_fn, d_fn, n_fn):
    """The row-drawing kernel with these expression functions compiled into it."""
    key = ("kernel", p_fn, bound_fn, w_fn, d_fn, n_fn)
    if key not in _cache:
        _cache[key] = _make_kernel(p_fn, bound_fn, w_fn, d_fn, n_fn)
    return _cache[key]


def _make_kernel(p_fn, bound_fn, w_fn, d_fn, n_fn):
    # The functions are closure constants (inlined), not arguments: a call through
    # a function argument costs several times the expression itself.
    @njit(nogil=True)
    def draw_rows(fill, p_bounded, p_const, w_const, use_n, use_delay, dt, rows, offsets,
                  post_order, block_start, block_lo, block_hi, P, Q, skip_diag, k0, k1, J, W,
                  D, counts, delay_range):
        """Count (``fill`` False: into counts) or write (J, W, D from offsets) rows' synapses.

        Both passes draw the same synapses, so the counts are those written. The
        count pass returns the number of synapses whose weight or delay is not
        finite and widens ``delay_range`` (float32 ms) to their delays. ``p_bounded``:
        p is an expression, bounded per block by ``bound_fn``; else the probability
        is ``p_const`` and ``post_order`` is one block. ``w_const``: the weight if it
        is a nonzero number and there is no nsyn, else NaN (a weight that comes out
        0 drops the pair). Written rows with delays are sorted by delay (float32
        ms), then written in steps of ``dt`` if ``dt`` > 0 (see ``delay_steps``).
        """
        # Three streams per row: candidates and p; weights and nsyn; delays. So the
        # count pass, which skips the delays, draws the same synapses as the fill pass.
        S = np.zeros(1, np.uint64)
        Sw = np.zeros(1, np.uint64)
        Sd = np.zeros(1, np.uint64)
        n_blocks = block_start.shape[0] - 1
        longest = post_order.shape[0]
        cand = np.empty(longest, np.int64)
        pv = np.empty(longest if p_bounded else 0)
        sorting = longest if fill and use_delay else 0
        tJ = np.empty(sorting, np.int32)
        tW = np.empty(sorting, np.float32)
        tD = np.empty(sorting, np.float32)
        count = np.empty(sorting + 1, np.int64)
        bad = 0
        for r in range(rows.shape[0]):
            a = rows[r]
            S[0] = _row_state(a, 0, k0, k1)
            Sw[0] = _row_state(a, 1, k0, k1)
            Sd[0] = _row_state(a, 2, k0, k1)
            start = offsets[r] if fill else 0
            n = start
            for blk in range(n_blocks):
                b0, b1 = block_start[blk], block_start[blk + 1]
                if p_bounded:
                    p_max = bound_fn(P, a, block_lo, block_hi, blk)[1] * (1.0 + 1e-12)
                    if not p_max < 1.0:   # also NaN: no bound
                        p_max = 1.0
                else:
                    p_max = p_const
                if p_max <= 0.0:
                    continue
                # The candidates: every pair, or geometric skips at rate p_max.
                m = 0
                every_pair = p_max > EVERY_PAIR_ABOVE
                if every_pair:
                    for k in range(b0, b1):
                        cand[m] = post_order[k]
                        m += 1
                else:
                    log_q = math.log1p(-p_max)
                    k = b0 - 1
                    while True:
                        g = math.log(_unit(S)) / log_q
                        if g >= b1 - k - 1:
                            break
                        k += 1 + int(g)
                        cand[m] = post_order[k]
                        m += 1
                # Thinning, in separate loops: the expression for all candidates at
                # once pipelines far better than interleaved with the draws.
                kept = 0
                if p_bounded:
                    for i in range(m):
                        pv[i] = p_fn(P, a, Q, cand[i], S)
                    scale = 1.0 if every_pair else p_max
                    for i in range(m):
                        if _unit(S) * scale < pv[i]:
                            cand[kept] = cand[i]
                            kept += 1
                elif every_pair and p_max < 1.0:
                    for i in range(m):
                        if _unit(S) < p_max:
                            cand[kept] = cand[i]
                            kept += 1
                else:
                    kept = m
                for i in range(kept):
                    b = cand[i]
                    if skip_diag and a == b:
                        continue
                    w = w_const
                    if w != w:
                        w = w_fn(P, a, Q, b, Sw)
                        if use_n:
                            w *= math.floor(n_fn(P, a, Q, b, Sw) + 0.5)
                        if w == 0.0:
                            continue
                    d = d_fn(P, a, Q, b, Sd) if use_delay else 0.0
                    if fill:
                        J[n] = b
                        W[n] = w
                        if use_delay:
                            D[n] = d
                    elif not (math.isfinite(w) and math.isfinite(d)):
                        bad += 1
                    elif use_delay:
                        d32 = float(np.float32(d))
                        delay_range[0] = min(delay_range[0], d32)
                        delay_range[1] = max(delay_range[1], d32)
                    n += 1
            if fill and use_delay:
                _sort_row(start, n, True, J, W, D, tJ, tW, tD, count)
                if dt > 0.0:
                    for q in range(start, n):
                        D[q] = delay_steps(D[q], dt)
            elif not fill:
                counts[r] = n
        return bad

    return draw_rows


def _spread_bits(v):
    """Insert two zero bits between the 10 low bits of each value (for Morton codes)."""
    v = v.astype(np.uint64) & np.uint64(0x3FF)
    v = (v | (v << np.uint64(16))) & np.uint64(0x030000FF)
    v = (v | (v << np.uint64(8))) & np.uint64(0x0300F00F)
    v = (v | (v << np.uint64(4))) & np.uint64(0x030C30C3)
    return (v | (v << np.uint64(2))) & np.uint64(0x09249249)


def spatial_blocks(Q, post_idx, block=BLOCK):
    """Candidates in Morton order of position, cut into blocks: (order, starts, lo, hi)."""
    X = Q[post_idx, :3]
    origin = X.min(axis=0)
    extent = max(float((X.max(axis=0) - origin).max()), 1e-300)
    g = np.minimum((X - origin) * (1023.0 / extent), 1023.0).astype(np.uint64)
    code = (_spread_bits(g[:, 0]) | (_spread_bits(g[:, 1]) << np.uint64(1))
            | (_spread_bits(g[:, 2]) << np.uint64(2)))
    order = np.ascontiguousarray(post_idx[np.argsort(code, kind="stable")], dtype=np.int64)
    starts = np.arange(0, order.size, block, dtype=np.int64)
    boxed = Q[order]
    lo = np.ascontiguousarray(np.minimum.reduceat(boxed, starts, axis=0))
    hi = np.ascontiguousarray(np.maximum.reduceat(boxed, starts, axis=0))
    return order, np.append(starts, order.size), lo, hi


def draw(p, weight, delay, nsyn, *, P, Q, pre_idx, post_idx, n_pre, skip_diag, seed):
    """Count a projection's synapses now; write them later: (indptr, write, bad, delay range).

    ``p``, ``weight``, ``delay``, ``nsyn``: an Expression, a number, or None (p: every
    pair; delay: none per synapse; nsyn: one). Rows come out in presynaptic order
    with the postsynaptic indices of ``post_idx``. ``write(indices, weights, delays,
    dt)`` draws the same synapses again into arrays of ``indptr[-1]`` entries: the
    network's own storage, so that they are written once. ``bad``: synapses with a
    non-finite weight or delay (an error for the caller); the delay range (float32
    ms, min and max) is None without per-synapse delays.
    """
    from .expressions import Expression

    p_bounded = isinstance(p, Expression)
    use_delay = delay is not None
    if p_bounded and post_idx.size:
        order, starts, lo, hi = spatial_blocks(Q, post_idx)
        bound = compiled_bound(p)
    else:
        order = np.ascontiguousarray(post_idx, dtype=np.int64)
        starts = np.array([0, order.size], np.int64)
        lo = hi = np.zeros((1, Q.shape[1]))
        bound = compiled_bound_none()
    k0, k1 = split_seed(seed)
    draw_rows = _kernel(compiled(p if p_bounded else 0.0), bound, compiled(weight),
                        compiled(delay if use_delay else 0.0),
                        compiled(1.0 if nsyn is None else nsyn))
    p_const = 1.0 if p is None else (0.0 if p_bounded else float(p))

    rows = np.ascontiguousarray(pre_idx, dtype=np.int64)
    n_chunks = max(1, min(rows.size, CHUNKS_PER_THREAD * numba.get_num_threads()))
    bounds = np.linspace(0, rows.size, n_chunks + 1).astype(np.int64)
    chunks = [slice(lo_, hi_) for lo_, hi_ in zip(bounds[:-1], bounds[1:], strict=True)]
    counts = np.zeros(rows.size, np.int64)
    sure = (nsyn is None and not isinstance(weight, Expression) and weight != 0.0
            and np.isfinite(weight))
    w_const = float(weight) if sure else np.nan
    ranges = np.tile([np.inf, -np.inf], (n_chunks, 1))

    def count(k):
        return draw_rows(False, p_bounded, p_const, w_const, nsyn is not None, use_delay, 0.0,
                         rows[chunks[k]], counts[chunks[k]], order, starts, lo, hi, P, Q,
                         skip_diag, k0, k1, _NO_INT, _NO_FLOAT, _NO_FLOAT, counts[chunks[k]],
                         ranges[k])

    bad = sum(_on_threads(count, range(n_chunks)))
    row_counts = np.zeros(n_pre, np.int64)
    row_counts[rows] = counts
    indptr = np.concatenate(([0], np.cumsum(row_counts)))
    offsets = indptr[rows]

    def write(indices, weights, delays, dt):
        """Write the synapses into indices, weights and delays (ms; in steps if dt)."""
        def fill(part):
            draw_rows(True, p_bounded, p_const, w_const, nsyn is not None, use_delay,
                      0.0 if dt is None else float(dt), rows[part], offsets[part], order,
                      starts, lo, hi, P, Q, skip_diag, k0, k1, indices, weights,
                      _NO_FLOAT if delays is None else delays, counts[part], ranges[0])

        _on_threads(fill, chunks)

    delay_range = (float(ranges[:, 0].min()), float(ranges[:, 1].max())) if use_delay else None
    return indptr, write, bad, delay_range


_NO_INT = np.zeros(0, np.int32)
_NO_FLOAT = np.zeros(0, np.float32)


def _on_threads(work, chunks):
    """[work(chunk) for chunk in chunks], on numba's number of threads (work releases the GIL)."""
    threads = numba.get_num_threads()
    if threads == 1 or len(chunks) == 1:
        return [work(chunk) for chunk in chunks]
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(work, chunks))


def compiled_bound_none():
    """The bound function used when p is not an expression (never called)."""
    key = ("bound", None)
    if key not in _cache:
        _cache[key] = _njit_source("def b(P, a, lo, hi, c):\n    return 0.0, 1.0\n", "b")
    return _cache[key]


@njit(cache=True)
def sort_rows_by_delay(indptr, indices, weights, delays):
    """Sort each CSR row by delay (in place, with its indices and weights)."""
    longest = max(1, int(np.max(np.diff(indptr)))) if indptr.shape[0] > 1 else 1
    tJ = np.empty(longest, np.int32)
    tW = np.empty(longest, np.float32)
    tD = np.empty(longest, np.float32)
    count = np.empty(longest + 1, np.int64)
    for r in range(indptr.shape[0] - 1):
        _sort_row(indptr[r], indptr[r + 1], True, indices, weights, delays, tJ, tW, tD, count)
