"""SONATA circuits: reading nodes, edges and configs, and writing a network as a circuit.

``lifnet.sonata.load`` builds a ``Network`` from what this module reads.

A SONATA circuit (Dai et al. 2020) is ``nodes.h5`` and ``edges.h5`` files with
node and edge type tables (CSV), tied together by ``circuit_config.json``; a
``simulation_config.json`` adds the run (``tstop``, ``dt``), inputs (spike
files for virtual nodes) and outputs. This is the format BMTK's
``NetworkBuilder`` writes and its ``pointnet`` runs on NEST.

Point neurons are read by their ``model_template``, a NEST model, and mapped
onto lifnet's cells with the NEST parameters of ``dynamics_params`` converted
to lifnet's units (pF -> nF, nS -> µS, pA -> nA; ms and mV as they are):

=========================  ======================================================
``nest:iaf_cond_exp``      ``LIFPopulation``; exponential conductances ``ex``
                           (``tau_syn_ex``, ``E_ex``) and ``in``
                           (``tau_syn_in``, ``E_in``)
``nest:iaf_psc_exp``       ``CurrentBasedLIFPop``; ``ExponentialCurrentSynapse``
                           ``ex`` and ``in``
``nest:iaf_psc_alpha``     ``CurrentBasedLIFPop``; ``AlphaCurrentSynapse``
                           ``ex`` and ``in``
``nest:iaf_psc_delta``     ``CurrentBasedLIFPop``; ``DeltaSynapse`` (mV)
``nest:hh_psc_alpha_gap``  ``HHPop``; ``AlphaCurrentSynapse`` ``ex`` and ``in``
                           (NEST's ``t_ref`` only keeps a second peak within it
                           from counting: no effect, an HH cell has none)
``nest:izhikevich``        ``IzhikevichPop``; ``DeltaSynapse`` (mV). NEST's
                           dV/dt = 0.04 V^2 + 5 V + 140 - U + I_e is
                           Izhikevich (2007)'s cell with C 1 nF, k 0.04 µS/mV,
                           v_r and v_t the roots of 0.04 V^2 + 5 V + 140,
                           u = U - b v_r and a clamp of I_e - b v_r nA; a
                           spike is the reset at V_th. lifnet integrates the
                           equations, NEST by forward Euler
                           (``consistent_integration``; the published
                           numerics, False, and a finite ``V_min`` are refused)
``virtual``                ``SpikeSourcePop`` replaying the ``inputs`` spike file
=========================  ======================================================

Edges carry, as BMTK's ``pointnet`` applies them, the weight
``syn_weight x nsyns`` (NEST units: nS for conductances, pA for currents, mV
for delta synapses; the sign chooses the ``ex`` or ``in`` synapse, as in
NEST) and their ``delay`` (ms), per edge or per edge type; ``lifnet.io.edges``
reads them in chunks.
"""

import json
import math
import os
import re
import shlex
import warnings
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from .. import validation as val
from ..connectivity import CSR, Uniform
from ..currents import (
    AlphaCurrentSynapse,
    CurrentClamp,
    DeltaSynapse,
    ExponentialCurrentSynapse,
    ExponentialSynapse,
)
from ..integrators.assemble import initial_rng
from ..monitors import SpikeTrains
from ..populations import (
    CurrentBasedLIFPop,
    HHPop,
    IzhikevichPop,
    LIFPopulation,
    PoissonPop,
    SpikeSourcePop,
    is_ring,
)
from .atomic import atomic_path
from .sonata import _stamp, write_spikes


class SonataError(val.ParameterError):
    """A SONATA circuit or config lifnet cannot read; the message names file and key."""


# -- NEST models: their parameters (NEST units) and how they become lifnet's -----------------

_LIF_COMMON = {"C_m": 250.0, "E_L": -70.0, "V_th": -55.0, "t_ref": 2.0, "I_e": 0.0,
               "V_m": -70.0}


@dataclass(frozen=True)
class NestModel:
    """A NEST point-neuron model lifnet maps onto one of its cells.

    ``defaults``: NEST's default parameters (NEST units) for every key
    ``dynamics_params`` may set; ``synapse``: ``"cond_exp"``, ``"psc_exp"``,
    ``"psc_alpha"`` or ``"delta"``.
    """

    defaults: dict
    synapse: str


