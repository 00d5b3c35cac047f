"""Traub-Miles cells of Brette et al. (2007), benchmark 3 (TraubPop): parameters, rates."""

import math

from ..integrators import layout as L
from ..kernel_cache import njit
from .conductance import ConductancePopulation, xexp


@njit(cache=True, inline="always")
def rates(V, phi, VT, pb):
    """Rates (1/ms) of m, h, n at V (mV), Traub & Miles (1991) as in Brette et al. (2007),
    benchmark 3, with u = V - V_T; no p (see conductance_step.rates)."""
    u = V - VT
    return (0.32 * xexp(u - 13.0, 4.0), 0.28 * xexp(40.0 - u, 5.0),
            0.128 * math.exp((17.0 - u) / 18.0), 4.0 / (1.0 + math.exp((40.0 - u) / 5.0)),
            0.032 * xexp(u - 15.0, 5.0), 0.5 * math.exp((10.0 - u) / 40.0), 0.0, 0.0)


class TraubPop(ConductancePopulation):
    """Traub-Miles cells of Brette et al. (2007), benchmark 3 (COBAHH).

    Whole-cell values for a membrane of 20 000 µm²: C 0.2 nF (1 µF/cm²),
    g_L 0.01 µS (0.05 mS/cm²), g_Na 20 µS (100 mS/cm²), g_K 6 µS
    (30 mS/cm²), E_L -60, E_Na 50, E_K -90 mV, V_T -63 mV (shifts every
    rate function); m, h and n all integrated.
    """

    model = L.MODEL_TRAUB
    rates = staticmethod(rates)
    uses = ("m", "h", "n")

    def __init__(self, n, *, name=None, C=0.2, g_Na=20.0, g_K=6.0, g_L=0.01, E_Na=50.0,
                 E_K=-90.0, E_L=-60.0, V_T=-63.0, V_spike=-20.0, V_init=-60.0, gates_at=None,
                 method="auto"):
        self._setup(n, name, dict(C=C, g_Na=g_Na, g_K=g_K, g_L=g_L, E_Na=E_Na, E_K=E_K,
                                  E_L=E_L, V_T=V_T, V_spike=V_spike), V_init, gates_at, method)
