"""Compiled expression rules: sound interval bounds, exact thinning, thread-proof draws."""

import os
import subprocess
import sys

import numba
import numpy as np
import pytest

import lifnet as ln
from lifnet import positions as pos
from lifnet.connectivity import PAIR_VARIABLES
from lifnet.expressions import Expression
from lifnet.pair_functions import compiled, compiled_bound

BOUNDED = [
    "0.4 * exp(-dist_3D / 150)",
    "0.9 * exp(-(dist_2D / 40) ** 2) + 0.01 * post_ynorm",
    "where(dist_x < 30, 0.5, 0.1 * tanh(dist_y / 50))",
    "maximum(0.05, minimum(1.0, 20 / (dist_3D + 1)))",
    "abs(sin(pre_x / 10)) * sqrt(dist_z + 1) / 20 - log(1 + dist_3D) / 100",
    "(post_y - pre_y) % 7 / 10 + floor(post_xnorm * 3) / 10 + round(dist_x) / 1000",
    "(dist_3D > 50) * 0.3 + (dist_y <= 20) * 0.2 + (post_z != pre_z) * 0.1",
    "1 / (1 + (dist_3D / 100) ** 3) - pre_znorm ** 2 / 4",
]


@pytest.mark.parametrize("text", BOUNDED)
def test_interval_bound_contains_every_value_in_the_box(text):
    rng = np.random.default_rng(3)
    expr = Expression(text, allowed=PAIR_VARIABLES, owner="test")
    value, bound = compiled(expr), compiled_bound(expr)
    S = np.zeros(1, np.uint64)
    for _ in range(200):
        P = rng.uniform(-100, 100, (1, 6))
        lo = rng.uniform(-100, 100, (1, 6))
        hi = lo + rng.exponential(30, (1, 6))
        low, high = bound(P, 0, lo, hi, 0)
        Q = lo + (hi - lo) * rng.random((50, 6))
        Q[0], Q[1] = lo[0], hi[0]   # corners too
        values = np.array([value(P, 0, Q, b, S) for b in range(Q.shape[0])])
        finite = np.isfinite(values)
        assert np.all(values[finite] >= low - 1e-12 * abs(low))
        assert np.all(values[finite] <= high + 1e-12 * abs(high))


def _pairs(net, A, B, **kw):
    proj = net.connect(A, B, weight=0.001, rule="probability", **kw)
    return proj.weights().toarray() > 0


def _boxed(n=600):
    net = ln.Network(seed=11)
    A = net.add(ln.PyrPop(n, name="A"), positions=pos.Box(size=(400, 400, 400)))
    B = net.add(ln.InterPop(n, name="B"), positions=pos.Box(size=(400, 400, 400)))
    d = np.linalg.norm(A.positions[:, None, :] - B.positions[None, :, :], axis=2)
    return net, A, B, d


def test_thinning_keeps_each_pair_with_exactly_p_also_for_sharp_and_cut_off_rules():
    net, A, B, d = _boxed()
    # Sharp: p reaches 1 near 0 (every pair tested there) and is tiny far away.
    W = _pairs(net, A, B, p="exp(-dist_3D / 20)")
    expected = np.exp(-d / 20)
    for lo, hi in ((0, 20), (20, 60), (60, 1000)):
        sel = (d >= lo) & (d < hi)
        sd = np.sqrt((expected[sel] * (1 - expected[sel])).sum())
        assert abs(W[sel].sum() - expected[sel].sum()) < 4 * sd + 1
    # Hard cut-off: nothing beyond 100 µm, one half within.
    W = _pairs(net, A, B, p="where(dist_3D < 100, 0.5, 0.0)")
    assert not W[d >= 100].any()
    n_in = (d < 100).sum()
    assert abs(W[d < 100].sum() - 0.5 * n_in) < 4 * np.sqrt(0.25 * n_in)


def test_random_functions_in_expressions_have_their_distributions():
    net, A, B, _ = _boxed(300)
    pairs = 300 * 300
    for text, mean, var in (("normal(2.0, 0.5)", 2.0, 0.25), ("uniform(1.0, 3.0)", 2.0, 1 / 3),
                            ("exponential(2.0)", 2.0, 4.0),
                            ("lognormal(0.0, 0.5)", np.exp(0.125), (np.exp(0.25) - 1)
                             * np.exp(0.25))):
        w = net.connect(A, B, weight=text, rule="all_to_all").weights().data
        assert w.size == pairs
        assert abs(w.mean() - mean) < 5 * np.sqrt(var / pairs), text
        assert abs(w.var() - var) < 0.05 * var, text
    for lam in (0.7, 4.0, 45.0):   # multiplication method below 30, PTRS above
        proj = net.connect(A, B, weight=1.0, rule="all_to_all", nsyn=f"poisson({lam})")
        k = proj.weights().toarray().ravel()
        assert np.all(k == np.round(k))
        assert abs(k.mean() - lam) < 5 * np.sqrt(lam / pairs), lam
        assert abs(k.var() - lam) < 0.05 * lam, lam


