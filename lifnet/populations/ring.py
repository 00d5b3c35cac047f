"""Ring populations: LIF cells with a preferred direction each, for bump-attractor models.

Neuron i of a ring of n prefers the direction ``theta_i = 2 pi i / n``
(radians, evenly spaced on [0, 2 pi)), as in Compte et al. (2000). The
``ring`` connection rule and the ring cues (``RingCue``, ``RingPoissonCue``)
read these directions.
"""

import numpy as np

from .lif import InterPop, PyrPop


class RingMixin:
    """Preferred directions of a ring population."""

    @property
    def theta(self):
        """Preferred direction of each neuron, rad, ``2 pi i / n``."""
        return 2.0 * np.pi * np.arange(self.n) / self.n


class PyrRingPop(RingMixin, PyrPop):
    """Pyramidal cells on a ring, with preferred directions; parameters as ``PyrPop``."""


class InterRingPop(RingMixin, InterPop):
    """Interneurons on a ring, with preferred directions; parameters as ``InterPop``."""


def is_ring(population):
    return isinstance(population, RingMixin)
