"""The compiled run loop: many steps of a whole network per call.

Order of work in one step from t to t1 = t + dt:

A. Spikes and Poisson drive events that arrive on linear gates during the
   step are listed per neuron (``Arrivals``); the LIF step sorts each list by
   time and cuts the step at the arrivals. Nothing else changes here, so a step whose list
   would overflow is abandoned, the list grown, and the step retried.
B. NMDA presynaptic gates (x, s) advance (currents.nmda.advance_sources), with
   the step's arrivals at their times (note_first_arrival, add_later_arrival).
C. The postsynaptic NMDA conductance at t1, u = W s, for every NMDA projection
   (currents.nmda.conductance).
D. Injected currents that switch on or off inside the step are noted with the
   exact step mean (``I_corr``).
E. Every LIF population takes its RK2 step and emits its spikes (lif_rk2);
   every conductance-cell population its exponential-trapezoid step
   (conductance_step).

Arrival times are exact: a spike emitted at fraction theta of step m with a
delay of D = k + phi steps arrives at fraction theta + phi of step m + k
(or of m + k + 1 when that exceeds 1).

The step kernels (here, in lif_rk2 and in conductance_step) are compiled
without numba's reference counting (``refcount=False``, kernel_cache.njit):
they allocate nothing and keep no array past the call, and with it every call
pays an atomic increment and decrement for each array of its NamedTuple
arguments, about 1.3 µs a step (a tenth of the COBA benchmark's run). numba
refuses to compile an allocation in such a kernel, so a new one cannot slip in
unnoticed; the one kernel that allocates (the NMDA FFT, currents.nmda) says
``refcount=True``.
"""

import math

import numpy as np

from ..currents import nmda
from ..kernel_cache import njit
from . import current_lif_step
from .atomics import cycle_counter, store_release, wait_for, wait_while
from .cache_hints import prefetch_item
from .conductance_step import add_arrival, step_conductance_population, unit_arrival
from .events import emit_spike
from .layout import (
    DELIVER_HALVES,
    DELIVER_HELPER,
    F_DT,
    H_C,
    I_CHAN_FIRST,
    I_CHAN_STOP,
    I_KIND,
    I_MAX_SPIKES,
    I_RECORD,
    I_START,
    I_STOP,
    KIND_CONDUCTANCE,
    KIND_CUSTOM,
    KIND_LIF,
    KIND_POISSON,
    KIND_SPIKES,
    M_CYCLES_WITH,
    M_CYCLES_WITHOUT,
    M_DIVERGED,
    M_DONE,
    M_FULL,
    M_ON,
    M_READY,
    M_SEQ,
    M_START,
    M_STEP,
    M_TASK,
    M_USE,
    PROBE_BLOCK,
    PROBE_CELL_GATE,
    PROBE_CUSTOM,
    PROBE_GATE,
    PROBE_PERIOD,
    PROBE_STEPS,
    PROBE_V,
    STATUS_ARRIVALS_FULL,
    STATUS_DONE,
    STATUS_SPIKES_FULL,
    STORE_CSR,
    STORE_DENSE,
    STORE_UNIFORM,
    TARGET_GATE,
    TARGET_NMDA_SOURCE,
    TASK_CUSTOM_HALF,
    TASK_DELIVER,
)
from .lif_rk2 import step_lif_population, step_upper_half
from .linear_gates import summed_arrival
from .philox import open_unit, philox4x32

NMDA_LATE = -1  # second visit of NMDA sources in a step (see _deliver)
MAX_EVENTS_PER_STEP = 10000  # Poisson events per neuron and step; caps the inversion loop


@njit(cache=True, inline="always")
def _push_arrival(i, channel, w, t_arrive, head, nxt, time, chan, weight, count):
    """Put an arrival at the front of neuron i's list; False if the list is full.

    The LIF step sorts each neuron's few arrivals by time when it uses them.
    This helper must stay loop-free and take arrays, not their NamedTuple:
    numba keeps reference counting (atomic operations) around an inlined call
    whose body loops, and reading a NamedTuple field takes a reference too;
    either costs more than the whole insertion, once per synaptic event.
    """
    e = count[0]
    if e == time.shape[0]:
        return False
    count[0] = e + 1
    time[e] = t_arrive
    chan[e] = channel
    weight[e] = w
    nxt[e] = head[i]
    head[i] = e
    return True


@njit(cache=True, inline="always")
def _listed(summed, listing, listed):
    """Whether delivery lists an arrival: always onto channels it does not sum; onto
    summed ones, for a cell listed in advance (first pass) or after its sums (second)."""
    if not summed:
        return True
    return listed == 2 if listing else listed == 1


@njit(cache=True, inline="always")
def _sum_arrival(chans, i, o, w, factors):
    """Add an arrival of weight w on cell i (gate o + i) to the step's sums of a linear
    cell: factors from linear_gates.summed_arrival."""
    fg, fV, fup = factors
    chans.r[o + i] += w * fg
    chans.v_in[i] += w * fV
    if w > 0.0:
        chans.v_up[i] += w * fup


