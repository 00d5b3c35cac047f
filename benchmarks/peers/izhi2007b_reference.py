"""NEURON's spike times of one Izhikevich (2007) cell, NetPyNE's ``Izhi2007b`` point
process, under an ``IClamp``: the reference of ``tests/test_netpyne_izhi.py``.

The cell is the Izhikevich cell of NetPyNE's tutorials (``PYR_Izhi`` of its hybrid
tutorial): one section, one segment, diam = L = 10 um, cm = 31.831 uF/cm^2 (a
membrane of 0.1 nF), no other mechanism, and an ``Izhi2007b`` in its middle with the
regular-spiking parameters of Izhikevich (2007), fig. 8.12 (C 1, k 0.7, vr -60, vt
-40, vpeak 35, a 0.03, b -2, c -50, d 100, celltype 1). The .mod file is not part
of NetPyNE's pip package: give its path with ``--mod`` (``doc/source/code/mod/
izhi2007b.mod`` of NetPyNE's repository); it is compiled with the environment's
``nrnivmodl`` in a folder of the system's temporary directory. An ``IClamp`` in the
middle of the soma: ``--delay`` 20 ms, ``--dur`` 460 ms, ``--amp`` 0.07 nA (70 pA,
Izhikevich's regular-spiking drive); 500 ms from ``finitialize(-65)`` (the point
process sets v to vr and u to 0.2 vr itself).

Integration: NEURON's fixed step ``--dt`` with ``secondorder = 0``, as NetPyNE runs
it (v by backward Euler; the mechanism advances u by forward Euler in its
BREAKPOINT and resets v and u in a WATCH event on v > vpeak, checked after each step).

Output, one line of JSON: ``vpeak``, the times of the point process's own events
(``net_event`` at the WATCH on v > vpeak: the end of the step in which v passed
vpeak), and ``threshold``, the times of a ``NetCon`` on v with threshold 10 mV
(NetPyNE's ``defaultThreshold``, what NetPyNE records and sends on), both on the
grid of dt.

Example (in the peers' environment, ``benchmarks/peers/setup_env.sh``)::

    benchmarks/.peer-env/bin/python benchmarks/peers/izhi2007b_reference.py \\
        --mod netpyne/doc/source/code/mod/izhi2007b.mod --dt 0.025
"""

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

GEOM = {"diam": 10.0, "L": 10.0, "cm": 31.831}
RS = {"C": 1.0, "k": 0.7, "vr": -60.0, "vt": -40.0, "vpeak": 35.0, "a": 0.03, "b": -2.0,
      "c": -50.0, "d": 100.0, "celltype": 1}
THRESHOLD = 10.0
DURATION = 500.0


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mod", required=True, help="path of NetPyNE's izhi2007b.mod")
    parser.add_argument("--dt", type=float, default=0.025, help="fixed step, ms")
    parser.add_argument("--delay", type=float, default=20.0, help="IClamp's del, ms")
    parser.add_argument("--dur", type=float, default=460.0, help="IClamp's dur, ms")
    parser.add_argument("--amp", type=float, default=0.07, help="IClamp's amp, nA")
    args = parser.parse_args(argv)
    if args.dt <= 0:
        parser.error("--dt must be positive")
    if not os.path.isfile(args.mod):
        parser.error(f"--mod {args.mod}: no such file")
    return args


def mechanism_library(mod):
    """Compile the .mod file (once per content) and return the folder to load."""
    with open(mod, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:16]
    folder = os.path.join(tempfile.gettempdir(), f"izhi2007b-{digest}")
    if not os.path.isdir(os.path.join(folder, "x86_64")) and not any(
            os.path.isdir(os.path.join(folder, d)) for d in ("aarch64", "arm64")):
        os.makedirs(folder, exist_ok=True)
        shutil.copy(mod, os.path.join(folder, "izhi2007b.mod"))
        nrnivmodl = os.path.join(os.path.dirname(sys.executable), "nrnivmodl")
        proc = subprocess.run([nrnivmodl if os.path.exists(nrnivmodl) else "nrnivmodl"],
                              cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
        if proc.returncode:
            sys.stderr.write(proc.stdout)
            raise RuntimeError(f"nrnivmodl failed in {folder} (exit {proc.returncode})")
    return folder


def main(argv=None):
    args = parse_args(argv)
    folder = mechanism_library(args.mod)
    from neuron import __version__ as version
    from neuron import h, load_mechanisms
    load_mechanisms(folder)
    h.load_file("stdrun.hoc")
    soma = h.Section(name="soma")
    soma.nseg = 1
    soma.diam, soma.L, soma.cm = GEOM["diam"], GEOM["L"], GEOM["cm"]
    seg = soma(0.5)
    cell = h.Izhi2007b(seg)
    for key, value in RS.items():
        setattr(cell, key, value)
    clamp = h.IClamp(seg)
    clamp.delay, clamp.dur, clamp.amp = args.delay, args.dur, args.amp
    own, crossing = h.Vector(), h.Vector()
    events = h.NetCon(cell, None)
    events.record(own)
    detector = h.NetCon(seg._ref_v, None, sec=soma)
    detector.threshold = THRESHOLD
    detector.record(crossing)
    h.CVode().active(0)
    h.secondorder = 0
    h.dt = args.dt
    h.steps_per_ms = 1.0 / args.dt
    h.finitialize(-65.0)
    h.continuerun(DURATION)
    print(json.dumps({"neuron": version, "dt": args.dt, "delay": args.delay, "dur": args.dur,
                      "amp": args.amp, "vpeak": [round(x, 6) for x in own],
                      "threshold": [round(x, 6) for x in crossing]}))


if __name__ == "__main__":
    main()
