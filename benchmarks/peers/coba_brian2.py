"""Brian2 peer of the COBA network benchmark of Brette et al. (2007).

The conductance-based LIF network (benchmark 1 of the paper's appendix),
without external input.

4000 conductance-based LIF neurons (3200 excitatory, 800 inhibitory), each
ordered pair i != j connected with probability 0.02, exponential synaptic
conductances, dt = delay = 0.1 ms.  Runs in Brian2's ``runtime`` mode
(Cython code generation, always single-threaded) or ``cpp_standalone``
mode (C++ with OpenMP threads) and prints one line of JSON with build and
simulation times and the firing rates.

Timing:

* runtime: ``build_s`` is the wall time of network construction (synapse
  creation happens in Python/Cython right away) plus a warm-up run of one
  time step that compiles (or loads from Brian2's cache) all Cython code
  objects.  The network is stored before the warm-up and restored after it,
  so the timed run simulates ``--duration`` from the initial state.
  ``sim_s`` is the wall time of that ``Network.run`` call.
* cpp_standalone: the compiled binary measures its own main loop
  (``Network::run`` in network.cpp) and writes the result to
  ``results/last_run_info.txt``; Brian2 reads it back into
  ``device._last_run_time``.  That value is ``sim_s``: it excludes code
  generation, compilation, process start-up, synapse creation and
  initialisation (done in the binary before the loop) and writing the
  results.  With OpenMP (``--threads N``, N >= 1) Brian2 times the loop
  with ``omp_get_wtime()`` (wall time); with ``--threads 0`` the code is
  generated without OpenMP (serial, no OpenMP overhead, reported as one
  thread with ``"openmp": false``) and Brian2 times it with
  ``std::clock()``, i.e. CPU time, which equals wall time for this
  single-threaded loop unless the process is preempted.  As a cross-check,
  ``run_wall_s`` is a monotonic wall-clock measurement (clock_gettime)
  that we insert into main.cpp around the whole run, including Brian2's
  per-run preparation of the spike queues.  ``build_s`` is everything
  else: the wall time from the start of network construction until the
  binary has exited, minus ``sim_s``; ``codegen_compile_s`` and
  ``binary_s`` (the whole binary, start to exit) give its main parts.

Initial state: see ``initial_state`` (``--init``).  A warning goes to
stderr if the network fell silent (mean rate < 1 Hz).
"""

import argparse
import json
import os
import sys

import numpy as np
from brian2_timing import brian2_session, check_threads, set_device, timed_run
from coba_common import N_EXC, N_INH, P_CONN, N, initial_state

PROG = os.path.basename(__file__)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("runtime", "cpp_standalone"),
                        default="runtime")
    parser.add_argument("--threads", type=int, default=1,
                        help="OpenMP threads (cpp_standalone only; 0 = "
                        "serial code without OpenMP)")
    parser.add_argument("--duration", type=float, default=1000.0,
                        help="simulated time in ms (default 1000)")
    parser.add_argument("--seed", type=int, default=1,
                        help="seed of the initial state and of Brian2's RNG "
                        "(connectivity)")
    parser.add_argument("--init", choices=("clipped", "brian"),
                        default="clipped",
                        help="negative initial conductances clipped to 0 "
                        "(default) or kept as in Brian's example")
    args = parser.parse_args(argv)
    check_threads(parser, args, PROG)
    return args


def build_network(b2, seed, clip):
    """Create the neurons, synapses and spike counter (not run yet)."""
    ms, mV, nS, pF = b2.ms, b2.mV, b2.nS, b2.pF
    namespace = {
        "C": 200 * pF, "g_L": 10 * nS, "E_L": -60 * mV,
        "V_th": -50 * mV, "V_reset": -60 * mV,
        "E_e": 0 * mV, "E_i": -80 * mV,
        "tau_e": 5 * ms, "tau_i": 10 * ms,
        "w_e": 6 * nS, "w_i": 67 * nS,
    }
    eqs = (
        "dv/dt = (g_L*(E_L - v) + g_e*(E_e - v) + g_i*(E_i - v)) / C"
        " : volt (unless refractory)\n"
        "dg_e/dt = -g_e / tau_e : siemens\n"
        "dg_i/dt = -g_i / tau_i : siemens\n"
    )
    neurons = b2.NeuronGroup(
        N, eqs, threshold="v > V_th", reset="v = V_reset",
        refractory=5 * ms, method="exponential_euler",
        namespace=namespace, name="neurons")
    v0, ge0, gi0 = initial_state(seed, clip)
    neurons.v = v0 * mV
    neurons.g_e = ge0 * nS
    neurons.g_i = gi0 * nS

    # Indices in the connect() expressions are relative to the source
    # subgroup: excitatory neuron i is global i, inhibitory i is N_EXC + i.
    exc = b2.Synapses(neurons[:N_EXC], neurons, on_pre="g_e_post += w_e",
                      delay=b2.defaultclock.dt, namespace=namespace,
                      name="syn_exc")
    exc.connect(j=f"k for k in sample(N_post, p={P_CONN}) if k != i")
    inh = b2.Synapses(neurons[N_EXC:], neurons, on_pre="g_i_post += w_i",
                      delay=b2.defaultclock.dt, namespace=namespace,
                      name="syn_inh")
    inh.connect(
        j=f"k for k in sample(N_post, p={P_CONN}) if k != i + {N_EXC}")
    spikes = b2.SpikeMonitor(neurons, record=False, name="spikes")
    return b2.Network(neurons, exc, inh, spikes), (exc, inh), spikes


def run(args, b2, build_dir):
    """Build and run the network; return timings and spike counts."""
    duration = args.duration * b2.ms
    t_start = set_device(b2, args.mode, args.threads, build_dir)
    b2.defaultclock.dt = 0.1 * b2.ms
    b2.seed(args.seed)
    net, synapses, spikes = build_network(
        b2, args.seed, args.init == "clipped")
    timings = timed_run(b2, net, duration, args.mode, build_dir, t_start)

    counts = np.asarray(spikes.count[:])
    n_synapses = int(sum(len(s) for s in synapses))
    return timings, counts, n_synapses


def main(argv=None):
    args = parse_args(argv)
    with brian2_session(args.mode, "coba_brian2_") as (b2, build_dir):
        timings, counts, n_synapses = run(args, b2, build_dir)

    seconds = args.duration / 1000.0
    n_exc = int(counts[:N_EXC].sum())
    n_inh = int(counts[N_EXC:].sum())
    result = {
        "simulator": "brian2",
        "mode": args.mode,
        "threads": max(args.threads, 1),
        "build_s": round(timings.pop("build_s"), 4),
        "sim_s": round(timings.pop("sim_s"), 4),
        "rate_hz": (n_exc + n_inh) / (N * seconds),
        "rate_exc_hz": n_exc / (N_EXC * seconds),
        "rate_inh_hz": n_inh / (N_INH * seconds),
        "n_spikes": n_exc + n_inh,
        "n_synapses": n_synapses,
        "version": b2.__version__,
    }
    result.update({key: round(val, 4) for key, val in timings.items()})
    if args.mode == "cpp_standalone":
        result["openmp"] = args.threads > 0
    result.update({"duration_ms": args.duration, "seed": args.seed,
                   "init": args.init})
    if result["rate_hz"] < 1.0:
        print(f"{PROG}: WARNING: the network fell silent (mean rate "
              f"{result['rate_hz']:.2f} Hz); try another --seed",
              file=sys.stderr)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
