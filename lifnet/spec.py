"""Declarative model files: a network, its inputs, what to record and how long to run.

A spec is a dict (or a YAML / JSON file holding one)::

    network:     {dt: 0.1, seed: 1}                         # ms
    populations:
      E:      {type: PyrPop, n: 80, params: {t_ref: 2.0},
               positions: {layout: Column, radius: 100, height: 400},
               currents: [{type: AdaptationCurrent, b: 0.02, tau_w: 150.0}]}
      thal:   {type: PoissonPop, n: 100, rate: 15.0, stop: 3000.0}
    connections:
      - {pre: thal, post: E, receptor: AMPA, rule: probability, p: 0.1,
         weight: "0.002 * uniform(0.5, 1.5)", nsyn: "poisson(3)", delay: 1.0}
      - {pre: [E2, E4], post: [E2, E4], ...}       # lists: every pre with every post
    gap_junctions:                                 # conductance-cell populations
      - {population: HH, weight: 0.0005, n_pairs: 15000}
    stimuli:
      - {population: E, type: CurrentClamp, amplitude: 0.1, start: 100, stop: 200}
      - {population: HH, type: PoissonDrive, rate: 500.0, weight: 0.3,
         receptor: {type: AlphaCurrentSynapse, tau: 0.2, name: ex}}
    record:
      traces: [{population: E, variables: [V], neurons: [0, 1], interval: 0.5}]
    run:   {duration: 3000.0}
    plots: [raster, traces, rates, positions, connectivity, rate_histogram]

Every section and key is checked before anything is built: an unknown key,
a wrong type or a value a constructor refuses is an error that names its
path in the file (``connections[2].rule``), the value, and what is allowed.
"""

import copy
import json
import os
import reprlib

from . import currents, populations, positions
from . import validation as val
from .network import Network

SECTIONS = ("network", "populations", "connections", "gap_junctions", "stimuli", "record",
            "run", "plots")
POPULATION_TYPES = {name: getattr(populations, name) for name in
                    ("PyrPop", "InterPop", "PyrRingPop", "InterRingPop", "LIFPopulation",
                     "PoissonPop", "RTMPop", "WBPop", "HHPop", "TraubPop", "IzhikevichPop",
                     "AdExPop")}
CURRENTS = {"AdaptationCurrent": currents.AdaptationCurrent}
LAYOUTS = {name: getattr(positions, name) for name in ("Box", "Column", "Grid", "Ring")}
RECEPTORS = {name: getattr(currents, name) for name in
             ("AMPA", "GABA", "NMDA", "ExponentialSynapse", "DoubleExponentialSynapse",
              "AlphaCurrentSynapse")}
STIMULI = {name: getattr(currents, name) for name in
           ("PoissonDrive", "RingPoissonCue", "GaussianNoise", "CurrentClamp", "FlatCue",
            "RingCue")}
CONNECTION_KEYS = ("pre", "post", "receptor", "rule", "weight", "p", "indegree", "J_plus",
                   "sigma", "profile", "nsyn", "pre_select", "post_select", "autapses",
                   "delay")
PLOTS = ("raster", "traces", "rates", "positions", "connectivity", "rate_histogram")
MAX_FILE_BYTES = 50 * 2 ** 20   # a model file's size
MAX_NODES = 1_000_000           # values in a YAML file once its aliases are expanded


class SpecError(val.ParameterError):
    """A model file that cannot be built; the message names the key path."""


def _fail(path, message):
    raise SpecError(f"{path}: {message}")


def _short(value):
    """A repr short enough for a message, whatever the value's size."""
    short = reprlib.Repr()
    short.maxlevel, short.maxstring, short.maxother = 2, 40, 40
    return short.repr(value)


def _one_of(value, table, path, what="one of"):
    """``value`` if it is a name in ``table``, else a SpecError listing the names."""
    if not isinstance(value, str) or value not in table:
        _fail(path, f"{_short(value)} is not {what} {', '.join(table)}")
    return value


