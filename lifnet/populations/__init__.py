"""Neuron populations: state vectors of one cell type."""

from .lif import InterPop, LIFPopulation, PyrPop
from .ring import InterRingPop, PyrRingPop, is_ring

__all__ = ["LIFPopulation", "PyrPop", "InterPop", "PyrRingPop", "InterRingPop", "is_ring"]
