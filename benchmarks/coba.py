"""COBA benchmark (Brette et al. 2007, benchmark 1): lifnet vs Brian2 vs NEST, one invocation.

Runs, one after another on this machine:

* lifnet: cold start (fresh process, empty numba cache: import + compile +
  build + 1 s run), warm start (fresh process, cache filled), and the
  simulation time alone (median of --repeats runs in one process, after
  compilation), at 1 and 2 numba threads;
* Brian2 runtime (1 thread), Brian2 cpp_standalone (1 and 2 threads) and
  NEST iaf_cond_exp (1 and 2 threads), from the peer environment that
  ``benchmarks/peers/setup_env.sh`` creates (installed here if missing).

Writes ``benchmarks/results/coba-<date>-<host>.json`` and ``.md`` with
simulation time, build time, mean rates, and lifnet's simulation time as a
ratio to each peer's (same thread count). Only ratios from one invocation
mean anything on a shared machine.

Usage: python benchmarks/coba.py [--duration 1000] [--repeats 3] [--skip-peers]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

from results_io import metadata, write

HERE = os.path.dirname(os.path.abspath(__file__))
PEER_PYTHON = os.path.join(HERE, ".peer-env", "bin", "python")

LIFNET_WORKER = r"""
import json, sys, time, statistics
t_import = time.perf_counter()
import numba
numba.set_num_threads(int(sys.argv[1]))
import lifnet as ln
duration, repeats, mode = float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
if mode == "start":
    t0 = time.perf_counter()
    net = ln.models.coba(seed=1)
    r = net.run(duration, threads=int(sys.argv[1]))
    print(json.dumps({"start_s": time.perf_counter() - t_import}))
    sys.exit()
ln.models.coba(seed=1).run(10.0, threads=int(sys.argv[1]))   # compile (or load) the kernels
sims, builds, rates = [], [], []
for k in range(repeats):
    t0 = time.perf_counter()
    net = ln.models.coba(seed=1 + k)
    net._build()
    t1 = time.perf_counter()
    r = net.run(duration, threads=int(sys.argv[1]))
    t2 = time.perf_counter()
    builds.append(t1 - t0)
    sims.append(t2 - t1)
    n = sum(len(r.spikes(p)) for p in ("E", "I"))
    rates.append({"rate_hz": 1000.0 * n / (4000 * duration),
                  "rate_exc_hz": r.spikes("E").rate(duration),
                  "rate_inh_hz": r.spikes("I").rate(duration), "n_spikes": n})
print(json.dumps({"simulator": "lifnet", "mode": "numba", "threads": int(sys.argv[1]),
                  "build_s": statistics.median(builds), "sim_s": statistics.median(sims),
                  "sim_all_s": sims, **rates[0], "version": ln.__version__}))
"""


def run_json(cmd, env=None):
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        return {"error": proc.stderr[-2000:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def lifnet_runs(threads, duration, repeats):
    out = {}
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, LIFNET_CACHE_DIR=cache, NUMBA_NUM_THREADS="2")
        cmd = [sys.executable, "-c", LIFNET_WORKER, str(threads), str(duration), "1", "start"]
        out["cold_start_s"] = run_json(cmd, env).get("start_s")
        out["warm_start_s"] = run_json(cmd, env).get("start_s")
        out.update(run_json([sys.executable, "-c", LIFNET_WORKER, str(threads), str(duration),
                             str(repeats), "sim"], env))
    return out


def peer_runs(duration):
    if not os.path.exists(PEER_PYTHON):
        subprocess.run(["bash", os.path.join(HERE, "peers", "setup_env.sh")], check=True)
    runs = []
    brian = [PEER_PYTHON, os.path.join(HERE, "peers", "coba_brian2.py"), "--duration",
             str(duration)]
    nest = [PEER_PYTHON, os.path.join(HERE, "peers", "coba_nest.py"), "--duration",
            str(duration)]
    for cmd in (brian + ["--mode", "runtime", "--threads", "1"],
                brian + ["--mode", "cpp_standalone", "--threads", "1"],
                brian + ["--mode", "cpp_standalone", "--threads", "2"],
                nest + ["--threads", "1"], nest + ["--threads", "2"]):
        r = run_json(cmd)
        r.setdefault("command", " ".join(os.path.relpath(c) if os.path.isabs(c) else c
                                         for c in cmd[1:]))
        runs.append(r)
    return runs


def table(results):
    lines = ["| simulator | mode | threads | build (s) | sim (s) | rate (Hz) | "
             "lifnet sim / this sim |", "|---|---|---|---|---|---|---|"]
    lif = {r["threads"]: r for r in results if r.get("simulator") == "lifnet"}
    for r in results:
        if "error" in r:
            lines.append(f"| {r.get('command', '?')} | failed | | | | | |")
            continue
        ratio = ""
        same = lif.get(r["threads"])
        if same and r["simulator"] != "lifnet":
            ratio = f"{same['sim_s'] / r['sim_s']:.2f}"
        lines.append(f"| {r['simulator']} | {r['mode']} | {r['threads']} | {r['build_s']:.3f} | "
                     f"{r['sim_s']:.3f} | {r['rate_hz']:.2f} | {ratio} |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=float, default=1000.0, help="ms")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--skip-peers", action="store_true")
    args = ap.parse_args()
    results = []
    for threads in (1, 2):
        results.append(lifnet_runs(threads, args.duration, args.repeats))
    if not args.skip_peers:
        results.extend(peer_runs(args.duration))
    meta = metadata("coba.py", duration_ms=args.duration)
    md = table(results)
    lif = [r for r in results if r.get("simulator") == "lifnet"]
    md += "\n\nlifnet cold start (import + compile + build + run): " + ", ".join(
        f"{r['threads']} thread(s) {r['cold_start_s']:.2f} s" for r in lif)
    md += "\nlifnet warm start (cached kernels): " + ", ".join(
        f"{r['threads']} thread(s) {r['warm_start_s']:.2f} s" for r in lif)
    write("coba", meta, {"results": results}, "COBA benchmark", md)


if __name__ == "__main__":
    main()
