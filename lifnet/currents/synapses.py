"""Linear synapses: exponential and double-exponential conductances; exponential, alpha
and delta currents.

First order: ``I = g (V - E)``, ``dg/dt = -g / tau``, ``g -> g + w`` at each
arrival, with w (µS) the weight of the connection. AMPA and GABA_A are this
with the defaults of Compte et al. (2000); give ``tau`` and ``E`` to make any
other (the COBA benchmark: excitatory tau 5 ms, inhibitory tau 10 ms, E -80
mV). The double-exponential conductance acts on any population, the alpha
current on conductance-cell populations and user-defined cell models.

Current-based synapses (NEST's ``iaf_psc_exp``, ``iaf_psc_alpha``,
``iaf_psc_delta``) add a current that does not depend on V: their weight is
in nA (negative: inhibitory) or, for the delta synapse, in mV.
``CurrentBasedLIFPop`` takes all three and integrates them exactly; the
exponential current also acts on user-defined cell models.
"""

import math

from .. import validation as val
from ..integrators.layout import CH_ALPHA_CURRENT, CH_DELTA, CH_EXP, CH_EXP2, CH_EXP_CURRENT


def _gate_name(owner, name):
    if not isinstance(name, str) or not name.isidentifier():
        raise val.ParameterError(f"{owner}: name={name!r} must be an identifier")
    return name


class ExponentialSynapse(val.Parameterised):
    """A conductance gate with exponential decay.

    Parameters
    ----------
    tau : float
        Decay time constant, ms.
    E : float
        Reversal potential, mV.
    name : str
        Name of the gate on the postsynaptic population; projections that use
        the same name there share one gate and must agree on tau and E.
        State variable ``g_<name>`` (µS) can be set and recorded.
    """

    channel_kind = CH_EXP
    unit = "uS"     # of its state g_<name>

    def __init__(self, *, tau, E, name):
        owner = type(self).__name__
        self.tau = val.positive("tau", tau, owner=owner)
        self.E = val.number("E", E, owner=owner)
        self.name = _gate_name(owner, name)

    def key(self):
        return ("exp", self.tau, self.E)

    def channel_shape(self):
        """(rise time constant, ms, or 0; peak factor) of its gate (``layout.Channels``)."""
        return 0.0, 1.0


class AMPA(ExponentialSynapse):
    """AMPA receptor: tau 2 ms, E 0 mV (Compte et al. 2000)."""

    def __init__(self, *, tau=2.0, E=0.0, name="AMPA"):
        super().__init__(tau=tau, E=E, name=name)


class GABA(ExponentialSynapse):
    """GABA_A receptor: tau 10 ms, E -70 mV (Compte et al. 2000)."""

    def __init__(self, *, tau=10.0, E=-70.0, name="GABA"):
        super().__init__(tau=tau, E=E, name=name)


class DoubleExponentialSynapse(val.Parameterised):
    """A conductance with a rise and a decay (NEURON's ``Exp2Syn``), normalised to its peak.

    ``g(t) = w f (exp(-t / tau_decay) - exp(-t / tau_rise))`` after an
    arrival, with f chosen so that the peak is w (µS), at
    ``t* = tau_rise tau_decay ln(tau_decay / tau_rise) / (tau_decay - tau_rise)``.
    On any population: conductance cells keep both traces per gate; a LIF
    population holds it as two exponential gates, ``g_<name>`` (decay) and
    ``g_<name>__rise``, opened by +f w and -f w.

    Parameters
    ----------
    tau_rise, tau_decay : float
        Time constants, ms (tau_rise < tau_decay).
    E : float
        Reversal potential, mV.
    name : str
        Name of the gate on the postsynaptic population (state ``g_<name>``
        is its decay trace).
    """

    channel_kind = CH_EXP2
    unit = "uS"

    def __init__(self, *, tau_rise, tau_decay, E, name):
        owner = type(self).__name__
        self.tau_rise = val.positive("tau_rise", tau_rise, owner=owner)
        self.tau_decay = val.positive("tau_decay", tau_decay, owner=owner)
        if self.tau_rise >= self.tau_decay:
            raise val.ParameterError(
                f"{owner}: tau_rise={self.tau_rise} ms must be below tau_decay="
                f"{self.tau_decay} ms")
        self.E = val.number("E", E, owner=owner)
        self.name = _gate_name(owner, name)

    @property
    def tau(self):
        return self.tau_decay

    def peak_factor(self):
        """f: 1 / max_t (exp(-t / tau_decay) - exp(-t / tau_rise))."""
        tr, td = self.tau_rise, self.tau_decay
        t_peak = tr * td * math.log(td / tr) / (td - tr)
        return 1.0 / (math.exp(-t_peak / td) - math.exp(-t_peak / tr))

    def channel_shape(self):
        return self.tau_rise, self.peak_factor()

    def key(self):
        return ("exp2", self.tau_rise, self.tau_decay, self.E)


