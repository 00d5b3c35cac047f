"""NetPyNE peer of ``benchmarks/netpyne_scale.py``: NetPyNE's tutorial 5 scaled, timed.

Reads the scaled ``netParams`` (a JSON file written by the benchmark: tutorial
5's, with only the populations' ``numCells`` changed) and runs it with
NetPyNE 1.1.1 on NEURON 9: ``--duration`` ms at dt 0.025 ms (NetPyNE's fixed
step and its other defaults), ``seeds`` conn = stim = loc = ``--seed``,
recording nothing but the spikes. Prints one line of JSON: the build time
(``sim.create``: cells, connections, NetStims and their NetCons), the
simulation time (``sim.simulate``: NEURON's ``finitialize`` and run), the
number of connections, and each population's mean rate (Hz). NetPyNE's own
messages go to stderr.

Example (in the peers' environment)::

    benchmarks/.peer-env/bin/python benchmarks/peers/netpyne_scale.py spec.json --seed 1
"""

import argparse
import contextlib
import json
import sys
import time


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec", help="JSON file of the netParams")
    parser.add_argument("--duration", type=float, default=1000.0, help="ms (default 1000)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    with open(args.spec) as f:
        net_params_dict = json.load(f)
    with contextlib.redirect_stdout(sys.stderr):
        import netpyne
        from netpyne import sim, specs
        net_params = specs.NetParams(net_params_dict)
        sim_config = specs.SimConfig({"duration": args.duration, "dt": 0.025,
                                      "verbose": False, "progressBar": 0,
                                      "seeds": {"conn": args.seed, "stim": args.seed,
                                                "loc": args.seed},
                                      "printPopAvgRates": False, "savePickle": False,
                                      "saveJson": False})
        start = time.perf_counter()
        sim.create(netParams=net_params, simConfig=sim_config, output=False)
        built = time.perf_counter()
        sim.simulate()
        done = time.perf_counter()
    ids = [int(gid) for gid in sim.allSimData["spkid"]]
    rates = {}
    for label, pop in sim.net.pops.items():
        gids = set(pop.cellGids)
        rates[label] = sum(1 for gid in ids if gid in gids) / len(gids) / (
            args.duration / 1000.0)
    connections = sum(len(cell.conns) for cell in sim.net.cells)
    print(json.dumps({"simulator": "NetPyNE " + netpyne.__version__ + ", NEURON",
                      "cells": len(sim.net.cells), "connections": connections,
                      "build_s": built - start, "sim_s": done - built, "rates_hz": rates}))


if __name__ == "__main__":
    main()
