"""How the Brian2 peers set up a device and time a run (runtime or cpp_standalone).

Timing, for every Brian2 peer script:

* runtime: ``build_s`` is the wall time from network construction to the start of
  the timed run, which follows a one-step warm-up run (compiles or loads the Cython
  code objects) and a restore of the initial state; ``sim_s`` is ``Network.run``.
* cpp_standalone: ``sim_s`` is Brian2's own measurement of its main loop
  (``device._last_run_time``: omp_get_wtime with OpenMP, std::clock without);
  ``run_wall_s`` a monotonic clock inserted into main.cpp around the run as a
  cross-check; ``build_s`` everything else from construction to the binary's exit;
  ``codegen_compile_s`` and ``binary_s`` its main parts.
"""

import contextlib
import os
import shutil
import sys
import tempfile
import time

from coba_common import stdout_to_stderr


def check_threads(parser, args, prog):
    """--threads >= 0; runtime mode is single-threaded."""
    if args.threads < 0:
        parser.error("--threads must be >= 0")
    if args.mode == "runtime" and args.threads != 1:
        print(f"{prog}: runtime mode is single-threaded; recording threads=1", file=sys.stderr)
        args.threads = 1


@contextlib.contextmanager
def brian2_session(mode, prefix):
    """Import Brian2 quietly (its output to stderr) and give a temporary build folder
    (cpp_standalone; None otherwise), removed afterwards. Yields (brian2, build_dir)."""
    build_dir = tempfile.mkdtemp(prefix=prefix) if mode == "cpp_standalone" else None
    try:
        with stdout_to_stderr():
            import brian2 as b2

            b2.BrianLogger.log_level_warn()
            yield b2, build_dir
    finally:
        if build_dir is not None:
            shutil.rmtree(build_dir, ignore_errors=True)


def set_device(b2, mode, threads, build_dir):
    """Select the device before the network is built; returns the start time of the build."""
    if mode == "cpp_standalone":
        b2.set_device("cpp_standalone", build_on_run=False, directory=build_dir)
        b2.prefs.devices.cpp_standalone.openmp_threads = threads
    else:
        b2.prefs.codegen.target = "cython"
    return time.perf_counter()


def timed_run(b2, net, duration, mode, build_dir, t_start):
    """Run net for duration (a Brian2 quantity) and return the timings described above."""
    timings = {}
    if mode == "cpp_standalone":
        b2.device.insert_code("main", "struct timespec _peer_t0, _peer_t1;\n"
                              "clock_gettime(CLOCK_MONOTONIC, &_peer_t0);")
        net.run(duration, namespace={})
        b2.device.insert_code(
            "main", "clock_gettime(CLOCK_MONOTONIC, &_peer_t1);\n"
            "std::ofstream _peer_out(results_dir + \"peer_run_wall.txt\");\n"
            "_peer_out << (_peer_t1.tv_sec - _peer_t0.tv_sec)"
            " + 1e-9 * (_peer_t1.tv_nsec - _peer_t0.tv_nsec) << std::endl;")
        t_codegen = time.perf_counter()
        b2.device.build(directory=build_dir, compile=True, run=False, with_output=False)
        t_binary = time.perf_counter()
        b2.device.run(directory=build_dir, with_output=False)
        t_end = time.perf_counter()
        if b2.device._last_run_completed_fraction != 1.0:
            raise RuntimeError("standalone run did not complete")
        timings["sim_s"] = b2.device._last_run_time
        with open(os.path.join(b2.device.results_dir, "peer_run_wall.txt")) as f:
            timings["run_wall_s"] = float(f.read())
        timings["build_s"] = (t_end - t_start) - timings["sim_s"]
        timings["codegen_compile_s"] = t_binary - t_codegen
        timings["binary_s"] = t_end - t_binary
    else:
        net.store("initial")
        net.run(b2.defaultclock.dt, namespace={})
        net.restore("initial")
        t_sim = time.perf_counter()
        net.run(duration, namespace={})
        timings["sim_s"] = time.perf_counter() - t_sim
        timings["build_s"] = t_sim - t_start
    return timings
