"""NEURON's ``NetStim`` spike generators (NetStimPop): a fixed and an exponential interval mixed.

Each cell of a ``NetStimPop`` is one NEURON ``NetStim``, as NEURON defines
it (``netstim.mod``): with T = ``interval`` and n = ``noise``,

- every interval after the first is ``(1 - n) T + n T E``, E drawn from the
  unit exponential: its mean is T and its coefficient of variation n
  (n = 0: a regular train; n = 1: a Poisson train);
- the first spike is at ``start + n T E`` (at ``start`` when n = 0), so
  that on average it comes at ``start + n T``;
- a cell fires ``number`` spikes in all (the whole number at or above it:
  NEURON stops once it has fired at least ``number``), and none at all if
  ``start`` < 0 or ``number`` <= 0.

The k-th spike is therefore at ``start + (k - 1)(1 - n) T + n T G_k``, G_k
a Gamma(k, 1) variable: its statistics follow in closed form (the tests
compare with them and with NEURON).

The trains are drawn when the population is made, from ``seed`` (NEURON's
own random streams are not reproduced: the statistics are NEURON's, the
draws are not), and are then given spikes as those of a ``SpikeSourcePop``.
A train of very many spikes (NetPyNE's usual ``number`` 1e9) is drawn up to
``until`` ms, the end of the simulation.
"""

import math

import numpy as np

from .. import validation as val
from .poisson import SpikeSourcePop

#: The most spikes drawn at once for all cells, without ``until``.
MAX_DRAWN = 10_000_000


class NetStimPop(SpikeSourcePop):
    """n independent NEURON ``NetStim`` generators (see the module for their definition).

    Parameters
    ----------
    n : int
        Number of generators (cells).
    interval : float
        Mean interval between spikes, ms (> 0; NEURON's default 10). Give
        either interval or rate.
    rate : float, optional
        Mean rate, Hz (> 0): interval = 1000 / rate (NetPyNE's ``rate``).
    number : float
        Spikes each generator fires, >= 0 (NEURON's default 10; need not be whole:
        a generator fires ceil(number)).
    start : float
        Time of the first spike without noise, ms (NEURON's default 50; < 0: none).
    noise : float
        Fraction of each interval drawn from an exponential, 0 to 1 (default 0).
    until : float, optional
        Draw no spike after this time, ms (the end of the simulation): needed
        when number would give more than 1e7 spikes in all.
    seed : int
        Seed of the draws (>= 0).
    name : str, optional
        Name used by ``Network.connect``, results and files.
    """

    def __init__(self, n, *, interval=None, rate=None, number=10.0, start=50.0, noise=0.0,
                 until=None, seed=1, name=None):
        owner = type(self).__name__
        n = val.count("n", n, owner=owner)
        if (interval is None) == (rate is None):
            raise val.ParameterError(
                f"{owner}: give interval (ms) or rate (Hz), one of them; got interval="
                f"{interval!r}, rate={rate!r}")
        self.rate = None if rate is None else val.positive("rate", rate, owner=owner)
        self.interval = (1000.0 / self.rate if interval is None
                         else val.positive("interval", interval, owner=owner))
        self.number = val.non_negative("number", number, owner=owner, allow_inf=True)
        self.start = val.number("start", start, owner=owner)
        self.noise = val.number("noise", noise, owner=owner, low=0.0, high=1.0)
        self.until = None if until is None else val.number("until", until, owner=owner)
        self.seed = val.count("seed", seed, owner=owner, low=0)
        per_cell = 0 if self.start < 0 or self.number <= 0 else math.ceil(self.number)
        if self.until is None and per_cell * n > MAX_DRAWN:
            raise val.ParameterError(
                f"{owner}: number={self.number:g} spikes for each of {n} cells is more than "
                f"{MAX_DRAWN:g} in all; give until= (ms), the end of the simulation")
        times, ids = self._draw(n, per_cell)
        super().__init__(n, times=times, ids=ids, name=name)

    def _draw(self, n, per_cell):
        """Spike times and cell ids of every train, as NEURON's NetStim draws them."""
        rng = np.random.default_rng(self.seed)
        T, noise = self.interval, self.noise
        until = math.inf if self.until is None else self.until
        times, ids = [], []
        if per_cell == 0 or self.start > until:
            return np.zeros(0), np.zeros(0, np.int64)
        last = self.start + noise * T * rng.exponential(size=n) if noise > 0 else \
            np.full(n, self.start)
        fired = np.ones(n, np.int64)
        alive = np.flatnonzero(last <= until)
        times.append(last[alive])
        ids.append(alive)
        alive = alive[fired[alive] < per_cell]
        chunk = 64
        while alive.size:
            # The next `chunk` intervals of each cell still firing, kept up to until and
            # to its number of spikes.
            draws = np.full((alive.size, chunk), (1.0 - noise) * T)
            if noise > 0:
                draws += noise * T * rng.exponential(size=draws.shape)
            t = last[alive, None] + np.cumsum(draws, axis=1)
            k = fired[alive, None] + 1 + np.arange(chunk)[None, :]
            keep = (t <= until) & (k <= per_cell)
            rows, cols = np.nonzero(keep)
            times.append(t[rows, cols])
            ids.append(alive[rows])
            last[alive] = t[:, -1]
            fired[alive] += chunk
            alive = alive[keep[:, -1]]
            alive = alive[fired[alive] < per_cell]
            chunk = min(4 * chunk, 4096)
        return np.concatenate(times), np.concatenate(ids).astype(np.int64)
