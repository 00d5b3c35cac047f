"""Brian2 run of a COBA network given as a file: connectivity and initial state.

Used by ``benchmarks/coba_rate_convergence.py`` to run exactly the network
lifnet draws (same synapses, same initial V, g_e, g_i) in Brian2 at any dt.
Reads an .npz with ``pre``, ``post`` (int), ``exc`` (bool: excitatory synapse),
``V`` (mV), ``ge``, ``gi`` (µS); prints one JSON line with the mean rate.

Usage: coba_brian2_given.py FILE.npz --dt 0.01 [--duration 1000]
"""

import json
import time

import brian2 as b2
from brian2 import ms, mV, nS, pF
from coba_common import given_network

EQUATIONS = """
dv/dt = (gL * (EL - v) + g_e * (Ee - v) + g_i * (Ei - v)) / C : volt (unless refractory)
dg_e/dt = -g_e / taue : siemens
dg_i/dt = -g_i / taui : siemens
"""
CONSTANTS = dict(gL=10 * nS, EL=-60 * mV, Ee=0 * mV, Ei=-80 * mV, C=200 * pF,
                 taue=5 * ms, taui=10 * ms)


def main():
    args, d = given_network(__doc__)
    b2.defaultclock.dt = args.dt * ms
    n = d["V"].shape[0]
    cells = b2.NeuronGroup(n, EQUATIONS, threshold="v > -50*mV", reset="v = -60*mV",
                           refractory=5 * ms, method="exponential_euler", namespace=CONSTANTS)
    cells.v = d["V"] * mV
    cells.g_e = d["ge"] * 1000 * nS
    cells.g_i = d["gi"] * 1000 * nS
    exc = d["exc"]
    syn_e = b2.Synapses(cells, cells, on_pre="g_e_post += 6*nS", delay=0.1 * ms)
    syn_e.connect(i=d["pre"][exc], j=d["post"][exc])
    syn_i = b2.Synapses(cells, cells, on_pre="g_i_post += 67*nS", delay=0.1 * ms)
    syn_i.connect(i=d["pre"][~exc], j=d["post"][~exc])
    spikes = b2.SpikeMonitor(cells)
    t0 = time.perf_counter()
    b2.run(args.duration * ms)
    print(json.dumps({"simulator": "brian2", "dt": args.dt, "wall_s": time.perf_counter() - t0,
                      "rate_hz": 1000.0 * spikes.num_spikes / (n * args.duration)}))


if __name__ == "__main__":
    main()
