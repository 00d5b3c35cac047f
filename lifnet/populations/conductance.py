"""Conductance cells: RTM, Wang-Buzsáki, NEST's HH, Traub-Miles (HH type), and Izhikevich.

The membrane equation (units: ms, mV, nF, µS, nA)::

    C dV/dt = -g_Na m^3 h (V - E_Na) - g_K n^4 (V - E_K) - g_L (V - E_L)
              - I_syn - I_gap + I_inj

with gates ``dx/dt = a_x(V) (1 - x) - b_x(V) x`` (IzhikevichPop: its own
two-variable equations, see there). A spike is an upward
crossing of ``V_spike`` at a time interpolated inside the step; HH-type
cells have no reset (an Izhikevich cell has). The step is
``integrators.conductance_step``.

Per-area values from the literature (µF/cm², mS/cm², µA/cm²) map 1:1 onto
nF, µS and nA for a membrane of 1e-3 cm²: RTMPop and WBPop take them so
(C = 1 nF is 1 µF/cm²); HHPop and TraubPop are given for a whole cell, as
NEST and Brette et al. (2007) give them.
"""

import numpy as np

from .. import validation as val
from ..integrators import layout as L
from ..integrators.conductance_step import steady_gates

GATES = ("m", "h", "n", "p")
METHODS = {"auto": L.METHOD_AUTO, "exponential": L.METHOD_EXPONENTIAL, "heun": L.METHOD_HEUN}


class ConductancePopulation(val.Parameterised):
    """A population of N conductance-based cells of one model.

    Parameters common to every model (each subclass documents its defaults):

    n : int
        Number of cells (>= 1).
    name : str, optional
        Name used by ``Network.connect``, results and files.
    C : float
        Membrane capacitance, nF.
    g_L, g_Na, g_K : float
        Leak, sodium and potassium peak conductances, µS.
    E_L, E_Na, E_K : float
        Their reversal potentials, mV.
    V_spike : float
        A spike is an upward crossing of this potential, mV.
    V_init : float or array of shape (n,)
        Membrane potential at t = 0, mV.
    gates_at : float or None
        The gates start at their steady state for this potential (mV); None:
        for each cell's own V_init.
    method : {"auto", "heun", "exponential"}
        The second-order step (``integrators.conductance_step``): ``"auto"``
        (default) is Heun, with exponential steps for fast gates and
        substeps in spikes, accurate and stable at any usual dt; ``"heun"``
        is plain Heun (unstable in spikes above dt ~ 0.02 ms);
        ``"exponential"`` the exponential trapezoid, stable, less accurate.
    """

    kind = "conductance"
    model = None
    uses = ()           # the gates the model integrates

    def _setup(self, n, name, values, V_init, gates_at, method):
        owner = type(self).__name__
        self.method = val.choice("method", method, tuple(METHODS), owner=owner)
        self.n = val.count("n", n, owner=owner)
        self.name = val.population_name(name, owner=owner)
        for key, value in values.items():
            check = val.positive if key in ("C", "phi") else (
                val.non_negative if key.startswith("g_") else val.number)
            setattr(self, key, check(key, value, owner=owner))
        self.V_init = (val.number("V_init", V_init, owner=owner) if np.ndim(V_init) == 0
                       else val.per_neuron("V_init", V_init, self.n, owner=owner))
        self.gates_at = None if gates_at is None else val.number("gates_at", gates_at,
                                                                 owner=owner)

    def layout_params(self):
        """The model's row of ConductanceCells.params (columns H_*)."""
        row = np.zeros(L.N_HH_PARAMS)
        for column, key in ((L.H_C, "C"), (L.H_GL, "g_L"), (L.H_EL, "E_L"),
                            (L.H_GNA, "g_Na"), (L.H_ENA, "E_Na"), (L.H_GK, "g_K"),
                            (L.H_EK, "E_K"), (L.H_VSPIKE, "V_spike")):
            row[column] = getattr(self, key)
        row[L.H_GK2] = getattr(self, "g_K2", 0.0)
        row[L.H_PHI] = getattr(self, "phi", 1.0)
        row[L.H_VT] = getattr(self, "V_T", 0.0)
        row[L.H_METHOD] = METHODS[self.method]
        row[L.H_RESET] = np.nan
        return row

    def initial_V(self, rng=None):
        """Membrane potentials at t = 0, mV."""
        return np.broadcast_to(np.asarray(self.V_init, dtype=np.float64), (self.n,)).copy()

    def initial_gates(self, V):
        """Gates m, h, n, p at t = 0, shape (4, n)."""
        at = np.asarray(V, dtype=np.float64) if self.gates_at is None else \
            np.full(self.n, self.gates_at)
        row = self.layout_params()
        return steady_gates(self.model, at, row[L.H_PHI], row[L.H_VT], row[L.H_B])

    def __len__(self):
        return self.n


