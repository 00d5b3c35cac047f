"""BMTK tutorial chapter 3 as point cells, built by BMTK's NetworkBuilder as a SONATA
circuit, then run by lifnet: the model of ``bmtk_ch3_column.yaml``, in BMTK's own files.

100 ``Scnn1a`` cells (NEST ``iaf_cond_exp`` with the pyramidal LIF parameters of
``PyrPop``: 500 pF, 25 nS, E_L -70 mV, V_th -50 mV, V_reset -60 mV, t_ref 2
ms; AMPA-like synapses, tau 2 ms, E 0 mV) in a column of radius 30 µm and height
100 µm, joined by BMTK's ``distance_connector`` (0-10 synapses of 0.4 nS per
connected pair, fewer pairs with distance) and fed by 100 virtual thalamic cells
firing at 15 Hz for 3 s (a spike file), each joined to every cortical cell by
``connect_random`` (0-11 synapses of 0.6 nS); 2 ms delays.

Needs BMTK (``pip install bmtk``). Run::

    python examples/bmtk_ch3_build.py ch3_circuit     # builds, then runs it with lifnet
    lifnet run ch3_circuit/simulation_config.json     # runs it again
"""

import json
import os
import sys

import numpy as np

import lifnet as ln

CELL = {"C_m": 500.0, "g_L": 25.0, "E_L": -70.0, "V_th": -50.0, "V_reset": -60.0,
        "t_ref": 2.0, "E_ex": 0.0, "tau_syn_ex": 2.0, "V_m": -70.0}


def build(folder, seed=1):
    """Write the circuit, its components, the thalamic spikes and the configs in folder."""
    import random

    from bmtk.builder import NetworkBuilder
    from bmtk.builder.auxi.edge_connectors import connect_random, distance_connector
    from bmtk.builder.auxi.node_params import positions_columinar
    from bmtk.utils.reports.spike_trains import PoissonSpikeGenerator

    np.random.seed(seed)
    random.seed(seed)
    for sub in ("cell_models", "synaptic_models"):
        os.makedirs(os.path.join(folder, "components", sub), exist_ok=True)
    with open(os.path.join(folder, "components", "cell_models", "scnn1a.json"), "w") as f:
        json.dump(CELL, f)
    with open(os.path.join(folder, "components", "synaptic_models", "ampa.json"), "w") as f:
        json.dump({}, f)

    cortex = NetworkBuilder("cortex")
    cortex.add_nodes(N=100, positions=positions_columinar(N=100, center=[0, 50, 0],
                                                          max_radius=30.0, height=100.0),
                     pop_name="Scnn1a", model_type="point_neuron",
                     model_template="nest:iaf_cond_exp", dynamics_params="scnn1a.json")
    cortex.add_edges(source={"pop_name": "Scnn1a"}, target={"pop_name": "Scnn1a"},
                     connection_rule=distance_connector,
                     connection_params={"d_weight_min": 0.0, "d_weight_max": 0.34,
                                        "d_max": 50.0, "nsyn_min": 0, "nsyn_max": 10},
                     syn_weight=0.4, delay=2.0, dynamics_params="ampa.json",
                     model_template="static_synapse")
    thalamus = NetworkBuilder("thalamus")
    thalamus.add_nodes(N=100, pop_name="tON", potential="exc", model_type="virtual")
    thalamus.add_edges(source=thalamus.nodes(), target=cortex.nodes(),
                       connection_rule=connect_random,
                       connection_params={"nsyn_min": 0, "nsyn_max": 12}, syn_weight=0.6,
                       delay=2.0, dynamics_params="ampa.json", model_template="static_synapse")
    for net in (cortex, thalamus):
        net.build()
        net.save_nodes(output_dir=os.path.join(folder, "network"))
        net.save_edges(output_dir=os.path.join(folder, "network"))

    spikes = PoissonSpikeGenerator(population="thalamus", seed=seed)
    spikes.add(node_ids=range(100), firing_rate=15.0, times=(0.0, 3.0))
    os.makedirs(os.path.join(folder, "inputs"), exist_ok=True)
    spikes.to_sonata(os.path.join(folder, "inputs", "thalamus_spikes.h5"))

    network = "$BASE_DIR/network"
    config = {
        "manifest": {"$BASE_DIR": "${configdir}", "$OUTPUT_DIR": "$BASE_DIR/output"},
        "target_simulator": "NEST",
        "run": {"tstop": 3000.0, "dt": 0.1},
        "components": {"point_neuron_models_dir": "$BASE_DIR/components/cell_models",
                       "synaptic_models_dir": "$BASE_DIR/components/synaptic_models"},
        "networks": {
            "nodes": [{"nodes_file": f"{network}/{p}_nodes.h5",
                       "node_types_file": f"{network}/{p}_node_types.csv"}
                      for p in ("cortex", "thalamus")],
            "edges": [{"edges_file": f"{network}/{p}_cortex_edges.h5",
                       "edge_types_file": f"{network}/{p}_cortex_edge_types.csv"}
                      for p in ("cortex", "thalamus")]},
        "inputs": {"thalamus_spikes": {"input_type": "spikes", "module": "sonata",
                                       "input_file": "$BASE_DIR/inputs/thalamus_spikes.h5",
                                       "node_set": "thalamus"}},
        "output": {"output_dir": "$OUTPUT_DIR", "spikes_file": "spikes.h5"}}
    path = os.path.join(folder, "simulation_config.json")
    with open(path, "w") as f:
        json.dump(config, f, indent=2)
    return path


if __name__ == "__main__":
    folder = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "ch3_circuit")
    config = build(folder)
    net, result, files = ln.sonata.run(config)
    print(f"cortex {result.spikes('cortex').rate(result.t):.1f} Hz; wrote {files[0]}")
