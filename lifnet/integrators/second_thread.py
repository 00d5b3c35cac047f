"""A run's second thread: half of each large two-gate LIF population's step.

When numba may use two threads or more, ``Network.run`` starts one Python
thread per ``advance`` call that runs ``lif_rk2.serve_two_gates`` (compiled
without the GIL, as ``advance`` is). For each population of at least
``PARALLEL_MIN`` LIF neurons with two gates and no noise or NMDA, the step
hands it the upper half of the neurons through passes 1-3 (the quick step,
the flagged gather, the few-arrivals pass and the careful path) and does the
lower half itself. The second thread's spikes wait in a buffer of their own
until the main thread appends them after its own, in the order one thread
emits them; the delivery stays on the main thread. So the results are
bit-identical.

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

from . import layout as L
from .lif_rk2 import serve_two_gates


def wanted(asm):
    """Whether the run should start a second thread: numba may use two threads and a
    population would be split (LIF, PARALLEL_MIN cells or more, two gates, no noise,
    no NMDA: lif_rk2's fused case)."""
    if numba.get_num_threads() < 2:
        return False
    ints = asm.populations.ints
    split = ((ints[:, L.I_KIND] == L.KIND_LIF)
             & (ints[:, L.I_STOP] - ints[:, L.I_START] >= L.PARALLEL_MIN)
             & (ints[:, L.I_CHAN_STOP] - ints[:, L.I_CHAN_FIRST] == 2)
             & (asm.populations.params[:, L.P_SIGMA] == 0.0)
             & (ints[:, L.I_HAS_NMDA] == 0))
    return bool(split.any())


class SecondThread:
    """Context manager: the second thread runs while the block (one advance call) does."""

    def __init__(self, asm):
        self.asm = asm
        self.thread = None

    def __enter__(self):
        asm = self.asm
        mail = asm.mailbox
        mail[L.M_SEQ] = 0
        mail[L.M_DONE] = 0
        mail[L.M_ON] = 1
        mail[L.M_READY] = 0
        self.thread = threading.Thread(
            target=serve_two_gates, name="lifnet-second-thread", daemon=True,
            args=(mail, asm.fmailbox, asm.neurons, asm.channels, asm.arrivals,
                  asm.helper_scratch, asm.helper_spikes))
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
