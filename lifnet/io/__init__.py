"""Files: SONATA spike output and checkpoints."""

from .checkpoint import load as load_checkpoint
from .checkpoint import save as save_checkpoint
from .sonata import read_spikes, write_report, write_spikes

__all__ = ["read_spikes", "write_spikes", "write_report", "save_checkpoint", "load_checkpoint"]
