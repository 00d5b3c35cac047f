"""Checkpoints: the complete state of a running network in one HDF5 file.

A checkpoint holds everything a run changes, as the layout groups declare it
(``layout``: each group's STATE): membrane potentials, refractory clocks,
injected currents, every synaptic gate (both traces of a double-exponential or
alpha synapse), the gates of conductance cells, the states of user-defined
cells and currents, the NMDA presynaptic gates, the spikes still in flight (the
delay ring), the step count (which keys every random number: Philox counters need no other
state), the current clamps added since the first run, and what has been
recorded so far (spikes and monitor samples). Loading it into a network
built the same way and running on gives the run that was never
interrupted, bit for bit.

The network's structure is not stored; a fingerprint of it is (SHA-256 of
every STRUCTURE array), and loading into a network that
differs is an error that says what differs.
"""

import hashlib

import numpy as np

from .. import validation as val
from ..currents import CurrentClamp
from ..integrators import layout as L
from .atomic import atomic_path

FORMAT = "lifnet-checkpoint"
VERSION = 3

# Arrays a run changes, and arrays that define the network (which must match between
# saving and loading), by layout group: as each group's class declares them.
STATE = {group: cls.STATE for group, cls in L.GROUPS.items() if cls.STATE}
STRUCTURE = {group: cls.STRUCTURE for group, cls in L.GROUPS.items() if cls.STRUCTURE}


def fingerprint(net):
    """SHA-256 of the network's clock, names and structure arrays, by group."""
    asm = net._asm
    parts = {"clock": repr((net.dt, net.seed, net.interpolation,
                            [(p.name, p.n) for p in asm.pops]))}
    for group, fields in STRUCTURE.items():
        h = hashlib.sha256()
        for name in fields:
            arr = np.ascontiguousarray(getattr(getattr(asm, group), name))
            h.update(name.encode() + str(arr.dtype).encode() + str(arr.shape).encode())
            h.update(arr.tobytes())
        parts[group] = h.hexdigest()
    parts["clock"] = hashlib.sha256(parts["clock"].encode()).hexdigest()
    return parts


def save(net, path):
    """Write the network's complete state to ``path`` (HDF5, atomically)."""
    import h5py

    net._build()
    asm = net._asm
    with atomic_path(path, suffix=".h5.tmp") as tmp, h5py.File(tmp, "w") as f:
        f.attrs["format"] = FORMAT
        f.attrs["version"] = VERSION
        f.attrs["step"] = net.step
        f.attrs["t_ms"] = net.t
        fp = f.create_group("fingerprint")
        for group, digest in fingerprint(net).items():
            fp.attrs[group] = digest
        state = f.create_group("state")
        for group, fields in STATE.items():
            g = state.create_group(group)
            for name in fields:
                g.create_dataset(name, data=getattr(getattr(asm, group), name))
        rec = f.create_group("recorded")
        for pop in asm.pops:
            tr = net.result.spikes(pop.name)
            g = rec.create_group(f"spikes/{pop.name}")
            g.create_dataset("times", data=tr.times)
            g.create_dataset("ids", data=tr.ids)
        for k, mon in enumerate(net.monitors):
            g = rec.create_group(f"monitors/{k}")
            g.create_dataset("t", data=mon.t)
            data = (np.concatenate(mon._chunks, axis=0) if mon._chunks else
                    np.zeros((0, len(mon.variables) * len(mon.neurons))))
            g.create_dataset("data", data=data)


def load(net, path):
    """Restore the state saved by ``save`` into ``net``, built as the saved network was."""
    import h5py

    net._build()
    asm = net._asm
    with h5py.File(path, "r") as f:
        if f.attrs.get("format") != FORMAT:
            raise val.ParameterError(f"load_checkpoint: {path!r} is not a lifnet checkpoint")
        if int(f.attrs["version"]) != VERSION:
            raise val.ParameterError(
                f"load_checkpoint: {path!r} has format version {int(f.attrs['version'])}; "
                f"this lifnet reads version {VERSION}")
        mine = fingerprint(net)
        differ = [g for g, digest in mine.items() if f["fingerprint"].attrs.get(g) != digest]
        if differ:
            raise val.ParameterError(
                f"load_checkpoint: the network differs from the one saved in {path!r} in: "
                f"{', '.join(differ)} (clock = dt, seed, interpolation, population names and "
                "sizes); build it exactly as before, with the same seed")
        if len(f["recorded/monitors"] if "recorded/monitors" in f else []) != len(net.monitors):
            raise val.ParameterError(
                f"load_checkpoint: the network has {len(net.monitors)} monitors; the saved one "
                f"had {len(f['recorded/monitors']) if 'recorded/monitors' in f else 0}")
        state = f["state"]
        for group, fields in STATE.items():
            if group == "stimuli":
                continue
            for name in fields:
                getattr(getattr(asm, group), name)[...] = state[group][name][()]
        stim = {name: state["stimuli"][name][()] for name in STATE["stimuli"]}
        asm.stimuli = type(asm.stimuli)(**stim)
        asm.clamps = [
            (int(q), CurrentClamp(amplitude=stim["amp"][o:o + asm.pops[int(q)].n],
                                  start=float(a), stop=float(b)))
            for q, o, a, b in zip(stim["pop"], stim["amp_offset"], stim["start"], stim["stop"],
                                  strict=True)]
        net.step = int(f.attrs["step"])
        net.result._times.clear()
        net.result._ids.clear()
        for pop in asm.pops:
            g = f[f"recorded/spikes/{pop.name}"]
            net.result._append(pop.name, g["times"][()], g["ids"][()])
        for k, mon in enumerate(net.monitors):
            g = f[f"recorded/monitors/{k}"]
            mon._t = [g["t"][()]]
            mon._chunks = [g["data"][()]]
