"""External Poisson drive into a conductance gate (the background input of Compte 2000)."""

from .. import validation as val
from .synapses import ExponentialSynapse


class PoissonDrive(val.Parameterised):
    """An independent Poisson spike train into every neuron of a population.

    Each event arrives at its exact time inside the step and opens an
    exponential conductance of its own gate ``g_<name>``.

    Parameters
    ----------
    rate : float
        Rate of the train into each neuron, Hz (Compte 2000: 1800).
    weight : float
        Conductance increment per event, µS (Compte 2000: 0.0031 onto
        pyramidal cells, 0.00238 onto interneurons).
    tau : float
        Decay time constant of the gate, ms (AMPA: 2).
    E : float
        Reversal potential, mV (0).
    name : str
        Name of the gate (default ``"ext"``).
    """

    def __init__(self, *, rate, weight, tau=2.0, E=0.0, name="ext"):
        owner = type(self).__name__
        self.rate = val.non_negative("rate", rate, owner=owner)
        self.weight = val.non_negative("weight", weight, owner=owner)
        self.tau = val.positive("tau", tau, owner=owner)
        self.E = val.number("E", E, owner=owner)
        self.name = name
        self.receptor = ExponentialSynapse(tau=self.tau, E=self.E, name=name)