NEST_MODELS = {
    "iaf_cond_exp": NestModel(
        {**_LIF_COMMON, "V_reset": -60.0, "g_L": 16.6667, "E_ex": 0.0, "E_in": -85.0,
         "tau_syn_ex": 0.2, "tau_syn_in": 2.0}, "cond_exp"),
    "iaf_psc_exp": NestModel(
        {**_LIF_COMMON, "V_reset": -70.0, "tau_m": 10.0, "tau_syn_ex": 2.0,
         "tau_syn_in": 2.0}, "psc_exp"),
    "iaf_psc_alpha": NestModel(
        {**_LIF_COMMON, "V_reset": -70.0, "tau_m": 10.0, "tau_syn_ex": 2.0,
         "tau_syn_in": 2.0}, "psc_alpha"),
    "iaf_psc_delta": NestModel({**_LIF_COMMON, "V_reset": -70.0, "tau_m": 10.0}, "delta"),
    "hh_psc_alpha_gap": NestModel(
        {"C_m": 40.0, "g_Na": 4500.0, "g_Kv1": 9.0, "g_Kv3": 9000.0, "g_L": 10.0,
         "E_Na": 74.0, "E_K": -90.0, "E_L": -70.0, "tau_syn_ex": 0.2, "tau_syn_in": 2.0,
         "t_ref": 2.0, "I_e": 0.0, "V_m": HHPop.V_REST}, "psc_alpha"),
    "izhikevich": NestModel(
        {"a": 0.02, "b": 0.2, "c": -65.0, "d": 8.0, "V_th": 30.0, "V_m": -65.0, "U_m": -13.0,
         "I_e": 0.0, "V_min": -math.inf, "consistent_integration": 1.0}, "delta"),
}
#: NEST's izhikevich: 0.04 V^2 + 5 V + 140 = 0.04 (V - v_r)(V - v_t).
IZHIKEVICH_K = 0.04
IZHIKEVICH_ROOTS = ((-125.0 - math.sqrt(125.0 ** 2 - 4 * 3500.0)) / 2.0,
                    (-125.0 + math.sqrt(125.0 ** 2 - 4 * 3500.0)) / 2.0)
#: NEST unit -> lifnet unit: divide by this.
PER_NANO = 1000.0
_SCALED = ("C_m", "g_L", "I_e", "g_Na", "g_Kv1", "g_Kv3")   # pF, nS, pA -> nF, µS, nA
SYNAPSE_MODELS = ("static_synapse",)
#: BMTK's weight functions that compute syn_weight x nsyns.
WEIGHT_FUNCTIONS = ("default_weight_fnc", "set_syn_weight", "wmax")


def supported_templates():
    """The ``model_template`` values lifnet reads, e.g. ``nest:iaf_cond_exp``."""
    return [f"nest:{name}" for name in NEST_MODELS]


def nest_to_lifnet(value, name):
    """A NEST parameter in lifnet's unit (pF, nS, pA -> nF, µS, nA; others as they are)."""
    return value / PER_NANO if name in _SCALED else value


@dataclass
class CellGroup:
    """The nodes of one node type of a SONATA population, as one lifnet population."""

    population: str            # SONATA population
    node_ids: np.ndarray       # SONATA node ids, in the order of the lifnet population
    model: str                 # NEST model name, or "virtual"
    params: dict = field(default_factory=dict)   # NEST units; V_m may be per node
    positions: np.ndarray = None                  # (n, 3), µm, if the nodes have them
    lifnet: object = None

    def receptor(self, sign):
        """(receptor, divisor) for edges of this sign onto these cells: the lifnet weight is
        the NEST weight / divisor (nS -> µS, pA -> nA; an inhibitory conductance's
        negative weight -> a positive one)."""
        p, kind = self.params, NEST_MODELS[self.model].synapse
        side = "ex" if sign >= 0 else "in"
        if kind == "cond_exp":
            return (ExponentialSynapse(tau=p[f"tau_syn_{side}"], E=p[f"E_{side}"], name=side),
                    PER_NANO if sign >= 0 else -PER_NANO)
        if kind == "psc_exp":
            return ExponentialCurrentSynapse(tau=p[f"tau_syn_{side}"], name=side), PER_NANO
        if kind == "psc_alpha":
            return AlphaCurrentSynapse(tau=p[f"tau_syn_{side}"], name=side), PER_NANO
        return DeltaSynapse(name="delta"), 1.0


#: HHPop's parameters and hh_psc_alpha_gap's, but C (C_m).
_HH_NAMES = (("g_Na", "g_Na"), ("g_K", "g_Kv1"), ("g_K2", "g_Kv3"), ("g_L", "g_L"),
             ("E_Na", "E_Na"), ("E_K", "E_K"), ("E_L", "E_L"))


