"""Accuracy versus cost: spike-time error against CPU time, lifnet, Brian2 and NEURON, several dt.

The network: N = 1000 independent reduced Traub-Miles (RTM) cells, no
synapses; cell i gets a constant current I_i = linspace(0.3, 2.0, N)[i]
(uA/cm^2, which is nA in lifnet's units for 1e-3 cm^2), for 500 ms; v
starts at -65 mV with h and n at their steady state there. A spike is an
upward crossing of -20 mV. (Equations: ``peers/rtm_brian2.py``.)

What is measured, in one invocation, one run after another:

* reference: for K = 20 cells (``reference_indices``: evenly spaced from 0 to
  N - 1) the same ODE solved by scipy ``solve_ivp`` (DOP853, rtol = atol =
  1e-12) with an event at v = -20 mV (direction +1), located on the dense
  output; computed once per invocation, before any timed run, and kept in
  memory;
* lifnet (``RTMPop``, method "auto": Heun with exponential steps for fast
  gates and substeps in spikes; crossings interpolated inside the step) at
  dt = 0.1, 0.05, 0.025, 0.0125, 0.00625 ms, in a fresh interpreter with one
  numba thread (NUMBA_NUM_THREADS=1); a tiny run at each dt compiles or loads
  the kernels first; the time is that of ``Network.run``, CPU time
  (``time.process_time``; wall time recorded too);
* Brian2 2.9 cpp_standalone, serial code (``--threads 0``: no OpenMP, the
  binary times its main loop with ``std::clock``, i.e. CPU time; code
  generation and compilation excluded), from ``benchmarks/.peer-env``
  (``peers/rtm_brian2.py``, one process per run): exponential_euler at
  dt = 0.05 ... 0.003125 ms and rk2 (midpoint) at dt <= 0.0125 ms (at 0.025
  ms its spike upstroke is unstable and produces extra spikes). Brian2
  records a spike at the start of the step in which v crossed, on the grid;
  its times are compared as they come.
* NEURON (``neuron`` from PyPI, in the same environment;
  ``peers/rtm_neuron.py``, one process per run): one single-compartment
  soma per cell with the NMODL mechanisms of ``peers/rtm_neuron/`` (h and n
  by cnexp; m = m_inf of the v at the step's start, see ``na_rtm.mod``) and
  an IClamp, fixed step, ``implicit`` (backward Euler, secondorder = 0) and
  ``cn`` (Crank-Nicolson, secondorder = 2) at dt = 0.1 ... 0.00625 ms, one
  thread; the time is the CPU time (``time.process_time``) of
  ``finitialize`` and ``continuerun``.  A NetCon with threshold -20 mV
  records a spike at the end of the step in which v crossed, on the grid;
  compared as it comes.  A setting that fails is kept with its error
  message.

Error of a run: for each reference cell, the largest |t_sim - t_ref| over
its spikes; if the cell's spike count differs from the reference, NaN for
that cell and one *mismatch*. Reported: the maximum over cells (*max
error*), the median over cells (*median error*), the number of mismatches,
and the mean signed error t_sim - t_ref over all compared spikes (bias).

Writes ``benchmarks/results/accuracy-cost-<date>-<host>.json``, ``.md`` (the
table, and the CPU time each needs for a given error and the error each
reaches in a given time, interpolated log-log between measured points) and
``.png`` (log-log: CPU time against max error, one line per simulator and
method, points labelled with dt).

Reproduce: python benchmarks/accuracy_cost.py
(smaller: --n 50 --duration 100 --lifnet-dts 0.05 0.025 --brian-ee-dts 0.05 0.025
--brian-rk2-dts 0.0125 --neuron-dts 0.025; --skip-peers for lifnet alone)
"""

import argparse
import functools
import json
import math
import os
import subprocess
import sys

import numpy as np
from results_io import metadata, write

HERE = os.path.dirname(os.path.abspath(__file__))
PEER_PYTHON = os.path.join(HERE, ".peer-env", "bin", "python")
PEER_SCRIPT = os.path.join(HERE, "peers", "rtm_brian2.py")
NEURON_SCRIPT = os.path.join(HERE, "peers", "rtm_neuron.py")

