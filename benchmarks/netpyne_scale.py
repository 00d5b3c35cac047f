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
each seed of --seeds and record nothing but spikes:

* NetPyNE 1.1.1 on NEURON 9 through ``peers/netpyne_scale.py`` in the peers'
  environment (``benchmarks/.peer-env``): build = ``sim.create`` (cells,
  connections, NetStims, NetCons), simulation = ``sim.simulate``;
* lifnet in this process on the threads numba is given (NUMBA_NUM_THREADS):
  build = ``ln.netpyne.load`` and the assembly of the run's arrays,
  simulation = ``Network.run``. The kernels are compiled first, on the
  unscaled tutorial, outside the timing (a machine compiles them once).

Each seed's tool draws its own network, and at 5000 cells a population's
rate varies from seed to seed by up to 15 % (I2, I4): compare rates as means
over several seeds (--seeds). A NetPyNE run at 5000 cells takes about an
hour, so each is stored (benchmarks/results/netpyne-scale-runs/, with a
digest of the specification) and used again for the same size, duration and
seed unless --rerun; the report says which runs were stored and when.

Reports both times, their ratios (NetPyNE / lifnet) per seed and each
population's rate (Hz) under both, and writes
benchmarks/results/netpyne-scale-<cells>-<date>-<host>.{json,md}.

Usage: python benchmarks/netpyne_scale.py [--cells 5000] [--duration 1000] [--seeds 1 2 3]
"""

import argparse
import copy
import datetime
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings

import numba
import numpy as np
from results_io import metadata, write

import lifnet as ln

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
PEER_PYTHON = os.path.join(HERE, ".peer-env", "bin", "python")
PEER_SCRIPT = os.path.join(HERE, "peers", "netpyne_scale.py")
# NetPyNE's runs, one file per size and seed: at 5000 cells one takes an hour.
RUNS = os.path.join(HERE, "results", "netpyne-scale-runs")


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


def netpyne_run(spec, cells, duration, seed, rerun):
    """NetPyNE's run of this seed: from RUNS if a run of the same specification was
    stored there, else run now (and stored)."""
    path = os.path.join(RUNS, f"netpyne-{cells}-cells-{duration:g}-ms-seed-{seed}.json")
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()
    if not rerun and os.path.exists(path):
        with open(path) as f:
            stored = json.load(f)
        if stored["spec_sha256"] == digest:
            return {**stored["run"], "stored": stored["date"]}
    run = run_netpyne(spec, duration, seed)
    os.makedirs(RUNS, exist_ok=True)
    with open(path, "w") as f:
        json.dump({"date": datetime.datetime.now().isoformat(timespec="seconds"),
                   "spec_sha256": digest, "run": run}, f, indent=1)
    return run


def _sd(values):
    return f" ({values.std(ddof=1):.2f})" if len(values) > 1 else ""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=5000)
    parser.add_argument("--duration", type=float, default=1000.0, help="ms (default 1000)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1])
    parser.add_argument("--rerun", action="store_true",
                        help="run NetPyNE again for seeds whose runs are stored")
    args = parser.parse_args(argv)
    from netpyne_tut5 import TUT5
    spec = scaled(TUT5, args.cells)
    ours = [run_lifnet(spec, args.duration, seed) for seed in args.seeds]
    theirs = [netpyne_run(spec, args.cells, args.duration, seed, args.rerun)
              for seed in args.seeds]
    build_ratio = [t["build_s"] / o["build_s"] for o, t in zip(ours, theirs, strict=True)]
    sim_ratio = [t["sim_s"] / o["sim_s"] for o, t in zip(ours, theirs, strict=True)]
    stored = [f"{seed} ({t['stored'][:10]})" for seed, t in zip(args.seeds, theirs, strict=True)
              if "stored" in t]
    lines = [f"NetPyNE tutorial 5 scaled to {args.cells} cells "
             f"({', '.join(str(p['numCells']) for p in spec['popParams'].values())}), "
             f"{args.duration:g} ms at dt 0.025 ms, seeds {' '.join(map(str, args.seeds))}; "
             f"lifnet on {ours[0]['threads']} thread(s), NEURON on 1.", ""]
    if stored:
        lines += [f"NetPyNE's runs of seeds {', '.join(stored)} are the stored runs of the "
                  f"same specification (benchmarks/results/netpyne-scale-runs/; "
                  "--rerun runs them again).", ""]
    lines += ["| seed | connections (NetPyNE) | build NetPyNE / lifnet (s) | ratio | "
              "simulation NetPyNE / lifnet (s) | ratio |", "|---|---|---|---|---|---|"]
    for seed, o, t, b, r in zip(args.seeds, ours, theirs, build_ratio, sim_ratio, strict=True):
        lines.append(f"| {seed} | {t['connections']} | {t['build_s']:.1f} / "
                     f"{o['build_s']:.3f} | {b:.0f}x | {t['sim_s']:.0f} / {o['sim_s']:.1f} | "
                     f"{r:.1f}x |")
    lines += ["", f"Rates (Hz), mean over the {len(args.seeds)} seeds (SD over seeds):", "",
              "| population | lifnet | NetPyNE | lifnet / NetPyNE |", "|---|---|---|---|"]
    for label in spec["popParams"]:
        a = np.array([o["rates_hz"][label] for o in ours])
        b = np.array([t["rates_hz"][label] for t in theirs])
        lines.append(f"| {label} | {a.mean():.2f}{_sd(a)} | {b.mean():.2f}{_sd(b)} | "
                     f"{a.mean() / b.mean() if b.mean() else float('nan'):.3f} |")
    meta = metadata("netpyne_scale.py", cells=args.cells, duration_ms=args.duration,
                    seeds=args.seeds)
    write(f"netpyne-scale-{args.cells}", meta,
          {"lifnet": ours, "netpyne": theirs, "build_ratio": build_ratio,
           "sim_ratio": sim_ratio},
          f"NetPyNE tutorial 5 at {args.cells} cells, lifnet vs NetPyNE", "\n".join(lines))


if __name__ == "__main__":
    main()