@njit(cache=True, inline="always")
def _prefetch_group(far, near, stop, ids, pre_start, g_lag, n_groups, groups, first_synapse,
                    indices, weights):
    """Ask for the delay-group entry of ring entry ``far`` and for the synapses of entry
    ``near`` (whose entry the turn before asked for), at the lag whose entries are
    ``g_lag + row * n_groups``: each spike's synapses lie elsewhere, and the core
    does not look far enough ahead to fetch them while it delivers the last."""
    if far < stop:
        prefetch_item(groups, g_lag + (ids[far] - pre_start) * n_groups)
    q = first_synapse + groups[g_lag + (ids[near] - pre_start) * n_groups]
    prefetch_item(indices, q)
    prefetch_item(weights, q)


@njit(cache=True, inline="always")
def _clear_sums(pops, chans):
    """Forget the step's sums onto linear cells (the step is delivered again)."""
    chans.v_in[:] = 0.0
    chans.v_up[:] = 0.0
    for c in range(chans.summed.shape[0]):
        if chans.summed[c] != 0:
            p = chans.pop[c]
            n = pops.ints[p, I_STOP] - pops.ints[p, I_START]
            chans.r[chans.offset[c]:chans.offset[c] + n] = 0.0


@njit(cache=True, inline="always")
def _summed_factors(chans, c, a, dt):
    """linear_gates.summed_arrival for channel c and an arrival at fraction a of the step."""
    return summed_arrival(chans.kind[c], (1.0 - a) * dt, chans.tau[c], chans.cell_rate[c],
                          chans.cell_inv_C[c])


@njit(cache=True, inline="always")
def _deliver_to_cells(c, row, L, dt, post, post_start, target, sc, chans, conns, store, cells,
                      V):
    """A spike of presynaptic row ``row`` through connection c, L ms before the step's
    end, onto conductance cells: its jumps and what the stages miss of it, summed
    per gate and per cell (conductance_step takes them at the step)."""
    kind = chans.kind[target]
    jg, jr, miss, moment = unit_arrival(kind, L, chans.tau[target], chans.tau_rise[target],
                                        chans.peak[target], dt)
    inv_C = 1.0 / cells.params[post, H_C]
    Ec = chans.E[target]
    o = chans.offset[target] - post_start
    g_in, r_in, corr_in, moment_in = cells.g_in, cells.r_in, cells.corr_in, cells.moment_in
    delta_in = cells.delta_in
    if conns.store[c] == STORE_CSR:
        indptr, indices, weights = store.indptr, store.indices, store.weights
        p0 = conns.ptr_offset[c] + row
        for q in range(indptr[p0], indptr[p0 + 1]):
            u = np.uint64(q)    # see "Unsigned indices" in conductance_step
            i = post_start + indices[u]
            w = sc * weights[u]
            add_arrival(i, o + i, w, jg, jr, miss, moment, kind, Ec, inv_C, V, g_in, r_in,
                        corr_in, moment_in, delta_in)
    else:
        dense = store.dense
        n_post = conns.n_post[c]
        d0 = conns.ptr_offset[c] + row * n_post
        for li in range(n_post):
            w = sc * dense[d0 + li]
            if w == 0.0:
                continue
            i = post_start + li
            add_arrival(i, o + i, w, jg, jr, miss, moment, kind, Ec, inv_C, V, g_in, r_in,
                        corr_in, moment_in, delta_in)


