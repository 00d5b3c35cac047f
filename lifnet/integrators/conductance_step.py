"""One step of a conductance-cell population: RTM, Wang-Buzsáki, NEST's HH, Traub-Miles.

The cell (units: ms, mV, nF, µS, nA)::

    C dV/dt = -sum_ion g_ion(V, x) (V - E_ion) - g_L (V - E_L) - sum_c I_c + I_inj
              - sum_j g_ij (V - V_j)                                   (gap junctions)
    dx/dt   = a_x(V) (1 - x) - b_x(V) x                                (gates m, h, n, p)

Every right-hand side is linear in the variable it drives, with
coefficients that depend on the rest of the state: ``C dV/dt = H - G V`` and
``dx/dt = a - s x`` (s = a + b). Two second-order steps:

* Heun (explicit RK2): the more accurate (the RTM cell's spike times drift
  3-5x less per cycle than with the exponential step at the same dt), but
  stable only while dt times the fastest rate (G / C, or a gate's a + b)
  stays below 2; during a spike that rate reaches 90 /ms for the RTM cell
  and 110 /ms for NEST's HH cell (its alpha_m).
* the exponential trapezoid (second-order Rush-Larsen, Perego & Veneziani
  2009): predictor, every variable by exponential Euler with its
  coefficients at t (``y* = y + h (H - G y) phi1(G h) / C``,
  ``phi1(z) = (1 - e^-z) / z``); corrector, from t again with each
  coefficient averaged between t and the predictor. Stable at any dt.

``method="auto"`` (the default): Heun; and where a cell is stiff in this
step (dt times its fastest rate, at t or at the predictor, above
``Z_SUBSTEP``: in a spike) its predictor is exponential Euler (stable,
first order, which is all the partners of a gap junction need of it) and
its step is redone as Heun substeps short enough to be stable and
accurate, with the synaptic and gap drive linear in time between its
values at t and t + dt. Every piece is second order,
so the whole is; a spike costs a few more rate evaluations, the time
between spikes none.

Gap junctions enter G and H of both stages from the same state vector, so
coupled cells are advanced together inside the step: no waveform
relaxation.

Synaptic inputs arrive at exact times inside the step. Their gates are
linear and propagated exactly to t + dt; the stages see them at t and t + dt
like any coefficient, which treats an arrival at t_a as if it had acted for
dt / 2 at its end-of-step size. The difference to the exact integral over
[t_a, t + dt] is added to V (``corr``), so an arrival costs O(w dt^2), not
O(w dt), and spike times stay second order.

A spike is an upward crossing of ``V_spike``, placed on the cubic Hermite
interpolant of V from its values and slopes at both ends of the step. There
is no reset.
"""

import math

import numpy as np
from numba import njit

from .layout import (
    CH_ALPHA_CURRENT,
    CH_EXP,
    CH_EXP2,
    H_C,
    H_EK,
    H_EL,
    H_ENA,
    H_GK,
    H_GK2,
    H_GL,
    H_GNA,
    H_METHOD,
    H_PHI,
    H_VSPIKE,
    H_VT,
    I_CHAN_FIRST,
    I_CHAN_STOP,
    I_NOISE_STREAM,
    I_RECORD,
    I_START,
    I_STOP,
    METHOD_AUTO,
    METHOD_EXPONENTIAL,
    METHOD_HEUN,
    MODEL_HH_NEST,
    MODEL_RTM,
    MODEL_TRAUB,
    MODEL_WB,
    N_GATES,
    P_SIGMA,
    STATUS_DIVERGED,
)
from .lif_rk2 import INTERP_HERMITE, INTERP_LINEAR, V_LIMIT, hermite_crossing
from .philox import normal_pair

Z_SUBSTEP = 0.25  # method "auto": substeps where dt x (fastest rate) exceeds this ...
MAX_SUBSTEPS = 64  # ... so that each substep's is below it, up to this many.
# A gate's rate counts half: a fast gate near its steady state (NEST's m at rest,
# 6.5 /ms) costs little accuracy, while G / C sets how well a spike is timed.
GATE_STIFFNESS = 0.5


