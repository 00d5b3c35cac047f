"""NetPyNE's tutorials 2 and 5 as NetPyNE ships them: population rates, lifnet vs NetPyNE.

Both run the same specifications (``tests/netpyne_tut2.py``, ``tests/netpyne_tut5.py``:
the tutorials' ``netParams``), 1000 ms at dt 0.025 ms, for each seed given
(``seeds`` conn = stim = s): lifnet through ``ln.netpyne.run`` in this process,
NetPyNE 1.1.1 on NEURON 9 through ``peers/netpyne_tut_rates.py`` in the peers'
environment (``benchmarks/.peer-env``). Prints, per population, the mean rate
over the seeds of each (Hz), their ratio, and the wall time per run of each
(lifnet's after its first run, which compiles), and writes them to
benchmarks/results/netpyne-tutorials-<date>-<host>.{json,md}.

With ``--fine-dt DT``, NetPyNE also runs each seed at NEURON's fixed step DT
(0.005 ms, say), a column of its own: how far NEURON's answer still moves
with its step. (Its variable step, CVODE, takes over 7 minutes a seed on
these networks.)

Seeds: each tool draws its own network and input from a seed, so the rates
of one seed differ between them by more than the tools do. Tutorial 5's I5
rate varies most (3.3-5.4 Hz over lifnet's seeds 1-20, SD 0.55 Hz): a
5-seed mean is uncertain by about 6 % on each side, so compare I5 over 20.

Usage: python benchmarks/netpyne_tutorials.py [--tutorials 2 5] [--seeds 1 2 3 4 5]
       [--fine-dt 0.005]
"""

import argparse
import json
import os
import subprocess
import sys
import time
import warnings

import numpy as np
from results_io import metadata, write

import lifnet as ln

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
PEER_PYTHON = os.path.join(HERE, ".peer-env", "bin", "python")
PEER_SCRIPT = os.path.join(HERE, "peers", "netpyne_tut_rates.py")


def lifnet_rates(spec, seeds):
    rates, times = {}, []
    ln.netpyne.run(spec, {"duration": 10.0, "dt": 0.025})      # compiles
    for seed in seeds:
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")        # (delays raised to dt, said once here)
            result = ln.netpyne.run(spec, {"duration": 1000.0, "dt": 0.025,
                                           "seeds": {"conn": seed, "stim": seed}})
        times.append(time.perf_counter() - start)
        for label, pop in spec["popParams"].items():
            rates.setdefault(label, []).append(len(result.spikes(label)) / pop["numCells"])
    return {k: float(np.mean(v)) for k, v in rates.items()}, float(np.mean(times))


def netpyne_rates(tutorial, seeds, dt=0.025):
    start = time.perf_counter()
    out = subprocess.run([PEER_PYTHON, PEER_SCRIPT, "--tutorial", str(tutorial), "--seeds",
                          *map(str, seeds), "--dt", str(dt)],
                         capture_output=True, text=True, check=True)
    elapsed = (time.perf_counter() - start) / len(seeds)
    return json.loads(out.stdout.strip().splitlines()[-1])["mean"], elapsed


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tutorials", type=int, nargs="+", default=[2, 5], choices=(2, 5))
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--fine-dt", type=float, default=None,
                        help="ms: also run NetPyNE at this step")
    args = parser.parse_args(argv)
    from netpyne_tut2 import TUT2
    from netpyne_tut5 import TUT5
    payload, lines = {}, []
    for tutorial in args.tutorials:
        spec = {2: TUT2, 5: TUT5}[tutorial]
        ours, our_time = lifnet_rates(spec, args.seeds)
        theirs, their_time = netpyne_rates(tutorial, args.seeds)
        entry = {"lifnet_hz": ours, "netpyne_hz": theirs, "lifnet_s_per_run": our_time,
                 "netpyne_s_per_run": their_time}
        head = "| population | lifnet (Hz) | NetPyNE (Hz) | ratio |"
        if args.fine_dt:
            entry["netpyne_fine_dt_hz"], _ = netpyne_rates(tutorial, args.seeds, args.fine_dt)
            head += f" NetPyNE at dt {args.fine_dt:g} (Hz) | ratio |"
        payload[f"tutorial {tutorial}"] = entry
        lines += [f"Tutorial {tutorial}, mean over seeds {args.seeds}: lifnet {our_time:.1f} s "
                  f"a run, NetPyNE {their_time:.1f} s a run (with its start-up).", "",
                  head, "|---" * (head.count("|") - 1) + "|"]
        for label in ours:
            row = (f"| {label} | {ours[label]:.2f} | {theirs[label]:.2f} | "
                   f"{ours[label] / theirs[label]:.3f} |")
            if args.fine_dt:
                ref = entry["netpyne_fine_dt_hz"][label]
                row += f" {ref:.2f} | {ours[label] / ref:.3f} |"
            lines.append(row)
        lines.append("")
    meta = metadata("netpyne_tutorials.py", tutorials=args.tutorials, seeds=args.seeds,
                    fine_dt_ms=args.fine_dt)
    write("netpyne-tutorials", meta, payload, "NetPyNE tutorials' rates, lifnet vs NetPyNE",
          "\n".join(lines))

if __name__ == "__main__":
    main()
