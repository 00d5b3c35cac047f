"""Run ``microcircuit_nest.py`` over seeds and write a results file with a per-population table.

Runs (each a separate process, one after another, with the peers' python):
Poisson background for every ``--seeds`` seed and DC background for the
first seed, all with ``--record`` at ``--scale``/``--k-scale`` (0.1/0.1),
``--t-presim`` 100 ms, ``--t-sim`` 1000 ms and ``--threads`` (2); then, as a
supplement (``--no-k1-check`` skips it), both backgrounds for the first seed
at k_scale 1 (full in-degrees, same scale), which shows that the DC
background needs the full in-degrees: at k_scale 0.1 the compensating DC
leaves 7 of 8 populations below threshold and, without the Poisson
fluctuations, the network falls silent after the start.  Spike
statistics depend on the seed and on the number of threads (NEST's random
streams are per virtual process), not on the machine's load; timings do.

Writes benchmarks/results/microcircuit-nest-scale<scale>-<date>-<host>.json
(every run's JSON, plus metadata and the summary) and .md (tables and the
exact commands).  Needs ``benchmarks/.peer-env`` (``peers/setup_env.sh``);
this script itself runs with any python3 that has NumPy.

Example: benchmarks/.peer-env/bin/python benchmarks/peers/microcircuit_nest_runs.py
"""

import argparse
import datetime
import json
import os
import platform
import socket
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SCRIPT = os.path.join(HERE, "microcircuit_nest.py")
PEER_PY = os.path.join(ROOT, "benchmarks", ".peer-env", "bin", "python")
POPS = ("L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I")

# For comparison only: rates and mean CVs (cells with >= 3 spikes, same
# definitions as microcircuit_nest.py) computed by us from the spike files in
# the reference_data/ of NEST's PyNEST microcircuit example as last updated
# (Dec 2022, NEST master@7c40d9e9a): N_scaling = K_scaling = 0.1, Poisson
# background, rng_seed 55, 1 thread, window (500, 1500] ms.  One run.
NEST_EXAMPLE_REFERENCE = {
    "rate_hz": [0.402, 2.017, 3.880, 4.958, 6.575, 7.726, 0.831, 6.986],
    "cv_isi_mean": [0.590, 0.554, 0.578, 0.589, 0.601, 0.621, 0.510, 0.619],
}


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--scale", type=float, default=0.1)
    ap.add_argument("--k-scale", type=float, default=0.1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--t-presim", type=float, default=100.0)
    ap.add_argument("--t-sim", type=float, default=1000.0)
    ap.add_argument("--python", default=PEER_PY, help="interpreter with NEST")
    ap.add_argument("--no-k1-check", dest="k1_check", action="store_false",
                    help="skip the supplementary runs at k_scale 1")
    args = ap.parse_args()
    if args.scale > 0.5:
        ap.error("this machine is not for runs above --scale 0.5")
    return args


def rel(path):
    return os.path.relpath(path, ROOT)


def run_one(args, background, seed, k_scale=None):
    k_scale = args.k_scale if k_scale is None else k_scale
    cmd = [rel(args.python), rel(SCRIPT), "--scale", f"{args.scale:g}",
           "--k-scale", f"{k_scale:g}", "--background", background,
           "--seed", str(seed), "--t-presim", f"{args.t_presim:g}",
           "--t-sim", f"{args.t_sim:g}", "--threads", str(args.threads), "--record"]
    print("$ " + " ".join(cmd), file=sys.stderr, flush=True)
    load_before = os.getloadavg()[0]
    out = subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.PIPE, text=True).stdout
    res = json.loads(out.strip().splitlines()[-1])
    res["loadavg_1min_before"] = round(load_before, 2)
    res["loadavg_1min_after"] = round(os.getloadavg()[0], 2)
    res["command"] = " ".join(cmd)
    return res


