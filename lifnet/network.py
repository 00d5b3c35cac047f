"""Network: the clock, populations, projections, stimuli, monitors and the run loop."""

import contextlib
import signal
import sys
import threading
import time
from contextlib import nullcontext

import numpy as np
import scipy.sparse as sp

from . import connectivity
from . import validation as val
from .currents import (
    AMPA,
    GABA,
    NMDA,
    CurrentClamp,
    GaussianNoise,
    PoissonDrive,
)
from .currents.gap_junctions import GapJunctions, random_pairs
from .distributions import Normal
from .integrators import custom_cells, second_thread
from .integrators import layout as L
from .integrators.assemble import Assembly, delay_in_steps
from .integrators.lif_rk2 import INTERP_HERMITE, INTERP_LINEAR, INTERP_NONE
from .integrators.philox import split_seed
from .integrators.run_loop import advance
from .io import checkpoint
from .io.circuit import save as save_circuit
from .kernel_cache import compile_for
from .monitors import RunResult, StateMonitor
from .populations import LIFPopulation
from .positions import place

MAX_NEURONS = 2 ** 31 - 1   # cells in a network: postsynaptic indices are int32
CHUNK_SECONDS = 0.25       # compiled steps between two looks at Ctrl-C
MAX_DELAY_MS = 10_000.0     # a synaptic delay (spikes in flight are held in a ring of steps)
INTERPOLATIONS = {"hermite": INTERP_HERMITE, "linear": INTERP_LINEAR, "none": INTERP_NONE}
STORAGE_NAMES = {"Uniform": "one weight", "Circulant": "circulant kernel",
                 "Dense": "dense matrix", "CSR": "CSR"}
RECEPTORS = {"AMPA": AMPA, "GABA": GABA, "NMDA": NMDA}


class Projection:
    """Synapses from one population onto a gate of another.

    Attributes: ``pre``, ``post`` (populations), ``receptor``, ``delay`` (ms; an array,
    one per synapse in CSR order, for per-synapse delays),
    ``synapses`` (``connectivity.Uniform``, ``Circulant``, ``Dense`` or ``CSR``; weights
    in µS).
    """

    def __init__(self, pre, post, receptor, synapses, delay, rule=None):
        self.pre = pre
        self.post = post
        self.receptor = receptor
        self.synapses = synapses
        self.rule = rule
        self._delay = delay   # None: per synapse, in synapses.delays

    @property
    def per_synapse_delay(self):
        return self._delay is None

    @property
    def delay(self):
        return self.synapses.delays if self._delay is None else self._delay

    @property
    def n_synapses(self):
        return self.synapses.n_synapses

    def weights(self):
        """The weight matrix (n_pre, n_post) as scipy.sparse CSR, µS."""
        return self.synapses.to_scipy()

    @property
    def storage(self):
        """How the synapses are stored: one weight, a circulant kernel, a dense matrix, CSR."""
        return STORAGE_NAMES.get(type(self.synapses).__name__, type(self.synapses).__name__)

    def __repr__(self):
        return (f"Projection({self.pre.name} -> {self.post.name}, {self.receptor.name}, "
                f"{self.rule}, {self.n_synapses} synapses ({self.storage}), "
                f"delay {self._delay_text()})")

    def _delay_text(self):
        if self._delay is not None:
            return f"{self._delay} ms"
        low, high = self.synapses.delay_range
        return f"{low:.3g}-{high:.3g} ms" if self.n_synapses else "none"


