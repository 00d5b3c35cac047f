"""Spike files and reports lifnet writes, checked against the SONATA developer guide
(datasets, dtypes, attributes) and read back by libsonata, the reference reader."""

import h5py
import numpy as np
import pytest

import lifnet as ln
from lifnet.io import write_report, write_spikes

libsonata = pytest.importorskip("libsonata")


@pytest.fixture(scope="module")
def recorded():
    """A small run with a conductance LIF population, a Wang-Buzsaki population (gates)
    and an exponential-current LIF population, each with a monitor."""
    net = ln.Network(dt=0.1, seed=3)
    E = net.add(ln.PyrPop(12, name="E"))
    W = net.add(ln.WBPop(4, name="W"))
    C = net.add(ln.CurrentBasedLIFPop(3, name="C"))
    net.stimulate(E, ln.CurrentClamp(amplitude=np.linspace(0.55, 0.8, 12)))
    net.stimulate(W, ln.CurrentClamp(amplitude=0.002))
    net.connect(E, W, weight=0.001, receptor=ln.AMPA(), rule="all_to_all")
    net.connect(E, C, weight=0.5, receptor=ln.ExponentialCurrentSynapse(tau=2.0, name="ex"),
                rule="all_to_all")
    monitors = {"E": net.monitor(E, "V", neurons=[1, 4, 7]),
                "W": net.monitor(W, ["V", "h", "g_AMPA"], interval=0.5),
                "C": net.monitor(C, "g_ex", interval=0.2)}
    result = net.run(60.0)
    return net, result, monitors


def _check_root(f):
    assert f.attrs["magic"] == 0x0A7A
    assert f.attrs["magic"].dtype == np.uint32
    version = f.attrs["version"]
    assert version.dtype == np.uint32 and version.shape == (2,)


def test_spike_file_follows_the_guide_and_libsonata_reads_it(recorded, tmp_path):
    net, result, _ = recorded
    trains = {name: result.spikes(name) for name in net.populations}
    assert len(trains["E"]) > 10
    path = tmp_path / "spikes.h5"
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


@pytest.mark.parametrize("population, variable, unit", [
    ("E", "V", "mV"), ("W", "V", "mV"), ("W", "h", "1"), ("W", "g_AMPA", "uS"),
    ("C", "g_ex", "nA")])
def test_report_follows_the_guide_and_libsonata_reads_it(recorded, tmp_path, population,
                                                         variable, unit):
    _, _, monitors = recorded
    mon = monitors[population]
    path = tmp_path / "report.h5"
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


def test_report_of_an_unrecorded_variable_is_refused(recorded, tmp_path):
    _, _, monitors = recorded
    with pytest.raises(ln.ParameterError, match="variable='n' is not recorded"):
        write_report(tmp_path / "r.h5", monitors["W"], "n")
