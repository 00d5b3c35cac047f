"""BMTK peer of the SONATA benchmark (``benchmarks/sonata_bmtk.py``): build a circuit with
BMTK's ``NetworkBuilder``, and run SONATA circuits with BMTK's ``pointnet`` on NEST.

``build DIR``: the column of BMTK's tutorial chapter 3 with an inhibitory
population, as point neurons: a population ``cortex`` of two node types, 80
excitatory ``Scnn1a`` and 20 inhibitory ``PV`` cells (NEST ``iaf_cond_exp``,
positions in a column of radius 30 µm and height 100 µm), joined by BMTK's
``distance_connector`` (connection probability falling linearly from 0.34 to
0 at 50 µm, 0-10 synapses per connected pair, each of ``syn_weight``; the
inhibitory weights negative, as NEST takes them), and a virtual population
``thalamus`` of 100 cells firing as Poisson processes at 15 Hz for 3 s
(a SONATA spike file drawn by BMTK's ``PoissonSpikeGenerator``), joined to
every cortical cell by ``connect_random`` (0-11 synapses). Writes the
circuit config and two simulation configs that differ only in their output
folder: ``simulation_config.json`` (``output/``) and
``simulation_nest.json`` (``output_nest/``).

``run CONFIG``: BMTK ``pointnet`` builds the circuit in NEST (one thread)
and simulates it; spikes go where the config's ``output`` says.

Output: one line of JSON on stdout (NEST's and BMTK's messages go to stderr):
``build`` -> ``{"bmtk", "simulation_config", "simulation_nest", "nodes",
"edges"}``; ``run`` -> ``{"bmtk", "nest", "build_s", "run_s",
"peak_rss_mb", "spikes_file"}`` (``build_s`` is reading the configs; pointnet
builds the NEST network inside ``run_s``).

Example: benchmarks/.peer-env/bin/python benchmarks/peers/sonata_bmtk.py build /tmp/col
"""

import argparse
import json
import os
import random
import sys
import time

import numpy as np
from coba_common import stdout_to_stderr

TSTOP = 3000.0     # ms
DT = 0.1           # ms
CELL = {"C_m": 500.0, "g_L": 25.0, "E_L": -70.0, "V_th": -50.0, "V_reset": -60.0,
        "t_ref": 2.0, "E_ex": 0.0, "E_in": -70.0, "tau_syn_ex": 2.0, "tau_syn_in": 10.0,
        "V_m": -70.0}
INTER = {**CELL, "C_m": 200.0, "g_L": 20.0, "E_L": -65.0, "t_ref": 1.0, "V_m": -65.0}


