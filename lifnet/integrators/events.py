"""A step's spikes written out, and a cell's arrivals read in time order.

Shared by the run loop (virtual cells), the steps of cell models written
through ``lifnet.mechanism`` and the exact step of ``CurrentBasedLIFPop``.
"""

import math

from lifnet.kernel_cache import njit


@njit(cache=True, inline="always")
def emit_spike(i, ts, theta, slot, n, record, ring, out):
    """Put a virtual cell's spike into the delay ring (entry n of the slot) and the output."""
    ring.ids[slot, n] = i
    ring.theta[slot, n] = theta
    if record:
        k = out.count[0]
        out.ids[k] = i
        out.times[k] = ts
        out.count[0] = k + 1


@njit(cache=True, inline="always")
def sorted_arrivals(head, nxt, time):
    """Relink the arrival list that starts at head in order of time (stable: equal times
    keep their order) and return its new head: a bottom-up merge sort in place,
    O(k log k) for k arrivals, where finding each next arrival by a scan of the
    list costs O(k^2) (a cell in a synchronous volley gets hundreds in a step)."""
    width = 1
    while head >= 0:
        p = head
        head = -1
        tail = -1
        merges = 0
        while p >= 0:
            merges += 1
            q = p
            p_size = 0
            for _ in range(width):
                p_size += 1
                q = nxt[q]
                if q < 0:
                    break
            q_size = width
            while p_size > 0 or (q_size > 0 and q >= 0):
                if p_size == 0 or (q_size > 0 and q >= 0 and time[q] < time[p]):
                    e = q
                    q = nxt[q]
                    q_size -= 1
                else:
                    e = p
                    p = nxt[p]
                    p_size -= 1
                if tail >= 0:
                    nxt[tail] = e
                else:
                    head = e
                tail = e
            p = q
        nxt[tail] = -1
        if merges <= 1:
            break
        width *= 2
    return head


@njit(cache=True, inline="always")
def next_arrival(e, time, shared, p, last):
    """When the next arrival acts on a cell of population p: its next own arrival (e, in
    its list sorted by sorted_arrivals; -1 if none) or the population's next shared one
    after ``last``; inf if there is none."""
    t_next = time[e] if e >= 0 else math.inf
    for q in range(shared.count[0]):
        if shared.pop[q] == p and last < shared.time[q] < t_next:
            t_next = shared.time[q]
    return t_next
