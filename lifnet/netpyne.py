"""NetPyNE specifications (``netParams``, ``simConfig``) as a lifnet Network, without NetPyNE.

``load(netParams, simConfig)`` reads the specifications as NetPyNE users
write them, plain dicts or NetPyNE's ``specs.NetParams`` / ``specs.SimConfig``
objects alike (neither netpyne nor neuron is imported), and builds the
network with NEURON's mechanisms as lifnet has them:

- ``popParams``: ``numCells`` with a ``cellType`` (a cell of ``cellParams``),
  placed at random in the box of ``sizeX``, ``sizeY``, ``sizeZ`` (µm), within
  ``xRange`` ... ``znormRange``; or with ``cellModel: "NetStim"`` (``rate`` or
  ``interval``, ``noise``, ``start``, ``number``, ``seed``) -> ``NeuronHHPop``
  / ``NetStimPop``;
- ``cellParams``: one section (``geom``: ``diam``, ``L``, ``cm``, ``Ra``,
  ``nseg`` 1; ``mechs``: ``hh``, ``pas``; ``vinit``, ``threshold``);
- ``synMechParams``: ``ExpSyn`` and ``Exp2Syn`` (weights in µS);
- ``connParams``: ``preConds`` / ``postConds`` by ``pop``, ``cellType`` or
  ranges of coordinates (``{"y": [100, 1000]}``), ``probability`` (a number
  or a string function), ``convergence`` or ``divergence``, ``weight`` and
  ``delay`` (NetCon's, ms; numbers or string functions of ``dist_3D``,
  ``post_ynorm``, ..., ``uniform``, ``normal``, netParams' own numbers, as
  lifnet's expressions take them), ``synMech``;
- ``stimSourceParams`` / ``stimTargetParams``: ``NetStim`` (one generator
  per target cell, as NetPyNE makes them) and ``IClamp`` (``del``, ``dur``,
  ``amp``) onto the soma;
- ``simConfig``: ``duration``, ``dt``, ``seeds``, ``hParams`` (``celsius``,
  ``v_init``); keys about recording, saving and plots are listed in a
  warning, as lifnet records spikes and leaves the rest to ``lifnet.plotting``.

Anything else (several sections, another mechanism, a string function, a
rule lifnet does not have here) is refused with an error that names the
rule, the key and what is supported: nothing is dropped silently.
Connections are drawn by lifnet's generator from ``seeds["conn"]`` and the
NetStims from ``seeds["stim"]``: the same statistics as NetPyNE's, not the
same draws.
"""

import ast
import re
import warnings

from . import validation as val
from .currents.clamp import CurrentClamp
from .currents.neuron_synapses import Exp2Syn, ExpSyn
from .network import Network
from .populations.netstim import NetStimPop
from .populations.neuron_hh import NeuronHHPop
from .positions import Box

#: NetPyNE's defaults (``specs.NetParams``, ``specs.SimConfig``).
DEFAULTS = {"defaultThreshold": 10.0, "defaultWeight": 1.0, "defaultDelay": 1.0,
            "scaleConnWeight": 1.0, "scaleConnWeightNetStims": 1.0}
SIM_DEFAULTS = {"duration": 1000.0, "dt": 0.025, "seeds": {"conn": 1, "stim": 1, "loc": 1},
                "hParams": {"celsius": 6.3, "v_init": -65.0}}
NET_KEYS = ("popParams", "cellParams", "synMechParams", "connParams", "stimSourceParams",
            "stimTargetParams", "sizeX", "sizeY", "sizeZ", *DEFAULTS)
