"""What the gap-junction peer scripts share: the network's constants and measures.

The network is the inhibitory Hodgkin-Huxley network with gap junctions of
Hahne et al. (2015), as in NEST's ``gap_junctions_inhibitory_network``
example.  The measures are plain numpy so that any side can use them; lifnet
keeps its own copy in ``lifnet.analysis``.
"""

import numpy as np

N = 500                    # hh_psc_alpha_gap neurons
GAP_PER_NEURON = 60        # gap junctions per neuron (each pair counts twice)
N_GAP_PAIRS = N * GAP_PER_NEURON // 2   # 15000 random pairs, made symmetric
INH_PER_NEURON = 50        # inhibitory inputs per neuron (fixed indegree)
J_EXC = 300.0              # pA, Poisson input weight
J_INH = -50.0              # pA, recurrent inhibitory weight
DELAY = 1.0                # ms, delay of all chemical synapses
DT = 0.05                  # ms, resolution
SIMTIME = 501.0            # ms
POISSON_RATE = 500.0       # Hz, one generator shared by all neurons
CHI_FROM = 100.0           # ms, the measures use t > CHI_FROM only


def gap_pairs(node_ids, seed):
    """The random gap-junction pairs, drawn as in NEST's example.

    Seeds numpy's global generator with ``seed`` and draws ``N_GAP_PAIRS``
    rows of two entries of ``node_ids`` (with replacement).  Rows whose two
    entries are equal are dropped.  Returns ``(pairs, n_skipped)``, pairs an
    integer array of shape (n_kept, 2).  The draw depends only on
    ``len(node_ids)``, so 0-based indices and NEST's node ids give the same
    pairs up to the offset.
    """
    np.random.seed(seed)
    drawn = np.random.choice(np.asarray(node_ids), [N_GAP_PAIRS, 2])
    self_pair = drawn[:, 0] == drawn[:, 1]
    return drawn[~self_pair], int(np.count_nonzero(self_pair))


def chi(V):
    """Golomb-Rinzel (1993) synchrony measure of voltage traces.

    ``V`` has shape (n_times, n_neurons).  With population variances over
    time (ddof 0), chi = sqrt(var_t(mean_i V) / mean_i(var_t V_i)): 1 for
    identical traces, about 1/sqrt(n_neurons) for independent ones.  NaN if
    no neuron's voltage varies.
    """
    V = np.asarray(V, dtype=float)
    if V.ndim != 2 or V.shape[0] < 2:
        raise ValueError(f"V must be (n_times >= 2, n_neurons), got shape {V.shape}")
    var_mean = np.var(V.mean(axis=1))
    mean_var = np.mean(np.var(V, axis=0))
    if mean_var == 0.0:
        return float("nan")
    return float(np.sqrt(var_mean / mean_var))


def count_cv(times, t_start, t_stop, bin_ms=1.0):
    """Coefficient of variation (std/mean, ddof 0) of the population spike count.

    ``times`` are all spike times (ms) of the population.  They are counted
    in consecutive bins of ``bin_ms`` from ``t_start``; only whole bins
    ending at or before ``t_stop`` are used.  A spike at a bin edge goes to
    the later bin; a tolerance of 1e-9 bins keeps times on the simulation
    grid (e.g. 101.00000000000001 or 100.99999999999999) in the right bin.
    NaN if there are no spikes in the bins.
    """
    n_bins = int(np.floor((t_stop - t_start) / bin_ms + 1e-9))
    if n_bins < 1:
        raise ValueError(f"no whole {bin_ms} ms bin in [{t_start}, {t_stop}]")
    pos = (np.asarray(times, dtype=float) - t_start) / bin_ms
    idx = np.floor(pos + 1e-9).astype(np.int64)
    idx = idx[(idx >= 0) & (idx < n_bins)]
    counts = np.bincount(idx, minlength=n_bins)
    mean = counts.mean()
    if mean == 0.0:
        return float("nan")
    return float(counts.std() / mean)
