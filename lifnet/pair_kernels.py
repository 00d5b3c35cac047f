"""Compiled connection drawing for expression rules, in time proportional to the synapses.

``Expression`` trees (``lifnet.expressions``) are translated to the source of
small numba functions of one pair: rows ``a`` and ``b`` of the pre and post
coordinate tables ``P``, ``Q`` (x, y, z, xnorm, ynorm, znorm) and a random
state ``S``. Only the node
types ``Expression`` accepts can appear, so the generated source contains
nothing but arithmetic on the pair's coordinates, numbers, and the listed
functions. A probability expression also gets an *interval* twin: the range
of p over every postsynaptic position in a box, by interval arithmetic.

Drawing a projection (``draw``):

1. With p an expression, the postsynaptic candidates are put in Morton (Z)
   order of their positions and cut into blocks of ``BLOCK`` cells, each with
   its bounding box.
2. For each presynaptic row and each block, ``p_max`` bounds p over the
   block. Candidates are visited by geometric skips at rate ``p_max`` and kept
   with probability ``p / p_max`` (thinning): every pair is still kept with
   probability exactly p, but a block where p is small costs almost nothing.
   A constant p is one block at rate p. Where the bound is not informative
   (a random function in p, say) every pair is tested.
3. Each row's synapses are sorted by delay when they have one each (delivery
   bisects the row). Otherwise they stay in candidate order: increasing
   postsynaptic index for a constant p, spatial (Morton) order for an expression.

This happens twice. At ``connect`` a count pass finds each row's number of
synapses (and checks weights and delays), marking the connected candidates
in a bit set when that costs at most ``BITS_PER_SYNAPSE`` bits a synapse.
When the network is assembled, a fill pass writes the synapses straight into
its storage, reading the bit set instead of drawing the candidates again.
Every synapse's bytes are thus written once, into memory allocated once.

The kernels themselves are in ``pair_kernel_template.py``: each rule gets a
copy with its expressions compiled in, kept in lifnet's cache folder, so that
numba compiles a rule once and later processes load it (``rule_module``).

Random numbers come from splitmix64 streams per presynaptic row (one for the
candidates, one for weights, one for delays), seeded by Philox from
(projection seed, row): rows are independent, so the rows are drawn in chunks
on a thread pool (the kernels release the GIL) and the synapses do not depend
on the number of threads.
"""

import hashlib
import importlib.util
import math
import os
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np
from numba import uint64

from . import pair_functions
from .expressions import Expression
from .integrators.philox import split_seed
from .kernel_cache import kernel_folder, njit
from .pair_functions import HELPERS_IMPORT, bound_source, function_source

BLOCK = 128             # postsynaptic candidates per bounding box
SKIP_BELOW = 0.15       # p_max below which candidates are found by geometric skips
CHUNKS_PER_THREAD = 8
PAIRS_PER_CHUNK = 1 << 26  # at most: Ctrl-C is seen between chunks, within about a second
BITS_LIMIT = 256 << 20  # bytes: largest bit set of connected candidates kept per projection
BITS_PER_SYNAPSE = 16   # ... and only if it costs at most this many bits a synapse
EXPRESSIONS_LINE = "p_fn = bound_fn = w_fn = d_fn = n_fn = None  # EXPRESSIONS"
_rule_modules = {}      # generated kernel modules, by the hash of their source


@njit(cache=True, inline="always")
def _bit_index(low):
    """The position of the single set bit of low (a power of two), 0 ... 63."""
    k = 0
    for shift in (32, 16, 8, 4, 2, 1):
        if low >> uint64(shift):
            k += shift
            low >>= uint64(shift)
    return k


@njit(cache=True, inline="always")
def _times_count(w, nsyn):
    """w times nsyn rounded to a whole number of synapses; NaN (an error) if negative."""
    count = math.floor(nsyn + 0.5)
    return w * count if count >= 0.0 else np.nan


@njit(cache=True, inline="always")
def delay_steps(delay, dt):
    """A per-synapse delay (float32 ms) in steps of dt, as stored for delivery (float32).

    Within float32 rounding of a whole number of steps it is that number, so a
    delay of exactly k dt arrives k steps later, not a hair before.
    """
    d = delay / dt
    r = math.floor(d + 0.5)
    return np.float32(r if abs(d - r) < 2.5e-7 * max(1.0, d) else d)


@njit(cache=True)
def steps_of(delays, dt, out):
    """delay_steps of every delay, into out."""
    for q in range(delays.shape[0]):
        out[q] = delay_steps(delays[q], dt)


