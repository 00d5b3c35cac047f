"""Gaussian white-noise current."""

from .. import validation as val


class GaussianNoise(val.Parameterised):
    """A white-noise current, independent in every neuron: ``C dV = (...) dt + sigma dW``.

    Parameters
    ----------
    sigma : float
        Noise intensity, nA ms^0.5. Alone, on a membrane of time constant
        tau_m, it gives voltage fluctuations of standard deviation
        sigma / C * sqrt(tau_m / 2) mV.
    """

    def __init__(self, *, sigma):
        self.sigma = val.non_negative("sigma", sigma, owner=type(self).__name__)
