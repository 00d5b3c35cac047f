"""Linear synaptic gates of one cell, in the steps that take them as they are: their
conductance and drive at a time inside the step, their exact decay, an arrival.

Gate c of cell li is ``chans.g[chans.offset[c] + li]`` (and ``chans.r``
likewise); ``layout.CH_*`` say what the two hold. A delta synapse
(``CH_DELTA``) has no state: the step that takes it moves V itself.

On linear cells (``CurrentBasedLIFPop``) the effect of an arrival at the
step's end is linear in its weight: ``summed_arrival`` gives it, so that
delivery can sum the step's arrivals per cell (``Channels.v_in``, ``r``) and the
step take them all at once where V stays clear of threshold.
"""

import math

from lifnet.integrators.layout import CH_ALPHA_CURRENT, CH_DELTA, CH_EXP2, CH_EXP_CURRENT
from lifnet.kernel_cache import njit


@njit(cache=True, inline="always")
def phi1(delta, u):
    """int_0^u exp(-delta s) ds, for any sign of delta, without cancellation."""
    x = delta * u
    if abs(x) < 1e-300:
        return u
    return -math.expm1(-x) / delta


@njit(cache=True, inline="always")
def summed_arrival(kind, h, tau, rate_m, inv_C):
    """What a unit arrival h ms before the step's end on a linear cell (membrane rate
    1/tau_m = rate_m, 1/C = inv_C) leaves at the end: (jump of the current, change of
    V, bound of its rise of V inside the step for a positive weight).

    An exponential current's PSP rises for longer than a step (``Channels.summed``
    is set only then), so its value at the end bounds it; a delta synapse's jump
    is largest at once.
    """
    em = math.exp(-h * rate_m)
    if kind == CH_DELTA:
        return 0.0, em, 1.0
    es = math.exp(-h / tau)
    delta = 1.0 / tau - rate_m
    dV = inv_C * ((em - es) / delta if abs(delta * h) > 1e-3 else em * phi1(delta, h))
    return es, dV, dV


@njit(cache=True, inline="always")
def drive(chans, c_first, c_stop, li, h, I_inj):
    """Synaptic conductance (µS) and drive (nA, g E summed, currents, injected) of cell li,
    h ms after the time its gates are at (they decay exactly)."""
    G = 0.0
    H = I_inj
    for c in range(c_first, c_stop):
        d = math.exp(-h / chans.tau[c]) if h > 0.0 else 1.0
        dr = 1.0
        if chans.kind[c] == CH_EXP2 and h > 0.0:
            dr = math.exp(-h / chans.tau_rise[c])
        G, H = _add_gate(chans, c, chans.offset[c] + li, h, d, dr, G, H)
    return G, H


@njit(cache=True, inline="always")
def _add_gate(chans, c, k, h, d, dr, G, H):
    """(G, H) with gate c of cell k added, given its decay d and rise decay dr over h ms."""
    kind = chans.kind[c]
    if kind == CH_EXP2:
        g = chans.peak[c] * (chans.g[k] * d - chans.r[k] * dr)
        return G + g, H + g * chans.E[c]
    if kind == CH_ALPHA_CURRENT:
        return G, H + (chans.g[k] + chans.r[k] * h / chans.tau[c]) * d
    if kind == CH_EXP_CURRENT:
        return G, H + chans.g[k] * d
    if kind == CH_DELTA:
        return G, H
    g = chans.g[k] * d
    return G + g, H + g * chans.E[c]


@njit(cache=True, inline="always")
def decays(chans, c_first, c_stop, h, out):
    """exp(-h / tau) of each gate of cells c_first..c_stop - 1 into out[c - c_first], and of
    its rise (double exponential) into out[c_stop - c_first + c - c_first]: what ``drive``
    and ``advance_gates`` compute for every cell, once for a population's common piece."""
    n = c_stop - c_first
    for c in range(c_first, c_stop):
        out[c - c_first] = math.exp(-h / chans.tau[c])
        if chans.kind[c] == CH_EXP2:
            out[n + c - c_first] = math.exp(-h / chans.tau_rise[c])


@njit(cache=True, inline="always")
def drive_decayed(chans, c_first, c_stop, li, h, dec, I_inj):
    """``drive`` at h > 0 ms, given ``decays`` of h (the same numbers, without the exps)."""
    G = 0.0
    H = I_inj
    n = c_stop - c_first
    for c in range(c_first, c_stop):
        dr = dec[n + c - c_first] if chans.kind[c] == CH_EXP2 else 1.0
        G, H = _add_gate(chans, c, chans.offset[c] + li, h, dec[c - c_first], dr, G, H)
    return G, H


@njit(cache=True, inline="always")
def advance_decayed(chans, c_first, c_stop, li, h, dec):
    """``advance_gates`` by h > 0 ms, given ``decays`` of h."""
    n = c_stop - c_first
    for c in range(c_first, c_stop):
        k = chans.offset[c] + li
        d = dec[c - c_first]
        kind = chans.kind[c]
        if kind == CH_EXP2:
            chans.g[k] *= d
            chans.r[k] *= dec[n + c - c_first]
        elif kind == CH_ALPHA_CURRENT:
            chans.g[k] = (chans.g[k] + chans.r[k] * h / chans.tau[c]) * d
            chans.r[k] *= d
        else:
            chans.g[k] *= d


@njit(cache=True, inline="always")
def advance_gates(chans, c_first, c_stop, li, h):
    """Move cell li's gates h ms on (exact decay)."""
    if h <= 0.0:
        return
    for c in range(c_first, c_stop):
        k = chans.offset[c] + li
        tau = chans.tau[c]
        d = math.exp(-h / tau)
        kind = chans.kind[c]
        if kind == CH_EXP2:
            chans.g[k] *= d
            chans.r[k] *= math.exp(-h / chans.tau_rise[c])
        elif kind == CH_ALPHA_CURRENT:
            chans.g[k] = (chans.g[k] + chans.r[k] * h / tau) * d
            chans.r[k] *= d
        else:
            chans.g[k] *= d


@njit(cache=True, inline="always")
def arrive(chans, c, li, w):
    """A synaptic arrival of weight w on gate c of cell li."""
    k = chans.offset[c] + li
    kind = chans.kind[c]
    if kind == CH_EXP2:
        chans.g[k] += w
        chans.r[k] += w
    elif kind == CH_ALPHA_CURRENT:
        chans.r[k] += w * chans.peak[c]
    else:
        chans.g[k] += w


# The same as calls, compiled once for every cell model: the template of user cell models
# (custom_step_template) calls them on its rare paths (substeps in a spike, the crossing
# search). Inlined there too, they made each model's step take twice as long to compile
# (a quadratic integrate-and-fire cell's: 10 s against 5 s), for no measurable speed.

@njit(cache=True)
def drive_call(chans, c_first, c_stop, li, h, I_inj):
    """``drive`` as a call."""
    return drive(chans, c_first, c_stop, li, h, I_inj)


@njit(cache=True)
def drive_decayed_call(chans, c_first, c_stop, li, h, dec, I_inj):
    """``drive_decayed`` as a call."""
    return drive_decayed(chans, c_first, c_stop, li, h, dec, I_inj)


@njit(cache=True)
def advance_gates_call(chans, c_first, c_stop, li, h):
    """``advance_gates`` as a call."""
    advance_gates(chans, c_first, c_stop, li, h)


@njit(cache=True)
def decays_call(chans, c_first, c_stop, h, out):
    """``decays`` as a call."""
    decays(chans, c_first, c_stop, h, out)
