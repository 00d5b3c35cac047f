"""Compte et al. (2000) ring network: lifnet vs Brian2 cpp_standalone, and lifnet's cost vs N.

One invocation runs, one after another on this machine:

* lifnet: the network of ``peers/compte_common.py`` (2048 E + 512 I, all to
  all, NMDA through the ring footprint, 4 s with a 250 ms cue), build time
  and simulation time (after compilation), numba threads 1;
* Brian2 cpp_standalone (1 thread) on the same network
  (``peers/compte_brian2.py``, from the peer environment that
  ``peers/setup_env.sh`` creates);
* lifnet alone at N_E = 512 ... 16384 (N_I = N_E / 4, conductances scaled
  to keep each cell's input), --scaling-ms of simulated time each: seconds
  of compute per simulated second, and the log-log slope against N.

For each simulator: spontaneous and delay rates and the bump's decoded
angle (population vector of E spikes, last 500 ms). Writes
``benchmarks/results/compte-<date>-<host>.json`` and ``.md``.

Usage: python benchmarks/compte.py [--duration 4000] [--scaling-ms 1000] [--skip-peers]
"""

import argparse
import json
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "peers"))
import compte_common as cc  # noqa: E402
from results_io import metadata, write  # noqa: E402

PEER_PYTHON = os.path.join(HERE, ".peer-env", "bin", "python")

LIFNET_WORKER = r"""
import json, sys, time
import numba
numba.set_num_threads(int(sys.argv[1]))
sys.path.insert(0, sys.argv[4])
import numpy as np
import compte_common as cc
import lifnet as ln

n_e, duration = int(sys.argv[2]), float(sys.argv[3])
cc.use(sys.argv[5])

def build(n_e, seed):
    return ln.models.compte2000(
        N_E=n_e, N_I=n_e // 4, G_EE=cc.G_EE, G_EI=cc.G_EI, G_IE=cc.G_IE, G_II=cc.G_II,
        G_ext_E=cc.G_EXT_E, G_ext_I=cc.G_EXT_I, ext_rate=cc.EXT_RATE_HZ, J_plus=cc.J_PLUS,
        sigma=cc.SIGMA_DEG, E_L_I=cc.I_CELL["E_L"], delay=cc.DELAY, cue_theta=cc.CUE_THETA,
        cue_amplitude=cc.CUE_AMP, cue_kappa=cc.CUE_KAPPA, cue_start=cc.CUE_START,
        cue_duration=cc.CUE_STOP - cc.CUE_START, dt=cc.DT, seed=seed)


build(256, 99).run(10.0)          # compile (or load) the kernels
t0 = time.perf_counter()
net = build(n_e, 1)
net._build()
t1 = time.perf_counter()
net.run(duration)
t2 = time.perf_counter()
out = {"simulator": "lifnet", "parameters": cc.PARAMETERS, "mode": "numba",
       "threads": int(sys.argv[1]), "n_e": n_e, "build_s": t1 - t0, "sim_s": t2 - t1,
       "duration_ms": duration, "version": ln.__version__}
for name in ("E", "I"):
    tr = net.result.spikes(name)
    out[f"ids_{name}"] = tr.ids.tolist()
    out[f"times_{name}"] = tr.times.tolist()
print(json.dumps(out))
"""


def run_json(cmd):
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        return {"error": proc.stderr[-2000:], "command": " ".join(cmd[1:])}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def lifnet_run(n_e, duration, parameters, threads=1):
    return run_json([sys.executable, "-c", LIFNET_WORKER, str(threads), str(n_e),
                     str(duration), os.path.join(HERE, "peers"), parameters])


