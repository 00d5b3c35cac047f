"""Mean rates of NetPyNE's tutorial 2 as NetPyNE 1.1.1 / NEURON 9 run it: the reference of
``tests/test_netpyne_load.py``.

The network is ``TUT2`` of ``tests/netpyne_tut2.py`` (the tutorial's
``netParams`` as NetPyNE ships it, ``doc/source/code/tut2.py``), run for
1000 ms at dt 0.025 ms with ``seeds`` conn = stim = s for each seed s given,
with no output but the spikes. Prints one line of JSON: the mean rate (Hz)
of each population for each seed, and over the seeds.

Example (in the peers' environment)::

    benchmarks/.peer-env/bin/python benchmarks/peers/netpyne_tut2_rates.py --seeds 1 2 3 4 5
"""

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests"))


def rates(seed):
    from netpyne import sim, specs
    from netpyne_tut2 import TUT2
    net_params = specs.NetParams(TUT2)
    sim_config = specs.SimConfig({"duration": 1000.0, "dt": 0.025, "verbose": False,
                                  "seeds": {"conn": seed, "stim": seed, "loc": seed},
                                  "printPopAvgRates": False, "savePickle": False,
                                  "saveJson": False})
    sim.create(netParams=net_params, simConfig=sim_config, output=False)
    sim.simulate()
    spikes = sim.allSimData["spkid"], sim.allSimData["spkt"]
    out = {}
    for label, pop in sim.net.pops.items():
        gids = set(pop.cellGids)
        count = sum(1 for gid in spikes[0] if int(gid) in gids)
        out[label] = count / len(gids) / 1.0
    sim.clearAll()
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    args = parser.parse_args(argv)
    per_seed = {seed: rates(seed) for seed in args.seeds}
    labels = list(next(iter(per_seed.values())))
    mean = {p: sum(r[p] for r in per_seed.values()) / len(per_seed) for p in labels}
    print(json.dumps({"per_seed": per_seed, "mean": mean}))


if __name__ == "__main__":
    main()
