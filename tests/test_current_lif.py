"""CurrentBasedLIFPop: LIF cells with exponential, alpha and delta current synapses,
integrated exactly (NEST's precise-spike-time iaf_psc_*_ps semantics).

The reference is independent of lifnet's propagators: SciPy's DOP853 at
tolerances of 1e-12, stopped at every arrival (where a current or V jumps) and
at the threshold crossing (event location), then reset and held for t_ref.
"""

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from user_mechanisms import PlainLIF

import lifnet as ln

CELL = dict(C=0.25, tau_m=10.0, E_L=-65.0, V_th=-50.0, V_reset=-65.0, t_ref=2.0)
T = 400.0
DELAY = 1.0


def _inputs(seed, n_spikes=1200):
    rng = np.random.default_rng(seed)
    times = np.sort(rng.uniform(0.0, T - DELAY, n_spikes))
    return times, rng.integers(0, 2, times.size)


def reference(times, which, synapses, weights, *, I_e, t_ref=CELL["t_ref"], V0=None,
              t_end=T):
    """Spike times of one cell: synapses[k] = ("exp" | "alpha" | "delta", tau) receives the
    input spikes with which == k, weight weights[k], DELAY ms later."""
    C, tau_m, E_L, V_th, V_reset = (CELL[k] for k in ("C", "tau_m", "E_L", "V_th", "V_reset"))
    n = len(synapses)

    # State: V, then per synapse the current I and (alpha) its drive D.
    def rhs(t, y):
        dy = np.zeros_like(y)
        I = 0.0
        for k, (kind, tau) in enumerate(synapses):
            if kind == "exp":
                dy[1 + 2 * k] = -y[1 + 2 * k] / tau
                I += y[1 + 2 * k]
            elif kind == "alpha":
                dy[1 + 2 * k] = (-y[1 + 2 * k] + y[2 + 2 * k]) / tau
                dy[2 + 2 * k] = -y[2 + 2 * k] / tau
                I += y[1 + 2 * k]
        dy[0] = (E_L - y[0]) / tau_m + (I_e + I) / C
        return dy

    def hold(y, h):    # refractory: V held, currents decay exactly
        out = y.copy()
        for k, (kind, tau) in enumerate(synapses):
            d = math.exp(-h / tau)
            if kind == "alpha":
                out[1 + 2 * k] = (y[1 + 2 * k] + y[2 + 2 * k] * h / tau) * d
                out[2 + 2 * k] = y[2 + 2 * k] * d
            else:
                out[1 + 2 * k] = y[1 + 2 * k] * d
        return out

    def crossing(t, y):
        return y[0] - V_th
    crossing.terminal, crossing.direction = True, 1

    y = np.zeros(1 + 2 * n)
    y[0] = E_L if V0 is None else V0
    t, ref_until, spikes = 0.0, -1.0, []
    events = sorted(zip(times + DELAY, which, strict=True)) + [(t_end, -1)]
    for t_event, k in events:
        while t < t_event:
            if t < ref_until:
                seg = min(t_event, ref_until)
                y, t = hold(y, seg - t), seg
                continue
            sol = solve_ivp(rhs, (t, t_event), y, method="DOP853", rtol=1e-12, atol=1e-12,
                            events=crossing)
            if sol.status == 1:
                t = sol.t_events[0][0]
                y = sol.y_events[0][0].copy()
                y[0] = V_reset
                spikes.append(t)
                ref_until = t + t_ref
            else:
                y, t = sol.y[:, -1].copy(), t_event
        if k < 0:
            break
        kind, tau = synapses[k]
        if kind == "exp":
            y[1 + 2 * k] += weights[k]
        elif kind == "alpha":
            y[2 + 2 * k] += weights[k] * math.e
        elif t >= ref_until:
            y[0] += weights[k]
            if y[0] >= V_th:
                spikes.append(t)
                y[0] = V_reset
                ref_until = t + t_ref
    return np.array(spikes)


def simulate(times, which, receptors, weights, *, I_e, dt, population=ln.CurrentBasedLIFPop,
             V0=None, t_end=T):
    net = ln.Network(dt=dt, seed=1)
    src = net.add(ln.SpikeSourcePop(2, times=times, ids=which, name="src"))
    cell = net.add(population(1, name="cell", I_e=I_e, **CELL,
                              initial=None if V0 is None else {"V": V0}))
    for k, receptor in enumerate(receptors):
        w = np.zeros((2, 1))
        w[k, 0] = weights[k]
        net.connect(src, cell, weight=w, rule="array", receptor=receptor, delay=DELAY)
    return np.sort(net.run(t_end).spikes("cell").times)


