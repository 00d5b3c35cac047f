"""Settings of the test session."""

import os


def pytest_xdist_auto_num_workers(config):
    """``-n auto``: one worker more than the cores this process may use.

    Most of a cold test run is compiling kernels, and a worker that needs a kernel
    another is compiling waits for it (``lifnet.kernel_cache``: one process at a
    time compiles a signature), as it waits for a subprocess: the extra worker
    takes the core meanwhile.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (cores or 1) + 1
