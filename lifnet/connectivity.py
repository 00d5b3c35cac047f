"""Connection rules, turned into the storage that fits them.

* ``all_to_all`` -> ``Uniform`` (one weight, O(1) memory) for a scalar
  weight, else a dense matrix (n_pre x n_post, float32).
* ``ring`` -> ``Circulant`` for two rings of the same size: the weight
  depends only on the difference of preferred directions, so one row (the
  kernel) describes the projection and NMDA's W s is a circular convolution
  done by FFT in O(N log N). Rings of different sizes get a dense matrix.
* ``probability`` and ``fixed_indegree`` -> CSR by presynaptic neuron
  (int64 row pointers, int32 postsynaptic indices, float32 weights: 8 bytes
  a synapse), drawn by compiled code from the network's seed.
* ``array`` -> an explicit weight matrix, dense NumPy or scipy.sparse; kept
  dense when more than a quarter of its entries are synapses, else CSR.
  Zero entries are no synapse.
* ``convergence`` (k presynaptic partners per postsynaptic neuron, as
  ``fixed_indegree``) and ``divergence`` or ``fixed_outdegree`` (k distinct
  postsynaptic partners per presynaptic neuron) -> CSR.
* ``fixed_total_number`` (NEST's rule: n_synapses pairs drawn uniformly and
  independently, so that a pair may be drawn twice, a multapse; autapses
  only if asked) -> CSR, each row drawn straight into its place: the row
  sizes are multinomial, then each row's targets uniform, so no edge list is
  made and sorted.
* ``one_to_one`` (neuron i onto neuron i of a population of the same size) -> CSR.

``weight`` and ``delay`` may be a ``lifnet.distributions.Normal`` on the
rules of ``DISTRIBUTION_RULES``: each synapse draws its own.

Rules other than ``ring`` and ``array`` also take, NetPyNE- and BMTK-style:
``p``, ``weight`` and ``nsyn`` (synapses per connected pair, summed into the
weight) as expression strings or callables over the candidate pairs
(``"0.3 * exp(-dist_3D / 150)"``, see ``PAIR_VARIABLES`` and
``lifnet.expressions``), and ``pre_select`` / ``post_select`` conditions on
positions (``{"y": (100, 1000)}``, ``{"ynorm": (0, 0.5)}``). Expression
strings and numbers are compiled and drawn in time proportional to the
synapses, on all threads (``lifnet.pair_kernels``; the k partners of
``convergence`` and ``divergence`` by Floyd's algorithm); callables are
evaluated vectorised, a block of candidate pairs at a time. Either is stored as CSR,
rows sorted by delay when each synapse has its own.

Weights are conductance increments in µS, or currents in nA for current
synapses.
"""

import math
import numbers

import numba
import numpy as np
import scipy.sparse as sp

from . import validation as val
from .distributions import Normal
from .expressions import Expression, compile_value
from .integrators.philox import split_seed
from .kernel_cache import njit
from .pair_functions import compilable, row_state, unit
from .pair_kernels import (
    draw,
    draw_partners,
    on_threads,
    scatter_by_delay,
    sort_rows_by_delay,
    steps_of,
)
from .populations import is_ring

RULES = ("all_to_all", "probability", "fixed_indegree", "convergence", "divergence",
         "fixed_outdegree", "fixed_total_number", "one_to_one", "ring", "array")
#: Rules whose synapses can draw their weights and delays from a Distribution.
DISTRIBUTION_RULES = ("probability", "fixed_indegree", "convergence", "fixed_total_number",
                      "one_to_one")
COORDINATES = ("x", "y", "z", "xnorm", "ynorm", "znorm")
PAIR_VARIABLES = (("dist_3D", "dist_2D", "dist_x", "dist_y", "dist_z")
                  + tuple(f"{side}_{c}" for side in ("pre", "post") for c in COORDINATES))
PAIR_BLOCK = 1 << 21   # candidate pairs evaluated at once
P_SAMPLE, P_SAMPLE_ABOVE = 4096, 1e8   # a p expression's mean, estimated on so many pairs
RING_PROFILES = ("gaussian", "von_mises")
DENSE_ABOVE = 0.25


class Uniform:
    """The same weight on every pair (but i -> i when ``skip_diagonal``)."""

    def __init__(self, weight, n_pre, n_post, skip_diagonal):
        self.weight = float(weight)
        self.n_pre = int(n_pre)
        self.n_post = int(n_post)
        self.skip_diagonal = bool(skip_diagonal)

    @property
    def n_synapses(self):
        if self.weight == 0.0:
            return 0
        return self.n_pre * self.n_post - (min(self.n_pre, self.n_post)
                                           if self.skip_diagonal else 0)

    def to_scipy(self):
        m = np.full((self.n_pre, self.n_post), self.weight, dtype=np.float32)
        if self.skip_diagonal:
            np.fill_diagonal(m, 0.0)
        return sp.csr_matrix(m)


class Circulant:
    """Weights W[j, i] = kernel[(i - j) mod n] between two populations of n neurons."""

    def __init__(self, kernel):
        self.kernel = np.ascontiguousarray(kernel, dtype=np.float64)

    @property
    def n_synapses(self):
        return self.kernel.shape[0] * int(np.count_nonzero(self.kernel))

    def to_scipy(self):
        n = self.kernel.shape[0]
        offsets = (np.arange(n)[None, :] - np.arange(n)[:, None]) % n
        return sp.csr_matrix(self.kernel[offsets].astype(np.float32))


