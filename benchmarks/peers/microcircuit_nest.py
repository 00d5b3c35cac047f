"""NEST reference run of the Potjans & Diesmann (2014) cortical microcircuit.

Run with the peers' interpreter (``benchmarks/.peer-env/bin/python``, made by
``peers/setup_env.sh``); needs NEST 3.x.  Our own implementation of the model
as published (Potjans & Diesmann 2014, Cereb. Cortex 24:785, Tables 4-5) with
the choices that NEST's PyNEST example for the model makes where the paper
leaves room (scaling, delay/weight redraw bounds, initial potentials).

Model
-----
Eight populations (layers 2/3, 4, 5, 6; excitatory E and inhibitory I each),
``iaf_psc_exp`` cells: C_m 250 pF, tau_m 10 ms, tau_syn_ex = tau_syn_in =
0.5 ms, t_ref 2 ms, E_L = V_reset = -65 mV, V_th -50 mV; resolution 0.1 ms.

Connections: the paper's 8x8 probability table ``P_CONN`` (row = target,
column = source) is turned into a total number of synapses per population
pair, K = ln(1 - p) / ln(1 - 1/(N_post N_pre)) (the number of independent
draws with replacement that leaves a pair connected with probability p),
computed for the full-scale sizes and *not* rounded; the number created is
round(K * scale * k_scale), drawn with NEST's ``fixed_total_number`` rule
(sources and targets picked at random, multapses and autapses allowed, as in
NEST's example).  So ``scale`` shrinks the populations and ``k_scale`` the
in-degree of each cell (K / N_post * k_scale).

Weights: a mean PSP of 0.15 mV is converted into the amplitude of the
exponential PSC that produces it (``psc_per_psp``: 87.81 pA for 0.15 mV);
inhibitory sources have g = -4 times that, and L4E -> L23E twice that.  Each
synapse draws its weight from a normal distribution with sd = 0.1 |mean|,
redrawn while it has the wrong sign (``nest.math.redraw``, bounds
[0, inf) for excitatory, (-inf, 0] for inhibitory; bounds included).
Delays: normal, mean 1.5 ms (excitatory sources) or 0.75 ms (inhibitory),
sd half the mean, redrawn while below resolution/2 = 0.05 ms (bounds
[0.05, inf)); NEST rounds a delay to the nearest multiple of the resolution,
so the shortest delay is one step (0.1 ms).

In-degree scaling (k_scale < 1), as NEST's example: recurrent and external
weights are divided by sqrt(k_scale) (keeps the input variance), and each
population gets a DC current that restores the mean input lost,
I_DC += 1e-3 * tau_syn * (1 - sqrt(k_scale)) * (sum_j J_ij K_ij/N_i nu_j
+ [Poisson background only] J_ext K_ext,i nu_bg), with J the unscaled mean
PSCs (pA), K_ij/N_i the full-scale in-degrees and nu_j the full-scale rates
of NEST's example (``FULL_SCALE_RATES``, Hz; 1e-3 converts ms * Hz).

Background: ``--background poisson`` - one ``poisson_generator`` per
population at rate nu_bg * round(K_ext * k_scale) (nu_bg = 8 Hz), connected
to every cell of the population (each target gets its own independent train),
weight J_ext = PSC(0.15 mV) / sqrt(k_scale), delay 1.5 ms.  ``--background
dc`` - no generators; instead I_DC = 1e-3 * tau_syn * nu_bg * K_ext * J_ext
(unscaled K_ext and J_ext; pA) is added to ``I_e`` of every cell.

Initial membrane potentials: normal with the population's mean and sd of
NEST's example ('optimized' V0, ``V0_MEAN``/``V0_STD``), not clipped.
No thalamic input.

Synapse models: each source population uses its own copy of
``static_synapse`` (``nest.CopyModel``), which changes nothing in the
dynamics but keeps the number of connections per virtual process and
synapse model below NEST's limit, so that the full-scale network also builds
on fewer than 4 threads (``--shared-synapse-model`` turns this off).  The
limit is 2**27 - 2 = 134,217,726 connections per virtual process and synapse
model (counted on the target's thread); the full model has 298.9 million
synapses, the most from one source population (L23E) 93.4 million.  Checked
with NEST 3.10 at --scale 0.5 --k-scale 1 --threads 1 (149,440,484
synapses): with one shared model Connect fails ("Too many connections"),
with the copies it builds (6.1 GB peak RSS).  Same seed, same spikes either way.

Timing and output
-----------------
``build_s``: ResetKernel, Create and all Connect calls; ``prepare_s``:
``nest.Prepare()`` (NEST builds its presynaptic connection infrastructure
here); ``presim_s``: ``nest.Run(t_presim)`` (the transient, discarded);
``sim_s``: ``nest.Run(t_sim)``; ``real_time_factor`` = sim_s / (t_sim in s)
(wall-clock seconds per simulated second; > 1 is slower than real time);
``sim_cpu_s``: user + system CPU time of the process during that Run (all
threads; far below threads x sim_s means the cores were busy with other work).
``peak_rss_mb``: ``ru_maxrss`` of this process (KiB on Linux) / 1024 at the
end; ``peak_rss_build_mb`` the same after Prepare.

With ``--record`` one spike recorder takes the spikes of all cells; per
population: ``rate_hz`` = spikes in (t_presim, t_presim + t_sim] /
(N * t_sim), silent cells included; ``cv_isi_mean`` = mean over the cells
with at least ``--cv-min-spikes`` (default 3, i.e. 2 ISIs) spikes in that
window of std(ISI)/mean(ISI) (population std, ddof 0), ``n_cv_cells`` how
many such cells.  Without ``--record`` these are null.

One JSON object goes to stdout (NEST's banner and messages to stderr), and
to ``--out FILE`` if given.  ``--params-only`` prints the derived parameters
(synapse numbers, weights, DC) without building anything.

Example: benchmarks/.peer-env/bin/python benchmarks/peers/microcircuit_nest.py
--scale 0.1 --k-scale 0.1 --background poisson --seed 1 --record --threads 2
"""

