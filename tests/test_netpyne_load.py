"""ln.netpyne.load: NetPyNE's specifications, as NetPyNE users write them, as a lifnet Network."""

import copy
import sys
import types

import numpy as np
import pytest
from netpyne_tut2 import TUT2

import lifnet as ln

# NetPyNE 1.1.1 on NEURON 9.0.2, tutorial 2, 1000 ms, seeds 1 to 5, mean rate (Hz), made by
#   benchmarks/.peer-env/bin/python benchmarks/peers/netpyne_tut_rates.py --tutorial 2 \
#       --seeds 1 2 3 4 5
NETPYNE_TUT2_RATES = {"S": 10.1, "M": 37.88}


@pytest.mark.xdist_group("tutorial_2_kernel")   # one worker compiles it, for both tests
def test_tutorial_2_as_netpyne_ships_it_fires_at_netpynes_rates():
    rates = {"S": [], "M": []}
    for seed in (1, 2):
        result = ln.netpyne.run(TUT2, {"duration": 1000.0, "dt": 0.025,
                                       "seeds": {"conn": seed, "stim": seed}})
        for label in rates:
            rates[label].append(len(result.spikes(label)) / 20 / 1.0)
    for label, netpyne in NETPYNE_TUT2_RATES.items():
        assert np.mean(rates[label]) == pytest.approx(netpyne, rel=0.1), (label, rates)


def test_the_loaded_network_has_the_tutorials_cells_synapses_and_stimuli():
    net = ln.netpyne.load(TUT2, {"dt": 0.025})
    S = net.population("S")
    assert isinstance(S, ln.NeuronHHPop) and S.n == 20
    assert S.diam == 18.8 and S.gl == 0.003 and S.el == -70.0 and S.celsius == 6.3
    assert S.V_spike == 10.0
    stims = [p for p in net.populations.values() if isinstance(p, ln.NetStimPop)]
    assert sorted(p.name for p in stims) == ["bkg->PYR->M", "bkg->PYR->S"]
    assert all(p.interval == 100.0 and p.noise == 0.5 and p.start == 0.0 for p in stims)
    receptors = {type(proj.receptor) for proj in net.projections}
    assert receptors == {ln.Exp2Syn}


def test_a_netpyne_specs_object_is_read_like_a_dict():
    spec = types.SimpleNamespace(**copy.deepcopy(TUT2))
    net = ln.netpyne.load(spec, types.SimpleNamespace(duration=50.0, dt=0.025))
    assert net.population("M").n == 20


def with_change(path, value):
    spec = copy.deepcopy(TUT2)
    part = spec
    for key in path[:-1]:
        part = part[key]
    if value is None:
        del part[path[-1]]
    else:
        part[path[-1]] = value
    return spec


SOMA = ("cellParams", "PYRrule", "secs", "soma")


@pytest.mark.parametrize("spec, sim, message", [
    (with_change(("cellParams", "PYRrule", "secs", "dend"), {"geom": {}}), {},
     "cellParams\\['PYRrule'\\]\\['secs'\\]: has 2 sections \\(soma, dend\\); lifnet's cells "
     "are single compartments"),
    (with_change((*SOMA, "mechs", "kdr"), {}), {},
     "\\['mechs'\\]: 'kdr' is not supported here; supported: hh, pas"),
    (with_change((*SOMA, "geom", "nseg"), 3), {}, "nseg.*a single compartment needs nseg 1"),
    (with_change((*SOMA, "geom", "diam"), "19 + uniform(-0.5, 0.5)"), {},
     "cellParams\\['PYRrule'\\]\\['secs'\\]\\['soma'\\]\\['geom'\\]\\['diam'\\]: "
     "'19 \\+ uniform\\(-0.5, 0.5\\)' is a function of the cells"),
    (with_change(("connParams", "S->M", "weight"), "0.01 * pre_gid"), {},
     "connParams\\['S->M'\\]: connect \\(weight\\): the name 'pre_gid' is not allowed"),
    (with_change(("stimSourceParams", "bkg", "rate"), "10 * uniform(0, 1)"), {},
     "stimSourceParams\\['bkg'\\]\\['rate'\\]: .* is a function of the cells"),
    (with_change(("synMechParams", "exc", "mod"), "AMPA"), {},
     "synMechParams\\['exc'\\]\\['mod'\\]: 'AMPA' is not supported; supported: ExpSyn, Exp2Syn"),
    (with_change(("connParams", "S->M", "divergence"), 3), {},
     "give one of probability, convergence, divergence, connList .*got probability, "
     "divergence"),
    (with_change(("popParams", "S", "density"), 1e5), {},
     "popParams\\['S'\\]: give numCells or density \\(cells/mm³\\), not both"),
    (with_change(("connParams", "S->M", "connList"), [[0, 20]]), {},
     "connParams\\['S->M'\\]: give one of"),
    (TUT2, {"recordCells": ["S"], "recordTraces": {"m": {"sec": "soma", "var": "m",
                                                         "mech": "hh"}}},
     "recordTraces'\\]\\['m'\\]: 'mech' is not supported here; supported: sec, loc, var"),
    (TUT2, {"recordCells": [("X", 0)], "recordTraces": {"V": {"sec": "soma", "var": "v"}}},
     "recordCells.*'X' is not a population \\(S, M\\)"),
    (TUT2, {"analysis": {"plotRaster": {"orderBy": "gid2"}}},
     "plotRaster'\\]\\['orderBy'\\]: 'gid2' is not supported"),
    (with_change(("stimSourceParams", "bkg", "type"), "VClamp"), {},
     "'VClamp' is not supported; supported: NetStim, IClamp"),
    (TUT2, {"cvode_active": True}, "cvode_active.*True is not supported"),
    (TUT2, {"duration": 100.0, "recordLFP2": True}, "simConfig\\['recordLFP2'\\]"),
])
def test_what_lifnet_cannot_honour_is_refused_naming_the_key(spec, sim, message):
    with pytest.raises(ln.ParameterError, match=message):
        ln.netpyne.load(spec, sim)