def _list(spec, key):
    """A section that is a list (absent or null: empty)."""
    value = spec.get(key) or []
    if not isinstance(value, list):
        _fail(key, f"expected a list, got {type(value).__name__} {_short(value)}")
    return value


def _mapping(value, path, allowed=None, required=()):
    if not isinstance(value, dict):
        _fail(path, f"expected a mapping, got {type(value).__name__} {_short(value)}")
    for key in value:
        if not isinstance(key, str):
            _fail(path, f"the key {_short(key)} is not a name (a string)")
    if allowed is not None:
        for key in value:
            if not isinstance(key, str) or key not in allowed:
                _fail(f"{path}.{key}" if path else key,
                      f"unknown key; allowed: {', '.join(allowed)}")
    for key in required:
        if key not in value:
            _fail(path or "spec", f"missing required key {key!r}")
    return value


def _build(path, factory, *args, **kwargs):
    """Call a constructor, putting the key path in front of any error it raises."""
    try:
        return factory(*args, **kwargs)
    except val.ParameterError as err:
        _fail(path, str(err))
    except TypeError as err:
        names = getattr(factory, "_param_names", None)
        allowed = f"; allowed: {', '.join(names())}" if names else ""
        _fail(path, f"{err}".replace(".__init__() ", " ") + allowed)


def load(source):
    """A spec dict from a dict, or a YAML (.yaml, .yml) or JSON (.json) file."""
    if isinstance(source, dict):
        return copy.deepcopy(source)
    path = os.fspath(source)
    if not path.endswith((".yaml", ".yml", ".json")):
        raise SpecError(f"{path}: a model file ends in .yaml, .yml or .json" + (
            " (a NetPyNE model file, .py, runs with lifnet run or ln.netpyne.read)"
            if path.endswith(".py") else ""))
    if os.path.getsize(path) > MAX_FILE_BYTES:
        raise SpecError(f"{path}: {os.path.getsize(path)} bytes; a model file is at most "
                        f"{MAX_FILE_BYTES} (give large arrays in files of their own)")
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except UnicodeDecodeError as err:
        raise SpecError(f"{path}: not UTF-8 text (byte {err.start})") from None
    try:
        if path.endswith(".json"):
            data = json.loads(text)
        else:
            data = _yaml(text, path)
    except json.JSONDecodeError as err:
        raise SpecError(f"{path}: not valid JSON: {err.msg} at line {err.lineno}, "
                        f"column {err.colno}") from None
    except RecursionError:
        raise SpecError(f"{path}: nested too deeply to be a model file") from None
    return _mapping(data, "")


def _yaml(text, path):
    """YAML text -> data, refusing files whose aliases expand past MAX_NODES nodes."""
    import yaml

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        nodes = _expanded_size(root)
        if nodes > MAX_NODES:
            raise SpecError(f"{path}: its aliases expand to more than {MAX_NODES} values "
                            f"({nodes}); a model file is not that large")
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise SpecError(f"{path}: not valid YAML: {err.problem or err.context}{where}") from None
    except yaml.YAMLError as err:
        raise SpecError(f"{path}: not valid YAML: {str(err).splitlines()[0]}") from None


def _expanded_size(root):
    """Values a composed YAML document holds once its aliases are expanded (no recursion)."""
    if root is None:
        return 0
    size = {}
    todo = [(root, False)]
    while todo:
        node, children_done = todo.pop()
        if id(node) in size:
            continue
        children = []
        if isinstance(node.value, list):
            for item in node.value:
                children.extend(item if isinstance(item, tuple) else (item,))
        if children_done or not children:
            size[id(node)] = 1 + sum(size.get(id(c), 0) for c in children)
            if size[id(node)] > MAX_NODES:
                return size[id(node)]
            continue
        todo.append((node, True))
        todo.extend((c, False) for c in children if id(c) not in size)
    return size[id(root)]


