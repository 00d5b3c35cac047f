"""Bad input and faults, counted: the same inputs run against an earlier commit and this tree.

    python benchmarks/fuzz_table.py [--before 5f0e41b] [--per-file 700] [--per-class 300]
        [--expressions 300] [--compiled 30] [--cli 120] [--faults 80]

Categories, as in the bad-input issue's table:

- Python API, connect, model files: the inputs of tests/test_fuzz.py (mutated
  example files, bad arguments to every public constructor and to ``connect``),
  more of them;
- expressions: random expression strings (functions with any number of
  arguments, huge and non-finite numbers, names that are not variables,
  attribute access, deep nesting, long sums) as weight, nsyn, delay and p;
- CLI: random command lines of ``lifnet run``, ``sweep`` and ``export`` with
  bad values, paths that cannot be written, bad ``--set`` and ``--grid``;
- faults: checkpoints with one bit flipped at a random byte, sweeps into a
  damaged ``runs.sqlite``, and (as root) checkpoints saved onto a full disk
  (tmpfs of 8-100 KiB) in a process of their own.

Each version runs in its own process (imported with PYTHONPATH from a ``git
worktree``). Each input ends as one of: refused with lifnet's ParameterError
or a non-zero exit with a message, or an OSError that names the file (clear);
another exception, or a signal (unclear crash); no answer within 30 s (hang);
or accepted: then invariants are checked (finite weights, delays >= dt, a
summary for every exit 0, every row stored, a damaged checkpoint never changing
the run, no temporary file left: else accepted but wrong). Writes
benchmarks/results/fuzz-table-<date>-<host>.{json,md}.
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

WORKER = r"""
import collections, copy, glob, inspect, json, os, random, signal, sys
sys.path.insert(0, TESTS)
import numpy as np, yaml
import lifnet as ln
from lifnet import spec
import test_fuzz as tf

counts = collections.defaultdict(collections.Counter)
examples = collections.defaultdict(list)

def alarm(signum, frame):
    raise tf.HangError("hang")

def attempt(category, what, build, check=None):
    signal.signal(signal.SIGALRM, alarm)
    signal.alarm(30)
    try:
        result = build()
        signal.alarm(0)
        if check is not None:
            try:
                check(result)
            except AssertionError as err:
                counts[category]["accepted but wrong"] += 1
                examples[category].append(("wrong", what[:200], str(err)[:200]))
                return
        counts[category]["accepted"] += 1
    except ln.ParameterError:
        counts[category]["clear error"] += 1
    except tf.HangError:
        counts[category]["hang"] += 1
        examples[category].append(("hang", what[:200], ""))
    except Exception as err:
        counts[category]["unclear crash"] += 1
        examples[category].append((type(err).__name__, what[:200], str(err)[:200]))
    finally:
        signal.alarm(0)

for path in sorted(glob.glob(os.path.join(ROOT, "examples", "*.yaml"))):
    original = yaml.safe_load(open(path))
    rng = random.Random("fuzz-" + os.path.basename(path))
    for k in range(PER_FILE):
        data = tf.mutate(original, rng)
        attempt("model files", repr(data), lambda d=data: spec.build(spec.load(d)),
                lambda r: tf.check_invariants(r[0], r[1]))

print("fuzz: " + 'for name, cls in tf.', file=sys.stderr, flush=True)
for name, cls in tf._constructors():
    rng = random.Random("fuzz-" + name)
    params = [p for p in inspect.signature(cls.__init__).parameters.values()
              if p.name != "self" and p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)]
    for _ in range(PER_CLASS):
        kwargs = {}
        for p in params:
            if p.default is p.empty or rng.random() < 0.4:
                kwargs[p.name] = copy.deepcopy(rng.choice(tf.POOL + [3, 10, 0.1]))
        args = [kwargs.pop(p.name) for p in params
                if p.kind == p.POSITIONAL_OR_KEYWORD and p.name in kwargs]
        attempt("Python API", f"{name}({args}, {kwargs})", lambda a=args, kw=kwargs: cls(*a, **kw))

keys = ["p", "indegree", "nsyn", "delay", "autapses", "receptor", "pre_select", "post_select",
        "n_synapses", "J_plus", "sigma"]
rules = ["all_to_all", "probability", "fixed_indegree", "convergence", "divergence",
         "fixed_total_number", "one_to_one", "ring", "array", "nope", 3]
