"""Brian2 peer of the Compte et al. (2000) ring working-memory benchmark.

The model, its parameters and the decoder are those of ``compte_common``
(N_E excitatory cells on a ring, N_E / 4 inhibitory cells, NMDA recurrent
excitation with a Gaussian ring kernel, GABA_A inhibition, external Poisson
AMPA drive and a transient cue at CUE_THETA).  Runs in Brian2's ``runtime``
mode (Cython, single-threaded) or ``cpp_standalone`` mode (C++, OpenMP) and
prints one line of JSON on stdout (everything else goes to stderr).

Implementation in Brian2:

* V is integrated with ``rk2`` (Brian2's midpoint method), the gates with
  it too; V is clamped at V_reset while refractory (``unless refractory``).
* External drive: ``PoissonInput(group, 'g_ext', N=1000, rate=EXT_RATE_HZ /
  1000 Hz, weight=G_EXT)``; the number of events per cell and step is then
  Binomial(1000, EXT_RATE_HZ dt / 1000), practically Poisson(EXT_RATE_HZ dt)
  (``N=1`` would give at most one event per step).
* NMDA: x and s are per-cell variables of E.  A one-to-one E->E ``Synapses``
  with delay DELAY does ``x_post += 1``, so x_j jumps when the spike of j
  arrives and the whole NMDA pathway is delayed by DELAY.  The recurrent
  input ``s_NMDA_tot`` of each cell is a ``(summed)`` variable: E->E with
  weights w_ij = J(theta_i - theta_j) (``ring_kernel``, looked up through a
  TimedArray so that it also works in standalone mode), i != j; E->I with
  weight 1, all to all.  G_EE / G_EI multiply it in the V equations.
  Brian2 sums it once per step before the state update (``groups`` slot),
  from the s of the end of the previous step.
* GABA: I->E (all to all) and I->I (i != j) ``Synapses`` with
  ``on_pre='g_GABA_post += G'`` and delay DELAY.
* Cue: a shared flag ``cue_on`` of E is set at the start of every step by
  ``run_regularly`` (1 if the step's start time is in [CUE_START, CUE_STOP),
  compared in whole time steps); I_cue = I_cue_amp * cue_on with the
  per-cell amplitude ``cue_current(theta_i)``.  (A TimedArray of t would be
  sampled at t + dt/2 by rk2's midpoint stage and round to the next step.)
* Initial state: V uniform in [V_reset, V_th) (numpy ``default_rng(seed)``,
  E then I), all gates zero; ``seed`` also seeds Brian2's RNG (Poisson
  input).

Timing (as in ``coba_brian2``):

* runtime: ``build_s`` is the wall time of network construction (synapses
  are created right away) plus a warm-up run of one time step that compiles
  (or loads from cache) the Cython code; the network is stored before and
  restored after it.  ``sim_s`` is the wall time of the timed
  ``Network.run``.
* cpp_standalone: ``sim_s`` is ``device._last_run_time``, measured by the
  binary around its main loop (``omp_get_wtime`` with OpenMP, ``std::clock``
  with ``--threads 0``, i.e. serial code without OpenMP); it excludes code
  generation, compilation, synapse creation, initialisation and writing the
  results.  ``run_wall_s`` is a monotonic wall-clock cross-check inserted
  into main.cpp around the whole run (including the per-run preparation of
  the spike queues).  ``build_s`` is the wall time from the start of
  network construction until the binary has exited, minus ``sim_s``;
  ``codegen_compile_s`` and ``binary_s`` give its main parts.

Output: mean rates (Hz) of E and I in the spontaneous window [500,
CUE_START) and in the delay window [CUE_STOP + 500, duration) (null if the
window is empty), the population-vector angle (deg) and resultant length of
the E spikes of the last 500 ms (``compte_common.decode``) and of every 500
ms window.  ``n_synapses`` counts the model's connections (E->E, E->I, I->E,
I->I), not the N_E one-to-one synapses that delay the NMDA gates
(``n_delay_synapses``).
"""

import argparse
import json
import math
import os

import compte_common as cc
import numpy as np
from brian2_timing import brian2_session, check_threads, set_device, timed_run
from compte_common import (
    ALPHA_NMDA,
    CUE_START,
    CUE_STOP,
    DELAY,
    DT,
    DURATION,
    E_AMPA,
    E_CELL,
    E_GABA,
    E_NMDA,
    I_CELL,
    MG,
    N_E,
    TAU_AMPA,
    TAU_GABA,
    TAU_NMDA,
    TAU_NMDA_X,
    cue_current,
    decode,
    ring_kernel,
)

PROG = os.path.basename(__file__)
METHOD = "rk2"
WINDOW_MS = 500.0
POISSON_N = 1000   # PoissonInput sources per cell, each at cc.EXT_RATE_HZ / POISSON_N

