"""The inhibitory HH network of NEST's example goes from asynchronous to
synchronous as its gap junctions strengthen."""

import pytest

import lifnet as ln
from lifnet.analysis import count_cv, voltage_synchrony

WEIGHTS_NS = (0.0, 0.3, 0.54, 0.7)


@pytest.fixture(scope="module")
def measures():
    out = {}
    for w in WEIGHTS_NS:
        net = ln.models.gap_junction_network(gap_weight=w * 1e-3, seed=1)
        mon = net.monitor("HH", "V", interval=0.25)
        trains = net.run(501.0).spikes("HH")
        late = mon.t > 100.0
        out[w] = (voltage_synchrony(mon["V"][:, late]),
                  count_cv(trains, t_start=100.0, t_stop=501.0), trains.rate(501.0))
    return out


def test_synchrony_rises_with_gap_weight(measures):
    """chi rises at every step. The count CV rises too, except that 0.54 nS may
    exceed 0.7 nS: there the network switches between asynchrony and rare,
    sharp volleys, whose count histogram has a low mean and a high spread."""
    chis = [measures[w][0] for w in WEIGHTS_NS]
    cv = {w: measures[w][1] for w in WEIGHTS_NS}
    assert chis == sorted(chis)
    assert cv[0.0] < cv[0.3] < cv[0.54] and cv[0.3] < cv[0.7]


def test_asynchronous_at_0_3_synchronous_at_0_7(measures):
    """NEST 3.10 (benchmarks/peers/gap_nest.py, seed 1): chi 0.46 and 0.99, 3.3 and 28.1 Hz."""
    chi_03, cv_03, rate_03 = measures[0.3]
    chi_07, cv_07, rate_07 = measures[0.7]
    assert chi_03 < 0.6 and chi_07 > 0.95
    assert cv_07 > 2.5 * cv_03
    assert rate_07 == pytest.approx(28.1, rel=0.15)
    assert rate_03 == pytest.approx(3.3, rel=0.3)
