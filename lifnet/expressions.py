"""Safe, vectorised expressions over connection candidates: ``"0.1 * exp(-dist_3D / 200)"``.

An expression is parsed with Python's ``ast`` and only these are allowed:
numbers, the variables given by the caller (arrays, one value per candidate
pair), ``+ - * / ** %``, unary minus, comparisons (giving 0/1), and calls of
the functions in ``FUNCTIONS`` (``exp``, ``uniform(a, b)``, ``normal(m, s)``,
...). Anything else (attributes, subscripts, names not listed, lambdas, ...)
is refused with an error that names it; nothing is passed to ``eval``.

Each function takes a fixed number of arguments (``ARITY``). Parts without
variables or random draws are evaluated when the expression is parsed and
must be finite (``1/0``, ``1e999`` and ``log(-1)`` are refused), as must the
parameters of random draws given as numbers (a negative ``exponential``
scale, ``normal`` sd or ``poisson`` mean). Expressions longer than
``MAX_LENGTH`` characters or nested deeper than ``MAX_DEPTH`` are refused
before they are parsed further.
"""

import ast
import operator

import numpy as np

from . import validation as val

_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
           ast.Div: operator.truediv, ast.Pow: operator.pow, ast.Mod: operator.mod}
_COMPARE = {ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt,
            ast.GtE: operator.ge, ast.Eq: operator.eq, ast.NotEq: operator.ne}
_MATH = {"exp": np.exp, "log": np.log, "sqrt": np.sqrt, "abs": np.abs, "sin": np.sin,
         "cos": np.cos, "tanh": np.tanh, "minimum": np.minimum, "maximum": np.maximum,
         "where": np.where, "floor": np.floor, "round": np.round}
_RANDOM = ("uniform", "normal", "lognormal", "exponential", "poisson")
FUNCTIONS = tuple(_MATH) + _RANDOM
ARITY = {**dict.fromkeys(("exp", "log", "sqrt", "abs", "sin", "cos", "tanh", "floor", "round",
                          "exponential", "poisson"), 1),
         "minimum": 2, "maximum": 2, "where": 3, "uniform": 2, "normal": 2, "lognormal": 2}
# (argument position, name, lowest allowed value) of the random draws' parameters.
_RANDOM_LIMITS = {"normal": (1, "sd", 0.0), "lognormal": (1, "sigma", 0.0),
                  "exponential": (0, "scale", 0.0), "poisson": (0, "lam", 0.0)}
MAX_LENGTH = 2000   # characters
MAX_DEPTH = 100     # nested operations (compiled source nests one bracket per level)


