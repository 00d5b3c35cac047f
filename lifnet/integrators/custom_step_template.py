"""The step of a population of a user-defined cell model, as source for one module per model.

``custom_cells`` copies this file into a module of its own for each cell
model (with its currents), with the line that defines the model's functions
replaced by the generated glue: ``N_STATES``, ``rhs(y, par, G, H, out)`` (the
derivatives of every state, V first, given the synaptic conductance G (µS)
and drive H (nA) of the cell), ``reset(y, par)``, ``fastest_rate(y, par)``
(1/ms; 0 for a model that does not declare it), ``RESTARTS`` (whether a spike
changes a state: a reset, or a current's jump), ``THRESHOLD``,
``REFRACTORY`` and ``CAPACITANCE`` (indices into the parameters, -1: none).
The user's functions are inlined there, so that each model compiles into one
fused kernel, cached like lifnet's own; the rare paths (the substeps of a cell
in a spike, the search for a crossing) are calls (``_heun_call``, ``_crossing``,
``linear_gates.*_call``), which halves a model's compile time. Importing this file itself defines
nothing usable: the glue is None.

One step of one cell from t to t + dt:

1. Its arrivals of the step (its own list and the population's shared
   ones), in time order, cut the step into pieces; at each cut the gate
   jumps (exponential, double-exponential, alpha current).
2. On each piece, Heun's method for every state with the gates decaying
   exactly between the ends of each substep. The number of substeps grows
   with |dV/dt| at both ends (``SLOPE_REF``; at most ``MAX_SUBSTEPS``), in
   proportion to dt, so that the upstroke of an exponential cell is resolved
   and the error still falls as dt² (a model whose ``substeps`` is
   "curvature": with sqrt |d²V/dt²| instead, ``CURVE_REF``, and with its
   synaptic conductance over its capacitance); and with the model's fastest
   rate, where it declares one, so that no substep is longer than 1 / rate
   (Heun's step is stable up to 2 / rate: fast gates of a warm cell).
3. A spike is an upward crossing of the threshold by V, placed by cubic
   Hermite interpolation inside its substep; the reset is applied there, V
   is held during the refractory period, and the rest of the step is
   integrated. A cell without a reset (a spike only detected) and without
   jumping currents goes on from the end of the substep untouched.
"""

import math

from lifnet.integrators.events import emit_spike, next_arrival, sorted_arrivals
from lifnet.integrators.layout import (
    I_CHAN_FIRST,
    I_CHAN_STOP,
    I_MAX_SPIKES,
    I_RECORD,
    I_START,
    I_STOP,
    STATUS_DIVERGED,
)
from lifnet.integrators.lif_rk2 import INTERP_HERMITE, INTERP_NONE, V_LIMIT, hermite_crossing
from lifnet.integrators.linear_gates import (
    advance_decayed,
    advance_gates_call,
    arrive,
    decays_call,
    drive,
    drive_call,
    drive_decayed,
    drive_decayed_call,
)
from lifnet.kernel_cache import njit

N_STATES = 1
RESTARTS = SLOPE_SUBSTEPS = True
rhs = reset = fastest_rate = None
THRESHOLD = CAPACITANCE = REFRACTORY = -1  # MODEL

SLOPE_REF = 2.0     # mV/ms: a substep per SLOPE_REF * dt of V's change
CURVE_REF = 10.0    # mV/ms^2: see _substeps (models whose substeps = "curvature")
MAX_SUBSTEPS = 512
# A crossing inside a substep whose end slope is far steeper than its secant (an
# exponential upstroke) is looked for in REFINE pieces of it, REFINE_LEVELS deep.
REFINE, REFINE_LEVELS, STEEP = 8, 6, 4.0
# Rows of CustomCells.work: the state at the substep's start, at its end, the
# predictor, the slopes at both ends, the state at a spike, and the two ends of
# a piece of a substep being searched for a crossing.
Y, Y1, YP, K1, K2, YS, YA, YB = range(8)
WORK_ROWS = 8


@njit(cache=True, inline="always")
def _heun(par, y, out, k1, yp, k2, G0, H0, G1, H1, h, frozen):
    """Heun's step of every state over h ms from y into out (V held if frozen)."""
    rhs(y, par, G0, H0, k1)
    if frozen:
        k1[0] = 0.0
    for k in range(N_STATES):
        yp[k] = y[k] + h * k1[k]
    rhs(yp, par, G1, H1, k2)
    if frozen:
        k2[0] = 0.0
    for k in range(N_STATES):
        out[k] = y[k] + 0.5 * h * (k1[k] + k2[k])


@njit(cache=True)
def _heun_call(par, y, out, k1, yp, k2, G0, H0, G1, H1, h, frozen):
    """``_heun`` as a call: for the substeps of cells in a spike and the crossing search,
    which are rare, so that the model's derivatives are compiled into two places, not
    five."""
    _heun(par, y, out, k1, yp, k2, G0, H0, G1, H1, h, frozen)


