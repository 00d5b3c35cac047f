"""Synaptic delivery: the gate follows the analytic sum of delayed, decaying pulses."""

import numpy as np
import pytest

import lifnet as ln


@pytest.mark.parametrize("delay", [0.1, 0.73, 2.0])
def test_gate_is_exact_sum_of_delayed_pulses(delay):
    net = ln.Network(dt=0.1, seed=1)
    pre = net.add(ln.PyrPop(3, name="pre", V_init=-70.0))
    post = net.add(ln.PyrPop(4, name="post", V_th=1e3, V_init=-70.0))
    net.stimulate(pre, ln.CurrentClamp(amplitude=[0.6, 0.75, 0.9]))
    w = np.array([[0.001, 0.0, 0.002, 0.003],
                  [0.0, 0.004, 0.0, 0.001],
                  [0.002, 0.002, 0.002, 0.0]])
    rec = ln.ExponentialSynapse(tau=5.0, E=0.0, name="e")
    net.connect(pre, post, receptor=rec, weight=w, rule="array", delay=delay)
    mon = net.monitor(post, "g_e", interval=0.1)
    result = net.run(200.0)
    spikes = result.spikes(pre)
    assert len(spikes) > 15
    t = mon.t
    expected = np.zeros((4, t.size))
    for ts, j in zip(spikes.times, spikes.ids, strict=True):
        lag = t - (ts + delay)
        on = lag > 0
        expected[:, on] += w[j][:, None].astype(np.float32) * np.exp(-lag[on] / 5.0)
    np.testing.assert_allclose(mon["g_e"], expected, rtol=1e-9, atol=1e-15)


def test_per_synapse_delays_from_distance_are_exact():
    """delay = 0.5 ms + distance / (300 µm/ms): each synapse's pulses start on time."""
    net = ln.Network(dt=0.1, seed=1)
    pre = net.add(ln.PyrPop(2, name="pre", V_init=-70.0),
                  positions=np.array([[0.0, 0.0, 0.0], [50.0, 0.0, 0.0]]))
    xs = np.array([10.0, 77.0, 140.0, 333.0, 512.0])
    post = net.add(ln.PyrPop(5, name="post", V_th=1e3, V_init=-70.0),
                   positions=np.column_stack((xs, np.zeros(5), np.zeros(5))))
    net.stimulate(pre, ln.CurrentClamp(amplitude=[0.7, 0.85]))
    rec = ln.ExponentialSynapse(tau=5.0, E=0.0, name="e")
    proj = net.connect(pre, post, receptor=rec, weight="0.001 + 0.0 * dist_x",
                       rule="all_to_all", delay="0.5 + dist_3D / 300")
    mon = net.monitor(post, "g_e", interval=0.1)
    result = net.run(150.0)
    spikes = result.spikes(pre)
    assert len(spikes) > 10
    distance = np.abs(xs[None, :] - np.array([0.0, 50.0])[:, None])
    delay = 0.5 + distance / 300.0
    np.testing.assert_allclose(np.sort(proj.delay), np.sort(delay.ravel()))
    # Per-synapse delays are stored in float32 steps (error < 1e-6 ms): relative 1e-7 here.
    np.testing.assert_allclose(mon["g_e"], _pulses(mon.t, spikes, delay), rtol=1e-7,
                               atol=1e-15)


def _pulses(t, spikes, delay, weight=0.001, tau=5.0):
    """The gate (post, time) of exponential pulses of one weight from each spike of
    presynaptic cell j, delayed per synapse by delay[j] (ms, one per post cell)."""
    expected = np.zeros((delay.shape[1], t.size))
    for ts, j in zip(spikes.times, spikes.ids, strict=True):
        lag = t[None, :] - (ts + delay[j][:, None])
        on = lag > 0
        expected += np.where(on, np.float32(weight) * np.exp(-np.where(on, lag, 0) / tau), 0.0)
    return expected


def test_whole_step_delays_are_delivered_from_the_rows_delay_table():
    """Delays per synapse of whole steps (as NEST rounds them) are found through each
    row's table of delay groups, not by search: every pulse still starts on time."""
    net = ln.Network(dt=0.1, seed=2)
    pre = net.add(ln.PyrPop(3, name="pre", V_init=-70.0))
    post = net.add(ln.PyrPop(40, name="post", V_th=1e3, V_init=-70.0))
    net.stimulate(pre, ln.CurrentClamp(amplitude=[0.6, 0.75, 0.9]))
    rec = ln.ExponentialSynapse(tau=5.0, E=0.0, name="e")
    proj = net.connect(pre, post, receptor=rec, weight=0.001, rule="probability", p=1.0,
                       delay=ln.Normal(mean=1.5, sd=0.75, low=0.05, resolution=0.1))
    mon = net.monitor(post, "g_e", interval=0.1)
    result = net.run(150.0)
    conns = net._asm.connections
    assert (conns.group_offset[conns.per_synapse != 0] >= 0).all()
    spikes = result.spikes(pre)
    assert len(spikes) > 10
    delay = np.zeros((3, 40))
    syn = proj.synapses
    delay[np.repeat(np.arange(3), np.diff(syn.indptr)), syn.indices] = proj.delay
    assert len(np.unique(np.round(delay / 0.1))) > 10
    np.testing.assert_allclose(mon["g_e"], _pulses(mon.t, spikes, delay), rtol=1e-7,
                               atol=1e-15)


