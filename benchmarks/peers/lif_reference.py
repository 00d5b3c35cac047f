"""The LIF accuracy benchmark's network and its exact spike times (numpy only).

Shared by ``benchmarks/accuracy_cost_lif.py`` (lifnet's python) and the peers
``lif_brian2.py`` and ``lif_nest.py`` (the peer environment), so the network's
parameters, the currents and the reference come from one code path.

The network: N independent current-driven LIF cells, no synapses (units: ms,
mV, nF, uS, nA)::

    C dV/dt = -g_L (V - E_L) + I_i,   I_i = linspace(0.55, 1.5, N)[i]

C 0.5 nF, g_L 0.025 uS (tau = C / g_L = 20 ms), E_L -70 mV, threshold
-50 mV, reset -60 mV, absolute refractory period 2 ms (V held at the reset
value), V(0) = -70 mV.  With V_inf = E_L + I / g_L > V_th the spike times are

    t_1 = tau ln((V_inf - V_0) / (V_inf - V_th)),
    t_k = t_1 + (k - 1) T,   T = t_ref + tau ln((V_inf - V_reset) / (V_inf - V_th)),

for every t_k < duration.

The error of a simulated spike train (``spike_errors``): per cell, the largest
|t_sim - t_exact| over its spikes if the spike counts agree, otherwise a
*mismatch*; reported are the maximum and the median over the matching cells,
the number of mismatches, and (so that mismatches do not hide late cells)
the maximum over all cells of |t_sim - t_exact| over the first min(n_sim,
n_exact) spikes of each.
"""

import numpy as np

C = 0.5            # nF
G_L = 0.025        # uS
E_L = -70.0        # mV
V_TH = -50.0       # mV
V_RESET = -60.0    # mV
T_REF = 2.0        # ms
V_INIT = -70.0     # mV
I_RANGE = (0.55, 1.5)   # nA, first and last cell
TAU = C / G_L      # ms


def currents(n):
    """Constant input current of each cell, nA."""
    return np.linspace(I_RANGE[0], I_RANGE[1], n)


def exact_spike_times(current, duration):
    """Exact spike times (ms, ascending, all < duration) of one cell with input current nA."""
    v_inf = E_L + current / G_L
    if v_inf <= V_TH:
        return np.empty(0)
    t_first = TAU * np.log((v_inf - V_INIT) / (v_inf - V_TH))
    period = T_REF + TAU * np.log((v_inf - V_RESET) / (v_inf - V_TH))
    if t_first >= duration:
        return np.empty(0)
    count = int(np.floor((duration - t_first) / period)) + 1
    times = t_first + period * np.arange(count + 1)
    return times[times < duration]


def reference(n, duration):
    """Exact spike times of all n cells: a list of arrays."""
    return [exact_spike_times(float(i), duration) for i in currents(n)]


def split_by_cell(times, ids, n):
    """Sorted spike times of each cell 0 .. n - 1 from flat (times, ids) arrays."""
    times = np.asarray(times, dtype=np.float64)
    ids = np.asarray(ids, dtype=np.int64)
    order = np.lexsort((times, ids))
    times, ids = times[order], ids[order]
    bounds = np.searchsorted(ids, np.arange(n + 1))
    return [times[bounds[i]:bounds[i + 1]] for i in range(n)]


def spike_errors(sim, ref):
    """Errors of simulated spike trains sim (list of arrays) against ref (same length)."""
    per_cell, common_max, signed, details = [], 0.0, [], []
    for i, (s, r) in enumerate(zip(sim, ref, strict=True)):
        s = np.asarray(s, dtype=np.float64)
        m = min(s.size, r.size)
        if m:
            common_max = max(common_max, float(np.max(np.abs(s[:m] - r[:m]))))
        if s.size != r.size:
            per_cell.append(np.nan)
            details.append({"cell": i, "n_sim": int(s.size), "n_ref": int(r.size),
                            "last_sim_ms": float(s[-1]) if s.size else None,
                            "last_ref_ms": float(r[-1]) if r.size else None})
            continue
        diff = s - r
        per_cell.append(float(np.max(np.abs(diff))) if diff.size else 0.0)
        signed.append(diff)
    arr = np.array(per_cell)
    ok = ~np.isnan(arr)
    signed = np.concatenate(signed) if signed else np.empty(0)
    return {"max_err_ms": float(np.max(arr[ok])) if ok.any() else None,
            "median_err_ms": float(np.median(arr[ok])) if ok.any() else None,
            "mismatches": int(np.count_nonzero(~ok)),
            "max_err_common_ms": common_max,
            "mean_signed_err_ms": float(np.mean(signed)) if signed.size else None,
            "n_ref_spikes": int(sum(r.size for r in ref)),
            "mismatch_details": details[:10], "mismatch_details_omitted": max(0, len(details) - 10)}
