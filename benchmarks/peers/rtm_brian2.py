"""Brian2 peer of the accuracy-versus-cost benchmark (``benchmarks/accuracy_cost.py``).

The network: N independent reduced Traub-Miles (RTM) cells, no synapses.
Cell i gets a constant current I_i = linspace(0.3, 2.0, N)[i] uA/cm^2.
Per unit area (uF/cm^2, mS/cm^2, uA/cm^2; v in mV, t in ms)::

    C dv/dt = I - g_Na m^3 h (v - E_Na) - g_K n^4 (v - E_K) - g_L (v - E_L)
    dh/dt = a_h (1 - h) - b_h h,   dn/dt = a_n (1 - n) - b_n n,
    m = a_m / (a_m + b_m)          (instantaneous)

with C 1, g_Na 100, g_K 80, g_L 0.1, E_Na 50, E_K -100, E_L -67 and

    a_m = 0.32 (v+54) / (1 - exp(-(v+54)/4)),  b_m = 0.28 (v+27) / (exp((v+27)/5) - 1)
    a_h = 0.128 exp(-(v+50)/18),               b_h = 4 / (1 + exp(-(v+27)/5))
    a_n = 0.032 (v+52) / (1 - exp(-(v+52)/5)), b_n = 0.5 exp(-(v+57)/40)

(the x / (1 - exp(-x/k)) forms written with ``exprel``: no 0/0).  v starts
at -65 mV, h and n at their steady state a / (a + b) there.

Spike: threshold ``v > -20*mV`` with the refractory condition ``v > -20*mV``
(one spike per upward crossing; v is not reset).  Brian2 tests the
threshold on the state after the update of the step from t to t + dt and
records the spike at that step's clock time t, the start of the step in
which v crossed: spike times lie on the grid of dt and come early by between
0 and dt (on top of the integration error).  They are reported as they come.

Integration (``--method``):

* ``exponential_euler``: with m = m_inf(v) the v equation is not linear in
  v, so m is a variable that a ``run_regularly`` operation sets to m_inf(v)
  at the start of every step (``when="start"``), before the state update,
  which then advances v, h and n exactly with the coefficients of the start
  of the step (as in ``ping_brian2.py``).
* ``rk2`` (midpoint) and ``rk4``: m is a subexpression of v.  rk2 is
  unstable in the spike upstroke at large dt (``accuracy_cost.py`` uses it
  at dt <= 0.0125 ms).

Output: one line of JSON on stdout (Brian2's own output goes to stderr)
with the timings of ``brian2_timing.timed_run`` (``sim_s`` is the
simulation loop alone: with ``--mode cpp_standalone --threads 0`` the binary
is serial and measures it with ``std::clock``, i.e. CPU time), the spike
count of the whole network, and the spike times (ms) of the K reference
cells, ``reference_indices(N, K)``: K evenly spaced indices from 0 to N - 1.

Example: benchmarks/.peer-env/bin/python benchmarks/peers/rtm_brian2.py
--mode cpp_standalone --threads 0 --method exponential_euler --dt 0.025
"""

import argparse
import json
import os

import numpy as np
from brian2_timing import brian2_session, check_threads, set_device, timed_run

PROG = os.path.basename(__file__)
METHODS = ("exponential_euler", "rk2", "rk4")
I_RANGE = (0.3, 2.0)    # uA/cm^2, first and last cell
V_INIT = -65.0          # mV
V_SPIKE = -20.0         # mV

EQUATIONS = """
dv/dt = (I_app - g_Na*m**3*h*(v - E_Na) - g_K*n**4*(v - E_K) - g_L*(v - E_L)) / C : volt
dh/dt = a_h*(1 - h) - b_h*h : 1
dn/dt = a_n*(1 - n) - b_n*n : 1
{m_line}
u = v / mV : 1
a_m = 0.32 * 4 / exprel(-(u + 54) / 4) / ms : Hz
b_m = 0.28 * 5 / exprel((u + 27) / 5) / ms : Hz
a_h = 0.128 * exp(-(u + 50) / 18) / ms : Hz
b_h = 4 / (1 + exp(-(u + 27) / 5)) / ms : Hz
a_n = 0.032 * 5 / exprel(-(u + 52) / 5) / ms : Hz
b_n = 0.5 * exp(-(u + 57) / 40) / ms : Hz
I_app : amp/meter**2 (constant)
"""
M_INF = "a_m / (a_m + b_m)"


