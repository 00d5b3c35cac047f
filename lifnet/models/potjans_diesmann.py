"""The cortical microcircuit of Potjans & Diesmann (2014), as NEST's example builds it.

77,169 LIF cells with exponential current synapses under 1 mm² of early
sensory cortex, in eight populations (excitatory and inhibitory cells of
layers 2/3, 4, 5 and 6), connected with the layer- and type-specific
probabilities of the paper, driven by cortico-cortical background input.
About 3·10⁸ synapses at full scale. The values below are the paper's
(Table 5 of Potjans & Diesmann 2014, Cereb. Cortex 24:785) as NEST's
example ``Potjans_2014`` (NEST 3; now the INM-6 ``microcircuit-PD14-model``)
uses them, with its choices where the paper leaves room:

- synapse numbers ``K = ln(1 - p) / ln(1 - 1 / (N_pre N_post))`` per pair
  of populations at full scale, times ``scale * k_scale``, drawn with
  ``fixed_total_number`` (multapses and autapses allowed);
- PSC amplitudes from a mean PSP of 0.15 mV (87.8 pA), L4E -> L2/3E
  doubled, inhibitory ``g = -4`` times, each synapse's weight a normal draw
  with 10 % relative spread, redrawn outside its sign (``lifnet.Normal``);
- delays normal, 1.5 ms (excitatory) and 0.75 ms (inhibitory) with 50 %
  relative spread, redrawn below dt / 2 and rounded to the step, as NEST
  puts them on its grid;
- initial V drawn per population from NEST's "optimized" means and spreads,
  which shorten the burst at onset;
- background: an independent Poisson train per cell at ``K_ext * 8 Hz``
  through the excitatory synapse, or its mean as a DC current;
- with ``k_scale < 1``, weights grow by ``1 / sqrt(k_scale)`` and a DC input
  restores the mean input each cell lost (the example's
  ``adjust_weights_and_input_to_synapse_scaling``), with the full-scale
  rates of NEST's example;
- optionally the thalamic population (902 cells at full scale, 120 Hz for
  10 ms from 700 ms) onto layers 4 and 6.

One difference from NEST's example, on purpose: the cells are those of
NEST's precise-spike-time ``iaf_psc_exp_ps`` rather than the grid-based
``iaf_psc_exp`` (``CurrentBasedLIFPop``): a spike keeps its time inside the
step, and so does its arrival.
"""

import math

import numpy as np

from ..currents import PoissonDrive
from ..currents.synapses import ExponentialCurrentSynapse
from ..distributions import Normal
from ..network import Network
from ..populations import CurrentBasedLIFPop, PoissonPop
from ..validation import ParameterError, choice, number

POPULATIONS = ("L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I")
#: Cells per population at full scale.
N_FULL = (20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948)
#: Connection probabilities, [post][pre] in the order of POPULATIONS (Table 5).
CONNECTION_PROBABILITY = (
    (0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0, 0.0076, 0.0),
    (0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0, 0.0042, 0.0),
    (0.0077, 0.0059, 0.0497, 0.1350, 0.0067, 0.0003, 0.0453, 0.0),
    (0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0, 0.1057, 0.0),
    (0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0),
    (0.0548, 0.0269, 0.0257, 0.0022, 0.0600, 0.3158, 0.0086, 0.0),
    (0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252),
    (0.0364, 0.0010, 0.0034, 0.0005, 0.0277, 0.0080, 0.0658, 0.1443),
)
#: External (cortico-cortical) in-degrees per population.
K_EXT = (1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100)
#: NEST's "optimized" initial V: mean and standard deviation per population, mV.
V0_MEAN = (-68.28, -63.16, -63.33, -63.45, -63.11, -61.66, -66.72, -61.43)
V0_SD = (5.36, 4.57, 4.74, 4.94, 4.94, 4.55, 5.46, 4.48)
#: Full-scale rates (Hz) for the DC that compensates k_scale < 1: those of NEST's
#: example in its last version in nest-simulator (pynest/examples/Potjans_2014).
FULL_MEAN_RATES = (0.903, 2.965, 4.414, 5.876, 7.569, 8.633, 1.105, 7.829)
#: Thalamic connection probabilities onto each population (Table 5).
THALAMUS_PROBABILITY = (0.0, 0.0, 0.0983, 0.0619, 0.0, 0.0, 0.0512, 0.0196)
N_THALAMUS = 902


