"""Compiled integration: the RK2 LIF step, the run loop, counter-based random numbers.

numba's on-disk cache of a compiled function is keyed on its own source file
only: a change to a function it calls in another file (``lif_rk2`` called
from ``run_loop``) would leave a stale kernel in the cache. So the cache of
this package is dropped whenever any of its sources differs from what the
cache was built from.
"""

import hashlib
import pathlib


def _drop_stale_cache():
    here = pathlib.Path(__file__).parent
    digest = hashlib.sha256()
    for src in sorted(here.glob("*.py")):
        digest.update(src.read_bytes())
    cache = here / "__pycache__"
    stamp = cache / "lifnet-kernels.sha256"
    try:
        if stamp.read_text() == digest.hexdigest():
            return
    except OSError:
        pass
    try:
        cache.mkdir(exist_ok=True)
        for f in list(cache.glob("*.nbi")) + list(cache.glob("*.nbc")):
            f.unlink()
        stamp.write_text(digest.hexdigest())
    except OSError:
        pass  # read-only install: numba then caches elsewhere or not at all


_drop_stale_cache()