#: Coordinates a population's range or a connection's condition may name.
COORDINATES = ("x", "y", "z", "xnorm", "ynorm", "znorm")
RANGES = {f"{c}Range": f"{c}_range" for c in COORDINATES}
#: simConfig keys that change what is recorded, saved or plotted, not the simulation.
OUTPUT_KEYS = ("recordCells", "recordTraces", "recordStim", "recordStep", "recordLFP",
               "recordDipole", "recordTime", "analysis", "filename", "saveJson", "savePickle",
               "saveMat", "saveCSV", "saveDpk", "saveHDF5", "saveDat", "saveFolder",
               "saveDataInclude", "saveCellSecs", "saveCellConns", "savePlots", "verbose",
               "printRunTime", "printPopAvgRates", "printSynsAfterRule", "timing",
               "saveTiming", "createNEURONObj", "createPyStruct", "gatherOnlySimData",
               "compactConnFormat", "cache_efficient", "includeParamsLabel", "simLabel",
               "backupCfgFile", "validateNetParams", "showRaster", "showRasterGrid",
               "progressBar", "checkErrors", "checkErrorsVerbose")
SIM_KEYS = ("duration", "dt", "seeds", "hParams", "cvode_active")
HH_KEYS = ("gnabar", "gkbar", "gl", "el")
PAS_KEYS = {"g": "g_pas", "e": "e_pas"}
NETSTIM_KEYS = ("rate", "interval", "noise", "start", "number", "seed")


def _fail(where, message):
    return val.ParameterError(f"netpyne: {where}: {message}")


def _section(spec, key):
    """A part of a specification: a dict key or an attribute of a NetPyNE specs object."""
    if isinstance(spec, dict):
        return spec.get(key)
    return getattr(spec, key, None)


def _items(spec, key):
    part = _section(spec, key) or {}
    if not hasattr(part, "items"):
        raise _fail(key, f"must be a dict of rules, got {type(part).__name__}")
    return list(part.items())


def _number(where, value):
    if isinstance(value, str) or callable(value):
        raise _fail(where, f"{value!r} is a function of the cells; lifnet's loader takes "
                           "numbers here")
    return val.number(where, value, owner="netpyne")


def _expression(where, value, constants):
    """A number, or a NetPyNE string function turned into lifnet's expression: netParams'
    own numbers (``propVelocity``) put in, ``max``/``min`` as ``maximum``/``minimum``, and
    NEURON's ``normal(mean, variance)`` as lifnet's ``normal(mean, sd)``."""
    if not isinstance(value, str):
        return _number(where, value)
    try:
        tree = ast.parse(value, mode="eval")
    except SyntaxError as err:
        raise _fail(where, f"cannot parse {value!r}: {err.msg}") from None

    class Rewrite(ast.NodeTransformer):
        def visit_Name(self, node):
            if node.id in constants:
                return ast.copy_location(ast.Constant(constants[node.id]), node)
            return node

        def visit_Call(self, node):
            self.generic_visit(node)
            if isinstance(node.func, ast.Name):
                name = {"max": "maximum", "min": "minimum"}.get(node.func.id, node.func.id)
                node.func = ast.copy_location(ast.Name(name, ast.Load()), node.func)
                if name == "normal" and len(node.args) == 2:
                    node.args[1] = ast.Call(ast.Name("sqrt", ast.Load()), [node.args[1]], [])
            return node

    return ast.unparse(ast.fix_missing_locations(Rewrite().visit(tree)))


def _at_least_dt(where, delay, dt):
    """A delay of at least dt, as lifnet's steps need: a string function's values below dt
    are raised to dt, with a warning (NEURON's fixed step delivers them no sooner either: it
    stamps a spike at the end of the step in which it happened)."""
    if isinstance(delay, str):
        if "dist" in delay:
            warnings.warn(f"netpyne: {where} = {delay!r}: delays below dt = {dt} ms are "
                          f"raised to dt", stacklevel=4)
        return f"maximum({delay}, {dt!r})"
    if delay < dt:
        raise _fail(where, f"{delay} ms is shorter than dt = {dt} ms")
    return delay


def _only(where, rule, allowed):
    unknown = [k for k in rule if k not in allowed]
    if unknown:
        raise _fail(where, f"{unknown[0]!r} is not supported here; supported: "
                           f"{', '.join(allowed)}")


