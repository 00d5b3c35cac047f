"""Wang-Buzsáki fast-spiking interneurons (WBPop): parameters, state and rate functions."""

import math

from ..integrators import layout as L
from ..kernel_cache import njit
from .conductance import ConductancePopulation, xexp


@njit(cache=True, inline="always")
def rates(V, phi, VT, pb):
    """Rates (1/ms) of m, h, n, p at V (mV): m's steady state in place of its rates (m is
    instantaneous), h and n sped up by phi, no p (see conductance_step.rates)."""
    am, bm = 0.1 * xexp(V + 35.0, 10.0), 4.0 * math.exp(-(V + 60.0) / 18.0)
    return (am / (am + bm), 0.0,
            phi * 0.07 * math.exp(-(V + 58.0) / 20.0),
            phi / (1.0 + math.exp(-(V + 28.0) / 10.0)),
            phi * 0.01 * xexp(V + 34.0, 10.0), phi * 0.125 * math.exp(-(V + 44.0) / 80.0),
            0.0, 0.0)


class WBPop(ConductancePopulation):
    """Wang-Buzsáki fast-spiking interneurons (Wang & Buzsáki 1996).

    Instantaneous m; h and n sped up by phi. Per-area parameters: C 1 nF,
    g_Na 35, g_K 9, g_L 0.1 µS, E_Na 55, E_K -90, E_L -65 mV, phi 5.
    """

    model = L.MODEL_WB
    rates = staticmethod(rates)
    uses = ("h", "n")

    def __init__(self, n, *, name=None, C=1.0, g_Na=35.0, g_K=9.0, g_L=0.1, E_Na=55.0,
                 E_K=-90.0, E_L=-65.0, phi=5.0, V_spike=-20.0, V_init=-64.0, gates_at=None,
                 method="auto"):
        self._setup(n, name, dict(C=C, g_Na=g_Na, g_K=g_K, g_L=g_L, E_Na=E_Na, E_K=E_K,
                                  E_L=E_L, phi=phi, V_spike=V_spike), V_init, gates_at, method)
