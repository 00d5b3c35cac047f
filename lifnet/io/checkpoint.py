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

A checksum (SHA-256 of the step, the time and every array saved) is checked
before anything is loaded, and a file is read whole before anything in the
network changes: a damaged or edited checkpoint is refused and leaves the
network as it was.
"""

import hashlib

import numpy as np

from .. import validation as val
from ..currents import CurrentClamp
from ..integrators import layout as L
from .atomic import hdf5_file

FORMAT = "lifnet-checkpoint"
VERSION = 4

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


def _checksum(step, t, arrays):
    """SHA-256 of the step, the time and {dataset path: array} (in path order)."""
    h = hashlib.sha256(repr((int(step), float(t))).encode())
    for name in sorted(arrays):
        arr = np.ascontiguousarray(arrays[name])
        h.update(name.encode() + str(arr.dtype).encode() + str(arr.shape).encode())
        h.update(arr.tobytes())
    return h.hexdigest()


def _datasets(group, prefix=""):
    """{path: array} of every dataset under an h5py group, read into memory."""
    import h5py

    out = {}
    for name, item in group.items():
        if isinstance(item, h5py.Dataset):
            out[prefix + name] = item[()]
        else:
            out.update(_datasets(item, f"{prefix}{name}/"))
    return out


def save(net, path):
    """Write the network's complete state to ``path`` (HDF5, atomically)."""
    net._build()
    asm = net._asm
    with hdf5_file(path) as f:
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
        f.attrs["checksum"] = _checksum(net.step, net.t, {
            **_datasets(f["state"], "state/"), **_datasets(f["recorded"], "recorded/")})


def load(net, path):
    """Restore the state saved by ``save`` into ``net``, built as the saved network was."""
    import h5py

    net._build()
    asm = net._asm

    def refuse(what):
        raise val.ParameterError(f"load_checkpoint: {path!r} {what}; nothing was loaded")

    try:
        with h5py.File(path, "r") as f:
            if f.attrs.get("format") != FORMAT:
                refuse("is not a lifnet checkpoint")
            if int(f.attrs.get("version", -1)) != VERSION:
                refuse(f"has format version {int(f.attrs.get('version', -1))}; this lifnet "
                       f"reads version {VERSION}")
            attrs = {k: f.attrs[k] for k in ("step", "t_ms", "checksum") if k in f.attrs}
            saved_fp = dict(f["fingerprint"].attrs) if "fingerprint" in f else {}
            arrays = {**(_datasets(f["state"], "state/") if "state" in f else {}),
                      **(_datasets(f["recorded"], "recorded/") if "recorded" in f else {})}
    except val.ParameterError:
        raise
    except OSError as err:
        refuse(f"cannot be read as HDF5 ({err})")
    except Exception as err:  # noqa: BLE001 -- h5py on a damaged file: any of its errors
        refuse(f"cannot be read: it was damaged ({type(err).__name__} in HDF5: {err})")
    if len(attrs) != 3:
        refuse(f"lacks {', '.join(sorted({'step', 't_ms', 'checksum'} - set(attrs)))}")
    step = attrs["step"]
    if _checksum(step, attrs["t_ms"], arrays) != attrs["checksum"]:
        refuse("does not match its checksum: it was damaged or edited after it was saved")
    differ = [g for g, digest in fingerprint(net).items() if saved_fp.get(g) != digest]
    if differ:
        refuse(f"was saved from a network that differs from this one in: {', '.join(differ)} "
               "(clock = dt, seed, interpolation, population names and sizes); build it "
               "exactly as before, with the same seed")
    saved_monitors = {name.split("/")[2] for name in arrays
                      if name.startswith("recorded/monitors/")}
    if len(saved_monitors) != len(net.monitors):
        refuse(f"holds {len(saved_monitors)} monitors; this network has {len(net.monitors)}")
    expected = [f"state/{group}/{name}" for group, fields in STATE.items() for name in fields]
    expected += [f"recorded/spikes/{pop.name}/{k}" for pop in asm.pops for k in ("times", "ids")]
    expected += [f"recorded/monitors/{k}/{x}" for k in range(len(net.monitors))
                 for x in ("t", "data")]
    missing = [name for name in expected if name not in arrays]
    if missing:
        refuse(f"lacks {', '.join(missing[:5])}")
    for group, fields in STATE.items():
        if group == "stimuli":
            continue
        for name in fields:
            target = getattr(getattr(asm, group), name)
            if arrays[f"state/{group}/{name}"].shape != target.shape:
                refuse(f"holds {group}.{name} of shape {arrays[f'state/{group}/{name}'].shape}; "
                       f"this network's is {target.shape}")

    # Everything is read and checked: only now does the network change.
    for group, fields in STATE.items():
        if group == "stimuli":
            continue
        for name in fields:
            getattr(getattr(asm, group), name)[...] = arrays[f"state/{group}/{name}"]
    stim = {name: arrays[f"state/stimuli/{name}"] for name in STATE["stimuli"]}
    asm.stimuli = type(asm.stimuli)(**stim)
    asm.clamps = [
        (int(q), CurrentClamp(amplitude=stim["amp"][o:o + asm.pops[int(q)].n],
                              start=float(a), stop=float(b)))
        for q, o, a, b in zip(stim["pop"], stim["amp_offset"], stim["start"], stim["stop"],
                              strict=True)]
    net.step = int(step)
    net.result._times.clear()
    net.result._ids.clear()
    for pop in asm.pops:
        net.result._append(pop.name, arrays[f"recorded/spikes/{pop.name}/times"],
                           arrays[f"recorded/spikes/{pop.name}/ids"])
    for k, mon in enumerate(net.monitors):
        mon._t = [arrays[f"recorded/monitors/{k}/t"]]
        mon._chunks = [arrays[f"recorded/monitors/{k}/data"]]
