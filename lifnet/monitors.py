"""What a run records: spike trains and sampled state variables."""

import numpy as np

from . import validation as val


class SpikeTrains:
    """Spikes of one population: ``times`` (ms, exact, sorted) and ``ids`` (local index)."""

    def __init__(self, times, ids, n):
        order = np.lexsort((ids, times))
        self.times = np.asarray(times, dtype=np.float64)[order]
        self.ids = np.asarray(ids, dtype=np.int64)[order]
        self.n = n

    def __len__(self):
        return self.times.shape[0]

    def of(self, neuron):
        """Spike times (ms) of one neuron."""
        return self.times[self.ids == neuron]

    def rate(self, duration):
        """Mean rate per neuron over a duration (ms), Hz."""
        return 1000.0 * len(self) / (self.n * duration)


class StateMonitor:
    """Samples state variables of chosen neurons every ``interval`` ms.

    Variables: ``"V"`` (mV), ``"g_<gate>"`` (µS) for any gate of the
    population (e.g. ``g_AMPA``, ``g_ext``, ``g_NMDA``). Samples are taken at
    the start of each step whose time is a multiple of the interval. After a
    run, ``monitor.t`` holds the times (ms) and ``monitor[var]`` an array of
    shape (n_neurons, n_samples); ``monitor.units[var]`` its unit (``"mV"``,
    ``"uS"``, ``"nA"``, ``"1"`` for a dimensionless gate), known once the
    network is built.
    """

    def __init__(self, population, variables, neurons, interval, *, period=None):
        self.population = population
        self.period = period        # ms between samples (interval is in steps)
        if isinstance(variables, str):
            variables = (variables,)
        if not isinstance(variables, (list, tuple)) or not variables or not all(
                isinstance(v, str) for v in variables):
            raise val.ParameterError(f"monitor: variables={variables!r} must be a variable's "
                                     "name or a non-empty list of names")
        self.variables = tuple(variables)
        if neurons is not None:
            val.ndim("neurons", neurons, owner="monitor")
        idx = np.arange(population.n) if neurons is None else np.atleast_1d(
            np.asarray(neurons))
        if idx.dtype.kind not in "iu" or idx.ndim != 1 or idx.size == 0:
            raise val.ParameterError(
                f"monitor: neurons={neurons!r} must be a non-empty list of integer indices")
        if idx.min() < 0 or idx.max() >= population.n:
            raise val.ParameterError(
                f"monitor: neurons must lie in [0, {population.n}); got {idx.min()}..{idx.max()}")
        self.neurons = idx.astype(np.int64)
        self.interval = interval
        self.units = {}     # {variable: unit}, known once the network is built
        self._t = []
        self._chunks = []

    def _append(self, times, block):
        self._t.append(times)
        self._chunks.append(block)

    @property
    def t(self):
        return np.concatenate(self._t) if self._t else np.zeros(0)

    def __getitem__(self, variable):
        if variable not in self.variables:
            raise KeyError(f"{variable!r} is not recorded; recorded: {self.variables}")
        k = self.variables.index(variable)
        width = len(self.neurons)
        if not self._chunks:
            return np.zeros((width, 0))
        data = np.concatenate(self._chunks, axis=0)
        return data[:, k * width:(k + 1) * width].T.copy()


class RunResult:
    """Everything recorded since the network was built; grows with each ``run``."""

    def __init__(self, network):
        self._network = network
        self._times = {}
        self._ids = {}

    def _append(self, pop_name, times, ids):
        self._times.setdefault(pop_name, []).append(times)
        self._ids.setdefault(pop_name, []).append(ids)

    @property
    def t(self):
        """Time reached, ms."""
        return self._network.t

    @property
    def monitors(self):
        """The network's StateMonitors (``Network.monitor``), with what they sampled."""
        return list(self._network.monitors)

    def spikes(self, population):
        """SpikeTrains of a population (by name or object)."""
        pop = self._network.population(population)
        times = self._times.get(pop.name, [])
        ids = self._ids.get(pop.name, [])
        return SpikeTrains(np.concatenate(times) if times else np.zeros(0),
                           np.concatenate(ids) if ids else np.zeros(0, np.int64), pop.n)