for seed in range(3):
    rng = random.Random(f"fuzz-connect-{seed}")
    for k in range(PER_CLASS):
        net = ln.Network(dt=0.1, seed=1)
        xyz = np.random.default_rng(k).uniform(0, 100, (6, 3))
        E = net.add(ln.PyrPop(6, name="E"), positions=xyz)
        I = net.add(ln.InterPop(6, name="I"), positions=xyz)
        kwargs = {"weight": rng.choice(tf.POOL + [0.01]), "rule": rng.choice(rules)}
        for key in rng.sample(keys, rng.randint(0, 4)):
            kwargs[key] = copy.deepcopy(rng.choice(tf.POOL + [0.2, 3, "AMPA", "GABA"]))

        def check(proj):
            assert np.all(np.isfinite(proj.weights().data)), "non-finite weights"

        attempt("connect", repr(kwargs), lambda n=net, e=E, i=I, kw=kwargs: n.connect(e, i, **kw),
                check)

FUNCS = ["exp", "log", "sqrt", "abs", "minimum", "maximum", "uniform", "normal",
         "exponential", "poisson", "floor", "where", "nope", "__import__", "eval"]
ATOMS = ["dist_3D", "pre_x", "post_y", "1", "0", "-1", "0.5", "1e999", "1e-320", "nan", "inf",
         "1/0", "x", "i", "__class__", "'a'", "[1]", "()", "True", "None", "2**2000"]
OPS = ["+", "-", "*", "/", "**", "%", "//", "<", " and ", " if 1 else ", ".", ","]
SPECIAL = ["-" * 2000 + "1", " + ".join(["dist_3D"] * 300), "(" * 400 + "1" + ")" * 400,
           "lambda: 1", "dist_3D.__class__", "exp(" * 60 + "1" + ")" * 60, "", " ",
           "poisson(log(-1))", "uniform(0.5)", "minimum(1)", "maximum(1, 2, 3)",
           "exponential(-1)", "uniform(1, 0)", "normal(0, -1)", "1e308 * 10"]


def expression(rng, depth=0):
    r = rng.random()
    if depth > 3 or r < 0.3:
        return rng.choice(ATOMS)
    if r < 0.6:
        return f"({expression(rng, depth + 1)}{rng.choice(OPS)}{expression(rng, depth + 1)})"
    if r < 0.95:
        args = ", ".join(expression(rng, depth + 1) for _ in range(rng.randint(0, 3)))
        return f"{rng.choice(FUNCS)}({args})"
    return rng.choice(SPECIAL)


def small_pair(k):
    net = ln.Network(dt=0.1, seed=1)
    xyz = np.random.default_rng(k).uniform(0, 100, (6, 3))
    E = net.add(ln.PyrPop(6, name="E"), positions=xyz)
    I = net.add(ln.InterPop(6, name="I"), positions=xyz)
    return net, E, I


def sound(proj, dt=0.1):
    w = np.asarray(proj.weights().data, float)
    assert np.all(np.isfinite(w)) and np.all(np.abs(w) < 3.5e38), "non-finite weights"
    d = np.asarray(proj.delay if proj.delay is not None else dt, float)
    assert np.all(np.isfinite(d)) and np.all(d >= dt * (1 - 1e-6)), "delays below dt"


print("fuzz: " + 'rng = random.Random(', file=sys.stderr, flush=True)
rng = random.Random("fuzz-expressions")
texts = [SPECIAL[k % len(SPECIAL)] if k < len(SPECIAL) else expression(rng)
         for k in range(N_EXPRESSIONS)]
for k, text in enumerate(texts):
    slot = ("weight", "nsyn", "delay", "p")[k % 4]
    net, E, I = small_pair(k)
    # A callable weight keeps the NumPy path (the compiled one compiles a kernel per text).
    kwargs = {"rule": "probability" if slot == "p" else "one_to_one",
              "weight": (lambda v: 0.01) if slot != "weight" else text}
    if slot != "weight":
        kwargs[slot] = text
    attempt("expressions", f"{slot}={text[:150]}",
            lambda n=net, e=E, i=I, kw=kwargs: n.connect(e, i, **kw), sound)