EQS_V = (
    "dV/dt = (-g_L*(V - E_L) - g_ext*(V - E_AMPA) - g_GABA*(V - E_GABA)"
    " - G_NMDA*s_NMDA_tot*(V - E_NMDA)/(1 + mg_factor*exp(-0.062*V/mV)){cue}) / C"
    " : volt (unless refractory)\n"
    "dg_ext/dt = -g_ext/tau_AMPA : siemens\n"
    "dg_GABA/dt = -g_GABA/tau_GABA : siemens\n"
    "s_NMDA_tot : 1\n"
)
EQS_E_EXTRA = (
    "I_cue_amp : amp (constant)\n"
    "cue_on : 1 (shared)\n"
    "dx/dt = -x/tau_x : 1\n"
    "ds/dt = -s/tau_NMDA + alpha*x*(1 - s) : 1\n"
)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("runtime", "cpp_standalone"),
                        default="runtime")
    parser.add_argument("--threads", type=int, default=1,
                        help="OpenMP threads (cpp_standalone only; 0 = "
                        "serial code without OpenMP)")
    parser.add_argument("--duration", type=float, default=DURATION,
                        help=f"simulated time in ms (default {DURATION:g})")
    parser.add_argument("--seed", type=int, default=1,
                        help="seed of the initial V and of Brian2's RNG "
                        "(Poisson input)")
    parser.add_argument("--n-e", type=int, default=N_E,
                        help=f"number of E cells (default {N_E}); N_I = N_E // 4")
    parser.add_argument("--parameters", choices=sorted(cc.PARAMETER_SETS),
                        default="compte2000", help="published parameter set")
    parser.add_argument("--save-spikes", metavar="PATH.npz",
                        help="save E and I spike ids and times (ms)")
    args = parser.parse_args(argv)
    cc.use(args.parameters)
    if args.n_e < 4:
        parser.error("--n-e must be >= 4")
    check_threads(parser, args, PROG)
    return args


def cell_namespace(b2, cell, g_nmda):
    ms, mV, nF, nS = b2.ms, b2.mV, b2.nF, b2.nS
    return {
        "C": cell["C"] * nF, "g_L": cell["g_L"] * nS, "E_L": cell["E_L"] * mV,
        "V_th": cell["V_th"] * mV, "V_reset": cell["V_reset"] * mV,
        "E_AMPA": E_AMPA * mV, "E_GABA": E_GABA * mV, "E_NMDA": E_NMDA * mV,
        "tau_AMPA": TAU_AMPA * ms, "tau_GABA": TAU_GABA * ms,
        "G_NMDA": g_nmda * nS, "mg_factor": MG / 3.57,
        "tau_x": TAU_NMDA_X * ms, "tau_NMDA": TAU_NMDA * ms,
        "alpha": ALPHA_NMDA / ms,
    }


def build_network(b2, n_e, seed):
    """Create the groups, synapses and monitors (not run yet)."""
    ms, mV, nS, nA, Hz = b2.ms, b2.mV, b2.nS, b2.nA, b2.Hz
    n_i = n_e // 4
    delay = DELAY * ms
    ns_e = cell_namespace(b2, E_CELL, cc.G_EE)
    ns_e.update(cue_start=int(round(CUE_START / DT)), cue_stop=int(round(CUE_STOP / DT)))
    ns_i = cell_namespace(b2, I_CELL, cc.G_EI)

    E = b2.NeuronGroup(
        n_e, EQS_V.format(cue=" + I_cue_amp*cue_on") + EQS_E_EXTRA,
        threshold="V > V_th", reset="V = V_reset",
        refractory=E_CELL["t_ref"] * ms, method=METHOD, namespace=ns_e, name="E")
    I = b2.NeuronGroup(
        n_i, EQS_V.format(cue=""),
        threshold="V > V_th", reset="V = V_reset",
        refractory=I_CELL["t_ref"] * ms, method=METHOD, namespace=ns_i, name="I")

    rng = np.random.default_rng(seed)
    E.V = rng.uniform(E_CELL["V_reset"], E_CELL["V_th"], n_e) * mV
    I.V = rng.uniform(I_CELL["V_reset"], I_CELL["V_th"], n_i) * mV
    theta = 2.0 * np.pi * np.arange(n_e) / n_e
    E.I_cue_amp = cue_current(theta) * nA
    E.run_regularly(
        "cue_on = int(timestep(t, dt) >= cue_start and timestep(t, dt) < cue_stop)",
        when="start", name="E_cue_switch")

    rate = cc.EXT_RATE_HZ / POISSON_N * Hz
    ext_e = b2.PoissonInput(E, "g_ext", N=POISSON_N, rate=rate, weight=cc.G_EXT_E * nS)
    ext_i = b2.PoissonInput(I, "g_ext", N=POISSON_N, rate=rate, weight=cc.G_EXT_I * nS)

    # NMDA gates: x_j += 1 when j's spike arrives, DELAY after it.
    nmda_delay = b2.Synapses(E, E, on_pre="x_post += 1", delay=delay, name="nmda_delay")
    nmda_delay.connect(j="i")
    # W_ij = J(theta_post - theta_pre); Brian2's i is the presynaptic index.
    kernel = b2.TimedArray(ring_kernel(n_e), dt=1 * ms, name="ring_kernel_table")
    ee = b2.Synapses(E, E, model="w : 1 (constant)\n"
                     "s_NMDA_tot_post = w*s_pre : 1 (summed)",
                     namespace={"ring_kernel_table": kernel, "n_ring": n_e}, name="EE_NMDA")
    ee.connect(condition="i != j")
    ee.w = "ring_kernel_table(((j - i + n_ring) % n_ring)*ms)"
    ei = b2.Synapses(E, I, model="s_NMDA_tot_post = s_pre : 1 (summed)", name="EI_NMDA")
    ei.connect()

    ie = b2.Synapses(I, E, on_pre="g_GABA_post += w_gaba", delay=delay,
                     namespace={"w_gaba": cc.G_IE * nS}, name="IE_GABA")
    ie.connect()
    ii = b2.Synapses(I, I, on_pre="g_GABA_post += w_gaba", delay=delay,
                     namespace={"w_gaba": cc.G_II * nS}, name="II_GABA")
    ii.connect(condition="i != j")

    spikes_e = b2.SpikeMonitor(E, name="spikes_E")
    spikes_i = b2.SpikeMonitor(I, name="spikes_I")
    net = b2.Network(E, I, ext_e, ext_i, nmda_delay, ee, ei, ie, ii, spikes_e, spikes_i)
    return net, (ee, ei, ie, ii), nmda_delay, (spikes_e, spikes_i)


