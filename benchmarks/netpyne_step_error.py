"""Tutorial 5's inhibitory cell under the same input spikes in NEURON and in lifnet.

Tutorial 5's I5 cells (small hh somata) receive the strongest excitation of
the network (weights 0.005 x post_ynorm µS, ynorm 0.6-1) on top of their 20 Hz
background: they sit near depolarisation block, where a spike's peak only just
reaches NetCon's 10 mV threshold, the hardest regime for matching spike counts.
This script drives one such cell with the same input spike times in NEURON
(``peers/neuron_cell_under_inputs.py``, at dt 0.025 ms, NetPyNE's default, at
dt 0.005 ms and with CVODE at atol 1e-8) and in lifnet (``NeuronHHPop`` with
``Exp2Syn``, dt 0.025 ms): 15 excitatory inputs of about 18 Hz each (Poisson)
of weight --weights µS and NetPyNE's background NetStim (20 Hz, noise 0.3,
0.01 µS), --duration ms, for each seed. Prints each one's spike count, the
largest spike-time difference of lifnet from CVODE where their counts agree, and
writes benchmarks/results/netpyne-step-error-<date>-<host>.{json,md}.

Usage: python benchmarks/netpyne_step_error.py [--weights 0.003 0.004 0.005]
       [--seeds 1 2 3 4 5] [--duration 5000]
"""

import argparse
import json
import os
import subprocess
import tempfile

import numpy as np
from results_io import metadata, write

import lifnet as ln

HERE = os.path.dirname(os.path.abspath(__file__))
PEER_PYTHON = os.path.join(HERE, ".peer-env", "bin", "python")
PEER_SCRIPT = os.path.join(HERE, "peers", "neuron_cell_under_inputs.py")


def input_trains(seed, weight, duration):
    """15 Poisson inputs at 18 Hz (one merged train) and a NetStim at 20 Hz, noise 0.3."""
    rng = np.random.default_rng(seed)
    excitatory = np.sort(rng.uniform(0.0, duration, rng.poisson(15 * 18.0 * duration / 1e3)))
    intervals = 0.7 * 50.0 + rng.exponential(0.3 * 50.0, int(duration / 35.0) + 1)
    background = np.cumsum(intervals)
    return [(excitatory.tolist(), weight), (background[background < duration].tolist(), 0.01)]


def lifnet_spikes(trains, duration, dt=0.025):
    net = ln.Network(dt=dt, seed=1)
    cell = net.add(ln.NeuronHHPop(1, name="I", diam=10.0, L=9.0, gnabar=0.11, gkbar=0.036,
                                  gl=0.003, el=-70.0))
    syn = ln.Exp2Syn(tau1=0.8, tau2=5.3, e=0.0, name="exc")
    for k, (times, weight) in enumerate(trains):
        times = np.asarray(times)
        source = net.add(ln.SpikeSourcePop(1, times=times, ids=np.zeros(times.size, int),
                                           name=f"in{k}"))
        # The delay of one step is taken off the spike times below.
        net.connect(source, cell, receptor=syn, weight=weight, rule="one_to_one", delay=dt)
    return net.run(duration).spikes("I").times - dt


def neuron_spikes(trains, duration, *options):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump({"duration": duration, "inputs": trains}, f)
    try:
        out = subprocess.run([PEER_PYTHON, PEER_SCRIPT, f.name, *options],
                             capture_output=True, text=True, check=True)
    finally:
        os.unlink(f.name)
    return np.array(json.loads(out.stdout.strip().splitlines()[-1])["times"])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", type=float, nargs="+", default=[0.003, 0.004, 0.005])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--duration", type=float, default=5000.0, help="ms (default 5000)")
    args = parser.parse_args(argv)
    rows, lines = [], ["| weight (µS) | seed | NEURON dt 0.025 | NEURON dt 0.005 | "
                       "NEURON CVODE | lifnet dt 0.025 | max |lifnet - CVODE| (ms) |",
                       "|---|---|---|---|---|---|---|"]
    for weight in args.weights:
        for seed in args.seeds:
            trains = input_trains(seed, weight, args.duration)
            coarse = neuron_spikes(trains, args.duration, "--dt", "0.025")
            fine = neuron_spikes(trains, args.duration, "--dt", "0.005")
            cvode = neuron_spikes(trains, args.duration, "--cvode")
            ours = lifnet_spikes(trains, args.duration)
            gap = float(np.abs(ours - cvode).max()) if ours.size == cvode.size else None
            rows.append({"weight_uS": weight, "seed": seed, "neuron_dt0.025": coarse.size,
                         "neuron_dt0.005": fine.size, "neuron_cvode": cvode.size,
                         "lifnet_dt0.025": ours.size, "max_abs_diff_ms": gap})
            lines.append(f"| {weight} | {seed} | {coarse.size} | {fine.size} | {cvode.size} | "
                         f"{ours.size} | {'-' if gap is None else f'{gap:.4f}'} |")
    totals = {k: sum(r[k] for r in rows) for k in
              ("neuron_dt0.025", "neuron_dt0.005", "neuron_cvode", "lifnet_dt0.025")}
    lines += ["", "Spikes in all: " + ", ".join(f"{k} {v}" for k, v in totals.items()) + "."]
    meta = metadata("netpyne_step_error.py", weights=args.weights, seeds=args.seeds,
                    duration_ms=args.duration)
    write("netpyne-step-error", meta, {"rows": rows, "totals": totals},
          "Tutorial 5's I cell under the same inputs: NEURON's steps vs lifnet",
          "\n".join(lines))


if __name__ == "__main__":
    main()
