"""SONATA spike files (HDF5): ``/spikes/<population>/timestamps`` (ms) and ``node_ids``.

The layout follows the SONATA data format (Dai et al. 2020), so BMTK's
analyzer and other SONATA readers open lifnet's spike files.
"""

import numpy as np

from .atomic import atomic_path


def write_spikes(path, trains):
    """Write {population name: SpikeTrains} to path atomically (temp file, then rename)."""
    import h5py

    with atomic_path(path, suffix=".h5.tmp") as tmp, h5py.File(tmp, "w") as f:
        root = f.create_group("spikes")
        for name, tr in trains.items():
            g = root.create_group(name)
            g.attrs["sorting"] = "by_time"
            ts = g.create_dataset("timestamps", data=np.asarray(tr.times, np.float64))
            ts.attrs["units"] = "ms"
            g.create_dataset("node_ids", data=np.asarray(tr.ids, np.uint64))


def read_spikes(path):
    """Read a SONATA spike file into {population: (timestamps ms, node_ids)}."""
    import h5py

    out = {}
    with h5py.File(path, "r") as f:
        for name, g in f["spikes"].items():
            out[name] = (g["timestamps"][()], g["node_ids"][()].astype(np.int64))
    return out