def build_cells(group, name):
    """The lifnet population of a CellGroup and the current clamp its I_e needs, if any."""
    p = group.params
    if group.model == "izhikevich":
        return _izhikevich(group, name)
    C = nest_to_lifnet(p["C_m"], "C_m")
    I_e = nest_to_lifnet(p["I_e"], "I_e")
    if group.model == "hh_psc_alpha_gap":
        # NEST's t_ref keeps a second peak within t_ref from counting: an HH cell has none.
        pop = HHPop(len(group.node_ids), name=name, C=C,
                    **{lifnet: nest_to_lifnet(p[nest], nest) for lifnet, nest in _HH_NAMES},
                    V_init=p["V_m"])
        return pop, (CurrentClamp(amplitude=I_e) if I_e != 0.0 else None)
    common = dict(E_L=p["E_L"], V_th=p["V_th"], V_reset=p["V_reset"], t_ref=p["t_ref"])
    if NEST_MODELS[group.model].synapse == "cond_exp":
        pop = LIFPopulation(len(group.node_ids), name=name, C=C,
                            g_L=nest_to_lifnet(p["g_L"], "g_L"), V_init=p["V_m"], **common)
        return pop, (CurrentClamp(amplitude=I_e) if I_e != 0.0 else None)
    pop = CurrentBasedLIFPop(len(group.node_ids), name=name, C=C, tau_m=p["tau_m"], I_e=I_e,
                             initial={"V": p["V_m"]}, **common)
    return pop, None


def _izhikevich(group, name):
    """IzhikevichPop and clamp of NEST's izhikevich (see the module's table)."""
    p = group.params
    where = f"node type of {group.population!r} (nest:izhikevich)"
    if p["consistent_integration"] != 1.0:
        raise SonataError(f"{where}: consistent_integration False is Izhikevich (2003)'s "
                          "published numerics, not the model's equations; lifnet integrates "
                          "the equations (set it True, NEST's default)")
    if p["V_min"] != -math.inf:
        raise SonataError(f"{where}: V_min={p['V_min']}: lifnet has no lower bound on V "
                          "(NEST's default, -inf, only)")
    v_r, v_t = IZHIKEVICH_ROOTS
    b = p["b"]
    pop = IzhikevichPop(len(group.node_ids), name=name, C=1.0, k=IZHIKEVICH_K, v_r=v_r,
                        v_t=v_t, v_peak=p["V_th"], a=p["a"], b=b, c=p["c"], d=p["d"],
                        V_init=p["V_m"], u_init=p["U_m"] - b * v_r)
    return pop, CurrentClamp(amplitude=p["I_e"] - b * v_r)


# -- configs -------------------------------------------------------------------------------

_VARIABLE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")


def _substitute(text, manifest, where):
    def one(match):
        key = match.group(1)
        if key not in manifest:
            raise SonataError(f"{where}: {match.group(0)} is not defined in the manifest "
                              f"(it defines {', '.join(sorted(manifest)) or 'nothing'})")
        return manifest[key]
    return _VARIABLE.sub(one, text)


def read_config(path):
    """A SONATA config file as a dict, its ``manifest`` variables substituted and its
    relative paths made absolute (relative to the file's folder).

    Parameters
    ----------
    path : str or path-like
        ``circuit_config.json`` or ``simulation_config.json``.
    """
    path = os.path.abspath(os.fspath(path))
    with open(path) as f:
        try:
            cfg = json.load(f)
        except json.JSONDecodeError as err:
            raise SonataError(f"{path}: not JSON ({err})") from None
    folder = os.path.dirname(path)
    manifest = {"configdir": folder, "workingdir": os.getcwd()}
    raw = cfg.pop("manifest", {}) or {}
    for key, value in raw.items():
        manifest[key.lstrip("$").strip("{}")] = str(value)
    for _ in range(len(manifest) + 1):     # variables may refer to each other
        manifest = {k: _substitute(v, manifest, f"{path}: manifest.{k}")
                    for k, v in manifest.items()}

    def walk(node, where):
        if isinstance(node, dict):
            return {k: walk(v, f"{where}.{k}" if where else k) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, f"{where}[{k}]") for k, v in enumerate(node)]
        if isinstance(node, str) and "$" in node:
            return _substitute(node, manifest, f"{path}: {where}")
        return node

    cfg = walk(cfg, "")
    cfg["_path"] = path
    return cfg


def is_config(path):
    """Whether a file is a SONATA circuit or simulation config (not a lifnet model file):
    JSON with ``networks``, or with ``network`` naming a circuit config."""
    if not os.fspath(path).endswith(".json"):
        return False
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, json.JSONDecodeError):
        return False
    return isinstance(data, dict) and ("networks" in data
                                       or isinstance(data.get("network"), str))


def resolve_path(value, cfg):
    folder = os.path.dirname(cfg["_path"])
    return value if os.path.isabs(value) else os.path.normpath(os.path.join(folder, value))


def circuit_of(cfg):
    """The circuit config of a simulation config (``network``), or the config itself."""
    if "networks" in cfg:
        return cfg
    if "network" in cfg:
        return read_config(resolve_path(cfg["network"], cfg))
    raise SonataError(f"{cfg['_path']}: neither 'networks' (a circuit config) nor 'network' "
                      "(a simulation config naming its circuit config)")


# -- tables --------------------------------------------------------------------------------

def _group_of_rows(pop, kind, n):
    """A node or edge population's group of each row and its index in that group (SONATA:
    both optional, meaning one group 0 in row order)."""
    ids = pop[f"{kind}_group_id"][()] if f"{kind}_group_id" in pop else np.zeros(n, int)
    index = (pop[f"{kind}_group_index"][()] if f"{kind}_group_index" in pop
             else np.arange(n))
    return ids, index