@njit(cache=True)
def scatter_by_delay(tJ, tW, tD, m, J, W, D, start, count, bucket):
    """Write the m synapses tJ, tW, tD to J, W, D from start, in increasing delay.

    A stable sort (equal delays keep their order, so the result is unique):
    counting sort into m buckets spanning the delays, then an insertion sort,
    which only moves a synapse within its bucket.
    """
    if m == 0:
        return
    low = high = tD[0]
    for i in range(1, m):
        low = min(low, tD[i])
        high = max(high, tD[i])
    if high == low:
        J[start:start + m] = tJ[:m]
        W[start:start + m] = tW[:m]
        D[start:start + m] = tD[:m]
        return
    scale = m / (float(high) - float(low))
    count[:m + 1] = 0
    for i in range(m):
        k = min(int((float(tD[i]) - float(low)) * scale), m - 1)
        bucket[i] = k
        count[k + 1] += 1
    for k in range(m):
        count[k + 1] += count[k]
    for i in range(m):
        t = start + count[bucket[i]]
        count[bucket[i]] += 1
        J[t], W[t], D[t] = tJ[i], tW[i], tD[i]
    for t in range(start + 1, start + m):
        j, w, d = J[t], W[t], D[t]
        s = t - 1
        while s >= start and D[s] > d:
            J[s + 1], W[s + 1], D[s + 1] = J[s], W[s], D[s]
            s -= 1
        J[s + 1], W[s + 1], D[s + 1] = j, w, d


def rule_module(p, weight, delay, nsyn):
    """The kernels (``draw_rows``, ``draw_partners``) compiled with a rule's expressions.

    ``pair_kernel_template.py`` with the expressions' source in place of its
    placeholder line, written to lifnet's cache folder (``LIFNET_CACHE_DIR``,
    else ~/.cache/lifnet) under the hash of its text and of lifnet's own pair
    modules, and imported: numba caches its compiled code beside it, so a rule
    compiles once, not in every process. p: an Expression or None; the others
    an Expression, a number or None.
    """
    defs = [function_source(0.0 if p is None else p, "p_fn"), bound_source(p, "bound_fn"),
            function_source(weight, "w_fn"), function_source(0.0 if delay is None else delay,
                                                             "d_fn"),
            function_source(1.0 if nsyn is None else nsyn, "n_fn")]
    decorated = "\n\n".join(f'@njit(cache=True, nogil=True, inline="always")\n{d}'
                              for d in defs)
    text = _TEMPLATE.replace(EXPRESSIONS_LINE, f"{HELPERS_IMPORT}\n\n\n{decorated}")
    digest = hashlib.sha256((text + _OWN_SOURCE).encode()).hexdigest()[:20]
    if digest not in _rule_modules:
        path = os.path.join(_cache_folder(), f"rule_{digest}.py")
        if not _holds(path, text):   # absent, or not what its name says: written again
            fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
            with os.fdopen(fd, "w") as f:
                f.write(text)
            os.replace(tmp, path)   # atomic: another process may be writing it too
        name = f"lifnet_rule_{digest}"
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        _rule_modules[digest] = module
    return _rule_modules[digest]


def _holds(path, text):
    """True if the file at path holds exactly text."""
    try:
        with open(path, encoding="utf-8") as f:
            return f.read() == text
    except (OSError, UnicodeDecodeError):
        return False


def _cache_folder():
    """Where rule modules go: beside lifnet's kernels, else a private temporary folder."""
    folder = kernel_folder()
    if folder is None:
        if _FALLBACK_FOLDER[0] is None:
            _FALLBACK_FOLDER[0] = tempfile.mkdtemp(prefix="lifnet-rules-")
        return _FALLBACK_FOLDER[0]
    rules = folder / "rules"
    rules.mkdir(mode=0o700, exist_ok=True)
    return str(rules)


_FALLBACK_FOLDER = [None]


def _read(module_file):
    with open(module_file) as f:
        return f.read()


_HERE = os.path.dirname(os.path.abspath(__file__))
_TEMPLATE = _read(os.path.join(_HERE, "pair_kernel_template.py"))
# Edits of the helpers the kernels inline must give new files: numba's cache of a
# file only checks that file.
_OWN_SOURCE = _read(os.path.abspath(__file__)) + _read(pair_functions.__file__)


