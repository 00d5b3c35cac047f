"""Conductance cells (RTM, WB, NEST's HH, Traub), their synapses and gap junctions.

References: the same ODEs solved by scipy's DOP853 at rtol = atol = 1e-12
(spike = upward crossing of V_spike, located by solve_ivp's event finder),
closed-form solutions of passive membranes, and conservation laws.
"""

import math

import izhikevich_reference as reference
import numpy as np
import pytest
from scipy.integrate import solve_ivp

import lifnet as ln
from lifnet.integrators import layout as L
from lifnet.integrators.conductance_step import m_near_switch


def _xexp(x, k):
    return k if x == 0.0 else x / -math.expm1(-x / k)


def rtm_rhs(t, y, current):
    """The RTM cell of Olufsen et al. (2003), written out independently of lifnet's kernel."""
    V, h, n = y
    am = 0.32 * _xexp(V + 54.0, 4.0)
    bm = 0.28 * _xexp(-(V + 27.0), 5.0)
    ah = 0.128 * math.exp(-(V + 50.0) / 18.0)
    bh = 4.0 / (1.0 + math.exp(-(V + 27.0) / 5.0))
    an = 0.032 * _xexp(V + 52.0, 5.0)
    bn = 0.5 * math.exp(-(V + 57.0) / 40.0)
    m = am / (am + bm)
    dV = (-100.0 * m ** 3 * h * (V - 50.0) - 80.0 * n ** 4 * (V + 100.0)
          - 0.1 * (V + 67.0) + current)
    return [dV, ah * (1 - h) - bh * h, an * (1 - n) - bn * n]


def rtm_reference(current, duration, V0=-65.0):
    gates = ln.RTMPop(1).initial_gates([V0])

    def crossing(t, y, current):
        return y[0] + 20.0
    crossing.direction = 1
    sol = solve_ivp(rtm_rhs, (0.0, duration), [V0, gates[1, 0], gates[2, 0]], args=(current,),
                    method="DOP853", rtol=1e-12, atol=1e-12, events=crossing)
    return sol.t_events[0]


def rtm_spikes(current, duration, dt, method="auto"):
    net = ln.Network(dt=dt, seed=1)
    cell = net.add(ln.RTMPop(1, V_init=-65.0, method=method))
    net.stimulate(cell, ln.CurrentClamp(amplitude=current))
    return net.run(duration).spikes(cell).times


@pytest.mark.parametrize("current", [0.05, 0.12, 0.2, 0.5, 1.0, 2.0])
def test_rtm_fI_curve_matches_solve_ivp(current):
    """Onset and shape of the f-I curve: every spike within 0.05 ms over 200 ms at dt 0.01."""
    ref = rtm_reference(current, 200.0)
    got = rtm_spikes(current, 200.0, 0.01)
    assert len(got) == len(ref)
    if len(ref):
        assert np.abs(got - ref).max() < 0.05


def test_rtm_spike_times_converge_at_second_order():
    ref = rtm_reference(1.0, 60.0)
    errors = [np.abs(rtm_spikes(1.0, 60.0, dt, method="heun") - ref).max()
              for dt in (0.005, 0.0025, 0.00125)]
    # Past the spike's stiff upstroke (about 90 /ms) the ratio tends to 4.
    assert errors[0] / errors[1] > 2.7
    assert errors[1] / errors[2] > 3.3


def test_exponential_step_is_stable_where_heun_is_not():
    """dt = 0.1 ms: Heun blows up in the spike; the exponential and auto steps do not."""
    with pytest.raises(ln.SimulationError):
        rtm_spikes(1.0, 50.0, 0.1, method="heun")
    ref = rtm_reference(1.0, 200.0)
    for method in ("exponential", "auto"):
        got = rtm_spikes(1.0, 200.0, 0.1, method=method)
        assert len(got) == len(ref)


def passive(n, **kw):
    """Conductance cells with no active currents: a passive membrane, tau = C / g_L = 10 ms."""
    return ln.RTMPop(n, g_Na=0.0, g_K=0.0, C=1.0, g_L=0.1, E_L=-65.0, **kw)


