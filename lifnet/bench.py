"""``lifnet bench``: lifnet's side of every benchmark in benchmarks/, small and quick.

Each line times one workload after a warm-up that compiles its kernels; the
full comparisons against Brian2 and NEST (with peers installed in their own
environment) are the scripts in benchmarks/.
"""

import tempfile
import time


def _timed(build, duration):
    build().run(min(duration, 10.0))                  # compile (or load) the kernels
    t0 = time.perf_counter()
    net = build()
    net._build()
    t1 = time.perf_counter()
    net.run(duration)
    return t1 - t0, time.perf_counter() - t1, net


def workloads(scale=1.0):
    """(name, what, function returning a dict of figures) for each benchmark."""
    from . import models, positions
    from .network import Network
    from .populations import InterPop, PyrPop
    from .sweep import sweep

    def coba():
        build_s, sim_s, net = _timed(lambda: models.coba(seed=1), 1000.0 * scale)
        rate = sum(len(net.result.spikes(p)) for p in net.populations) / 4000.0 / scale
        return {"build_s": build_s, "sim_s": sim_s, "rate_hz": rate}

    def compte():
        build_s, sim_s, net = _timed(lambda: models.compte2000(N_E=512, N_I=128, seed=1,
                                                               cue_start=200.0),
                                     1000.0 * scale)
        return {"build_s": build_s, "sim_s": sim_s,
                "rate_E_hz": net.result.spikes("E").rate(net.t)}

    def wang():
        build_s, sim_s, net = _timed(lambda: models.wang2002(coherence=25.6, seed=1,
                                                             stim_start=100.0),
                                     1000.0 * scale)
        return {"build_s": build_s, "sim_s": sim_s,
                "rate_A_hz": net.result.spikes("A").rate(net.t)}

    def gap():
        build_s, sim_s, net = _timed(
            lambda: models.gap_junction_network(gap_weight=0.0007, seed=1), 501.0 * scale)
        return {"build_s": build_s, "sim_s": sim_s,
                "rate_hz": net.result.spikes("HH").rate(net.t)}

    def ping():
        build_s, sim_s, net = _timed(lambda: models.ping(n_e=1000, n_i=250, seed=1),
                                     1000.0 * scale)
        return {"build_s": build_s, "sim_s": sim_s,
                "rate_E_hz": net.result.spikes("E").rate(net.t)}

    def cobahh():
        build_s, sim_s, net = _timed(lambda: models.cobahh(seed=1), 1000.0 * scale)
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
            t0 = time.perf_counter()
            table = sweep(model, grid={"stimuli.0.weight": [0.004, 0.005, 0.006, 0.007]},
                          seeds=[0, 1], duration=200.0, out=out, workers=2, progress=False)
            wall = time.perf_counter() - t0
        return {"runs": len(table), "runs_per_min": 60.0 * len(table) / wall}

    return [
        ("coba", "Brette 2007 COBA, 4000 cells, benchmarks/coba.py", coba),
        ("compte2000", "ring network at 512 + 128 cells, benchmarks/compte.py", compte),
        ("wang2002", "decision network, 2000 cells", wang),
        ("gap", "seed 004 HH network, 0.7 nS gap junctions, benchmarks/conductance.py", gap),
        ("ping", "PING 1000 E + 250 I, benchmarks/conductance.py", ping),
        ("cobahh", "Brette 2007 COBAHH, 4000 cells, benchmarks/conductance.py", cobahh),
        ("build", "NetPyNE tutorial 5 rules, 4000 cells, benchmarks/build_tut5.py", build_rules),
        ("sweep", "8 runs of 200 cells on 2 workers, benchmarks/sweep_throughput.py",
         sweep_runs),
    ]


def run(scale=1.0, only=None):
    """Run the workloads; print and return {name: figures}."""
    results = {}
    for name, what, fn in workloads(scale):
        if only and name not in only:
            continue
        figures = fn()
        results[name] = figures
        shown = ", ".join(f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}"
                          for k, v in figures.items())
        print(f"{name:11s} {shown}    ({what})", flush=True)
    return results
