"""Files: SONATA spike output."""

from .sonata import read_spikes, write_spikes

__all__ = ["read_spikes", "write_spikes"]
