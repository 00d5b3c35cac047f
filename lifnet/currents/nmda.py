"""NMDA receptor with presynaptic saturation and a voltage-dependent Mg block.

As in Wang (1999) and Compte et al. (2000), for each presynaptic neuron j::

    dx_j/dt = -x_j / tau_x + sum_k delta(t - t_j^k)
    ds_j/dt = -s_j / tau + alpha x_j (1 - s_j)

and on postsynaptic neuron i::

    I_NMDA = (sum_j w_ij s_j) (V - E) / (1 + [Mg]/3.57 exp(-0.062 V))

The saturation (1 - s_j) acts per presynaptic neuron, as in the published
model (Wang 1999); applied to the summed input it would be a different model.
"""

import math

import numpy as np

from .. import validation as val
from ..integrators.layout import (
    I_HAS_NMDA,
    I_START,
    I_STOP,
    P_MG,
    P_MG_SLOPE,
    P_NMDA_E,
    RECEPTOR_NMDA,
    STORE_CSR,
    STORE_DENSE,
    STORE_UNIFORM,
    NMDAProjections,
    NMDASources,
)
from ..kernel_cache import njit


class NMDA(val.Parameterised):
    """NMDA receptor.

    Parameters
    ----------
    tau_x : float
        Rise time constant, ms (2 in Compte 2000).
    tau : float
        Decay time constant, ms (100 in Compte 2000).
    alpha : float
        Saturation rate, 1/ms (0.5).
    E : float
        Reversal potential, mV (0).
    Mg : float
        Extracellular magnesium concentration, mM (1).
    name : str
        Name of the NMDA conductance on the postsynaptic population; state
        variable ``g_<name>`` (µS, the sum of w_ij s_j) can be recorded.
    """

    channel_kind = RECEPTOR_NMDA
    MG_SLOPE = 0.062  # 1/mV, Jahr & Stevens (1990)
    MG_HALF = 3.57    # mM

    def __init__(self, *, tau_x=2.0, tau=100.0, alpha=0.5, E=0.0, Mg=1.0, name="NMDA"):
        owner = type(self).__name__
        self.tau_x = val.positive("tau_x", tau_x, owner=owner)
        self.tau = val.positive("tau", tau, owner=owner)
        self.alpha = val.positive("alpha", alpha, owner=owner)
        self.E = val.number("E", E, owner=owner)
        self.Mg = val.non_negative("Mg", Mg, owner=owner)
        if not isinstance(name, str) or not name.isidentifier():
            raise val.ParameterError(f"{owner}: name={name!r} must be an identifier")
        self.name = name

    def presynaptic_key(self):
        return (self.tau_x, self.tau, self.alpha)

    def postsynaptic_key(self):
        return (self.E, self.Mg)

    def merged(self, other, population):
        """The one NMDA conductance of a population that this and ``other`` (None: none
        yet) both reach; they must agree on E, Mg and name."""
        if other is not None and (other.postsynaptic_key() != self.postsynaptic_key()
                                  or other.name != self.name):
            raise val.ParameterError(
                f"population {population!r}: its NMDA projections disagree on E, Mg or name "
                f"({other!r} vs {self!r}); one NMDA conductance per population")
        return self

    def fill_postsynaptic_row(self, row):
        """Write its columns of the postsynaptic population's row (``assemble.PopulationRow``)."""
        row.params[P_NMDA_E] = self.E
        row.params[P_MG] = self.Mg / self.MG_HALF
        row.params[P_MG_SLOPE] = self.MG_SLOPE
        row.ints[I_HAS_NMDA] = 1


