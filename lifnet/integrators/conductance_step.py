"""One step of a conductance-cell population: RTM, Wang-Buzsáki, NEST's HH, Traub, Izhikevich.

The cell (units: ms, mV, nF, µS, nA)::

    C dV/dt = -sum_ion g_ion(V, x) (V - E_ion) - g_L (V - E_L) - sum_c I_c + I_inj
              - sum_j g_ij (V - V_j)                                   (gap junctions)
    dx/dt   = a_x(V) (1 - x) - b_x(V) x                                (gates m, h, n, p)

Every right-hand side is linear in the variable it drives, with
coefficients that depend on the rest of the state: ``C dV/dt = H - G V`` and
``dx/dt = a - s x`` (s = a + b). Three second-order steps (``method``):

* ``"auto"`` (default): Heun (explicit RK2), the most accurate per step,
  made safe where it is not stable. V: Euler predictor, trapezoid
  corrector. A gate with dt s >= ``Z_GATE`` (the Traub cell's m at dt 0.1 ms
  below -77 mV, where s > 15 /ms) takes exponential time differencing instead
  (``_gate_step``: exact for a rate linear in time, so a fast gate follows its
  moving steady state with the right lag). Where the membrane itself is stiff
  in this step, in a spike (z = dt G / C above ``Z_SUBSTEP``), the cell's predictor is
  exponential Euler (stable, and first order is all the partners of a gap
  junction need of it) and its step is redone as Heun substeps (at least
  z / ``Z_STABLE`` of them, for stability), with the synaptic, injected and
  gap drive linear in time across the step; a substep stiffer than that
  count foresaw takes exponential steps for V (``Z_HEUN_LIMIT``).
* ``"heun"``: plain Heun for V and gates; stable only while dt times every
  rate stays below 2 (for the RTM cell's spike that needs dt <= 0.02 ms).
* ``"exponential"``: the exponential trapezoid (second-order Rush-Larsen,
  Perego & Veneziani 2009) for V and gates, stable at any dt; a larger
  error constant (the RTM cell's spike times drift 3-5x more per cycle).

The rate functions are read from a table every 0.01 mV (``rate_table``,
as NEURON's TABLE statements), with exp(-s dt) of each gate: a step then
evaluates no exponential except in spikes and at synaptic arrivals.

Gap junctions enter G and H of both stages from the same state vector, so
coupled cells are advanced together inside the step: no waveform
relaxation. Their conductance is left out of the stiffness test, so that a
junction between identical cells changes nothing; ``Assembly`` refuses gap
conductances that would make the explicit stages unstable.

Synaptic inputs arrive at exact times inside the step. Their gates are
linear and propagated exactly to t + dt; the stages see them at t and t + dt
only, as a trapezoid, which treats an arrival at t_a as if it had acted for
dt / 2 at its end-of-step size and misses the curvature of a fast decay.
What the trapezoid misses of each gate's exact integral over the step (and,
for conductances, of its first moment, which meets dV/dt) is added to V
(``corr``, ``moments``): an arrival costs O(w dt^3) where it would cost
O(w dt), and synapses as fast as dt (NEST's 0.2 ms alpha current at dt 0.05)
stay accurate.

A spike is an upward crossing of ``V_spike``, placed on the cubic Hermite
interpolant of V from its values and slopes at both ends of the step. HH-type
cells have no reset; an Izhikevich cell is reset there (V = c, u += d) and
integrated over the rest of the step, and its spike may be counted lower on
the way up (``H_VDETECT``: NEURON's ``NetCon`` threshold), placed the same way.
"""

import math

import numba
import numpy as np
from numba import types
from numba.core.extending import overload

from ..kernel_cache import njit
from ..populations import hh, izhikevich, rtm, traub, wb
from .cache_hints import prefetch
from .layout import (
    CH_ALPHA_CURRENT,
    CH_DELTA,
    CH_EXP,
    CH_EXP2,
    H_B,
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
    H_RESET,
    H_U_JUMP,
    H_VDETECT,
    H_VSPIKE,
    H_VT,
    I_CHAN_FIRST,
    I_CHAN_STOP,
    I_NOISE_STREAM,
    I_RECORD,
    I_START,
    I_STOP,
    MEMO_SLOTS,
    METHOD_AUTO,
    METHOD_EXPONENTIAL,
    METHOD_HEUN,
    MODEL_HH_NEST,
    MODEL_IZHIKEVICH,
    MODEL_RTM,
    MODEL_TRAUB,
    MODEL_WB,
    N_GATES,
    P_SIGMA,
    STATUS_DIVERGED,
    TABLE_DV,
    TABLE_POINTS,
    TABLE_V0,
)
from .lif_rk2 import INTERP_HERMITE, INTERP_LINEAR, V_LIMIT, hermite_crossing
from .philox import normal_pair
from .vector_jit import vector_njit

# Method "auto": where dt G / C = z exceeds Z_SUBSTEP, a cell's step is cut into
# ceil(z / Z_SUBSTEP) substeps for accuracy, at most ACCURATE_SUBSTEPS of them, and
# never fewer than ceil(z / Z_STABLE) (Heun is stable below 2), at most MAX_SUBSTEPS.
Z_SUBSTEP = 0.5
ACCURATE_SUBSTEPS = 4
Z_STABLE = 1.5
# A substep whose own h G / C exceeds Z_HEUN_LIMIT, where Heun's step amplifies
# (|1 - z + z^2 / 2| > 1), takes exponential steps for V instead (_substep).
Z_HEUN_LIMIT = 2.0
MAX_SUBSTEPS = 64
# A gate with dt (a + b) above Z_GATE takes the exponential step (_gate_step); slower ones
# Heun's, which damps a gate's relaxation by |1 - z + z^2 / 2| (0.63 at 1.5; stable below 2).
# Against references (dt = 0.001 ms, solve_ivp), 1.5 is more accurate than 1.0, which sent
# the Traub cell's m at rest (11-15 /ms) to the exponential step at dt 0.1 ms: 40 Traub cells
# over 300 ms, median spike-time error 0.31 against 0.42 ms; NEST's HH cell over 60 ms, worst
# 0.88 against 1.06 ms; RTM and WB unchanged. 2.0, at the edge of stability, is worse for
# NEST's cell.
Z_GATE = 1.5
# m_near_switch looks for Z_GATE between E_L - SWITCH_BELOW_EL and V_spike, every
# SWITCH_SCAN_DV (mV).
SWITCH_BELOW_EL = 10.0
SWITCH_SCAN_DV = 0.1
# Where rate_table puts a_m, b_m, a_h, b_h, a_n, b_n, a_p, b_p and exp(-(a + b) dt) of m,
# h, n, p (in that order): the value's column and its step's (see rate_table).
# Tabulating each gate's exponential-step coefficients too ((1 - E) / z, (z - 1 + E) / z^2,
# to spare the step's divisions) was tried: a fifth cache line a row, COBAHH 5-7 % slower.
TABLE_COLUMN = ((0, 6), (1, 7), (2, 8), (3, 9), (4, 10), (5, 11), (18, 21), (19, 22),
                (12, 15), (13, 16), (14, 17), (20, 23))
# Cells per block of _auto_stages' two passes: their intermediates stay in L1 (a Traub
# cell's twelve, 24 kB a block). COBAHH: 256 about 2 % faster than 64, 512 no better.
AUTO_BLOCK = 256
# _auto_stages asks for a cell's table rows while it works on the cell this many before
# (a stiff cell's substeps: this many stiff cells before).
PREFETCH_AHEAD = 8
PREFETCH_STIFF = 4
# The spike search looks at the cells in chunks of SPIKE_CHUNK, and one by one only in
# those with a crossing (_any_crossing).
SPIKE_CHUNK = 64
# What _population_step does (its argument part), and what it returns.
PART_WHOLE = 0      # the whole step, the stages cell by cell
PART_DRIVE = 1      # the drive, then NEEDS_STAGES where _auto_stages takes the stages
PART_SPIKES = 2     # the spikes, after _auto_stages
# (passed as np.int64(PART_*): a literal would compile _population_step once for each)
DIVERGED, STEPPED, NEEDS_STAGES = 0, 1, 2
# Unsigned indices: the loops index their arrays with np.uint64(li) (i, j), not li. numba
# wraps a negative signed index around (a sign test and an add at every access, and a
# register to hold the extent), which it cannot rule out for a loop that starts at a
# runtime value (a block's first cell) or an index read from an array. Unsigned, the access
# is a plain load: COBAHH 8 % faster, the gap network 29 %. (In an inline="always" function,
# give the unsigned index a new name: rebinding an argument to a value of another type
# changed COBAHH's spikes.)


@njit(cache=True, inline="always")
def _phi1(z):
    """(1 - exp(-z)) / z, with its limit 1 at z = 0."""
    if abs(z) < 1e-8:
        return 1.0 - 0.5 * z
    return -math.expm1(-z) / z


@njit(cache=True, refcount=False)
def rates(model, V, phi, VT, pb):
    """Opening and closing rates (1/ms) of the gates m, h, n, p at V (mV), from the rate
    functions of the model's module.

    A gate a model does not use gets 0 and 0 (it stays where it is). RTM and
    WB cells, whose m is instantaneous, get m's steady state and 0 in place of
    its rates: the table then holds m itself, and a step divides nothing.
    """
    if model == MODEL_RTM:
        return rtm.rates(V, phi, VT, pb)
    if model == MODEL_WB:
        return wb.rates(V, phi, VT, pb)
    if model == MODEL_IZHIKEVICH:
        return izhikevich.rates(V, phi, VT, pb)
    if model == MODEL_TRAUB:
        return traub.rates(V, phi, VT, pb)
    return hh.rates(V, phi, VT, pb)


@njit(cache=True, inline="always")
def _column(row, f, j):
    """Quantity j (TABLE_COLUMN's order) a fraction f of the way from a table row to the next."""
    value, step = TABLE_COLUMN[j]
    return row[value] + f * row[step]


