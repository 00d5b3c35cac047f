"""Connection rules realise what they promise, within sampling error."""

import numpy as np
import scipy.sparse as sp

import lifnet as ln
from lifnet.connectivity import CSR, Dense, Uniform


def test_probability_rule_density_and_no_autapses():
    net = ln.Network(seed=4)
    E = net.add(ln.PyrPop(1000, name="E"))
    proj = net.connect(E, E, weight=0.001, rule="probability", p=0.05)
    assert isinstance(proj.synapses, CSR)
    w = proj.weights()
    pairs = 1000 * 999
    expected = 0.05 * pairs
    assert abs(w.nnz - expected) < 4 * np.sqrt(pairs * 0.05 * 0.95)
    assert w.diagonal().sum() == 0
    outdeg = np.diff(w.indptr)
    assert abs(outdeg.std() - np.sqrt(999 * 0.05 * 0.95)) < 0.6  # binomial spread


def test_fixed_indegree_is_exact_and_uniform_over_sources():
    net = ln.Network(seed=4)
    E = net.add(ln.PyrPop(400, name="E"))
    proj = net.connect(E, E, weight=0.002, rule="fixed_indegree", indegree=50)
    w = proj.weights().tocsc()
    assert np.all(np.diff(w.indptr) == 50)
    assert w.diagonal().sum() == 0
    assert np.unique(w.indices[w.indptr[0]:w.indptr[1]]).size == 50
    outdeg = np.diff(proj.weights().indptr)
    # Out-degrees are Binomial(400 * 50, 1/399) summed: mean 50, sd ~7.
    assert abs(outdeg.mean() - 400 * 50 / 400) < 1e-9
    assert 5 < outdeg.std() < 9


def test_all_to_all_is_one_number_and_explicit_arrays_are_kept():
    net = ln.Network(seed=4)
    E = net.add(ln.PyrPop(20, name="E"))
    I = net.add(ln.InterPop(10, name="I"))
    full = net.connect(E, E, weight=0.5)
    assert isinstance(full.synapses, Uniform) and full.n_synapses == 20 * 19
    expected = np.full((20, 20), 0.5)
    np.fill_diagonal(expected, 0.0)
    np.testing.assert_array_equal(full.weights().toarray(), expected)
    per_pair = net.connect(E, I, weight=np.full((20, 10), 0.25))
    assert isinstance(per_pair.synapses, Dense) and per_pair.n_synapses == 200
    rng = np.random.default_rng(0)
    m = sp.random(20, 10, density=0.1, random_state=1) * 0.01
    sparse = net.connect(E, I, weight=m, rule="array")
    assert isinstance(sparse.synapses, CSR)
    np.testing.assert_allclose(sparse.weights().toarray(), m.toarray(), rtol=1e-6)
    dense_w = rng.uniform(0, 0.01, (10, 20))
    dense = net.connect(I, E, weight=dense_w, rule="array")
    assert isinstance(dense.synapses, Dense)
    np.testing.assert_allclose(dense.weights().toarray(), dense_w, rtol=1e-6)


def test_probability_zero_and_one():
    net = ln.Network(seed=4)
    E = net.add(ln.PyrPop(50, name="E"))
    assert net.connect(E, E, weight=0.001, rule="probability", p=0.0).n_synapses == 0
    assert net.connect(E, E, weight=0.001, rule="probability", p=1.0).n_synapses == 50 * 49
