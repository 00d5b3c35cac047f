"""Brian2 peer of the build benchmark: NetPyNE tutorial 5's connectivity at scale.

Reads the cells' positions and kinds from an .npz written by ``benchmarks/build_tut5.py``
(so both simulators connect the same cells) and builds, in Brian2's runtime mode
(Cython) or, with a second argument ``cpp_standalone``, in its C++ standalone mode
(single-threaded: no OpenMP):

* E -> every cell 100-1000 µm deep (i != j), probability 0.1, weight 0.005 * post ynorm,
  delay max(0.1 ms, distance / 100 µm/ms);
* I -> E, probability 0.4 exp(-distance / 150 µm), weight 0.001, the same delays.

Prints one line of JSON: build time (synapse creation and weight/delay assignment),
synapse count, peak resident memory (ru_maxrss) and bytes per synapse of that peak.

In runtime mode, code generation and compilation are kept out of the timing by
building the same rules on six of the cells first, with the same object names.
In standalone mode the network is generated as C++, compiled and run for one
time step in a temporary directory; the build time is the compiled binary's own, from
Brian2's profiling of the code objects that create the synapses and set w and
delay (std::clock, i.e. CPU time). "build_wall_s" is the binary's wall-clock
time from creating the first synapses to setting the last delays, which also
covers filling the constant I -> E weight (not a code object, so not
profiled). Code generation plus compilation (make -j) is reported as
"codegen_compile_s". The peak memory is the binary's alone (ru_maxrss of that
one child process, via wait4), not the Python process's.

Usage: python build_tut5_brian2.py POSITIONS.npz [runtime|cpp_standalone]
"""

import json
import os
import resource
import sys
import tempfile
import time

import numpy as np

