"""A run's second thread: half of each large two-gate or current-based LIF population's step.

When numba may use two threads or more, ``Network.run`` starts one Python
thread per ``advance`` call that runs ``run_loop.serve`` (compiled without
the GIL, as ``advance`` is). For each population of at least ``PARALLEL_MIN``
LIF neurons with two gates, no noise, no NMDA and no all-to-all projection
onto it (``splittable``), the second thread takes the upper half of the
neurons: it lists their arrivals of the step (spikes and Poisson drive) in
its own arrival list, then takes them through passes 1-3 of the step (the
quick step, the flagged gather, the few-arrivals pass and the careful path),
while the main thread does the lower half. Both visit the spikes in the
same order, so every neuron's arrival list is the one a single thread makes;
the second thread's spikes wait in a buffer of their own until the main
thread appends them after its own. So the results are bit-identical.

CurrentBasedLIFPop populations (the microcircuit's) are split the same way
for their step, but their arrivals are delivered whole by one thread or the
other (``deliverers``): with halves, both threads read every synapse of
every spike to find their own cells', so delivery, most of such a network's
step, did not divide. Each half of a step then takes the arrival lists of
the thread that delivered them; a cell's list is still the one a single
thread makes.

The threads meet through a mailbox of two small arrays (``layout.M_*`` and
``F_*``), with atomic loads and stores (``atomics``); the waiting thread spins.
Whether the split pays depends on the machine: where the two cores share a
cache, COBA runs 1.25x faster; on a virtual machine whose two cores did not,
it ran 2x slower. So ``advance`` times steps both ways now and then and keeps
the faster (``layout.PROBE_PERIOD``); the spikes are the same either way.

In a pool of processes, give each process one numba thread (``lifnet.sweep``
does): spinning threads on busy cores slow each other down.
"""

import threading
import time

import numba
import numpy as np

from ..kernel_cache import cached, compile_for
from . import layout as L
from .assemble import linear_cells
from .run_loop import serve


def splittable(asm):
    """Which populations the two threads may share (int64 0/1 per population): LIF,
    PARALLEL_MIN cells or more, two gates, no noise, no NMDA (lif_rk2's fused case),
    and no all-to-all projection onto them (whose arrivals are listed once for the
    whole population, see layout.SharedArrivals)."""
    ints = asm.populations.ints
    conns = asm.connections
    shared_onto = np.zeros(len(ints), bool)
    shared_onto[conns.post[conns.store == L.STORE_UNIFORM]] = True
    large = ints[:, L.I_STOP] - ints[:, L.I_START] >= L.PARALLEL_MIN
    two_gate_lif = ((ints[:, L.I_KIND] == L.KIND_LIF)
                    & (ints[:, L.I_CHAN_STOP] - ints[:, L.I_CHAN_FIRST] == 2)
                    & (asm.populations.params[:, L.P_SIGMA] == 0.0)
                    & (ints[:, L.I_HAS_NMDA] == 0))
    current_lif = np.array([linear_cells(pop) for pop in asm.pops])
    return ((two_gate_lif | current_lif) & large & ~shared_onto).astype(np.int64)


def wanted(asm, threads, n_steps, k0, k1, drives, srcs):
    """Whether a run of n_steps should start a second thread; notes in
    ``asm.helper.can_split`` which populations it takes half of.

    threads: 1, 2, or None for lifnet's choice: two where numba may use two
    and a population may be split, provided the second thread's kernel is
    compiled already for this network's arrays or the run is long enough to
    repay compiling it (about 10 s, once; ``COMPILE_PAYS``).
    """
    two = numba.get_num_threads() > 1 if threads is None else threads > 1
    asm.helper.can_split[:] = splittable(asm) if two else 0
    split = asm.helper.can_split.astype(bool)
    asm.helper.deliverer[:] = deliverers(asm, split)
    if not split.any():
        return False
    if threads is not None:
        return True
    ints = asm.populations.ints
    work = n_steps * int((ints[split, L.I_STOP] - ints[split, L.I_START]).sum())
    if work >= COMPILE_PAYS or cached(serve, _serve_args(asm, k0, k1, drives, srcs)):
        return True
    asm.helper.can_split[:] = 0
    return False


def deliverers(asm, split):
    """Who delivers the arrivals of each split population (``layout.DELIVER_*``).

    CurrentBasedLIFPop populations whose arrivals delivery sums go whole to one
    thread or the other, their incoming synapses balanced between the two, so
    that each spike's synapses are read by one thread: split by halves, both
    threads visited every spike's synapses to find their own cells'. Where no
    such split comes within 60:40, or for other populations, by halves.
    """
    ints = asm.populations.ints
    chans = asm.channels
    conns = asm.connections
    indptr = asm.storage.indptr
    who = np.full(len(ints), L.DELIVER_HALVES, np.int64)
    load = {}
    for p in np.flatnonzero(split):
        first, stop = ints[p, L.I_CHAN_FIRST], ints[p, L.I_CHAN_STOP]
        if not (linear_cells(asm.pops[p]) and stop > first
                and chans.summed[first]):
            continue
        onto = np.flatnonzero((conns.post == p) & (conns.store == L.STORE_CSR)
                              & (conns.kind == L.TARGET_GATE))
        n_pre = ints[conns.pre[onto], L.I_STOP] - ints[conns.pre[onto], L.I_START]
        off = conns.ptr_offset[onto]
        load[p] = int((indptr[off + n_pre] - indptr[off]).sum())
    bins = [0, 0]
    owner = {}
    for p in sorted(load, key=lambda q: -load[q]):
        k = 0 if bins[0] <= bins[1] else 1
        owner[p] = k
        bins[k] += load[p]
    if len(load) < 2 or max(bins) > 0.6 * sum(bins):
        return who
    for p, k in owner.items():
        who[p] = L.DELIVER_MAIN if k == 0 else L.DELIVER_HELPER
    return who


# Neuron-steps of the split populations from which a run repays compiling the
# second thread's kernel: ~1e10 take about 30 s on one thread (COBA's cells take
# 2.8 ns a step), where the second thread saves up to a fifth.
COMPILE_PAYS = 1e10


def _serve_args(asm, k0, k1, drives, srcs):
    custom = asm.custom if (asm.populations.ints[:, L.I_KIND] == L.KIND_CUSTOM).any() else None
    return (asm.mailbox, asm.fmailbox, asm.neurons, asm.channels, asm.helper_arrivals,
            asm.helper_scratch, asm.helper, k0, k1, asm.populations, srcs, asm.connections,
            asm.storage, asm.ring, asm.shared, drives, custom, asm.arrivals)


class SecondThread:
    """Context manager: the second thread runs while the block (one advance call) does."""

    def __init__(self, asm, k0, k1, drives, srcs):
        self.asm = asm
        self.args = _serve_args(asm, k0, k1, drives, srcs)   # drives, srcs: as advance's
        self.thread = None

    def __enter__(self):
        compile_for(serve, self.args)
        asm = self.asm
        mail = asm.mailbox
        mail[L.M_SEQ] = 0
        mail[L.M_DONE] = 0
        mail[L.M_ON] = 1
        mail[L.M_READY] = 0
        self.thread = threading.Thread(target=serve, name="lifnet-second-thread",
                                       daemon=True, args=self.args)
        self.thread.start()
        # Wait until it runs, so that its start is not timed as part of a step.
        while mail[L.M_READY] == 0 and self.thread.is_alive():
            time.sleep(0)
        return self

    def __exit__(self, *exc):
        self.asm.mailbox[L.M_SEQ] = -1
        self.thread.join()
        self.asm.mailbox[L.M_ON] = 0
        return False
