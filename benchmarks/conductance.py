"""Conductance-cell benchmarks (issue 6): lifnet vs NEST and Brian2, one invocation each.

* ``gap``: NEST's inhibitory HH network with gap junctions (500
  ``hh_psc_alpha_gap`` cells, 501 ms, dt 0.05 ms), gap weights 0.3 and 0.7
  nS: lifnet against NEST 3 with 2 threads and waveform relaxation
  (``peers/gap_nest.py``). Simulation time, rate, chi (voltages every
  0.25 ms, t > 100 ms) and the count CV, for ``--seeds`` seeds of each
  (NEST's timing and statistics vary from seed to seed).
* ``ping``: the PING network at 1000 E + 250 I, 1 s at dt 0.05 ms:
  lifnet against Brian2 cpp_standalone, 1 thread (``peers/ping_brian2.py``).
* ``cobahh``: Brette et al. (2007) benchmark 3, 4000 Traub-Miles cells, 1 s
  at dt 0.1 ms: lifnet against Brian2 runtime and cpp_standalone, 1 thread
  (``peers/cobahh_brian2.py``).

``ping`` and ``cobahh`` run every simulator ``--repeats`` times, taking
turns (lifnet, then each peer, then lifnet again ...), and report the median
simulation time of each, with every run's time kept in the JSON
(``sim_s_runs``): on this shared machine a single lifnet run moves by up to
10 % and a Brian2 run by a few per cent, with whatever else the host runs.

lifnet runs in a fresh process whose kernels are compiled first (a short
run), so its simulation time excludes compilation, as the peers' do.
Writes ``benchmarks/results/<name>-<date>-<host>.json`` and ``.md``.

Usage: python benchmarks/conductance.py [--only gap,ping,cobahh] [--seeds 2] [--repeats 3]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys

from results_io import metadata, write

HERE = os.path.dirname(os.path.abspath(__file__))
PEERS = os.path.join(HERE, "peers")
PEER_PYTHON = os.path.join(HERE, ".peer-env", "bin", "python")

LIFNET_WORKER = r"""
import json, sys, time
import numba
numba.set_num_threads(1)
import lifnet as ln
from lifnet.analysis import count_cv, peak_frequency, voltage_synchrony
case, seed = sys.argv[1], int(sys.argv[2])
kw = json.loads(sys.argv[3])
if case == "gap":
    ln.models.gap_junction_network(n=60, seed=seed, **kw).run(2.0)       # compile
    t0 = time.perf_counter()
    net = ln.models.gap_junction_network(seed=seed, **kw)
    mon = net.monitor("HH", "V", interval=0.25)
    net._build()
    t1 = time.perf_counter()
    trains = net.run(501.0).spikes("HH")
    t2 = time.perf_counter()
    late = mon.t > 100.0
    out = {"rate_hz": trains.rate(501.0), "chi": voltage_synchrony(mon["V"][:, late]),
           "cv_count": count_cv(trains, t_start=100.0, t_stop=501.0), "n_spikes": len(trains)}
else:
    build = ln.models.ping if case == "ping" else ln.models.cobahh
    duration = 1000.0
    build(**dict(kw, n_e=20, n_i=5) if case == "ping" else dict(kw, n=50), seed=seed).run(2.0)
    t0 = time.perf_counter()
    net = build(seed=seed, **kw)
    net._build()
    t1 = time.perf_counter()
    result = net.run(duration)
    t2 = time.perf_counter()
    E, I = result.spikes("E"), result.spikes("I")
    out = {"rate_exc_hz": E.rate(duration), "rate_inh_hz": I.rate(duration),
           "n_spikes": len(E) + len(I)}
    if case == "ping":
        out["peak_freq_hz"] = peak_frequency(E, t_start=200.0, t_stop=duration,
                                             band=(20.0, 80.0))
print(json.dumps({"simulator": "lifnet", "mode": "numba", "threads": 1, "seed": seed,
                  "build_s": t1 - t0, "sim_s": t2 - t1, "version": ln.__version__, **out}))
