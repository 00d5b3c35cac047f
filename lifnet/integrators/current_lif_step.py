"""The exact step of a population of ``CurrentBasedLIFPop`` (LIF cells, current synapses).

One step of one cell from t to t + dt:

1. Its arrivals of the step (its own list and the population's shared
   ones), in time order, cut the step into pieces; at each cut the
   currents jump (exponential: the current; alpha: its drive) and a delta
   synapse moves V, which is a spike at that time if V reaches threshold.
2. On each piece, V and the currents at its end are the exact solution
   (``populations.current_lif.membrane_at``). A spike is the first time where
   that solution reaches V_th: bracketed by the piece's end, or by the top
   of a hump of V inside the piece (located where dV/dt = 0), then found by
   safeguarded Newton iterations to ``TIME_TOL``.
3. After a spike V is V_reset and held there for t_ref; the currents go on;
   the rest of the step is integrated as above.

Plugged into the run loops of ``custom_cells`` as the population's model
kernel (``CurrentBasedLIFPop.step_kernel``), with the same arguments as the
contract's generated ones.
"""

import math

from lifnet.integrators.atomics import store_release
from lifnet.integrators.events import emit_spike, next_arrival, sorted_arrivals
from lifnet.integrators.layout import (
    CH_ALPHA_CURRENT,
    CH_DELTA,
    CH_EXP_CURRENT,
    F_DT,
    I_CHAN_FIRST,
    I_CHAN_STOP,
    I_MAX_SPIKES,
    I_RECORD,
    I_START,
    I_STOP,
    M_SEQ,
    M_START,
    M_STEP,
    M_TASK,
    STATUS_DIVERGED,
    TASK_CUSTOM_HALF,
)
from lifnet.integrators.lif_rk2 import V_LIMIT, wait_two_gates
from lifnet.integrators.linear_gates import advance_gates, arrive, phi1
from lifnet.kernel_cache import njit
from lifnet.populations.current_lif import (
    P_C,
    P_E_L,
    P_I_E,
    P_T_REF,
    P_TAU_M,
    P_V_RESET,
    P_V_TH,
    membrane_at,
)

TIME_TOL = 1e-13    # ms: Newton stops when its step, or the bracket, is this short
MAX_ITER = 100


@njit(cache=True, inline="always")
def _newton(which, target, a, b, V0, V_inf, tau_m, inv_C, chans, c_first, c_stop, li):
    """The zero in [a, b] of V - target (which 0) or of dV/dt (which 1), bracketed:
    negative at a, non-negative at b for V; positive at a, negative at b for dV/dt."""
    x = 0.5 * (a + b)
    for _ in range(MAX_ITER):
        V, dV, d2V = membrane_at(x, V0, V_inf, tau_m, inv_C, chans, c_first, c_stop, li)
        if which == 0:
            f, df = V - target, dV
            below = f < 0.0
        else:
            f, df = dV, d2V
            below = f > 0.0
        if below:
            a = x
        else:
            b = x
        step = f / df if df != 0.0 else math.inf
        nxt = x - step
        if not (a < nxt < b):
            nxt = 0.5 * (a + b)
        if b - a < TIME_TOL:
            return b if which == 0 else 0.5 * (a + b)   # (V reaches target at b)
        if abs(nxt - x) < TIME_TOL:
            return nxt
        x = nxt
    return b


@njit(cache=True, inline="always")
def slope_and_bend(h, V0, V_inf, tau_m, inv_C, chans, c_first, c_stop, li):
    """dV/dt at the start of a piece of h ms with no arrival, and M >= |d2V/dt2| on it.

    ``V'' = (V - V_inf) / tau_m^2 - I / (C tau_m) + I' / C``, where each current
    is at most its size (|g|, plus |r| for an alpha current), |I'| at most twice
    its size over tau, and V - V_inf at most |V0 - V_inf| plus h I / C.
    """
    I = 0.0
    size = 0.0
    per_tau = 0.0
    for c in range(c_first, c_stop):
        kind = chans.kind[c]
        if kind != CH_EXP_CURRENT and kind != CH_ALPHA_CURRENT:
            continue
        k = chans.offset[c] + li
        sc = abs(chans.g[k]) + (abs(chans.r[k]) if kind == CH_ALPHA_CURRENT else 0.0)
        I += chans.g[k]
        size += sc
        per_tau += 2.0 * sc / chans.tau[c]
    bend = (abs(V_inf - V0) / (tau_m * tau_m)
            + inv_C * (size * (h / (tau_m * tau_m) + 1.0 / tau_m) + per_tau))
    return (V_inf - V0) / tau_m + I * inv_C, bend


