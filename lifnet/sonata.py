"""SONATA in and out: circuits (nodes, edges, configs) and output files.

``load`` builds a Network from a BMTK-style circuit or simulation config
(``lifnet.io.circuit`` says what it reads and how NEST's models and units map
onto lifnet's), ``run`` runs a simulation config and writes its outputs;
``Network.save_sonata`` writes a network as a circuit. Spike files and reports
are written by ``write_spikes`` and ``write_report``.
"""

import json
import os
from dataclasses import dataclass, field

import numpy as np

from . import validation as val
from .io.circuit import (
    CellGroup,
    SonataError,
    build_cells,
    circuit_of,
    read_config,
    read_nodes,
    resolve_path,
    supported_templates,
)
from .io.edges import read_edge_projections
from .io.sonata import read_spikes, write_report, write_spikes
from .monitors import SpikeTrains
from .network import Network
from .populations import SpikeSourcePop

__all__ = ["load", "run", "read_config", "supported_templates", "SonataError", "SonataRun",
           "read_spikes", "write_spikes", "write_report"]


@dataclass
class SonataRun:
    """What a simulation config asks beyond the network: ``tstop`` (ms), where outputs go,
    the reports, and which lifnet population holds which SONATA nodes."""

    tstop: float = None
    output_dir: str = None
    spikes_file: str = "spikes.h5"
    node_map: dict = field(default_factory=dict)   # lifnet name -> (population, node ids)
    reports: list = field(default_factory=list)    # (file, monitor, variable)


def _node_set(value, node_sets, where):
    """The SONATA population a node set names (its name, or {"population": ...})."""
    if isinstance(value, str) and value in node_sets:
        value = node_sets[value]
    if isinstance(value, dict) and set(value) == {"population"}:
        return value["population"]
    if isinstance(value, str):
        return value
    raise SonataError(f"{where}: node_set {value!r} must name a population (or a node set "
                      "that is {\"population\": ...}); lifnet reads no other node sets")


def load(config, *, dt=None, seed=0):
    """Build a Network from a SONATA circuit or simulation config.

    Parameters
    ----------
    config : str or path-like
        ``circuit_config.json`` (the network alone), or ``simulation_config.json``
        (the network of its ``network`` key, plus ``run.dt``, ``run.tstop``,
        spike ``inputs`` for virtual nodes, ``output`` and ``reports``).
    dt : float, optional
        Time step, ms (default: the config's ``run.dt``, else 0.1).
    seed : int
        The network's seed; a circuit's cells start at ``V_m`` and draw nothing.

    Returns
    -------
    Network
        Its ``sonata`` attribute (a ``SonataRun``) holds ``tstop`` (ms), the
        output folder and, per lifnet population, the SONATA population and node
        ids it holds: one lifnet population per node type, named after its
        SONATA population, or ``"<population>.<node_type_id>"`` where a
        population has several node types.
    """
    cfg = read_config(config)
    circuit = circuit_of(cfg)
    components = circuit.get("components", {}) or {}
    models_dir = components.get("point_neuron_models_dir")
    synapses_dir = components.get("synaptic_models_dir")
    if models_dir is not None:
        models_dir = resolve_path(models_dir, circuit)
    if synapses_dir is not None:
        synapses_dir = resolve_path(synapses_dir, circuit)
    run_cfg = cfg.get("run", {}) or {}
    if float(run_cfg.get("tstart", 0.0)) != 0.0:
        raise SonataError(f"{cfg['_path']}: run.tstart={run_cfg['tstart']}; lifnet starts at 0")
    net = Network(dt=float(run_cfg.get("dt", 0.1)) if dt is None else dt, seed=seed)
    run = SonataRun(tstop=float(run_cfg["tstop"]) if "tstop" in run_cfg else None)

    groups = []
    networks = circuit.get("networks", {}) or {}
    for k, entry in enumerate(networks.get("nodes", []) or []):
        for key in ("nodes_file", "node_types_file"):
            if key not in entry:
                raise SonataError(f"{circuit['_path']}: networks.nodes[{k}] has no {key}")
        groups += read_nodes(resolve_path(entry["nodes_file"], circuit),
                              resolve_path(entry["node_types_file"], circuit), models_dir)
    if not groups:
        raise SonataError(f"{circuit['_path']}: networks.nodes lists no nodes")

    node_sets = {}
    if "node_sets_file" in cfg:
        with open(resolve_path(cfg["node_sets_file"], cfg)) as f:
            node_sets = json.load(f)
    spikes_of = {}
    for name, inp in (cfg.get("inputs", {}) or {}).items():
        where = f"{cfg['_path']}: inputs.{name}"
        if inp.get("input_type") != "spikes":
            raise SonataError(f"{where}: input_type {inp.get('input_type')!r}; lifnet reads "
                              "'spikes' inputs (spike files for virtual nodes)")
        if inp.get("module", "sonata") not in ("sonata", "h5", "hdf5"):
            raise SonataError(f"{where}: module {inp.get('module')!r}; lifnet reads SONATA "
                              "spike files (module 'sonata' or 'h5')")
        population = _node_set(inp.get("node_set"), node_sets, where)
        spikes = read_spikes(resolve_path(inp["input_file"], cfg))
        if population not in spikes:
            raise SonataError(f"{where}: {inp['input_file']} has no spikes of population "
                              f"{population!r}; it has {', '.join(spikes) or 'none'}")
        spikes_of[population] = spikes[population]

    per_population = {}
    for g in groups:
        per_population.setdefault(g.population, []).append(g)
    where_node = {}      # SONATA population -> (group index per node, index in group)
    for pop_name, members in per_population.items():
        virtual = [g.model == "virtual" for g in members]
        n = sum(len(g.node_ids) for g in members)
        if any(virtual) and not all(virtual):
            raise SonataError(f"population {pop_name!r} mixes virtual and real nodes; lifnet "
                              "takes a population of either")
        if all(virtual):
            times, ids = spikes_of.get(pop_name, (np.zeros(0), np.zeros(0, np.int64)))
            if ids.size and ids.max() >= n:
                raise SonataError(f"inputs of population {pop_name!r}: node id {ids.max()} "
                                  f"but the population has {n} nodes")
            src = net.add(SpikeSourcePop(n, times=times, ids=ids, name=pop_name))
            members[:] = [CellGroup(pop_name, np.arange(n), "virtual", lifnet=src)]
        for k, g in enumerate(members):
            if g.lifnet is None:
                name = pop_name if len(members) == 1 else f"{pop_name}.{k}"
                pop, clamp = build_cells(g, name)
                net.add(pop, positions=g.positions)
                if clamp is not None:
                    net.stimulate(pop, clamp)
                g.lifnet = pop
            run.node_map[g.lifnet.name] = (pop_name, g.node_ids)
        group_of, index_in = np.full(n, -1, np.int64), np.zeros(n, np.int64)
        for k, g in enumerate(members):
            group_of[g.node_ids], index_in[g.node_ids] = k, np.arange(len(g.node_ids))
        where_node[pop_name] = (members, group_of, index_in)

    for k, entry in enumerate(networks.get("edges", []) or []):
        for key in ("edges_file", "edge_types_file"):
            if key not in entry:
                raise SonataError(f"{circuit['_path']}: networks.edges[{k}] has no {key}")
        for pre_g, post_g, receptor, weight, delay, autapses in read_edge_projections(
                resolve_path(entry["edges_file"], circuit),
                resolve_path(entry["edge_types_file"], circuit), synapses_dir, where_node):
            rule = "all_to_all" if isinstance(weight, float) else "array"
            net.connect(pre_g.lifnet, post_g.lifnet, receptor=receptor, rule=rule,
                        weight=weight, delay=delay, autapses=autapses)

    out = cfg.get("output", {}) or {}
    run.output_dir = resolve_path(out.get("output_dir", "output"), cfg)
    run.spikes_file = out.get("spikes_file", "spikes.h5")
    for name, rep in (cfg.get("reports", {}) or {}).items():
        _add_report(net, run, name, rep, node_sets, where_node, cfg)
    net.sonata = run
    return net


