"""Reading results: population rates, decoding of ring activity, synchrony and rhythms."""

import numpy as np

from . import validation as val


def _bins(t_start, t_stop, width, owner):
    width = val.positive("width", width, owner=owner)
    if not t_stop > t_start:
        raise val.ParameterError(f"{owner}: t_stop={t_stop} must be after t_start={t_start}")
    n = int(np.floor((t_stop - t_start) / width + 1e-9))
    if n < 1:
        raise val.ParameterError(
            f"{owner}: width={width} ms is longer than the window [{t_start}, {t_stop}) ms")
    return t_start + width * np.arange(n + 1)


def population_rate(trains, *, t_start=0.0, t_stop, width=10.0, neurons=None):
    """Mean rate per neuron in consecutive bins.

    Parameters
    ----------
    trains : SpikeTrains
        ``result.spikes(name)``.
    t_start, t_stop : float
        Window, ms.
    width : float
        Bin width, ms.
    neurons : array of int, optional
        Count only these neurons (e.g. one pool); default all.

    Returns
    -------
    centres : ndarray
        Bin centres, ms.
    rate : ndarray
        Hz per neuron.
    """
    edges = _bins(t_start, t_stop, width, "population_rate")
    if neurons is None:
        times, n = trains.times, trains.n
    else:
        neurons = np.asarray(neurons)
        times, n = trains.times[np.isin(trains.ids, neurons)], neurons.size
    counts, _ = np.histogram(times, edges)
    return 0.5 * (edges[:-1] + edges[1:]), counts * 1000.0 / (n * np.diff(edges))


def ring_histogram(trains, theta, *, t_start=0.0, t_stop, width=50.0):
    """Rate of each neuron in consecutive bins (Hz), shape (n_neurons, n_bins), and bin edges."""
    edges = _bins(t_start, t_stop, width, "ring_histogram")
    counts, _, _ = np.histogram2d(trains.ids, trains.times,
                                  bins=(np.arange(len(theta) + 1) - 0.5, edges))
    return counts * 1000.0 / np.diff(edges)[None, :], edges


def decode_bump(trains, theta, *, t_start=0.0, t_stop, width=250.0, baseline=True):
    """Population-vector decoding of a bump on a ring, in consecutive bins.

    With r_i the rate of neuron i (preferred direction theta_i) in a bin,
    the population vector is ``z = sum_i r_i exp(1j theta_i) / sum_i r_i``.
    With ``baseline``, the bin's median rate is first subtracted from every
    r_i (negative values set to 0), so that spontaneous activity off the
    bump adds no noise to the angle and the length measures the bump alone.

    Parameters
    ----------
    trains : SpikeTrains
        Spikes of a ring population.
    theta : array
        Preferred directions of its neurons, rad (``population.theta``).
    t_start, t_stop, width : float
        Window and bin width, ms.
    baseline : bool
        Subtract each bin's median rate first.

    Returns
    -------
    dict with ``t`` (bin centres, ms), ``angle`` (decoded direction, rad in
    [0, 2 pi); NaN in a bin without spikes), ``length`` (``|z|`` in [0, 1]: 1 is
    a point, 0 no bump) and ``width`` (circular standard deviation
    ``sqrt(-2 ln |z|)``, rad).
    """
    theta = np.asarray(theta, dtype=float)
    rates, edges = ring_histogram(trains, theta, t_start=t_start, t_stop=t_stop, width=width)
    if baseline:
        rates = np.clip(rates - np.median(rates, axis=0), 0.0, None)
    total = rates.sum(axis=0)
    z = (np.exp(1j * theta)[:, None] * rates).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(total > 0, z / np.where(total > 0, total, 1.0), np.nan)
        length = np.abs(z)
        spread = np.sqrt(-2.0 * np.log(length))
    angle = np.where(total > 0, np.mod(np.angle(z), 2 * np.pi), np.nan)
    return {"t": 0.5 * (edges[:-1] + edges[1:]), "angle": angle,
            "length": np.where(total > 0, length, 0.0), "width": spread}


def angular_error(a, b):
    """Absolute difference of two directions on the circle, rad in [0, pi]."""
    return np.abs(np.angle(np.exp(1j * (np.asarray(a) - np.asarray(b)))))