def override(spec, assignment):
    """Apply ``"run.duration=500"`` (the value parsed as YAML) to a spec, in place."""
    import yaml

    if "=" not in assignment:
        raise SpecError(f"--set {assignment!r}: expected path=value, e.g. run.duration=500")
    path, text = assignment.split("=", 1)
    keys = path.split(".")
    node = spec
    for k, key in enumerate(keys[:-1]):
        if isinstance(node, list):
            node = node[_index(key, node, ".".join(keys[:k + 1]))]
        elif isinstance(node, dict):
            node = node.setdefault(key, {})
        if not isinstance(node, (dict, list)):
            raise SpecError(f"--set {path}: {'.'.join(keys[:k + 1])} is a value ({node!r}), "
                            "not a mapping or a list")
    last = keys[-1]
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise SpecError(f"--set {path}: cannot read the value {text!r}: "
                        f"{str(err).splitlines()[0]}") from None
    if isinstance(node, list):
        node[_index(last, node, path)] = value
    else:
        node[last] = value
    return spec


def _index(key, node, path):
    if not key.isdigit() or int(key) >= len(node):
        raise SpecError(f"--set {path}: {key!r} is not an index of a list of {len(node)}")
    return int(key)


def _names(value, net, path):
    """One population name or a list of them, each checked."""
    names = value if isinstance(value, list) else [value]
    for name in names:
        _one_of(name, net.populations, path, "a population; there are")
    return names


def _currents(items, path):
    """A population's currents: a list of {type: AdaptationCurrent, <its parameters>}."""
    if not isinstance(items, list):
        _fail(path, f"expected a list of currents, got {type(items).__name__}")
    out = []
    for k, cfg in enumerate(items):
        cfg = dict(_mapping(cfg, f"{path}[{k}]", required=("type",)))
        kind = cfg.pop("type")
        _one_of(kind, CURRENTS, f"{path}[{k}].type")
        out.append(_build(f"{path}[{k}]", CURRENTS[kind], **cfg))
    return out


def _receptor(cfg, path):
    rec = dict(_mapping(cfg, path, required=("type",)))
    kind = rec.pop("type")
    _one_of(kind, RECEPTORS, f"{path}.type")
    return _build(path, RECEPTORS[kind], **rec)


