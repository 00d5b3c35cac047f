"""AdEx cells (Brette & Gerstner 2005), written through the mechanism contract only: the firing
patterns of Naud et al. (2008), spike times against a reference solution, order dt²."""

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp

import lifnet as ln

# Naud et al. (2008), Table 1 (the patterns NEST's documentation names): C (pF), g_L (nS),
# E_L, V_T, Delta_T (mV), a (nS), tau_w (ms), b (pA), V_reset (mV), I (pA).
NAUD = {
    "tonic": (200, 10, -70, -50, 2, 2, 30, 0, -58, 500),
    "adapting": (200, 12, -70, -50, 2, 2, 300, 60, -58, 500),
    "initial burst": (130, 18, -58, -50, 2, 4, 150, 120, -50, 400),
    "regular bursting": (200, 10, -58, -50, 2, 2, 120, 100, -46, 210),
}


def parameters(pattern):
    """The pattern's parameters in lifnet's units (nF, µS, mV, ms, nA) and its current."""
    C, g_L, E_L, V_T, Delta_T, a, tau_w, b, V_reset, I = NAUD[pattern]
    return dict(C=C / 1e3, g_L=g_L / 1e3, E_L=E_L, V_T=V_T, Delta_T=Delta_T, a=a / 1e3,
                tau_w=tau_w, b=b / 1e3, V_reset=V_reset), I / 1e3


def reference(p, I, T, V_peak=0.0):
    """Spike times by solve_ivp (DOP853, rtol 1e-10), the reset applied at each event."""
    def f(t, y):
        V, w = y
        # Above V_peak the spike is already placed: V capped there only to keep the
        # solver finite in the last instant of the upstroke.
        e = math.exp((min(V, V_peak + 10.0) - p["V_T"]) / p["Delta_T"])
        return [(-p["g_L"] * (V - p["E_L"]) + p["g_L"] * p["Delta_T"] * e - w + I) / p["C"],
                (p["a"] * (V - p["E_L"]) - w) / p["tau_w"]]

    def crossing(t, y):
        return y[0] - V_peak
    crossing.terminal, crossing.direction = True, 1
    t, y, out = 0.0, [p["E_L"], 0.0], []
    while t < T:
        sol = solve_ivp(f, (t, T), y, method="DOP853", rtol=1e-10, atol=1e-12, events=crossing)
        if not sol.t_events[0].size:
            break
        t = sol.t_events[0][0]
        out.append(t)
        y = [p["V_reset"], sol.y_events[0][0][1] + p["b"]]
    return np.array(out)


def adex_spikes(p, I, T, dt):
    net = ln.Network(dt=dt, seed=1)
    cell = net.add(ln.AdExPop(1, name="A", V_peak=0.0, t_ref=0.0, **p))
    net.stimulate(cell, ln.CurrentClamp(amplitude=I))
    return net.run(T).spikes("A").times


@pytest.mark.parametrize("pattern", list(NAUD))
def test_naud_firing_pattern_and_spike_times_against_a_reference(pattern):
    p, I = parameters(pattern)
    times = adex_spikes(p, I, 500.0, 0.1)
    ref = reference(p, I, 500.0)
    assert len(times) == len(ref)
    assert np.abs(times - ref).max() < 0.1        # ms, at dt 0.1 ms over 500 ms
    isi = np.diff(times)
    if pattern == "tonic":
        # Regular from the start: every interval within 10 % of the last.
        assert len(times) > 40 and np.all(np.abs(isi / isi[-1] - 1.0) < 0.1), isi
    elif pattern == "adapting":
        # Intervals lengthen, then settle: no burst, the last ones several times the first.
        assert np.all(np.diff(isi) > -0.5) and isi[-1] > 5.0 * isi[0], isi
        assert abs(isi[-1] / isi[-2] - 1.0) < 0.05
    elif pattern == "initial burst":
        # A burst of short intervals, then regular firing at a far lower rate.
        assert isi[0] < 10.0 and isi[1] < 10.0 and np.all(isi[2:] > 40.0), isi
        assert abs(isi[-1] / isi[-2] - 1.0) < 0.05
    else:
        # Bursts of two spikes, repeating: short and long intervals alternate.
        later = isi[2:]
        assert np.all(later[0::2] > 100.0) and np.all(later[1::2] < 10.0), isi
        assert len(later) >= 5


def test_spike_times_converge_as_dt_squared():
    p, I = parameters("adapting")
    ref = reference(p, I, 500.0)
    steps = np.array([0.2, 0.1, 0.05, 0.025])
    errors = []
    for dt in steps:
        times = adex_spikes(p, I, 500.0, dt)
        assert len(times) == len(ref)
        errors.append(np.abs(times - ref).max())
    order = np.polyfit(np.log(steps), np.log(errors), 1)[0]
    assert order > 1.8, errors


def test_nest_defaults_in_lifnet_units():
    cell = ln.AdExPop(1)
    assert cell.get_params()["C"] == 0.281 and cell.g_L == 0.030 and cell.b == 0.0805
    assert (cell.E_L, cell.V_T, cell.Delta_T, cell.V_reset, cell.V_peak) == (
        -70.6, -50.4, 2.0, -60.0, 0.0)
    with pytest.raises(ln.ParameterError, match="Delta_T=0.0 must be > 0"):
        ln.AdExPop(1, Delta_T=0.0)
