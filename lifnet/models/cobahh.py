"""COBAHH, benchmark 3 of Brette et al. (2007): 4000 Traub-Miles HH cells, conductance synapses.

The COBA network with Hodgkin-Huxley cells: 3200 excitatory and 800
inhibitory ``TraubPop`` cells (membrane of 20 000 µm²), every ordered pair
connected with probability 2 %, exponential conductances (6 nS, tau 5 ms,
0 mV from E; 67 nS, tau 10 ms, -80 mV from I). No external input: the
cells' intrinsic oscillation and the initial conductances start the
activity. Started as Brian2's COBAHH example starts it: V = E_L + (5 N(0,1)
- 5) mV, g_e = (4 + 1.5 N(0,1)) x 10 nS, g_i = (20 + 12 N(0,1)) x 10 nS
(negative draws clipped to 0; Brian2 keeps them), gates m = h = n = 0.
"""

import numpy as np

from ..network import Network
from ..populations import TraubPop
from .coba import wire_and_start


def cobahh(*, n=4000, exc_fraction=0.8, p=0.02, w_e=0.006, w_i=0.067, tau_e=5.0, tau_i=10.0,
           E_e=0.0, E_i=-80.0, delay=None, dt=0.1, seed=0, method="auto",
           interpolation="hermite"):
    """Build the COBAHH network; every quantity a keyword.

    Parameters
    ----------
    n : int
        Number of cells.
    exc_fraction : float
        Fraction of them that are excitatory.
    p : float
        Connection probability of each ordered pair (no autapses).
    w_e, w_i : float
        Excitatory and inhibitory conductance increments, µS (6 nS, 67 nS).
    tau_e, tau_i : float
        Synaptic decay time constants, ms.
    E_e, E_i : float
        Synaptic reversal potentials, mV.
    delay : float
        Synaptic delay, ms (default: dt, the shortest allowed).
    dt : float
        Time step, ms.
    seed : int
        Seed of connectivity and initial state.
    method : str
        The cells' step (see ``ConductancePopulation``).
    interpolation : str
        Spike placement inside the step (see ``Network``).

    Returns
    -------
    Network with populations "E" and "I".
    """
    net = Network(dt=dt, seed=seed, interpolation=interpolation)
    n_e = int(round(n * exc_fraction))
    E = net.add(TraubPop(n_e, name="E", method=method))
    I = net.add(TraubPop(n - n_e, name="I", method=method))
    rng = np.random.default_rng(np.random.SeedSequence([seed, 2]))
    wire_and_start(net, E, I, p=p, w_e=w_e, w_i=w_i, tau_e=tau_e, tau_i=tau_i, E_e=E_e,
                   E_i=E_i, delay=delay, rng=rng)
    for pop in (E, I):
        net.set_state(pop, "V", pop.E_L + 5.0 * rng.standard_normal(pop.n) - 5.0)
        for gate in ("m", "h", "n"):
            net.set_state(pop, gate, 0.0)
    return net
