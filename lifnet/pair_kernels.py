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

Random numbers come from splitmix64 streams per presynaptic row (one for the
candidates, one for weights, one for delays), seeded by Philox from
(projection seed, row): rows are independent, so the rows are drawn in chunks
on a thread pool (the kernels release the GIL) and the synapses do not depend
on the number of threads.
"""

import math
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np
from numba import njit, uint64

from .integrators.philox import split_seed
from .pair_functions import compiled, compiled_bound, compiled_bound_none, row_state, unit

BLOCK = 128             # postsynaptic candidates per bounding box
SKIP_BELOW = 0.15       # p_max below which candidates are found by geometric skips
CHUNKS_PER_THREAD = 8
BITS_LIMIT = 256 << 20  # bytes: largest bit set of connected candidates kept per projection
BITS_PER_SYNAPSE = 16   # ... and only if it costs at most this many bits a synapse
_kernels = {}           # compiled draw_rows, per set of expression functions


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
def _scatter_by_delay(tJ, tW, tD, m, J, W, D, start, count, bucket):
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


def _kernel(p_fn, bound_fn, w_fn, d_fn, n_fn):
    """The row-drawing kernel with these expression functions compiled into it."""
    key = (p_fn, bound_fn, w_fn, d_fn, n_fn)
    if key not in _kernels:
        _kernels[key] = _make_kernel(p_fn, bound_fn, w_fn, d_fn, n_fn)
    return _kernels[key]


def _make_kernel(p_fn, bound_fn, w_fn, d_fn, n_fn):
    # The functions are closure constants (inlined), not arguments: a call through
    # a function argument costs several times the expression itself.
    @njit(nogil=True, inline="always")
    def _candidates(p_bounded, p_const, a, blk, block_start, block_lo, block_hi, post_order, P,
                    Q, skip_diag, S, cand, kept, pv):
        """Append to cand[kept:] the positions in block blk that row a connects to (by p)."""
        b0, b1 = block_start[blk], block_start[blk + 1]
        if p_bounded:
            p_max = bound_fn(P, a, block_lo, block_hi, blk)[1] * (1.0 + 1e-12)
            if not p_max < 1.0:   # also NaN: no bound
                p_max = 1.0
        else:
            p_max = p_const
        if p_max <= 0.0:
            return kept
        # The candidates, each pair with probability p_max: every pair if p_max is 1,
        # a uniform per pair where that is cheaper than a logarithm per candidate,
        # else geometric skips.
        m = kept
        if p_max >= 1.0:
            for k in range(b0, b1):
                cand[m] = k
                m += 1
        elif p_max > SKIP_BELOW:
            for k in range(b0, b1):
                cand[m] = k
                m += unit(S) < p_max   # no branch: it would be mispredicted often
        else:
            log_q = math.log1p(-p_max)
            k = b0 - 1
            while True:
                g = math.log(unit(S)) / log_q
                if g >= b1 - k - 1:
                    break
                k += 1 + int(g)
                cand[m] = k
                m += 1
        # Thinning, in separate loops: the expression for all candidates at once
        # pipelines far better than interleaved with the draws.
        out = kept
        if p_bounded:
            for i in range(kept, m):
                pv[i - kept] = p_fn(P, a, Q, cand[i], S)
            for i in range(kept, m):
                cand[out] = cand[i]
                out += (unit(S) * p_max < pv[i - kept]) and not (
                    skip_diag and post_order[cand[i]] == a)
            return out
        for i in range(kept, m):
            cand[out] = cand[i]
            out += not (skip_diag and post_order[cand[i]] == a)
        return out

    @njit(nogil=True)
    def draw_rows(fill, p_bounded, p_const, w_const, use_n, use_delay, dt, rows, offsets,
                  post_order, block_start, block_lo, block_hi, P, Q, skip_diag, k0, k1, J, W,
                  D, counts, delay_range, bits):
        """Count (``fill`` False: into counts) or write (J, W, D from offsets) rows' synapses.

        ``Q`` holds the postsynaptic coordinates in ``post_order`` (row k is the
        candidate post_order[k]), so that a block's candidates are close in memory.
        Both passes draw the same synapses, so the counts are those written. The
        count pass returns the number of synapses whose weight or delay is not
        finite and widens ``delay_range`` (float32 ms) to their delays. ``bits``
        (one row of words per row, or empty): the count pass marks the candidates
        that passed p there, and the fill pass reads them instead of drawing
        again. ``p_bounded``: p is an expression, bounded per block by
        ``bound_fn``; else the probability is ``p_const`` and ``post_order`` is one
        block. ``w_const``: the weight if it is a nonzero number and there is no
        nsyn, else NaN (a weight that comes out 0 drops the pair). Written rows
        with delays are sorted by delay (float32 ms), then written in steps of
        ``dt`` if ``dt`` > 0 (see ``delay_steps``).
        """
        # Three streams per row: candidates and p; weights and nsyn; delays. So the
        # fill pass, which may skip the candidates, draws the same weights and delays.
        S = np.zeros(1, np.uint64)
        Sw = np.zeros(1, np.uint64)
        Sd = np.zeros(1, np.uint64)
        n_blocks = block_start.shape[0] - 1
        longest = post_order.shape[0]
        words = bits.shape[1]
        cand = np.empty(longest, np.int64)   # positions in post_order
        pv = np.empty(longest if p_bounded else 0)
        # A row with delays is drawn into tJ, tW, tD, then written sorted by delay.
        sorting = longest if fill and use_delay else 0
        tJ = np.empty(sorting, np.int32)
        tW = np.empty(sorting, np.float32)
        tD = np.empty(sorting, np.float32)
        count = np.empty(sorting + 1, np.int64)
        bucket = np.empty(sorting, np.int64)
        bad = 0
        for r in range(rows.shape[0]):
            a = rows[r]
            Sw[0] = row_state(a, 1, k0, k1)
            Sd[0] = row_state(a, 2, k0, k1)
            kept = 0
            if fill and words > 0:
                for word in range(words):
                    x = bits[r, word]
                    while x != 0:
                        low = x & (~x + uint64(1))
                        cand[kept] = word * 64 + _bit_index(low)
                        kept += 1
                        x ^= low
            else:
                S[0] = row_state(a, 0, k0, k1)
                for blk in range(n_blocks):
                    kept = _candidates(p_bounded, p_const, a, blk, block_start, block_lo,
                                       block_hi, post_order, P, Q, skip_diag, S, cand, kept, pv)
                if words > 0:
                    for i in range(kept):
                        bits[r, cand[i] >> 6] |= uint64(1) << uint64(cand[i] & 63)
            start = offsets[r] if fill else 0
            n = start
            for i in range(kept):
                k = cand[i]
                w = w_const
                if w != w:
                    w = w_fn(P, a, Q, k, Sw)
                    if use_n:
                        w = _times_count(w, n_fn(P, a, Q, k, Sw))
                    if w == 0.0:
                        continue
                d = d_fn(P, a, Q, k, Sd) if use_delay else 0.0
                if fill and use_delay:
                    tJ[n - start] = post_order[k]
                    tW[n - start] = w
                    tD[n - start] = d
                elif fill:
                    J[n] = post_order[k]
                    W[n] = w
                elif not (math.isfinite(w) and math.isfinite(d)):
                    bad += 1
                elif use_delay:
                    d32 = float(np.float32(d))
                    delay_range[0] = min(delay_range[0], d32)
                    delay_range[1] = max(delay_range[1], d32)
                n += 1
            if fill and use_delay:
                _scatter_by_delay(tJ, tW, tD, n - start, J, W, D, start, count, bucket)
                if dt > 0.0:
                    for q in range(start, n):
                        D[q] = delay_steps(D[q], dt)
            elif not fill:
                counts[r] = n
        return bad

    return draw_rows


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
    """Count a projection's synapses now; write them later: (indptr, write, bad, delay range).

    ``p``, ``weight``, ``delay``, ``nsyn``: an Expression, a number, or None (p: every
    pair; delay: none per synapse; nsyn: one). Rows come out in presynaptic order
    with the postsynaptic indices of ``post_idx``. ``write(indices, weights, delays,
    dt)`` draws the same synapses again into arrays of ``indptr[-1]`` entries: the
    network's own storage, so that they are written once. ``bad``: synapses with a
    non-finite weight or delay or a negative nsyn (an error for the caller); the
    delay range (float32 ms, min and max) is None without per-synapse delays.
    """
    from .expressions import Expression

    p_bounded = isinstance(p, Expression)
    use_delay = delay is not None
    if p_bounded and post_idx.size:
        order, starts, lo, hi = spatial_blocks(Q, post_idx)
        bound = compiled_bound(p)
    else:
        order = np.ascontiguousarray(post_idx, dtype=np.int64)
        starts = np.array([0, order.size], np.int64)
        lo = hi = np.zeros((1, Q.shape[1]))
        bound = compiled_bound_none()
    k0, k1 = split_seed(seed)
    Q = np.ascontiguousarray(Q[order])   # the kernel reads candidates by position
    draw_rows = _kernel(compiled(p if p_bounded else 0.0), bound, compiled(weight),
                        compiled(delay if use_delay else 0.0),
                        compiled(1.0 if nsyn is None else nsyn))
    p_const = 1.0 if p is None else (0.0 if p_bounded else float(p))

    rows = np.ascontiguousarray(pre_idx, dtype=np.int64)
    n_chunks = max(1, min(rows.size, CHUNKS_PER_THREAD * numba.get_num_threads()))
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

    bad = sum(_on_threads(count, range(n_chunks)))
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

        _on_threads(fill, chunks)
        if last:
            kept["bits"] = kept["bits"][:, :0].copy()

    delay_range = (float(ranges[:, 0].min()), float(ranges[:, 1].max())) if use_delay else None
    return indptr, write, bad, delay_range


_NO_INT = np.zeros(0, np.int32)
_NO_FLOAT = np.zeros(0, np.float32)


def _on_threads(work, chunks):
    """[work(chunk) for chunk in chunks], on numba's number of threads (work releases the GIL)."""
    threads = numba.get_num_threads()
    if threads == 1 or len(chunks) == 1:
        return [work(chunk) for chunk in chunks]
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(work, chunks))


