"""Loading a large SONATA circuit: lifnet (``ln.sonata.load``) against BMTK's ``pointnet``
building the same network in NEST (``peers/sonata_bmtk.py run``).

The circuit: ``--cells`` LIF cells, 80 % excitatory (``PyrPop``) and 20 %
inhibitory (``InterPop``), all four pairs connected with probability ``--p``
(about p x cells^2 edges: 10^7 at 10000 cells and p = 0.1, 10^8 at 31623),
and 100 spike sources; written by lifnet's ``save_sonata`` (NEST
``iaf_cond_exp``) with ``tstop`` 1 ms, so that pointnet's time is its
building. lifnet loads it in a fresh process (``ln.sonata.load``; the second of
two such processes, the first having compiled what the kernel cache lacked), then
assembles the run's arrays (the network ready to run: the time to compare, as
``load`` leaves the synapses of a projection that is an edge population of its
own to the assembly); pointnet reads it,
builds it in NEST (one thread) and simulates 1 ms. Each side reports wall
time and peak resident memory (``VmHWM``); lifnet also the peak's bytes per
edge above a process that had only imported lifnet, after loading and after
assembling.

Writes benchmarks/results/sonata-scale-<cells>-<date>-<host>.json and .md.

Example: python benchmarks/sonata_scale.py --cells 10000 --p 0.1     # 10^7 edges
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from results_io import metadata, write
from sonata_bmtk import peer

import lifnet as ln

# Memory from /proc/self/status (VmHWM: peak since exec; ru_maxrss may carry the parent's).
LOAD = """
import json, sys, time
import lifnet as ln

def status(key):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) / 1024.0 for line in f if line.startswith(key))

base = status("VmHWM:")
t = time.perf_counter()
net = ln.sonata.load(sys.argv[1])
loaded = time.perf_counter()
peak_loaded = status("VmHWM:")
net._build()
ready = time.perf_counter()
print(json.dumps({"load_s": loaded - t, "ready_s": ready - t, "peak_loaded_mb": peak_loaded,
                  "peak_rss_mb": status("VmHWM:"), "import_rss_mb": base,
                  "edges": sum(p.n_synapses for p in net.projections)}))
"""


def circuit(folder, cells, p, tstop=1.0):
    net = ln.Network(dt=0.1, seed=1)
    n_e = int(round(0.8 * cells))
    E = net.add(ln.PyrPop(n_e, name="E", V_init=-60.0))
    I = net.add(ln.InterPop(cells - n_e, name="I", V_init=-60.0))
    src = net.add(ln.SpikeSourcePop(100, times=np.arange(1.0, 101.0, 1.0), ids=np.arange(100),
                                    name="src"))
    for pre, post, receptor in ((E, E, "AMPA"), (E, I, "AMPA"), (I, E, "GABA"), (I, I, "GABA")):
        net.connect(pre, post, receptor=receptor, weight=0.001, rule="probability", p=p,
                    delay=1.5)
    net.connect(src, E, receptor="AMPA", weight=0.002, rule="probability", p=0.1, delay=1.0)
    config = net.save_sonata(folder, tstop=tstop)
    return config, sum(proj.n_synapses for proj in net.projections)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cells", type=int, default=10000)
    parser.add_argument("--p", type=float, default=0.1)
    parser.add_argument("--folder", help="write the circuit here and keep it; a circuit "
                        "already there (of the same --cells and --p) is used again")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.folder or tmp
        stamp = os.path.join(folder, "sonata_scale.json")
        if os.path.exists(stamp):
            with open(stamp) as f:
                kept = json.load(f)
        if args.folder and os.path.exists(stamp) and (kept["cells"], kept["p"]) == (
                args.cells, args.p):
            config, edges = kept["config"], kept["edges"]
        else:
            config, edges = circuit(folder, args.cells, args.p)
            with open(stamp, "w") as f:
                json.dump({"cells": args.cells, "p": args.p, "config": str(config),
                           "edges": edges}, f)
        for _ in range(2):       # the first run compiles what the disk cache lacks
            proc = subprocess.run([sys.executable, "-c", LOAD, config], capture_output=True,
                                  text=True, check=True)
        lifnet = json.loads(proc.stdout.strip().splitlines()[-1])
        nest = peer("run", config)
    per_edge = {k: (lifnet[k] - lifnet["import_rss_mb"]) * 2**20 / edges
                for k in ("peak_loaded_mb", "peak_rss_mb")}
    nest_s = nest["build_s"] + nest["run_s"]
    meta = metadata("sonata_scale.py", lifnet=ln.__version__, nest=nest["nest"],
                    bmtk=nest["bmtk"], cells=args.cells, p=args.p)
    markdown = (
        f"{args.cells} cells, {edges:.3g} edges (`iaf_cond_exp`, written by `save_sonata`).\n\n"
        "| | wall time | peak memory |\n|---|---|---|\n"
        f"| lifnet `ln.sonata.load` | {lifnet['load_s']:.2f} s | "
        f"{lifnet['peak_loaded_mb']:.0f} MB ({per_edge['peak_loaded_mb']:.1f} bytes per edge "
        "above the import) |\n"
        f"| lifnet load and assemble (ready to run) | {lifnet['ready_s']:.2f} s | "
        f"{lifnet['peak_rss_mb']:.0f} MB ({per_edge['peak_rss_mb']:.1f} bytes per edge) |\n"
        f"| BMTK {nest['bmtk']} pointnet, NEST {nest['nest']}: build and 1 ms | "
        f"{nest_s:.2f} s | {nest['peak_rss_mb']:.0f} MB |\n\n"
        f"lifnet has the network loaded and ready to run {nest_s / lifnet['ready_s']:.1f}x "
        f"faster than pointnet builds it (target 10x), at {per_edge['peak_rss_mb']:.1f} "
        "bytes per edge at its peak (target 12). (`ln.sonata.load` alone takes "
        f"{lifnet['load_s']:.2f} s: where a projection is an edge population of its own, "
        "its synapses are read when the network is assembled, straight into the run's "
        "storage.)")
    write(f"sonata-scale-{args.cells}", meta, {"edges": edges, "lifnet": lifnet, "nest": nest,
                                 "lifnet_peak_bytes_per_edge": per_edge},
          "Loading a SONATA circuit: lifnet and BMTK pointnet", markdown)


if __name__ == "__main__":
    os.chdir(os.path.dirname(os.path.abspath(__file__)))
    main()