def ring_kernel(offsets, *, J_plus, sigma, profile):
    """The footprint J(d) of Compte et al. (2000) at angle differences d (rad).

    ``gaussian``: J(d) = J- + (J+ - J-) exp(-d^2 / (2 sigma^2)), d wrapped to
    (-pi, pi]; ``von_mises``: the bump term is exp((cos d - 1) / sigma^2).
    J- is chosen so that the mean of J over ``offsets`` is exactly 1.
    """
    d = np.angle(np.exp(1j * offsets))
    s = np.deg2rad(sigma)
    if profile == "gaussian":
        bump = np.exp(-d ** 2 / (2 * s * s))
    else:
        bump = np.exp((np.cos(d) - 1) / (s * s))
    mean = bump.mean()
    j_minus = (1.0 - J_plus * mean) / (1.0 - mean)
    if j_minus < 0.0:
        raise val.ParameterError(
            f"connect: rule='ring' with J_plus={J_plus} and sigma={sigma} deg needs a negative "
            f"baseline J- = {j_minus:.4g} to keep the mean weight 1; allowed: J_plus <= "
            f"{1.0 / mean:.4g} for this sigma")
    return j_minus + (J_plus - j_minus) * bump


class Dense:
    """Weights stored as a dense (n_pre, n_post) float32 matrix."""

    def __init__(self, matrix):
        self.matrix = np.ascontiguousarray(matrix, dtype=np.float32)

    @property
    def n_synapses(self):
        return int(np.count_nonzero(self.matrix))

    def to_scipy(self):
        return sp.csr_matrix(self.matrix)


class CSR:
    """Weights stored by presynaptic row: indptr (n_pre + 1), indices and weights (nnz).

    ``delays`` (ms, float32, one per synapse, optional) overrides the projection's
    delay; ``sorted_by_delay`` says each row is already in increasing delay, as
    delivery needs; ``delay_range`` is (shortest, longest) of the delays.

    A CSR made by ``CSR.pending`` knows its row pointers but not yet its synapses:
    ``write(indices, weights, delays, dt, last)`` draws them into given arrays. The
    network's assembly has them written straight into its storage, and the
    projection then keeps views of that storage; reading ``indices``, ``weights``
    or ``delays`` before that draws them into arrays of its own.
    """

    def __init__(self, indptr, indices, weights, n_post, delays=None, sorted_by_delay=False):
        self.indptr = np.ascontiguousarray(indptr, dtype=np.int64)
        self._indices = np.ascontiguousarray(indices, dtype=np.int32)
        self._weights = np.ascontiguousarray(weights, dtype=np.float32)
        self.n_post = int(n_post)
        self._delays = None if delays is None else np.ascontiguousarray(delays, np.float32)
        self._steps, self._steps_dt = None, None   # the delays in the storage, in steps
        self.has_delays = delays is not None
        self.sorted_by_delay = bool(sorted_by_delay)
        self.delay_range = None
        if self.has_delays:
            d = self._delays
            self.delay_range = (float(d.min()), float(d.max())) if d.size else (np.inf, -np.inf)
        self._write = None

    @classmethod
    def pending(cls, indptr, n_post, write, delay_range=None):
        """A CSR whose synapses ``write(indices, weights, delays or None, dt or None, last)``
        draws (``last``: no further write is expected, and what speeds one up may go).

        ``delay_range``: (shortest, longest) per-synapse delay, ms, or None if the
        synapses have no delays of their own. Rows are written sorted by delay.
        """
        self = cls.__new__(cls)
        self.indptr = np.ascontiguousarray(indptr, dtype=np.int64)
        self.n_post = int(n_post)
        self._indices = self._weights = self._delays = None
        self._steps, self._steps_dt = None, None
        self.has_delays = delay_range is not None
        self.delay_range = delay_range
        self.sorted_by_delay = True
        self._write = write
        return self

    def is_pending(self):
        """Whether the synapses are not drawn yet (``pending``)."""
        return self._indices is None

    def _draw(self):
        n = self.n_synapses
        indices, weights = np.empty(n, np.int32), np.empty(n, np.float32)
        delays = np.empty(n, np.float32) if self.has_delays else None
        self._write(indices, weights, delays, None)
        if self._indices is None:
            self._indices, self._weights = indices, weights
        self._delays = delays

    @property
    def indices(self):
        if self._indices is None:
            self._draw()
        return self._indices

    @property
    def weights(self):
        if self._weights is None:
            self._draw()
        return self._weights

    @weights.setter
    def weights(self, value):
        self._weights = np.ascontiguousarray(value, dtype=np.float32)

    @property
    def delays(self):
        if self.has_delays and self._delays is None:
            self._draw()
        return self._delays

    def write_into(self, indices, weights, delay_steps, dt):
        """Put the synapses in indices and weights and their delays in steps of dt into
        delay_steps (if they have delays), then keep indices and weights as views."""
        if self._indices is None:
            self._write(indices, weights, delay_steps if self.has_delays else None,
                        dt if self.has_delays else None, last=True)
        else:
            if self.has_delays and not self.sorted_by_delay:
                sort_rows_by_delay(self.indptr, self._indices, self._weights, self._delays)
                self.sorted_by_delay = True
            indices[:] = self._indices
            weights[:] = self._weights
            if self.has_delays and self._delays is None and self._steps_dt == dt:
                delay_steps[:] = self._steps   # rebuilt (restart): the steps are known
            elif self.has_delays:
                steps_of(self.delays, dt, delay_steps)
        self._indices, self._weights = indices, weights
        if self.has_delays:
            self._steps, self._steps_dt = delay_steps, dt

    @property
    def n_synapses(self):
        return int(self.indptr[-1]) if self.indptr.size else 0

    def to_scipy(self):
        n_pre = self.indptr.shape[0] - 1
        return sp.csr_matrix((self.weights, self.indices, self.indptr),
                             shape=(n_pre, self.n_post))


def _bernoulli_csr(n_pre, n_post, p, skip_diagonal, seed):
    """(indptr, indices) of independent connections with probability p per pair."""
    capacity = int(n_pre * n_post * p * 1.1) + 64
    while True:
        indptr = np.zeros(n_pre + 1, np.int64)
        indices = np.empty(capacity, np.int32)
        n = _bernoulli_rows(n_pre, n_post, p, skip_diagonal, seed, indptr, indices)
        if n >= 0:
            return indptr, indices[:n].copy()
        capacity *= 2        # drawn again from the same seed: the same synapses


