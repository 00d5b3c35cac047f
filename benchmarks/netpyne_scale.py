"""NetPyNE's tutorial 5 scaled to 5000 cells: build and simulation time, lifnet vs NetPyNE.

The specification is tutorial 5's ``netParams`` (``tests/netpyne_tut5.py``,
NetPyNE's ``doc/source/code/tut5.py``) with one change: each population's
``numCells`` is scaled so that there are --cells cells in all (50 of 300
each: 834, 834, 833, 833, 833, 833 of 5000, the remainder to the first).
The connection rules stay as written, so both tools run the same
specification: E -> all by a fixed probability 0.1 and I -> E by
0.4 exp(-d / 150 µm) in the same 100 x 1000 x 100 µm volume, so a cell's
number of inputs grows with the number of cells (about 17-fold from 300 to
5000 cells) while the weights stay; every cell keeps its own background
NetStim (20 Hz, noise 0.3, weight 0.01 µS).

Both run --duration ms (default 1000) at dt 0.025 ms with seeds conn = stim =
--seed and record nothing but spikes:

* NetPyNE 1.1.1 on NEURON 9 through ``peers/netpyne_scale.py`` in the peers'
  environment (``benchmarks/.peer-env``): build = ``sim.create`` (cells,
  connections, NetStims, NetCons), simulation = ``sim.simulate``;
* lifnet in this process on the threads numba is given (NUMBA_NUM_THREADS):
  build = ``ln.netpyne.load`` and the assembly of the run's arrays,
  simulation = ``Network.run``. The kernels are compiled first, on the
  unscaled tutorial, outside the timing (a machine compiles them once).

Reports both times, their ratios (NetPyNE / lifnet) and each population's
rate (Hz) under both, and writes
benchmarks/results/netpyne-scale-<cells>-<date>-<host>.{json,md}.

Usage: python benchmarks/netpyne_scale.py [--cells 5000] [--duration 1000] [--seed 1]
"""

import argparse
import copy
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings

import numba
from results_io import metadata, write

import lifnet as ln

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
PEER_PYTHON = os.path.join(HERE, ".peer-env", "bin", "python")
PEER_SCRIPT = os.path.join(HERE, "peers", "netpyne_scale.py")


def scaled(spec, cells):
    """Tutorial 5's netParams with ``numCells`` scaled to ``cells`` cells in all."""
    out = copy.deepcopy(spec)
    pops = out["popParams"]
    total = sum(p["numCells"] for p in pops.values())
    counts = [cells * p["numCells"] // total for p in pops.values()]
    for k in range(cells - sum(counts)):
        counts[k] += 1
    for pop, n in zip(pops.values(), counts, strict=True):
        pop["numCells"] = n
    return out


def run_lifnet(spec, duration, seed):
    config = {"duration": duration, "dt": 0.025, "seeds": {"conn": seed, "stim": seed}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")      # (delays raised to dt: said by the loader)
        ln.netpyne.run(scaled(spec, 300), {**config, "duration": 10.0})    # compiles
        start = time.perf_counter()
        net = ln.netpyne.load(spec, config)
        net._build()
        built = time.perf_counter()
        result = net.run(duration)
        done = time.perf_counter()
    rates = {label: len(result.spikes(label)) / pop["numCells"] / (duration / 1000.0)
             for label, pop in spec["popParams"].items()}
    return {"simulator": f"lifnet {ln.__version__}", "threads": numba.get_num_threads(),
            "build_s": built - start, "sim_s": done - built, "rates_hz": rates}


def run_netpyne(spec, duration, seed):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(spec, f)
    try:
        out = subprocess.run([PEER_PYTHON, PEER_SCRIPT, f.name, "--duration", str(duration),
                              "--seed", str(seed)], capture_output=True, text=True, check=True)
    finally:
        os.unlink(f.name)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=5000)
    parser.add_argument("--duration", type=float, default=1000.0, help="ms (default 1000)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    from netpyne_tut5 import TUT5
    spec = scaled(TUT5, args.cells)
    ours = run_lifnet(spec, args.duration, args.seed)
    theirs = run_netpyne(spec, args.duration, args.seed)
    build_ratio = theirs["build_s"] / ours["build_s"]
    sim_ratio = theirs["sim_s"] / ours["sim_s"]
    lines = [f"NetPyNE tutorial 5 scaled to {args.cells} cells "
             f"({', '.join(str(p['numCells']) for p in spec['popParams'].values())}), "
             f"{args.duration:g} ms at dt 0.025 ms, seed {args.seed}; "
             f"{theirs['connections']} connections in NetPyNE; lifnet on "
             f"{ours['threads']} thread(s).", "",
             "| | build (s) | simulation (s) |", "|---|---|---|",
             f"| NetPyNE / NEURON | {theirs['build_s']:.2f} | {theirs['sim_s']:.2f} |",
             f"| lifnet | {ours['build_s']:.3f} | {ours['sim_s']:.2f} |",
             f"| NetPyNE / lifnet | {build_ratio:.0f}x | {sim_ratio:.1f}x |", "",
             "| population | lifnet (Hz) | NetPyNE (Hz) | ratio |", "|---|---|---|---|"]
    for label, rate in ours["rates_hz"].items():
        theirs_rate = theirs["rates_hz"][label]
        lines.append(f"| {label} | {rate:.2f} | {theirs_rate:.2f} | "
                     f"{rate / theirs_rate if theirs_rate else float('nan'):.3f} |")
    meta = metadata("netpyne_scale.py", cells=args.cells, duration_ms=args.duration,
                    seed=args.seed)
    write(f"netpyne-scale-{args.cells}", meta, {"lifnet": ours, "netpyne": theirs,
                                  "build_ratio": build_ratio, "sim_ratio": sim_ratio},
          f"NetPyNE tutorial 5 at {args.cells} cells, lifnet vs NetPyNE", "\n".join(lines))


if __name__ == "__main__":
    main()
