"""Adaptive exponential integrate-and-fire cells (Brette & Gerstner 2005), as NEST's aeif_cond_exp.

Written through ``lifnet.mechanism`` only, with no code of its own in the
integrators::

    C dV/dt = -g_L (V - E_L) + g_L Delta_T exp((V - V_T) / Delta_T) - w + I
    tau_w dw/dt = a (V - E_L) - w
    V >= V_peak: a spike; V -> V_reset, w -> w + b, V held for t_ref

Defaults are NEST's ``aeif_cond_exp`` (C_m 281 pF, g_L 30 nS, E_L -70.6 mV,
V_th 50.4 mV below zero, Delta_T 2 mV, tau_w 144 ms, a 4 nS, b 80.5 pA,
V_reset -60 mV, V_peak 0 mV, t_ref 0 ms) in lifnet's units. NEST's
conductance synapses (tau_syn_ex 0.2 ms, E_ex 0 mV; tau_syn_in 2 ms, E_in
-85 mV) are receptors here: ``ln.ExponentialSynapse(tau=0.2, E=0.0,
name="ex")``. The spike is placed where V crosses V_peak, inside the step,
after the upstroke is resolved by substeps; the rest of the step is
integrated from the reset.
"""

import math

from ..mechanism import CellModel, Parameter, State


def _membrane(V, w, g_L, E_L, V_T, Delta_T, V_peak):
    # As NEST: V in the exponential no higher than V_peak, where the spike is anyway;
    # a substep that passes it stays finite and the crossing is interpolated.
    return -g_L * (V - E_L) + g_L * Delta_T * math.exp((min(V, V_peak) - V_T) / Delta_T) - w


def _dw(V, w, a, E_L, tau_w):
    return (a * (V - E_L) - w) / tau_w


def _reset(V, w, V_reset, b):
    return V_reset, w + b


class AdExPop(CellModel):
    """A population of AdEx cells (Brette & Gerstner 2005), NEST ``aeif_cond_exp`` defaults.

    Parameters
    ----------
    n : int
        Number of cells.
    name : str, optional
        Name used by ``Network.connect``, results and files.
    C : float
        Membrane capacitance, nF (0.281).
    g_L : float
        Leak conductance, µS (0.030).
    E_L : float
        Leak reversal potential, mV (-70.6).
    V_T : float
        Threshold of the exponential term, mV (-50.4; NEST's V_th).
    Delta_T : float
        Slope factor of the exponential, mV (2.0; must be > 0).
    a : float
        Subthreshold adaptation, µS (0.004).
    tau_w : float
        Adaptation time constant, ms (144).
    b : float
        Spike-triggered adaptation, nA (0.0805).
    V_reset : float
        Potential after a spike, mV (-60).
    V_peak : float
        A spike is the upward crossing of this potential, mV (0).
    t_ref : float
        Refractory period, ms (0): V held at V_reset.
    currents : sequence of Current
        More currents on every cell.
    initial : dict
        Initial values other than V = E_L, w = 0 (``{"V": ..., "w": ...}``).
    """

    parameters = {
        "C": Parameter(0.281, "nF", positive=True, doc="membrane capacitance"),
        "g_L": Parameter(0.030, "µS", positive=True, doc="leak conductance"),
        "E_L": Parameter(-70.6, "mV", doc="leak reversal potential"),
        "V_T": Parameter(-50.4, "mV", doc="threshold of the exponential term"),
        "Delta_T": Parameter(2.0, "mV", positive=True, doc="slope factor"),
        "a": Parameter(0.004, "µS", doc="subthreshold adaptation"),
        "tau_w": Parameter(144.0, "ms", positive=True, doc="adaptation time constant"),
        "b": Parameter(0.0805, "nA", doc="spike-triggered adaptation"),
        "V_reset": Parameter(-60.0, "mV", doc="potential after a spike"),
        "V_peak": Parameter(0.0, "mV", doc="spike detection potential"),
        "t_ref": Parameter(0.0, "ms", low=0.0, doc="refractory period"),
    }
    states = {"V": State("mV", "E_L"), "w": State("nA", 0.0, doc="adaptation current")}
    current = staticmethod(_membrane)
    derivatives = {"w": _dw}
    threshold = "V_peak"
    reset = staticmethod(_reset)
    refractory = "t_ref"
