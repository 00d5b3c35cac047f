"""The Hodgkin-Huxley cell of NEST's hh_psc_alpha_gap (HHPop): parameters, state, rates."""

import math

from ..integrators import layout as L
from ..kernel_cache import njit
from .conductance import ConductancePopulation, xexp


@njit(cache=True, inline="always")
def rates(V, phi, VT, pb):
    """Rates (1/ms) of m, h, n (Kv1) and p (Kv3) at V (mV), NEST's hh_psc_alpha_gap
    (Mancilla et al. 2007) (see conductance_step.rates)."""
    return (40.0 * xexp(V - 75.5, 13.5), 1.2262 * math.exp(-V / 42.248),
            0.0035 * math.exp(-V / 24.186), 0.017 * xexp(V + 51.25, 5.2),
            0.014 * xexp(V + 44.0, 2.3), 0.0043 * math.exp(-(V + 44.0) / 34.0),
            xexp(V - 95.0, 11.8), 0.025 * math.exp(-V / 22.222))


class HHPop(ConductancePopulation):
    """The Hodgkin-Huxley cell of NEST's ``hh_psc_alpha_gap`` (Mancilla et al. 2007).

    Sodium m^3 h, two potassium currents: Kv1 (``g_K n^4``) and Kv3
    (``g_K2 p^2``), with NEST's rate functions and defaults, converted to
    lifnet's units: C 40 pF = 0.04 nF, g_Na 4500 nS = 4.5 µS, g_K (Kv1)
    0.009 µS, g_K2 (Kv3) 9 µS, g_L 0.01 µS, E_Na 74, E_K -90, E_L -70 mV.
    V_init is NEST's resting state, -69.604 mV, and the gates start at their
    steady state there (NEST keeps them so when only V_m is set). NEST
    counts a spike at the peak of V above 0 mV, on the grid; lifnet at the
    upward crossing of V_spike = 0 mV, interpolated, which comes earlier by
    the rise time from 0 mV to the peak (about 0.1 ms).
    """

    model = L.MODEL_HH_NEST
    rates = staticmethod(rates)
    uses = ("m", "h", "n", "p")
    V_REST = -69.60401191631222

    def __init__(self, n, *, name=None, C=0.04, g_Na=4.5, g_K=0.009, g_K2=9.0, g_L=0.01,
                 E_Na=74.0, E_K=-90.0, E_L=-70.0, V_spike=0.0, V_init=V_REST,
                 gates_at=V_REST,
                 method="auto"):
        self._setup(n, name, dict(C=C, g_Na=g_Na, g_K=g_K, g_K2=g_K2, g_L=g_L, E_Na=E_Na,
                                  E_K=E_K, E_L=E_L, V_spike=V_spike), V_init, gates_at, method)
