"""Brian2 peer of the LIF accuracy-versus-cost benchmark (``benchmarks/accuracy_cost_lif.py``).

The network (``lif_reference.py``): N independent LIF cells without synapses,
cell i driven by the constant current I_i = linspace(0.55, 1.5, N)[i] nA::

    dv/dt = (g_L (E_L - v) + I) / C : volt (unless refractory)

C 0.5 nF, g_L 25 nS, E_L -70 mV; threshold ``v > V_th`` (-50 mV), reset
``v = V_reset`` (-60 mV), refractory 2 ms; v(0) = -70 mV.

Integration (``--method``): ``exact`` (the default; the equation is linear
with constant coefficients, so Brian2 advances it with its analytic
solution over a step) or ``exponential_euler`` (for this equation the same
update, written differently).  The integration is therefore exact and
all the error comes from the grid: Brian2 tests the threshold on the state
after the update of the step from t to t + dt, records the spike at t (the
start of the step in which v crossed, early by 0 to dt), resets v at the
end of that step and holds it for the refractory period counted in whole
steps.  Spike times are reported as they come.

Timing: ``brian2_timing.timed_run``; with ``--mode cpp_standalone
--threads 0`` (how ``accuracy_cost_lif.py`` runs it) the binary is serial
and ``sim_s`` is its own ``std::clock`` (CPU time) of the main loop.

Output: one line of JSON on stdout (Brian2's own output goes to stderr) with
the timings and the errors of ``lif_reference.spike_errors`` against the
exact spike times.

Example: benchmarks/.peer-env/bin/python benchmarks/peers/lif_brian2.py
--mode cpp_standalone --threads 0 --dt 0.025 --n 20 --duration 100
"""

import argparse
import json
import os

import lif_reference as ref
import numpy as np
from brian2_timing import brian2_session, check_threads, set_device, timed_run

PROG = os.path.basename(__file__)
METHODS = ("exact", "exponential_euler")

EQUATIONS = """
dv/dt = (g_L * (E_L - v) + I_app) / C : volt (unless refractory)
I_app : amp (constant)
"""


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("runtime", "cpp_standalone"), default="runtime")
    parser.add_argument("--threads", type=int, default=1,
                        help="OpenMP threads (cpp_standalone only; 0 = serial code "
                        "without OpenMP, timed with std::clock)")
    parser.add_argument("--method", choices=METHODS, default=METHODS[0])
    parser.add_argument("--dt", type=float, default=0.1, help="time step, ms")
    parser.add_argument("--duration", type=float, default=1000.0, help="ms (default 1000)")
    parser.add_argument("--n", type=int, default=1000, help="number of cells (default 1000)")
    args = parser.parse_args(argv)
    if args.n < 1 or args.dt <= 0 or args.duration <= 0:
        parser.error("need --n >= 1, --dt > 0 and --duration > 0")
    check_threads(parser, args, PROG)
    return args


def build_network(b2, n_cells, method):
    """The group of N LIF cells and a monitor of all their spikes."""
    mV, nA, nF, uS, ms = b2.mV, b2.nA, b2.nF, b2.uS, b2.ms
    namespace = {"C": ref.C * nF, "g_L": ref.G_L * uS, "E_L": ref.E_L * mV,
                 "V_th": ref.V_TH * mV, "V_reset": ref.V_RESET * mV}
    cells = b2.NeuronGroup(n_cells, EQUATIONS, threshold="v > V_th", reset="v = V_reset",
                           refractory=ref.T_REF * ms, method=method, namespace=namespace,
                           name="LIF")
    cells.v = ref.V_INIT * mV
    cells.I_app = ref.currents(n_cells) * nA
    monitor = b2.SpikeMonitor(cells, name="spikes")
    return b2.Network(cells, monitor), monitor


def main(argv=None):
    args = parse_args(argv)
    with brian2_session(args.mode, "lif_brian2_") as (b2, build_dir):
        t_start = set_device(b2, args.mode, args.threads, build_dir)
        b2.defaultclock.dt = args.dt * b2.ms
        net, monitor = build_network(b2, args.n, args.method)
        timings = timed_run(b2, net, args.duration * b2.ms, args.mode, build_dir, t_start)
        ids = np.asarray(monitor.i[:], dtype=np.int64)
        times = np.asarray(monitor.t[:] / b2.ms, dtype=np.float64)
        version = b2.__version__
    sim = ref.split_by_cell(times, ids, args.n)
    errors = ref.spike_errors(sim, ref.reference(args.n, args.duration))
    result = {
        "simulator": "brian2", "mode": args.mode, "threads": max(args.threads, 1),
        "openmp": args.mode == "cpp_standalone" and args.threads > 0,
        "model": "LIF equations", "method": args.method, "dt_ms": args.dt, "n": args.n,
        "duration_ms": args.duration,
        "build_s": round(timings.pop("build_s"), 4), "sim_s": timings.pop("sim_s"),
        **{key: round(val, 4) for key, val in timings.items()},
        "n_spikes": int(ids.size), "version": version, **errors,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