@pytest.mark.parametrize("synapse", ["exp", "exp2", "alpha"])
def test_synapse_in_step_arrival_is_second_order(synapse):
    """One input spike inside a step onto a passive cell, against the exact solution.

    The arrival falls at the same fraction (0.37) of its step at every dt, so
    that the error's constant is the same and only dt changes. The error
    falls at least as dt^2 (the exponential synapse's falls faster, to a
    floor near 1e-7 mV set by the rest of the step).
    """
    w, T = 0.5, 30.0
    if synapse == "exp":
        rec = ln.ExponentialSynapse(tau=3.0, E=0.0, name="s")

        def drive(s, V):
            return -w * math.exp(-s / 3.0) * V
    elif synapse == "exp2":
        rec = ln.DoubleExponentialSynapse(tau_rise=0.5, tau_decay=3.0, E=0.0, name="s")
        f = rec.peak_factor()

        def drive(s, V):
            return -w * f * (math.exp(-s / 3.0) - math.exp(-s / 0.5)) * V
    else:
        rec = ln.AlphaCurrentSynapse(tau=2.0, name="s")

        def drive(s, V):
            return w * (s / 2.0) * math.exp(1.0 - s / 2.0)

    errors = []
    steps = (0.05, 0.025, 0.0125)
    for dt in steps:
        t_spike = 5.0 + 0.37 * dt
        t_a = t_spike + dt

        def rhs(t, y, t_a=t_a):
            return [-0.1 * (y[0] + 65.0) + (drive(t - t_a, y[0]) if t > t_a else 0.0)]
        ref = solve_ivp(rhs, (0.0, T), [-65.0], method="DOP853", rtol=1e-12, atol=1e-12,
                        t_eval=[T], max_step=0.01).y[0, -1]
        net = ln.Network(dt=dt, seed=1)
        src = net.add(ln.SpikeSourcePop(1, times=[t_spike], ids=[0], name="src"))
        cell = net.add(passive(1, V_init=-65.0, name="cell"))
        net.connect(src, cell, receptor=rec, weight=w, delay=dt)
        net.run(T)
        errors.append(abs(net.get_state(cell, "V")[0] - ref))
    assert errors[0] < 2e-4
    for dt, err in zip(steps[1:], errors[1:], strict=True):
        assert err <= max(1.25 * errors[0] * (dt / steps[0]) ** 2, 1e-6)


def test_double_exponential_peak_is_the_weight():
    net = ln.Network(dt=0.01, seed=1)
    src = net.add(ln.SpikeSourcePop(1, times=[1.0], ids=[0], name="src"))
    cell = net.add(passive(1, V_init=-65.0, name="cell"))
    rec = ln.DoubleExponentialSynapse(tau_rise=0.5, tau_decay=9.0, E=-75.0, name="gaba")
    net.connect(src, cell, receptor=rec, weight=0.25, delay=0.01)
    mon = net.monitor(cell, ["V"])
    net.run(20.0)
    tp = 0.5 * 9.0 * math.log(18.0) / 8.5
    assert rec.peak_factor() * (math.exp(-tp / 9.0) - math.exp(-tp / 0.5)) == pytest.approx(1.0)
    # The cell is hyperpolarised towards -75 mV, and only after the arrival.
    V = mon["V"][0]
    assert V[mon.t <= 1.01].max() == pytest.approx(-65.0)
    assert -75.0 < V.min() < -65.5


def gap_pair_network(weight, identical=True, method="auto"):
    net = ln.Network(dt=0.01, seed=3)
    cells = net.add(ln.RTMPop(2, V_init=[-65.0, -65.0 if identical else -70.0], method=method,
                              name="cells"))
    net.stimulate(cells, ln.CurrentClamp(amplitude=[1.0, 1.0 if identical else 0.3]))
    if weight:
        net.gap_junctions(cells, pairs=[[0, 1]], weight=weight)
    return net, cells


def test_gap_junction_between_identical_cells_changes_nothing():
    spikes = []
    for weight in (0.0, 0.05):
        net, cells = gap_pair_network(weight)
        s = net.run(100.0).spikes(cells)
        spikes.append(s.times)
    assert len(spikes[0]) > 3
    np.testing.assert_allclose(spikes[1], spikes[0], atol=1e-9)