@njit(cache=True, inline="always")
def tabulated_rates(table, model, V, phi, VT, pb):
    """``rates`` by linear interpolation in the population's table (exact outside it).

    The table holds the eight rates every TABLE_DV mV from TABLE_V0 (as
    NEURON's TABLE statements do): no exponential to evaluate, and a
    relative error below 1e-6 for rates that change e-fold over 2 mV or
    more, far below the step's own. The row and fraction are worked out here
    and in each lookup below, not by a shared helper: one that returned the row
    (-1 outside the table) made COBAHH 5-10 % slower.
    """
    u = (V - TABLE_V0) * (1.0 / TABLE_DV)
    if not (0.0 <= u < TABLE_POINTS - 1):
        return rates(model, V, phi, VT, pb)
    k = int(u)
    return _row_rates(table[np.uint64(k)], u - k)


@njit(cache=True, inline="always")
def _row_rates(row, f):
    """The eight rates a fraction f of the way from a table row to the next."""
    return (_column(row, f, 0), _column(row, f, 1), _column(row, f, 2), _column(row, f, 3),
            _column(row, f, 4), _column(row, f, 5), _column(row, f, 6), _column(row, f, 7))


@njit(cache=True, inline="always")
def _row_gate(row, f, g):
    """a + b of gate g and exp(-(a + b) dt) a fraction f of the way from a table row to the
    next."""
    return _column(row, f, 2 * g) + _column(row, f, 2 * g + 1), _column(row, f, 8 + g)


@njit(cache=True, inline="always")
def _clamped_row(table, V):
    """tabulated_rates' row and fraction at V without its branch, for a vector loop: a V
    outside the table (or NaN) reads row 0, and ``inside`` is False: the lookup is not valid."""
    u = (V - TABLE_V0) * (1.0 / TABLE_DV)
    inside = (0.0 <= u) & (u < TABLE_POINTS - 1)
    u = u if inside else 0.0
    k = int(u)
    return table[np.uint64(k)], u - k, inside


@njit(cache=True, inline="always")
def _prefetch_row(table, V):
    """Ask for the table row a lookup at V will read: its first two cache lines, which
    hold the rates of m, h and n and the decay of m (TABLE_COLUMN)."""
    u = (V - TABLE_V0) * (1.0 / TABLE_DV)
    if 0.0 <= u < TABLE_POINTS - 1:
        k = int(u)
        prefetch(table, k, 0)
        prefetch(table, k, 8)


@njit(cache=True, inline="always")
def tabulated_decay(table, model, V, phi, VT, pb, dt):
    """exp(-(a + b) dt) of each gate at V, from the table (exact outside it)."""
    u = (V - TABLE_V0) * (1.0 / TABLE_DV)
    if not (0.0 <= u < TABLE_POINTS - 1):
        am, bm, ah, bh, an, bn, ap, bp = rates(model, V, phi, VT, pb)
        return (math.exp(-(am + bm) * dt), math.exp(-(ah + bh) * dt),
                math.exp(-(an + bn) * dt), math.exp(-(ap + bp) * dt))
    k = int(u)
    f = u - k
    a = table[np.uint64(k)]
    return _column(a, f, 8), _column(a, f, 9), _column(a, f, 10), _column(a, f, 11)


@njit(cache=True, inline="always")
def tabulated_gate(table, model, V, phi, VT, pb, dt, g):
    """a + b of gate g (0, 1, 2, 3: m, h, n, p) at V and exp(-(a + b) dt), from the
    table (exact outside it): a step reads only the gates it needs."""
    u = (V - TABLE_V0) * (1.0 / TABLE_DV)
    if not (0.0 <= u < TABLE_POINTS - 1):
        rs = rates(model, V, phi, VT, pb)
        s = rs[2 * g] + rs[2 * g + 1]
        return s, math.exp(-s * dt)
    k = int(u)
    return _row_gate(table[np.uint64(k)], u - k, g)


@njit(cache=True)
def rate_table(model, phi, VT, pb, dt):
    """Rates and exp(-(a + b) dt) of each gate every TABLE_DV mV from TABLE_V0, each with
    its step to the next row; (TABLE_POINTS, 24), columns as TABLE_COLUMN says.

    With its step in the row, a lookup reads one row and interpolates with one
    multiply-add a column. Gates m, h and n come first (their rates, then those
    rates' steps, in the row's first 96 bytes), so that a cell without the
    gate p, away from fast gates, reads two cache lines of a row, not three.
    """
    values = np.zeros((TABLE_POINTS, 12))
    for k in range(TABLE_POINTS):
        rs = rates(model, TABLE_V0 + k * TABLE_DV, phi, VT, pb)
        for j in range(8):
            values[k, j] = rs[j]
        for g in range(N_GATES):
            values[k, 8 + g] = math.exp(-(rs[2 * g] + rs[2 * g + 1]) * dt)
    out = np.zeros((TABLE_POINTS, 24))
    for k in range(TABLE_POINTS):
        for j in range(12):
            col, step_col = TABLE_COLUMN[j]
            out[k, col] = values[k, j]
            if k + 1 < TABLE_POINTS:
                out[k, step_col] = values[k + 1, j] - values[k, j]
    return out


@njit(cache=True, inline="always")
def _etd1(z, E):
    """(1 - E) / z with E = exp(-z)."""
    return (1.0 - E) / z if z > 1e-4 else 1.0 - z * (0.5 - z / 6.0)


@njit(cache=True, inline="always")
def _etd2(z, E):
    """(z - 1 + E) / z^2 with E = exp(-z)."""
    return (z - 1.0 + E) / (z * z) if z > 1e-3 else 0.5 - z * (1.0 / 6.0 - z / 24.0)


@njit(cache=True, inline="always")
def _gate_step(x, a0, a1, s, E, h):
    """A gate over h ms: dx/dt = a(t) - s x, a linear from a0 to a1, s constant, E = e^(-s h).

    Exact for that problem (second-order exponential time differencing,
    Cox & Matthews 2002): a fast gate follows its moving steady state with
    the right lag, where the exponential midpoint or trapezoid would lag by
    h / 2.
    """
    z = s * h
    if z > 1e-3:
        # _etd1 and _etd2 with one division: (z - 1 + E) / z^2 = (1 - (1 - E) / z) / z.
        inv_z = 1.0 / z
        e1 = (1.0 - E) * inv_z
        return x * E + h * (a0 * e1 + (a1 - a0) * (1.0 - e1) * inv_z)
    return x * E + h * (a0 * _etd1(z, E) + (a1 - a0) * _etd2(z, E))


@njit(cache=True, inline="always")
def ionic(model, am, bm, m, h, n, p, gNa, ENa, gK, EK, gK2, V):
    """(G, H) of the voltage-gated currents: sum g_ion and sum g_ion E_ion (µS, nA).

    The Izhikevich cell's k (V - v_r)(V - v_t) - u is written so too, with
    g_Na = k, E_Na = v_t, E_K = v_r and the gate m = u: G = -k (V - v_t) (negative
    above v_t: the upstroke's instability), H = -k (V - v_t) v_r - u.
    """
    if model == MODEL_IZHIKEVICH:
        return izhikevich.ionic(m, V, gNa, ENa, EK)
    if model == MODEL_RTM or model == MODEL_WB:
        m = am      # instantaneous activation: rates() gives its steady state
    g_na = gNa * m * m * m * h
    n2 = n * n
    g_k = gK * n2 * n2
    if model == MODEL_HH_NEST:
        g_k += gK2 * p * p
    return g_na + g_k, g_na * ENa + g_k * EK


@njit(cache=True, inline="always")
def _moment(e, X, tau, t_off, dt):
    """int over [t1 - L, t1] of exp(-(s - t1 + L) / tau) (s - t) ds minus dt^2 / 2 its end value.

    e = exp(-X), X = L / tau; t_off = t1 - L - t, where the exponential starts
    inside the step.
    """
    if X < 1e-2:   # tau^2 (1 - e (1 + X)) by its series, where it would cancel
        second = tau * tau * X * X * (0.5 - X * (1.0 / 3.0 - X * (0.125 - X / 30.0)))
    else:
        second = tau * tau * (1.0 - e * (1.0 + X))
    return t_off * tau * (1.0 - e) + second - 0.5 * dt * dt * e


@njit(cache=True, refcount=False)
def unit_arrival(kind, L, tau, tau_r, peak, dt):
    """An arrival of unit weight, L ms before the step's end, on one gate.

    Returns the jumps of g and r at t + dt, and what the stages miss of it:
    its exact integral over the step minus the trapezoid's (dt / 2 times its
    end value), which multiplies E - V (or 1 for a current), and its first
    moment int g (s - t) ds minus Heun's dt^2 / 2 times its end value, which
    multiplies -dV/dt (conductances only). One exponential per time
    constant: 1 - e loses nothing that matters here (its absolute error,
    1e-16 tau, is all that enters). A delta arrival (a jump of V) has no
    gate: its "miss" is L, the time the stages did not see the jump.
    """
    if kind == CH_DELTA:
        return 0.0, 0.0, L, 0.0
    X = L / tau
    e = math.exp(-X)
    t_off = dt - L
    if kind == CH_EXP:
        return e, 0.0, tau * (1.0 - e) - 0.5 * dt * e, _moment(e, X, tau, t_off, dt)
    if kind == CH_EXP2:
        Xr = L / tau_r
        er = math.exp(-Xr)
        integral = tau * (1.0 - e) - tau_r * (1.0 - er)
        return (e, er, peak * (integral - 0.5 * dt * (e - er)),
                peak * (_moment(e, X, tau, t_off, dt) - _moment(er, Xr, tau_r, t_off, dt)))
    # CH_ALPHA_CURRENT, peak current w at tau after the arrival: r jumps by w e.
    if X < 1e-2:
        integral = tau * X * X * (0.5 - X * (1.0 / 3.0 - X * (0.125 - X / 30.0)))
    else:
        integral = tau * (1.0 - e * (1.0 + X))
    return peak * X * e, peak * e, peak * (integral - 0.5 * dt * X * e), 0.0