@njit(cache=True)
def _bernoulli_rows(n_pre, n_post, p, skip_diagonal, seed, indptr, indices):
    """Fill indptr and indices; return the number of synapses, or -1 if indices is too
    short. Allocates nothing (numba compiles an allocation's code in seconds)."""
    np.random.seed(seed)
    n = 0
    if p <= 0.0:
        return 0
    log_q = np.log1p(-p) if p < 1.0 else -np.inf
    for i in range(n_pre):
        j = -1
        while True:
            if p >= 1.0:
                j += 1
            else:
                # Geometric gap to the next synapse: O(synapses), not O(pairs).
                j += 1 + int(np.floor(np.log(1.0 - np.random.random()) / log_q))
            if j >= n_post:
                break
            if skip_diagonal and j == i:
                continue
            if n == indices.shape[0]:
                return -1
            indices[n] = j
            n += 1
        indptr[i + 1] = n
    return n


@njit(cache=True)
def _fixed_indegree_csr(n_pre, n_post, k, skip_diagonal, seed):
    np.random.seed(seed)
    pre_of = np.empty(n_post * k, np.int32)
    taken = np.zeros(n_pre, np.bool_)
    pool = n_pre - 1 if skip_diagonal else n_pre
    for i in range(n_post):
        # Floyd's algorithm: k distinct draws from the pool, which skips i itself if asked.
        for m in range(k):
            top = pool - k + m
            r = np.random.randint(0, top + 1)
            pick = top if taken[r] else r
            taken[pick] = True
            pre_of[i * k + m] = pick
        for m in range(k):
            taken[pre_of[i * k + m]] = False
            if skip_diagonal and pre_of[i * k + m] >= i:
                pre_of[i * k + m] += 1
    # Counting sort into rows by presynaptic neuron; postsynaptic order ascending.
    indptr = np.zeros(n_pre + 1, np.int64)
    for e in range(n_post * k):
        indptr[pre_of[e] + 1] += 1
    for j in range(n_pre):
        indptr[j + 1] += indptr[j]
    fill = indptr[:-1].copy()
    indices = np.empty(n_post * k, np.int32)
    for e in range(n_post * k):
        j = pre_of[e]
        indices[fill[j]] = e // k
        fill[j] += 1
    return indptr, indices


def _fixed_total_indptr(n_pre, n_syn, seed):
    """Row sizes of n_syn synapses whose presynaptic cells are uniform draws: multinomial,
    one binomial draw per row."""
    rng = np.random.default_rng([seed, 11])
    sizes = np.zeros(n_pre, np.int64)
    left = n_syn
    for i in range(n_pre - 1):
        sizes[i] = rng.binomial(left, 1.0 / (n_pre - i))
        left -= sizes[i]
    sizes[-1] = left
    return np.concatenate(([0], np.cumsum(sizes)))


def _check_room(rule, n_pre, n_post, *, weight, p, indegree, n_synapses):
    """Refuse a projection whose expected synapses (12 bytes each) cannot fit in memory."""
    pairs = float(n_pre) * float(n_post)
    expected = None
    if rule == "probability" and isinstance(p, numbers.Real) and not isinstance(p, bool):
        expected = pairs * min(max(float(p), 0.0), 1.0)
    elif rule == "all_to_all" and not (isinstance(weight, numbers.Real) or weight is None):
        expected = pairs      # a matrix or an expression: one entry per pair
    elif rule in ("fixed_indegree", "convergence", "divergence", "fixed_outdegree") and \
            isinstance(indegree, numbers.Integral) and not isinstance(indegree, bool):
        expected = float(indegree) * (n_pre if rule in ("divergence", "fixed_outdegree")
                                      else n_post)
    elif rule == "fixed_total_number" and isinstance(n_synapses, numbers.Integral):
        expected = float(n_synapses)
    if expected is not None:
        val.fits(f"{rule} from {n_pre} onto {n_post} cells (about {expected:.3g} synapses)",
                 expected * 12, owner="connect")


def _check_room_sampled(p_fn, pre, post, pre_idx, post_idx, seed):
    """Refuse, before its pairs are counted, a p expression whose synapses cannot fit.

    The mean p is estimated on ``P_SAMPLE`` candidate pairs drawn from a stream
    of their own (the projection's draws are unchanged); below ``P_SAMPLE_ABOVE``
    pairs, counting them costs less than guessing.
    """
    pairs = float(pre_idx.size) * float(post_idx.size)
    if pairs < P_SAMPLE_ABOVE:
        return
    rng = np.random.default_rng([seed, 29])
    I = pre_idx[rng.integers(0, pre_idx.size, P_SAMPLE)]
    J = post_idx[rng.integers(0, post_idx.size, P_SAMPLE)]
    prob = np.asarray(p_fn(PairVariables(pre, post, I, J), rng, P_SAMPLE), float)
    mean = float(np.mean(np.clip(np.nan_to_num(prob), 0.0, 1.0)))
    expected = mean * pairs
    val.fits(f"probability from {pre.n} onto {post.n} cells (about {expected:.3g} synapses: "
             f"{pairs:.3g} pairs at a mean p of {mean:.3g}, estimated on {P_SAMPLE} of them)",
             expected * 12, owner="connect")


def _is_expression(value):
    return isinstance(value, str) or callable(value)


