"""The compiled kernels of ``lifnet.pair_kernels``, as source for one module per rule.

``pair_kernels`` copies this file into a module of its own for each set of
expressions (p, its bound, weight, delay, nsyn), with the line that defines
them replaced by their compiled source. The expressions are then plain global
functions that numba inlines, and the module, a file in lifnet's cache
folder, is compiled once and cached (``cache=True``) across processes.
Importing this file itself defines nothing usable: the expressions are None.
"""

import math

import numpy as np
from numba import uint64

from lifnet.kernel_cache import njit
from lifnet.pair_functions import row_state, unit
from lifnet.pair_kernels import (
    SKIP_BELOW,
    _bit_index,
    _times_count,
    delay_steps,
    scatter_by_delay,
)

FLOAT32_MAX = 3.4028234663852886e38   # weights are stored as float32

p_fn = bound_fn = w_fn = d_fn = n_fn = None  # EXPRESSIONS


@njit(cache=True, nogil=True, inline="always")
def _candidates(p_bounded, p_const, a, blk, block_start, block_lo, block_hi, post_order, P,
                Q, skip_diag, S, cand, kept, pv, bad_p):
    """Append to cand[kept:] the positions in block blk that row a connects to (by p).

    ``bad_p[0]`` counts the pairs whose p is outside [0, 1] or NaN (and blocks where
    p is negative throughout)."""
    b0, b1 = block_start[blk], block_start[blk + 1]
    if p_bounded:
        p_max = bound_fn(P, a, block_lo, block_hi, blk)[1] * (1.0 + 1e-12)
        if p_max < 0.0:
            bad_p[0] += 1
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
            bad_p[0] += not (0.0 <= pv[i - kept] <= 1.0)
        for i in range(kept, m):
            cand[out] = cand[i]
            out += (unit(S) * p_max < pv[i - kept]) and not (
                skip_diag and post_order[cand[i]] == a)
        return out
    for i in range(kept, m):
        cand[out] = cand[i]
        out += not (skip_diag and post_order[cand[i]] == a)
    return out

@njit(cache=True, nogil=True)
def draw_rows(fill, p_bounded, p_const, w_const, use_n, use_delay, dt, rows, offsets,
              post_order, block_start, block_lo, block_hi, P, Q, skip_diag, k0, k1, J, W,
              D, counts, delay_range, bits):
    """Count (``fill`` False: into counts) or write (J, W, D from offsets) rows' synapses.

    ``Q`` holds the postsynaptic coordinates in ``post_order`` (row k is the
    candidate post_order[k]), so that a block's candidates are close in memory.
    Both passes draw the same synapses, so the counts are those written. The
    count pass returns the number of synapses whose weight or delay is not
    finite and the number of pairs whose p is not in [0, 1], and widens
    ``delay_range`` (float32 ms) to their delays. ``bits``
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
    bad_p = np.zeros(1, np.int64)
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
                                   block_hi, post_order, P, Q, skip_diag, S, cand, kept, pv,
                                   bad_p)
            if words > 0:
                for i in range(kept):
                    bits[r, cand[i] >> 6] |= uint64(1) << uint64(cand[i] & 63)
        start = offsets[r] if fill else 0
        n = start
        for i in range(kept):
            k = cand[i]
            # (The same lines as in draw_partners: a shared inline helper taking the
            # arrays made both kernels four times slower, by reference counting.)
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
            elif not (abs(w) <= FLOAT32_MAX and math.isfinite(d)):
                bad += 1
            elif use_delay:
                d32 = float(np.float32(d))
                delay_range[0] = min(delay_range[0], d32)
                delay_range[1] = max(delay_range[1], d32)
            n += 1
        if fill and use_delay:
            scatter_by_delay(tJ, tW, tD, n - start, J, W, D, start, count, bucket)
            if dt > 0.0:
                for q in range(start, n):
                    D[q] = delay_steps(D[q], dt)
        elif not fill:
            counts[r] = n
    return bad, bad_p[0]


@njit(cache=True, nogil=True)
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
            if not (abs(w) <= FLOAT32_MAX and math.isfinite(d)):
                bad += 1
            I[m] = pre
            J[m] = post
            W[m] = w
            if use_delay:
                D[m] = d
            m += 1
    return I[:m], J[:m], W[:m], D[:m], bad
