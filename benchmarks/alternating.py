"""lifnet against itself: every benchmark workload, two commits, in alternating runs.

    python benchmarks/alternating.py --before REF [--after REF] [--repeats 5] [--only coba ping]

For a change that must not slow anything down: each workload of `lifnet bench`
(the networks of benchmarks/: COBA and COBAHH at full size, PING 1000 + 250,
NEST's gap-junction network, Compte at 512 + 128, Wang 2002, NetPyNE tutorial
5's rules at 4000 cells, a small sweep) runs `--repeats` times in each tree,
the trees taking turns (before, after, before, ...), each run a fresh process
with the kernels compiled by a warm-up beforehand. Each tree is a git worktree
imported with PYTHONPATH, with its own kernel cache. Reports the median time of
each (simulation, or build, or runs per minute for the sweep) and the ratio
after / before. Writes benchmarks/results/alternating-<before>-<date>-<host>.{json,md}.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile

from results_io import metadata, write

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WORKLOADS = ("coba", "compte2000", "wang2002", "gap", "ping", "cobahh", "build", "sweep")
# The figure compared for each workload and whether smaller is better.
FIGURE = {"build": ("build_s", True), "sweep": ("runs_per_min", False)}


def run_bench(tree, cache, names):
    env = dict(os.environ, PYTHONPATH=tree, LIFNET_CACHE_DIR=cache, LIFNET_QUIET="1")
    env.pop("NUMBA_CACHE_DIR", None)
    proc = subprocess.run([sys.executable, "-m", "lifnet.cli", "bench", "--only", *names],
                          cwd=tree, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"lifnet bench in {tree} failed:\n{proc.stderr[-3000:]}")
    figures = {}
    for line in proc.stdout.splitlines():
        name = line.split(" ", 1)[0]
        if name in names:
            figures[name] = {k: float(v) for k, v in re.findall(r"(\w+) (-?\d[\d.e+-]*)", line)}
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True)
    parser.add_argument("--after", default="HEAD")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--only", nargs="+", choices=WORKLOADS, default=list(WORKLOADS))
    args = parser.parse_args()
    runs = {label: {name: [] for name in args.only} for label in ("before", "after")}
    with tempfile.TemporaryDirectory() as scratch:
        trees = {}
        for label in ("before", "after"):
            trees[label] = os.path.join(scratch, label)
            subprocess.run(["git", "worktree", "add", "--detach", trees[label],
                            getattr(args, label)], cwd=ROOT, check=True, capture_output=True)
        caches = {label: tempfile.mkdtemp(dir=scratch) for label in trees}
        try:
            for label in trees:                       # compile both sides' kernels first
                run_bench(trees[label], caches[label], args.only)
            for k in range(args.repeats):
                for label in ("before", "after") if k % 2 == 0 else ("after", "before"):
                    for name, figures in run_bench(trees[label], caches[label],
                                                   args.only).items():
                        runs[label][name].append(figures)
                print(f"repeat {k + 1} of {args.repeats} done", flush=True)
        finally:
            for tree in trees.values():
                subprocess.run(["git", "worktree", "remove", "--force", tree], cwd=ROOT,
                               capture_output=True)
    lines = ["| workload | figure | before (median) | after (median) | after / before |",
             "|---|---|---|---|---|"]
    summary = {}
    for name in args.only:
        key, smaller = FIGURE.get(name, ("sim_s", True))
        b = statistics.median(r[key] for r in runs["before"][name])
        a = statistics.median(r[key] for r in runs["after"][name])
        ratio = a / b if smaller else b / a
        summary[name] = {"figure": key, "before": b, "after": a, "slowdown": ratio}
        lines.append(f"| {name} | {key} | {b:.4g} | {a:.4g} | {ratio:.3f} |")
    lines.append("")
    lines.append("after / before: time after over time before (for the sweep, runs per "
                 "minute before over after): above 1 is slower.")
    meta = metadata("alternating.py", before=args.before, after=args.after,
                    repeats=args.repeats)
    write(f"alternating-{args.before}", meta, {"summary": summary, "runs": runs},
          "lifnet before and after, alternating runs", "\n".join(lines))


if __name__ == "__main__":
    main()