"""


def run_json(cmd):
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=PEERS)
    if proc.returncode != 0:
        what = "lifnet worker " + " ".join(cmd[3:]) if cmd[1] == "-c" else " ".join(cmd[1:])
        return {"error": proc.stderr[-2000:], "command": what}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def lifnet(case, seed, **kw):
    return run_json([sys.executable, "-c", LIFNET_WORKER, case, str(seed), json.dumps(kw)])


def peer(script, *args):
    if not os.path.exists(PEER_PYTHON):
        subprocess.run(["bash", os.path.join(PEERS, "setup_env.sh")], check=True)
    return run_json([PEER_PYTHON, os.path.join(PEERS, script), *map(str, args)])


def gap(seeds):
    rows = []
    for weight_ns in (0.3, 0.7):
        for seed in range(1, seeds + 1):
            lif = lifnet("gap", seed, gap_weight=weight_ns * 1e-3)
            nest = peer("gap_nest.py", "--threads", 2, "--gap-weight", weight_ns, "--seed", seed)
            for r in (lif, nest):
                r["gap_weight_ns"] = weight_ns
                r["seed"] = seed
            rows += [lif, nest]
    lines = ["| gap (nS) | seed | simulator | threads | sim (s) | rate (Hz) | chi | count CV | "
             "lifnet / NEST time |", "|---|---|---|---|---|---|---|---|---|"]
    for lif, nest in zip(rows[::2], rows[1::2], strict=True):
        for r in (lif, nest):
            if "error" in r:
                lines.append(f"| {r['gap_weight_ns']} | {r['seed']} | failed: "
                             f"{r.get('command', '?')} | | | | | | |")
                continue
            ratio = (f"{lif['sim_s'] / nest['sim_s']:.3f}"
                     if r is nest and "error" not in lif else "")
            lines.append(f"| {r['gap_weight_ns']} | {r['seed']} | {r['simulator']} | "
                         f"{r['threads']} | {r['sim_s']:.2f} | {r['rate_hz']:.2f} | "
                         f"{r['chi']:.3f} | {r['cv_count']:.2f} | {ratio} |")
    return rows, "\n".join(lines)


def two_population_table(rows, extra=()):
    lines = ["| simulator | mode | threads | build (s) | sim (s), median | runs (s) | E (Hz) | "
             "I (Hz) | " + "".join(f"{label} | " for label, _ in extra) + "lifnet / this |",
             "|---|---|---|---|---|---|---|---|" + "---|" * len(extra) + "---|"]
    lif = rows[0]
    for r in rows:
        if "error" in r:
            lines.append(f"| failed: {r.get('command', '?')} |")
            continue
        ratio = f"{lif['sim_s'] / r['sim_s']:.3f}" if r is not lif and "error" not in lif else ""
        cols = "".join(f"{r.get(key, float('nan')):.2f} | " for _, key in extra)
        runs = ", ".join(f"{x:.3f}" for x in r.get("sim_s_runs", [r["sim_s"]]))
        lines.append(f"| {r['simulator']} | {r['mode']} | {r['threads']} | {r['build_s']:.2f} | "
                     f"{r['sim_s']:.3f} | {runs} | "
                     f"{r.get('rate_exc_hz', r.get('rate_e_hz')):.2f} | "
                     f"{r.get('rate_inh_hz', r.get('rate_i_hz')):.2f} | {cols}{ratio} |")
    return "\n".join(lines)


def in_turns(runners, repeats):
    """Each runner ``repeats`` times, taking turns; per runner, its last run's row with
    the median simulation and build times, and every run's time (``sim_s_runs``)."""
    runs = [[] for _ in runners]
    for _ in range(repeats):
        for k, run in enumerate(runners):
            runs[k].append(run())
    rows = []
    for done in runs:
        failed = [r for r in done if "error" in r]
        if failed:
            rows.append(failed[0])
            continue
        row = dict(done[-1])
        row["sim_s_runs"] = [r["sim_s"] for r in done]
        row["sim_s"] = statistics.median(row["sim_s_runs"])
        row["build_s"] = statistics.median(r["build_s"] for r in done)
        rows.append(row)
    return rows


def ping(repeats):
    rows = in_turns([lambda: lifnet("ping", 1, n_e=1000, n_i=250),
                     lambda: peer("ping_brian2.py", "--mode", "cpp_standalone", "--threads", 1,
                                  "--n-e", 1000, "--n-i", 250, "--seed", 1)], repeats)
    return rows, two_population_table(rows, (("peak (Hz)", "peak_freq_hz"),))


def cobahh(repeats):
    rows = in_turns([lambda: lifnet("cobahh", 1),
                     lambda: peer("cobahh_brian2.py", "--mode", "runtime", "--seed", 1),
                     lambda: peer("cobahh_brian2.py", "--mode", "cpp_standalone", "--threads", 1,
                                  "--seed", 1)], repeats)
    return rows, two_population_table(rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="gap,ping,cobahh",
                    help="comma-separated subset of gap, ping, cobahh")
    ap.add_argument("--seeds", type=int, default=2, help="seeds per gap weight")
    ap.add_argument("--repeats", type=int, default=3,
                    help="runs of each simulator for ping and cobahh (median reported)")
    args = ap.parse_args()
    if args.repeats < 1:
        ap.error(f"--repeats must be at least 1, got {args.repeats}")
    cases = args.only.split(",")
    unknown = set(cases) - {"gap", "ping", "cobahh"}
    if unknown:
        ap.error(f"unknown benchmark(s): {sorted(unknown)}")
    if "gap" in cases:
        rows, md = gap(args.seeds)
        write("gap-junctions", metadata("conductance.py", case="gap"), {"results": rows},
              "NEST's gap-junction network: lifnet vs NEST", md)
    if "ping" in cases:
        rows, md = ping(args.repeats)
        write("ping", metadata("conductance.py", case="ping"), {"results": rows},
              "PING 1000 E + 250 I: lifnet vs Brian2", md)
    if "cobahh" in cases:
        rows, md = cobahh(args.repeats)
        write("cobahh", metadata("conductance.py", case="cobahh"), {"results": rows},
              "COBAHH (Brette et al. 2007, benchmark 3): lifnet vs Brian2", md)


if __name__ == "__main__":
    main()