def test_gap_junction_pulls_different_cells_together():
    """Two cells driven differently (1.0 and 0.3 nA) lock together as the junction grows."""
    spread, counts = [], []
    for weight in (0.0, 0.5):
        net, cells = gap_pair_network(weight, identical=False)
        mon = net.monitor(cells, "V")
        s = net.run(100.0).spikes(cells)
        spread.append(np.abs(mon["V"][0] - mon["V"][1]).mean())
        counts.append((len(s.of(0)), len(s.of(1))))
    assert counts[0][0] > counts[0][1]       # uncoupled: the stronger-driven cell fires more
    assert counts[1][0] == counts[1][1]      # coupled: one-to-one
    assert spread[1] < 0.2 * spread[0]


def test_gap_currents_cancel_over_the_population():
    """Passive cells: gap currents sum to zero, so the mean V relaxes as one passive cell.

    Heun on the linear system y' = A y with 1^T A = -(g_L / C) 1^T: the mean
    follows the scalar recurrence (1 - z + z^2 / 2)^k exactly, z = dt g_L / C.
    """
    n, dt = 40, 0.05
    rng = np.random.default_rng(5)
    V0 = rng.uniform(-80.0, -50.0, n)
    net = ln.Network(dt=dt, seed=1)
    cells = net.add(passive(n, V_init=V0, method="heun", name="cells"))
    gap = net.gap_junctions(cells, n_pairs=200, weight=0.02)
    assert gap.matrix().sum(axis=1).A1.sum() == pytest.approx(2 * gap.weights.sum())
    mon = net.monitor(cells, "V")
    net.run(20.0)
    V = mon["V"]
    z = dt * 0.1 / 1.0
    k = np.round(mon.t / dt)
    expected = -65.0 + (V0.mean() + 65.0) * (1.0 - z + 0.5 * z * z) ** k
    np.testing.assert_allclose(V.mean(axis=0), expected, rtol=0, atol=1e-9)
    # ... while the gap junctions did pull the cells together.
    assert V[:, -1].std() < 0.2 * V0.std()


def test_gap_junctions_only_on_conductance_cells():
    net = ln.Network(dt=0.1, seed=1)
    lif = net.add(ln.PyrPop(4, name="lif"))
    with pytest.raises(ln.ParameterError, match="conductance-cell"):
        net.gap_junctions(lif, n_pairs=2, weight=0.001)
    hh = net.add(ln.HHPop(4, name="hh"))
    with pytest.raises(ln.ParameterError, match="pairs hold indices"):
        net.gap_junctions(hh, pairs=[[0, 4]], weight=0.001)
    with pytest.raises(ln.ParameterError, match="must be >= 0"):
        net.gap_junctions(hh, pairs=[[0, 1]], weight=-1.0)


def test_current_synapse_refused_on_lif():
    net = ln.Network(dt=0.1, seed=1)
    a = net.add(ln.PyrPop(2, name="a"))
    net.connect(a, a, receptor=ln.AlphaCurrentSynapse(tau=2.0, name="x"), weight=0.1)
    with pytest.raises(ln.ParameterError, match="AlphaCurrentSynapse.* does not act on a PyrPop"):
        net.run(1.0)


@pytest.mark.parametrize("cls", [ln.RTMPop, ln.WBPop, ln.HHPop, ln.TraubPop])
def test_each_model_rests_and_fires(cls):
    """No input: at rest (not the Traub cell, see below); a strong current: repetitive
    firing; V bounded."""
    amp = {ln.RTMPop: 2.0, ln.WBPop: 2.0, ln.HHPop: 0.5, ln.TraubPop: 1.0}[cls]
    cases = ((amp, True),) if cls is ln.TraubPop else ((0.0, False), (amp, True))
    for current, firing in cases:
        net = ln.Network(dt=0.05, seed=1)
        cell = net.add(cls(1, name="c"))
        if current:
            net.stimulate(cell, ln.CurrentClamp(amplitude=current))
        mon = net.monitor(cell, "V")
        n = len(net.run(200.0).spikes(cell))
        assert (n > 5) if firing else (n == 0)
        assert -110.0 < mon["V"].min() and mon["V"].max() < 80.0


