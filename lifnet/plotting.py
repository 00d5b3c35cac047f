"""Figures (matplotlib): rasters, ring activity with its decoded direction, rates."""

import numpy as np


def raster(result, populations=None, *, ax=None, t_start=0.0, t_stop=None, colors=None):
    """Spike raster of the given populations (all by default), stacked; returns the Axes."""
    import matplotlib.pyplot as plt

    net = result._network
    names = list(net.populations) if populations is None else [
        net.population(p).name for p in populations]
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4))
    t_stop = result.t if t_stop is None else t_stop
    offset = 0
    palette = colors or ["tab:red", "tab:blue", "tab:green", "tab:orange", "tab:purple"]
    for k, name in enumerate(names):
        tr = result.spikes(name)
        keep = (tr.times >= t_start) & (tr.times < t_stop)
        ax.scatter(tr.times[keep], tr.ids[keep] + offset, s=1.0, marker=".", linewidths=0,
                   color=palette[k % len(palette)], label=f"{name} ({tr.rate(result.t):.1f} Hz)")
        offset += tr.n
    ax.set_xlim(t_start, t_stop)
    ax.set_ylim(0, max(offset, 1))
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("neuron")
    ax.legend(loc="upper right", markerscale=8, fontsize="small")
    return ax



def bump(result, population="E", *, ax=None, t_start=0.0, t_stop=None, width=50.0,
         decode_width=250.0, cue=None):
    """The activity of a ring population as a heat map (neuron direction x time).

    The decoded direction (``analysis.decode_bump``, bins of ``decode_width``
    ms) is drawn over it. ``cue``: optional ``(start, stop, theta)`` to mark
    the cue (ms, ms, rad). Returns the Axes.
    """
    import matplotlib.pyplot as plt

    from .analysis import decode_bump, ring_histogram

    pop = result._network.population(population)
    t_stop = result.t if t_stop is None else t_stop
    trains = result.spikes(pop.name)
    rates, edges = ring_histogram(trains, pop.theta, t_start=t_start, t_stop=t_stop,
                                  width=width)
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4))
    image = ax.imshow(rates, aspect="auto", origin="lower", cmap="viridis",
                      extent=(edges[0], edges[-1], 0.0, 360.0), interpolation="nearest")
    plt.colorbar(image, ax=ax, label="rate (Hz)")
    d = decode_bump(trains, pop.theta, t_start=t_start, t_stop=t_stop, width=decode_width)
    ax.plot(d["t"], np.degrees(d["angle"]), "w.-", lw=1, label="decoded direction")
    if cue is not None:
        start, stop, theta = cue
        ax.plot([start, stop], [np.degrees(theta) % 360] * 2, "r-", lw=4, label="cue")
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("preferred direction (deg)")
    ax.set_ylim(0, 360)
    ax.legend(loc="upper right", fontsize="small")
    return ax


def rates(result, groups, *, ax=None, t_start=0.0, t_stop=None, width=50.0):
    """Population rates over time; ``groups`` maps a label to (population, neuron indices or None).

    Returns the Axes.
    """
    import matplotlib.pyplot as plt

    from .analysis import population_rate

    t_stop = result.t if t_stop is None else t_stop
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3))
    for label, (population, neurons) in groups.items():
        t, r = population_rate(result.spikes(population), t_start=t_start, t_stop=t_stop,
                               width=width, neurons=neurons)
        ax.plot(t, r, label=label)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("rate (Hz)")
    ax.legend(loc="upper left", fontsize="small")
    return ax