def psc_for_psp(psp, *, C, tau_m, tau_syn):
    """The exponential PSC amplitude (nA) whose PSP peaks at psp (mV) from rest.

    Parameters
    ----------
    psp : float
        Peak of the postsynaptic potential, mV.
    C : float
        Membrane capacitance, nF.
    tau_m, tau_syn : float
        Membrane and synaptic time constants, ms (different).
    """
    # The PSP of a unit current: (tau_m tau_s / (C (tau_m - tau_s))) (e^-t/tau_m - e^-t/tau_s),
    # peaking where its derivative vanishes.
    t_peak = tau_m * tau_syn / (tau_m - tau_syn) * math.log(tau_m / tau_syn)
    unit = tau_m * tau_syn / (C * (tau_m - tau_syn)) * (
        math.exp(-t_peak / tau_m) - math.exp(-t_peak / tau_syn))
    return psp / unit


def synapse_numbers(scale=1.0, k_scale=1.0):
    """Synapses per (post, pre) pair of populations: the full-scale number from the
    connection probability, times scale * k_scale, rounded; an (8, 8) int array."""
    n = np.array(N_FULL, dtype=float)
    p = np.array(CONNECTION_PROBABILITY)
    with np.errstate(divide="ignore"):
        full = np.log(1.0 - p) / np.log(1.0 - 1.0 / np.outer(n, n))
    return np.round(full * scale * k_scale).astype(np.int64), full


