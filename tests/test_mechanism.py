"""The mechanism contract: a user's cell model and current, in a file of their own, run like
built-ins (connect, monitor, set_state, checkpoints) with second-order spike times."""

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from user_mechanisms import Oscillator, QuadraticIF, SlowPotassium

import lifnet as ln


def qif_spikes(dt, current=0.1, T=300.0):
    net = ln.Network(dt=dt, seed=1)
    Q = net.add(QuadraticIF(1, name="Q", initial={"V": -70.0}))
    net.stimulate(Q, ln.CurrentClamp(amplitude=current))
    return net.run(T).spikes("Q").times


def test_user_cell_model_fires_at_its_analytic_period_with_second_order_error():
    """The quadratic integrate-and-fire cell's period is known in closed form; starting at
    V_reset, the k-th spike is at k periods less t_ref."""
    period = QuadraticIF.period(0.1)
    errors = []
    for dt in (0.2, 0.1, 0.05, 0.025):
        times = qif_spikes(dt)
        expected = np.arange(1, len(times) + 1) * period - 1.0
        assert len(times) == 7
        errors.append(np.abs(times - expected).max())
    assert errors[1] < 5e-3          # seven spikes, each 4e-4 ms late at dt 0.1 ms
    order = np.polyfit(np.log([0.2, 0.1, 0.05, 0.025]), np.log(errors), 1)[0]
    assert order > 1.9, errors


def test_a_cell_without_reset_has_its_crossings_detected_and_goes_on_untouched():
    """reset = None (NEURON's NetCon): each upward crossing of the threshold is a spike,
    at its time inside the step, and the states go on; a spike-triggered current still
    jumps (w += b; too little to move V). (NeuronHHPop, in test_neuron_cells, is a cell
    without reset and without such a current.)"""
    net = ln.Network(dt=0.025, seed=1)
    net.add(Oscillator(1, name="O", currents=[ln.AdaptationCurrent(b=1e-6, tau_w=1e9)]))
    mon = net.monitor("O", ["V", "u"], interval=0.1)
    times = net.run(400.0).spikes("O").times
    period = 2.0 * math.pi / 0.1
    expected = (0.25 + np.arange(7)) * period
    assert len(times) == 7
    assert np.abs(times - expected).max() < 1e-3
    analytic = -50.0 - 10.0 * np.cos(0.1 * mon.t)
    assert np.abs(mon["V"][0] - analytic).max() < 1e-3
    assert net.get_state("O", "adaptation.w")[0] == pytest.approx(7e-6, rel=1e-6)


def _detected_but_held():
    class Held(Oscillator):
        refractory = "omega"
    return Held(1)


def lif_with_potassium_reference(I, T, p):
    """A LIF cell with SlowPotassium and an adaptation current, by solve_ivp with events."""
    def f(t, y):
        V, n, w = y
        n_inf = 1.0 / (1.0 + math.exp(-(V - p["V_half"]) / p["slope"]))
        return [(-p["g_L"] * (V - p["E_L"]) - p["g_K"] * n * (V - p["E_K"]) - w + I) / p["C"],
                (n_inf - n) / p["tau_n"], -w / p["tau_w"]]

    def ev(t, y):
        return y[0] - p["V_th"]
    ev.terminal, ev.direction = True, 1
    t, y, out = 0.0, [p["E_L"], 0.0, 0.0], []
    while t < T:
        sol = solve_ivp(f, (t, T), y, method="DOP853", rtol=1e-10, atol=1e-12, events=ev,
                        first_step=1e-3)
        if not sol.t_events[0].size:
            break
        t = sol.t_events[0][0]
        out.append(t)
        # Held at V_reset for t_ref, n and w free meanwhile.
        hold = solve_ivp(lambda s, z: [0.0, *f(s, [p["V_reset"], z[1], z[2]])[1:]],
                         (t, t + p["t_ref"]),
                         [p["V_reset"], sol.y_events[0][0][1], sol.y_events[0][0][2] + p["b"]],
                         method="DOP853", rtol=1e-10, atol=1e-12)
        t, y = t + p["t_ref"], hold.y[:, -1]
    return np.array(out)


def test_user_current_on_a_lif_population_matches_a_reference_solution():
    p = dict(C=0.5, g_L=0.025, E_L=-70.0, V_th=-50.0, V_reset=-60.0, t_ref=2.0, g_K=0.005,
             E_K=-90.0, V_half=-40.0, slope=5.0, tau_n=80.0, b=0.02, tau_w=150.0)
    net = ln.Network(dt=0.1, seed=1)
    E = net.add(ln.PyrPop(1, name="E", V_init=-70.0, currents=[
        SlowPotassium(), ln.AdaptationCurrent(a=0.0, b=0.02, tau_w=150.0)]))
    net.stimulate(E, ln.CurrentClamp(amplitude=0.8))
    times = net.run(500.0).spikes("E").times
    ref = lif_with_potassium_reference(0.8, 500.0, p)
    assert len(times) == len(ref) > 10
    assert np.abs(times - ref).max() < 0.02
    isi = np.diff(ref)
    assert isi[-1] > 1.3 * isi[0]           # both currents slow the cell down