def _spread_bits(v):
    """Insert two zero bits between the 10 low bits of each value (for Morton codes)."""
    v = v.astype(np.uint64) & np.uint64(0x3FF)
    v = (v | (v << np.uint64(16))) & np.uint64(0x030000FF)
    v = (v | (v << np.uint64(8))) & np.uint64(0x0300F00F)
    v = (v | (v << np.uint64(4))) & np.uint64(0x030C30C3)
    return (v | (v << np.uint64(2))) & np.uint64(0x09249249)


def spatial_blocks(Q, post_idx, block=BLOCK):
    """Candidates in Morton order of position, cut into blocks: (order, starts, lo, hi)."""
    X = Q[post_idx, :3]
    origin = X.min(axis=0)
    extent = max(float((X.max(axis=0) - origin).max()), 1e-300)
    g = np.minimum((X - origin) * (1023.0 / extent), 1023.0).astype(np.uint64)
    code = (_spread_bits(g[:, 0]) | (_spread_bits(g[:, 1]) << np.uint64(1))
            | (_spread_bits(g[:, 2]) << np.uint64(2)))
    order = np.ascontiguousarray(post_idx[np.argsort(code, kind="stable")], dtype=np.int64)
    starts = np.arange(0, order.size, block, dtype=np.int64)
    boxed = Q[order]
    lo = np.ascontiguousarray(np.minimum.reduceat(boxed, starts, axis=0))
    hi = np.ascontiguousarray(np.maximum.reduceat(boxed, starts, axis=0))
    return order, np.append(starts, order.size), lo, hi


