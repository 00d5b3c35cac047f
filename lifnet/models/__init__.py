"""Ready-made networks, each a function returning a Network; every parameter a keyword."""

from .coba import coba
from .cobahh import cobahh
from .compte2000 import compte2000
from .gap_junction_network import gap_junction_network
from .ping import ping
from .potjans_diesmann import potjans_diesmann
from .rtm_async import rtm_async
from .wang2002 import wang2002

MODELS = {"coba": coba, "cobahh": cobahh, "compte2000": compte2000, "wang2002": wang2002,
          "ping": ping, "rtm_async": rtm_async, "gap_junction_network": gap_junction_network,
          "potjans_diesmann": potjans_diesmann}

__all__ = ["coba", "cobahh", "compte2000", "wang2002", "ping", "rtm_async", "gap_junction_network",
           "potjans_diesmann", "MODELS"]
