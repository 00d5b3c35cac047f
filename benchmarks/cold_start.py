"""Cold and warm start of `lifnet run` and `lifnet bench`: an earlier commit against this tree.

    python benchmarks/cold_start.py [--before dae1b91] [--after HEAD] [--skip-bench]

Each version runs from its own source tree (each commit checked out with
`git worktree` into a temporary folder, imported with PYTHONPATH) in this
Python environment, one after the other in one invocation:

- cold: an empty kernel cache (the earlier commits cached inside the package
  folder, so their tree starts without cache files; this tree's cache goes to
  a fresh LIFNET_CACHE_DIR);
- warm: the same command again, with the cache the cold run filled.

Wall time of the whole command (`python -m lifnet.cli ...`), as a user
waits for it. `lifnet run` is the README's first command (COBA, 1 s);
`lifnet bench` runs every workload. Writes
benchmarks/results/cold-start-<date>-<host>.{json,md}.
"""

import argparse
import glob
import os
import subprocess
import sys
import tempfile
import time

from results_io import metadata, write

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def timed(cmd, tree, cache, cwd):
    env = dict(os.environ, PYTHONPATH=tree, LIFNET_CACHE_DIR=cache, LIFNET_QUIET="1")
    env.pop("NUMBA_CACHE_DIR", None)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "lifnet.cli", *cmd], cwd=cwd, env=env,
                          capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} in {tree} failed:\n{proc.stderr[-3000:]}")
    return seconds


def clear_in_tree_cache(tree):
    for pattern in ("**/*.nbi", "**/*.nbc", "**/lifnet-kernels.sha256"):
        for path in glob.glob(os.path.join(tree, "lifnet", pattern), recursive=True):
            os.remove(path)


def commit_of(ref):
    return subprocess.run(["git", "rev-parse", "--short", ref], cwd=ROOT, check=True,
                          capture_output=True, text=True).stdout.strip()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="dae1b91", help="the earlier commit (default: "
                                                            "the last before the cache moved)")
    parser.add_argument("--after", default="HEAD", help="the later commit (default: HEAD)")
    parser.add_argument("--skip-bench", action="store_true", help="time `lifnet run` only")
    args = parser.parse_args()
    commands = [("run", ["run", "--out", "out"])]
    if not args.skip_bench:
        commands.append(("bench", ["bench"]))
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        trees = {}
        for label, ref in (("before", args.before), ("after", args.after)):
            trees[label] = os.path.join(scratch, label)
            subprocess.run(["git", "worktree", "add", "--detach", trees[label], ref], cwd=ROOT,
                           check=True, capture_output=True)
        try:
            versions = [(f"{label} ({commit_of(ref)})", trees[label])
                        for label, ref in (("before", args.before), ("after", args.after))]
            for name, cmd in commands:
                for label, tree in versions:
                    cache = tempfile.mkdtemp(dir=scratch)
                    clear_in_tree_cache(tree)
                    cold = timed(cmd, tree, cache, scratch)
                    warm = timed(cmd, tree, cache, scratch)
                    rows.append({"command": f"lifnet {name}", "version": label,
                                 "cold_s": cold, "warm_s": warm})
                    print(f"lifnet {name:5s} {label:36s} cold {cold:6.1f} s  warm {warm:5.1f} s",
                          flush=True)
        finally:
            for tree in trees.values():
                subprocess.run(["git", "worktree", "remove", "--force", tree], cwd=ROOT,
                               capture_output=True)
    lines = ["| command | version | cold (s) | warm (s) | cold / before |", "|---|---|---|---|---|"]
    for r in rows:
        first = next(q for q in rows if q["command"] == r["command"])
        lines.append(f"| `{r['command']}` | {r['version']} | {r['cold_s']:.1f} | "
                     f"{r['warm_s']:.1f} | {r['cold_s'] / first['cold_s']:.2f} |")
    meta = metadata("cold_start.py", before=args.before, after=commit_of(args.after))
    write("cold-start-run" if args.skip_bench else "cold-start", meta, {"rows": rows},
          "Cold and warm start", "\n".join(lines))


if __name__ == "__main__":
    main()