def build(spec):
    """Validate a spec and build its Network; returns (network, run settings, record, plots)."""
    spec = _mapping(spec, "", SECTIONS, required=("populations",))
    net_cfg = _mapping(spec.get("network", {}), "network", ("dt", "seed", "interpolation"))
    net = _build("network", Network, **net_cfg)

    for name, cfg in _mapping(spec["populations"], "populations").items():
        path = f"populations.{name}"
        cfg = _mapping(cfg, path, ("type", "n", "params", "positions", "rate", "start", "stop",
                                   "currents"), required=("type", "n"))
        kind = cfg["type"]
        _one_of(kind, POPULATION_TYPES, f"{path}.type")
        if kind == "PoissonPop":
            extra = {k: cfg[k] for k in ("rate", "start", "stop") if k in cfg}
            if "params" in cfg:
                _fail(f"{path}.params", "a PoissonPop takes rate, start, stop instead")
            pop = _build(path, POPULATION_TYPES[kind], cfg["n"], name=name, **extra)
        else:
            for key in ("rate", "start", "stop"):
                if key in cfg:
                    _fail(f"{path}.{key}", f"only a PoissonPop takes {key}")
            params = dict(_mapping(cfg.get("params", {}), f"{path}.params"))
            if "currents" in cfg:
                if kind in ("PoissonPop", "RTMPop", "WBPop", "HHPop", "TraubPop",
                            "IzhikevichPop"):
                    _fail(f"{path}.currents", f"a {kind} takes no currents; LIF populations "
                          "and AdExPop do")
                params["currents"] = _currents(cfg["currents"], f"{path}.currents")
            pop = _build(f"{path}.params", POPULATION_TYPES[kind], cfg["n"], name=name,
                         **params)
        layout = None
        if "positions" in cfg:
            lay = dict(_mapping(cfg["positions"], f"{path}.positions", required=("layout",)))
            which = lay.pop("layout")
            _one_of(which, LAYOUTS, f"{path}.positions.layout")
            layout = _build(f"{path}.positions", LAYOUTS[which], **lay)
        _build(path, net.add, pop, positions=layout)

    for k, cfg in enumerate(_list(spec, "connections")):
        path = f"connections[{k}]"
        cfg = dict(_mapping(cfg, path, CONNECTION_KEYS, required=("pre", "post", "weight")))
        pres = _names(cfg.pop("pre"), net, f"{path}.pre")
        posts = _names(cfg.pop("post"), net, f"{path}.post")
        receptor = cfg.get("receptor", "AMPA")
        if isinstance(receptor, dict):
            cfg["receptor"] = _receptor(receptor, f"{path}.receptor")
        for pre in pres:
            for post in posts:
                _build(f"{path} ({pre} -> {post})", net.connect, pre, post, **cfg)

    for k, cfg in enumerate(_list(spec, "gap_junctions")):
        path = f"gap_junctions[{k}]"
        cfg = dict(_mapping(cfg, path, ("population", "weight", "n_pairs", "pairs"),
                            required=("population", "weight")))
        pop = _one_of(cfg.pop("population"), net.populations, f"{path}.population",
                      "a population; there are")
        _build(path, net.gap_junctions, pop, **cfg)

    for k, cfg in enumerate(_list(spec, "stimuli")):
        path = f"stimuli[{k}]"
        cfg = dict(_mapping(cfg, path, required=("population", "type")))
        targets = _names(cfg.pop("population"), net, f"{path}.population")
        kind = cfg.pop("type")
        _one_of(kind, STIMULI, f"{path}.type")
        if isinstance(cfg.get("receptor"), dict):
            cfg["receptor"] = _receptor(cfg["receptor"], f"{path}.receptor")
        for pop in targets:
            _build(f"{path} ({pop})", net.stimulate, pop, _build(path, STIMULI[kind], **cfg))

    record = _mapping(spec.get("record", {}), "record", ("spikes", "traces"))
    for k, cfg in enumerate(_list(record, "traces")):
        path = f"record.traces[{k}]"
        cfg = dict(_mapping(cfg, path, ("population", "variables", "neurons", "interval"),
                            required=("population",)))
        pop = _one_of(cfg.pop("population"), net.populations, f"{path}.population",
                      "a population; there are")
        _build(path, net.monitor, pop, cfg.pop("variables", "V"), **cfg)

    run = _mapping(spec.get("run", {}), "run", ("duration",), required=("duration",))
    val.positive("run.duration", run["duration"], owner="spec")
    plots = spec.get("plots", ["raster"]) or []
    if not isinstance(plots, list):
        _fail("plots", f"expected a list of {', '.join(PLOTS)}")
    checked = []
    for k, item in enumerate(plots):
        if isinstance(item, dict) and len(item) != 1:
            _fail(f"plots[{k}]", "a plot with options is one mapping: {raster: {order_by: y}}")
        name, options = (item, {}) if not isinstance(item, dict) else next(iter(item.items()))
        _one_of(name, PLOTS, f"plots[{k}]")
        allowed = ("order_by",) if name == "raster" else ()
        _mapping(options or {}, f"plots[{k}].{name}", allowed)
        if "order_by" in (options or {}):
            _one_of(options["order_by"], ("x", "y", "z", "xnorm", "ynorm", "znorm"),
                    f"plots[{k}].raster.order_by", "a coordinate:")
        checked.append((name, options or {}))
    return net, run, record, checked
