"""Virtual input cells: Poisson trains (BMTK's virtual nodes, NetPyNE's NetStim) or given spikes.

A ``PoissonPop`` has no membrane: each of its cells fires a Poisson train
whose rate may differ per cell and change over time, at exact times inside
each step. It is connected with any rule, like a population of neurons,
and its spikes are recorded like theirs; it cannot receive synapses,
stimuli or monitors.
"""

import math

import numpy as np

from .. import validation as val
from ..io.sonata import read_spikes


class PoissonPop(val.Parameterised):
    """n virtual cells firing independent Poisson trains.

    Parameters
    ----------
    n : int
        Number of cells.
    rate : float, array of shape (n,), or list of (start, stop, rate)
        Rate of each cell, Hz: one value, one per cell, or windows
        ``[(start_ms, stop_ms, rate_hz), ...]`` (rate a number or an (n,)
        array) for rates that change over time; outside every window the
        cells are silent.
    start, stop : float
        With a single rate: the cells fire during [start, stop), ms.
    name : str, optional
        Name used by ``Network.connect``, results and files.
    """

    kind = "poisson"

    def __init__(self, n, *, rate, start=0.0, stop=math.inf, name=None):
        owner = type(self).__name__
        self.n = val.size("n", n, owner=owner)
        self.name = val.population_name(name, owner=owner)
        self.start = val.number("start", start, owner=owner)
        self.stop = val.number("stop", stop, owner=owner, allow_inf=True)
        if isinstance(rate, (list, tuple)) and rate and isinstance(rate[0], (list, tuple)):
            windows = []
            for k, window in enumerate(rate):
                if len(window) != 3:
                    raise val.ParameterError(
                        f"{owner}: rate[{k}]={window!r} must be (start_ms, stop_ms, rate_hz)")
                a = val.number(f"rate[{k}] start", window[0], owner=owner)
                b = val.number(f"rate[{k}] stop", window[1], owner=owner, allow_inf=True)
                if not b > a:
                    raise val.ParameterError(f"{owner}: rate[{k}] stops at {b} before {a}")
                windows.append((a, b, self._rates(window[2], f"rate[{k}] rate")))
            self.rate = rate
            self._windows = windows
        else:
            if not self.stop > self.start:
                raise val.ParameterError(
                    f"{owner}: stop={self.stop} must be after start={self.start}")
            self.rate = rate
            self._windows = [(self.start, self.stop, self._rates(rate, "rate"))]

    def _rates(self, value, name):
        rates = val.per_neuron(name, value, self.n, owner=type(self).__name__)
        if rates.min() < 0:
            raise val.ParameterError(
                f"{type(self).__name__}: {name} must be >= 0 Hz; minimum {rates.min()}")
        return rates

    def windows(self):
        """[(start ms, stop ms, rates Hz per cell), ...]."""
        return list(self._windows)

    def __len__(self):
        return self.n


class SpikeSourcePop(val.Parameterised):
    """n virtual cells that replay given spike times (BMTK's spike-file inputs).

    Parameters
    ----------
    n : int
        Number of cells.
    times : array
        Spike times, ms (>= 0).
    ids : array of int
        The cell (0 ... n-1) of each spike.
    name : str, optional
        Name used by ``Network.connect``, results and files.
    """

    kind = "spikes"

    def __init__(self, n, *, times, ids, name=None):
        owner = type(self).__name__
        self.n = val.size("n", n, owner=owner)
        self.name = val.population_name(name, owner=owner)
        times = val.finite_array("times", times, owner=owner).ravel()
        val.ndim("ids", ids, owner=owner)
        ids = np.asarray(ids).ravel()
        if ids.shape != times.shape or (ids.size and ids.dtype.kind not in "iu"):
            raise val.ParameterError(
                f"{owner}: ids must be integers, one per spike time ({times.size}); got "
                f"{ids.dtype} of shape {ids.shape}")
        if times.size and (times.min() < 0 or ids.min() < 0 or ids.max() >= self.n):
            raise val.ParameterError(
                f"{owner}: spike times must be >= 0 ms and ids in [0, {self.n}); got times "
                f"from {times.min()} and ids {ids.min()}..{ids.max()}")
        order = np.argsort(times, kind="stable")
        self.times = times[order]
        self.ids = ids[order].astype(np.int64)

    @classmethod
    def from_sonata(cls, path, population, *, n=None, name=None):
        """Read the spikes of one population of a SONATA spike file (ms, node ids)."""
        spikes = read_spikes(path)
        if population not in spikes:
            raise val.ParameterError(
                f"{cls.__name__}: {path!r} has no population {population!r}; it has "
                f"{sorted(spikes)}")
        times, ids = spikes[population]
        n = int(ids.max()) + 1 if n is None and ids.size else (n or 1)
        return cls(n, times=times, ids=ids, name=name or population)

    def __len__(self):
        return self.n