def _sim_config(simConfig):
    sim = {}
    keys = simConfig.keys() if isinstance(simConfig, dict) else [
        k for k in vars(simConfig) if not k.startswith("_")]
    ignored = []
    for key in keys:
        value = _section(simConfig, key)
        if key in SIM_KEYS:
            sim[key] = value
        elif key in OUTPUT_KEYS:
            if value:       # (NetPyNE's defaults are empty or False: nothing to do)
                ignored.append(key)
        elif isinstance(simConfig, dict):
            raise _fail(f"simConfig[{key!r}]", f"is not supported; supported: "
                                               f"{', '.join(SIM_KEYS)} (and output keys)")
    if sim.get("cvode_active"):
        raise _fail("simConfig['cvode_active']", "True is not supported: lifnet takes fixed "
                                                 "steps of dt (its own second-order ones)")
    if ignored:
        warnings.warn(f"netpyne: simConfig keys {', '.join(sorted(ignored))} concern "
                      "recording, saving or plots, which the loaded network does not do; "
                      "record with Network.monitor and plot with lifnet.plotting",
                      stacklevel=4)
    hparams = dict(SIM_DEFAULTS["hParams"])
    hparams.update(sim.get("hParams") or {})
    _only("simConfig['hParams']", hparams, ("celsius", "v_init", "clamp_resist"))
    seeds = dict(SIM_DEFAULTS["seeds"])
    seeds.update(sim.get("seeds") or {})
    return (_number("simConfig['duration']", sim.get("duration", SIM_DEFAULTS["duration"])),
            _number("simConfig['dt']", sim.get("dt", SIM_DEFAULTS["dt"])), seeds, hparams)


def _cell(label, rule, hparams, threshold):
    """NeuronHHPop keywords of a cellParams rule (one section with hh and/or pas)."""
    where = f"cellParams[{label!r}]"
    _only(where, rule, ("secs", "conds", "globals"))
    secs = rule.get("secs") or {}
    if len(secs) != 1:
        raise _fail(f"{where}['secs']", f"has {len(secs)} sections ({', '.join(secs)}); "
                                        "lifnet's cells are single compartments (one section)")
    (name, sec), = secs.items()
    where = f"{where}['secs'][{name!r}]"
    _only(where, sec, ("geom", "mechs", "vinit", "threshold", "topol", "ions"))
    if sec.get("topol"):
        raise _fail(f"{where}['topol']", "a single section has no parent to connect to")
    kwargs = {"celsius": hparams["celsius"], "v_init": sec.get("vinit", hparams["v_init"]),
              "threshold": sec.get("threshold", threshold)}
    geom = sec.get("geom") or {}
    _only(f"{where}['geom']", geom, ("diam", "L", "cm", "Ra", "nseg"))
    if geom.get("nseg", 1) != 1:
        raise _fail(f"{where}['geom']['nseg']", f"{geom['nseg']!r}: a single compartment "
                                                "needs nseg 1")
    for key in ("diam", "L", "cm"):
        if key in geom:
            kwargs[key] = _number(f"{where}['geom'][{key!r}]", geom[key])
    mechs = sec.get("mechs") or {}
    _only(f"{where}['mechs']", mechs, ("hh", "pas"))
    if "hh" in mechs:
        _only(f"{where}['mechs']['hh']", mechs["hh"], HH_KEYS)
        for key, value in mechs["hh"].items():
            kwargs[key] = _number(f"{where}['mechs']['hh'][{key!r}]", value)
    else:
        kwargs.update(gnabar=0.0, gkbar=0.0, gl=0.0)
    if "pas" in mechs:
        _only(f"{where}['mechs']['pas']", mechs["pas"], tuple(PAS_KEYS))
        kwargs.update(g_pas=0.001, e_pas=-70.0)     # NEURON's pas defaults
        for key, value in mechs["pas"].items():
            kwargs[PAS_KEYS[key]] = _number(f"{where}['mechs']['pas'][{key!r}]", value)
    ions = sec.get("ions") or {}
    _only(f"{where}['ions']", ions, ("na", "k"))
    for ion, spec in ions.items():
        _only(f"{where}['ions'][{ion!r}]", spec, ("e", "o", "i"))
        if "e" in spec:
            kwargs["e" + ion] = _number(f"{where}['ions'][{ion!r}]['e']", spec["e"])
    return kwargs


