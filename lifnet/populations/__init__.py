"""Neuron populations: state vectors of one cell type, and virtual input cells."""

from .adex import AdExPop
from .conductance import ConductancePopulation
from .current_lif import CurrentBasedLIFPop
from .hh import HHPop
from .izhikevich import IzhikevichPop
from .lif import InterPop, LIFCell, LIFPopulation, PyrPop
from .netstim import NetStimPop
from .neuron_hh import NeuronHHPop
from .poisson import PoissonPop, SpikeSourcePop
from .ring import InterRingPop, PyrRingPop, is_ring
from .rtm import RTMPop
from .traub import TraubPop
from .wb import WBPop

__all__ = ["ConductancePopulation", "RTMPop", "WBPop", "HHPop", "TraubPop", "IzhikevichPop",
           "LIFPopulation", "PyrPop", "InterPop", "PyrRingPop", "InterRingPop", "PoissonPop",
           "SpikeSourcePop", "is_ring", "AdExPop", "LIFCell", "CurrentBasedLIFPop", "NeuronHHPop",
           "NetStimPop"]
