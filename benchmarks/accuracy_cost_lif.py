"""Accuracy versus cost on LIF cells: spike-time error against CPU time, lifnet, Brian2 and NEST.

The companion of ``accuracy_cost.py`` (RTM cells, lifnet and Brian2) with a
cell that all three simulators implement identically and whose spike times
are known exactly.  The network (``peers/lif_reference.py``): N = 1000
independent LIF cells, no synapses, cell i driven by the constant current
I_i = linspace(0.55, 1.5, N)[i] nA; C 0.5 nF, g_L 0.025 uS (tau_m 20 ms),
E_L -70 mV, V_th -50 mV, V_reset -60 mV, t_ref 2 ms, V(0) = -70 mV; 1000 ms.
Exact spike times: t_1 = tau ln((V_inf - V_0) / (V_inf - V_th)), then
period T = t_ref + tau ln((V_inf - V_reset) / (V_inf - V_th)), with
V_inf = E_L + I / g_L.

What is run, one run after another, each at dt = 0.1, 0.05, 0.025, 0.0125
and 0.00625 ms:

* lifnet (``PyrPop`` + ``CurrentClamp``; Heun steps, refractory period
  ending off the grid) with the default ``interpolation="hermite"`` (crossing
  on the cubic Hermite interpolant inside the step) and, as a contrast,
  ``interpolation="none"`` (spike at the end of the step: grid spikes, first
  order); in a fresh interpreter with one numba thread; a short run at each
  dt and interpolation compiles or loads the kernels first; the time is the
  CPU time (``time.process_time``) of ``Network.run`` (wall time recorded
  too);
* Brian2 2.9 cpp_standalone (``peers/lif_brian2.py``, one process per run),
  serial code (``--threads 0``: the binary times its main loop with
  ``std::clock``, CPU time; code generation and compilation excluded),
  method ``exact`` (the equation is linear: analytic update; spikes on the
  grid, recorded at the start of the step in which v crossed);
* NEST 3.10 (``peers/lif_nest.py``, one process per run, one thread):
  ``iaf_psc_exp`` (exact propagator, spikes and refractory period on the
  grid) and ``iaf_psc_exp_ps`` (precise spike timing: off-grid spikes and
  refractory period); the time is the CPU time of ``nest.Run`` after
  ``nest.Prepare``.

Error of a run (``lif_reference.spike_errors``, the same code in both
pythons): per cell, the largest |t_sim - t_exact| over its spikes if its
spike count equals the exact one, otherwise a *mismatch* (typically a spike
within the error of the end of the run).  Reported: maximum and median over
the matching cells, the number of mismatches, the maximum over all cells of
the error over the first min(n_sim, n_exact) spikes (*max error, all
cells*), and the mean signed error.

Writes ``benchmarks/results/accuracy-cost-lif-<date>-<host>.json``, ``.md``
(the table; the CPU time each needs for a given max error, interpolated
log-log between measured points) and ``.png`` (log-log: max error against
CPU time, one line per simulator and model, points labelled with dt).

Reproduce: python benchmarks/accuracy_cost_lif.py
(smaller: --n 20 --duration 100 --dts 0.1 0.025; --skip-peers for lifnet alone)
"""

import argparse
import json
import math
import os
import subprocess
import sys

from results_io import metadata, write

HERE = os.path.dirname(os.path.abspath(__file__))
PEERS = os.path.join(HERE, "peers")
sys.path.insert(0, PEERS)
import lif_reference as ref  # noqa: E402

PEER_PYTHON = os.path.join(HERE, ".peer-env", "bin", "python")
DTS = (0.1, 0.05, 0.025, 0.0125, 0.00625)
INTERPOLATIONS = ("hermite", "none")
NEST_MODELS = ("iaf_psc_exp", "iaf_psc_exp_ps")
ERROR_TARGETS = (1.0, 0.3, 0.1, 0.01, 1e-3, 1e-4, 1e-5, 1e-6)   # ms
MISMATCHES_LISTED = 3
ERROR_FLOOR = 1e-16   # ms; a zero error is drawn here on the log scale

LIFNET_WORKER = r"""
import json, sys, time
import numba
numba.set_num_threads(1)
import lifnet as ln
cfg = json.loads(sys.argv[1])
sys.path.insert(0, cfg["peers"])
import lif_reference as ref

def network(dt, interp, size):
    net = ln.Network(dt=dt, seed=1, interpolation=interp)
    cells = net.add(ln.PyrPop(size, name="E", C=ref.C, g_L=ref.G_L, E_L=ref.E_L,
                              V_th=ref.V_TH, V_reset=ref.V_RESET, t_ref=ref.T_REF,
                              V_init=ref.V_INIT))
    net.stimulate(cells, ln.CurrentClamp(amplitude=ref.currents(size)))
    return net

for interp in cfg["interps"]:      # compile (or load) the kernels outside the timing
    for dt in cfg["dts"]:
        network(dt, interp, 2).run(10.0)
exact = ref.reference(cfg["n"], cfg["duration"])
out = []
for interp in cfg["interps"]:
    for dt in cfg["dts"]:
        net = network(dt, interp, cfg["n"])
        c0, w0 = time.process_time(), time.perf_counter()
        spikes = net.run(cfg["duration"]).spikes("E")
        c1, w1 = time.process_time(), time.perf_counter()
        sim = ref.split_by_cell(spikes.times, spikes.ids, cfg["n"])
        out.append({"simulator": "lifnet", "model": "PyrPop", "method": f"heun, {interp}",
                    "interpolation": interp, "threads": 1, "dt_ms": dt,
                    "sim_s": c1 - c0, "sim_wall_s": w1 - w0,
                    "n_spikes": int(len(spikes.times)), "version": ln.__version__,
                    **ref.spike_errors(sim, exact)})
print(json.dumps(out))
"""