# A type table's words that mean "no value" (as pandas reads them, which BMTK uses).
_NO_VALUE = {"", "NULL", "null", "None", "NaN", "nan", "NA", "N/A", "n/a", "<NA>"}


def _read_types(path):
    """A node or edge type table (space-separated, a header line, quoted words allowed) as
    {type id: {column: value}}: numbers as int or float, no value as None."""
    try:
        with open(path) as f:
            lines = [shlex.split(line) for line in f if line.strip()]
    except FileNotFoundError:
        raise SonataError(f"type table {path} does not exist") from None
    if not lines:
        raise SonataError(f"type table {path} is empty")
    header, table = lines[0], {}
    for k, words in enumerate(lines[1:], start=2):
        if len(words) != len(header):
            raise SonataError(f"{path}, line {k}: {len(words)} values for the {len(header)} "
                              f"columns {' '.join(header)}")
        row = {name: _word(word) for name, word in zip(header, words, strict=True)}
        table[row[header[0]]] = row
    return table


def _word(word):
    if word in _NO_VALUE:
        return None
    for kind in (int, float):
        try:
            return kind(word)
        except ValueError:
            pass
    return word


def _dynamics(value, folder, where):
    """dynamics_params: a JSON file's dict (name relative to folder), or {} for none."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value in ("", "NULL",
                                                                                    "None"):
        return {}
    path = value if os.path.isabs(value) else os.path.join(folder or "", value)
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        raise SonataError(f"{where}: dynamics_params file {path} does not exist") from None


def _text(value):
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, float) and np.isnan(value):
        return None
    return None if value is None else str(value)


def _group_columns(group):
    """{name: array} of a node or edge group's datasets; positions as x, y, z."""
    columns = {k: v[()] for k, v in group.items() if not isinstance(v, type(group))}
    if "positions" in columns:
        pos = columns.pop("positions")
        columns.update(x=pos[:, 0], y=pos[:, 1], z=pos[:, 2])
    return columns


def _node_attribute(name, per_node, row, rows):
    """A node type's attribute: the nodes' own value if they share one, else the type's."""
    if name in per_node:
        values = {_text(v) for v in per_node[name][rows]}
        if len(values) == 1:
            return values.pop()
    return _text(row.get(name))


def read_nodes(nodes_file, types_file, models_dir):
    """[CellGroup] of one nodes file, one per (population, node type), with positions."""
    import h5py

    types = _read_types(types_file)
    groups = []
    with h5py.File(nodes_file, "r") as f:
        if "nodes" not in f:
            raise SonataError(f"{nodes_file}: no /nodes group")
        for pop_name, pop in f["nodes"].items():
            type_ids = pop["node_type_id"][()]
            n = type_ids.size
            group_ids, group_index = _group_of_rows(pop, "node", n)
            per_node = {}
            for gid in np.unique(group_ids):
                g = pop[str(gid)]
                rows = np.flatnonzero(group_ids == gid)
                for name, column in _group_columns(g).items():
                    per_node.setdefault(name, np.full(n, np.nan, object))[rows] = \
                        column[group_index[rows]]
                if "dynamics_params" in g:
                    for name, ds in g["dynamics_params"].items():
                        per_node.setdefault(f"dynamics_params/{name}", np.full(n, np.nan))[
                            rows] = ds[()][group_index[rows]]
            for type_id in np.unique(type_ids):
                where = f"{nodes_file}: population {pop_name!r}, node type {type_id}"
                if int(type_id) not in types:
                    raise SonataError(f"{where}: not in {types_file}")
                row = types[int(type_id)]
                rows = np.flatnonzero(type_ids == type_id)
                model_type = _node_attribute("model_type", per_node, row, rows)
                template = _node_attribute("model_template", per_node, row, rows)
                if model_type == "virtual":
                    groups.append(CellGroup(pop_name, rows, "virtual"))
                    continue
                model = (template or "").split(":", 1)
                if len(model) != 2 or model[0] != "nest" or model[1] not in NEST_MODELS:
                    raise SonataError(
                        f"{where} (model_type {model_type!r}): model_template {template!r} "
                        f"has no lifnet cell; supported: {', '.join(supported_templates())}, "
                        "and model_type 'virtual'")
                defaults = NEST_MODELS[model[1]].defaults
                params = dict(defaults)
                given = _dynamics(_node_attribute("dynamics_params", per_node, row, rows),
                                  models_dir, where)
                for key, value in given.items():
                    if key not in defaults:
                        raise SonataError(
                            f"{where}: dynamics_params key {key!r} is not a parameter lifnet "
                            f"maps for {template}; it takes {', '.join(defaults)}")
                    params[key] = float(value)
                for name, column in per_node.items():
                    if not name.startswith("dynamics_params/"):
                        continue
                    key = name.split("/", 1)[1]
                    values = np.asarray(column[rows], np.float64)
                    if key == "V_m":
                        params["V_m"] = values
                    elif np.all(values == values[0]):
                        params[key] = float(values[0])
                    else:
                        raise SonataError(
                            f"{where}: per-node dynamics_params/{key} differs between nodes; "
                            "lifnet reads per-node V_m only (give each value its own node type)")
                positions = (np.column_stack([per_node[c][rows].astype(np.float64)
                                              for c in "xyz"])
                             if all(c in per_node for c in "xyz") else None)
                groups.append(CellGroup(pop_name, rows, model[1], params, positions))
    return groups