def build(rule, pre, post, *, weight, seed, autapses=False, p=None, indegree=None,
          J_plus=None, sigma=None, profile="gaussian", nsyn=None, pre_select=None,
          post_select=None, delay=None, n_synapses=None):
    """Draw a projection's synapses and store them as Uniform, Circulant, Dense or CSR."""
    owner = "connect"
    val.choice("rule", rule, RULES, owner=owner)
    if rule == "fixed_outdegree":
        rule = "divergence"
    n_pre, n_post = pre.n, post.n
    skip_diag = pre is post and not autapses
    _check_room(rule, n_pre, n_post, weight=weight, p=p, indegree=indegree,
                n_synapses=n_synapses)
    if (rule == "fixed_total_number") != (n_synapses is not None):
        raise val.ParameterError(
            "connect: n_synapses (an integer) goes with rule='fixed_total_number', and that "
            f"rule needs it; got rule={rule!r}, n_synapses={n_synapses!r}")
    if isinstance(weight, Normal) or isinstance(delay, Normal):
        return _with_distributions(rule, pre, post, weight=weight, delay=delay, seed=seed,
                                   skip_diag=skip_diag, p=p, indegree=indegree,
                                   n_synapses=n_synapses)
    if rule != "ring" and (J_plus is not None or sigma is not None):
        raise val.ParameterError(
            f"connect: J_plus and sigma belong to rule='ring', not rule={rule!r}")
    general = (rule == "divergence" or _is_expression(weight) or _is_expression(p)
               or _is_expression(delay) or nsyn is not None or pre_select is not None
               or post_select is not None)
    if general:
        if rule in ("ring", "array", "fixed_total_number"):
            raise val.ParameterError(
                f"connect: rule={rule!r} takes neither expressions nor nsyn, pre_select, "
                "post_select (a weight or delay drawn per synapse: ln.Normal)")
        return _pairwise(rule, pre, post, weight=weight, p=p, k=indegree, nsyn=nsyn,
                         skip_diag=skip_diag, seed=seed, pre_select=pre_select,
                         post_select=post_select,
                         delay=delay if _is_expression(delay) else None)
    if rule == "convergence":
        rule = "fixed_indegree"
    if rule in ("fixed_total_number", "one_to_one"):
        return _with_distributions(rule, pre, post, weight=weight, delay=None, seed=seed,
                                   skip_diag=skip_diag, p=None, indegree=None,
                                   n_synapses=n_synapses)
    if rule == "array":
        if isinstance(weight, CSR):
            return _given_csr(weight, pre, post, skip_diag)
        if sp.issparse(delay):
            return _from_arrays_with_delays(weight, delay, n_pre, n_post, skip_diag)
        return _from_array(weight, n_pre, n_post, skip_diag)
    if rule == "all_to_all":
        if val.ndim("weight", weight, owner=owner) == 0:
            return Uniform(_weight(weight, owner), n_pre, n_post, skip_diag)
        matrix = _weights(weight, owner,
                                  shape=(n_pre, n_post)).astype(np.float32)
        if skip_diag:
            np.fill_diagonal(matrix, 0.0)
        return Dense(matrix)
    if rule == "ring":
        return _ring(weight, pre, post, skip_diag, J_plus, sigma, profile)
    w = (_weight(weight, owner)
         if val.ndim("weight", weight, owner=owner) == 0 else None)
    if w is None:
        raise val.ParameterError(
            f"connect: rule={rule!r} takes a scalar weight (µS); got shape {np.shape(weight)}. "
            "Use rule='array' for explicit weights.")
    indptr, indices = _structure(rule, pre, post, skip_diag, seed, p=p, indegree=indegree)
    return CSR(indptr, indices, np.full(indices.shape[0], w, np.float32), n_post)


def _given_csr(csr, pre, post, skip_diag):
    """A CSR given as the weights of ``rule="array"``, checked against the populations."""
    owner = "connect"
    if csr.indptr.size != pre.n + 1 or csr.n_post != post.n:
        raise val.ParameterError(
            f"{owner}: the CSR's synapses are from {csr.indptr.size - 1} onto {csr.n_post} "
            f"cells; {pre.name!r} has {pre.n}, {post.name!r} {post.n}")
    if csr.is_pending():
        return csr       # (its writer checks what it writes: lifnet.io.edges)
    if csr.n_synapses and (csr.indices.min() < 0 or csr.indices.max() >= post.n):
        raise val.ParameterError(
            f"{owner}: the CSR has target indices outside 0 ... {post.n - 1} ({post.name!r})")
    if skip_diag and csr.n_synapses:
        rows = np.repeat(np.arange(pre.n, dtype=np.int32), np.diff(csr.indptr))
        if np.any(rows == csr.indices):
            raise val.ParameterError(
                f"{owner}: the CSR connects cells of {pre.name!r} to themselves; pass "
                "autapses=True to keep them")
    return csr


def _structure(rule, pre, post, skip_diag, seed, *, p=None, indegree=None, n_synapses=None):
    """(indptr, indices) of the rules that draw no value per pair."""
    owner = "connect"
    n_pre, n_post = pre.n, post.n
    if rule == "one_to_one":
        if n_pre != n_post:
            raise val.ParameterError(
                f"connect: rule='one_to_one' needs populations of one size; {pre.name!r} has "
                f"{n_pre}, {post.name!r} {n_post}")
        if skip_diag:
            raise val.ParameterError(
                "connect: rule='one_to_one' from a population onto itself connects each "
                "neuron to itself: pass autapses=True")
        return np.arange(n_pre + 1, dtype=np.int64), np.arange(n_post, dtype=np.int32)
    if rule == "fixed_total_number":
        k = val.count("n_synapses", n_synapses, owner=owner, low=0)
        if skip_diag and n_post < 2:
            raise val.ParameterError(
                "connect: rule='fixed_total_number' without autapses needs 2 or more neurons")
        if k > np.iinfo(np.int64).max // 16:
            raise val.ParameterError(f"connect: n_synapses={k} is too large")
        return _fixed_total_indptr(n_pre, k, seed), None
    if rule == "probability":
        if p is None:
            raise val.ParameterError("connect: rule='probability' needs p (0 <= p <= 1)")
        p = val.number("p", p, owner=owner, low=0.0, high=1.0)
        return _bernoulli_csr(n_pre, n_post, p, skip_diag, seed)
    if indegree is None:
        raise val.ParameterError(
            "connect: rules 'fixed_indegree' and 'convergence' need indegree (an integer)")
    k = val.count("indegree", indegree, owner=owner, low=0)
    available = n_pre - 1 if skip_diag else n_pre
    if k > available:
        raise val.ParameterError(
            f"connect: indegree={k} exceeds the {available} available presynaptic neurons")
    return _fixed_indegree_csr(n_pre, n_post, k, skip_diag, seed)


