"""Seeded fuzzing: mutated model files and bad constructor arguments.

Every input either builds a network that meets the invariants below or is
refused with lifnet's own error (``ParameterError``; ``TypeError`` only for a
keyword the constructor does not have, which these inputs never pass). Any
other exception, or an answer slower than the time limit, fails the test with
the input that caused it. The values come from a fixed pool, so the few
connection kernels they need are compiled once and cached.
"""

import copy
import glob
import inspect
import math
import os
import random
import signal
import traceback

import numpy as np
import pytest
import yaml

import lifnet as ln
from lifnet import spec

EXAMPLES = sorted(glob.glob(os.path.join(os.path.dirname(__file__), "..", "examples",
                                         "*.yaml")))
POOL = [0, -1, 1, 2, 0.5, -0.5, 1e308, -1e308, 1e-300, 3.7, 10 ** 30, "nan", "inf", "abc",
        "", None, True, False, [], [1], [1, 2, 3], {}, {"a": 1}, "1/0", "uniform(0, 1)",
        "exp(-dist_3D / 100)", "minimum(1)", [[1, 2], [3]], -2 ** 63]
MUTATIONS_PER_FILE = 120
LIMIT_S = 30


class HangError(Exception):
    pass


def _alarm(signum, frame):
    raise HangError(f"no answer within {LIMIT_S} s")


def _leaves(node, path=()):
    """Every (path, value) of a nested spec, containers included."""
    yield path, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _leaves(v, path + (k,))
    elif isinstance(node, list):
        for k, v in enumerate(node):
            yield from _leaves(v, path + (k,))


def _set(data, path, value):
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


def _delete(data, path):
    node = data
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]


def mutate(data, rng):
    data = copy.deepcopy(data)
    paths = [p for p, _ in _leaves(data) if p]
    for _ in range(rng.randint(1, 3)):
        path = rng.choice(paths)
        kind = rng.random()
        try:
            if kind < 0.7:
                _set(data, path, copy.deepcopy(rng.choice(POOL)))
            elif kind < 0.85:
                _delete(data, path)
            else:
                parent = data
                for key in path[:-1]:
                    parent = parent[key]
                if isinstance(parent, dict):
                    parent[rng.choice(["extra", "n", "type", "weight", "rule", 7])] = \
                        copy.deepcopy(rng.choice(POOL))
        except (KeyError, IndexError, TypeError):
            pass
        paths = [p for p, _ in _leaves(data) if p] or [("populations",)]
    return data


def check_invariants(net, run):
    """What a network that was accepted must be."""
    assert math.isfinite(net.dt) and net.dt > 0
    assert math.isfinite(run["duration"]) and run["duration"] > 0
    for pop in net.populations.values():
        assert isinstance(pop.n, int) and pop.n >= 1
    for proj in net.projections:
        w = proj.weights()
        assert np.all(np.isfinite(w.data)), f"{proj}: non-finite weights"
        d = proj.delay
        assert np.all(np.isfinite(np.asarray(d, dtype=float))), f"{proj}: non-finite delays"
        assert np.all(np.asarray(d, dtype=float) >= 0), f"{proj}: negative delays"


def attempt(what, build):
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(LIMIT_S)
    try:
        return build()
    except ln.ParameterError:
        return None
    except HangError as err:
        pytest.fail(f"{err}\n  input: {what}")
    except Exception as err:   # noqa: BLE001 -- the point of the test
        where = "".join(traceback.format_exception(err)[-3:])
        pytest.fail(f"{type(err).__name__}: {err}\n  input: {what}\n{where}")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@pytest.mark.parametrize("path", EXAMPLES, ids=os.path.basename)
def test_mutated_example_files_build_or_are_refused(path):
    with open(path) as f:
        original = yaml.safe_load(f)
    rng = random.Random(f"fuzz-{os.path.basename(path)}")
    built = 0
    for k in range(MUTATIONS_PER_FILE):
        data = mutate(original, rng)
        result = attempt(f"mutation {k} of {os.path.basename(path)}: {data!r}"[:2000],
                         lambda data=data: spec.build(spec.load(data)))
        if result is not None:
            net, run, _, _ = result
            check_invariants(net, run)
            built += 1
    assert built > 0   # the mutations are not all refused: the invariants were exercised


def _constructors():
    """Public classes of lifnet with keyword parameters, and how to call them."""
    for name in ln.__all__:
        cls = getattr(ln, name)
        if not inspect.isclass(cls) or issubclass(cls, BaseException) or inspect.isabstract(cls):
            continue
        if name in ("Network", "Projection", "CellModel", "Current", "Parameter", "State",
                    "LIFPopulation", "ConductancePopulation", "LIFCell", "GapJunctions"):
            continue
        yield name, cls


@pytest.mark.parametrize("name, cls", list(_constructors()), ids=lambda x: x
                         if isinstance(x, str) else "")
def test_public_constructors_refuse_bad_arguments_with_their_own_error(name, cls):
    rng = random.Random(f"fuzz-{name}")
    sig = inspect.signature(cls.__init__)
    params = [p for p in sig.parameters.values() if p.name != "self"
              and p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if not params:
        pytest.skip(f"{name} takes no parameters")
    for _ in range(40):
        kwargs = {}
        for p in params:
            if p.default is p.empty or rng.random() < 0.4:
                kwargs[p.name] = copy.deepcopy(rng.choice(POOL + [3, 10, 0.1]))
        args = [kwargs.pop(p.name) for p in params
                if p.kind == p.POSITIONAL_OR_KEYWORD and p.name in kwargs]
        attempt(f"{name}({args}, {kwargs})", lambda a=args, kw=kwargs: cls(*a, **kw))


@pytest.mark.parametrize("seed", range(3))
def test_connect_refuses_bad_arguments_with_its_own_error(seed):
    rng = random.Random(f"fuzz-connect-{seed}")
    keys = ["weight", "rule", "p", "indegree", "nsyn", "delay", "autapses", "receptor",
            "pre_select", "post_select", "n_synapses", "J_plus", "sigma"]
    rules = ["all_to_all", "probability", "fixed_indegree", "convergence", "divergence",
             "fixed_total_number", "one_to_one", "ring", "array", "nope", 3]
    for k in range(60):
        net = ln.Network(dt=0.1, seed=1)
        xyz = np.random.default_rng(k).uniform(0, 100, (6, 3))
        E = net.add(ln.PyrPop(6, name="E"), positions=xyz)
        I = net.add(ln.InterPop(6, name="I"), positions=xyz)
        kwargs = {"weight": rng.choice(POOL + [0.01]), "rule": rng.choice(rules)}
        for key in rng.sample(keys[2:], rng.randint(0, 4)):
            kwargs[key] = copy.deepcopy(rng.choice(POOL + [0.2, 3, "AMPA", "GABA"]))

        def build(kw=kwargs, net=net, E=E, I=I):
            proj = net.connect(E, I, **kw)
            assert np.all(np.isfinite(proj.weights().data))
            return proj

        attempt(f"connect(E, I, **{kwargs})", build)
