"""Spike times of one Izhikevich cell by DOP853, the reference of the Izhikevich tests.

The cell is dV/dt = f(V, u) (``rhs``), du/dt = g(V, u), reset at each crossing of v_peak
(V = c, u += d), with jumps of V at given times (delta synapses): integrated piece by
piece between events at tolerance 1e-12.
"""

import numpy as np
from scipy.integrate import solve_ivp


def spike_times(rhs, y0, *, v_peak, c, d, duration, jumps=(), w=0.0, V_spike=None):
    """The upward crossings of V_spike (default v_peak, the resets) up to ``duration`` ms;
    V jumps by w mV at each time of ``jumps``."""
    def peak(t, y):
        return y[0] - v_peak
    peak.terminal = True
    peak.direction = 1

    def detect(t, y):
        return y[0] - V_spike
    detect.direction = 1
    below = V_spike is not None and V_spike < v_peak
    y, t0, spikes, pending = list(y0), 0.0, [], [*np.sort(jumps), duration]
    while pending:
        sol = solve_ivp(rhs, (t0, pending[0]), y, method="DOP853", rtol=1e-12, atol=1e-12,
                        events=(peak, detect) if below else peak)
        spikes.extend(sol.t_events[1] if below else sol.t_events[0])
        if sol.status == 1:
            t0 = sol.t_events[0][0]
            y = [c, sol.y_events[0][0][1] + d]
            continue
        t0, y = pending.pop(0), [sol.y[0, -1] + w, sol.y[1, -1]]
    return np.array(spikes)
