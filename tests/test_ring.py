"""Ring populations, ring and uniform storage, ring cues and bump decoding."""

import math

import numpy as np
import pytest

import lifnet as ln
from lifnet.analysis import angular_error, decode_bump
from lifnet.connectivity import Circulant
from lifnet.monitors import SpikeTrains


def test_ring_footprint_has_mean_one_and_the_compte_shape():
    net = ln.Network()
    E = net.add(ln.PyrRingPop(360, name="E"))
    proj = net.connect(E, E, receptor="NMDA", rule="ring", weight=2.0, J_plus=1.62, sigma=14.4,
                       autapses=True)
    assert isinstance(proj.synapses, Circulant)
    W = proj.weights().toarray()
    assert W.mean() == pytest.approx(2.0, rel=1e-6)
    d = np.deg2rad(np.arange(360.0))
    d = np.where(d > np.pi, d - 2 * np.pi, d)
    bump = np.exp(-d ** 2 / (2 * np.deg2rad(14.4) ** 2))
    j_minus = (1 - 1.62 * bump.mean()) / (1 - bump.mean())
    np.testing.assert_allclose(W[0] / 2.0, j_minus + (1.62 - j_minus) * bump, rtol=1e-6)
    assert W[0, 0] == pytest.approx(2.0 * 1.62, rel=1e-6)
    # Translation invariance: row j is row 0 shifted by j.
    np.testing.assert_array_equal(W[37], np.roll(W[0], 37))


def _ring_network(rule, seed=3):
    """Ring NMDA between pyramidal cells (by ``rule``), everything else explicit arrays."""
    net = ln.Network(dt=0.1, seed=seed)
    E = net.add(ln.PyrRingPop(128, name="E"))
    I = net.add(ln.InterRingPop(32, name="I", E_L=-70.0))
    if rule == "ring":
        net.connect(E, E, receptor="NMDA", rule="ring", weight=0.004, J_plus=2.5, sigma=20.0)
    else:
        scratch = ln.Network()
        ring = scratch.add(ln.PyrRingPop(128))
        W = scratch.connect(ring, ring, receptor="NMDA", rule="ring", weight=0.004, J_plus=2.5,
                            sigma=20.0).weights().toarray()
        net.connect(E, E, receptor="NMDA", rule="array", weight=W)
    II = np.full((32, 32), 0.015)
    np.fill_diagonal(II, 0.0)
    net.connect(I, E, receptor="GABA", rule="array", weight=np.full((32, 128), 0.02))
    net.connect(I, I, receptor="GABA", rule="array", weight=II)
    net.connect(E, I, receptor="NMDA", rule="array", weight=np.full((128, 32), 0.003))
    net.stimulate(E, ln.PoissonDrive(rate=2000.0, weight=0.004))
    net.stimulate(I, ln.PoissonDrive(rate=2000.0, weight=0.003))
    net.stimulate(E, ln.RingCue(amplitude=0.3, kappa=4.0, theta=1.0, start=50.0, stop=150.0))
    return net


def test_circulant_fft_equals_the_explicit_matrix():
    """The same network with the ring rule (NMDA by FFT) and with its dense matrix."""
    fast = _ring_network("ring")
    slow = _ring_network("array")
    assert isinstance(fast.projections[0].synapses, Circulant)
    fast.run(400.0)
    slow.run(400.0)
    for name in ("E", "I"):
        a, b = fast.result.spikes(name), slow.result.spikes(name)
        assert len(a) > 100
        # The explicit matrices are stored as float32 (relative rounding 6e-8), the
        # circulant kernel as float64: spike times may move by ~1e-5 ms, no more,
        # and the trains must stay matched one to one.
        np.testing.assert_array_equal(a.ids, b.ids)
        np.testing.assert_allclose(a.times, b.times, rtol=0, atol=1e-4)


def test_ring_cue_current_profile():
    net = ln.Network(dt=0.1)
    E = net.add(ln.PyrRingPop(16, name="E"))
    cue = ln.RingCue(amplitude=0.5, kappa=3.0, theta=math.pi / 2, start=0.0, stop=10.0)
    amps = cue.amplitudes(E)
    np.testing.assert_allclose(amps, 0.5 * np.exp(3.0 * (np.cos(E.theta - math.pi / 2) - 1)))
    assert amps.argmax() == 4 and amps[4] == pytest.approx(0.5)
    with pytest.raises(ln.ParameterError, match="not a ring population"):
        ln.RingCue(amplitude=0.5, kappa=3.0, theta=0.0).amplitudes(ln.PyrPop(4, name="x"))


def test_ring_poisson_cue_rates_follow_the_profile_and_the_window():
    net = ln.Network(dt=0.1, seed=5)
    E = net.add(ln.PyrRingPop(8, name="E", V_init=-70.0, V_th=1e3))
    cue = ln.RingPoissonCue(rate=2000.0, kappa=2.0, theta=0.0, weight=1e-4, start=100.05,
                            stop=1100.05)
    net.stimulate(E, cue)
    mon = net.monitor(E, "g_cue", interval=0.1)
    net.run(1200.0)
    g = mon["g_cue"]
    t = mon.t
    # Mean gate = rate * weight * tau while the cue is on (Campbell), zero before.
    on = (t > 150.0) & (t < 1100.0)
    expected = cue.rates(E) / 1000.0 * 1e-4 * 2.0
    measured = g[:, on].mean(axis=1)
    # Relative error of a shot-noise mean over ~950 ms: below 10 % for these rates.
    np.testing.assert_allclose(measured, expected, rtol=0.1)
    assert np.all(g[:, t < 100.0] == 0.0)
    assert np.all(g[:, (t > 1150.0)] < expected[:, None] * 1e-8)


def test_decode_bump_recovers_a_synthetic_bump():
    rng = np.random.default_rng(0)
    n = 512
    theta = 2 * np.pi * np.arange(n) / n
    centre = 2.0
    rate = 2.0 + 40.0 * np.exp(5.0 * (np.cos(theta - centre) - 1))  # Hz
    counts = rng.poisson(rate * 1.0)  # 1 s
    ids = np.repeat(np.arange(n), counts)
    times = rng.uniform(0, 1000.0, ids.size)
    d = decode_bump(SpikeTrains(times, ids, n), theta, t_stop=1000.0, width=1000.0)
    assert np.degrees(angular_error(d["angle"][0], centre)) < 2.0
    raw = decode_bump(SpikeTrains(times, ids, n), theta, t_stop=1000.0, width=1000.0,
                      baseline=False)
    assert d["length"][0] > raw["length"][0]
