"""The Compte et al. (2000) ring network as benchmarked, shared by lifnet and its peers.

Pure Python (no lifnet, no Brian2), so both environments import it.  Units:
ms, mV, nF, nS, nA, Hz; angles in radians unless the name says ``deg``.

E cells (N_E, preferred directions theta_i = 2 pi i / N_E) and I cells
(N_I) are LIF neurons::

    C dV/dt = -g_L (V - E_L) - g_ext (V - E_AMPA) - g_GABA (V - E_GABA)
              - G_NMDA (sum_j W_ij s_j) (V - E_NMDA) / (1 + [Mg]/3.57 exp(-0.062 V))
              + I_cue

* external drive: each neuron receives independent Poisson events at
  EXT_RATE_HZ; each event raises g_ext by G_EXT_E / G_EXT_I (nS); g_ext decays
  with TAU_AMPA.
* NMDA (presynaptic gating, one pair x_j, s_j per E cell)::

      dx_j/dt = -x_j / TAU_NMDA_X, x_j += 1 when a spike of j arrives (after DELAY)
      ds_j/dt = -s_j / TAU_NMDA + ALPHA_NMDA x_j (1 - s_j)

  E->E: W_ij = G_EE * J(theta_i - theta_j) (``ring_kernel``), no autapse;
  E->I: W_ij = G_EI (all to all).
* GABA: each spike of an I cell raises g_GABA of every E cell by G_IE and of
  every other I cell by G_II, after DELAY; g_GABA decays with TAU_GABA.
* cue: I_cue,i = CUE_AMP exp(CUE_KAPPA (cos(theta_i - theta_cue) - 1)) nA on
  E cells during [CUE_START, CUE_STOP).
* initial state: V uniform in [V_reset, V_th), all gates zero.
* interneurons have E_L = -70 mV, as pyramidal cells (Compte 2000 Methods).
"""

import math

import numpy as np

N_E, N_I = 2048, 512
DT = 0.1                       # ms
DURATION = 4000.0              # ms

E_CELL = dict(C=0.5, g_L=25.0, E_L=-70.0, V_th=-50.0, V_reset=-60.0, t_ref=2.0)
I_CELL = dict(C=0.2, g_L=20.0, E_L=-70.0, V_th=-50.0, V_reset=-60.0, t_ref=1.0)

EXT_RATE_HZ = 1800.0
G_EXT_E, G_EXT_I = 3.1, 2.38   # nS per event
TAU_AMPA, E_AMPA = 2.0, 0.0

G_EE, G_EI = 0.381, 0.292      # nS, NMDA
TAU_NMDA_X, TAU_NMDA, ALPHA_NMDA = 2.0, 100.0, 0.5   # ms, ms, 1/ms
E_NMDA, MG = 0.0, 1.0          # mV, mM

G_IE, G_II = 1.336, 1.024      # nS, GABA_A
TAU_GABA, E_GABA = 10.0, -70.0

J_PLUS, SIGMA_DEG = 1.62, 14.4

# The published parameter sets (see lifnet.models.compte2000): the values above are
# "compte2000"; ``use("murray2012")`` rebinds them module-wide before a run.
PARAMETER_SETS = {
    "compte2000": dict(G_EE=0.381, G_EI=0.292, G_IE=1.336, G_II=1.024, G_EXT_E=3.1,
                       G_EXT_I=2.38, EXT_RATE_HZ=1800.0, J_PLUS=1.62, SIGMA_DEG=14.4),
    "murray2012": dict(G_EE=1001.9 / 2048, G_EI=717.6 / 2048, G_IE=807.2 / 512,
                       G_II=566.2 / 512, G_EXT_E=9.3, G_EXT_I=7.14, EXT_RATE_HZ=600.0,
                       J_PLUS=3.0, SIGMA_DEG=9.0),
}
PARAMETERS = "compte2000"


def use(name):
    """Make the named parameter set the module's values."""
    global PARAMETERS
    globals().update(PARAMETER_SETS[name])
    PARAMETERS = name
DELAY = 0.5                    # ms, every recurrent connection

CUE_THETA = math.pi
CUE_AMP, CUE_KAPPA = 0.2, 8.0  # nA, 1
CUE_START, CUE_STOP = 1000.0, 1250.0   # ms


def ring_kernel(n, j_plus=None, sigma_deg=None):
    """J(d) for the n offsets d = 2 pi k / n, k = 0 .. n-1, with mean exactly 1.

    J(d) = J- + (J+ - J-) exp(-d^2 / (2 sigma^2)), d wrapped to (-pi, pi];
    J- is set so that the mean over the n offsets is 1.
    """
    j_plus = J_PLUS if j_plus is None else j_plus
    sigma_deg = SIGMA_DEG if sigma_deg is None else sigma_deg
    d = 2.0 * np.pi * np.arange(n) / n
    d = np.where(d > np.pi, d - 2.0 * np.pi, d)
    g = np.exp(-d ** 2 / (2.0 * np.deg2rad(sigma_deg) ** 2))
    j_minus = (1.0 - j_plus * g.mean()) / (1.0 - g.mean())
    return j_minus + (j_plus - j_minus) * g


def cue_current(theta, amp=CUE_AMP, kappa=CUE_KAPPA, theta_cue=CUE_THETA):
    """Cue current of each E cell, nA."""
    return amp * np.exp(kappa * (np.cos(theta - theta_cue) - 1.0))


def decode(spike_ids, spike_times, t0, t1, n=N_E):
    """Population-vector angle (rad, in [0, 2 pi)) and resultant length of E spikes in [t0, t1)."""
    sel = (spike_times >= t0) & (spike_times < t1)
    theta = 2.0 * np.pi * np.asarray(spike_ids)[sel] / n
    if theta.size == 0:
        return float("nan"), 0.0
    z = np.exp(1j * theta).mean()
    return float(np.angle(z) % (2.0 * np.pi)), float(abs(z))
