"""Figures (matplotlib): rasters, ring activity with its decoded direction, rates.

Every figure of a run gives a population the same colour (``population_colors``: by
its place in the network), names its units and bin widths, and can carry a
title with the model, seed and duration (``title``).
"""

import numpy as np

from .analysis import decode_bump, population_rate, ring_histogram

PALETTE = ("tab:red", "tab:blue", "tab:green", "tab:orange", "tab:purple", "tab:brown",
           "tab:pink", "tab:gray", "tab:olive", "tab:cyan")
# Units of recordable variables that are not conductances: gates of conductance
# cells are fractions of open channels.
UNITS = {"V": "mV", "m": "dimensionless", "h": "dimensionless", "n": "dimensionless",
         "p": "dimensionless", "u": "mV/ms"}


def population_colors(network):
    """{population name: colour}, by the population's place in the network."""
    return {name: PALETTE[k % len(PALETTE)] for k, name in enumerate(network.populations)}


def unit(variable):
    """The unit of a recorded variable: mV for V, µS for a gate ``g_<name>``."""
    return UNITS.get(variable, "µS")


def title(ax, result, model=None):
    """Title an Axes with the model's name, the seed and the simulated time."""
    net = result._network
    parts = [model] if model else []
    parts += [f"seed {net.seed}", f"{result.t:g} ms at dt {net.dt:g} ms"]
    ax.set_title(" · ".join(parts), fontsize="medium")
    return ax


def marker_size(n_cells):
    """Raster marker area (points²): visible for 30 cells, not a blot for 10 000."""
    return float(np.clip(3000.0 / max(n_cells, 1), 1.0, 25.0))


def raster(result, populations=None, *, ax=None, t_start=0.0, t_stop=None, colors=None,
           order_by=None):
    """Spike raster of the given populations (all by default); returns the Axes.

    ``colors``: {population name: colour} (default: ``population_colors``).

    Populations are stacked by neuron index, or, with ``order_by`` ("x", "y",
    "z", "xnorm", "ynorm", "znorm"), each spike is drawn at its neuron's
    coordinate (NetPyNE's ``orderBy``; depth y grows downwards).
    """
    import matplotlib.pyplot as plt

    coordinates = ("x", "y", "z", "xnorm", "ynorm", "znorm")
    net = result._network
    names = list(net.populations) if populations is None else [
        net.population(p).name for p in populations]
    if order_by is not None and order_by not in coordinates:
        raise ValueError(f"raster: order_by={order_by!r} is not one of {coordinates}")
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4))
    t_stop = result.t if t_stop is None else t_stop
    offset = 0
    palette = population_colors(net) if colors is None else colors
    size = marker_size(sum(net.population(name).n for name in names))
    for name in names:
        tr = result.spikes(name)
        keep = (tr.times >= t_start) & (tr.times < t_stop)
        if order_by is None:
            y = tr.ids[keep] + offset
        else:
            pop = net.population(name)
            if getattr(pop, "positions", None) is None:
                continue
            k_axis = coordinates.index(order_by)
            table = pop.positions if k_axis < 3 else pop.norm_positions
            y = table[tr.ids[keep], k_axis % 3]
        ax.scatter(tr.times[keep], y, s=size, marker=".", linewidths=0,
                   color=palette[name], label=f"{name} ({tr.rate(result.t):.1f} Hz)")
        offset += tr.n
    ax.set_xlim(t_start, t_stop)
    if order_by is None:
        ax.set_ylim(0, max(offset, 1))
        ax.set_ylabel("neuron")
    else:
        ax.invert_yaxis()
        ax.set_ylabel(f"{order_by} ({'µm' if len(order_by) == 1 else 'normalised'})")
    ax.set_xlabel("time (ms)")
    ax.legend(loc="upper right", markerscale=max(1.0, 8.0 / np.sqrt(size)), fontsize="small")
    return ax


def bump(result, population="E", *, ax=None, t_start=0.0, t_stop=None, width=50.0,
         decode_width=250.0, cue=None, direction_bins=64, vmax=None):
    """The activity of a ring population as a heat map (preferred direction x time).

    Cells are pooled into ``direction_bins`` bins of preferred direction and
    ``width`` ms; the colour scale stops at ``vmax`` Hz (default: the 99th
    percentile, so that a strong cue does not hide a weaker bump). The
    decoded direction (``analysis.decode_bump``, bins of ``decode_width``
    ms) is drawn over it, from the cue on if one is given. ``cue``: optional
    ``(start, stop, theta)`` to mark the cue (ms, ms, rad). Returns the Axes.
    """
    import matplotlib.pyplot as plt

    pop = result._network.population(population)
    t_stop = result.t if t_stop is None else t_stop
    trains = result.spikes(pop.name)
    rates, edges = ring_histogram(trains, pop.theta, t_start=t_start, t_stop=t_stop,
                                  width=width)
    groups = min(direction_bins, pop.n)
    which = (np.asarray(pop.theta) / (2 * np.pi) * groups).astype(int) % groups
    pooled = np.zeros((groups, rates.shape[1]))
    np.add.at(pooled, which, rates)
    pooled /= np.maximum(np.bincount(which, minlength=groups), 1)[:, None]
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4))
    vmax = float(np.percentile(pooled, 99)) if vmax is None else vmax
    image = ax.imshow(pooled, aspect="auto", origin="lower", cmap="viridis", vmin=0.0,
                      vmax=max(vmax, 1e-9), extent=(edges[0], edges[-1], 0.0, 360.0),
                      interpolation="nearest")
    plt.colorbar(image, ax=ax, label=f"rate (Hz, {width:g} ms x {360 / groups:.3g}° bins)")
    shown_from = t_start if cue is None else max(t_start, cue[0])
    d = decode_bump(trains, pop.theta, t_start=shown_from, t_stop=t_stop, width=decode_width)
    ax.plot(d["t"], np.degrees(d["angle"]), "w.-", lw=1,
            label=f"decoded direction ({decode_width:g} ms bins)")
    if cue is not None:
        start, stop, theta = cue
        ax.plot([start, stop], [np.degrees(theta) % 360] * 2, "r-", lw=4, label="cue")
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("preferred direction (deg)")
    ax.set_ylim(0, 360)
    ax.legend(loc="upper right", fontsize="small")
    return ax


