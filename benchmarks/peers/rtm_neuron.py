"""NEURON peer of the accuracy-versus-cost benchmark (``benchmarks/accuracy_cost.py``).

The network is that of ``rtm_brian2.py`` (equations there): N independent
reduced Traub-Miles (RTM) cells, no synapses, cell i with a constant current
I_i = linspace(0.3, 2.0, N)[i] uA/cm^2, v from -65 mV with h and n at their
steady state there, a spike at each upward crossing of -20 mV.

Each cell is one section with one segment (a soma), L = diam = 178.41 um, so
that its (lateral) area is 1e5 um^2 = 1e-3 cm^2; cm = 1 uF/cm^2.  Its
channels are the NMODL mechanisms in ``rtm_neuron/``: ``na_rtm`` (m^3 h,
m instantaneous; g 0.1 S/cm^2, ena 50 mV) and ``k_rtm`` (n^4; g 0.08 S/cm^2,
ek -100 mV), h and n advanced by ``cnexp``; the leak is NEURON's ``pas``
(g 1e-4 S/cm^2, e -67 mV).  Their INITIAL blocks set h and n to their
steady state at the v of ``finitialize(-65)``.  The current is an IClamp of
I_i nA (I_i uA/cm^2 times 1e-3 cm^2), on from t = 0 for the whole run.
The .mod files are compiled with the environment's ``nrnivmodl`` into
``rtm_neuron/<arch>/`` (git-ignored) when the library is missing or older
than a .mod file.

Integration: NEURON's fixed step ``--dt``, ``--method implicit`` (backward
Euler, ``secondorder = 0``) or ``cn`` (Crank-Nicolson, ``secondorder = 2``);
h and n are staggered by half a step and advanced by cnexp for the v of the
step.  m is m_inf of the v at the step's start, held over the step (see
``na_rtm.mod``: with m = m_inf(v) in the BREAKPOINT NEURON's linearization
blows up in the upstroke); this lag keeps both methods first order in dt on
this model.  (The equations themselves check out: the same cells under
NEURON's CVODE at rtol = atol = 1e-11, not used here, hit the DOP853
reference within 3e-5 ms on 20 cells, 100 ms.)

Spikes: a ``NetCon`` on each soma's v with threshold -20 mV records into one
pair of vectors (times, cell ids).  In a fixed step NEURON tests the
threshold after each step and stamps the spike with the time at the end of
the step in which v crossed (no interpolation): spike times lie on the grid
of dt and come late by between 0 and dt.  They are reported as they come.

Timing: ``sim_s`` is the CPU time (``time.process_time``) of
``h.finitialize(-65)`` and ``h.continuerun(duration)`` (one thread; setup
excluded; ``steps_per_ms`` is set to 1 / dt so that stdrun keeps dt);
``sim_wall_s`` is its wall time.

Output: one line of JSON on stdout with the timing, the spike count of the
whole network and the spike times (ms) of the K reference cells,
``reference_indices(N, K)``: K evenly spaced indices from 0 to N - 1.

Example: benchmarks/.peer-env/bin/python benchmarks/peers/rtm_neuron.py
--method cn --dt 0.025
"""

import argparse
import glob
import json
import math
import os
import platform
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
MOD_DIR = os.path.join(HERE, "rtm_neuron")
METHODS = {"implicit": 0, "cn": 2}     # --method: h.secondorder
I_RANGE = (0.3, 2.0)    # uA/cm^2, first and last cell
V_INIT = -65.0          # mV
V_SPIKE = -20.0         # mV
AREA_UM2 = 1e5          # soma area, um^2 (1e-3 cm^2: I uA/cm^2 is I nA)
DIAM_UM = math.sqrt(AREA_UM2 / math.pi)    # L = diam: lateral area pi d^2


def reference_indices(n, k):
    """K evenly spaced cell indices from 0 to n - 1 (the same rule as accuracy_cost.py)."""
    return np.unique(np.round(np.linspace(0, n - 1, min(k, n))).astype(np.int64))