def run_json(cmd, env=None):
    """Run cmd; its last stdout line as JSON, or {"error": stderr tail}."""
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        return {"error": proc.stderr[-2000:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def rel(cmd):
    return " ".join(os.path.relpath(c, os.path.dirname(HERE)) if os.path.isabs(c) else c
                    for c in cmd)


def lifnet_runs(args):
    cfg = {"n": args.n, "duration": args.duration, "dts": args.dts,
           "interps": list(INTERPOLATIONS), "peers": PEERS}
    env = dict(os.environ, NUMBA_NUM_THREADS="1")
    print("lifnet ...", file=sys.stderr, flush=True)
    out = run_json([sys.executable, "-c", LIFNET_WORKER, json.dumps(cfg)], env)
    if isinstance(out, dict):     # the worker failed
        return [dict(out, simulator="lifnet", model="PyrPop", method=f"heun, {i}", dt_ms=dt)
                for i in INTERPOLATIONS for dt in args.dts]
    return out


def peer_runs(args):
    if not os.path.exists(PEER_PYTHON):
        subprocess.run(["bash", os.path.join(PEERS, "setup_env.sh")], check=True)
    common = ["--duration", repr(args.duration), "--n", str(args.n)]
    jobs = [("brian2", "LIF equations", "exact",
             [os.path.join(PEERS, "lif_brian2.py"), "--mode", "cpp_standalone",
              "--threads", "0", "--method", "exact"])]
    jobs += [("nest", model, None, [os.path.join(PEERS, "lif_nest.py"), "--model", model])
             for model in NEST_MODELS]
    runs = []
    for simulator, model, method, cmd in jobs:
        for dt in args.dts:
            full = [PEER_PYTHON, *cmd, "--dt", repr(dt), *common]
            print(f"{simulator} {model} dt={dt}", file=sys.stderr, flush=True)
            r = run_json(full)
            if "error" in r:
                r.update(simulator=simulator, model=model, method=method or "", dt_ms=dt)
                print(r["error"], file=sys.stderr)
            r["command"] = rel(full[1:])
            runs.append(r)
    return runs


def series_name(r):
    if r["simulator"] == "lifnet":
        return f"lifnet {r['method'].split(', ')[-1]}"
    if r["simulator"] == "brian2":
        return f"brian2 {r['method']}"
    return f"nest {r['model']}"


def series(results):
    """{name: runs with an error value, sorted by CPU time}."""
    out = {}
    for r in results:
        if "error" not in r and r.get("max_err_ms") is not None:
            out.setdefault(series_name(r), []).append(r)
    return {k: sorted(v, key=lambda r: r["sim_s"]) for k, v in out.items()}


def time_for_error(runs, target):
    """CPU time at which a series first reaches max error <= target (log-log interpolation
    between consecutive runs), as text: "" out of the measured range, "<= t" when its
    cheapest run already does."""
    pts = [(r["sim_s"], max(r["max_err_ms"], ERROR_FLOOR)) for r in runs]
    if pts and pts[0][1] <= target:
        return f"<= {pts[0][0]:.3g}"
    for (t0, e0), (t1, e1) in zip(pts, pts[1:], strict=False):
        if e0 > target >= e1:
            f = math.log(target / e0) / math.log(e1 / e0)
            return f"{math.exp(math.log(t0) + f * math.log(t1 / t0)):.3g}"
    return ""


def _fmt(x, spec):
    return "" if x is None else format(x, spec)


def markdown(results, args, n_ref_spikes):
    lines = ["| simulator | model / method | dt (ms) | CPU time (s) | max error (ms) | "
             "median error (ms) | mismatches | max error, all cells (ms) | "
             "mean signed error (ms) |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        what = r["model"] if r["simulator"] == "nest" else r["method"]
        if r["simulator"] == "brian2":
            what = f"LIF, {r['method']}"
        if "error" in r:
            lines.append(f"| {r['simulator']} | {what} | {r['dt_ms']:g} | failed | | | | | |")
            continue
        lines.append(f"| {r['simulator']} | {what} | {r['dt_ms']:g} | {r['sim_s']:.3g} | "
                     f"{_fmt(r['max_err_ms'], '.2e')} | {_fmt(r['median_err_ms'], '.2e')} | "
                     f"{r['mismatches']} | {_fmt(r['max_err_common_ms'], '.2e')} | "
                     f"{_fmt(r['mean_signed_err_ms'], '+.2e')} |")
    lines.append(
        f"\nN = {args.n} cells, {args.duration:g} ms, {n_ref_spikes} exact spikes; errors "
        "against the analytic spike times. Max/median error: over the cells whose spike count "
        "matches; mismatches: cells whose count differs; max error, all cells: over the first "
        "min(n_sim, n_exact) spikes of every cell. CPU time: lifnet one numba thread, "
        "time.process_time of Network.run; Brian2 cpp_standalone without OpenMP, std::clock "
        "of the main loop; NEST one thread, time.process_time of nest.Run after nest.Prepare.")
    mism = [f"{series_name(r)} dt {r['dt_ms']:g}: " + ", ".join(
        f"cell {m['cell']} {m['n_sim']} vs {m['n_ref']} (last at "
        f"{_fmt(m['last_sim_ms'], '.3f')} vs {_fmt(m['last_ref_ms'], '.3f')} ms)"
        for m in r["mismatch_details"][:MISMATCHES_LISTED])
        + (f", and {r['mismatches'] - MISMATCHES_LISTED} more"
           if r["mismatches"] > MISMATCHES_LISTED else "")
        for r in results if r.get("mismatch_details")]
    if mism:
        lines += ["", "Spike-count mismatches (n_sim vs n_exact, last spike sim vs exact; "
                  f"at most {MISMATCHES_LISTED} listed per run, 10 in the JSON):", ""]
        lines += [f"* {m}" for m in mism]
    ser = series(results)
    if ser:
        names = list(ser)
        lines += ["", "CPU time (s) to reach a max error (log-log interpolation between runs; "
                  "blank: outside the measured range):", "",
                  "| max error (ms) | " + " | ".join(names) + " |",
                  "|---" * (len(names) + 1) + "|"]
        for e in ERROR_TARGETS:
            lines.append(f"| {e:g} | " + " | ".join(time_for_error(ser[k], e) for k in names)
                         + " |")
    return "\n".join(lines)


def plot(results, path, title):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 6))
    markers = {"lifnet hermite": "o", "lifnet none": "v", "brian2 exact": "s",
               "nest iaf_psc_exp": "^", "nest iaf_psc_exp_ps": "D"}
    styles = {"lifnet none": "--"}
    for name, runs in series(results).items():
        runs = sorted(runs, key=lambda r: r["dt_ms"], reverse=True)
        x = [r["sim_s"] for r in runs]
        y = [max(r["max_err_ms"], ERROR_FLOOR) for r in runs]
        (line,) = ax.plot(x, y, marker=markers.get(name, "x"), ls=styles.get(name, "-"),
                          label=name)
        ax.plot(x, [max(r["median_err_ms"], ERROR_FLOOR) for r in runs], ls=":",
                color=line.get_color(), alpha=0.6)
        for r, yy in zip(runs, y, strict=True):
            label = f"{r['dt_ms']:g}"
            if r["mismatches"]:
                label += f" ({r['mismatches']})"
            ax.annotate(label, (r["sim_s"], yy), textcoords="offset points", xytext=(5, 4),
                        fontsize=7, color=line.get_color())
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("simulation CPU time (s), one thread")
    ax.set_ylabel("max spike-time error (ms)")
    ax.set_title(title, fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(title="solid/dashed: max, dotted: median; labels: dt (ms) (mismatches)",
              fontsize=8, title_fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000, help="number of cells")
    ap.add_argument("--duration", type=float, default=1000.0, help="ms")
    ap.add_argument("--dts", type=float, nargs="+", default=list(DTS), help="ms")
    ap.add_argument("--skip-peers", action="store_true", help="lifnet alone")
    args = ap.parse_args()
    if args.n < 1 or args.duration <= 0 or min(args.dts) <= 0:
        ap.error("need --n >= 1, --duration > 0 and every dt > 0")

    results = lifnet_runs(args)
    if not args.skip_peers:
        results += peer_runs(args)
    exact = ref.reference(args.n, args.duration)
    n_ref_spikes = int(sum(s.size for s in exact))
    meta = metadata("accuracy_cost_lif.py", n=args.n, duration_ms=args.duration,
                    i_range_nA=ref.I_RANGE, C_nF=ref.C, g_L_uS=ref.G_L, E_L_mV=ref.E_L,
                    V_th_mV=ref.V_TH, V_reset_mV=ref.V_RESET, t_ref_ms=ref.T_REF,
                    V_init_mV=ref.V_INIT, n_exact_spikes=n_ref_spikes,
                    reference="analytic (peers/lif_reference.py)")
    md = markdown(results, args, n_ref_spikes)
    base = write("accuracy-cost-lif", meta, {"results": results},
                 "Accuracy versus cost, LIF cells (lifnet, Brian2, NEST)", md)
    plot(results, base + ".png",
         f"{args.n} LIF cells, {args.duration:g} ms: spike-time error vs CPU time "
         f"({meta['host']}, {meta['date'][:10]})")
    print(f"wrote {base}.png")


if __name__ == "__main__":
    main()