def event_driven_reference(weights, arrival_times, tau, E_syn, T, p, t_ref=1.0,
                           V_reset=-70.0):
    """A QIF cell with one exponential synapse: its spikes by solve_ivp between arrivals,
    V held at V_reset for t_ref after each (the conductance decays meanwhile)."""
    def free(t, y):
        V, g = y
        return [(p["k"] * (V - p["V_r"]) * (V - p["V_t"]) - g * (V - E_syn)) / p["C"], -g / tau]

    def held(t, y):
        return [0.0, -y[1] / tau]

    def ev(t, y):
        return y[0] - p["V_peak"]
    ev.terminal, ev.direction = True, 1
    opts = dict(method="DOP853", rtol=1e-11, atol=1e-12)
    t, y, ref_until, out = 0.0, np.array([p["V_r"], 0.0]), -1.0, []
    stops = list(arrival_times) + [T]
    for k, stop in enumerate(stops):
        while t < stop:
            if t < ref_until:
                end = min(ref_until, stop)
                y = solve_ivp(held, (t, end), y, **opts).y[:, -1]
                t = end
                continue
            sol = solve_ivp(free, (t, stop), y, events=ev, **opts)
            if sol.t_events[0].size:
                t = sol.t_events[0][0]
                out.append(t)
                y = np.array([V_reset, sol.y_events[0][0][1]])
                ref_until = t + t_ref
            else:
                t, y = stop, sol.y[:, -1]
        if k < len(arrival_times):
            y = y + np.array([0.0, weights[k]])
    return np.array(out)


def test_arrivals_inside_the_step_act_at_their_exact_times():
    """Input spikes at off-grid times through an exponential synapse onto a user-defined
    cell: spike times as an event-driven reference solution gives them, the error
    falling as dt squared."""
    rng = np.random.default_rng(3)
    arrivals = np.sort(rng.uniform(0.0, 300.0, 60))
    p = dict(C=0.1, k=0.001, V_r=-65.0, V_t=-50.0, V_peak=30.0)
    ref = event_driven_reference(np.full(60, 0.02), arrivals, 3.0, 0.0, 300.0, p)
    assert len(ref) > 5
    errors = []
    for dt in (0.1, 0.05, 0.025):
        net = ln.Network(dt=dt, seed=1)
        src = net.add(ln.SpikeSourcePop(1, times=arrivals, ids=np.zeros(60, int), name="in"))
        Q = net.add(QuadraticIF(1, name="Q"))
        net.connect(src, Q, weight=0.02, delay=dt,
                    receptor=ln.ExponentialSynapse(tau=3.0, E=0.0, name="e"))
        times = net.run(300.0 + dt).spikes("Q").times - dt      # the delay of one step
        assert len(times) == len(ref)
        errors.append(np.abs(times - ref).max())
    assert errors[0] < 0.01
    assert errors[0] / errors[2] > 10.0, errors


def network(seed=4):
    net = ln.Network(dt=0.1, seed=seed)
    Q = net.add(QuadraticIF(60, name="Q", currents=[ln.AdaptationCurrent(b=0.005)],
                            initial={"V": np.linspace(-70.0, -55.0, 60)}))
    A = net.add(ln.AdExPop(20, name="A", currents=[SlowPotassium(g_K=0.002)]))
    E = net.add(ln.PyrPop(40, name="E", currents=[ln.AdaptationCurrent(a=0.001, b=0.01)]))
    for pop, rate in ((Q, 900.0), (A, 1200.0), (E, 1800.0)):
        net.stimulate(pop, ln.PoissonDrive(rate=rate, weight=0.004))
    net.connect(Q, A, weight=0.003, rule="probability", p=0.3, delay=0.75)
    net.connect(A, Q, weight=0.01, delay=1.05,
                receptor=ln.DoubleExponentialSynapse(tau_rise=0.5, tau_decay=5.0, E=-80.0,
                                                     name="i"))
    net.connect(E, Q, weight=0.002, rule="fixed_indegree", indegree=10, delay=0.5)
    net.connect(Q, E, weight=0.002, delay=0.5)       # all to all: the shared arrivals
    net.monitor(Q, ["V", "adaptation.w"], neurons=[0, 7], interval=0.5)
    net.monitor(A, ["w", "slow_k.n", "g_AMPA"], neurons=[1, 2])
    return net