@njit(cache=True, inline="always")
def add_arrival(i, k, w, jg, jr, miss, moment, kind, Ec, inv_C, V, g_in, r_in, corr,
                moments, delta):
    """An arrival of weight w and unit effect (jg, jr, miss, moment) (unit_arrival) on
    cell i, gate slot k: the gate jumps into g_in and r_in, what the stages miss into
    corr and moments (a current has no moment). A delta arrival's jump of V, w mV,
    L ms before the step's end, is summed into delta: w and w L (izhikevich.delta_effect).

    Loop-free and on arrays, not their NamedTuple: numba would otherwise keep
    reference counting around every inlined call, once per synaptic event.
    """
    ui, uk = np.uint64(i), np.uint64(k)
    g_in[uk] += w * jg
    r_in[uk] += w * jr
    if kind == CH_DELTA:
        delta[0, ui] += w
        delta[1, ui] += w * miss
    elif kind == CH_ALPHA_CURRENT:
        corr[ui] += w * miss * inv_C
    else:
        corr[ui] += w * miss * (Ec - V[ui]) * inv_C
        moments[ui] += w * moment


@njit(cache=True, inline="always")
def _arrival(memo, c, kind, L, tau, tau_r, peak, dt, inv_dt):
    """unit_arrival on channel c, from the memo when this (L, c) was met before.

    A spike reaches all its targets at the same time, so most arrivals of a
    step repeat an earlier one's (L, c): the memo, a small hash table by L
    and c, spares their exponentials. An entry stays valid across steps (the
    effect depends on L, the channel and dt only).
    """
    slot = (int(L * inv_dt * 4096.0) + 7 * c) & (MEMO_SLOTS - 1)
    if memo[slot, 0] == L and memo[slot, 1] == c:
        return memo[slot, 2], memo[slot, 3], memo[slot, 4], memo[slot, 5]
    jg, jr, miss, moment = unit_arrival(kind, L, tau, tau_r, peak, dt)
    memo[slot, 0] = L
    memo[slot, 1] = c
    memo[slot, 2] = jg
    memo[slot, 3] = jr
    memo[slot, 4] = miss
    memo[slot, 5] = moment
    return jg, jr, miss, moment


@njit(cache=True, inline="always")
def _exponential_euler(x, a, s, E):
    """A gate over a step with a and s constant, E = exp(-s step): _gate_step with a0 = a1."""
    return x * E + a * (1.0 - E) / s


@njit(cache=True, inline="always")
def _gate_predict(x, a, s, h):
    """Predictor of a gate over h: Euler, or exponential Euler where s h >= Z_GATE."""
    z = s * h
    if z < Z_GATE:
        return x + h * (a - s * x)
    return _exponential_euler(x, a, s, math.exp(-z))


@njit(cache=True, inline="always")
def _gate_correct(x, y, a0, s0, a1, s1, h):
    """Corrector of a gate over h from x (predictor y): Heun, or _gate_step with the mean
    total rate where the gate is fast."""
    if max(s0, s1) * h < Z_GATE:
        return x + 0.5 * h * ((a0 - s0 * x) + (a1 - s1 * y))
    s = 0.5 * (s0 + s1)
    return _gate_step(x, a0, a1, s, math.exp(-s * h), h)


@njit(cache=True, inline="always")
def _substep_start(table, model, j, m, v, gates, drive, constants):
    """Where substep j of m starts (see _substep): G and H of the cell (its drive
    included), and the gates' opening rates and total rates (m, h, n, p) at v."""
    x0, x1, x2, x3 = gates
    GA, HA, GB, HB = drive
    _, gNa, ENa, gK, EK, gK2, phi, VT, pb, _ = constants
    fa = j * (1.0 / m)
    am, bm, ah, bh, an, bn, ap, bp = tabulated_rates(table, model, v, phi, VT, pb)
    Gi, Hi = ionic(model, am, bm, x0, x1, x2, x3, gNa, ENa, gK, EK, gK2, v)
    return (GA + (GB - GA) * fa + Gi, HA + (HB - HA) * fa + Hi, (am, ah, an, ap),
            (am + bm, ah + bh, an + bn, ap + bp))


@njit(cache=True, inline="always")
def _substep(table, model, j, m, t, dt, v, gates, drive, constants, interp, g_lo, g_hi,
             t_cross, start):
    """Heun substep j of m of one cell over [t, t + dt]; the drive (G, H of leak,
    synapses, injected and gap currents) goes linearly from (GA, HA) to (GB, HB),
    ``drive = (GA, HA, GB, HB)``; ``gates`` are (m, h, n, p) at t; ``constants``
    are the cell's (inv_C, gNa, ENa, gK, EK, gK2, phi, VT, pb, V_spike).

    ``start`` is _substep_start's result at v (substep 0's is the whole step's
    predictor's: _auto_stages does not evaluate it twice).
    Only gates g_lo ... g_hi - 1 are integrated, as in the whole step (an RTM
    cell's instantaneous m would otherwise cost two exponentials a substep).
    The number of substeps comes from the conductance at t and at the
    predictor, which can miss how far a fast sodium gate opens within the step
    (NEST's HH cell at dt 0.1 ms: h G / C up to 3.2 in a substep). Where h G / C
    of this substep exceeds Z_HEUN_LIMIT, where Heun's step would amplify, V
    takes the exponential steps instead (Euler predictor, trapezoid corrector),
    stable at any h G / C.
    Returns V, the gates, and t_cross: the time of the first upward crossing of
    V_spike (NaN while none), placed inside its substep.
    """
    x0, x1, x2, x3 = gates
    GA, HA, GB, HB = drive
    inv_C, gNa, ENa, gK, EK, gK2, phi, VT, pb, V_spike = constants
    inv_m = 1.0 / m
    h = dt * inv_m
    fa = j * inv_m
    fb = (j + 1.0) * inv_m
    G_b = GA + (GB - GA) * fb
    H_b = HA + (HB - HA) * fb
    G_start, H_start, a_a, s_a = start
    kv = (H_start - G_start * v) * inv_C
    z_start = h * G_start * inv_C
    if abs(z_start) <= Z_HEUN_LIMIT:
        vp = v + h * kv
    else:
        vp = v + h * kv * _phi1(z_start)
    # Gates as in the whole step: Heun where slow, the exponential step where
    # dt (a + b) >= Z_GATE.
    xs = (x0, x1, x2, x3)
    ys = (_gate_predict(x0, a_a[0], s_a[0], h) if g_lo == 0 else x0,
          _gate_predict(x1, a_a[1], s_a[1], h) if g_hi > 1 else x1,
          _gate_predict(x2, a_a[2], s_a[2], h) if g_hi > 1 else x2,
          _gate_predict(x3, a_a[3], s_a[3], h) if g_hi > 3 else x3)
    am, bm, ah, bh, an, bn, ap, bp = tabulated_rates(table, model, vp, phi, VT, pb)
    Gi, Hi = ionic(model, am, bm, ys[0], ys[1], ys[2], ys[3], gNa, ENa, gK, EK, gK2, vp)
    G_end = G_b + Gi
    H_end = H_b + Hi
    if max(abs(z_start), abs(h * G_end * inv_C)) <= Z_HEUN_LIMIT:
        vn = v + 0.5 * h * (kv + (H_end - G_end * vp) * inv_C)
    else:
        G = 0.5 * (G_start + G_end)
        vn = v + h * (0.5 * (H_start + H_end) - G * v) * inv_C * _phi1(h * G * inv_C)
    a_b = (am, ah, an, ap)
    s_b = (am + bm, ah + bh, an + bn, ap + bp)
    if g_lo == 0:
        x0 = _gate_correct(xs[0], ys[0], a_a[0], s_a[0], a_b[0], s_b[0], h)
    if g_hi > 1:
        x1 = _gate_correct(xs[1], ys[1], a_a[1], s_a[1], a_b[1], s_b[1], h)
        x2 = _gate_correct(xs[2], ys[2], a_a[2], s_a[2], a_b[2], s_b[2], h)
    if g_hi > 3:
        x3 = _gate_correct(xs[3], ys[3], a_a[3], s_a[3], a_b[3], s_b[3], h)
    if t_cross != t_cross and v < V_spike <= vn:
        if interp == INTERP_HERMITE:
            am, bm, ah, bh, an, bn, ap, bp = tabulated_rates(table, model, vn, phi, VT, pb)
            Gi, Hi = ionic(model, am, bm, x0, x1, x2, x3, gNa, ENa, gK, EK, gK2, vn)
            k_end = (H_b + Hi - (G_b + Gi) * vn) * inv_C
            t_cross = t + dt * fa + h * hermite_crossing(v, vn, kv, k_end, h, V_spike)
        elif interp == INTERP_LINEAR:
            t_cross = t + dt * fa + h * (V_spike - v) / (vn - v)
        else:
            t_cross = t + dt
    return vn, (x0, x1, x2, x3), t_cross


@njit(cache=True, refcount=False)
def _substeps(table, model, m, t, dt, v, gates, drive, constants, interp, g_lo, g_hi):
    """The m substeps (_substep) of one cell; V, the gates and the crossing time."""
    t_cross = math.nan
    for j in range(m):
        start = _substep_start(table, model, j, m, v, gates, drive, constants)
        v, gates, t_cross = _substep(table, model, j, m, t, dt, v, gates, drive, constants,
                                     interp, g_lo, g_hi, t_cross, start)
    return v, gates, t_cross


@njit(cache=True, inline="always")
def _euler_gate(x, a, s, dt):
    """Euler's step of a gate, dx/dt = a - s x."""
    return x + dt * (a - s * x)


@njit(cache=True, inline="always")
def _heun_gate(x, y, a0, s0, a1, s1, dt):
    """Heun's step of a gate from x, with its predictor y."""
    return x + 0.5 * dt * ((a0 - s0 * x) + (a1 - s1 * y))


@njit(cache=True, inline="always")
def _predict(x, a, s, E, dt, both):
    """Stage 1 of a gate over the step: Euler, or _gate_step where dt s >= Z_GATE; with
    ``both``, both are computed and one kept, without a branch (m_near_switch)."""
    euler = _euler_gate(x, a, s, dt)
    if both:
        exponential = _exponential_euler(x, a, s, E)
        return euler if s * dt < Z_GATE else exponential
    return euler if s * dt < Z_GATE else _exponential_euler(x, a, s, E)


