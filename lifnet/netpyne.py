"""NetPyNE specifications (``netParams``, ``simConfig``) as a lifnet Network, without NetPyNE.

``load(netParams, simConfig)`` reads the specifications as NetPyNE users
write them, plain dicts or NetPyNE's ``specs.NetParams`` / ``specs.SimConfig``
objects alike (neither netpyne nor neuron is imported), and builds the
network with NEURON's mechanisms as lifnet has them. ``read(path)`` executes
a NetPyNE model file (Python, such as NetPyNE's tutorials) with a stand-in
for ``netpyne.specs`` and ``netpyne.sim`` and returns its specifications;
``lifnet run model.py`` does both and runs the model.

- ``popParams``: ``numCells``, or ``density`` (cells/mm³; NetPyNE's count,
  ``int(density × volume)``, the volume being the box of ``sizeX``,
  ``sizeY``, ``sizeZ`` µm narrowed by the population's ranges), with a
  ``cellType`` (a cell of ``cellParams``), placed at random in the box
  within ``xRange`` ... ``znormRange``; or with ``cellModel: "NetStim"``
  (``rate`` or ``interval``, ``noise``, ``start``, ``number``, ``seed``)
  -> ``NeuronHHPop`` / ``IzhikevichPop`` / ``NetStimPop``;
- ``cellParams``: one section, either NEURON's channels (``geom``:
  ``diam``, ``L``, ``cm``, ``Ra``, ``nseg`` 1; ``mechs``: ``hh``, ``pas``;
  ``vinit``, ``threshold``) or an Izhikevich (2007) cell, NetPyNE's
  ``pointps`` of ``mod: "Izhi2007b"`` (``C``, ``k``, ``vr``, ``vt``,
  ``vpeak``, ``a``, ``b``, ``c``, ``d`` in its units, ``celltype`` 1, 2 or
  3: the regular-spiking, bursting and chattering cells, whose reset is
  v = c, u += d) in a section of ``geom`` (and ``threshold``) only ->
  ``IzhikevichPop`` with the section's capacitance and the point
  process's current (k (v - vr)(v - vt) - u) / (1000 C) nA. As NetPyNE's
  ``NetCon`` on v counts them, its spikes are the upward crossings of the
  section's ``threshold`` (default 10 mV), 0.7 ms before the
  regular-spiking cell's peak, where it resets;
- ``synMechParams``: ``ExpSyn`` and ``Exp2Syn`` (weights in µS);
- ``connParams``: ``preConds`` / ``postConds`` by ``pop``, ``cellType`` or
  ranges of coordinates (``{"y": [100, 1000]}``), ``probability`` (a number
  or a string function), ``convergence``, ``divergence``, ``connList``
  (pairs of indices among the cells the conditions select, in NetPyNE's
  order: by population, then index; ``weight`` and ``delay`` may be lists
  of one value per pair) or none of these (all to all), ``weight`` and
  ``delay`` (NetCon's, ms; numbers or string functions of ``dist_3D``,
  ``post_ynorm``, ..., ``uniform``, ``normal``, netParams' own numbers, as
  lifnet's expressions take them), ``synMech``;
- ``stimSourceParams`` / ``stimTargetParams``: ``NetStim`` (one generator
  per target cell, as NetPyNE makes them) and ``IClamp`` (``del``, ``dur``,
  ``amp``) onto the soma;
- ``simConfig``: ``duration``, ``dt``, ``seeds``, ``hParams`` (``celsius``,
  ``v_init``); ``recordTraces`` of ``v`` in the cells of ``recordCells``
  and of ``analysis["plotTraces"]["include"]`` (``"all"``, a population, a
  gid, ``(population, index or indices)``) every ``recordStep`` ms ->
  ``Network.monitor``; ``analysis``: ``plotRaster`` (``orderBy``),
  ``plotTraces``, ``plotSpikeHist``, ``plot2Dnet``, ``plotConn`` -> the
  figures of ``lifnet.plotting`` that ``figures`` lists (``lifnet run``
  draws them). Other plots, and keys about saving and printing, are named
  in a warning.

Anything else (several sections, another mechanism, a string function where
lifnet takes a number, a rule lifnet does not have here) is refused with an
error that names the rule, the key and what is supported: nothing is
dropped silently. Connections and positions are drawn by lifnet's generator
from ``seeds["conn"]`` and the NetStims from ``seeds["stim"]``: the same
statistics as NetPyNE's, not the same draws.
"""

import ast
import math
import os
import re
import runpy
import sys
import types
import warnings