@njit(cache=True, inline="always")
def _xexp(x, k):
    """x / (1 - exp(-x / k)), with its limit k at x = 0."""
    z = x / k
    if abs(z) < 1e-7:
        return k * (1.0 + 0.5 * z)
    return x / -math.expm1(-z)


@njit(cache=True, inline="always")
def _phi1(z):
    """(1 - exp(-z)) / z, with its limit 1 at z = 0."""
    if abs(z) < 1e-8:
        return 1.0 - 0.5 * z
    return -math.expm1(-z) / z


@njit(cache=True, inline="always")
def rates(model, V, phi, VT):
    """Opening and closing rates (1/ms) of the gates m, h, n, p at V (mV).

    A gate a model does not use gets 0 and 0 (it stays where it is).
    """
    if model == MODEL_RTM:
        # Börgers & Kopell's reduced Traub-Miles cell (the rate functions of seed 000).
        return (0.32 * _xexp(V + 54.0, 4.0), 0.28 * _xexp(-(V + 27.0), 5.0),
                0.128 * math.exp(-(V + 50.0) / 18.0), 4.0 / (1.0 + math.exp(-(V + 27.0) / 5.0)),
                0.032 * _xexp(V + 52.0, 5.0), 0.5 * math.exp(-(V + 57.0) / 40.0), 0.0, 0.0)
    if model == MODEL_WB:
        # Wang & Buzsáki (1996); h and n are sped up by phi.
        return (0.1 * _xexp(V + 35.0, 10.0), 4.0 * math.exp(-(V + 60.0) / 18.0),
                phi * 0.07 * math.exp(-(V + 58.0) / 20.0),
                phi / (1.0 + math.exp(-(V + 28.0) / 10.0)),
                phi * 0.01 * _xexp(V + 34.0, 10.0), phi * 0.125 * math.exp(-(V + 44.0) / 80.0),
                0.0, 0.0)
    if model == MODEL_TRAUB:
        # Traub & Miles (1991) as in Brette et al. (2007), benchmark 3; u = V - V_T.
        u = V - VT
        return (0.32 * _xexp(u - 13.0, 4.0), 0.28 * _xexp(40.0 - u, 5.0),
                0.128 * math.exp((17.0 - u) / 18.0), 4.0 / (1.0 + math.exp((40.0 - u) / 5.0)),
                0.032 * _xexp(u - 15.0, 5.0), 0.5 * math.exp((10.0 - u) / 40.0), 0.0, 0.0)
    # MODEL_HH_NEST: NEST's hh_psc_alpha_gap (Mancilla et al. 2007): Kv1 (n^4), Kv3 (p^2).
    return (40.0 * _xexp(V - 75.5, 13.5), 1.2262 * math.exp(-V / 42.248),
            0.0035 * math.exp(-V / 24.186), 0.017 * _xexp(V + 51.25, 5.2),
            0.014 * _xexp(V + 44.0, 2.3), 0.0043 * math.exp(-(V + 44.0) / 34.0),
            _xexp(V - 95.0, 11.8), 0.025 * math.exp(-V / 22.222))


@njit(cache=True, inline="always")
def ionic(model, am, bm, m, h, n, p, gNa, ENa, gK, EK, gK2):
    """(G, H) of the voltage-gated currents: sum g_ion and sum g_ion E_ion (µS, nA)."""
    if model == MODEL_RTM or model == MODEL_WB:
        m = am / (am + bm)      # instantaneous activation
    g_na = gNa * m * m * m * h
    n2 = n * n
    g_k = gK * n2 * n2
    if model == MODEL_HH_NEST:
        g_k += gK2 * p * p
    return g_na + g_k, g_na * ENa + g_k * EK