@njit(cache=True, inline="always")
def _correct(x, y, a0, s0, a1, s1, s_mid, E_mid, dt, both):
    """Stage 2 of a gate from x (predictor y): Heun, or _gate_step with the total rate at
    the midpoint potential where the gate is fast; ``both`` as in _predict."""
    heun = _heun_gate(x, y, a0, s0, a1, s1, dt)
    if both:
        exponential = _gate_step(x, a0, a1, s_mid, E_mid, dt)
        return heun if max(s0, s1) * dt < Z_GATE else exponential
    return heun if max(s0, s1) * dt < Z_GATE else _gate_step(x, a0, a1, s_mid, E_mid, dt)


@njit(cache=True)
def m_near_switch(model, phi, VT, pb, dt, E_L, V_spike):
    """Whether gate m takes both its steps and keeps one (see _predict), without a branch.

    Under method "auto" a gate's step is Heun's or the exponential one as dt (a + b)
    is below or above Z_GATE. Where that line falls between E_L - SWITCH_BELOW_EL and
    V_spike, where the cells spend their time (the Traub cell's m at dt 0.12 ms:
    dt (a + b) is 1.6 at -70 mV and 1.15 at -55 mV), the cells cross it from step to
    step at random, and the branch between the two steps, mispredicted, costs more
    than computing both and keeping one (5 % of the COBAHH benchmark's time, when its
    cells went one by one). The result is the same either way. Gates h, n and p are far
    slower there in every model (dt (a + b) below 0.3 at dt 0.1 ms) and keep the
    branch. The vector loops (_predict_block, _correct_block) always take both steps.
    """
    if model == MODEL_RTM or model == MODEL_WB or model == MODEL_IZHIKEVICH:
        return False        # m instantaneous, or the Izhikevich cell's u
    above, below = False, False
    V_low = E_L - SWITCH_BELOW_EL
    for i in range(int((V_spike - V_low) / SWITCH_SCAN_DV) + 1):
        am, bm, ah, bh, an, bn, ap, bp = rates(model, V_low + i * SWITCH_SCAN_DV, phi, VT, pb)
        if (am + bm) * dt >= Z_GATE:
            above = True
        else:
            below = True
    return above and below


@njit(cache=True, inline="always")
def _integrated_gates(model):
    """Which of the gates m, h, n, p method "auto" integrates: RTM and WB cells have an
    instantaneous m and no p; only NEST's cell has p."""
    return not (model == MODEL_RTM or model == MODEL_WB), True, True, model == MODEL_HH_NEST


@njit(cache=True, inline="always")
def _substep_count(z):
    """Substeps of a cell's step whose dt G / C is z (method "auto"): 1 up to Z_SUBSTEP,
    then ceil(z / Z_SUBSTEP) up to ACCURATE_SUBSTEPS, never fewer than ceil(z / Z_STABLE),
    at most MAX_SUBSTEPS. z is capped where that cap is reached anyway, so that an infinite
    z (a diverging cell) converts to an integer, and both counts are worked out either
    way, so that a vector loop can take the one it needs."""
    zc = min(z, MAX_SUBSTEPS * Z_STABLE)
    many = max(min(ACCURATE_SUBSTEPS, int(math.ceil(zc / Z_SUBSTEP))),
               min(MAX_SUBSTEPS, int(math.ceil(zc / Z_STABLE))))
    return many if z > Z_SUBSTEP else 1


@njit(cache=True, inline="always")
def _corrected_V(v0, v, G, H, G1, H1, corr, moment, inv_C, dt, eta):
    """The trapezoid corrector of V from v0 (predictor v), with G and H at both, what the
    stages miss of the synaptic input (corr, moment) and the noise eta."""
    k_start = (H - G * v0) * inv_C
    return v0 + 0.5 * dt * (k_start + (H1 - G1 * v) * inv_C) + corr - k_start * moment * inv_C \
        + eta


@njit(cache=True, inline="always")
def _rows(a, b0, b1):
    """Cells b0 ... b1 - 1 of each of the four gates' rows of a (N_GATES, N) array, or of a
    tuple of them; each a contiguous 1-D array, as a vector loop needs (a row of a 2-D
    slice is not)."""
    return a[0][b0:b1], a[1][b0:b1], a[2][b0:b1], a[3][b0:b1]


@njit(cache=True, refcount=False)
def _predict_cell(table, model, both, i, V, x, G0, H0, Gs0, Hs0, V_star, x_star, a0, s0, cell,
                  dt):
    """Stage 1 of method "auto" for cell i (unsigned): G and H of the cell at t, the
    predictor of V and of the gates it integrates, and their rates at t."""
    numba.literally(model)
    gL, glel, inv_C, gNa, ENa, gK, EK, gK2, phi, VT, pb = cell
    m0, m1, m2, m3 = _integrated_gates(model)
    v0 = V[i]
    x0, x1, x2, x3 = x[0][i], x[1][i], x[2][i], x[3][i]
    am, bm, ah, bh, an, bn, ap, bp = tabulated_rates(table, model, v0, phi, VT, pb)
    Gi, Hi = ionic(model, am, bm, x0, x1, x2, x3, gNa, ENa, gK, EK, gK2, v0)
    G = gL + Gi + Gs0[i]
    H = glel + Hi + Hs0[i]
    G0[i] = G
    H0[i] = H
    sm, sh, sn, sp = am + bm, ah + bh, an + bn, ap + bp
    euler = abs(G) * dt * inv_C <= Z_STABLE
    V_star[i] = v0 + dt * (H - G * v0) * inv_C * (1.0 if euler else _phi1(G * dt * inv_C))
    # exp(-(a + b) dt), read only for the gates whose predictor needs it.
    E0m, E0h, E0n, E0p = 1.0, 1.0, 1.0, 1.0
    if m0 and (both or sm * dt >= Z_GATE):
        E0m = tabulated_gate(table, model, v0, phi, VT, pb, dt, 0)[1]
    if m1 and sh * dt >= Z_GATE:
        E0h = tabulated_gate(table, model, v0, phi, VT, pb, dt, 1)[1]
    if m2 and sn * dt >= Z_GATE:
        E0n = tabulated_gate(table, model, v0, phi, VT, pb, dt, 2)[1]
    if m3 and sp * dt >= Z_GATE:
        E0p = tabulated_gate(table, model, v0, phi, VT, pb, dt, 3)[1]
    # Only the integrated gates go to the scratch (the others' y is x).
    if m0:
        x_star[0][i], a0[0][i], s0[0][i] = _predict(x0, am, sm, E0m, dt, both), am, sm
    if m1:
        x_star[1][i], a0[1][i], s0[1][i] = _predict(x1, ah, sh, E0h, dt, False), ah, sh
    if m2:
        x_star[2][i], a0[2][i], s0[2][i] = _predict(x2, an, sn, E0n, dt, False), an, sn
    if m3:
        x_star[3][i], a0[3][i], s0[3][i] = _predict(x3, ap, sp, E0p, dt, False), ap, sp


@njit(cache=True, refcount=False)
def _correct_cell(table, model, both, i, V, x, G0, H0, Gs1, Hs1, V_star, x_star, a0, s0, corr,
                  moments, n_sub, t_cross, cell, dt, eta):
    """Stage 2 of method "auto" for cell i (unsigned), after _predict_cell: the corrector
    of V (with the noise eta) and of the gates; or, where the cell is stiff (n_sub > 1),
    its state at t copied into V_star, x_star for the substeps. Returns n_sub."""
    numba.literally(model)
    gL, glel, inv_C, gNa, ENa, gK, EK, gK2, phi, VT, pb = cell
    m0, m1, m2, m3 = _integrated_gates(model)
    v0 = V[i]
    v = V_star[i]
    y0 = x_star[0][i] if m0 else x[0][i]
    y1 = x_star[1][i] if m1 else x[1][i]
    y2 = x_star[2][i] if m2 else x[2][i]
    y3 = x_star[3][i] if m3 else x[3][i]
    G = G0[i]
    H = H0[i]
    cm, dm, ch, dh, cn, dn, cp, dp = tabulated_rates(table, model, v, phi, VT, pb)
    Gi, Hi = ionic(model, cm, dm, y0, y1, y2, y3, gNa, ENa, gK, EK, gK2, v)
    G1 = gL + Gi + Gs1[i]
    H1 = glel + Hi + Hs1[i]
    tm, th, tn, tp = cm + dm, ch + dh, cn + dn, cp + dp
    substeps = _substep_count(max(abs(G), abs(G1)) * dt * inv_C)
    n_sub[i] = substeps
    if substeps > 1:
        # Stiff (in a spike): the substeps start from the state at t.
        V_star[i] = v0
        x_star[0][i], x_star[1][i] = x[0][i], x[1][i]
        x_star[2][i], x_star[3][i] = x[2][i], x[3][i]
        t_cross[i] = math.nan
        return substeps
    sm = s0[0][i] if m0 else 0.0
    sh = s0[1][i] if m1 else 0.0
    sn = s0[2][i] if m2 else 0.0
    sp = s0[3][i] if m3 else 0.0
    V[i] = _corrected_V(v0, v, G, H, G1, H1, corr[i], moments[i], inv_C, dt, eta)
    # The total rate at the midpoint potential and its exp(-(a + b) dt), read only for
    # the gates that take the exponential step (_correct).
    um, uh, un, up = 0.0, 0.0, 0.0, 0.0
    Em, Eh, En, Ep = 1.0, 1.0, 1.0, 1.0
    vm = 0.5 * (v0 + v)
    if m0 and (both or max(sm, tm) * dt >= Z_GATE):
        um, Em = tabulated_gate(table, model, vm, phi, VT, pb, dt, 0)
    if m1 and max(sh, th) * dt >= Z_GATE:
        uh, Eh = tabulated_gate(table, model, vm, phi, VT, pb, dt, 1)
    if m2 and max(sn, tn) * dt >= Z_GATE:
        un, En = tabulated_gate(table, model, vm, phi, VT, pb, dt, 2)
    if m3 and max(sp, tp) * dt >= Z_GATE:
        up, Ep = tabulated_gate(table, model, vm, phi, VT, pb, dt, 3)
    if m0:
        x[0][i] = _correct(x[0][i], y0, a0[0][i], sm, cm, tm, um, Em, dt, both)
    if m1:
        x[1][i] = _correct(x[1][i], y1, a0[1][i], sh, ch, th, uh, Eh, dt, False)
    if m2:
        x[2][i] = _correct(x[2][i], y2, a0[2][i], sn, cn, tn, un, En, dt, False)
    if m3:
        x[3][i] = _correct(x[3][i], y3, a0[3][i], sp, cp, tp, up, Ep, dt, False)
    return 1