def build(folder, seed):
    from bmtk import __version__ as bmtk_version
    from bmtk.builder import NetworkBuilder
    from bmtk.builder.auxi.edge_connectors import connect_random, distance_connector
    from bmtk.builder.auxi.node_params import positions_columinar
    from bmtk.utils.reports.spike_trains import PoissonSpikeGenerator

    np.random.seed(seed)
    random.seed(seed)
    components = os.path.join(folder, "components")
    os.makedirs(os.path.join(components, "cell_models"), exist_ok=True)
    os.makedirs(os.path.join(components, "synaptic_models"), exist_ok=True)
    for name, params in (("exc.json", CELL), ("pv.json", INTER)):
        with open(os.path.join(components, "cell_models", name), "w") as f:
            json.dump(params, f)
    with open(os.path.join(components, "synaptic_models", "static.json"), "w") as f:
        json.dump({}, f)

    cortex = NetworkBuilder("cortex")
    for n, pop_name, params in ((80, "Scnn1a", "exc.json"), (20, "PV", "pv.json")):
        cortex.add_nodes(N=n, positions=positions_columinar(N=n, center=[0, 50, 0],
                                                            max_radius=30.0, height=100.0),
                         pop_name=pop_name, model_type="point_neuron",
                         model_template="nest:iaf_cond_exp", dynamics_params=params)
    distance = {"d_weight_min": 0.0, "d_weight_max": 0.34, "d_max": 50.0, "nsyn_min": 0,
                "nsyn_max": 10}
    for source, target, weight in (("Scnn1a", "Scnn1a", 0.4), ("Scnn1a", "PV", 0.4),
                                   ("PV", "Scnn1a", -1.5), ("PV", "PV", -1.5)):
        cortex.add_edges(source={"pop_name": source}, target={"pop_name": target},
                         connection_rule=distance_connector, connection_params=distance,
                         syn_weight=weight, delay=2.0, dynamics_params="static.json",
                         model_template="static_synapse")
    cortex.build()
    network = os.path.join(folder, "network")
    cortex.save_nodes(output_dir=network)
    cortex.save_edges(output_dir=network)

    thalamus = NetworkBuilder("thalamus")
    thalamus.add_nodes(N=100, pop_name="tON", potential="exc", model_type="virtual")
    thalamus.add_edges(source=thalamus.nodes(), target=cortex.nodes(),
                       connection_rule=connect_random,
                       connection_params={"nsyn_min": 0, "nsyn_max": 12}, syn_weight=0.6,
                       delay=2.0, dynamics_params="static.json",
                       model_template="static_synapse")
    thalamus.build()
    thalamus.save_nodes(output_dir=network)
    thalamus.save_edges(output_dir=network)

    spikes = PoissonSpikeGenerator(population="thalamus", seed=seed)
    spikes.add(node_ids=range(100), firing_rate=15.0, times=(0.0, TSTOP / 1000.0))
    os.makedirs(os.path.join(folder, "inputs"), exist_ok=True)
    spikes.to_sonata(os.path.join(folder, "inputs", "thalamus_spikes.h5"))

    files = [(f"{a}_nodes.h5", f"{a}_node_types.csv") for a in ("cortex", "thalamus")]
    edges = [(f"{a}_cortex_edges.h5", f"{a}_cortex_edge_types.csv")
             for a in ("cortex", "thalamus")]
    circuit = {
        "manifest": {"$BASE_DIR": "${configdir}", "$NETWORK_DIR": "$BASE_DIR/network",
                     "$COMPONENTS_DIR": "$BASE_DIR/components"},
        "components": {"point_neuron_models_dir": "$COMPONENTS_DIR/cell_models",
                       "synaptic_models_dir": "$COMPONENTS_DIR/synaptic_models"},
        "networks": {
            "nodes": [{"nodes_file": f"$NETWORK_DIR/{h5}", "node_types_file":
                       f"$NETWORK_DIR/{csv}"} for h5, csv in files],
            "edges": [{"edges_file": f"$NETWORK_DIR/{h5}", "edge_types_file":
                       f"$NETWORK_DIR/{csv}"} for h5, csv in edges]}}
    with open(os.path.join(folder, "circuit_config.json"), "w") as f:
        json.dump(circuit, f, indent=2)
    configs = {}
    for name, out in (("simulation_config.json", "output"), ("simulation_nest.json",
                                                              "output_nest")):
        simulation = {
            "manifest": {"$BASE_DIR": "${configdir}", "$OUTPUT_DIR": f"$BASE_DIR/{out}"},
            "target_simulator": "NEST",
            "run": {"tstart": 0.0, "tstop": TSTOP, "dt": DT},
            "inputs": {"thalamus_spikes": {"input_type": "spikes", "module": "sonata",
                                           "input_file": "$BASE_DIR/inputs/thalamus_spikes.h5",
                                           "node_set": "thalamus"}},
            "output": {"output_dir": "$OUTPUT_DIR", "spikes_file": "spikes.h5",
                       "log_file": "log.txt", "overwrite_output_dir": True},
            "network": "$BASE_DIR/circuit_config.json"}
        configs[name] = os.path.join(folder, name)
        with open(configs[name], "w") as f:
            json.dump(simulation, f, indent=2)
    import h5py

    n_edges = 0
    for h5, _ in edges:
        with h5py.File(os.path.join(network, h5), "r") as f:
            n_edges += sum(g["source_node_id"].shape[0] for g in f["edges"].values())
    return {"bmtk": bmtk_version, "simulation_config": configs["simulation_config.json"],
            "simulation_nest": configs["simulation_nest.json"], "nodes": 200,
            "edges": n_edges}


def run(config):
    import nest
    from bmtk import __version__ as bmtk_version
    from bmtk.simulator import pointnet

    t0 = time.perf_counter()
    cfg = pointnet.Config.from_json(config)
    cfg.build_env()
    network = pointnet.PointNetwork.from_config(cfg)
    sim = pointnet.PointSimulator.from_config(cfg, network)
    t1 = time.perf_counter()
    sim.run()
    t2 = time.perf_counter()
    with open("/proc/self/status") as f:     # VmHWM: peak resident memory since exec
        peak = next(int(line.split()[1]) / 1024.0 for line in f if line.startswith("VmHWM:"))
    return {"bmtk": bmtk_version, "nest": nest.__version__, "build_s": round(t1 - t0, 3),
            "run_s": round(t2 - t1, 3), "peak_rss_mb": round(peak, 1),
            "spikes_file": os.path.join(cfg.output_dir, cfg.output.get("spikes_file",
                                                                        "spikes.h5"))}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build")
    b.add_argument("folder")
    b.add_argument("--seed", type=int, default=1)
    r = sub.add_parser("run")
    r.add_argument("config")
    args = parser.parse_args()
    with stdout_to_stderr():
        out = build(os.path.abspath(args.folder), args.seed) if args.command == "build" \
            else run(os.path.abspath(args.config))
    print(json.dumps(out))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
