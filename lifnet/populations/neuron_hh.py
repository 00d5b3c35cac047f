"""NEURON's ``hh`` and ``pas`` mechanisms in a single-compartment section (NeuronHHPop).

Written through ``lifnet.mechanism`` only. The equations are those of
NEURON's ``hh`` (Hodgkin & Huxley 1952, shifted to rest near -65 mV), with
its leak, plus the passive ``pas`` leak, in one section of one segment::

    C dV/dt = -g_Na m^3 h (V - E_Na) - g_K n^4 (V - E_K) - g_L (V - E_L)
              - g_pas (V - E_pas) + I
    dx/dt = q10 (x_inf(V) - x) / tau_x(V)      for x = m, h, n
    q10 = 3^((celsius - 6.3) / 10)

    m: alpha = 0.1 vtrap(-(V + 40), 10),    beta = 4 exp(-(V + 65) / 18)
    h: alpha = 0.07 exp(-(V + 65) / 20),    beta = 1 / (exp(-(V + 35) / 10) + 1)
    n: alpha = 0.01 vtrap(-(V + 55), 10),   beta = 0.125 exp(-(V + 65) / 80)
    x_inf = alpha / (alpha + beta), tau_x = 1 / (alpha + beta) (ms at 6.3 °C)
    vtrap(x, y) = x / (exp(x / y) - 1), its limit y (1 - x / 2y) near x = 0

As NEURON does by default (``usetable_hh = 1``), x_inf and tau_x are
interpolated linearly between their values at whole millivolts from -100
to 100 mV (the nearest end value outside); ``tables=False`` computes them
at each V. The tables matter: on the reference cell of
``tests/test_neuron_cells.py`` the spike times with and without them part
by 0.34 ms over 500 ms in NEURON itself.

Geometry: NEURON's lateral area of a cylinder, ``pi diam L`` (µm²), scales
the densities (S/cm², µF/cm²) into lifnet's whole-cell units: C (nF) =
cm area 1e3, g (µS) = g area 1e6 with area in cm². Synaptic weights (µS)
and injected currents (nA) act on the whole cell, as in NEURON.

The rates grow with temperature (tau_m near 5 µs at 37 °C): the step takes
substeps no longer than tau_m there, nor than C over the membrane's
conductance (``CellModel.fastest_rate``), so that it stays stable at any
dt; within a spike, as many as V's curvature asks for (``substeps =
"curvature"``), far fewer than V's slope would.

The spike is NEURON's ``NetCon`` detection: an upward crossing of
``threshold`` (NetPyNE's default 10 mV), placed inside the step by
interpolation, with no reset: every state goes on. (NEURON's fixed step
stamps the spike at the end of the step in which V crossed; lifnet gives
the crossing time itself.)
"""

import math

import numpy as np

from .. import validation as val
from ..kernel_cache import njit
from ..mechanism import CellModel, Parameter, State

#: NEURON's rate tables of hh: whole millivolts from TABLE_LOW to TABLE_HIGH.
TABLE_LOW, TABLE_HIGH = -100.0, 100.0


@njit(cache=True, inline="always")
def vtrap(x, y):
    """x / (exp(x / y) - 1), with its limit near x = 0."""
    if abs(x / y) < 1e-6:
        return y * (1.0 - 0.5 * x / y)
    return x / math.expm1(x / y)


@njit(cache=True, inline="always")
def m_steady(V):
    """(m_inf, tau_m at 6.3 °C in ms) at V (mV)."""
    alpha = 0.1 * vtrap(-(V + 40.0), 10.0)
    beta = 4.0 * math.exp(-(V + 65.0) / 18.0)
    return alpha / (alpha + beta), 1.0 / (alpha + beta)


@njit(cache=True, inline="always")
def h_steady(V):
    """(h_inf, tau_h at 6.3 °C in ms) at V (mV)."""
    alpha = 0.07 * math.exp(-(V + 65.0) / 20.0)
    beta = 1.0 / (math.exp(-(V + 35.0) / 10.0) + 1.0)
    return alpha / (alpha + beta), 1.0 / (alpha + beta)


@njit(cache=True, inline="always")
def n_steady(V):
    """(n_inf, tau_n at 6.3 °C in ms) at V (mV)."""
    alpha = 0.01 * vtrap(-(V + 55.0), 10.0)
    beta = 0.125 * math.exp(-(V + 65.0) / 80.0)
    return alpha / (alpha + beta), 1.0 / (alpha + beta)