@vector_njit(cache=True, refcount=False)
def _predict_block(table, model, V, x, Gs0, Hs0, G0, H0, V_star, x_star, a0, s0, done, cell,
                   dt):
    """_predict_cell for a block of cells, eight at a time (vector_jit), where it takes
    its common path: the lookups inside the table, V's predictor explicit Euler, gates h,
    n and p slow (dt (a + b) < Z_GATE). Gate m takes both of its steps and keeps one
    (_predict). done[k] says whether cell k took that path; the others are left to
    _predict_cell. Returns how many did not.

    x, x_star, a0 and s0 are tuples of the four gates' rows; every array here a
    different piece of memory. The same arithmetic as _predict_cell's, in the same
    order: the same results.
    """
    numba.literally(model)
    gL, glel, inv_C, gNa, ENa, gK, EK, gK2, phi, VT, pb = cell
    m0, m1, m2, m3 = _integrated_gates(model)
    left = 0
    for k in range(V.shape[0]):
        v0 = V[k]
        x0, x1, x2, x3 = x[0][k], x[1][k], x[2][k], x[3][k]
        row, f, ok = _clamped_row(table, v0)
        am, bm, ah, bh, an, bn, ap, bp = _row_rates(row, f)
        Gi, Hi = ionic(model, am, bm, x0, x1, x2, x3, gNa, ENa, gK, EK, gK2, v0)
        G = gL + Gi + Gs0[k]
        H = glel + Hi + Hs0[k]
        G0[k] = G
        H0[k] = H
        ok &= abs(G) * dt * inv_C <= Z_STABLE
        V_star[k] = v0 + dt * (H - G * v0) * inv_C
        sm, sh, sn, sp = am + bm, ah + bh, an + bn, ap + bp
        if m0:
            x_star[0][k] = _predict(x0, am, sm, _column(row, f, 8), dt, True)
            a0[0][k], s0[0][k] = am, sm
        if m1:
            ok &= sh * dt < Z_GATE
            x_star[1][k], a0[1][k], s0[1][k] = _euler_gate(x1, ah, sh, dt), ah, sh
        if m2:
            ok &= sn * dt < Z_GATE
            x_star[2][k], a0[2][k], s0[2][k] = _euler_gate(x2, an, sn, dt), an, sn
        if m3:
            ok &= sp * dt < Z_GATE
            x_star[3][k], a0[3][k], s0[3][k] = _euler_gate(x3, ap, sp, dt), ap, sp
        done[k] = ok
        left += not ok
    return left


@vector_njit(cache=True, refcount=False)
def _correct_block(table, model, V, x, G0, H0, Gs1, Hs1, V_star, x_star, a0, s0, corr, moments,
                   n_sub, t_cross, cell, dt):
    """_correct_cell without noise for a block of cells after _predict_block, eight at
    a time, where it takes its common path: the lookups inside the table, gates h, n and
    p slow. Gate m takes both of its steps and keeps one (_correct). n_sub[k] is 0 for a
    cell that did not take that path (left to _correct_cell), else _correct_cell's.

    Every array here a different piece of memory; the same arithmetic as
    _correct_cell's, in the same order: the same results.
    """
    numba.literally(model)
    gL, glel, inv_C, gNa, ENa, gK, EK, gK2, phi, VT, pb = cell
    m0, m1, m2, m3 = _integrated_gates(model)
    for k in range(V.shape[0]):
        v0 = V[k]
        v = V_star[k]
        x0, x1, x2, x3 = x[0][k], x[1][k], x[2][k], x[3][k]
        X0, X1, X2, X3 = x_star[0][k], x_star[1][k], x_star[2][k], x_star[3][k]
        y0 = X0 if m0 else x0
        y1 = X1 if m1 else x1
        y2 = X2 if m2 else x2
        y3 = X3 if m3 else x3
        G = G0[k]
        H = H0[k]
        row, f, ok = _clamped_row(table, v)
        cm, dm, ch, dh, cn, dn, cp, dp = _row_rates(row, f)
        Gi, Hi = ionic(model, cm, dm, y0, y1, y2, y3, gNa, ENa, gK, EK, gK2, v)
        G1 = gL + Gi + Gs1[k]
        H1 = glel + Hi + Hs1[k]
        tm, th, tn, tp = cm + dm, ch + dh, cn + dn, cp + dp
        substeps = _substep_count(max(abs(G), abs(G1)) * dt * inv_C)
        v_new = _corrected_V(v0, v, G, H, G1, H1, corr[k], moments[k], inv_C, dt, 0.0)
        c0, c1, c2, c3 = x0, x1, x2, x3
        row, f, inside = _clamped_row(table, 0.5 * (v0 + v))
        if m0:
            ok &= inside
            um, Em = _row_gate(row, f, 0)
            c0 = _correct(x0, y0, a0[0][k], s0[0][k], cm, tm, um, Em, dt, True)
        if m1:
            ok &= max(s0[1][k], th) * dt < Z_GATE
            c1 = _heun_gate(x1, y1, a0[1][k], s0[1][k], ch, th, dt)
        if m2:
            ok &= max(s0[2][k], tn) * dt < Z_GATE
            c2 = _heun_gate(x2, y2, a0[2][k], s0[2][k], cn, tn, dt)
        if m3:
            ok &= max(s0[3][k], tp) * dt < Z_GATE
            c3 = _heun_gate(x3, y3, a0[3][k], s0[3][k], cp, tp, dt)
        stiff = ok & (substeps > 1)
        step = ok & (substeps == 1)
        # A stiff cell's substeps start from its state at t (as in _correct_cell);
        # a cell left to _correct_cell keeps all it had.
        V[k] = v_new if step else v0
        x[0][k] = c0 if step else x0
        x[1][k] = c1 if step else x1
        x[2][k] = c2 if step else x2
        x[3][k] = c3 if step else x3
        V_star[k] = v0 if stiff else v
        x_star[0][k] = x0 if stiff else X0
        x_star[1][k] = x1 if stiff else X1
        x_star[2][k] = x2 if stiff else X2
        x_star[3][k] = x3 if stiff else X3
        t_cross[k] = math.nan if stiff else t_cross[k]
        n_sub[k] = substeps if ok else 0


@njit(cache=True, refcount=False)
def _auto_stages(table, model, both_m, args):
    """Both stages of method "auto" for a population without gap junctions.

    The same arithmetic, in the same order, as the two stage loops of
    step_conductance_population. The cells go in blocks of AUTO_BLOCK: the
    predictor of every cell of a block, then its corrector. A cell's corrector
    waits on its predictor through two table reads; in one loop over cells that
    chain of latencies left the core idle, while here the predictors (and then
    the correctors) of a block are independent of each other and overlap. The
    block's intermediate values (a0, s0, V_star, x_star) stay in L1. Without
    noise, each stage takes a block's cells eight at a time (_predict_block,
    _correct_block) and the few its common path does not cover one by one; with
    noise, all one by one, a cell's table rows asked for (cache_hints.prefetch)
    PREFETCH_AHEAD cells early. Gates the model does not integrate stay put.
    """
    numba.literally(model)     # one compiled loop per model, its other branches folded away
    numba.literally(both_m)    # 1: gate m takes both its steps (m_near_switch)
    (t, dt, interp, V, x, G0, H0, Gs0, Hs0, Gs1, Hs1, corr, moments, n_sub, t_cross, gL, glel,
     inv_C, gNa, ENa, gK, EK, gK2, phi, VT, pb, V_spike, sigma, noise_scale, step, noise_stream,
     k0, k1, a0, s0, V_star, x_star, stiff) = args
    m0, m1, m2, m3 = _integrated_gates(model)
    both = both_m == 1
    cell = (gL, glel, inv_C, gNa, ENa, gK, EK, gK2, phi, VT, pb)
    constants = (inv_C, gNa, ENa, gK, EK, gK2, phi, VT, pb, V_spike)    # (_substep's)
    vector = sigma == 0.0
    n = V.shape[0]
    n_stiff = 0
    for b0 in range(0, n, AUTO_BLOCK):
        b1 = min(n, b0 + AUTO_BLOCK)
        left = b1 - b0
        if vector:
            left = _predict_block(
                table, model, V[b0:b1], _rows(x, b0, b1), Gs0[b0:b1], Hs0[b0:b1], G0[b0:b1],
                H0[b0:b1], V_star[b0:b1], _rows(x_star, b0, b1), _rows(a0, b0, b1),
                _rows(s0, b0, b1), n_sub[b0:b1], cell, dt)
        if left > 0:
            for li in range(b0, b1):
                i = np.uint64(li)
                if vector and n_sub[i] != 0:
                    continue
                if not vector and li + PREFETCH_AHEAD < n:
                    _prefetch_row(table, V[np.uint64(li + PREFETCH_AHEAD)])
                _predict_cell(table, model, both, i, V, x, G0, H0, Gs0, Hs0, V_star, x_star,
                              a0, s0, cell, dt)
        if vector:
            _correct_block(
                table, model, V[b0:b1], _rows(x, b0, b1), G0[b0:b1], H0[b0:b1], Gs1[b0:b1],
                Hs1[b0:b1], V_star[b0:b1], _rows(x_star, b0, b1), _rows(a0, b0, b1),
                _rows(s0, b0, b1), corr[b0:b1], moments[b0:b1], n_sub[b0:b1],
                t_cross[b0:b1], cell, dt)
        for li in range(b0, b1):
            i = np.uint64(li)
            substeps = n_sub[i] if vector else 0
            if substeps == 0:
                ahead = np.uint64(li + PREFETCH_AHEAD)
                if not vector and li + PREFETCH_AHEAD < b1:
                    _prefetch_row(table, V_star[ahead])
                    if both:    # the midpoint's row will be read too
                        _prefetch_row(table, 0.5 * (V[ahead] + V_star[ahead]))
                eta = 0.0
                if sigma != 0.0:
                    eta = noise_scale * normal_pair(li, step, noise_stream, 0, k0, k1)[0]
                substeps = _correct_cell(table, model, both, i, V, x, G0, H0, Gs1, Hs1,
                                         V_star, x_star, a0, s0, corr, moments, n_sub,
                                         t_cross, cell, dt, eta)
            if substeps > 1:
                # Stiff (in a spike): listed for the substeps below, from the state at t.
                stiff[n_stiff] = li
                n_stiff += 1
    # The stiff cells' substeps, substep j of every such cell before substep j + 1 of
    # any, so that the cells' chains of substeps overlap. Their state in between is in
    # V_star, x_star and t_cross.
    g_lo = 0 if m0 else 1
    g_hi = 4 if m3 else 3
    for j in range(MAX_SUBSTEPS):
        left = 0
        for q in range(n_stiff):
            li = stiff[q]
            i = np.uint64(li)
            if q + PREFETCH_STIFF < n_stiff:     # where that cell's substep j starts
                _prefetch_row(table, V_star[np.uint64(stiff[q + PREFETCH_STIFF])])
            m = n_sub[i]
            if j >= m:
                continue
            left += 1
            GA, HA = gL + Gs0[i], glel + Hs0[i]
            GB, HB = gL + Gs1[i], glel + Hs1[i]
            v = V_star[i]
            y0, y1, y2, y3 = x_star[0][i], x_star[1][i], x_star[2][i], x_star[3][i]
            if j == 0:      # where the predictor started: its values are at hand
                start = (G0[i], H0[i],
                         (a0[0][i] if m0 else 0.0, a0[1][i], a0[2][i],
                          a0[3][i] if m3 else 0.0),
                         (s0[0][i] if m0 else 0.0, s0[1][i], s0[2][i],
                          s0[3][i] if m3 else 0.0))
            else:
                start = _substep_start(table, model, j, m, v, (y0, y1, y2, y3),
                                       (GA, HA, GB, HB), constants)
            V_star[i], gates, t_cross[i] = _substep(
                table, model, j, m, t, dt, v, (y0, y1, y2, y3), (GA, HA, GB, HB), constants,
                interp, g_lo, g_hi, t_cross[i], start)
            x_star[0][i], x_star[1][i], x_star[2][i], x_star[3][i] = gates
        if left == 0:
            break
    for q in range(n_stiff):
        li = stiff[q]
        i = np.uint64(li)
        eta = 0.0
        if sigma != 0.0:
            eta = noise_scale * normal_pair(li, step, noise_stream, 0, k0, k1)[0]
        V[i] = V_star[i] + corr[i] + eta
        x[0][i], x[1][i], x[2][i], x[3][i] = x_star[0][i], x_star[1][i], x_star[2][i], x_star[3][i]