import argparse
import json
import os
import resource
import sys
import time

import numpy as np

PROG = os.path.basename(__file__)

POPS = ("L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I")
N_FULL = np.array([20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948])
# Connection probabilities, Potjans & Diesmann (2014) Table 5;
# row: target population, column: source population (order of POPS).
P_CONN = np.array([
    #  L23E    L23I    L4E     L4I     L5E     L5I     L6E     L6I
    [0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0,    0.0076, 0.0],     # L23E
    [0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0,    0.0042, 0.0],     # L23I
    [0.0077, 0.0059, 0.0497, 0.1350, 0.0067, 0.0003, 0.0453, 0.0],     # L4E
    [0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0,    0.1057, 0.0],     # L4I
    [0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0],     # L5E
    [0.0548, 0.0269, 0.0257, 0.0022, 0.0600, 0.3158, 0.0086, 0.0],     # L5I
    [0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252],  # L6E
    [0.0364, 0.0010, 0.0034, 0.0005, 0.0277, 0.0080, 0.0658, 0.1443],  # L6I
])
K_EXT = np.array([1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100])
EXCITATORY = np.array([name.endswith("E") for name in POPS])
BG_RATE = 8.0          # Hz, per external input
# Rates (Hz) of the full-scale network that NEST's example uses to size the
# DC which compensates for k_scale < 1 (its 'full_mean_rates').
FULL_SCALE_RATES = np.array([0.903, 2.965, 4.414, 5.876, 7.569, 8.633, 1.105, 7.829])
# Initial V_m (mV): NEST's example, V0_type 'optimized' (per population).
V0_MEAN = np.array([-68.28, -63.16, -63.33, -63.45, -63.11, -61.66, -66.72, -61.43])
V0_STD = np.array([5.36, 4.57, 4.74, 4.94, 4.94, 4.55, 5.46, 4.48])

CELL = {"C_m": 250.0, "tau_m": 10.0, "tau_syn_ex": 0.5, "tau_syn_in": 0.5,
        "t_ref": 2.0, "E_L": -65.0, "V_th": -50.0, "V_reset": -65.0}
TAU_SYN = 0.5          # ms
PSP_EXC = 0.15         # mV, mean excitatory PSP amplitude
G_REL = -4.0           # inhibitory / excitatory mean weight
W_REL_SD = 0.1         # sd / |mean| of the weights
L4E_TO_L23E = 2.0      # factor on the L4E -> L23E mean weight
DELAY_EXC = 1.5        # ms, mean delay from excitatory sources
DELAY_INH = 0.75       # ms, mean delay from inhibitory sources
DELAY_REL_SD = 0.5     # sd / mean of the delays
DELAY_BG = 1.5         # ms, Poisson generator -> cell
DT = 0.1               # ms


def psc_per_psp(c_m, tau_m, tau_s):
    """pA of exponential PSC per mV of PSP peak, for an LIF membrane.

    A current J exp(-t/tau_s) into the membrane gives
    V(t) = J tau_m tau_s / (C (tau_m - tau_s)) (exp(-t/tau_m) - exp(-t/tau_s)),
    whose peak is at t* = tau_m tau_s / (tau_m - tau_s) ln(tau_m / tau_s).
    """
    t_peak = tau_m * tau_s / (tau_m - tau_s) * np.log(tau_m / tau_s)
    v_per_pa = (tau_m * tau_s / (c_m * (tau_m - tau_s))
                * (np.exp(-t_peak / tau_m) - np.exp(-t_peak / tau_s)))
    return 1.0 / v_per_pa


