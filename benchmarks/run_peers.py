"""Every comparison against Brian2 and NEST, one after another: the full benchmark suite.

Creates the peers' environment first (``peers/setup_env.sh``: Brian2 and
NEST in ``benchmarks/.peer-env``, NumPy pinned below 2.4), then runs each
benchmark script in its own process. Each script writes its dated results
to ``benchmarks/results/`` (``<name>-<date>-<host>.json`` and ``.md``, some
a ``.png``); this one prints which ran, how long each took, and which
failed. ``lifnet bench`` is the quick, lifnet-only counterpart.

Usage: python benchmarks/run_peers.py [--only coba compte ...] [--list]
"""

import argparse
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# (name, script and arguments, what it compares, about how long on 2 cores)
SUITE = [
    ("coba", ["coba.py"], "COBA (Brette 2007): lifnet vs Brian2 runtime/cpp, NEST", "5 min"),
    ("coba-rate", ["coba_rate_convergence.py"], "COBA mean rate against dt, lifnet vs Brian2",
     "10 min"),
    ("compte", ["compte.py"], "Compte (2000) ring, 4 s, and its cost as N grows, vs Brian2",
     "15 min"),
    ("build", ["build_tut5.py"], "NetPyNE tutorial 5 rules at 50 000 cells: build, vs Brian2",
     "10 min"),
    ("sweep", ["sweep_throughput.py"], "200-run sweep: local, Dask, vs a Brian2 loop", "10 min"),
    ("conductance", ["conductance.py"],
     "NEST's gap-junction network vs NEST; PING and COBAHH vs Brian2", "5 min"),
    ("accuracy", ["accuracy_cost.py"],
     "spike-time error vs CPU time, 1000 RTM cells, lifnet vs Brian2", "2 min"),
    ("accuracy-lif", ["accuracy_cost_lif.py"],
     "spike-time error vs CPU time, 1000 LIF cells, lifnet vs Brian2 vs NEST", "1 min"),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", choices=[name for name, *_ in SUITE],
                    help="run only these benchmarks")
    ap.add_argument("--list", action="store_true", help="list the benchmarks and stop")
    args = ap.parse_args()
    chosen = [entry for entry in SUITE if not args.only or entry[0] in args.only]
    if args.list:
        for name, cmd, what, how_long in SUITE:
            print(f"{name:12s} {' '.join(cmd):28s} {what} (~{how_long})")
        return 0
    subprocess.run(["bash", os.path.join(HERE, "peers", "setup_env.sh")], check=True,
                   stdout=subprocess.DEVNULL)
    failed = []
    for name, cmd, what, _ in chosen:
        print(f"== {name}: {what}", flush=True)
        t0 = time.perf_counter()
        code = subprocess.run([sys.executable, os.path.join(HERE, cmd[0]), *cmd[1:]],
                              cwd=HERE).returncode
        took = time.perf_counter() - t0
        print(f"== {name}: {'ok' if code == 0 else f'FAILED ({code})'} in {took / 60:.1f} min",
              flush=True)
        if code != 0:
            failed.append(name)
    print(f"{len(chosen) - len(failed)} of {len(chosen)} benchmarks ran; results in "
          f"{os.path.join(HERE, 'results')}" + (f"; failed: {', '.join(failed)}" if failed
                                                 else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