def test_traub_cell_oscillates_alone_as_its_equations_say():
    """The COBAHH cell (Brette et al. 2007) with no input fires every 72 ms; solve_ivp agrees."""
    VT = -63.0

    def rhs(t, y):
        v, m, h, n = y
        am = 0.32 * _xexp(v - VT - 13.0, 4.0)
        bm = 0.28 * _xexp(VT + 40.0 - v, 5.0)
        ah = 0.128 * math.exp((17.0 - v + VT) / 18.0)
        bh = 4.0 / (1.0 + math.exp((40.0 - v + VT) / 5.0))
        an = 0.032 * _xexp(v - VT - 15.0, 5.0)
        bn = 0.5 * math.exp((10.0 - v + VT) / 40.0)
        i_ion = -20.0 * m ** 3 * h * (v - 50.0) - 6.0 * n ** 4 * (v + 90.0) - 0.01 * (v + 60.0)
        return [i_ion / 0.2, am * (1 - m) - bm * m, ah * (1 - h) - bh * h,
                an * (1 - n) - bn * n]

    def crossing(t, y):
        return y[0] + 20.0
    crossing.direction = 1
    gates = ln.TraubPop(1).initial_gates([-60.0])
    ref = solve_ivp(rhs, (0.0, 200.0), [-60.0, *gates[:3, 0]], method="LSODA", rtol=1e-11,
                    atol=1e-11, events=crossing).t_events[0]
    errors = []
    for dt in (0.05, 0.025, 0.0125):
        net = ln.Network(dt=dt, seed=1)
        cell = net.add(ln.TraubPop(1, name="c"))
        got = net.run(200.0).spikes(cell).times
        assert len(ref) == 3 and len(got) == 3
        errors.append(np.abs(got - ref).max())
    # Second order: 0.097, 0.011, 0.0045 ms measured (the phase of a 72 ms cycle).
    assert errors[0] < 0.15 and errors[1] < 0.02 and errors[2] < 0.006


def test_branch_free_m_step_gives_the_same_spikes():
    """At dt 0.12 ms the Traub cell's m crosses the line between its two steps below
    threshold, so it takes both and keeps one (m_near_switch); spikes are the same as
    with the branch, and the line is found only where it lies."""
    def spikes(both_m):
        net = ln.Network(dt=0.12, seed=2)
        cells = net.add(ln.TraubPop(40, name="c"))
        net.stimulate(cells, ln.CurrentClamp(amplitude=np.linspace(0.0, 1.5, 40)))
        net.connect(cells, cells, weight=0.002, rule="probability", p=0.1, delay=0.5,
                    receptor=ln.ExponentialSynapse(tau=5.0, E=0.0, name="exc"))
        net._build()
        state = net._asm.cells
        assert state.m_both_steps[0] == 1
        state.m_both_steps[0] = both_m
        # Both specialisations of the vector stages (compiled as a family), so that the
        # comparison is theirs.
        stages = net._asm.auto_stages
        assert stages.traub is not None and stages.traub_both is not None
        return net.run(300.0).spikes(cells)

    with_both, with_branch = spikes(1), spikes(0)
    assert len(with_both) > 100
    assert np.array_equal(with_both.ids, with_branch.ids)
    assert np.array_equal(with_both.times, with_branch.times)
    traub = ln.TraubPop(1)
    for dt, expected in ((0.12, True), (0.1, False), (0.05, False)):
        row = traub.layout_params()
        assert m_near_switch(traub.model, row[L.H_PHI], row[L.H_VT], row[L.H_B], dt,
                             row[L.H_EL], row[L.H_VSPIKE]) == expected


def nest_hh_rhs(t, y, current):
    """NEST's hh_psc_alpha_gap (Mancilla et al. 2007) in lifnet's units, written out from
    NEST's model documentation."""
    V, m, h, n, p = y
    am, bm = 40.0 * _xexp(V - 75.5, 13.5), 1.2262 * math.exp(-V / 42.248)
    ah, bh = 0.0035 * math.exp(-V / 24.186), 0.017 * _xexp(V + 51.25, 5.2)
    an, bn = 0.014 * _xexp(V + 44.0, 2.3), 0.0043 * math.exp(-(V + 44.0) / 34.0)
    ap, bp = _xexp(V - 95.0, 11.8), 0.025 * math.exp(-V / 22.222)
    current_in = (current - 4.5 * m ** 3 * h * (V - 74.0)
                  - (0.009 * n ** 4 + 9.0 * p ** 2) * (V + 90.0) - 0.01 * (V + 70.0))
    return [current_in / 0.04, am * (1 - m) - bm * m, ah * (1 - h) - bh * h,
            an * (1 - n) - bn * n, ap * (1 - p) - bp * p]


