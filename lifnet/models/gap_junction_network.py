"""NEST's inhibitory Hodgkin-Huxley network with gap junctions.

Hahne et al. (2015), test case 2; NEST's ``gap_junctions_inhibitory_network``:
500 ``hh_psc_alpha_gap`` cells (``HHPop``), each receiving 50 inhibitory
inputs from the others (fixed in-degree, -50 pA alpha currents, tau 2 ms,
delay 1 ms) and an independent 500 Hz Poisson train (300 pA alpha currents,
tau 0.2 ms); V starts uniform in [-80, -40] mV with the gates at NEST's
resting values; 500 x 60 / 2 = 15 000 random pairs of cells coupled by gap
junctions. Without them the network is asynchronous; it synchronises as
the gap weight grows: asynchronous at 0.3 nS, switching at 0.54, synchronous
at 0.7.

Differences from NEST, each small: NEST allows a cell the same inhibitory
partner twice (multapses), lifnet's fixed in-degree draws distinct partners;
lifnet drops the 35 pairs that draw one cell twice (a self-junction carries
no current); NEST counts a spike at the peak above 0 mV, on the grid,
lifnet at the upward crossing of 0 mV, interpolated. The gap pairs are
drawn exactly as NEST's example draws them (numpy's legacy generator,
seeded), so both simulators couple the same cells.
"""

import numpy as np

from ..currents import AlphaCurrentSynapse, PoissonDrive
from ..network import Network
from ..populations import HHPop


def gap_junction_network(*, gap_weight=0.0003, n=500, gap_per_neuron=60, inh_per_neuron=50,
                         j_exc=0.3, j_inh=-0.05, tau_exc=0.2, tau_inh=2.0, rate=500.0,
                         delay=1.0, V_low=-80.0, V_high=-40.0, dt=0.05, seed=1,
                         gap_seed=None, interpolation="hermite"):
    """Build the network; every quantity a keyword (lifnet units: µS, nA, mV, ms).

    Parameters
    ----------
    gap_weight : float
        Conductance of each gap junction, µS (NEST's example: 0.3 nS = 0.0003 µS
        asynchronous, 0.7 nS = 0.0007 µS synchronous).
    n : int
        Number of cells.
    gap_per_neuron : int
        Mean gap junctions per cell; n x gap_per_neuron / 2 pairs are drawn.
    inh_per_neuron : int
        Inhibitory inputs per cell (fixed in-degree, no autapses).
    j_exc, j_inh : float
        Peak currents of a Poisson event and of an inhibitory spike, nA
        (NEST: 300 pA and -50 pA).
    tau_exc, tau_inh : float
        Rise times of the alpha currents, ms (NEST ``tau_syn_ex``, ``tau_syn_in``).
    rate : float
        Rate of each cell's Poisson input, Hz.
    delay : float
        Delay of the inhibitory synapses, ms.
    V_low, V_high : float
        V starts uniform in [V_low, V_high), mV.
    dt : float
        Time step, ms (NEST's example: 0.05).
    seed : int
        Seed of the network (wiring, initial V, Poisson trains).
    gap_seed : int or None
        Seed of numpy's legacy generator for the gap pairs (NEST's
        example calls ``numpy.random.seed``); None: ``seed``.
    interpolation : str
        Spike placement inside the step (see ``Network``).

    Returns
    -------
    Network with one population, "HH".
    """
    net = Network(dt=dt, seed=seed, interpolation=interpolation)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 3]))
    cells = net.add(HHPop(n, name="HH", V_init=rng.uniform(V_low, V_high, n)))
    net.connect(cells, cells, receptor=AlphaCurrentSynapse(tau=tau_inh, name="inh"),
                weight=j_inh, rule="fixed_indegree", indegree=inh_per_neuron, delay=delay)
    net.stimulate(cells, PoissonDrive(rate=rate, weight=j_exc,
                                      receptor=AlphaCurrentSynapse(tau=tau_exc, name="exc")))
    legacy = np.random.RandomState(seed if gap_seed is None else gap_seed)
    pairs = legacy.choice(n, size=(n * gap_per_neuron // 2, 2))
    net.gap_junctions(cells, pairs=pairs, weight=gap_weight)
    return net
