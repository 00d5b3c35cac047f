"""Mechanisms written as a user would, in a file of their own, through lifnet.mechanism only.

``QuadraticIF``: the quadratic integrate-and-fire cell (Ermentrout & Kopell's theta
neuron in V), whose firing period under a constant current is known in closed
form. ``SlowPotassium``: a voltage-gated potassium current with one gate, to add
to any population.
"""

import math

import lifnet as ln


def _quadratic(V, k, V_r, V_t):
    return k * (V - V_r) * (V - V_t)


def _to_reset(V, V_reset):
    return V_reset


class QuadraticIF(ln.CellModel):
    """C dV/dt = k (V - V_r)(V - V_t) + I; a spike at V_peak, then V_reset for t_ref."""

    parameters = {
        "C": ln.Parameter(0.1, "nF", positive=True),
        "k": ln.Parameter(0.001, "µS/mV", positive=True),
        "V_r": ln.Parameter(-65.0, "mV"),
        "V_t": ln.Parameter(-50.0, "mV"),
        "V_peak": ln.Parameter(30.0, "mV"),
        "V_reset": ln.Parameter(-70.0, "mV"),
        "t_ref": ln.Parameter(1.0, "ms", low=0.0),
    }
    states = {"V": ln.State("mV", "V_r")}
    current = staticmethod(_quadratic)
    derivatives = {}
    threshold = "V_peak"
    reset = staticmethod(_to_reset)
    refractory = "t_ref"

    @staticmethod
    def period(I, C=0.1, k=0.001, V_r=-65.0, V_t=-50.0, V_peak=30.0, V_reset=-70.0, t_ref=1.0):
        """Interspike interval (ms) under a constant current I (nA), in closed form."""
        mid = 0.5 * (V_r + V_t)
        beta = math.sqrt(I / k - 0.25 * (V_t - V_r) ** 2)
        rise = C / (k * beta) * (math.atan((V_peak - mid) / beta)
                                 - math.atan((V_reset - mid) / beta))
        return rise + t_ref


def _potassium(V, n, g_K, E_K):
    return -g_K * n * (V - E_K)


def _dn(V, n, V_half, slope, tau_n):
    return (1.0 / (1.0 + math.exp(-(V - V_half) / slope)) - n) / tau_n


class SlowPotassium(ln.Current):
    """I = -g_K n (V - E_K), tau_n dn/dt = n_inf(V) - n, n_inf a sigmoid of V."""

    default_name = "slow_k"
    parameters = {
        "g_K": ln.Parameter(0.005, "µS", low=0.0),
        "E_K": ln.Parameter(-90.0, "mV"),
        "V_half": ln.Parameter(-40.0, "mV"),
        "slope": ln.Parameter(5.0, "mV", positive=True),
        "tau_n": ln.Parameter(80.0, "ms", positive=True),
    }
    states = {"n": ln.State("1", 0.0)}
    current = staticmethod(_potassium)
    derivatives = {"n": _dn}


def _leak(V, C, tau_m, E_L, I_e):
    return C * (E_L - V) / tau_m + I_e


class PlainLIF(ln.CellModel):
    """C dV/dt = C (E_L - V) / tau_m + I_e, through the contract's Heun step (no exact
    step of its own): the same cell as CurrentBasedLIFPop, to compare the two."""

    parameters = {
        "C": ln.Parameter(0.25, "nF", positive=True),
        "tau_m": ln.Parameter(10.0, "ms", positive=True),
        "E_L": ln.Parameter(-65.0, "mV"),
        "V_th": ln.Parameter(-50.0, "mV"),
        "V_reset": ln.Parameter(-65.0, "mV"),
        "t_ref": ln.Parameter(2.0, "ms", low=0.0),
        "I_e": ln.Parameter(0.0, "nA"),
    }
    states = {"V": ln.State("mV", "E_L")}
    current = staticmethod(_leak)
    derivatives = {}
    threshold = "V_th"
    reset = staticmethod(_to_reset)
    refractory = "t_ref"


def _rotation(u, C, omega):
    return C * omega * u


def _du(V, u, omega, V_0):
    return -omega * (V - V_0)


class Oscillator(ln.CellModel):
    """dV/dt = omega u, du/dt = -omega (V - V_0): V = V_0 - A cos(omega t) from V_0 - A, u = 0.

    Its spikes are only detected (``reset = None``): an upward crossing of V_0 at
    omega t = pi / 2 + 2 pi k, the oscillation going on untouched.
    """

    parameters = {
        "C": ln.Parameter(1.0, "nF", positive=True),
        "omega": ln.Parameter(0.1, "1/ms", positive=True),
        "V_0": ln.Parameter(-50.0, "mV"),
    }
    states = {"V": ln.State("mV", -60.0), "u": ln.State("mV", 0.0)}
    current = staticmethod(_rotation)
    derivatives = {"u": _du}
    threshold = "V_0"
