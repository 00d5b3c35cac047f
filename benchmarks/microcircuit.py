"""The Potjans & Diesmann (2014) microcircuit in NEST and in lifnet, one after the other.

Each simulator runs in a process of its own (NEST's from the peers' environment,
``peers/microcircuit_nest.py``; lifnet's from this interpreter), on the same
specification: scale, k_scale, background, dt 0.1 ms, a transient that is
discarded, then ``--t-sim`` ms timed. For each: build time (network made and
synapses drawn; lifnet's includes its assembly, which NEST does in Prepare, so
NEST's Prepare is added to its build), simulation time, real-time factor
(simulation seconds per simulated second), peak RSS, and per-population rates
and CVs (with ``--record``). Each simulator draws its own network from its own
seed, so rates are compared as means over ``--seeds``.

Usage::

    python benchmarks/microcircuit.py --scale 0.1 --k-scale 0.1 --background poisson \\
        --seeds 1 2 3 --threads 1 2 --record
    python benchmarks/microcircuit.py --scale 1 --k-scale 1 --background dc --t-sim 1000 \\
        --threads 1 2          # full scale: NEST needs about 12 GB, lifnet more time

Results: benchmarks/results/microcircuit-<date>-<host>.json and .md.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import results_io  # noqa: E402

POPS = ("L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I")
PEER_PYTHON = os.path.join(HERE, ".peer-env", "bin", "python")


def _cv(ids, times):
    order = np.lexsort((times, ids))
    ids, times = ids[order], times[order]
    edges = np.flatnonzero(np.diff(ids)) + 1
    cvs = []
    for t in np.split(times, edges):
        if t.size >= 3:
            isi = np.diff(t)
            cvs.append(isi.std() / isi.mean())
    return (float(np.mean(cvs)) if cvs else None), len(cvs)


def lifnet_child(args):
    """Build and run lifnet's microcircuit in this process; print one JSON line."""
    import lifnet as ln

    t0 = time.perf_counter()
    net = ln.models.potjans_diesmann(scale=args.scale, k_scale=args.k_scale,
                                     background=args.background, seed=args.seed)
    n_syn = sum(p.synapses.n_synapses for p in net.projections)
    net.run(0.1, threads=args.threads)   # assembly (and compile, if not cached)
    build = time.perf_counter() - t0
    rss_build = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    net.run(args.t_presim - 0.1, threads=args.threads)
    cpu0 = time.process_time()
    t1 = time.perf_counter()
    result = net.run(args.t_sim, threads=args.threads)
    sim = time.perf_counter() - t1
    cpu = time.process_time() - cpu0
    out = {"simulator": "lifnet", "version": ln.__version__, "threads": args.threads,
           "seed": args.seed, "n_neurons": sum(net.population(p).n for p in POPS),
           "n_synapses": int(n_syn), "build_s": build, "sim_s": sim, "sim_cpu_s": cpu,
           "real_time_factor": sim / (args.t_sim / 1000.0),
           "peak_rss_build_mb": rss_build,
           "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
           "populations": {}}
    for name in POPS:
        spikes = result.spikes(name)
        late = spikes.times > args.t_presim
        n = net.population(name).n
        cv, n_cv = _cv(spikes.ids[late], spikes.times[late])
        out["populations"][name] = {"n": n, "rate_hz": late.sum() / n / (args.t_sim / 1e3),
                                    "cv_isi_mean": cv, "n_cv_cells": n_cv}
    print(json.dumps(out))


