"""External Poisson drive into a conductance gate (the background input of Compte 2000)."""

import math

from .. import validation as val
from .clamp import ring_profile
from .synapses import CURRENT_SYNAPSES, DoubleExponentialSynapse, ExponentialSynapse


class PoissonDrive(val.Parameterised):
    """An independent Poisson spike train into every neuron of a population.

    Each event arrives at its exact time inside the step and opens an
    exponential conductance of its own gate ``g_<name>``. The train is on
    during [start, stop); these times need not fall on the time grid.

    Parameters
    ----------
    rate : float or array of shape (n,)
        Rate of the train into each neuron, Hz (Compte 2000: 1800); one value
        for all neurons or one per neuron.
    weight : float
        Conductance increment per event, µS (Compte 2000: 0.0031 onto
        pyramidal cells, 0.00238 onto interneurons).
    tau : float
        Decay time constant of the gate, ms (AMPA: 2).
    E : float
        Reversal potential, mV (0).
    name : str
        Name of the gate (default ``"ext"``).
    start, stop : float
        The train is on during [start, stop), ms.
    receptor : synapse object, optional
        The gate the events enter, instead of tau, E and name: e.g.
        ``AlphaCurrentSynapse(tau=0.2, name="ex")`` for NEST's
        ``poisson_generator`` onto ``hh_psc_alpha_gap`` (weight in nA, and
        negative for an inhibitory current), an ``ExponentialCurrentSynapse``
        onto a ``CurrentBasedLIFPop`` (nA), ``DeltaSynapse`` onto it or an
        ``IzhikevichPop`` (mV), or a
        ``DoubleExponentialSynapse``.
    """

    def __init__(self, *, rate, weight, tau=2.0, E=0.0, name="ext", start=0.0,
                 stop=math.inf, receptor=None):
        owner = type(self).__name__
        rates = val.finite_array("rate", rate, owner=owner)
        if rates.ndim > 1 or (rates.size and rates.min() < 0):
            raise val.ParameterError(
                f"{owner}: rate must be a scalar or a 1-D array of rates >= 0 Hz; got "
                f"{rate!r}")
        self.rate = float(rates) if rates.ndim == 0 else rates
        current = isinstance(receptor, CURRENT_SYNAPSES)
        self.weight = (val.number if current else val.non_negative)("weight", weight,
                                                                    owner=owner)
        self.tau = val.positive("tau", tau, owner=owner)
        self.E = val.number("E", E, owner=owner)
        self.start = val.number("start", start, owner=owner)
        self.stop = val.number("stop", stop, owner=owner, allow_inf=True)
        if self.stop <= self.start:
            raise val.ParameterError(
                f"{owner}: stop={self.stop} must be after start={self.start}")
        if receptor is None:
            receptor = ExponentialSynapse(tau=self.tau, E=self.E, name=name)
        elif not isinstance(receptor, (ExponentialSynapse, DoubleExponentialSynapse,
                                       *CURRENT_SYNAPSES)):
            raise val.ParameterError(
                f"{owner}: receptor={receptor!r} must be an ExponentialSynapse, "
                "DoubleExponentialSynapse, AlphaCurrentSynapse, ExponentialCurrentSynapse "
                "or DeltaSynapse")
        self.receptor = receptor
        self.name = receptor.name

    def rates(self, population):
        """Per-neuron rates (Hz) for a population."""
        return val.per_neuron("rate", self.rate, population.n, owner=type(self).__name__)


class RingPoissonCue(PoissonDrive):
    """A Poisson cue whose rate peaks at one direction of a ring population.

    Neuron i, preferring direction theta_i, receives Poisson events at::

        rate_i = rate * exp(kappa * (cos(theta_i - theta) - 1))   Hz

    Parameters
    ----------
    rate : float
        Peak rate, at the cued direction, Hz.
    kappa : float
        Concentration (>= 0, dimensionless), as in ``RingCue``.
    theta : float
        Cued direction, rad.
    weight, tau, E, name, start, stop
        As in ``PoissonDrive`` (µS, ms, mV, gate name, ms, ms). The default
        gate is ``"cue"``, AMPA-like.
    """

    def __init__(self, *, rate, kappa, theta, weight, tau=2.0, E=0.0, name="cue", start=0.0,
                 stop=math.inf):
        owner = type(self).__name__
        if val.ndim("rate", rate, owner=owner) != 0:
            raise val.ParameterError(f"{owner}: rate must be a scalar (Hz), got {rate!r}")
        super().__init__(rate=rate, weight=weight, tau=tau, E=E, name=name, start=start,
                         stop=stop)
        self.kappa = val.non_negative("kappa", kappa, owner=owner)
        self.theta = val.number("theta", theta, owner=owner)

    def rates(self, population):
        return self.rate * ring_profile(population, self.kappa, self.theta,
                                        owner=type(self).__name__)