def _partner_kernel(w_fn, d_fn, n_fn):
    key = ("partners", w_fn, d_fn, n_fn)
    if key not in _kernels:
        _kernels[key] = _make_partner_kernel(w_fn, d_fn, n_fn)
    return _kernels[key]


def _make_partner_kernel(w_fn, d_fn, n_fn):
    @njit(nogil=True)
    def draw_partners(owners, partners, k, per_post, use_n, use_delay, w_const, P, Q,
                      skip_diag, k0, k1):
        """k distinct partners per owner (Floyd's algorithm), with weights and delays.

        Returns (pre, post, weight, delay, bad) in owner order; an owner is a
        postsynaptic neuron if ``per_post``, else presynaptic.
        """
        S = np.zeros(1, np.uint64)
        Sw = np.zeros(1, np.uint64)
        Sd = np.zeros(1, np.uint64)
        n = owners.shape[0] * k
        I = np.empty(n, np.int64)
        J = np.empty(n, np.int32)
        W = np.empty(n, np.float32)
        D = np.empty(n if use_delay else 0, np.float32)
        taken = np.zeros(partners.shape[0], np.bool_)
        pick = np.empty(k, np.int64)
        m = 0
        bad = 0
        for o in owners:
            S[0] = row_state(o, 0, k0, k1)
            Sw[0] = row_state(o, 1, k0, k1)
            Sd[0] = row_state(o, 2, k0, k1)
            pool = partners.shape[0]
            own = -1   # the owner's position among its partners, if it must be skipped
            if skip_diag:
                q = np.searchsorted(partners, o)
                if q < pool and partners[q] == o:
                    own = q
                    pool -= 1
            for t in range(k):
                top = pool - k + t
                x = min(int(unit(S) * (top + 1)), top)
                chosen = top if taken[x] else x
                taken[chosen] = True
                pick[t] = chosen
            pick.sort()
            for t in range(k):
                taken[pick[t]] = False
                q = pick[t] + (1 if own >= 0 and pick[t] >= own else 0)
                pre, post = (partners[q], o) if per_post else (o, partners[q])
                w = w_const
                if w != w:
                    w = w_fn(P, pre, Q, post, Sw)
                    if use_n:
                        w = _times_count(w, n_fn(P, pre, Q, post, Sw))
                    if w == 0.0:
                        continue
                d = d_fn(P, pre, Q, post, Sd) if use_delay else 0.0
                if not (math.isfinite(w) and math.isfinite(d)):
                    bad += 1
                I[m] = pre
                J[m] = post
                W[m] = w
                if use_delay:
                    D[m] = d
                m += 1
        return I[:m], J[:m], W[:m], D[:m], bad

    return draw_partners


def draw_partners(weight, delay, nsyn, *, P, Q, owners, partners, k, per_post, skip_diag,
                  seed):
    """k distinct partners for each owner: (pre, post, weights, delays or None, bad).

    Each owner's partners, weights and delays come from its own random streams,
    as in ``draw``. Owners are postsynaptic if ``per_post`` (convergence), else
    presynaptic (divergence); ``partners`` must be sorted.
    """
    from .expressions import Expression

    use_delay = delay is not None
    sure = (nsyn is None and not isinstance(weight, Expression) and weight != 0.0
            and np.isfinite(weight))
    kernel = _partner_kernel(compiled(weight), compiled(delay if use_delay else 0.0),
                             compiled(1.0 if nsyn is None else nsyn))
    k0, k1 = split_seed(seed)
    I, J, W, D, bad = kernel(np.ascontiguousarray(owners, np.int64),
                             np.ascontiguousarray(partners, np.int64), int(k), per_post,
                             nsyn is not None, use_delay, float(weight) if sure else np.nan,
                             P, Q, skip_diag, k0, k1)
    return I, J, W, D if use_delay else None, bad


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
        _scatter_by_delay(tJ, tW, tD, m, indices, weights, delays, lo, count, bucket)
