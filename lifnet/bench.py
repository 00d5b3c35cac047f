"""``lifnet bench``: lifnet's side of every benchmark in benchmarks/, small and quick.

Each line times one workload after a warm-up that compiles its kernels; the
warm-ups of all workloads run first, side by side on all cores (a cold
start spends most of its time compiling). The full comparisons against
Brian2 and NEST (with peers installed in their own environment) are the
scripts in benchmarks/.
"""

import multiprocessing
import os
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor


class _WarmedUp(Exception):  # noqa: N818 (a signal, not an error)
    """Raised by a workload run only to warm up, once its kernels are compiled."""


def _timed(build, duration, warm_only=False):
    build().run(min(duration, 10.0))                  # compile (or load) the kernels
    if warm_only:
        raise _WarmedUp
    t0 = time.perf_counter()
    net = build()
    net._build()
    t1 = time.perf_counter()
    net.run(duration)
    return t1 - t0, time.perf_counter() - t1, net


WORKLOADS = (
    ("coba", "COBA (Brette et al. 2007), 4000 LIF cells, 1 s; benchmarks/coba.py"),
    ("compte2000", "Compte et al. (2000) ring at 512 + 128 cells, 1 s; benchmarks/compte.py"),
    ("wang2002", "Wang (2002) decision network, 2000 cells, 1 s"),
    ("gap", "NEST's inhibitory HH network, 0.7 nS gap junctions, 501 ms; "
            "benchmarks/conductance.py"),
    ("ping", "PING, 1000 RTM + 250 WB cells, 1 s; benchmarks/conductance.py"),
    ("cobahh", "COBAHH (Brette et al. 2007), 4000 Traub cells, 1 s; "
               "benchmarks/conductance.py"),
    ("build", "NetPyNE tutorial 5's distance rules, 4000 cells; benchmarks/build_tut5.py"),
    ("sweep", "8 runs of 200 LIF cells on 2 workers; benchmarks/sweep_throughput.py"),
)


def workloads(scale=1.0, warm_only=False):
    """{name: function returning a dict of figures}, one per entry of WORKLOADS.

    warm_only: each function compiles its kernels and raises ``_WarmedUp``.
    """
    from . import models, positions
    from .network import Network
    from .populations import InterPop, PyrPop
    from .sweep import sweep

    def coba():
        build_s, sim_s, net = _timed(lambda: models.coba(seed=1), 1000.0 * scale, warm_only)
        rate = sum(len(net.result.spikes(p)) for p in net.populations) / 4000.0 / scale
        return {"build_s": build_s, "sim_s": sim_s, "rate_hz": rate}

    def compte():
        build_s, sim_s, net = _timed(lambda: models.compte2000(N_E=512, N_I=128, seed=1,
                                                               cue_start=200.0),
                                     1000.0 * scale, warm_only)
        return {"build_s": build_s, "sim_s": sim_s,
                "rate_E_hz": net.result.spikes("E").rate(net.t)}

    def wang():
        build_s, sim_s, net = _timed(lambda: models.wang2002(coherence=25.6, seed=1,
                                                             stim_start=100.0),
                                     1000.0 * scale, warm_only)
        return {"build_s": build_s, "sim_s": sim_s,
                "rate_A_hz": net.result.spikes("A").rate(net.t)}

    def gap():
        build_s, sim_s, net = _timed(
            lambda: models.gap_junction_network(gap_weight=0.0007, seed=1), 501.0 * scale,
            warm_only)
        return {"build_s": build_s, "sim_s": sim_s,
                "rate_hz": net.result.spikes("HH").rate(net.t)}

    def ping():
        build_s, sim_s, net = _timed(lambda: models.ping(n_e=1000, n_i=250, seed=1),
                                     1000.0 * scale, warm_only)
        return {"build_s": build_s, "sim_s": sim_s,
                "rate_E_hz": net.result.spikes("E").rate(net.t)}

    def cobahh():
        build_s, sim_s, net = _timed(lambda: models.cobahh(seed=1), 1000.0 * scale, warm_only)
        return {"build_s": build_s, "sim_s": sim_s,
                "rate_E_hz": net.result.spikes("E").rate(net.t)}

    def build_rules():
        def make(n):
            net = Network(dt=0.05, seed=1)
            box = positions.Box(size=(100, 1000, 100))
            E = net.add(PyrPop(n, name="E"), positions=box)
            I = net.add(InterPop(n, name="I"), positions=box)
            net.connect(E, I, rule="probability", p=0.1, weight="0.005 * post_ynorm",
                        delay="maximum(0.1, dist_3D / 100)")
            net.connect(I, E, rule="probability", p="0.4 * exp(-dist_3D / 150)",
                        weight=0.001, delay="maximum(0.1, dist_3D / 100)", receptor="GABA")
            return net
        make(8)._build()
        if warm_only:
            raise _WarmedUp
        t0 = time.perf_counter()
        net = make(int(2000 * scale))
        net._build()
        return {"build_s": time.perf_counter() - t0,
                "synapses": int(net._asm.storage.indices.shape[0])}

    def sweep_runs():
        model = {"populations": {"E": {"type": "PyrPop", "n": 200}},
                 "stimuli": [{"population": "E", "type": "PoissonDrive", "rate": 1800.0,
                              "weight": 0.004}]}
        with tempfile.TemporaryDirectory() as out:
            sweep(model, grid={"stimuli.0.weight": [0.004]}, duration=10.0, out=out,
                  workers=1, progress=False)
            if warm_only:
                raise _WarmedUp
            t0 = time.perf_counter()
            table = sweep(model, grid={"stimuli.0.weight": [0.004, 0.005, 0.006, 0.007]},
                          seeds=[0, 1], duration=200.0, out=out, workers=2, progress=False)
            wall = time.perf_counter() - t0
        return {"runs": len(table), "runs_per_min": 60.0 * len(table) / wall}

    return {"coba": coba, "compte2000": compte, "wang2002": wang, "gap": gap, "ping": ping,
            "cobahh": cobahh, "build": build_rules, "sweep": sweep_runs}


def _warm_up(scale, name):
    try:
        workloads(scale, warm_only=True)[name]()
    except _WarmedUp:
        pass


def run(scale=1.0, only=None):
    """Run the workloads; print and return {name: figures}."""
    results = {}
    names = [name for name, _ in WORKLOADS if not only or name in only]
    workers = min(len(names), os.cpu_count() or 1)
    if workers > 1:
        # Each workload's kernels, compiled in a process of its own, side by side; the
        # timed runs below then load them from the cache.
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) \
                as pool:
            list(pool.map(_warm_up, [scale] * len(names), names))
    functions = workloads(scale)
    for name, what in WORKLOADS:
        if only and name not in only:
            continue
        figures = functions[name]()
        results[name] = figures
        shown = ", ".join(f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}"
                          for k, v in figures.items())
        print(f"{name:11s} {shown}    ({what})", flush=True)
    return results
