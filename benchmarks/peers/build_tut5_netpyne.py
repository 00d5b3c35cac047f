"""NetPyNE peer of the build benchmark: NetPyNE tutorial 5's connectivity at scale.

Reads the cells' positions and kinds from an .npz written by ``benchmarks/build_tut5.py``
(so every simulator connects the same cells), creates them as artificial point cells
(NEURON's IntFire1, placed with 'cellsList' in a 100 x 1000 x 100 µm volume) and builds,
with NetPyNE's probabilistic rules and string functions:

* E -> every cell 100-1000 µm deep (no autapses), probability 0.1,
  weight '0.005 * post_ynorm', delay 'max(0.1, dist_3D / 100)';
* I -> E, probability '0.4 * exp(-dist_3D / 150)', weight 0.001, the same delays.

Prints one line of JSON: build time (``sim.net.connectCells()``: drawing the connections
and creating their NetCons; cell creation is not counted, and there is nothing to
compile, so no warm-up), synapse count (connections created), peak resident memory
(ru_maxrss) and bytes per synapse of that peak. NetPyNE's own progress messages go to
stderr.
"""

import contextlib
import json
import resource
import sys
import time

import numpy as np

SIZE = (100.0, 1000.0, 100.0)  # µm; NetPyNE's ynorm is y / sizeY


def main():
    data = np.load(sys.argv[1])
    xyz, ynorm, is_e = data["xyz"], data["ynorm"], data["is_e"]
    n = xyz.shape[0]
    with contextlib.redirect_stdout(sys.stderr):
        import netpyne
        from netpyne import sim, specs

        net_params = specs.NetParams()
        net_params.sizeX, net_params.sizeY, net_params.sizeZ = SIZE
        order = np.concatenate([np.flatnonzero(is_e), np.flatnonzero(~is_e)])  # gid -> row
        for label, rows in (("E", order[:is_e.sum()]), ("I", order[is_e.sum():])):
            net_params.popParams[label] = {
                "cellModel": "IntFire1",
                "cellsList": [{"x": float(x), "y": float(y), "z": float(z)}
                              for x, y, z in xyz[rows]]}
        # Range conditions are half-open, [low, high): admit y = 1000 µm too.
        net_params.connParams["E->all"] = {
            "preConds": {"pop": "E"},
            "postConds": {"y": [100.0, float(np.nextafter(1000.0, np.inf))]},
            "probability": 0.1,
            "weight": "0.005 * post_ynorm",
            "delay": "max(0.1, dist_3D / 100)"}
        net_params.connParams["I->E"] = {
            "preConds": {"pop": "I"},
            "postConds": {"pop": "E"},
            "probability": "0.4 * exp(-dist_3D / 150)",
            "weight": 0.001,
            "delay": "max(0.1, dist_3D / 100)"}

        cfg = specs.SimConfig()
        cfg.progressBar = 0
        cfg.timing = False
        cfg.verbose = False

        sim.initialize(net_params, cfg)
        sim.net.createPops()
        sim.net.createCells()
        # Use the file's normalised depths (the same as y / 1000 µm for build_tut5.py's volume).
        for cell in sim.net.cells:
            cell.tags["ynorm"] = float(ynorm[order[cell.gid]])
        t0 = time.perf_counter()
        sim.net.connectCells()
        build = time.perf_counter() - t0
    n_syn = sum(len(cell.conns) for cell in sim.net.cells)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"simulator": "netpyne", "mode": "IntFire1 cells, NEURON NetCons",
                      "cells": n, "synapses": n_syn, "build_s": build,
                      "peak_rss_bytes": peak, "peak_bytes_per_synapse": peak / max(n_syn, 1),
                      "version": netpyne.__version__}))


if __name__ == "__main__":
    main()
