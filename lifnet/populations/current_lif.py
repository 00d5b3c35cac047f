"""LIF cells with current-based synapses, integrated exactly (NEST's ``iaf_psc_*_ps``).

::

    C dV/dt = -C (V - E_L) / tau_m + I_e + I_syn(t)
    V >= V_th: a spike; V -> V_reset, held for t_ref

with ``I_syn`` a sum of exponential currents (``ExponentialCurrentSynapse``,
NEST ``iaf_psc_exp``), alpha currents (``AlphaCurrentSynapse``,
``iaf_psc_alpha``) and jumps of V (``DeltaSynapse``, ``iaf_psc_delta``).
Between two arrivals the cell is linear, and its state at any time is a sum
of exponentials: the step never approximates. Each arrival acts at its exact
time (the step is cut there), and a spike is the first time inside the step
where this exact V reaches V_th, found to 1e-12 ms by Newton's method on the
exact solution; a crossing between two points where V is below threshold
(V rising to a hump and falling back inside one piece of step) is found too,
from the hump's height. This is the semantics of NEST's precise-spike-time
models (Hanuschkin et al. 2010), with delays of any length, not only
multiples of dt.

The functions below give V and its first two derivatives a time u after the
start of a piece, from the state at the start; ``integrators.current_lif_step``
steps a population with them.
"""

import math

from ..integrators.layout import CH_ALPHA_CURRENT, CH_DELTA, CH_EXP_CURRENT
from ..integrators.linear_gates import phi1
from ..kernel_cache import njit
from ..mechanism import CellModel, Parameter, State
from ..validation import ParameterError

# The parameters in the order CellModel stores them (custom.params).
P_C, P_TAU_M, P_E_L, P_V_TH, P_V_RESET, P_T_REF, P_I_E = range(7)


@njit(cache=True, inline="always")
def phi2(delta, u):
    """int_0^u s exp(-delta s) ds, for any sign of delta, without cancellation."""
    x = delta * u
    if abs(x) < 0.5:
        # u^2 sum_k (-x)^k / (k! (k + 2)); 14 terms: relative error below 1e-17.
        total = 0.0
        term = 1.0
        for k in range(14):
            total += term / (k + 2)
            term *= -x / (k + 1)
        return u * u * total
    return (1.0 - math.exp(-x) * (1.0 + x)) / (delta * delta)


@njit(cache=True, inline="always")
def membrane_at(u, V0, V_inf, tau_m, inv_C, chans, c_first, c_stop, li):
    """(V, dV/dt, d2V/dt2) of cell li, u ms into a piece that starts at V0 with its gates
    where they are now.

    ``V_inf`` is where V relaxes without synaptic input (E_L + tau_m (I_e + I) / C).
    Exponential currents (g, nA) and alpha currents (g the current, r its
    drive) act between arrivals; delta synapses only at them.
    """
    em = math.exp(-u / tau_m)
    V = V_inf + (V0 - V_inf) * em
    I = 0.0
    dI = 0.0
    for c in range(c_first, c_stop):
        kind = chans.kind[c]
        if kind != CH_EXP_CURRENT and kind != CH_ALPHA_CURRENT:
            continue
        k = chans.offset[c] + li
        tau = chans.tau[c]
        delta = 1.0 / tau - 1.0 / tau_m
        es = math.exp(-u / tau)
        g = chans.g[k]
        if kind == CH_EXP_CURRENT:
            Ic = g * es
            V += inv_C * em * g * phi1(delta, u)
            dI -= Ic / tau
        else:
            r = chans.r[k]
            Ic = (g + r * u / tau) * es
            V += inv_C * em * (g * phi1(delta, u) + r / tau * phi2(delta, u))
            dI += r / tau * es - Ic / tau
        I += Ic
    dV = (V_inf - V) / tau_m + I * inv_C
    d2V = -dV / tau_m + dI * inv_C
    return V, dV, d2V


class CurrentBasedLIFPop(CellModel):
    """LIF cells with current-based synapses, integrated exactly (NEST ``iaf_psc_exp_ps``).

    Synapses onto it are currents: ``ExponentialCurrentSynapse``
    (``iaf_psc_exp``), ``AlphaCurrentSynapse`` (``iaf_psc_alpha``) and
    ``DeltaSynapse`` (``iaf_psc_delta``), several at once, each with its own
    time constant; weights in nA (mV for the delta synapse), negative for
    inhibition. Defaults are NEST's ``iaf_psc_exp`` in lifnet's units.

    Parameters
    ----------
    n : int
        Number of cells.
    name : str, optional
        Name used by ``Network.connect``, results and files.
    C : float
        Membrane capacitance, nF (0.25; NEST ``C_m`` 250 pF).
    tau_m : float
        Membrane time constant, ms (10).
    E_L : float
        Resting potential, mV (-70).
    V_th : float
        Spike threshold, mV (-55).
    V_reset : float
        Reset potential, mV (-70).
    t_ref : float
        Refractory period, ms (2): V is held at V_reset.
    I_e : float
        Constant input current, nA (0; NEST ``I_e`` in pA / 1000).
    initial : dict, optional
        ``{"V": value or array of shape (n,)}``, mV (default E_L).
    """

    parameters = {
        "C": Parameter(0.25, "nF", positive=True, doc="membrane capacitance"),
        "tau_m": Parameter(10.0, "ms", positive=True, doc="membrane time constant"),
        "E_L": Parameter(-70.0, "mV", doc="resting potential"),
        "V_th": Parameter(-55.0, "mV", doc="spike threshold"),
        "V_reset": Parameter(-70.0, "mV", doc="reset potential"),
        "t_ref": Parameter(2.0, "ms", low=0.0, doc="refractory period"),
        "I_e": Parameter(0.0, "nA", doc="constant input current"),
    }
    states = {"V": State("mV", "E_L", doc="membrane potential")}
    threshold = "V_th"
    refractory = "t_ref"
    #: Steps the population exactly, instead of the contract's Heun step.
    step_kernel = "lifnet.integrators.current_lif_step"
    linear = True
    receptor_kinds = (CH_EXP_CURRENT, CH_ALPHA_CURRENT, CH_DELTA)

    @staticmethod
    def current(V, C, tau_m, E_L, I_e):
        return C * (E_L - V) / tau_m + I_e

    @staticmethod
    def reset(V_reset):
        return V_reset

    def __init__(self, n, *, name=None, initial=None, **parameters):
        if "currents" in parameters:
            raise ParameterError(
                "CurrentBasedLIFPop: currents=... is not taken (the cell is integrated "
                "exactly, as a linear system); write a CellModel for a cell with currents")
        super().__init__(n, name=name, initial=initial, **parameters)
        if self.V_reset >= self.V_th:
            raise ParameterError(
                f"CurrentBasedLIFPop: V_reset={self.V_reset} mV must be below "
                f"V_th={self.V_th} mV")