@njit(cache=True, inline="always")
def step_factor(c, dt, tau_m, em, chans):
    """How an exponential current of channel c (1 nA at the step's start) moves V at
    its end, times C: em phi1(delta, dt) = (em - es) / delta, delta = 1 / tau - 1 / tau_m
    (``em`` = exp(-dt / tau_m), ``es`` its decay over the step)."""
    es = chans.decay[c]
    delta = 1.0 / chans.tau[c] - 1.0 / tau_m
    return (em - es) / delta if abs(delta * dt) > 1e-3 else em * phi1(delta, dt)


@njit(cache=True, inline="always")
def whole_step(dt, V0, V_inf, tau_m, inv_C, em, chans, c_first, c_stop, li):
    """(V, dV/dt) after a whole step of exponential currents, from the step's decays
    (``em`` = exp(-dt / tau_m), ``chans.decay``): no exponential to compute."""
    V = V_inf + (V0 - V_inf) * em
    I = 0.0
    for c in range(c_first, c_stop):
        if chans.kind[c] != CH_EXP_CURRENT:
            continue
        g = chans.g[chans.offset[c] + li]
        V += inv_C * g * step_factor(c, dt, tau_m, em, chans)
        I += g * chans.decay[c]
    return V, (V_inf - V) / tau_m + I * inv_C


@njit(cache=True, inline="always")
def crossing(h, V0, V1, d0, d1, bend, V_inf, tau_m, inv_C, v_th, chans, c_first, c_stop, li):
    """The first time in (0, h] where V reaches v_th on a piece from V0 (< v_th) to V1,
    with slopes d0 and d1 at its ends; -1 if none."""
    if not (V0 < v_th):
        return 0.0
    top = h
    if V1 < v_th:
        # Below at both ends: V reaches v_th only on a hump inside, which lies below
        # the chord plus bend h^2 / 8.
        if not (d0 > 0.0 and d1 < 0.0) or max(V0, V1) + 0.125 * bend * h * h < v_th:
            return -1.0
        top = _newton(1, 0.0, 0.0, h, V0, V_inf, tau_m, inv_C, chans, c_first, c_stop, li)
        Vm, _, _ = membrane_at(top, V0, V_inf, tau_m, inv_C, chans, c_first, c_stop, li)
        if Vm < v_th:
            return -1.0
    return _newton(0, v_th, 0.0, top, V0, V_inf, tau_m, inv_C, chans, c_first, c_stop, li)


@njit(cache=True, inline="always")
def free_step(dt, v, V_inf, tau_m, inv_C, em, chans, c_first, c_stop, li):
    """A step of exponential currents without its arrivals: V at its end, and a bound of
    V inside it (its ends plus its bend, V'' bounded)."""
    V1, _ = whole_step(dt, v, V_inf, tau_m, inv_C, em, chans, c_first, c_stop, li)
    _, bend = slope_and_bend(dt, v, V_inf, tau_m, inv_C, chans, c_first, c_stop, li)
    return V1, max(v, V1) + 0.125 * bend * dt * dt