@njit(cache=True, refcount=False)
def _deliver(kind_wanted, step, t, dt, pops, chans, srcs, conns, store, ring, arrivals, shared,
             split_mid, upper, cells, V, custom, listing):
    """Deliver the spikes arriving during the step; False if the arrival list overflowed.

    Spikes onto conductance cells through synapses that share the spike's
    delay go straight into the cells' per-step sums (``cells.g_in`` ...; see
    conductance_step): their effect is linear in the weight, so the unit
    effect of an arrival is computed once per spike and projection, and no
    arrival is listed. ``V`` is the membrane potential at t (the step has not
    moved it yet). ``cells`` is None without conductance cells.

    Arrivals onto linear cells (CurrentBasedLIFPop, summed channels) are summed
    per cell (``_sum_arrival``), and listed only for the few cells whose step
    may take them one by one (``chans.listed`` 1: near threshold before the
    step, current_lif_step.premark_cells). Where the sums then show another
    such cell (``listed`` 2, check_cells), a second call, ``listing`` True,
    visits the same spikes in the same order and lists its arrivals, and does
    nothing else. ``custom`` is None in a network without such cells or other
    user-defined ones, and then neither the sums nor the second pass are
    compiled.

    NMDA sources are visited twice: before their advance (``kind_wanted ==
    TARGET_NMDA_SOURCE``, noting the first arrival of each) and after it
    (``NMDA_LATE``, adding any further arrival).

    Population q's neurons from ``split_mid[q]`` on are the second thread's this
    step: it delivers to them (``upper``) into its own arrival list, and the main
    thread to all others. Each thread visits the spikes in the same order, so
    every neuron's list is the one a single thread makes.
    """
    # Arrays out of their NamedTuples once, not per event (see _push_arrival).
    head, nxt, time, chan, weight, count = arrivals
    indptr, indices, weights, dense = store.indptr, store.indices, store.weights, store.dense
    kernel = store.kernel
    syn_delay, groups = store.syn_delay, store.delay_groups
    ring_ids, ring_theta, pop_stop = ring.ids, ring.theta, ring.pop_stop
    slots = ring_ids.shape[0]
    for c in range(conns.pre.shape[0]):
        if conns.kind[c] != (TARGET_NMDA_SOURCE if kind_wanted == NMDA_LATE else kind_wanted):
            continue
        post = conns.post[c]
        split_at = split_mid[post]
        if split_at == (pops.ints[post, I_STOP] if upper else pops.ints[post, I_START]):
            continue
        pre = conns.pre[c]
        pre_start = pops.ints[pre, I_START]
        post_start = pops.ints[post, I_START]
        target = conns.target[c]
        phi = conns.delay_frac[c]
        per_synapse = conns.per_synapse[c] != 0
        sc = conns.scale[c]
        k_min = conns.delay_steps_min[c]
        summed = (custom is not None and kind_wanted == TARGET_GATE
                  and chans.summed[target] != 0)
        g0 = conns.group_offset[c]
        first_synapse = indptr[conns.ptr_offset[c]] if g0 >= 0 else 0
        n_groups = conns.delay_steps[c] - k_min + 2
        if listing and (not summed or conns.store[c] == STORE_UNIFORM):
            continue
        o_sum = chans.offset[target] - post_start
        direct = (cells is not None and pops.ints[post, I_KIND] == KIND_CONDUCTANCE
                  and not per_synapse
                  and (conns.store[c] == STORE_CSR or conns.store[c] == STORE_DENSE))
        # Spikes emitted k_min ... k_max + 1 steps ago may arrive now (k_min = k_max
        # unless the synapses have delays of their own).
        for late in range(conns.delay_steps[c] - k_min + 2):
            m = step - k_min - late
            if m < 0:
                continue
            slot = m % slots
            first = pop_stop[slot, pre - 1] if pre > 0 else 0
            stop = pop_stop[slot, pre]
            for e in range(first, stop):
                if g0 >= 0 and e + 1 < stop and late < n_groups - 1:
                    _prefetch_group(e + 2, e + 1, stop, ring_ids[slot], pre_start, g0 + late,
                                    n_groups, groups, first_synapse, indices, weights)
                theta = ring_theta[slot, e]
                a = theta + phi - late
                if not per_synapse and (a < 0.0 or a >= 1.0):
                    continue
                t_arrive = t + a * dt
                row = ring_ids[slot, e] - pre_start
                if kind_wanted == TARGET_NMDA_SOURCE:
                    if srcs is not None:
                        nmda.note_first_arrival(srcs, target, row, t_arrive)
                    continue
                if kind_wanted == NMDA_LATE:
                    if srcs is not None:
                        nmda.add_later_arrival(srcs, target, row, t_arrive, a, dt)
                    continue
                if direct:
                    # (direct implies cells; the test lets numba versions that do not see
                    # through direct drop the call where cells is None)
                    if cells is not None:
                        _deliver_to_cells(c, row, t + dt - t_arrive, dt, post, post_start,
                                          target, sc, chans, conns, store, cells, V)
                elif conns.store[c] == STORE_CSR and per_synapse:
                    # Synapses of delay d (steps) arrive at fraction theta + d - back of
                    # this step: those with d in [back - theta, back - theta + 1), in the
                    # row, which is sorted by d. Whole-step delays: those of d = back,
                    # from the row's table; others found by bisection.
                    low = (k_min + late) - theta
                    p0 = conns.ptr_offset[c] + row
                    a_whole = -1.0
                    if g0 >= 0:
                        d = math.ceil(low)     # (k_min + late, unless theta rounds away)
                        if d < k_min or d - k_min >= n_groups - 1:
                            continue
                        g = g0 + row * n_groups + (d - k_min)
                        q_lo = first_synapse + groups[g]
                        q_hi = first_synapse + groups[g + 1]
                        a_whole = d - low
                    else:
                        q_lo, q_hi = indptr[p0], indptr[p0 + 1]
                        while q_lo < q_hi:
                            mid = (q_lo + q_hi) // 2
                            if syn_delay[mid] < low:
                                q_lo = mid + 1
                            else:
                                q_hi = mid
                        q_hi = indptr[p0 + 1]
                    a_known = -1.0
                    factors = (0.0, 0.0, 0.0)
                    for q in range(q_lo, q_hi):
                        aq = a_whole if a_whole >= 0.0 else syn_delay[q] - low
                        if aq >= 1.0:
                            break
                        i = post_start + indices[q]
                        if (i >= split_at) != upper:
                            continue
                        w = sc * weights[q]
                        if summed and not listing:
                            if aq != a_known:   # (one value for delays on the grid)
                                factors = _summed_factors(chans, target, aq, dt)
                                a_known = aq
                            _sum_arrival(chans, i, o_sum, w, factors)
                        if _listed(summed, listing, chans.listed[i]) and not _push_arrival(
                                i, target, w, t + aq * dt, head, nxt, time, chan, weight,
                                count):
                            return False
                elif conns.store[c] == STORE_CSR:
                    p0 = conns.ptr_offset[c] + row
                    factors = _summed_factors(chans, target, a, dt) if (
                        summed and not listing) else (0.0, 0.0, 0.0)
                    for q in range(indptr[p0], indptr[p0 + 1]):
                        i = post_start + indices[q]
                        if (i >= split_at) != upper:
                            continue
                        w = sc * weights[q]
                        if summed and not listing:
                            _sum_arrival(chans, i, o_sum, w, factors)
                        if _listed(summed, listing, chans.listed[i]) and not _push_arrival(
                                i, target, w, t_arrive, head, nxt, time, chan, weight, count):
                            return False
                elif conns.store[c] == STORE_DENSE:
                    n_post = conns.n_post[c]
                    d0 = conns.ptr_offset[c] + row * n_post
                    factors = _summed_factors(chans, target, a, dt) if (
                        summed and not listing) else (0.0, 0.0, 0.0)
                    for li in range(n_post):
                        w = sc * dense[d0 + li]
                        i = post_start + li
                        if w == 0.0 or (i >= split_at) != upper:
                            continue
                        if summed and not listing:
                            _sum_arrival(chans, i, o_sum, w, factors)
                        if _listed(summed, listing, chans.listed[i]) and not _push_arrival(
                                i, target, w, t_arrive, head, nxt, time, chan, weight, count):
                            return False
                elif conns.store[c] == STORE_UNIFORM:
                    # Listed once for the whole population (see SharedArrivals); a
                    # neuron that must not receive it (no autapse) gets -w in its own list.
                    w = sc * kernel[conns.ptr_offset[c]]
                    n = shared.count[0]
                    shared.pop[n] = conns.post[c]
                    shared.time[n] = t_arrive
                    shared.channel[n] = target
                    shared.weight[n] = w
                    shared.count[0] = n + 1
                    if kernel[conns.ptr_offset[c] + 1] != 0.0 and not _push_arrival(
                            post_start + row, target, -w, t_arrive, head, nxt, time, chan,
                            weight, count):
                        return False
                else:
                    # Circulant: post li gets kernel[(li - row) mod n].
                    n_post = conns.n_post[c]
                    k0 = conns.ptr_offset[c]
                    for li in range(n_post):
                        off = li - row if li >= row else li - row + n_post
                        w = sc * kernel[k0 + off]
                        i = post_start + li
                        if w != 0.0 and (i >= split_at) == upper and not _push_arrival(
                                i, target, w, t_arrive, head, nxt, time, chan, weight, count):
                            return False
    return True