def test_iclamp_and_pas_are_taken_as_neuron_defines_them():
    spec = {
        "popParams": {"P": {"cellType": "C", "numCells": 2}},
        "cellParams": {"C": {"secs": {"soma": {"geom": {"diam": 10.0, "L": 10.0},
                                               "mechs": {"pas": {"g": 0.0005}}}}}},
        "stimSourceParams": {"clamp": {"type": "IClamp", "del": 5.0, "dur": 10.0,
                                       "amp": 0.01}},
        "stimTargetParams": {"clamp->P": {"source": "clamp", "conds": {"pop": "P"},
                                          "sec": "soma", "loc": 0.5}},
    }
    net = ln.netpyne.load(spec, {"dt": 0.025, "hParams": {"v_init": -70.0}})
    P = net.population("P")
    assert P.g_pas > 0 and P.e_pas == -70.0 and P.gnabar == 0.0
    (pop, clamp), = net.stimuli
    assert (clamp.start, clamp.stop, clamp.amplitude) == (5.0, 15.0, 0.01)


def test_string_functions_and_positions_are_netpynes():
    """NetStim delays drawn per target cell (NEURON's normal takes a variance), a weight
    growing with the target's depth, and populations placed in their slabs of the box."""
    spec = copy.deepcopy(TUT2)
    spec.update(sizeY=1000.0, propVelocity=100.0)
    spec["popParams"]["M"]["ynormRange"] = [0.6, 1.0]
    spec["stimTargetParams"]["bkg->PYR"]["delay"] = "max(1, normal(5, 4))"
    spec["connParams"]["S->M"].update(weight="0.01 * post_ynorm", delay="dist_3D/propVelocity")
    spec["popParams"]["S"]["numCells"] = spec["popParams"]["M"]["numCells"] = 400
    with pytest.warns(UserWarning, match="delays below dt = 0.025 ms are raised to dt"):
        net = ln.netpyne.load(spec, {"dt": 0.025})
    M = net.population("M")
    assert M.positions[:, 1].min() >= 600.0 and M.positions[:, 1].max() <= 1000.0
    stim_delays = np.concatenate([np.asarray(p.delay) for p in net.projections
                                  if isinstance(p.pre, ln.NetStimPop)])
    assert stim_delays.size == 800 and stim_delays.min() >= 1.0
    assert stim_delays.mean() == pytest.approx(5.0, abs=0.25)
    assert stim_delays.std() == pytest.approx(2.0, abs=0.2)
    (link,) = [p for p in net.projections if p.pre.name == "S"]
    assert np.asarray(link.delay).min() >= 0.025
    assert 0.0059 <= link.synapses.weights.min() and link.synapses.weights.max() <= 0.01


def test_density_gives_netpynes_count():
    """int(density x volume): the box of 100 x 1000 x 100 um (0.01 mm3) narrowed by a
    range of y (absolute: 200 of 1000 um) and one of znorm (0.5)."""
    spec = copy.deepcopy(TUT2)
    spec.update(sizeY=1000.0)
    del spec["popParams"]["S"]["numCells"], spec["popParams"]["M"]["numCells"]
    spec["popParams"]["S"].update(density=12345.0, yRange=[100, 300], znormRange=[0.5, 1.0])
    spec["popParams"]["M"].update(density=7777.0)
    net = ln.netpyne.load(spec, {"dt": 0.025})
    assert net.population("S").n == int(12345.0 * 0.01 * 0.2 * 0.5) == 12
    assert net.population("M").n == int(7777.0 * 0.01) == 77