I_RANGE = (0.3, 2.0)    # nA (uA/cm^2), first and last cell
V_INIT = -65.0          # mV
V_SPIKE = -20.0         # mV
RTOL = ATOL = 1e-12     # reference solver
LIFNET_DTS = (0.1, 0.05, 0.025, 0.0125, 0.00625)
BRIAN_EE_DTS = (0.05, 0.025, 0.0125, 0.00625, 0.003125)
BRIAN_RK2_DTS = (0.0125, 0.00625, 0.003125)
NEURON_METHODS = ("implicit", "cn")
NEURON_DTS = (0.1, 0.05, 0.025, 0.0125, 0.00625)
ERROR_TARGETS = (3.0, 1.0, 0.3, 0.1, 0.03, 0.01)   # ms
TIME_TARGETS = (0.3, 1.0, 3.0, 10.0, 30.0)      # s

LIFNET_WORKER = r"""
import json, sys, time
import numba
numba.set_num_threads(1)
import numpy as np
import lifnet as ln
cfg = json.loads(sys.argv[1])
n, duration, ref = cfg["n"], cfg["duration"], cfg["ref_ids"]
currents = np.linspace(cfg["i_range"][0], cfg["i_range"][1], n)

def network(dt, size, amplitude):
    net = ln.Network(dt=dt, seed=1)
    cells = net.add(ln.RTMPop(size, name="E", V_init=cfg["v_init"]))
    net.stimulate(cells, ln.CurrentClamp(amplitude=amplitude))
    return net

for dt in cfg["dts"]:       # compile (or load) the kernels outside the timing
    network(dt, 2, 1.0).run(1.0)
out = []
for dt in cfg["dts"]:
    net = network(dt, n, currents)
    c0, w0 = time.process_time(), time.perf_counter()
    spikes = net.run(duration).spikes("E")
    c1, w1 = time.process_time(), time.perf_counter()
    out.append({"simulator": "lifnet", "mode": "numba", "method": "auto", "threads": 1,
                "dt_ms": dt, "sim_s": c1 - c0, "sim_wall_s": w1 - w0,
                "n_spikes": int(len(spikes.times)),
                "ref_spikes": [np.sort(spikes.of(i)).tolist() for i in ref],
                "version": ln.__version__})
print(json.dumps(out))
"""


def reference_indices(n, k):
    """K evenly spaced cell indices from 0 to n - 1 (the same rule as peers/rtm_brian2.py)."""
    return np.unique(np.round(np.linspace(0, n - 1, min(k, n))).astype(np.int64))


def _vtrap(x, k):
    """x / (1 - exp(-x / k)), with its limit k at x = 0."""
    return k if abs(x) < 1e-9 else x / -math.expm1(-x / k)


def rtm_rates(v):
    """a_m, b_m, a_h, b_h, a_n, b_n of the RTM cell (1/ms) at v (mV)."""
    return (0.32 * _vtrap(v + 54.0, 4.0), 0.28 * _vtrap(-(v + 27.0), 5.0),
            0.128 * math.exp(-(v + 50.0) / 18.0), 4.0 / (1.0 + math.exp(-(v + 27.0) / 5.0)),
            0.032 * _vtrap(v + 52.0, 5.0), 0.5 * math.exp(-(v + 57.0) / 40.0))


def rtm_rhs(t, y, current):
    v, h, n = y
    a_m, b_m, a_h, b_h, a_n, b_n = rtm_rates(v)
    m = a_m / (a_m + b_m)
    dv = (current - 100.0 * m**3 * h * (v - 50.0) - 80.0 * n**4 * (v + 100.0)
          - 0.1 * (v + 67.0))          # C = 1
    return [dv, a_h * (1.0 - h) - b_h * h, a_n * (1.0 - n) - b_n * n]


def _crossing(t, y, current):
    return y[0] - V_SPIKE


_crossing.direction = 1.0


@functools.lru_cache(maxsize=None)
def reference(n, k, duration):
    """Spike times (ms) of the reference cells by solve_ivp: (ids, list of arrays)."""
    from scipy.integrate import solve_ivp

    _, _, a_h, b_h, a_n, b_n = rtm_rates(V_INIT)
    y0 = [V_INIT, a_h / (a_h + b_h), a_n / (a_n + b_n)]
    currents = np.linspace(*I_RANGE, n)
    ids = reference_indices(n, k)
    spikes = []
    for i in ids:
        sol = solve_ivp(rtm_rhs, (0.0, duration), y0, method="DOP853", rtol=RTOL, atol=ATOL,
                        events=_crossing, args=(float(currents[i]),))
        if sol.status != 0:
            raise RuntimeError(f"reference of cell {i} failed: {sol.message}")
        spikes.append(np.asarray(sol.t_events[0]))
    return ids, spikes