@njit(cache=True, inline="always")
def _in_step(t, dt, x):
    """Whether time x falls in the step (t, t + dt]."""
    return t < x <= t + dt


@njit(cache=True, refcount=False)
def _note_switching(t, dt, pops, stims):
    """pops.switching: 1 for the populations whose injected current switches in the step."""
    pops.switching[:] = 0
    for s in range(stims.pop.shape[0]):
        if _in_step(t, dt, stims.start[s]) or _in_step(t, dt, stims.stop[s]):
            pops.switching[stims.pop[s]] = 1


@njit(cache=True, refcount=False)
def _switch_currents(t, dt, pops, neurons, stims):
    """The step's switches of injected currents, with their exact step means (``I_corr``)."""
    for s in range(stims.pop.shape[0]):
        on = _in_step(t, dt, stims.start[s])
        off = _in_step(t, dt, stims.stop[s])
        if not (on or off):
            continue
        p = stims.pop[s]
        start = pops.ints[p, I_START]
        a0 = stims.amp_offset[s]
        th_on = (stims.start[s] - t) / dt
        th_off = (stims.stop[s] - t) / dt
        for li in range(pops.ints[p, I_STOP] - start):
            amp = stims.amp[a0 + li]
            if on:
                neurons.dI[start + li] += amp
                neurons.I_corr[start + li] += amp * (0.5 - th_on)
            if off:
                neurons.dI[start + li] -= amp
                neurons.I_corr[start + li] += amp * (th_off - 0.5)


@njit(cache=True, inline="always")
def _window(t, dt, start, stop):
    """The part [a, b) of the step [t, t + dt) inside [start, stop); whole: all of it."""
    t1 = t + dt
    a = max(t, start)
    b = min(t1, stop)
    return a, b, a == t and b == t1


@njit(cache=True, inline="always")
def _poisson_count(li, step, stream, lam, p_none, whole, fraction, cap, k0, k1):
    """Events of one cell in one step (or the fraction of it a window covers), by inversion.

    Counter-based: block 0 of (li, step, stream) draws the count; block e + 1
    draws the time of event e (``_event_fraction``).
    """
    if not whole:
        lam *= fraction
        p_none = math.exp(-lam)
    r0, r1, _, _ = philox4x32(li, step, stream, 0, k0, k1)
    u = open_unit(r0, r1)
    if u <= p_none:
        return 0
    n_events = 1
    prob = p_none * lam
    cdf = p_none + prob
    while u > cdf and n_events < cap:
        n_events += 1
        prob *= lam / n_events
        cdf += prob
    return n_events


