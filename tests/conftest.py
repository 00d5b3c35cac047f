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


def pytest_collection_modifyitems(items):
    """Tests marked ``long`` (a minute or more of simulation on 2 cores) first, the others
    in their order: workers then fill the cores beside the long ones with short tests,
    instead of waiting at the end for a long test that started last."""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)
