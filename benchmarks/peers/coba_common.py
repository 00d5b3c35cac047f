"""What the COBA peer scripts share: the network's size and its initial state; the
command line of the scripts that run a given network; and what every NEST peer
script needs (a quiet fresh kernel, stdout kept for results)."""

import argparse
import contextlib
import os
import sys

import numpy as np

N_EXC = 3200
N_INH = 800
N = N_EXC + N_INH
P_CONN = 0.02


def initial_state(seed, clip):
    """Initial V (mV), g_e and g_i (nS), drawn as in Brian's COBA example.

    V is uniform in [-60, -50] mV, g_e = (4 + 1.5 randn) * 10 nS and
    g_i = (20 + 12 randn) * 10 nS; about 5% of the g_i draws are negative.
    With ``clip`` (the default, ``--init clipped``) negative conductances
    are set to 0, so the states are physical; ``--init brian`` keeps them
    as Brian's example does.  The network has no external input and is
    bistable: it either ignites its self-sustained ~18 Hz activity or falls
    silent within ~20 ms.  Clipped, roughly 4 in 10 network realizations
    fall silent (seed 1, the default, ignites in every configuration
    here); unclipped, about 1 in 25.  Both peer scripts use it, so they start
    from the same states for a given seed (their connectivity differs).
    """
    rng = np.random.default_rng(seed)
    v = rng.uniform(-60.0, -50.0, N)
    g_e = (4.0 + 1.5 * rng.standard_normal(N)) * 10.0
    g_i = (20.0 + 12.0 * rng.standard_normal(N)) * 10.0
    if clip:
        g_e = np.clip(g_e, 0.0, None)
        g_i = np.clip(g_i, 0.0, None)
    return v, g_e, g_i


def given_network(doc, max_dt=None):
    """Command line of a script that runs a network given as a file (FILE.npz, --dt,
    --duration): the parsed arguments and the loaded file. ``max_dt`` (ms) bounds dt."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("network")
    ap.add_argument("--dt", type=float, required=True,
                    help="ms" if max_dt is None else f"ms, at most {max_dt}")
    ap.add_argument("--duration", type=float, default=1000.0, help="ms")
    args = ap.parse_args()
    if max_dt is not None and args.dt > max_dt:
        ap.error(f"--dt must not exceed {max_dt} ms (the synaptic delay)")
    return args, np.load(args.network)


def reset_kernel(nest):
    """Reset NEST's kernel and keep its log to warnings and errors."""
    nest.ResetKernel()
    if hasattr(nest, "VerbosityLevel"):  # NEST >= 3.9
        nest.verbosity = nest.VerbosityLevel.WARNING
    else:
        nest.set_verbosity("M_WARNING")


@contextlib.contextmanager
def stdout_to_stderr():
    """Redirect file descriptor 1 (also used by compilers and NEST's C++ code) to 2."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
