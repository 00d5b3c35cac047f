"""The RK2 (Heun) step of a LIF population with spikes placed inside the step.

The membrane equation, with all linear channels folded into
``G = g_L + sum_c g_c`` and ``H = g_L E_L + sum_c g_c E_c + I``::

    C dV/dt = H - G V - u B(V) (V - E_NMDA),   B(V) = 1 / (1 + [Mg]/3.57 exp(-0.062 V))

Per neuron and step, from t to t1 = t + dt:

1. The step is cut at the exact times of the neuron's synaptic arrivals (a
   linked list built by ``run_loop`` before this step). On each piece the
   gates decay exactly and are smooth, so Heun is second order there; at the
   piece's end the arriving gate jumps by its weight. A neuron with no
   arrivals takes one piece: the whole step. (A jump inside a single Heun
   step would make the scheme first order, and a spike that an arrival
   triggers would land on the grid.)
2. Heun on a piece [a, b]: ``k1 = f(V, a)``, ``V* = V + h k1``,
   ``k2 = f(V*, b)``, ``V_b = V + h (k1 + k2) / 2``; additive Gaussian noise
   enters predictor and corrector (stochastic Heun).
3. If ``V_b >= V_th`` the crossing is found on the cubic Hermite
   interpolant through (V_a, k1) and (V_b, f(V_b, b)) (or linearly, or at the
   piece's end for the first-order contrast). The neuron is reset, held for
   ``t_ref``, and integrated from ``V_reset`` over what is left of the piece
   if the refractory period ends inside it.

Arrivals through all-to-all projections with one weight (``Uniform``
storage) reach every neuron of a population at once. Listing them per
neuron would cost O(N) per spike, O(N^2) per unit time, and would send every
neuron down the careful path. They are listed once (``SharedArrivals``): the
quick step adds each one's exact jump to the gate at t1 and corrects V for
the jump's time inside the step (``_shared_correction``, O(w dt^2) error per
arrival, so spike times stay second order: ``tests/test_convergence.py``
uses such projections); a neuron that takes the careful path gets them in
its own list and is cut at them like any other arrival.

How it is computed (``step_lif_population``), so that most neurons cost a
vectorised loop and only a few take branchy code:

- a quick step for every neuron: one whole-step Heun piece (passes 1 and 2,
  fused into one loop for two-gate populations without noise or NMDA), kept
  unless the neuron received an arrival, may reach threshold, ends a
  refractory period, sees a current switch or is not finite;
- the indices of the neurons flagged so, gathered without a branch;
- pass 3a (``_few_arrivals``): flagged neurons of a fused population with one
  or two arrivals that are free and stay below threshold, or are held
  refractory over the whole step: the three pieces, gathered and computed in
  one vectorised loop;
- pass 3: every other flagged neuron, by the general rule above;
- pass 4: the gates of the quick neurons decay.

Numba pitfalls this code avoids, each measured: indexing with anything but a
range variable (wraparound checks stop vectorisation); reading NamedTuple
fields inside loops, and inlined helpers that take arrays and loop (both add
atomic reference counting per call).
"""

import math

import numpy as np

from ..currents import nmda
from ..kernel_cache import njit
from .atomics import store_release, wait_for
from .layout import (
    F_DA,
    F_DB,
    F_DT,
    F_EA,
    F_EB,
    F_GL,
    F_GLEL,
    F_INVC,
    F_JA,
    F_JB,
    F_RA,
    F_RB,
    F_T,
    F_TREF,
    F_VRESET,
    F_VTH,
    I_CHAN_FIRST,
    I_CHAN_STOP,
    I_HAS_NMDA,
    I_MAX_SPIKES,
    I_NOISE_STREAM,
    I_RECORD,
    I_START,
    I_STOP,
    M_CFIRST,
    M_DIVERGED,
    M_DONE,
    M_FEW,
    M_HI,
    M_INTERP,
    M_LO,
    M_MAX_SPIKES,
    M_OFF_A,
    M_OFF_B,
    M_SEQ,
    M_START,
    M_SWITCH,
    M_TASK,
    P_C,
    P_EL,
    P_GL,
    P_MG,
    P_MG_SLOPE,
    P_NMDA_E,
    P_SIGMA,
    P_TREF,
    P_VRESET,
    P_VTH,
    STATUS_DIVERGED,
    TASK_HALF,
)
from .philox import normal_pair

INTERP_NONE, INTERP_LINEAR, INTERP_HERMITE = 0, 1, 2
V_LIMIT = 1.0e4  # mV; beyond this a membrane potential is a numerical failure


@njit(cache=True, inline="always")
def _dvdt(V, G, H, u, E_nmda, mg, mg_slope, inv_C):
    i_nmda = 0.0
    if u != 0.0:
        i_nmda = nmda.current(V, u, E_nmda, mg, mg_slope)
    return (H - G * V - i_nmda) * inv_C


