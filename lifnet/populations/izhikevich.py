"""Izhikevich (2007) cells (IzhikevichPop): parameters, state and equations."""

import numpy as np

from .. import validation as val
from ..integrators import layout as L
from ..kernel_cache import njit
from .conductance import METHODS, ConductancePopulation


@njit(cache=True, inline="always")
def rates(V, phi, VT, pb):
    """The recovery variable u written as a gate (see conductance_step.rates):
    du/dt = a (b (V - v_r) - u), "opening rate" a b (V - v_r), total rate a
    (phi = a, VT = v_r, pb = b)."""
    a_u = phi * pb * (V - VT)
    return a_u, phi - a_u, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0


@njit(cache=True, inline="always")
def ionic(u, V, k, v_t, v_r):
    """(G, H) of k (V - v_r)(V - v_t) - u, written as a conductance and a drive: G =
    -k (V - v_t) (negative above v_t: the upstroke's instability), H = G v_r - u."""
    G = -k * (V - v_t)
    return G, G * v_r - u


@njit(cache=True, inline="always")
def delta_effect(W, WL, v, G, k, v_r, a, b, inv_C):
    """How far the step's jumps of an Izhikevich cell's V (sum W, mV, and sum of each
    times the time L from it to the step's end, WL) moved V and u at the step's end,
    from v, V there without them (total conductance G, see ionic).

    A jump W at t + dt - L: V + W + L (f(V + W) - f(V)) with f = dV/dt quadratic in
    V (f' = (k (v - v_r) - G) / C, f''/2 = k / C), and u + a b W L; exact in W, the
    error O(W L dt) per arrival, O(dt^2) over a run. Jumps at different times within
    one step are taken as one at their weighted mean time."""
    return W + WL * ((k * (v - v_r) - G) * inv_C + W * k * inv_C), a * b * WL


class IzhikevichPop(ConductancePopulation):
    """Izhikevich (2007) cells, as NetPyNE's ``Izhi2007b``::

        C dV/dt = k (V - v_r)(V - v_t) - u + I,    du/dt = a (b (V - v_r) - u)
        if V >= v_peak: V = c, u = u + d

    Defaults: the regular-spiking cell of Izhikevich (2007), ch. 8 (C 100
    pF, k 0.7 nS/mV, v_r -60, v_t -40, v_peak 35 mV, a 0.03 /ms, b -2 nS,
    c -50 mV, d 100 pA), in lifnet's units. The reset time is interpolated
    at the crossing of v_peak, where V is reset and the rest of the step
    integrated. The spike (the time recorded and sent to the synapses) is
    that crossing too, or with ``V_spike`` below v_peak the upward crossing
    of V_spike on the way up, interpolated in its own step: NEURON's
    ``NetCon`` on the voltage of NetPyNE's ``Izhi2007b`` cell counts a
    spike at 10 mV, 0.7 ms before the regular-spiking cell's peak. Synapses,
    noise and currents act as on any conductance cell (gap junctions too).
    State: V and the recovery current ``"m"`` (u, nA).

    Parameters
    ----------
    C : float
        Capacitance, nF.
    k : float
        Gain of the quadratic term, µS/mV.
    v_r, v_t, v_peak, c : float
        Resting, threshold, spike-peak and reset potentials, mV.
    a : float
        Recovery rate, 1/ms.
    b : float
        Coupling of u to V, µS.
    d : float
        Jump of u at a spike, nA.
    V_spike : float or None
        A spike is an upward crossing of this potential, mV: above c, at most
        v_peak (None, the default: v_peak).
    V_init : float or array
        V at t = 0, mV (default v_r).
    u_init : float or array
        u at t = 0, nA (default b (V_init - v_r)).
    """

    model = L.MODEL_IZHIKEVICH
    receptor_kinds = ConductancePopulation.receptor_kinds + (L.CH_DELTA,)
    rates = staticmethod(rates)
    uses = ("m",)

    def __init__(self, n, *, name=None, C=0.1, k=0.0007, v_r=-60.0, v_t=-40.0, v_peak=35.0,
                 a=0.03, b=-0.002, c=-50.0, d=0.1, V_spike=None, V_init=None,
                 u_init=None, method="auto"):
        owner = type(self).__name__
        self._setup(n, name, dict(C=C, k=val.positive("k", k, owner=owner), v_r=v_r, v_t=v_t,
                                  v_peak=v_peak, a=val.positive("a", a, owner=owner), b=b,
                                  c=c, d=d), v_r if V_init is None else V_init, None, method)
        if not self.c < self.v_peak:
            raise val.ParameterError(f"{owner}: c={self.c} must be below v_peak={self.v_peak}")
        if not self.v_r < self.v_peak:
            raise val.ParameterError(
                f"{owner}: v_r={self.v_r} must be below v_peak={self.v_peak}")
        self.u_init = u_init if u_init is None else (
            val.number("u_init", u_init, owner=owner) if val.ndim("u_init", u_init, owner=owner)
            == 0 else val.per_neuron("u_init", u_init, self.n, owner=owner))
        self.V_spike = self.v_peak if V_spike is None else val.number("V_spike", V_spike,
                                                                      owner=owner)
        if not self.c < self.V_spike <= self.v_peak:
            raise val.ParameterError(
                f"{owner}: V_spike={self.V_spike} must be above c={self.c} (the reset must "
                f"bring V below it) and at most v_peak={self.v_peak}")

    def layout_params(self):
        row = np.zeros(L.N_HH_PARAMS)
        row[L.H_C] = self.C
        row[L.H_GNA], row[L.H_ENA], row[L.H_EK] = self.k, self.v_t, self.v_r
        row[L.H_PHI], row[L.H_VT], row[L.H_B] = self.a, self.v_r, self.b
        row[L.H_VSPIKE], row[L.H_RESET], row[L.H_U_JUMP] = self.v_peak, self.c, self.d
        row[L.H_VDETECT] = self.V_spike if self.V_spike < self.v_peak else np.nan
        row[L.H_METHOD] = METHODS[self.method]
        return row

    def initial_gates(self, V):
        gates = np.zeros((L.N_GATES, self.n))
        gates[0] = (self.b * (np.asarray(V, dtype=np.float64) - self.v_r)
                    if self.u_init is None else self.u_init)
        return gates