@njit(cache=True, nogil=True, refcount=False)
def premark_cells(p, lo, hi, t, dt, pops, neurons, chans, custom, thread):
    """Before delivery, for cells lo ... hi - 1 of population p, whose arrivals delivery
    sums: V at the step's end without the step's arrivals (``chans.v_free``), a bound
    of V inside the step without them (``v_top``, free_step; inf where the quick
    step does not apply), and ``listed`` 1 for the cells
    within ``pops.margin[p]`` of threshold, whose arrivals delivery lists at once.

    free_step's arithmetic, with each channel's step_factor computed once for the
    population (into ``chans.coef[thread]``) rather than per cell: the same values,
    three divisions fewer per cell and channel."""
    ints = pops.ints[p]
    start = ints[I_START]
    c_first, c_stop = ints[I_CHAN_FIRST], ints[I_CHAN_STOP]
    par = custom.params[custom.par_offset[p]:custom.par_offset[p] + custom.n_params[p]]
    inv_C = 1.0 / par[P_C]
    tau_m, E_L, v_th, I_e = par[P_TAU_M], par[P_E_L], par[P_V_TH], par[P_I_E]
    em = math.exp(-dt / tau_m)
    quick_ok = pops.switching[p] == 0
    margin = pops.margin[p]
    coef = chans.coef[thread]
    for c in range(c_first, c_stop):
        if chans.kind[c] == CH_EXP_CURRENT:
            coef[c] = step_factor(c, dt, tau_m, em, chans)
    V = neurons.V
    for i in range(lo, hi):
        li = i - start
        v = V[i]
        top = math.inf
        if quick_ok and neurons.ref_until[i] <= t and v < v_th:
            V_inf = E_L + tau_m * (I_e + neurons.I_now[i]) * inv_C
            V1 = V_inf + (v - V_inf) * em
            for c in range(c_first, c_stop):
                if chans.kind[c] == CH_EXP_CURRENT:
                    V1 += inv_C * chans.g[chans.offset[c] + li] * coef[c]
            _, bend = slope_and_bend(dt, v, V_inf, tau_m, inv_C, chans, c_first, c_stop, li)
            chans.v_free[i] = V1
            top = max(v, V1) + 0.125 * bend * dt * dt
        chans.v_top[i] = top
        chans.listed[i] = 0 if top + margin < v_th else 1


@njit(cache=True, nogil=True, refcount=False)
def check_cells(p, lo, hi, pops, chans, shared, custom):
    """After delivery: which of cells lo ... hi - 1 of population p take the quick step
    (``listed`` 0: V stays below threshold even with the most the step's arrivals can
    lift it, ``v_up``) and which take their arrivals one by one; those of them that
    premark_cells did not list get ``listed`` 2, for a second delivery. Returns how
    many; the lower half of the population notes its largest rise for the next
    step's margin."""
    v_th = custom.params[custom.par_offset[p] + P_V_TH]
    quick_ok = True
    for q in range(shared.count[0]):
        if shared.pop[q] == p:
            quick_ok = False
    missed = 0
    rise = 0.0
    for i in range(lo, hi):
        up = chans.v_up[i]
        rise = max(rise, up)
        if quick_ok and chans.v_top[i] + up < v_th:
            chans.listed[i] = 0
        elif chans.listed[i] == 0:
            chans.listed[i] = 2
            missed += 1
    if lo == pops.ints[p, I_START]:
        pops.margin[p] = rise
    return missed


@njit(cache=True, refcount=False)
def step_population(p, step, t, dt, interp, pops, neurons, chans, arrivals, shared, custom,
                    ring, out, status, helper):
    """Advance population p from t to t + dt exactly; False if a cell diverged.

    With a second thread (second_thread.splittable), it steps the cells from
    ``split_mid[p]`` on (run_loop.serve), while this thread steps the others; its
    spikes are appended after this thread's, so the ring holds them in the order
    one thread gives. Each half takes the arrival lists of the thread that
    delivered them (``deliver_mid``: the second thread may deliver them all).
    """
    mail, fmail, buffers, helper_arrivals = helper
    start, stop = pops.ints[p, I_START], pops.ints[p, I_STOP]
    slot = step % ring.ids.shape[0]
    n_ring = ring.pop_stop[slot, p - 1] if p > 0 else 0
    mid = buffers.split_mid[p]
    split = mid < stop
    if split:
        mail[M_START] = p
        mail[M_STEP] = step
        fmail[F_DT] = dt
        mail[M_TASK] = TASK_CUSTOM_HALF
        store_release(mail, M_SEQ, mail[M_SEQ] + 1)
    listed = helper_arrivals if buffers.deliver_mid[p] == start else arrivals
    diverged, n_ring = step_cells(p, start, mid, step, t, dt, pops, neurons, chans, listed,
                                  shared, custom, ring, out, None, n_ring)
    if split:
        n_ring, theirs = wait_two_gates(mail, buffers, ring.ids[slot], ring.theta[slot],
                                        n_ring, out, pops.ints[p, I_RECORD] != 0)
        if diverged < 0:
            diverged = theirs
    ring.pop_stop[slot, p] = n_ring
    if diverged >= 0:
        status.code[0] = STATUS_DIVERGED
        status.neuron[0] = diverged
        status.time[0] = t + dt
        return False
    return True


