"""Parameter checks that name the parameter, its value and what is allowed."""

import inspect
import math
import numbers
import os

import numpy as np


class ParameterError(ValueError):
    """A parameter has a value lifnet cannot use."""


class SimulationError(RuntimeError):
    """A run cannot go on (a state diverged or became NaN)."""


def _where(owner):
    return f"{owner}: " if owner else ""


def number(name, value, *, owner="", low=None, high=None, low_open=False, allow_inf=False):
    """Return value as a float after checking it is a finite real number in range."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ParameterError(f"{_where(owner)}{name}={value!r} must be a real number")
    value = float(value)
    if math.isnan(value) or (math.isinf(value) and not allow_inf):
        raise ParameterError(f"{_where(owner)}{name}={value!r} must be finite")
    if low is not None and (value < low or (low_open and value == low)):
        op = ">" if low_open else ">="
        raise ParameterError(f"{_where(owner)}{name}={value!r} must be {op} {low}")
    if high is not None and value > high:
        raise ParameterError(f"{_where(owner)}{name}={value!r} must be <= {high}")
    return value


def positive(name, value, *, owner="", allow_inf=False):
    return number(name, value, owner=owner, low=0.0, low_open=True, allow_inf=allow_inf)


def non_negative(name, value, *, owner="", allow_inf=False):
    return number(name, value, owner=owner, low=0.0, allow_inf=allow_inf)


def count(name, value, *, owner="", low=1):
    """Return value as an int after checking it is an integer >= low."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ParameterError(f"{_where(owner)}{name}={value!r} must be an integer")
    if value < low:
        raise ParameterError(f"{_where(owner)}{name}={value!r} must be >= {low}")
    return int(value)


def choice(name, value, allowed, *, owner=""):
    if value not in allowed:
        raise ParameterError(
            f"{_where(owner)}{name}={value!r} is not one of {', '.join(map(repr, allowed))}")
    return value


def finite_array(name, value, *, owner="", shape=None, low=None):
    """Return value as a float64 array, checking finiteness, shape and a lower bound."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ParameterError(
            f"{_where(owner)}{name} must be numeric, got {type(value).__name__}") from None
    if shape is not None and arr.shape != tuple(shape):
        raise ParameterError(
            f"{_where(owner)}{name} has shape {arr.shape}; expected {tuple(shape)}")
    bad = ~np.isfinite(arr)
    if bad.any():
        first = tuple(int(k) for k in np.argwhere(bad)[0])
        raise ParameterError(
            f"{_where(owner)}{name} must be finite; element {first} is {arr[first]}")
    if low is not None and arr.size and arr.min() < low:
        raise ParameterError(f"{_where(owner)}{name} must be >= {low}; its minimum is {arr.min()}")
    return arr


MAX_CELLS = 2 ** 31 - 1   # a population's cells: indices are 32-bit


def size(name, value, *, owner=""):
    """A population's number of cells: an integer from 1 to MAX_CELLS."""
    value = count(name, value, owner=owner)
    if value > MAX_CELLS:
        raise ParameterError(f"{_where(owner)}{name}={value} must be <= {MAX_CELLS}")
    return value


def ndim(name, value, *, owner=""):
    """np.ndim of a value, with ragged nested lists refused by name."""
    try:
        return np.ndim(value)
    except ValueError:
        raise ParameterError(f"{_where(owner)}{name} must be a number or a rectangular array "
                             f"of numbers, got a ragged {type(value).__name__}") from None


def mapping(name, value, *, owner=""):
    """A dict (None gives an empty one)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ParameterError(f"{_where(owner)}{name} must be a mapping, got "
                             f"{type(value).__name__}")
    return value


def sequence(name, value, *, owner=""):
    """A list or tuple, as a tuple."""
    if not isinstance(value, (list, tuple)):
        raise ParameterError(f"{_where(owner)}{name} must be a list, got "
                             f"{type(value).__name__}")
    return tuple(value)


def available_memory():
    """Bytes of memory this machine can give now (Linux: MemAvailable), or None if unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def fits(what, nbytes, *, owner=""):
    """Refuse, before allocating, what would not fit in the memory available now."""
    free = available_memory()
    if free is not None and nbytes > free:
        raise ParameterError(
            f"{_where(owner)}{what} needs about {nbytes / 2 ** 30:.3g} GiB; this machine has "
            f"{free / 2 ** 30:.3g} GiB available")


def population_name(name, *, owner=""):
    """None or a non-empty string."""
    if name is not None and (not isinstance(name, str) or not name):
        raise ParameterError(f"{_where(owner)}name={name!r} must be a non-empty string")
    return name


def per_neuron(name, value, n, *, owner=""):
    """A scalar broadcast to n neurons, or an array of length n; finite either way."""
    arr = finite_array(name, value, owner=owner)
    if arr.ndim == 0:
        return np.full(n, float(arr))
    if arr.shape != (n,):
        raise ParameterError(
            f"{_where(owner)}{name} has shape {arr.shape}; expected a scalar or shape ({n},)")
    return arr.copy()


class Parameterised:
    """Keyword-only constructor parameters, stored as attributes and given back by get_params.

    Subclasses list nothing: the parameters are the keyword-only arguments of
    ``__init__`` (as in scikit-learn), and each is stored under its own name.
    """

    @classmethod
    def _param_names(cls):
        names = []
        for klass in cls.__mro__:
            init = klass.__dict__.get("__init__")
            if init is None:
                continue
            for p in inspect.signature(init).parameters.values():
                if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name != "self":
                    if p.name not in names:
                        names.append(p.name)
        return names

    def get_params(self):
        """The constructor parameters and their values, as a dict."""
        return {name: getattr(self, name) for name in self._param_names() if hasattr(self, name)}

    def __repr__(self):
        args = ", ".join(f"{k}={v:.6g}" if isinstance(v, float) else f"{k}={v!r}"
                         for k, v in self.get_params().items() if not isinstance(v, np.ndarray))
        return f"{type(self).__name__}({args})"