@njit(cache=True)
def _crossing(work, par, chans, c_first, c_stop, li, I_inj, h, v_th, interp):
    """Where V crosses v_th in a substep of h ms from work[Y] to work[Y1] (ms after
    its start); work[YS] gets the state there.

    Where the end slope is far steeper than the secant (the upstroke of an
    exponential cell, which a cubic does not follow), the crossing is looked for
    in REFINE Heun pieces of the substep, and so on, REFINE_LEVELS deep.
    """
    ya, yb, k1, k2, yp = work[YA], work[YB], work[K1], work[K2], work[YP]
    for k in range(N_STATES):
        ya[k] = work[Y][k]
        yb[k] = work[Y1][k]
    lo = 0.0
    for _ in range(REFINE_LEVELS + 1):
        G0, H0 = drive_call(chans, c_first, c_stop, li, lo, I_inj)
        G1, H1 = drive_call(chans, c_first, c_stop, li, lo + h, I_inj)
        rhs(ya, par, G0, H0, k1)
        rhs(yb, par, G1, H1, k2)
        va, vb = ya[0], yb[0]
        steep = not (abs(vb) < 1e300 and abs(k2[0]) < 1e300) or \
            abs(k2[0]) * h > STEEP * (vb - va) or abs(k1[0]) * h > STEEP * (vb - va)
        if not steep or interp != INTERP_HERMITE or _ == REFINE_LEVELS:
            break
        hq = h / REFINE
        for j in range(REFINE):
            Ga, Ha = drive_call(chans, c_first, c_stop, li, lo + j * hq, I_inj)
            Gb, Hb = drive_call(chans, c_first, c_stop, li, lo + (j + 1) * hq, I_inj)
            _heun_call(par, ya, yb, k1, yp, k2, Ga, Ha, Gb, Hb, hq, False)
            if not (yb[0] < v_th) or j == REFINE - 1:
                lo += j * hq
                break
            for k in range(N_STATES):
                ya[k] = yb[k]
        h = hq
    va, vb = ya[0], yb[0]
    if interp == INTERP_NONE:
        theta = 1.0
    elif not (va < v_th <= vb) or not abs(vb) < 1e300:
        theta = 0.0 if not abs(vb) < 1e300 else 1.0
    elif interp == INTERP_HERMITE and abs(k1[0]) < 1e300 and abs(k2[0]) < 1e300:
        theta = hermite_crossing(va, vb, k1[0], k2[0], h, v_th)
    else:
        theta = (v_th - va) / (vb - va)
    ys = work[YS]
    for k in range(N_STATES):
        ys[k] = ya[k] + theta * (yb[k] - ya[k])
    ys[0] = v_th
    return lo + theta * h


@njit(cache=True, inline="always")
def _substeps(work, par, chans, c_first, c_stop, li, h, I_inj, dt, frozen, h_common, dec):
    """Heun over h ms from work[Y] into work[Y1]; the slopes at both ends (or V's curvature)
    decide the number of substeps the piece takes (with one, work[Y1] is its result).
    (``dec``: the gates' ``decays`` over h_common ms, the piece most cells take.)"""
    G0, H0 = drive(chans, c_first, c_stop, li, 0.0, I_inj)
    if h == h_common:
        G1, H1 = drive_decayed(chans, c_first, c_stop, li, h, dec, I_inj)
    else:
        G1, H1 = drive(chans, c_first, c_stop, li, h, I_inj)
    k1, k2 = work[K1], work[K2]
    _heun(par, work[Y], work[Y1], k1, work[YP], k2, G0, H0, G1, H1, h, frozen)
    if SLOPE_SUBSTEPS:
        slope = max(abs(k1[0]), abs(k2[0]))
        rate = max(fastest_rate(work[Y], par), fastest_rate(work[Y1], par))
        if not (slope < 1e300 and rate < 1e300):
            return MAX_SUBSTEPS
        wanted = max(slope * h / (SLOPE_REF * dt), rate * h)
    else:
        # |k2 - k1| / h is V's curvature: a substep per dt sqrt(CURVE_REF / curvature);
        # and none longer than 1 / rate, the synaptic conductance's rate included.
        bend = abs(k2[0] - k1[0])
        rate = max(fastest_rate(work[Y], par), fastest_rate(work[Y1], par),
                   max(G0, G1) / par[CAPACITANCE])
        if not (bend < 1e300 and rate < 1e300):
            return MAX_SUBSTEPS
        wanted = max(math.sqrt(bend * h / CURVE_REF) / dt, rate * h)
    return max(1, min(MAX_SUBSTEPS, int(math.ceil(wanted))))


