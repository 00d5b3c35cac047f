"""Sweep throughput: a 200-run sweep of a 1000-neuron network, 1 s each, one invocation.

The network: Brette et al. (2007) COBA at 1000 cells (``models.coba(n=1000)``,
p = 0.08 so that each cell keeps about the inputs it has at 4000 cells; the
sweep varies the excitatory weight over 10 values x 20 seeds). Runs:

* lifnet.sweep on 1 and 2 local workers and on a 2-worker Dask LocalCluster:
  runs per minute, and the per-run overhead (wall time per run beyond the
  simulation itself, after each worker's first run);
* the same 200 runs as a loop of Brian2 runs (runtime mode), in the peers'
  environment: runs per minute.

Writes benchmarks/results/sweep-throughput-<date>-<host>.{json,md}.

Usage: python benchmarks/sweep_throughput.py [--runs 200] [--skip-peers]
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
from results_io import metadata, write

HERE = os.path.dirname(os.path.abspath(__file__))
PEER_PYTHON = os.path.join(HERE, ".peer-env", "bin", "python")
WEIGHTS = np.round(np.linspace(0.004, 0.008, 10), 5).tolist()

BRIAN2_LOOP = r"""
import json, sys, time
import numpy as np
import brian2 as b2
b2.prefs.codegen.target = "cython"
b2.BrianLogger.log_level_error()
runs, weights = int(sys.argv[1]), json.loads(sys.argv[2])
eqs = '''dv/dt = (gl*(El - v) + ge*(Ee - v) + gi*(Ei - v)) / C : volt (unless refractory)
dge/dt = -ge / taue : siemens
dgi/dt = -gi / taui : siemens'''
ns = dict(gl=10*b2.nS, El=-60*b2.mV, Ee=0*b2.mV, Ei=-80*b2.mV, C=200*b2.pF, taue=5*b2.ms,
          taui=10*b2.ms)
t0 = time.perf_counter()
sims = []
for k in range(runs):
    b2.start_scope()
    b2.seed(k)
    we = weights[k % len(weights)]
    P = b2.NeuronGroup(1000, eqs, threshold="v > -50*mV", reset="v = -60*mV",
                       refractory=5*b2.ms, method="euler", namespace=ns)
    P.v = "-60*mV + 10*mV*rand()"
    P.ge = "(4 + 1.5*randn()) * 10*nS"
    P.gi = "(20 + 12*randn()) * 10*nS"
    Ce = b2.Synapses(P[:800], P, on_pre=f"ge += {we}*uS")
    Ci = b2.Synapses(P[800:], P, on_pre="gi += 0.067*uS")
    Ce.connect(p=0.08)
    Ci.connect(p=0.08)
    s = time.perf_counter()
    b2.run(1 * b2.second, namespace={})
    sims.append(time.perf_counter() - s)
total = time.perf_counter() - t0
print(json.dumps({"simulator": "brian2", "mode": "runtime loop", "workers": 1, "runs": runs,
                  "wall_s": total, "runs_per_min": 60 * runs / total,
                  "sim_s_mean": float(np.mean(sims))}))
"""


def coba_1000(*, seed, w_e):
    import lifnet as ln

    return ln.models.coba(n=1000, p=0.08, w_e=w_e, seed=seed)


def lifnet_sweep(runs, workers=None, dask=False):
    import lifnet as ln

    seeds = list(range(runs // len(WEIGHTS)))
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        if dask:
            from distributed import Client, LocalCluster

            with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                              host="127.0.0.1", dashboard_address=":0") as cluster, \
                    Client(cluster) as client:
                t0 = time.perf_counter()
                table = ln.sweep(coba_1000, grid={"w_e": WEIGHTS}, seeds=seeds,
                                 duration=1000.0, out=out, scheduler=client, progress=False)
        else:
            table = ln.sweep(coba_1000, grid={"w_e": WEIGHTS}, seeds=seeds, duration=1000.0,
                             out=out, workers=workers, progress=False)
        total = time.perf_counter() - t0
    n_workers = 2 if dask else workers
    # Each run's wall_s is measured inside the worker around build + run + metrics; the
    # overhead per run is what the sweep adds on top of that, spread over the workers.
    per_run = total * n_workers / len(table)
    later = np.sort(table["wall_s"].to_numpy())[:-n_workers]   # drop each worker's first run
    return {"simulator": "lifnet", "mode": "dask LocalCluster" if dask else "local processes",
            "workers": n_workers, "runs": len(table), "wall_s": total,
            "runs_per_min": 60 * len(table) / total,
            "run_s_mean": float(later.mean()),
            "overhead_per_run_s": float(per_run - later.mean()),
            "failed": int((table["status"] != "ok").sum())}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--skip-peers", action="store_true")
    args = ap.parse_args()
    coba_1000(seed=0, w_e=0.006).run(10.0)   # fill the numba cache before the workers start
    results = [lifnet_sweep(args.runs, workers=1), lifnet_sweep(args.runs, workers=2),
               lifnet_sweep(args.runs, dask=True)]
    if not args.skip_peers:
        if not os.path.exists(PEER_PYTHON):
            subprocess.run(["bash", os.path.join(HERE, "peers", "setup_env.sh")], check=True)
        import json

        proc = subprocess.run([PEER_PYTHON, "-c", BRIAN2_LOOP, str(args.runs),
                               json.dumps(WEIGHTS)], capture_output=True, text=True)
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]) if proc.returncode == 0
                       else {"simulator": "brian2", "error": proc.stderr[-2000:]})
    one = results[0]["runs_per_min"]
    lines = ["| simulator | executor | workers | runs | wall (s) | runs / min | "
             "overhead per run (ms) | vs lifnet 1 worker |", "|---|---|---|---|---|---|---|---|"]
    for r in results:
        if "error" in r:
            lines.append("| brian2 | failed | | | | | | |")
            continue
        overhead = (f"{1000 * r['overhead_per_run_s']:.0f}" if "overhead_per_run_s" in r
                    else "")
        lines.append(f"| {r['simulator']} | {r['mode']} | {r['workers']} | {r['runs']} | "
                     f"{r['wall_s']:.1f} | {r['runs_per_min']:.1f} | {overhead} | "
                     f"{r['runs_per_min'] / one:.2f}x |")
    write("sweep-throughput", metadata("sweep_throughput.py", runs=args.runs),
          {"results": results}, f"Sweep throughput ({args.runs} runs of 1000 cells, 1 s)",
          "\n".join(lines))


if __name__ == "__main__":
    sys.path.insert(0, HERE)
    main()
