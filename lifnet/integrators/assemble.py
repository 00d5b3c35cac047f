"""Flatten a Network's populations, projections and stimuli into layout arrays."""

import math

import numpy as np

from .. import validation as val
from ..connectivity import Circulant, Dense, Uniform
from ..currents import CurrentClamp, ExponentialSynapse, GaussianNoise, PoissonDrive
from ..currents.nmda import NMDALayout
from ..pair_kernels import delay_groups, delay_steps
from ..populations.conductance import GATES
from . import layout as L
from .conductance_step import m_near_switch, rate_table
from .custom_step_template import WORK_ROWS

RISE = "__rise"   # suffix of the rise gate of a double-exponential synapse on a LIF population
GAP_STIFF = 0.5  # dt x (a cell's gap conductance) / C above this: refused (explicit step)
# The _auto_stages specialisation (layout.AutoStages field) of (model, m takes both steps).
AUTO_STAGE_NAMES = {(L.MODEL_RTM, False): "rtm", (L.MODEL_WB, False): "wb",
                    (L.MODEL_TRAUB, False): "traub", (L.MODEL_TRAUB, True): "traub_both",
                    (L.MODEL_HH_NEST, False): "hh", (L.MODEL_HH_NEST, True): "hh_both"}
# The specialisations compiled together. Each set of them is a compilation of the whole run
# loop (10-30 s); by families (the two cells of the PING network, and each model with and
# without its m step), a machine meets few sets, at the price of a specialisation it may not
# use (8 s, once: each is cached on its own).
AUTO_STAGE_FAMILIES = ({"rtm", "wb"}, {"traub", "traub_both"}, {"hh", "hh_both"})


def _i64(values):
    return np.ascontiguousarray(values, dtype=np.int64)


def _f64(values):
    return np.ascontiguousarray(values, dtype=np.float64)


