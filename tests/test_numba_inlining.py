"""numba's inliner, made to copy a function's IR in one piece (lifnet.numba_inlining)."""

import inspect

import numba
import numpy as np
from numba.core import inline_closurecall

import lifnet  # noqa: F401  (applies the change, as any use of lifnet does)
from lifnet import numba_inlining


def test_applied_on_the_supported_numba():
    assert numba_inlining.copy_in_one_piece()
    assert getattr(inline_closurecall.InlineWorker.inline_ir, "_lifnet_one_piece", False)


def test_inlined_functions_with_many_blocks_compute_as_in_python():
    def clipped_sum(x, lo, hi):
        total = 0.0
        for v in x:
            if v < lo:
                total += lo
            elif v > hi:
                total += hi
            else:
                total += v
        return total

    def twice(x):
        return clipped_sum(x, -0.5, 0.5) + clipped_sum(x[::-1], -1.0, 0.25)

    inner = numba.njit(inline="always")(clipped_sum)
    outer = numba.njit(lambda x: inner(x, -0.5, 0.5) + inner(x[::-1], -1.0, 0.25))
    x = np.random.default_rng(0).normal(size=1000)
    assert outer(x) == twice(x)


def test_left_alone_where_numba_reads_otherwise(monkeypatch):
    worker = inline_closurecall.InlineWorker
    original = worker.inline_ir
    monkeypatch.setattr(worker, "inline_ir", lambda *args: original(*args))
    moved = "def inline_ir(self):\n    return copy_blocks_some_other_way()\n"
    monkeypatch.setattr(inspect, "getsource", lambda obj: moved)
    assert not numba_inlining.copy_in_one_piece()
    assert not getattr(worker.inline_ir, "_lifnet_one_piece", False)
