"""Compte et al. (2000) ring network: spontaneous state, footprint width, bump memory, NMDA.

The network is 2048 + 512 cells, all to all; each trial simulates seconds,
so trials run in two processes.
"""

from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest

import lifnet as ln
from lifnet.analysis import angular_error, decode_bump

CUE_START = 2000.0   # ms; the spontaneous state settles over the first seconds
DELAY = 3000.0       # ms after the cue's end


def _cue_direction(seed):
    return (seed * 0.6180339887 * 2 * np.pi) % (2 * np.pi)


def _rates(net, t0, t1):
    """Mean rate of E and I cells in [t0, t1), Hz."""
    out = []
    for name in ("E", "I"):
        times = net.result.spikes(name).times
        count = np.count_nonzero((times >= t0) & (times < t1))
        out.append(count * 1000.0 / (net.population(name).n * (t1 - t0)))
    return out


def spontaneous(args):
    parameters, sigma, seed, duration = args
    net = ln.models.compte2000(parameters=parameters, sigma=sigma, seed=seed,
                               cue_duration=0.0)
    net.run(duration)
    E = net.population("E")
    d = decode_bump(net.result.spikes("E"), E.theta, t_start=duration - 500.0,
                    t_stop=duration, width=500.0)
    return _rates(net, duration - 2000.0, duration), float(d["length"][0])


def delay_trial(args):
    parameters, seed, nmda_to_E, delay = args
    theta = _cue_direction(seed)
    net = ln.models.compte2000(parameters=parameters, seed=seed, cue_theta=theta,
                               cue_start=CUE_START, nmda_to_E=nmda_to_E)
    stop = CUE_START + 250.0 + delay
    net.run(stop)
    E = net.population("E")
    tr = net.result.spikes("E")
    d = decode_bump(tr, E.theta, t_start=stop - 500.0, t_stop=stop, width=500.0)
    late = (tr.times >= stop - 500.0)
    distance = angular_error(E.theta[tr.ids[late]], theta)
    near = np.count_nonzero(distance < np.deg2rad(20)) / (E.n * 40 / 360)
    far = np.count_nonzero(distance > np.deg2rad(90)) / (E.n * 180 / 360)
    return float(np.degrees(angular_error(d["angle"][0], theta))), near, far


def _parallel(fn, args):
    with ProcessPoolExecutor(2) as pool:
        return list(pool.map(fn, args))


@pytest.mark.xdist_group("compte2000_kernel")   # with the notebook
def test_spontaneous_rates_and_the_footprint_width():
    """Published parameters: a low-rate spontaneous state, and no bump without a cue.

    Range: the Wang lab's reference implementation of this model notes that
    its spontaneous state settles within seconds at about 8 Hz (interneurons)
    (xjwanglab/book, chapter5-spatial-working-memory/compte2000.py); pyramidal
    cells fire a few Hz. Asserted after a 4 s warm-up: interneurons 5-11 Hz,
    pyramidal cells 0.5-5 Hz.

    Footprint: with the printed sigma = 18 deg the same network forms a bump
    without any cue; with 14.4 deg, the value reimplementations use, it does not.
    """
    (rates, length_14), (_, length_18) = _parallel(
        spontaneous, [("compte2000", 14.4, 1, 6000.0), ("compte2000", 18.0, 1, 6000.0)])
    rate_E, rate_I = rates
    assert 0.5 < rate_E < 5.0, rate_E
    assert 5.0 < rate_I < 11.0, rate_I
    assert length_14 < 0.3, length_14    # homogeneous: no bump
    assert length_18 > 0.5, length_18    # a bump formed with no cue


@pytest.mark.long
@pytest.mark.xdist_group("compte2000_kernel")   # with the notebook
def test_bump_persists_through_a_3s_delay_and_needs_nmda_onto_pyramidal_cells():
    """Murray et al. (2012) parameters: cue 250 ms, delay 3 s, decoded within 20 deg.

    With the Compte (2000) set, 24 of 30 seeds end within 20 deg (RMS 14.9
    deg; benchmarks/compte_drift.py): 9 of 10 would hold with probability
    0.38 only, so the criterion is asserted on the retuned set of the same
    architecture (30 of 30 within 20 deg, RMS 4.6 deg).
    """
    args = [("murray2012", seed, True, DELAY) for seed in range(10)]
    # Without NMDA onto E the bump is gone 1 s after the cue already.
    args += [("murray2012", 0, False, 1000.0), ("murray2012", 1, False, 1000.0)]
    results = _parallel(delay_trial, args)
    errors = np.array([r[0] for r in results[:10]])
    assert np.count_nonzero(errors < 20.0) >= 9, errors
    for _, near, far in results[:10]:
        assert near > 5.0 * max(far, 0.1), (near, far)      # a bump: cells near the cue fire
    for _, near, far in results[10:]:
        assert near < 1.5 * max(far, 0.1) + 0.5, (near, far)  # no NMDA onto E: no bump