class NMDALayout:
    """How a network's NMDA projections are laid out (``integrators.assemble``).

    The presynaptic gates (x, s) are one pair per cell for each distinct
    presynaptic population, delay and (tau_x, tau, alpha): projections that share
    them share their advance (``advance_sources``). Delivery reaches them through
    a connection of kind TARGET_NMDA_SOURCE; each projection's weights then turn
    them into the postsynaptic conductance (``conductance``).
    """

    def __init__(self):
        self._source_of = {}
        self._sources = {f: [] for f in ("pop", "offset", "tau_x", "tau", "alpha")}
        self._size = 0
        self._projections = {f: [] for f in NMDAProjections._fields}

    def add(self, receptor, pre, n_pre, post, n_post, delay_steps, delay_frac, placement):
        """Lay out one projection whose weights are stored at ``placement`` (store,
        offset, hat offset); return its source gates' index if they are new (the
        caller then adds their connection), else None."""
        key = (pre, delay_steps, delay_frac) + receptor.presynaptic_key()
        new = key not in self._source_of
        if new:
            self._source_of[key] = len(self._source_of)
            for f, v in (("pop", pre), ("offset", self._size), ("tau_x", receptor.tau_x),
                         ("tau", receptor.tau), ("alpha", receptor.alpha)):
                self._sources[f].append(v)
            self._size += n_pre
        store, off, hat = placement
        for f, v in (("source", self._source_of[key]), ("post", post), ("store", store),
                     ("ptr_offset", off), ("hat_offset", hat), ("n_post", n_post)):
            self._projections[f].append(v)
        return self._source_of[key] if new else None

    def sources(self, dt):
        """The presynaptic gates (``layout.NMDASources``), closed."""
        rows = {f: np.array(v, dtype=np.float64 if f.startswith(("tau", "alpha")) else
                            np.int64) for f, v in self._sources.items()}
        return NMDASources(
            pop=rows["pop"], offset=rows["offset"], decay_x=np.exp(-dt / rows["tau_x"]),
            tau_x=rows["tau_x"], tau=rows["tau"], alpha=rows["alpha"],
            x=np.zeros(self._size), s=np.zeros(self._size),
            pending=np.full(self._size, -np.inf))

    def projections(self):
        """The projections' weights (``layout.NMDAProjections``)."""
        return NMDAProjections(**{f: np.array(v, dtype=np.int64)
                                  for f, v in self._projections.items()})


@njit(cache=True, inline="always")
def _heun(x0, s0, h, decay_x, tau, alpha):
    """Heun step of h ms for ds/dt = -s/tau + alpha x (1 - s), x decaying exactly."""
    x1 = x0 * decay_x
    k1 = -s0 / tau + alpha * x0 * (1.0 - s0)
    ss = s0 + h * k1
    k2 = -ss / tau + alpha * x1 * (1.0 - ss)
    return x1, s0 + 0.5 * h * (k1 + k2)


@njit(cache=True, refcount=False)
def advance_sources(t, dt, pops, srcs):
    """Every presynaptic gate pair (x, s) over the step, in two Heun pieces split at the
    step's first arrival where one reaches it (x jumps by 1 there)."""
    # Arrays out of their NamedTuple once, not per neuron (see _push_arrival).
    xs, ss, pending = srcs.x, srcs.s, srcs.pending
    for k in range(srcs.pop.shape[0]):
        dx = srcs.decay_x[k]
        tau_x = srcs.tau_x[k]
        tau = srcs.tau[k]
        alpha = srcs.alpha[k]
        off = srcs.offset[k]
        n = pops.ints[srcs.pop[k], I_STOP] - pops.ints[srcs.pop[k], I_START]
        x = xs[off:off + n]
        s = ss[off:off + n]
        due = pending[off:off + n]
        for j in range(n):
            ta = due[j]
            if ta == -math.inf:
                x[j], s[j] = _heun(x[j], s[j], dt, dx, tau, alpha)
            else:
                h = ta - t
                x1, s1 = _heun(x[j], s[j], h, math.exp(-h / tau_x), tau, alpha)
                h = t + dt - ta
                x[j], s[j] = _heun(x1 + 1.0, s1, h, math.exp(-h / tau_x), tau, alpha)