def spike_errors(sim, ref, ids):
    """Per-cell max |t_sim - t_ref| (NaN on a spike-count mismatch) and their summary."""
    per_cell, signed, details = [], [], []
    for i, s, r in zip(ids, sim, ref, strict=True):
        s = np.asarray(s, dtype=np.float64)
        if s.size != r.size:
            per_cell.append(math.nan)
            details.append({"cell": int(i), "n_sim": int(s.size), "n_ref": int(r.size),
                            "last_sim_ms": float(s[-1]) if s.size else None,
                            "last_ref_ms": float(r[-1]) if r.size else None})
            continue
        diff = s - r
        per_cell.append(float(np.max(np.abs(diff))) if diff.size else 0.0)
        signed.extend(diff.tolist())
    arr = np.array(per_cell)
    ok = ~np.isnan(arr)
    return {"max_err_ms": float(np.max(arr[ok])) if ok.any() else None,
            "median_err_ms": float(np.median(arr[ok])) if ok.any() else None,
            "mismatches": int(np.count_nonzero(~ok)), "mismatch_details": details,
            "mean_signed_err_ms": float(np.mean(signed)) if signed else None,
            "cell_max_err_ms": [None if math.isnan(x) else x for x in per_cell]}


def run_json(cmd, env=None):
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        return {"error": proc.stderr[-2000:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def lifnet_runs(args, ref_ids):
    cfg = {"n": args.n, "duration": args.duration, "dts": args.lifnet_dts,
           "ref_ids": ref_ids.tolist(), "i_range": I_RANGE, "v_init": V_INIT}
    env = dict(os.environ, NUMBA_NUM_THREADS="1")
    out = run_json([sys.executable, "-c", LIFNET_WORKER, json.dumps(cfg)], env)
    if isinstance(out, dict):     # the worker failed
        return [dict(out, simulator="lifnet", method="auto", dt_ms=dt) for dt in args.lifnet_dts]
    return out


def ensure_peer_env():
    if not os.path.exists(PEER_PYTHON):
        subprocess.run(["bash", os.path.join(HERE, "peers", "setup_env.sh")], check=True)


def _command_text(cmd):
    return " ".join(os.path.relpath(c, os.path.dirname(HERE)) if os.path.isabs(c) else c
                    for c in cmd[1:])


def brian2_runs(args):
    ensure_peer_env()
    runs = []
    for method, dts in (("exponential_euler", args.brian_ee_dts), ("rk2", args.brian_rk2_dts)):
        for dt in dts:
            cmd = [PEER_PYTHON, PEER_SCRIPT, "--mode", "cpp_standalone", "--threads", "0",
                   "--method", method, "--dt", repr(dt), "--duration", repr(args.duration),
                   "--n", str(args.n), "--k", str(args.k)]
            print(f"brian2 {method} dt={dt}", file=sys.stderr, flush=True)
            r = run_json(cmd)
            if "error" in r:
                r.update(simulator="brian2", mode="cpp_standalone", method=method, dt_ms=dt)
            r["command"] = _command_text(cmd)
            runs.append(r)
    return runs


def neuron_runs(args):
    """NEURON fixed-step runs, one process each; a failed one is kept with its error."""
    ensure_peer_env()
    runs = []
    for method in NEURON_METHODS:
        for dt in args.neuron_dts:
            cmd = [PEER_PYTHON, NEURON_SCRIPT, "--method", method, "--dt", repr(dt),
                   "--duration", repr(args.duration), "--n", str(args.n), "--k", str(args.k)]
            print(f"neuron {method} dt={dt}", file=sys.stderr, flush=True)
            r = run_json(cmd)
            if "error" in r:
                r.update(simulator="neuron", mode="fixed_step", method=method, dt_ms=dt)
            r["command"] = _command_text(cmd)
            runs.append(r)
    return runs


def series_name(r):
    return "lifnet auto" if r["simulator"] == "lifnet" else f"{r['simulator']} {r['method']}"


def series(results):
    """{name: runs with an error value, sorted by CPU time}."""
    out = {}
    for r in results:
        if "error" not in r and r.get("max_err_ms") is not None:
            out.setdefault(series_name(r), []).append(r)
    return {k: sorted(v, key=lambda r: r["sim_s"]) for k, v in out.items()}


def _loglog(x0, y0, x1, y1, x):
    """y at x on the straight line through (x0, y0), (x1, y1) in log-log."""
    f = (math.log(x) - math.log(x0)) / (math.log(x1) - math.log(x0))
    return math.exp(math.log(y0) + f * (math.log(y1) - math.log(y0)))


def time_for_error(runs, target):
    """CPU time at which a series first reaches max error <= target, as text: "" out of
    the measured range, "<= t" when its cheapest run already does."""
    pts = [(r["sim_s"], r["max_err_ms"]) for r in runs]
    if pts and pts[0][1] <= target:
        return f"<= {pts[0][0]:.3g}"
    for (t0, e0), (t1, e1) in zip(pts, pts[1:], strict=False):
        if e0 > target >= e1 and e1 > 0:
            return f"{_loglog(e0, t0, e1, t1, target):.3g}"
    return ""


def error_at_time(runs, target):
    """Max error a series reaches in CPU time target (None: out of the measured range)."""
    pts = [(r["sim_s"], r["max_err_ms"]) for r in runs]
    for (t0, e0), (t1, e1) in zip(pts, pts[1:], strict=False):
        if t0 <= target <= t1 and min(e0, e1) > 0:
            return _loglog(t0, e0, t1, e1, target)
    return None


def _fmt(x, spec):
    return "" if x is None else format(x, spec)


def markdown(results, n_ref, ref_count, args):
    lines = ["| simulator | method | dt (ms) | sim CPU time (s) | max error (ms) | "
             "median error (ms) | mismatches | mean signed error (ms) |",
             "|---|---|---|---|---|---|---|---|"]
    for r in results:
        if "error" in r:
            lines.append(f"| {r['simulator']} | {r['method']} | {r['dt_ms']:g} | failed | | | | |")
            continue
        lines.append(f"| {r['simulator']} | {r['method']} | {r['dt_ms']:g} | {r['sim_s']:.3f} | "
                     f"{_fmt(r['max_err_ms'], '.2e')} | {_fmt(r['median_err_ms'], '.2e')} | "
                     f"{r['mismatches']} | "
                     f"{_fmt(r['mean_signed_err_ms'], '+.2e')} |")
    lines.append(f"\nN = {args.n} cells, {args.duration:g} ms; errors over the "
                 f"{n_ref} reference cells "
                 f"({ref_count} reference spikes). lifnet: one numba thread, "
                 "time.process_time of Network.run; Brian2: cpp_standalone without OpenMP, "
                 "std::clock of the main loop; NEURON: fixed step, one thread, "
                 "time.process_time of finitialize and continuerun.")
    mism = [f"{series_name(r)} dt {r['dt_ms']:g}: " + ", ".join(
        f"cell {m['cell']} {m['n_sim']} spikes vs {m['n_ref']} (last at "
        f"{_fmt(m['last_sim_ms'], '.3f')} vs {_fmt(m['last_ref_ms'], '.3f')} ms)"
        for m in r["mismatch_details"]) for r in results if r.get("mismatch_details")]
    if mism:
        lines += ["", "Spike-count mismatches (simulator vs reference):", ""]
        lines += [f"* {m}" for m in mism]
    ser = series(results)
    if ser:
        names = list(ser)
        lines += ["", "CPU time (s) to reach a max error (log-log interpolation between "
                  "runs; a run's max error is over the cells whose spike count matches; "
                  "blank: outside the measured range):", "",
                  "| max error (ms) | " + " | ".join(names) + " |",
                  "|---" * (len(names) + 1) + "|"]
        for e in ERROR_TARGETS:
            lines.append(f"| {e:g} | " + " | ".join(
                time_for_error(ser[k], e) for k in names) + " |")
        lines += ["", "Max error (ms) reached in a CPU time:", "",
                  "| CPU time (s) | " + " | ".join(names) + " |",
                  "|---" * (len(names) + 1) + "|"]
        for t in TIME_TARGETS:
            lines.append(f"| {t:g} | " + " | ".join(
                _fmt(error_at_time(ser[k], t), ".2e") for k in names) + " |")
    return "\n".join(lines)


def plot(results, path, title):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 5.5))
    groups = {}
    for r in results:
        if "error" not in r and r.get("max_err_ms") is not None:
            groups.setdefault(series_name(r), []).append(r)
    markers = {"lifnet auto": "o", "brian2 exponential_euler": "s", "brian2 rk2": "^",
               "neuron implicit": "v", "neuron cn": "P"}
    for name, runs in groups.items():
        runs = sorted(runs, key=lambda r: r["dt_ms"], reverse=True)
        x = [r["sim_s"] for r in runs]
        y = [r["max_err_ms"] for r in runs]
        (line,) = ax.plot(x, y, marker=markers.get(name, "D"), label=name)
        ax.plot(x, [r["median_err_ms"] for r in runs], ls=":", color=line.get_color(),
                alpha=0.6)
        for r in runs:
            label = f"{r['dt_ms']:g}"
            if r["mismatches"]:
                label += f" ({r['mismatches']} mism.)"
            ax.annotate(label, (r["sim_s"], r["max_err_ms"]), textcoords="offset points",
                        xytext=(5, -11) if name == "neuron cn" else (5, 4), fontsize=8,
                        color=line.get_color())   # neuron cn: below, off neuron implicit's
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("simulation CPU time (s), one thread")
    ax.set_ylabel("max spike-time error over reference cells (ms)")
    ax.set_title(title, fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(title="solid: max, dotted: median; labels: dt (ms)", fontsize=9,
              title_fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000, help="number of cells")
    ap.add_argument("--k", type=int, default=20, help="number of reference cells")
    ap.add_argument("--duration", type=float, default=500.0, help="ms")
    ap.add_argument("--lifnet-dts", type=float, nargs="*", default=list(LIFNET_DTS))
    ap.add_argument("--brian-ee-dts", type=float, nargs="*", default=list(BRIAN_EE_DTS))
    ap.add_argument("--brian-rk2-dts", type=float, nargs="*", default=list(BRIAN_RK2_DTS))
    ap.add_argument("--neuron-dts", type=float, nargs="*", default=list(NEURON_DTS),
                    help="NEURON dt values (ms), for each of its methods (implicit, cn)")
    ap.add_argument("--skip-peers", action="store_true")
    args = ap.parse_args()
    if args.n < 1 or args.k < 1 or args.duration <= 0:
        ap.error("need --n >= 1, --k >= 1 and --duration > 0")

    print("reference (solve_ivp DOP853) ...", file=sys.stderr, flush=True)
    ref_ids, ref_spikes = reference(args.n, args.k, args.duration)
    print("lifnet ...", file=sys.stderr, flush=True)
    results = lifnet_runs(args, ref_ids)
    if not args.skip_peers:
        results += brian2_runs(args)
        results += neuron_runs(args)
    for r in results:
        if "error" not in r:
            if r.get("ref_ids", ref_ids.tolist()) != ref_ids.tolist():
                raise RuntimeError(f"{series_name(r)}: other reference cells {r['ref_ids']}")
            r.update(spike_errors(r["ref_spikes"], ref_spikes, ref_ids))

    meta = metadata("accuracy_cost.py", n=args.n, k=len(ref_ids), duration_ms=args.duration,
                    i_range_nA=I_RANGE, v_init_mV=V_INIT, v_spike_mV=V_SPIKE,
                    reference=f"scipy solve_ivp DOP853 rtol={RTOL:g} atol={ATOL:g}")
    ref_count = int(sum(s.size for s in ref_spikes))
    md = markdown(results, len(ref_ids), ref_count, args)
    payload = {"reference": {"ids": ref_ids.tolist(),
                             "spikes": [s.tolist() for s in ref_spikes]},
               "results": results}
    base = write("accuracy-cost", meta, payload,
                 "Accuracy versus cost, RTM cells (lifnet vs Brian2 vs NEURON)", md)
    plot(results, base + ".png",
         f"{args.n} RTM cells, {args.duration:g} ms: spike-time error vs CPU time "
         f"({meta['host']}, {meta['date'][:10]})")
    print(f"wrote {base}.png")


if __name__ == "__main__":
    main()