import numpy as np
import scipy.sparse as sp

from . import validation as val
from .currents.clamp import CurrentClamp
from .currents.neuron_synapses import Exp2Syn, ExpSyn
from .network import Network
from .populations.izhikevich import IzhikevichPop
from .populations.netstim import NetStimPop
from .populations.neuron_hh import NeuronHHPop
from .positions import Box

#: NetPyNE's defaults (``specs.NetParams``, ``specs.SimConfig``).
DEFAULTS = {"defaultThreshold": 10.0, "defaultWeight": 1.0, "defaultDelay": 1.0,
            "scaleConnWeight": 1.0, "scaleConnWeightNetStims": 1.0}
SIM_DEFAULTS = {"duration": 1000.0, "dt": 0.025, "seeds": {"conn": 1, "stim": 1, "loc": 1},
                "hParams": {"celsius": 6.3, "v_init": -65.0}, "recordStep": 0.1}
SECTIONS = ("popParams", "cellParams", "synMechParams", "connParams", "stimSourceParams",
            "stimTargetParams")
NET_KEYS = (*SECTIONS, "sizeX", "sizeY", "sizeZ", "shape", *DEFAULTS)
#: Coordinates a population's range or a connection's condition may name.
COORDINATES = ("x", "y", "z", "xnorm", "ynorm", "znorm")
RANGES = {f"{c}Range": f"{c}_range" for c in COORDINATES}
#: simConfig keys that change what is recorded, saved or plotted, not the simulation.
OUTPUT_KEYS = ("recordStim", "recordLFP", "recordDipole", "recordTime", "filename", "saveJson",
               "savePickle", "saveMat", "saveCSV", "saveDpk", "saveHDF5", "saveDat", "saveFolder",
               "saveDataInclude", "saveCellSecs", "saveCellConns", "savePlots", "verbose",
               "printRunTime", "printPopAvgRates", "printSynsAfterRule", "timing",
               "saveTiming", "createNEURONObj", "createPyStruct", "gatherOnlySimData",
               "compactConnFormat", "cache_efficient", "includeParamsLabel", "simLabel",
               "backupCfgFile", "validateNetParams", "showRaster", "showRasterGrid",
               "progressBar", "checkErrors", "checkErrorsVerbose")
SIM_KEYS = ("duration", "dt", "seeds", "hParams", "cvode_active", "recordCells",
            "recordTraces", "recordStep", "analysis")
#: NetPyNE's plots that lifnet draws, as the names of lifnet's figures (lifnet.plotting).
FIGURES = {"plotRaster": "raster", "plotTraces": "traces", "plotSpikeHist": "rates",
           "plot2Dnet": "positions", "plotConn": "connectivity"}
#: Options of NetPyNE's plots that ``lifnet run`` honours by itself: it writes every figure.
SAVING = ("saveFig", "showFig")
#: Options of those plots that lifnet honours, as its figures' keywords.
FIGURE_OPTIONS = {"plotRaster": {"orderBy": "order_by"}, "plotTraces": {"include": None}}
HH_KEYS = ("gnabar", "gkbar", "gl", "el")
PAS_KEYS = {"g": "g_pas", "e": "e_pas"}
NETSTIM_KEYS = ("rate", "interval", "noise", "start", "number", "seed")
#: Izhi2007b's parameters and their defaults (Izhikevich 2007, regular-spiking cell), in
#: the point process's units: C scales its current, k pA/mV², v mV, a 1/ms, b pA/mV, d pA.
IZHI_PARAMS = {"C": 1.0, "k": 0.7, "vr": -60.0, "vt": -40.0, "vpeak": 35.0, "a": 0.03,
               "b": -2.0, "c": -50.0, "d": 100.0, "celltype": 1}