def _with_distributions(rule, pre, post, *, weight, delay, seed, skip_diag, p, indegree,
                        n_synapses):
    """A CSR whose synapses draw their weight and/or delay from Normal distributions."""
    owner = "connect"
    if rule not in DISTRIBUTION_RULES:
        raise val.ParameterError(
            f"connect: a weight or delay drawn from a distribution needs one of the rules "
            f"{', '.join(DISTRIBUTION_RULES)}; got rule={rule!r}")
    for name, value in (("weight", weight), ("delay", delay)):
        if not (value is None or isinstance(value, Normal)
                or val.ndim(name, value, owner=owner) == 0) or _is_expression(value):
            raise val.ParameterError(
                f"connect: with a distribution, {name} must be a number or a Normal, got "
                f"{value!r}")
    indptr, indices = _structure(rule, pre, post, skip_diag, seed, p=p, indegree=indegree,
                                 n_synapses=n_synapses)
    n = int(indptr[-1])
    draw_targets = indices is None     # (fixed_total_number: drawn with the values)
    if draw_targets:
        indices = np.empty(n, np.int32)
    w = weight.params() if isinstance(weight, Normal) else (
        _weight(weight, owner), 0.0, -np.inf, np.inf, 0.0)
    with_delays = isinstance(delay, Normal)
    weights = np.empty(n, np.float32)
    delays = np.empty(n if with_delays else 0, np.float32)
    _draw_rows(indptr, post.n, skip_diag, seed, indices, weights, delays, w,
               delay.params() if with_delays else NO_DISTRIBUTION, draw_targets=draw_targets)
    return CSR(indptr, indices, weights, post.n, delays if with_delays else None,
               sorted_by_delay=with_delays)


MAX_REDRAWS = 1 << 30   # a Normal has at least 1e-6 of its mass in bounds: never reached
NO_DISTRIBUTION = (0.0, 0.0, 0.0, 0.0, 0.0)


@njit(cache=True, inline="always")
def _redrawn(S, dist, first):
    """A draw of a Normal's params() from stream S, redrawn until in bounds (the first
    try is ``first``, a standard normal), then rounded to its resolution."""
    mean, sd, low, high, resolution = dist
    x = mean + sd * first
    if sd > 0.0:
        for _ in range(MAX_REDRAWS):
            if low <= x <= high:
                break
            x = mean + sd * _standard_normal_pair(S)[0]
    if resolution > 0.0:
        x = max(np.rint(x / resolution), 1.0 if low > 0.0 else -np.inf) * resolution
    return x


@njit(cache=True, inline="always")
def _standard_normal_pair(S):
    """Two independent standard normals (Box-Muller, both halves)."""
    radius = math.sqrt(-2.0 * math.log(unit(S)))
    angle = 2.0 * math.pi * unit(S)
    return radius * math.cos(angle), radius * math.sin(angle)


@njit(cache=True, nogil=True)
def _fill_rows(first, stop, indptr, n_post, skip_diagonal, draw_targets, k0, k1, indices,
               weights, delays, w, d):
    """Rows first ... stop - 1: targets (if draw_targets: uniform, autapses skipped if
    asked), weights and delays (if delays has room), each row from its own stream, so
    that any split of the rows among threads gives the same synapses. Rows with delays
    are sorted by delay."""
    with_delays = delays.shape[0] > 0
    longest = 1
    for r in range(first, stop):
        longest = max(longest, indptr[r + 1] - indptr[r])
    tJ = np.empty(longest, np.int32)
    tW = np.empty(longest, np.float32)
    tD = np.empty(longest, np.float32)
    count = np.empty(longest + 1, np.int64)
    bucket = np.empty(longest, np.int64)
    S = np.empty(1, np.uint64)
    pool = n_post - 1 if skip_diagonal else n_post
    for r in range(first, stop):
        S[0] = row_state(r, 23, k0, k1)
        lo, m = indptr[r], indptr[r + 1] - indptr[r]
        for q in range(m):
            if draw_targets:
                j = min(int(unit(S) * pool), pool - 1)
                if skip_diagonal and j >= r:
                    j += 1
                tJ[q] = j
            else:
                tJ[q] = indices[lo + q]
            z1, z2 = _standard_normal_pair(S)
            tW[q] = _redrawn(S, w, z1)
            if with_delays:
                tD[q] = _redrawn(S, d, z2)
        if with_delays:
            scatter_by_delay(tJ, tW, tD, m, indices, weights, delays, lo, count, bucket)
        else:
            indices[lo:lo + m] = tJ[:m]
            weights[lo:lo + m] = tW[:m]


def _draw_rows(indptr, n_post, skip_diag, seed, indices, weights, delays, w, d, *,
               draw_targets):
    """_fill_rows over all rows, in chunks of about equal synapse counts on numba's threads."""
    k0, k1 = split_seed(int(seed % (1 << 63)))
    n_rows = indptr.shape[0] - 1
    parts = max(1, min(n_rows, 8 * numba.get_num_threads()))
    cuts = np.searchsorted(indptr, np.linspace(0, indptr[-1], parts + 1)[1:-1])
    bounds = np.unique(np.concatenate(([0], np.clip(cuts, 0, n_rows), [n_rows])))
    chunks = list(zip(bounds[:-1], bounds[1:], strict=True))

    def fill(chunk):
        _fill_rows(int(chunk[0]), int(chunk[1]), indptr, n_post, skip_diag, draw_targets,
                   k0, k1, indices, weights, delays, w, d)

    on_threads(fill, chunks)


