"""How far the Compte (2000) bump drifts in a 3 s delay, over many seeds.

Runs the trial of ``tests/test_compte2000.py`` (cue for 250 ms at 2 s, 3 s
delay, direction decoded from the last 500 ms) for seeds first..last-1,
two at a time, and reports each seed's error, the fraction within 20 deg,
the RMS error, and the chance that 10 seeds give 9 or more within 20 deg
(binomial, at the measured fraction): issue 3's criterion.

    python benchmarks/compte_drift.py [--parameters compte2000|murray2012]
                                      [--first 0] [--last 30]
"""

import argparse
import os
import sys
from concurrent.futures import ProcessPoolExecutor

import numpy as np
from scipy.stats import binom

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
from results_io import metadata, write  # noqa: E402
from test_compte2000 import DELAY, delay_trial  # noqa: E402  (the test's own trial)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parameters", default="compte2000", choices=["compte2000", "murray2012"])
    ap.add_argument("--first", type=int, default=0)
    ap.add_argument("--last", type=int, default=30)
    a = ap.parse_args()
    if a.last <= a.first:
        ap.error(f"--last ({a.last}) must be greater than --first ({a.first})")
    seeds = list(range(a.first, a.last))
    with ProcessPoolExecutor(2) as pool:
        results = list(pool.map(delay_trial, [(a.parameters, s, True, DELAY) for s in seeds]))
    errors = np.array([r[0] for r in results])
    within = float(np.mean(errors < 20.0))
    rms = float(np.sqrt(np.mean(errors ** 2)))
    p_nine = float(binom.sf(8, 10, within))
    rows = "\n".join(f"| {s} | {e:.1f} | {r[1]:.2f} | {r[2]:.2f} |"
                     for s, e, r in zip(seeds, errors, results, strict=True))
    md = (f"Parameters `{a.parameters}`, seeds {a.first}-{a.last - 1}: "
          f"{np.count_nonzero(errors < 20.0)} of {len(seeds)} within 20 deg, "
          f"RMS error {rms:.1f} deg, median {np.median(errors):.1f} deg.\n"
          f"At that fraction, 10 seeds give >= 9 within 20 deg with probability "
          f"{p_nine:.2f}.\n\n"
          "| seed | error (deg) | spikes per cell near the cue | far from it |\n"
          "|---|---|---|---|\n" + rows)
    write(f"compte-drift-{a.parameters}", metadata("compte_drift.py"),
          {"seeds": seeds, "errors_deg": errors.tolist(), "within_20": within,
           "rms_deg": rms, "p_nine_of_ten": p_nine,
           "near": [r[1] for r in results], "far": [r[2] for r in results]},
          f"Compte (2000) bump drift over a 3 s delay, {a.parameters}", md)


if __name__ == "__main__":
    main()