def test_nest_hh_cell_stays_stable_and_close_at_coarse_dt():
    """At dt 0.1 ms a substep of NEST's HH cell can be stiffer than its step foresaw
    (h G / C up to 3.2); it takes exponential steps there (Z_HEUN_LIMIT) instead of
    diverging, and its spike times stay near solve_ivp's; at dt 0.05 ms, within 0.1 ms."""
    amps = [0.3, 0.5, 1.0, 2.0]
    V0 = ln.HHPop.V_REST
    gates = ln.HHPop(1).initial_gates([V0])[:, 0]

    def crossing(t, y, current):
        return y[0]
    crossing.direction = 1
    refs = [solve_ivp(nest_hh_rhs, (0.0, 50.0), [V0, *gates], args=(a,), method="LSODA",
                      rtol=1e-10, atol=1e-10, events=crossing).t_events[0] for a in amps]
    for dt, bound in ((0.1, 1.2), (0.05, 0.1)):
        net = ln.Network(dt=dt, seed=1)
        cells = net.add(ln.HHPop(len(amps), name="c"))
        net.stimulate(cells, ln.CurrentClamp(amplitude=np.array(amps)))
        trains = net.run(50.0).spikes(cells)
        for i, ref in enumerate(refs):
            got = np.sort(trains.times[trains.ids == i])
            assert len(ref) >= 4 and abs(len(got) - len(ref)) <= 1
            k = min(len(got), len(ref))
            assert np.abs(got[:k] - ref[:k]).max() < bound, (dt, amps[i])


#: The regular-spiking cell of Izhikevich (2007), ch. 8, in lifnet's units (IzhikevichPop).
RS = dict(C=0.1, k=0.0007, v_r=-60.0, v_t=-40.0, v_peak=35.0, a=0.03, b=-0.002, c=-50.0,
          d=0.1)


def izhikevich_reference(current, duration, V_spike=None, jumps=(), w=0.0):
    """The regular-spiking cell under a clamp (nA), by DOP853 (izhikevich_reference)."""
    p = RS

    def rhs(t, y):
        v, u = y
        return [(p["k"] * (v - p["v_r"]) * (v - p["v_t"]) - u + current) / p["C"],
                p["a"] * (p["b"] * (v - p["v_r"]) - u)]
    return reference.spike_times(rhs, [p["v_r"], 0.0], v_peak=p["v_peak"], c=p["c"],
                                 d=p["d"], duration=duration, jumps=jumps, w=w,
                                 V_spike=V_spike)


@pytest.mark.parametrize("current", [0.1, 0.3])
def test_izhikevich_cell_matches_its_reference_at_second_order(current):
    """Spike, reset and the rest of the step: errors fall as dt^2 (0.024 ms at dt 0.1 ms
    for 100 pA over 500 ms, 0.0014 ms at dt 0.025, measured)."""
    ref = izhikevich_reference(current, 500.0)
    errors = []
    for dt in (0.1, 0.05, 0.025):
        net = ln.Network(dt=dt, seed=1)
        cell = net.add(ln.IzhikevichPop(1, name="c"))
        net.stimulate(cell, ln.CurrentClamp(amplitude=current))
        got = net.run(500.0).spikes(cell).times
        assert len(got) == len(ref) > 2
        errors.append(np.abs(got - ref).max())
    assert errors[0] < 0.1
    assert errors[0] / errors[2] > 12.0


def test_izhikevich_spikes_counted_below_the_peak_converge_at_second_order():
    """With V_spike 10 mV (NEURON's NetCon on NetPyNE's Izhi2007b cell), a spike is the
    upward crossing of 10 mV, 0.7 ms before the reset at v_peak, and its time still
    converges as dt^2; the reset (hence the next spike) stays where it was."""
    ref = izhikevich_reference(0.1, 300.0, V_spike=10.0)
    peaks = izhikevich_reference(0.1, 300.0)
    assert len(ref) == len(peaks) > 2 and 0.5 < np.min(peaks - ref) < 1.0
    errors = []
    for dt in (0.1, 0.05, 0.025):
        net = ln.Network(dt=dt, seed=1)
        cell = net.add(ln.IzhikevichPop(1, V_spike=10.0, name="c"))
        net.stimulate(cell, ln.CurrentClamp(amplitude=0.1))
        got = net.run(300.0).spikes(cell).times
        assert len(got) == len(ref)
        errors.append(np.abs(got - ref).max())
    assert errors[0] < 0.1
    assert errors[0] / errors[2] > 12.0