def potjans_diesmann(*, scale=1.0, k_scale=1.0, background="poisson", thalamus=False,
                     dt=0.1, seed=1, psp=0.15, psp_rel_sd=0.1, g=-4.0, l4e_l23e_factor=2.0,
                     bg_rate=8.0, delay_exc=1.5, delay_inh=0.75, delay_rel_sd=0.5, C=0.25,
                     tau_m=10.0, tau_syn=0.5, E_L=-65.0, V_th=-50.0, V_reset=-65.0,
                     t_ref=2.0, full_mean_rates=FULL_MEAN_RATES, thalamus_rate=120.0,
                     thalamus_start=700.0, thalamus_duration=10.0):
    """Build the microcircuit of Potjans & Diesmann (2014).

    Populations are named as in ``POPULATIONS`` (``"L23E"``, ... ``"L6I"``)
    and ``"TC"`` for the thalamus.

    Parameters
    ----------
    scale : float
        Fraction of the cells of each population (0 < scale <= 1).
    k_scale : float
        Fraction of the in-degrees (0 < k_scale <= 1); below 1, weights grow
        by 1 / sqrt(k_scale) and a DC input keeps the mean input.
    background : {"poisson", "dc"}
        Cortico-cortical input: Poisson trains (``K_ext * bg_rate`` Hz per
        cell) or their mean as a DC current.
    thalamus : bool
        Add the thalamic population and its synapses onto layers 4 and 6.
    dt : float
        Time step, ms (0.1, as the paper).
    seed : int
        Seed of the network's draws (synapses, weights, delays, initial V,
        Poisson input).
    psp : float
        Mean excitatory PSP amplitude, mV (0.15).
    psp_rel_sd : float
        Relative standard deviation of the weights (0.1).
    g : float
        Inhibitory weight relative to excitatory (-4).
    l4e_l23e_factor : float
        Factor on the weight from L4E onto L2/3E (2).
    bg_rate : float
        Rate of each external input, Hz (8).
    delay_exc, delay_inh : float
        Mean delays of excitatory and inhibitory synapses, ms (1.5, 0.75).
    delay_rel_sd : float
        Relative standard deviation of the delays (0.5).
    C : float
        Membrane capacitance, nF (0.25).
    tau_m, tau_syn : float
        Membrane and synaptic time constants, ms (10, 0.5).
    E_L, V_th, V_reset : float
        Resting, threshold and reset potentials, mV (-65, -50, -65).
    t_ref : float
        Refractory period, ms (2).
    full_mean_rates : sequence of 8 floats
        Rates of the full-scale network, Hz, for the compensating DC input
        when k_scale < 1 (NEST 3's example's).
    thalamus_rate : float
        Rate of the thalamic cells during their burst, Hz (120).
    thalamus_start, thalamus_duration : float
        When the thalamic burst starts and how long it lasts, ms (700, 10).

    Returns
    -------
    Network
    """
    owner = "potjans_diesmann"
    scale = number("scale", scale, owner=owner, low=0.0, low_open=True, high=1.0)
    k_scale = number("k_scale", k_scale, owner=owner, low=0.0, low_open=True, high=1.0)
    choice("background", background, ("poisson", "dc"), owner=owner)
    if not isinstance(thalamus, bool):
        raise ParameterError(f"{owner}: thalamus={thalamus!r} must be True or False")
    rates_full = np.asarray(full_mean_rates, dtype=float)
    if rates_full.shape != (8,):
        raise ParameterError(f"{owner}: full_mean_rates must give 8 rates (Hz)")
    w_exc = psc_for_psp(psp, C=C, tau_m=tau_m, tau_syn=tau_syn)
    counts, counts_full = synapse_numbers(scale, k_scale)
    w_mean = np.where(np.arange(8)[None, :] % 2 == 0, w_exc, g * w_exc) * np.ones((8, 1))
    w_mean[0, 2] *= l4e_l23e_factor
    # DC input per population (nA): the background's mean if it is DC, and the mean
    # input lost with the in-degrees when k_scale < 1 (NEST's example's rule).
    in_full = counts_full / np.array(N_FULL, dtype=float)[:, None]
    ext_mean = w_exc * np.array(K_EXT) * bg_rate * tau_syn * 1e-3
    dc = (1.0 - math.sqrt(k_scale)) * tau_syn * 1e-3 * np.sum(
        w_mean * in_full * rates_full[None, :], axis=1)
    dc += (1.0 - math.sqrt(k_scale)) * ext_mean if background == "poisson" else ext_mean
    w_mean = w_mean / math.sqrt(k_scale)
    w_ext = w_exc / math.sqrt(k_scale)

    net = Network(dt=dt, seed=seed)
    rng = np.random.default_rng([seed, 2014])
    pops = []
    for k, name in enumerate(POPULATIONS):
        n = max(1, int(round(N_FULL[k] * scale)))
        pops.append(net.add(CurrentBasedLIFPop(
            n, name=name, C=C, tau_m=tau_m, E_L=E_L, V_th=V_th, V_reset=V_reset,
            t_ref=t_ref, I_e=float(dc[k]), initial={"V": rng.normal(V0_MEAN[k], V0_SD[k], n)})))
    exc = ExponentialCurrentSynapse(tau=tau_syn, name="ex")
    inh = ExponentialCurrentSynapse(tau=tau_syn, name="in")
    for i, post in enumerate(pops):
        for j, pre in enumerate(pops):
            if counts[i, j] == 0:
                continue
            excitatory = j % 2 == 0
            w = w_mean[i, j]
            weight = Normal(mean=w, sd=abs(w) * psp_rel_sd,
                            **({"low": 0.0} if excitatory else {"high": 0.0}))
            d = delay_exc if excitatory else delay_inh
            delay = Normal(mean=d, sd=d * delay_rel_sd, low=0.5 * dt, resolution=dt)
            net.connect(pre, post, rule="fixed_total_number", n_synapses=int(counts[i, j]),
                        weight=weight, delay=delay, receptor=exc if excitatory else inh,
                        autapses=True)
    if background == "poisson":
        for k, pop in enumerate(pops):
            rate = round(K_EXT[k] * k_scale) * bg_rate
            net.stimulate(pop, PoissonDrive(rate=rate, weight=w_ext, receptor=exc))
    if thalamus:
        n_tc = max(1, int(round(N_THALAMUS * scale)))
        tc = net.add(PoissonPop(n_tc, rate=thalamus_rate, start=thalamus_start,
                                stop=thalamus_start + thalamus_duration, name="TC"))
        for k, post in enumerate(pops):
            p = THALAMUS_PROBABILITY[k]
            if p == 0.0:
                continue
            full = math.log(1.0 - p) / math.log(1.0 - 1.0 / (N_THALAMUS * N_FULL[k]))
            n_syn = int(round(full * scale * k_scale))
            net.connect(tc, post, rule="fixed_total_number", n_synapses=n_syn,
                        weight=Normal(mean=w_exc, sd=w_exc * psp_rel_sd, low=0.0),
                        delay=Normal(mean=delay_exc, sd=delay_exc * delay_rel_sd,
                                     low=0.5 * dt, resolution=dt),
                        receptor=exc)
    return net