def summarise(r, n_e, duration):
    """Rates and decoded angle from spike lists (pops them from r)."""
    ids_e, t_e = np.array(r.pop("ids_E")), np.array(r.pop("times_E"))
    r.pop("ids_I")
    t_i = np.array(r.pop("times_I"))

    def rate(times, n, a, b):
        return float(np.count_nonzero((times >= a) & (times < b)) / (n * (b - a) / 1000.0))

    spont = (500.0, cc.CUE_START)
    delay = (cc.CUE_STOP + 500.0, duration)
    r["rate_E_spont"] = rate(t_e, n_e, *spont)
    r["rate_I_spont"] = rate(t_i, n_e // 4, *spont)
    r["rate_E_delay"] = rate(t_e, n_e, *delay)
    r["rate_I_delay"] = rate(t_i, n_e // 4, *delay)
    angle, length = cc.decode(ids_e, t_e, duration - 500.0, duration, n=n_e)
    r["angle_deg"] = float(np.degrees(angle))
    r["resultant"] = length
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=float, default=cc.DURATION, help="ms")
    ap.add_argument("--scaling-ms", type=float, default=1000.0,
                    help="simulated time per size in the scaling runs, ms")
    ap.add_argument("--sizes", type=int, nargs="*",
                    default=[512, 1024, 2048, 4096, 8192, 16384])
    ap.add_argument("--parameters", choices=sorted(cc.PARAMETER_SETS), default="compte2000",
                    help="published parameter set (lifnet.models.compte2000)")
    ap.add_argument("--skip-peers", action="store_true")
    args = ap.parse_args()
    cc.use(args.parameters)

    results = [summarise(lifnet_run(cc.N_E, args.duration, args.parameters), cc.N_E,
                         args.duration)]
    if not args.skip_peers:
        if not os.path.exists(PEER_PYTHON):
            subprocess.run(["bash", os.path.join(HERE, "peers", "setup_env.sh")], check=True)
        results.append(run_json([PEER_PYTHON, os.path.join(HERE, "peers", "compte_brian2.py"),
                                 "--mode", "cpp_standalone", "--threads", "1",
                                 "--duration", str(args.duration),
                                 "--parameters", args.parameters]))
    scaling = []
    for n_e in args.sizes:
        r = lifnet_run(n_e, args.scaling_ms, args.parameters)
        if "error" in r:
            scaling.append({"n_e": n_e, "error": r["error"]})
            continue
        scaling.append({"n_e": n_e, "n_i": n_e // 4, "build_s": r["build_s"],
                        "sim_s": r["sim_s"],
                        "s_per_simulated_s": r["sim_s"] / (args.scaling_ms / 1000.0)})
    ok = [s for s in scaling if "error" not in s]
    slope = float(np.polyfit(np.log([s["n_e"] for s in ok]),
                             np.log([s["s_per_simulated_s"] for s in ok]), 1)[0]) \
        if len(ok) > 1 else None

    meta = metadata("compte.py", duration_ms=args.duration, parameters=args.parameters)
    lines = ["| simulator | mode | threads | build (s) | sim (s) | E / I spont (Hz) | "
             "E / I delay (Hz) | angle (deg) | length | lifnet sim / this sim |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    lif = results[0]
    for r in results:
        if "error" in r:
            lines.append(f"| {r.get('command', '?')} | failed | | | | | | | | |")
            continue
        ratio = "" if r is lif else f"{lif['sim_s'] / r['sim_s']:.3f}"
        lines.append(
            f"| {r['simulator']} | {r['mode']} | {r['threads']} | {r['build_s']:.2f} | "
            f"{r['sim_s']:.2f} | {r['rate_E_spont']:.2f} / {r['rate_I_spont']:.2f} | "
            f"{r['rate_E_delay']:.2f} / {r['rate_I_delay']:.2f} | {r['angle_deg']:.1f} | "
            f"{r['resultant']:.2f} | {ratio} |")
    lines += ["", f"lifnet cost against size ({args.scaling_ms:g} ms simulated each):", "",
              "| N_E | N_I | s per simulated s |", "|---|---|---|"]
    for s in scaling:
        cost = f"{s['s_per_simulated_s']:.2f}" if "error" not in s else "failed"
        lines.append(f"| {s['n_e']} | {s['n_e'] // 4} | {cost} |")
    if slope is not None:
        lines.append(f"\nlog-log slope of cost against N_E: {slope:.2f} "
                     "(1 = linear; an N x N product would give 2)")
    write(f"compte-{args.parameters}", meta,
          {"results": results, "scaling": scaling, "scaling_slope": slope},
          f"Compte (2000) benchmark, {args.parameters} parameters", "\n".join(lines))


if __name__ == "__main__":
    main()
