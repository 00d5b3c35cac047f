"""Ready-made networks, each a function returning a Network; every parameter a keyword."""

from .coba import coba

MODELS = {"coba": coba}

__all__ = ["coba", "MODELS"]
