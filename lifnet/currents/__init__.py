"""Currents acting on populations: synapses, drives, noise, injected currents."""

from .clamp import CurrentClamp, FlatCue, RingCue
from .nmda import NMDA
from .noise import GaussianNoise
from .poisson_drive import PoissonDrive, RingPoissonCue
from .synapses import AMPA, GABA, ExponentialSynapse

__all__ = ["AMPA", "GABA", "NMDA", "ExponentialSynapse", "PoissonDrive", "RingPoissonCue",
           "GaussianNoise", "CurrentClamp", "FlatCue", "RingCue"]
