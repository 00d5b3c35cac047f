"""Positions, distance-dependent rules, expressions, nsyn, convergence and divergence."""

import numpy as np
import pytest

import lifnet as ln
from lifnet import positions as pos


def test_column_is_uniform_in_the_cylinder_and_ranges_confine_it():
    net = ln.Network(seed=1)
    E = net.add(ln.PyrPop(4000, name="E"),
                positions=pos.Column(center=(10.0, 500.0, -5.0), radius=100.0, height=400.0))
    xyz = E.positions
    rho = np.hypot(xyz[:, 0] - 10.0, xyz[:, 2] + 5.0)
    assert rho.max() <= 100.0 and np.all(np.abs(xyz[:, 1] - 500.0) <= 200.0)
    # Uniform in the disc: a fraction (1/2)^2 = 1/4 within half the radius (binomial sd 0.007).
    assert abs(np.mean(rho < 50.0) - 0.25) < 0.03
    assert E.norm_positions[:, 1].min() >= 0.0 and E.norm_positions[:, 1].max() <= 1.0
    deep = net.add(ln.PyrPop(500, name="deep"),
                   positions=pos.Column(radius=50.0, height=1000.0, ynorm_range=(0.5, 1.0)))
    assert deep.norm_positions[:, 1].min() >= 0.5
    slab = net.add(ln.PyrPop(500, name="slab"),
                   positions=pos.Box(size=(100, 1000, 100), y_range=(200, 300)))
    assert slab.positions[:, 1].min() >= 200 and slab.positions[:, 1].max() <= 300
    grid = net.add(ln.PyrPop(10, name="grid"), positions=pos.Grid(spacing=20.0, columns=5))
    assert np.allclose(np.diff(np.unique(grid.positions[:, 0])), 20.0)
    ring = net.add(ln.PyrPop(12, name="ring"), positions=pos.Ring(radius=30.0))
    assert np.allclose(np.hypot(ring.positions[:, 0], ring.positions[:, 2]), 30.0)
    with pytest.raises(ln.ParameterError, match=r"expected \(3, 3\)"):
        net.add(ln.PyrPop(3, name="bad"), positions=np.zeros((3, 2)))


def _boxed(seed=5, n=400):
    net = ln.Network(seed=seed)
    A = net.add(ln.PyrPop(n, name="A"), positions=pos.Box(size=(300, 300, 300)))
    B = net.add(ln.InterPop(n // 2, name="B"), positions=pos.Box(size=(300, 300, 300)))
    return net, A, B


def _distances(A, B):
    return np.linalg.norm(A.positions[:, None, :] - B.positions[None, :, :], axis=2)


def test_distance_dependent_probability_matches_the_expression():
    net, A, B = _boxed()
    proj = net.connect(A, B, weight=0.001, rule="probability", p="0.9 * exp(-dist_3D / 80)")
    W = proj.weights().toarray() > 0
    d = _distances(A, B)
    expected = 0.9 * np.exp(-d / 80)
    for lo, hi in ((0, 50), (50, 100), (100, 200), (200, 400)):
        sel = (d >= lo) & (d < hi)
        n = sel.sum()
        assert abs(W[sel].mean() - expected[sel].mean()) < 4 * np.sqrt(0.25 / n) + 1e-3


def test_weight_expression_and_callable_agree_with_the_formula():
    net, A, B = _boxed()
    text = net.connect(A, B, weight="0.001 + 1e-5 * dist_3D + 1e-4 * post_ynorm",
                       rule="probability", p=0.2)
    calls = []

    def weight(v):
        calls.append(1)
        return 0.001 + 1e-5 * v["dist_3D"] + 1e-4 * v["post_ynorm"]

    func = net.connect(A, B, weight=weight, rule="probability", p=0.2)
    assert len(calls) == 1   # vectorised: one call for all 80 000 candidate pairs
    Wt, Wf = text.weights(), func.weights()
    pairs = A.n * B.n
    for W in (Wt, Wf):   # compiled (geometric skips) and NumPy paths draw p = 0.2 alike
        assert abs(W.nnz - 0.2 * pairs) < 4 * np.sqrt(pairs * 0.2 * 0.8)
    i, j = Wt.nonzero()
    d = _distances(A, B)[i, j]
    np.testing.assert_allclose(np.asarray(Wt[i, j]).ravel(),
                               0.001 + 1e-5 * d + 1e-4 * B.norm_positions[j, 1], rtol=1e-6)
    assert Wf.nnz > 0


def test_nsyn_multiplies_weights_and_selection_limits_partners():
    net, A, B = _boxed()
    proj = net.connect(A, B, weight=0.002, rule="convergence", indegree=7, nsyn=3,
                       post_select={"y": (0, 150)})
    W = proj.weights().tocsc()
    counts = np.diff(W.indptr)
    upper = B.positions[:, 1] <= 150
    assert np.all(counts[upper] == 7) and np.all(counts[~upper] == 0)
    np.testing.assert_allclose(W.data, 0.006, rtol=1e-6)
    div = net.connect(A, A, weight=0.001, rule="divergence", indegree=11)
    out = np.diff(div.weights().indptr)
    assert np.all(out == 11) and div.weights().diagonal().sum() == 0
    mean = net.connect(A, B, weight=0.001, rule="all_to_all", nsyn="poisson(2.0)")
    per_pair = mean.weights().toarray() / 0.001
    assert abs(per_pair.mean() - 2.0) < 0.05


def test_expressions_are_safe_and_errors_are_clear():
    net, A, B = _boxed()
    with pytest.raises(ln.ParameterError, match="calling .__import__.*is not allowed"):
        net.connect(A, B, weight="__import__('os').getcwd()", rule="probability", p=0.1)
    with pytest.raises(ln.ParameterError, match="the name 'distance' is not allowed"):
        net.connect(A, B, weight=0.001, rule="probability", p="exp(-distance)")
    plain = net.add(ln.PyrPop(10, name="plain"))
    with pytest.raises(ln.ParameterError, match="needs positions of population 'plain'"):
        net.connect(plain, B, weight=0.001, rule="probability", p="exp(-dist_3D / 50)")
    with pytest.raises(ln.ParameterError, match="shorter than dt=0.1 ms"):
        net.connect(A, B, weight=0.001, rule="probability", p=0.1, delay="dist_3D / 1e6")
    with pytest.raises(ln.ParameterError, match="NMDA projection takes one delay"):
        net.connect(A, B, weight=0.001, receptor="NMDA", delay="0.5 + dist_3D / 300")
