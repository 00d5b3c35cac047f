"""Currents acting on populations: synapses, drives, noise, injected currents."""

from .clamp import CurrentClamp, FlatCue
from .nmda import NMDA
from .noise import GaussianNoise
from .poisson_drive import PoissonDrive
from .synapses import AMPA, GABA, ExponentialSynapse

__all__ = ["AMPA", "GABA", "NMDA", "ExponentialSynapse", "PoissonDrive", "GaussianNoise",
           "CurrentClamp", "FlatCue"]