# Weights exactly representable in float32 (lifnet stores weights as float32).
CASES = {
    "exp": ([("exp", 0.5), ("exp", 2.0)], [0.625, -0.078125], 0.42,
            lambda: [ln.ExponentialCurrentSynapse(tau=0.5, name="ex"),
                     ln.ExponentialCurrentSynapse(tau=2.0, name="inh")]),
    "alpha": ([("alpha", 0.5), ("alpha", 2.0)], [0.5, -0.0625], 0.42,
              lambda: [ln.AlphaCurrentSynapse(tau=0.5, name="ex"),
                       ln.AlphaCurrentSynapse(tau=2.0, name="inh")]),
    "delta": ([("delta", 1.0), ("exp", 1.0)], [0.75, -0.0625], 0.4,
              lambda: [ln.DeltaSynapse(name="jump"),
                       ln.ExponentialCurrentSynapse(tau=1.0, name="inh")]),
    # tau_syn = tau_m: the propagator's singular case, taken without cancellation.
    "exp, tau_syn = tau_m": ([("exp", 10.0), ("exp", 2.0)], [0.125, -0.03125], 0.39,
                             lambda: [ln.ExponentialCurrentSynapse(tau=10.0, name="ex"),
                                      ln.ExponentialCurrentSynapse(tau=2.0, name="inh")]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_spike_times_match_the_exact_solution(case):
    synapses, weights, I_e, receptors = CASES[case]
    times, which = _inputs(seed=len(case))
    expected = reference(times, which, synapses, weights, I_e=I_e)
    assert expected.size >= 20, "the test needs a cell that fires"
    for dt in (0.1, 0.025):
        got = simulate(times, which, receptors(), weights, I_e=I_e, dt=dt)
        assert got.size == expected.size, (dt, got.size, expected.size)
        # NEST's precise models: within 1e-6 ms of the exact spike times at dt 0.1 ms.
        assert np.max(np.abs(got - expected)) < 1e-6, (dt, np.max(np.abs(got - expected)))


def test_a_hump_between_two_points_below_threshold_is_a_spike():
    """A fast excitatory and a slow inhibitory current arrive together at 2.03 ms on a
    cell resting 0.3 mV below threshold: V rises over it (0.73 mV of excitation) and
    falls back below by the end of the step (0.88 mV of inhibition by 3 ms). With
    dt = 1 ms both ends of the step are below threshold; the spike is still there."""
    times, which = np.array([1.03, 1.03]), np.array([0, 1])
    synapses, weights = [("exp", 0.05), ("exp", 2.0)], [4.0, -0.3]
    I_e = 0.3675                  # V_inf = -50.3 mV
    expected = reference(times, which, synapses, weights, I_e=I_e, V0=-50.3, t_end=6.0)
    assert expected.size == 1
    receptors = [ln.ExponentialCurrentSynapse(tau=0.05, name="fast"),
                 ln.ExponentialCurrentSynapse(tau=2.0, name="slow")]
    got = simulate(times, which, receptors, weights, I_e=I_e, dt=1.0, V0=-50.3, t_end=6.0)
    assert got.size == 1
    assert abs(got[0] - expected[0]) < 1e-6


def test_a_volley_of_arrivals_inside_one_step_is_taken_in_time_order():
    """Hundreds of arrivals in one step (a synchronous volley), listed in no particular
    order: each acts at its own time, as in the reference."""
    rng = np.random.default_rng(5)
    volley = 24.0 + rng.uniform(0.0, 0.1, 400)                 # arrive in [25.0, 25.1)
    times = np.concatenate([volley, rng.uniform(0.0, 60.0, 200)])
    which = rng.integers(0, 2, times.size)
    order = rng.permutation(times.size)
    times, which = times[order], which[order]
    synapses, weights = [("exp", 0.5), ("exp", 2.0)], [0.125, -0.0625]
    expected = reference(times, which, synapses, weights, I_e=0.35, t_end=80.0)
    assert np.any((expected > 25.0) & (expected < 27.0)), expected
    receptors = [ln.ExponentialCurrentSynapse(tau=0.5, name="ex"),
                 ln.ExponentialCurrentSynapse(tau=2.0, name="inh")]
    got = simulate(times, which, receptors, weights, I_e=0.35, dt=0.1, t_end=80.0)
    assert got.size == expected.size
    assert np.max(np.abs(got - expected)) < 1e-6


def test_constant_input_fires_at_the_analytic_period():
    I_e = 0.7
    net = ln.Network(dt=0.1, seed=1)
    net.add(ln.CurrentBasedLIFPop(1, name="cell", I_e=I_e, **CELL))
    spikes = net.run(300.0).spikes("cell").times
    V_inf = CELL["E_L"] + CELL["tau_m"] * I_e / CELL["C"]
    rise = CELL["tau_m"] * math.log((V_inf - CELL["V_reset"]) / (V_inf - CELL["V_th"]))
    expected = rise + np.arange(spikes.size) * (rise + CELL["t_ref"])
    assert spikes.size > 10
    assert np.max(np.abs(spikes - expected)) < 1e-9


def test_heun_step_of_the_same_cell_converges_to_it_as_dt_squared():
    """The contract's generic Heun step (a user's LIF through lifnet.mechanism) with
    exponential current synapses: its spike-time error against the exact step falls as
    dt^2."""
    times, which = _inputs(seed=11, n_spikes=600)
    weights = [0.625, -0.078125]

    def receptors():
        return [ln.ExponentialCurrentSynapse(tau=2.0, name="ex"),
                ln.ExponentialCurrentSynapse(tau=4.0, name="inh")]

    exact = simulate(times, which, receptors(), weights, I_e=0.42, dt=0.1)
    errors = []
    for dt in (0.2, 0.1, 0.05):
        got = simulate(times, which, receptors(), weights, I_e=0.42, dt=dt,
                       population=PlainLIF)
        assert got.size == exact.size
        errors.append(np.max(np.abs(got - exact)))
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert np.all(orders > 1.7), (errors, orders)


def test_delta_input_during_the_refractory_period_is_lost():
    """NEST's iaf_psc_delta default: a jump that arrives while V is held does nothing."""
    times = np.array([1.0, 2.0, 4.0])      # arrive at 2, 3 and 5 ms
    which = np.array([0, 0, 0])
    receptors = [ln.DeltaSynapse(name="jump"), ln.ExponentialCurrentSynapse(tau=1.0, name="x")]
    net = ln.Network(dt=0.1, seed=1)
    src = net.add(ln.SpikeSourcePop(2, times=times, ids=which, name="src"))
    cell = net.add(ln.CurrentBasedLIFPop(1, name="cell", **CELL))
    net.connect(src, cell, weight=np.array([[16.0], [0.0]]), rule="array",
                receptor=receptors[0], delay=DELAY)
    mon = net.monitor(cell, ["V"], interval=0.1)
    result = net.run(8.0)
    # The first jump (16 mV from rest) is a spike at 2 ms; the second comes during
    # t_ref and is lost; the third, after it, lifts V by 16 mV again.
    np.testing.assert_allclose(result.spikes("cell").times, [2.0, 5.0], atol=1e-12)
    assert np.all(np.asarray(mon["V"]) < CELL["V_th"])


@pytest.mark.parametrize("build, message", [
    (lambda net, a, b: net.connect(a, b, weight=0.1, receptor="AMPA"),
     "AMPA.* does not act on a CurrentBasedLIFPop; it takes ExponentialCurrentSynapse, "
     "AlphaCurrentSynapse, DeltaSynapse$"),
    (lambda net, a, b: net.connect(b, a, weight=0.1,
                                   receptor=ln.ExponentialCurrentSynapse(tau=1, name="x")),
     "does not act on a PyrPop; it takes ExponentialSynapse \\(AMPA, GABA, ExpSyn\\), "
     "DoubleExponentialSynapse \\(Exp2Syn\\), NMDA$"),
    (lambda net, a, b: net.connect(a, a, weight=0.1, receptor=ln.DeltaSynapse()),
     "DeltaSynapse.* does not act on a PyrPop"),
    (lambda net, a, b: net.connect(b, net.add(ln.PyrPop(2, name="c", currents=[
        ln.AdaptationCurrent()])), weight=0.1, receptor=ln.DeltaSynapse()),
     "does not act on a PyrPop with currents; it takes ExponentialSynapse .*"
     "ExponentialCurrentSynapse$"),
])
def test_synapses_a_population_cannot_take_are_refused(build, message):
    net = ln.Network(dt=0.1, seed=1)
    a = net.add(ln.PyrPop(5, name="pyr"))
    b = net.add(ln.CurrentBasedLIFPop(5, name="psc"))
    build(net, a, b)
    with pytest.raises(ln.ParameterError, match=message):
        net.run(1.0)


def test_bad_parameters_are_refused():
    with pytest.raises(ln.ParameterError, match="V_reset"):
        ln.CurrentBasedLIFPop(3, V_reset=-40.0, V_th=-50.0)
    with pytest.raises(ln.ParameterError, match="currents"):
        ln.CurrentBasedLIFPop(3, currents=[ln.AdaptationCurrent()])
    with pytest.raises(ln.ParameterError, match="tau"):
        ln.ExponentialCurrentSynapse(tau=0.0, name="x")


def test_a_step_delivered_again_after_the_arrival_list_grows_counts_each_arrival_once():
    """When a step's arrivals overflow the list, the step is delivered again into a
    longer one: the sums onto linear cells must not keep the first attempt's."""
    def network():
        net = ln.models.potjans_diesmann(scale=0.02, k_scale=0.1, seed=4)
        net.run(5.0)
        return net

    roomy, tight = network(), network()
    tight._asm.grow_arrivals(8)         # overflows at once, and grows again and again
    a, b = roomy.run(100.0), tight.run(100.0)
    assert tight._asm.arrivals.time.shape[0] > 8
    for name in roomy.populations:
        np.testing.assert_array_equal(a.spikes(name).times, b.spikes(name).times)