# Runs the standalone binary (argv[1:]) and writes its own ru_maxrss (kB) to a file:
# RUSAGE_CHILDREN of this process would also count make and g++.
RUN_WRAPPER = r"""
import os, subprocess, sys
proc = subprocess.Popen(sys.argv[1:])
_, status, usage = os.wait4(proc.pid, 0)
with open("main_maxrss_kb.txt", "w") as f:
    f.write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""

EQS = "x : meter\ny : meter\nz : meter\nynorm : 1\nis_e : boolean\nv : 1"
DIST = "sqrt((x_pre - x_post)**2 + (y_pre - y_post)**2 + (z_pre - z_post)**2)"


def connect(b2, group, names=("synapses*", "synapses*")):
    """The two projections on ``group``."""
    ee = b2.Synapses(group, group, "w : 1", on_pre="v_post += w", name=names[0])
    ee.connect(condition="is_e_pre and i != j and y_post >= 100*um and y_post <= 1000*um",
               p=0.1)
    ee.w = "0.005 * ynorm_post"
    ee.delay = f"clip({DIST} / (100*um/ms), 0.1*ms, 1*second)"
    ie = b2.Synapses(group, group, "w : 1", on_pre="v_post += w", name=names[1])
    ie.connect(condition="not is_e_pre and is_e_post", p=f"0.4 * exp(-{DIST} / (150*um))")
    ie.w = 0.001
    ie.delay = f"clip({DIST} / (100*um/ms), 0.1*ms, 1*second)"
    return ee, ie


def cells_group(b2, data):
    xyz = data["xyz"]
    cells = b2.NeuronGroup(xyz.shape[0], EQS, threshold="v > 1", name="cells")
    cells.x, cells.y, cells.z = xyz[:, 0] * b2.um, xyz[:, 1] * b2.um, xyz[:, 2] * b2.um
    cells.ynorm = data["ynorm"]
    cells.is_e = data["is_e"]
    return cells


def runtime(b2, data):
    b2.prefs.codegen.target = "cython"
    # Warm-up: compile the code objects on six of the cells first, outside the timing.
    # The groups' names are part of the generated code, so the warm-up uses the same
    # names as the timed build (else its compilation would be timed).
    names = ("ee", "ie")
    warm = cells_group(b2, {key: data[key][:6] for key in ("xyz", "ynorm", "is_e")})
    connect(b2, warm, names)
    del warm
    cells = cells_group(b2, data)
    t0 = time.perf_counter()
    ee, ie = connect(b2, cells, names)
    build = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"mode": "runtime", "synapses": len(ee) + len(ie), "build_s": build,
            "peak_rss_bytes": peak}


def standalone(b2, data, directory):
    t0 = time.perf_counter()
    b2.set_device("cpp_standalone", build_on_run=False, directory=directory)
    b2.prefs.devices.cpp_standalone.openmp_threads = 0
    b2.prefs.devices.cpp_standalone.run_cmd_unix = [sys.executable, "-c", RUN_WRAPPER,
                                                    "./main"]
    device = b2.get_device()
    cells = cells_group(b2, data)
    # Code objects are profiled if profiling is on when they are created; run(profile=...)
    # only switches it on at the run, after connect() and the assignments.
    device.enable_profiling = True
    device.insert_code("main", "struct timespec _b0, _b1; clock_gettime(CLOCK_MONOTONIC, &_b0);")
    ee, ie = connect(b2, cells, names=("ee", "ie"))
    device.insert_code("main", "clock_gettime(CLOCK_MONOTONIC, &_b1); std::cout << "
                       "\"build_wall_s \" << (_b1.tv_sec - _b0.tv_sec) + "
                       "1e-9 * (_b1.tv_nsec - _b0.tv_nsec) << std::endl;")
    net = b2.Network(cells, ee, ie)
    net.run(b2.defaultclock.dt, profile=True)
    device.build(directory=directory, compile=True, run=True, with_output=False)
    total = time.perf_counter() - t0
    timed = [(name, float(t)) for name, t in net.profiling_info
             if name.startswith(("ee_", "ie_"))
             and ("synapses_create" in name or "group_variable_set" in name)]
    with open(os.path.join(device.results_dir, "stdout.txt")) as f:
        wall = [float(line.split()[1]) for line in f if line.startswith("build_wall_s ")][0]
    with open(os.path.join(directory, "main_maxrss_kb.txt")) as f:
        peak = int(f.read()) * 1024
    return {"mode": "cpp_standalone", "synapses": len(ee) + len(ie),
            "build_s": sum(t for _, t in timed), "peak_rss_bytes": peak,
            "build_clock": "CPU time (std::clock) of the binary's synapse creation and w/delay "
                           "code objects, from Brian2's profiling; 1 thread, no OpenMP",
            "peak_rss_of": "the standalone binary alone (its ru_maxrss, via wait4)",
            "build_wall_s": wall, "build_codeobjects_s": dict(timed),
            "codegen_compile_s": total - device.timers["run_binary"],
            "compile_s": device.timers["compile"]["make"],
            "run_binary_s": device.timers["run_binary"]}


def main():
    data = np.load(sys.argv[1])
    mode = sys.argv[2] if len(sys.argv) > 2 else "runtime"
    if mode not in ("runtime", "cpp_standalone"):
        sys.exit(f"unknown mode {mode!r}: expected runtime or cpp_standalone")
    import brian2 as b2

    b2.BrianLogger.log_level_warn()
    if mode == "runtime":
        out = runtime(b2, data)
    else:
        with tempfile.TemporaryDirectory(prefix="brian2-standalone-") as directory:
            out = standalone(b2, data, directory)
    n_syn, peak = out.pop("synapses"), out.pop("peak_rss_bytes")
    print(json.dumps({"simulator": "brian2", "mode": out.pop("mode"),
                      "cells": data["xyz"].shape[0], "synapses": n_syn,
                      "build_s": out.pop("build_s"), "peak_rss_bytes": peak,
                      "peak_bytes_per_synapse": peak / max(n_syn, 1),
                      "version": b2.__version__, **out}))


if __name__ == "__main__":
    main()