def _from_array(weight, n_pre, n_post, skip_diag):
    if weight is None:
        raise val.ParameterError("connect: rule='array' needs weight, an (n_pre, n_post) matrix")
    if sp.issparse(weight):
        if weight.shape != (n_pre, n_post):
            raise val.ParameterError(
                f"connect: weight has shape {weight.shape}; expected ({n_pre}, {n_post})")
        m = sp.csr_matrix(weight, dtype=np.float64)
        m.sum_duplicates()
        _weights(m.data, "connect")
        if skip_diag:
            m.setdiag(0.0)
        m.eliminate_zeros()
        m.sort_indices()
        if m.nnz > DENSE_ABOVE * n_pre * n_post:
            return Dense(m.toarray())
        return CSR(m.indptr, m.indices, m.data, n_post)
    matrix = _weights(weight, "connect", shape=(n_pre, n_post))
    if skip_diag:
        matrix = matrix.copy()
        np.fill_diagonal(matrix, 0.0)
    if np.count_nonzero(matrix) > DENSE_ABOVE * n_pre * n_post:
        return Dense(matrix)
    m = sp.csr_matrix(matrix)
    return CSR(m.indptr, m.indices, m.data, n_post)


def _from_arrays_with_delays(weight, delay, n_pre, n_post, skip_diag):
    """CSR of explicit synapses, each with its own delay: weight and delay are sparse
    matrices (µS and ms) that store the same (pre, post) pairs, each pair once."""
    if not sp.issparse(weight):
        raise val.ParameterError(
            "connect: with a sparse delay matrix, weight must be a sparse matrix storing "
            "the same (pre, post) pairs")
    w, d = sp.coo_matrix(weight), sp.coo_matrix(delay)
    for name, m in (("weight", w), ("delay", d)):
        if m.shape != (n_pre, n_post):
            raise val.ParameterError(
                f"connect: {name} has shape {m.shape}; expected ({n_pre}, {n_post})")
    if not (np.array_equal(w.row, d.row) and np.array_equal(w.col, d.col)):
        raise val.ParameterError(
            "connect: weight and delay must store the same (pre, post) pairs in the same "
            "order")
    values = val.finite_array("weight", w.data, owner="connect").astype(np.float64)
    delays = val.finite_array("delay", d.data, owner="connect").astype(np.float64)
    keep = w.row != w.col if skip_diag else np.ones(w.nnz, bool)
    row, col = w.row[keep].astype(np.int64), w.col[keep].astype(np.int64)
    order = np.lexsort((col, row))
    row, col = row[order], col[order]
    twice = np.flatnonzero((np.diff(row) == 0) & (np.diff(col) == 0))
    if twice.size:
        k = twice[0]
        raise val.ParameterError(
            f"connect: the pair (pre {row[k]}, post {col[k]}) is stored twice; with a delay "
            "per synapse each pair has one synapse (connect again for a second one)")
    indptr = np.zeros(n_pre + 1, np.int64)
    np.cumsum(np.bincount(row, minlength=n_pre), out=indptr[1:])
    return CSR(indptr, col, values[keep][order], n_post, delays=delays[keep][order])


def _ring(weight, pre, post, skip_diag, J_plus, sigma, profile):
    owner = "connect"
    for which, pop in (("pre", pre), ("post", post)):
        if not is_ring(pop):
            raise val.ParameterError(
                f"connect: rule='ring' needs ring populations; {which}={pop.name!r} is a "
                f"{type(pop).__name__} (use PyrRingPop or InterRingPop)")
    if J_plus is None or sigma is None:
        raise val.ParameterError(
            "connect: rule='ring' needs J_plus (peak of the footprint, >= 1) and sigma "
            "(its width, degrees)")
    w = (_weight(weight, owner)
         if val.ndim("weight", weight, owner=owner) == 0 else None)
    if w is None:
        raise val.ParameterError(
            f"connect: rule='ring' takes a scalar weight (µS), got shape {np.shape(weight)}")
    J_plus = val.number("J_plus", J_plus, owner=owner, low=1.0)
    sigma = val.number("sigma", sigma, owner=owner, low=0.0, low_open=True, high=360.0)
    val.choice("profile", profile, RING_PROFILES, owner=owner)
    if pre.n == post.n:
        kernel = w * ring_kernel(2.0 * np.pi * np.arange(pre.n) / pre.n, J_plus=J_plus,
                                 sigma=sigma, profile=profile)
        if skip_diag:
            kernel[0] = 0.0
        return Circulant(kernel)
    matrix = w * ring_kernel(post.theta[None, :] - pre.theta[:, None], J_plus=J_plus,
                             sigma=sigma, profile=profile)
    return Dense(matrix)


class PairVariables(dict):
    """The variables of candidate pairs (I, J), computed when an expression asks for them."""

    def __init__(self, pre, post, I, J):
        super().__init__()
        self._pre, self._post, self._I, self._J = pre, post, I, J

    def _coords(self, pop, idx, name):
        if getattr(pop, "positions", None) is None:
            raise val.ParameterError(
                f"connect: {name} needs positions of population {pop.name!r}; give them with "
                "Network.add(..., positions=...)")
        k = COORDINATES.index(name.split("_", 1)[1])
        table = pop.positions if k < 3 else pop.norm_positions
        return table[idx, k % 3]

    def __missing__(self, name):
        if name.startswith("pre_"):
            value = self._coords(self._pre, self._I, name)
        elif name.startswith("post_"):
            value = self._coords(self._post, self._J, name)
        elif name in ("dist_x", "dist_y", "dist_z"):
            c = name[-1]
            value = np.abs(self[f"post_{c}"] - self[f"pre_{c}"])
        elif name == "dist_2D":   # in the x-z plane, across depth y (NetPyNE's convention)
            value = np.hypot(self["dist_x"], self["dist_z"])
        elif name == "dist_3D":
            value = np.sqrt(self["dist_x"] ** 2 + self["dist_y"] ** 2 + self["dist_z"] ** 2)
        else:
            raise KeyError(name)
        self[name] = value
        return value


