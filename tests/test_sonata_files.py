"""Spike files and reports lifnet writes, checked against the SONATA developer guide
(datasets, dtypes, attributes) and read back by libsonata, the reference reader."""

import h5py
import numpy as np
import pytest

import lifnet as ln
from lifnet.io import write_report, write_spikes

libsonata = pytest.importorskip("libsonata")


@pytest.fixture
def recorded():
    """Three small runs, one per kind of recorded variable: a conductance LIF population
    (V), a Wang-Buzsaki population (a gate and a conductance) and an exponential-current
    LIF population (a current). Each network alone is of a kind other tests compile too;
    together they would make a kernel of their own (a minute to compile)."""
    trains, monitors = {}, {}

    def run(net, pop, variables, **options):
        monitors[pop.name] = net.monitor(pop, variables, **options)
        trains[pop.name] = net.run(60.0).spikes(pop.name)

    net = ln.Network(dt=0.1, seed=3)
    E = net.add(ln.PyrPop(12, name="E"))
    net.stimulate(E, ln.CurrentClamp(amplitude=np.linspace(0.55, 0.8, 12)))
    run(net, E, "V", neurons=[1, 4, 7])
    net = ln.Network(dt=0.1, seed=3)
    W = net.add(ln.WBPop(4, name="W"))
    net.stimulate(W, ln.CurrentClamp(amplitude=0.002))
    net.stimulate(W, ln.PoissonDrive(rate=800.0, weight=0.001, receptor=ln.AMPA()))
    run(net, W, ["V", "h", "g_AMPA"], interval=0.5)
    net = ln.Network(dt=0.1, seed=3)
    C = net.add(ln.CurrentBasedLIFPop(3, name="C"))
    net.stimulate(C, ln.PoissonDrive(
        rate=800.0, weight=0.5, receptor=ln.ExponentialCurrentSynapse(tau=2.0, name="ex")))
    run(net, C, "g_ex", interval=0.2)
    return trains, monitors


def _check_root(f):
    assert f.attrs["magic"] == 0x0A7A
    assert f.attrs["magic"].dtype == np.uint32
    version = f.attrs["version"]
    assert version.dtype == np.uint32 and version.shape == (2,)


def _check_spike_file(trains, path):
    assert len(trains["E"]) > 10
    write_spikes(path, trains)
    with h5py.File(path, "r") as f:
        _check_root(f)
        for name in trains:
            g = f[f"spikes/{name}"]
            enum = h5py.check_enum_dtype(g.attrs.get_id("sorting").dtype)
            assert enum == {"none": 0, "by_id": 1, "by_time": 2}
            assert g["timestamps"].dtype == np.float64
            assert g["timestamps"].attrs["units"] == "ms"
            assert g["node_ids"].dtype == np.uint64
    reader = libsonata.SpikeReader(str(path))
    assert sorted(reader.get_population_names()) == sorted(trains)
    for name, tr in trains.items():
        pop = reader[name]
        assert pop.sorting == "by_time"
        node_ids, times = pop.get_dict()["node_ids"], pop.get_dict()["timestamps"]
        np.testing.assert_array_equal(times, tr.times)
        np.testing.assert_array_equal(node_ids, tr.ids)


def test_spike_files_and_reports_follow_the_guide_and_libsonata_reads_them(recorded,
                                                                           tmp_path):
    """One test for every file: the runs behind them compile once, on one worker."""
    trains, monitors = recorded
    _check_spike_file(trains, tmp_path / "spikes.h5")
    for k, (population, variable, unit) in enumerate([
            ("E", "V", "mV"), ("W", "V", "mV"), ("W", "h", "1"), ("W", "g_AMPA", "uS"),
            ("C", "g_ex", "nA")]):
        _check_report(monitors[population], population, variable, unit,
                      tmp_path / f"report{k}.h5")
    with pytest.raises(ln.ParameterError, match="variable='n' is not recorded"):
        write_report(tmp_path / "r.h5", monitors["W"], "n")


def _check_report(mon, population, variable, unit, path):
    write_report(path, mon, variable)
    n = mon.neurons.size
    with h5py.File(path, "r") as f:
        _check_root(f)
        g = f[f"report/{population}"]
        assert g["data"].dtype == np.float32 and g["data"].shape == (mon.t.size, n)
        assert g["data"].attrs["units"] == unit
        m = g["mapping"]
        assert m["node_ids"].dtype == np.uint64
        assert m["index_pointers"].dtype == np.uint64
        np.testing.assert_array_equal(m["index_pointers"][()], np.arange(n + 1))
        assert m["element_ids"].dtype == np.uint32 and m["element_ids"].shape == (n,)
        assert m["element_pos"].shape == (n,)
        assert m["time"].dtype == np.float64 and m["time"].attrs["units"] == "ms"
        np.testing.assert_allclose(m["time"][()], [0.0, 60.0, mon.period])
    pop = libsonata.ElementReportReader(str(path))[population]
    assert pop.data_units == unit and pop.time_units == "ms"
    assert pop.get_node_ids() == sorted(mon.neurons.tolist())
    frame = pop.get()
    np.testing.assert_allclose(np.asarray(frame.times), mon.t, atol=1e-9)
    np.testing.assert_array_equal(np.asarray(frame.data), mon[variable].T.astype(np.float32))