def _cell_rule(label, pop, cell_rules):
    kind = pop.get("cellType")
    for name, rule in cell_rules:
        conds = rule.get("conds") or {}
        if name == kind or conds.get("cellType") == kind:
            return name, rule
    raise _fail(f"popParams[{label!r}]['cellType']",
                f"{kind!r} is no rule of cellParams ({', '.join(n for n, _ in cell_rules)})")


def _netstim(where, spec, default_start):
    """NetStimPop keywords of a NetStim population or stimulus source."""
    kwargs = {"start": default_start, "number": 1e9}
    if "rate" in spec:
        kwargs["rate"] = _number(f"{where}['rate']", spec["rate"])
    elif "interval" in spec:
        kwargs["interval"] = _number(f"{where}['interval']", spec["interval"])
    else:
        kwargs["interval"] = 10.0       # NEURON's NetStim default
    for key in ("noise", "start", "number"):
        if key in spec:
            kwargs[key] = _number(f"{where}[{key!r}]", spec[key])
    return kwargs


def _synapse(label, rule):
    where = f"synMechParams[{label!r}]"
    mod = rule.get("mod")
    if mod == "ExpSyn":
        _only(where, rule, ("mod", "tau", "e"))
        make, keys = ExpSyn, ("tau", "e")
    elif mod == "Exp2Syn":
        _only(where, rule, ("mod", "tau1", "tau2", "e"))
        make, keys = Exp2Syn, ("tau1", "tau2", "e")
    else:
        raise _fail(f"{where}['mod']", f"{mod!r} is not supported; supported: ExpSyn, Exp2Syn")
    gate = re.sub(r"\W", "_", str(label))
    gate = gate if gate.isidentifier() else f"syn_{gate}"
    return make(name=gate, **{k: _number(f"{where}[{k!r}]", rule[k]) for k in keys if k in rule})


def _select(where, conds, pops):
    """The populations a preConds / postConds / conds dict picks out, and its ranges of
    coordinates (``{"y": (100, 1000)}``) for lifnet's pre_select / post_select."""
    _only(where, conds, ("pop", "cellType", *COORDINATES))
    ranges = {}
    for key in COORDINATES:
        if key in conds:
            low, high = conds[key]
            ranges[key] = (_number(f"{where}[{key!r}]", low), _number(f"{where}[{key!r}]", high))
    chosen = []
    for label, pop in pops.items():
        ok = True
        for key in ("pop", "cellType"):
            if key in conds:
                wanted = conds[key] if isinstance(conds[key], (list, tuple)) else [conds[key]]
                ok = ok and pop[key] in wanted
        if ok:
            chosen.append(label)
    if not chosen:
        raise _fail(where, f"{conds!r} matches no population")
    return chosen, ranges or None


def _check_location(where, rule):
    if not isinstance(rule.get("sec", "soma"), str):
        raise _fail(f"{where}['sec']", f"{rule['sec']!r}: lifnet's cells have one section")
    if rule.get("synsPerConn", 1) != 1:
        raise _fail(f"{where}['synsPerConn']", f"{rule['synsPerConn']!r}: only 1 is supported")


def load(netParams, simConfig=None):
    """Build a lifnet Network from NetPyNE's ``netParams`` and ``simConfig``.

    Parameters
    ----------
    netParams : dict or netpyne.specs.NetParams
        The network: see the module for the rules and keys lifnet takes.
    simConfig : dict or netpyne.specs.SimConfig, optional
        ``duration`` (ms), ``dt`` (ms), ``seeds``, ``hParams``; NetPyNE's
        defaults (1000 ms, 0.025 ms, seeds 1, 6.3 °C, v_init -65 mV) where absent.

    Returns
    -------
    Network
        The network, to run for ``simConfig["duration"]`` (``run`` does both).
    """
    return _build(netParams, _sim_config(simConfig or {}))