# -- circuits out ----------------------------------------------------------------------------

class NoNestModelError(SonataError):
    """A part of a lifnet network that no NEST model carries."""


def _exact_scaled(value):
    """value x 1000 (nF, µS, nA -> pF, nS, pA), chosen among the nearest floats so that
    dividing it by 1000 when the file is read gives value back exactly."""
    scaled = float(value) * PER_NANO
    for candidate in (scaled, np.nextafter(scaled, np.inf), np.nextafter(scaled, -np.inf)):
        if candidate / PER_NANO == value:
            return float(candidate)
    return scaled


def _nest_value(value, name):
    """A lifnet parameter in NEST's unit (pF, nS, pA for C_m, g_L, I_e)."""
    return _exact_scaled(value) if name in _SCALED else float(value)


def _lifnet_only(pop, what):
    return NoNestModelError(
        f"population {pop.name!r} ({type(pop).__name__}): {what} has no NEST model, so a "
        f"SONATA circuit cannot carry it; save_sonata writes {', '.join(NEST_MODELS)} "
        "(LIFPopulation with exponential conductances, CurrentBasedLIFPop, HHPop, "
        "IzhikevichPop with NEST's equation) and spike sources")


def _cell_model(net, pop, q):
    """(NEST model name, dynamics params in NEST units, {receptor name: +1 or -1, the sign
    its weights take in NEST}, initial V in mV per cell) of population q; raises
    NoNestModelError for what no NEST model carries."""

    incoming = [proj for proj in net.projections if proj.post is pop]
    receptors = {}
    for proj in incoming:
        receptors.setdefault(proj.receptor.name, proj.receptor)
    I_e = 0.0
    for target, stim in net.stimuli:
        if target is not pop:
            continue
        if type(stim) is not CurrentClamp or stim.start != 0.0 or not np.isinf(stim.stop) \
                or np.ndim(stim.amplitude) != 0:
            raise _lifnet_only(pop, f"the stimulus {type(stim).__name__} (NEST's I_e is one "
                                    "constant current from t = 0, a CurrentClamp)")
        I_e += stim.amplitude
    if is_ring(pop):
        raise _lifnet_only(pop, "a ring population")
    V0 = pop.initial_V(initial_rng(net.seed, q))
    if isinstance(pop, LIFPopulation):
        if pop.currents:
            raise _lifnet_only(pop, "a LIF population with currents")
        model = "iaf_cond_exp"
        params = {"C_m": pop.C, "g_L": pop.g_L, "E_L": pop.E_L, "V_th": pop.V_th,
                  "V_reset": pop.V_reset, "t_ref": pop.t_ref, "I_e": I_e}
        for r in receptors.values():
            if not isinstance(r, ExponentialSynapse):
                raise _lifnet_only(pop, f"receptor {r!r} (iaf_cond_exp has exponential "
                                        "conductances)")
        kinds = sorted({(r.E, r.tau) for r in receptors.values()}, reverse=True)
        if len(kinds) > 2:
            raise _lifnet_only(pop, f"{len(kinds)} kinds of conductance ((E, tau) = {kinds}; "
                                    "iaf_cond_exp has two)")
        sides = {}
        for side, (E, tau) in zip(("ex", "in"), kinds, strict=False):
            params[f"E_{side}"], params[f"tau_syn_{side}"] = E, tau
            for name, r in receptors.items():
                if (r.E, r.tau) == (E, tau):
                    sides[name] = 1 if side == "ex" else -1
    elif isinstance(pop, CurrentBasedLIFPop):
        kinds = {type(r) for r in receptors.values()}
        if len(kinds) > 1:
            raise _lifnet_only(pop, "a mix of current synapses (a NEST model has one kind)")
        kind = kinds.pop() if kinds else ExponentialCurrentSynapse
        model = {ExponentialCurrentSynapse: "iaf_psc_exp", AlphaCurrentSynapse: "iaf_psc_alpha",
                 DeltaSynapse: "iaf_psc_delta"}[kind]
        p = pop.get_params()
        params = {"C_m": p["C"], "tau_m": p["tau_m"], "E_L": p["E_L"], "V_th": p["V_th"],
                  "V_reset": p["V_reset"], "t_ref": p["t_ref"], "I_e": p["I_e"] + I_e}
        sides = {} if model == "iaf_psc_delta" else _current_sides(pop, incoming, params,
                                                                     model)
    elif type(pop) is HHPop:
        model = "hh_psc_alpha_gap"
        if pop.gates_at != HHPop.V_REST or pop.V_spike != 0.0 or pop.method != "auto":
            raise _lifnet_only(pop, "an HHPop whose gates_at, V_spike or method is not the "
                                    "default (NEST's hh_psc_alpha_gap has them fixed)")
        for r in receptors.values():
            if not isinstance(r, AlphaCurrentSynapse):
                raise _lifnet_only(pop, f"receptor {r!r} (hh_psc_alpha_gap has alpha-shaped "
                                        "currents)")
        params = {"C_m": pop.C, "I_e": I_e, **{nest: getattr(pop, lifnet)
                                               for lifnet, nest in _HH_NAMES}}
        sides = _current_sides(pop, incoming, params, model)
    elif type(pop) is IzhikevichPop:
        return "izhikevich", _izhikevich_params(pop, receptors, I_e), {}, V0
    else:
        raise _lifnet_only(pop, "this cell model")
    params = {k: _nest_value(v, k) for k, v in params.items()}
    return model, params, sides, V0


