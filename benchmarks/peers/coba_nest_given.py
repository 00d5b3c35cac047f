"""NEST run of a COBA network given as a file: connectivity and initial state.

Used by ``benchmarks/coba_rate_convergence.py`` to run exactly the network
lifnet draws (same synapses, same initial V, g_e, g_i) in NEST at any dt.
Reads an .npz with ``pre``, ``post`` (int, 0-based), ``exc`` (bool:
excitatory synapse), ``V`` (mV), ``ge``, ``gi`` (µS); prints one JSON line
with the mean rate.

The neurons are ``iaf_cond_exp`` (GSL's adaptive RKF45 within each step;
spikes on the grid of ``resolution`` = dt), on one thread. Synapses are
static with delay 0.1 ms, so dt must not exceed 0.1 ms. iaf_cond_exp tells
excitatory from inhibitory input by the weight's sign: +6 nS for excitatory
synapses, -67 nS for inhibitory ones (a 67 nS step of g_in). NEST's node ids
start at 1, the file's indices at 0. NEST's banner and log messages go to
stderr, so that stdout carries only the JSON line.

Usage: coba_nest_given.py FILE.npz --dt 0.01 [--duration 1000]
"""

import json
import os
import time

import numpy as np
from coba_common import given_network, reset_kernel, stdout_to_stderr
from coba_nest import NEURON_PARAMS, W_EXC, W_INH

DELAY = 0.1  # ms


def simulate(d, dt, duration):
    """Build and run the network; return (number of spikes, wall time of Simulate)."""
    os.environ.setdefault("PYNEST_QUIET", "1")
    import nest

    reset_kernel(nest)
    nest.local_num_threads = 1
    nest.resolution = dt
    cells = nest.Create("iaf_cond_exp", d["V"].shape[0], params=NEURON_PARAMS)
    cells.set(V_m=d["V"].tolist(), g_ex=(1000.0 * d["ge"]).tolist(),
              g_in=(1000.0 * d["gi"]).tolist())
    first = cells[0].global_id
    pre = d["pre"].astype(np.int64) + first
    post = d["post"].astype(np.int64) + first
    weight = np.where(d["exc"], W_EXC, W_INH)
    nest.Connect(pre, post, "one_to_one",
                 syn_spec={"synapse_model": "static_synapse", "weight": weight,
                           "delay": np.full(pre.size, DELAY)})
    recorder = nest.Create("spike_recorder")
    nest.Connect(cells, recorder, syn_spec={"delay": DELAY})
    t0 = time.perf_counter()
    nest.Simulate(duration)
    wall = time.perf_counter() - t0
    return recorder.get("n_events"), wall


def main():
    args, d = given_network(__doc__, max_dt=DELAY)
    n = d["V"].shape[0]
    with stdout_to_stderr():
        n_spikes, wall = simulate(d, args.dt, args.duration)
    print(json.dumps({"simulator": "nest", "dt": args.dt, "wall_s": wall,
                      "rate_hz": 1000.0 * n_spikes / (n * args.duration)}))


if __name__ == "__main__":
    main()
