"""NEST peer of the AdEx benchmark (``benchmarks/adex.py``): Naud et al. (2008)'s firing patterns.

One NEST ``aeif_cond_exp`` cell per pattern (``--pattern NAME``, or all four
by default), each driven by the constant current ``I_e`` of its pattern, no
synaptic input (the conductances stay zero); V_m(0) = E_L, w(0) = 0,
V_peak 0 mV, t_ref 0 ms; ``--duration`` (500 ms) at resolution ``--dt``
(0.1 ms), one thread (``local_num_threads`` 1), NEST's default integrator
settings (GSL rkf45, ``gsl_error_tol`` 1e-6).  The cells are independent,
so the patterns share one kernel and one simulation.

The parameters (``NAUD``, Naud et al. 2008, Table 1) are in NEST's own units
(pF, nS, mV, ms, pA), so they pass unconverted; ``adex.py`` imports the table
from here and converts it to lifnet's (nF, uS, nA).

Spike times: NEST integrates each step with adaptive substeps, resets V and
increments w within the step at the substep where V passed V_peak, but
stamps the spike at the end of that step (the grid), so a recorded time is
up to one resolution step later than the crossing.  They are the spike
recorder's ``times`` in ms.

Output: one line of JSON on stdout (NEST's banner and messages go to stderr):
``{"simulator": "nest", "model": "aeif_cond_exp", "version", "dt_ms",
"duration_ms", "resolution_ms", "threads", "gsl_error_tol", "spikes":
{pattern: [times]}}``.

Example: benchmarks/.peer-env/bin/python benchmarks/peers/adex_nest.py
--pattern tonic --dt 0.05
"""

import argparse
import json
import os

import numpy as np
from coba_common import reset_kernel, stdout_to_stderr

MODEL = "aeif_cond_exp"
# Naud et al. (2008), Table 1, as tests/test_adex.py: C (pF), g_L (nS), E_L, V_T, Delta_T (mV),
# a (nS), tau_w (ms), b (pA), V_reset (mV), I (pA).
NAUD = {
    "tonic": (200, 10, -70, -50, 2, 2, 30, 0, -58, 500),
    "adapting": (200, 12, -70, -50, 2, 2, 300, 60, -58, 500),
    "initial burst": (130, 18, -58, -50, 2, 4, 150, 120, -50, 400),
    "regular bursting": (200, 10, -58, -50, 2, 2, 120, 100, -46, 210),
}
NAUD_FIELDS = ("C", "g_L", "E_L", "V_T", "Delta_T", "a", "tau_w", "b", "V_reset", "I")
V_PEAK = 0.0    # mV
T_REF = 0.0     # ms


def naud(pattern):
    """The pattern's row of ``NAUD`` as a dict (pF, nS, mV, ms, pA)."""
    return dict(zip(NAUD_FIELDS, NAUD[pattern], strict=True))


def nest_params(pattern):
    """``aeif_cond_exp`` parameters and initial state of the pattern's cell, NEST's units."""
    p = naud(pattern)
    return {"C_m": float(p["C"]), "g_L": float(p["g_L"]), "E_L": float(p["E_L"]),
            "V_th": float(p["V_T"]), "Delta_T": float(p["Delta_T"]), "a": float(p["a"]),
            "tau_w": float(p["tau_w"]), "b": float(p["b"]), "V_reset": float(p["V_reset"]),
            "V_peak": V_PEAK, "t_ref": T_REF, "I_e": float(p["I"]),
            "V_m": float(p["E_L"]), "w": 0.0}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pattern", choices=list(NAUD), action="append",
                        help="a pattern of Naud et al. (2008); repeat for several "
                             "(default: all four)")
    parser.add_argument("--dt", type=float, default=0.1, help="resolution, ms (default 0.1)")
    parser.add_argument("--duration", type=float, default=500.0, help="ms (default 500)")
    args = parser.parse_args(argv)
    if args.dt <= 0 or args.duration <= 0:
        parser.error("need --dt > 0 and --duration > 0")
    args.pattern = args.pattern or list(NAUD)
    return args


def run(args):
    """Simulate one cell per pattern; NEST's facts and {pattern: spike times (ms)}."""
    os.environ.setdefault("PYNEST_QUIET", "1")
    import nest

    reset_kernel(nest)
    nest.set(local_num_threads=1, resolution=args.dt)
    cells, recorders = {}, {}
    for pattern in args.pattern:
        cells[pattern] = nest.Create(MODEL, params=nest_params(pattern))
        recorders[pattern] = nest.Create("spike_recorder")
        nest.Connect(cells[pattern], recorders[pattern])
    nest.Simulate(args.duration)

    status = nest.GetKernelStatus()
    spikes = {pattern: np.sort(np.asarray(rec.get("events")["times"], dtype=np.float64))
              for pattern, rec in recorders.items()}
    first = cells[args.pattern[0]]
    return {"version": nest.__version__, "resolution_ms": status["resolution"],
            "threads": status["local_num_threads"],
            "gsl_error_tol": first.get("gsl_error_tol")}, spikes


def main(argv=None):
    args = parse_args(argv)
    with stdout_to_stderr():
        facts, spikes = run(args)
    print(json.dumps({"simulator": "nest", "model": MODEL, "dt_ms": args.dt,
                      "duration_ms": args.duration, **facts,
                      "spikes": {k: v.tolist() for k, v in spikes.items()}}))


if __name__ == "__main__":
    main()