@njit(cache=True, inline="always")
def _dvdt_extra(V, G, H, u, extras, extra, inv_C):
    """``_dvdt`` with the NMDA parameters of ``extra`` (careful_path), or none."""
    if extras is None:
        return (H - G * V) * inv_C
    return _dvdt(V, G, H, u, extra[7], extra[8], extra[9], inv_C)


@njit(cache=True, refcount=False)
def hermite_crossing(Va, Vb, ka, kb, h, Vth):
    """Fraction of a piece in [0, 1] where the cubic Hermite interpolant meets Vth.

    Va < Vth <= Vb; ka, kb are dV/dt (mV/ms) at both ends of a piece of h ms.
    Safeguarded Newton on the bracket [0, 1], started from the linear estimate.
    """
    lo, hi = 0.0, 1.0
    th = (Vth - Va) / (Vb - Va)
    ma = h * ka
    mb = h * kb
    for _ in range(30):
        t2 = th * th
        t3 = t2 * th
        p = ((2 * t3 - 3 * t2 + 1) * Va + (t3 - 2 * t2 + th) * ma
             + (-2 * t3 + 3 * t2) * Vb + (t3 - t2) * mb) - Vth
        dp = ((6 * t2 - 6 * th) * Va + (3 * t2 - 4 * th + 1) * ma
              + (-6 * t2 + 6 * th) * Vb + (3 * t2 - 2 * th) * mb)
        if p < 0.0:
            lo = th
        else:
            hi = th
        new = th - p / dp if dp > 0.0 else -1.0
        if not (lo < new < hi):
            new = 0.5 * (lo + hi)
        if abs(new - th) < 1e-13:
            return new
        th = new
    return th


@njit(cache=True, inline="always")
def _shared_correction(V, k1, G0, PG, PH, QG, QH, RS, dt_over_C, inv_C):
    """What the quick Heun step misses of the step's shared arrivals (mV).

    Heun sees a gate that jumps by w at t_a only in its end-point slope, as
    if the jump had acted for dt / 2. To first order in w, the jump changes
    V(t + dt) by (1/C) int phi(s) [E - V(s)] exp(-G (t1 - s) / C) ds; with
    V(s) = V + k1 (s - t) and the exponential to first order, the difference
    from Heun is (dt / C) [P (E - V) - (G / C) Q (E - V) - k1 R], with P, Q, R
    the channel sums of ``SharedArrivals``. What is left is O(w dt^3) per
    arrival plus O(w^2 dt^2), so spike times stay second order.
    """
    return dt_over_C * ((PH - PG * V) - G0 * inv_C * (QH - QG * V) - k1 * RS)


@njit(cache=True, inline="always")
def _quick(V, Vn, ru, head, switching, t, t1, Vth):
    """Whether the quick step (V -> Vn) stands, and whether the neuron is free.

    It stands for a neuron with no arrival and no switching current that is
    either held refractory over the whole step or free, below threshold and
    finite at both ends; every other neuron takes the careful path.
    """
    free = ru <= t
    fine = free & (Vn < Vth) & (V < Vth) & (abs(Vn) < V_LIMIT)
    return (head < 0) & (not switching) & (fine | (ru >= t1)), free


@njit(cache=True, inline="always")
def _exp_neg_small(z):
    """exp(-z) for 0 <= z <= 0.05 by its degree-6 Taylor polynomial (error < 2e-14)."""
    return 1.0 - z * (1.0 - z * (0.5 - z * (1.0 / 6.0 - z * (1.0 / 24.0 - z * (
        1.0 / 120.0 - z * (1.0 / 720.0))))))


@njit(cache=True, inline="always")
def _decay(x, rate):
    """exp(-x rate) for a piece of x ms (rate = 1/tau).

    Pieces between arrivals are shorter than a step, so x rate is usually
    below 0.05, where the polynomial is exact to 2e-14 and several times
    cheaper than exp.
    """
    z = x * rate
    if z > 0.05:
        return math.exp(-z)
    return _exp_neg_small(z)


@njit(cache=True, inline="always", fastmath={"contract"})
def _heun_piece(V, h, sa, sb, sa1, sb1, base_h, E_a, E_b, gL, inv_C):
    """Heun over h ms with gates (sa, sb) at the start and (sa1, sb1) at the end."""
    ka = ((base_h + sa * E_a + sb * E_b) - (gL + sa + sb) * V) * inv_C
    Vs = V + h * ka
    kb = ((base_h + sa1 * E_a + sb1 * E_b) - (gL + sa1 + sb1) * Vs) * inv_C
    return V + 0.5 * h * (ka + kb)


