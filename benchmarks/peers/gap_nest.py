"""NEST peer of the gap-junction network benchmark (Hahne et al. 2015).

The inhibitory Hodgkin-Huxley network with gap junctions of NEST's
``gap_junctions_inhibitory_network`` example, solved with waveform
relaxation.

500 ``hh_psc_alpha_gap`` neurons with default parameters, resolution
0.05 ms.  Each neuron receives 50 inhibitory inputs from the others
(``fixed_indegree``, no autapses, multapses allowed; static synapses of
-50 pA, delay 1 ms) and the spikes of one 500 Hz ``poisson_generator``
(``all_to_all``; 300 pA, delay 1 ms).  V_m starts uniform in [-80, -40] mV
(``nest.random.uniform``); the gating variables keep their defaults.  The
15000 gap-junction pairs are drawn with numpy (``gap_common.gap_pairs``:
``numpy.random.seed(seed)``, then ``numpy.random.choice(node_ids,
[15000, 2])``); pairs of a neuron with itself are skipped (they carry no
current) and counted, and every other pair is connected by its own
``Connect`` call (``one_to_one``, ``make_symmetric=True``,
``gap_junction`` with the gap weight in nS).  Waveform relaxation:
``wfr_comm_interval`` 1 ms, ``wfr_tol`` 1e-4, at most 15 iterations,
interpolation order 3.

Prints one line of JSON: build and simulation times, spike count, mean
rate, the Golomb-Rinzel synchrony ``chi`` of the V_m traces and the CV of
the population spike count in 1 ms bins (both over t > 100 ms, see
``gap_common``), and the number of skipped self pairs.

Timing: ``build_s`` is the wall time from ``ResetKernel`` through kernel
set-up, ``Create``, the initial V_m and all ``Connect`` calls (including the
spike recorder and the multimeter).  The 15000 one-pair ``Connect`` calls of
the gap junctions dominate it.  ``sim_s`` is the wall time of
``nest.Simulate`` (Prepare + Run + Cleanup), which includes recording V_m of
all neurons every ``--record-interval`` ms (0 switches the multimeter off;
``chi`` is then null).  NEST's own timers for Prepare and Run are reported
as ``prepare_s`` (kernel ``time_communicate_prepare``) and ``run_s``
(kernel ``time_simulate``).  Reading the recorders and computing the
measures is not timed.

NEST writes its banner and log messages to stdout; they are sent to stderr
so that stdout carries only the JSON line.
"""

import argparse
import json
import os
import time

import numpy as np
from coba_common import reset_kernel, stdout_to_stderr
from gap_common import (
    CHI_FROM,
    DELAY,
    DT,
    INH_PER_NEURON,
    J_EXC,
    J_INH,
    POISSON_RATE,
    SIMTIME,
    N,
    chi,
    count_cv,
    gap_pairs,
)

NEURON_MODEL = "hh_psc_alpha_gap"
V_INIT_LOW = -80.0    # mV
V_INIT_HIGH = -40.0   # mV
GAP_WEIGHT = 0.3      # nS, default of --gap-weight
THREADS = 2           # default of --threads
RECORD_INTERVAL = 0.25  # ms, default of --record-interval
COUNT_BIN = 1.0       # ms, bin of the population spike count

WFR_PARAMS = {
    "use_wfr": True,
    "wfr_comm_interval": 1.0,      # ms
    "wfr_tol": 1e-4,
    "wfr_max_iterations": 15,
    "wfr_interpolation_order": 3,
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=THREADS,
                        help=f"NEST local_num_threads (default {THREADS})")
    parser.add_argument("--gap-weight", type=float, default=GAP_WEIGHT,
                        help=f"gap-junction conductance in nS (default {GAP_WEIGHT})")
    parser.add_argument("--seed", type=int, default=1,
                        help="seed of numpy (gap pairs) and of NEST's RNG (default 1)")
    parser.add_argument("--duration", type=float, default=SIMTIME,
                        help=f"simulated time in ms (default {SIMTIME:g})")
    parser.add_argument("--record-interval", type=float, default=RECORD_INTERVAL,
                        help="V_m recording interval in ms, a multiple of the "
                        f"resolution {DT} ms; 0 records nothing "
                        f"(default {RECORD_INTERVAL})")
    args = parser.parse_args(argv)
    if args.threads < 1:
        parser.error("--threads must be >= 1")
    if args.seed < 1:
        parser.error("--seed must be >= 1 (NEST's rng_seed)")
    if args.gap_weight < 0.0:
        parser.error("--gap-weight must be >= 0")
    if args.duration <= CHI_FROM:
        parser.error(f"--duration must exceed {CHI_FROM:g} ms (the measures "
                     f"use t > {CHI_FROM:g} ms)")
    if args.record_interval < 0.0:
        parser.error("--record-interval must be >= 0")
    if args.record_interval > 0.0:
        steps = args.record_interval / DT
        if abs(steps - round(steps)) > 1e-9 or round(steps) < 1:
            parser.error(f"--record-interval must be a multiple of {DT} ms")
    return args