def sliding_rate(trains, *, t_start, t_stop, width=50.0, step=5.0):
    """Population rate in a window of ``width`` ms ending at each of t_start + width, ... (step ms).

    Returns (t, rate): window ends (ms) and Hz per neuron.
    """
    width = val.positive("width", width, owner="sliding_rate")
    step = val.positive("step", step, owner="sliding_rate")
    ends = np.arange(t_start + width, t_stop + 1e-9, step)
    times = np.sort(trains.times)
    counts = np.searchsorted(times, ends, side="left") - np.searchsorted(
        times, ends - width, side="left")
    return ends, counts * 1000.0 / (trains.n * width)


def decision(result, pools=("A", "B"), *, t_start, t_stop=None, threshold=15.0, width=50.0,
             step=5.0):
    """The pool that wins a decision and when: the first to reach ``threshold`` Hz.

    Rates are taken in sliding windows (``sliding_rate``) ending after t_start.

    Parameters
    ----------
    result : RunResult
    pools : sequence of str
        Competing populations.
    t_start, t_stop : float
        Stimulus onset and end of the search, ms (default: the end of the run).
    threshold : float
        Rate that marks the decision, Hz.
    width, step : float
        Sliding window and its step, ms.

    Returns
    -------
    (winner, time): the winning pool's name and the decision time after
    t_start (ms); (None, nan) if no pool reached the threshold.
    """
    t_stop = result.t if t_stop is None else t_stop
    first = {}
    for name in pools:
        t, r = sliding_rate(result.spikes(name), t_start=t_start - width, t_stop=t_stop,
                            width=width, step=step)
        above = np.flatnonzero((r >= threshold) & (t > t_start))
        if above.size:
            first[name] = t[above[0]]
    if not first:
        return None, float("nan")
    winner = min(first, key=first.get)
    return winner, float(first[winner] - t_start)


def voltage_synchrony(V):
    """Golomb & Rinzel's (1993) chi from membrane potentials.

    Parameters
    ----------
    V : array of shape (n_neurons, n_times)
        Traces, mV (``monitor["V"]``), sampled over the window of interest.

    Returns
    -------
    float
        ``sqrt(var_t(mean_i V_i) / mean_i(var_t V_i))``: 1 for identical
        traces, about 1 / sqrt(n) for independent ones (population variances
        over time, ddof 0). NaN if no trace varies.
    """
    V = val.finite_array("V", V, owner="voltage_synchrony")
    if V.ndim != 2 or V.shape[1] < 2:
        raise val.ParameterError(
            f"voltage_synchrony: V has shape {V.shape}; expected (n_neurons, n_times >= 2)")
    single = V.var(axis=1).mean()
    return float(np.sqrt(V.mean(axis=0).var() / single)) if single > 0 else float("nan")


def count_cv(trains, *, t_start=0.0, t_stop, width=1.0):
    """Coefficient of variation (SD / mean) of the population spike count in bins of width ms.

    About 1 / sqrt(mean count) for asynchronous firing; large when the
    population fires in volleys. NaN if there is no spike in the window.
    """
    edges = _bins(t_start, t_stop, width, "count_cv")
    counts, _ = np.histogram(trains.times, edges)
    mean = counts.mean()
    return float(counts.std() / mean) if mean > 0 else float("nan")


def peak_frequency(trains, *, t_start=0.0, t_stop, band=(20.0, 150.0), width=1.0):
    """Frequency (Hz) of the largest peak of the population activity's power spectrum in band.

    The activity is the spike count in bins of width ms over [t_start,
    t_stop), mean removed. A rhythm whose volleys are very sharp has
    harmonics of similar power; restrict ``band`` to exclude them if needed.
    """
    edges = _bins(t_start, t_stop, width, "peak_frequency")
    counts, _ = np.histogram(trains.times, edges)
    power = np.abs(np.fft.rfft(counts - counts.mean())) ** 2
    freqs = np.fft.rfftfreq(counts.size, d=width / 1000.0)
    sel = (freqs >= band[0]) & (freqs <= band[1])
    if not sel.any():
        raise val.ParameterError(
            f"peak_frequency: no frequency of a {t_stop - t_start} ms window falls in {band} Hz")
    return float(freqs[sel][np.argmax(power[sel])])
