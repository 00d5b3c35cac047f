"""SONATA in and out: circuits (nodes, edges, configs) and output files.

``load`` builds a Network from a BMTK-style circuit or simulation config,
``run`` runs a simulation config and writes its outputs; spike files and
reports are written by ``write_spikes`` and ``write_report`` (lifnet.io).
"""

from .io.circuit import SonataError, load, read_config, run, supported_templates
from .io.sonata import read_spikes, write_report, write_spikes

__all__ = ["load", "run", "read_config", "supported_templates", "SonataError", "read_spikes",
           "write_spikes", "write_report"]
