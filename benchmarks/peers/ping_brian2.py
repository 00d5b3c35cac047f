"""Brian2 peer of the PING (pyramidal-interneuron gamma) network benchmark.

An E-I network in the style of Boergers & Kopell: N_E excitatory reduced
Traub-Miles (RTM) cells and N_I inhibitory Wang-Buzsaki (WB) cells.  All
quantities are per unit membrane area (C in uF/cm^2, conductances in
mS/cm^2, currents in uA/cm^2; v in mV, t in ms).

* RTM (E): C 1, g_Na 100, g_K 80, g_L 0.1, E_Na 50, E_K -100, E_L -67;
  m = m_inf(v) instantaneous, h and n dynamic.  WB (I): C 1, g_Na 35,
  g_K 9, g_L 0.1, E_Na 55, E_K -90, E_L -65; m instantaneous, h and n
  dynamic with the temperature factor phi = 5.  The rate functions of the
  form x / (1 - exp(-x/k)) or x / (exp(x/k) - 1) are written with
  ``exprel`` (same function, no 0/0 at x = 0).
* Drive: E cell i gets a constant I_i = 1.4 (1 + 0.05 X_i) uA/cm^2 with
  X_i ~ N(0, 1); the I cells get none.
* Synapses: double-exponential conductances.  Every arriving spike adds 1
  to the two traces d and r of its synapse type in the postsynaptic cell
  (d' = -d/tau_d, r' = -r/tau_r) and g = w f (d - r), with f normalising
  exp(-t/tau_d) - exp(-t/tau_r) to a peak of 1, so w is the peak
  conductance of one synapse.  E->I: tau_r 0.5 ms, tau_d 3 ms, E_rev 0 mV,
  w_EI = 0.25 / (0.5 N_E); I->E and I->I: tau_r 0.5 ms, tau_d 9 ms, E_rev
  -75 mV, w_IE = w_II = 0.25 / (0.5 N_I).  No E->E.  Every pair is
  connected with probability 0.5 (no I->I autapses), delay 0.1 ms.
* Spike: upward crossing of 0 mV (threshold ``v > 0*mV`` with the
  refractory condition ``v > 0*mV``; v is not clamped).
* Integration (``--method``): ``exponential_euler`` (default) with dt =
  0.05 ms.  With m = m_inf(v) the v equation is not linear in v, so
  Brian2 cannot apply its exponential Euler to it as written; m is
  therefore a variable that ``run_regularly`` sets to m_inf(v(t)) at the
  start of every step, before the state update.  Within the step every
  variable is then advanced exactly with the coefficients of time t (v
  with the conductances g_Na m^3 h, g_K n^4 and the synaptic ones frozen),
  which is Brian2's exponential Euler for a model whose m relaxes
  instantly.  ``--method rk2`` (Brian2's midpoint method, m a subexpression
  of v) is unstable at dt = 0.05 ms (an RTM spike upstroke overshoots to
  v ~ -225 mV in the first milliseconds); it is stable at ``--dt 0.025``
  and below and serves as a cross-check.
* Initial state (numpy ``default_rng(seed)``, drawn in this order): v of
  E, v of I uniform in [-70, -50] mV, then X; h and n at their steady
  state a/(a + b) at that v.  ``--seed`` also seeds Brian2's RNG
  (connectivity).

Output (one line of JSON on stdout; Brian2's output goes to stderr): mean
rates of E and I over the whole run, and the peak frequency of the E
population rhythm: E spikes are counted in 1 ms bins from 200 ms to the
end, the mean is removed, and ``peak_freq_hz`` is the frequency of the
largest power of the FFT (numpy ``rfft``) in [20, 150] Hz.  When every E
cell fires in a sharp volley on every cycle the spectrum is a comb of
nearly equal harmonics and the second harmonic can win (seen with ``--method
rk2 --dt 0.01``: 86.25 Hz for a 42 Hz rhythm); ``rate_e_late_hz`` tells.
``rate_e_late_hz`` is the E rate in that window and ``frac_e_active_late``
the fraction of E cells that fired in it.

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
import math
import os
import sys

import numpy as np
from brian2_timing import brian2_session, check_threads, set_device, timed_run

PROG = os.path.basename(__file__)
METHODS = ("exponential_euler", "rk2")
DT = 0.05          # ms
RK2_MAX_DT = 0.025  # ms; rk2 blows up at 0.05 ms
DELAY = 0.1        # ms
P_CONN = 0.5
I_DRIVE = 1.4      # uA/cm^2
DRIVE_SPREAD = 0.05
TAU_R = 0.5        # ms, rise time of both synapse types
TAU_D_E = 3.0      # ms, decay of E->I
TAU_D_I = 9.0      # ms, decay of I->E and I->I
E_REV_E = 0.0      # mV
E_REV_I = -75.0    # mV
G_TOTAL = 0.25     # mS/cm^2: w = G_TOTAL / (P_CONN * N_pre)
V_INIT = (-70.0, -50.0)
SPECTRUM_START = 200.0  # ms
BIN_MS = 1.0
BAND_HZ = (20.0, 150.0)

# Membrane equations, per unit area; h and n are scaled by phi (1 for RTM).
# {syn} is the synaptic current of the population.
EQS_CELL = (
    "dv/dt = (I_app - g_Na*m**3*h*(v - E_Na) - g_K*n**4*(v - E_K)"
    " - g_L*(v - E_L){syn}) / C : volt\n"
    "dh/dt = phi*(a_h*(1 - h) - b_h*h) : 1\n"
    "dn/dt = phi*(a_n*(1 - n) - b_n*n) : 1\n"
    "{m_def}"
    "u = v / mV : 1\n"
    "I_app : amp/meter**2 (constant)\n"
)
EQS_RTM_RATES = (
    "a_m = 0.32 * 4 / exprel(-(u + 54) / 4) / ms : Hz\n"
    "b_m = 0.28 * 5 / exprel((u + 27) / 5) / ms : Hz\n"
    "a_h = 0.128 * exp(-(u + 50) / 18) / ms : Hz\n"
    "b_h = 4 / (1 + exp(-(u + 27) / 5)) / ms : Hz\n"
    "a_n = 0.032 * 5 / exprel(-(u + 52) / 5) / ms : Hz\n"
    "b_n = 0.5 * exp(-(u + 57) / 40) / ms : Hz\n"
)
EQS_WB_RATES = (
    "a_m = 0.1 * 10 / exprel(-(u + 35) / 10) / ms : Hz\n"
    "b_m = 4 * exp(-(u + 60) / 18) / ms : Hz\n"
    "a_h = 0.07 * exp(-(u + 58) / 20) / ms : Hz\n"
    "b_h = 1 / (1 + exp(-(u + 28) / 10)) / ms : Hz\n"
    "a_n = 0.01 * 10 / exprel(-(u + 34) / 10) / ms : Hz\n"
    "b_n = 0.125 * exp(-(u + 44) / 80) / ms : Hz\n"
)
# Synaptic traces of one type ({x} = e or i) in the postsynaptic cell.
EQS_SYN = (
    "dd_{x}/dt = -d_{x} / tau_d_{x} : 1\n"
    "dr_{x}/dt = -r_{x} / tau_r : 1\n"
)
SYN_CURRENT = " - w_{x}*f_{x}*(d_{x} - r_{x})*(v - E_rev_{x})"
M_INF = "a_m / (a_m + b_m)"


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
                        help="seed of the initial state and drive and of "
                        "Brian2's RNG (connectivity)")
    parser.add_argument("--n-e", type=int, default=1000,
                        help="number of E (RTM) cells (default 1000)")
    parser.add_argument("--n-i", type=int, default=250,
                        help="number of I (WB) cells (default 250)")
    parser.add_argument("--method", choices=METHODS, default=METHODS[0],
                        help="integration method (default exponential_euler; "
                        "rk2 needs --dt 0.025 or less)")
    parser.add_argument("--dt", type=float, default=DT,
                        help=f"time step in ms (default {DT:g}; the delay "
                        f"stays {DELAY:g} ms)")
    args = parser.parse_args(argv)
    if args.n_e < 1 or args.n_i < 2:
        parser.error("need --n-e >= 1 and --n-i >= 2")
    if args.dt <= 0 or args.dt > DELAY:
        parser.error(f"--dt must be in (0, {DELAY:g}] ms")
    if args.method == "rk2" and args.dt > RK2_MAX_DT:
        parser.error(f"rk2 is unstable for this model at dt > {RK2_MAX_DT:g} ms")
    check_threads(parser, args, PROG)
    return args


def peak_factor(tau_r, tau_d):
    """f = 1 / max_t (exp(-t/tau_d) - exp(-t/tau_r)), for tau_d > tau_r."""
    t_peak = tau_r * tau_d * math.log(tau_d / tau_r) / (tau_d - tau_r)
    return 1.0 / (math.exp(-t_peak / tau_d) - math.exp(-t_peak / tau_r))


def namespaces(b2, n_e, n_i):
    """Parameters of the E (RTM) and I (WB) groups."""
    ms, mV, uF, msiemens, cm = b2.ms, b2.mV, b2.uF, b2.msiemens, b2.cm
    mS_cm2 = msiemens / cm**2
    syn_e = {"tau_d_e": TAU_D_E * ms, "E_rev_e": E_REV_E * mV,
             "f_e": peak_factor(TAU_R, TAU_D_E),
             "w_e": G_TOTAL / (P_CONN * n_e) * mS_cm2}
    syn_i = {"tau_d_i": TAU_D_I * ms, "E_rev_i": E_REV_I * mV,
             "f_i": peak_factor(TAU_R, TAU_D_I),
             "w_i": G_TOTAL / (P_CONN * n_i) * mS_cm2}
    common = {"C": 1 * uF / cm**2, "tau_r": TAU_R * ms, "v_spike": 0 * mV}
    ns_e = dict(common, g_Na=100 * mS_cm2, g_K=80 * mS_cm2, g_L=0.1 * mS_cm2,
                E_Na=50 * mV, E_K=-100 * mV, E_L=-67 * mV, phi=1.0, **syn_i)
    ns_i = dict(common, g_Na=35 * mS_cm2, g_K=9 * mS_cm2, g_L=0.1 * mS_cm2,
                E_Na=55 * mV, E_K=-90 * mV, E_L=-65 * mV, phi=5.0,
                **syn_e, **syn_i)
    return ns_e, ns_i


def build_network(b2, n_e, n_i, seed, method):
    """Create the groups, synapses and spike monitors (not run yet)."""
    ms, mV, uA, cm = b2.ms, b2.mV, b2.uA, b2.cm
    ns_e, ns_i = namespaces(b2, n_e, n_i)
    # exponential_euler: m is set to m_inf(v) at the start of each step.
    m_def = "m : 1\n" if method == "exponential_euler" else f"m = {M_INF} : 1\n"
    eqs_e = (EQS_CELL.format(syn=SYN_CURRENT.format(x="i"), m_def=m_def)
             + EQS_RTM_RATES + EQS_SYN.format(x="i"))
    eqs_i = (EQS_CELL.format(syn=SYN_CURRENT.format(x="e") + SYN_CURRENT.format(x="i"),
                             m_def=m_def)
             + EQS_WB_RATES + EQS_SYN.format(x="e") + EQS_SYN.format(x="i"))
    E = b2.NeuronGroup(n_e, eqs_e, threshold="v > v_spike", refractory="v > v_spike",
                       method=method, namespace=ns_e, name="E")
    I = b2.NeuronGroup(n_i, eqs_i, threshold="v > v_spike", refractory="v > v_spike",
                       method=method, namespace=ns_i, name="I")
    if method == "exponential_euler":
        for group in (E, I):   # contained in the group, run with it
            group.run_regularly(f"m = {M_INF}", when="start", name=f"{group.name}_m_inf")

    rng = np.random.default_rng(seed)
    E.v = rng.uniform(*V_INIT, n_e) * mV
    I.v = rng.uniform(*V_INIT, n_i) * mV
    E.I_app = I_DRIVE * (1.0 + DRIVE_SPREAD * rng.standard_normal(n_e)) * uA / cm**2
    for group in (E, I):
        group.h = "a_h / (a_h + b_h)"
        group.n = "a_n / (a_n + b_n)"

    delay = DELAY * ms
    on_e = "d_e_post += 1\nr_e_post += 1"
    on_i = "d_i_post += 1\nr_i_post += 1"
    ei = b2.Synapses(E, I, on_pre=on_e, delay=delay, name="EI")
    ei.connect(p=P_CONN)
    ie = b2.Synapses(I, E, on_pre=on_i, delay=delay, name="IE")
    ie.connect(p=P_CONN)
    ii = b2.Synapses(I, I, on_pre=on_i, delay=delay, name="II")
    ii.connect(condition="i != j", p=P_CONN)

    spikes_e = b2.SpikeMonitor(E, name="spikes_E")
    spikes_i = b2.SpikeMonitor(I, name="spikes_I")
    net = b2.Network(E, I, ei, ie, ii, spikes_e, spikes_i)
    return net, (ei, ie, ii), (spikes_e, spikes_i)


def run(args, b2, build_dir):
    """Build and run the network; return timings, synapse count and spikes."""
    duration = args.duration * b2.ms
    t_start = set_device(b2, args.mode, args.threads, build_dir)
    b2.defaultclock.dt = args.dt * b2.ms
    b2.seed(args.seed)
    net, synapses, monitors = build_network(b2, args.n_e, args.n_i, args.seed, args.method)
    timings = timed_run(b2, net, duration, args.mode, build_dir, t_start)

    n_synapses = int(sum(len(s) for s in synapses))
    spikes = [(np.asarray(m.i[:], dtype=np.int64), np.asarray(m.t[:] / b2.ms))
              for m in monitors]
    return timings, n_synapses, spikes


def peak_frequency(times, t0, t1):
    """Frequency (Hz) of the largest power in BAND_HZ of the mean-removed
    histogram (BIN_MS bins) of the spike times (ms) in [t0, t1); None if
    the window is too short to resolve the band."""
    n_bins = int((t1 - t0) // BIN_MS)
    if n_bins * BIN_MS < 1000.0 / BAND_HZ[0]:
        return None
    counts, _ = np.histogram(times, bins=n_bins, range=(t0, t0 + n_bins * BIN_MS))
    power = np.abs(np.fft.rfft(counts - counts.mean()))**2
    freqs = np.fft.rfftfreq(n_bins, d=BIN_MS / 1000.0)
    band = (freqs >= BAND_HZ[0]) & (freqs <= BAND_HZ[1])
    if not np.any(power[band] > 0):
        return None
    return float(freqs[band][np.argmax(power[band])])


def main(argv=None):
    args = parse_args(argv)
    n_e, n_i = args.n_e, args.n_i
    with brian2_session(args.mode, "ping_brian2_") as (b2, build_dir):
        timings, n_synapses, spikes = run(args, b2, build_dir)
    (ids_e, t_e), (ids_i, t_i) = spikes

    T = args.duration
    seconds = T / 1000.0
    late = t_e >= SPECTRUM_START
    late_s = max(T - SPECTRUM_START, 0.0) / 1000.0
    result = {
        "simulator": "brian2",
        "mode": args.mode,
        "threads": max(args.threads, 1),
        "method": args.method,
        "dt_ms": args.dt,
        "n_e": n_e,
        "n_i": n_i,
        "n_synapses": n_synapses,
        "build_s": round(timings.pop("build_s"), 4),
        "sim_s": round(timings.pop("sim_s"), 4),
    }
    result.update({key: round(val, 4) for key, val in timings.items()})
    if args.mode == "cpp_standalone":
        result["openmp"] = args.threads > 0
    result.update({
        "duration_ms": T,
        "seed": args.seed,
        "n_spikes": int(ids_e.size + ids_i.size),
        "n_spikes_e": int(ids_e.size),
        "n_spikes_i": int(ids_i.size),
        "rate_e_hz": ids_e.size / (n_e * seconds),
        "rate_i_hz": ids_i.size / (n_i * seconds),
        "rate_e_late_hz": (float(np.count_nonzero(late)) / (n_e * late_s)
                           if late_s > 0 else None),
        "frac_e_active_late": np.unique(ids_e[late]).size / n_e,
        "peak_freq_hz": peak_frequency(t_e, SPECTRUM_START, T),
        "version": b2.__version__,
    })
    if result["peak_freq_hz"] is None:
        print(f"{PROG}: WARNING: no E rhythm in {BAND_HZ} Hz after "
              f"{SPECTRUM_START:g} ms", file=sys.stderr)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