def _aligned(a, align=64):
    """A copy of a starting on an align-byte boundary (a table's rows on cache lines)."""
    buf = np.empty(a.size + align // a.itemsize, a.dtype)
    first = (-buf.ctypes.data % align) // a.itemsize
    out = buf[first:first + a.size].reshape(a.shape)
    out[...] = a
    return out


def custom_model(pop):
    """The CellModel a population is stepped as: itself, the LIF model of a LIF population
    that carries currents, or None (a built-in population)."""
    cell_model = getattr(pop, "cell_model", None)
    return cell_model() if cell_model is not None else None


def linear_cells(pop):
    """Whether a population is of a cell model integrated as a linear system
    (``CellModel.linear``: CurrentBasedLIFPop)."""
    cell = custom_model(pop)
    return cell is not None and cell.linear


class PopulationRow:
    """What a population's ``fill_layout_row`` writes, and what it may read.

    Attributes
    ----------
    q : int
        The population's index in the network.
    dt : float
        The step, ms.
    params, ints : numpy.ndarray
        Its rows of ``layout.Populations.params`` and ``.ints`` (columns ``P_*``,
        ``I_*``), to write in place.
    sigma : float
        The standard deviation of its Gaussian noise, nA (0 without).
    """

    def __init__(self, q, dt, params, ints, sigma, lists, virtual):
        self.q, self.dt, self.params, self.ints, self.sigma = q, dt, params, ints, sigma
        self._lists, self._virtual = lists, virtual

    def add_spike_list(self, times, ids):
        """Replay these spikes (ms, sorted; cell of each) from the population's cells."""
        lists = self._lists
        first = lists["stop"][-1] if lists["stop"] else 0
        lists["pop"].append(self.q)
        lists["first"].append(first)
        lists["stop"].append(first + times.size)
        lists["times"].append(times)
        lists["ids"].append(ids)

    def add_poisson_window(self, start, stop, lam, stream):
        """Fire Poisson spikes from the population's cells from start to stop (ms), lam
        expected per cell and step, from the random stream numbered stream."""
        virtual = self._virtual
        first = (virtual["lam_offset"][-1] + virtual["lam"][-1].size if virtual["lam"]
                 else 0)
        for f, v in (("pop", self.q), ("start", start), ("stop", stop), ("lam_offset", first),
                     ("stream", stream), ("lam", lam)):
            virtual[f].append(v)


def initial_rng(seed, q):
    """The generator population q of a network with this seed draws its initial V from."""
    return np.random.default_rng(np.random.SeedSequence([seed, 0, q]))


def _ascii_unit(unit):
    """A unit as SONATA files and NEURON spell it (``uS``, not ``µS``)."""
    return unit.replace("µ", "u").replace("μ", "u")


def _native_gates(pop):
    """Whether a population's step takes double-exponential and alpha-current gates as
    they are; the fused LIF step takes exponential gates only."""
    return pop.layout_kind != L.KIND_LIF


def _receptor_names(kinds):
    names = {L.CH_EXP: "ExponentialSynapse (AMPA, GABA, ExpSyn)",
             L.CH_EXP2: "DoubleExponentialSynapse (Exp2Syn)",
             L.CH_ALPHA_CURRENT: "AlphaCurrentSynapse",
             L.CH_EXP_CURRENT: "ExponentialCurrentSynapse", L.CH_DELTA: "DeltaSynapse",
             L.RECEPTOR_NMDA: "NMDA"}
    return ", ".join(names[k] for k in kinds)


def _check_receptor(pop, rec):
    """Refuse a receptor a population's step does not take (``pop.receptor_kinds``)."""
    if rec.channel_kind not in pop.receptor_kinds:
        kind = type(pop).__name__ + (" with currents" if getattr(pop, "currents", ()) else "")
        raise val.ParameterError(
            f"population {pop.name!r}: receptor {rec!r} does not act on a {kind}; it takes "
            + _receptor_names(pop.receptor_kinds))


def _psp_peak_time(tau_syn, tau_m):
    """When the PSP of an exponential current peaks, ms."""
    if abs(tau_syn - tau_m) < 1e-12 * tau_m:
        return tau_m
    return tau_m * tau_syn * math.log(tau_m / tau_syn) / (tau_m - tau_syn)


def _summed_channels(pops, pop_chan, kinds, taus, dt):
    """Which channels' arrivals delivery sums (linear_gates.summed_arrival), and the
    constants of their cells: those of linear cells (CurrentBasedLIFPop) whose inputs are all
    exponential currents whose PSP peaks after a step, or delta synapses."""
    n = len(kinds)
    summed, cell_rate, cell_inv_C = np.zeros(n, np.int64), np.zeros(n), np.zeros(n)
    for q, pop in enumerate(pops):
        if not linear_cells(pop):
            continue
        first, stop = pop_chan[q]
        if all(kinds[c] == L.CH_DELTA or (kinds[c] == L.CH_EXP_CURRENT and
                                          _psp_peak_time(taus[c], pop.tau_m) >= dt)
               for c in range(first, stop)):
            summed[first:stop] = 1
            cell_rate[first:stop] = 1.0 / pop.tau_m
            cell_inv_C[first:stop] = 1.0 / pop.C
    return summed, cell_rate, cell_inv_C


def delay_in_steps(delay, dt):
    """Split a delay (ms) into whole steps and a fraction of a step in [0, 1)."""
    d = delay / dt
    if abs(d - round(d)) < 1e-9 * max(1.0, d):
        d = float(round(d))
    k = int(math.floor(d))
    return k, d - k


class Assembly:
    """The layout groups of one network, plus the maps from names to slots."""

    def __init__(self, net):
        dt = net.dt
        pops = list(net.populations.values())
        self.pops = pops
        self.pop_index = {p.name: i for i, p in enumerate(pops)}
        sizes = np.array([p.n for p in pops], dtype=np.int64)
        self.starts = np.concatenate(([0], np.cumsum(sizes)))
        n_total = int(self.starts[-1])

        # Linear gate channels, contiguous per population, in order of first use.
        chan_specs = [dict() for _ in pops]
        nmda_post = [None] * len(pops)
        drives_of = [[] for _ in pops]
        clamps = []
        sigma2 = np.zeros(len(pops))
        for proj in net.projections:
            q = self.pop_index[proj.post.name]
            if proj.receptor.channel_kind == L.RECEPTOR_NMDA:
                nmda_post[q] = proj.receptor.merged(nmda_post[q], proj.post.name)
            else:
                self._add_receptor(chan_specs[q], proj.receptor, pops[q])
        for pop, stim in net.stimuli:
            q = self.pop_index[pop.name]
            if isinstance(stim, PoissonDrive):
                self._add_receptor(chan_specs[q], stim.receptor, pops[q])
                drives_of[q].append(stim)
            elif isinstance(stim, GaussianNoise):
                sigma2[q] += stim.sigma ** 2
            elif isinstance(stim, CurrentClamp):
                clamps.append((q, stim))

        for q, specs in enumerate(chan_specs):
            for rec in specs.values():
                _check_receptor(pops[q], rec)
            if nmda_post[q] is not None:
                _check_receptor(pops[q], nmda_post[q])
            if sigma2[q] > 0 and not pops[q].takes_noise:
                raise val.ParameterError(
                    f"population {pops[q].name!r}: GaussianNoise does not act on a "
                    "population of a user-defined cell model (or a LIF population with "
                    "currents); give it Poisson input instead")
        chan_offset, chan_pop, chan_tau, chan_E = [], [], [], []
        chan_kind, chan_rise, chan_peak = [], [], []
        self.channel_of = {}
        self.channel_receptor = {}
        pop_chan = np.zeros((len(pops), 2), dtype=np.int64)
        gate_total = 0
        for q, specs in enumerate(chan_specs):
            pop_chan[q, 0] = len(chan_offset)
            for name, rec in specs.items():
                self.channel_of[(pops[q].name, name)] = len(chan_offset)
                self.channel_receptor[(pops[q].name, name)] = rec
                chan_offset.append(gate_total)
                chan_pop.append(q)
                chan_tau.append(rec.tau)
                chan_E.append(rec.E)
                rise, peak = rec.channel_shape()
                chan_kind.append(rec.channel_kind)
                chan_rise.append(rise)
                chan_peak.append(peak)
                gate_total += pops[q].n
            pop_chan[q, 1] = len(chan_offset)
        chan_tau = _f64(chan_tau)
        summed, cell_rate, cell_inv_C = _summed_channels(pops, pop_chan, chan_kind, chan_tau,
                                                         dt)
        self.channels = L.Channels(
            offset=_i64(chan_offset), pop=_i64(chan_pop), decay=np.exp(-dt / chan_tau),
            tau=chan_tau, rate=1.0 / chan_tau, E=_f64(chan_E), g=np.zeros(gate_total),
            kind=_i64(chan_kind), tau_rise=_f64(chan_rise), peak=_f64(chan_peak),
            r=np.zeros(gate_total), summed=summed, cell_rate=cell_rate, cell_inv_C=cell_inv_C,
            v_in=np.zeros(n_total), v_up=np.zeros(n_total), listed=np.zeros(n_total, np.uint8),
            v_free=np.zeros(n_total), v_top=np.zeros(n_total),
            coef=np.zeros((2, len(chan_offset))))

        # Population parameter tables.
        params = np.zeros((len(pops), L.N_PARAMS))
        ints = np.zeros((len(pops), L.N_INTS), dtype=np.int64)
        virtual = {f: [] for f in L.VirtualSources._fields}
        lists = {f: [] for f in ("pop", "first", "stop", "times", "ids")}
        for q, pop in enumerate(pops):
            ints[q, L.I_START] = self.starts[q]
            ints[q, L.I_STOP] = self.starts[q + 1]
            ints[q, L.I_CHAN_FIRST:L.I_CHAN_STOP + 1] = pop_chan[q]
            ints[q, L.I_RECORD] = 1
            ints[q, L.I_KIND] = pop.layout_kind
            pop.fill_layout_row(PopulationRow(q, dt, params[q], ints[q], math.sqrt(sigma2[q]),
                                              lists, virtual))
            if nmda_post[q] is not None:
                nmda_post[q].fill_postsynaptic_row(PopulationRow(q, dt, params[q], ints[q],
                                                                 0.0, lists, virtual))
        lam = _f64(np.concatenate(virtual["lam"])) if virtual["lam"] else np.zeros(0)
        self.virtual = L.VirtualSources(
            pop=_i64(virtual["pop"]), start=_f64(virtual["start"]), stop=_f64(virtual["stop"]),
            lam_offset=_i64(virtual["lam_offset"]), lam=lam, p_none=np.exp(-lam),
            stream=_i64(virtual["stream"]))
        self.spike_lists = L.SpikeLists(
            pop=_i64(lists["pop"]), first=_i64(lists["first"]), stop=_i64(lists["stop"]),
            times=_f64(np.concatenate(lists["times"])) if lists["times"] else np.zeros(0),
            ids=_i64(np.concatenate(lists["ids"])) if lists["ids"] else np.zeros(0, np.int64),
            cursor=_i64(lists["first"]))
        self.nmda_post = nmda_post
        self.populations = L.Populations(params=params, ints=ints,
                                         switching=np.zeros(len(pops), dtype=np.int64),
                                         margin=np.zeros(len(pops)))

        rng_v = [initial_rng(net.seed, q) for q in range(len(pops))]
        V = np.concatenate([pop.initial_V(rng_v[q]) for q, pop in enumerate(pops)])
        self._assemble_cells(net, V)
        self._assemble_custom()
        self.neurons = L.Neurons(
            V=_f64(V), ref_until=np.full(n_total, -np.inf), I_now=np.zeros(n_total),
            dI=np.zeros(n_total), I_corr=np.zeros(n_total), nmda_u=np.zeros((2, n_total)))

        self.stimuli = L.Stimuli(pop=_i64([]), amp_offset=_i64([]), start=_f64([]),
                                 stop=_f64([]), amp=_f64([]))
        self._assemble_drives(drives_of, dt)
        self._assemble_projections(net, dt)
        self.clamps = []
        for q, clamp in clamps:
            self.add_clamp(q, clamp, 0.0)
        worst = int((sizes * ints[:, L.I_MAX_SPIKES]).sum())
        slots = int(self.connections.delay_steps.max(initial=0)) + 2
        val.fits(f"the spikes in flight ({slots} steps of delay x up to {worst} spikes a "
                 "step; set t_ref > 0 or shorten the longest delay)", slots * worst * 12,
                 owner="run")
        self.ring = L.SpikeRing(ids=np.zeros((slots, worst), dtype=np.int32),
                                theta=np.zeros((slots, worst)),
                                pop_stop=np.zeros((slots, len(pops)), dtype=np.int64))
        self.grow_arrivals(max(1 << 12, 2 * n_total))
        # At most two steps' spikes (delays are not whole steps) per Uniform gate projection.
        shared = sum(2 * int(sizes[c_pre] * ints[c_pre, L.I_MAX_SPIKES])
                     for c_pre, kind, store in zip(self.connections.pre, self.connections.kind,
                                                   self.connections.store, strict=True)
                     if kind == L.TARGET_GATE and store == L.STORE_UNIFORM)
        n_chan = self.channels.offset.shape[0]
        self.shared = L.SharedArrivals(
            pop=np.zeros(shared, np.int64), time=np.zeros(shared),
            channel=np.zeros(shared, np.int64), weight=np.zeros(shared),
            count=np.zeros(1, np.int64), jump=np.zeros(n_chan), corr_p=np.zeros(n_chan),
            corr_q=np.zeros(n_chan), corr_r=np.zeros(n_chan))
        capacity = max(1 << 16, 4 * worst)
        self.output = L.SpikeOutput(ids=np.zeros(capacity, dtype=np.int32),
                                    times=np.zeros(capacity),
                                    count=np.zeros(1, dtype=np.int64))
        largest = int(sizes.max())
        self.scratch = L.StepScratch(G0=np.zeros(largest), H0=np.zeros(largest),
                                     G1=np.zeros(largest), H1=np.zeros(largest),
                                     V_next=np.zeros(largest), keep=np.zeros(largest),
                                     flagged=np.zeros(largest, np.int64),
                                     lanes=np.zeros((L.N_LANES, largest)))
        # The second thread's (second_thread): its own scratch, and the mailbox.
        self.helper_scratch = L.StepScratch(*(np.zeros_like(a) for a in self.scratch))
        # Its spikes in a step: at most those of the upper half of a population it may
        # take (LIF, CurrentBasedLIFPop).
        halves = (ints[:, L.I_KIND] == L.KIND_LIF) | np.array(
            [linear_cells(pop) for pop in pops], bool)
        most = int(((sizes - sizes // 2) * ints[:, L.I_MAX_SPIKES])[halves].max(initial=0))
        self.helper = L.HelperBuffers(ids=np.zeros(most, np.int32), theta=np.zeros(most),
                                      times=np.zeros(most), count=np.zeros(1, np.int64),
                                      can_split=np.zeros(len(pops), np.int64),
                                      split_mid=ints[:, L.I_STOP].copy(),
                                      deliverer=np.zeros(len(pops), np.int64),
                                      deliver_mid=ints[:, L.I_STOP].copy())
        self.mailbox = np.zeros(L.MAILBOX_SLOTS, np.int64)
        self.fmailbox = np.zeros(L.MAILBOX_SLOTS)
        self.status = L.Status(code=np.zeros(1, np.int64), neuron=np.zeros(1, np.int64),
                               time=np.zeros(1))

    def _assemble_cells(self, net, V):
        """Parameters, gates and gap junctions of the conductance-cell populations."""
        n_total = int(self.starts[-1])
        model = np.full(len(self.pops), -1, dtype=np.int64)
        params = np.zeros((len(self.pops), L.N_HH_PARAMS))
        x = np.zeros((L.N_GATES, n_total))
        tables, table_key = [], {}
        table_of = np.zeros(len(self.pops), dtype=np.int64)
        m_both_steps = np.zeros(len(self.pops), dtype=np.int64)
        stages = set()
        for q, pop in enumerate(self.pops):
            if pop.layout_kind == L.KIND_CONDUCTANCE:
                model[q] = pop.model
                params[q] = pop.layout_params()
                key = (pop.model, params[q, L.H_PHI], params[q, L.H_VT], params[q, L.H_B],
                       net.dt)
                if key not in table_key:
                    table_key[key] = len(tables)
                    tables.append(rate_table(*key))
                table_of[q] = table_key[key]
                m_both_steps[q] = m_near_switch(*key, params[q, L.H_EL], params[q, L.H_VSPIKE])
                x[:, self.starts[q]:self.starts[q + 1]] = pop.initial_gates(
                    V[self.starts[q]:self.starts[q + 1]])
                if params[q, L.H_METHOD] == L.METHOD_AUTO and np.isnan(params[q, L.H_RESET]):
                    stages.add(AUTO_STAGE_NAMES[pop.model, bool(m_both_steps[q]) and
                                                pop.model in (L.MODEL_TRAUB, L.MODEL_HH_NEST)])
        rows, cols, vals = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)], [np.zeros(0)]
        for gap in net.gap_junctions_list:
            s0 = self.starts[self.pop_index[gap.population.name]]
            i, j = gap.pairs[:, 0] + s0, gap.pairs[:, 1] + s0
            rows += [i, j]
            cols += [j, i]
            vals += [gap.weights, gap.weights]
        rows, cols, vals = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
        order = np.lexsort((cols, rows))
        rows, cols, vals = rows[order], cols[order], vals[order]
        indptr = np.zeros(n_total + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n_total), out=indptr[1:])
        total = np.bincount(rows, weights=vals, minlength=n_total).astype(np.float64)
        for q, pop in enumerate(self.pops):
            if pop.layout_kind != L.KIND_CONDUCTANCE or pop.method == "exponential":
                continue
            worst = total[self.starts[q]:self.starts[q + 1]].max(initial=0.0)
            if worst * net.dt / pop.C > GAP_STIFF:
                raise val.ParameterError(
                    f"gap_junctions: population {pop.name!r} has a cell with {worst:.4g} µS of "
                    f"gap conductance: dt x g / C = {worst * net.dt / pop.C:.3g} > {GAP_STIFF} "
                    "makes the explicit step unstable; use a smaller dt or "
                    "method='exponential'")

        def scratch(*shape):
            return np.zeros(shape)

        self.cells = L.ConductanceCells(
            model=model, params=params, x=x,
            tables=_aligned(np.stack(tables)) if tables else np.zeros((1, 1, 24)),
            table_of=table_of, m_both_steps=m_both_steps,
            gap_indptr=indptr,
            gap_indices=cols.astype(np.int32), gap_g=_f64(vals), gap_total=total,
            G0=scratch(n_total), H0=scratch(n_total), Gs1=scratch(n_total),
            Hs1=scratch(n_total), a0=scratch(L.N_GATES, n_total),
            s0=scratch(L.N_GATES, n_total), V_star=scratch(n_total),
            x_star=scratch(L.N_GATES, n_total), V_old=scratch(n_total), u_old=scratch(n_total),
            corr=scratch(n_total),
            moments=scratch(n_total),
            Gs0=scratch(n_total), Hs0=scratch(n_total), gap0=scratch(n_total),
            n_sub=np.zeros(n_total, np.int64), t_cross=scratch(n_total),
            gap_in=scratch(n_total), stiff=np.zeros(n_total, np.int64),
            memo=np.full((L.MEMO_SLOTS, 6), -1.0),
            g_in=scratch(self.channels.g.shape[0]), r_in=scratch(self.channels.g.shape[0]),
            corr_in=scratch(n_total), moment_in=scratch(n_total), delta_in=scratch(2, n_total),
            delta=scratch(2, n_total))
        stages = set().union(*(family for family in AUTO_STAGE_FAMILIES if family & stages))
        self.auto_stages = L.AutoStages(**{name: np.zeros(0, np.int64) if name in stages
                                           else None for name in L.AutoStages._fields})

    def _assemble_custom(self):
        """States and parameters of the populations of user-defined cell models."""
        model = np.full(len(self.pops), -1, dtype=np.int64)
        x_offset = np.zeros(len(self.pops), dtype=np.int64)
        par_offset = np.zeros(len(self.pops), dtype=np.int64)
        n_params = np.zeros(len(self.pops), dtype=np.int64)
        xs, params = [], []
        self.custom_models = []    # one per distinct (model class, its currents' classes)
        kinds = []
        n_x = n_par = 0
        most = 1
        ints = self.populations.ints
        gates = int(np.max(ints[:, L.I_CHAN_STOP] - ints[:, L.I_CHAN_FIRST], initial=0))
        for q, pop in enumerate(self.pops):
            cell = custom_model(pop)
            if cell is None:
                continue
            kind = (type(cell), tuple((type(c), c.name) for c in cell.currents))
            if kind not in kinds:
                kinds.append(kind)
                self.custom_models.append(cell)
            model[q] = kinds.index(kind)
            state = cell.initial_state()[1:]
            most = max(most, state.shape[0] + 1)
            x_offset[q], par_offset[q] = n_x, n_par
            xs.append(state.ravel())
            values = np.array(cell.all_parameter_values(), dtype=np.float64)
            params.append(values)
            n_params[q] = values.size
            n_x += state.size
            n_par += values.size
        self.custom = L.CustomCells(
            model=model, x_offset=x_offset, par_offset=par_offset, n_params=n_params,
            x=np.concatenate(xs) if xs else np.zeros(0),
            params=np.concatenate(params) if params else np.zeros(0),
            work=np.zeros((WORK_ROWS, most)),
            decay=np.zeros(4 * max(1, gates)))

    def grow_arrivals(self, capacity):
        """(Re)allocate the per-step arrival list with room for capacity arrivals."""
        n_total = int(self.starts[-1])
        val.fits(f"the synaptic arrivals of one step ({capacity})", capacity * 64 + n_total * 8,
                 owner="run")
        self.arrivals = L.Arrivals(
            head=np.full(n_total, -1, dtype=np.int64), next=np.zeros(capacity, np.int64),
            time=np.zeros(capacity), channel=np.zeros(capacity, np.int64),
            weight=np.zeros(capacity), count=np.zeros(1, np.int64))
        # The second thread's list (second_thread): the same heads, its own entries.
        self.helper_arrivals = L.Arrivals(
            head=self.arrivals.head, next=np.zeros(capacity, np.int64),
            time=np.zeros(capacity), channel=np.zeros(capacity, np.int64),
            weight=np.zeros(capacity), count=np.zeros(1, np.int64))

    def _add_receptor(self, specs, receptor, pop):
        """Register a receptor's gate(s) on a population.

        On LIF populations a double-exponential conductance is the difference
        of two exponential gates (decay minus rise) that every arrival opens
        by +f w and -f w (``_targets``): the LIF step, exact for exponential
        gates, then needs nothing new.
        """
        if receptor.channel_kind == L.CH_EXP2 and not _native_gates(pop):
            for name, tau in ((receptor.name, receptor.tau_decay),
                              (receptor.name + RISE, receptor.tau_rise)):
                self._add_channel(specs, ExponentialSynapse(tau=tau, E=receptor.E, name=name),
                                  pop.name)
            return
        self._add_channel(specs, receptor, pop.name)

    def _targets(self, receptor, pop):
        """[(channel, weight factor)] an arrival through receptor on pop opens."""
        if receptor.channel_kind == L.CH_EXP2 and not _native_gates(pop):
            f = receptor.peak_factor()
            return [(self.channel_of[(pop.name, receptor.name)], f),
                    (self.channel_of[(pop.name, receptor.name + RISE)], -f)]
        return [(self.channel_of[(pop.name, receptor.name)], 1.0)]

    @staticmethod
    def _add_channel(specs, receptor, pop_name):
        known = specs.get(receptor.name)
        if known is None:
            specs[receptor.name] = receptor
        elif known.key() != receptor.key():
            raise val.ParameterError(
                f"population {pop_name!r}: gate {receptor.name!r} is used with tau={known.tau}, "
                f"E={known.E} and with tau={receptor.tau}, E={receptor.E}; give one of the "
                "receptors another name")

    def _assemble_drives(self, drives_of, dt):
        chan, offset, lam, start, stop, weight, stream = [], [], [], [], [], [], []
        n_lam = 0
        for q, drives in enumerate(drives_of):
            for k, d in enumerate(drives):
                expected = d.rates(self.pops[q]) * dt / 1000.0
                if expected.max() > L.MAX_EVENTS_PER_STEP:
                    raise val.ParameterError(
                        f"{type(d).__name__}: rate={expected.max() / dt * 1000.0:g} Hz gives "
                        f"{expected.max():.3g} events per step of dt={dt} ms; at most "
                        f"{L.MAX_EVENTS_PER_STEP:g} are allowed (model such input as a "
                        "conductance or a current)")
                # A double-exponential drive on a LIF population: two gates, one
                # stream, so both see the same events.
                for channel, factor in self._targets(d.receptor, self.pops[q]):
                    chan.append(channel)
                    offset.append(n_lam)
                    start.append(d.start)
                    stop.append(d.stop)
                    weight.append(d.weight * factor)
                    stream.append((q << 8) | (k + 1))
                n_lam += expected.size
                lam.append(expected)
        lam = _f64(np.concatenate(lam)) if lam else np.zeros(0)
        self.drives = L.Drives(channel=_i64(chan), lam_offset=_i64(offset), lam=lam,
                               p_none=np.exp(-lam), start=_f64(start), stop=_f64(stop),
                               weight=_f64(weight), stream=_i64(stream))

    def _assemble_projections(self, net, dt):
        indptr, dense = [np.zeros(0, np.int64)], []
        csr = []   # (CSR, first synapse in the storage, delays per synapse?)
        kernel, kernel_hat = [], []
        n_ptr = 0
        n_syn = 0
        n_dense = 0
        n_kernel = 0
        n_hat = 0

        def place(syn, per_synapse=False):
            nonlocal n_ptr, n_syn, n_dense, n_kernel, n_hat
            if isinstance(syn, Dense):
                off = n_dense
                dense.append(syn.matrix.ravel())
                n_dense += syn.matrix.size
                self._dense_size[off] = syn.matrix.size
                return L.STORE_DENSE, off, 0
            if isinstance(syn, (Uniform, Circulant)):
                off, hat = n_kernel, n_hat
                if isinstance(syn, Uniform):
                    kernel.append(np.array([syn.weight, float(syn.skip_diagonal)]))
                else:
                    kernel.append(syn.kernel)
                    self._kernel_size[off] = syn.kernel.size
                    kernel_hat.append(np.fft.rfft(syn.kernel))
                    n_hat += kernel_hat[-1].size
                n_kernel += kernel[-1].size
                return (L.STORE_UNIFORM if isinstance(syn, Uniform) else L.STORE_CIRCULANT,
                        off, hat)
            off = n_ptr
            indptr.append(syn.indptr + n_syn)
            csr.append((syn, n_syn, per_synapse, off))
            n_ptr += syn.indptr.shape[0]
            n_syn += syn.n_synapses
            return L.STORE_CSR, off, 0

        self._dense_size, self._kernel_size = {}, {}
        # Where each projection's weights went: [(store, offset, hat offset, n_pre)].
        self.placements = [[] for _ in net.projections]
        conns = {f: [] for f in L.Connections._fields}
        nmda_layout = NMDALayout()
        for k_proj, proj in enumerate(net.projections):
            pre = self.pop_index[proj.pre.name]
            post = self.pop_index[proj.post.name]
            if proj.receptor.channel_kind == L.RECEPTOR_NMDA:
                k, phi = delay_in_steps(proj.delay, dt)
                store, off, hat = place(proj.synapses)
                self.placements[k_proj].append((store, off, hat, proj.pre.n))
                source = nmda_layout.add(proj.receptor, pre, proj.pre.n, post, proj.post.n, k,
                                         phi, (store, off, hat))
                if source is not None:
                    row = dict(pre=pre, post=pre, kind=L.TARGET_NMDA_SOURCE, target=source,
                               store=L.STORE_IDENTITY, delay_steps=k, delay_frac=phi,
                               ptr_offset=0, n_post=0, per_synapse=0, delay_steps_min=k,
                               scale=1.0, group_offset=-1)
                    for f, v in row.items():
                        conns[f].append(v)
            else:
                k_min, k, phi = self._delays(proj, dt)
                store, off, hat = place(proj.synapses, proj.per_synapse_delay)
                self.placements[k_proj].append((store, off, hat, proj.pre.n))
                for target, factor in self._targets(proj.receptor, proj.post):
                    row = dict(pre=pre, post=post, kind=L.TARGET_GATE, target=target,
                               store=store, delay_steps=k, delay_frac=phi, ptr_offset=off,
                               n_post=proj.post.n, per_synapse=int(proj.per_synapse_delay),
                               delay_steps_min=k_min, scale=factor, group_offset=-1)
                    for f, v in row.items():
                        conns[f].append(v)
        self.connections = L.Connections(**{
            f: (_f64(v) if f in ("delay_frac", "scale") else _i64(v)) for f, v in conns.items()})
        self.nmda_projections = nmda_layout.projections()
        self.sources = nmda_layout.sources(dt)
        # Every CSR synapse is written once, into storage allocated once (an expression
        # rule's synapses are drawn straight into it); the projections keep views.
        indices = np.empty(n_syn, np.int32)
        weights = np.empty(n_syn, np.float32)
        syn_delay = np.zeros(n_syn, np.float32)
        for syn, start, per_synapse, _ in csr:
            part = slice(start, start + syn.n_synapses)
            syn.write_into(indices[part], weights[part], syn_delay[part] if per_synapse else
                           None, dt)
        groups = self._delay_groups(csr, syn_delay)
        self.storage = L.Storage(
            indptr=np.concatenate(indptr).astype(np.int64, copy=False),
            indices=indices, weights=weights, syn_delay=syn_delay,
            dense=np.concatenate(dense).astype(np.float32) if dense else
            np.zeros(0, np.float32),
            kernel=_f64(np.concatenate(kernel)) if kernel else np.zeros(0),
            kernel_hat=np.ascontiguousarray(np.concatenate(kernel_hat)) if kernel_hat else
            np.zeros(0, np.complex128), delay_groups=groups)

    def _delay_groups(self, csr, syn_delay):
        """The delay-group tables (``Storage.delay_groups``) of the per-synapse-delay
        connections whose delays are whole steps, where a table costs at most one entry
        per synapse (and its positions fit 32 bits); sets their ``group_offset``."""
        conns = self.connections
        tables, size = [], 0
        for syn, start, per_synapse, off in csr:
            n_rows = syn.indptr.shape[0] - 1
            mine = np.flatnonzero((conns.store == L.STORE_CSR) & (conns.ptr_offset == off)
                                  & (conns.per_synapse != 0))
            if not per_synapse or mine.size == 0:
                continue
            k_min, k_max = conns.delay_steps_min[mine[0]], conns.delay_steps[mine[0]]
            n_groups = int(k_max - k_min + 2)
            if n_rows * n_groups > syn.n_synapses or syn.n_synapses >= 2 ** 32:
                continue
            table = np.empty(n_rows * n_groups, np.uint32)
            if not delay_groups(syn.indptr, syn_delay[start:start + syn.n_synapses], k_min,
                                n_groups, table):
                continue
            conns.group_offset[mine] = size
            tables.append(table)
            size += table.size
        return np.concatenate(tables) if tables else np.zeros(0, np.uint32)

    def scale_weights(self, k_proj, factor):
        """Multiply the stored weights of projection k_proj by factor, in place."""
        st = self.storage
        for store, off, hat, n_pre in self.placements[k_proj]:
            if store == L.STORE_CSR:
                st.weights[st.indptr[off]:st.indptr[off + n_pre]] *= np.float32(factor)
            elif store == L.STORE_DENSE:
                st.dense[off:off + self._dense_size[off]] *= np.float32(factor)
            elif store == L.STORE_UNIFORM:
                st.kernel[off] *= factor
            else:
                size = self._kernel_size[off]
                st.kernel[off:off + size] *= factor
                st.kernel_hat[hat:hat + size // 2 + 1] *= factor

    @staticmethod
    def _delays(proj, dt):
        """(min whole steps, max whole steps, fraction of a step) of a projection's delays.

        With a delay per synapse the fraction is 0: each synapse's delay in steps
        is stored (``delay_steps``), and its rows are sorted by it, so that
        delivery finds the synapses a spike reaches in a step by bisection.
        """
        if not proj.per_synapse_delay:
            k, phi = delay_in_steps(proj.delay, dt)
            return k, k, phi
        if proj.n_synapses == 0:
            return 1, 1, 0.0
        low, high = proj.synapses.delay_range
        return (int(np.floor(delay_steps(np.float32(low), dt))),
                int(np.floor(delay_steps(np.float32(high), dt))), 0.0)

    def add_clamp(self, q, clamp, t_now):
        """Add a current to population q; if it is on at t_now it starts at once."""
        if clamp.start <= t_now < clamp.stop:
            self.neurons.I_now[self.starts[q]:self.starts[q + 1]] += clamp.amplitudes(
                self.pops[q])
        self.clamps.append((q, clamp))
        amps = [c.amplitudes(self.pops[k]) for k, c in self.clamps]
        self.stimuli = L.Stimuli(
            pop=_i64([k for k, _ in self.clamps]),
            amp_offset=_i64(np.concatenate(([0], np.cumsum([a.size for a in amps])))[:-1]),
            start=_f64([c.start for _, c in self.clamps]),
            stop=_f64([c.stop for _, c in self.clamps]),
            amp=_f64(np.concatenate(amps)))

    def state_unit(self, pop, variable):
        """Unit of a state variable that ``state_slot`` resolves: ``"mV"``, ``"1"`` for a
        dimensionless gate, ``"uS"`` for a conductance, ``"nA"`` for a synaptic current."""
        if variable == "V":
            return "mV"
        if pop.layout_kind == L.KIND_CONDUCTANCE and variable in GATES:
            return "1"
        cell = custom_model(pop)
        if cell is not None and variable in cell.state_names()[1:]:
            return _ascii_unit(cell.state_units()[variable])
        receptor = self.channel_receptor.get((pop.name, variable[2:]))
        return "uS" if receptor is None else receptor.unit    # (None: NMDA's)

    def state_slot(self, pop, variable):
        """(probe kind, global index of neuron 0) of a state variable of a population."""
        q = self.pop_index[pop.name]
        if variable == "V":
            return L.PROBE_V, int(self.starts[q])
        if pop.layout_kind == L.KIND_CONDUCTANCE and variable in GATES:
            return L.PROBE_CELL_GATE, GATES.index(variable) * int(self.starts[-1]) + int(
                self.starts[q])
        cell = custom_model(pop)
        if cell is not None and variable in cell.state_names()[1:]:
            row = cell.state_names().index(variable) - 1
            return L.PROBE_CUSTOM, int(self.custom.x_offset[q]) + row * pop.n
        if variable.startswith("g_"):
            gate = variable[2:]
            c = self.channel_of.get((pop.name, gate))
            if c is not None:
                return L.PROBE_GATE, int(self.channels.offset[c])
            if self.nmda_post[q] is not None and self.nmda_post[q].name == gate:
                return L.PROBE_NMDA_U, int(self.starts[q])
        gates = [f"g_{name}" for (p, name) in self.channel_of if p == pop.name]
        if pop.layout_kind == L.KIND_CONDUCTANCE:
            gates = list(pop.uses) + gates
        if custom_model(pop) is not None:
            gates = custom_model(pop).state_names()[1:] + gates
        if self.nmda_post[q] is not None:
            gates.append(f"g_{self.nmda_post[q].name}")
        raise val.ParameterError(
            f"population {pop.name!r} has no state variable {variable!r}; it has "
            f"{', '.join(['V'] + gates)}")
