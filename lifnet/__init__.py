"""lifnet: vectorised spiking networks with second-order accurate spike times.

Units: ms, mV, nF, µS, nA; rates in Hz.
"""

__version__ = "0.1.0"

from . import analysis, models, netpyne, plotting, sonata
from .currents import (
                       AMPA,
                       GABA,
                       NMDA,
                       AdaptationCurrent,
                       AlphaCurrentSynapse,
                       CurrentClamp,
                       DeltaSynapse,
                       DoubleExponentialSynapse,
                       Exp2Syn,
                       ExponentialCurrentSynapse,
                       ExponentialSynapse,
                       ExpSyn,
                       FlatCue,
                       GapJunctions,
                       GaussianNoise,
                       PoissonDrive,
                       RingCue,
                       RingPoissonCue,
)
from .distributions import Normal
from .mechanism import CellModel, Current, Parameter, State
from .network import Network, Projection
from .populations import (
                       AdExPop,
                       ConductancePopulation,
                       CurrentBasedLIFPop,
                       HHPop,
                       InterPop,
                       InterRingPop,
                       IzhikevichPop,
                       LIFCell,
                       LIFPopulation,
                       NetStimPop,
                       NeuronHHPop,
                       PoissonPop,
                       PyrPop,
                       PyrRingPop,
                       RTMPop,
                       SpikeSourcePop,
                       TraubPop,
                       WBPop,
)
from .sweep import sweep
from .validation import ParameterError, SimulationError

__all__ = ["Network", "Projection", "LIFPopulation", "PyrPop", "InterPop", "PyrRingPop",
           "PoissonPop", "SpikeSourcePop", "ConductancePopulation", "RTMPop", "WBPop", "HHPop",
           "TraubPop", "IzhikevichPop", "DoubleExponentialSynapse", "AlphaCurrentSynapse",
           "ExponentialCurrentSynapse", "DeltaSynapse", "CurrentBasedLIFPop", "Normal",
           "GapJunctions",
           "InterRingPop", "AMPA", "GABA", "NMDA", "ExponentialSynapse", "PoissonDrive",
           "RingPoissonCue", "GaussianNoise", "CurrentClamp", "FlatCue", "RingCue", "models",
           "ParameterError", "SimulationError", "analysis", "netpyne", "plotting", "sweep",
           "AdExPop", "NeuronHHPop", "NetStimPop", "ExpSyn", "Exp2Syn", "LIFCell",
           "AdaptationCurrent", "CellModel", "Current", "Parameter", "State", "sonata",
           "__version__"]