def full_scale_synapses():
    """Total synapse numbers K[target, source] of the full model (not rounded)."""
    pairs = np.outer(N_FULL, N_FULL).astype(float)
    return np.log1p(-P_CONN) / np.log1p(-1.0 / pairs)


def derive(scale, k_scale, background):
    """Everything the build needs, from the scaling factors and background kind."""
    k_full = full_scale_synapses()
    j_exc = PSP_EXC * psc_per_psp(CELL["C_m"], CELL["tau_m"], TAU_SYN)
    # Unscaled mean PSC (pA) per population pair.
    j_mean = np.where(EXCITATORY[np.newaxis, :], j_exc, G_REL * j_exc) * np.ones((8, 8))
    j_mean[POPS.index("L23E"), POPS.index("L4E")] *= L4E_TO_L23E
    j_ext = j_exc

    dc = np.zeros(8)
    if background == "dc":
        # Mean of K_ext Poisson trains at BG_RATE through exponential PSCs.
        dc += 1e-3 * TAU_SYN * BG_RATE * K_EXT * j_ext
    if k_scale != 1.0:
        lost = 1.0 - np.sqrt(k_scale)
        indegree_full = k_full / N_FULL[:, np.newaxis]
        mean_rec = (j_mean * indegree_full * FULL_SCALE_RATES[np.newaxis, :]).sum(axis=1)
        dc += 1e-3 * TAU_SYN * lost * mean_rec
        if background == "poisson":
            dc += 1e-3 * TAU_SYN * lost * j_ext * K_EXT * BG_RATE
    weight_factor = 1.0 / np.sqrt(k_scale)

    n = np.round(N_FULL * scale).astype(int)
    n_syn = np.round(k_full * scale * k_scale).astype(np.int64)
    k_ext = np.round(K_EXT * k_scale).astype(int)
    delay_mean = np.where(EXCITATORY, DELAY_EXC, DELAY_INH)
    return {
        "n": n,
        "n_syn": n_syn,
        "k_full": k_full,
        "indegree": n_syn / np.maximum(n, 1)[:, np.newaxis],
        "weight_mean": j_mean * weight_factor,
        "weight_ext": j_ext * weight_factor,
        "psc_exc_unscaled": j_exc,
        "dc": dc,
        "k_ext": k_ext,
        "poisson_rate": BG_RATE * k_ext if background == "poisson" else np.zeros(8),
        "delay_mean": delay_mean,
    }


def params_summary(d):
    """The derived parameters as JSON-ready lists."""
    return {
        "n_neurons": d["n"].tolist(),
        "synapses": d["n_syn"].tolist(),
        "synapses_full_unrounded": np.round(d["k_full"], 2).tolist(),
        "indegree_total": np.round(d["indegree"].sum(axis=1), 2).tolist(),
        "psc_exc_unscaled_pA": round(float(d["psc_exc_unscaled"]), 4),
        "weight_mean_pA": np.round(d["weight_mean"], 4).tolist(),
        "weight_ext_pA": round(float(d["weight_ext"]), 4),
        "dc_pA": np.round(d["dc"], 4).tolist(),
        "ext_indegree": d["k_ext"].tolist(),
        "poisson_rate_hz": d["poisson_rate"].tolist(),
        "delay_mean_ms_by_source": d["delay_mean"].tolist(),
        "v0_mean_mV": V0_MEAN.tolist(),
        "v0_std_mV": V0_STD.tolist(),
    }


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=0.1,
                    help="factor on the population sizes (default 0.1)")
    ap.add_argument("--k-scale", type=float, default=0.1,
                    help="factor on the in-degrees; < 1 adds compensating DC (default 0.1)")
    ap.add_argument("--background", choices=("poisson", "dc"), default="poisson")
    ap.add_argument("--seed", type=int, default=1, help="NEST rng_seed (>= 1)")
    ap.add_argument("--t-presim", type=float, default=100.0,
                    help="ms simulated first and discarded (default 100)")
    ap.add_argument("--t-sim", type=float, default=1000.0,
                    help="ms simulated and analysed (default 1000)")
    ap.add_argument("--threads", type=int, default=1, help="NEST local_num_threads")
    ap.add_argument("--record", action="store_true",
                    help="record the spikes of all cells and report rates and CVs")
    ap.add_argument("--cv-min-spikes", type=int, default=3,
                    help="cells with fewer spikes in the window are left out of the "
                         "mean CV (default 3, i.e. at least 2 ISIs)")
    ap.add_argument("--shared-synapse-model", action="store_true",
                    help="all recurrent synapses use static_synapse itself instead of "
                         "one copy per source population")
    ap.add_argument("--out", help="also write the JSON result to this file")
    ap.add_argument("--params-only", action="store_true",
                    help="print the derived parameters and exit (NEST not imported)")
    args = ap.parse_args(argv)
    if not 0 < args.scale <= 1 or not 0 < args.k_scale <= 1:
        ap.error("--scale and --k-scale must be in (0, 1]")
    if args.seed < 1 or args.threads < 1:
        ap.error("--seed and --threads must be >= 1")
    if args.t_presim < 0 or args.t_sim <= 0:
        ap.error("need --t-presim >= 0 and --t-sim > 0")
    if args.cv_min_spikes < 3:
        ap.error("--cv-min-spikes must be >= 3 (a CV needs two ISIs)")
    return args


