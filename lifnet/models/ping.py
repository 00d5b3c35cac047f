"""Pyramidal-interneuron network gamma (PING): RTM excitatory and Wang-Buzsáki inhibitory cells.

Börgers & Kopell (2003, 2005); the example of Börgers, *An Introduction to
Modeling Neuronal Dynamics* (2017), ch. 30: N_E RTM cells driven by a
constant current ``I_E (1 + sigma_E X_i)``, X_i ~ N(0, 1), and N_I WB cells
without drive; E -> I, I -> E and I -> I synapses with connection
probability 0.5, double-exponential conductances (rise/decay 0.5/3 ms,
reversal 0 mV, from E; 0.5/9 ms, -75 mV, from I) whose summed peak onto a
cell is g_hat (mS/cm², µS here): each synapse has peak g_hat / (p N_pre).
The I cells fire when the E volley excites them, and their inhibition
holds the E cells until it decays: a rhythm in the gamma band. Börgers'
200/50 example, with his synapse model, gives about 47 Hz with every E cell
firing on every cycle; with the normalised double-exponential synapses
here it runs near 42 Hz (Brian2, the same equations: 42.5 Hz).
"""

import numpy as np

from ..currents import CurrentClamp, DoubleExponentialSynapse
from ..network import Network
from ..populations import RTMPop, WBPop


def ping(*, n_e=200, n_i=50, I_e=1.4, sigma_e=0.05, g_ei=0.25, g_ie=0.25, g_ii=0.25,
         p_ei=0.5, p_ie=0.5, p_ii=0.5, tau_r_e=0.5, tau_d_e=3.0, tau_r_i=0.5, tau_d_i=9.0,
         E_e=0.0, E_i=-75.0, delay=0.1, V_spike=0.0, V_low=-70.0, V_high=-50.0, dt=0.05,
         seed=0, method="auto", interpolation="hermite"):
    """Build the PING network; every quantity a keyword (per-area units, see ``RTMPop``).

    Parameters
    ----------
    n_e, n_i : int
        Numbers of E (RTM) and I (WB) cells.
    I_e : float
        Mean drive to the E cells, nA (µA/cm²).
    sigma_e : float
        Relative spread of that drive (standard deviation / mean).
    g_ei, g_ie, g_ii : float
        Summed peak conductance onto one cell from a whole population, µS
        (mS/cm²): E -> I, I -> E, I -> I.
    p_ei, p_ie, p_ii : float
        Connection probabilities.
    tau_r_e, tau_d_e, tau_r_i, tau_d_i : float
        Rise and decay times of the E and I synapses, ms.
    E_e, E_i : float
        Their reversal potentials, mV.
    delay : float
        Synaptic delay, ms.
    V_spike : float
        Spike detection threshold (upward crossing), mV.
    V_low, V_high : float
        V starts uniform in [V_low, V_high), gates at their steady state, mV.
    dt : float
        Time step, ms.
    seed : int
        Seed of wiring, drive and initial state.
    method : str
        The cells' step (see ``ConductancePopulation``).
    interpolation : str
        Spike placement inside the step (see ``Network``).

    Returns
    -------
    Network with populations "E" and "I".
    """
    net = Network(dt=dt, seed=seed, interpolation=interpolation)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 3]))
    E = net.add(RTMPop(n_e, name="E", V_spike=V_spike, method=method,
                       V_init=rng.uniform(V_low, V_high, n_e)))
    I = net.add(WBPop(n_i, name="I", V_spike=V_spike, method=method,
                      V_init=rng.uniform(V_low, V_high, n_i)))
    net.stimulate(E, CurrentClamp(amplitude=I_e * (1.0 + sigma_e * rng.standard_normal(n_e))))
    exc = DoubleExponentialSynapse(tau_rise=tau_r_e, tau_decay=tau_d_e, E=E_e, name="e")
    inh = DoubleExponentialSynapse(tau_rise=tau_r_i, tau_decay=tau_d_i, E=E_i, name="i")
    for pre, post, rec, g_hat, p in ((E, I, exc, g_ei, p_ei), (I, E, inh, g_ie, p_ie),
                                     (I, I, inh, g_ii, p_ii)):
        if g_hat > 0.0 and p > 0.0:
            net.connect(pre, post, receptor=rec, weight=g_hat / (p * pre.n),
                        rule="probability", p=p, delay=delay)
    return net
