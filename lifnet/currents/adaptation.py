"""Spike-triggered and subthreshold adaptation, a current any LIF or user-defined cell can carry.

Written through ``lifnet.mechanism`` only (its proof, with ``AdExPop``):

    I_w = -w        tau_w dw/dt = a (V - E_w) - w        w -> w + b at each spike

``a`` couples w to the membrane potential below threshold (subthreshold
adaptation, µS), ``b`` is the jump per spike (spike-triggered adaptation,
nA), as in Brette & Gerstner (2005) and the LIF models with adaptation of
Wang (1998) and Liu & Wang (2001).
"""

from ..mechanism import Current, Parameter, State


def _adaptation_current(w):
    return -w


def _dw(V, w, a, E_w, tau_w):
    return (a * (V - E_w) - w) / tau_w


def _jump(w, b):
    return w + b


class AdaptationCurrent(Current):
    """An adaptation current ``-w`` with ``tau_w dw/dt = a (V - E_w) - w``, ``w += b`` per spike.

    Parameters
    ----------
    a : float
        Subthreshold coupling, µS (0: spike-triggered adaptation only).
    b : float
        Increment of w at each spike of the cell, nA.
    tau_w : float
        Time constant of w, ms.
    E_w : float
        Potential at which the subthreshold coupling is zero, mV (usually the
        cell's E_L).
    name : str
        Name on its population; w is recorded and set as ``"<name>.w"``
        (default ``"adaptation.w"``).

    Examples
    --------
    >>> E = ln.PyrPop(400, name="E", currents=[ln.AdaptationCurrent(b=0.02, tau_w=150.0)])
    """

    default_name = "adaptation"
    parameters = {
        "a": Parameter(0.0, "µS", doc="subthreshold coupling"),
        "b": Parameter(0.0, "nA", doc="increment per spike"),
        "tau_w": Parameter(100.0, "ms", positive=True, doc="time constant of w"),
        "E_w": Parameter(-70.0, "mV", doc="potential of zero subthreshold coupling"),
    }
    states = {"w": State("nA", 0.0, doc="adaptation current (outward)")}
    current = staticmethod(_adaptation_current)
    derivatives = {"w": _dw}
    on_spike = staticmethod(_jump)
