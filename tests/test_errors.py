"""Bad input fails early with the parameter, its value and what is allowed."""

import math
import re

import numpy as np
import pytest
import scipy.sparse as sp

import lifnet as ln


def two_pops():
    net = ln.Network(dt=0.1, seed=1)
    return net, net.add(ln.PyrPop(10, name="E")), net.add(ln.InterPop(5, name="I"))


@pytest.mark.parametrize("n", [0, -3])
def test_population_size_must_be_positive(n):
    with pytest.raises(ln.ParameterError, match=rf"n={n}.*>= 1"):
        ln.PyrPop(n)


def test_population_size_must_be_integer():
    with pytest.raises(ln.ParameterError, match="n=2.5 must be an integer"):
        ln.PyrPop(2.5)


@pytest.mark.parametrize("dt", [0.0, -0.1, math.nan, math.inf])
def test_dt_must_be_positive_and_finite(dt):
    with pytest.raises(ln.ParameterError, match="dt="):
        ln.Network(dt=dt)


def test_unknown_keyword_is_an_error():
    with pytest.raises(TypeError, match="V_thresh"):
        ln.PyrPop(3, V_thresh=-50.0)
    net, E, _ = two_pops()
    with pytest.raises(TypeError, match="wieght"):
        net.connect(E, E, wieght=0.1)


def test_parameter_values_are_checked():
    with pytest.raises(ln.ParameterError, match="C=-0.5 must be > 0"):
        ln.PyrPop(3, C=-0.5)
    with pytest.raises(ln.ParameterError, match="V_reset=-40.0 must be below V_th=-50.0"):
        ln.PyrPop(3, V_reset=-40.0)
    with pytest.raises(ln.ParameterError, match="t_ref=-1.0 must be >= 0"):
        ln.InterPop(3, t_ref=-1.0)
    with pytest.raises(ln.ParameterError, match="V_init has shape"):
        ln.PyrPop(3, V_init=[-60.0, -61.0])


@pytest.mark.parametrize("weight", [math.nan, math.inf, -math.inf])
def test_non_finite_weights_are_rejected(weight):
    net, E, I = two_pops()
    with pytest.raises(ln.ParameterError, match="weight"):
        net.connect(E, I, weight=weight)
    w = np.full((10, 5), 0.01)
    w[3, 2] = weight
    with pytest.raises(ln.ParameterError, match=r"weight must be finite; element \(3, 2\)"):
        net.connect(E, I, weight=w, rule="array")


def test_wrongly_shaped_weights_are_rejected():
    net, E, I = two_pops()
    with pytest.raises(ln.ParameterError, match=r"shape \(5, 10\); expected \(10, 5\)"):
        net.connect(E, I, weight=np.ones((5, 10)), rule="array")
    with pytest.raises(ln.ParameterError, match=r"shape \(3, 3\); expected \(10, 5\)"):
        net.connect(E, I, weight=sp.eye(3), rule="array")
    with pytest.raises(ln.ParameterError, match=r"expected \(10, 5\)"):
        net.connect(E, I, weight=np.ones((10, 4)), rule="all_to_all")


def test_delay_shorter_than_dt_is_rejected():
    net, E, I = two_pops()
    with pytest.raises(ln.ParameterError, match=r"delay=0.05 ms is shorter than dt=0.1"):
        net.connect(E, I, weight=0.01, delay=0.05)
    with pytest.raises(ln.ParameterError, match=r"delay=-1.0 must be > 0"):
        net.connect(E, I, weight=0.01, delay=-1.0)


def test_rule_arguments_are_checked():
    net, E, I = two_pops()
    with pytest.raises(ln.ParameterError, match="rule='rings' is not one of"):
        net.connect(E, I, weight=0.01, rule="rings")
    with pytest.raises(ln.ParameterError, match="needs ring populations; pre='E' is a PyrPop"):
        net.connect(E, I, weight=0.01, rule="ring", J_plus=1.5, sigma=20.0)
    ring = net.add(ln.PyrRingPop(64, name="ring"))
    with pytest.raises(ln.ParameterError, match="needs J_plus"):
        net.connect(ring, ring, weight=0.01, rule="ring")
    with pytest.raises(ln.ParameterError, match="J_plus and sigma belong to rule='ring'"):
        net.connect(E, I, weight=0.01, J_plus=1.5)
    with pytest.raises(ln.ParameterError, match=r"J_plus <= 7\.18\d for this sigma"):
        net.connect(ring, ring, weight=0.01, rule="ring", J_plus=8.0, sigma=20.0)
    with pytest.raises(ln.ParameterError, match="p=1.5 must be <= 1"):
        net.connect(E, I, weight=0.01, rule="probability", p=1.5)
    with pytest.raises(ln.ParameterError, match="indegree=10 exceeds the 9 available"):
        net.connect(E, E, weight=0.01, rule="fixed_indegree", indegree=10)
    with pytest.raises(ln.ParameterError, match="receptor='AMPAR' is not one of"):
        net.connect(E, I, weight=0.01, receptor="AMPAR")


def test_unknown_population_and_state_variable():
    net, E, _ = two_pops()
    with pytest.raises(ln.ParameterError, match="population 'X' is not in this network"):
        net.connect("X", E, weight=0.01)
    net.monitor(E, "g_GABA")
    with pytest.raises(ln.ParameterError, match="no state variable 'g_GABA'; it has V"):
        net.run(1.0)


def test_duration_must_be_whole_steps():
    net, _, _ = two_pops()
    with pytest.raises(ln.ParameterError, match="not a whole number of steps"):
        net.run(1.05)
    with pytest.raises(ln.ParameterError, match="duration=-5.0 must be > 0"):
        net.run(-5.0)


def test_divergence_stops_the_run_naming_population_neuron_and_time():
    net = ln.Network(dt=0.1, seed=1)
    pop = net.add(ln.PyrPop(3, name="cells", V_init=-70.0))
    net.stimulate(pop, ln.CurrentClamp(amplitude=[0.0, -5.0e6, 0.0], start=2.0))
    with pytest.raises(ln.SimulationError,
                       match=r"population 'cells', neuron 1: membrane potential "
                             r"-?(\d|inf|nan)[^(]* mV at t=2\.1 ms"):
        net.run(10.0)


SPLIT_DIVERGENCE = """
import numba, numpy as np, sys
numba.set_num_threads(2)
import lifnet as ln
net = ln.models.coba(n=2600, seed=2)          # E: 2080 cells, split between two threads
E = net.population("E")
amp = np.zeros(E.n)
amp[int(sys.argv[1])] = -5.0e6
net.stimulate(E, ln.CurrentClamp(amplitude=amp, start=2.0))
try:
    net.run(5.0, threads=2)
except ln.SimulationError as error:
    print(error)
"""


@pytest.mark.parametrize("neuron", [100, 2000])
def test_divergence_is_reported_from_either_thread(neuron):
    """With two threads, the upper half of a large population is stepped by the
    second thread (steps 20-29 are among those that use it whatever the timing
    chooses): a neuron diverging there stops the run as on one thread."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, NUMBA_NUM_THREADS="2")
    run = subprocess.run([sys.executable, "-c", SPLIT_DIVERGENCE, str(neuron)], env=env,
                         capture_output=True, text=True, timeout=300, check=True)
    assert re.search(rf"population 'E', neuron {neuron}: .* at t=2\.1 ms", run.stdout), \
        run.stdout + run.stderr