def cpu_seconds():
    """User + system CPU time of this process (all threads), s."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def build_and_run(args, d):
    os.environ.setdefault("PYNEST_QUIET", "1")
    import nest

    t0 = time.perf_counter()
    nest.ResetKernel()
    if hasattr(nest, "VerbosityLevel"):  # NEST >= 3.9
        nest.verbosity = nest.VerbosityLevel.WARNING
    else:
        nest.set_verbosity("M_WARNING")
    nest.local_num_threads = args.threads
    nest.resolution = DT
    nest.rng_seed = args.seed
    nest.print_time = False

    pops = []
    for i in range(len(POPS)):
        pop = nest.Create("iaf_psc_exp", int(d["n"][i]), params={**CELL, "I_e": float(d["dc"][i])})
        pop.set(V_m=nest.random.normal(mean=float(V0_MEAN[i]), std=float(V0_STD[i])))
        pops.append(pop)

    if args.shared_synapse_model:
        syn_models = ["static_synapse"] * 8
    else:
        syn_models = []
        for name in POPS:
            nest.CopyModel("static_synapse", f"static_from_{name}")
            syn_models.append(f"static_from_{name}")

    half_step = 0.5 * nest.resolution
    for j, source in enumerate(pops):           # source population
        for i, target in enumerate(pops):       # target population
            n_syn = int(d["n_syn"][i, j])
            if n_syn == 0:
                continue
            w = float(d["weight_mean"][i, j])
            w_lo, w_hi = (0.0, np.inf) if w > 0 else (-np.inf, 0.0)
            delay = float(d["delay_mean"][j])
            nest.Connect(
                source, target,
                {"rule": "fixed_total_number", "N": n_syn,
                 "allow_autapses": True, "allow_multapses": True},
                {"synapse_model": syn_models[j],
                 "weight": nest.math.redraw(
                     nest.random.normal(mean=w, std=abs(w) * W_REL_SD), min=w_lo, max=w_hi),
                 "delay": nest.math.redraw(
                     nest.random.normal(mean=delay, std=delay * DELAY_REL_SD),
                     min=half_step, max=np.inf)})
    n_recurrent = int(nest.num_connections)

    if args.background == "poisson":
        for i, target in enumerate(pops):
            gen = nest.Create("poisson_generator", params={"rate": float(d["poisson_rate"][i])})
            nest.Connect(gen, target, "all_to_all",
                         {"synapse_model": "static_synapse",
                          "weight": float(d["weight_ext"]), "delay": DELAY_BG})

    everyone = pops[0]
    for pop in pops[1:]:
        everyone = everyone + pop
    recorder = None
    if args.record:
        recorder = nest.Create("spike_recorder")
        nest.Connect(everyone, recorder)
    t_built = time.perf_counter()

    nest.Prepare()
    t_prepared = time.perf_counter()
    rss_build = peak_rss_mb()
    if args.t_presim > 0:
        nest.Run(args.t_presim)
    t_presim = time.perf_counter()
    cpu0 = cpu_seconds()
    nest.Run(args.t_sim)
    t_end = time.perf_counter()
    cpu_sim = cpu_seconds() - cpu0
    nest.Cleanup()

    out = {
        "version": nest.__version__,
        "threads": int(nest.local_num_threads),
        "build_s": t_built - t0,
        "prepare_s": t_prepared - t_built,
        "presim_s": t_presim - t_prepared,
        "sim_s": t_end - t_presim,
        "sim_cpu_s": cpu_sim,
        "peak_rss_build_mb": rss_build,
        "n_synapses_recurrent": n_recurrent,
        "n_connections_total": int(nest.num_connections),
        "first_ids": [int(p[0].global_id) for p in pops],
    }
    if recorder is not None:
        ev = recorder.get("events")
        out["senders"] = np.asarray(ev["senders"], dtype=np.int64)
        out["times"] = np.asarray(ev["times"], dtype=float)
    return out


def spike_statistics(senders, times, first_ids, n, t_start, t_stop, min_spikes):
    """Per population: spike count, rate (Hz) and mean CV of the ISIs in (t_start, t_stop]."""
    keep = (times > t_start) & (times <= t_stop)
    senders, times = senders[keep], times[keep]
    order = np.lexsort((times, senders))
    senders, times = senders[order], times[order]
    cell = senders - first_ids[0]                      # ids are contiguous over POPS
    n_total = int(n.sum())
    count = np.bincount(cell, minlength=n_total)
    same = cell[1:] == cell[:-1]
    isi = np.diff(times)[same]
    isi_cell = cell[1:][same]
    s1 = np.bincount(isi_cell, weights=isi, minlength=n_total)
    s2 = np.bincount(isi_cell, weights=isi * isi, minlength=n_total)
    m = np.maximum(count - 1, 1)
    mean = s1 / m
    var = np.maximum(s2 / m - mean * mean, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        cv = np.sqrt(var) / mean
    seconds = (t_stop - t_start) / 1000.0
    stats = {}
    bounds = np.concatenate([[0], np.cumsum(n)])
    for i, name in enumerate(POPS):
        sl = slice(bounds[i], bounds[i + 1])
        ok = count[sl] >= min_spikes
        stats[name] = {
            "n": int(n[i]),
            "n_spikes": int(count[sl].sum()),
            "rate_hz": float(count[sl].sum() / (n[i] * seconds)),
            "cv_isi_mean": float(cv[sl][ok].mean()) if ok.any() else None,
            "n_cv_cells": int(ok.sum()),
            "n_silent": int((count[sl] == 0).sum()),
        }
    return stats


def main(argv=None):
    args = parse_args(argv)
    d = derive(args.scale, args.k_scale, args.background)
    config = {"model": "potjans_diesmann_2014", "cell": "iaf_psc_exp",
              "scale": args.scale, "k_scale": args.k_scale,
              "background": args.background, "seed": args.seed,
              "dt_ms": DT, "t_presim_ms": args.t_presim, "t_sim_ms": args.t_sim,
              "record": args.record, "cv_min_spikes": args.cv_min_spikes,
              "synapse_models": ("shared" if args.shared_synapse_model
                                 else "one per source population"),
              "command": " ".join([os.path.relpath(sys.executable), os.path.relpath(__file__)]
                                  + (argv if argv is not None else sys.argv[1:]))}
    if args.params_only:
        print(json.dumps({**config, "params": params_summary(d)}, indent=2))
        return

    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)                 # NEST's banner and C++ messages to stderr
    try:
        res = build_and_run(args, d)
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)

    result = {"simulator": "nest", "version": res["version"], **config,
              "threads": res["threads"],
              "n_neurons": int(d["n"].sum()),
              "n_synapses_recurrent": res["n_synapses_recurrent"],
              "n_synapses_expected": int(d["n_syn"].sum()),
              "n_connections_total": res["n_connections_total"],
              "build_s": round(res["build_s"], 4),
              "prepare_s": round(res["prepare_s"], 4),
              "presim_s": round(res["presim_s"], 4),
              "sim_s": round(res["sim_s"], 4),
              "real_time_factor": round(res["sim_s"] / (args.t_sim / 1000.0), 4),
              "sim_cpu_s": round(res["sim_cpu_s"], 4),
              "peak_rss_build_mb": round(res["peak_rss_build_mb"], 1),
              "peak_rss_mb": round(peak_rss_mb(), 1)}
    if "senders" in res:
        stats = spike_statistics(res["senders"], res["times"], res["first_ids"], d["n"],
                                 args.t_presim, args.t_presim + args.t_sim, args.cv_min_spikes)
        result["populations"] = stats
        result["rate_hz_all"] = sum(s["n_spikes"] for s in stats.values()) / (
            d["n"].sum() * args.t_sim / 1000.0)
    else:
        result["populations"] = None
    result["params"] = params_summary(d)
    if result["n_synapses_recurrent"] != result["n_synapses_expected"]:
        print(f"{PROG}: WARNING: {result['n_synapses_recurrent']} recurrent synapses "
              f"made, {result['n_synapses_expected']} expected", file=sys.stderr)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=2)
            f.write("\n")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