def isolated(category, what, build, check):
    # attempt() in a forked process: a compiled loop cannot be stopped by an alarm.
    import multiprocessing
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()

    def child():
        attempt(category, what, build, check)
        queue.put((dict(counts[category]), examples[category][-1:]))

    before = dict(counts[category])
    proc = ctx.Process(target=child)
    proc.start()
    proc.join(60)
    if proc.is_alive():
        proc.kill()
        proc.join()
        counts[category]["hang"] += 1
        examples[category].append(("hang (compiled loop)", what[:200], ""))
        return
    if proc.exitcode != 0 or queue.empty():
        counts[category]["unclear crash"] += 1
        examples[category].append((f"exit {proc.exitcode}", what[:200], ""))
        return
    after, last = queue.get()
    for outcome, n in after.items():
        if n > before.get(outcome, 0):
            counts[category][outcome] += 1
            if outcome not in ("accepted", "clear error"):
                examples[category].extend(last)


for k, text in enumerate(texts[:N_COMPILED]):
    slot = ("weight", "p")[k % 2]
    net, E, I = small_pair(k)
    kwargs = {"rule": "probability", "weight": 0.01, "p": 0.5, slot: text}
    isolated("expressions", f"compiled {slot}={text[:150]}",
             lambda n=net, e=E, i=I, kw=kwargs: n.connect(e, i, **kw), sound)

import tempfile
from lifnet.cli import main as cli_main

scratch = tempfile.mkdtemp(prefix="fuzz-cli-")
MODEL = os.path.join(scratch, "model.yaml")
with open(MODEL, "w") as f:
    yaml.safe_dump({"network": {"dt": 0.1}, "populations": {
        "E": {"type": "PyrPop", "n": 8}, "I": {"type": "InterPop", "n": 4}},
        "stimuli": [{"population": "E", "type": "PoissonDrive", "rate": 2000.0,
                     "weight": 0.005}],
        "connections": [{"pre": "E", "post": "I", "weight": 0.002}],
        "run": {"duration": 20.0}}, f)
blocker = os.path.join(scratch, "a_file")
open(blocker, "w").close()
VALUES = ["10", "0", "-1", "nan", "inf", "1e-300", "1e300", "a", "", "10.05", "1e23",
          str(2 ** 64), "0.1"]
SETS = ["network.dt=0.05", "populations.E.n=1e23", "populations.E.n.x=1",
        "connections.9.weight=1", "run.duration=nan", "=", "a", "network=[1,",
        "populations.E.n=-3", "connections.0.weight=\"1/0\"", "stimuli.0.rate=1e12"]
GRIDS = ["connections.0.weight=a:b:c", "connections.0.weight=0:1:-1",
         "connections.0.weight=0:1:1e9", "populations.E.n=0,-1", "x=1", "connections.0.weight=[1,",
         "connections.0.weight=0.001,0.002"]


def cli(argv, kind, out):
    try:
        code = cli_main(argv)
    except SystemExit as stop:
        code = stop.code
    if code not in (0, None):
        raise ln.ParameterError(f"exit {code}")
    return kind, out


def cli_sound(result):
    kind, out = result
    if kind == "run":
        assert glob.glob(os.path.join(out, "*", "summary.json")), "exit 0 without a summary"
    elif kind == "sweep":
        import pandas as pd
        table = pd.read_csv(os.path.join(out, "sweep.csv"))
        assert (table["status"] == "ok").all(), "exit 0 with failed runs"


print("fuzz: " + 'rng = random.Random(', file=sys.stderr, flush=True)
rng = random.Random("fuzz-cli")
for k in range(N_CLI):
    kind = rng.choice(["run", "run", "sweep", "export"])
    out = os.path.join(scratch, f"out{k}")
    argv = [kind, MODEL]
    options = {"run": ["--duration", "--dt", "--seed", "--set", "--threads", "--out"],
               "sweep": ["--grid", "--seeds", "--workers", "--metric", "--duration", "--out"],
               "export": ["--sonata", "--duration"]}[kind]
    chosen = rng.sample(options, rng.randint(1, min(3, len(options))))
    for opt in chosen:
        if opt == "--set":
            value = rng.choice(SETS)
        elif opt == "--grid":
            value = rng.choice(GRIDS)
        elif opt == "--workers":
            value = rng.choice(["1", "0", "-1", "a", "1.5"])
        elif opt == "--metric":
            value = rng.choice(["nope", "rate_X", "rate_E", ""])
        elif opt in ("--out", "--sonata"):
            value = rng.choice([out, os.path.join(blocker, "x"), "/proc/nope", out])
        elif opt == "--duration":
            value = rng.choice(VALUES[:9] + ["10.05", "1e23"])
        else:
            value = rng.choice(VALUES)
        argv += [opt, value]
    if kind == "export" and "--sonata" not in chosen:
        argv += ["--sonata", out]
    if kind != "export" and "--out" not in chosen:
        argv += ["--out", out]
    if kind == "sweep":
        argv += ["--no-progress"] + ([] if "--workers" in chosen else ["--workers", "1"])
    attempt("CLI", " ".join(argv).replace(scratch, "."),
            lambda a=argv, kd=kind, o=out: cli(a, kd, o), cli_sound)