@njit(cache=True, refcount=False)
def step_population(p, step, t, dt, interp, pops, neurons, chans, arrivals, shared, custom,
                    ring, out, status, helper):
    """Advance population p of this model from t to t + dt; False if a cell diverged.
    (``helper``: the second thread's, which takes no part of these populations.)"""
    ints = pops.ints[p]
    start, stop = ints[I_START], ints[I_STOP]
    n_cells = stop - start
    c_first, c_stop = ints[I_CHAN_FIRST], ints[I_CHAN_STOP]
    max_spikes = ints[I_MAX_SPIKES]
    record = ints[I_RECORD] != 0
    switching = pops.switching[p] != 0
    p0 = custom.par_offset[p]
    par = custom.params[p0:p0 + custom.n_params[p]]
    x0 = custom.x_offset[p]
    x = custom.x[x0:x0 + (N_STATES - 1) * n_cells]
    work = custom.work
    V = neurons.V
    t1 = t + dt
    inv_C = 1.0 / par[CAPACITANCE]
    v_th = par[THRESHOLD]
    t_ref = par[REFRACTORY] if REFRACTORY >= 0 else 0.0
    slot = step % ring.ids.shape[0]
    n_ring = ring.pop_stop[slot, p - 1] if p > 0 else 0
    head, a_next, a_time = arrivals.head, arrivals.next, arrivals.time
    a_chan, a_weight = arrivals.channel, arrivals.weight
    y = work[Y]
    h_common = t1 - t
    half = custom.decay.shape[0] // 2
    dec, sub = custom.decay[:half], custom.decay[half:]
    decays_call(chans, c_first, c_stop, h_common, dec)
    ok = True
    for li in range(n_cells):
        i = start + li
        y[0] = V[i]
        for k in range(1, N_STATES):
            y[k] = x[(k - 1) * n_cells + li]
        I_inj = neurons.I_now[i]
        s = t
        last = -math.inf
        spikes = 0
        e = sorted_arrivals(head[i], a_next, a_time)    # the next of the cell's arrivals
        while True:
            t_next = next_arrival(e, a_time, shared, p, last)
            piece_end = t1 if t_next == math.inf else min(max(t_next, t), t1)
            while s < piece_end:
                frozen = s < neurons.ref_until[i]
                seg_end = min(piece_end, neurons.ref_until[i]) if frozen else piece_end
                h = seg_end - s
                m = _substeps(work, par, chans, c_first, c_stop, li, h, I_inj, dt, frozen,
                              h_common, dec)
                hs = h / m
                if m > 1:
                    decays_call(chans, c_first, c_stop, hs, sub)
                spiked = False
                for _ in range(m):
                    y1, yp, k1, k2 = work[Y1], work[YP], work[K1], work[K2]
                    if m > 1:     # (one substep: _substeps has taken it)
                        G0, H0 = drive_call(chans, c_first, c_stop, li, 0.0, I_inj)
                        G1, H1 = drive_decayed_call(chans, c_first, c_stop, li, hs, sub,
                                                    I_inj)
                        _heun_call(par, y, y1, k1, yp, k2, G0, H0, G1, H1, hs, frozen)
                    if not frozen and y[0] < v_th and not (y1[0] < v_th) and \
                            spikes < max_spikes:
                        # A spike in this substep, placed on the Hermite cubic of V.
                        ts = s + _crossing(work, par, chans, c_first, c_stop, li, I_inj, hs,
                                           v_th, interp)
                        spikes += 1
                        emit_spike(i, ts, (ts - t) / dt, slot, n_ring, record, ring, out)
                        n_ring += 1
                        if RESTARTS:
                            ys = work[YS]
                            advance_gates_call(chans, c_first, c_stop, li, ts - s)
                            reset(ys, par)
                            for k in range(N_STATES):
                                y[k] = ys[k]
                            neurons.ref_until[i] = ts + t_ref
                            s = ts
                            spiked = True
                            break
                    for k in range(N_STATES):
                        y[k] = y1[k]
                    if m > 1:
                        advance_decayed(chans, c_first, c_stop, li, hs, sub)
                    elif hs == h_common:
                        advance_decayed(chans, c_first, c_stop, li, hs, dec)
                    else:
                        advance_gates_call(chans, c_first, c_stop, li, hs)
                    s = s + hs
                if not spiked:
                    s = seg_end
            if t_next == math.inf:
                break
            # The arrivals at t_next.
            while e >= 0 and a_time[e] == t_next:
                arrive(chans, a_chan[e], li, a_weight[e])
                e = a_next[e]
            for q in range(shared.count[0]):
                if shared.pop[q] == p and shared.time[q] == t_next:
                    arrive(chans, shared.channel[q], li, shared.weight[q])
            last = t_next
        head[i] = -1
        if switching:
            # The injected current switched inside the step: V took I_now throughout.
            y[0] += dt * (0.5 * neurons.dI[i] + neurons.I_corr[i]) * inv_C
            neurons.I_now[i] += neurons.dI[i]
            neurons.dI[i] = 0.0
            neurons.I_corr[i] = 0.0
        if not (abs(y[0]) < V_LIMIT):
            if ok:
                status.code[0] = STATUS_DIVERGED
                status.neuron[0] = i
                status.time[0] = t1
            ok = False
        V[i] = y[0]
        for k in range(1, N_STATES):
            x[(k - 1) * n_cells + li] = y[k]
    ring.pop_stop[slot, p] = n_ring
    return ok

