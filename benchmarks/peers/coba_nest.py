"""NEST peer of the COBA network benchmark of Brette et al. (2007).

The conductance-based LIF network (benchmark 1 of the paper's appendix),
without external input.

4000 ``iaf_cond_exp`` neurons (3200 excitatory, 800 inhibitory), each ordered
pair i != j connected with probability 0.02 (``pairwise_bernoulli``,
``allow_autapses=False``), static synapses with delay 0.1 ms (one step),
resolution 0.1 ms.  Prints one line of JSON with build and simulation times
and the firing rates.

Timing: ``build_s`` is the wall time of kernel set-up, ``Create``, setting
the initial state and ``Connect`` (including the spike recorder).
``sim_s`` is the wall time of ``nest.Simulate`` (which is Prepare + Run +
Cleanup).  Prepare builds NEST's presynaptic connection infrastructure
(sorting connections, exchanging target data), which is set-up work rather
than dynamics; NEST's own timers for it and for Run are reported as
``prepare_s`` (kernel ``time_communicate_prepare``) and ``run_s`` (kernel
``time_simulate``).

Initial state: see ``initial_state`` (``--init``).  A warning goes to
stderr if the network fell silent (mean rate < 1 Hz).  NEST writes its
banner and log messages to stdout; they are sent to stderr so that stdout
carries only the JSON line.
"""

import argparse
import json
import os
import sys
import time

import numpy as np
from coba_common import N_EXC, N_INH, P_CONN, N, initial_state, reset_kernel, stdout_to_stderr

PROG = os.path.basename(__file__)
DT = 0.1  # ms, resolution and synaptic delay

NEURON_PARAMS = {
    "C_m": 200.0,        # pF
    "g_L": 10.0,         # nS
    "E_L": -60.0,        # mV
    "V_th": -50.0,       # mV
    "V_reset": -60.0,    # mV
    "t_ref": 5.0,        # ms
    "E_ex": 0.0,         # mV
    "E_in": -80.0,       # mV
    "tau_syn_ex": 5.0,   # ms
    "tau_syn_in": 10.0,  # ms
    "I_e": 0.0,          # pA
}
W_EXC = 6.0    # nS
W_INH = -67.0  # nS; iaf_cond_exp routes negative weights to g_in


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1,
                        help="NEST local_num_threads")
    parser.add_argument("--duration", type=float, default=1000.0,
                        help="simulated time in ms (default 1000)")
    parser.add_argument("--seed", type=int, default=1,
                        help="seed of the initial state and of NEST's RNG")
    parser.add_argument("--init", choices=("clipped", "brian"),
                        default="clipped",
                        help="negative initial conductances clipped to 0 "
                        "(default) or kept as in Brian's example")
    args = parser.parse_args(argv)
    if args.threads < 1:
        parser.error("--threads must be >= 1")
    if args.seed < 1:
        parser.error("--seed must be >= 1 (NEST's rng_seed)")
    return args


def run(args):
    os.environ.setdefault("PYNEST_QUIET", "1")
    import nest

    t_start = time.perf_counter()
    reset_kernel(nest)
    nest.local_num_threads = args.threads
    nest.resolution = DT
    nest.rng_seed = args.seed

    neurons = nest.Create("iaf_cond_exp", N, params=NEURON_PARAMS)
    v0, ge0, gi0 = initial_state(args.seed, args.init == "clipped")
    neurons.set(V_m=v0.tolist(), g_ex=ge0.tolist(), g_in=gi0.tolist())

    conn = {"rule": "pairwise_bernoulli", "p": P_CONN,
            "allow_autapses": False}
    nest.Connect(neurons[:N_EXC], neurons, conn,
                 {"synapse_model": "static_synapse",
                  "weight": W_EXC, "delay": DT})
    nest.Connect(neurons[N_EXC:], neurons, conn,
                 {"synapse_model": "static_synapse",
                  "weight": W_INH, "delay": DT})
    n_synapses = nest.num_connections

    recorder = nest.Create("spike_recorder")
    nest.Connect(neurons, recorder, syn_spec={"delay": DT})
    t_sim = time.perf_counter()

    nest.Simulate(args.duration)
    t_end = time.perf_counter()

    senders = np.asarray(recorder.get("events")["senders"])
    first_id = neurons[0].global_id
    n_exc = int(np.count_nonzero(senders < first_id + N_EXC))
    status = nest.GetKernelStatus()
    return {
        "build_s": t_sim - t_start,
        "sim_s": t_end - t_sim,
        "n_exc": n_exc,
        "n_inh": int(senders.size) - n_exc,
        "n_synapses": int(n_synapses),
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
    seconds = args.duration / 1000.0
    n_spikes = res["n_exc"] + res["n_inh"]
    result = {
        "simulator": "nest",
        "mode": "iaf_cond_exp",
        "threads": res["threads"],
        "build_s": round(res["build_s"], 4),
        "sim_s": round(res["sim_s"], 4),
        "rate_hz": n_spikes / (N * seconds),
        "rate_exc_hz": res["n_exc"] / (N_EXC * seconds),
        "rate_inh_hz": res["n_inh"] / (N_INH * seconds),
        "n_spikes": n_spikes,
        "n_synapses": res["n_synapses"],
        "version": res["version"],
        "prepare_s": round(res["prepare_s"], 4),
        "run_s": round(res["run_s"], 4),
        "duration_ms": args.duration,
        "seed": args.seed,
        "init": args.init,
    }
    if result["rate_hz"] < 1.0:
        print(f"{PROG}: WARNING: the network fell silent (mean rate "
              f"{result['rate_hz']:.2f} Hz); try another --seed",
              file=sys.stderr)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