class RTMPop(ConductancePopulation):
    """Reduced Traub-Miles excitatory cells (Ermentrout & Kopell 1998; Börgers & Kopell 2003).

    The rate functions of Börgers & Kopell (as in BMTK's PING examples); the sodium activation
    m is instantaneous, h and n are integrated. Per-area parameters (see the
    module docstring): C 1 nF (µF/cm²), g_Na 100, g_K 80, g_L 0.1 µS
    (mS/cm²), E_Na 50, E_K -100, E_L -67 mV. With no input the cell rests
    near -64 mV; it fires periodically above about 0.12 nA (µA/cm²).
    """

    model = L.MODEL_RTM
    uses = ("h", "n")

    def __init__(self, n, *, name=None, C=1.0, g_Na=100.0, g_K=80.0, g_L=0.1, E_Na=50.0,
                 E_K=-100.0, E_L=-67.0, V_spike=-20.0, V_init=-65.0, gates_at=None,
                 method="auto"):
        self._setup(n, name, dict(C=C, g_Na=g_Na, g_K=g_K, g_L=g_L, E_Na=E_Na, E_K=E_K,
                                  E_L=E_L, V_spike=V_spike), V_init, gates_at, method)


class WBPop(ConductancePopulation):
    """Wang-Buzsáki fast-spiking interneurons (Wang & Buzsáki 1996).

    Instantaneous m; h and n sped up by phi. Per-area parameters: C 1 nF,
    g_Na 35, g_K 9, g_L 0.1 µS, E_Na 55, E_K -90, E_L -65 mV, phi 5.
    """

    model = L.MODEL_WB
    uses = ("h", "n")

    def __init__(self, n, *, name=None, C=1.0, g_Na=35.0, g_K=9.0, g_L=0.1, E_Na=55.0,
                 E_K=-90.0, E_L=-65.0, phi=5.0, V_spike=-20.0, V_init=-64.0, gates_at=None,
                 method="auto"):
        self._setup(n, name, dict(C=C, g_Na=g_Na, g_K=g_K, g_L=g_L, E_Na=E_Na, E_K=E_K,
                                  E_L=E_L, phi=phi, V_spike=V_spike), V_init, gates_at, method)


class HHPop(ConductancePopulation):
    """The Hodgkin-Huxley cell of NEST's ``hh_psc_alpha_gap`` (Mancilla et al. 2007).

    Sodium m^3 h, two potassium currents: Kv1 (``g_K n^4``) and Kv3
    (``g_K2 p^2``), with NEST's rate functions and defaults, converted to
    lifnet's units: C 40 pF = 0.04 nF, g_Na 4500 nS = 4.5 µS, g_K (Kv1)
    0.009 µS, g_K2 (Kv3) 9 µS, g_L 0.01 µS, E_Na 74, E_K -90, E_L -70 mV.
    V_init is NEST's resting state, -69.604 mV, and the gates start at their
    steady state there (NEST keeps them so when only V_m is set). NEST
    counts a spike at the peak of V above 0 mV, on the grid; lifnet at the
    upward crossing of V_spike = 0 mV, interpolated, which comes earlier by
    the rise time from 0 mV to the peak (about 0.1 ms).
    """

    model = L.MODEL_HH_NEST
    uses = ("m", "h", "n", "p")
    V_REST = -69.60401191631222

    def __init__(self, n, *, name=None, C=0.04, g_Na=4.5, g_K=0.009, g_K2=9.0, g_L=0.01,
                 E_Na=74.0, E_K=-90.0, E_L=-70.0, V_spike=0.0, V_init=V_REST,
                 gates_at=V_REST,
                 method="auto"):
        self._setup(n, name, dict(C=C, g_Na=g_Na, g_K=g_K, g_K2=g_K2, g_L=g_L, E_Na=E_Na,
                                  E_K=E_K, E_L=E_L, V_spike=V_spike), V_init, gates_at, method)


