"""Philox4x32-10, a counter-based random number generator (Salmon et al. 2011).

Every random number lifnet draws during a run is a pure function of
``(seed, stream, step, neuron, block)``: the run is bit-identical for any
number of threads and any split of ``Network.run`` into pieces, because no
generator state is carried from one draw to the next.

Counter layout used throughout: ``c0`` neuron index, ``c1`` step (low 32 bits),
``c2`` stream id (which population and which consumer), ``c3`` block index
(several draws for the same neuron and step). Key: the 64-bit seed.
"""

import math

import numpy as np
from numba import uint64

from ..kernel_cache import njit

_MASK = uint64(0xFFFFFFFF)
_M0 = uint64(0xD2511F53)
_M1 = uint64(0xCD9E8D57)
_W0 = uint64(0x9E3779B9)
_W1 = uint64(0xBB67AE85)


@njit(cache=True, inline="always")
def philox4x32(c0, c1, c2, c3, k0, k1):
    """Return the four 32-bit words (as uint64) of Philox4x32-10 at a counter."""
    c0 = uint64(c0) & _MASK
    c1 = uint64(c1) & _MASK
    c2 = uint64(c2) & _MASK
    c3 = uint64(c3) & _MASK
    k0 = uint64(k0) & _MASK
    k1 = uint64(k1) & _MASK
    for _ in range(10):
        p0 = _M0 * c0
        p1 = _M1 * c2
        n0 = ((p1 >> uint64(32)) ^ c1 ^ k0) & _MASK
        n2 = ((p0 >> uint64(32)) ^ c3 ^ k1) & _MASK
        c0, c1, c2, c3 = n0, p1 & _MASK, n2, p0 & _MASK
        k0 = (k0 + _W0) & _MASK
        k1 = (k1 + _W1) & _MASK
    return c0, c1, c2, c3


@njit(cache=True, inline="always")
def open_unit(hi, lo):
    """A double in the open interval (0, 1) from two 32-bit words (53 bits)."""
    return ((hi >> uint64(5)) * 67108864.0 + (lo >> uint64(6)) + 0.5) / 9007199254740992.0


@njit(cache=True, inline="always")
def normal_pair(i, step, stream, block, k0, k1):
    """Two independent standard normal deviates (Box-Muller) for one counter."""
    r0, r1, r2, r3 = philox4x32(i, step, stream, block, k0, k1)
    u1 = open_unit(r0, r1)
    u2 = open_unit(r2, r3)
    radius = math.sqrt(-2.0 * math.log(u1))
    return radius * math.cos(2.0 * math.pi * u2), radius * math.sin(2.0 * math.pi * u2)


def split_seed(seed):
    """The two 32-bit Philox key words of a non-negative 64-bit seed."""
    seed = int(seed)
    return np.uint64(seed & 0xFFFFFFFF), np.uint64((seed >> 32) & 0xFFFFFFFF)