def mechanism_library():
    """Path of the compiled mechanisms, running nrnivmodl first when needed."""
    arch = platform.machine()
    lib = os.path.join(MOD_DIR, arch, "libnrnmech.so")
    mods = glob.glob(os.path.join(MOD_DIR, "*.mod"))
    if not os.path.exists(lib) or os.path.getmtime(lib) < max(map(os.path.getmtime, mods)):
        nrnivmodl = os.path.join(os.path.dirname(sys.executable), "nrnivmodl")
        if not os.path.exists(nrnivmodl):
            nrnivmodl = "nrnivmodl"
        print(f"compiling {MOD_DIR}/*.mod with {nrnivmodl}", file=sys.stderr, flush=True)
        proc = subprocess.run([nrnivmodl], cwd=MOD_DIR, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
        if proc.returncode != 0 or not os.path.exists(lib):
            sys.stderr.write(proc.stdout)
            raise RuntimeError(f"nrnivmodl failed in {MOD_DIR} (exit {proc.returncode})")
    return lib


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--method", choices=tuple(METHODS), default="implicit")
    parser.add_argument("--dt", type=float, default=0.025, help="time step, ms")
    parser.add_argument("--duration", type=float, default=500.0, help="ms (default 500)")
    parser.add_argument("--n", type=int, default=1000, help="number of cells (default 1000)")
    parser.add_argument("--k", type=int, default=20,
                        help="number of reference cells whose spikes are reported")
    args = parser.parse_args(argv)
    if args.n < 1 or args.k < 1:
        parser.error("need --n >= 1 and --k >= 1")
    if args.dt <= 0 or args.duration <= 0:
        parser.error("--dt and --duration must be positive")
    return args


def build_network(h, n_cells):
    """The N somata with their clamps and spike detectors; returns what must stay alive
    and the two recording vectors (times, ids)."""
    currents = np.linspace(*I_RANGE, n_cells)
    times, ids = h.Vector(), h.Vector()
    keep = []
    for i in range(n_cells):
        soma = h.Section(name=f"rtm{i}")
        soma.L = soma.diam = DIAM_UM
        soma.nseg = 1
        soma.cm = 1.0
        for mech in ("na_rtm", "k_rtm", "pas"):
            soma.insert(mech)
        soma.ena, soma.ek = 50.0, -100.0
        seg = soma(0.5)
        seg.pas.g, seg.pas.e = 1e-4, -67.0
        clamp = h.IClamp(seg)
        clamp.delay, clamp.dur, clamp.amp = 0.0, 1e9, float(currents[i])   # nA
        detector = h.NetCon(seg._ref_v, None, sec=soma)
        detector.threshold = V_SPIKE
        detector.record(times, ids, i)
        keep.append((soma, clamp, detector))
    return keep, times, ids


def main(argv=None):
    args = parse_args(argv)
    lib = mechanism_library()
    from neuron import __version__ as version
    from neuron import h

    if not hasattr(h, "na_rtm"):
        h.nrn_load_dll(lib)
    h.load_file("stdrun.hoc")
    keep, times, ids = build_network(h, args.n)
    area = h.area(0.5, sec=keep[0][0])
    if abs(area - AREA_UM2) > 1e-6 * AREA_UM2:
        raise RuntimeError(f"soma area {area} um^2, expected {AREA_UM2}")
    h.secondorder = METHODS[args.method]
    h.dt = args.dt
    h.steps_per_ms = 1.0 / args.dt
    h.tstop = args.duration

    c0, w0 = time.process_time(), time.perf_counter()
    h.finitialize(V_INIT)
    h.continuerun(args.duration)
    c1, w1 = time.process_time(), time.perf_counter()
    if abs(h.dt - args.dt) > 1e-12 * args.dt:
        raise RuntimeError(f"NEURON changed dt to {h.dt}")

    t = times.as_numpy().copy()
    i = ids.as_numpy().astype(np.int64)
    ref = reference_indices(args.n, args.k)
    result = {
        "simulator": "neuron", "mode": "fixed_step", "threads": 1, "method": args.method,
        "secondorder": METHODS[args.method], "dt_ms": args.dt, "n": args.n,
        "duration_ms": args.duration, "t_end_ms": float(h.t),
        "sim_s": round(c1 - c0, 4), "sim_wall_s": round(w1 - w0, 4),
        "n_spikes": int(t.size), "ref_ids": ref.tolist(),
        "ref_spikes": [np.sort(t[i == j]).tolist() for j in ref],
        "version": version,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
