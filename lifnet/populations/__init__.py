"""Neuron populations: state vectors of one cell type."""

from .lif import InterPop, LIFPopulation, PyrPop

__all__ = ["LIFPopulation", "PyrPop", "InterPop"]
