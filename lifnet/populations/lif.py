"""Leaky integrate-and-fire populations: pyramidal cells and interneurons.

The membrane equation (units: ms, mV, nF, µS, nA)::

    C dV/dt = -g_L (V - E_L) - I_AMPA - I_NMDA - I_GABA - I_drive + I_inj + noise

When V reaches V_th a spike is emitted at the interpolated crossing time, V
is reset to V_reset and held there for t_ref. Defaults are those of Compte
et al. (2000), Cerebral Cortex 10:910, Methods, which follow Wang (1999).
"""

import numpy as np

from .. import validation as val
from ..integrators import layout as L
from ..mechanism import CellModel, Current, Parameter, State


class LIFPopulation(val.Parameterised):
    """A population of N leaky integrate-and-fire neurons.

    Parameters
    ----------
    n : int
        Number of neurons (>= 1).
    name : str, optional
        Name used by ``Network.connect``, results and files; unique in a network.
    C : float
        Membrane capacitance, nF.
    g_L : float
        Leak conductance, µS.
    E_L : float
        Leak reversal potential, mV.
    V_th : float
        Spike threshold, mV (must be above V_reset).
    V_reset : float
        Reset potential after a spike, mV.
    t_ref : float
        Absolute refractory period, ms (>= 0).
    V_init : float, array of shape (n,), or "uniform"
        Membrane potential at t = 0, mV. ``"uniform"`` draws it uniformly in
        [V_reset, V_th) from the network's seed.
    currents : sequence of Current
        Currents added to every cell (``ln.AdaptationCurrent``, or one of your
        own through ``lifnet.mechanism``). A population with currents is
        stepped as the cell model ``LIFCell`` with them (Heun with substeps,
        every arrival at its exact time), not by the fused LIF kernel, and
        takes no NMDA and no Gaussian noise.
    """

    def __init__(self, n, *, name=None, C, g_L, E_L, V_th, V_reset, t_ref, V_init="uniform",
                 currents=()):
        owner = type(self).__name__
        self.n = val.size("n", n, owner=owner)
        self.name = val.population_name(name, owner=owner)
        self.C = val.positive("C", C, owner=owner)
        self.g_L = val.positive("g_L", g_L, owner=owner)
        self.E_L = val.number("E_L", E_L, owner=owner)
        self.V_th = val.number("V_th", V_th, owner=owner)
        self.V_reset = val.number("V_reset", V_reset, owner=owner)
        if self.V_reset >= self.V_th:
            raise val.ParameterError(
                f"{owner}: V_reset={self.V_reset} must be below V_th={self.V_th}")
        self.t_ref = val.non_negative("t_ref", t_ref, owner=owner)
        if isinstance(V_init, str):
            val.choice("V_init", V_init, ("uniform",), owner=owner)
            self.V_init = V_init
        else:
            self.V_init = val.per_neuron("V_init", V_init, self.n, owner=owner)
        self.currents = val.sequence("currents", currents, owner=owner)
        for current in self.currents:
            if not isinstance(current, Current):
                raise val.ParameterError(
                    f"{owner}: currents must be Current objects (e.g. AdaptationCurrent), "
                    f"got {current!r}")

    def cell_model(self):
        """The LIFCell population this population is stepped as, if it carries currents."""
        if not self.currents:
            return None
        return LIFCell(self.n, name=self.name, currents=self.currents, C=self.C,
                       g_L=self.g_L, E_L=self.E_L, V_th=self.V_th, V_reset=self.V_reset,
                       t_ref=self.t_ref)

    # How the population is laid out (integrators.assemble). Without currents the fused
    # LIF kernel steps it; it takes exponential conductances (a double exponential as two
    # of them), NMDA and Gaussian noise. With currents it is its LIFCell.

    @property
    def layout_kind(self):
        return L.KIND_CUSTOM if self.currents else L.KIND_LIF

    @property
    def receptor_kinds(self):
        return (self.cell_model().receptor_kinds if self.currents else
                (L.CH_EXP, L.CH_EXP2, L.RECEPTOR_NMDA))

    @property
    def takes_noise(self):
        return not self.currents

    def fill_layout_row(self, row):
        """Write the population's row of ``layout.Populations`` (``assemble.PopulationRow``)."""
        if self.currents:
            self.cell_model().fill_layout_row(row)
            return
        row.params[[L.P_C, L.P_GL, L.P_EL, L.P_VTH, L.P_VRESET, L.P_TREF]] = (
            self.C, self.g_L, self.E_L, self.V_th, self.V_reset, self.t_ref)
        row.params[L.P_SIGMA] = row.sigma
        row.ints[L.I_NOISE_STREAM] = row.q << 8
        row.ints[L.I_MAX_SPIKES] = L.max_spikes_per_step(row.dt, self.t_ref)

    @property
    def tau_m(self):
        """Membrane time constant C / g_L, ms."""
        return self.C / self.g_L

    def initial_V(self, rng):
        """Membrane potentials at t = 0 (mV), drawing from rng if V_init is "uniform"."""
        if isinstance(self.V_init, str):
            return rng.uniform(self.V_reset, self.V_th, self.n)
        return np.array(self.V_init, dtype=np.float64)

    def __len__(self):
        return self.n