VARIABLES = {"V_m": "V", "V": "V"}


def _add_report(net, run, name, rep, node_sets, where_node, cfg):
    where = f"{cfg['_path']}: reports.{name}"
    variable = rep.get("variable_name")
    if variable not in VARIABLES:
        raise SonataError(f"{where}: variable_name {variable!r}; lifnet reports "
                          f"{', '.join(VARIABLES)} (the membrane potential)")
    population = _node_set(rep.get("cells"), node_sets, where)
    if population not in where_node:
        raise SonataError(f"{where}: cells {population!r} is not a population")
    members = where_node[population][0]
    if len(members) != 1 or members[0].model == "virtual":
        raise SonataError(f"{where}: lifnet reports populations of one node type of real "
                          f"cells; {population!r} has {len(members)} node types")
    interval = float(rep.get("dt", net.dt))
    mon = net.monitor(members[0].lifnet, VARIABLES[variable], interval=interval)
    run.reports.append((os.path.join(run.output_dir, rep.get("file_name", f"{name}.h5")),
                        mon, VARIABLES[variable]))


def run(config, *, tstop=None, dt=None, seed=0, progress=None, threads=None):
    """Load a simulation config, run it for ``run.tstop`` and write its outputs.

    Spikes go to ``output.output_dir/output.spikes_file`` by SONATA population
    and node id; each report to its file.

    Parameters
    ----------
    config : str or path-like
        ``simulation_config.json`` with ``run.tstop``.
    tstop, dt : float, optional
        Simulated time and time step, ms, instead of the config's.
    seed : int
        The network's seed.
    progress, threads
        As ``Network.run``.

    Returns
    -------
    (Network, RunResult, list of str)
        The network, its result and the files written.
    """
    net = load(config, dt=dt, seed=seed)
    info = net.sonata
    if tstop is not None:
        info.tstop = val.positive("tstop", tstop, owner="sonata.run")
    if info.tstop is None:
        raise SonataError(f"{config}: run.tstop is needed to run (a simulation config)")
    result = net.run(info.tstop, progress=progress, threads=threads)
    trains = {}
    for lifnet_name, (population, node_ids) in info.node_map.items():
        tr = result.spikes(lifnet_name)
        trains.setdefault(population, []).append((tr.times, node_ids[tr.ids], node_ids.size))
    merged = {p: SpikeTrains(np.concatenate([t for t, _, _ in parts]),
                             np.concatenate([i for _, i, _ in parts]),
                             sum(n for _, _, n in parts)) for p, parts in trains.items()}
    os.makedirs(info.output_dir, exist_ok=True)
    files = [os.path.join(info.output_dir, info.spikes_file)]
    write_spikes(files[0], merged)
    for path, mon, variable in info.reports:
        write_report(path, mon, variable)
        files.append(path)
    return net, result, files
