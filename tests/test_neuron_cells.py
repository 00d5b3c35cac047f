"""NEURON's hh and pas in a single-compartment section (NeuronHHPop) against NEURON itself.

The reference spike times were made by ``benchmarks/peers/neuron_hh_reference.py``
(NEURON 9.0.2; see its docstring for the cell: NetPyNE tutorial 2's soma, diam =
L = 18.8 µm, hh at NEURON's defaults, 6.3 °C, IClamp del 50 ms, dur 400 ms, amp
0.15 nA, NetCon threshold 10 mV, 500 ms), in the peers' environment::

    benchmarks/.peer-env/bin/python benchmarks/peers/neuron_hh_reference.py \\
        --method cvode --rtol 1e-11 --atol 1e-12 [--no-tables] [--celsius 20]
        [--delay 50.0137 --dur 200.0051] [--synapse ExpSyn --weight 0.002]
        [--synapse Exp2Syn --weight 0.002]
    benchmarks/.peer-env/bin/python benchmarks/peers/neuron_hh_reference.py \\
        --method implicit --dt 0.025

The first is NEURON's accurate solution of its own equations (variable step,
crossings located by CVODE; ``crossing`` of the output). The second is what a
NetPyNE run gives (fixed step 0.025 ms, ``secondorder = 0``: backward Euler;
``netcon`` of the output, stamped at the end of the step of each crossing):
it departs from NEURON's own accurate solution by up to 1.94 ms over these 31
spikes, the error of that first-order scheme, not a difference of equations.
"""

import math

import numpy as np
import pytest
from scipy.special import gammainc

import lifnet as ln

NEURON_CVODE = np.array([
    51.621546, 65.155742, 78.325945, 91.477027, 104.626466, 117.775750, 130.925040,
    144.074312, 157.223586, 170.372866, 183.522162, 196.671428, 209.820693, 222.969967,
    236.119253, 249.268531, 262.417804, 275.567084, 288.716378, 301.865655, 315.014935,
    328.164192, 341.313494, 354.462769, 367.612021, 380.761304, 393.910577, 407.059849,
    420.209135, 433.358419, 446.507708])
NEURON_CVODE_NO_TABLES = np.array([
    51.623313, 65.169659, 78.350670, 91.512314, 104.673426, 117.834682, 130.994648,
    144.156421, 157.316384, 170.477677, 183.638177, 196.798994, 209.959196, 223.119657,
    236.279938, 249.440295, 262.601898, 275.761574, 288.923564, 302.083133, 315.244405,
    328.404155, 341.565723, 354.726070, 367.886935, 381.048072, 394.207618, 407.369484,
    420.528767, 433.690827, 446.850471])
NEURON_CVODE_20 = np.array([
    51.206926, 55.443676, 59.610357, 63.769159, 67.927237, 72.085303, 76.243304, 80.401347,
    84.559351, 88.717378, 92.875404, 97.033417, 101.191432, 105.349454, 109.507455,
    113.665479, 117.823502, 121.981507, 126.139527, 130.297544, 134.455580, 138.613590,
    142.771611, 146.929642, 151.087641, 155.245662, 159.403689, 163.561706, 167.719719,
    171.877754, 176.035763, 180.193801, 184.351820, 188.509825, 192.667849, 196.825864,
    200.983882, 205.141906, 209.299936, 213.457946, 217.615962, 221.773989, 225.931996,
    230.090026, 234.248054, 238.406081, 242.564078, 246.722147, 250.880136, 255.038136,
    259.196156, 263.354190, 267.512193, 271.670222, 275.828252, 279.986259, 284.144284,
    288.302294, 292.460319, 296.618335, 300.776367, 304.934389, 309.092393, 313.250423,
    317.408432, 321.566493, 325.724471, 329.882491, 334.040547, 338.198549, 342.356551,
    346.514570, 350.672604, 354.830616, 358.988644, 363.146670, 367.304708, 371.462701,
    375.620742, 379.778739, 383.936754, 388.094792, 392.252791, 396.410841, 400.568852,
    404.726880, 408.884867, 413.042931, 417.200936, 421.358963, 425.516945, 429.674988,
    433.833009, 437.991003, 442.149034, 446.307082])
NEURON_CVODE_OFF_GRID = np.array([
    51.635232, 65.169442, 78.339642, 91.490730, 104.640161, 117.789465, 130.938730,
    144.088017, 157.237288, 170.386564, 183.535836, 196.685116, 209.834397, 222.983674,
    236.132964, 249.282231])
NEURON_EXPSYN = np.array([
    23.395843, 47.060503, 70.761532, 94.461535, 118.161513, 141.861520, 165.561522,
    189.261517, 212.961520, 236.661515, 260.361513, 284.061518, 307.761515, 331.461512,
    355.161519, 378.861511, 402.561510, 426.261512, 449.961518, 473.661510])
