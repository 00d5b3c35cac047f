"""Currents acting on populations: synapses, drives, noise, injected currents."""

from .adaptation import AdaptationCurrent
from .clamp import CurrentClamp, FlatCue, RingCue
from .gap_junctions import GapJunctions
from .neuron_synapses import Exp2Syn, ExpSyn
from .nmda import NMDA
from .noise import GaussianNoise
from .poisson_drive import PoissonDrive, RingPoissonCue
from .synapses import (
    AMPA,
    GABA,
    AlphaCurrentSynapse,
    DeltaSynapse,
    DoubleExponentialSynapse,
    ExponentialCurrentSynapse,
    ExponentialSynapse,
)

__all__ = ["AMPA", "GABA", "NMDA", "ExponentialSynapse", "DoubleExponentialSynapse",
           "AlphaCurrentSynapse", "ExponentialCurrentSynapse", "DeltaSynapse", "GapJunctions",
           "PoissonDrive", "RingPoissonCue",
           "ExpSyn", "Exp2Syn", "GaussianNoise", "CurrentClamp", "FlatCue", "RingCue",
           "AdaptationCurrent"]
