"""Random values per synapse: weights and delays drawn from a distribution.

``Network.connect(..., weight=ln.Normal(mean=0.0878, sd=0.00878, low=0.0))``
gives each synapse of the projection its own weight, and
``delay=ln.Normal(mean=1.5, sd=0.75, low=0.1)`` its own delay, drawn from
the network's seed.
"""

import math

from scipy import special

from . import validation as val

#: A distribution is refused when less than this share of its mass lies in its bounds.
MIN_MASS = 1e-6


class Normal(val.Parameterised):
    """A normal distribution, truncated to [low, high].

    Values outside the bounds are drawn again, as NEST's
    ``nest.math.redraw(nest.random.normal(...), min=low, max=high)`` does: the
    result is the normal distribution conditioned on the bounds, with no mass
    piled up at a bound as clipping would give (``connectivity`` draws them,
    with each synapse). Potjans & Diesmann's microcircuit
    draws its weights (bounded at 0, so that none changes sign) and delays
    (bounded below by the step) this way.

    Parameters
    ----------
    mean : float
        Mean before truncation, in the unit of what is drawn (weights: µS or nA;
        delays: ms).
    sd : float
        Standard deviation before truncation, same unit (>= 0).
    low, high : float
        Bounds, same unit (default unbounded).
    resolution : float, optional
        Round each draw to the nearest multiple of this (after the bounds):
        NEST's delays, drawn and then put on its time grid, are
        ``Normal(..., low=dt / 2, resolution=dt)``.
    """

    def __init__(self, *, mean, sd, low=-math.inf, high=math.inf, resolution=None):
        owner = type(self).__name__
        self.mean = val.number("mean", mean, owner=owner)
        self.sd = val.number("sd", sd, owner=owner, low=0.0)
        self.low = val.number("low", low, owner=owner, allow_inf=True)
        self.high = val.number("high", high, owner=owner, allow_inf=True)
        self.resolution = None if resolution is None else val.positive(
            "resolution", resolution, owner=owner)
        if not self.low < self.high:
            raise val.ParameterError(f"{owner}: low={self.low} must be below high={self.high}")
        if self.sd == 0.0:
            if not self.low <= self.mean <= self.high:
                raise val.ParameterError(
                    f"{owner}: sd=0 and mean={self.mean} outside [{self.low}, {self.high}]")
        elif self.mass() < MIN_MASS:
            raise val.ParameterError(
                f"{owner}: only {self.mass():.3g} of the distribution lies in [{self.low}, "
                f"{self.high}]; at least {MIN_MASS:g} is needed (move the bounds or the mean)")

    def _cdf_bounds(self):
        a = (self.low - self.mean) / self.sd
        b = (self.high - self.mean) / self.sd
        return float(special.ndtr(a)), float(special.ndtr(b))

    def mass(self):
        """The probability of the untruncated normal to fall in [low, high]."""
        if self.sd == 0.0:
            return 1.0
        lo, hi = self._cdf_bounds()
        return hi - lo

    def params(self):
        """(mean, sd, low, high, resolution or 0) as the drawing kernel takes them."""
        return (self.mean, self.sd, self.low, self.high, self.resolution or 0.0)

    def moments(self):
        """(mean, sd) of the truncated distribution (before any rounding)."""
        if self.sd == 0.0:
            return self.mean, 0.0
        a = (self.low - self.mean) / self.sd
        b = (self.high - self.mean) / self.sd
        z = self.mass()
        mu = self.mean + self.sd * (_pdf(a) - _pdf(b)) / z
        var = self.sd ** 2 * (1 + (_xpdf(a) - _xpdf(b)) / z - ((_pdf(a) - _pdf(b)) / z) ** 2)
        return mu, math.sqrt(max(var, 0.0))


def _pdf(x):
    """The standard normal density (0 at an infinite bound)."""
    return 0.0 if math.isinf(x) else math.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


def _xpdf(x):
    return 0.0 if math.isinf(x) else x * _pdf(x)