def _table():
    """NEURON's table of hh: m_inf, tau_m, h_inf, tau_h, n_inf, tau_n (ms, 6.3 °C), one row per
    whole millivolt from TABLE_LOW to TABLE_HIGH."""
    rows = [(*m_steady.py_func(v), *h_steady.py_func(v), *n_steady.py_func(v))
            for v in np.arange(TABLE_LOW, TABLE_HIGH + 1.0)]
    return np.array(rows)


#: Compiled into the kernels as a constant.
TABLE = _table()


@njit(cache=True, inline="always")
def steady(V, gate, tables):
    """(x_inf, tau_x at 6.3 °C in ms) of gate 0 (m), 1 (h) or 2 (n) at V (mV): interpolated
    in NEURON's table (its end values outside it), or computed without tables."""
    if tables == 0.0:
        if gate == 0:
            return m_steady(V)
        if gate == 1:
            return h_steady(V)
        return n_steady(V)
    if not V > TABLE_LOW:       # (a V that is not a number reads the first row)
        x = 0.0
    elif V >= TABLE_HIGH:
        x = TABLE_HIGH - TABLE_LOW
    else:
        x = V - TABLE_LOW
    i = min(int(x), TABLE.shape[0] - 2)
    theta = x - i
    c = 2 * gate
    inf = TABLE[i, c] + theta * (TABLE[i + 1, c] - TABLE[i, c])
    tau = TABLE[i, c + 1] + theta * (TABLE[i + 1, c + 1] - TABLE[i, c + 1])
    return inf, tau


def _membrane(V, m, h, n, g_Na, g_K, g_L, E_Na, E_K, E_L, g_pas, E_pas):
    return -(g_Na * m * m * m * h * (V - E_Na) + g_K * n * n * n * n * (V - E_K)
             + g_L * (V - E_L) + g_pas * (V - E_pas))


def _dm(V, m, q10, tables):
    inf, tau = steady(V, 0, tables)
    return q10 * (inf - m) / tau


def _dh(V, h, q10, tables):
    inf, tau = steady(V, 1, tables)
    return q10 * (inf - h) / tau


def _dn(V, n, q10, tables):
    inf, tau = steady(V, 2, tables)
    return q10 * (inf - n) / tau


def _fastest_rate(V, m, h, n, q10, tables, g_Na, g_K, g_L, g_pas, C):
    # m is hh's fastest gate at every V (tau_m below tau_h and tau_n); the membrane's own
    # rate is its conductance over its capacitance.
    membrane = (g_Na * m * m * m * h + g_K * n * n * n * n + g_L + g_pas) / C
    return max(q10 / steady(V, 0, tables)[1], membrane)


def steady_state(V, tables=True):
    """(m, h, n) at their steady state at V (mV), as NEURON's INITIAL block of hh sets them
    (from its tables by default)."""
    return tuple(steady.py_func(float(V), gate, 1.0 if tables else 0.0)[0] for gate in range(3))


