"""The rules of NEST that the Potjans-Diesmann microcircuit uses, and weights and delays
drawn from truncated normal distributions: exact counts and the right statistics."""

import math

import numpy as np
import pytest
from scipy import stats

import lifnet as ln


def _net(n_pre=300, n_post=200):
    net = ln.Network(dt=0.1, seed=4)
    a = net.add(ln.CurrentBasedLIFPop(n_pre, name="a"))
    b = net.add(ln.CurrentBasedLIFPop(n_post, name="b"))
    return net, a, b


def _pairs(synapses):
    indptr = synapses.indptr
    pre = np.repeat(np.arange(indptr.size - 1), np.diff(indptr))
    return pre, np.asarray(synapses.indices)


def test_fixed_total_number_draws_pairs_uniformly_with_multapses():
    net, a, b = _net()
    n_syn = 120_000      # two synapses per pair on average: many multapses
    proj = net.connect(a, b, rule="fixed_total_number", n_synapses=n_syn, weight=0.01,
                       receptor=ln.ExponentialCurrentSynapse(tau=0.5, name="ex"))
    pre, post = _pairs(proj.synapses)
    assert pre.size == n_syn
    # Each synapse is a uniform draw among the 60 000 pairs: the number of synapses per
    # pair is binomial(n_syn, 1 / pairs), so the pairs drawn 0, 1, 2, ... times follow it.
    pairs = a.n * b.n
    per_pair = np.bincount(pre * b.n + post, minlength=pairs)
    observed = np.bincount(per_pair, minlength=8)[:8]
    expected = pairs * stats.binom.pmf(np.arange(8), n_syn, 1.0 / pairs)
    chi2 = np.sum((observed - expected) ** 2 / expected)
    assert chi2 < stats.chi2.ppf(0.999, 7), (observed, expected.round())
    # Rows (pre) and columns (post) are uniform too.
    for counts, n in ((np.bincount(pre, minlength=a.n), a.n),
                      (np.bincount(post, minlength=b.n), b.n)):
        chi2 = np.sum((counts - n_syn / n) ** 2 / (n_syn / n))
        assert chi2 < stats.chi2.ppf(0.999, n - 1)


@pytest.mark.parametrize("autapses", [False, True])
def test_fixed_total_number_autapses_only_if_asked(autapses):
    net, a, _ = _net(n_pre=50)
    n_syn = 50_000
    proj = net.connect(a, a, rule="fixed_total_number", n_synapses=n_syn, weight=0.01,
                       receptor=ln.ExponentialCurrentSynapse(tau=0.5, name="ex"),
                       autapses=autapses)
    pre, post = _pairs(proj.synapses)
    assert pre.size == n_syn
    self_synapses = np.count_nonzero(pre == post)
    if autapses:
        # binomial(n_syn, 1/50): 1000 +- 31
        assert abs(self_synapses - n_syn / a.n) < 5 * math.sqrt(n_syn / a.n)
    else:
        assert self_synapses == 0


def test_one_to_one_and_fixed_outdegree():
    net, a, b = _net(n_pre=80, n_post=80)
    proj = net.connect(a, b, rule="one_to_one", weight=0.02,
                       receptor=ln.ExponentialCurrentSynapse(tau=0.5, name="ex"))
    pre, post = _pairs(proj.synapses)
    np.testing.assert_array_equal(pre, np.arange(80))
    np.testing.assert_array_equal(post, np.arange(80))
    proj = net.connect(a, b, rule="fixed_outdegree", indegree=7, weight=0.02,
                       receptor=ln.ExponentialCurrentSynapse(tau=0.5, name="ex"))
    pre, post = _pairs(proj.synapses)
    assert np.all(np.bincount(pre, minlength=80) == 7)
    assert len(set(zip(pre.tolist(), post.tolist(), strict=True))) == pre.size