def fmt(x, nd=3):
    return "-" if x is None else f"{x:.{nd}f}"


def summarize(runs):
    """Per population: rate mean/min/max over the runs and the mean of their mean CVs."""
    out = {}
    for name in POPS:
        rates = np.array([r["populations"][name]["rate_hz"] for r in runs])
        cvs = [r["populations"][name]["cv_isi_mean"] for r in runs]
        cvs = np.array([c for c in cvs if c is not None])
        out[name] = {"rate_mean": float(rates.mean()), "rate_min": float(rates.min()),
                     "rate_max": float(rates.max()),
                     "rate_sd_over_seeds": float(rates.std(ddof=1)) if len(rates) > 1 else None,
                     "cv_mean": float(cvs.mean()) if cvs.size else None}
    return out


def v_inf(run):
    """Free membrane potential E_L + I_DC tau_m / C_m (mV) per population."""
    return [-65.0 + i * 10.0 / 250.0 for i in run["params"]["dc_pA"]]


def markdown(args, poisson, dc, summary, k1):
    lines = []
    seeds = ", ".join(str(r["seed"]) for r in poisson)
    r0 = poisson[0]
    lines.append(
        f"NEST {r0['version']} `iaf_psc_exp`, Potjans & Diesmann (2014) microcircuit: "
        f"scale {args.scale:g} (neurons), k_scale {args.k_scale:g} (in-degrees; weights "
        f"/ sqrt(k_scale) and compensating DC), {r0['n_neurons']} neurons, "
        f"{r0['n_synapses_recurrent']} recurrent synapses, dt 0.1 ms, {args.threads} threads, "
        f"{args.t_presim:g} ms transient discarded, rates and CVs over the next "
        f"{args.t_sim:g} ms.  Rate: spikes / (N x T), silent cells included.  CV: "
        f"std/mean of the ISIs (ddof 0) per cell with >= 3 spikes in the window, averaged "
        f"over those cells.\n")
    lines.append(f"## Poisson background, seeds {seeds}\n")
    lines.append("| population | N | rate mean (Hz) | min | max | CV mean | NEST example ref. rate "
                 "| ref. CV |")
    lines.append("|---|---|---|---|---|---|---|---|")
    for i, name in enumerate(POPS):
        s = summary[name]
        lines.append(f"| {name} | {r0['populations'][name]['n']} | {fmt(s['rate_mean'])} | "
                     f"{fmt(s['rate_min'])} | {fmt(s['rate_max'])} | {fmt(s['cv_mean'])} | "
                     f"{NEST_EXAMPLE_REFERENCE['rate_hz'][i]:.3f} | "
                     f"{NEST_EXAMPLE_REFERENCE['cv_isi_mean'][i]:.3f} |")
    lines.append("\nNEST example ref.: our rates and CVs from the spike files in the "
                 "reference_data/ of NEST's PyNEST microcircuit example (updated Dec 2022; "
                 "same model and scaling, rng_seed 55, 1 thread, 500 ms transient); one run.\n")
    lines.append("### Per seed (rate Hz / CV; CV cells)\n")
    header = "| population | " + " | ".join(
        f"{r['background']} seed {r['seed']}" for r in poisson + dc) + " |"
    lines.append(header)
    lines.append("|---" * (1 + len(poisson) + len(dc)) + "|")
    for name in POPS:
        cells = []
        for r in poisson + dc:
            p = r["populations"][name]
            cells.append(f"{p['rate_hz']:.3f} / {fmt(p['cv_isi_mean'])}; {p['n_cv_cells']}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines.append("\nFree membrane potential E_L + I_DC tau_m / C_m (mV) of the DC run: "
                 + ", ".join(f"{n} {v:.2f}" for n, v in zip(POPS, v_inf(dc[0]), strict=True))
                 + " (V_th -50 mV).\n")
    if k1:
        k1_dc = next(r for r in k1 if r["background"] == "dc")
        lines.append(f"## Supplement: k_scale 1 (full in-degrees), scale {args.scale:g}, "
                     f"seed {k1[0]['seed']}\n")
        lines.append(f"{k1[0]['n_synapses_recurrent']} recurrent synapses; no compensating "
                     "DC for the recurrent input (k_scale 1); the DC background's I_DC = "
                     "1e-3 tau_syn nu_bg K_ext J_ext gives free potentials "
                     + ", ".join(f"{n} {v:.1f}" for n, v in
                                 zip(POPS, v_inf(k1_dc), strict=True))
                     + " mV.\n")
        lines.append("| population | " + " | ".join(f"{r['background']} rate (Hz) / CV"
                                                    for r in k1) + " |")
        lines.append("|---" * (1 + len(k1)) + "|")
        for name in POPS:
            lines.append(f"| {name} | " + " | ".join(
                f"{r['populations'][name]['rate_hz']:.3f} / "
                f"{fmt(r['populations'][name]['cv_isi_mean'])}" for r in k1) + " |")
        lines.append("")
    lines.append("\n### Timing and memory (2-core VM shared with other work; see load)\n")
    lines.append("sim = wall time of `nest.Run(t_sim)`; real-time factor = sim / simulated s; "
                 "CPU = user + system time of the process during that Run.\n")
    lines.append("| run | build (s) | prepare (s) | presim (s) | sim (s) | sim CPU (s) "
                 "| real-time factor | peak RSS (MB) | load before/after |")
    lines.append("|---|---|---|---|---|---|---|---|---|")
    for r in poisson + dc + k1:
        lines.append(f"| {r['background']} seed {r['seed']} k_scale {r['k_scale']:g} | "
                     f"{r['build_s']:.2f} | "
                     f"{r['prepare_s']:.2f} | {r['presim_s']:.2f} | {r['sim_s']:.2f} | "
                     f"{r['sim_cpu_s']:.2f} | "
                     f"{r['real_time_factor']:.2f} | {r['peak_rss_mb']:.0f} | "
                     f"{r['loadavg_1min_before']:.2f}/{r['loadavg_1min_after']:.2f} |")
    lines.append("\n### Commands\n")
    lines.append("```")
    for r in poisson + dc + k1:
        lines.append(r["command"])
    lines.append("```")
    return "\n".join(lines)