def run(args, b2, build_dir):
    """Build and run the network; return timings, synapse counts and spikes."""
    duration = args.duration * b2.ms
    t_start = set_device(b2, args.mode, args.threads, build_dir)
    b2.defaultclock.dt = DT * b2.ms
    b2.seed(args.seed)
    net, synapses, nmda_delay, monitors = build_network(b2, args.n_e, args.seed)
    timings = timed_run(b2, net, duration, args.mode, build_dir, t_start)

    n_synapses = [len(s) for s in synapses]
    spikes = [(np.asarray(m.i[:], dtype=np.int64), np.asarray(m.t[:] / b2.ms))
              for m in monitors]
    return timings, n_synapses, len(nmda_delay), spikes


def window_rate(times, n, t0, t1):
    """Mean rate (Hz) of n cells in [t0, min(t1, duration)); None if empty."""
    if t1 <= t0:
        return None
    return float(np.count_nonzero((times >= t0) & (times < t1))) / (n * (t1 - t0) / 1000.0)


def finite(x, digits=4):
    return None if x is None or not math.isfinite(x) else round(x, digits)


def main(argv=None):
    args = parse_args(argv)
    n_e, n_i = args.n_e, args.n_e // 4
    with brian2_session(args.mode, "compte_brian2_") as (b2, build_dir):
        timings, n_synapses, n_delay, spikes = run(args, b2, build_dir)
    (ids_e, t_e), (ids_i, t_i) = spikes
    if args.save_spikes:
        np.savez_compressed(args.save_spikes, e_ids=ids_e, e_times_ms=t_e,
                            i_ids=ids_i, i_times_ms=t_i)

    T = args.duration
    spont = (500.0, min(CUE_START, T))
    delay = (CUE_STOP + 500.0, T)
    ends = WINDOW_MS * np.arange(1, int(T // WINDOW_MS + 1e-9) + 1)
    windows = [decode(ids_e, t_e, t1 - WINDOW_MS, t1, n=n_e) for t1 in ends]
    angle, length = decode(ids_e, t_e, max(T - WINDOW_MS, 0.0), T, n=n_e)

    result = {
        "simulator": "brian2",
        "parameters": args.parameters,
        "mode": args.mode,
        "threads": max(args.threads, 1),
        "method": METHOD,
        "n_e": n_e,
        "n_i": n_i,
        "n_synapses": int(sum(n_synapses)),
        "n_delay_synapses": int(n_delay),
        "build_s": round(timings.pop("build_s"), 4),
        "sim_s": round(timings.pop("sim_s"), 4),
    }
    result.update({key: round(val, 4) for key, val in timings.items()})
    if args.mode == "cpp_standalone":
        result["openmp"] = args.threads > 0
    result.update({
        "duration_ms": T,
        "seed": args.seed,
        "rate_E_spont": finite(window_rate(t_e, n_e, *spont)),
        "rate_I_spont": finite(window_rate(t_i, n_i, *spont)),
        "rate_E_delay": finite(window_rate(t_e, n_e, *delay)),
        "rate_I_delay": finite(window_rate(t_i, n_i, *delay)),
        "angle_deg": finite(math.degrees(angle), 2),
        "resultant": finite(length),
        "window_ms": WINDOW_MS,
        "window_end_ms": [float(t1) for t1 in ends],
        "angle_deg_windows": [finite(math.degrees(a), 2) for a, _ in windows],
        "resultant_windows": [finite(r) for _, r in windows],
        "n_spikes_E": int(ids_e.size),
        "n_spikes_I": int(ids_i.size),
        "version": b2.__version__,
    })
    print(json.dumps(result))


if __name__ == "__main__":
    main()