def test_user_mechanisms_checkpoint_and_resume_bit_for_bit(tmp_path):
    whole = network()
    whole.run(150.0)
    first = network()
    first.run(67.3)
    first.save_checkpoint(tmp_path / "state.h5")
    resumed = network()
    resumed.load_checkpoint(tmp_path / "state.h5")
    resumed.run(150.0 - 67.3)
    for name in ("Q", "A", "E"):
        assert len(whole.result.spikes(name)) > 20, name
        np.testing.assert_array_equal(resumed.result.spikes(name).times,
                                      whole.result.spikes(name).times)
        np.testing.assert_array_equal(resumed.result.spikes(name).ids,
                                      whole.result.spikes(name).ids)
    for a, b in zip(whole.monitors, resumed.monitors, strict=True):
        for var in a.variables:
            np.testing.assert_array_equal(a[var], b[var])
    np.testing.assert_array_equal(whole.get_state("A", "slow_k.n"),
                                  resumed.get_state("A", "slow_k.n"))


def test_states_of_user_mechanisms_are_monitored_and_set():
    net = network()
    net.set_state("A", "w", np.full(20, 0.05))
    assert np.all(net.get_state("A", "w") == 0.05)
    net.set_state("Q", "adaptation.w", -0.01)          # an adaptation current may be inward
    net.run(20.0)
    mon = net.monitors[1]
    assert mon["w"].shape == (2, 200) and mon["w"][0, 0] == 0.05
    assert np.all((mon["slow_k.n"] >= 0.0) & (mon["slow_k.n"] < 1.0))
    with pytest.raises(ln.ParameterError, match="no state variable 'u'; it has V, w, slow_k.n"):
        net.get_state("A", "u")


class _NoV(ln.CellModel):
    parameters = {"C": ln.Parameter(1.0, "nF"), "th": ln.Parameter(0.0, "mV")}
    states = {"u": ln.State("mV")}


class _BadArgument(QuadraticIF):
    current = staticmethod(lambda V, k, V_rest: k * V)


class _BadThreshold(QuadraticIF):
    threshold = "V_top"


class _MissingDerivative(QuadraticIF):
    states = {"V": ln.State("mV", "V_r"), "u": ln.State("1")}


class _UnknownSubsteps(QuadraticIF):
    substeps = "adaptive"


@pytest.mark.parametrize("make, message", [
    (lambda: _NoV(3), "states must start with 'V' in mV"),
    (lambda: _BadArgument(3), "current takes 'V_rest', which is none of its states or "
                              "parameters: V, C, k, V_r, V_t"),
    (lambda: _BadThreshold(3), "threshold must name a parameter \\(got 'V_top'\\)"),
    (lambda: _MissingDerivative(3), "every state but V needs one: \\['u'\\]"),
    (lambda: QuadraticIF(3, V_peak=float("nan")), "V_peak=nan must be finite"),
    (lambda: QuadraticIF(3, tau=2.0), "unknown parameter\\(s\\) \\['tau'\\]"),
    (lambda: QuadraticIF(3, currents=[ln.AMPA()]), "currents must be Current objects"),
    (lambda: SlowPotassium(tau_n=0.0), "tau_n=0.0 must be > 0"),
    (lambda: QuadraticIF(3, initial={"W": 1.0}), "initial value for 'W', which is not a state"),
    (_detected_but_held, "refractory='omega' needs a reset"),
    (lambda: _UnknownSubsteps(3), "substeps='adaptive' must be 'slope' or 'curvature'"),
])
def test_what_the_contract_cannot_express_is_refused_clearly(make, message):
    with pytest.raises(ln.ParameterError, match=message):
        make()


def test_a_network_refuses_what_a_user_cell_model_cannot_take():
    net = ln.Network(dt=0.1)
    Q = net.add(QuadraticIF(5, name="Q"))
    net.stimulate(Q, ln.GaussianNoise(sigma=0.1))
    with pytest.raises(ln.ParameterError, match="GaussianNoise does not act on a population of "
                                                "a user-defined cell model"):
        net.run(1.0)
    net = ln.Network(dt=0.1)
    Q = net.add(QuadraticIF(5, name="Q"))
    net.connect(Q, Q, receptor="NMDA", weight=0.001)
    with pytest.raises(ln.ParameterError, match="NMDA.* does not act on a QuadraticIF; it takes "
                                                "ExponentialSynapse"):
        net.run(1.0)

    def local_model():
        class Inside(QuadraticIF):
            pass
        return Inside(2, name="X")
    net = ln.Network(dt=0.1)
    net.add(local_model())
    with pytest.raises(ln.ParameterError, match="Inside is defined inside a function"):
        net.run(1.0)


def test_set_parameter_refuses_a_lif_population_stepped_as_a_cell_model():
    """A LIF population with currents is stepped from the cell model's own parameter
    table, which set_parameter does not write: changing V_th there would be lost."""
    net = ln.Network(dt=0.1, seed=1)
    net.add(ln.PyrPop(3, name="A", currents=[ln.AdaptationCurrent()]))
    net.set_parameter("A", "V_th", -49.0)     # before it is built: taken
    net.get_state("A", "V")                   # (builds the network)
    assert net._asm.custom.params[list(ln.LIFCell.parameters).index("V_th")] == -49.0
    with pytest.raises(ln.ParameterError, match="'A' has currents, and is stepped as a cell "
                                                "model whose parameters are fixed"):
        net.set_parameter("A", "V_th", -45.0)
