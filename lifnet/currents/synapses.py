"""First-order conductance synapses: a gate that jumps by w per spike and decays.

``I = g (V - E)``, ``dg/dt = -g / tau``, ``g -> g + w`` at each arrival, with
w (µS) the weight of the connection. AMPA and GABA_A are this with the
defaults of Compte et al. (2000); give ``tau`` and ``E`` to make any other
(the COBA benchmark: excitatory tau 5 ms, inhibitory tau 10 ms, E -80 mV).
"""

from .. import validation as val


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

    def __init__(self, *, tau, E, name):
        owner = type(self).__name__
        self.tau = val.positive("tau", tau, owner=owner)
        self.E = val.number("E", E, owner=owner)
        if not isinstance(name, str) or not name.isidentifier():
            raise val.ParameterError(f"{owner}: name={name!r} must be an identifier")
        self.name = name

    def key(self):
        return ("exp", self.tau, self.E)


class AMPA(ExponentialSynapse):
    """AMPA receptor: tau 2 ms, E 0 mV (Compte et al. 2000)."""

    def __init__(self, *, tau=2.0, E=0.0, name="AMPA"):
        super().__init__(tau=tau, E=E, name=name)


class GABA(ExponentialSynapse):
    """GABA_A receptor: tau 10 ms, E -70 mV (Compte et al. 2000)."""

    def __init__(self, *, tau=10.0, E=-70.0, name="GABA"):
        super().__init__(tau=tau, E=E, name=name)
