"""The two-choice decision network of Wang (2002), Neuron 36:955-968.

1600 pyramidal cells and 400 interneurons, all to all. Two selective pools
A and B (a fraction f of the pyramidal cells each) receive the stimulus;
the rest is non-selective ("NS"). Within a selective pool the recurrent AMPA
and NMDA synapses are potentiated (w+); from the other selective pool and
from the non-selective cells they are depressed (w- = 1 - f (w+ - 1) / (1 - f)),
so the mean input of every cell stays that of the unstructured network.
Inhibition is global. Every cell receives a 2.4 kHz Poisson background.

Stimulus (Wang 2002, Methods): from ``stim_start`` for ``stim_duration``,
pool A receives Poisson events at mu_A = mu0 (1 + c / 100) and pool B at
mu_B = mu0 (1 - c / 100) Hz, c the coherence in percent; each rate is
redrawn every ``stim_interval`` ms with Gaussian fluctuations of SD
``stim_sigma`` (Hz). Populations are "A", "B", "NS" and "I".
"""

import numpy as np

from .. import validation as val
from ..currents import AMPA, GABA, NMDA, PoissonDrive
from ..network import Network
from ..populations import InterPop, PyrPop

N_E_PUBLISHED, N_I_PUBLISHED = 1600, 400


def wang2002(*, coherence=0.0, N_E=1600, N_I=400, f=0.15, w_plus=1.7, G_ext_E=2.1,
             G_ext_I=1.62, ext_rate=2400.0, G_AMPA_E=0.05, G_AMPA_I=0.04, G_NMDA_E=0.165,
             G_NMDA_I=0.13, G_GABA_E=1.3, G_GABA_I=1.0, tau_GABA=5.0, mu0=40.0,
             stim_sigma=4.0, stim_interval=50.0, stim_start=500.0, stim_duration=2000.0,
             delay=0.5, dt=0.1, seed=0, interpolation="hermite"):
    """Build the Wang (2002) network for one trial; every quantity a keyword.

    Parameters
    ----------
    coherence : float
        Motion coherence c, percent (0 ... 100): the stimulus favours pool A
        by mu0 c / 100 Hz over the mean and disfavours B by as much.
    N_E, N_I : int
        Pyramidal cells and interneurons. Conductances are given for the
        published 1600 / 400 and scaled by 1600 / N_E and 400 / N_I.
    f : float
        Fraction of the pyramidal cells in each selective pool.
    w_plus : float
        Potentiated weight within a selective pool (w- follows from it).
    G_ext_E, G_ext_I : float
        AMPA conductance per external (background or stimulus) event, nS.
    ext_rate : float
        Background Poisson rate into every cell, Hz.
    G_AMPA_E, G_AMPA_I, G_NMDA_E, G_NMDA_I : float
        Recurrent AMPA and NMDA conductance per synapse onto pyramidal cells
        and interneurons, nS.
    G_GABA_E, G_GABA_I : float
        GABA_A conductance per synapse onto pyramidal cells and interneurons, nS.
    tau_GABA : float
        GABA_A decay time constant, ms.
    mu0 : float
        Mean stimulus rate into each selective cell, Hz.
    stim_sigma : float
        SD of the stimulus rate fluctuations, Hz.
    stim_interval : float
        How often the stimulus rates are redrawn, ms.
    stim_start, stim_duration : float
        Stimulus window, ms.
    delay : float
        Delay of every recurrent synapse, ms.
    dt : float
        Time step, ms.
    seed : int
        Seed of initial state, background, stimulus rates and events.
    interpolation : str
        Spike placement inside the step (see ``Network``).

    Returns
    -------
    Network with populations "A", "B", "NS" (pyramidal) and "I".
    """
    owner = "wang2002"
    coherence = val.number("coherence", coherence, owner=owner, low=0.0, high=100.0)
    f = val.number("f", f, owner=owner, low=0.0, low_open=True, high=0.5)
    n_pool = int(round(f * N_E))
    if n_pool < 1 or N_E - 2 * n_pool < 1:
        raise val.ParameterError(
            f"{owner}: f={f} with N_E={N_E} leaves no cells in a selective or the "
            "non-selective pool")
    w_minus = 1.0 - f * (w_plus - 1.0) / (1.0 - f)
    if w_minus < 0.0:
        raise val.ParameterError(
            f"{owner}: w_plus={w_plus} with f={f} makes w- = {w_minus:.3g} negative")
    stim_interval = val.positive("stim_interval", stim_interval, owner=owner)

    net = Network(dt=dt, seed=seed, interpolation=interpolation)
    cell_e = dict(E_L=-70.0, V_th=-50.0, V_reset=-55.0, t_ref=2.0)
    A = net.add(PyrPop(n_pool, name="A", **cell_e))
    B = net.add(PyrPop(n_pool, name="B", **cell_e))
    NS = net.add(PyrPop(N_E - 2 * n_pool, name="NS", **cell_e))
    I = net.add(InterPop(N_I, name="I", E_L=-70.0, V_th=-50.0, V_reset=-55.0, t_ref=1.0))
    from_E = N_E_PUBLISHED / N_E * 1e-3   # nS -> µS, scaled to the size
    from_I = N_I_PUBLISHED / N_I * 1e-3
    ampa = AMPA(tau=2.0, E=0.0)
    nmda = NMDA(tau_x=2.0, tau=100.0, alpha=0.5, E=0.0, Mg=1.0)
    gaba = GABA(tau=tau_GABA, E=-70.0)

    pyramidal = (A, B, NS)
    for pre in pyramidal:
        for post in pyramidal:
            if post is NS:
                w = 1.0
            elif pre is post:
                w = w_plus
            else:
                w = w_minus
            net.connect(pre, post, receptor=ampa, weight=w * G_AMPA_E * from_E, delay=delay)
            net.connect(pre, post, receptor=nmda, weight=w * G_NMDA_E * from_E, delay=delay)
        net.connect(pre, I, receptor=ampa, weight=G_AMPA_I * from_E, delay=delay)
        net.connect(pre, I, receptor=nmda, weight=G_NMDA_I * from_E, delay=delay)
    for post in pyramidal:
        net.connect(I, post, receptor=gaba, weight=G_GABA_E * from_I, delay=delay)
    net.connect(I, I, receptor=gaba, weight=G_GABA_I * from_I, delay=delay)

    for pop in pyramidal:
        net.stimulate(pop, PoissonDrive(rate=ext_rate, weight=G_ext_E * 1e-3))
    net.stimulate(I, PoissonDrive(rate=ext_rate, weight=G_ext_I * 1e-3))

    rng = np.random.default_rng(np.random.SeedSequence([seed, 3]))
    n_windows = int(np.ceil(stim_duration / stim_interval - 1e-9))
    for pool, sign in ((A, 1.0), (B, -1.0)):
        mean = mu0 * (1.0 + sign * coherence / 100.0)
        rates = np.clip(mean + stim_sigma * rng.standard_normal(n_windows), 0.0, None)
        for k, rate in enumerate(rates):
            start = stim_start + k * stim_interval
            stop = min(start + stim_interval, stim_start + stim_duration)
            net.stimulate(pool, PoissonDrive(rate=float(rate), weight=G_ext_E * 1e-3,
                                             start=start, stop=stop))
    return net
