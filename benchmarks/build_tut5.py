"""Build benchmark: NetPyNE tutorial 5 scaled to 50 000 cells, lifnet vs Brian2, one invocation.

The network of ``examples/netpyne_tut5.yaml`` with every population scaled so
that there are --cells cells in all: six layered populations in a 100 x 1000 x
100 µm volume; E -> all cells 100-1000 µm deep with probability 0.1 and weights
growing with depth; I -> E with probability 0.4 exp(-d / 150 µm); every delay
max(0.1 ms, d / 100 µm/ms). For each simulator, in a fresh process:

* build time: drawing the synapses (with their weights and delays) and, for
  lifnet, assembling them into the arrays a run uses; each simulator first
  builds a tiny network with the same rules, outside the timing, so that
  code generation and compilation are not counted;
* synapses, peak resident memory, and bytes per synapse: of the peak, and (lifnet)
  of the stored connectivity (postsynaptic index, weight, delay, and the
  row pointers).

Brian2 (runtime mode, Cython) connects the same cells (positions passed in a
file) with the same rules; NetPyNE is not installed here. Writes
benchmarks/results/build-tut5-<date>-<host>.{json,md}.

Usage: python benchmarks/build_tut5.py [--cells 50000] [--skip-peers]
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
import json, resource, sys, time
import numpy as np
from lifnet import spec

path, cells, positions_out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
data = spec.load(path)
data.pop("stimuli")       # inputs are not part of the connectivity being built
data.pop("record")

def sized(n):
    out = spec.load(data)
    for cfg in out["populations"].values():
        cfg["n"] = n
    return out

# Warm-up, outside the timing (as for Brian2): compile the pair kernels on 6 x 8 cells.
spec.build(sized(8))[0]._build()
per_pop = cells // len(data["populations"])
data = sized(per_pop)
t0 = time.perf_counter()
net, _, _, _ = spec.build(data)
t1 = time.perf_counter()
net._build()
t2 = time.perf_counter()
st = net._asm.storage
n_syn = int(st.indices.shape[0])
stored = st.indices.nbytes + st.weights.nbytes + st.syn_delay.nbytes + st.indptr.nbytes
pops = list(net.populations.values())
np.savez(positions_out, xyz=np.concatenate([p.positions for p in pops]),
         ynorm=np.concatenate([p.norm_positions[:, 1] for p in pops]),
         is_e=np.concatenate([np.full(p.n, p.name.startswith("E")) for p in pops]))
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"simulator": "lifnet", "cells": per_pop * len(pops), "synapses": n_syn,
                  "build_s": t2 - t0, "draw_s": t1 - t0, "assemble_s": t2 - t1,
                  "stored_bytes_per_synapse": stored / max(n_syn, 1),
                  "peak_rss_bytes": peak, "peak_bytes_per_synapse": peak / max(n_syn, 1)}))
"""


def run_json(cmd):
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        return {"error": proc.stderr[-2000:], "command": " ".join(cmd[1:2])}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cells", type=int, default=50000)
    ap.add_argument("--skip-peers", action="store_true")
    args = ap.parse_args()
    example = os.path.join(HERE, "..", "examples", "netpyne_tut5.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        positions = os.path.join(tmp, "positions.npz")
        results = [run_json([sys.executable, "-c", LIFNET_WORKER, example, str(args.cells),
                             positions])]
        if not args.skip_peers and "error" not in results[0]:
            if not os.path.exists(PEER_PYTHON):
                subprocess.run(["bash", os.path.join(HERE, "peers", "setup_env.sh")], check=True)
            results.append(run_json([PEER_PYTHON,
                                     os.path.join(HERE, "peers", "build_tut5_brian2.py"),
                                     positions]))
    lif = results[0]
    lines = ["| simulator | cells | synapses | build (s) | peak memory (GB) | "
             "peak bytes / synapse | stored bytes / synapse | lifnet build / this build |",
             "|---|---|---|---|---|---|---|---|"]
    for r in results:
        if "error" in r:
            lines.append(f"| {r.get('command')} | failed | | | | | | |")
            continue
        ratio = "" if r is lif else f"{lif['build_s'] / r['build_s']:.3f}"
        stored = (f"{r['stored_bytes_per_synapse']:.1f}" if "stored_bytes_per_synapse" in r
                  else "")
        lines.append(f"| {r['simulator']} | {r['cells']} | {r['synapses']} | "
                     f"{r['build_s']:.1f} | {r['peak_rss_bytes'] / 1e9:.2f} | "
                     f"{r['peak_bytes_per_synapse']:.1f} | {stored} | {ratio} |")
    md = "\n".join(lines)
    write("build-tut5", metadata("build_tut5.py", cells=args.cells), {"results": results},
          f"Build benchmark (NetPyNE tutorial 5 at {args.cells} cells)", md)


if __name__ == "__main__":
    main()
