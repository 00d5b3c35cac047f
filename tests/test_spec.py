"""Model files: the examples run from the command line, outputs are SONATA, errors name keys."""

import json
import pathlib

import h5py
import numpy as np
import pytest

import lifnet as ln
from lifnet import spec
from lifnet.cli import main

EXAMPLES = sorted((pathlib.Path(__file__).parent.parent / "examples").glob("*.yaml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs_and_its_spike_file_round_trips(path, tmp_path):
    assert main(["run", str(path), "--out", str(tmp_path)]) == 0
    out = tmp_path / path.stem
    summary = json.loads((out / "summary.json").read_text())
    for name in summary["files"]:
        assert (out / name).stat().st_size > 0, name
    plots = [f for f in summary["files"] if f.endswith(".png")]
    assert len(plots) >= 3
    # The same file built and run here gives the same spikes, bit for bit, as the
    # SONATA file read with h5py against the format's layout.
    net, run, _, _ = spec.build(spec.load(path))
    result = net.run(run["duration"])
    with h5py.File(out / "spikes.h5", "r") as f:
        assert set(f["spikes"]) == set(net.populations)
        for name in net.populations:
            g = f["spikes"][name]
            assert g["timestamps"].attrs["units"] == "ms"
            sorting = h5py.check_enum_dtype(g.attrs.get_id("sorting").dtype)
            assert g.attrs["sorting"] == sorting["by_time"]     # the guide's HDF5 enum
            tr = result.spikes(name)
            np.testing.assert_array_equal(g["timestamps"][()], tr.times)
            np.testing.assert_array_equal(g["node_ids"][()].astype(np.int64), tr.ids)
    assert sum(len(result.spikes(p)) for p in net.populations) > 100
    for report in out.glob("report_*.h5"):
        with h5py.File(report, "r") as f:
            (pop,) = f["report"]
            data = f["report"][pop]["data"]
            start, stop, step = f["report"][pop]["mapping/time"][()]
            assert data.shape[0] == round((stop - start) / step)
            assert data.shape[1] == f["report"][pop]["mapping/node_ids"].shape[0]


def test_yaml_json_and_dict_give_the_same_network(tmp_path):
    data = spec.load(EXAMPLES[0])
    (tmp_path / "m.json").write_text(json.dumps(data))
    runs = []
    for source in (EXAMPLES[0], tmp_path / "m.json", data):
        net, _, _, _ = spec.build(spec.load(source))
        runs.append(net.run(300.0).spikes(next(iter(net.populations))).times)
    np.testing.assert_array_equal(runs[0], runs[1])
    np.testing.assert_array_equal(runs[0], runs[2])


def _minimal():
    return {"populations": {"E": {"type": "PyrPop", "n": 5}}, "run": {"duration": 10.0}}


@pytest.mark.parametrize("edit, message", [
    (lambda s: s.update(netwrk={}), r"netwrk: unknown key; allowed: network, populations"),
    (lambda s: s["populations"]["E"].update(tipe="x"), r"populations\.E\.tipe: unknown key"),
    (lambda s: s["populations"]["E"].update(type="Pyramid"),
     r"populations\.E\.type: 'Pyramid' is not one of PyrPop"),
    (lambda s: s["populations"]["E"].update(params={"C": -1.0}),
     r"populations\.E\.params: PyrPop: C=-1\.0 must be > 0"),
    (lambda s: s.update(connections=[{"pre": "E", "post": "X", "weight": 0.1}]),
     r"connections\[0\]\.post: 'X' is not a population"),
    (lambda s: s.update(connections=[{"pre": "E", "post": "E", "weight": 0.1,
                                      "rule": "probabilty"}]),
     r"connections\[0\] \(E -> E\): connect: rule='probabilty' is not one of"),
    (lambda s: s.update(stimuli=[{"population": "E", "type": "CurrentClamp", "amp": 1}]),
     r"stimuli\[0\]: CurrentClamp got an unexpected keyword argument 'amp'"),
    (lambda s: s.update(plots=["raster", "movie"]), r"plots\[1\]: 'movie' is not one of"),
    (lambda s: s["run"].pop("duration"), r"run: missing required key 'duration'"),
])
def test_errors_name_the_key_path(edit, message):
    data = _minimal()
    edit(data)
    with pytest.raises(spec.SpecError, match=message):
        spec.build(data)


def test_set_overrides_a_value(tmp_path, capsys):
    path = tmp_path / "m.yaml"
    path.write_text("populations: {E: {type: PyrPop, n: 5}}\nrun: {duration: 50.0}\n"
                    "stimuli: [{population: E, type: CurrentClamp, amplitude: 0.8}]\n")
    assert main(["run", str(path), "--out", str(tmp_path), "--set", "run.duration=20",
                 "--set", "populations.E.n=7", "--set", "stimuli.0.amplitude=0.9"]) == 0
    summary = json.loads((tmp_path / "m" / "summary.json").read_text())
    assert summary["duration_ms"] == 20.0
    with h5py.File(tmp_path / "m" / "spikes.h5") as f:
        assert f["spikes/E/node_ids"][()].max() <= 6
    assert main(["run", str(path), "--out", str(tmp_path), "--set", "run.duration"]) == 2
    assert "expected path=value" in capsys.readouterr().err


def test_a_built_network_can_be_changed_and_run_again():
    """NetPyNE tutorial 7: scale a projection's weights, change a clamp, continue."""
    net, _, _, _ = spec.build({
        "populations": {"A": {"type": "PyrPop", "n": 20}, "B": {"type": "PyrPop", "n": 20}},
        "stimuli": [{"population": "A", "type": "CurrentClamp", "amplitude": 0.6}],
        "connections": [{"pre": "A", "post": "B", "weight": 0.002, "rule": "probability",
                         "p": 0.5}],
        "run": {"duration": 200.0}})
    assert isinstance(net.projections[0], ln.Projection)
    net.run(200.0)
    before = len(net.result.spikes("B"))
    net.scale_weights(net.projections[0], 10.0)
    net.run(200.0)
    after = len(net.result.spikes("B")) - before
    assert before == 0 and after > 20
    net.set_parameter("B", "V_th", -40.0)
    net.run(200.0)
    assert len(net.result.spikes("B")) - before - after < after / 2
    with pytest.raises(ln.ParameterError, match="V_reset=-60.0 must stay below V_th=-65.0"):
        net.set_parameter("B", "V_th", -65.0)
    # Restart: from t = 0 with the changes, the same as a network built with them.
    net.restart()
    net.run(200.0)
    fresh, _, _, _ = spec.build({
        "populations": {"A": {"type": "PyrPop", "n": 20},
                        "B": {"type": "PyrPop", "n": 20, "params": {"V_th": -40.0}}},
        "stimuli": [{"population": "A", "type": "CurrentClamp", "amplitude": 0.6}],
        "connections": [{"pre": "A", "post": "B", "weight": 0.002, "rule": "probability",
                         "p": 0.5}],
        "run": {"duration": 200.0}})
    fresh.scale_weights(0, 10.0)
    fresh.run(200.0)
    for name in ("A", "B"):
        np.testing.assert_array_equal(net.result.spikes(name).times,
                                      fresh.result.spikes(name).times)
    assert len(net.result.spikes("A")) > 20 and net.t == 200.0


def test_conductance_cells_synapses_and_gap_junctions_from_a_spec():
    """NEST's gap-junction network's ingredients in a model file build the same network."""
    data = {
        "network": {"dt": 0.05, "seed": 3},
        "populations": {"HH": {"type": "HHPop", "n": 60, "params": {"V_init": -65.0}}},
        "connections": [{"pre": "HH", "post": "HH", "rule": "fixed_indegree", "indegree": 10,
                         "weight": -0.05, "delay": 1.0,
                         "receptor": {"type": "AlphaCurrentSynapse", "tau": 2.0,
                                      "name": "inh"}}],
        "gap_junctions": [{"population": "HH", "weight": 0.0005, "n_pairs": 900}],
        "stimuli": [{"population": "HH", "type": "PoissonDrive", "rate": 500.0, "weight": 0.3,
                     "receptor": {"type": "AlphaCurrentSynapse", "tau": 0.2, "name": "exc"}}],
        "run": {"duration": 100.0},
    }
    net, run, _, _ = spec.build(data)
    from_spec = net.run(run["duration"]).spikes("HH")

    py = ln.Network(dt=0.05, seed=3)
    cells = py.add(ln.HHPop(60, name="HH", V_init=-65.0))
    py.connect(cells, cells, rule="fixed_indegree", indegree=10, weight=-0.05, delay=1.0,
               receptor=ln.AlphaCurrentSynapse(tau=2.0, name="inh"))
    py.gap_junctions(cells, weight=0.0005, n_pairs=900)
    py.stimulate(cells, ln.PoissonDrive(rate=500.0, weight=0.3,
                                        receptor=ln.AlphaCurrentSynapse(tau=0.2, name="exc")))
    from_python = py.run(100.0).spikes("HH")
    assert len(from_spec) > 20
    np.testing.assert_array_equal(from_spec.times, from_python.times)

    data["gap_junctions"][0]["population"] = "nope"
    with pytest.raises(spec.SpecError, match=r"gap_junctions\[0\]\.population: 'nope'"):
        spec.build(data)
