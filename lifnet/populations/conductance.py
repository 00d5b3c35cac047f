"""Conductance cells: what RTM, Wang-Buzsáki, NEST's HH, Traub-Miles and Izhikevich share.

The membrane equation (units: ms, mV, nF, µS, nA)::

    C dV/dt = -g_Na m^3 h (V - E_Na) - g_K n^4 (V - E_K) - g_L (V - E_L)
              - I_syn - I_gap + I_inj

with gates ``dx/dt = a_x(V) (1 - x) - b_x(V) x`` (IzhikevichPop: its own
two-variable equations, see there). A spike is an upward
crossing of ``V_spike`` at a time interpolated inside the step; HH-type
cells have no reset (an Izhikevich cell has). The step is
``integrators.conductance_step``; each model's module (``rtm``, ``wb``,
``hh``, ``traub``, ``izhikevich``) holds its parameters and its rate
functions, which the step inlines.

Per-area values from the literature (µF/cm², mS/cm², µA/cm²) map 1:1 onto
nF, µS and nA for a membrane of 1e-3 cm²: RTMPop and WBPop take them so
(C = 1 nF is 1 µF/cm²); HHPop and TraubPop are given for a whole cell, as
NEST and Brette et al. (2007) give them.
"""

import math

import numpy as np

from .. import validation as val
from ..integrators import layout as L
from ..kernel_cache import njit

GATES = ("m", "h", "n", "p")
METHODS = {"auto": L.METHOD_AUTO, "exponential": L.METHOD_EXPONENTIAL, "heun": L.METHOD_HEUN}


@njit(cache=True, inline="always")
def xexp(x, k):
    """x / (1 - exp(-x / k)), with its limit k at x = 0: the rate functions' common form."""
    z = x / k
    if abs(z) < 1e-7:
        return k * (1.0 + 0.5 * z)
    return x / -math.expm1(-z)


def steady_gates(rates, V, phi, VT, pb, instantaneous_m):
    """Gates m, h, n, p at their steady state a / (a + b) for each V (mV), shape (4, len(V)).

    ``rates`` is a model's rate function (its module's ``rates``), evaluated here as
    plain Python, once per cell at the start; ``instantaneous_m``: its first value is
    m itself (RTM, WB).
    """
    out = np.zeros((L.N_GATES, len(V)))
    for i, v in enumerate(V):
        rs = rates.py_func(float(v), phi, VT, pb)
        for k in range(L.N_GATES):
            a = rs[2 * k]
            s = a + rs[2 * k + 1]
            out[k, i] = a if (k == 0 and instantaneous_m) else (a / s if s > 0.0 else 0.0)
    return out


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

    model = None
    uses = ()           # the gates the model integrates
    rates = None        # the model's rate function (an inline kernel of its module)
    # How the population is laid out (integrators.assemble): stepped by
    # integrators.conductance_step, with the inputs it takes.
    layout_kind = L.KIND_CONDUCTANCE
    receptor_kinds = (L.CH_EXP, L.CH_EXP2, L.CH_ALPHA_CURRENT)
    takes_noise = True

    def _setup(self, n, name, values, V_init, gates_at, method):
        owner = type(self).__name__
        self.method = val.choice("method", method, tuple(METHODS), owner=owner)
        self.n = val.size("n", n, owner=owner)
        self.name = val.population_name(name, owner=owner)
        for key, value in values.items():
            check = val.positive if key in ("C", "phi") else (
                val.non_negative if key.startswith("g_") else val.number)
            setattr(self, key, check(key, value, owner=owner))
        self.V_init = (val.number("V_init", V_init, owner=owner)
                       if val.ndim("V_init", V_init, owner=owner) == 0
                       else val.per_neuron("V_init", V_init, self.n, owner=owner))
        self.gates_at = None if gates_at is None else val.number("gates_at", gates_at,
                                                                 owner=owner)

    def fill_layout_row(self, row):
        """Write the population's row of ``layout.Populations`` (``assemble.PopulationRow``);
        its model's parameters go to ``layout.ConductanceCells`` (``layout_params``)."""
        row.ints[L.I_MAX_SPIKES] = 1   # an upward crossing: at most one per step
        row.ints[L.I_NOISE_STREAM] = row.q << 8
        row.params[L.P_SIGMA] = row.sigma

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
        row[L.H_VDETECT] = np.nan
        return row

    def initial_V(self, rng=None):
        """Membrane potentials at t = 0, mV."""
        return np.broadcast_to(np.asarray(self.V_init, dtype=np.float64), (self.n,)).copy()

    def initial_gates(self, V):
        """Gates m, h, n, p at t = 0, shape (4, n)."""
        at = np.asarray(V, dtype=np.float64) if self.gates_at is None else \
            np.full(self.n, self.gates_at)
        row = self.layout_params()
        return steady_gates(type(self).rates, at, row[L.H_PHI], row[L.H_VT], row[L.H_B],
                            self.model in (L.MODEL_RTM, L.MODEL_WB))

    def __len__(self):
        return self.n