@njit(cache=True, fastmath={"contract"}, refcount=False)
def _few_arrivals(n_flagged, flagged, lanes, V_pop, g_a, g_b, I_pop, ref_pop, head_pop, a_next,
                  a_time, a_weight, a_chan, c_first, t, dt, r_a, r_b, E_a, E_b, gL, glel, inv_C,
                  Vth):
    """The careful path for the flagged neurons of a two-gate population that have
    one or two arrivals and either are free and stay below threshold or are held
    refractory over the whole step; return how many are left.

    Three Heun pieces, cut at the two arrival times (with one arrival, the second
    is a zero weight at t + dt and the third piece is empty), as the careful path
    computes them. Gathered into ``lanes`` first, so that the arithmetic is one
    branch-free loop the compiler vectorises; then written back, and the neurons
    it settled leave ``flagged``. Gates decay by ``_exp_neg_small``: the caller
    checks dt / tau <= 0.05. ``fastmath={"contract"}`` only lets the compiler fuse
    a multiply and an add into one FMA (one rounding instead of two); NaN and
    infinity are handled as without it.
    """
    t1 = t + dt
    L_V, L_a, L_b, L_I = lanes[0], lanes[1], lanes[2], lanes[3]
    L_h1, L_h2, L_w1, L_w2 = lanes[4], lanes[5], lanes[6], lanes[7]
    # on_a: 1 if the first arrival is on gate a, plus 2 if the second is;
    # state: 1 free and may be settled, 2 held over the step, 0 neither.
    L_on_a, L_state = lanes[8], lanes[9]
    for k in range(n_flagged):
        li = flagged[k]
        e1 = head_pop[li]
        e1s = e1 if e1 >= 0 else 0
        e2 = a_next[e1s]
        e2s = e2 if e2 >= 0 else 0
        two = e2 >= 0
        few = (e1 >= 0) & ((not two) | (a_next[e2s] < 0))
        # The two arrivals in time order; a missing second one is w = 0 at t1.
        ta, wa, ca = a_time[e1s], a_weight[e1s], a_chan[e1s]
        tb = a_time[e2s] if two else t1
        wb = a_weight[e2s] if two else 0.0
        cb = a_chan[e2s]
        swap = tb < ta
        t_first, w_first, c_first_arr = (tb, wb, cb) if swap else (ta, wa, ca)
        t_second, w_second, c_second = (ta, wa, ca) if swap else (tb, wb, cb)
        V = V_pop[li]
        L_V[k] = V
        L_a[k] = g_a[li]
        L_b[k] = g_b[li]
        L_I[k] = I_pop[li]
        L_h1[k] = t_first - t
        L_h2[k] = t_second - t_first
        L_w1[k] = w_first
        L_w2[k] = w_second
        L_on_a[k] = (1.0 if c_first_arr == c_first else 0.0) + (
            2.0 if c_second == c_first else 0.0)
        ru = ref_pop[li]
        L_state[k] = 1.0 if few & (ru <= t) & (V < Vth) else (
            2.0 if few & (ru >= t1) else 0.0)
    for k in range(n_flagged):
        V = L_V[k]
        sa = L_a[k]
        sb = L_b[k]
        base_h = glel + L_I[k]
        h1, h2 = L_h1[k], L_h2[k]
        h3 = dt - h1 - h2
        w1, w2 = L_w1[k], L_w2[k]
        second_on_a = 1.0 if L_on_a[k] >= 2.0 else 0.0
        first_on_a = L_on_a[k] - 2.0 * second_on_a
        sa1 = sa * _exp_neg_small(h1 * r_a)
        sb1 = sb * _exp_neg_small(h1 * r_b)
        V1 = _heun_piece(V, h1, sa, sb, sa1, sb1, base_h, E_a, E_b, gL, inv_C)
        sa1 += w1 * first_on_a
        sb1 += w1 - w1 * first_on_a
        sa2 = sa1 * _exp_neg_small(h2 * r_a)
        sb2 = sb1 * _exp_neg_small(h2 * r_b)
        V2 = _heun_piece(V1, h2, sa1, sb1, sa2, sb2, base_h, E_a, E_b, gL, inv_C)
        sa2 += w2 * second_on_a
        sb2 += w2 - w2 * second_on_a
        sa3 = sa2 * _exp_neg_small(h3 * r_a)
        sb3 = sb2 * _exp_neg_small(h3 * r_b)
        V3 = _heun_piece(V2, h3, sa2, sb2, sa3, sb3, base_h, E_a, E_b, gL, inv_C)
        fine = ((L_state[k] == 1.0) & (V1 < Vth) & (V2 < Vth) & (V3 < Vth)
                & (abs(V3) < V_LIMIT))
        held = L_state[k] == 2.0
        L_V[k] = V if held else V3
        L_a[k] = sa3
        L_b[k] = sb3
        L_state[k] = 1.0 if fine | held else 0.0
    n_left = 0
    for k in range(n_flagged):
        li = flagged[k]
        if L_state[k] == 1.0:   # nearly always: a branch the CPU predicts
            V_pop[li] = L_V[k]
            g_a[li] = L_a[k]
            g_b[li] = L_b[k]
            head_pop[li] = -1
        else:
            flagged[n_left] = li
            n_left += 1
    return n_left