def test_one_to_one_needs_equal_sizes():
    net, a, b = _net()
    with pytest.raises(ln.ParameterError, match="one size"):
        net.connect(a, b, rule="one_to_one", weight=0.1,
                    receptor=ln.ExponentialCurrentSynapse(tau=0.5, name="ex"))


def test_n_synapses_goes_with_its_rule():
    net, a, b = _net()
    rec = ln.ExponentialCurrentSynapse(tau=0.5, name="ex")
    with pytest.raises(ln.ParameterError, match="n_synapses"):
        net.connect(a, b, rule="fixed_total_number", weight=0.1, receptor=rec)
    with pytest.raises(ln.ParameterError, match="n_synapses"):
        net.connect(a, b, rule="probability", p=0.1, n_synapses=5, weight=0.1, receptor=rec)


@pytest.mark.parametrize("mean, sd, low, high", [
    (0.0878, 0.00878, 0.0, math.inf),      # the microcircuit's excitatory weight
    (-0.3512, 0.03512, -math.inf, 0.0),    # its inhibitory weight
    (1.5, 0.75, 0.1, math.inf),            # its excitatory delay, bounded at dt
    (0.2, 1.0, 0.0, 0.5),                  # most of the mass cut off
])
def test_normal_weights_are_the_truncated_normal(mean, sd, low, high):
    net, a, b = _net()
    dist = ln.Normal(mean=mean, sd=sd, low=low, high=high)
    proj = net.connect(a, b, rule="fixed_total_number", n_synapses=200_000, weight=dist,
                       receptor=ln.ExponentialCurrentSynapse(tau=0.5, name="ex"))
    w = np.asarray(proj.synapses.weights, dtype=float)
    assert w.min() >= low and w.max() <= high
    # Redrawn, not clipped: no mass piled on a bound.
    assert np.count_nonzero((w == low) | (w == high)) == 0
    ref = stats.truncnorm((low - mean) / sd, (high - mean) / sd, loc=mean, scale=sd)
    assert abs(w.mean() - ref.mean()) < 5 * ref.std() / math.sqrt(w.size)
    assert abs(w.std() - ref.std()) < 0.01 * ref.std()
    assert stats.kstest(w, ref.cdf).pvalue > 1e-4


def test_normal_delays_rounded_to_the_step_as_nest_does():
    net, a, b = _net()
    dist = ln.Normal(mean=0.75, sd=0.375, low=0.05, resolution=0.1)
    proj = net.connect(a, b, rule="fixed_total_number", n_synapses=100_000, weight=0.01,
                       delay=dist, receptor=ln.ExponentialCurrentSynapse(tau=0.5, name="ex"))
    d = np.asarray(proj.synapses.delays, dtype=float)
    steps = d / 0.1
    np.testing.assert_allclose(steps, np.rint(steps), atol=1e-5)
    assert d.min() >= 0.1 - 1e-6
    # Redrawn below 0.05 ms, then rounded: the mean NEST's example gets (0.777 ms).
    assert abs(d.mean() - 0.777) < 0.005


def test_distributions_refuse_what_they_cannot_draw():
    with pytest.raises(ln.ParameterError, match="lies in"):
        ln.Normal(mean=0.0, sd=1.0, low=10.0)
    with pytest.raises(ln.ParameterError, match="low"):
        ln.Normal(mean=0.0, sd=1.0, low=1.0, high=0.5)
    net, a, b = _net()
    rec = ln.ExponentialCurrentSynapse(tau=0.5, name="ex")
    with pytest.raises(ln.ParameterError, match="below dt"):
        net.connect(a, b, rule="fixed_total_number", n_synapses=10, weight=0.1, receptor=rec,
                    delay=ln.Normal(mean=1.0, sd=0.5, low=0.0))
    with pytest.raises(ln.ParameterError, match="distribution needs one of the rules"):
        net.connect(a, b, rule="all_to_all", weight=ln.Normal(mean=0.1, sd=0.01),
                    receptor=rec)
