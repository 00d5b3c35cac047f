"""Figures (matplotlib)."""



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