@njit(cache=True, inline="always")
def _sums_back(g, offset, rate_c, E_c, c_first, c_stop, li, h, G, H):
    """G and H of neuron li (starting from G and H) with its gates taken back h ms
    from their values now: where a refractory period ends, or after a spike."""
    for c in range(c_first, c_stop):
        s = g[offset[c] + li] / _decay(h, rate_c[c])
        G += s
        H += s * E_c[c]
    return G, H


@njit(cache=True, inline="always")
def careful_path(flagged, n_flagged, start, step, t, dt, interp, cell, extras, extra, neurons,
                 chans, arrivals, spikes):
    """Pass 3 of step_lif_population for neurons start + flagged[:n_flagged], in order.

    ``cell`` is (gL, gL E_L, 1/C, V_th, V_reset, t_ref, first channel, channel stop,
    spikes a step at most, switching); ``extra`` is the noise and NMDA of the
    population: (sigma, its scale, stream, k0, k1, has NMDA, step parity, E_NMDA, Mg,
    Mg slope), read only where ``extras`` is not None (numba compiles neither where
    it is); ``spikes`` is where the spikes go: (ring ids, ring theta, spikes in them
    already, output ids, output times, output count, record). Returns the number of
    spikes in the ring arrays after these, and the first neuron (global index) whose
    potential diverged, or -1.
    """
    gL, glel, inv_C, Vth, Vreset, tref, c_first, c_stop, max_spikes, switching = cell
    ids, theta, n_ring, out_ids, out_times, out_count, record = spikes
    t1 = t + dt
    inv_dt = 1.0 / dt
    g, offset, decay, rate_c, E_c = chans.g, chans.offset, chans.decay, chans.rate, chans.E
    Varr, ref_until, I_now = neurons.V, neurons.ref_until, neurons.I_now
    head, a_next, a_time = arrivals.head, arrivals.next, arrivals.time
    a_chan, a_weight = arrivals.channel, arrivals.weight
    diverged = -1
    for k_flagged in range(n_flagged):
        li = flagged[k_flagged]
        i = start + li
        e = head[i]
        ru = ref_until[i]
        V = Varr[i]
        eta_step = 0.0
        u0 = 0.0
        u1 = 0.0
        if extras is not None:
            sigma, noise_scale, noise_stream, k0, k1, has_nmda, parity = extra[:7]
            if sigma != 0.0:
                xi, _ = normal_pair(li, step, noise_stream, 0, k0, k1)
                eta_step = noise_scale * xi
            if has_nmda:
                u0 = neurons.nmda_u[parity, i]
                u1 = neurons.nmda_u[1 - parity, i]

        I0 = I_now[i]
        I1 = I0
        corr = 0.0
        if switching:
            I1 = I0 + neurons.dI[i]
            corr = dt * neurons.I_corr[i] * inv_C
            I_now[i] = I1
            neurons.dI[i] = 0.0
            neurons.I_corr[i] = 0.0
        # The neuron's arrivals, sorted by time (a short list: insertion sort).
        first = -1
        while e >= 0:
            following = a_next[e]
            if first < 0 or a_time[first] > a_time[e]:
                a_next[e] = first
                first = e
            else:
                q = first
                while a_next[q] >= 0 and a_time[a_next[q]] <= a_time[e]:
                    q = a_next[q]
                a_next[e] = a_next[q]
                a_next[q] = e
            e = following
        e = first
        a = t
        while True:
            # One piece [a, b]: up to the next arrival, or to the end of the step.
            b = a_time[e] if e >= 0 else t1
            whole = e < 0 and a == t
            Ga = gL
            Ha = glel
            Gb = gL
            Hb = glel
            for c in range(c_first, c_stop):
                k = offset[c] + li
                sa = g[k]
                sb = sa * (decay[c] if whole else _decay(b - a, rate_c[c]))
                g[k] = sb
                Ga += sa
                Ha += sa * E_c[c]
                Gb += sb
                Hb += sb * E_c[c]
            fa = (a - t) * inv_dt
            fb = (b - t) * inv_dt
            Ia = I0 + (I1 - I0) * fa
            Ib = I0 + (I1 - I0) * fb
            Ha += Ia
            Hb += Ib
            ua = u0 + (u1 - u0) * fa
            ub = u0 + (u1 - u0) * fb
            eta = eta_step * (fb - fa)
            cor = corr * (fb - fa)

            if ru < b:
                ta = a
                Va = V
                if ru > a:
                    # The refractory period ends inside the piece: start from V_reset there.
                    ta = ru
                    Va = Vreset
                    Ga, Ha = _sums_back(g, offset, rate_c, E_c, c_first, c_stop, li, b - ta,
                                        gL, glel + Ia)
                    ua = u0 + (u1 - u0) * (ta - t) * inv_dt
                for _ in range(max_spikes):
                    h = b - ta
                    if Va >= Vth:
                        ts = ta  # at threshold already (set so by the user)
                    else:
                        ka = _dvdt_extra(Va, Ga, Ha, ua, extras, extra, inv_C)
                        Vs = Va + h * ka + eta
                        kb = _dvdt_extra(Vs, Gb, Hb, ub, extras, extra, inv_C)
                        V = Va + 0.5 * h * (ka + kb) + eta + cor
                        eta = 0.0
                        cor = 0.0
                        if V < Vth:
                            break
                        if interp == INTERP_HERMITE:
                            kend = _dvdt_extra(V, Gb, Hb, ub, extras, extra, inv_C)
                            ts = ta + h * hermite_crossing(Va, V, ka, kend, h, Vth)
                        elif interp == INTERP_LINEAR:
                            ts = ta + h * (Vth - Va) / (V - Va)
                        else:
                            ts = t1
                    ids[n_ring] = i
                    theta[n_ring] = (ts - t) * inv_dt
                    n_ring += 1
                    if record:
                        n = out_count[0]
                        out_ids[n] = i
                        out_times[n] = ts
                        out_count[0] = n + 1
                    ru = ts + tref
                    V = Vreset
                    if ru >= b:
                        break
                    ta = ru
                    Va = Vreset
                    Ga, Ha = _sums_back(g, offset, rate_c, E_c, c_first, c_stop, li, b - ta,
                                        gL, glel + Ib)
                    ua = u0 + (u1 - u0) * (ta - t) * inv_dt
            if e < 0:
                break
            # The arrival at b: its gate jumps.
            g[offset[a_chan[e]] + li] += a_weight[e]
            a = b
            e = a_next[e]
        head[i] = -1

        if not (abs(V) < V_LIMIT) and diverged < 0:
            diverged = i
        Varr[i] = V
        ref_until[i] = ru
    return n_ring, diverged


