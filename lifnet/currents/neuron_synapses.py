"""NEURON's ``ExpSyn`` and ``Exp2Syn`` point processes, with NEURON's names and defaults.

Both are lifnet's conductance synapses (``currents.synapses``), whose
equations are NEURON's: ``ExpSyn`` is ``ExponentialSynapse`` (g jumps by
the NetCon's weight, µS, and decays with tau; i = g (V - e)); ``Exp2Syn``
is ``DoubleExponentialSynapse`` (g = B - A, A and B decaying with tau1 and
tau2, each jumping by weight times the factor that makes the peak of g the
weight). Arrivals act at their exact times, NetCon's delay included.
"""

from .. import validation as val
from .synapses import DoubleExponentialSynapse, ExponentialSynapse


class ExpSyn(ExponentialSynapse):
    """NEURON's ``ExpSyn``: an exponentially decaying conductance, weight in µS.

    Parameters
    ----------
    tau : float
        Decay time constant, ms (NEURON's default 0.1).
    e : float
        Reversal potential, mV (default 0).
    name : str
        Name of the gate on the postsynaptic population (state ``g_<name>``, µS).
    """

    def __init__(self, *, tau=0.1, e=0.0, name="ExpSyn"):
        super().__init__(tau=tau, E=e, name=name)
        self.e = self.E


class Exp2Syn(DoubleExponentialSynapse):
    """NEURON's ``Exp2Syn``: a conductance rising with tau1 and decaying with tau2, peak = weight.

    As NEURON does, tau1 within 1e-4 of tau2 is taken as 0.9999 tau2 (nearly
    an alpha function), and tau1 below 1e-9 tau2 as 1e-9 tau2 (a single
    exponential); a tau1 above tau2, which NEURON also clamps, is refused.

    Parameters
    ----------
    tau1 : float
        Rise time constant, ms (NEURON's default 0.1).
    tau2 : float
        Decay time constant, ms (default 10).
    e : float
        Reversal potential, mV (default 0).
    name : str
        Name of the gate on the postsynaptic population (state ``g_<name>``, µS:
        its decay trace).
    """

    def __init__(self, *, tau1=0.1, tau2=10.0, e=0.0, name="Exp2Syn"):
        owner = type(self).__name__
        tau1 = val.positive("tau1", tau1, owner=owner)
        tau2 = val.positive("tau2", tau2, owner=owner)
        if tau1 > tau2:
            raise val.ParameterError(
                f"{owner}: tau1={tau1} ms must not exceed tau2={tau2} ms (the rise is the "
                "faster time constant)")
        self.tau1, self.tau2 = tau1, tau2
        super().__init__(tau_rise=min(max(tau1, 1e-9 * tau2), 0.9999 * tau2), tau_decay=tau2,
                         E=e, name=name)
        self.e = self.E