class PyrPop(LIFPopulation):
    """Pyramidal (excitatory) LIF cells; defaults from Compte et al. (2000).

    C 0.5 nF, g_L 25 nS, E_L -70 mV, V_th -50 mV, V_reset -60 mV, t_ref 2 ms
    (tau_m 20 ms).
    See ``LIFPopulation`` for the meaning and units of every parameter.
    """

    def __init__(self, n, *, name=None, C=0.5, g_L=0.025, E_L=-70.0, V_th=-50.0,
                 V_reset=-60.0, t_ref=2.0, V_init="uniform", currents=()):
        super().__init__(n, name=name, C=C, g_L=g_L, E_L=E_L, V_th=V_th, V_reset=V_reset,
                         t_ref=t_ref, V_init=V_init, currents=currents)


class InterPop(LIFPopulation):
    """Fast-spiking inhibitory LIF cells; defaults from Compte et al. (2000).

    C 0.2 nF, g_L 20 nS, E_L -65 mV, V_th -50 mV, V_reset -60 mV, t_ref 1 ms
    (tau_m 10 ms). See ``LIFPopulation`` for every parameter.
    """

    def __init__(self, n, *, name=None, C=0.2, g_L=0.02, E_L=-65.0, V_th=-50.0,
                 V_reset=-60.0, t_ref=1.0, V_init="uniform", currents=()):
        super().__init__(n, name=name, C=C, g_L=g_L, E_L=E_L, V_th=V_th, V_reset=V_reset,
                         t_ref=t_ref, V_init=V_init, currents=currents)


def _leak(V, g_L, E_L):
    return -g_L * (V - E_L)


def _to_reset(V, V_reset):
    return V_reset


class LIFCell(CellModel):
    """The LIF cell written through ``lifnet.mechanism``: how a LIF population that
    carries currents is stepped (``LIFPopulation(..., currents=[...])``).

    ``C dV/dt = -g_L (V - E_L) + currents + synapses + injected``; a spike where V
    reaches V_th, then V = V_reset for t_ref. Parameters and units as
    ``LIFPopulation``'s (defaults: Compte et al. 2000's pyramidal cell).
    """

    parameters = {
        "C": Parameter(0.5, "nF", positive=True, doc="membrane capacitance"),
        "g_L": Parameter(0.025, "µS", positive=True, doc="leak conductance"),
        "E_L": Parameter(-70.0, "mV", doc="leak reversal potential"),
        "V_th": Parameter(-50.0, "mV", doc="spike threshold"),
        "V_reset": Parameter(-60.0, "mV", doc="potential after a spike"),
        "t_ref": Parameter(2.0, "ms", low=0.0, doc="refractory period"),
    }
    states = {"V": State("mV", "E_L")}
    current = staticmethod(_leak)
    derivatives = {}
    threshold = "V_th"
    reset = staticmethod(_to_reset)
    refractory = "t_ref"