def _izhikevich_params(pop, receptors, I):
    """NEST's izhikevich parameters of an IzhikevichPop with clamp I (nA): dividing
    C dV/dt = k (V - v_r)(V - v_t) - u + I by C gives NEST's equation where k / C is
    0.04 and v_r, v_t the roots of 0.04 V^2 + 5 V + 140, with U = (u + b v_r) / C."""
    C, v_r = pop.C, pop.v_r
    if not (math.isclose(pop.k / C, IZHIKEVICH_K, rel_tol=1e-9)
            and all(math.isclose(x, y, rel_tol=1e-9)
                    for x, y in zip((pop.v_r, pop.v_t), IZHIKEVICH_ROOTS, strict=True))):
        raise _lifnet_only(pop, f"an Izhikevich cell with k/C={pop.k / C:g}, v_r={v_r:g}, "
                                f"v_t={pop.v_t:g} (NEST's izhikevich has k/C 0.04 and v_r, v_t "
                                f"{IZHIKEVICH_ROOTS[0]:.6g}, {IZHIKEVICH_ROOTS[1]:.6g}: "
                                "0.04 V^2 + 5 V + 140)")
    if pop.V_spike != pop.v_peak or pop.method != "auto" or np.ndim(pop.u_init) != 0:
        raise _lifnet_only(pop, "an IzhikevichPop with V_spike below v_peak, a method other "
                                "than auto or per-cell u_init")
    for r in receptors.values():
        if not isinstance(r, DeltaSynapse):
            raise _lifnet_only(pop, f"receptor {r!r} (izhikevich takes delta synapses)")
    b = pop.b / C
    if pop.u_init is None:      # u = b (V - v_r): U = b V / C
        V_init = pop.initial_V()
        if np.any(V_init != V_init[0]):
            raise _lifnet_only(pop, "an IzhikevichPop whose u starts at b (V - v_r) of "
                                    "per-cell V (NEST's U_m is one value: give u_init)")
        U_m = b * V_init[0]
    else:
        U_m = (pop.u_init + pop.b * v_r) / C
    return {"a": float(pop.a), "b": float(b), "c": float(pop.c), "d": float(pop.d / C),
            "V_th": float(pop.v_peak), "U_m": float(U_m), "I_e": float(I / C + b * v_r)}


def _current_sides(pop, incoming, params, model):
    """{receptor name: 1} of current synapses, their time constants put in params as
    tau_syn_ex (positive weights) and tau_syn_in (negative ones), as NEST sends them."""
    sides = {}
    for proj in incoming:
        w = proj.weights().data
        for sign, side in ((1, "ex"), (-1, "in")):
            if np.any(w * sign > 0):
                tau = params.setdefault(f"tau_syn_{side}", proj.receptor.tau)
                if tau != proj.receptor.tau:
                    raise _lifnet_only(pop, f"{'positive' if sign > 0 else 'negative'} "
                                            f"weights through synapses of time constants "
                                            f"{tau} and {proj.receptor.tau} ms (NEST's "
                                            f"{model} has one per sign)")
        sides[proj.receptor.name] = 1
    return sides