def _select(pop, condition, name):
    """Local indices of the neurons of pop whose coordinates meet condition."""
    keep = np.ones(pop.n, dtype=bool)
    if condition is None:
        return np.arange(pop.n)
    if not isinstance(condition, dict):
        raise val.ParameterError(
            f"connect: {name}={condition!r} must be a dict such as {{'y': (100, 1000)}}")
    everyone = PairVariables(pop, pop, np.arange(pop.n), np.arange(pop.n))
    for key, bounds in condition.items():
        if key not in COORDINATES:
            raise val.ParameterError(
                f"connect: {name} key {key!r} is not one of {list(COORDINATES)}")
        where = f"{name}[{key!r}]"
        if (isinstance(bounds, (str, bytes)) or val.ndim(where, bounds, owner="connect") != 1
                or len(bounds) != 2):
            raise val.ParameterError(
                f"connect: {name}[{key!r}]={bounds!r} must be a pair (low, high)")
        lo, hi = (val.number(f"{name}[{key!r}]", b, owner="connect") for b in bounds)
        values = everyone[f"pre_{key}"]
        keep &= (values >= lo) & (values <= hi)
    return np.flatnonzero(keep)


FLOAT32_MAX = float(np.finfo(np.float32).max)   # weights are stored as float32


def _weight(value, owner):
    """A weight (number) that float32 storage holds."""
    return val.number("weight", value, owner=owner, low=-FLOAT32_MAX, high=FLOAT32_MAX)


def _weights(value, owner, shape=None):
    """An array of weights that float32 storage holds."""
    arr = val.finite_array("weight", value, owner=owner, shape=shape)
    if arr.size and np.abs(arr).max() > FLOAT32_MAX:
        raise val.ParameterError(f"{owner}: weight has magnitudes up to {np.abs(arr).max():g}; "
                                 f"stored as float32, at most {FLOAT32_MAX:g}")
    return arr


def _coordinate_table(pop, needed, owner):
    """(n, 6) x, y, z, xnorm, ynorm, znorm of a population (zeros if none are needed)."""
    if getattr(pop, "positions", None) is not None:
        return np.ascontiguousarray(np.hstack((pop.positions, pop.norm_positions)))
    if needed:
        raise val.ParameterError(
            f"{owner}: {sorted(needed)[0]} needs positions of population {pop.name!r}; give "
            "them with Network.add(..., positions=...)")
    return np.zeros((pop.n, 6))


def _parsed(pre, post, owner, **values):
    """Expressions parsed and numbers checked, and the coordinate tables they need."""
    def parse(value, name):
        if isinstance(value, str):
            # A constant expression is its number: nothing to compile for it.
            expr = Expression(value, allowed=PAIR_VARIABLES, owner=f"{owner} ({name})")
            value = expr.constant()
            if value is None:
                return expr
        return None if value is None else val.number(name, value, owner=owner)

    values = {name: parse(value, name) for name, value in values.items()}
    used = set().union(*(v.names() for v in values.values() if isinstance(v, Expression)))
    P = _coordinate_table(pre, {u for u in used if not u.startswith("post_")}, owner)
    Q = _coordinate_table(post, {u for u in used if not u.startswith("pre_")}, owner)
    return values, P, Q


def _compiled_pairs(pre, post, pre_idx, post_idx, *, p, weight, nsyn, delay, skip_diag, seed):
    """Draw pairs with the expressions compiled (numba); returns the CSR."""
    owner = "connect"
    values, P, Q = _parsed(pre, post, owner, p=p, weight=weight, nsyn=nsyn, delay=delay)
    if values["p"] is not None and not isinstance(values["p"], Expression) and not (
            0 <= values["p"] <= 1):
        raise val.ParameterError(f"{owner}: p={values['p']} must be in [0, 1]")
    indptr, write, bad, bad_p, delay_range = draw(
        values["p"], values["weight"], values["delay"], values["nsyn"], P=P, Q=Q,
        pre_idx=pre_idx, post_idx=post_idx, n_pre=pre.n, skip_diag=skip_diag,
        seed=int(seed % (1 << 63)))
    if bad_p:
        raise val.ParameterError(f"{owner}: the expression p={values['p'].text!r} gave values "
                                 f"outside [0, 1] (or NaN) for {bad_p} pairs")
    if bad:
        raise val.ParameterError(f"{owner}: an expression gave a weight that is not finite or "
                                 "beyond float32, a non-finite delay, or a non-finite or "
                                 f"negative nsyn, for {bad} pairs")
    return CSR.pending(indptr, post.n, write, delay_range)


def _owners_and_partners(rule, pre_idx, post_idx, k, skip_diag):
    """(per post?, owners, partners) of a k-partner rule, once k is known to fit."""
    per_post = rule != "divergence"
    owners, partners = (post_idx, pre_idx) if per_post else (pre_idx, post_idx)
    available = partners.size - (1 if skip_diag else 0)
    if k > available:
        raise val.ParameterError(
            f"connect: indegree={k} exceeds the {available} available partners")
    return per_post, owners, partners


