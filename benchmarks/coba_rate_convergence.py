"""Which COBA rate is right? lifnet, Brian2 and NEST on the same networks as dt shrinks.

For each seed, lifnet draws the COBA network (Brette et al. 2007, benchmark
1); the same synapses and initial state are run in lifnet at dt 0.1, 0.05,
0.025 ms, in Brian2 (runtime, exponential Euler, grid spikes) at dt 0.1,
0.01, 0.001 ms and in NEST (iaf_cond_exp: adaptive RKF45 within a step,
grid spikes) at dt 0.1, 0.01 ms. Mean rates over the run show how far each
simulator at the usual dt = 0.1 ms is from the converged rate of the same
network. ``--peers`` runs only some of the peers.

Writes benchmarks/results/coba-rate-convergence-<date>-<host>.{json,md}.
Usage: python benchmarks/coba_rate_convergence.py [--seeds 1 2 3] [--duration 1000]
       [--peers brian2 nest]
"""

import argparse
import datetime
import json
import os
import socket
import subprocess
import sys
import tempfile

import numpy as np

import lifnet as ln

HERE = os.path.dirname(os.path.abspath(__file__))
PEER_PYTHON = os.path.join(HERE, ".peer-env", "bin", "python")
LIFNET_DTS = (0.1, 0.05, 0.025)
BRIAN_DTS = (0.1, 0.01, 0.001)
NEST_DTS = (0.1, 0.01)
# peer: (script in benchmarks/peers, its dts, name in the md title)
PEERS = {"brian2": ("coba_brian2_given.py", BRIAN_DTS, "Brian2"),
         "nest": ("coba_nest_given.py", NEST_DTS, "NEST")}


def export(net, path):
    """Write the network's synapses (global indices) and initial state for the peer."""
    offset = {"E": 0, "I": net.populations["E"].n}
    pre, post, exc = [], [], []
    for proj in net.projections:
        m = proj.weights().tocoo()
        pre.append(m.row + offset[proj.pre.name])
        post.append(m.col + offset[proj.post.name])
        exc.append(np.full(m.nnz, proj.receptor.name == "e"))
    state = {v: np.concatenate([net.get_state(p, v) for p in ("E", "I")])
             for v in ("V", "g_e", "g_i")}
    np.savez(path, pre=np.concatenate(pre), post=np.concatenate(post),
             exc=np.concatenate(exc), V=state["V"], ge=state["g_e"], gi=state["g_i"])


def lifnet_rate(seed, dt, duration):
    net = ln.models.coba(seed=seed, dt=dt)
    result = net.run(duration)
    return 1000.0 * sum(len(result.spikes(p)) for p in ("E", "I")) / (4000 * duration)


def peer_rate(peer, path, dt, duration):
    """Mean rate (Hz) of the network in file ``path``, run by ``peer`` at ``dt``."""
    script = os.path.join(HERE, "peers", PEERS[peer][0])
    out = subprocess.run([PEER_PYTHON, script, path, "--dt", str(dt),
                          "--duration", str(duration)],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])["rate_hz"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--duration", type=float, default=1000.0, help="ms")
    ap.add_argument("--peers", nargs="+", choices=list(PEERS), default=list(PEERS),
                    help="peer simulators to run (default: all)")
    args = ap.parse_args()
    peers = [p for p in PEERS if p in args.peers]  # in PEERS' order, once each
    if not os.path.exists(PEER_PYTHON):
        subprocess.run(["bash", os.path.join(HERE, "peers", "setup_env.sh")], check=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            path = os.path.join(tmp, f"coba-{seed}.npz")
            export(ln.models.coba(seed=seed), path)
            row = {"seed": seed}
            for dt in LIFNET_DTS:
                row[f"lifnet dt={dt}"] = lifnet_rate(seed, dt, args.duration)
            for peer in peers:
                for dt in PEERS[peer][1]:
                    row[f"{peer} dt={dt}"] = peer_rate(peer, path, dt, args.duration)
            rows.append(row)
            print(row, flush=True)
    cols = list(rows[0])[1:]
    # The network is bistable: a realisation may fall silent in its first
    # milliseconds. Those say nothing about the rate and are left out of the mean.
    # The reference is the first peer at its smallest dt.
    ref_col = f"{peers[0]} dt={PEERS[peers[0]][1][-1]}"
    active = [r for r in rows if r[ref_col] > 1.0] or rows
    mean = {c: float(np.mean([r[c] for r in active])) for c in cols}
    ref = mean[ref_col]
    md = ["| seed | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for r in rows:
        md.append(f"| {r['seed']} | " + " | ".join(f"{r[c]:.2f}" for c in cols) + " |")
    md.append(f"| mean of {len(active)} active | "
              + " | ".join(f"{mean[c]:.2f}" for c in cols) + " |")
    md.append(f"| vs {ref_col} | " + " | ".join(f"{100 * (mean[c] / ref - 1):+.1f} %"
                                                     for c in cols) + " |")
    stamp = datetime.datetime.now()
    base = os.path.join(HERE, "results",
                        f"coba-rate-convergence-{stamp:%Y-%m-%d}-{socket.gethostname()}")
    with open(base + ".json", "w") as f:
        json.dump({"date": stamp.isoformat(timespec="seconds"), "host": socket.gethostname(),
                   "command": "python benchmarks/coba_rate_convergence.py "
                   + " ".join(sys.argv[1:]), "rows": rows}, f, indent=2)
    names = ["lifnet"] + [PEERS[p][2] for p in peers]
    title = ", ".join(names[:-1]) + " and " + names[-1]
    with open(base + ".md", "w") as f:
        f.write(f"# COBA mean rate (Hz) vs dt, same networks in {title}\n\n"
                f"{stamp:%Y-%m-%d %H:%M}, {socket.gethostname()}, {args.duration:g} ms per run\n\n"
                + "\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