@njit(cache=True, inline="always")
def _event_fraction(li, step, stream, e, k0, k1):
    """Where event e of a cell falls in its window, in (0, 1)."""
    r0, r1, _, _ = philox4x32(li, step, stream, e + 1, k0, k1)
    return open_unit(r0, r1)


@njit(cache=True, refcount=False)
def _poisson_drives(step, t, dt, k0, k1, pops, chans, drives, arrivals, split_mid, upper,
                    custom, listing):
    """List the step's Poisson drive events; False if the arrival list overflowed.

    A drive that switches on or off inside the step has its events drawn on
    the part of the step where it is on. ``split_mid`` and ``upper``: which
    neurons are this thread's; ``listing``: as in ``_deliver`` (events onto
    summed channels are summed by the first call, listed by the second for the
    cells that take them one by one; counter-based draws give both the same).
    """
    head, nxt, time, chan, weight, count = arrivals
    for d in range(drives.channel.shape[0]):
        a, b, whole = _window(t, dt, drives.start[d], drives.stop[d])
        if b <= a:
            continue
        c = drives.channel[d]
        summed = custom is not None and chans.summed[c] != 0
        if listing and not summed:
            continue
        p = chans.pop[c]
        start = pops.ints[p, I_START]
        w = drives.weight[d]
        stream = drives.stream[d]
        off = drives.lam_offset[d]
        fraction = (b - a) / dt
        mid = split_mid[p] - start
        for li in range(mid if upper else 0, pops.ints[p, I_STOP] - start if upper else mid):
            if listing and chans.listed[start + li] != 2:
                continue
            n_events = _poisson_count(li, step, stream, drives.lam[off + li],
                                      drives.p_none[off + li], whole, fraction,
                                      MAX_EVENTS_PER_STEP, k0, k1)
            for e in range(n_events):
                ts = a + _event_fraction(li, step, stream, e, k0, k1) * (b - a)
                if summed and not listing:
                    _sum_arrival(chans, start + li, chans.offset[c] - start, w,
                                 _summed_factors(chans, c, (ts - t) / dt, dt))
                if _listed(summed, listing, chans.listed[start + li]) and not _push_arrival(
                        start + li, c, w, ts, head, nxt, time, chan, weight, count):
                    return False
    return True


@njit(cache=True, refcount=False)
def _emit_poisson(p, step, t, dt, k0, k1, pops, virtual, ring, out):
    """Spikes of virtual Poisson population p in this step, at exact times, into the ring."""
    slot = step % ring.ids.shape[0]
    first = ring.pop_stop[slot, p - 1] if p > 0 else 0
    start = pops.ints[p, I_START]
    n_cells = pops.ints[p, I_STOP] - start
    budget = first + n_cells * pops.ints[p, I_MAX_SPIKES]
    cap = pops.ints[p, I_MAX_SPIKES] // 2
    record = pops.ints[p, I_RECORD] != 0
    n_ring = first
    for w in range(virtual.pop.shape[0]):
        if virtual.pop[w] != p:
            continue
        a, b, whole = _window(t, dt, virtual.start[w], virtual.stop[w])
        if b <= a:
            continue
        off = virtual.lam_offset[w]
        stream = virtual.stream[w]
        fraction = (b - a) / dt
        for li in range(n_cells):
            n_events = _poisson_count(li, step, stream, virtual.lam[off + li],
                                      virtual.p_none[off + li], whole, fraction, cap, k0, k1)
            for e in range(n_events):
                if n_ring == budget:
                    break
                ts = a + _event_fraction(li, step, stream, e, k0, k1) * (b - a)
                emit_spike(start + li, ts, (ts - t) / dt, slot, n_ring, record, ring, out)
                n_ring += 1
    ring.pop_stop[slot, p] = n_ring


@njit(cache=True, refcount=False)
def _emit_listed(p, step, t, dt, pops, lists, ring, out):
    """Given spikes of population p that fall in this step, into the ring."""
    slot = step % ring.ids.shape[0]
    n_ring = ring.pop_stop[slot, p - 1] if p > 0 else 0
    start = pops.ints[p, I_START]
    record = pops.ints[p, I_RECORD] != 0
    t1 = t + dt
    for k in range(lists.pop.shape[0]):
        if lists.pop[k] != p:
            continue
        c = lists.cursor[k]
        while c < lists.stop[k] and lists.times[c] < t1:
            # A time a rounding error below t (t1 of the last step is not always
            # exactly this t) counts at the start of this step.
            ts = lists.times[c]
            emit_spike(start + lists.ids[c], ts, max(0.0, (ts - t) / dt), slot, n_ring,
                        record, ring, out)
            n_ring += 1
            c += 1
        lists.cursor[k] = c
    ring.pop_stop[slot, p] = n_ring


@njit(cache=True, refcount=False)
def step_custom_populations(p, step, t, dt, interp, pops, neurons, chans, arrivals, shared,
                            custom, ring, out, status, helper):
    """Populations of user-defined cell models: in the run loops that custom_cells
    generates for them, their kernels; here, where advance gets no ``custom``, never
    called."""
    return True


