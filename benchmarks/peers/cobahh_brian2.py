"""Brian2 peer of the COBAHH network benchmark of Brette et al. (2007).

Benchmark 3 of the paper's appendix: the COBA network with Hodgkin-Huxley
cells.  4000 Traub-Miles cells (3200 excitatory, 800 inhibitory) of membrane
area 20000 um^2 (C = 1 uF/cm^2 -> 200 pF, g_L = 0.05 mS/cm^2 -> 10 nS,
g_Na = 100 mS/cm^2 -> 20 uS, g_K = 30 mS/cm^2 -> 6 uS; E_L = -60 mV,
E_Na = 50 mV, E_K = -90 mV, V_T = -63 mV), gates m, h and n all dynamic,
no external input.  Synapses are exponential conductances (E: tau 5 ms,
E_rev 0 mV, 6 nS; I: tau 10 ms, E_rev -80 mV, 67 nS); every cell projects
to each of the 4000 cells (itself included) with probability 0.02, with a
delay of one time step (dt = 0.1 ms, as in ``coba_brian2``).  A spike is
an upward crossing of -20 mV: threshold ``v > -20*mV`` with the refractory
condition ``v > -20*mV``, so a cell cannot spike again before v has fallen
back below -20 mV; v is not clamped.  Integration: ``exponential_euler``
(the equations are conditionally linear in every state variable).  The
rate functions of the form x / (exp(x / k) - 1) are written with
``exprel`` (same function, no 0/0 at x = 0).

Initial state (numpy ``default_rng(seed)``, drawn in this order, as in
Brian's COBAHH example and not clipped, so some g_i start negative):
v = E_L + (5 randn - 5) mV, g_e = (1.5 randn + 4) * 10 nS, g_i = (12 randn
+ 20) * 10 nS; m = h = n = 0.  ``--seed`` also seeds Brian2's RNG
(connectivity).

Runs in Brian2's ``runtime`` mode (Cython code generation, always
single-threaded) or ``cpp_standalone`` mode (C++ with OpenMP threads) and
prints one line of JSON with build and simulation times and the firing
rates on stdout; Brian2's own output goes to stderr.

Timing (``brian2_timing.timed_run``, as in ``coba_brian2``):

* runtime: ``build_s`` is the wall time of network construction (synapses
  are created right away) plus a warm-up run of one time step that compiles
  (or loads from Brian2's cache) the Cython code; the network is stored
  before and restored after it, so the timed run starts from the initial
  state.  ``sim_s`` is the wall time of the timed ``Network.run``.
* cpp_standalone: ``sim_s`` is ``device._last_run_time``, measured by the
  binary around its main loop (``omp_get_wtime`` with OpenMP, ``std::clock``
  with ``--threads 0``, i.e. serial code without OpenMP); it excludes code
  generation, compilation, synapse creation, initialisation and writing the
  results.  ``run_wall_s`` is a monotonic wall-clock cross-check inserted
  into main.cpp around the whole run.  ``build_s`` is the wall time from the
  start of network construction until the binary has exited, minus
  ``sim_s``; ``codegen_compile_s`` and ``binary_s`` give its main parts.
"""

import argparse
import json
import os
import sys

import numpy as np
from brian2_timing import brian2_session, check_threads, set_device, timed_run

PROG = os.path.basename(__file__)
METHOD = "exponential_euler"
DT = 0.1            # ms
N_EXC = 3200
N_INH = 800
N = N_EXC + N_INH
P_CONN = 0.02
AREA_UM2 = 20000.0  # membrane area (um^2)

# Traub-Miles rates (1/ms) of u = (v - V_T) / mV.  Each x / (exp(x/k) - 1)
# is written as k / exprel(x/k).
EQS = (
    "dv/dt = (g_L*(E_L - v) + g_e*(E_e - v) + g_i*(E_i - v)"
    " - g_Na*m**3*h*(v - E_Na) - g_K*n**4*(v - E_K)) / C : volt\n"
    "dm/dt = alpha_m*(1 - m) - beta_m*m : 1\n"
    "dh/dt = alpha_h*(1 - h) - beta_h*h : 1\n"
    "dn/dt = alpha_n*(1 - n) - beta_n*n : 1\n"
    "dg_e/dt = -g_e / tau_e : siemens\n"
    "dg_i/dt = -g_i / tau_i : siemens\n"
    "u = (v - V_T) / mV : 1\n"
    "alpha_m = 0.32 * 4 / exprel((13 - u) / 4) / ms : Hz\n"
    "beta_m = 0.28 * 5 / exprel((u - 40) / 5) / ms : Hz\n"
    "alpha_h = 0.128 * exp((17 - u) / 18) / ms : Hz\n"
    "beta_h = 4 / (1 + exp((40 - u) / 5)) / ms : Hz\n"
    "alpha_n = 0.032 * 5 / exprel((15 - u) / 5) / ms : Hz\n"
    "beta_n = 0.5 * exp((10 - u) / 40) / ms : Hz\n"
)


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
    args = parser.parse_args(argv)
    check_threads(parser, args, PROG)
    return args


