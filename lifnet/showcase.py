"""What ``lifnet run --model NAME`` runs and draws: each built-in model's phenomenon.

For every model in ``lifnet.models.MODELS`` a ``Showcase`` says how long its
default run lasts (long enough for the phenomenon the paper is about: the
bump that outlives its cue, the decision, the gamma rhythm), which keywords
differ from the model function's defaults for that run, and how to draw the
result: a figure whose title names the model, seed and duration, and whose
caption says what to look at, with the figures measured in this run.
"""

from dataclasses import dataclass, field

import numpy as np

from . import analysis, plotting


@dataclass(frozen=True)
class Showcase:
    """How the command line runs and draws one built-in model.

    Attributes
    ----------
    title : str
        The model by paper (and tool), for titles.
    duration : float
        Default simulated time, ms.
    draw : callable
        ``draw(net, result, keywords) -> (figure, caption)``; the caption
        says what the figure shows and what to look at, with this run's
        measures.
    keywords : dict
        Keywords given to the model function unless the user sets them.
    record : callable or None
        ``record(net)``: monitors to add before the run (for the figure).
    """

    title: str
    duration: float
    draw: object
    keywords: dict = field(default_factory=dict)
    record: object = None


def _figure(rows, height=2.6):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(rows, 1, figsize=(9, 1.2 + height * rows), sharex=True,
                             squeeze=False)
    return fig, axes[:, 0]


def _rates_text(result, names):
    return ", ".join(f"{p} {result.spikes(p).rate(result.t):.1f} Hz" for p in names)


def _raster_and_rates(title, what, width=5.0, populations=None):
    def draw(net, result, keywords):
        names = list(net.populations) if populations is None else populations
        fig, (top, bottom) = _figure(2)
        plotting.raster(result, names, ax=top)
        top.set_xlabel("")
        plotting.title(top, result, title)
        plotting.rates(result, {p: (p, None) for p in names}, ax=bottom, width=width)
        return fig, f"{what} Mean rates: {_rates_text(result, names)}."
    return draw


def _compte(net, result, keywords):
    start = keywords.get("cue_start", 1000.0)
    stop = start + keywords.get("cue_duration", 250.0)
    theta = keywords.get("cue_theta", np.pi)
    fig, (ax,) = _figure(1, height=3.8)
    plotting.bump(result, "E", ax=ax, cue=(start, stop, theta))
    plotting.title(ax, result, "Compte et al. (2000) ring network")
    t_end = result.t
    window = min(500.0, t_end - stop)
    caption = (f"Pyramidal cells' rates by preferred direction. A cue at "
               f"{np.degrees(theta) % 360:.0f}° from {start:g} to {stop:g} ms (red bar) "
               "leaves a bump of activity that persists after the cue ends: the memory.")
    if window > 0:
        decoded = analysis.decode_bump(result.spikes("E"), net.population("E").theta,
                                       t_start=t_end - window, t_stop=t_end, width=window)
        angle = float(decoded["angle"][-1])
        error = np.degrees(analysis.angular_error(angle, theta))
        caption += (f" Decoded over the last {window:g} ms: {np.degrees(angle) % 360:.0f}°, "
                    f"{error:.0f}° from the cue.")
    return fig, caption


def _wang(net, result, keywords):
    start = keywords.get("stim_start", 500.0)
    coherence = keywords.get("coherence", 0.0)
    fig, (ax,) = _figure(1, height=3.4)
    plotting.rates(result, {p: (p, None) for p in ("A", "B", "NS", "I")}, ax=ax, width=50.0)
    stop = min(result.t, start + keywords.get("stim_duration", 2000.0))
    ax.axvspan(start, stop, color="0.9", zorder=-2, label="stimulus")
    plotting.title(ax, result, f"Wang (2002) decision network, coherence {coherence:g} %")
    winner, when = analysis.decision(result, t_start=start)
    caption = (f"Rates of the two selective pools A and B, the non-selective pool and the "
               f"interneurons; the stimulus (grey) favours A at coherence {coherence:g} %. ")
    if winner is None:
        caption += "No pool reached 15 Hz: no decision in this run."
    else:
        ax.axvline(start + when, color="k", ls="--", lw=0.8, label="decision")
        caption += (f"Pool {winner} wins: it reaches 15 Hz {when:.0f} ms after the stimulus "
                    "starts (dashed line) and the other pool is suppressed.")
    ax.legend(loc="upper left", fontsize="small")
    return fig, caption


def _ping(net, result, keywords):
    fig, (top, bottom) = _figure(2)
    t0 = min(200.0, result.t / 2)
    plotting.raster(result, ax=top, t_start=t0)
    top.set_xlabel("")
    plotting.title(top, result, "PING gamma rhythm (Börgers & Kopell)")
    plotting.rates(result, {p: (p, None) for p in ("E", "I")}, ax=bottom, t_start=t0,
                   width=1.0)
    frequency = analysis.peak_frequency(result.spikes("E"), t_start=t0, t_stop=result.t)
    return fig, (f"E (RTM) and I (Wang-Buzsáki) cells after the first {t0:g} ms: the E cells "
                 "fire in volleys, the I cells answer each one and their inhibition sets "
                 f"the period. Rhythm: {frequency:.1f} Hz (peak of the E activity's spectrum). "
                 f"Mean rates: {_rates_text(result, ['E', 'I'])}.")