@njit(cache=True, refcount=False)
def _sample(step, neurons, chans, cells, custom, probes):
    V, g, nmda_u = neurons.V, chans.g, neurons.nmda_u[step & 1]
    n_all = V.shape[0]
    kinds, index, out = probes.kind, probes.index, probes.out
    for m in range(probes.monitor_interval.shape[0]):
        if step % probes.monitor_interval[m] != 0:
            continue
        first = probes.monitor_first[m]
        width = probes.monitor_stop[m] - first
        row = probes.out_rows[m]
        base = probes.out_offset[m] + row * width
        for q in range(width):
            kind = kinds[first + q]
            idx = index[first + q]
            if kind == PROBE_V:
                out[base + q] = V[idx]
            elif kind == PROBE_GATE:
                out[base + q] = g[idx]
            elif kind == PROBE_CELL_GATE:
                if cells is not None:
                    out[base + q] = cells.x[idx // n_all, idx % n_all]
            elif kind == PROBE_CUSTOM:
                if custom is not None:
                    out[base + q] = custom.x[idx]
            else:
                out[base + q] = nmda_u[idx]
        probes.out_rows[m] = row + 1


@njit(cache=True, refcount=False)
def _shared_sums(t, dt, pops, chans, shared):
    """Per channel, the step's shared jumps at t + dt and their in-step corrections.

    Returns the number of pushes the careful path may need (one per shared
    arrival and neuron of its population).
    """
    shared.jump[:] = 0.0
    shared.corr_p[:] = 0.0
    shared.corr_q[:] = 0.0
    shared.corr_r[:] = 0.0
    pushes = 0
    for k in range(shared.count[0]):
        c = shared.channel[k]
        tau = chans.tau[c]
        ta = shared.time[k]
        L = t + dt - ta
        x = L / tau
        e = math.exp(-x)
        w = shared.weight[k]
        i0 = tau * (1.0 - e)                        # int phi
        # tau^2 (1 - e (1 + x)), by its series where the difference would cancel.
        if x < 1e-2:
            i2 = tau * tau * x * x * (0.5 - x * (1.0 / 3.0 - x * (0.125 - x / 30.0)))
        else:
            i2 = tau * tau * (1.0 - e * (1.0 + x))
        shared.jump[c] += w * e
        shared.corr_p[c] += w * (i0 - 0.5 * dt * e) / dt
        shared.corr_q[c] += w * (L * i0 - i2) / dt          # int phi (t1 - s)
        shared.corr_r[c] += w * (i2 + (ta - t) * i0 - 0.5 * dt * dt * e) / dt
        p = shared.pop[k]
        pushes += pops.ints[p, I_STOP] - pops.ints[p, I_START]
    return pushes


@njit(cache=True, nogil=True, refcount=False)
def _linear_cells(after, upper, t, dt, pops, neurons, chans, shared, custom, split_mid):
    """For this thread's cells (``upper``: the second thread's) of every population whose
    arrivals delivery sums: current_lif_step.premark_cells before delivery, check_cells
    after it (``after``); returns how many cells check_cells left to a second delivery."""
    missed = 0
    for p in range(pops.ints.shape[0]):
        first, stop_c = pops.ints[p, I_CHAN_FIRST], pops.ints[p, I_CHAN_STOP]
        if pops.ints[p, I_KIND] != KIND_CUSTOM or stop_c == first or chans.summed[first] == 0:
            continue
        start, stop, mid = pops.ints[p, I_START], pops.ints[p, I_STOP], split_mid[p]
        if upper and mid == stop:
            continue
        lo, hi = (mid, stop) if upper else (start, mid)
        if lo == hi:
            continue
        if after:
            missed += current_lif_step.check_cells(p, lo, hi, pops, chans, shared, custom)
        else:
            current_lif_step.premark_cells(p, lo, hi, t, dt, pops, neurons, chans, custom,
                                           1 if upper else 0)
    return missed


@njit(cache=True, inline="always")
def _deliver_step(upper, step, t, dt, k0, k1, pops, neurons, chans, srcs, conns, store, ring,
                  arrivals, shared, drives, split_mid, cells, custom):
    """The step's arrivals onto this thread's cells (``upper``: the second thread's):
    summed and listed (_deliver, _poisson_drives), with the bounds of linear cells
    before and after (_linear_cells) and a second delivery for the cells those missed;
    False if the arrival list overflowed."""
    if custom is not None:
        _linear_cells(False, upper, t, dt, pops, neurons, chans, shared, custom, split_mid)
    ok = (_deliver(TARGET_GATE, step, t, dt, pops, chans, srcs, conns, store, ring, arrivals,
                   shared, split_mid, upper, cells, neurons.V, custom, False)
          and _poisson_drives(step, t, dt, k0, k1, pops, chans, drives, arrivals, split_mid,
                              upper, custom, False))
    if ok and custom is not None and _linear_cells(True, upper, t, dt, pops, neurons, chans,
                                                   shared, custom, split_mid) > 0:
        ok = (_deliver(TARGET_GATE, step, t, dt, pops, chans, srcs, conns, store, ring,
                       arrivals, shared, split_mid, upper, cells, neurons.V, custom, True)
              and _poisson_drives(step, t, dt, k0, k1, pops, chans, drives, arrivals,
                                  split_mid, upper, custom, True))
    return ok


@njit(cache=True, inline="always")
def _split_populations(use, pops, buffers):
    """Choose the populations the second thread takes half of this step (all that may
    be split, if ``use``): set ``buffers.split_mid``, and ``deliver_mid`` (whose
    arrivals it delivers: its half's, or all or none of them, ``deliverer``);
    return whether there is one."""
    any_split = False
    for p in range(pops.ints.shape[0]):
        start, stop = pops.ints[p, I_START], pops.ints[p, I_STOP]
        split = use and buffers.can_split[p] != 0
        mid = start + (stop - start) // 2 if split else stop
        buffers.split_mid[p] = mid
        who = buffers.deliverer[p]
        buffers.deliver_mid[p] = (mid if not split or who == DELIVER_HALVES else
                                  start if who == DELIVER_HELPER else stop)
        any_split |= split
    return any_split


@njit(cache=True, nogil=True, refcount=False)
def serve(mail, fmail, neurons, chans, arrivals, scratch, buffers, k0, k1, pops, srcs, conns,
          store, ring, shared, drives, custom, main_arrivals):
    """The second thread of a run (second_thread): wait for a task, do it, report
    (M_DONE), wait again; return when M_SEQ turns negative.

    Tasks: the delivery of a step's arrivals to the neurons it will step, into
    its own arrival list (``arrivals``; M_FULL 1 if it overflowed), and its half
    of a population step (lif_rk2.step_upper_half). Spins while it waits
    (atomics.wait_while): the handover costs 0.1 µs, where sleeping would cost
    tens of microseconds a step. Compiled without the GIL, so that it runs
    beside advance (which releases it too).
    """
    seen = 0      # second_thread starts every run's count at 0
    store_release(mail, M_READY, 1)
    while True:
        seq = wait_while(mail, M_SEQ, seen)
        if seq < 0:
            return
        seen = seq
        if mail[M_TASK] == TASK_DELIVER:
            step = mail[M_STEP]
            dt = fmail[F_DT]
            t = step * dt
            arrivals.count[0] = 0
            ok = _deliver_step(True, step, t, dt, k0, k1, pops, neurons, chans, srcs, conns,
                               store, ring, arrivals, shared, drives, buffers.deliver_mid,
                               None, custom)
            mail[M_FULL] = 0 if ok else 1
        elif mail[M_TASK] == TASK_CUSTOM_HALF:
            # The upper part of a CurrentBasedLIFPop population (current_lif_step), with
            # the arrival lists of the thread that delivered them.
            if custom is not None:
                p = mail[M_START]
                step = mail[M_STEP]
                dt = fmail[F_DT]
                buffers.count[0] = 0
                stop = pops.ints[p, I_STOP]
                listed = main_arrivals if buffers.deliver_mid[p] == stop else arrivals
                diverged, _ = current_lif_step.step_cells(
                    p, buffers.split_mid[p], stop, step, step * dt, dt, pops, neurons, chans,
                    listed, shared, custom, ring, buffers, buffers, 0)
                mail[M_DIVERGED] = diverged
        else:
            step_upper_half(mail, fmail, neurons, chans, arrivals, scratch, buffers)
        store_release(mail, M_DONE, seq)


@njit(cache=True, nogil=True, refcount=False)
def advance(step0, n_steps, dt, interp, k0, k1, pops, neurons, chans, stims, drives, srcs,
            conns, nproj, store, ring, arrivals, shared, virtual, lists, out, probes, status,
            scratch, lif_extras, cells, stages, helper, custom):
    """Run up to n_steps steps from step0; return the number of steps done.

    Stops early, with ``status.code`` set, when the spike output buffer could
    overflow in the next step or the arrival list overflows (the caller makes
    room and calls again; the step is not half done), or when a membrane
    potential diverges.

    ``scratch`` is None for a network without LIF populations, ``lif_extras`` for
    one whose LIF populations have neither noise nor NMDA, ``cells`` for
    one without conductance cells (and ``stages``, the ``layout.AutoStages`` of
    its conductance cells), ``srcs`` and ``nproj`` without NMDA: numba then
    removes the branches that use them before it compiles, so a network never
    waits for kernels it does not use (the conductance-cell step alone takes a
    third of a cold start, NMDA a fifth of COBA's). Smaller parts (Poisson
    drive and populations, clamps, spike sources, monitors) are compiled
    always: each None variant is one more compilation of the whole kernel for
    some other model.
    ``custom``: the state and parameters of populations of user-defined cell models
    (None without them; with them, advance runs in a module of custom_cells, where
    step_custom_populations steps them).
    ``helper`` is the mailbox and spike buffer of the second thread (second_thread),
    which takes half of each large two-gate LIF population; without the GIL, so
    that the second thread can run beside it.
    """
    n_pops = pops.ints.shape[0]
    worst_case = 0
    for p in range(n_pops):
        worst_case += (pops.ints[p, I_STOP] - pops.ints[p, I_START]) * pops.ints[p, I_MAX_SPIKES]
    status.code[0] = STATUS_DONE
    mail, fmail, buffers, _ = helper
    split_mid = buffers.split_mid
    probing = mail[M_ON] != 0
    for n in range(n_steps):
        if out.count[0] + worst_case > out.ids.shape[0]:
            status.code[0] = STATUS_SPIKES_FULL
            return n
        step = step0 + n
        # With a second thread: time PROBE_STEPS steps with it and as many without,
        # every PROBE_PERIOD steps, and keep the faster way (the results are the
        # same either way). Where the two cores share no cache, handing half a
        # population over costs more than it saves. The two ways alternate in short
        # blocks, so that both see the same activity: timed one after the other, the
        # start of a run (COBA's first 10 ms are its busiest) made the second thread
        # look 2x slower than it was.
        phase = step % PROBE_PERIOD
        timed = probing and phase < 2 * PROBE_STEPS
        with_it = (phase // PROBE_BLOCK) % 2 == 0
        if timed:
            if phase == 0:
                mail[M_CYCLES_WITH] = 0
                mail[M_CYCLES_WITHOUT] = 0
            mail[M_USE] = 1 if with_it else 0
            cycles = cycle_counter()
        t = step * dt
        if stims.pop.shape[0] > 0:
            _note_switching(t, dt, pops, stims)     # (before the second thread reads it)
        split = _split_populations(mail[M_ON] != 0 and mail[M_USE] != 0, pops, buffers)
        if split:
            mail[M_TASK] = TASK_DELIVER
            mail[M_STEP] = step
            fmail[F_DT] = dt
            store_release(mail, M_SEQ, mail[M_SEQ] + 1)
        arrivals.count[0] = 0
        shared.count[0] = 0
        ok = (_deliver_step(False, step, t, dt, k0, k1, pops, neurons, chans, srcs, conns,
                            store, ring, arrivals, shared, drives, buffers.deliver_mid, cells,
                            custom)
              and arrivals.count[0] + _shared_sums(t, dt, pops, chans, shared)
              <= arrivals.time.shape[0])
        if split:
            wait_for(mail, M_DONE, mail[M_SEQ])
            ok &= mail[M_FULL] == 0
        if not ok:
            arrivals.head[:] = -1
            if cells is not None:
                # The step is redone with a longer list: what went into the sums, again.
                cells.g_in[:] = 0.0
                cells.r_in[:] = 0.0
                cells.corr_in[:] = 0.0
                cells.moment_in[:] = 0.0
                cells.delta_in[:] = 0.0
            if custom is not None:
                _clear_sums(pops, chans)
            status.code[0] = STATUS_ARRIVALS_FULL
            return n
        _sample(step, neurons, chans, cells, custom, probes)
        if srcs is not None:
            _deliver(TARGET_NMDA_SOURCE, step, t, dt, pops, chans, srcs, conns, store, ring,
                     arrivals, shared, split_mid, False, None, neurons.V, None, False)
            nmda.advance_sources(t, dt, pops, srcs)
            _deliver(NMDA_LATE, step, t, dt, pops, chans, srcs, conns, store, ring, arrivals,
                     shared, split_mid, False, None, neurons.V, None, False)
            nmda.conductance(step, pops, neurons, srcs, nproj, store)
        if stims.pop.shape[0] > 0:
            _switch_currents(t, dt, pops, neurons, stims)
        ok = True
        for p in range(n_pops):
            if pops.ints[p, I_KIND] == KIND_LIF:
                if scratch is not None:
                    ok &= step_lif_population(p, step, t, dt, interp, k0, k1, pops, neurons,
                                              chans, arrivals, shared, ring, out, status,
                                              scratch, helper, lif_extras)
            elif pops.ints[p, I_KIND] == KIND_CONDUCTANCE:
                if cells is not None:
                    ok &= step_conductance_population(p, step, t, dt, interp, k0, k1, pops,
                                                      neurons, chans, arrivals, shared, cells,
                                                      stages, ring, out, status)
            elif pops.ints[p, I_KIND] == KIND_POISSON:
                _emit_poisson(p, step, t, dt, k0, k1, pops, virtual, ring, out)
            elif pops.ints[p, I_KIND] == KIND_SPIKES:
                _emit_listed(p, step, t, dt, pops, lists, ring, out)
            elif custom is not None:
                ok &= step_custom_populations(p, step, t, dt, interp, pops, neurons, chans,
                                              arrivals, shared, custom, ring, out, status,
                                              helper)
        if timed:
            mail[M_CYCLES_WITH if with_it else M_CYCLES_WITHOUT] += cycle_counter() - cycles
            if phase == 2 * PROBE_STEPS - 1:
                mail[M_USE] = 1 if mail[M_CYCLES_WITH] < mail[M_CYCLES_WITHOUT] else 0
        if not ok:
            return n + 1
    return n_steps