@njit(cache=True, inline="always")
def _moment(L, tau, t_off, dt):
    """int over [t1 - L, t1] of exp(-(s - t1 + L) / tau) (s - t) ds minus dt^2 / 2 its end value.

    t_off = t1 - L - t, where the exponential starts inside the step.
    """
    e = math.exp(-L / tau)
    X = L / tau
    return t_off * tau * -math.expm1(-X) + tau * tau * (1.0 - e * (1.0 + X)) - 0.5 * dt * dt * e


@njit(cache=True, inline="always")
def _arrival(kind, w, L, tau, tau_r, peak, dt):
    """An arrival of weight w, L ms before the step's end, on one gate.

    Returns the jumps of g and r at t + dt, and what the stages miss of it:
    its exact integral over the step minus the trapezoid's (dt / 2 times its
    end value), which multiplies E - V (or 1 for a current), and its first
    moment int g (s - t) ds minus Heun's dt^2 / 2 times its end value, which
    multiplies -dV/dt (conductances only).
    """
    e = math.exp(-L / tau)
    t_off = dt - L
    if kind == CH_EXP:
        return (w * e, 0.0, w * (tau * -math.expm1(-L / tau) - 0.5 * dt * e),
                w * _moment(L, tau, t_off, dt))
    if kind == CH_EXP2:
        er = math.exp(-L / tau_r)
        integral = tau * -math.expm1(-L / tau) - tau_r * -math.expm1(-L / tau_r)
        return (w * e, w * er, w * peak * (integral - 0.5 * dt * (e - er)),
                w * peak * (_moment(L, tau, t_off, dt) - _moment(L, tau_r, t_off, dt)))
    # CH_ALPHA_CURRENT, peak current w at tau after the arrival: r jumps by w e.
    X = L / tau
    a = w * peak
    return a * X * e, a * e, a * (tau * (1.0 - e * (1.0 + X)) - 0.5 * dt * X * e), 0.0


@njit(cache=True)
def _substeps(model, m, t, dt, v, x0, x1, x2, x3, GA, HA, GB, HB, inv_C, gNa, ENa, gK, EK, gK2,
              phi, VT, V_spike, interp):
    """m Heun substeps of one cell over [t, t + dt]; the drive (G, H of leak,
    synapses, injected and gap currents) goes linearly from (GA, HA) to (GB, HB).

    Returns V, the gates, and the time of the first upward crossing of
    V_spike (NaN if none), placed inside its substep.
    """
    h = dt / m
    t_cross = math.nan
    for j in range(m):
        fa = j / m
        fb = (j + 1.0) / m
        G_a = GA + (GB - GA) * fa
        H_a = HA + (HB - HA) * fa
        G_b = GA + (GB - GA) * fb
        H_b = HA + (HB - HA) * fb
        am, bm, ah, bh, an, bn, ap, bp = rates(model, v, phi, VT)
        Gi, Hi = ionic(model, am, bm, x0, x1, x2, x3, gNa, ENa, gK, EK, gK2)
        kv = (H_a + Hi - (G_a + Gi) * v) * inv_C
        k0 = am - (am + bm) * x0
        k1 = ah - (ah + bh) * x1
        k2 = an - (an + bn) * x2
        k3 = ap - (ap + bp) * x3
        vp = v + h * kv
        y0, y1, y2, y3 = x0 + h * k0, x1 + h * k1, x2 + h * k2, x3 + h * k3
        am, bm, ah, bh, an, bn, ap, bp = rates(model, vp, phi, VT)
        Gi, Hi = ionic(model, am, bm, y0, y1, y2, y3, gNa, ENa, gK, EK, gK2)
        vn = v + 0.5 * h * (kv + (H_b + Hi - (G_b + Gi) * vp) * inv_C)
        x0 += 0.5 * h * (k0 + am - (am + bm) * y0)
        x1 += 0.5 * h * (k1 + ah - (ah + bh) * y1)
        x2 += 0.5 * h * (k2 + an - (an + bn) * y2)
        x3 += 0.5 * h * (k3 + ap - (ap + bp) * y3)
        if t_cross != t_cross and v < V_spike <= vn:
            if interp == INTERP_HERMITE:
                am, bm, ah, bh, an, bn, ap, bp = rates(model, vn, phi, VT)
                Gi, Hi = ionic(model, am, bm, x0, x1, x2, x3, gNa, ENa, gK, EK, gK2)
                k_end = (H_b + Hi - (G_b + Gi) * vn) * inv_C
                t_cross = t + dt * fa + h * hermite_crossing(v, vn, kv, k_end, h, V_spike)
            elif interp == INTERP_LINEAR:
                t_cross = t + dt * fa + h * (V_spike - v) / (vn - v)
            else:
                t_cross = t + dt
        v = vn
    return v, x0, x1, x2, x3, t_cross


