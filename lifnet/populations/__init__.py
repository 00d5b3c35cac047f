"""Neuron populations: state vectors of one cell type, and virtual input cells."""

from .adex import AdExPop
from .conductance import (
    ConductancePopulation,
    HHPop,
    IzhikevichPop,
    RTMPop,
    TraubPop,
    WBPop,
)
from .lif import InterPop, LIFCell, LIFPopulation, PyrPop
from .poisson import PoissonPop, SpikeSourcePop
from .ring import InterRingPop, PyrRingPop, is_ring

__all__ = ["ConductancePopulation", "RTMPop", "WBPop", "HHPop", "TraubPop", "IzhikevichPop",
           "LIFPopulation", "PyrPop", "InterPop", "PyrRingPop", "InterRingPop", "PoissonPop",
           "SpikeSourcePop", "is_ring", "AdExPop", "LIFCell"]