class _CurrentSynapse(val.Parameterised):
    """A synaptic current with one time constant (its subclasses say its shape)."""

    E = 0.0   # (no reversal potential: the current does not depend on V)
    unit = "nA"

    def __init__(self, *, tau, name):
        owner = type(self).__name__
        self.tau = val.positive("tau", tau, owner=owner)
        self.name = _gate_name(owner, name)


class AlphaCurrentSynapse(_CurrentSynapse):
    """A current-based alpha PSC, as NEST's ``hh_psc_alpha``: I(t) = w (t / tau) e^(1 - t / tau).

    The current peaks at w (nA; positive depolarises, negative
    hyperpolarises) tau ms after the arrival. On conductance-cell
    populations.

    Parameters
    ----------
    tau : float
        Time to peak, ms (NEST ``tau_syn_ex`` 0.2, ``tau_syn_in`` 2.0 for
        ``hh_psc_alpha_gap``).
    name : str
        Name of the input on the postsynaptic population (state ``g_<name>``
        is the current, nA).
    """

    channel_kind = CH_ALPHA_CURRENT

    def key(self):
        return ("alpha_current", self.tau)

    def channel_shape(self):
        return 0.0, math.e


class ExponentialCurrentSynapse(_CurrentSynapse):
    """A current-based exponential PSC, as NEST's ``iaf_psc_exp``: I(t) = w exp(-t / tau).

    The current jumps by w (nA; positive depolarises, negative
    hyperpolarises) at each arrival and decays with tau. On
    ``CurrentBasedLIFPop`` and user-defined cell models.

    Parameters
    ----------
    tau : float
        Decay time constant, ms (NEST ``tau_syn_ex``/``tau_syn_in``; 0.5 in
        Potjans & Diesmann 2014).
    name : str
        Name of the input on the postsynaptic population (state ``g_<name>``
        is the current, nA).
    """

    channel_kind = CH_EXP_CURRENT

    def key(self):
        return ("exp_current", self.tau)

    def channel_shape(self):
        return 0.0, 1.0


class DeltaSynapse(val.Parameterised):
    """A delta synapse, as NEST's ``iaf_psc_delta``: each arrival moves V by w (mV) at once.

    On ``CurrentBasedLIFPop``, arrivals during the refractory period are
    lost (NEST's default, ``refractory_input=False``) and an arrival that
    lifts V to threshold is a spike at its arrival time. On ``IzhikevichPop``
    (NEST's ``izhikevich``), V jumps at the arrival's time inside the step,
    to second order: the jump w has moved V by w (1 + L f'(V)) at the step's
    end, L ms later (f = dV/dt).

    Parameters
    ----------
    name : str
        Name of the input on the postsynaptic population (it has no state).
    """

    E = 0.0
    tau = 1.0   # (unused: the input has no state)
    channel_kind = CH_DELTA
    unit = "mV"

    def __init__(self, *, name="delta"):
        self.name = _gate_name(type(self).__name__, name)

    def key(self):
        return ("delta",)

    def channel_shape(self):
        return 0.0, 1.0


#: Synapses whose weight is a current (nA) or a jump of V (mV), of either sign.
CURRENT_SYNAPSES = (AlphaCurrentSynapse, ExponentialCurrentSynapse, DeltaSynapse)