@njit(cache=True, inline="always")
def _emit(i, ts, t, dt, slot, n_ring, record, ring, out, their):
    """A spike of cell i at ts: into the ring and output (their None), or into the second
    thread's buffer; returns the next ring entry."""
    if their is None:
        emit_spike(i, ts, (ts - t) / dt, slot, n_ring, record, ring, out)
        return n_ring + 1
    k = their.count[0]
    their.ids[k] = i
    their.theta[k] = (ts - t) / dt
    their.times[k] = ts
    their.count[0] = k + 1
    return n_ring


@njit(cache=True, nogil=True, refcount=False)
def step_cells(p, lo, hi, step, t, dt, pops, neurons, chans, arrivals, shared, custom, ring,
               out, their, n_ring):
    """Step cells lo ... hi - 1 (global indices) of population p from t to t + dt; their
    arrivals are in ``arrivals``, their spikes go out through ``_emit`` from ring entry
    n_ring. Returns (the first cell that diverged or -1, the next ring entry)."""
    ints = pops.ints[p]
    start = ints[I_START]
    c_first, c_stop = ints[I_CHAN_FIRST], ints[I_CHAN_STOP]
    max_spikes = ints[I_MAX_SPIKES]
    record = ints[I_RECORD] != 0
    switching = pops.switching[p] != 0
    par = custom.params[custom.par_offset[p]:custom.par_offset[p] + custom.n_params[p]]
    inv_C = 1.0 / par[P_C]
    tau_m, E_L, v_th = par[P_TAU_M], par[P_E_L], par[P_V_TH]
    v_reset, t_ref, I_e = par[P_V_RESET], par[P_T_REF], par[P_I_E]
    V = neurons.V
    t1 = t + dt
    em = math.exp(-dt / tau_m)
    only_exp = True     # a whole step takes the step's decays (exponential currents only)
    for c in range(c_first, c_stop):
        if chans.kind[c] != CH_EXP_CURRENT and chans.kind[c] != CH_DELTA:
            only_exp = False
    slot = step % ring.ids.shape[0]
    head, a_next, a_time = arrivals.head, arrivals.next, arrivals.time
    a_chan, a_weight = arrivals.channel, arrivals.weight
    diverged = -1
    shared_here = False
    for q in range(shared.count[0]):
        if shared.pop[q] == p:
            shared_here = True
    # A whole step at once: exponential currents and delta synapses only, and the
    # step's arrivals summed in delivery (check_cells chose those cells) or none.
    whole_ok = only_exp and not shared_here and not switching
    summed = c_stop > c_first and chans.summed[c_first] != 0
    all_summed = c_stop == c_first or summed
    v_in, v_up = chans.v_in, chans.v_up
    for li in range(lo - start, hi - start):
        i = start + li
        v = V[i]
        V_inf = E_L + tau_m * (I_e + neurons.I_now[i]) * inv_C
        if (chans.listed[i] == 0 if summed else
                whole_ok and head[i] < 0 and neurons.ref_until[i] <= t and v < v_th):
            # Below threshold throughout (premark_cells and check_cells said so, or:)
            quick = summed
            if summed:
                V1 = chans.v_free[i]
            else:
                V1, top = free_step(dt, v, V_inf, tau_m, inv_C, em, chans, c_first, c_stop,
                                    li)
                quick = top + v_up[i] < v_th
            if quick:
                V1 += v_in[i]
                v_in[i] = 0.0
                v_up[i] = 0.0
                head[i] = -1
                for c in range(c_first, c_stop):
                    k = chans.offset[c] + li
                    chans.g[k] = chans.g[k] * chans.decay[c] + chans.r[k]
                    chans.r[k] = 0.0
                if not (abs(V1) < V_LIMIT) and diverged < 0:
                    diverged = i
                V[i] = V1
                continue
        s = t
        last = -math.inf
        spikes = 0
        e = sorted_arrivals(head[i], a_next, a_time)    # the next of the cell's arrivals
        while True:
            t_next = next_arrival(e, a_time, shared, p, last)
            piece_end = t1 if t_next == math.inf else min(max(t_next, t), t1)
            while s < piece_end:
                ref_until = neurons.ref_until[i]
                if s < ref_until:
                    # Refractory: V stays at V_reset; the currents go on.
                    seg_end = min(piece_end, ref_until)
                    advance_gates(chans, c_first, c_stop, li, seg_end - s)
                    s = seg_end
                    continue
                h = piece_end - s
                whole = h == dt and only_exp
                if whole:
                    V1, d1 = whole_step(dt, v, V_inf, tau_m, inv_C, em, chans, c_first, c_stop,
                                        li)
                else:
                    V1, d1, _ = membrane_at(h, v, V_inf, tau_m, inv_C, chans, c_first, c_stop,
                                            li)
                tc = -1.0
                if spikes < max_spikes:
                    d0, bend = slope_and_bend(h, v, V_inf, tau_m, inv_C, chans, c_first,
                                              c_stop, li)
                    tc = crossing(h, v, V1, d0, d1, bend, V_inf, tau_m, inv_C, v_th, chans,
                                  c_first, c_stop, li)
                if tc < 0.0:
                    v = V1
                    if whole:
                        for c in range(c_first, c_stop):
                            chans.g[chans.offset[c] + li] *= chans.decay[c]
                    else:
                        advance_gates(chans, c_first, c_stop, li, h)
                    s = piece_end
                    continue
                ts = s + tc
                advance_gates(chans, c_first, c_stop, li, tc)
                v = v_reset
                neurons.ref_until[i] = ts + t_ref
                spikes += 1
                n_ring = _emit(i, ts, t, dt, slot, n_ring, record, ring, out, their)
                s = ts
            if t_next == math.inf:
                break
            # The arrivals at t_next; a delta synapse acts outside the refractory period.
            open_ = t_next >= neurons.ref_until[i]
            while e >= 0 and a_time[e] == t_next:
                c = a_chan[e]
                if chans.kind[c] == CH_DELTA:
                    if open_:
                        v += a_weight[e]
                else:
                    arrive(chans, c, li, a_weight[e])
                e = a_next[e]
            for q in range(shared.count[0]):
                if shared.pop[q] == p and shared.time[q] == t_next:
                    c = shared.channel[q]
                    if chans.kind[c] == CH_DELTA:
                        if open_:
                            v += shared.weight[q]
                    else:
                        arrive(chans, c, li, shared.weight[q])
            if open_ and not (v < v_th) and spikes < max_spikes and t_next < t1:
                # Lifted to threshold by a delta synapse: a spike now.
                v = v_reset
                neurons.ref_until[i] = t_next + t_ref
                spikes += 1
                n_ring = _emit(i, t_next, t, dt, slot, n_ring, record, ring, out, their)
            last = t_next
        head[i] = -1
        if all_summed:
            # (the list had every arrival; the sums are not needed)
            v_in[i] = 0.0
            v_up[i] = 0.0
            for c in range(c_first, c_stop):
                chans.r[chans.offset[c] + li] = 0.0
        if switching:
            # The injected current switched inside the step: V took I_now throughout;
            # the difference, to first order in the fraction of the step.
            v += dt * (0.5 * neurons.dI[i] + neurons.I_corr[i]) * inv_C
            neurons.I_now[i] += neurons.dI[i]
            neurons.dI[i] = 0.0
            neurons.I_corr[i] = 0.0
        if not (abs(v) < V_LIMIT) and diverged < 0:
            diverged = i
        V[i] = v
    return diverged, n_ring
