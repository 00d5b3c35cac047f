"""Mean rates of NetPyNE's tutorials 2 and 5 as NetPyNE 1.1.1 / NEURON 9 run them: the
reference of ``tests/test_netpyne_load.py``.

The networks are ``TUT2`` of ``tests/netpyne_tut2.py`` and ``TUT5`` of
``tests/netpyne_tut5.py`` (the tutorials' ``netParams`` as NetPyNE ships
them, ``doc/source/code/tut2.py`` and ``tut5.py``), run for 1000 ms at
``--dt`` (NetPyNE's fixed step; ``--cvode``: NEURON's variable step at atol
1e-6 instead) with ``seeds`` conn = stim = loc = s for each seed s given,
with no output but the spikes. Prints one line of JSON: the mean rate (Hz)
of each population for each seed, and over the seeds.

Example (in the peers' environment)::

    benchmarks/.peer-env/bin/python benchmarks/peers/netpyne_tut_rates.py --tutorial 2 \
        --seeds 1 2 3 4 5
"""

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests"))


def rates(tutorial, seed, dt, cvode):
    from netpyne import sim, specs
    from netpyne_tut2 import TUT2
    from netpyne_tut5 import TUT5
    net_params = specs.NetParams({2: TUT2, 5: TUT5}[tutorial])
    sim_config = specs.SimConfig({"duration": 1000.0, "dt": dt, "verbose": False,
                                  "cvode_active": cvode, "cvode_atol": 1e-6,
                                  "seeds": {"conn": seed, "stim": seed, "loc": seed},
                                  "printPopAvgRates": False, "savePickle": False,
                                  "saveJson": False})
    sim.create(netParams=net_params, simConfig=sim_config, output=False)
    sim.simulate()
    spikes = sim.allSimData["spkid"], sim.allSimData["spkt"]
    out = {}
    for label, pop in sim.net.pops.items():
        if not pop.cellGids:
            continue
        gids = set(pop.cellGids)
        count = sum(1 for gid in spikes[0] if int(gid) in gids)
        out[label] = round(count / len(gids) / 1.0, 4)
    sim.clearAll()
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tutorial", type=int, choices=(2, 5), default=2)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--dt", type=float, default=0.025, help="ms (default 0.025)")
    parser.add_argument("--cvode", action="store_true", help="NEURON's variable step")
    args = parser.parse_args(argv)
    per_seed = {seed: rates(args.tutorial, seed, args.dt, args.cvode) for seed in args.seeds}
    labels = list(next(iter(per_seed.values())))
    mean = {p: round(sum(r[p] for r in per_seed.values()) / len(per_seed), 4) for p in labels}
    print(json.dumps({"per_seed": per_seed, "mean": mean}))


if __name__ == "__main__":
    main()