NEURON_EXP2SYN = np.array([
    23.396462, 47.107716, 70.808235, 94.508256, 118.208241, 141.908243, 165.608244,
    189.308257, 213.008248, 236.708240, 260.408240, 284.108246, 307.808245, 331.508240,
    355.208238, 378.908248, 402.608245, 426.308252, 450.008246, 473.708239])
NEURON_FIXED_STEP = np.array([
    51.650000, 65.250000, 78.500000, 91.700000, 104.925000, 118.125000, 131.350000,
    144.550000, 157.775000, 170.975000, 184.200000, 197.400000, 210.625000, 223.825000,
    237.050000, 250.250000, 263.475000, 276.675000, 289.900000, 303.100000, 316.325000,
    329.525000, 342.750000, 355.950000, 369.175000, 382.375000, 395.600000, 408.800000,
    422.025000, 435.225000, 448.450000])
SOMA = dict(diam=18.8, L=18.8)
CLAMP = dict(amplitude=0.15, start=50.0, stop=450.0)


OFF_GRID = dict(amplitude=0.15, start=50.0137, stop=50.0137 + 200.0051)


def soma_spikes(dt=0.025, clamp=CLAMP, **params):
    net = ln.Network(dt=dt, seed=1)
    soma = net.add(ln.NeuronHHPop(1, name="soma", **SOMA, **params))
    net.stimulate(soma, ln.CurrentClamp(**clamp))
    return net.run(500.0).spikes("soma").times


@pytest.mark.parametrize("params, reference", [
    ({}, NEURON_CVODE),
    ({"tables": False}, NEURON_CVODE_NO_TABLES),
    ({"celsius": 20.0}, NEURON_CVODE_20),
    ({"clamp": OFF_GRID}, NEURON_CVODE_OFF_GRID),     # IClamp's del and dur off the grid
])
def test_spike_times_are_neurons_within_0_02_ms(params, reference):
    """NEURON's IClamp (del, dur, amp) is CurrentClamp(start=del, stop=del + dur,
    amplitude=amp): on during [del, del + dur), its edges at their exact times."""
    times = soma_spikes(**params)
    assert len(times) == len(reference)
    assert np.abs(times - reference).max() < 0.02


@pytest.mark.parametrize("receptor, reference", [
    (lambda: ln.ExpSyn(tau=3.0, e=0.0), NEURON_EXPSYN),
    (lambda: ln.Exp2Syn(tau1=0.3, tau2=5.0, e=0.0), NEURON_EXP2SYN),
])
def test_synapses_from_a_netstim_give_neurons_spike_times(receptor, reference):
    """A regular NetStim (interval 23.7 ms, 20 spikes from 20 ms) through a NetCon (delay
    1.3 ms, weight 0.002 µS) onto the soma by ExpSyn or Exp2Syn, with no clamp."""
    net = ln.Network(dt=0.1, seed=1)
    stim = net.add(ln.NetStimPop(1, interval=23.7, number=20, start=20.0, name="stim"))
    soma = net.add(ln.NeuronHHPop(1, name="soma", **SOMA))
    net.connect(stim, soma, weight=0.002, delay=1.3, receptor=receptor())
    times = net.run(500.0).spikes("soma").times
    assert len(times) == len(reference) == 20
    assert np.abs(times - reference).max() < 0.002


def test_exp2syn_takes_neurons_time_constants():
    syn = ln.Exp2Syn(tau1=5.0, tau2=5.0)
    assert syn.tau_rise == pytest.approx(0.9999 * 5.0) and syn.tau_decay == 5.0
    with pytest.raises(ln.ParameterError, match="tau1=6.0 ms must not exceed tau2=5.0 ms"):
        ln.Exp2Syn(tau1=6.0, tau2=5.0)
    tp = 0.3 * 5.0 / (5.0 - 0.3) * math.log(5.0 / 0.3)
    factor = 1.0 / (math.exp(-tp / 5.0) - math.exp(-tp / 0.3))
    assert ln.Exp2Syn(tau1=0.3, tau2=5.0).peak_factor() == pytest.approx(factor, rel=1e-12)
    assert ln.ExpSyn().tau == 0.1 and ln.ExpSyn().E == 0.0


def test_spike_times_fall_with_dt_squared_towards_neurons():
    errors = [np.abs(soma_spikes(dt) - NEURON_CVODE).max() for dt in (0.1, 0.05)]
    assert errors[0] / errors[1] > 3.0, errors


def test_neurons_fixed_step_differs_from_lifnet_as_from_neurons_own_solution():
    """What NetPyNE reports (fixed step 0.025 ms) is as far from lifnet's spike times as
    from NEURON's accurate ones: the difference is NEURON's step, which lifnet does not
    reproduce."""
    times = soma_spikes()
    assert len(times) == len(NEURON_FIXED_STEP)
    own = np.abs(NEURON_FIXED_STEP - NEURON_CVODE)
    assert own.max() > 1.0
    assert np.abs(np.abs(NEURON_FIXED_STEP - times) - own).max() < 0.03


