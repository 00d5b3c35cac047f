"""The COBA network of Brette et al. (2007), benchmark 1 (after Vogels & Abbott 2005).

4000 LIF cells, 80 % excitatory, every ordered pair connected with probability
2 %, conductance-based exponential synapses. Started as Brian2's COBA
example starts it, because with zero initial conductances the network stays
silent: V uniform in [-60, -50) mV, g_e = (4 + 1.5 N(0,1)) x 10 nS,
g_i = (20 + 12 N(0,1)) x 10 nS (negative draws clipped to 0).
"""

import numpy as np

from ..currents import ExponentialSynapse
from ..network import Network
from ..populations import LIFPopulation


def coba(*, n=4000, exc_fraction=0.8, p=0.02, w_e=0.006, w_i=0.067, tau_e=5.0, tau_i=10.0,
         E_e=0.0, E_i=-80.0, C=0.2, g_L=0.01, E_L=-60.0, V_th=-50.0, V_reset=-60.0,
         t_ref=5.0, delay=None, dt=0.1, seed=0, interpolation="hermite"):
    """Build the COBA network; every quantity a keyword.

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
    C : float
        Membrane capacitance, nF (200 pF).
    g_L : float
        Leak conductance, µS (10 nS).
    E_L, V_th, V_reset : float
        Leak reversal, threshold and reset, mV.
    t_ref : float
        Refractory period, ms.
    delay : float
        Synaptic delay, ms (default: dt, the shortest allowed).
    dt : float
        Time step, ms.
    seed : int
        Seed of connectivity and initial state.
    interpolation : str
        Spike placement inside the step (see ``Network``).

    Returns
    -------
    Network with populations "E" and "I".
    """
    net = Network(dt=dt, seed=seed, interpolation=interpolation)
    n_e = int(round(n * exc_fraction))
    cell = dict(C=C, g_L=g_L, E_L=E_L, V_th=V_th, V_reset=V_reset, t_ref=t_ref)
    E = net.add(LIFPopulation(n_e, name="E", **cell))
    I = net.add(LIFPopulation(n - n_e, name="I", **cell))
    wire_and_start(net, E, I, p=p, w_e=w_e, w_i=w_i, tau_e=tau_e, tau_i=tau_i, E_e=E_e,
                   E_i=E_i, delay=delay, rng=np.random.default_rng(np.random.SeedSequence(
                       [seed, 2])))
    return net


def wire_and_start(net, E, I, *, p, w_e, w_i, tau_e, tau_i, E_e, E_i, delay, rng):
    """The wiring and the initial conductances Brette et al.'s COBA and COBAHH share.

    Every ordered pair connected with probability p through exponential
    conductances named "e" and "i"; g_e = (4 + 1.5 N(0,1)) x 10 nS and g_i =
    (20 + 12 N(0,1)) x 10 nS drawn from rng, negative draws clipped to 0.
    """
    exc = ExponentialSynapse(tau=tau_e, E=E_e, name="e")
    inh = ExponentialSynapse(tau=tau_i, E=E_i, name="i")
    for pre, rec, w in ((E, exc, w_e), (I, inh, w_i)):
        for post in (E, I):
            net.connect(pre, post, receptor=rec, weight=w, rule="probability", p=p,
                        delay=delay)
    for pop in (E, I):
        net.set_state(pop, "g_e", np.clip((4.0 + 1.5 * rng.standard_normal(pop.n)) * 0.01,
                                           0.0, None))
        net.set_state(pop, "g_i", np.clip((20.0 + 12.0 * rng.standard_normal(pop.n)) * 0.01,
                                           0.0, None))