#: Izhi2007b's cell types whose dynamics are the plain model (reset v = c, u += d).
IZHI_CELLTYPES = {1: "RS", 2: "IB", 3: "CH"}
#: NEURON's default section (µm, µF/cm²), where geom leaves a value out.
SECTION_DEFAULTS = {"diam": 500.0, "L": 100.0, "cm": 1.0}


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
    """simConfig's settings as a dict: duration, dt (ms), seeds, hParams, the traces to
    record and the analysis' plots; output keys lifnet does not honour are warned of."""
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
                      "saving, printing or recording lifnet does not do; it writes spikes, "
                      "traces and figures itself (lifnet run)", stacklevel=4)
    hparams = dict(SIM_DEFAULTS["hParams"])
    hparams.update(sim.get("hParams") or {})
    _only("simConfig['hParams']", hparams, ("celsius", "v_init", "clamp_resist"))
    seeds = dict(SIM_DEFAULTS["seeds"])
    seeds.update(sim.get("seeds") or {})
    analysis = sim.get("analysis") or {}
    if not hasattr(analysis, "items"):
        raise _fail("simConfig['analysis']", f"must be a dict of plots, got "
                                             f"{type(analysis).__name__}")
    return {"duration": _number("simConfig['duration']",
                                sim.get("duration", SIM_DEFAULTS["duration"])),
            "dt": _number("simConfig['dt']", sim.get("dt", SIM_DEFAULTS["dt"])),
            "seeds": seeds, "hparams": hparams, "analysis": dict(analysis),
            "recordCells": list(sim.get("recordCells") or []),
            "recordTraces": dict(sim.get("recordTraces") or {}),
            "recordStep": sim.get("recordStep", SIM_DEFAULTS["recordStep"])}


def _figures(analysis):
    """lifnet's figures [(name, keywords)] for the plots of simConfig's analysis."""
    figures, other = [], []
    for plot, options in analysis.items():
        where = f"simConfig['analysis'][{plot!r}]"
        if options is False or options is None:
            continue
        if plot not in FIGURES:
            other.append(plot)
            continue
        options = {} if options is True else options
        if not hasattr(options, "items"):
            raise _fail(where, f"{options!r}: expected True or a dict of options")
        honoured = FIGURE_OPTIONS.get(plot, {})
        kwargs = {honoured[k]: v for k, v in options.items() if honoured.get(k)}
        if kwargs.get("order_by") in ("gid", "pop"):   # (NetPyNE's default order: lifnet's)
            del kwargs["order_by"]
        if "order_by" in kwargs and kwargs["order_by"] not in COORDINATES:
            raise _fail(f"{where}['orderBy']", f"{kwargs['order_by']!r} is not supported; "
                                               f"supported: gid, {', '.join(COORDINATES)}")
        # (lifnet's raster draws depth downwards: NetPyNE's orderInverse.)
        unknown = sorted(k for k in options if k not in honoured and k not in SAVING
                         and not (k == "orderInverse" and options[k] is True))
        if unknown:
            warnings.warn(f"netpyne: {where}: lifnet's {FIGURES[plot]} figure does not take "
                          f"{', '.join(unknown)}; it draws its own way (lifnet.plotting)",
                          stacklevel=4)
        figures.append((FIGURES[plot], kwargs))
    if other:
        warnings.warn(f"netpyne: simConfig['analysis']: lifnet has no figure like "
                      f"{', '.join(other)}; it draws {', '.join(FIGURES)}", stacklevel=4)
    return figures


def figures(simConfig):
    """The figures of ``lifnet.plotting`` that simConfig's ``analysis`` asks for.

    Parameters
    ----------
    simConfig : dict or netpyne.specs.SimConfig
        NetPyNE's simulation configuration.

    Returns
    -------
    list of (str, dict)
        Names of lifnet's figures (``"raster"``, ``"traces"``, ``"rates"``,
        ``"positions"``, ``"connectivity"``) with their keywords, as
        ``lifnet run`` draws them; plots lifnet has no equivalent of are
        named in a warning.
    """
    return _figures(_sim_config(simConfig or {})["analysis"])


def _cell(label, rule, hparams, threshold):
    """The population class and its keywords for a cellParams rule: NeuronHHPop for one
    section with hh and/or pas, IzhikevichPop for one section with an Izhi2007b."""
    where = f"cellParams[{label!r}]"
    _only(where, rule, ("secs", "conds", "globals"))
    secs = rule.get("secs") or {}
    if len(secs) != 1:
        raise _fail(f"{where}['secs']", f"has {len(secs)} sections ({', '.join(secs)}); "
                                        "lifnet's cells are single compartments (one section)")
    (name, sec), = secs.items()
    where = f"{where}['secs'][{name!r}]"
    if sec.get("pointps"):
        return IzhikevichPop, _izhikevich(where, sec, threshold)
    _only(where, sec, ("geom", "mechs", "vinit", "threshold", "topol", "ions", "pointps"))
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
    return NeuronHHPop, kwargs