def test_izhikevich_cell_under_delta_synapses_converges_at_second_order():
    """60 jumps of V (1.5 mV, NEST's izhikevich input) at times off the grid, over a
    clamp below rheobase: spike times against DOP853 with each jump at its time fall
    as dt^2 (0.010, 0.0019, 0.00039 ms at dt 0.1, 0.05, 0.025, measured)."""
    current, w, delay, duration = 0.06, 1.5, 1.0, 300.0
    inputs = np.sort(np.random.default_rng(3).uniform(5.0, duration, 60))
    ref = izhikevich_reference(current, duration, jumps=inputs + delay, w=w)
    errors = []
    for dt in (0.1, 0.05, 0.025):
        net = ln.Network(dt=dt, seed=1)
        src = net.add(ln.SpikeSourcePop(1, times=inputs, ids=np.zeros(60, int), name="src"))
        cell = net.add(ln.IzhikevichPop(1, name="c"))
        net.stimulate(cell, ln.CurrentClamp(amplitude=current))
        net.connect(src, cell, receptor=ln.DeltaSynapse(), weight=w, delay=delay)
        got = net.run(duration).spikes(cell).times
        assert len(got) == len(ref) >= 3
        errors.append(np.abs(got - ref).max())
    assert errors[0] < 0.02
    assert errors[0] / errors[2] > 12.0


def test_delta_synapses_onto_other_conductance_cells_are_refused():
    net = ln.Network(dt=0.1, seed=1)
    src = net.add(ln.SpikeSourcePop(1, times=[1.0], ids=[0], name="src"))
    cell = net.add(ln.HHPop(1, name="c"))
    net.connect(src, cell, receptor=ln.DeltaSynapse(), weight=1.0, delay=1.0)
    with pytest.raises(ln.ParameterError, match="DeltaSynapse.* does not act on a HHPop; it "
                                                "takes ExponentialSynapse"):
        net.run(1.0)


@pytest.mark.parametrize("V_spike", [-50.0, 36.0])
def test_izhikevich_spike_potential_outside_reset_and_peak_is_refused(V_spike):
    with pytest.raises(ln.ParameterError, match=f"V_spike={V_spike} must be above c=-50.0"):
        ln.IzhikevichPop(1, V_spike=V_spike)


def test_double_exponential_on_lif_population_is_exact_to_second_order():
    """On a LIF population the synapse is two exponential gates (decay minus rise)."""
    w, T = 0.01, 40.0
    rec = ln.DoubleExponentialSynapse(tau_rise=0.5, tau_decay=3.0, E=0.0, name="s")
    f = rec.peak_factor()
    errors = []
    steps = (0.1, 0.05, 0.025)
    for dt in steps:
        t_spike = 5.0 + 0.37 * dt
        t_a = t_spike + dt

        def rhs(t, y, t_a=t_a):
            s = t - t_a
            g = w * f * (math.exp(-s / 3.0) - math.exp(-s / 0.5)) if s > 0 else 0.0
            return [(-0.025 * (y[0] + 70.0) - g * y[0]) / 0.5]
        ref = solve_ivp(rhs, (0.0, T), [-70.0], method="DOP853", rtol=1e-12, atol=1e-12,
                        t_eval=[T], max_step=0.01).y[0, -1]
        net = ln.Network(dt=dt, seed=1)
        src = net.add(ln.SpikeSourcePop(1, times=[t_spike], ids=[0], name="src"))
        cell = net.add(ln.PyrPop(1, V_init=-70.0, name="cell"))
        net.connect(src, cell, receptor=rec, weight=w, delay=dt)
        mon = net.monitor(cell, "V")
        net.run(T)
        assert mon["V"][0].max() > -70.0 + 0.5          # a visible EPSP, below threshold
        errors.append(abs(net.get_state(cell, "V")[0] - ref))
    assert errors[0] < 1e-3
    for dt, err in zip(steps[1:], errors[1:], strict=True):
        assert err <= 1.25 * errors[0] * (dt / steps[0]) ** 2