class Expression:
    """A parsed expression; ``evaluate(variables, rng, size)`` gives an array of ``size``."""

    def __init__(self, text, *, allowed, owner):
        self.text = text
        self.owner = owner
        self.allowed = tuple(allowed)
        if len(text) > MAX_LENGTH:
            raise val.ParameterError(
                f"{owner}: the expression is too long ({len(text)} characters; at most "
                f"{MAX_LENGTH}): {text[:60]}...")
        try:
            self.tree = ast.parse(text, mode="eval").body
        except SyntaxError as err:
            raise val.ParameterError(f"{owner}: cannot parse {text!r}: {err.msg}") from None
        except (RecursionError, MemoryError):
            raise val.ParameterError(f"{owner}: the expression is too deeply nested (at most "
                                     f"{MAX_DEPTH} levels): {text[:60]}...") from None
        if _depth(self.tree) > MAX_DEPTH:
            raise val.ParameterError(f"{owner}: the expression is too deeply nested (at most "
                                     f"{MAX_DEPTH} levels): {text[:60]}...")
        self._check(self.tree)
        self._check_constants(self.tree)

    def _refuse(self, node, what):
        raise val.ParameterError(
            f"{self.owner}: {what} is not allowed in {self.text!r}; allowed: numbers, "
            f"{', '.join(self.allowed)}, + - * / ** %, comparisons, and the functions "
            f"{', '.join(FUNCTIONS)}")

    def _check(self, node):
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                self._refuse(node, f"the constant {node.value!r}")
        elif isinstance(node, ast.Name):
            if node.id not in self.allowed:
                self._refuse(node, f"the name {node.id!r}")
        elif isinstance(node, ast.BinOp):
            if type(node.op) not in _BINARY:
                self._refuse(node, f"the operator {type(node.op).__name__}")
            self._check(node.left)
            self._check(node.right)
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                self._refuse(node, f"the operator {type(node.op).__name__}")
            self._check(node.operand)
        elif isinstance(node, ast.Compare):
            if len(node.ops) != 1 or type(node.ops[0]) not in _COMPARE:
                self._refuse(node, "a chained or unknown comparison")
            self._check(node.left)
            self._check(node.comparators[0])
        elif isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                self._refuse(node, f"calling {ast.unparse(node.func)!r}")
            if node.keywords:
                self._refuse(node, "a keyword argument")
            name = node.func.id
            if len(node.args) != ARITY[name]:
                plural = "" if ARITY[name] == 1 else "s"
                raise val.ParameterError(
                    f"{self.owner}: {name} takes {ARITY[name]} argument{plural}, not "
                    f"{len(node.args)}, in {self.text!r}")
            for arg in node.args:
                self._check(arg)
        else:
            self._refuse(node, f"{type(node).__name__} ({ast.unparse(node)!r})")

    def _check_constants(self, node):
        """Refuse parts without variables that are not finite, and bad draw parameters."""
        if _is_constant(node):
            with np.errstate(all="ignore"):
                value = self._eval(node, {}, None, 1)
            if not np.all(np.isfinite(value)):
                raise val.ParameterError(
                    f"{self.owner}: {ast.unparse(node)!r} is not finite ({float(value)}) in "
                    f"{self.text!r}")
            return
        if isinstance(node, ast.Call) and node.func.id in _RANDOM_LIMITS:
            k, what, low = _RANDOM_LIMITS[node.func.id]
            arg = node.args[k]
            if _is_constant(arg):
                with np.errstate(all="ignore"):
                    value = float(self._eval(arg, {}, None, 1))
                if not value >= low:
                    raise val.ParameterError(
                        f"{self.owner}: {node.func.id}'s {what}={value} must be >= {low} in "
                        f"{self.text!r}")
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                self._check_constants(child)

    def constant(self):
        """The expression's value where it reads no variable and draws nothing, else None."""
        if not _is_constant(self.tree):
            return None
        with np.errstate(all="ignore"):
            return float(self._eval(self.tree, {}, None, 1))

    def names(self):
        """The variable names the expression reads."""
        return {n.id for n in ast.walk(self.tree) if isinstance(n, ast.Name)
                and n.id in self.allowed}

    def evaluate(self, variables, rng, size):
        """The expression's values for ``size`` pairs (NaN where a draw's parameter is bad)."""
        with np.errstate(all="ignore"):
            out = self._eval(self.tree, variables, rng, size)
        return np.broadcast_to(np.asarray(out, dtype=np.float64), (size,)).copy()

    def _eval(self, node, env, rng, size):
        if isinstance(node, ast.Constant):
            return np.float64(node.value)
        if isinstance(node, ast.Name):
            return env[node.id]
        if isinstance(node, ast.BinOp):
            return _BINARY[type(node.op)](self._eval(node.left, env, rng, size),
                                          self._eval(node.right, env, rng, size))
        if isinstance(node, ast.UnaryOp):
            v = self._eval(node.operand, env, rng, size)
            return -v if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.Compare):
            return _COMPARE[type(node.ops[0])](
                self._eval(node.left, env, rng, size),
                self._eval(node.comparators[0], env, rng, size)).astype(np.float64)
        args = [self._eval(a, env, rng, size) for a in node.args]
        name = node.func.id
        if name in _MATH:
            return _MATH[name](*args)
        if name in _RANDOM_LIMITS:
            k, _, low = _RANDOM_LIMITS[name]
            valid = np.asarray(args[k] >= low) & np.isfinite(args[k])
            if not valid.all():
                # As the compiled draws: NaN where the parameter is bad (an error for
                # the caller), a draw elsewhere.
                args = list(args)
                args[k] = np.where(valid, args[k], low)
                return np.where(valid, getattr(rng, name)(*args, size=size), np.nan)
        if name == "uniform":   # as the compiled draw (and NumPy's): also for high < low
            low, high = args
            return low + (high - low) * rng.random(size)
        return getattr(rng, name)(*args, size=size)


def _depth(node):
    """Nesting depth of an expression tree, without recursion."""
    deepest = 0
    todo = [(node, 1)]
    while todo:
        node, depth = todo.pop()
        deepest = max(deepest, depth)
        todo.extend((child, depth + 1) for child in ast.iter_child_nodes(node)
                    if isinstance(child, ast.expr))
    return deepest


def _is_constant(node):
    """True for a part without variables or random draws."""
    calls = [n for n in ast.walk(node) if isinstance(n, ast.Call)]
    functions = {id(n.func) for n in calls}
    return not any(n.func.id in _RANDOM for n in calls) and not any(
        isinstance(n, ast.Name) and id(n) not in functions for n in ast.walk(node))


def compile_value(value, *, name, allowed, owner):
    """A number, a callable, or an expression string -> a function (variables, rng, size)."""
    if isinstance(value, str):
        expr = Expression(value, allowed=allowed, owner=f"{owner} ({name})")
        return expr.evaluate
    if callable(value):
        def call(variables, rng, size):
            out = np.asarray(value(variables), dtype=np.float64)
            try:
                return np.broadcast_to(out, (size,)).copy()
            except ValueError:
                raise val.ParameterError(
                    f"{owner}: the callable given for {name} returned shape {out.shape}; "
                    f"expected one value per candidate pair ({size})") from None
        return call
    number = val.number(name, value, owner=owner)
    return lambda variables, rng, size: np.full(size, number)
