"""Neuron populations: state vectors of one cell type, and virtual input cells.

Each population class says how it is laid out for the compiled run
(``integrators.assemble``), so that the assembly needs no branch per class:

``layout_kind``
    The kernel that steps it (``layout.KIND_*``): the fused LIF step, the
    conductance-cell step, a cell model's own kernel, or virtual cells.
``receptor_kinds``
    The synapse kinds it takes (``layout.CH_*`` and ``RECEPTOR_NMDA``, each
    synapse class's ``channel_kind``); any other is refused with what it takes.
``takes_noise``
    Whether Gaussian noise acts on it.
``fill_layout_row(row)``
    Writes its row of ``layout.Populations`` (``assemble.PopulationRow``).
``initial_V(rng)``
    Its membrane potentials at t = 0, mV.

``CellModel`` (``lifnet.mechanism``) gives these for every user-defined model.
"""

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
