"""Compiled integration: the RK2 LIF step, the run loop, counter-based random numbers.

The kernels are cached on disk by ``lifnet.kernel_cache``, under a key that
covers every source file of the package: a change to a helper inlined from
another file gives a new cache, never a stale kernel.
"""