def ring_network():
    net = ln.Network(dt=0.1, seed=3)
    E = net.add(ln.PyrPop(40, name="E"))
    I = net.add(ln.InterPop(10, name="I"))
    net.stimulate(E, ln.PoissonDrive(rate=2000.0, weight=0.005))
    net.connect(E, I, weight=0.002, rule="probability", p=0.5)
    net.connect(I, E, receptor="GABA", weight=0.002)
    return net


def spikes_of(net, result):
    return [np.concatenate([result.spikes(p).times, result.spikes(p).ids]) for p in net.populations]


print("fuzz: " + 'saved = ring_network', file=sys.stderr, flush=True)
saved = ring_network()
saved.run(20.0)
good = os.path.join(scratch, "good.h5")
saved.save_checkpoint(good)
reference = ring_network()
reference.load_checkpoint(good)
expected = spikes_of(reference, reference.run(10.0))
data = open(good, "rb").read()
rng = random.Random("fuzz-faults")


def flipped_load(offset):
    path = os.path.join(scratch, f"flip{offset}.h5")
    raw = bytearray(data)
    raw[offset] ^= 1 << rng.randrange(8)
    open(path, "wb").write(bytes(raw))
    net = ring_network()
    try:
        net.load_checkpoint(path)
    except OSError as err:   # an unreadable file, said as such
        raise ln.ParameterError(str(err))
    return net


def same_run(net):
    got = spikes_of(net, net.run(10.0))
    assert all(a.shape == b.shape and np.array_equal(a, b) for a, b in zip(got, expected)), \
        "a damaged checkpoint loaded and changed the run"


for k in range(N_FAULTS):
    offset = rng.randrange(len(data))
    attempt("faults", f"checkpoint, one bit flipped at byte {offset}",
            lambda o=offset: flipped_load(o), same_run)

store_dir = os.path.join(scratch, "store")
ln.sweep(MODEL, grid={"connections.0.weight": [0.002]}, duration=10.0, out=store_dir,
         workers=1, progress=False)
store = open(os.path.join(store_dir, "runs.sqlite"), "rb").read()
for k in range(N_FAULTS // 4):
    folder = os.path.join(scratch, f"store{k}")
    os.makedirs(folder)
    raw = bytearray(store)
    for _ in range(8):
        raw[rng.randrange(len(raw))] = rng.randrange(256)
    open(os.path.join(folder, "runs.sqlite"), "wb").write(bytes(raw))

    def corrupt_store(folder=folder):
        try:
            return ln.sweep(MODEL, grid={"connections.0.weight": [0.002, 0.003]},
                            duration=10.0, out=folder, workers=1, progress=False)
        except OSError as err:
            raise ln.ParameterError(str(err))

    def all_rows(table):
        assert len(table) == 2 and (table["status"] == "ok").all(), "rows lost or failed"

    attempt("faults", "sweep into a damaged runs.sqlite", corrupt_store, all_rows)

FULL_DISK = r'''
import os, sys
import lifnet as ln
net = ln.Network(dt=0.1, seed=3)
E = net.add(ln.PyrPop(int(sys.argv[2]), name="E"))
net.stimulate(E, ln.PoissonDrive(rate=2000.0, weight=0.005))
net.run(10.0)
try:
    net.save_checkpoint(sys.argv[1])
except OSError as err:
    print("clean error:", err)
    sys.exit(3)
'''
if os.geteuid() == 0:
    import subprocess
    for kib in (8, 16, 32, 64, 100):
        mount = os.path.join(scratch, f"disk{kib}")
        os.makedirs(mount)
        if subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={kib}k", "tmpfs",
                           mount]).returncode:
            break
        try:
            for cells in (100, 4000):
                proc = subprocess.run([sys.executable, "-c", FULL_DISK,
                                       os.path.join(mount, "state.h5"), str(cells)],
                                      capture_output=True, text=True, timeout=300)
                left = [f for f in os.listdir(mount) if f != "state.h5"]
                what = f"checkpoint of {cells} cells onto a {kib} KiB disk"
                if proc.returncode < 0:
                    counts["faults"]["unclear crash"] += 1
                    examples["faults"].append((f"signal {-proc.returncode}", what, ""))
                elif left:
                    counts["faults"]["accepted but wrong"] += 1
                    examples["faults"].append(("left behind", what, " ".join(left)))
                elif proc.returncode == 3:
                    counts["faults"]["clear error"] += 1
                elif proc.returncode == 0:
                    counts["faults"]["accepted"] += 1
                else:
                    counts["faults"]["unclear crash"] += 1
                    examples["faults"].append(("exit", what, proc.stderr[-200:]))
                for f in os.listdir(mount):
                    os.remove(os.path.join(mount, f))
        finally:
            subprocess.run(["umount", mount])

