"""The cortical microcircuit of Potjans & Diesmann (2014) at scale 0.1 against NEST.

NEST's numbers: NEST 3.10 ``iaf_psc_exp``, our peer script following NEST's
example (scale 0.1, k_scale 0.1, Poisson background, dt 0.1 ms, 2 threads),
seeds 1, 2, 3; rates and CVs over 100-1100 ms. Made with::

    benchmarks/.peer-env/bin/python benchmarks/peers/microcircuit_nest_runs.py

(results: benchmarks/results/microcircuit-nest-scale0.1-2026-12-06-vm.md).
Rate: spikes / (cells x 1 s), silent cells included. CV: of the ISIs of each
cell with >= 3 spikes, averaged over those cells.
"""

import numpy as np
import pytest

import lifnet as ln
from lifnet.models.potjans_diesmann import POPULATIONS, psc_for_psp, synapse_numbers

# Per population: NEST's mean rate (Hz) over three seeds, its lowest, its highest, mean CV.
NEST = {
    "L23E": (0.472, 0.460, 0.486, 0.456),
    "L23I": (2.131, 2.057, 2.223, 0.533),
    "L4E": (3.988, 3.920, 4.068, 0.574),
    "L4I": (5.010, 4.985, 5.038, 0.598),
    "L5E": (6.819, 6.480, 7.359, 0.605),
    "L5I": (7.758, 7.679, 7.811, 0.601),
    "L6E": (0.828, 0.803, 0.876, 0.506),
    "L6I": (7.050, 7.003, 7.092, 0.615),
}


def _cv(ids, times):
    order = np.lexsort((times, ids))
    ids, times = ids[order], times[order]
    cvs = []
    for cell in np.unique(ids):
        t = times[ids == cell]
        if t.size >= 3:
            isi = np.diff(t)
            cvs.append(isi.std() / isi.mean())
    return float(np.mean(cvs))


@pytest.fixture(scope="module")
def run():
    net = ln.models.potjans_diesmann(scale=0.1, k_scale=0.1, background="poisson", seed=1)
    return net, net.run(1100.0)


def test_the_synapse_numbers_and_weights_are_the_models():
    counts, _ = synapse_numbers(1.0, 1.0)
    # About 3e8 synapses at full scale (Potjans & Diesmann 2014: "~0.3 billion").
    assert 2.9e8 < counts.sum() < 3.1e8
    # NEST's example creates 2 988 807 synapses at scale 0.1, k_scale 0.1.
    assert synapse_numbers(0.1, 0.1)[0].sum() == 2_988_807
    # 0.15 mV PSP <-> 87.81 pA PSC (NEST's example)
    assert abs(psc_for_psp(0.15, C=0.25, tau_m=10.0, tau_syn=0.5) - 0.08781) < 1e-5


@pytest.mark.parametrize("name", POPULATIONS)
def test_rates_and_irregularity_are_nests(run, name):
    net, result = run
    spikes = result.spikes(name)
    late = spikes.times > 100.0
    rate = late.sum() / net.populations[name].n
    mean, low, high, cv = NEST[name]
    # One lifnet network against NEST's spread over three networks, widened by 10 %.
    assert 0.9 * low <= rate <= 1.1 * high, (rate, low, high)
    assert abs(_cv(spikes.ids[late], spikes.times[late]) - cv) < 0.1


def test_the_activity_is_asynchronous(run):
    """Pooled spike counts in 5 ms bins vary as for independent cells: the synchrony
    index var(sum) / sum(var) - 1, over (cells - 1), is the mean pairwise correlation
    of the counts; a network in a synchronous state gives 0.1 or more."""
    net, result = run
    for name in ("L23I", "L4E", "L4I", "L5E", "L6I"):
        spikes = result.spikes(name)
        late = spikes.times > 100.0
        n = net.populations[name].n
        counts = np.zeros((n, 200))
        bins = ((spikes.times[late] - 100.0) // 5.0).astype(int)
        np.add.at(counts, (spikes.ids[late], np.minimum(bins, 199)), 1)
        pooled = counts.sum(axis=0).var()
        single = counts.var(axis=1).sum()
        synchrony = (pooled / single - 1.0) / (n - 1)
        assert synchrony < 0.02, (name, synchrony)
