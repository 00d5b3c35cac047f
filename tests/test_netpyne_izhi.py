"""NetPyNE's Izhi2007b cell (Izhikevich 2007) read by ln.netpyne, against NEURON.

Reference: NetPyNE's Izhi2007b.mod on NEURON 9.0.2, the regular-spiking cell in a
section of 0.1 nF (diam = L = 10 um, cm 31.831), IClamp 0.1 nA from 20 to 480 ms,
spike times (ms) of a NetCon on v with threshold 10 mV (what NetPyNE records and
sends on) and of the point process's own events (v > vpeak, where it resets), made by

    benchmarks/.peer-env/bin/python benchmarks/peers/izhi2007b_reference.py \\
        --mod izhi2007b.mod --amp 0.1 --dt DT

with izhi2007b.mod from NetPyNE's repository (doc/source/code/mod/izhi2007b.mod at
v1.1.0) and DT = 0.025 (NetPyNE's default step) and 0.00025 ms.
"""

import numpy as np
import pytest

import lifnet as ln

NEURON_DT_0_025 = [67.475, 140.9, 216.975, 292.975, 368.975, 445.0]
NEURON_DT_0_00025 = [67.4905, 140.95225, 217.07325, 293.1025, 369.13525, 445.16725]
NEURON_VPEAK_DT_0_00025 = [68.17875, 141.6415, 217.7625, 293.7915, 369.82425, 445.85625]

RS_CELL = {"secs": {"soma": {"geom": {"diam": 10.0, "L": 10.0, "cm": 31.831}, "pointps": {
    "Izhi": {"mod": "Izhi2007b", "C": 1, "k": 0.7, "vr": -60, "vt": -40, "vpeak": 35,
             "a": 0.03, "b": -2, "c": -50, "d": 100, "celltype": 1}}}}}
SPEC = {"popParams": {"RS": {"cellType": "RS", "numCells": 1}},
        "cellParams": {"RS": RS_CELL},
        "stimSourceParams": {"clamp": {"type": "IClamp", "del": 20.0, "dur": 460.0,
                                       "amp": 0.1}},
        "stimTargetParams": {"clamp->RS": {"source": "clamp", "conds": {"pop": "RS"}}}}


@pytest.mark.parametrize("threshold", [None, 35.0])
def test_izhi2007b_spikes_at_neurons_times(threshold):
    """Spikes counted as NetPyNE's NetCon counts them (10 mV, or the section's
    threshold: here vpeak, the point process's own events): lifnet at NetPyNE's dt
    0.025 ms is within 0.025 ms (one step) of NEURON at dt 0.00025 ms over 6 spikes,
    several times closer than NEURON at 0.025 ms."""
    spec = SPEC
    reference = NEURON_DT_0_00025
    if threshold is not None:
        spec = {**SPEC, "cellParams": {"RS": {"secs": {"soma": {
            **RS_CELL["secs"]["soma"], "threshold": threshold}}}}}
        reference = NEURON_VPEAK_DT_0_00025
    net = ln.netpyne.load(spec, {"duration": 500.0, "dt": 0.025})
    cell = net.population("RS")
    assert isinstance(cell, ln.IzhikevichPop)
    assert cell.C == pytest.approx(0.1, rel=1e-4) and cell.k == pytest.approx(0.0007)
    assert cell.b == pytest.approx(-0.002) and cell.d == pytest.approx(0.1)
    assert cell.V_spike == (10.0 if threshold is None else threshold)
    times = net.run(500.0).spikes("RS").times
    assert len(times) == len(reference)
    ours = np.abs(times - reference).max()
    assert ours < 0.025, times
    if threshold is None:
        neurons = np.abs(np.subtract(NEURON_DT_0_025, NEURON_DT_0_00025)).max()
        assert ours < neurons / 3, (ours, neurons)


@pytest.mark.parametrize("change, message", [
    ({"celltype": 5}, "\\['celltype'\\]: 5 is not supported; supported: 1 \\(RS\\), 2 \\(IB\\), "
                      "3 \\(CH\\)"),
    ({"k": "normal(0.7, 0.05)"}, "\\['pointps'\\]\\['Izhi'\\]\\['k'\\]: .* is a function of "
                                 "the cells"),
    ({"mod": "Izhi2007a"}, "\\['mod'\\]: 'Izhi2007a' is not supported; supported: Izhi2007b"),
    ({"vref": "V"}, "\\['Izhi'\\]: 'vref' is not supported here"),
])
def test_what_izhi2007b_cannot_honour_is_refused_naming_the_key(change, message):
    spec = {**SPEC, "cellParams": {"RS": {"secs": {"soma": {
        **RS_CELL["secs"]["soma"], "pointps": {"Izhi": {
            **RS_CELL["secs"]["soma"]["pointps"]["Izhi"], **change}}}}}}}
    with pytest.raises(ln.ParameterError, match="cellParams\\['RS'\\]\\['secs'\\]\\['soma'\\]"
                                                ".*" + message):
        ln.netpyne.load(spec, {"dt": 0.025})


def test_a_threshold_above_vpeak_is_refused_naming_the_key():
    spec = {**SPEC, "cellParams": {"RS": {"secs": {"soma": {
        **RS_CELL["secs"]["soma"], "threshold": 40.0}}}}}
    with pytest.raises(ln.ParameterError, match="\\['soma'\\]\\['threshold'\\]: 40.0: lifnet "
                       "counts an Izhi2007b cell's spikes at a threshold above c \\(-50.0\\) "
                       "and at most vpeak"):
        ln.netpyne.load(spec, {"dt": 0.025})