def test_synapses_do_not_depend_on_the_number_of_threads():
    def build(threads):
        previous = numba.get_num_threads()
        numba.set_num_threads(threads)
        try:
            net, A, B, _ = _boxed(500)
            proj = net.connect(A, B, weight="normal(0.001, 0.0002)", rule="probability",
                               p="0.8 * exp(-dist_3D / 120)", delay="0.2 + dist_3D / 300")
            return proj.synapses
        finally:
            numba.set_num_threads(previous)

    one, two = build(1), build(min(2, numba.config.NUMBA_NUM_THREADS))
    for field in ("indptr", "indices", "weights", "delays"):
        np.testing.assert_array_equal(getattr(one, field), getattr(two, field))
    d = one.delays
    for r in range(one.indptr.size - 1):   # rows sorted by delay, for delivery
        assert np.all(np.diff(d[one.indptr[r]:one.indptr[r + 1]]) >= 0)


def test_synapses_written_into_the_storage_are_those_read_before_and_scale_once():
    def network():
        net, A, B, _ = _boxed(300)
        proj = net.connect(A, B, weight="0.001 * (1 + post_ynorm)", rule="probability",
                           p="0.5 * exp(-dist_3D / 100)", delay="0.1 + dist_3D / 200")
        return net, proj

    direct, proj = network()          # drawn at build, straight into the storage
    early, proj_early = network()     # read first: drawn into the projection's own arrays
    W_early, delay_early = proj_early.weights(), proj_early.delay.copy()
    for net in (direct, early):
        net.run(1.0)
    for field in ("indptr", "indices", "weights", "syn_delay"):
        np.testing.assert_array_equal(getattr(direct._asm.storage, field),
                                      getattr(early._asm.storage, field))
    np.testing.assert_array_equal(proj.delay, delay_early)
    assert (proj.weights() != W_early).nnz == 0
    steps = direct._asm.storage.syn_delay
    np.testing.assert_allclose(steps * direct.dt, delay_early, rtol=1e-6)

    direct.scale_weights(proj, 2.0)
    np.testing.assert_allclose(proj.weights().data, 2 * W_early.data, rtol=1e-6)
    np.testing.assert_allclose(direct._asm.storage.weights, 2 * W_early.data, rtol=1e-6)
    direct.restart()
    direct.run(1.0)
    np.testing.assert_allclose(direct._asm.storage.weights, 2 * W_early.data, rtol=1e-6)
    # A rebuild whose delays were never read copies the steps from the old storage.
    third, proj3 = network()
    third.run(1.0)
    steps = third._asm.storage.syn_delay.copy()
    third.restart()
    third.run(1.0)
    assert proj3.synapses._delays is None
    np.testing.assert_array_equal(third._asm.storage.syn_delay, steps)


def test_convergence_and_divergence_with_expressions_pick_k_distinct_uniform_partners():
    net, A, B, d = _boxed(400)
    conv = net.connect(A, B, weight="0.001 * (1 + post_ynorm)", rule="convergence",
                       indegree=30, delay="0.2 + dist_3D / 300")
    W = conv.weights().tocsc()
    assert np.all(np.diff(W.indptr) == 30)                  # exactly k sources per target
    for j in range(B.n):
        sources = W.indices[W.indptr[j]:W.indptr[j + 1]]
        assert np.unique(sources).size == 30
    # Sources are uniform over A: each presynaptic neuron's out-degree is
    # Binomial(400, 30 / 400), sd 5.3.
    outdeg = np.diff(conv.weights().indptr)
    assert abs(outdeg.std() - np.sqrt(400 * 0.075 * 0.925)) < 1.0
    i, j = conv.weights().nonzero()
    np.testing.assert_allclose(np.asarray(conv.weights()[i, j]).ravel(),
                               0.001 * (1 + B.norm_positions[j, 1]), rtol=1e-6)
    D = delay_matrix(conv)
    np.testing.assert_allclose(D[i, j], 0.2 + d[i, j] / 300, rtol=1e-6)
    div = net.connect(A, A, weight="normal(0.002, 0.0001)", rule="divergence", indegree=25)
    Wd = div.weights()
    assert np.all(np.diff(Wd.indptr) == 25) and Wd.diagonal().sum() == 0
    with pytest.raises(ln.ParameterError, match="negative nsyn"):
        net.connect(A, B, weight=0.001, rule="convergence", indegree=5, nsyn="-1 + 0 * dist_x")


def delay_matrix(proj):
    """The projection's per-synapse delays as a dense (n_pre, n_post) array."""
    import scipy.sparse as sp

    s = proj.synapses
    m = sp.csr_matrix((s.delays, s.indices, s.indptr), shape=(proj.pre.n, proj.post.n))
    return m.toarray()


def test_compiled_rules_are_kept_on_disk_and_draw_the_same_synapses(tmp_path):
    code = (
        "import hashlib, lifnet as ln\n"
        "from lifnet import positions as pos\n"
        "net = ln.Network(seed=3)\n"
        "A = net.add(ln.PyrPop(300, name='A'), positions=pos.Box(size=(200, 200, 200)))\n"
        "proj = net.connect(A, A, weight='0.001 * (1 + pre_xnorm)', rule='probability',\n"
        "                   p='0.6 * exp(-dist_3D / 60)', delay='0.1 + dist_3D / 250')\n"
        "s = proj.synapses\n"
        "print(hashlib.sha256(s.indptr.tobytes() + s.indices.tobytes() + s.weights.tobytes()\n"
        "                     + s.delays.tobytes()).hexdigest())\n")
    env = dict(os.environ, LIFNET_CACHE_DIR=str(tmp_path))

    def run():
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, check=True).stdout.strip()
        return out, sorted(p.name for p in tmp_path.glob("kernels/*/rules/rule_*.py"))

    first, modules = run()
    second, again = run()
    assert len(modules) == 1 and again == modules   # the second process reuses the module
    assert first == second
