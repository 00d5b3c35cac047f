"""NEURON's spike times of one ``hh`` soma under an ``IClamp``: the reference of
``tests/test_neuron_cells.py``.

The cell is the soma of NetPyNE's tutorial 2 ("PYR"): one section, one
segment, diam = L = 18.8 um, cm = 1 uF/cm^2, with NEURON's ``hh`` at its
defaults (gnabar 0.12, gkbar 0.036, gl 0.0003 S/cm^2, el -54.3 mV; ena 50,
ek -77 mV), at celsius 6.3 degC (NetPyNE's default ``hParams``), from
``finitialize(-65)``. (The tutorial's own gl 0.003, el -70 mV gives one
spike and then a block under any constant current.) An ``IClamp`` in its
middle: del 50 ms, dur 400 ms, amp 0.15 nA: 31 spikes. A ``NetCon`` on v
with threshold 10 mV (NetPyNE's ``defaultThreshold``) records the spikes.

Integration: ``--method implicit`` is NEURON's fixed step with
``secondorder = 0`` (backward Euler), which NetPyNE keeps (it sets ``h.dt``
and ``cvode.active(0)``, never ``secondorder``); ``cn`` is ``secondorder =
2``; ``cvode`` is NEURON's variable step at ``--rtol``/``--atol``, which
locates the threshold crossing itself. ``--no-tables`` sets
``usetable_hh = 0``: hh's rates are then computed at each v instead of
being interpolated in NEURON's table (1 mV steps from -100 to 100 mV),
which NEURON uses by default. ``--celsius`` sets another temperature,
``--delay`` and ``--dur`` other times of the clamp. ``--synapse ExpSyn`` or
``Exp2Syn`` drives the soma instead through that synapse (ExpSyn tau 3 ms;
Exp2Syn tau1 0.3, tau2 5 ms; e 0 mV) from a regular NetStim (interval 23.7
ms, number 20, start 20 ms) by a NetCon of delay 1.3 ms and ``--weight``
(uS).

Output, one line of JSON: ``netcon``, the times the NetCon stamped (in a
fixed step: the end of the step in which v crossed, on the grid of dt) and
``crossing``, the upward crossings of the threshold by the v that NEURON
computed, recorded at every step and interpolated by the cubic through the
four samples around each crossing (with cvode: the NetCon's own times).

Example (in the peers' environment, ``benchmarks/peers/setup_env.sh``)::

    benchmarks/.peer-env/bin/python benchmarks/peers/neuron_hh_reference.py \\
        --method implicit --dt 0.025
"""

import argparse
import json

import numpy as np

DIAM_UM = L_UM = 18.8
HH = {"gnabar": 0.12, "gkbar": 0.036, "gl": 0.0003, "el": -54.3}
CELSIUS = 6.3
V_INIT = -65.0
CLAMP = {"delay": 50.0, "dur": 400.0, "amp": 0.15}
THRESHOLD = 10.0
DURATION = 500.0
SYNAPSES = {"ExpSyn": {"tau": 3.0, "e": 0.0}, "Exp2Syn": {"tau1": 0.3, "tau2": 5.0, "e": 0.0}}
NETSTIM = {"interval": 23.7, "number": 20, "start": 20.0, "noise": 0.0}
SYNAPTIC_DELAY = 1.3     # ms


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--method", choices=("implicit", "cn", "cvode"), default="implicit")
    parser.add_argument("--dt", type=float, default=0.025, help="fixed step, ms")
    parser.add_argument("--rtol", type=float, default=1e-9, help="cvode's relative tolerance")
    parser.add_argument("--atol", type=float, default=1e-10, help="cvode's absolute tolerance")
    parser.add_argument("--no-tables", action="store_true", help="usetable_hh = 0")
    parser.add_argument("--celsius", type=float, default=CELSIUS, help="degC (default 6.3)")
    parser.add_argument("--delay", type=float, default=CLAMP["delay"],
                        help="IClamp's del, ms (default 50)")
    parser.add_argument("--dur", type=float, default=CLAMP["dur"],
                        help="IClamp's dur, ms (default 400)")
    parser.add_argument("--synapse", choices=("ExpSyn", "Exp2Syn"),
                        help="drive the soma through this synapse instead of the IClamp")
    parser.add_argument("--weight", type=float, default=0.01, help="NetCon weight, uS")
    args = parser.parse_args(argv)
    if args.dt <= 0:
        parser.error("--dt must be positive")
    return args


def cubic_crossings(t, v, threshold):
    """Upward crossings of threshold by the samples v(t), each on the cubic through the
    four samples around it (two either side where there are)."""
    out = []
    for k in np.flatnonzero((v[:-1] < threshold) & (v[1:] >= threshold)):
        lo = max(0, min(k - 1, len(t) - 4))
        ts, vs = t[lo:lo + 4], v[lo:lo + 4]
        coef = np.polyfit(ts - t[k], vs - threshold, 3)
        roots = np.roots(coef)
        span = t[k + 1] - t[k]
        real = [r.real for r in roots if abs(r.imag) < 1e-9 and -1e-12 <= r.real <= span + 1e-12]
        out.append(t[k] + (min(real) if real else
                           span * (threshold - v[k]) / (v[k + 1] - v[k])))
    return out


def main(argv=None):
    args = parse_args(argv)
    from neuron import __version__ as version
    from neuron import h
    h.load_file("stdrun.hoc")
    soma = h.Section(name="soma")
    soma.diam, soma.L, soma.nseg, soma.cm = DIAM_UM, L_UM, 1, 1.0
    soma.insert("hh")
    seg = soma(0.5)
    for key, value in HH.items():
        setattr(seg.hh, key, value)
    soma.ena, soma.ek = 50.0, -77.0
    h.celsius = args.celsius
    h.usetable_hh = 0 if args.no_tables else 1
    if args.synapse is None:
        clamp = h.IClamp(seg)
        clamp.delay, clamp.dur, clamp.amp = args.delay, args.dur, CLAMP["amp"]
    else:
        synapse = getattr(h, args.synapse)(seg)
        for key, value in SYNAPSES[args.synapse].items():
            setattr(synapse, key, value)
        stim = h.NetStim()
        for key, value in NETSTIM.items():
            setattr(stim, key, value)
        link = h.NetCon(stim, synapse)
        link.weight[0], link.delay = args.weight, SYNAPTIC_DELAY
    detector = h.NetCon(seg._ref_v, None, sec=soma)
    detector.threshold = THRESHOLD
    stamps = h.Vector()
    detector.record(stamps)
    cvode = h.CVode()
    if args.method == "cvode":
        cvode.active(1)
        cvode.rtol(args.rtol)
        cvode.atol(args.atol)
    else:
        cvode.active(0)
        h.secondorder = 0 if args.method == "implicit" else 2
        h.dt = args.dt
        h.steps_per_ms = 1.0 / args.dt
    t_rec, v_rec = h.Vector(), h.Vector()
    t_rec.record(h._ref_t)
    v_rec.record(seg._ref_v)
    h.finitialize(V_INIT)
    h.continuerun(DURATION)
    netcon = list(stamps)
    crossing = netcon if args.method == "cvode" else cubic_crossings(
        np.array(t_rec), np.array(v_rec), THRESHOLD)
    print(json.dumps({"neuron": version, "method": args.method, "dt": args.dt,
                      "celsius": args.celsius, "delay": args.delay, "dur": args.dur,
                      "tables": not args.no_tables, "netcon": netcon,
                      "crossing": [round(x, 6) for x in crossing]}))


if __name__ == "__main__":
    main()