def _izhikevich(where, sec, threshold):
    """IzhikevichPop keywords of a section holding NetPyNE's Izhi2007b point process.

    The section's membrane (cm × area, nF) is the cell's capacitance; the point process
    adds the current (k (v - vr)(v - vt) - u) / (1000 C) nA, so k, b, u and d are
    divided by 1000 C to be lifnet's nA and µS. v starts at vr and u at 0 (as NEURON 9
    runs the mechanism: b (vr - vr)). A spike is the NetCon's: the upward crossing of the
    section's threshold (default: netParams' defaultThreshold)."""
    _only(where, sec, ("geom", "pointps", "mechs", "topol", "threshold"))
    if sec.get("mechs"):
        raise _fail(f"{where}['mechs']", f"{', '.join(sec['mechs'])}: a section with an "
                                         "Izhi2007b takes no other mechanism here")
    if sec.get("topol"):
        raise _fail(f"{where}['topol']", "a single section has no parent to connect to")
    if len(sec["pointps"]) != 1:
        raise _fail(f"{where}['pointps']", f"{', '.join(sec['pointps'])}: lifnet takes one "
                                           "point process, an Izhi2007b")
    (label, spec), = sec["pointps"].items()
    pwhere = f"{where}['pointps'][{label!r}]"
    if spec.get("mod") != "Izhi2007b":
        raise _fail(f"{pwhere}['mod']", f"{spec.get('mod')!r} is not supported; supported: "
                                        "Izhi2007b")
    _only(pwhere, spec, ("mod", "loc", *IZHI_PARAMS))
    p = {k: _number(f"{pwhere}[{k!r}]", spec.get(k, v)) for k, v in IZHI_PARAMS.items()}
    if p["celltype"] not in IZHI_CELLTYPES:
        raise _fail(f"{pwhere}['celltype']", f"{spec['celltype']!r} is not supported; "
                    f"supported: " + ", ".join(f"{k} ({v})" for k, v in IZHI_CELLTYPES.items())
                    + " (4-7 change the model's equations)")
    if p["C"] <= 0:
        raise _fail(f"{pwhere}['C']", f"{p['C']} must be positive")
    geom = sec.get("geom") or {}
    _only(f"{where}['geom']", geom, ("diam", "L", "cm", "Ra", "nseg"))
    if geom.get("nseg", 1) != 1:
        raise _fail(f"{where}['geom']['nseg']", f"{geom['nseg']!r}: a single compartment "
                                                "needs nseg 1")
    diam, length, cm = (val.positive(f"netpyne: {where}['geom'][{k!r}]", _number(
        f"{where}['geom'][{k!r}]", geom.get(k, v))) for k, v in SECTION_DEFAULTS.items())
    spike = _number(f"{where}['threshold']", sec.get("threshold", threshold))
    if not p["c"] < spike <= p["vpeak"]:
        raise _fail(f"{where}['threshold']", f"{spike}: lifnet counts an Izhi2007b cell's "
                    f"spikes at a threshold above c ({p['c']}) and at most vpeak "
                    f"({p['vpeak']})")
    scale = 1.0 / (1000.0 * p["C"])
    return {"C": cm * math.pi * diam * length * 1e-5, "k": p["k"] * scale, "v_r": p["vr"],
            "v_t": p["vt"], "v_peak": p["vpeak"], "a": p["a"], "b": p["b"] * scale,
            "c": p["c"], "d": p["d"] * scale, "V_spike": spike}


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
        ``duration`` (ms), ``dt`` (ms), ``seeds``, ``hParams``, ``recordCells``,
        ``recordTraces``, ``recordStep`` (ms), ``analysis``; NetPyNE's defaults
        (1000 ms, 0.025 ms, seeds 1, 6.3 °C, v_init -65 mV, 0.1 ms) where absent.

    Returns
    -------
    Network
        The network, to run for ``simConfig["duration"]`` (``run`` does both),
        with a monitor of V per population that has cells to record.
    """
    return build(netParams, simConfig)[0]


def _build(netParams, sim):
    dt, seeds = sim["dt"], sim["seeds"]
    if isinstance(netParams, dict):
        _only("netParams", netParams, NET_KEYS + tuple(
            k for k, v in netParams.items() if isinstance(v, (int, float))))
        constants = {k: float(v) for k, v in netParams.items()
                     if isinstance(v, (int, float)) and not isinstance(v, bool)}
    else:
        constants = {k: float(v) for k, v in vars(netParams).items()
                     if isinstance(v, (int, float)) and not isinstance(v, bool)}
    if _section(netParams, "shape") not in (None, "cuboid"):
        raise _fail("netParams['shape']", f"{_section(netParams, 'shape')!r} is not "
                                          "supported; supported: cuboid")
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
                                         owner="netpyne"), name=label, until=sim["duration"],
                               seed=seed, **kwargs))
            pops[label] = {"pop": label, "cellType": "NetStim"}
            continue
        _only(where, pop, ("cellType", "numCells", "density", "cellModel", *RANGES))
        if pop.get("cellModel") not in (None, "HH", "NEURON", "Izhi2007b"):
            raise _fail(f"{where}['cellModel']", f"{pop['cellModel']!r} is not supported; "
                                                 "supported: NetStim, or HH, NEURON, "
                                                 "Izhi2007b beside a cellType")
        rule_name, rule = _cell_rule(label, pop, cell_rules)
        kind, cell = _cell(rule_name, rule, sim["hparams"], net_defaults["defaultThreshold"])
        ranges = {RANGES[k]: tuple(_number(f"{where}[{k!r}]", x) for x in pop[k])
                  for k in RANGES if k in pop}
        net.add(kind(_cell_count(pop, size, where=where), name=label, **cell),
                positions=Box(size=size, **ranges))
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
                            "divergence", "connList", "weight", "delay", "synMech", "sec",
                            "loc", "synsPerConn"))
        _check_location(where, rule)
        rules = [k for k in ("probability", "convergence", "divergence", "connList")
                 if k in rule]
        if len(rules) > 1:
            raise _fail(where, f"give one of probability, convergence, divergence, connList "
                               f"(or none: all to all); got {', '.join(rules)}")
        pres, pre_select = _select(f"{where}['preConds']", rule.get("preConds") or {}, pops)
        posts, post_select = _select(f"{where}['postConds']", rule.get("postConds") or {},
                                     pops)
        for post in posts:
            if pops[post]["cellType"] == "NetStim":
                raise _fail(f"{where}['postConds']", f"{post!r} is a NetStim population, "
                                                     "which receives no connections")
        if rules == ["connList"]:
            _conn_list(net, where, rule, (pres, pre_select), (posts, post_select),
                       synapse(where, rule), net_defaults)
            continue
        weight = _expression(f"{where}['weight']", rule.get(
            "weight", net_defaults["defaultWeight"]), constants)
        if net_defaults["scaleConnWeight"] != 1.0:
            weight = (weight * net_defaults["scaleConnWeight"] if not isinstance(weight, str)
                      else f"({weight}) * {net_defaults['scaleConnWeight']!r}")
        delay = _at_least_dt(f"{where}['delay']", _expression(
            f"{where}['delay']", rule.get("delay", net_defaults["defaultDelay"]), constants),
            dt)
        if not rules:
            kwargs = {"rule": "probability", "p": 1.0}     # NetPyNE's full connectivity
        elif rules[0] == "probability":
            kwargs = {"rule": "probability",
                      "p": _expression(f"{where}['probability']", rule["probability"],
                                       constants)}
        else:
            kwargs = {"rule": rules[0], "indegree": int(_number(f"{where}[{rules[0]!r}]",
                                                                rule[rules[0]]))}
        for pre in pres:
            for post in posts:
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
                stim = net.add(NetStimPop(n, name=f"{label}->{post}", until=sim["duration"],
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
    _record(net, sim, pops)
    return net


def _cell_count(pop, size, *, where):
    """numCells, or NetPyNE's count from density: int(density × volume), the volume (mm³)
    being the box's narrowed along each axis by the population's range (absolute ranges
    taken over normalised ones, as NetPyNE does)."""
    if "numCells" in pop and "density" in pop:
        raise _fail(where, "give numCells or density (cells/mm³), not both")
    if "numCells" in pop:
        return val.count(f"{where}['numCells']", pop["numCells"], owner="netpyne")
    if "density" not in pop:
        raise _fail(where, "give numCells or density (cells/mm³)")
    density = val.non_negative(f"netpyne: {where}['density']",
                               _number(f"{where}['density']", pop["density"]))
    volume = size[0] * size[1] * size[2] / 1e9
    for axis, length in zip("xyz", size, strict=True):
        for key, scale in ((f"{axis}Range", length), (f"{axis}normRange", 1.0)):
            if key in pop:
                low, high = (_number(f"{where}[{key!r}]", x) for x in pop[key])
                volume *= (high - low) / scale
                break
    n = int(density * volume)
    if n < 1:
        raise _fail(f"{where}['density']", f"{density} cells/mm³ in {volume:.4g} mm³ "
                                           "makes no cell")
    return n


def _chosen_cells(net, where, labels, ranges):
    """(population, local index) of the cells that conditions select, in NetPyNE's order
    (populations as popParams lists them, then index)."""
    cells = []
    for label in labels:
        pop = net.population(label)
        keep = np.ones(pop.n, dtype=bool)
        for key, (low, high) in (ranges or {}).items():
            if getattr(pop, "positions", None) is None:
                raise _fail(where, f"{label!r} has no positions for {key!r}")
            coords = pop.norm_positions if key.endswith("norm") else pop.positions
            values = coords[:, "xyz".index(key[0])]
            keep &= (values >= low) & (values <= high)
        cells += [(label, i) for i in np.flatnonzero(keep)]
    return cells


def _per_pair(where, value, count):
    """A weight or delay of connList: one number, or a list of one per pair."""
    if isinstance(value, (list, tuple, np.ndarray)):
        if len(value) not in (1, count):
            raise _fail(where, f"has {len(value)} values for {count} pairs of connList; give "
                               "one number or one per pair")
        values = np.array([_number(f"{where}[{k}]", v) for k, v in enumerate(value)])
        return values if len(values) == count else np.full(count, values[0])
    return np.full(count, _number(where, value))


def _conn_list(net, where, rule, pre, post, receptor, defaults):
    """NetPyNE's connList: explicit pairs (pre index, post index) among the cells the
    conditions select; weights and delays one number or one per pair; a pair of a cell
    with itself is left out, as NetPyNE does."""
    pre_cells = _chosen_cells(net, f"{where}['preConds']", *pre)
    post_cells = _chosen_cells(net, f"{where}['postConds']", *post)
    pairs = rule["connList"]
    if not isinstance(pairs, (list, tuple, np.ndarray)) or not all(
            isinstance(p, (list, tuple, np.ndarray)) and len(p) == 2 for p in pairs):
        raise _fail(f"{where}['connList']", "must be a list of pairs [pre index, post index]")
    for k, (i, j) in enumerate(pairs):
        for index, cells, side in ((i, pre_cells, "pre"), (j, post_cells, "post")):
            if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not (
                    0 <= index < len(cells)):
                raise _fail(f"{where}['connList'][{k}]", f"{side} index {index!r} is not a "
                            f"cell of {side}Conds (0 to {len(cells) - 1})")
    if len({(int(i), int(j)) for i, j in pairs}) != len(pairs):
        raise _fail(f"{where}['connList']", "lists a pair twice; lifnet connects a pair once")
    weights = _per_pair(f"{where}['weight']", rule.get("weight", defaults["defaultWeight"]),
                        len(pairs)) * defaults["scaleConnWeight"]
    delays = _per_pair(f"{where}['delay']", rule.get("delay", defaults["defaultDelay"]),
                       len(pairs))
    if len(pairs) and delays.min() < net.dt:
        raise _fail(f"{where}['delay']", f"{delays.min()} ms is shorter than dt = {net.dt} ms")
    groups = {}
    for k, (i, j) in enumerate(pairs):
        (a, ia), (b, jb) = pre_cells[i], post_cells[j]
        if (a, ia) != (b, jb):
            groups.setdefault((a, b), []).append((ia, jb, k))
    for (a, b), members in groups.items():
        rows, cols, index = (np.array(x) for x in zip(*members, strict=True))
        shape = (net.population(a).n, net.population(b).n)
        weight = sp.csr_matrix((weights[index], (rows, cols)), shape=shape)
        delay = delays[index]
        delay = (float(delay[0]) if np.all(delay == delay[0])
                 else sp.csr_matrix((delay, (rows, cols)), shape=shape))
        try:
            net.connect(a, b, rule="array", weight=weight, delay=delay, receptor=receptor)
        except val.ParameterError as err:
            raise _fail(where, str(err)) from None


def _record(net, sim, pops):
    """Monitors of v (as "V") in the cells of recordCells and of plotTraces' include, every
    recordStep ms, when recordTraces asks for v (NetPyNE records nothing otherwise)."""
    traces = sim["recordTraces"]
    for label, spec in traces.items():
        where = f"simConfig['recordTraces'][{label!r}]"
        if not hasattr(spec, "items"):
            raise _fail(where, f"{spec!r}: expected a dict such as {{'sec': 'soma', 'loc': "
                               "0.5, 'var': 'v'}")
        _only(where, spec, ("sec", "loc", "var"))
        if spec.get("var") != "v":
            raise _fail(f"{where}['var']", f"{spec.get('var')!r} is not supported; "
                                           "supported: v (the membrane potential)")
    plot = sim["analysis"].get("plotTraces")
    include = sim["recordCells"] + list(plot.get("include") or [] if isinstance(
        plot, dict) else [])
    if not traces or not include:
        return
    cells = [p for p in pops if pops[p]["cellType"] != "NetStim"]
    first = {}
    gid = 0
    for label in pops:
        first[label] = gid
        gid += net.population(label).n
    chosen = {}
    for item in include:
        where = f"simConfig['recordCells'] / plotTraces' include: {item!r}"
        if item in ("all", "allCells"):
            for label in cells:
                chosen.setdefault(label, set()).update(range(net.population(label).n))
            continue
        if isinstance(item, (int, np.integer)) and not isinstance(item, bool):
            label = next((p for p in reversed(pops) if first[p] <= item), None)
            if label is None or item >= gid:
                raise _fail(where, f"gid {item} is not a cell (gids 0 to {gid - 1})")
            label, indices = label, [item - first[label]]
        elif isinstance(item, str):
            label, indices = item, None
        elif isinstance(item, (list, tuple)) and len(item) == 2:
            label, indices = item[0], item[1] if isinstance(item[1], (list, tuple)) else [
                item[1]]
        else:
            raise _fail(where, "expected 'all', a population, a gid or (population, index "
                               "or indices)")
        if label not in pops:
            raise _fail(where, f"{label!r} is not a population ({', '.join(pops)})")
        if label not in cells:
            raise _fail(where, f"{label!r} is a NetStim population: it has no v")
        n = net.population(label).n
        indices = range(n) if indices is None else indices
        if any(not 0 <= i < n for i in indices):
            raise _fail(where, f"{label!r} has cells 0 to {n - 1}")
        chosen.setdefault(label, set()).update(int(i) for i in indices)
    for label, indices in chosen.items():
        try:
            net.monitor(label, "V", neurons=sorted(indices), interval=sim["recordStep"])
        except val.ParameterError as err:
            raise _fail(f"simConfig['recordStep'] = {sim['recordStep']!r}", str(err)) from None


def build(netParams, simConfig=None):
    """The network, its duration and figures: what ``lifnet run`` needs of a NetPyNE model.

    Parameters
    ----------
    netParams, simConfig
        As for ``load``.

    Returns
    -------
    network : Network
        As ``load`` builds it.
    duration : float
        ``simConfig["duration"]``, ms (NetPyNE's default 1000 ms).
    figures : list of (str, dict)
        As ``figures`` gives them.
    """
    sim = _sim_config(simConfig or {})
    return _build(netParams, sim), sim["duration"], _figures(sim["analysis"])


def run(netParams, simConfig=None):
    """Load the specifications and run them for ``simConfig["duration"]`` (NetPyNE's default
    1000 ms); the RunResult (its ``monitors`` hold the traces of ``recordTraces``)."""
    sim = _sim_config(simConfig or {})
    return _build(netParams, sim).run(sim["duration"])


class _Specs(dict):
    """A dict whose keys are also attributes, as NetPyNE's specification objects."""

    def __getattr__(self, key):
        try:
            return self[key]
        except KeyError:
            raise AttributeError(f"{type(self).__name__} (lifnet's stand-in for NetPyNE's) "
                                 f"has no {key!r}") from None

    def __setattr__(self, key, value):
        self[key] = value


class NetParams(_Specs):
    """lifnet's stand-in for ``netpyne.specs.NetParams``: a dict with NetPyNE's sections
    (``popParams``, ``cellParams``, ...) as empty dicts and its defaults (``sizeX``,
    ``defaultWeight``, ...), read and set as attributes.

    Parameters
    ----------
    netParamsDict : dict, optional
        Initial contents, as NetPyNE's constructor takes them.
    """

    def __init__(self, netParamsDict=None):
        super().__init__({key: {} for key in SECTIONS}, sizeX=100.0, sizeY=100.0,
                         sizeZ=100.0, shape="cuboid", **DEFAULTS)
        self.update(netParamsDict or {})

    def _add(self, section, label, params):
        self[section][label] = params

    def addCellParams(self, label=None, params=None):
        """``cellParams[label] = params``."""
        self._add("cellParams", label, params)

    def addPopParams(self, label=None, params=None):
        """``popParams[label] = params``."""
        self._add("popParams", label, params)

    def addSynMechParams(self, label=None, params=None):
        """``synMechParams[label] = params``."""
        self._add("synMechParams", label, params)

    def addConnParams(self, label=None, params=None):
        """``connParams[label] = params``."""
        self._add("connParams", label, params)

    def addStimSourceParams(self, label=None, params=None):
        """``stimSourceParams[label] = params``."""
        self._add("stimSourceParams", label, params)

    def addStimTargetParams(self, label=None, params=None):
        """``stimTargetParams[label] = params``."""
        self._add("stimTargetParams", label, params)


class SimConfig(_Specs):
    """lifnet's stand-in for ``netpyne.specs.SimConfig``: a dict with NetPyNE's
    ``duration``, ``dt``, ``recordStep`` (ms) and ``seeds``, ``hParams``, ``analysis``,
    ``recordTraces``, ``recordCells`` to fill in, read and set as attributes.

    Parameters
    ----------
    simConfigDict : dict, optional
        Initial contents, as NetPyNE's constructor takes them.
    """

    def __init__(self, simConfigDict=None):
        super().__init__(duration=SIM_DEFAULTS["duration"], dt=SIM_DEFAULTS["dt"],
                         recordStep=SIM_DEFAULTS["recordStep"], analysis={}, recordTraces={},
                         recordCells=[], seeds=dict(SIM_DEFAULTS["seeds"]),
                         hParams=dict(SIM_DEFAULTS["hParams"]))
        self.update(simConfigDict or {})


class _Sim(types.ModuleType):
    """lifnet's stand-in for ``netpyne.sim``: its create / simulate / analyze calls keep
    the specifications they are given, for lifnet to build and run after the file."""

    CALLS = ("createSimulateAnalyze", "createSimulate", "create", "simulate", "analyze",
             "initialize")

    def __init__(self, kept):
        super().__init__("netpyne.sim")
        self._kept = kept

    def __getattr__(self, name):
        if name not in self.CALLS:
            raise AttributeError(f"netpyne.sim.{name}: lifnet's stand-in for NetPyNE has only "
                                 f"{', '.join(self.CALLS)} (they keep the specifications; "
                                 "lifnet builds and runs the network after the file)")

        def keep(netParams=None, simConfig=None, *args, **kwargs):
            if netParams is not None:
                self._kept["netParams"] = netParams
            if simConfig is not None:
                self._kept["simConfig"] = simConfig

        return keep


def read(path):
    """The ``netParams`` and ``simConfig`` of a NetPyNE model file (Python).

    The file is executed as Python code (only run files you trust), with
    ``netpyne.specs`` and ``netpyne.sim`` replaced, for the time it runs, by
    lifnet's stand-ins: ``specs.NetParams`` and ``specs.SimConfig`` are dicts
    with attributes, and ``sim.createSimulateAnalyze(netParams, simConfig)``
    (or ``create``, ``simulate``, ...) keeps the specifications it is given.
    Neither netpyne nor neuron is imported. The file's folder is on
    ``sys.path`` while it runs, for its imports of files beside it.

    Parameters
    ----------
    path : str or path-like
        A ``.py`` file that defines ``netParams`` and ``simConfig``, or passes
        them to ``sim.createSimulateAnalyze``, as NetPyNE's tutorials do.

    Returns
    -------
    netParams, simConfig
        The specifications, for ``load``, ``build`` or ``run``.
    """
    path = os.fspath(path)
    if not path.endswith(".py"):
        raise _fail(path, "a NetPyNE model file is Python (.py)")
    if not os.path.isfile(path):
        raise _fail(path, "no such file")
    kept = {}
    package = types.ModuleType("netpyne")
    package.__path__ = []
    package.specs = types.ModuleType("netpyne.specs")
    package.specs.NetParams, package.specs.SimConfig = NetParams, SimConfig
    package.sim = _Sim(kept)
    stand_ins = {"netpyne": package, "netpyne.specs": package.specs,
                 "netpyne.sim": package.sim}
    saved = {name: sys.modules.get(name) for name in stand_ins}
    sys.modules.update(stand_ins)
    folder = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, folder)
    try:
        namespace = runpy.run_path(path, run_name="__main__")
    except ImportError as err:
        raise _fail(path, f"{err} (lifnet stands in for netpyne.specs and netpyne.sim only)"
                    ) from err
    except Exception as err:
        raise _fail(path, f"executing it failed: {type(err).__name__}: {err}") from err
    finally:
        sys.path.remove(folder)
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
    specs = {}
    for key in ("netParams", "simConfig"):
        specs[key] = kept.get(key, namespace.get(key))
        if specs[key] is None:
            raise _fail(path, f"defines no {key} (nor passes one to sim.createSimulateAnalyze)")
    return specs["netParams"], specs["simConfig"]