def test_a_warm_cell_stays_stable_at_a_long_step():
    """At 37 °C tau_m falls to about 5 µs: the step takes substeps as short as tau_m
    (fastest_rate), so that dt 0.1 ms gives the trace of dt 0.01 ms instead of diverging."""
    traces = []
    for dt in (0.1, 0.01):
        net = ln.Network(dt=dt, seed=1)
        cell = net.add(ln.NeuronHHPop(1, name="warm", **SOMA, celsius=37.0))
        net.stimulate(cell, ln.CurrentClamp(amplitude=0.5, start=5.0, stop=math.inf))
        mon = net.monitor(cell, ["V", "m"], interval=0.1)
        net.run(30.0)
        traces.append((mon["V"][0], mon["m"][0]))
    assert np.ptp(traces[1][0]) > 20.0
    assert np.abs(traces[0][0] - traces[1][0]).max() < 0.5
    assert np.abs(traces[0][1] - traces[1][1]).max() < 0.01


def test_geometry_scales_pas_into_an_analytic_charging_curve():
    """A passive section (pas only): V = e + I / G (1 - exp(-(t - del) / tau)), G = g_pas
    pi diam L, tau = cm / g_pas (1 ms at g_pas 0.001 S/cm², cm 1 µF/cm²)."""
    net = ln.Network(dt=0.025, seed=1)
    cell = net.add(ln.NeuronHHPop(1, name="pas", diam=10.0, L=20.0, cm=2.0, gnabar=0.0,
                                  gkbar=0.0, gl=0.0, g_pas=0.001, e_pas=-70.0,
                                  v_init=-70.0))
    net.stimulate(cell, ln.CurrentClamp(amplitude=0.1, start=5.0, stop=math.inf))
    mon = net.monitor(cell, "V", interval=0.5)
    net.run(30.0)
    area = math.pi * 10.0 * 20.0 * 1e-8
    G = 0.001 * area * 1e6
    assert cell.C == pytest.approx(2.0 * area * 1e3) and cell.g_pas == pytest.approx(G)
    t = mon.t
    expected = -70.0 + 0.1 / G * (1.0 - np.exp(-np.clip(t - 5.0, 0.0, None) / 2.0))
    assert np.ptp(expected) > 15.0
    assert np.abs(mon["V"][0] - expected).max() < 1e-3


def test_gates_start_at_their_steady_state_as_after_finitialize():
    cell = ln.NeuronHHPop(3, v_init=np.array([-65.0, -70.0, -60.5]), tables=False)
    state = cell.initial_state()
    V = state[0]
    a_m = 0.1 * (V + 40.0) / (1.0 - np.exp(-(V + 40.0) / 10.0))
    b_m = 4.0 * np.exp(-(V + 65.0) / 18.0)
    np.testing.assert_allclose(state[1], a_m / (a_m + b_m), rtol=1e-12)
    assert cell.get_params()["celsius"] == 6.3 and cell.V_spike == 10.0


@pytest.mark.parametrize("make, message", [
    (lambda: ln.NeuronHHPop(1, diam=0.0), "diam=0.0 must be > 0"),
    (lambda: ln.NeuronHHPop(1, gkbar=-0.01), "gkbar=-0.01 must be >= 0"),
    (lambda: ln.NeuronHHPop(1, celsius=float("nan")), "celsius=nan must be finite"),
    (lambda: ln.NeuronHHPop(1, tables=1), "tables=1 must be True or False"),
    (lambda: ln.NeuronHHPop(2, v_init=[-65.0]), "initial\\['V'\\]"),
])
def test_bad_neuron_parameters_are_refused_clearly(make, message):
    with pytest.raises(ln.ParameterError, match=message):
        make()


# NetStim: NEURON's statistics of 4000 trains (interval 10 ms, start 50 ms) over 1000 ms, made by
#   benchmarks/.peer-env/bin/python benchmarks/peers/netstim_reference.py --n 4000
# (number 1e9: count mean and variance; number 20: interval mean and CV, first spike mean).
NEURON_NETSTIM = {
    0.0: dict(count_mean=96.0, count_var=0.0, isi_mean=10.0, isi_cv=0.0, first_mean=50.0),
    0.5: dict(count_mean=95.113, count_var=23.7647, isi_mean=10.0181, isi_cv=0.4975,
              first_mean=55.0094),
    1.0: dict(count_mean=94.9905, count_var=94.8594, isi_mean=10.0363, isi_cv=0.9932,
              first_mean=60.0187),
}