@pytest.mark.parametrize("storage", ["dense", "sparse"])
def test_arrivals_on_refractory_neurons_give_the_exact_gates(storage):
    """Arrivals on a neuron held refractory over the whole step change only its gates
    (for a two-gate population, in lif_rk2._few_arrivals); the gates must still be
    the exact sums of pulses."""
    import scipy.sparse as sp

    net = ln.Network(dt=0.1, seed=1)
    pre = net.add(ln.PyrPop(3, name="pre", V_init=-70.0))
    # Post cells fire about every 25 ms and are then held for 20 ms: most arrivals
    # land on a held cell.
    post = net.add(ln.PyrPop(4, name="post", t_ref=20.0, V_init=-55.0))
    net.stimulate(pre, ln.CurrentClamp(amplitude=[0.6, 0.75, 0.9]))
    net.stimulate(post, ln.CurrentClamp(amplitude=0.9))
    w = np.array([[0.001, 0.0, 0.002, 0.003],
                  [0.0, 0.004, 0.0, 0.001],
                  [0.002, 0.002, 0.002, 0.0]])
    taus = {"e": 5.0, "i": 10.0}
    for name, weight in (("e", w), ("i", 0.5 * w[::-1])):
        rec = ln.ExponentialSynapse(tau=taus[name], E=0.0 if name == "e" else -80.0, name=name)
        net.connect(pre, post, receptor=rec, rule="array", delay=0.37,
                    weight=weight if storage == "dense" else sp.csr_array(weight))
    mon = net.monitor(post, ["g_e", "g_i"], interval=0.1)
    result = net.run(300.0)
    spikes = result.spikes(pre)
    post_spikes = result.spikes(post)
    assert len(spikes) > 20 and len(post_spikes) > 30
    held = 0
    for ts, j in zip(spikes.times, spikes.ids, strict=True):
        ta = ts + 0.37
        for i in np.flatnonzero(w[j]):
            own = post_spikes.times[post_spikes.ids == i]
            held += np.any((own < ta) & (own + 20.0 >= np.ceil(ta / 0.1) * 0.1))
    assert held > 20
    t = mon.t
    for name, weight in (("e", w), ("i", 0.5 * w[::-1])):
        expected = np.zeros((4, t.size))
        for ts, j in zip(spikes.times, spikes.ids, strict=True):
            lag = t - (ts + 0.37)
            on = lag > 0
            expected[:, on] += (weight[j][:, None].astype(np.float32)
                                * np.exp(-lag[on] / taus[name]))
        np.testing.assert_allclose(mon["g_" + name], expected, rtol=1e-9, atol=1e-15)


def _spikes_onto_cells_with_a_burst_of_drive(arrival_capacity):
    """20 listed spikes reach 100 WB cells in the step (t = 10.5 ms) in which a Poisson
    drive of 45 events per cell and step switches on: about 4500 listed arrivals in that
    step, more than the list's first length (4096)."""
    net = ln.Network(dt=0.05, seed=2)
    src = net.add(ln.SpikeSourcePop(20, times=np.full(20, 10.02), ids=np.arange(20),
                                    name="src"))
    cells = net.add(ln.WBPop(100, name="I", V_init=np.linspace(-70.0, -60.0, 100)))
    rec = ln.DoubleExponentialSynapse(tau_rise=0.5, tau_decay=3.0, E=0.0, name="e")
    w = np.random.default_rng(0).uniform(0.01, 0.03, (20, 100))
    net.connect(src, cells, receptor=rec, weight=w, rule="array", delay=0.5)
    net.stimulate(cells, ln.PoissonDrive(rate=9e5, weight=1e-6, start=10.5, stop=10.55,
                                         receptor=rec))
    mon = net.monitor(cells, "V", interval=0.05)
    net._build()
    if arrival_capacity:
        net._asm.grow_arrivals(arrival_capacity)
    net.run(20.0)
    return mon["V"]


def test_a_step_redone_after_its_arrival_list_overflowed_counts_each_spike_once():
    """Spikes onto conductance cells go straight into per-step sums, not the list. When
    the list overflows, the step is redone with a longer one: the sums must start again,
    or those spikes would count twice."""
    grown = _spikes_onto_cells_with_a_burst_of_drive(1 << 16)
    overflowed = _spikes_onto_cells_with_a_burst_of_drive(None)
    assert grown[:, -1].max() - grown[:, 200].max() > 1.0      # the spikes depolarised them
    np.testing.assert_array_equal(overflowed, grown)
