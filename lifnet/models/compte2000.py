"""The spatial working-memory ring network of Compte, Brunel, Goldman-Rakic & Wang (2000).

Cereb. Cortex 10:910-923. 2048 pyramidal cells and 512 interneurons, each
with a preferred direction on a ring; all to all. Recurrent excitation is
NMDA only, through the footprint ``J(theta_i - theta_j)`` between pyramidal
cells (``rule="ring"``) and uniform onto interneurons; inhibition is GABA_A,
uniform. Every cell receives an independent Poisson train of external AMPA
events. A cue current peaked at ``cue_theta`` drives the pyramidal cells
for ``cue_duration``; the bump it leaves is the memory.

Two published parameter sets (``parameters=``):

``"compte2000"``
    The paper's conductances (G_EE 0.381, G_EI 0.292, G_IE 1.336, G_II
    1.024 nS; external 3.1 / 2.38 nS at 1.8 kHz), J+ 1.62, sigma 14.4 deg.
    The paper prints sigma = 18 deg; public reimplementations (the Wang
    lab's own reference code among them) use 14.4 and call 18 a typo. Here,
    with 18 deg the network forms a bump with no cue within a few seconds
    and with 14.4 it does not (``tests/test_compte2000.py``), so 14.4 is the
    default. With this set the bump persists but diffuses, and it is weak
    (5-14 Hz near the cue against 2-3 Hz elsewhere): after a 3 s delay the
    decoded angle is off by 14.9 deg RMS over 30 seeds, 24 of them within
    20 deg (``benchmarks/compte_drift.py``).
``"murray2012"``
    The retuned set of Murray et al. (2012) Cereb. Cortex 24:859 for the
    same architecture: total conductances NMDA->E 1001.9, GABA->E 807.2,
    NMDA->I 717.6, GABA->I 566.2 nS, external 9.3 / 7.14 nS at 0.6 kHz,
    J+ 3.0, sigma 9 deg. Its bump holds over 3 s: 4.6 deg RMS, 30 of 30
    seeds within 20 deg.

Interneurons use E_L = -70 mV, as pyramidal cells, in both sets (Compte
2000 Methods; ``InterPop``'s default -65 mV is Wang 1999's). With -65 mV
the network sits in a near-silent state (E 0.03 Hz, I 3.5 Hz) from which no
bump survives the cue; Brian2 finds the same state (``benchmarks/results/
compte-compte2000-interneuron-EL-65-*.md``).
"""

import math

from .. import validation as val
from ..currents import GABA, NMDA, PoissonDrive, RingCue
from ..network import Network
from ..populations import InterRingPop, PyrRingPop

N_E_PUBLISHED, N_I_PUBLISHED = 2048, 512

PARAMETER_SETS = {
    "compte2000": dict(G_EE=0.381, G_EI=0.292, G_IE=1.336, G_II=1.024, G_ext_E=3.1,
                       G_ext_I=2.38, ext_rate=1800.0, J_plus=1.62, sigma=14.4),
    "murray2012": dict(G_EE=1001.9 / 2048, G_EI=717.6 / 2048, G_IE=807.2 / 512,
                       G_II=566.2 / 512, G_ext_E=9.3, G_ext_I=7.14, ext_rate=600.0,
                       J_plus=3.0, sigma=9.0),
}


