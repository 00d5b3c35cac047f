"""NMDA receptor with presynaptic saturation and a voltage-dependent Mg block.

As in Wang (1999) and Compte et al. (2000), for each presynaptic neuron j::

    dx_j/dt = -x_j / tau_x + sum_k delta(t - t_j^k)
    ds_j/dt = -s_j / tau + alpha x_j (1 - s_j)

and on postsynaptic neuron i::

    I_NMDA = (sum_j w_ij s_j) (V - E) / (1 + [Mg]/3.57 exp(-0.062 V))

The saturation (1 - s_j) acts per presynaptic neuron, as in the published
model (Wang 1999); applied to the summed input it would be a different model.
"""

from .. import validation as val


class NMDA(val.Parameterised):
    """NMDA receptor.

    Parameters
    ----------
    tau_x : float
        Rise time constant, ms (2 in Compte 2000).
    tau : float
        Decay time constant, ms (100 in Compte 2000).
    alpha : float
        Saturation rate, 1/ms (0.5).
    E : float
        Reversal potential, mV (0).
    Mg : float
        Extracellular magnesium concentration, mM (1).
    name : str
        Name of the NMDA conductance on the postsynaptic population; state
        variable ``g_<name>`` (µS, the sum of w_ij s_j) can be recorded.
    """

    MG_SLOPE = 0.062  # 1/mV, Jahr & Stevens (1990)
    MG_HALF = 3.57    # mM

    def __init__(self, *, tau_x=2.0, tau=100.0, alpha=0.5, E=0.0, Mg=1.0, name="NMDA"):
        owner = type(self).__name__
        self.tau_x = val.positive("tau_x", tau_x, owner=owner)
        self.tau = val.positive("tau", tau, owner=owner)
        self.alpha = val.positive("alpha", alpha, owner=owner)
        self.E = val.number("E", E, owner=owner)
        self.Mg = val.non_negative("Mg", Mg, owner=owner)
        if not isinstance(name, str) or not name.isidentifier():
            raise val.ParameterError(f"{owner}: name={name!r} must be an identifier")
        self.name = name

    def presynaptic_key(self):
        return (self.tau_x, self.tau, self.alpha)

    def postsynaptic_key(self):
        return (self.E, self.Mg)
