"""NEST peer of the LIF accuracy-versus-cost benchmark (``benchmarks/accuracy_cost_lif.py``).

The network (``lif_reference.py``): N independent LIF cells without synapses,
cell i driven by the constant current I_i = linspace(0.55, 1.5, N)[i] nA;
C 0.5 nF, tau_m 20 ms, E_L -70 mV, V_th -50 mV, V_reset -60 mV, t_ref 2 ms,
V(0) = -70 mV.  In NEST's units: ``C_m`` 500 pF, ``I_e`` = 1000 I pA.  With
no synaptic input the synaptic currents of the models stay zero.

Models (``--model``):

* ``iaf_psc_exp``: integrates the membrane exactly (exact propagator over a
  step) but tests the threshold at the end of each step, records the spike
  at that grid time (late by 0 to dt) and counts the refractory period in
  whole steps from it, so spike times drift by up to dt per interspike
  interval;
* ``iaf_psc_exp_ps``: NEST's precise-spike-timing model: the crossing is
  located inside the step, the spike carries its offset, and the refractory
  period ends off the grid.  Creating it switches the kernel's
  ``off_grid_spiking`` on (read-only in NEST 3.10; reported in the
  output).  The spike recorder's ``times`` (``time_in_steps`` False, the
  default) are then the precise times, grid stamp minus offset, in ms
  (checked: they agree with the exact times to ~1e-13 ms).

Resolution: ``--dt`` (ms); ``tics_per_ms`` is set to 100000 so that 0.0125
and 0.00625 ms are whole numbers of tics (with the default 1000 they are
not).  One thread (``local_num_threads`` 1).

Timing: after ``nest.Prepare()`` (set-up, not dynamics), ``sim_s`` is the
CPU time (``time.process_time``) of ``nest.Run(duration)``, ``sim_wall_s``
its wall time and ``run_s`` NEST's own timer of it (``time_simulate``);
``nest.Cleanup()`` follows, untimed.  NEST compiles nothing at run time, so
no warm-up run is needed.

Output: one line of JSON on stdout (NEST's banner and messages go to stderr)
with the timings and the errors of ``lif_reference.spike_errors`` against
the exact spike times.

Example: benchmarks/.peer-env/bin/python benchmarks/peers/lif_nest.py
--model iaf_psc_exp_ps --dt 0.1 --n 20 --duration 100
"""

import argparse
import json
import os
import time

import lif_reference as ref
import numpy as np
from coba_common import reset_kernel, stdout_to_stderr

MODELS = ("iaf_psc_exp", "iaf_psc_exp_ps")
TICS_PER_MS = 100000


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=MODELS, default=MODELS[0])
    parser.add_argument("--dt", type=float, default=0.1, help="resolution, ms")
    parser.add_argument("--duration", type=float, default=1000.0, help="ms (default 1000)")
    parser.add_argument("--n", type=int, default=1000, help="number of cells (default 1000)")
    args = parser.parse_args(argv)
    if args.n < 1 or args.dt <= 0 or args.duration <= 0:
        parser.error("need --n >= 1, --dt > 0 and --duration > 0")
    tics = args.dt * TICS_PER_MS
    if abs(tics - round(tics)) > 1e-6:
        parser.error(f"--dt must be a multiple of 1/{TICS_PER_MS} ms")
    return args


def run(args):
    os.environ.setdefault("PYNEST_QUIET", "1")
    import nest

    reset_kernel(nest)
    nest.set(local_num_threads=1, tics_per_ms=TICS_PER_MS, resolution=args.dt)
    params = {"C_m": ref.C * 1000.0, "tau_m": ref.TAU, "E_L": ref.E_L, "V_th": ref.V_TH,
              "V_reset": ref.V_RESET, "t_ref": ref.T_REF, "V_m": ref.V_INIT}
    cells = nest.Create(args.model, args.n, params=params)
    cells.set(I_e=(ref.currents(args.n) * 1000.0).tolist())
    recorder = nest.Create("spike_recorder")
    nest.Connect(cells, recorder)

    nest.Prepare()
    c0, w0 = time.process_time(), time.perf_counter()
    nest.Run(args.duration)
    c1, w1 = time.process_time(), time.perf_counter()
    nest.Cleanup()

    status = nest.GetKernelStatus()
    events = recorder.get("events")
    ids = np.asarray(events["senders"], dtype=np.int64) - cells[0].global_id
    times = np.asarray(events["times"], dtype=np.float64)
    return {
        "sim_s": c1 - c0, "sim_wall_s": w1 - w0,
        "run_s": float(np.max(status["time_simulate"])),
        "threads": status["local_num_threads"],
        "off_grid_spiking": bool(status["off_grid_spiking"]),
        "resolution_ms": status["resolution"],
        "version": nest.__version__,
    }, times, ids


def main(argv=None):
    args = parse_args(argv)
    with stdout_to_stderr():
        res, times, ids = run(args)
    sim = ref.split_by_cell(times, ids, args.n)
    errors = ref.spike_errors(sim, ref.reference(args.n, args.duration))
    result = {"simulator": "nest", "model": args.model,
              "method": "precise (off-grid)" if args.model.endswith("_ps") else "exact, grid",
              "dt_ms": args.dt, "n": args.n, "duration_ms": args.duration,
              "n_spikes": int(times.size), **res, **errors}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
