"""Compiled connection drawing for expression rules: one pass over candidate pairs in numba.

``Expression`` trees (``lifnet.expressions``) are translated to the source of
small numba functions of one pair (its pre and post coordinates); a compiled
loop calls them for every candidate pair and keeps the drawn synapses. Only
the node types ``Expression`` accepts can appear, so the generated source
contains nothing but arithmetic on the pair's coordinates, numbers, and the
listed NumPy functions. Compiled functions are kept per expression text.
"""

import ast

import numpy as np
from numba import njit

_COORD = {"x": 0, "y": 1, "z": 2, "xnorm": 3, "ynorm": 4, "znorm": 5}
_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**",
           ast.Mod: "%"}
_COMPARE = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==",
            ast.NotEq: "!="}
_CALLS = {"exp": "np.exp", "log": "np.log", "sqrt": "np.sqrt", "abs": "abs", "sin": "np.sin",
          "cos": "np.cos", "tanh": "np.tanh", "minimum": "min", "maximum": "max",
          "floor": "np.floor", "round": "np.round", "uniform": "np.random.uniform",
          "normal": "np.random.normal", "lognormal": "np.random.lognormal",
          "exponential": "np.random.exponential", "poisson": "np.random.poisson"}
_VARIABLES = {
    "dist_x": "abs(Q[0] - P[0])", "dist_y": "abs(Q[1] - P[1])", "dist_z": "abs(Q[2] - P[2])",
    "dist_2D": "np.sqrt((Q[0] - P[0]) ** 2 + (Q[2] - P[2]) ** 2)",
    "dist_3D": "np.sqrt((Q[0] - P[0]) ** 2 + (Q[1] - P[1]) ** 2 + (Q[2] - P[2]) ** 2)",
}
_cache = {}


def _source(node):
    if isinstance(node, ast.Constant):
        return repr(float(node.value))
    if isinstance(node, ast.Name):
        if node.id in _VARIABLES:
            return f"({_VARIABLES[node.id]})"
        side, coord = node.id.split("_", 1)
        return f"{'P' if side == 'pre' else 'Q'}[{_COORD[coord]}]"
    if isinstance(node, ast.BinOp):
        return f"({_source(node.left)} {_BINARY[type(node.op)]} {_source(node.right)})"
    if isinstance(node, ast.UnaryOp):
        return f"({'-' if isinstance(node.op, ast.USub) else '+'}{_source(node.operand)})"
    if isinstance(node, ast.Compare):
        return (f"(1.0 if {_source(node.left)} {_COMPARE[type(node.ops[0])]} "
                f"{_source(node.comparators[0])} else 0.0)")
    name = node.func.id
    args = ", ".join(_source(a) for a in node.args)
    if name == "where":
        c, a, b = (_source(x) for x in node.args)
        return f"({a} if {c} != 0.0 else {b})"
    return f"float({_CALLS[name]}({args}))"


def compiled(value):
    """A numba function f(P, Q) -> float for an Expression, or a number."""
    from .expressions import Expression

    key = value.text if isinstance(value, Expression) else float(value)
    if key not in _cache:
        body = _source(value.tree) if isinstance(value, Expression) else repr(key)
        namespace = {"np": np}
        exec(f"def f(P, Q):\n    return {body}\n", namespace)   # source built from the AST above
        _cache[key] = njit(namespace["f"])
    return _cache[key]


def compilable(value):
    """True if a connect value can take the compiled path: None, a number or an expression."""
    return value is None or isinstance(value, str) or (
        not callable(value) and np.ndim(value) == 0)


@njit
def draw_pairs(p_fn, w_fn, d_fn, n_fn, use_p, p_const, use_n, pre_idx, post_idx, P, Q,
               skip_diag, seed):
    """Every (pre, post) pair: keep it with probability p; then weight, delay, synapse count.

    A constant p (``p_const`` in [0, 1]; -1 if p is an expression) skips to the next
    kept pair by a geometric draw: O(synapses), not O(pairs). Pairs come out sorted
    by pre, then post.
    """
    np.random.seed(seed)
    cap = 1 << 16
    I = np.empty(cap, np.int64)
    J = np.empty(cap, np.int64)
    W = np.empty(cap, np.float64)
    D = np.empty(cap, np.float64)
    n = 0
    geometric = use_p and 0.0 <= p_const < 1.0
    log_q = np.log1p(-p_const) if geometric and p_const > 0.0 else -1.0
    n_post = post_idx.shape[0]
    for a in pre_idx:
        Pa = P[a]
        k = -1
        while True:
            if geometric:
                if p_const == 0.0:
                    break
                k += 1 + int(np.floor(np.log(1.0 - np.random.random()) / log_q))
            else:
                k += 1
            if k >= n_post:
                break
            b = post_idx[k]
            if skip_diag and a == b:
                continue
            Qb = Q[b]
            if use_p and not geometric and not np.random.random() < p_fn(Pa, Qb):
                continue
            w = w_fn(Pa, Qb)
            if use_n:
                w *= np.floor(n_fn(Pa, Qb) + 0.5)
            if w == 0.0:
                continue
            if n == cap:
                cap *= 2
                I2 = np.empty(cap, np.int64)
                J2 = np.empty(cap, np.int64)
                W2 = np.empty(cap, np.float64)
                D2 = np.empty(cap, np.float64)
                I2[:n] = I[:n]
                J2[:n] = J[:n]
                W2[:n] = W[:n]
                D2[:n] = D[:n]
                I, J, W, D = I2, J2, W2, D2
            I[n] = a
            J[n] = b
            W[n] = w
            D[n] = d_fn(Pa, Qb)
            n += 1
    return I[:n], J[:n], W[:n], D[:n]


@njit
def sort_rows(indptr, key, indices, weights):
    """Sort each CSR row by key (in place, with its indices and weights)."""
    for r in range(indptr.shape[0] - 1):
        lo, hi = indptr[r], indptr[r + 1]
        if hi - lo < 2:
            continue
        order = np.argsort(key[lo:hi], kind="mergesort")
        key[lo:hi] = key[lo:hi][order]
        indices[lo:hi] = indices[lo:hi][order]
        weights[lo:hi] = weights[lo:hi][order]
