"""Build benchmark: NetPyNE tutorial 5 scaled to 50 000 cells, lifnet vs Brian2, one invocation.

The network of ``examples/netpyne_tut5_lif.yaml`` with every population scaled so
that there are --cells cells in all: six layered populations in a 100 x 1000 x
100 µm volume; E -> all cells 100-1000 µm deep with probability 0.1 and weights
growing with depth; I -> E with probability 0.4 exp(-d / 150 µm); every delay
max(0.1 ms, d / 100 µm/ms). For each simulator, in a fresh process:

* build time: drawing the synapses (with their weights and delays) and, for
  lifnet, assembling them into the arrays a run uses (lifnet counts each
  projection's synapses at ``connect`` and writes them into the run's storage
  at assembly: both are timed); each simulator first builds a tiny network
  with the same rules, outside the timing, so that code generation and
  compilation are not counted;
* lifnet on 1 thread and on 2 (NUMBA_NUM_THREADS); Brian2's runtime build is
  single-threaded, so the 1-thread ratio is the like-for-like one;
* before the timed runs, 12 GB are touched once in a throw-away process
  (``warm_memory``): this VM's host charges 1-2 s per GB for the first touch.
* synapses, peak resident memory, and bytes per synapse: of the peak, and (lifnet)
  of the stored connectivity (postsynaptic index, weight, delay, and the
  row pointers).

Brian2 connects the same cells (positions passed in a file) with the same
rules, in runtime mode (Cython) and in cpp_standalone mode (1 thread; the time
is the compiled binary's own synapse creation, from Brian2's profiling, and
its peak memory the binary's); so does NetPyNE (``--netpyne-cells N``: on the
first N cells only, since NetPyNE keeps a Python dict per connection and
187 million of them do not fit in memory), with lifnet on the same N cells for
its ratio. Writes benchmarks/results/build-tut5-<date>-<host>.{json,md}.

Usage: python benchmarks/build_tut5.py [--cells 50000] [--skip-peers] [--netpyne-cells N]
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
import numba
print(json.dumps({"simulator": "lifnet", "threads": numba.get_num_threads(),
                  "cells": per_pop * len(pops), "synapses": n_syn,
                  "build_s": t2 - t0, "connect_s": t1 - t0, "assemble_s": t2 - t1,
                  "stored_bytes_per_synapse": stored / max(n_syn, 1),
                  "peak_rss_bytes": peak, "peak_bytes_per_synapse": peak / max(n_syn, 1)}))
"""


def run_json(cmd, env=None):
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        return {"error": proc.stderr[-2000:], "command": " ".join(cmd[1:2])}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def lifnet(example, cells, threads, positions):
    env = dict(os.environ, NUMBA_NUM_THREADS=str(threads))
    return run_json([sys.executable, "-c", LIFNET_WORKER, example, str(cells), positions], env)


def peer(script, positions, *args):
    if not os.path.exists(PEER_PYTHON):
        subprocess.run(["bash", os.path.join(HERE, "peers", "setup_env.sh")], check=True)
    return run_json([PEER_PYTHON, os.path.join(HERE, "peers", script), positions, *args])


def table(results):
    lines = ["| simulator | threads | cells | synapses | build (s) | peak memory (GB) | "
             "peak bytes / synapse | stored bytes / synapse | lifnet 1 thread / this | "
             "lifnet 2 threads / this |", "|---|---|---|---|---|---|---|---|---|---|"]
    lif = {(r["cells"], r["threads"]): r["build_s"] for r in results
           if r.get("simulator") == "lifnet"}
    for r in results:
        if "error" in r:
            lines.append(f"| {r.get('command')} | | failed | | | | | | | |")
            continue
        ratios = ["" if r["simulator"] == "lifnet" or (r["cells"], t) not in lif else
                  f"{lif[(r['cells'], t)] / r['build_s']:.3f}" for t in (1, 2)]
        stored = (f"{r['stored_bytes_per_synapse']:.1f}" if "stored_bytes_per_synapse" in r
                  else "")
        name = r["simulator"] + (f" ({r['mode']})" if r["simulator"] == "brian2" else "")
        lines.append(f"| {name} | {r.get('threads', 1)} | {r['cells']} | "
                     f"{r['synapses']} | {r['build_s']:.2f} | {r['peak_rss_bytes'] / 1e9:.2f} | "
                     f"{r['peak_bytes_per_synapse']:.1f} | {stored} | {' | '.join(ratios)} |")
    return "\n".join(lines)


WARM_GB = 12.0


def warm_memory(gigabytes):
    """Touch memory in a throw-away process before the timed builds.

    On this virtual machine the first touch of a page the host has never backed
    costs about 1-2 s per GB, a later touch (in any process) 0.06 s: without this
    whoever runs first pays the host's cost, not their own.
    """
    subprocess.run([sys.executable, "-c", f"import numpy as np; np.ones({int(gigabytes * 2**27)})"],
                   check=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cells", type=int, default=50000)
    ap.add_argument("--skip-peers", action="store_true")
    ap.add_argument("--netpyne-cells", type=int, default=0,
                    help="also build the first N cells in NetPyNE (and lifnet); 0: no NetPyNE")
    args = ap.parse_args()
    example = os.path.join(HERE, "..", "examples", "netpyne_tut5_lif.yaml")
    available = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**30
    warm_memory(min(WARM_GB, 0.7 * available))
    with tempfile.TemporaryDirectory() as tmp:
        positions = os.path.join(tmp, "positions.npz")
        results = [lifnet(example, args.cells, threads, positions) for threads in (1, 2)]
        if not args.skip_peers and "error" not in results[0]:
            results += [peer("build_tut5_brian2.py", positions, mode)
                        for mode in ("runtime", "cpp_standalone")]
        if args.netpyne_cells and not args.skip_peers:
            small = os.path.join(tmp, "positions-small.npz")
            results += [lifnet(example, args.netpyne_cells, threads, small) for threads in (1, 2)]
            results.append(peer("build_tut5_netpyne.py", small))
    write("build-tut5", metadata("build_tut5.py", cells=args.cells), {"results": results},
          f"Build benchmark (NetPyNE tutorial 5 at {args.cells} cells)", table(results))


if __name__ == "__main__":
    main()