@njit(cache=True, inline="always")
def _stages_compiled(stages, model, both_m):
    """Whether the network compiled the _auto_stages of (model, both_m) (layout.AutoStages);
    where not, the cell-by-cell stage loops take the step, with the same arithmetic."""
    if model == MODEL_RTM:
        return stages.rtm is not None
    if model == MODEL_WB:
        return stages.wb is not None
    if model == MODEL_TRAUB:
        if both_m:
            return stages.traub_both is not None
        return stages.traub is not None
    if both_m:
        return stages.hh_both is not None
    return stages.hh is not None


def _stages_if(present, table, model, both_m, args):
    """``_auto_stages(table, model, both_m, args)`` where the network has such cells.

    ``present`` is None where no population of the network takes this
    specialisation (``layout.AutoStages``, set at assembly): numba then types
    the call as nothing and never compiles that ``_auto_stages``, each of
    which takes 10-20 s to compile. (``_stages_compiled`` keeps the step from
    calling it then.)
    """


@overload(_stages_if, prefer_literal=True)
def _stages_if_typed(present, table, model, both_m, args):
    if isinstance(present, types.NoneType):
        return lambda present, table, model, both_m, args: None
    model_value, both_value = model.literal_value, both_m.literal_value

    def call(present, table, model, both_m, args):
        _auto_stages(table, model_value, both_value, args)
    return call


@njit(cache=True, inline="always")
def _any_crossing(V_old, V, n_sub, t_cross, b0, b1, V_spike):
    """Whether a cell of b0 ... b1 - 1 crossed V_spike in the step (in a substep, or from
    V_old to V), or diverged. A loop without branches over slices, which the compiler
    vectorises (over range(b0, b1) it did not): the spike search then looks at few cells
    one by one."""
    V_old, V, n_sub, t_cross = V_old[b0:b1], V[b0:b1], n_sub[b0:b1], t_cross[b0:b1]
    found = 0
    for k in range(V.shape[0]):
        v1 = V[k]
        tc = t_cross[k]
        found += (((n_sub[k] > 1) & (tc == tc))
                  | ((n_sub[k] <= 1) & (V_old[k] < V_spike) & (V_spike <= v1))
                  | (abs(v1) >= V_LIMIT) | (v1 != v1))
    return found > 0


@njit(cache=True, inline="always")
def _level_time(t, dt, interp, v0, v1, k_start, k_end, level):
    """When V, v0 at t and v1 at t + dt (slopes k_start, k_end), crossed level."""
    if interp == INTERP_HERMITE:
        return t + dt * hermite_crossing(v0, v1, k_start, k_end, dt, level)
    if interp == INTERP_LINEAR:
        return t + dt * (level - v0) / (v1 - v0)
    return t + dt


@njit(cache=True)
def _any_rise(V_old, V, b0, b1, level):
    """Whether a cell of b0 ... b1 - 1 rose through level from V_old to V."""
    found = 0
    for k in range(b0, b1):
        found += (V_old[k] < level) & (level <= V[k])
    return found > 0


@njit(cache=True, refcount=False)
def _reset(li, ts, t1, reset_V, u, V, x, Gs, Hs, gL, glel, inv_C, table, model, gNa, ENa,
           gK, EK, gK2, phi, VT, pb):
    """A resetting cell (Izhikevich) spiked at ts: from V = c and u (already + d), one Heun
    piece over what is left of the step, with the synaptic drive at its end."""
    h = t1 - ts
    v = reset_V
    G_d = gL + Gs
    H_d = glel + Hs
    am, bm, ah, bh, an, bn, ap, bp = tabulated_rates(table, model, v, phi, VT, pb)
    Gi, Hi = ionic(model, am, bm, u, 0.0, 0.0, 0.0, gNa, ENa, gK, EK, gK2, v)
    kv = (H_d + Hi - (G_d + Gi) * v) * inv_C
    ku = am - (am + bm) * u
    vp = v + h * kv
    up = u + h * ku
    am, bm, ah, bh, an, bn, ap, bp = tabulated_rates(table, model, vp, phi, VT, pb)
    Gi, Hi = ionic(model, am, bm, up, 0.0, 0.0, 0.0, gNa, ENa, gK, EK, gK2, vp)
    V[li] = v + 0.5 * h * (kv + (H_d + Hi - (G_d + Gi) * vp) * inv_C)
    x[0, li] = u + 0.5 * h * (ku + am - (am + bm) * up)


@njit(cache=True, inline="always")
def _gap_sum(indptr, indices, gap_g, V_all, i):
    """sum_j g_ij V_j (nA) over neuron i's gap junctions (global indices)."""
    acc = 0.0
    for q in range(indptr[i], indptr[i + 1]):
        u = np.uint64(q)
        acc += gap_g[u] * V_all[np.uint64(indices[u])]
    return acc


@njit(cache=True, inline="always")
def step_conductance_population(p, step, t, dt, interp, k0, k1, pops, neurons, chans, arrivals,
                                shared, cells, stages, ring, out, status):
    """Advance conductance-cell population p from t to t + dt; False if a cell diverged.

    Inlined into the run loop, which is compiled for the network's ``stages``
    (``layout.AutoStages``); the rest of the step (``_population_step``) is
    compiled once for every network: compiled for each set of stages, it took
    15-20 s more for each new set of cell models.
    """
    model = cells.model[p]
    args = (p, step, t, dt, interp, k0, k1, pops, neurons, chans, arrivals, shared, cells, ring,
            out, status)
    if not _stages_compiled(stages, model, cells.m_both_steps[p]):
        return _population_step(np.int64(PART_WHOLE), *args) == STEPPED
    outcome = _population_step(np.int64(PART_DRIVE), *args)
    if outcome != NEEDS_STAGES:
        return outcome == STEPPED
    _vector_stages(p, step, t, dt, interp, k0, k1, pops, neurons, cells, stages)
    return _population_step(np.int64(PART_SPIKES), *args) == STEPPED


@njit(cache=True, inline="always")
def _vector_stages(p, step, t, dt, interp, k0, k1, pops, neurons, cells, stages):
    """Both stages of population p by its _auto_stages (layout.AutoStages)."""
    par = cells.params[p]
    model = cells.model[p]
    table = cells.tables[cells.table_of[p]]
    C, gL, EL = par[H_C], par[H_GL], par[H_EL]
    inv_C = 1.0 / C
    start, stop = pops.ints[p, I_START], pops.ints[p, I_STOP]
    sigma = pops.params[p, P_SIGMA]
    # The gates' rows as contiguous 1-D arrays (_rows), for the vector loops.
    args = (t, dt, interp, neurons.V[start:stop], _rows(cells.x, start, stop),
            cells.G0[start:stop], cells.H0[start:stop], cells.Gs0[start:stop],
            cells.Hs0[start:stop], cells.Gs1[start:stop], cells.Hs1[start:stop],
            cells.corr[start:stop], cells.moments[start:stop], cells.n_sub[start:stop],
            cells.t_cross[start:stop], gL, gL * EL, inv_C, par[H_GNA], par[H_ENA], par[H_GK],
            par[H_EK], par[H_GK2], par[H_PHI], par[H_VT], par[H_B], par[H_VSPIKE], sigma,
            sigma * math.sqrt(dt) * inv_C, step, pops.ints[p, I_NOISE_STREAM], k0, k1,
            _rows(cells.a0, start, stop), _rows(cells.s0, start, stop),
            cells.V_star[start:stop], _rows(cells.x_star, start, stop),
            cells.stiff[start:stop])
    if model == MODEL_RTM:
        _stages_if(stages.rtm, table, MODEL_RTM, 0, args)
    elif model == MODEL_WB:
        _stages_if(stages.wb, table, MODEL_WB, 0, args)
    elif model == MODEL_TRAUB:
        if cells.m_both_steps[p]:
            _stages_if(stages.traub_both, table, MODEL_TRAUB, 1, args)
        else:
            _stages_if(stages.traub, table, MODEL_TRAUB, 0, args)
    elif cells.m_both_steps[p]:
        _stages_if(stages.hh_both, table, MODEL_HH_NEST, 1, args)
    else:
        _stages_if(stages.hh, table, MODEL_HH_NEST, 0, args)