def _gap(net, result, keywords):
    fig, (top, bottom) = _figure(2)
    weight_ns = 1e3 * keywords.get("gap_weight", 0.0003)
    plotting.raster(result, ax=top)
    top.set_xlabel("")
    plotting.title(top, result, f"Inhibitory HH network with gap junctions (NEST), "
                                f"{weight_ns:g} nS")
    plotting.rates(result, {"HH": ("HH", None)}, ax=bottom, width=2.0)
    mon = net.monitors[0]
    keep = mon.t >= 100.0
    chi = analysis.voltage_synchrony(mon["V"][:, keep])
    return fig, (f"500 Hodgkin-Huxley cells coupled by 15 000 gap junctions of {weight_ns:g} nS. "
                 f"Voltage synchrony chi (Golomb & Rinzel) after 100 ms: {chi:.2f} (1: "
                 "every cell's voltage alike). NEST's example gives about 0.5 at 0.3 nS, "
                 "its asynchronous state, and 0.99 at 0.7 nS, where the cells fire "
                 "together: try --set gap_weight=0.0007. "
                 f"Mean rate: {_rates_text(result, ['HH'])}.")


def _rtm(net, result, keywords):
    import matplotlib.pyplot as plt

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 6.4))
    names = [p for p in net.populations if p != "kick"]
    window = min(150.0, result.t)
    plotting.raster(result, ["kick", *names], ax=top, t_stop=window)
    plotting.title(top, result, "30 RTM cells started asynchronously (BMTK)")
    plotting.rates(result, {p: (p, None) for p in names}, ax=bottom, width=5.0)
    caption = (f"Top, the first {window:g} ms: each RTM cell gets one kick (its row among "
               "the kick cells) at a random time in the first 25 ms. ")
    if "I" in net.populations:
        caption += ("With interneurons (the PING version), inhibition holds the rates down "
                    "and groups the spikes into a rhythm. ")
    else:
        caption += ("With excitation alone nothing stops the recurrent excitation: every "
                    "cell runs away to a high tonic rate (bottom); try --set n_i=8 for the "
                    "PING version. ")
    return fig, caption + f"Mean rates: {_rates_text(result, names)}."


def _microcircuit(net, result, keywords):
    import matplotlib.pyplot as plt

    layers = ("L23", "L4", "L5", "L6")
    fig, axes = plt.subplot_mosaic([[layer, "box"] for layer in layers], figsize=(11, 7.5),
                                   width_ratios=(2.2, 1.0))
    colors = plotting.population_colors(net)
    t_stop = result.t
    t_start = max(0.0, t_stop - 200.0)
    transient = min(100.0, t_stop / 2)
    for k, layer in enumerate(layers):
        ax = axes[layer]
        plotting.raster(result, [layer + "E", layer + "I"], ax=ax, t_start=t_start,
                        t_stop=t_stop, colors=colors)
        ax.set_ylabel(layer.replace("L23", "L2/3"))
        if k == 0:
            plotting.title(ax, result, "Potjans & Diesmann (2014) microcircuit")
        if k < 3:
            ax.set_xlabel("")
            ax.tick_params(labelbottom=False)
    box = axes["box"]
    names = [p for p in net.populations if p != "TC"]
    per_cell = []
    for name in names:
        spikes = result.spikes(name)
        late = spikes.times >= transient
        counts = np.bincount(spikes.ids[late], minlength=net.population(name).n)
        per_cell.append(counts / ((t_stop - transient) / 1000.0))
    parts = box.boxplot(per_cell[::-1], vert=False, showfliers=False, patch_artist=True,
                        medianprops={"color": "k"})
    box.set_yticks(range(1, len(names) + 1), names[::-1])
    for patch, name in zip(parts["boxes"], names[::-1], strict=True):
        patch.set_facecolor(colors[name])
    box.set_xlabel(f"rate per cell (Hz), {transient:g}-{t_stop:g} ms")
    box.set_title("rates", fontsize="medium")
    scale = keywords.get("scale", 1.0)
    n_cells = sum(net.population(name).n for name in names)
    background = keywords.get("background", "poisson")
    return fig, (f"{n_cells} LIF cells with current synapses in four layers (scale {scale:g} "
                 f"of the 77 169), {background} background. Left: spikes of the "
                 f"last {t_stop - t_start:g} ms per layer (excitatory cells below, inhibitory "
                 "above): asynchronous and irregular, L2/3E and L6E nearly silent, L5 the "
                 "busiest, as in the paper's Fig. 6 and NEST's example. Right: rates of "
                 f"single cells after the first {transient:g} ms. Mean rates: "
                 f"{_rates_text(result, names)}.")


def _record_voltages(net):
    net.monitor("HH", "V", interval=0.5)


SHOWCASES = {
    "coba": Showcase(
        "COBA (Brette et al. 2007)", 1000.0,
        _raster_and_rates("COBA (Brette et al. 2007)",
                          "4000 LIF cells with conductance synapses, self-sustained "
                          "asynchronous irregular activity.")),
    "cobahh": Showcase(
        "COBAHH (Brette et al. 2007)", 1000.0,
        _raster_and_rates("COBAHH (Brette et al. 2007)",
                          "4000 Traub-Miles Hodgkin-Huxley cells with conductance synapses, "
                          "self-sustained asynchronous activity.")),
    "compte2000": Showcase("Compte et al. (2000)", 4250.0, _compte),
    "wang2002": Showcase("Wang (2002)", 2500.0, _wang, keywords={"coherence": 25.6}),
    "ping": Showcase("PING (Börgers & Kopell)", 1000.0, _ping),
    "rtm_async": Showcase("30 RTM cells started asynchronously (BMTK)", 800.0, _rtm),
    "gap_junction_network": Showcase("Gap-junction network (NEST)", 501.0, _gap,
                                     record=_record_voltages),
    "potjans_diesmann": Showcase("Potjans & Diesmann (2014) microcircuit (NEST)", 1000.0,
                                 _microcircuit, keywords={"scale": 0.1, "k_scale": 0.1}),
}