def _build(netParams, sim):
    duration, dt, seeds, hparams = sim
    if isinstance(netParams, dict):
        _only("netParams", netParams, NET_KEYS + tuple(
            k for k, v in netParams.items() if isinstance(v, (int, float))))
        constants = {k: float(v) for k, v in netParams.items()
                     if isinstance(v, (int, float)) and not isinstance(v, bool)}
    else:
        constants = {k: float(v) for k, v in vars(netParams).items()
                     if isinstance(v, (int, float)) and not isinstance(v, bool)}
    size = tuple(_number(f"netParams[{k!r}]", constants.get(k, 100.0))
                 for k in ("sizeX", "sizeY", "sizeZ"))
    net_defaults = {k: _section(netParams, k) if _section(netParams, k) is not None else v
                    for k, v in DEFAULTS.items()}
    net = Network(dt=dt, seed=int(seeds["conn"]))
    cell_rules = _items(netParams, "cellParams")
    pops = {}
    for k, (label, pop) in enumerate(_items(netParams, "popParams")):
        where = f"popParams[{label!r}]"
        if pop.get("cellModel") == "NetStim":
            _only(where, pop, ("cellModel", "numCells", *NETSTIM_KEYS))
            kwargs = _netstim(where, pop, default_start=50.0)
            seed = int(pop.get("seed", seeds["stim"])) * 1000 + k
            net.add(NetStimPop(val.count(f"{where}['numCells']", pop.get("numCells"),
                                         owner="netpyne"), name=label, until=duration,
                               seed=seed, **kwargs))
            pops[label] = {"pop": label, "cellType": "NetStim"}
            continue
        _only(where, pop, ("cellType", "numCells", "cellModel", *RANGES))
        if pop.get("cellModel") not in (None, "HH", "NEURON"):
            raise _fail(f"{where}['cellModel']", f"{pop['cellModel']!r} is not supported; "
                                                 "supported: NetStim, or a cellType")
        rule_name, rule = _cell_rule(label, pop, cell_rules)
        cell = _cell(rule_name, rule, hparams, net_defaults["defaultThreshold"])
        n = val.count(f"{where}['numCells']", pop.get("numCells"), owner="netpyne")
        ranges = {RANGES[k]: tuple(_number(f"{where}[{k!r}]", x) for x in pop[k])
                  for k in RANGES if k in pop}
        net.add(NeuronHHPop(n, name=label, **cell), positions=Box(size=size, **ranges))
        pops[label] = {"pop": label, "cellType": pop.get("cellType")}
    synapses = {label: _synapse(label, rule) for label, rule in _items(netParams,
                                                                      "synMechParams")}

    def synapse(where, rule):
        label = rule.get("synMech")
        if label is None and synapses:
            label = next(iter(synapses))     # NetPyNE's default: the first synMech
        if label not in synapses:
            raise _fail(f"{where}['synMech']", f"{label!r} is not in synMechParams "
                                               f"({', '.join(synapses) or 'empty'})")
        return synapses[label]

    for label, rule in _items(netParams, "connParams"):
        where = f"connParams[{label!r}]"
        _only(where, rule, ("preConds", "postConds", "probability", "convergence",
                            "divergence", "weight", "delay", "synMech", "sec", "loc",
                            "synsPerConn"))
        _check_location(where, rule)
        rules = [k for k in ("probability", "convergence", "divergence") if k in rule]
        if len(rules) != 1:
            raise _fail(where, f"give one of probability, convergence, divergence; got "
                               f"{rules or 'none'} (full connectivity: probability 1)")
        weight = _expression(f"{where}['weight']", rule.get(
            "weight", net_defaults["defaultWeight"]), constants)
        if net_defaults["scaleConnWeight"] != 1.0:
            weight = (weight * net_defaults["scaleConnWeight"] if not isinstance(weight, str)
                      else f"({weight}) * {net_defaults['scaleConnWeight']!r}")
        delay = _at_least_dt(f"{where}['delay']", _expression(
            f"{where}['delay']", rule.get("delay", net_defaults["defaultDelay"]), constants),
            dt)
        if rules[0] == "probability":
            kwargs = {"rule": "probability",
                      "p": _expression(f"{where}['probability']", rule["probability"],
                                       constants)}
        else:
            kwargs = {"rule": rules[0], "indegree": int(_number(f"{where}[{rules[0]!r}]",
                                                                rule[rules[0]]))}
        pres, pre_select = _select(f"{where}['preConds']", rule.get("preConds") or {}, pops)
        posts, post_select = _select(f"{where}['postConds']", rule.get("postConds") or {},
                                     pops)
        for pre in pres:
            for post in posts:
                if pops[post]["cellType"] == "NetStim":
                    raise _fail(f"{where}['postConds']", f"{post!r} is a NetStim population, "
                                                         "which receives no connections")
                try:
                    net.connect(pre, post, weight=weight, delay=delay,
                                receptor=synapse(where, rule), pre_select=pre_select,
                                post_select=post_select, **kwargs)
                except val.ParameterError as err:
                    raise _fail(where, str(err)) from None
    sources = dict(_items(netParams, "stimSourceParams"))
    for k, (label, target) in enumerate(_items(netParams, "stimTargetParams")):
        where = f"stimTargetParams[{label!r}]"
        source_label = target.get("source")
        if source_label not in sources:
            raise _fail(f"{where}['source']", f"{source_label!r} is not in stimSourceParams "
                                              f"({', '.join(sources) or 'empty'})")
        source = sources[source_label]
        swhere = f"stimSourceParams[{source_label!r}]"
        _check_location(where, target)
        kind = source.get("type")
        chosen, select = _select(f"{where}['conds']", target.get("conds") or {}, pops)
        if select:
            raise _fail(f"{where}['conds']", "ranges of coordinates are not supported for "
                                             "stimuli; select by pop or cellType")
        if kind == "NetStim":
            _only(swhere, source, ("type", *NETSTIM_KEYS))
            _only(where, target, ("source", "conds", "weight", "delay", "synMech", "sec",
                                  "loc", "synsPerConn"))
            weight = _number(f"{where}['weight']", target.get(
                "weight", net_defaults["defaultWeight"])) * net_defaults[
                "scaleConnWeightNetStims"]
            delay = _at_least_dt(f"{where}['delay']", _expression(
                f"{where}['delay']", target.get("delay", net_defaults["defaultDelay"]),
                constants), dt)
            kwargs = _netstim(swhere, source, default_start=0.0)
            for j, post in enumerate(chosen):
                # One generator per target cell, each with its own stream.
                n = net.population(post).n
                seed = int(source.get("seed", seeds["stim"])) * 1000 + 100 * k + j
                stim = net.add(NetStimPop(n, name=f"{label}->{post}", until=duration,
                                          seed=seed, **kwargs))
                try:
                    net.connect(stim, post, rule="one_to_one", weight=weight, delay=delay,
                                receptor=synapse(where, target))
                except val.ParameterError as err:
                    raise _fail(where, str(err)) from None
        elif kind == "IClamp":
            _only(swhere, source, ("type", "del", "dur", "amp"))
            _only(where, target, ("source", "conds", "sec", "loc"))
            start = _number(f"{swhere}['del']", source.get("del", 0.0))
            dur = _number(f"{swhere}['dur']", source.get("dur", 0.0))
            amp = _number(f"{swhere}['amp']", source.get("amp", 0.0))
            if dur > 0.0 and amp != 0.0:      # (NEURON: never on otherwise)
                for post in chosen:
                    net.stimulate(post, CurrentClamp(amplitude=amp, start=start,
                                                     stop=start + dur))
        else:
            raise _fail(f"{swhere}['type']", f"{kind!r} is not supported; supported: "
                                             "NetStim, IClamp")
    return net


def run(netParams, simConfig=None):
    """Load the specifications and run them for ``simConfig["duration"]`` (NetPyNE's default
    1000 ms); the RunResult."""
    sim = _sim_config(simConfig or {})
    return _build(netParams, sim).run(sim[0])

