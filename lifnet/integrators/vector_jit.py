"""``vector_njit``: numba's njit for loops that should run on SIMD registers.

LLVM vectorises a loop over several arrays only where it can prove that a
store into one cannot change what the loop reads from another. It tries
with runtime checks of the arrays' extents, which cannot be had for an
array read at computed positions (the conductance step's rate table, read
at each cell's potential): the loop stays scalar. numba has a flag,
``noalias``, that marks every array argument of a function as not
overlapping any other (its parallel gufuncs use it), but ``njit`` does not
take it; this module lets it, where numba's option tables are as expected
(``NOALIAS``; checked once, at import). The loop of ``_predict_block`` in
``conductance_step`` then runs eight cells at a time, its table reads as
gathers: 1.6x faster than one cell at a time, with the same results. Where
numba has moved those tables, the kernels compile without the flag (the
same results, scalar loops) and one warning says so.

The caller must keep that promise: no array passed to such a function may
share memory with another passed to it (views of one array included).

``error_model="numpy"``: a division by zero gives inf or NaN instead of
raising, so that no branch leaves the loop (a loop with an exit does not
vectorise). Where a lane's result would be used, it divides by no zero.
"""

import warnings

import numba

from ..kernel_cache import njit


def _enable_noalias():
    """Let njit take noalias=True; False where numba's option tables are not as expected."""
    try:
        from numba.core.compiler import Flags
        from numba.core.cpu import CPUTargetOptions
        from numba.core.options import TargetOptions
    except ImportError:
        return False
    if not hasattr(Flags, "noalias"):
        return False
    if not hasattr(CPUTargetOptions, "noalias"):
        mapping = getattr(TargetOptions, "Mapping", None)
        if mapping is None:
            return False
        CPUTargetOptions.noalias = mapping("noalias")
    return True


NOALIAS = _enable_noalias()
if not NOALIAS:
    warnings.warn(f"lifnet: numba {numba.__version__} takes no noalias option here; the "
                  "conductance cells' vector loops compile as scalar loops (same results, "
                  "slower)", stacklevel=2)


def vector_njit(**options):
    """njit(**options) with non-overlapping array arguments (where numba allows) and
    numpy's division."""
    if NOALIAS:
        options = {"noalias": True, **options}
    return njit(error_model="numpy", **options)
