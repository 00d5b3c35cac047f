"""Where neurons are: layouts that place a population in space (µm).

A layout draws positions for n neurons from the network's seed when the
population is added: ``net.add(pop, positions=ln.positions.Column(...))``.
Each gives absolute coordinates (x, y, z) and coordinates normalised to the
layout's extent (NetPyNE's ``xnorm``, ``ynorm``, ``znorm``, in [0, 1]);
y is depth. ``y_range`` / ``ynorm_range`` (and likewise for x, z) confine
a population to a slab of the layout, as NetPyNE's ``yRange`` and ``ynormRange``.
An explicit (n, 3) array is accepted too; its extent is its bounding box.
"""

import numpy as np

from . import validation as val


class Layout(val.Parameterised):
    """Base of the layouts: ``place(n, rng)`` -> (positions, normalised positions)."""

    def _extent(self):
        raise NotImplementedError

    def _draw(self, n, rng, low, high):
        raise NotImplementedError

    def place(self, n, rng):
        lo, hi = (np.asarray(a, dtype=float) for a in self._extent())
        low, high = lo.copy(), hi.copy()
        span = hi - lo
        for axis, name in enumerate("xyz"):
            absolute = getattr(self, f"{name}_range", None)
            if absolute is not None:
                low[axis] = max(low[axis], absolute[0])
                high[axis] = min(high[axis], absolute[1])
            normalised = getattr(self, f"{name}norm_range", None)
            if normalised is not None:
                low[axis] = max(low[axis], lo[axis] + normalised[0] * span[axis])
                high[axis] = min(high[axis], lo[axis] + normalised[1] * span[axis])
        for axis, name in enumerate("xyz"):
            if not low[axis] <= high[axis]:
                raise val.ParameterError(
                    f"{type(self).__name__}: the {name} range {name}_range / {name}norm_range "
                    f"leaves no room inside the layout's extent [{lo[axis]:g}, {hi[axis]:g}] µm")
        xyz = self._draw(n, rng, low, high)
        return xyz, (xyz - lo) / np.where(span > 0, span, 1.0)

    @staticmethod
    def _bounds(name, value, owner):
        if value is None:
            return None
        if isinstance(value, (str, bytes)) or val.ndim(name, value, owner=owner) != 1 \
                or len(value) != 2:
            raise val.ParameterError(f"{owner}: {name}={value!r} must be (low, high)")
        a, b = (val.number(name, v, owner=owner) for v in value)
        if not b >= a:
            raise val.ParameterError(f"{owner}: {name}={value!r} must be (low, high), low <= high")
        return (a, b)


def _triple(name, value, owner, check):
    """(x, y, z), each checked by ``check``."""
    if isinstance(value, (str, bytes)) or val.ndim(name, value, owner=owner) != 1 \
            or len(value) != 3:
        raise val.ParameterError(f"{owner}: {name}={value!r} must be three numbers (x, y, z), µm")
    return tuple(check(f"{name}[{k}]", c, owner=owner) for k, c in enumerate(value))


def _ranges(self, owner, x_range, y_range, z_range, xnorm_range, ynorm_range, znorm_range):
    for name, value in (("x_range", x_range), ("y_range", y_range), ("z_range", z_range),
                        ("xnorm_range", xnorm_range), ("ynorm_range", ynorm_range),
                        ("znorm_range", znorm_range)):
        setattr(self, name, Layout._bounds(name, value, owner))


class Box(Layout):
    """Uniformly random in a box [0, size_x] x [0, size_y] x [0, size_z] (µm).

    Parameters
    ----------
    size : (float, float, float)
        Extent along x, y (depth) and z, µm.
    x_range, y_range, z_range : (float, float), optional
        Absolute sub-range, µm.
    xnorm_range, ynorm_range, znorm_range : (float, float), optional
        Sub-range in normalised coordinates (0 ... 1).
    """

    def __init__(self, *, size=(100.0, 100.0, 100.0), x_range=None, y_range=None, z_range=None,
                 xnorm_range=None, ynorm_range=None, znorm_range=None):
        owner = type(self).__name__
        self.size = _triple("size", size, owner, val.positive)
        _ranges(self, owner, x_range, y_range, z_range, xnorm_range, ynorm_range, znorm_range)

    def _extent(self):
        return (0.0, 0.0, 0.0), self.size

    def _draw(self, n, rng, low, high):
        return rng.uniform(low, high, size=(n, 3))