@njit(cache=True, refcount=True)  # its FFTs allocate; called from advance, it would inherit False
def conductance(step, pops, neurons, srcs, nproj, store):
    """The postsynaptic NMDA conductance u = W s at t + dt of every population that has one,
    by the storage of each projection (a circulant one by FFT: rocket_fft, which
    Network.run imports for networks with NMDA, gives numba NumPy's FFT)."""
    u = neurons.nmda_u[1 - (step & 1)]
    ss = srcs.s
    indptr, indices, weights, dense = store.indptr, store.indices, store.weights, store.dense
    kernel, kernel_hat = store.kernel, store.kernel_hat
    for p in range(pops.ints.shape[0]):
        if pops.ints[p, I_HAS_NMDA] != 0:
            u[pops.ints[p, I_START]:pops.ints[p, I_STOP]] = 0.0
    for c in range(nproj.source.shape[0]):
        src = nproj.source[c]
        pre = srcs.pop[src]
        n_pre = pops.ints[pre, I_STOP] - pops.ints[pre, I_START]
        s = ss[srcs.offset[src]:srcs.offset[src] + n_pre]
        n_post = nproj.n_post[c]
        post_start = pops.ints[nproj.post[c], I_START]
        out = u[post_start:post_start + n_post]
        store_kind = nproj.store[c]
        p0 = nproj.ptr_offset[c]
        if store_kind == STORE_CSR:
            for j in range(n_pre):
                sj = s[j]
                if sj == 0.0:
                    continue
                for q in range(indptr[p0 + j], indptr[p0 + j + 1]):
                    out[indices[q]] += weights[q] * sj
        elif store_kind == STORE_DENSE:
            for j in range(n_pre):
                sj = s[j]
                if sj == 0.0:
                    continue
                row = dense[p0 + j * n_post:p0 + (j + 1) * n_post]
                for li in range(n_post):
                    out[li] += row[li] * sj
        elif store_kind == STORE_UNIFORM:
            w = kernel[p0]
            total = 0.0
            for j in range(n_pre):
                total += s[j]
            if kernel[p0 + 1] != 0.0:
                for li in range(n_post):
                    out[li] += w * (total - s[li])
            else:
                for li in range(n_post):
                    out[li] += w * total
        else:
            # Circulant: u_i = sum_j kernel[(i - j) mod n] s_j, a circular convolution.
            h0 = nproj.hat_offset[c]
            s_hat = np.fft.rfft(s)
            conv = np.fft.irfft(s_hat * kernel_hat[h0:h0 + s_hat.shape[0]], n_pre)
            for li in range(n_post):
                out[li] += conv[li]


@njit(cache=True, inline="always")
def note_first_arrival(srcs, source, row, t_arrive):
    """The time of the step's first arrival at presynaptic gate ``row`` of ``source``
    (advance_sources splits the step there)."""
    k = srcs.offset[source] + row
    if srcs.pending[k] == -math.inf:
        srcs.pending[k] = t_arrive


@njit(cache=True, inline="always")
def add_later_arrival(srcs, source, row, t_arrive, a, dt):
    """After advance_sources: an arrival at fraction a of the step other than the first
    (possible only when t_ref < dt), added with its in-step integral: s gains
    alpha (1 - s) times the integral of the new x."""
    k = srcs.offset[source] + row
    if srcs.pending[k] == t_arrive:
        srcs.pending[k] = -math.inf
        return
    tau_x = srcs.tau_x[source]
    f_end = math.exp(-(1.0 - a) * dt / tau_x)
    srcs.x[k] += f_end
    srcs.s[k] += srcs.alpha[source] * (1.0 - srcs.s[k]) * tau_x * (1.0 - f_end)


@njit(cache=True, inline="always")
def current(V, u, E, mg, mg_slope):
    """The NMDA current (nA) of a cell at V (mV) with summed gate u (µS): the magnesium
    block 1 / (1 + [Mg]/3.57 exp(-0.062 V)), mg = [Mg] / 3.57 (Jahr & Stevens 1990)."""
    return u * (V - E) / (1.0 + mg * math.exp(-mg_slope * V))