def test_conn_list_connects_the_listed_pairs_with_their_weights_and_delays():
    """Indices count the cells the conditions select, population by population (S's 20
    cells, then M's); a pair of a cell with itself is left out, as NetPyNE does."""
    spec = copy.deepcopy(TUT2)
    spec["connParams"] = {"list": {
        "preConds": {"pop": ["S", "M"]}, "postConds": {"pop": "M"},
        "connList": [[0, 1], [3, 1], [21, 0], [22, 3], [25, 5]],
        "weight": [0.01, 0.02, 0.03, 0.04, 0.05], "delay": [1.0, 2.0, 3.0, 4.0, 5.0],
        "synMech": "exc"}}
    net = ln.netpyne.load(spec, {"dt": 0.025})
    links = {p.pre.name: p for p in net.projections if p.post.name == "M"
             and not isinstance(p.pre, ln.NetStimPop)}
    assert sorted(links) == ["M", "S"]
    S, M = links["S"], links["M"]
    assert S.n_synapses == 2 and M.n_synapses == 2       # (M 5 -> M 5 left out)
    # Weights are stored as float32: equal to the listed values to float32's precision.
    np.testing.assert_allclose(np.sort(S.synapses.weights), [0.01, 0.02], rtol=1e-7)
    np.testing.assert_allclose(np.sort(M.synapses.weights), [0.03, 0.04], rtol=1e-7)
    np.testing.assert_array_equal(np.sort(np.asarray(M.delay).ravel()), [3.0, 4.0])


def test_recorded_traces_and_figures_are_netpynes():
    """recordTraces of v in recordCells and plotTraces' include (gid 21 is M's cell 1),
    every recordStep; plotRaster's orderBy and plotSpikeHist become lifnet's figures;
    a plot lifnet does not have is named in a warning."""
    sim = {"duration": 20.0, "dt": 0.025, "recordStep": 0.5, "recordCells": [("S", [0, 2])],
           "recordTraces": {"V_soma": {"sec": "soma", "loc": 0.5, "var": "v"}},
           "analysis": {"plotRaster": {"orderBy": "y", "orderInverse": True, "saveFig": True},
                        "plotTraces": {"include": [21]}, "plotSpikeHist": True,
                        "plotRatePSD": True, "plotConn": False}}
    with pytest.warns(UserWarning, match="no figure like plotRatePSD") as warned:
        figures = ln.netpyne.figures(sim)
    assert len(warned) == 1     # (orderInverse and saveFig: lifnet's raster and run do so)
    assert figures == [("raster", {"order_by": "y"}), ("traces", {}), ("rates", {})]
    result = ln.netpyne.run(TUT2, sim)
    traces = {m.population.name: m for m in result.monitors}
    assert list(traces["S"].neurons) == [0, 2] and list(traces["M"].neurons) == [1]
    assert traces["S"]["V"].shape == (2, 40) and traces["S"].t[1] == 0.5
    assert traces["S"]["V"][0, 0] == pytest.approx(-65.0)


def test_a_model_file_runs_with_stand_ins_for_netpynes_specs(tmp_path):
    """read() executes the file with NetParams / SimConfig that hold NetPyNE's defaults and
    add* methods, and takes the specifications from the file's names; netpyne is never
    imported."""
    model = tmp_path / "model.py"
    model.write_text(
        "from netpyne import specs\n"
        "netParams = specs.NetParams()\n"
        "netParams.sizeY = 2 * netParams.sizeX\n"
        "netParams.addCellParams('C', {'secs': {'soma': {'geom': {'diam': 10.0, 'L': 10.0},"
        " 'mechs': {'hh': {}}}}})\n"
        "netParams.addPopParams('P', {'cellType': 'C', 'density': 5e4})\n"
        "simConfig = specs.SimConfig()\n"
        "simConfig.duration = 400 * simConfig.dt\n")
    netParams, simConfig = ln.netpyne.read(model)
    assert "netpyne" not in sys.modules
    net, duration, figures = ln.netpyne.build(netParams, simConfig)
    assert net.population("P").n == int(5e4 * 100 * 200 * 100 / 1e9) == 100
    assert (duration, figures, net.population("P").V_spike) == (10.0, [], 10.0)