class NeuronHHPop(CellModel):
    """Single-compartment cells with NEURON's ``hh`` (and optionally ``pas``), in NEURON's units.

    The cell is one NEURON section of one segment; every keyword is the NEURON
    (NetPyNE ``cellParams``) value of the same name, and the defaults are
    NEURON's: a section's L 100 µm, diam 500 µm, cm 1 µF/cm²; hh's gnabar
    0.12, gkbar 0.036, gl 0.0003 S/cm², el -54.3 mV, ena 50, ek -77 mV;
    NetPyNE's celsius 6.3 °C, v_init -65 mV and NetCon threshold 10 mV.
    ``pas`` is absent unless ``g_pas`` > 0 (NEURON's pas, once inserted, has
    g 0.001 S/cm², e -70 mV). See the module for the equations.

    Parameters
    ----------
    n : int
        Number of cells.
    name : str, optional
        Name used by ``Network.connect``, results and files.
    diam, L : float
        Diameter and length of the section, µm (> 0).
    cm : float
        Specific membrane capacitance, µF/cm² (> 0).
    gnabar, gkbar, gl : float
        hh's sodium, potassium and leak conductance densities, S/cm² (>= 0).
    el, ena, ek : float
        Reversal potentials of hh's leak, sodium and potassium, mV.
    g_pas : float
        pas's conductance density, S/cm² (>= 0; 0: no pas).
    e_pas : float
        pas's reversal potential, mV.
    celsius : float
        Temperature, °C: the gates' rates scale by 3^((celsius - 6.3) / 10).
    threshold : float
        A spike is an upward crossing of this potential, mV (NetCon's threshold).
    v_init : float or array of shape (n,)
        V at t = 0, mV; m, h, n start at their steady state there, as after
        NEURON's ``finitialize(v_init)``.
    tables : bool
        Interpolate hh's rates in NEURON's tables (``usetable_hh``, default True).
    currents : sequence of Current
        More currents on every cell.
    initial : dict, optional
        Initial values other than those above (``{"m": ...}``).
    """

    parameters = {
        "C": Parameter(1.0, "nF", positive=True, doc="membrane capacitance"),
        "g_Na": Parameter(0.0, "µS", low=0.0, doc="hh's peak sodium conductance"),
        "g_K": Parameter(0.0, "µS", low=0.0, doc="hh's peak potassium conductance"),
        "g_L": Parameter(0.0, "µS", low=0.0, doc="hh's leak conductance"),
        "E_Na": Parameter(50.0, "mV", doc="sodium reversal potential"),
        "E_K": Parameter(-77.0, "mV", doc="potassium reversal potential"),
        "E_L": Parameter(-54.3, "mV", doc="hh's leak reversal potential"),
        "g_pas": Parameter(0.0, "µS", low=0.0, doc="pas's conductance"),
        "E_pas": Parameter(-70.0, "mV", doc="pas's reversal potential"),
        "q10": Parameter(1.0, "1", positive=True, doc="temperature factor of the rates"),
        "tables": Parameter(1.0, "1", low=0.0, high=1.0, doc="1: NEURON's rate tables"),
        "V_spike": Parameter(10.0, "mV", doc="spike detection potential (NetCon's threshold)"),
    }
    states = {"V": State("mV", -65.0), "m": State("1", 0.0), "h": State("1", 0.0),
              "n": State("1", 0.0)}
    current = staticmethod(_membrane)
    derivatives = {"m": _dm, "h": _dh, "n": _dn}
    threshold = "V_spike"
    reset = None
    fastest_rate = staticmethod(_fastest_rate)
    substeps = "curvature"

    def __init__(self, n, *, name=None, diam=500.0, L=100.0, cm=1.0, gnabar=0.12,
                 gkbar=0.036, gl=0.0003, el=-54.3, ena=50.0, ek=-77.0, g_pas=0.0,
                 e_pas=-70.0, celsius=6.3, threshold=10.0, v_init=-65.0, tables=True,
                 currents=(), initial=None):
        owner = type(self).__name__
        self.diam = val.positive("diam", diam, owner=owner)
        self.L = val.positive("L", L, owner=owner)
        self.cm = val.positive("cm", cm, owner=owner)
        for key, value in (("gnabar", gnabar), ("gkbar", gkbar), ("gl", gl),
                           ("g_pas", g_pas)):
            setattr(self, key, val.non_negative(key, value, owner=owner))
        for key, value in (("el", el), ("ena", ena), ("ek", ek), ("e_pas", e_pas)):
            setattr(self, key, val.number(key, value, owner=owner))
        self.celsius = val.number("celsius", celsius, owner=owner, low=-273.15)
        if not isinstance(tables, bool):
            raise val.ParameterError(f"{owner}: tables={tables!r} must be True or False")
        self.tables = tables
        self.v_init = v_init
        area = self.area()
        super().__init__(
            n, name=name, currents=currents, initial={"V": v_init, **(initial or {})},
            C=self.cm * area * 1e3, g_Na=self.gnabar * area * 1e6,
            g_K=self.gkbar * area * 1e6, g_L=self.gl * area * 1e6, E_Na=self.ena,
            E_K=self.ek, E_L=self.el, g_pas=self.g_pas * area * 1e6, E_pas=self.e_pas,
            q10=3.0 ** ((self.celsius - 6.3) / 10.0), tables=float(tables),
            V_spike=threshold)
        V = np.broadcast_to(self.initial["V"], (self.n,))
        gates = np.array([steady_state(v, tables) for v in V]).T
        for k, gate in enumerate(("m", "h", "n")):
            self.initial.setdefault(gate, gates[k])

    def area(self):
        """Lateral area of the section, cm² (NEURON's pi diam L, from µm²)."""
        return math.pi * self.diam * self.L * 1e-8

    def get_params(self):
        """The population's NEURON parameters, its size, name and currents."""
        return {"n": self.n, "name": self.name, "currents": self.currents,
                **{k: getattr(self, k) for k in (
                    "diam", "L", "cm", "gnabar", "gkbar", "gl", "el", "ena", "ek", "g_pas",
                    "e_pas", "celsius", "v_init", "tables")},
                "threshold": self.V_spike}