def initial_state(seed):
    """Initial v (mV), g_e and g_i (nS); see the module docstring."""
    rng = np.random.default_rng(seed)
    v = -60.0 + 5.0 * rng.standard_normal(N) - 5.0
    g_e = (1.5 * rng.standard_normal(N) + 4.0) * 10.0
    g_i = (12.0 * rng.standard_normal(N) + 20.0) * 10.0
    return v, g_e, g_i


def build_network(b2, seed):
    """Create the neurons, synapses and spike counter (not run yet)."""
    ms, mV, nS, uF, msiemens, cm, umetre = (
        b2.ms, b2.mV, b2.nS, b2.uF, b2.msiemens, b2.cm, b2.umetre)
    area = AREA_UM2 * umetre**2
    namespace = {
        "C": 1 * uF / cm**2 * area,
        "g_L": 0.05 * msiemens / cm**2 * area,
        "g_Na": 100 * msiemens / cm**2 * area,
        "g_K": 30 * msiemens / cm**2 * area,
        "E_L": -60 * mV, "E_Na": 50 * mV, "E_K": -90 * mV, "V_T": -63 * mV,
        "E_e": 0 * mV, "E_i": -80 * mV,
        "tau_e": 5 * ms, "tau_i": 10 * ms,
        "w_e": 6 * nS, "w_i": 67 * nS,
        "v_spike": -20 * mV,
    }
    neurons = b2.NeuronGroup(
        N, EQS, threshold="v > v_spike", refractory="v > v_spike",
        method=METHOD, namespace=namespace, name="neurons")
    v0, ge0, gi0 = initial_state(seed)
    neurons.v = v0 * mV
    neurons.g_e = ge0 * nS
    neurons.g_i = gi0 * nS

    exc = b2.Synapses(neurons[:N_EXC], neurons, on_pre="g_e_post += w_e",
                      delay=b2.defaultclock.dt, namespace=namespace,
                      name="syn_exc")
    exc.connect(p=P_CONN)
    inh = b2.Synapses(neurons[N_EXC:], neurons, on_pre="g_i_post += w_i",
                      delay=b2.defaultclock.dt, namespace=namespace,
                      name="syn_inh")
    inh.connect(p=P_CONN)
    spikes = b2.SpikeMonitor(neurons, record=False, name="spikes")
    return b2.Network(neurons, exc, inh, spikes), (exc, inh), spikes


def run(args, b2, build_dir):
    """Build and run the network; return timings, spike counts per cell and
    the number of synapses."""
    duration = args.duration * b2.ms
    t_start = set_device(b2, args.mode, args.threads, build_dir)
    b2.defaultclock.dt = DT * b2.ms
    b2.seed(args.seed)
    net, synapses, spikes = build_network(b2, args.seed)
    timings = timed_run(b2, net, duration, args.mode, build_dir, t_start)

    counts = np.asarray(spikes.count[:])
    n_synapses = int(sum(len(s) for s in synapses))
    return timings, counts, n_synapses


def main(argv=None):
    args = parse_args(argv)
    with brian2_session(args.mode, "cobahh_brian2_") as (b2, build_dir):
        timings, counts, n_synapses = run(args, b2, build_dir)

    seconds = args.duration / 1000.0
    n_exc = int(counts[:N_EXC].sum())
    n_inh = int(counts[N_EXC:].sum())
    result = {
        "simulator": "brian2",
        "mode": args.mode,
        "threads": max(args.threads, 1),
        "method": METHOD,
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
    result.update({"duration_ms": args.duration, "seed": args.seed})
    if result["rate_hz"] < 1.0:
        print(f"{PROG}: WARNING: the network fell silent (mean rate "
              f"{result['rate_hz']:.2f} Hz)", file=sys.stderr)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
