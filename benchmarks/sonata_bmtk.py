"""SONATA circuits between BMTK, NEST and lifnet: the same circuit, the same input spikes,
in both engines.

1. BMTK in: a circuit built by BMTK's ``NetworkBuilder`` (``peers/sonata_bmtk.py
   build``: a column of 80 excitatory and 20 inhibitory ``iaf_cond_exp`` cells with
   distance-dependent synapse counts, and a virtual thalamus of 100 Poisson cells
   at 15 Hz in a spike file; BMTK tutorial chapter 3 with inhibition) runs in
   lifnet (``ln.sonata.run``) and, through BMTK's ``pointnet``, in NEST.
2. NEST out: lifnet's model of BMTK tutorial chapter 3 (``examples/bmtk_ch3_column.yaml``,
   every cell starting at -70 mV: pointnet reads no per-node ``V_m``) is exported
   (``net.save_sonata``, its Poisson spikes as an input file) and run by
   ``pointnet`` on NEST, against lifnet's own run of the same model.
3. NEST out, Hodgkin-Huxley: a lifnet network of ``HHPop`` cells (NEST's
   ``hh_psc_alpha_gap``) with alpha current synapses, exported the same way
   (dt 0.025 ms, 1 s).
4. NEST out, Izhikevich: a lifnet network of NEST's ``izhikevich`` cells
   (``IzhikevichPop`` with NEST's equation) with delta synapses, exported the
   same way and run by pointnet at dt 0.1 ms and, to see how far NEST's forward
   Euler is from its own limit, at dt 0.01 ms (1 s).

The first two at dt 0.1 ms for 3 s. Compared per population: the mean rate (Hz; target
within 2 %) and, per cell, the first spike time (ms; target: median absolute
difference within 0.3 ms). NEST stamps a spike at the end of the step in which
V crossed threshold; lifnet places it inside the step.

Needs the peer environment (``peers/setup_env.sh``: NEST, BMTK). Writes
benchmarks/results/sonata-bmtk-<date>-<host>.json and .md.

Example: python benchmarks/sonata_bmtk.py
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
from results_io import metadata, write

import lifnet as ln
from lifnet import spec
from lifnet.io.circuit import IZHIKEVICH_ROOTS

HERE = os.path.dirname(os.path.abspath(__file__))
PEERS = os.path.join(HERE, "peers")
PEER_PYTHON = os.path.join(HERE, ".peer-env", "bin", "python")
EXAMPLE = os.path.join(os.path.dirname(HERE), "examples", "bmtk_ch3_column.yaml")


def peer(*args):
    """Run peers/sonata_bmtk.py in the peer python; its last stdout line as JSON."""
    if not os.path.exists(PEER_PYTHON):
        subprocess.run(["bash", os.path.join(PEERS, "setup_env.sh")], check=True)
    proc = subprocess.run([PEER_PYTHON, os.path.join(PEERS, "sonata_bmtk.py"), *args],
                          capture_output=True, text=True, cwd=PEERS)
    if proc.returncode != 0:
        sys.exit(f"peers/sonata_bmtk.py {' '.join(args)} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def spikes_by_cell(path, population, node_ids):
    """{node id: sorted spike times} of some nodes of a population in a SONATA spike file."""
    times, ids = ln.sonata.read_spikes(path)[population]
    return {int(k): np.sort(times[ids == k]) for k in node_ids}


def compare(lifnet_path, nest_path, population, groups, duration):
    """Rates and first-spike differences per group of nodes {name: node ids}."""
    rows = []
    for name, nodes in groups.items():
        a = spikes_by_cell(lifnet_path, population, nodes)
        b = spikes_by_cell(nest_path, population, nodes)
        rate_a = 1000.0 * sum(v.size for v in a.values()) / (len(nodes) * duration)
        rate_b = 1000.0 * sum(v.size for v in b.values()) / (len(nodes) * duration)
        both = [k for k in a if a[k].size and b[k].size]
        first = np.array([a[k][0] - b[k][0] for k in both])
        rows.append({"group": name, "cells": len(nodes), "lifnet_hz": round(rate_a, 3),
                     "nest_hz": round(rate_b, 3),
                     "rate_difference_pct": round(100.0 * (rate_a - rate_b) / rate_b, 2),
                     "first_spike_median_abs_ms": round(float(np.median(np.abs(first))), 4),
                     "first_spike_median_ms": round(float(np.median(first)), 4),
                     "cells_firing_in_both": len(both)})
    return rows


def bmtk_in(folder):
    built = peer("build", folder)
    t0 = time.perf_counter()
    net, result, files = ln.sonata.run(built["simulation_config"])
    lifnet_s = time.perf_counter() - t0
    nest = peer("run", built["simulation_nest"])
    groups = {}
    for lifnet_name, (population, node_ids) in net.sonata.node_map.items():
        if population == "cortex":
            kind = type(net.population(lifnet_name)).__name__
            groups[f"cortex {lifnet_name} ({kind})"] = node_ids
    rows = compare(files[0], nest["spikes_file"], "cortex", groups, net.sonata.tstop)
    return {"built": built, "nest": nest, "lifnet_s": round(lifnet_s, 3), "rows": rows}


def nest_out(folder):
    data = spec.load(EXAMPLE)
    # pointnet (BMTK 1.2) reads no per-node dynamics_params: every cell starts at V_m
    spec.override(data, "populations.cortex.params.V_init=-70.0")
    net, run, _, _ = spec.build(data)
    result = net.run(run["duration"])
    config = net.save_sonata(folder, tstop=run["duration"])
    lifnet_spikes = os.path.join(folder, "lifnet_spikes.h5")
    ln.sonata.write_spikes(lifnet_spikes, {"cortex": result.spikes("cortex")})
    nest = peer("run", config)
    rows = compare(lifnet_spikes, nest["spikes_file"], "cortex",
                   {"cortex (PyrPop)": np.arange(net.population("cortex").n)},
                   run["duration"])
    return {"nest": nest, "rows": rows}


def hh_out(folder):
    """A network of NEST's hh_psc_alpha_gap cells (HHPop) exported and run by pointnet:
    100 cells, each with 40 of 200 spike sources at 20 Hz through fast alpha currents
    (0.2 ms, 0.3 nA) and 10 inhibitory partners among the cells (2 ms, -0.05 nA),
    1 s at dt 0.025 ms."""
    net = ln.Network(dt=0.025, seed=2)
    rng = np.random.default_rng(2)
    times = np.sort(rng.uniform(0.0, 1000.0, 4000))
    src = net.add(ln.SpikeSourcePop(200, times=times, ids=rng.integers(0, 200, times.size),
                                    name="src"))
    hh = net.add(ln.HHPop(100, name="hh"))
    net.connect(src, hh, receptor=ln.AlphaCurrentSynapse(tau=0.2, name="ex"), weight=0.3,
                rule="fixed_indegree", indegree=40, delay=1.0)
    net.connect(hh, hh, receptor=ln.AlphaCurrentSynapse(tau=2.0, name="in"), weight=-0.05,
                rule="fixed_indegree", indegree=10, delay=1.5)
    result = net.run(1000.0)
    config = net.save_sonata(folder, tstop=1000.0)
    lifnet_spikes = os.path.join(folder, "lifnet_spikes.h5")
    ln.sonata.write_spikes(lifnet_spikes, {"hh": result.spikes("hh")})
    nest = peer("run", config)
    rows = compare(lifnet_spikes, nest["spikes_file"], "hh",
                   {"hh (HHPop)": np.arange(hh.n)}, 1000.0)
    return {"nest": nest, "rows": rows}


def izhikevich_out(folder):
    """A network of NEST's izhikevich cells exported and run by pointnet: 100
    regular-spiking cells of Izhikevich (2003) (a 0.02, b 0.2, c -65, d 8), each with
    40 of 200 spike sources at 20 Hz through 4 mV delta synapses and 10 inhibitory
    partners among the cells (-1 mV), 1 s at dt 0.1 ms; NEST also at dt 0.01 ms."""
    v_r, v_t = IZHIKEVICH_ROOTS
    net = ln.Network(dt=0.1, seed=3)
    rng = np.random.default_rng(3)
    times = np.sort(rng.uniform(0.0, 1000.0, 4000))
    src = net.add(ln.SpikeSourcePop(200, times=times, ids=rng.integers(0, 200, times.size),
                                    name="src"))
    b = 0.2
    izh = net.add(ln.IzhikevichPop(100, name="izh", C=1.0, k=0.04, v_r=v_r, v_t=v_t,
                                   v_peak=30.0, a=0.02, b=b, c=-65.0, d=8.0, V_init=-65.0))
    # NEST's I_e = 0 is lifnet's clamp of -b v_r (u = U - b v_r).
    net.stimulate(izh, ln.CurrentClamp(amplitude=-b * v_r))
    net.connect(src, izh, receptor=ln.DeltaSynapse(), weight=4.0, rule="fixed_indegree",
                indegree=40, delay=1.0)
    net.connect(izh, izh, receptor=ln.DeltaSynapse(), weight=-1.0, rule="fixed_indegree",
                indegree=10, delay=1.5)
    result = net.run(1000.0)
    config = net.save_sonata(folder, tstop=1000.0)
    lifnet_spikes = os.path.join(folder, "lifnet_spikes.h5")
    ln.sonata.write_spikes(lifnet_spikes, {"izh": result.spikes("izh")})
    groups = {"izh (IzhikevichPop)": np.arange(izh.n)}
    nest = peer("run", config)
    rows = compare(lifnet_spikes, nest["spikes_file"], "izh", groups, 1000.0)
    with open(config) as f:
        fine = json.load(f)
    fine["run"]["dt"] = 0.01
    fine["output"]["output_dir"] = os.path.join(folder, "output_dt0.01")
    fine_config = os.path.join(folder, "simulation_config_dt0.01.json")
    with open(fine_config, "w") as f:
        json.dump(fine, f)
    nest_fine = peer("run", fine_config)
    rows_fine = compare(lifnet_spikes, nest_fine["spikes_file"], "izh", groups, 1000.0)
    for r in rows_fine:
        r["group"] += ", NEST at dt 0.01 ms"
    return {"nest": nest, "nest_fine": nest_fine, "rows": rows, "rows_fine": rows_fine}


def table(rows):
    lines = ["| cells | lifnet Hz | NEST Hz | rate diff | first spike, median abs diff "
             "(lifnet - NEST median) |", "|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['group']}, {r['cells']} | {r['lifnet_hz']:.2f} "
                     f"| {r['nest_hz']:.2f} "
                     f"| {r['rate_difference_pct']:+.2f} % "
                     f"| {r['first_spike_median_abs_ms']:.3f} ms "
                     f"({r['first_spike_median_ms']:+.3f} ms) |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", default=None, help="folder for the circuits (default: a "
                                                     "temporary one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = args.keep or tmp
        incoming = bmtk_in(os.path.join(base, "bmtk_column"))
        outgoing = nest_out(os.path.join(base, "lifnet_ch3"))
        hh = hh_out(os.path.join(base, "lifnet_hh"))
        izh = izhikevich_out(os.path.join(base, "lifnet_izh"))
    ok = all(abs(r["rate_difference_pct"]) <= 2.0 and r["first_spike_median_abs_ms"] <= 0.3
             for r in incoming["rows"] + outgoing["rows"] + hh["rows"] + izh["rows"])
    meta = metadata("sonata_bmtk.py", lifnet=ln.__version__, bmtk=incoming["built"]["bmtk"],
                    nest=incoming["nest"]["nest"], dt_ms=0.1, duration_ms=3000.0)
    markdown = (
        "BMTK-built circuit (NetworkBuilder: 80 exc + 20 inh `iaf_cond_exp`, distance rule, "
        f"nsyns, virtual thalamus from a spike file; {incoming['built']['edges']} edges) in "
        f"lifnet (`ln.sonata.run`, {incoming['lifnet_s']:.1f} s with loading) and in NEST "
        f"{incoming['nest']['nest']} via BMTK {incoming['built']['bmtk']} pointnet "
        f"({incoming['nest']['build_s'] + incoming['nest']['run_s']:.1f} s):\n\n"
        f"{table(incoming['rows'])}\n\n"
        "lifnet's BMTK chapter 3 column (`examples/bmtk_ch3_column.yaml`, V(0) = -70 mV) run "
        "by lifnet, and exported with `save_sonata` and run by pointnet on NEST:\n\n"
        f"{table(outgoing['rows'])}\n\n"
        "A lifnet network of NEST's `hh_psc_alpha_gap` cells (`HHPop`: 100 cells, spike "
        "sources through alpha currents, recurrent inhibition; dt 0.025 ms, 1 s) run by "
        "lifnet, and exported and run by pointnet on NEST (which counts a spike at the peak "
        "of V, lifnet at its crossing of 0 mV, about 0.1 ms earlier):\n\n"
        f"{table(hh['rows'])}\n\n"
        "A lifnet network of NEST's `izhikevich` cells (`IzhikevichPop` with NEST's "
        "equation: 100 regular-spiking cells, spike sources through 4 mV delta synapses, "
        "recurrent -1 mV; dt 0.1 ms, 1 s) run by lifnet, and exported and run by pointnet "
        "on NEST at dt 0.1 ms and 0.01 ms (NEST integrates it by forward Euler, lifnet "
        "to second order):\n\n"
        f"{table(izh['rows'] + izh['rows_fine'])}\n\n"
        f"Targets (rates within 2 %, first spikes within 0.3 ms median): "
        f"{'met' if ok else 'NOT met'}.")
    write("sonata-bmtk", meta, {"bmtk_in": incoming, "nest_out": outgoing, "hh_out": hh,
                                "izhikevich_out": izh, "targets_met": ok},
          "SONATA circuits: lifnet and NEST (BMTK pointnet)", markdown)


if __name__ == "__main__":
    main()