def reference_indices(n, k):
    """K evenly spaced cell indices from 0 to n - 1 (the same rule as accuracy_cost.py)."""
    return np.unique(np.round(np.linspace(0, n - 1, min(k, n))).astype(np.int64))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("runtime", "cpp_standalone"), default="runtime")
    parser.add_argument("--threads", type=int, default=1,
                        help="OpenMP threads (cpp_standalone only; 0 = serial code "
                        "without OpenMP, timed with std::clock)")
    parser.add_argument("--method", choices=METHODS, default=METHODS[0])
    parser.add_argument("--dt", type=float, default=0.025, help="time step, ms")
    parser.add_argument("--duration", type=float, default=500.0, help="ms (default 500)")
    parser.add_argument("--n", type=int, default=1000, help="number of cells (default 1000)")
    parser.add_argument("--k", type=int, default=20,
                        help="number of reference cells whose spikes are reported")
    args = parser.parse_args(argv)
    if args.n < 1 or args.k < 1:
        parser.error("need --n >= 1 and --k >= 1")
    if args.dt <= 0 or args.duration <= 0:
        parser.error("--dt and --duration must be positive")
    check_threads(parser, args, PROG)
    return args


def build_network(b2, n_cells, method):
    """The group of N RTM cells and a monitor of all their spikes."""
    mV, uA, uF, msiemens, cm = b2.mV, b2.uA, b2.uF, b2.msiemens, b2.cm
    mS_cm2 = msiemens / cm**2
    namespace = {"C": 1 * uF / cm**2, "g_Na": 100 * mS_cm2, "g_K": 80 * mS_cm2,
                 "g_L": 0.1 * mS_cm2, "E_Na": 50 * mV, "E_K": -100 * mV, "E_L": -67 * mV,
                 "v_spike": V_SPIKE * mV}
    m_line = "m : 1" if method == "exponential_euler" else f"m = {M_INF} : 1"
    cells = b2.NeuronGroup(n_cells, EQUATIONS.format(m_line=m_line), threshold="v > v_spike",
                           refractory="v > v_spike", method=method, namespace=namespace,
                           name="RTM")
    if method == "exponential_euler":
        cells.run_regularly(f"m = {M_INF}", when="start", name="RTM_m_inf")
    cells.v = V_INIT * mV
    cells.h = "a_h / (a_h + b_h)"
    cells.n = "a_n / (a_n + b_n)"
    cells.I_app = np.linspace(*I_RANGE, n_cells) * uA / cm**2
    monitor = b2.SpikeMonitor(cells, name="spikes")
    return b2.Network(cells, monitor), monitor


def main(argv=None):
    args = parse_args(argv)
    with brian2_session(args.mode, "rtm_brian2_") as (b2, build_dir):
        t_start = set_device(b2, args.mode, args.threads, build_dir)
        b2.defaultclock.dt = args.dt * b2.ms
        net, monitor = build_network(b2, args.n, args.method)
        timings = timed_run(b2, net, args.duration * b2.ms, args.mode, build_dir, t_start)
        ids = np.asarray(monitor.i[:], dtype=np.int64)
        times = np.asarray(monitor.t[:] / b2.ms, dtype=np.float64)
        version = b2.__version__
    ref = reference_indices(args.n, args.k)
    result = {
        "simulator": "brian2", "mode": args.mode, "threads": max(args.threads, 1),
        "openmp": args.mode == "cpp_standalone" and args.threads > 0,
        "method": args.method, "dt_ms": args.dt, "n": args.n, "duration_ms": args.duration,
        "build_s": round(timings.pop("build_s"), 4), "sim_s": round(timings.pop("sim_s"), 4),
        **{key: round(val, 4) for key, val in timings.items()},
        "n_spikes": int(ids.size), "ref_ids": ref.tolist(),
        "ref_spikes": [np.sort(times[ids == i]).tolist() for i in ref],
        "version": version,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
