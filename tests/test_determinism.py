"""Same seed, same spikes: across runs, run splits and thread counts."""

import subprocess
import sys

import numpy as np
import pytest

import lifnet as ln


def noisy_network(seed=5):
    net = ln.Network(dt=0.1, seed=seed)
    E = net.add(ln.PyrPop(160, name="E"))
    I = net.add(ln.InterPop(40, name="I"))
    net.stimulate(E, ln.PoissonDrive(rate=2400.0, weight=0.0031))
    net.stimulate(I, ln.PoissonDrive(rate=2400.0, weight=0.00238))
    net.stimulate(E, ln.GaussianNoise(sigma=0.02))
    net.connect(E, E, receptor="AMPA", weight=0.002, rule="probability", p=0.2, delay=0.55)
    net.connect(E, E, receptor="NMDA", weight=0.001, rule="probability", p=0.2, delay=1.0)
    net.connect(E, I, receptor="AMPA", weight=0.002, rule="fixed_indegree", indegree=30)
    net.connect(I, E, receptor="GABA", weight=0.001, rule="all_to_all")
    net.connect(I, I, receptor="GABA", weight=0.01, rule="probability", p=0.5)
    net.stimulate(E, ln.CurrentClamp(amplitude=0.1, start=100.33, stop=200.0))
    return net


def spikes_of(result):
    return {p: (result.spikes(p).times, result.spikes(p).ids) for p in ("E", "I")}


def assert_identical(a, b):
    for p in a:
        np.testing.assert_array_equal(a[p][0], b[p][0])
        np.testing.assert_array_equal(a[p][1], b[p][1])


def test_same_seed_gives_bit_identical_spikes():
    a = spikes_of(noisy_network().run(300.0))
    b = spikes_of(noisy_network().run(300.0))
    assert len(a["E"][0]) > 100
    assert_identical(a, b)
    c = spikes_of(noisy_network(seed=6).run(300.0))
    assert not np.array_equal(a["E"][0][:50], c["E"][0][:50])


def test_split_run_equals_one_run():
    whole = spikes_of(noisy_network().run(300.0))
    net = noisy_network()
    net.run(100.0)
    net.run(50.0)
    split = spikes_of(net.run(150.0))
    assert_identical(whole, split)


SCRIPT = """
import numba, numpy as np, sys
numba.set_num_threads(int(sys.argv[1]))
sys.path.insert(0, sys.argv[2])
from test_determinism import noisy_network, spikes_of
s = spikes_of(noisy_network().run(200.0))
np.save(sys.argv[3], np.concatenate([s["E"][0], s["I"][0]]))
"""


def test_result_does_not_depend_on_thread_count(tmp_path):
    import os

    here = os.path.dirname(__file__)
    out = []
    for threads in (1, 2):
        path = tmp_path / f"t{threads}.npy"
        env = dict(os.environ, NUMBA_NUM_THREADS="2")
        subprocess.run([sys.executable, "-c", SCRIPT, str(threads), here, str(path)],
                       check=True, env=env)
        out.append(np.load(path))
    np.testing.assert_array_equal(out[0], out[1])


SPLIT_SCRIPT = """
import numba, numpy as np, sys
numba.set_num_threads(int(sys.argv[1]))
import lifnet as ln
from lifnet.integrators import layout, second_thread
net = ln.models.coba(n=2600, seed=2)
# A Poisson drive into E's excitatory gate: its events too are listed by both threads.
net.stimulate(net.population("E"), ln.PoissonDrive(
    rate=200.0, weight=0.002, receptor=ln.ExponentialSynapse(name="e", tau=5.0, E=0.0)))
threads = int(sys.argv[1])
net.run(100.0, threads=threads)
assert second_thread.wanted(net._asm, threads, 1, 0, 0, None, None) == (threads > 1)
r = net.run(150.0, threads=threads)
# No second thread now: the run must not wait for one, whatever the last timing chose.
net._asm.mailbox[layout.M_USE] = 1
net.run(20.0, threads=1)
np.save(sys.argv[2], np.stack([np.concatenate([r.spikes(p).times for p in ("E", "I")]),
                               np.concatenate([r.spikes(p).ids for p in ("E", "I")])]))
"""


def test_populations_split_between_two_threads_give_the_same_spikes(tmp_path):
    """COBA's populations (2080 and 520 cells, two gates) are large enough for the
    second thread to take half of each (its arrivals, Poisson drive included, its
    quick and careful steps): the spikes must not change. Whatever the
    timing chooses, the steps that time it (every layout.PROBE_PERIOD steps)
    alternate between the split and the single thread."""
    import os

    out = []
    for threads in (1, 2):
        path = tmp_path / f"t{threads}.npy"
        env = dict(os.environ, NUMBA_NUM_THREADS="2")
        subprocess.run([sys.executable, "-c", SPLIT_SCRIPT, str(threads), str(path)],
                       check=True, env=env, timeout=300)
        out.append(np.load(path))
    assert out[0].shape[1] > 5000
    np.testing.assert_array_equal(out[0], out[1])


MICROCIRCUIT_SPLIT_SCRIPT = """
import numba, numpy as np, sys
numba.set_num_threads(int(sys.argv[1]))
import lifnet as ln
from lifnet.integrators import second_thread
threads = int(sys.argv[1])
# Scale 0.1: L2/3E and I, L4E and I, L6E (583-2192 cells) are split between the threads;
# Poisson drive and recurrent current synapses onto both halves.
net = ln.models.potjans_diesmann(scale=0.1, k_scale=0.1, seed=3)
net.run(50.0, threads=threads)
assert second_thread.wanted(net._asm, threads, 1, 0, 0, None, None) == (threads > 1)
assert net._asm.helper.can_split.sum() == (5 if threads > 1 else 0)
r = net.run(250.0, threads=threads)
names = list(net.populations)
np.save(sys.argv[2], np.stack([np.concatenate([r.spikes(p).times for p in names]),
                               np.concatenate([r.spikes(p).ids for p in names])]))
"""


@pytest.mark.long
def test_current_based_cells_split_between_two_threads_give_the_same_spikes(tmp_path):
    """The second thread takes the upper half of each large CurrentBasedLIFPop population
    (its arrivals and summed inputs, its exact step, its spikes appended after the
    first thread's): the spikes of the microcircuit must not change."""
    import os

    out = []
    for threads in (1, 2):
        path = tmp_path / f"t{threads}.npy"
        env = dict(os.environ, NUMBA_NUM_THREADS="2")
        subprocess.run([sys.executable, "-c", MICROCIRCUIT_SPLIT_SCRIPT, str(threads),
                        str(path)], check=True, env=env, timeout=600)
        out.append(np.load(path))
    assert out[0].shape[1] > 3000
    np.testing.assert_array_equal(out[0], out[1])