@njit(cache=True, inline="always")
def _quick_two_gates(V_pop, g_a, g_b, I_pop, ref_pop, head_pop, keep, gates, cell, switching,
                     shared_sums):
    """Passes 1, 2 and 4 in one loop for a two-gate population without noise or NMDA
    (the commonest): the quick Heun step of every neuron, kept (keep 1.0) unless the
    neuron needs care. Same arithmetic, same order, as the general passes of
    step_lif_population, so the results are identical. The arrays are the slices of
    the neurons to step.
    """
    d_a, d_b, j_a, j_b, E_a, E_b = gates
    gL, glel, inv_C, dt, Vth, t = cell
    shared_here, PG, PH, QG, QH, RS, cor_v = shared_sums
    half_dt = 0.5 * dt
    t1 = t + dt
    for li in range(V_pop.shape[0]):
        V = V_pop[li]
        sa = g_a[li]
        sb = g_b[li]
        sa1 = sa * d_a + j_a
        sb1 = sb * d_b + j_b
        base_h = glel + I_pop[li]
        ka = ((base_h + sa * E_a + sb * E_b) - (gL + sa + sb) * V) * inv_C
        Vs = V + dt * ka
        kb = ((base_h + sa1 * E_a + sb1 * E_b) - (gL + sa1 + sb1) * Vs) * inv_C
        Vn = V + half_dt * (ka + kb)
        if shared_here:   # loop-invariant: the compiler keeps two versions of the loop
            Vn += _shared_correction(V, ka, gL + sa + sb, PG, PH, QG, QH, RS, cor_v, inv_C)
        quick, free = _quick(V, Vn, ref_pop[li], head_pop[li], switching, t, t1, Vth)
        V_pop[li] = Vn if quick & free else V
        g_a[li] = sa1 if quick else sa
        g_b[li] = sb1 if quick else sb
        keep[li] = 1.0 if quick else 0.0


@njit(cache=True, inline="always")
def gather_flagged(keep, first, flagged):
    """Write first + k for every keep[k] == 0.0 into flagged, in order (no branch per
    neuron); return how many."""
    n = 0
    for k in range(keep.shape[0]):
        flagged[n] = first + k
        n += keep[k] == 0.0
    return n


@njit(cache=True, inline="always")
def post_two_gates(mail, fmail, start, lo, hi, off_a, off_b, c_first, switching, few, gates,
                   cell, rest):
    """Hand neurons lo:hi of the two-gate population that starts at neuron ``start`` to
    the second thread (run_loop.serve): the numbers first, then the sequence number,
    whose store-release publishes them."""
    d_a, d_b, j_a, j_b, E_a, E_b = gates
    gL, glel, inv_C, dt, Vth, t = cell
    fmail[F_DA], fmail[F_DB], fmail[F_JA], fmail[F_JB] = d_a, d_b, j_a, j_b
    fmail[F_EA], fmail[F_EB], fmail[F_GL], fmail[F_GLEL] = E_a, E_b, gL, glel
    fmail[F_INVC], fmail[F_DT], fmail[F_VTH], fmail[F_T] = inv_C, dt, Vth, t
    r_a, r_b, Vreset, tref, interp, max_spikes = rest
    fmail[F_RA], fmail[F_RB], fmail[F_VRESET], fmail[F_TREF] = r_a, r_b, Vreset, tref
    mail[M_INTERP], mail[M_MAX_SPIKES] = interp, max_spikes
    mail[M_START], mail[M_LO], mail[M_HI] = start, lo, hi
    mail[M_OFF_A], mail[M_OFF_B], mail[M_CFIRST] = off_a, off_b, c_first
    mail[M_SWITCH], mail[M_FEW] = switching, few
    mail[M_TASK] = TASK_HALF
    store_release(mail, M_SEQ, mail[M_SEQ] + 1)


