"""NEURON peer of ``benchmarks/netpyne_step_error.py``: one hh soma driven through one
``Exp2Syn`` by given input spike times; prints its spike count and times.

The cell is tutorial 5's inhibitory cell (diam 10 µm, L 9 µm, hh with gnabar 0.11,
gkbar 0.036, gl 0.003 S/cm², el -70 mV; celsius 6.3 °C, v_init -65 mV); the synapse its
``exc`` mechanism (tau1 0.8 ms, tau2 5.3 ms, e 0 mV). Each input train (a list of
times, ms, and a weight, µS) arrives through a NetCon of delay 0. Spikes are NetCon's
upward crossings of 10 mV. ``--dt`` runs NEURON's fixed step (NetPyNE's default
``secondorder`` 0); ``--cvode`` its variable step at ``--atol``.

Reads a JSON file ``{"duration": ms, "inputs": [[times, weight], ...]}``; prints one
line of JSON ``{"count": n, "times": [...]}``.
"""

import argparse
import json


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inputs", help="JSON file of the input trains")
    parser.add_argument("--dt", type=float, default=0.025, help="ms (fixed step)")
    parser.add_argument("--cvode", action="store_true", help="NEURON's variable step")
    parser.add_argument("--atol", type=float, default=1e-8)
    args = parser.parse_args(argv)
    with open(args.inputs) as f:
        spec = json.load(f)
    from neuron import h
    h.load_file("stdrun.hoc")
    soma = h.Section(name="soma")
    soma.diam, soma.L, soma.nseg = 10.0, 9.0, 1
    soma.insert("hh")
    seg = soma(0.5)
    seg.hh.gnabar, seg.hh.gkbar, seg.hh.gl, seg.hh.el = 0.11, 0.036, 0.003, -70.0
    h.celsius = 6.3
    syn = h.Exp2Syn(seg)
    syn.tau1, syn.tau2, syn.e = 0.8, 5.3, 0.0
    trains = []
    for times, weight in spec["inputs"]:
        netcon = h.NetCon(None, syn)
        netcon.weight[0], netcon.delay = weight, 0.0
        trains.append((netcon, times))

    def queue_inputs():
        for netcon, times in trains:
            for t in times:
                netcon.event(t)

    handler = h.FInitializeHandler(queue_inputs)    # noqa: F841 (kept alive for finitialize)
    spikes = h.Vector()
    detector = h.NetCon(seg._ref_v, None, sec=soma)
    detector.threshold = 10.0
    detector.record(spikes)
    if args.cvode:
        h.cvode_active(1)
        h.cvode.atol(args.atol)
    else:
        h.dt = args.dt
        h.steps_per_ms = 1.0 / args.dt
    h.finitialize(-65.0)
    h.continuerun(spec["duration"])
    print(json.dumps({"count": len(spikes), "times": list(spikes)}))


if __name__ == "__main__":
    main()
