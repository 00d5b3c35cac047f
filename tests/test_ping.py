"""PING (Börgers & Kopell): a gamma rhythm from RTM E cells and Wang-Buzsáki I cells."""

import numpy as np

import lifnet as ln
from lifnet.analysis import peak_frequency


def test_ping_gamma_rhythm_every_cell_every_cycle():
    """Börgers' 200 E / 50 I example: a rhythm in the gamma band (30-90 Hz).

    Published (Börgers 2017, ch. 30, his synapse model): about 47 Hz, every E
    cell firing on every cycle. With the normalised double-exponential
    synapses of ``models.ping`` the same network runs at 42.5 Hz in Brian2
    (benchmarks/peers/ping_brian2.py, seeds 1 and 2); here we ask for the
    band, for lifnet within 10 % of that peer value, and for the locking.
    """
    net = ln.models.ping(seed=1)
    result = net.run(1000.0)
    E, I = result.spikes("E"), result.spikes("I")
    f = peak_frequency(E, t_start=200.0, t_stop=1000.0, band=(20.0, 80.0))
    assert 30.0 <= f <= 90.0
    assert abs(f - 42.5) / 42.5 < 0.10
    late_e = E.times > 200.0
    late_i = I.times > 200.0
    cycles = f * 0.8
    # E cells fire once per cycle, never more; those with the weakest drive (5 %
    # heterogeneity) may skip cycles, so "every cell" is asked of 90 % of them.
    per_cell_e = np.bincount(E.ids[late_e], minlength=E.n)
    assert per_cell_e.max() <= round(cycles) + 1
    assert np.mean(per_cell_e >= round(cycles) - 1) >= 0.9
    per_cell_i = np.bincount(I.ids[late_i], minlength=I.n)
    assert abs(per_cell_i.mean() - cycles) < 0.1 * cycles
    # I locked to E: each I volley follows an E volley within a few ms.
    t_e = np.sort(E.times[late_e])
    t_i = np.sort(I.times[late_i])
    lag = t_i - t_e[np.searchsorted(t_e, t_i) - 1]
    assert np.median(lag) < 5.0


def test_without_inhibition_there_is_no_rhythm():
    """E cells alone fire at their own, heterogeneous rates: no common rhythm."""
    net = ln.models.ping(seed=1, g_ie=0.0)
    E = net.run(600.0).spikes("E")
    counts, _ = np.histogram(E.times[E.times > 200.0], np.arange(200.0, 601.0, 1.0))
    assert counts.std() / counts.mean() < 0.5 * ln.analysis.count_cv(
        ln.models.ping(seed=1).run(600.0).spikes("E"), t_start=200.0, t_stop=600.0)