@njit(cache=True, inline="always")
def wait_two_gates(mail, their, ids, theta, n_ring, out, record):
    """Wait for the second thread's half, then append its spikes (``their``) to the
    ring arrays from n_ring on, and to the output if recorded; return the new n_ring
    and the first neuron of its half that diverged, or -1."""
    wait_for(mail, M_DONE, mail[M_SEQ])
    n_out = out.count[0]
    for k in range(their.count[0]):
        ids[n_ring + k] = their.ids[k]
        theta[n_ring + k] = their.theta[k]
        if record:
            out.ids[n_out + k] = their.ids[k]
            out.times[n_out + k] = their.times[k]
    if record:
        out.count[0] = n_out + their.count[0]
    return n_ring + their.count[0], mail[M_DIVERGED]


@njit(cache=True, inline="always")
def step_upper_half(mail, fmail, neurons, chans, arrivals, scratch, spikes):
    """The second thread's half of a population step (post_two_gates): the quick step,
    the flagged gather, pass 3a and the careful path; its spikes go to ``spikes``,
    the first neuron that diverged (or -1) to M_DIVERGED."""
    start, lo, hi = mail[M_START], mail[M_LO], mail[M_HI]
    off_a, off_b = mail[M_OFF_A], mail[M_OFF_B]
    gates = (fmail[F_DA], fmail[F_DB], fmail[F_JA], fmail[F_JB], fmail[F_EA],
             fmail[F_EB])
    gL, glel, inv_C, dt = fmail[F_GL], fmail[F_GLEL], fmail[F_INVC], fmail[F_DT]
    Vth, t = fmail[F_VTH], fmail[F_T]
    V_pop = neurons.V[start:start + hi]
    g_a = chans.g[off_a:off_a + hi]
    g_b = chans.g[off_b:off_b + hi]
    I_pop = neurons.I_now[start:start + hi]
    ref_pop = neurons.ref_until[start:start + hi]
    head_pop = arrivals.head[start:start + hi]
    keep = scratch.keep
    _quick_two_gates(V_pop[lo:], g_a[lo:], g_b[lo:], I_pop[lo:], ref_pop[lo:],
                     head_pop[lo:], keep[lo:hi], gates, (gL, glel, inv_C, dt, Vth, t),
                     mail[M_SWITCH] != 0, (False, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0))
    n = gather_flagged(keep[lo:hi], lo, scratch.flagged)
    if mail[M_FEW] != 0:
        n = _few_arrivals(n, scratch.flagged, scratch.lanes, V_pop, g_a, g_b, I_pop,
                          ref_pop, head_pop, arrivals.next, arrivals.time,
                          arrivals.weight, arrivals.channel, mail[M_CFIRST], t, dt,
                          fmail[F_RA], fmail[F_RB], gates[4], gates[5], gL, glel, inv_C,
                          Vth)
    c_first = mail[M_CFIRST]
    spikes.count[0] = 0
    _, diverged = careful_path(
        scratch.flagged, n, start, 0, t, dt, mail[M_INTERP],
        (gL, glel, inv_C, Vth, fmail[F_VRESET], fmail[F_TREF], c_first, c_first + 2,
         mail[M_MAX_SPIKES], mail[M_SWITCH] != 0),
        None, (0.0, 0.0, 0, np.uint64(0), np.uint64(0), False, 0, 0.0, 0.0, 0.0),
        neurons, chans, arrivals,
        (spikes.ids, spikes.theta, 0, spikes.ids, spikes.times, spikes.count, True))
    mail[M_DIVERGED] = diverged


