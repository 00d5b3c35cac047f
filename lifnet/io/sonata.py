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


def write_report(path, monitor, variable):
    """Write one variable of a StateMonitor as a SONATA report, atomically.

    Layout: ``/report/<population>/data`` (samples x cells) and
    ``/report/<population>/mapping/`` with ``node_ids``, ``time``
    (start, stop, step in ms) and ``index_pointer`` / ``element_ids`` (one
    element per cell: point neurons).
    """
    import h5py

    data = monitor[variable].T
    t = monitor.t
    step = float(t[1] - t[0]) if t.size > 1 else 0.0
    name = monitor.population.name
    with atomic_path(path, suffix=".h5.tmp") as tmp, h5py.File(tmp, "w") as f:
        g = f.create_group(f"report/{name}")
        d = g.create_dataset("data", data=data.astype(np.float64))
        d.attrs["units"] = "mV" if variable == "V" else "uS"
        d.attrs["variable"] = variable
        m = g.create_group("mapping")
        m.create_dataset("node_ids", data=monitor.neurons.astype(np.uint64))
        m.create_dataset("element_ids", data=np.zeros(monitor.neurons.size, np.uint64))
        m.create_dataset("index_pointer", data=np.arange(monitor.neurons.size + 1,
                                                         dtype=np.uint64))
        time = m.create_dataset("time", data=np.array([t[0] if t.size else 0.0,
                                                      (t[-1] + step) if t.size else 0.0,
                                                      step]))
        time.attrs["units"] = "ms"


def read_spikes(path):
    """Read a SONATA spike file into {population: (timestamps ms, node_ids)}."""
    import h5py

    out = {}
    with h5py.File(path, "r") as f:
        for name, g in f["spikes"].items():
            out[name] = (g["timestamps"][()], g["node_ids"][()].astype(np.int64))
    return out
