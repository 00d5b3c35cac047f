"""Brian2 peer of the build benchmark: NetPyNE tutorial 5's connectivity at scale.

Reads the cells' positions and kinds from an .npz written by ``benchmarks/build_tut5.py``
(so both simulators connect the same cells) and builds, in Brian2's runtime mode:

* E -> every cell 100-1000 µm deep (i != j), probability 0.1, weight 0.005 * post ynorm,
  delay max(0.1 ms, distance / 100 µm/ms);
* I -> E, probability 0.4 exp(-distance / 150 µm), weight 0.001, the same delays.

Prints one line of JSON: build time (synapse creation and weight/delay assignment),
synapse count, peak resident memory (ru_maxrss) and bytes per synapse of that peak.
"""

import json
import resource
import sys
import time

import numpy as np


def main():
    data = np.load(sys.argv[1])
    import brian2 as b2

    b2.prefs.codegen.target = "cython"
    b2.BrianLogger.log_level_warn()
    xyz, ynorm, is_e = data["xyz"], data["ynorm"], data["is_e"]
    n = xyz.shape[0]
    cells = b2.NeuronGroup(n, "x : meter\ny : meter\nz : meter\nynorm : 1\nis_e : boolean\n"
                           "v : 1", threshold="v > 1", name="cells")
    cells.x, cells.y, cells.z = xyz[:, 0] * b2.um, xyz[:, 1] * b2.um, xyz[:, 2] * b2.um
    cells.ynorm = ynorm
    cells.is_e = is_e
    # Warm-up: compile the code objects on a tiny group first, outside the timing.
    tiny = b2.NeuronGroup(4, "x : meter\ny : meter\nz : meter\nynorm : 1\nis_e : boolean\n"
                          "v : 1", threshold="v > 1")
    tiny.is_e = True
    dist = "sqrt((x_pre - x_post)**2 + (y_pre - y_post)**2 + (z_pre - z_post)**2)"
    for group in (tiny, cells):
        t0 = time.perf_counter()
        ee = b2.Synapses(group, group, "w : 1", on_pre="v_post += w")
        ee.connect(condition="is_e_pre and i != j and y_post >= 100*um and y_post <= 1000*um",
                   p=0.1)
        ee.w = "0.005 * ynorm_post"
        ee.delay = f"clip({dist} / (100*um/ms), 0.1*ms, 1*second)"
        ie = b2.Synapses(group, group, "w : 1", on_pre="v_post += w")
        ie.connect(condition="not is_e_pre and is_e_post", p=f"0.4 * exp(-{dist} / (150*um))")
        ie.w = 0.001
        ie.delay = f"clip({dist} / (100*um/ms), 0.1*ms, 1*second)"
        build = time.perf_counter() - t0
    n_syn = len(ee) + len(ie)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"simulator": "brian2", "mode": "runtime", "cells": n, "synapses": n_syn,
                      "build_s": build, "peak_rss_bytes": peak,
                      "peak_bytes_per_synapse": peak / max(n_syn, 1),
                      "version": b2.__version__}))


if __name__ == "__main__":
    main()