json.dump({"counts": {c: dict(v) for c, v in counts.items()},
           "examples": {c: v[:8] for c, v in examples.items()}}, sys.stdout)
"""


def run(tree, per_file, per_class, n_expressions, n_compiled, n_cli, n_faults, quiet=False):
    code = (f"TESTS = {os.path.join(ROOT, 'tests')!r}\nROOT = {ROOT!r}\nPER_FILE = {per_file}\n"
            f"PER_CLASS = {per_class}\nN_EXPRESSIONS = {n_expressions}\n"
            f"N_COMPILED = {n_compiled}\nN_CLI = {n_cli}\nN_FAULTS = {n_faults}\n" + WORKER)
    env = dict(os.environ, PYTHONPATH=tree, LIFNET_QUIET="1",
               LIFNET_CACHE_DIR=os.path.join(tempfile.gettempdir(), "lifnet-fuzz-cache"))
    proc = subprocess.run([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE if quiet else None, text=True,
                          cwd=tempfile.gettempdir(),
                          timeout=4 * 3600)
    if proc.returncode != 0:
        raise RuntimeError(f"the fuzz worker ended with exit code {proc.returncode}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="5f0e41b", help="the earlier commit")
    parser.add_argument("--per-file", type=int, default=700, help="mutations per example file")
    parser.add_argument("--per-class", type=int, default=300,
                        help="argument sets per constructor and per connect seed")
    parser.add_argument("--expressions", type=int, default=300,
                        help="random expressions (weight, nsyn, delay, p; NumPy path)")
    parser.add_argument("--compiled", type=int, default=30,
                        help="of those, how many also on the compiled path (a kernel each)")
    parser.add_argument("--cli", type=int, default=120, help="random command lines")
    parser.add_argument("--faults", type=int, default=80,
                        help="damaged checkpoints (and a quarter as many damaged stores)")
    args = parser.parse_args()
    sizes = (args.per_file, args.per_class, args.expressions, args.compiled, args.cli,
             args.faults)
    results = {}
    with tempfile.TemporaryDirectory() as scratch:
        before = os.path.join(scratch, "before")
        subprocess.run(["git", "worktree", "add", "--detach", before, args.before], cwd=ROOT,
                       check=True, capture_output=True)
        try:
            results["before"] = run(before, *sizes)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", before], cwd=ROOT,
                           capture_output=True)
    results["after"] = run(ROOT, *sizes)
    outcomes = ("clear error", "unclear crash", "hang", "accepted but wrong", "accepted")
    lines = ["| category | version | tried | " + " | ".join(outcomes) + " |",
             "|---|---|---|" + "---|" * len(outcomes)]
    for category in ("Python API", "connect", "model files", "expressions", "CLI", "faults"):
        for version in ("before", "after"):
            c = results[version]["counts"].get(category, {})
            lines.append(f"| {category} | {version} | {sum(c.values())} | "
                         + " | ".join(str(c.get(o, 0)) for o in outcomes) + " |")
    print("\n".join(lines))
    meta = metadata("fuzz_table.py", before=args.before, per_file=args.per_file,
                    per_class=args.per_class, expressions=args.expressions,
                    compiled=args.compiled, cli=args.cli, faults=args.faults)
    write("fuzz-table", meta, results, "Bad input, counted, before and after",
          "\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
