"""Do an earlier commit and this tree give the same spikes and voltages on every model?

    python benchmarks/same_spikes.py [--before dae1b91] [--after REF] [--only coba ping ...]

For a change that must not change results (a new structure, a faster
kernel), this runs every built-in model, the model files of `examples/` and
a network of each cell kind with a state monitor, in the earlier commit
(checked out with `git worktree` into a temporary folder, imported with
PYTHONPATH) and in this tree (or a later commit, ``--after``), in this Python
environment, and compares the
spike times, spike ids and recorded voltages bit for bit. Each version uses
its own kernel cache folder, so nothing compiled by one is loaded by the
other. Writes benchmarks/results/same-spikes-<date>-<host>.{json,md}.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

from results_io import metadata, write

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# Each case: a name and the Python that builds `net` and its duration (ms).
CASES = {
    "coba": "net = ln.models.coba(seed=1); T = 300.0",
    "cobahh": "net = ln.models.cobahh(seed=1); T = 200.0",
    "compte2000": "net = ln.models.compte2000(N_E=512, N_I=128, seed=1, cue_start=200.0); "
                  "T = 1000.0",
    "wang2002": "net = ln.models.wang2002(coherence=25.6, seed=1, stim_start=100.0); T = 600.0",
    "ping": "net = ln.models.ping(n_e=400, n_i=100, seed=1); T = 300.0",
    "gap_junction_network": "net = ln.models.gap_junction_network(gap_weight=0.0007, seed=1); "
                            "T = 200.0",
    "rtm_async": "net = ln.models.rtm_async(seed=1, n_i=8); T = 400.0",
    "netpyne_tut2": "net = spec_net('examples/netpyne_tut2_lif.yaml'); T = 300.0",
    "netpyne_tut5": "net = spec_net('examples/netpyne_tut5_lif.yaml'); T = 200.0",
    "bmtk_ch3_column": "net = spec_net('examples/bmtk_ch3_column.yaml'); T = 300.0",
    "izhikevich_and_hh": (
        "net = ln.Network(dt=0.05, seed=3); "
        "Z = net.add(ln.IzhikevichPop(20, name='Z')); H = net.add(ln.HHPop(20, name='H')); "
        "net.stimulate(Z, ln.CurrentClamp(amplitude=0.12)); "
        "net.stimulate(H, ln.PoissonDrive(rate=500.0, weight=0.3, "
        "receptor=ln.AlphaCurrentSynapse(tau=0.2, name='ex'))); "
        "net.connect(Z, H, receptor=ln.AlphaCurrentSynapse(tau=2.0, name='in'), weight=-0.05, "
        "rule='probability', p=0.3, delay=1.0); T = 300.0"),
    "potjans_diesmann": "net = ln.models.potjans_diesmann(scale=0.05, k_scale=0.2, "
                        "background='poisson', seed=3); T = 200.0",
    "adex_and_adapting_lif": (
        "net = ln.Network(dt=0.1, seed=2); A = net.add(ln.AdExPop(20, name='A')); "
        "P = net.add(ln.PyrPop(40, name='P', currents=[ln.AdaptationCurrent(b=0.01)])); "
        "net.stimulate(A, ln.CurrentClamp(amplitude=0.6)); "
        "net.stimulate(P, ln.PoissonDrive(rate=2000.0, weight=0.002, tau=2.0, E=0.0)); "
        "net.connect(P, A, receptor=ln.AMPA(), weight=0.005, rule='probability', p=0.2); "
        "T = 300.0"),
}

WORKER = r"""
import hashlib, json, sys
import numba
import numpy as np
numba.set_num_threads(1)
import lifnet as ln
from lifnet import spec

def spec_net(path):
    net, _, _, _ = spec.build(spec.load(path))
    return net

exec(sys.argv[1])
mons = []
for name, pop in net.populations.items():
    if type(pop).__name__ not in ("PoissonPop", "SpikeSourcePop"):
        mons.append(net.monitor(name, "V", neurons=list(range(min(pop.n, 5))), interval=net.dt))
net.run(T)
out = {}
for name in net.populations:
    tr = net.result.spikes(name)
    digest = hashlib.sha256(tr.times.tobytes() + tr.ids.astype(np.int64).tobytes())
    out[name] = {"spikes": len(tr), "spike_sha": digest.hexdigest()[:16]}
for mon in mons:
    out[mon.population.name]["V_sha"] = hashlib.sha256(mon["V"].tobytes()).hexdigest()[:16]
print(json.dumps(out))
"""


def run_case(code, tree, cache):
    env = dict(os.environ, PYTHONPATH=tree, LIFNET_CACHE_DIR=cache, LIFNET_QUIET="1")
    proc = subprocess.run([sys.executable, "-c", WORKER, code], cwd=tree, env=env,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        return {"error": proc.stderr[-1500:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="dae1b91")
    parser.add_argument("--after", default=None, help="a later commit (default: this tree)")
    parser.add_argument("--only", nargs="+", choices=sorted(CASES))
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        before = os.path.join(scratch, "before")
        subprocess.run(["git", "worktree", "add", "--detach", before, args.before], cwd=ROOT,
                       check=True, capture_output=True)
        after = ROOT
        if args.after:
            after = os.path.join(scratch, "after")
            subprocess.run(["git", "worktree", "add", "--detach", after, args.after],
                           cwd=ROOT, check=True, capture_output=True)
        caches = {tree: tempfile.mkdtemp(dir=scratch) for tree in (before, after)}
        try:
            for name, code in CASES.items():
                if args.only and name not in args.only:
                    continue
                a = run_case(code, before, caches[before])
                b = run_case(code, after, caches[after])
                same = "error" not in a and a == b
                rows.append({"case": name, "same": same, "before": a, "after": b})
                print(f"{name:22s} {'same' if same else 'DIFFERENT'}", flush=True)
        finally:
            for tree in {before, after} - {ROOT}:
                subprocess.run(["git", "worktree", "remove", "--force", tree], cwd=ROOT,
                               capture_output=True)
    lines = ["| case | populations | spikes | same spikes and V |", "|---|---|---|---|"]
    for r in rows:
        pops = r["after"] if "error" not in r["after"] else {}
        spikes = ", ".join(f"{p} {v['spikes']}" for p, v in pops.items())
        lines.append(f"| {r['case']} | {len(pops)} | {spikes} | {'yes' if r['same'] else 'NO'} |")
    meta = metadata("same_spikes.py", before=_commit(args.before),
                    after=_commit(args.after) if args.after else "working tree")
    write("same-spikes", meta, {"rows": rows}, "Same spikes and voltages", "\n".join(lines))
    sys.exit(0 if all(r["same"] for r in rows) else 1)


def _commit(ref):
    """The short hash a ref names now, so that the record says which commit ran."""
    return subprocess.run(["git", "rev-parse", "--short", ref], cwd=ROOT, check=True,
                          capture_output=True, text=True).stdout.strip()


if __name__ == "__main__":
    sys.exit(main())
