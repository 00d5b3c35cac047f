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
from ..integrators import layout as L
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

    # How the population is laid out (integrators.assemble): virtual cells take no input.
    layout_kind = L.KIND_POISSON
    receptor_kinds = ()
    takes_noise = False

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

    def initial_V(self, rng=None):
        """Zeros: virtual cells have no membrane (their slots of V stay unused)."""
        return np.zeros(self.n)

    def windows(self):
        """[(start ms, stop ms, rates Hz per cell), ...]."""
        return list(self._windows)

    def fill_layout_row(self, row):
        """Write the population's row of ``layout.Populations`` and its windows of
        ``layout.VirtualSources`` (``assemble.PopulationRow``)."""
        most = 0.0
        for k, (a, b, rates) in enumerate(self._windows):
            lam = rates * row.dt / 1000.0
            most = max(most, float(lam.max()))
            if most > L.MAX_EVENTS_PER_STEP:
                raise val.ParameterError(
                    f"{type(self).__name__} {self.name!r}: rate={rates.max():g} Hz gives "
                    f"{most:.3g} spikes per step of dt={row.dt} ms; at most "
                    f"{L.MAX_EVENTS_PER_STEP:g} are allowed (split the cell into several, or "
                    "model such input as a conductance or a current)")
            row.add_poisson_window(a, b, lam, stream=(row.q << 8) | 255 | (k << 16))
        # Room for a window boundary inside a step; a cell firing more than this many
        # spikes in one step (probability < 1e-12) loses the excess.
        row.ints[L.I_MAX_SPIKES] = 2 * int(most + 8.0 * math.sqrt(most) + 8)

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

    layout_kind = L.KIND_SPIKES
    receptor_kinds = ()
    takes_noise = False

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

    initial_V = PoissonPop.initial_V

    def fill_layout_row(self, row):
        """Write the population's row of ``layout.Populations`` and its list of
        ``layout.SpikeLists`` (``assemble.PopulationRow``)."""
        row.add_spike_list(self.times, self.ids)
        if self.times.size:     # the most spikes one cell has in one step
            bins = self.ids * (int(self.times.max() // row.dt) + 2) + (self.times // row.dt)
            _, counts = np.unique(bins, return_counts=True)
            row.ints[L.I_MAX_SPIKES] = int(counts.max())
        else:
            row.ints[L.I_MAX_SPIKES] = 1

    def __len__(self):
        return self.n
