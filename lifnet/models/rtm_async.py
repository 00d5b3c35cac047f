"""30 RTM cells, all-to-all excitation, started asynchronously by one kick each.

After a BMTK (BioNet) example notebook: 30 reduced Traub-Miles cells, every
ordered pair connected (no autapses) by an ``Exp2Syn`` synapse of random
weight uniform in [0.00625, 0.00825], a constant "frozen noise" current
uniform in [0.25, 0.35] into each cell, and one input spike per cell at a
random time in [0, 25) ms ("asynchronous initialisation"); 800 ms at
dt = 0.1 ms. In BioNet that notebook stops before it runs (``KeyError:
'Property sec_x not found in edge.'``: its edges carry no section
position); here it runs as point cells.

The weights (µS) and currents (nA) of the notebook are for whole cells.
Its template ``RTMExcCell`` (not in the notebook; public BMTK PING examples
define it) is one soma section with NEURON's default size, L = 100 µm and
diam = 500 µm: 1.5708e-3 cm². So the cells here have the RTM densities
times that area (``area``): C = 1.5708 nF, g_Na = 157 µS, and so on, and
take the weights and currents as they are. What the notebook leaves
unsaid, and the choices made here: the synapse time constants
(``PING_ExcToExc.json``), taken as Börgers' E synapse, rise 0.5 ms, decay
3 ms, reversal 0 mV; and the kick, an excitatory synapse of peak
``kick_weight`` strong enough to fire a resting cell at once.
"""

import numpy as np

from ..currents import CurrentClamp, DoubleExponentialSynapse
from ..network import Network
from ..populations import RTMPop, SpikeSourcePop, WBPop

NEURON_SOMA_AREA = 1.5707963e-3  # cm², pi x 500 µm x 100 µm: NEURON's default section


def rtm_async(*, n=30, w_min=0.00625, w_max=0.00825, i_min=0.25, i_max=0.35, kick_max=25.0,
              kick_weight=1.0, tau_rise=0.5, tau_decay=3.0, E_syn=0.0, n_i=0, g_ei=0.25,
              g_ie=0.25, g_ii=0.25, p_inh=0.5, tau_rise_i=0.5, tau_decay_i=9.0, E_inh=-75.0,
              area=NEURON_SOMA_AREA, delay=0.1, dt=0.1, seed=0, interpolation="hermite"):
    """Build the network; every quantity a keyword.

    Parameters
    ----------
    n : int
        Number of RTM cells.
    area : float
        Membrane area of each cell, cm²: the RTM (and WB) densities are
        multiplied by it.
    w_min, w_max : float
        Recurrent synaptic peak conductances are uniform in [w_min, w_max), µS
        (mS/cm²).
    i_min, i_max : float
        Each cell's constant current is uniform in [i_min, i_max), nA (µA/cm²).
    kick_max : float
        Each cell's kick arrives at a time uniform in [0, kick_max) ms.
    kick_weight : float
        Peak conductance of the kick, µS (whole cell).
    tau_rise, tau_decay, E_syn : float
        The synapses' rise and decay times (ms) and reversal potential (mV).
    n_i : int
        Wang-Buzsáki interneurons added to make the network's PING version
        (0: the BMTK notebook's E-only network), wired as ``models.ping`` wires them.
    g_ei, g_ie, g_ii : float
        Summed peak conductance onto a cell from a whole population, per
        area, mS/cm²: E -> I, I -> E, I -> I (with interneurons).
    p_inh : float
        Connection probability of E -> I, I -> E and I -> I.
    tau_rise_i, tau_decay_i, E_inh : float
        The inhibitory synapses' rise and decay (ms) and reversal (mV).
    delay : float
        Synaptic delay, ms.
    dt : float
        Time step, ms.
    seed : int
        Seed of weights, currents and kick times.
    interpolation : str
        Spike placement inside the step (see ``Network``).

    Returns
    -------
    Network with populations "E" (the cells), "kick" (their input spikes) and,
    with ``n_i > 0``, "I".
    """
    net = Network(dt=dt, seed=seed, interpolation=interpolation)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 3]))
    k = area / 1e-3     # lifnet's units are per 1e-3 cm² of membrane
    E = net.add(RTMPop(n, name="E", C=k, g_Na=100.0 * k, g_K=80.0 * k, g_L=0.1 * k))
    net.stimulate(E, CurrentClamp(amplitude=rng.uniform(i_min, i_max, n)))
    kicks = net.add(SpikeSourcePop(n, name="kick", times=rng.uniform(0.0, kick_max, n),
                                   ids=np.arange(n)))
    syn = DoubleExponentialSynapse(tau_rise=tau_rise, tau_decay=tau_decay, E=E_syn, name="ampa")
    weights = rng.uniform(w_min, w_max, (n, n))
    np.fill_diagonal(weights, 0.0)
    net.connect(E, E, receptor=syn, weight=weights, rule="array", delay=delay)
    net.connect(kicks, E, receptor=syn, weight=kick_weight * np.eye(n), rule="array",
                delay=delay)
    if n_i > 0:
        I = net.add(WBPop(n_i, name="I", C=k, g_Na=35.0 * k, g_K=9.0 * k, g_L=0.1 * k))
        inh = DoubleExponentialSynapse(tau_rise=tau_rise_i, tau_decay=tau_decay_i, E=E_inh,
                                       name="gaba")
        for pre, post, rec, g_hat in ((E, I, syn, g_ei), (I, E, inh, g_ie), (I, I, inh, g_ii)):
            net.connect(pre, post, receptor=rec, weight=k * g_hat / (p_inh * pre.n),
                        rule="probability", p=p_inh, delay=delay)
    return net