def _run(cmd):
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-3000:])
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=0.1)
    ap.add_argument("--k-scale", type=float, default=0.1)
    ap.add_argument("--background", choices=("poisson", "dc"), default="poisson")
    ap.add_argument("--seeds", type=int, nargs="+", default=[1])
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--t-presim", type=float, default=100.0, help="transient, ms")
    ap.add_argument("--t-sim", type=float, default=1000.0, help="timed, ms")
    ap.add_argument("--record", action="store_true", help="NEST: record spikes (rates)")
    ap.add_argument("--skip-nest", action="store_true")
    ap.add_argument("--child", choices=("lifnet",), help=argparse.SUPPRESS)
    ap.add_argument("--seed", type=int, default=1, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        args.threads = args.threads[0]
        return lifnet_child(args)
    common = ["--scale", str(args.scale), "--k-scale", str(args.k_scale), "--background",
              args.background, "--t-presim", str(args.t_presim), "--t-sim", str(args.t_sim)]
    # lifnet's kernels compiled once, before any timing (a cold start is measured by
    # benchmarks/cold_start.py, not here).
    for threads in args.threads:      # (the second thread's kernel is compiled apart)
        _run([sys.executable, __file__, "--child", "lifnet", "--scale", "0.1", "--k-scale",
              "0.01", "--background", args.background, "--t-presim", "1", "--t-sim", "1",
              "--threads", str(threads)])
    runs = []
    for seed in args.seeds:
        for threads in args.threads:
            if not args.skip_nest:
                cmd = [PEER_PYTHON, os.path.join(HERE, "peers", "microcircuit_nest.py"),
                       *common, "--seed", str(seed), "--threads", str(threads)]
                row = _run(cmd + (["--record"] if args.record else []))
                row["simulator"] = "NEST"
                row["build_s"] = row["build_s"] + row.get("prepare_s", 0.0)
                runs.append(row)
                print(f"NEST   seed {seed} threads {threads}: build {row['build_s']:.1f} s, "
                      f"sim {row['sim_s']:.1f} s, RSS {row['peak_rss_mb']:.0f} MB", flush=True)
            row = _run([sys.executable, __file__, "--child", "lifnet", *common, "--seed",
                        str(seed), "--threads", str(threads)])
            runs.append(row)
            print(f"lifnet seed {seed} threads {threads}: build {row['build_s']:.1f} s, "
                  f"sim {row['sim_s']:.1f} s, RSS {row['peak_rss_mb']:.0f} MB", flush=True)
    meta = results_io.metadata("microcircuit.py", scale=args.scale, k_scale=args.k_scale,
                               background=args.background, t_sim=args.t_sim,
                               load=os.getloadavg())
    name = f"microcircuit-scale{args.scale:g}-{args.background}"
    results_io.write(name + ("-lifnet" if args.skip_nest else ""), meta,
                     {"runs": runs}, "Potjans & Diesmann microcircuit, NEST vs lifnet",
                     _markdown(runs, args))


def _markdown(runs, args):
    lines = [f"Scale {args.scale:g} (cells), k_scale {args.k_scale:g} (in-degrees), "
             f"{args.background} background, dt 0.1 ms, {args.t_presim:g} ms transient, "
             f"{args.t_sim:g} ms timed. Real-time factor: simulation wall time per "
             "simulated second. lifnet uses at most two threads: with two, the second "
             "takes half of each population of 512 cells or more.", "",
             "| simulator | threads | seed | build (s) | sim (s) | sim CPU (s) | RTF | "
             "peak RSS (MB) |", "|---|---|---|---|---|---|---|---|"]
    for r in runs:
        lines.append(f"| {r['simulator']} | {r['threads']} | {r['seed']} | {r['build_s']:.2f} | "
                     f"{r['sim_s']:.2f} | {r.get('sim_cpu_s', float('nan')):.2f} | "
                     f"{r['real_time_factor']:.2f} | {r['peak_rss_mb']:.0f} |")
    for threads in args.threads:
        nest = [r for r in runs if r["simulator"] == "NEST" and r["threads"] == threads]
        ours = [r for r in runs if r["simulator"] == "lifnet" and r["threads"] == threads]
        if nest and ours:
            def ratio(key, ours=ours, nest=nest):
                return np.mean([r[key] for r in ours]) / np.mean([r[key] for r in nest])
            lines += ["", f"{threads} thread(s), lifnet / NEST: simulation "
                      f"{ratio('sim_s'):.2f}x, build {ratio('build_s'):.2f}x, peak RSS "
                      f"{ratio('peak_rss_mb'):.2f}x."]
    with_rates = [r for r in runs if (r.get("populations") or {}).get("L23E", {}).get("rate_hz")
                  is not None]
    if with_rates:
        lines += ["", "Rates (Hz), mean over seeds and thread counts, and mean CV of ISI:", "",
                  "| population | NEST rate | lifnet rate | lifnet / NEST | NEST CV | lifnet CV |",
                  "|---|---|---|---|---|---|"]
        for name in POPS:
            def mean(sim, key, name=name):
                vals = [r["populations"][name][key] for r in with_rates
                        if r["simulator"] == sim and r["populations"][name][key] is not None]
                return float(np.mean(vals)) if vals else float("nan")
            a, b = mean("NEST", "rate_hz"), mean("lifnet", "rate_hz")
            lines.append(f"| {name} | {a:.3f} | {b:.3f} | {b / a:.3f} | "
                         f"{mean('NEST', 'cv_isi_mean'):.3f} | "
                         f"{mean('lifnet', 'cv_isi_mean'):.3f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
