"""A run's second thread: half of each large two-gate LIF population's step.

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

from . import layout as L
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
    return ((ints[:, L.I_KIND] == L.KIND_LIF)
            & (ints[:, L.I_STOP] - ints[:, L.I_START] >= L.PARALLEL_MIN)
            & (ints[:, L.I_CHAN_STOP] - ints[:, L.I_CHAN_FIRST] == 2)
            & (asm.populations.params[:, L.P_SIGMA] == 0.0)
            & (ints[:, L.I_HAS_NMDA] == 0)
            & ~shared_onto).astype(np.int64)


def wanted(asm):
    """Whether the run should start a second thread: numba may use two threads and a
    population may be split. Notes which ones in ``asm.helper.can_split``."""
    asm.helper.can_split[:] = splittable(asm) if numba.get_num_threads() > 1 else 0
    return bool(asm.helper.can_split.any())


class SecondThread:
    """Context manager: the second thread runs while the block (one advance call) does."""

    def __init__(self, asm, k0, k1, drives):
        self.asm = asm
        self.keys = (k0, k1)
        self.drives = drives    # None where advance gets None
        self.thread = None

    def __enter__(self):
        asm = self.asm
        mail = asm.mailbox
        mail[L.M_SEQ] = 0
        mail[L.M_DONE] = 0
        mail[L.M_ON] = 1
        mail[L.M_READY] = 0
        self.thread = threading.Thread(
            target=serve, name="lifnet-second-thread", daemon=True,
            args=(mail, asm.fmailbox, asm.neurons, asm.channels, asm.helper_arrivals,
                  asm.helper_scratch, asm.helper, *self.keys, asm.populations, asm.sources,
                  asm.connections, asm.storage, asm.ring, asm.shared, self.drives))
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
