"""SONATA output files (HDF5): spike files and frame-oriented reports.

The layout follows the SONATA developer guide (Dai et al. 2020, "The SONATA
data format for efficient description of large-scale network models"):
the root attributes ``magic`` and ``version``; spikes in
``/spikes/<population>/timestamps`` (ms) and ``node_ids`` with ``sorting`` an
HDF5 enum; reports in ``/report/<population>/data`` (float32, frames x
cells) with ``mapping/node_ids``, ``index_pointers``, ``element_ids``,
``element_pos`` and ``time``. libsonata (the reference reader) and BMTK's
analyzer read these files.
"""

import numpy as np

from .. import validation as val
from .atomic import hdf5_file

#: The SONATA magic number, stored as the root attribute ``magic``.
MAGIC = 0x0A7A
#: The SONATA format version these files conform to (major, minor).
VERSION = (0, 1)
#: Values of the spike-group attribute ``sorting``, an HDF5 enum on uint8.
SORTING = {"none": 0, "by_id": 1, "by_time": 2}


def _stamp(f):
    """Write the root attributes every SONATA HDF5 file carries."""
    f.attrs.create("magic", MAGIC, dtype=np.uint32)
    f.attrs.create("version", np.array(VERSION, np.uint32))


def write_spikes(path, trains):
    """Write spike trains as a SONATA spike file, atomically (temp file, then rename).

    Parameters
    ----------
    path : str or path-like
        File to write.
    trains : dict
        ``{population name: SpikeTrains}``; times in ms, ids the neurons' indices
        in their population (the SONATA node ids), sorted by time.
    """
    import h5py

    sorting = h5py.enum_dtype(SORTING, basetype="u1")
    with hdf5_file(path) as f:
        _stamp(f)
        root = f.create_group("spikes")
        for name, tr in trains.items():
            g = root.create_group(name)
            g.attrs.create("sorting", SORTING["by_time"], dtype=sorting)
            ts = g.create_dataset("timestamps", data=np.asarray(tr.times, np.float64))
            ts.attrs["units"] = "ms"
            g.create_dataset("node_ids", data=np.asarray(tr.ids, np.uint64))


def write_report(path, monitor, variable):
    """Write one variable of a StateMonitor as a SONATA report, atomically.

    Each recorded neuron is one element (a point neuron has one compartment):
    ``element_ids`` 0 and ``element_pos`` 0.5, the middle of the soma, as
    NEURON and BMTK number a single compartment. ``index_pointers`` is also
    linked as ``index_pointer``, the name BMTK's ``CompartmentReport`` reads.

    Parameters
    ----------
    path : str or path-like
        File to write.
    monitor : StateMonitor
        A monitor of a network that has run.
    variable : str
        One of ``monitor.variables``; its unit (``monitor.units``) becomes the
        ``units`` attribute of ``data``.
    """

    if variable not in monitor.units:
        raise val.ParameterError(
            f"write_report: variable={variable!r} is not recorded by this monitor (recorded: "
            f"{', '.join(monitor.variables)}), or the network has not run yet")
    data = monitor[variable].T.astype(np.float32)
    t = monitor.t
    step = float(monitor.period) if monitor.period is not None else (
        float(t[1] - t[0]) if t.size > 1 else 0.0)
    n = monitor.neurons.size
    name = monitor.population.name
    with hdf5_file(path) as f:
        _stamp(f)
        g = f.create_group(f"report/{name}")
        d = g.create_dataset("data", data=data, chunks=(max(1, min(data.shape[0], 1024)),
                                                        max(1, n)) if data.size else None)
        d.attrs["units"] = monitor.units[variable]
        d.attrs["variable"] = variable
        m = g.create_group("mapping")
        node_ids = m.create_dataset("node_ids", data=monitor.neurons.astype(np.uint64))
        node_ids.attrs["sorted"] = np.int8(bool(np.all(np.diff(monitor.neurons) > 0)))
        m.create_dataset("index_pointers", data=np.arange(n + 1, dtype=np.uint64))
        m["index_pointer"] = m["index_pointers"]
        m.create_dataset("element_ids", data=np.zeros(n, np.uint32))
        m.create_dataset("element_pos", data=np.full(n, 0.5, np.float32))
        start = float(t[0]) if t.size else 0.0
        time = m.create_dataset("time", data=np.array(
            [start, (float(t[-1]) + step) if t.size else start, step], np.float64))
        time.attrs["units"] = "ms"


def read_spikes(path):
    """Read a SONATA spike file.

    Parameters
    ----------
    path : str or path-like
        A SONATA spike file (``/spikes/<population>/timestamps``, ``node_ids``).

    Returns
    -------
    dict
        ``{population: (timestamps in ms, node ids as int64)}``.
    """
    import h5py

    out = {}
    with h5py.File(path, "r") as f:
        if "spikes" not in f:
            raise val.ParameterError(f"{path}: not a SONATA spike file (no /spikes group)")
        for name, g in f["spikes"].items():
            out[name] = (g["timestamps"][()], g["node_ids"][()].astype(np.int64))
    return out