def netstim_count_moments(noise, T=10.0, start=50.0, D=1000.0):
    """Mean and variance of a NetStim's spike count in [0, D], from NEURON's definition: the
    k-th spike is at start + (k - 1)(1 - noise) T + noise T G_k, G_k ~ Gamma(k, 1)."""
    if noise == 0.0:
        return math.floor((D - start) / T) + 1.0, 0.0
    k = np.arange(1, 1000)
    x = (D - start - (k - 1) * (1.0 - noise) * T) / (noise * T)
    p = np.where(x > 0, gammainc(k, np.clip(x, 0.0, None)), 0.0)     # P(count >= k)
    mean = p.sum()
    return mean, ((2 * k - 1) * p).sum() - mean ** 2


@pytest.mark.parametrize("noise", [0.0, 0.5, 1.0])
def test_netstim_trains_have_neurons_statistics(noise):
    n = 4000
    neuron = NEURON_NETSTIM[noise]
    trains = ln.NetStimPop(n, interval=10.0, number=1e9, start=50.0, noise=noise,
                           until=1000.0, seed=5)
    counts = np.bincount(trains.ids, minlength=n)
    mean, var = netstim_count_moments(noise)
    assert mean == pytest.approx(neuron["count_mean"], abs=4 * math.sqrt(var / n) + 1e-9)
    assert counts.mean() == pytest.approx(mean, abs=4 * math.sqrt(var / n) + 1e-9)
    assert counts.var() == pytest.approx(var, rel=0.1, abs=1e-9)
    assert neuron["count_var"] == pytest.approx(var, rel=0.1, abs=1e-9)

    finite = ln.NetStimPop(n, interval=10.0, number=20, start=50.0, noise=noise, seed=6)
    assert np.all(np.bincount(finite.ids, minlength=n) == 20)
    order = np.lexsort((finite.times, finite.ids))
    times, ids = finite.times[order].reshape(n, 20), finite.ids[order].reshape(n, 20)
    assert np.all(ids == np.arange(n)[:, None])
    isi = np.diff(times, axis=1).ravel()
    se = 10.0 * noise / math.sqrt(isi.size)
    assert isi.mean() == pytest.approx(10.0, abs=4 * se + 1e-9)
    assert isi.std() / isi.mean() == pytest.approx(noise, abs=0.02)
    assert isi.std() / isi.mean() == pytest.approx(neuron["isi_cv"], abs=0.03)
    assert times[:, 0].mean() == pytest.approx(50.0 + 10.0 * noise,
                                               abs=4 * 10.0 * noise / math.sqrt(n) + 1e-9)
    assert neuron["first_mean"] == pytest.approx(50.0 + 10.0 * noise,
                                                 abs=4 * 10.0 * noise / math.sqrt(n) + 1e-9)


def test_netstim_number_start_and_rate_as_neuron():
    three = ln.NetStimPop(2, interval=10.0, number=2.5, start=5.0)
    np.testing.assert_array_equal(np.sort(three.times), [5.0, 5.0, 15.0, 15.0, 25.0, 25.0])
    assert ln.NetStimPop(3, interval=10.0, start=-1.0).times.size == 0
    assert ln.NetStimPop(3, interval=10.0, number=0).times.size == 0
    assert ln.NetStimPop(1, rate=40.0, number=3, start=0.0).times.tolist() == [0.0, 25.0, 50.0]


def test_netstim_drives_a_network_as_its_spikes():
    net = ln.Network(dt=0.025, seed=1)
    stim = net.add(ln.NetStimPop(3, rate=50.0, number=1e9, noise=0.5, start=1.0, until=200.0,
                                 name="stim"))
    cell = net.add(ln.NeuronHHPop(3, name="cell", **SOMA))
    net.connect(stim, cell, rule="one_to_one", weight=0.01, delay=1.0,
                receptor=ln.ExponentialSynapse(tau=2.0, E=0.0, name="exc"))
    result = net.run(200.0)
    np.testing.assert_array_equal(np.sort(result.spikes("stim").times), np.sort(stim.times))
    assert len(result.spikes("cell")) > 0


@pytest.mark.parametrize("make, message", [
    (lambda: ln.NetStimPop(2, interval=10.0, noise=1.5), "noise=1.5"),
    (lambda: ln.NetStimPop(2), "give interval \\(ms\\) or rate \\(Hz\\)"),
    (lambda: ln.NetStimPop(2, interval=10.0, rate=5.0), "give interval \\(ms\\) or rate"),
    (lambda: ln.NetStimPop(2, interval=0.0), "interval=0.0 must be > 0"),
    (lambda: ln.NetStimPop(2, interval=10.0, number=1e9), "give until="),
])
def test_bad_netstim_parameters_are_refused_clearly(make, message):
    with pytest.raises(ln.ParameterError, match=message):
        make()
