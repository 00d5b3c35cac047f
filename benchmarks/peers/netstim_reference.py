"""Statistics of NEURON's ``NetStim`` trains: the reference of ``tests/test_neuron_cells.py``.

N independent NetStims (interval 10 ms, start 50 ms), each with its own
Random123 stream (``noiseFromRandom123(i, seed, 0)``, as NetPyNE gives each
stimulus one), at noise 0, 0.5 and 1, run for 1000 ms (CVODE off, dt 0.025
ms; a NetStim's events do not depend on the step). Two runs per noise:

- ``number`` 1e9 (NetPyNE's usual value): the spike count of each train in
  [0, 1000] ms: its mean and variance over the N trains;
- ``number`` 20 (every train ends long before 1000 ms): the intervals
  between spikes (their mean and coefficient of variation, over all
  trains) and the first spike (its mean).

Output, one line of JSON per noise level. Example (in the peers' environment)::

    benchmarks/.peer-env/bin/python benchmarks/peers/netstim_reference.py --n 4000
"""

import argparse
import json

import numpy as np

INTERVAL, START, DURATION = 10.0, 50.0, 1000.0


def trains(h, n, noise, number, seed):
    """Spike times of n NetStims, one array per train."""
    stims, cons, vectors = [], [], []
    for i in range(n):
        stim = h.NetStim()
        stim.interval, stim.start, stim.noise, stim.number = INTERVAL, START, noise, number
        stim.noiseFromRandom123(i, seed, 0)
        con = h.NetCon(stim, None)
        vec = h.Vector()
        con.record(vec)
        stims.append(stim)
        cons.append(con)
        vectors.append(vec)
    h.dt = 0.025
    h.finitialize(-65.0)
    h.continuerun(DURATION)
    return [np.array(v) for v in vectors]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=4000, help="number of NetStims")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    from neuron import __version__ as version
    from neuron import h
    h.load_file("stdrun.hoc")
    for noise in (0.0, 0.5, 1.0):
        counts = np.array([t.size for t in trains(h, args.n, noise, 1e9, args.seed)])
        finite = trains(h, args.n, noise, 20, args.seed + 1)
        isi = np.concatenate([np.diff(t) for t in finite])
        first = np.array([t[0] for t in finite])
        print(json.dumps({
            "neuron": version, "n": args.n, "noise": noise,
            "count_mean": round(float(counts.mean()), 4),
            "count_var": round(float(counts.var()), 4),
            "isi_mean": round(float(isi.mean()), 4),
            "isi_cv": round(float(isi.std() / isi.mean()), 4),
            "first_mean": round(float(first.mean()), 4),
            "spikes_per_finite_train": round(float(np.mean([t.size for t in finite])), 4)}))


if __name__ == "__main__":
    main()