def _compiled_partners(rule, pre, post, pre_idx, post_idx, *, k, weight, nsyn, delay,
                       skip_diag, seed):
    """k partners per neuron (convergence: per post; divergence: per pre), compiled."""
    owner = "connect"
    per_post, owners, partners = _owners_and_partners(rule, pre_idx, post_idx, k, skip_diag)
    values, P, Q = _parsed(pre, post, owner, weight=weight, nsyn=nsyn, delay=delay)
    I, J, W, D, bad = draw_partners(values["weight"], values["delay"], values["nsyn"], P=P,
                                    Q=Q, owners=owners, partners=partners, k=k,
                                    per_post=per_post, skip_diag=skip_diag,
                                    seed=int(seed % (1 << 63)))
    if bad:
        raise val.ParameterError(f"{owner}: an expression gave a weight that is not finite or "
                                 "beyond float32, a non-finite delay, or a non-finite or "
                                 f"negative nsyn, for {bad} pairs")
    order = np.argsort(I, kind="stable") if per_post else np.arange(I.size)
    indptr = np.concatenate(([0], np.cumsum(np.bincount(I, minlength=pre.n))))
    return CSR(indptr, J[order], W[order], post.n, None if D is None else D[order])


def _pairwise(rule, pre, post, *, weight, p, k, nsyn, skip_diag, seed, pre_select,
              post_select, delay):
    owner = "connect"
    rng = np.random.default_rng(seed)
    pre_idx = _select(pre, pre_select, "pre_select")
    post_idx = _select(post, post_select, "post_select")
    w_fn = compile_value(weight, name="weight", allowed=PAIR_VARIABLES, owner=owner)
    n_fn = None if nsyn is None else compile_value(nsyn, name="nsyn", allowed=PAIR_VARIABLES,
                                                   owner=owner)
    d_fn = None if delay is None else compile_value(delay, name="delay",
                                                    allowed=PAIR_VARIABLES, owner=owner)
    if rule == "probability":
        if p is None:
            raise val.ParameterError("connect: rule='probability' needs p")
        p_fn = compile_value(p, name="p", allowed=PAIR_VARIABLES, owner=owner)
        if _is_expression(p):
            _check_room_sampled(p_fn, pre, post, pre_idx, post_idx, seed)
    elif p is not None:
        raise val.ParameterError(f"connect: p belongs to rule='probability', not {rule!r}")
    if rule in ("fixed_indegree", "convergence", "divergence"):
        if k is None:
            raise val.ParameterError(f"connect: rule={rule!r} needs indegree (an integer: "
                                     "partners per neuron)")
        k = val.count("indegree", k, owner=owner, low=0)
        if all(compilable(v) for v in (weight, nsyn, delay)):
            return _compiled_partners(rule, pre, post, pre_idx, post_idx, k=k, weight=weight,
                                      nsyn=nsyn, delay=delay, skip_diag=skip_diag, seed=seed)
    pieces = []

    def finish(I, J):
        if I.size == 0:
            return
        env = PairVariables(pre, post, I, J)
        w = w_fn(env, rng, I.size)
        if n_fn is not None:
            counts = np.rint(n_fn(env, rng, I.size))
            if not np.all(np.isfinite(counts)) or counts.min(initial=0) < 0:
                raise val.ParameterError("connect: nsyn gave a non-finite or negative number "
                                         "of synapses")
            w = w * counts
        if not np.all(np.abs(w) <= FLOAT32_MAX):
            raise val.ParameterError("connect: the weight expression gave a value that is not "
                                     "finite or beyond float32")
        d = np.zeros(I.size) if d_fn is None else d_fn(env, rng, I.size)
        if not np.all(np.isfinite(d)):
            raise val.ParameterError("connect: the delay expression gave a non-finite value")
        keep = w != 0.0
        pieces.append((I[keep], J[keep], w[keep], d[keep]))

    if rule in ("all_to_all", "probability") and all(
            compilable(v) for v in (p, weight, nsyn, delay)):
        return _compiled_pairs(pre, post, pre_idx, post_idx, p=p, weight=weight, nsyn=nsyn,
                               delay=delay, skip_diag=skip_diag, seed=seed)
    if rule in ("all_to_all", "probability"):
        rows = max(1, PAIR_BLOCK // max(1, post_idx.size))
        for b0 in range(0, pre_idx.size, rows):
            block = pre_idx[b0:b0 + rows]
            I = np.repeat(block, post_idx.size)
            J = np.tile(post_idx, block.size)
            if skip_diag:
                I, J = I[I != J], J[I != J]
            if rule == "probability":
                prob = p_fn(PairVariables(pre, post, I, J), rng, I.size)
                if not np.all((prob >= 0.0) & (prob <= 1.0)):
                    raise val.ParameterError(
                        f"connect: p gave values outside [0, 1] (or NaN) for "
                        f"{np.count_nonzero(~((prob >= 0.0) & (prob <= 1.0)))} pairs")
                chosen = rng.random(I.size) < prob
                I, J = I[chosen], J[chosen]
            finish(I, J)
    elif rule == "one_to_one":
        _structure(rule, pre, post, skip_diag, seed)        # (its checks of the sizes)
        both = np.intersect1d(pre_idx, post_idx)
        finish(both, both)
    else:
        # k distinct partners per neuron, drawn among the selected candidates.
        per_post, owners, partners = _owners_and_partners(rule, pre_idx, post_idx, k,
                                                          skip_diag)
        rows = max(1, PAIR_BLOCK // max(1, partners.size))
        for b0 in range(0, owners.size, rows):
            block = owners[b0:b0 + rows]
            keys = rng.random((block.size, partners.size))
            if skip_diag:
                keys[partners[None, :] == block[:, None]] = 2.0   # never among the k smallest
            pick = np.argsort(keys, axis=1)[:, :k]
            mine = np.repeat(block, k)
            theirs = partners[pick].ravel()
            I, J = (theirs, mine) if per_post else (mine, theirs)
            finish(I, J)
    if pieces:
        I, J, W, D = (np.concatenate(a) for a in zip(*pieces, strict=True))
    else:
        I, J, W, D = np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), np.zeros(0)
    # Each pair is drawn once, so sorting by (pre, post) gives the CSR order.
    order = np.lexsort((J, I))
    indptr = np.concatenate(([0], np.cumsum(np.bincount(I, minlength=pre.n))))
    return CSR(indptr, J[order], W[order], post.n, None if d_fn is None else D[order])