class TraubPop(ConductancePopulation):
    """Traub-Miles cells of Brette et al. (2007), benchmark 3 (COBAHH).

    Whole-cell values for a membrane of 20 000 µm²: C 0.2 nF (1 µF/cm²),
    g_L 0.01 µS (0.05 mS/cm²), g_Na 20 µS (100 mS/cm²), g_K 6 µS
    (30 mS/cm²), E_L -60, E_Na 50, E_K -90 mV, V_T -63 mV (shifts every
    rate function); m, h and n all integrated.
    """

    model = L.MODEL_TRAUB
    uses = ("m", "h", "n")

    def __init__(self, n, *, name=None, C=0.2, g_Na=20.0, g_K=6.0, g_L=0.01, E_Na=50.0,
                 E_K=-90.0, E_L=-60.0, V_T=-63.0, V_spike=-20.0, V_init=-60.0, gates_at=None,
                 method="auto"):
        self._setup(n, name, dict(C=C, g_Na=g_Na, g_K=g_K, g_L=g_L, E_Na=E_Na, E_K=E_K,
                                  E_L=E_L, V_T=V_T, V_spike=V_spike), V_init, gates_at, method)


class IzhikevichPop(ConductancePopulation):
    """Izhikevich (2007) cells, as NetPyNE's ``Izhi2007b``::

        C dV/dt = k (V - v_r)(V - v_t) - u + I,    du/dt = a (b (V - v_r) - u)
        if V >= v_peak: V = c, u = u + d

    Defaults: the regular-spiking cell of Izhikevich (2007), ch. 8 (C 100
    pF, k 0.7 nS/mV, v_r -60, v_t -40, v_peak 35 mV, a 0.03 /ms, b -2 nS,
    c -50 mV, d 100 pA), in lifnet's units. The spike time is interpolated
    at the crossing of v_peak, where V is reset and the rest of the step
    integrated. Synapses, noise and currents act as on any conductance cell
    (gap junctions too). State: V and the recovery current ``"m"`` (u, nA).

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
    V_init : float or array
        V at t = 0, mV (default v_r); u starts at b (V_init - v_r).
    """

    model = L.MODEL_IZHIKEVICH
    uses = ("m",)

    def __init__(self, n, *, name=None, C=0.1, k=0.0007, v_r=-60.0, v_t=-40.0, v_peak=35.0,
                 a=0.03, b=-0.002, c=-50.0, d=0.1, V_init=None, method="auto"):
        owner = type(self).__name__
        self._setup(n, name, dict(C=C, k=val.positive("k", k, owner=owner), v_r=v_r, v_t=v_t,
                                  v_peak=v_peak, a=val.positive("a", a, owner=owner), b=b,
                                  c=c, d=d), v_r if V_init is None else V_init, None, method)
        if not self.c < self.v_peak:
            raise val.ParameterError(f"{owner}: c={self.c} must be below v_peak={self.v_peak}")
        if not self.v_r < self.v_peak:
            raise val.ParameterError(
                f"{owner}: v_r={self.v_r} must be below v_peak={self.v_peak}")

    def layout_params(self):
        row = np.zeros(L.N_HH_PARAMS)
        row[L.H_C] = self.C
        row[L.H_GNA], row[L.H_ENA], row[L.H_EK] = self.k, self.v_t, self.v_r
        row[L.H_PHI], row[L.H_VT], row[L.H_B] = self.a, self.v_r, self.b
        row[L.H_VSPIKE], row[L.H_RESET], row[L.H_U_JUMP] = self.v_peak, self.c, self.d
        row[L.H_METHOD] = METHODS[self.method]
        return row

    def initial_gates(self, V):
        gates = np.zeros((L.N_GATES, self.n))
        gates[0] = self.b * (np.asarray(V, dtype=np.float64) - self.v_r)
        return gates