def save(net, folder, *, tstop=None):
    """Write a network as a SONATA circuit with a simulation config.

    Writes ``circuit_config.json``, ``simulation_config.json`` (``run.dt``,
    ``run.tstop``, the spike inputs), ``network/`` (nodes and edges, one node
    population per lifnet population, one edge population per projection),
    ``components/`` (each population's NEST parameters, in NEST's units) and
    ``inputs/`` (the spikes of spike sources). ``ln.sonata.load`` reads it back
    into the same network; BMTK's ``pointnet`` runs it on NEST.

    Parameters
    ----------
    net : Network
    folder : str or path-like
        Created if needed; files of the same names are replaced.
    tstop : float, optional
        ``run.tstop`` of the simulation config, ms (default: the time the network
        has run to, if it has, else 1000).

    Raises
    ------
    NoNestModelError
        For a part of the network no NEST model carries (NMDA, HH-type cells, ring
        populations, Poisson drives, gap junctions...): nothing is written then.
    """
    import h5py


    if net.gap_junctions_list:
        raise NoNestModelError("gap junctions: a SONATA circuit for NEST's point neurons cannot "
                          "carry them")
    cells, sources = {}, {}
    for q, pop in enumerate(net.populations.values()):
        if isinstance(pop, SpikeSourcePop):
            sources[pop.name] = (pop.times, pop.ids, pop.n)
        elif isinstance(pop, PoissonPop):
            if net.t == 0.0:
                raise _lifnet_only(pop, "a Poisson source that has not run (run the network "
                                        "first: its spikes are written as an input file)")
            tr = net.result.spikes(pop.name)
            sources[pop.name] = (tr.times, tr.ids, pop.n)
        else:
            cells[pop.name] = _cell_model(net, pop, q)
    tstop = float(tstop if tstop is not None else (net.t if net.t > 0 else 1000.0))
    folder = os.path.abspath(os.fspath(folder))
    for sub in ("network", "components/point_neuron_models", "components/synaptic_models",
                "inputs"):
        os.makedirs(os.path.join(folder, sub), exist_ok=True)

    # Virtual nodes in a file of their own, as BMTK writes them: its node types have no
    # model_template, which pointnet wants on every real node type.
    type_ids = {name: 100 + k for k, name in enumerate(net.populations)}
    varied = []
    for stem, members in (("nodes", [p for p in net.populations.values() if p.name in cells]),
                          ("virtual_nodes", [p for p in net.populations.values()
                                             if p.name in sources])):
        if not members:
            continue
        rows = []
        with atomic_path(os.path.join(folder, "network", f"{stem}.h5"), suffix=".tmp") as tmp, \
                h5py.File(tmp, "w", track_order=True) as f:
            _stamp(f)
            root = f.create_group("nodes", track_order=True)
            for pop in members:
                g = root.create_group(pop.name)
                g["node_type_id"] = np.full(pop.n, type_ids[pop.name], np.uint64)
                g["node_id"] = np.arange(pop.n, dtype=np.uint64)
                g["node_group_id"] = np.zeros(pop.n, np.uint32)
                g["node_group_index"] = np.arange(pop.n, dtype=np.uint64)
                group = g.create_group("0")
                if getattr(pop, "positions", None) is not None:
                    for k, axis in enumerate("xyz"):
                        group[axis] = np.asarray(pop.positions[:, k], np.float64)
                if pop.name in sources:
                    rows.append([type_ids[pop.name], pop.name, "virtual"])
                    continue
                model, params, _, V0 = cells[pop.name]
                group["dynamics_params/V_m"] = np.asarray(V0, np.float64)
                if np.any(V0 != V0[0]):
                    varied.append(pop.name)
                params_file = f"{pop.name}.json"
                with open(os.path.join(folder, "components", "point_neuron_models",
                                       params_file), "w") as pf:
                    json.dump({**params, "V_m": float(V0[0])}, pf, indent=1)
                rows.append([type_ids[pop.name], pop.name, "point_neuron", f"nest:{model}",
                             params_file])
        header = ["node_type_id", "pop_name", "model_type"]
        _write_table(os.path.join(folder, "network", f"{stem.replace('nodes', 'node')}"
                                                     "_types.csv"),
                     header + (["model_template", "dynamics_params"] if stem == "nodes"
                               else []), rows)
    if varied:
        warnings.warn(
            f"save_sonata: the cells of {', '.join(map(repr, varied))} start at different V; "
            "the circuit holds each as a per-node V_m, which lifnet and the SONATA format "
            "read but BMTK's pointnet (1.2) does not: there every cell of a population starts "
            "at its first cell's V. Give each population one V_init to run it the same in "
            "NEST.", stacklevel=3)
    with open(os.path.join(folder, "components", "synaptic_models",
                           "static_synapse.json"), "w") as sf:
        json.dump({}, sf)

    edge_rows, edge_names = [], []
    with atomic_path(os.path.join(folder, "network", "edges.h5"), suffix=".tmp") as tmp, \
            h5py.File(tmp, "w", track_order=True) as f:
        _stamp(f)
        root = f.create_group("edges", track_order=True)
        for k, proj in enumerate(net.projections):
            sign = cells[proj.post.name][2].get(proj.receptor.name, 1)
            pre, post, weight, delay = _synapses(proj)
            scaled = not isinstance(proj.receptor, DeltaSynapse)
            if isinstance(proj.synapses, Uniform) and scaled:
                # one weight in float64: written so that it reads back the same
                syn_weight = np.full(pre.size, sign * _exact_scaled(proj.synapses.weight))
            else:
                syn_weight = sign * weight * (PER_NANO if scaled else 1.0)
            edge_names.append(f"{proj.pre.name}_to_{proj.post.name}_{k}")
            g = root.create_group(edge_names[-1])
            g["source_node_id"] = pre.astype(np.uint64)
            g["source_node_id"].attrs["node_population"] = proj.pre.name
            g["target_node_id"] = post.astype(np.uint64)
            g["target_node_id"].attrs["node_population"] = proj.post.name
            g["edge_type_id"] = np.full(pre.size, 100 + k, np.uint32)
            g["edge_group_id"] = np.zeros(pre.size, np.uint32)
            g["edge_group_index"] = np.arange(pre.size, dtype=np.uint64)
            g["0/syn_weight"] = syn_weight
            if np.ndim(delay):
                g["0/delay"] = delay
                delay = "NULL"
            edge_rows.append([100 + k, "static_synapse", "static_synapse.json", delay])
    _write_table(os.path.join(folder, "network", "edge_types.csv"),
                 ["edge_type_id", "model_template", "dynamics_params", "delay"], edge_rows)

    early = [name for name, (times, _, _) in sources.items() if np.any(times <= 0.0)]
    if early:
        warnings.warn(
            f"save_sonata: {', '.join(map(repr, early))} fire at t = 0, which lifnet replays "
            "but NEST's spike generators (through BMTK's pointnet) refuse", stacklevel=3)
    inputs = {}
    for name, (times, ids, n) in sources.items():

        path = os.path.join(folder, "inputs", f"{name}_spikes.h5")
        write_spikes(path, {name: SpikeTrains(times, ids, n)})
        inputs[f"{name}_spikes"] = {"input_type": "spikes", "module": "sonata",
                                    "input_file": f"$INPUT_DIR/{name}_spikes.h5",
                                    "node_set": name}
    circuit = {
        "manifest": {"$BASE_DIR": "${configdir}", "$NETWORK_DIR": "$BASE_DIR/network",
                     "$COMPONENTS_DIR": "$BASE_DIR/components"},
        "components": {"point_neuron_models_dir": "$COMPONENTS_DIR/point_neuron_models",
                       "synaptic_models_dir": "$COMPONENTS_DIR/synaptic_models"},
        "networks": {"nodes": [
            {"nodes_file": f"$NETWORK_DIR/{stem}.h5",
             "node_types_file": f"$NETWORK_DIR/{stem.replace('nodes', 'node')}_types.csv",
             # named populations, as libsonata's CircuitConfig lists them
             "populations": {name: {"type": kind} for name in some}}
            for stem, some, kind in (("nodes", cells, "point_neuron"),
                                     ("virtual_nodes", sources, "virtual")) if some],
            "edges": [{"edges_file": "$NETWORK_DIR/edges.h5",
                       "edge_types_file": "$NETWORK_DIR/edge_types.csv",
                       "populations": {name: {"type": "chemical"} for name in edge_names}}]}}
    simulation = {
        "manifest": {"$BASE_DIR": "${configdir}", "$OUTPUT_DIR": "$BASE_DIR/output",
                     "$INPUT_DIR": "$BASE_DIR/inputs"},
        "network": "$BASE_DIR/circuit_config.json",
        "run": {"tstart": 0.0, "tstop": tstop, "dt": net.dt, "random_seed": net.seed},
        "inputs": inputs,
        "output": {"output_dir": "$OUTPUT_DIR", "spikes_file": "spikes.h5",
                   "log_file": "log.txt", "overwrite_output_dir": True}}
    for name, data in (("circuit_config.json", circuit),
                       ("simulation_config.json", simulation)):
        with open(os.path.join(folder, name), "w") as cf:
            json.dump(data, cf, indent=2)
    return os.path.join(folder, "simulation_config.json")


def _write_table(path, header, rows):
    """A SONATA type table: space-separated columns, a header line."""
    with open(path, "w") as f:
        f.write(" ".join(header) + "\n")
        for row in rows:
            f.write(" ".join(repr(v) if isinstance(v, float) else str(v) for v in row) + "\n")


def _synapses(proj):
    """(pre ids, post ids, weights as stored, delays per synapse or one delay) of a
    projection, ms and lifnet units."""

    syn = proj.synapses
    if isinstance(syn, CSR):
        pre = np.repeat(np.arange(syn.indptr.size - 1), np.diff(syn.indptr))
        weight = syn.weights.astype(np.float64)
        delay = syn.delays.astype(np.float64) if proj.per_synapse_delay else float(proj.delay)
        return pre, syn.indices.astype(np.int64), weight, delay
    m = sp.coo_matrix(proj.weights())
    return m.row.astype(np.int64), m.col.astype(np.int64), m.data.astype(np.float64), \
        float(proj.delay)
