"""Reduced Traub-Miles excitatory cells (RTMPop): parameters, state and rate functions."""

import math

from ..integrators import layout as L
from ..kernel_cache import njit
from .conductance import ConductancePopulation, xexp


@njit(cache=True, inline="always")
def rates(V, phi, VT, pb):
    """Rates (1/ms) of m, h, n, p at V (mV): m's steady state in place of its rates (m is
    instantaneous), no p (see conductance_step.rates)."""
    am, bm = 0.32 * xexp(V + 54.0, 4.0), 0.28 * xexp(-(V + 27.0), 5.0)
    return (am / (am + bm), 0.0,
            0.128 * math.exp(-(V + 50.0) / 18.0), 4.0 / (1.0 + math.exp(-(V + 27.0) / 5.0)),
            0.032 * xexp(V + 52.0, 5.0), 0.5 * math.exp(-(V + 57.0) / 40.0), 0.0, 0.0)


class RTMPop(ConductancePopulation):
    """Reduced Traub-Miles excitatory cells (Ermentrout & Kopell 1998; Börgers & Kopell 2003).

    The rate functions of Börgers & Kopell (as in BMTK's PING examples); the sodium activation
    m is instantaneous, h and n are integrated. Per-area parameters (see the
    module docstring): C 1 nF (µF/cm²), g_Na 100, g_K 80, g_L 0.1 µS
    (mS/cm²), E_Na 50, E_K -100, E_L -67 mV. With no input the cell rests
    near -64 mV; it fires periodically above about 0.12 nA (µA/cm²).
    """

    model = L.MODEL_RTM
    rates = staticmethod(rates)
    uses = ("h", "n")

    def __init__(self, n, *, name=None, C=1.0, g_Na=100.0, g_K=80.0, g_L=0.1, E_Na=50.0,
                 E_K=-100.0, E_L=-67.0, V_spike=-20.0, V_init=-65.0, gates_at=None,
                 method="auto"):
        self._setup(n, name, dict(C=C, g_Na=g_Na, g_K=g_K, g_L=g_L, E_Na=E_Na, E_K=E_K,
                                  E_L=E_L, V_spike=V_spike), V_init, gates_at, method)
