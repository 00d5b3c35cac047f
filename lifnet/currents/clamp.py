"""Injected currents: constant, or switched on and off at given times."""

import math

import numpy as np

from .. import validation as val


class CurrentClamp(val.Parameterised):
    """A current injected into every neuron of a population, on during [start, stop).

    A positive amplitude depolarises (as NEST ``I_e`` and NEURON ``IClamp``).
    Switching times need not fall on the time grid: the step that contains
    one uses the exact mean current over the step.

    Parameters
    ----------
    amplitude : float or array of shape (n,)
        Current, nA; one value for all neurons or one per neuron.
    start : float
        Time the current switches on, ms.
    stop : float
        Time it switches off, ms (``inf``: never).
    """

    def __init__(self, *, amplitude, start=0.0, stop=math.inf):
        owner = type(self).__name__
        amp = val.finite_array("amplitude", amplitude, owner=owner)
        if amp.ndim > 1:
            raise val.ParameterError(
                f"{owner}: amplitude has shape {amp.shape}; expected a scalar or a 1-D array")
        self.amplitude = float(amp) if amp.ndim == 0 else amp
        self.start = val.number("start", start, owner=owner)
        self.stop = val.number("stop", stop, owner=owner, allow_inf=True)
        if self.stop <= self.start:
            raise val.ParameterError(
                f"{owner}: stop={self.stop} must be after start={self.start}")

    def amplitudes(self, population):
        """Per-neuron amplitudes (nA) for a population."""
        return val.per_neuron("amplitude", self.amplitude, population.n,
                              owner=type(self).__name__)


class FlatCue(CurrentClamp):
    """A cue current of the same amplitude into every neuron.

    Parameters
    ----------
    amplitude : float
        Current, nA.
    start, stop : float
        On during [start, stop), ms.
    """

    def __init__(self, *, amplitude, start=0.0, stop=math.inf):
        if val.ndim("amplitude", amplitude, owner=type(self).__name__) != 0:
            raise val.ParameterError(
                f"FlatCue: amplitude must be a scalar (nA), got shape {np.shape(amplitude)}")
        super().__init__(amplitude=amplitude, start=start, stop=stop)


class RingCue(CurrentClamp):
    """A cue current peaked at one direction of a ring population.

    Neuron i, preferring direction theta_i, receives::

        I_i = amplitude * exp(kappa * (cos(theta_i - theta) - 1))

    Parameters
    ----------
    amplitude : float
        Peak current, at the cued direction, nA.
    kappa : float
        Concentration (>= 0, dimensionless): the half-maximum half-width is
        ``arccos(1 - ln 2 / kappa)``; 0 gives a flat cue.
    theta : float
        Cued direction, rad.
    start, stop : float
        On during [start, stop), ms.
    """

    def __init__(self, *, amplitude, kappa, theta, start=0.0, stop=math.inf):
        owner = type(self).__name__
        if val.ndim("amplitude", amplitude, owner=type(self).__name__) != 0:
            raise val.ParameterError(
                f"{owner}: amplitude must be a scalar (nA), got shape {np.shape(amplitude)}")
        super().__init__(amplitude=amplitude, start=start, stop=stop)
        self.kappa = val.non_negative("kappa", kappa, owner=owner)
        self.theta = val.number("theta", theta, owner=owner)

    def amplitudes(self, population):
        return self.amplitude * ring_profile(population, self.kappa, self.theta,
                                             owner=type(self).__name__)


def ring_profile(population, kappa, theta, *, owner):
    """exp(kappa (cos(theta_i - theta) - 1)) for each neuron of a ring population (one with
    preferred directions, ``theta``)."""
    if getattr(population, "theta", None) is None:
        raise val.ParameterError(
            f"{owner}: population {population.name!r} is a {type(population).__name__}, not a "
            "ring population (PyrRingPop or InterRingPop)")
    return np.exp(kappa * (np.cos(population.theta - theta) - 1.0))