def compte2000(*, parameters="compte2000", N_E=2048, N_I=512, G_EE=None, G_EI=None,
               G_IE=None, G_II=None, G_ext_E=None, G_ext_I=None, ext_rate=None, J_plus=None,
               sigma=None, E_L_I=-70.0, nmda_to_E=True, delay=0.5, cue_theta=math.pi,
               cue_amplitude=0.2, cue_kappa=8.0, cue_start=1000.0, cue_duration=250.0, dt=0.1,
               seed=0, interpolation="hermite"):
    """Build the Compte et al. (2000) network; every quantity a keyword.

    Parameters
    ----------
    parameters : {"compte2000", "murray2012"}
        Published set that fills every conductance, rate and footprint
        keyword left as None (see the module docstring).
    N_E, N_I : int
        Pyramidal cells and interneurons. Recurrent conductances are given
        for the published 2048 / 512 and scaled by 2048 / N_E (from pyramidal
        cells) and 512 / N_I (from interneurons), so that every cell receives
        the same total recurrent input at any size.
    G_EE, G_EI : float
        NMDA conductance per synapse, pyramidal -> pyramidal (times the
        footprint) and pyramidal -> interneuron, nS.
    G_IE, G_II : float
        GABA_A conductance per synapse, interneuron -> pyramidal and
        interneuron -> interneuron, nS.
    G_ext_E, G_ext_I : float
        AMPA conductance per external event onto pyramidal cells and
        interneurons, nS.
    ext_rate : float
        Rate of external events into each cell, Hz.
    J_plus : float
        Peak of the footprint (dimensionless; its mean over the ring is 1).
    sigma : float
        Width of the footprint, degrees.
    E_L_I : float
        Leak reversal potential of the interneurons, mV.
    nmda_to_E : bool
        False removes the NMDA synapses onto pyramidal cells (the bump then dies).
    delay : float
        Delay of every recurrent synapse, ms.
    cue_theta : float
        Cued direction, rad.
    cue_amplitude : float
        Peak cue current, nA.
    cue_kappa : float
        Cue concentration (``RingCue``); 8 gives a half-width at half
        maximum of 24 degrees.
    cue_start, cue_duration : float
        When the cue switches on and for how long, ms. ``cue_duration=0``: no cue.
    dt : float
        Time step, ms.
    seed : int
        Seed of initial state and external drive.
    interpolation : str
        Spike placement inside the step (see ``Network``).

    Returns
    -------
    Network with ring populations "E" and "I".
    """
    val.choice("parameters", parameters, tuple(PARAMETER_SETS), owner="compte2000")
    given = dict(G_EE=G_EE, G_EI=G_EI, G_IE=G_IE, G_II=G_II, G_ext_E=G_ext_E,
                 G_ext_I=G_ext_I, ext_rate=ext_rate, J_plus=J_plus, sigma=sigma)
    p = {k: (PARAMETER_SETS[parameters][k] if v is None else v) for k, v in given.items()}
    cue_duration = val.non_negative("cue_duration", cue_duration, owner="compte2000")

    net = Network(dt=dt, seed=seed, interpolation=interpolation)
    E = net.add(PyrRingPop(N_E, name="E"))
    I = net.add(InterRingPop(N_I, name="I", E_L=E_L_I))
    from_E = N_E_PUBLISHED / E.n * 1e-3   # nS -> µS, scaled to the size
    from_I = N_I_PUBLISHED / I.n * 1e-3
    nmda = NMDA(tau_x=2.0, tau=100.0, alpha=0.5, E=0.0, Mg=1.0)
    gaba = GABA(tau=10.0, E=-70.0)
    if nmda_to_E:
        net.connect(E, E, receptor=nmda, rule="ring", weight=p["G_EE"] * from_E,
                    J_plus=p["J_plus"], sigma=p["sigma"], delay=delay)
    net.connect(E, I, receptor=nmda, weight=p["G_EI"] * from_E, delay=delay)
    net.connect(I, E, receptor=gaba, weight=p["G_IE"] * from_I, delay=delay)
    net.connect(I, I, receptor=gaba, weight=p["G_II"] * from_I, delay=delay)
    net.stimulate(E, PoissonDrive(rate=p["ext_rate"], weight=p["G_ext_E"] * 1e-3))
    net.stimulate(I, PoissonDrive(rate=p["ext_rate"], weight=p["G_ext_I"] * 1e-3))
    if cue_duration > 0:
        net.stimulate(E, RingCue(amplitude=cue_amplitude, kappa=cue_kappa, theta=cue_theta,
                                 start=cue_start, stop=cue_start + cue_duration))
    return net