class Network:
    """A network of populations advanced together on one clock.

    Parameters
    ----------
    dt : float
        Time step, ms.
    seed : int
        Seed of every random draw, 0 to 2**64 - 1 (initial states, connectivity, drives,
        noise). The same seed gives bit-identical runs, whatever the number of
        threads and however a run is split into ``run`` calls.
    interpolation : {"hermite", "linear", "none"}
        How a spike is placed inside its step: on the cubic Hermite
        interpolant of V (default), linearly, or at the end of the step
        (grid spikes, first order; for comparison only).
    """

    def __init__(self, *, dt=0.1, seed=0, interpolation="hermite"):
        self._dt_used = False
        self.dt = dt
        self.seed = val.count("seed", seed, owner="Network", low=0)
        if self.seed >= 2 ** 64:
            raise val.ParameterError(f"Network: seed={seed} must be below 2**64 (a larger seed "
                                     "would alias one below it)")
        self.interpolation = val.choice("interpolation", interpolation, tuple(INTERPOLATIONS),
                                        owner="Network")
        self.populations = {}
        self.projections = []
        self.stimuli = []
        self.monitors = []
        self.gap_junctions_list = []
        self.step = 0
        self.result = RunResult(self)
        self._asm = None
        self._pending_state = []
        self.sonata = None       # what a SONATA simulation config asks (lifnet.sonata.SonataRun)

    @property
    def t(self):
        """Current time, ms."""
        return self.step * self.dt

    @property
    def dt(self):
        """The time step, ms. Fixed once a projection is made or the network has run: delays
        are checked and stored, decay factors and rate tables computed, for it."""
        return self._dt

    @dt.setter
    def dt(self, value):
        if self._dt_used:
            raise val.ParameterError(
                f"Network.dt: the network's projections and layout are built for dt="
                f"{self._dt} ms; build a new Network with dt={value!r} (the same calls with "
                "the same seed give the same network)")
        self._dt = val.positive("dt", value, owner="Network")

    def get_params(self):
        return {"dt": self.dt, "seed": self.seed, "interpolation": self.interpolation}

    def __repr__(self):
        n_cells = sum(p.n for p in self.populations.values())
        return (f"<Network: {len(self.populations)} populations, {n_cells} cells, "
                f"{len(self.projections)} projections, dt={self.dt:g} ms, t={self.t:g} ms>")

    def __str__(self):
        lines = [f"Network(dt={self.dt:g} ms, seed={self.seed}, interpolation="
                 f"{self.interpolation!r}), t = {self.t:g} ms"]
        lines.append(f"populations ({len(self.populations)}):")
        lines += [f"  {name}: {type(p).__name__}, {p.n} cells"
                  for name, p in self.populations.items()]
        lines.append(f"projections ({len(self.projections)}):")
        lines += [f"  {p.pre.name} -> {p.post.name}: {p.receptor.name}, rule {p.rule}, "
                  f"{p.n_synapses} synapses ({p.storage}), delay {p._delay_text()}"
                  for p in self.projections]
        if self.gap_junctions_list:
            lines.append(f"gap junctions ({len(self.gap_junctions_list)}):")
            lines += [f"  {g!r}" for g in self.gap_junctions_list]
        lines.append(f"stimuli ({len(self.stimuli)}):")
        lines += [f"  {pop.name}: {stimulus!r}" for pop, stimulus in self.stimuli]
        lines.append(f"monitors ({len(self.monitors)}):")
        lines += [f"  {m.population.name}: {', '.join(m.variables)} of {len(m.neurons)} cells "
                  f"every {m.interval * self.dt:g} ms" for m in self.monitors]
        return "\n".join(lines)

    # -- building ---------------------------------------------------------------------------

    def _check_open(self, what):
        if self._asm is not None:
            raise val.ParameterError(
                f"Network: cannot {what} after the network has run; its structure is fixed. "
                "Build a new Network (or use set_state / stimulate with a CurrentClamp).")

    def add(self, population, *, positions=None):
        """Add a population and return it; it gets the name ``pop<k>`` if it has none.

        positions: a layout from ``lifnet.positions`` (drawn from the
        network's seed) or an (n, 3) array, µm. Sets ``population.positions``
        and ``population.norm_positions``, which distance rules read.
        """
        self._check_open("add a population")
        if not hasattr(population, "fill_layout_row"):
            raise val.ParameterError(
                "Network.add: expected a population (e.g. PyrPop, PoissonPop), got "
                f"{type(population).__name__}")
        if population.name is None:
            population.name = f"pop{len(self.populations)}"
        if population.name in self.populations:
            raise val.ParameterError(
                f"Network.add: a population named {population.name!r} is already in the network")
        if any(p is population for p in self.populations.values()):
            raise val.ParameterError(f"Network.add: {population.name!r} was already added")
        total = population.n + sum(p.n for p in self.populations.values())
        if total > MAX_NEURONS:
            raise val.ParameterError(
                f"Network.add: {population.name!r} (n={population.n}) would bring the network "
                f"to {total} cells; at most {MAX_NEURONS} (cell indices are 32-bit)")
        if positions is not None:
            rng = np.random.default_rng(np.random.SeedSequence([self.seed, 4,
                                                                len(self.populations)]))
            population.positions, population.norm_positions = place(
                positions, population.n, rng, owner="Network.add")
        self.populations[population.name] = population
        return population

    def _neurons(self, ref, what):
        """A population that has neurons (not a virtual PoissonPop)."""
        pop = self.population(ref)
        if pop.layout_kind in (L.KIND_POISSON, L.KIND_SPIKES):
            raise val.ParameterError(
                f"{what}={pop.name!r} is a {type(pop).__name__}: virtual cells have no "
                "membrane, so they take no synapses, stimuli, monitors or state")
        return pop

    def population(self, ref):
        """A population of this network, by name or object."""
        name = ref if isinstance(ref, str) else getattr(ref, "name", None)
        pop = self.populations.get(name)
        if pop is None or (not isinstance(ref, str) and pop is not ref):
            raise val.ParameterError(
                f"population {ref!r} is not in this network; it has {list(self.populations)}")
        return pop

    def connect(self, pre, post, *, weight, receptor="AMPA", rule="all_to_all", p=None,
                indegree=None, J_plus=None, sigma=None, profile="gaussian", nsyn=None,
                pre_select=None, post_select=None, autapses=False, delay=None,
                n_synapses=None):
        """Connect two populations and return the Projection.

        Parameters
        ----------
        pre, post : population or str
            Presynaptic and postsynaptic population.
        weight : float, array, str, callable or Normal
            Conductance increment per spike, µS (current synapses: nA, negative
            for inhibition; ``DeltaSynapse``: mV): a scalar, an (n_pre, n_post)
            array for ``all_to_all``, the explicit matrix (dense or
            scipy.sparse, or a ``connectivity.CSR``, which may hold multapses)
            for ``rule="array"``, or an expression string /
            callable over the candidate pairs (``connectivity.PAIR_VARIABLES``,
            e.g. ``"0.002 * exp(-dist_3D / 100) * uniform(0.8, 1.2)"``; a
            callable receives a mapping of those names to arrays), or
            ``ln.Normal(mean=..., sd=..., low=..., high=...)``: a truncated
            normal draw per synapse (rules in ``connectivity.DISTRIBUTION_RULES``).
        receptor : {"AMPA", "GABA", "NMDA"} or a receptor object
            ``ln.AMPA(...)``, ``ln.GABA(...)``, ``ln.NMDA(...)`` or any
            ``ln.ExponentialSynapse(tau=..., E=..., name=...)``; onto a
            ``CurrentBasedLIFPop``, ``ln.ExponentialCurrentSynapse``,
            ``ln.AlphaCurrentSynapse`` or ``ln.DeltaSynapse``.
        rule : str
            One of "all_to_all", "probability", "fixed_indegree", "convergence",
            "divergence", "fixed_outdegree" (as divergence), "fixed_total_number",
            "one_to_one", "ring", "array".
            ``fixed_total_number`` draws ``n_synapses`` (pre, post) pairs
            uniformly and independently (NEST's rule: multapses, and autapses if
            ``autapses=True``); ``one_to_one`` connects neuron i to neuron i.
            ``all_to_all`` with a scalar weight is stored as one number;
            ``ring`` connects two ring populations with the footprint of
            Compte et al. (2000): ``weight * J(theta_i - theta_j)``,
            ``J(d) = J- + (J+ - J-) exp(-d^2 / 2 sigma^2)`` with J- such that
            the mean of J over the ring is 1. Between rings of equal size it is
            stored as a circulant kernel and NMDA's W s costs O(N log N).
        p : float, str or callable
            Connection probability of each pair (``probability``); an
            expression makes it depend on the pair (``"0.1 * exp(-dist_2D / 50)"``).
        indegree : int
            Partners per neuron: presynaptic per postsynaptic neuron for
            ``fixed_indegree`` and ``convergence``, postsynaptic per presynaptic
            neuron for ``divergence``.
        J_plus : float
            Peak of the ring footprint, >= 1, dimensionless (``ring``; Compte 2000: 1.62).
        sigma : float
            Width of the ring footprint, degrees (``ring``; see ``models.compte2000``).
        profile : {"gaussian", "von_mises"}
            Shape of the ring footprint's bump (``ring``): the Gaussian above, or
            ``exp((cos d - 1) / sigma^2)``.
        nsyn : int, str or callable
            Synapses per connected pair (BMTK's ``nsyn``), multiplying its weight.
        pre_select, post_select : dict
            Connect only neurons whose coordinates lie in ranges, e.g.
            ``{"y": (100, 1000)}`` or ``{"ynorm": (0.0, 0.5)}`` (needs positions).
        autapses : bool
            Allow a neuron to connect to itself when pre is post.
        delay : float, str, callable or Normal
            Transmission delay, ms, >= dt; default dt. Need not be a multiple of
            dt. An expression gives each synapse its own (``"0.5 + dist_3D / 300"``,
            conduction at 300 µm/ms), except on NMDA projections; so does a
            ``Normal`` (bound it below by dt: ``low=dt``), and, with
            ``rule="array"`` and a sparse weight matrix, a sparse matrix of
            delays that stores the same pairs (each pair once); with
            ``rule="array"`` and a ``connectivity.CSR`` of weights, the CSR's
            own delays if it has them (then ``delay`` must be None).
        n_synapses : int
            Number of synapses of ``fixed_total_number``.
        """
        self._check_open("connect populations")
        self._dt_used = True
        pre = self.population(pre)
        post = self._neurons(post, "connect: post")
        if isinstance(receptor, str):
            if receptor not in RECEPTORS:
                raise val.ParameterError(
                    f"connect: receptor={receptor!r} is not one of {list(RECEPTORS)} "
                    "nor a receptor object")
            receptor = RECEPTORS[receptor]()
        elif getattr(receptor, "channel_kind", None) is None:
            raise val.ParameterError(
                f"connect: receptor={receptor!r} must be a name or a receptor object")
        if not isinstance(autapses, bool):
            raise val.ParameterError(f"connect: autapses={autapses!r} must be True or False")
        csr_delays = (rule == "array" and isinstance(weight, connectivity.CSR)
                      and weight.has_delays)
        per_synapse = (isinstance(delay, (str, Normal)) or callable(delay)
                       or (rule == "array" and sp.issparse(delay)) or csr_delays)
        if csr_delays and delay is not None:
            raise val.ParameterError(
                f"connect: delay={delay!r} with a CSR of weights that holds its own delays; "
                "give delay=None")
        if isinstance(delay, Normal) and delay.low < self.dt * (1 - 1e-7) and not (
                delay.resolution is not None and delay.resolution >= self.dt * (1 - 1e-7)):
            raise val.ParameterError(
                f"connect: delay={delay!r} can draw delays below dt={self.dt} ms; bound it "
                f"(low={self.dt}), or round it to the step (resolution={self.dt})")
        if per_synapse and receptor.channel_kind == L.RECEPTOR_NMDA:
            raise val.ParameterError(
                "connect: an NMDA projection takes one delay (its presynaptic gates are "
                "shared by all its synapses); give a number")
        if not per_synapse:
            delay = self.dt if delay is None else val.number(
                "delay", delay, owner="connect", low=0.0, low_open=True, high=MAX_DELAY_MS)
            k, _ = delay_in_steps(delay, self.dt)
            if k < 1:
                raise val.ParameterError(
                    f"connect: delay={delay} ms is shorter than dt={self.dt} ms; delays must "
                    "be >= dt")
        seed = int(np.random.SeedSequence([self.seed, 1, len(self.projections)])
                   .generate_state(1)[0])
        try:
            synapses = connectivity.build(rule, pre, post, weight=weight, seed=seed,
                                          autapses=autapses, p=p, indegree=indegree,
                                          J_plus=J_plus, sigma=sigma, profile=profile,
                                          nsyn=nsyn, pre_select=pre_select,
                                          post_select=post_select, delay=delay,
                                          n_synapses=n_synapses)
        except KeyboardInterrupt:
            raise KeyboardInterrupt(
                f"connect {pre.name} -> {post.name} (rule={rule!r}) stopped while drawing its "
                "synapses; nothing of it was added: the network is as before") from None
        if per_synapse:
            delay = None
            shortest = synapses.delay_range[0]
            # Delays are kept in float32: allow its rounding (relative 6e-8) below dt.
            if synapses.n_synapses and shortest < self.dt * (1 - 1e-7):
                raise val.ParameterError(
                    f"connect: the delay expression gives {shortest:.4g} ms, shorter "
                    f"than dt={self.dt} ms; delays must be >= dt")
            if synapses.n_synapses and synapses.delay_range[1] > MAX_DELAY_MS:
                raise val.ParameterError(
                    f"connect: the delay expression gives {synapses.delay_range[1]:.4g} ms; "
                    f"delays must be <= {MAX_DELAY_MS:g} ms")
        proj = Projection(pre, post, receptor, synapses, delay, rule=rule)
        self.projections.append(proj)
        return proj

    def gap_junctions(self, population, *, weight, pairs=None, n_pairs=None):
        """Couple cells of a conductance-cell population electrically; return the GapJunctions.

        Parameters
        ----------
        population : ConductancePopulation or str
        weight : float or array
            Conductance of each junction, µS (NEST's gap weight in nS / 1000).
        pairs : array of shape (k, 2), optional
            The coupled pairs (local indices); each couples both ways.
        n_pairs : int, optional
            Instead of pairs: draw this many pairs uniformly with replacement
            from the network's seed, as NEST's gap-junction example does (500
            cells x 60 / 2).
        """
        self._check_open("add gap junctions")
        pop = self._neurons(population, "gap_junctions: population")
        if pop.layout_kind != L.KIND_CONDUCTANCE:
            raise val.ParameterError(
                f"gap_junctions: population {pop.name!r} is a {type(pop).__name__}; gap "
                "junctions couple conductance-cell populations (RTMPop, WBPop, HHPop, TraubPop)")
        if (pairs is None) == (n_pairs is None):
            raise val.ParameterError("gap_junctions: give either pairs or n_pairs")
        if pairs is None:
            n_pairs = val.count("n_pairs", n_pairs, owner="gap_junctions", low=0)
            rng = np.random.default_rng(np.random.SeedSequence(
                [self.seed, 5, len(self.gap_junctions_list)]))
            pairs = random_pairs(pop.n, n_pairs, rng)
        gap = GapJunctions(pop, pairs, weight)
        self.gap_junctions_list.append(gap)
        return gap

    def stimulate(self, population, stimulus):
        """Apply a PoissonDrive, GaussianNoise or CurrentClamp/FlatCue to a population."""
        pop = self._neurons(population, "stimulate: population")
        if not isinstance(stimulus, (PoissonDrive, GaussianNoise, CurrentClamp)):
            raise val.ParameterError(
                f"stimulate: {stimulus!r} is not a PoissonDrive, GaussianNoise or CurrentClamp")
        if isinstance(stimulus, CurrentClamp):
            stimulus.amplitudes(pop)
            if self._asm is not None:
                self._asm.add_clamp(self._asm.pop_index[pop.name], stimulus, self.t)
        else:
            self._check_open("add a drive or noise")
        self.stimuli.append((pop, stimulus))
        return stimulus

    def monitor(self, population, variables="V", *, neurons=None, interval=None):
        """Record state variables (``"V"``, ``"g_<gate>"``) of some neurons every interval ms."""
        self._check_open("add a monitor")
        self._dt_used = True        # its interval is counted in steps
        pop = self._neurons(population, "monitor: population")
        interval = self.dt if interval is None else val.number(
            "interval", interval, owner="monitor", low=0.0, low_open=True, high=1e9)
        steps = interval / self.dt
        if abs(steps - round(steps)) > 1e-9 * steps or round(steps) < 1:
            raise val.ParameterError(
                f"monitor: interval={interval} ms must be a whole number (>= 1) of dt={self.dt}")
        mon = StateMonitor(pop, variables, neurons, int(round(steps)), period=interval)
        self.monitors.append(mon)
        return mon

    def set_state(self, population, variable, values):
        """Set ``"V"`` (mV) or a gate ``"g_<name>"`` (µS) of every neuron of a population."""
        pop = self._neurons(population, "set_state: population")
        values = val.per_neuron(variable, values, pop.n, owner="set_state")
        if variable.startswith("g_") and values.min() < 0:
            raise val.ParameterError(
                f"set_state: {variable} must be >= 0 (a conductance); minimum {values.min()}")
        if self._asm is None:
            self._pending_state.append((pop, variable, values))
        else:
            self._write_state(pop, variable, values)

    def get_state(self, population, variable):
        """The current value of ``"V"`` or ``"g_<name>"`` for every neuron of a population."""
        pop = self.population(population)
        self._build()
        kind, first = self._asm.state_slot(pop, variable)
        return self._state_array(kind)[first:first + pop.n].copy()

    def _state_array(self, kind):
        if kind == L.PROBE_V:
            return self._asm.neurons.V
        if kind == L.PROBE_GATE:
            return self._asm.channels.g
        if kind == L.PROBE_CELL_GATE:
            return self._asm.cells.x.reshape(-1)
        if kind == L.PROBE_CUSTOM:
            return self._asm.custom.x
        return self._asm.neurons.nmda_u[self.step & 1]

    def _write_state(self, pop, variable, values):
        kind, first = self._asm.state_slot(pop, variable)
        if kind == L.PROBE_NMDA_U:
            raise val.ParameterError(
                f"set_state: {variable} is the sum of presynaptic NMDA gates and cannot be set")
        self._state_array(kind)[first:first + pop.n] = values

    # -- changing a built network -----------------------------------------------------------

    def _projection(self, projection):
        if isinstance(projection, int):
            projection = self.projections[projection]
        if not any(projection is p for p in self.projections):
            raise val.ParameterError(f"{projection!r} is not a projection of this network")
        return projection

    def scale_weights(self, projection, factor):
        """Multiply every weight of a projection (object or index) by factor, also mid-run."""
        proj = self._projection(projection)
        factor = val.non_negative("factor", factor, owner="scale_weights")
        syn = proj.synapses
        if isinstance(syn, connectivity.Uniform):
            syn.weight *= factor
        elif isinstance(syn, connectivity.Circulant):
            syn.kernel *= factor
        elif isinstance(syn, connectivity.Dense):
            syn.matrix *= np.float32(factor)
        elif self._asm is None or not np.may_share_memory(syn.weights,
                                                          self._asm.storage.weights):
            syn.weights *= np.float32(factor)   # (else they are the storage, scaled below)
        if self._asm is not None:
            self._asm.scale_weights(self.projections.index(proj), factor)

    def set_parameter(self, population, name, value):
        """Change a LIF parameter of a population (C, g_L, E_L, V_th, V_reset), also mid-run."""
        pop = self._neurons(population, "set_parameter: population")
        if not isinstance(pop, LIFPopulation):
            raise val.ParameterError(
                f"set_parameter: population {pop.name!r} is a {type(pop).__name__}; only LIF "
                "parameters can be changed")
        if self._asm is not None and pop.layout_kind != L.KIND_LIF:
            raise val.ParameterError(
                f"set_parameter: population {pop.name!r} has currents, and is stepped as a "
                "cell model whose parameters are fixed once the network is built; set it "
                "before the first run, or build a new network")
        columns = {"C": L.P_C, "g_L": L.P_GL, "E_L": L.P_EL, "V_th": L.P_VTH,
                   "V_reset": L.P_VRESET}
        if name not in columns:
            raise val.ParameterError(
                f"set_parameter: {name!r} cannot be changed here; allowed: {list(columns)} "
                "(t_ref sizes the spike buffers: build a new network)")
        value = (val.positive if name in ("C", "g_L") else val.number)(
            name, value, owner="set_parameter")
        v_reset = value if name == "V_reset" else pop.V_reset
        v_th = value if name == "V_th" else pop.V_th
        if v_reset >= v_th:
            raise val.ParameterError(
                f"set_parameter: V_reset={v_reset} must stay below V_th={v_th}")
        setattr(pop, name, value)
        if self._asm is not None:
            self._asm.populations.params[self._asm.pop_index[pop.name], columns[name]] = value

    def restart(self):
        """Go back to t = 0 keeping the structure and every change made to it.

        Weights scaled with ``scale_weights``, parameters changed with
        ``set_parameter`` and stimuli added stay; states return to their initial
        values (drawn again from the seed), recordings are cleared. Running
        again then gives the run of a network built with those changes.
        """
        self._asm = None
        self.step = 0
        self.result = RunResult(self)
        for mon in self.monitors:
            mon._t, mon._chunks = [], []

    # -- checkpoints ------------------------------------------------------------------------

    def save_sonata(self, folder, *, tstop=None):
        """Write the network as a SONATA circuit with a simulation config; return the
        config's path. See ``lifnet.io.circuit.save`` (what NEST models carry, units)."""
        return save_circuit(self, folder, tstop=tstop)

    def save_checkpoint(self, path):
        """Write the complete state (and what was recorded) to an HDF5 file, atomically.

        ``load_checkpoint`` on a network built the same way, then ``run``,
        continues as if the run had never stopped, bit for bit.
        """
        checkpoint.save(self, path)

    def load_checkpoint(self, path):
        """Restore a state written by ``save_checkpoint`` into this network (built as before)."""
        checkpoint.load(self, path)

    # -- running ----------------------------------------------------------------------------

    def _build(self):
        if self._asm is not None:
            return
        if not self.populations:
            raise val.ParameterError("Network.run: the network has no populations")
        self._dt_used = True
        self._asm = Assembly(self)
        for pop, variable, values in self._pending_state:
            self._write_state(pop, variable, values)
        self._pending_state = []
        kinds, index, first, stop = [], [], [], []
        for mon in self.monitors:
            first.append(len(kinds))
            for var in mon.variables:
                kind, base = self._asm.state_slot(mon.population, var)
                mon.units[var] = self._asm.state_unit(mon.population, var)
                kinds.extend([kind] * len(mon.neurons))
                index.extend(base + mon.neurons)
            stop.append(len(kinds))
        self._probe_static = (np.array(kinds, np.int64), np.array(index, np.int64),
                              np.array([m.interval for m in self.monitors], np.int64),
                              np.array(first, np.int64), np.array(stop, np.int64))

    def _check_trace_room(self, n_steps):
        """Refuse, before the run, traces that would outgrow memory (kept whole, float64)."""
        _, _, interval, first, stop = self._probe_static
        if not interval.size:
            return
        rows = (self.step + n_steps) // interval - self.step // interval + 1
        values = float(np.sum(rows * (stop - first)))
        val.fits(f"the traces its monitors record ({values:.3g} values over {n_steps} steps)",
                 values * 8, owner="run")

    def _probes_for(self, step0, n_steps):
        kinds, index, interval, first, stop = self._probe_static
        rows = [len(range(-(-step0 // k) * k, step0 + n_steps, k)) for k in interval]
        widths = stop - first
        offsets = np.concatenate(([0], np.cumsum(np.array(rows, np.int64) * widths)))
        return L.Probes(kind=kinds, index=index, monitor_interval=interval,
                        monitor_first=first, monitor_stop=stop,
                        out_offset=offsets[:-1].astype(np.int64),
                        out_rows=np.zeros(len(interval), np.int64),
                        out=np.zeros(int(offsets[-1]))), rows

    def run(self, duration, *, progress=None, threads=None):
        """Advance the network by duration ms; return the (cumulative) RunResult.

        Parameters
        ----------
        duration : float
            Simulated time, ms; a whole number of steps.
        progress : bool, optional
            Show a progress bar (default: only on a terminal and for runs of
            more than a few seconds of compute).
        threads : {None, 1, 2}
            Threads of the run. A second thread takes half of each large LIF
            population with two gates, no noise and no NMDA. None: lifnet's
            choice, two where numba may use two, unless the second thread's
            kernel is not compiled yet and the run is too short to repay its
            compilation (about 10 s, once per machine). Spikes are the same
            either way.
        """
        duration = val.number("duration", duration, owner="run", low=0.0, low_open=True,
                              high=self.dt * 2.0 ** 52)
        if threads is not None:
            threads = val.count("threads", threads, owner="run", low=1)
            if threads > 2:
                raise val.ParameterError(
                    f"run: threads={threads}; a run uses one or two threads (None: lifnet's "
                    "choice)")
        n_steps = duration / self.dt
        if abs(n_steps - round(n_steps)) > max(1e-6, 1e-12 * n_steps):
            raise val.ParameterError(
                f"run: duration={duration} ms is not a whole number of steps of dt={self.dt} ms")
        n_steps = int(round(n_steps))
        if n_steps < 1:
            raise val.ParameterError(
                f"run: duration={duration} ms is shorter than one step (dt={self.dt} ms)")
        self._build()
        self._check_trace_room(n_steps)
        asm = self._asm
        n_neurons = int(asm.starts[-1])
        if progress is None:
            progress = sys.stderr.isatty() and n_steps * n_neurons > 2e8
        bar = None
        # Compiled steps in chunks of about CHUNK_SECONDS: Ctrl-C is seen between chunks
        # (a compiled loop cannot be interrupted), and the progress bar moves.
        chunk = min(n_steps, 16)
        longest = n_steps
        if progress:
            from tqdm import tqdm
            bar = tqdm(total=round(duration, 6), unit="ms", desc="lifnet run")
            longest = max(1, n_steps // 100)
        k0, k1 = split_seed(self.seed)
        interp = INTERPOLATIONS[self.interpolation]
        # None for what the network lacks: advance then compiles without it.
        kinds = set(asm.populations.ints[:, L.I_KIND].tolist())
        scratch = asm.scratch if L.KIND_LIF in kinds else None
        lif = asm.populations.ints[:, L.I_KIND] == L.KIND_LIF
        lif_extras = True if (np.any(asm.populations.params[lif, L.P_SIGMA] != 0.0)
                              or np.any(asm.populations.ints[lif, L.I_HAS_NMDA] != 0)) else None
        cells = asm.cells if L.KIND_CONDUCTANCE in kinds else None
        stages = asm.auto_stages if cells is not None else None
        # Poisson populations and drives are compiled in always (their kernels are
        # small and called, not inlined): as None variants they made one more
        # compilation of the whole loop for each network with and without them.
        virtual = asm.virtual
        drives = asm.drives
        custom = asm.custom if L.KIND_CUSTOM in kinds else None
        run_loop = advance if custom is None else custom_cells.run_loop_for(asm.custom_models)
        has_nmda = asm.sources.pop.shape[0] > 0
        if has_nmda:
            import rocket_fft  # noqa: F401  (np.fft in compiled code; 0.35 s to import)
        srcs = asm.sources if has_nmda else None
        nproj = asm.nmda_projections if has_nmda else None
        two_threads = second_thread.wanted(asm, threads, n_steps, k0, k1, drives, srcs)
        done = 0
        try:
            with _interrupt_between_chunks() as interrupted:
                while done < n_steps:
                    if interrupted:
                        start, stop = self.t - done * self.dt, self.t + (n_steps - done) * self.dt
                        raise KeyboardInterrupt(
                            f"run stopped at t={self.t:g} ms (step {self.step}) of this run's "
                            f"{start:g} to {stop:g} ms; the network holds its state at that "
                            "time: run() goes on from it")
                    todo = min(chunk, n_steps - done)
                    probes, rows = self._probes_for(self.step, todo)
                    args = (self.step, todo, self.dt, interp, k0, k1, asm.populations, asm.neurons,
                            asm.channels, asm.stimuli, drives, srcs, asm.connections, nproj,
                            asm.storage, asm.ring, asm.arrivals, asm.shared, virtual,
                            asm.spike_lists, asm.output, probes, asm.status, scratch,
                            lif_extras, cells, stages,
                            (asm.mailbox, asm.fmailbox, asm.helper, asm.helper_arrivals),
                            custom)
                    if done == 0:
                        compile_for(run_loop, args)
                    t_chunk = time.perf_counter()
                    with (second_thread.SecondThread(asm, k0, k1, drives, srcs) if two_threads
                          else nullcontext()):
                        ran = run_loop(*args)
                    self._collect(probes, self.step, ran)
                    self.step += ran
                    done += ran
                    seconds = time.perf_counter() - t_chunk
                    chunk = int(min(longest, max(1, ran * CHUNK_SECONDS / max(seconds, 1e-6)),
                                    4 * chunk))
                    if bar is not None:
                        bar.update(round(ran * self.dt, 6))
                    if asm.status.code[0] == L.STATUS_DIVERGED:
                        self._diverged()
                    if asm.status.code[0] == L.STATUS_ARRIVALS_FULL:
                        asm.grow_arrivals(2 * asm.arrivals.time.shape[0])
        finally:
            if bar is not None:
                bar.close()
        return self.result

    def _collect(self, probes, step0, ran):
        asm = self._asm
        n = int(asm.output.count[0])
        if n:
            ids = asm.output.ids[:n]
            times = asm.output.times[:n].copy()
            which = np.searchsorted(asm.starts, ids, side="right") - 1
            for q, pop in enumerate(asm.pops):
                sel = which == q
                if sel.any():
                    self.result._append(pop.name, times[sel],
                                        ids[sel].astype(np.int64) - asm.starts[q])
            asm.output.count[0] = 0
        for m, mon in enumerate(self.monitors):
            k = mon.interval
            steps = np.arange(-(-step0 // k) * k, step0 + ran, k)
            width = probes.monitor_stop[m] - probes.monitor_first[m]
            off = probes.out_offset[m]
            block = probes.out[off:off + len(steps) * width].reshape(len(steps), width)
            mon._append(steps * self.dt, block.copy())

    def _diverged(self):
        asm = self._asm
        i = int(asm.status.neuron[0])
        q = int(np.searchsorted(asm.starts, i, side="right") - 1)
        pop = asm.pops[q]
        raise val.SimulationError(
            f"population {pop.name!r}, neuron {i - asm.starts[q]}: membrane potential "
            f"{float(asm.neurons.V[i])!r} mV at t={asm.status.time[0]:.6g} ms is not finite or "
            "beyond ±1e4 mV; check weights, currents and dt")


@contextlib.contextmanager
def _interrupt_between_chunks():
    """Yield a list that Ctrl-C (SIGINT) appends to, instead of raising inside a step.

    The run looks at it between chunks of compiled steps and stops there, at a
    whole step; a second Ctrl-C raises at once.
    """
    flag = []
    if threading.current_thread() is not threading.main_thread():
        yield flag
        return

    def note(signum, frame):
        if flag:
            raise KeyboardInterrupt("second Ctrl-C: stopped inside a chunk of steps")
        flag.append(signum)

    previous = signal.signal(signal.SIGINT, note)
    try:
        yield flag
    finally:
        signal.signal(signal.SIGINT, previous)


__all__ = ["Network", "Projection"]
