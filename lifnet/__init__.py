"""lifnet: vectorised spiking networks with second-order accurate spike times.

Units: ms, mV, nF, µS, nA; rates in Hz.
"""

from . import models
from .currents import (
                       AMPA,
                       GABA,
                       NMDA,
                       CurrentClamp,
                       ExponentialSynapse,
                       FlatCue,
                       GaussianNoise,
                       PoissonDrive,
)
from .network import Network, Projection
from .populations import InterPop, LIFPopulation, PyrPop
from .validation import ParameterError, SimulationError

__version__ = "0.1.0"

__all__ = ["Network", "Projection", "LIFPopulation", "PyrPop", "InterPop", "AMPA", "GABA",
           "NMDA", "ExponentialSynapse", "PoissonDrive", "GaussianNoise", "CurrentClamp",
           "FlatCue", "models", "ParameterError", "SimulationError", "__version__"]