# Inlined into advance: as a call, its arguments (some 200 array fields) cost
# about 0.4 µs a population step, more than a small population's whole step.
@njit(cache=True, inline="always")
def step_lif_population(p, step, t, dt, interp, k0, k1, pops, neurons, chans, arrivals,
                        shared, ring, out, status, scratch, helper, extras):
    """Advance population p from t to t + dt; return False if a neuron diverged.

    ``helper`` is (mail, fmail, buffers, arrival list) of the second thread
    (second_thread).
    ``extras`` is None where no LIF population of the network has noise or NMDA:
    numba then leaves out the code for them (a tenth of a cold start).
    """
    mail, fmail, buffers, _ = helper
    par = pops.params[p]
    ints = pops.ints[p]
    C, gL, EL = par[P_C], par[P_GL], par[P_EL]
    Vth, Vreset, tref = par[P_VTH], par[P_VRESET], par[P_TREF]
    sigma, E_nmda, mg, mg_slope = par[P_SIGMA], par[P_NMDA_E], par[P_MG], par[P_MG_SLOPE]
    start, stop = ints[I_START], ints[I_STOP]
    c_first, c_stop = ints[I_CHAN_FIRST], ints[I_CHAN_STOP]
    has_nmda = ints[I_HAS_NMDA] != 0
    noise_stream = ints[I_NOISE_STREAM]
    max_spikes = ints[I_MAX_SPIKES]
    record = ints[I_RECORD] != 0
    switching = pops.switching[p] != 0

    t1 = t + dt
    slot = step % ring.ids.shape[0]
    n_ring = ring.pop_stop[slot, p - 1] if p > 0 else 0
    parity = step & 1
    # Local references: numba then keeps the array pointers out of the inner loops.
    g = chans.g
    offset = chans.offset
    decay = chans.decay
    rate_c = chans.rate
    E_c = chans.E
    Varr = neurons.V
    ref_until = neurons.ref_until
    I_now = neurons.I_now
    head = arrivals.head
    a_next = arrivals.next
    a_time = arrivals.time
    a_chan = arrivals.channel
    a_weight = arrivals.weight
    ring_ids = ring.ids
    ring_theta = ring.theta
    out_ids = out.ids
    out_times = out.times
    out_count = out.count
    status_code, status_neuron, status_time = status
    jump = shared.jump
    # Shared (all-to-all) arrivals: sums over this population's channels for the
    # quick step's correction (see _shared_correction).
    PG, PH, QG, QH, RS = 0.0, 0.0, 0.0, 0.0, 0.0
    shared_here = False
    for k in range(shared.count[0]):
        shared_here |= shared.pop[k] == p
    for c in range(c_first, c_stop):
        PG += shared.corr_p[c]
        PH += shared.corr_p[c] * E_c[c]
        QG += shared.corr_q[c]
        QH += shared.corr_q[c] * E_c[c]
        RS += shared.corr_r[c]
    glel = gL * EL
    inv_C = 1.0 / C
    half_dt = 0.5 * dt
    noise_scale = sigma * math.sqrt(dt) * inv_C
    ok = True

    n_cells = stop - start
    G0 = scratch.G0
    H0 = scratch.H0
    G1 = scratch.G1
    H1 = scratch.H1
    keep = scratch.keep

    # Views of this population's slices: indexed by a range variable, which numba
    # knows is non-negative, the loops below carry no wraparound checks and vectorise.
    V_pop = Varr[start:stop]
    ref_pop = ref_until[start:stop]
    I_pop = I_now[start:stop]
    head_pop = head[start:stop]

    # Passes 1, 2 and 4 in one loop for the commonest population: two gates (an
    # excitatory and an inhibitory), no noise, no NMDA. Same arithmetic, same
    # order, as the general passes below, so the results are identical.
    fused = c_stop - c_first == 2 and sigma == 0.0 and not has_nmda
    # The two gates of a fused population (a population may have no gate at all).
    c_a = c_first if fused else 0
    c_b = c_first + 1 if fused else 0
    g_a = g[offset[c_a]:offset[c_a] + n_cells] if fused else g[:0]
    g_b = g[offset[c_b]:offset[c_b] + n_cells] if fused else g[:0]
    d_a, d_b = (decay[c_a], decay[c_b]) if fused else (1.0, 1.0)
    j_a, j_b = (jump[c_a], jump[c_b]) if fused else (0.0, 0.0)
    cor_v = dt * inv_C
    r_a, r_b = (rate_c[c_a], rate_c[c_b]) if fused else (0.0, 0.0)
    E_a, E_b = (E_c[c_a], E_c[c_b]) if fused else (0.0, 0.0)
    # With a second thread (second_thread), it takes the upper half of a large
    # two-gate population through passes 1-3, while this one takes the lower half.
    mid = n_cells
    few = fused and not switching and dt * max(r_a, r_b) <= 0.05
    gates = (d_a, d_b, j_a, j_b, E_a, E_b)
    cell = (gL, glel, inv_C, dt, Vth, t)
    if buffers.split_mid[p] < stop:     # run_loop chose so (second_thread.splittable)
        mid = buffers.split_mid[p] - start
        post_two_gates(mail, fmail, start, mid, n_cells, offset[c_a], offset[c_b], c_first,
                       switching, few, gates, cell, (r_a, r_b, Vreset, tref, interp, max_spikes))
    if fused:
        _quick_two_gates(V_pop[:mid], g_a[:mid], g_b[:mid], I_pop[:mid], ref_pop[:mid],
                         head_pop[:mid], keep[:mid], gates, cell, switching,
                         (shared_here, PG, PH, QG, QH, RS, cor_v))
    else:
        # Pass 1: conductance sums at t and t + dt, channel by channel.
        for li in range(n_cells):
            G0[li] = gL
            G1[li] = gL
            H0[li] = glel + I_pop[li]
            H1[li] = H0[li]
        for c in range(c_first, c_stop):
            g_c = g[offset[c]:offset[c] + n_cells]
            d = decay[c]
            Ec = E_c[c]
            jc = jump[c]
            for li in range(n_cells):
                s0 = g_c[li]
                s1 = s0 * d + jc
                G0[li] += s0
                H0[li] += s0 * Ec
                G1[li] += s1
                H1[li] += s1 * Ec
        # Pass 2: a quick Heun step for every neuron (two loops, so that the common
        # one, without noise or NMDA, vectorises) ...
        V_next = scratch.V_next
        if extras is None or (sigma == 0.0 and not has_nmda):
            for li in range(n_cells):
                V = V_pop[li]
                ka = (H0[li] - G0[li] * V) * inv_C
                Vs = V + dt * ka
                kb = (H1[li] - G1[li] * Vs) * inv_C
                V_next[li] = V + half_dt * (ka + kb)
                if shared_here:
                    V_next[li] += _shared_correction(V, ka, G0[li], PG, PH, QG, QH, RS, cor_v,
                                                     inv_C)
        else:
            u_now = neurons.nmda_u[parity, start:stop]
            u_next = neurons.nmda_u[1 - parity, start:stop]
            for li in range(n_cells):
                V = V_pop[li]
                eta = 0.0
                if sigma != 0.0:
                    eta = noise_scale * normal_pair(li, step, noise_stream, 0, k0, k1)[0]
                ka = _dvdt(V, G0[li], H0[li], u_now[li], E_nmda, mg, mg_slope, inv_C)
                Vs = V + dt * ka + eta
                kb = _dvdt(Vs, G1[li], H1[li], u_next[li], E_nmda, mg, mg_slope, inv_C)
                V_next[li] = V + half_dt * (ka + kb) + eta
                if shared_here:
                    V_next[li] += _shared_correction(V, ka, G0[li], PG, PH, QG, QH, RS, cor_v,
                                                     inv_C)
        # ... which stands unless the neuron needs care: arrivals, a spike, the end of
        # a refractory period, a switching current, or a value that is not finite.
        for li in range(n_cells):
            V = V_pop[li]
            Vn = V_next[li]
            quick, free = _quick(V, Vn, ref_pop[li], head_pop[li], switching, t, t1, Vth)
            V_pop[li] = Vn if quick & free else V
            keep[li] = 1.0 if quick else 0.0

    flagged = scratch.flagged
    n_flagged = gather_flagged(keep[:mid], 0, flagged)
    # The flagged neurons take the careful path, which cuts the step at every
    # arrival: the shared ones join their lists (room was checked by run_loop).
    n_shared = shared.count[0]
    for k in range(n_shared):
        if shared.pop[k] != p:
            continue
        ta_k = shared.time[k]
        ch_k = shared.channel[k]
        w_k = shared.weight[k]
        for k_flagged in range(n_flagged):
            i = start + flagged[k_flagged]
            e = arrivals.count[0]
            arrivals.count[0] = e + 1
            a_time[e] = ta_k
            a_chan[e] = ch_k
            a_weight[e] = w_k
            a_next[e] = head[i]
            head[i] = e
    # Pass 3a: flagged neurons of a two-gate population that have one or two
    # arrivals and are free and stay below threshold, or are held refractory over
    # the whole step (``_few_arrivals``). Those it settles leave the list.
    if few:
        n_flagged = _few_arrivals(n_flagged, flagged, scratch.lanes, V_pop, g_a, g_b, I_pop,
                                  ref_pop, head_pop, a_next, a_time, a_weight, a_chan, c_first,
                                  t, dt, r_a, r_b, E_a, E_b, gL, glel, inv_C, Vth)
    # Pass 3: the careful path, for the flagged neurons still left (the second thread
    # takes its own half's meanwhile; its spikes follow these, in the order one thread
    # would emit them).
    n_ring, diverged = careful_path(
        flagged, n_flagged, start, step, t, dt, interp,
        (gL, glel, inv_C, Vth, Vreset, tref, c_first, c_stop, max_spikes, switching),
        extras, (sigma, noise_scale, noise_stream, k0, k1, has_nmda, parity, E_nmda, mg,
                 mg_slope),
        neurons, chans, arrivals,
        (ring_ids[slot], ring_theta[slot], n_ring, out_ids, out_times, out_count, record))
    if mid < n_cells:
        n_ring, their_diverged = wait_two_gates(mail, buffers, ring_ids[slot],
                                                ring_theta[slot], n_ring, out, record)
        if diverged < 0:
            diverged = their_diverged
    if diverged >= 0:
        status_code[0] = STATUS_DIVERGED
        status_neuron[0] = diverged
        status_time[0] = t1
        ok = False

    # Pass 4: the gates of neurons that took the quick step decay (and take the
    # step's shared jumps).
    for c in range(c_first, c_stop if not fused else c_first):
        g_c = g[offset[c]:offset[c] + n_cells]
        d1 = decay[c] - 1.0
        jc = jump[c]
        for li in range(n_cells):
            g_c[li] = g_c[li] * (1.0 + d1 * keep[li]) + jc * keep[li]
    ring.pop_stop[slot, p] = n_ring
    return ok