@njit(cache=True, refcount=False)
def _population_step(part, p, step, t, dt, interp, k0, k1, pops, neurons, chans, arrivals,
                     shared, cells, ring, out, status):
    """Population p's step, or the part of it ``part`` says (PART_*): the drive and
    the stages cell by cell, then the spikes. Returns DIVERGED, STEPPED, or, for
    PART_DRIVE, NEEDS_STAGES where the population's stages are _auto_stages'
    (the caller runs them, then asks for PART_SPIKES)."""
    par = cells.params[p]
    model = cells.model[p]
    table = cells.tables[cells.table_of[p]]
    C, gL, EL = par[H_C], par[H_GL], par[H_EL]
    gNa, ENa, gK, EK, gK2 = par[H_GNA], par[H_ENA], par[H_GK], par[H_EK], par[H_GK2]
    V_spike, phi, VT, pb = par[H_VSPIKE], par[H_PHI], par[H_VT], par[H_B]
    method = par[H_METHOD]
    # The gates the model integrates ("auto" leaves the others where they are):
    # RTM and WB cells have an instantaneous m and no p; only NEST's cell has p.
    g_lo = 1 if model == MODEL_RTM or model == MODEL_WB else 0
    g_hi = 4 if model == MODEL_HH_NEST else (1 if model == MODEL_IZHIKEVICH else 3)
    reset_V, u_jump = par[H_RESET], par[H_U_JUMP]
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
    constants = (inv_C, gNa, ENa, gK, EK, gK2, phi, VT, pb, V_spike)    # (_substeps')
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
    u_old = cells.u_old[start:stop]
    gap_in = cells.gap_in[start:stop]
    gap_total = cells.gap_total[start:stop]
    delta = cells.delta[:, start:stop]
    delta_in = cells.delta_in[:, start:stop]
    indptr, indices, gap_g = cells.gap_indptr, cells.gap_indices, cells.gap_g
    V_all = neurons.V
    g = chans.g
    r = chans.r

    if part != PART_SPIKES:
        # Synaptic and injected drive at t (into Gs0, Hs0) and at t + dt (into Gs1, Hs1,
        # by the channel loop below, once every arrival of the step is in g_in and r_in);
        # the gates move to t + dt. What the stages miss starts from the sums of the
        # spikes delivered straight to the cells.
        corr_in = cells.corr_in[start:stop]
        moment_in = cells.moment_in[start:stop]
        # One array a loop: each is then a vectorised copy or fill.
        for li in range(n_cells):
            j = np.uint64(li)
            Gs0[j] = 0.0
        for li in range(n_cells):
            j = np.uint64(li)
            Gs1[j] = 0.0
        for li in range(n_cells):
            j = np.uint64(li)
            Hs0[j] = I_now[j]
        for li in range(n_cells):
            j = np.uint64(li)
            Hs1[j] = I_now[j]
        for li in range(n_cells):
            j = np.uint64(li)
            corr[j] = corr_in[j]
        for li in range(n_cells):
            j = np.uint64(li)
            moments[j] = moment_in[j]
        for li in range(n_cells):
            j = np.uint64(li)
            corr_in[j] = 0.0
        for li in range(n_cells):
            j = np.uint64(li)
            moment_in[j] = 0.0
        for li in range(n_cells):
            j = np.uint64(li)
            V_old[j] = V[j]
        if reset_V == reset_V:
            for li in range(n_cells):
                j = np.uint64(li)
                u_old[j] = x[0, j]
            for row in range(2):
                for li in range(n_cells):
                    j = np.uint64(li)
                    delta[row, j] = delta_in[row, j]
                    delta_in[row, j] = 0.0
        if switching:
            for li in range(n_cells):
                j = np.uint64(li)
                i = start + li
                Hs1[j] += neurons.dI[i]
                I_now[j] += neurons.dI[i]
                corr[j] += dt * neurons.I_corr[i] * inv_C
                neurons.dI[i] = 0.0
                neurons.I_corr[i] = 0.0
        # The step's listed arrivals (Poisson drive, synapses with delays of their own) and
        # those listed once for the population: their exact jumps of the gates at t + dt
        # join the sums of the spikes delivered straight to the cells (g_in, r_in), and
        # what the stages miss of each goes into corr and moments (see _arrival).
        head, a_next, a_time = arrivals.head, arrivals.next, arrivals.time
        g_in_all, r_in_all = cells.g_in, cells.r_in
        a_chan, a_weight = arrivals.channel, arrivals.weight
        memo = cells.memo
        inv_dt = 1.0 / dt
        for li in range(n_cells):
            i = start + li
            e = head[i]
            while e >= 0:
                u = np.uint64(e)
                c = a_chan[u]
                kind = chans.kind[c]
                w = a_weight[u]
                jg, jr, miss, moment = _arrival(memo, c, kind, t1 - a_time[u], chans.tau[c],
                                                chans.tau_rise[c], chans.peak[c], dt, inv_dt)
                add_arrival(li, chans.offset[c] + li, w, jg, jr, miss, moment, kind,
                            chans.E[c], inv_C, V, g_in_all, r_in_all, corr, moments, delta)
                e = a_next[u]
            head[i] = -1
        for q in range(shared.count[0]):
            if shared.pop[q] != p:
                continue
            c = shared.channel[q]
            kind = chans.kind[c]
            w = shared.weight[q]
            jg, jr, miss, moment = unit_arrival(kind, t1 - shared.time[q], chans.tau[c],
                                                 chans.tau_rise[c], chans.peak[c], dt)
            o = chans.offset[c]
            Ec = chans.E[c]
            for li in range(n_cells):
                add_arrival(li, o + li, w, jg, jr, miss, moment, kind, Ec, inv_C, V, g_in_all,
                            r_in_all, corr, moments, delta)
        for c in range(c_first, c_stop):
            kind = chans.kind[c]
            o = chans.offset[c]
            gc = g[o:o + n_cells]
            rc = r[o:o + n_cells]
            g_in = cells.g_in[o:o + n_cells]
            r_in = cells.r_in[o:o + n_cells]
            d = chans.decay[c]
            Ec = chans.E[c]
            tau = chans.tau[c]
            # The stages see a gate at t and t + dt only: the trapezoid. What it misses
            # of the exact integral over the step, per unit of the gate at t (kappa)
            # goes into corr, as for an arrival; it matters where dt is near tau.
            kappa = tau * (1.0 - d) - 0.5 * dt * (1.0 + d)
            mu = _moment(d, dt / tau, tau, 0.0, dt)
            if kind == CH_EXP:
                for li in range(n_cells):
                    j = np.uint64(li)
                    s = gc[j]
                    Gs0[j] += s
                    Hs0[j] += s * Ec
                    corr[j] += s * kappa * (Ec - V[j]) * inv_C
                    moments[j] += s * mu
                    s = s * d + g_in[j]
                    gc[j] = s
                    g_in[j] = 0.0
                    Gs1[j] += s
                    Hs1[j] += s * Ec
            elif kind == CH_EXP2:
                f = chans.peak[c]
                tau_r = chans.tau_rise[c]
                dr = math.exp(-dt / tau_r)
                kappa_r = tau_r * (1.0 - dr) - 0.5 * dt * (1.0 + dr)
                mu_r = _moment(dr, dt / tau_r, tau_r, 0.0, dt)
                for li in range(n_cells):
                    j = np.uint64(li)
                    s = f * (gc[j] - rc[j])
                    Gs0[j] += s
                    Hs0[j] += s * Ec
                    corr[j] += f * (gc[j] * kappa - rc[j] * kappa_r) * (Ec - V[j]) * inv_C
                    moments[j] += f * (gc[j] * mu - rc[j] * mu_r)
                    g1 = gc[j] * d + g_in[j]
                    r1 = rc[j] * dr + r_in[j]
                    gc[j] = g1
                    rc[j] = r1
                    g_in[j] = 0.0
                    r_in[j] = 0.0
                    s = f * (g1 - r1)
                    Gs1[j] += s
                    Hs1[j] += s * Ec
            elif kind == CH_ALPHA_CURRENT:
                X = dt / tau
                kappa_r = tau * (1.0 - d * (1.0 + X)) - 0.5 * dt * X * d
                for li in range(n_cells):
                    j = np.uint64(li)
                    Hs0[j] += gc[j]
                    corr[j] += (gc[j] * kappa + rc[j] * kappa_r) * inv_C
                    g1 = (gc[j] + rc[j] * X) * d + g_in[j]
                    gc[j] = g1
                    rc[j] = rc[j] * d + r_in[j]
                    g_in[j] = 0.0
                    r_in[j] = 0.0
                    Hs1[j] += g1

        # Stage 1 (predictor), from the state at t: explicit Euler, or exponential
        # Euler (stable however stiff the cell is) for "exponential" and for stiff
        # cells under "auto".
        has_gap = indptr[stop] > indptr[start]
        if part == PART_DRIVE and not has_gap and method == METHOD_AUTO and reset_V != reset_V:
            return NEEDS_STAGES
        if has_gap:
            for li in range(n_cells):
                j = np.uint64(li)
                gap0[j] = _gap_sum(indptr, indices, gap_g, V_all, start + li)
        noise_scale = sigma * math.sqrt(dt) * inv_C
        for li in range(n_cells):
            j = np.uint64(li)
            v = V[j]
            am, bm, ah, bh, an, bn, ap, bp = tabulated_rates(table, model, v, phi, VT, pb)
            Gi, Hi = ionic(model, am, bm, x[0, j], x[1, j], x[2, j], x[3, j],
                           gNa, ENa, gK, EK, gK2, v)
            G = gL + Gi + Gs0[j] + gap_total[j]
            H = glel + Hi + Hs0[j] + (gap0[j] if has_gap else 0.0)
            G0[j] = G
            H0[j] = H
            a0[0, j], s0[0, j] = am, am + bm
            a0[1, j], s0[1, j] = ah, ah + bh
            a0[2, j], s0[2, j] = an, an + bn
            a0[3, j], s0[3, j] = ap, ap + bp
            if method == METHOD_AUTO:
                # Gap conductance is left out, so that a junction between equal cells
                # changes nothing; the network checks that it is far from stiff.
                euler = abs(G - gap_total[j]) * dt * inv_C <= Z_STABLE
                V_star[j] = v + dt * (H - G * v) * inv_C * (1.0 if euler else
                                                            _phi1(G * dt * inv_C))
                fast = False
                for k in range(g_lo, g_hi):
                    fast |= s0[k, j] * dt >= Z_GATE
                E_0 = (1.0, 1.0, 1.0, 1.0)
                if fast:
                    E_0 = tabulated_decay(table, model, v, phi, VT, pb, dt)
                for k in range(g_lo, g_hi):
                    x_star[k, j] = _predict(x[k, j], a0[k, j], s0[k, j], E_0[k], dt, False)
            else:
                heun = method == METHOD_HEUN
                V_star[j] = v + dt * (H - G * v) * inv_C * (1.0 if heun else _phi1(G * dt * inv_C))
                for k in range(N_GATES):
                    sk = s0[k, j]
                    xk = x[k, j]
                    x_star[k, j] = xk + dt * (a0[k, j] - sk * xk) * (1.0 if heun else
                                                                      _phi1(sk * dt))

        # Stage 2 (corrector), from t again, with the partners' V at the predictor.
        if has_gap:
            V_s_all = cells.V_star
            for li in range(n_cells):
                j = np.uint64(li)
                gap_in[j] = _gap_sum(indptr, indices, gap_g, V_s_all, start + li)
        for li in range(n_cells):
            j = np.uint64(li)
            v = V_star[j]
            am, bm, ah, bh, an, bn, ap, bp = tabulated_rates(table, model, v, phi, VT, pb)
            Gi, Hi = ionic(model, am, bm, x_star[0, j], x_star[1, j], x_star[2, j],
                           x_star[3, j], gNa, ENa, gK, EK, gK2, v)
            G1 = gL + Gi + Gs1[j] + gap_total[j]
            H1 = glel + Hi + Hs1[j] + (gap_in[j] if has_gap else 0.0)
            jump_V = jump_u = 0.0
            if reset_V == reset_V and delta[0, j] != 0.0:
                jump_V, jump_u = izhikevich.delta_effect(delta[0, j], delta[1, j], v, G1, gNa,
                                                         EK, phi, pb, inv_C)
            v0 = V_old[j]
            eta = 0.0
            if sigma != 0.0:
                eta = noise_scale * normal_pair(li, step, noise_stream, 0, k0, k1)[0]
            a_s = (am, ah, an, ap)
            s_s = (am + bm, ah + bh, an + bn, ap + bp)
            substeps = 1
            if method == METHOD_AUTO:
                # |G|: an Izhikevich cell's upstroke has G < 0 and is as fast.
                substeps = _substep_count(max(abs(G0[j] - gap_total[j]),
                                              abs(G1 - gap_total[j])) * dt * inv_C)
            n_sub[j] = substeps
            if method == METHOD_EXPONENTIAL:
                G = 0.5 * (G0[j] + G1)
                H = 0.5 * (H0[j] + H1)
                V[j] = v0 + dt * (H - G * v0) * inv_C * _phi1(G * dt * inv_C) + corr[j] + eta
                for k in range(N_GATES):
                    a = 0.5 * (a0[k, j] + a_s[k])
                    sk = 0.5 * (s0[k, j] + s_s[k])
                    xk = x[k, j]
                    x[k, j] = xk + dt * (a - sk * xk) * _phi1(sk * dt)
            elif substeps == 1:
                V[j] = _corrected_V(v0, v, G0[j], H0[j], G1, H1, corr[j], moments[j], inv_C,
                                    dt, eta)
                if method == METHOD_AUTO:
                    # Each gate with its opening rate linear from t to the predictor
                    # and its total rate at the step's midpoint potential (_gate_step):
                    # second order, stable and lagging right however fast the gate
                    # (NEST's m: 6.5 /ms at rest; the Traub cell's: 11-15 /ms).
                    fast = False
                    for k in range(g_lo, g_hi):
                        fast |= max(s0[k, j], s_s[k]) * dt >= Z_GATE
                    if fast:
                        vm = 0.5 * (v0 + v)
                        cm, dm, ch, dh, cn, dn, cp, dp = tabulated_rates(table, model, vm, phi,
                                                                         VT, pb)
                        E_mid = tabulated_decay(table, model, vm, phi, VT, pb, dt)
                        s_mid = (cm + dm, ch + dh, cn + dn, cp + dp)
                    for k in range(g_lo, g_hi):
                        xk = x[k, j]
                        if max(s0[k, j], s_s[k]) * dt < Z_GATE:
                            x[k, j] = _heun_gate(xk, x_star[k, j], a0[k, j], s0[k, j], a_s[k],
                                                 s_s[k], dt)
                        else:
                            x[k, j] = _gate_step(xk, a0[k, j], a_s[k], s_mid[k], E_mid[k], dt)
                else:
                    for k in range(N_GATES):
                        x[k, j] = _heun_gate(x[k, j], x_star[k, j], a0[k, j], s0[k, j], a_s[k],
                                             s_s[k], dt)
            else:
                # Stiff (a spike): Heun substeps, with the synaptic and injected drive
                # linear in time between its values at t and t + dt, and the gap
                # current too, between its values at t and at the predictor.
                gap_A = 0.0
                gap_B = 0.0
                if has_gap:
                    gap_A = gap0[j] - gap_total[j] * v0
                    gap_B = gap_in[j] - gap_total[j] * v
                v, gates, t_cross[j] = _substeps(
                    table, model, substeps, t, dt, v0, (x[0, j], x[1, j], x[2, j], x[3, j]),
                    (gL + Gs0[j], glel + Hs0[j] + gap_A, gL + Gs1[j], glel + Hs1[j] + gap_B),
                    constants, interp, g_lo, g_hi)
                V[j] = v + corr[j] + eta
                x[0, j], x[1, j], x[2, j], x[3, j] = gates
            if jump_V != 0.0:
                V[j] += jump_V
                x[0, j] += jump_u

    # Spikes: upward crossings of V_spike, placed inside the step. A resetting cell
    # whose spike is counted below its peak (V_detect: NEURON's NetCon on an
    # Izhi2007b cell) sends it at the crossing of V_detect and resets at V_spike's.
    V_detect = par[H_VDETECT]
    apart = V_detect == V_detect
    ok = True
    for b0 in range(0, n_cells, SPIKE_CHUNK):
        b1 = min(n_cells, b0 + SPIKE_CHUNK)
        if not (_any_crossing(V_old, V, n_sub, t_cross, b0, b1, V_spike)
                or (apart and _any_rise(V_old, V, b0, b1, V_detect))):
            continue
        for li in range(b0, b1):
            j = np.uint64(li)
            v0 = V_old[j]
            v1 = V[j]
            if not (abs(v1) < V_LIMIT):
                if ok:
                    status.code[0] = STATUS_DIVERGED
                    status.neuron[0] = start + li
                    status.time[0] = t1
                ok = False
                continue
            crossed = n_sub[j] <= 1 and v0 < V_spike <= v1
            k_start = k_end = 0.0
            if interp == INTERP_HERMITE and (crossed or (apart and v0 < V_detect <= v1)):
                # Slopes at both ends; at the end, with the partners' V at t + dt.
                acc = _gap_sum(indptr, indices, gap_g, V_all, start + li)
                am, bm, ah, bh, an, bn, ap, bp = tabulated_rates(table, model, v1, phi, VT, pb)
                Gi, Hi = ionic(model, am, bm, x[0, j], x[1, j], x[2, j], x[3, j],
                               gNa, ENa, gK, EK, gK2, v1)
                k_end = (glel + Hi + Hs1[j] + acc - (gL + Gi + Gs1[j] + gap_total[j]) * v1) \
                    * inv_C
                k_start = (H0[j] - G0[j] * v0) * inv_C
            ts = np.nan
            if n_sub[j] > 1:
                ts = t_cross[j]        # found inside its substep (NaN: none)
            elif crossed:
                ts = _level_time(t, dt, interp, v0, v1, k_start, k_end, V_spike)
            ts_sent = ts
            if apart:
                ts_sent = np.nan
                if v0 < V_detect and (V_detect <= v1 or ts == ts):
                    if n_sub[j] > 1 and ts == ts:
                        # Stiff on the way up: V taken linear from t to the peak.
                        ts_sent = t + (ts - t) * (V_detect - v0) / (V_spike - v0)
                    else:
                        ts_sent = _level_time(t, dt, interp, v0, v1, k_start, k_end, V_detect)
                    if ts == ts:
                        ts_sent = min(ts_sent, ts)
            if ts == ts and reset_V == reset_V:
                # u at the spike from its value and slope at t (the step's end value went
                # through V's overshoot past v_peak).
                u_spike = u_old[j] + (ts - t) * (a0[0, j] - s0[0, j] * u_old[j])
                _reset(li, ts, t1, reset_V, u_spike + u_jump, V, x, Gs1[j], Hs1[j], gL, glel,
                       inv_C, table, model, gNa, ENa, gK, EK, gK2, phi, VT, pb)
            if ts_sent != ts_sent:
                continue
            ts = ts_sent
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
