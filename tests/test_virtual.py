"""Virtual Poisson cells: rates, windows, exact spike delivery, and what they refuse."""

import numpy as np
import pytest

import lifnet as ln


def test_poisson_cells_fire_at_their_rates_in_their_windows():
    """BMTK's thalamus: 100 cells at 15 Hz for 3 s; and a rate that changes over time."""
    net = ln.Network(dt=0.1, seed=4)
    thal = net.add(ln.PoissonPop(100, rate=15.0, start=0.0, stop=3000.0, name="thal"))
    steps = net.add(ln.PoissonPop(200, rate=[(100.05, 600.05, 40.0), (600.05, 1100.05, 5.0)],
                                  name="steps"))
    net.run(3500.0)
    tr = net.result.spikes(thal)
    assert tr.times.max() < 3000.0
    counts = np.bincount(tr.ids, minlength=100)
    # Poisson: mean 45 spikes per cell in 3 s, variance = mean (Fano factor 1).
    assert abs(counts.mean() - 45.0) < 4 * np.sqrt(45.0 / 100)
    assert 0.7 < counts.var() / counts.mean() < 1.35
    s = net.result.spikes(steps).times
    assert s.min() >= 100.05 and s.max() < 1100.05
    high = np.count_nonzero(s < 600.05) / (200 * 0.5)
    low = np.count_nonzero(s >= 600.05) / (200 * 0.5)
    assert abs(high - 40.0) < 4 * np.sqrt(40.0 / 100) and abs(low - 5.0) < 4 * np.sqrt(5 / 100)


def test_virtual_spikes_reach_their_targets_at_the_exact_time():
    net = ln.Network(dt=0.1, seed=2)
    src = net.add(ln.PoissonPop(3, rate=80.0, name="src"))
    post = net.add(ln.PyrPop(2, name="post", V_th=1e3, V_init=-70.0))
    rec = ln.ExponentialSynapse(tau=3.0, E=0.0, name="e")
    w = np.array([[0.001, 0.0], [0.002, 0.001], [0.0, 0.003]])
    net.connect(src, post, receptor=rec, weight=w, rule="array", delay=0.73)
    mon = net.monitor(post, "g_e", interval=0.1)
    net.run(300.0)
    spikes = net.result.spikes(src)
    assert len(spikes) > 40
    t = mon.t
    expected = np.zeros((2, t.size))
    for ts, j in zip(spikes.times, spikes.ids, strict=True):
        lag = t - (ts + 0.73)
        on = lag > 0
        expected[:, on] += w[j][:, None].astype(np.float32) * np.exp(-lag[on] / 3.0)
    np.testing.assert_allclose(mon["g_e"], expected, rtol=1e-9, atol=1e-15)


def test_virtual_cells_take_no_synapses_stimuli_or_monitors():
    net = ln.Network()
    src = net.add(ln.PoissonPop(3, rate=5.0, name="src"))
    E = net.add(ln.PyrPop(3, name="E"))
    for call in (lambda: net.connect(E, src, weight=0.001),
                 lambda: net.stimulate(src, ln.CurrentClamp(amplitude=0.1)),
                 lambda: net.monitor(src, "V")):
        with pytest.raises(ln.ParameterError, match="'src' is a PoissonPop"):
            call()
    with pytest.raises(ln.ParameterError, match=r"rate\[0\]=\(1, 2\) must be"):
        ln.PoissonPop(3, rate=[(1, 2)])
    with pytest.raises(ln.ParameterError, match="must be >= 0 Hz"):
        ln.PoissonPop(3, rate=-1.0)


def test_spike_file_inputs_replay_exactly_and_resume_from_a_checkpoint(tmp_path):
    """A SONATA spike file replayed into a network: the same spikes, delivered on time."""
    from lifnet.io import write_spikes
    from lifnet.monitors import SpikeTrains

    rng = np.random.default_rng(0)
    times = np.sort(rng.uniform(0.0, 200.0, 300))
    ids = rng.integers(0, 5, 300)
    path = tmp_path / "input.h5"
    write_spikes(path, {"lgn": SpikeTrains(times, ids, 5)})

    def build():
        net = ln.Network(dt=0.1, seed=1)
        src = net.add(ln.SpikeSourcePop.from_sonata(path, "lgn", n=5))
        post = net.add(ln.PyrPop(2, name="post", V_th=1e3, V_init=-70.0))
        rec = ln.ExponentialSynapse(tau=3.0, E=0.0, name="e")
        net.connect(src, post, receptor=rec, weight=np.full((5, 2), 0.001), rule="array",
                    delay=0.55)
        return net, net.monitor(post, "g_e", interval=0.1)

    net, mon = build()
    net.run(250.0)
    replayed = net.result.spikes("lgn")
    order = np.lexsort((ids, times))
    np.testing.assert_array_equal(replayed.times, times[order])
    np.testing.assert_array_equal(replayed.ids, ids[order])
    t = mon.t
    lag = t[None, :] - (times[:, None] + 0.55)
    expected = (np.float32(0.001) * np.where(lag > 0, np.exp(-np.where(lag > 0, lag, 0) / 3.0),
                                             0.0)).sum(axis=0)
    np.testing.assert_allclose(mon["g_e"][0], expected, rtol=1e-9, atol=1e-15)

    first, _ = build()
    first.run(97.3)
    first.save_checkpoint(tmp_path / "state.h5")
    resumed, _ = build()
    resumed.load_checkpoint(tmp_path / "state.h5")
    resumed.run(250.0 - 97.3)
    np.testing.assert_array_equal(resumed.result.spikes("lgn").times, replayed.times)
    with pytest.raises(ln.ParameterError, match="ids in \\[0, 5\\)"):
        ln.SpikeSourcePop(5, times=[1.0], ids=[7])