def test_double_exponential_poisson_drive_on_lif_runs_and_depolarises():
    net = ln.Network(dt=0.1, seed=1)
    cells = net.add(ln.PyrPop(50, V_init=-70.0, name="cells"))
    rec = ln.DoubleExponentialSynapse(tau_rise=1.0, tau_decay=5.0, E=0.0, name="drive")
    net.stimulate(cells, ln.PoissonDrive(rate=2000.0, weight=0.002, receptor=rec))
    mon = net.monitor(cells, ["V", "g_drive"])
    net.run(200.0)
    assert mon["V"][:, -100:].mean() > -65.0
    assert mon["g_drive"].min() >= 0.0




def test_vector_stages_match_the_cell_by_cell_stages():
    """Without noise, method "auto" takes a block of cells eight at a time
    (_predict_block, _correct_block) and leaves to cell-by-cell code (_predict_cell,
    _correct_cell) the cells its common path does not cover (a potential outside the
    rate table, a stiff predictor, a fast gate h, n or p); with noise, that code takes
    every cell. On a random state of NEST's HH cell (all four gates), with cells outside
    the table and stiff cells, one step at dt 0.5 ms gives the same state both ways, bit
    for bit (here with a noise of zero). One model and dt only: each compiles for long
    (the arguments have the types of a network's, so that its compiled stages serve)."""
    from lifnet.integrators.conductance_step import _auto_stages, _rows

    n, dt = 700, 0.5
    net = ln.Network(dt=dt)
    net.add(ln.HHPop(n, name="c"))
    net._build()
    cells = net._asm.cells
    par = cells.params[0]
    table = cells.tables[cells.table_of[0]]
    rng = np.random.default_rng(5)
    V = rng.uniform(-95.0, 60.0, n)
    V[::50] = -160.0                 # below the table
    V[7::50] = 120.0                 # above it
    x = np.clip(ln.HHPop(n).initial_gates(V) + rng.normal(0.0, 0.05, (L.N_GATES, n)), 0.0, 1.0)
    drive = rng.uniform(0.0, 0.01, (4, n)) * par[L.H_GL]
    corr = rng.normal(0.0, 0.01, n)
    moments = rng.normal(0.0, 1e-4, n)

    def run(sigma):
        state = {"V": V.copy(), "x": x.copy(), "n_sub": np.zeros(n, np.int64),
                 "stiff": np.full(n, -1), "V_star": np.zeros(n), "t_cross": np.zeros(n),
                 "x_star": np.zeros((L.N_GATES, n)), "G0": np.zeros(n), "H0": np.zeros(n),
                 "a0": np.zeros((L.N_GATES, n)), "s0": np.zeros((L.N_GATES, n))}
        gL = par[L.H_GL]
        args = (0.0, dt, 2, state["V"], _rows(state["x"], 0, n), state["G0"], state["H0"],
                drive[0].copy(), drive[1] * 50.0, drive[2].copy(), drive[3] * 50.0,
                corr.copy(), moments.copy(), state["n_sub"], state["t_cross"], gL,
                gL * par[L.H_EL], 1.0 / par[L.H_C], par[L.H_GNA], par[L.H_ENA], par[L.H_GK],
                par[L.H_EK], par[L.H_GK2], par[L.H_PHI], par[L.H_VT], par[L.H_B],
                par[L.H_VSPIKE], sigma, 0.0, 1, 0, np.uint64(7), np.uint64(9),
                _rows(state["a0"], 0, n),
                _rows(state["s0"], 0, n), state["V_star"], _rows(state["x_star"], 0, n),
                state["stiff"])
        _auto_stages(table, int(cells.model[0]), 0, args)
        return state

    vector, by_cell = run(0.0), run(1.0)
    stiff = vector["n_sub"] > 1
    assert 0 < stiff.sum() < n - 100
    assert np.isfinite(vector["V"]).all()
    for key in vector:
        assert np.array_equal(vector[key], by_cell[key], equal_nan=True), key