def draw(p, weight, delay, nsyn, *, P, Q, pre_idx, post_idx, n_pre, skip_diag, seed):
    """Count a projection's synapses now; write them later: (indptr, write, bad, bad p,
    delay range).

    ``p``, ``weight``, ``delay``, ``nsyn``: an Expression, a number, or None (p: every
    pair; delay: none per synapse; nsyn: one). Rows come out in presynaptic order
    with the postsynaptic indices of ``post_idx``. ``write(indices, weights, delays,
    dt)`` draws the same synapses again into arrays of ``indptr[-1]`` entries: the
    network's own storage, so that they are written once. ``bad``: synapses with a
    non-finite weight or delay or a negative nsyn, ``bad p``: pairs whose p is not
    in [0, 1] (errors for the caller); the delay range (float32 ms, min and max) is
    None without per-synapse delays.
    """
    p_bounded = isinstance(p, Expression)
    use_delay = delay is not None
    if p_bounded and post_idx.size:
        order, starts, lo, hi = spatial_blocks(Q, post_idx)
    else:
        order = np.ascontiguousarray(post_idx, dtype=np.int64)
        starts = np.array([0, order.size], np.int64)
        lo = hi = np.zeros((1, Q.shape[1]))
    k0, k1 = split_seed(seed)
    Q = np.ascontiguousarray(Q[order])   # the kernel reads candidates by position
    draw_rows = rule_module(p if p_bounded else None, weight, delay, nsyn).draw_rows
    p_const = 1.0 if p is None else (0.0 if p_bounded else float(p))

    rows = np.ascontiguousarray(pre_idx, dtype=np.int64)
    pairs = rows.size * order.size
    n_chunks = max(1, min(rows.size, max(CHUNKS_PER_THREAD * numba.get_num_threads(),
                                         -(-pairs // PAIRS_PER_CHUNK))))
    bounds = np.linspace(0, rows.size, n_chunks + 1).astype(np.int64)
    chunks = [slice(lo_, hi_) for lo_, hi_ in zip(bounds[:-1], bounds[1:], strict=True)]
    counts = np.zeros(rows.size, np.int64)
    sure = (nsyn is None and not isinstance(weight, Expression) and weight != 0.0
            and np.isfinite(weight))
    w_const = float(weight) if sure else np.nan
    ranges = np.tile([np.inf, -np.inf], (n_chunks, 1))
    words = (order.size + 63) // 64
    bits = np.zeros((rows.size, words if rows.size * words * 8 <= BITS_LIMIT else 0), np.uint64)

    def count(k):
        return draw_rows(False, p_bounded, p_const, w_const, nsyn is not None, use_delay, 0.0,
                         rows[chunks[k]], counts[chunks[k]], order, starts, lo, hi, P, Q,
                         skip_diag, k0, k1, _NO_INT, _NO_FLOAT, _NO_FLOAT, counts[chunks[k]],
                         ranges[k], bits[chunks[k]])

    bad, bad_p = np.sum(on_threads(count, range(n_chunks)), axis=0)
    row_counts = np.zeros(n_pre, np.int64)
    row_counts[rows] = counts
    indptr = np.concatenate(([0], np.cumsum(row_counts)))
    offsets = indptr[rows]
    if bits.nbytes > BITS_PER_SYNAPSE / 8 * indptr[-1]:
        bits = bits[:, :0].copy()   # too sparse to be worth keeping: the fill draws again

    kept = {"bits": bits}

    def write(indices, weights, delays, dt, last=False):
        """Write the synapses into indices, weights and delays (ms; in steps if dt).

        ``last``: drop the bit set afterwards (a later write draws the candidates again).
        """
        def fill(part):
            draw_rows(True, p_bounded, p_const, w_const, nsyn is not None, use_delay,
                      0.0 if dt is None else float(dt), rows[part], offsets[part], order,
                      starts, lo, hi, P, Q, skip_diag, k0, k1, indices, weights,
                      _NO_FLOAT if delays is None else delays, counts[part], ranges[0],
                      kept["bits"][part])

        on_threads(fill, chunks)
        if last:
            kept["bits"] = kept["bits"][:, :0].copy()

    delay_range = (float(ranges[:, 0].min()), float(ranges[:, 1].max())) if use_delay else None
    return indptr, write, int(bad), int(bad_p), delay_range


_NO_INT = np.zeros(0, np.int32)
_NO_FLOAT = np.zeros(0, np.float32)


def on_threads(work, chunks):
    """[work(chunk) for chunk in chunks], on numba's number of threads (work releases the GIL)."""
    threads = numba.get_num_threads()
    if threads == 1 or len(chunks) == 1:
        return [work(chunk) for chunk in chunks]
    with ThreadPoolExecutor(threads) as pool:
        try:
            return list(pool.map(work, chunks))
        except BaseException:   # Ctrl-C: the chunks not yet started are not
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def draw_partners(weight, delay, nsyn, *, P, Q, owners, partners, k, per_post, skip_diag,
                  seed):
    """k distinct partners for each owner: (pre, post, weights, delays or None, bad).

    Each owner's partners, weights and delays come from its own random streams,
    as in ``draw``. Owners are postsynaptic if ``per_post`` (convergence), else
    presynaptic (divergence); ``partners`` must be sorted.
    """
    use_delay = delay is not None
    sure = (nsyn is None and not isinstance(weight, Expression) and weight != 0.0
            and np.isfinite(weight))
    kernel = rule_module(None, weight, delay, nsyn).draw_partners
    k0, k1 = split_seed(seed)
    I, J, W, D, bad = kernel(np.ascontiguousarray(owners, np.int64),
                             np.ascontiguousarray(partners, np.int64), int(k), per_post,
                             nsyn is not None, use_delay, float(weight) if sure else np.nan,
                             P, Q, skip_diag, k0, k1)
    return I, J, W, D if use_delay else None, bad


@njit(cache=True)
def delay_groups(indptr, delays, k_min, n_groups, out):
    """Where each row's synapses of each whole-step delay start, for delivery without
    a search: ``out[r * n_groups + g]`` is the first synapse of row r (counted from the
    first synapse of row 0) whose delay is at least k_min + g steps; the rows are
    sorted by delay. False (and out unfinished) if a delay is not a whole number of
    steps."""
    for r in range(indptr.shape[0] - 1):
        lo, hi = indptr[r], indptr[r + 1]
        q = lo
        for g in range(n_groups):
            while q < hi and delays[q] < k_min + g:
                if delays[q] != math.floor(delays[q]):
                    return False
                q += 1
            out[r * n_groups + g] = q - indptr[0]
        if q < hi:
            return False
    return True


@njit(cache=True)
def sort_rows_by_delay(indptr, indices, weights, delays):
    """Sort each CSR row by delay (in place, with its indices and weights; stable)."""
    longest = max(1, int(np.max(np.diff(indptr)))) if indptr.shape[0] > 1 else 1
    tJ = np.empty(longest, np.int32)
    tW = np.empty(longest, np.float32)
    tD = np.empty(longest, np.float32)
    count = np.empty(longest + 1, np.int64)
    bucket = np.empty(longest, np.int64)
    for r in range(indptr.shape[0] - 1):
        lo, m = indptr[r], indptr[r + 1] - indptr[r]
        tJ[:m] = indices[lo:lo + m]
        tW[:m] = weights[lo:lo + m]
        tD[:m] = delays[lo:lo + m]
        scatter_by_delay(tJ, tW, tD, m, indices, weights, delays, lo, count, bucket)
