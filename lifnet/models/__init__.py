"""Ready-made networks, each a function returning a Network; every parameter a keyword."""

from .coba import coba
from .compte2000 import compte2000
from .wang2002 import wang2002

MODELS = {"coba": coba, "compte2000": compte2000, "wang2002": wang2002}

__all__ = ["coba", "compte2000", "wang2002", "MODELS"]
