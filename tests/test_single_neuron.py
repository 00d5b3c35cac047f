"""A single LIF neuron against its analytic solution."""

import math

import numpy as np
import pytest

import lifnet as ln


def analytic_period(pop, current):
    v_inf = pop.E_L + current / pop.g_L
    return pop.t_ref + pop.tau_m * math.log((v_inf - pop.V_reset) / (v_inf - pop.V_th))


@pytest.mark.parametrize("cls", [ln.PyrPop, ln.InterPop])
@pytest.mark.parametrize("current", [0.55, 0.8, 1.5])
def test_firing_rate_matches_analytic_period(cls, current):
    net = ln.Network(dt=0.1, seed=1)
    pop = net.add(cls(1, V_init=cls(1).V_reset))
    net.stimulate(pop, ln.CurrentClamp(amplitude=current))
    times = net.run(2000.0).spikes(pop).times
    period = analytic_period(pop, current)
    measured = np.diff(times).mean()
    assert len(times) > 10
    assert abs(1 / measured - 1 / period) * period < 1e-4
    # The first spike too, from V_reset at t = 0: no refractory period before it.
    assert times[0] == pytest.approx(period - pop.t_ref, abs=1e-3)


def test_current_switched_off_grid_gives_exact_first_spike():
    """A clamp that starts between grid points: the first spike follows it exactly."""
    pop_args = dict(V_init=-70.0)
    net = ln.Network(dt=0.1, seed=1)
    pop = net.add(ln.PyrPop(1, **pop_args))
    net.stimulate(pop, ln.CurrentClamp(amplitude=0.8, start=10.037, stop=60.0))
    times = net.run(100.0).spikes(pop).times
    v_inf = pop.E_L + 0.8 / pop.g_L
    first = 10.037 + pop.tau_m * math.log((v_inf - pop.E_L) / (v_inf - pop.V_th))
    assert times[0] == pytest.approx(first, abs=2e-4)
    assert times[-1] < 60.0


def test_subthreshold_current_never_fires_and_settles_at_v_inf():
    net = ln.Network(dt=0.1, seed=1)
    pop = net.add(ln.PyrPop(1, V_init=-70.0))
    net.stimulate(pop, ln.CurrentClamp(amplitude=0.4))   # V_inf = -54 mV < V_th
    mon = net.monitor(pop, "V", interval=1.0)
    result = net.run(300.0)
    assert len(result.spikes(pop)) == 0
    t = mon.t
    expected = -54.0 - 16.0 * np.exp(-t / pop.tau_m)
    # Heun on this linear ODE: error about (dt / tau_m)^2 / 6 x 16 mV = 7e-5 mV.
    np.testing.assert_allclose(mon["V"][0], expected, atol=1e-4)


def test_gate_decays_exactly():
    net = ln.Network(dt=0.1, seed=1)
    pop = net.add(ln.PyrPop(1, V_init=-70.0))
    net.connect(pop, pop, receptor=ln.AMPA(tau=5.0), weight=0.0, autapses=True)
    net.set_state(pop, "g_AMPA", 0.01)
    mon = net.monitor(pop, "g_AMPA", interval=0.5)
    net.run(50.0)
    np.testing.assert_allclose(mon["g_AMPA"][0], 0.01 * np.exp(-mon.t / 5.0), rtol=1e-12)


def test_flat_cue_drives_every_neuron_alike_while_on():
    net = ln.Network(dt=0.1, seed=1)
    pop = net.add(ln.PyrPop(5, V_init=-70.0))
    net.stimulate(pop, ln.FlatCue(amplitude=0.8, start=50.0, stop=150.0))
    spikes = net.run(200.0).spikes(pop)
    firsts = np.array([spikes.of(i)[0] for i in range(5)])
    v_inf = pop.E_L + 0.8 / pop.g_L
    expected = 50.0 + pop.tau_m * math.log((v_inf - pop.E_L) / (v_inf - pop.V_th))
    np.testing.assert_allclose(firsts, expected, atol=2e-4)
    assert spikes.times.min() >= 50.0 and spikes.times.max() < 150.0
    with pytest.raises(ln.ParameterError, match="FlatCue: amplitude must be a scalar"):
        ln.FlatCue(amplitude=[0.1, 0.2])