@njit(cache=True)
def step_conductance_population(p, step, t, dt, interp, k0, k1, pops, neurons, chans, arrivals,
                                shared, cells, ring, out, status):
    """Advance conductance-cell population p from t to t + dt; False if a cell diverged."""
    par = cells.params[p]
    model = cells.model[p]
    C, gL, EL = par[H_C], par[H_GL], par[H_EL]
    gNa, ENa, gK, EK, gK2 = par[H_GNA], par[H_ENA], par[H_GK], par[H_EK], par[H_GK2]
    V_spike, phi, VT = par[H_VSPIKE], par[H_PHI], par[H_VT]
    method = par[H_METHOD]
    # RTM and WB cells: m is instantaneous, its (fast) rates no concern of the step.
    first_gate = 1 if model == MODEL_RTM or model == MODEL_WB else 0
    ints = pops.ints[p]
    start, stop = ints[I_START], ints[I_STOP]
    n_cells = stop - start
    c_first, c_stop = ints[I_CHAN_FIRST], ints[I_CHAN_STOP]
    sigma = pops.params[p, P_SIGMA]
    noise_stream = ints[I_NOISE_STREAM]
    record = ints[I_RECORD] != 0
    switching = pops.switching[p] != 0
    t1 = t + dt
    inv_C = 1.0 / C
    glel = gL * EL
    slot = step % ring.ids.shape[0]
    n_ring = ring.pop_stop[slot, p - 1] if p > 0 else 0

    V = neurons.V[start:stop]
    I_now = neurons.I_now[start:stop]
    x = cells.x[:, start:stop]
    G0 = cells.G0[start:stop]
    H0 = cells.H0[start:stop]
    Gs1 = cells.Gs1[start:stop]
    Hs1 = cells.Hs1[start:stop]
    a0 = cells.a0[:, start:stop]
    s0 = cells.s0[:, start:stop]
    V_star = cells.V_star[start:stop]
    Gs0 = cells.Gs0[start:stop]
    Hs0 = cells.Hs0[start:stop]
    gap0 = cells.gap0[start:stop]
    n_sub = cells.n_sub[start:stop]
    t_cross = cells.t_cross[start:stop]
    x_star = cells.x_star[:, start:stop]
    V_old = cells.V_old[start:stop]
    corr = cells.corr[start:stop]
    moments = cells.moments[start:stop]
    gap_in = cells.gap_in[start:stop]
    gap_total = cells.gap_total[start:stop]
    indptr, indices, gap_g = cells.gap_indptr, cells.gap_indices, cells.gap_g
    V_all = neurons.V
    g = chans.g
    r = chans.r

    # Synaptic and injected drive at t (into Gs0, Hs0) and at t + dt without the
    # step's arrivals (into Gs1, Hs1); the gates move to t + dt.
    for li in range(n_cells):
        I0 = I_now[li]
        Gs0[li] = 0.0
        Hs0[li] = I0
        Gs1[li] = 0.0
        Hs1[li] = I0
        corr[li] = 0.0
        moments[li] = 0.0
        V_old[li] = V[li]
    if switching:
        for li in range(n_cells):
            i = start + li
            Hs1[li] += neurons.dI[i]
            I_now[li] += neurons.dI[i]
            corr[li] = dt * neurons.I_corr[i] * inv_C
            neurons.dI[i] = 0.0
            neurons.I_corr[i] = 0.0
    for c in range(c_first, c_stop):
        kind = chans.kind[c]
        o = chans.offset[c]
        gc = g[o:o + n_cells]
        rc = r[o:o + n_cells]
        d = chans.decay[c]
        Ec = chans.E[c]
        tau = chans.tau[c]
        # The stages see a gate at t and t + dt only: the trapezoid. What it misses
        # of the exact integral over the step, per unit of the gate at t (kappa)
        # goes into corr, as for an arrival; it matters where dt is near tau.
        kappa = tau * (1.0 - d) - 0.5 * dt * (1.0 + d)
        mu = _moment(dt, tau, 0.0, dt)
        if kind == CH_EXP:
            for li in range(n_cells):
                s = gc[li]
                Gs0[li] += s
                Hs0[li] += s * Ec
                corr[li] += s * kappa * (Ec - V[li]) * inv_C
                moments[li] += s * mu
                gc[li] = s * d
        elif kind == CH_EXP2:
            f = chans.peak[c]
            tau_r = chans.tau_rise[c]
            dr = math.exp(-dt / tau_r)
            kappa_r = tau_r * (1.0 - dr) - 0.5 * dt * (1.0 + dr)
            mu_r = _moment(dt, tau_r, 0.0, dt)
            for li in range(n_cells):
                s = f * (gc[li] - rc[li])
                Gs0[li] += s
                Hs0[li] += s * Ec
                corr[li] += f * (gc[li] * kappa - rc[li] * kappa_r) * (Ec - V[li]) * inv_C
                moments[li] += f * (gc[li] * mu - rc[li] * mu_r)
                gc[li] *= d
                rc[li] *= dr
        else:
            X = dt / tau
            kappa_r = tau * (1.0 - d * (1.0 + X)) - 0.5 * dt * X * d
            for li in range(n_cells):
                Hs0[li] += gc[li]
                corr[li] += (gc[li] * kappa + rc[li] * kappa_r) * inv_C
                gc[li] = (gc[li] + rc[li] * X) * d
                rc[li] *= d

    # The step's arrivals: exact jumps of the gates at t + dt, and what the
    # stages miss of each (see _arrival).
    head, a_next, a_time = arrivals.head, arrivals.next, arrivals.time
    a_chan, a_weight = arrivals.channel, arrivals.weight
    for li in range(n_cells):
        i = start + li
        e = head[i]
        while e >= 0:
            c = a_chan[e]
            kind = chans.kind[c]
            jg, jr, miss, moment = _arrival(kind, a_weight[e], t1 - a_time[e], chans.tau[c],
                                            chans.tau_rise[c], chans.peak[c], dt)
            k = chans.offset[c] + li
            g[k] += jg
            r[k] += jr
            if kind == CH_ALPHA_CURRENT:
                corr[li] += miss * inv_C
            else:
                corr[li] += miss * (chans.E[c] - V[li]) * inv_C
                moments[li] += moment
            e = a_next[e]
        head[i] = -1
    for q in range(shared.count[0]):
        if shared.pop[q] != p:
            continue
        c = shared.channel[q]
        kind = chans.kind[c]
        jg, jr, miss, moment = _arrival(kind, shared.weight[q], t1 - shared.time[q],
                                        chans.tau[c], chans.tau_rise[c], chans.peak[c], dt)
        o = chans.offset[c]
        Ec = chans.E[c]
        current = kind == CH_ALPHA_CURRENT
        for li in range(n_cells):
            g[o + li] += jg
            r[o + li] += jr
            corr[li] += miss * inv_C * (1.0 if current else Ec - V[li])
            moments[li] += moment
    for c in range(c_first, c_stop):
        kind = chans.kind[c]
        o = chans.offset[c]
        Ec = chans.E[c]
        f = chans.peak[c]
        for li in range(n_cells):
            if kind == CH_EXP:
                s = g[o + li]
            elif kind == CH_EXP2:
                s = f * (g[o + li] - r[o + li])
            else:
                Hs1[li] += g[o + li]
                continue
            Gs1[li] += s
            Hs1[li] += s * Ec

    # Stage 1 (predictor), from the state at t: explicit Euler, or exponential
    # Euler (stable however stiff the cell is) for "exponential" and for stiff
    # cells under "auto".
    has_gap = indptr[stop] > indptr[start]
    if has_gap:
        for li in range(n_cells):
            acc = 0.0
            for q in range(indptr[start + li], indptr[start + li + 1]):
                acc += gap_g[q] * V_all[indices[q]]
            gap0[li] = acc
    noise_scale = sigma * math.sqrt(dt) * inv_C
    for li in range(n_cells):
        v = V[li]
        am, bm, ah, bh, an, bn, ap, bp = rates(model, v, phi, VT)
        Gi, Hi = ionic(model, am, bm, x[0, li], x[1, li], x[2, li], x[3, li],
                       gNa, ENa, gK, EK, gK2)
        G = gL + Gi + Gs0[li] + gap_total[li]
        H = glel + Hi + Hs0[li] + (gap0[li] if has_gap else 0.0)
        G0[li] = G
        H0[li] = H
        a0[0, li], s0[0, li] = am, am + bm
        a0[1, li], s0[1, li] = ah, ah + bh
        a0[2, li], s0[2, li] = an, an + bn
        a0[3, li], s0[3, li] = ap, ap + bp
        # Gap conductance is left out, so that a junction between equal cells
        # changes nothing; the network checks that it is far from stiff.
        z = (G - gap_total[li]) * dt * inv_C
        for k in range(first_gate, N_GATES):
            z = max(z, GATE_STIFFNESS * s0[k, li] * dt)
        euler = z <= Z_SUBSTEP if method == METHOD_AUTO else method == METHOD_HEUN
        V_star[li] = v + dt * (H - G * v) * inv_C * (1.0 if euler else _phi1(G * dt * inv_C))
        for k in range(N_GATES):
            sk = s0[k, li]
            xk = x[k, li]
            x_star[k, li] = xk + dt * (a0[k, li] - sk * xk) * (1.0 if euler else _phi1(sk * dt))

    # Stage 2 (corrector), from t again, with the partners' V at the predictor.
    if has_gap:
        V_s_all = cells.V_star
        for li in range(n_cells):
            acc = 0.0
            for q in range(indptr[start + li], indptr[start + li + 1]):
                acc += gap_g[q] * V_s_all[indices[q]]
            gap_in[li] = acc
    for li in range(n_cells):
        v = V_star[li]
        am, bm, ah, bh, an, bn, ap, bp = rates(model, v, phi, VT)
        Gi, Hi = ionic(model, am, bm, x_star[0, li], x_star[1, li], x_star[2, li],
                       x_star[3, li], gNa, ENa, gK, EK, gK2)
        G1 = gL + Gi + Gs1[li] + gap_total[li]
        H1 = glel + Hi + Hs1[li] + (gap_in[li] if has_gap else 0.0)
        v0 = V_old[li]
        eta = 0.0
        if sigma != 0.0:
            eta = noise_scale * normal_pair(li, step, noise_stream, 0, k0, k1)[0]
        a_s = (am, ah, an, ap)
        s_s = (am + bm, ah + bh, an + bn, ap + bp)
        substeps = 1
        if method == METHOD_AUTO:
            z = (max(G0[li], G1) - gap_total[li]) * dt * inv_C
            for k in range(first_gate, N_GATES):
                z = max(z, GATE_STIFFNESS * max(s0[k, li], s_s[k]) * dt)
            if z > Z_SUBSTEP:
                substeps = min(MAX_SUBSTEPS, int(math.ceil(z / Z_SUBSTEP)))
        n_sub[li] = substeps
        if method == METHOD_EXPONENTIAL:
            G = 0.5 * (G0[li] + G1)
            H = 0.5 * (H0[li] + H1)
            V[li] = v0 + dt * (H - G * v0) * inv_C * _phi1(G * dt * inv_C) + corr[li] + eta
            for k in range(N_GATES):
                a = 0.5 * (a0[k, li] + a_s[k])
                sk = 0.5 * (s0[k, li] + s_s[k])
                xk = x[k, li]
                x[k, li] = xk + dt * (a - sk * xk) * _phi1(sk * dt)
        elif substeps == 1:
            k_start = (H0[li] - G0[li] * v0) * inv_C
            V[li] = v0 + 0.5 * dt * (k_start + (H1 - G1 * v) * inv_C) + corr[li] \
                - k_start * moments[li] * inv_C + eta
            for k in range(N_GATES):
                xk = x[k, li]
                x[k, li] = xk + 0.5 * dt * ((a0[k, li] - s0[k, li] * xk)
                                            + (a_s[k] - s_s[k] * x_star[k, li]))
        else:
            # Stiff (a spike): Heun substeps, with the synaptic and injected drive
            # linear in time between its values at t and t + dt, and the gap
            # current too, between its values at t and at the predictor.
            gap_A = 0.0
            gap_B = 0.0
            if has_gap:
                gap_A = gap0[li] - gap_total[li] * v0
                gap_B = gap_in[li] - gap_total[li] * v
            v, x0, x1, x2, x3, t_cross[li] = _substeps(
                model, substeps, t, dt, v0, x[0, li], x[1, li], x[2, li], x[3, li],
                gL + Gs0[li], glel + Hs0[li] + gap_A, gL + Gs1[li], glel + Hs1[li] + gap_B,
                inv_C, gNa, ENa, gK, EK, gK2, phi, VT, V_spike, interp)
            V[li] = v + corr[li] + eta
            x[0, li], x[1, li], x[2, li], x[3, li] = x0, x1, x2, x3

    # Spikes: upward crossings of V_spike, placed inside the step.
    ok = True
    for li in range(n_cells):
        v0 = V_old[li]
        v1 = V[li]
        if not (abs(v1) < V_LIMIT):
            if ok:
                status.code[0] = STATUS_DIVERGED
                status.neuron[0] = start + li
                status.time[0] = t1
            ok = False
            continue
        if n_sub[li] > 1:
            ts = t_cross[li]        # found inside its substep
            if ts != ts:
                continue
        elif not (v0 < V_spike <= v1):
            continue
        elif interp == INTERP_HERMITE:
            # Slopes at both ends; at the end, with the partners' V at t + dt.
            acc = 0.0
            for q in range(indptr[start + li], indptr[start + li + 1]):
                acc += gap_g[q] * V_all[indices[q]]
            am, bm, ah, bh, an, bn, ap, bp = rates(model, v1, phi, VT)
            Gi, Hi = ionic(model, am, bm, x[0, li], x[1, li], x[2, li], x[3, li],
                           gNa, ENa, gK, EK, gK2)
            k_end = (glel + Hi + Hs1[li] + acc - (gL + Gi + Gs1[li] + gap_total[li]) * v1) \
                * inv_C
            k_start = (H0[li] - G0[li] * v0) * inv_C
            ts = t + dt * hermite_crossing(v0, v1, k_start, k_end, dt, V_spike)
        elif interp == INTERP_LINEAR:
            ts = t + dt * (V_spike - v0) / (v1 - v0)
        else:
            ts = t1
        i = start + li
        ring.ids[slot, n_ring] = i
        ring.theta[slot, n_ring] = (ts - t) / dt
        n_ring += 1
        if record:
            n = out.count[0]
            out.ids[n] = i
            out.times[n] = ts
            out.count[0] = n + 1
    ring.pop_stop[slot, p] = n_ring
    return ok


@njit(cache=True)
def steady_gates(model, V, phi, VT):
    """Gates m, h, n, p at their steady state a / (a + b) for each V (mV); shape (4, len(V))."""
    out = np.zeros((N_GATES, V.shape[0]))
    for i in range(V.shape[0]):
        rs = rates(model, V[i], phi, VT)
        for k in range(N_GATES):
            a = rs[2 * k]
            s = a + rs[2 * k + 1]
            out[k, i] = a / s if s > 0.0 else 0.0
    return out