class Column(Layout):
    """Uniformly random in a vertical cylinder (BMTK's ``positions_columinar``).

    Parameters
    ----------
    center : (float, float, float)
        Centre of the column's axis (x, z) and of its height (y), µm.
    radius : float
        Radius in the x-z plane, µm.
    height : float
        Extent along y, µm.
    y_range, ynorm_range : (float, float), optional
        Depth sub-range, absolute (µm) or normalised.
    """

    def __init__(self, *, center=(0.0, 0.0, 0.0), radius=100.0, height=100.0, y_range=None,
                 ynorm_range=None):
        owner = type(self).__name__
        self.center = _triple("center", center, owner, val.number)
        self.radius = val.positive("radius", radius, owner=owner)
        self.height = val.positive("height", height, owner=owner)
        _ranges(self, owner, None, y_range, None, None, ynorm_range, None)

    def _extent(self):
        cx, cy, cz = self.center
        r, h = self.radius, self.height
        return (cx - r, cy - h / 2, cz - r), (cx + r, cy + h / 2, cz + r)

    def _draw(self, n, rng, low, high):
        phi = rng.uniform(0.0, 2 * np.pi, n)
        rho = self.radius * np.sqrt(rng.uniform(0.0, 1.0, n))
        y = rng.uniform(low[1], high[1], n)
        return np.column_stack((self.center[0] + rho * np.cos(phi), y,
                                self.center[2] + rho * np.sin(phi)))


class Grid(Layout):
    """On a regular grid in the x-z plane at depth y0, filled row by row.

    Parameters
    ----------
    spacing : float
        Distance between neighbours, µm.
    columns : int, optional
        Neurons per row (default: the smallest square that holds n).
    y : float
        Depth of the sheet, µm.
    """

    def __init__(self, *, spacing=10.0, columns=None, y=0.0):
        owner = type(self).__name__
        self.spacing = val.positive("spacing", spacing, owner=owner)
        self.columns = None if columns is None else val.count("columns", columns, owner=owner)
        self.y = val.number("y", y, owner=owner)
        self._n = None

    def place(self, n, rng):
        self._n = n
        return super().place(n, rng)

    def _shape(self):
        cols = self.columns or int(np.ceil(np.sqrt(self._n)))
        return cols, int(np.ceil(self._n / cols))

    def _extent(self):
        cols, rows = self._shape()
        return ((0.0, self.y, 0.0),
                ((cols - 1) * self.spacing, self.y, (rows - 1) * self.spacing))

    def _draw(self, n, rng, low, high):
        cols, _ = self._shape()
        k = np.arange(n)
        return np.column_stack(((k % cols) * self.spacing, np.full(n, self.y),
                                (k // cols) * self.spacing))


class Ring(Layout):
    """Evenly on a circle in the x-z plane (neuron i at angle 2 pi i / n).

    Parameters
    ----------
    radius : float
        µm.
    center : (float, float, float)
        µm.
    """

    def __init__(self, *, radius=100.0, center=(0.0, 0.0, 0.0)):
        owner = type(self).__name__
        self.radius = val.positive("radius", radius, owner=owner)
        self.center = _triple("center", center, owner, val.number)

    def _extent(self):
        cx, cy, cz = self.center
        r = self.radius
        return (cx - r, cy, cz - r), (cx + r, cy, cz + r)

    def _draw(self, n, rng, low, high):
        a = 2 * np.pi * np.arange(n) / n
        return np.column_stack((self.center[0] + self.radius * np.cos(a),
                                np.full(n, self.center[1]),
                                self.center[2] + self.radius * np.sin(a)))


def place(layout, n, rng, *, owner="add"):
    """Positions and normalised positions of n neurons from a Layout or an (n, 3) array."""
    if isinstance(layout, Layout):
        return layout.place(n, rng)
    xyz = val.finite_array("positions", layout, owner=owner, shape=(n, 3))
    lo, hi = xyz.min(axis=0), xyz.max(axis=0)
    return xyz, (xyz - lo) / np.where(hi > lo, hi - lo, 1.0)