def rates(result, groups, *, ax=None, t_start=0.0, t_stop=None, width=50.0):
    """Population rates over time in bins of ``width`` ms; returns the Axes.

    ``groups`` maps a label to (population, neuron indices or None); a
    population's curve takes its colour (``population_colors``) unless it is split.
    """
    import matplotlib.pyplot as plt

    t_stop = result.t if t_stop is None else t_stop
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3))
    palette = population_colors(result._network)
    split = {p for p, _ in groups.values() if sum(q == p for q, _ in groups.values()) > 1}
    for label, (population, neurons) in groups.items():
        t, r = population_rate(result.spikes(population), t_start=t_start, t_stop=t_stop,
                               width=width, neurons=neurons)
        ax.plot(t, r, label=label, color=None if population in split else palette[population])
    ax.set_xlabel("time (ms)")
    ax.set_ylabel(f"rate (Hz, {width:g} ms bins)")
    ax.legend(loc="upper left", fontsize="small")
    return ax


def traces(monitor, variable="V", *, ax=None):
    """The recorded traces of one variable of a StateMonitor; returns the Axes."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3))
    data = monitor[variable]
    for row, neuron in zip(data, monitor.neurons, strict=True):
        ax.plot(monitor.t, row, lw=0.8, label=f"{monitor.population.name}[{neuron}]")
    ax.set_xlabel("time (ms)")
    ax.set_ylabel(f"{variable} ({unit(variable)})")
    ax.legend(loc="upper right", fontsize="x-small")
    return ax


def positions(network, *, ax=None, connections=30, seed=0):
    """Cells in the x-y plane (y = depth, down), with up to ``connections`` of each projection."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 6))
    placed = [p for p in network.populations.values()
              if getattr(p, "positions", None) is not None]
    palette = population_colors(network)
    for pop in placed:
        ax.scatter(pop.positions[:, 0], pop.positions[:, 1], s=8, label=pop.name,
                   color=palette[pop.name])
    rng = np.random.default_rng(seed)
    for proj in network.projections:
        if getattr(proj.pre, "positions", None) is None or \
                getattr(proj.post, "positions", None) is None:
            continue
        i, j = proj.weights().nonzero()
        if i.size == 0:
            continue
        pick = rng.choice(i.size, size=min(connections, i.size), replace=False)
        a, b = proj.pre.positions[i[pick]], proj.post.positions[j[pick]]
        ax.plot(np.stack([a[:, 0], b[:, 0]]), np.stack([a[:, 1], b[:, 1]]), color="0.6",
                lw=0.3, zorder=-1)
    ax.set_aspect("equal", adjustable="datalim")
    ax.invert_yaxis()
    ax.set_xlabel("x (µm)")
    ax.set_ylabel("y, depth (µm)")
    if placed:
        ax.legend(loc="upper right", fontsize="small")
    return ax


def connectivity(network, *, ax=None):
    """Mean summed weight onto a postsynaptic cell (µS), by pre and post population."""
    import matplotlib.pyplot as plt

    names = list(network.populations)
    M = np.zeros((len(names), len(names)))
    for proj in network.projections:
        a, b = names.index(proj.pre.name), names.index(proj.post.name)
        M[a, b] += proj.weights().sum() / proj.post.n
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4))
    image = ax.imshow(M, cmap="viridis")
    plt.colorbar(image, ax=ax, label="input weight per cell (µS)")
    ax.set_xticks(range(len(names)), names)
    ax.set_yticks(range(len(names)), names)
    ax.set_xlabel("postsynaptic")
    ax.set_ylabel("presynaptic")
    return ax


def rate_histogram(result, populations=None, *, ax=None, bins=30):
    """Histogram of the cells' mean rates (Hz) over the whole run, per population."""
    import matplotlib.pyplot as plt

    net = result._network
    names = list(net.populations) if populations is None else list(populations)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3))
    palette = population_colors(net)
    for name in names:
        tr = result.spikes(name)
        rates = np.bincount(tr.ids, minlength=tr.n) * 1000.0 / max(result.t, 1e-12)
        ax.hist(rates, bins=bins, histtype="step", label=name, color=palette[name])
    ax.set_xlabel(f"rate over the run's {result.t:g} ms (Hz)")
    ax.set_ylabel("cells")
    ax.legend(fontsize="small")
    return ax