def voltage_matrix(events, first_id, interval):
    """Multimeter events as an array (n_times, N) and the sample times."""
    times = np.asarray(events["times"], dtype=float)
    cols = np.asarray(events["senders"], dtype=np.int64) - first_id
    steps = np.rint(times / interval).astype(np.int64)
    sample_steps, rows = np.unique(steps, return_inverse=True)
    V = np.full((sample_steps.size, N), np.nan)
    V[rows, cols] = np.asarray(events["V_m"], dtype=float)
    if np.isnan(V).any():
        raise RuntimeError("multimeter: some neuron lacks a sample at some time")
    return V, sample_steps * interval


def run(args):
    os.environ.setdefault("PYNEST_QUIET", "1")
    import nest

    t_start = time.perf_counter()
    reset_kernel(nest)
    nest.local_num_threads = args.threads
    nest.resolution = DT
    nest.rng_seed = args.seed
    nest.SetKernelStatus(WFR_PARAMS)

    neurons = nest.Create(NEURON_MODEL, N)
    neurons.V_m = nest.random.uniform(min=V_INIT_LOW, max=V_INIT_HIGH)

    nest.Connect(neurons, neurons,
                 {"rule": "fixed_indegree", "indegree": INH_PER_NEURON,
                  "allow_autapses": False, "allow_multapses": True},
                 {"synapse_model": "static_synapse",
                  "weight": J_INH, "delay": DELAY})

    noise = nest.Create("poisson_generator", params={"rate": POISSON_RATE})
    nest.Connect(noise, neurons, "all_to_all",
                 {"synapse_model": "static_synapse",
                  "weight": J_EXC, "delay": DELAY})
    n_chemical = nest.num_connections

    pairs, n_skipped = gap_pairs(neurons.tolist(), args.seed)
    gap_conn = {"rule": "one_to_one", "make_symmetric": True}
    gap_syn = {"synapse_model": "gap_junction", "weight": args.gap_weight}
    for source, target in pairs.tolist():
        nest.Connect(nest.NodeCollection([source]), nest.NodeCollection([target]),
                     gap_conn, gap_syn)
    n_gap = nest.num_connections - n_chemical

    spikes = nest.Create("spike_recorder")
    nest.Connect(neurons, spikes)
    meter = None
    if args.record_interval > 0.0:
        meter = nest.Create("multimeter", params={
            "record_from": ["V_m"], "interval": args.record_interval})
        nest.Connect(meter, neurons)
    t_sim = time.perf_counter()

    nest.Simulate(args.duration)
    t_end = time.perf_counter()

    status = nest.GetKernelStatus()
    spike_times = np.asarray(spikes.get("events")["times"], dtype=float)
    chi_value = None
    if meter is not None:
        V, t_V = voltage_matrix(meter.get("events"), neurons[0].global_id,
                                args.record_interval)
        chi_value = chi(V[t_V > CHI_FROM])
    return {
        "build_s": t_sim - t_start,
        "sim_s": t_end - t_sim,
        "spike_times": spike_times,
        "chi": chi_value,
        "n_gap_connections": int(n_gap),
        "n_chemical_connections": int(n_chemical),
        "skipped_self_pairs": n_skipped,
        "version": nest.__version__,
        # per-thread timers in recent NEST versions: take the slowest
        "prepare_s": float(np.max(status["time_communicate_prepare"])),
        "run_s": float(np.max(status["time_simulate"])),
        "threads": status["local_num_threads"],
    }


def main(argv=None):
    args = parse_args(argv)
    with stdout_to_stderr():
        res = run(args)
    spike_times = res["spike_times"]
    n_spikes = int(spike_times.size)
    cv = count_cv(spike_times, CHI_FROM, args.duration, COUNT_BIN)
    result = {
        "simulator": "nest",
        "version": res["version"],
        "threads": res["threads"],
        "gap_weight": args.gap_weight,
        "build_s": round(res["build_s"], 4),
        "sim_s": round(res["sim_s"], 4),
        "n_spikes": n_spikes,
        "rate_hz": n_spikes / (N * args.duration / 1000.0),
        "chi": res["chi"],
        "cv_count": None if np.isnan(cv) else cv,
        "skipped_self_pairs": res["skipped_self_pairs"],
        "n_gap_connections": res["n_gap_connections"],
        "prepare_s": round(res["prepare_s"], 4),
        "run_s": round(res["run_s"], 4),
        "duration_ms": args.duration,
        "record_interval_ms": args.record_interval,
        "seed": args.seed,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