def main():
    args = parse_args()
    poisson = [run_one(args, "poisson", s) for s in args.seeds]
    dc = [run_one(args, "dc", args.seeds[0])]
    k1 = []
    if args.k1_check and args.k_scale != 1:
        k1 = [run_one(args, bg, args.seeds[0], k_scale=1.0) for bg in ("poisson", "dc")]
    summary = summarize(poisson)
    now = datetime.datetime.now()
    host = socket.gethostname()
    meta = {"date": now.isoformat(timespec="seconds"), "host": host,
            "machine": platform.machine(), "cpus": os.cpu_count(),
            "command": " ".join([rel(sys.executable), rel(__file__)] + sys.argv[1:])}
    base = os.path.join(ROOT, "benchmarks", "results",
                        f"microcircuit-nest-scale{args.scale:g}-{now.date()}-{host}")
    md = markdown(args, poisson, dc, summary, k1)
    with open(base + ".json", "w") as f:
        json.dump({"meta": meta, "summary_poisson": summary,
                   "nest_example_reference": NEST_EXAMPLE_REFERENCE,
                   "runs": poisson + dc, "runs_k_scale_1": k1}, f, indent=2)
        f.write("\n")
    with open(base + ".md", "w") as f:
        f.write(f"# PD14 microcircuit, NEST reference, {meta['date']}, {host} "
                f"({meta['cpus']} CPUs)\n\n`{meta['command']}`\n\n{md}\n")
    print(md)
    print(f"\nwrote {rel(base)}.json and .md")


if __name__ == "__main__":
    main()
