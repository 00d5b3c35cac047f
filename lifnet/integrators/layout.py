"""The flat arrays a compiled run works on, grouped by what they describe.

Every field of every group is declared in its class as one of STATE (what a run
changes and a checkpoint saves), STRUCTURE (what defines the network: a
checkpoint's fingerprint), DERIVED (computed from the structure and dt) or
SCRATCH (values that do not outlive a step); ``tests/test_structure.py``
checks that none is left out, and ``io.checkpoint`` reads these declarations.

A network is flattened once, when it is first run: every LIF neuron gets a
global index, every synaptic gate a slot in one array, every projection a
block of CSR or dense storage. The compiled loop (``run_loop.advance``) then
advances all of it for many steps per call with no Python in between.
Each group is a ``NamedTuple`` of NumPy arrays, which numba passes by
reference, so the kernels update state in place.
"""

from typing import NamedTuple

import numpy as np

# Columns of Populations.params (float64) and Populations.ints (int64).
P_C, P_GL, P_EL, P_VTH, P_VRESET, P_TREF, P_SIGMA, P_NMDA_E, P_MG, P_MG_SLOPE = range(10)
N_PARAMS = 10
(I_START, I_STOP, I_CHAN_FIRST, I_CHAN_STOP, I_HAS_NMDA, I_NOISE_STREAM, I_MAX_SPIKES,
 I_RECORD, I_KIND) = range(9)
N_INTS = 9

# Population kinds (Populations.ints[:, I_KIND]).
KIND_LIF, KIND_POISSON, KIND_SPIKES, KIND_CONDUCTANCE, KIND_CUSTOM = 0, 1, 2, 3, 4

# The most spikes a cell may fire in one step (the spike ring's rows are sized by it),
# and the most Poisson events a virtual cell or a drive may expect in one step.
MAX_SPIKES_PER_STEP = 64
MAX_EVENTS_PER_STEP = 50.0


def max_spikes_per_step(dt, t_ref):
    """The most spikes a cell with refractory period t_ref (ms, >= 0) fires in a step of
    dt ms."""
    return MAX_SPIKES_PER_STEP if t_ref <= 0.0 else min(MAX_SPIKES_PER_STEP,
                                                        int(dt // t_ref) + 1)

# Channel kinds (Channels.kind): what a gate's two state arrays (g, r) hold.
CH_EXP = 0           # conductance g, exponential decay (r unused)
CH_EXP2 = 1          # conductance peak * (g - r): decay trace g, rise trace r
CH_ALPHA_CURRENT = 2  # current g (nA, alpha-shaped); r drives it (dg/dt = -g/tau + r/tau)
CH_EXP_CURRENT = 3   # current g (nA), exponential decay (r unused)
CH_DELTA = 4         # no state: an arrival moves V by its weight (mV)
# NMDA is a receptor kind a population may take (``receptor_kinds``) but not a channel:
# its gates are per presynaptic cell (NMDASources), its conductance per cell (Neurons).
RECEPTOR_NMDA = 5

# Conductance-cell models (ConductanceCells.model) and their parameter columns.
MODEL_RTM, MODEL_WB, MODEL_HH_NEST, MODEL_TRAUB, MODEL_IZHIKEVICH = 0, 1, 2, 3, 4
(H_C, H_GL, H_EL, H_GNA, H_ENA, H_GK, H_EK, H_GK2, H_VSPIKE, H_PHI, H_VT,
 H_METHOD, H_B, H_RESET, H_U_JUMP, H_VDETECT) = range(16)
N_HH_PARAMS = 16
# Izhikevich cells: H_GNA k, H_ENA v_t, H_EK v_r, H_PHI a, H_VT v_r, H_B b,
# H_VSPIKE v_peak, H_RESET c (V after a spike; NaN: no reset), H_U_JUMP d, H_VDETECT
# the potential whose upward crossing is the spike, where below v_peak (else NaN).
N_GATES = 4  # m, h, n, p
METHOD_AUTO, METHOD_EXPONENTIAL, METHOD_HEUN = 0, 1, 2  # column H_METHOD
# The mailbox of a run's second thread (run_loop.serve): int64 slots M_*
# (sequence numbers, switches, indices) and float64 slots F_* (the step's numbers).
M_SEQ, M_DONE, M_ON, M_START, M_LO, M_HI, M_OFF_A, M_OFF_B, M_CFIRST, M_SWITCH, M_FEW, \
    M_INTERP, M_MAX_SPIKES, M_DIVERGED, M_USE, M_CYCLES_WITH, M_CYCLES_WITHOUT, \
    M_READY, M_TASK, M_STEP, M_FULL = range(21)
F_DA, F_DB, F_JA, F_JB, F_EA, F_EB, F_GL, F_GLEL, F_INVC, F_DT, F_VTH, F_T, F_RA, F_RB, \
    F_VRESET, F_TREF = range(16)
MAILBOX_SLOTS = 21
# What the second thread is asked to do (M_TASK): its half of a population step, or
# the delivery of the step's arrivals to the halves it will step.
TASK_HALF, TASK_DELIVER, TASK_CUSTOM_HALF = 0, 1, 2
# Who delivers the arrivals of a population the two threads share (HelperBuffers.deliverer).
DELIVER_HALVES, DELIVER_MAIN, DELIVER_HELPER = 0, 1, 2
# Populations this large or larger are split between the two threads.
PARALLEL_MIN = 512
# Every PROBE_PERIOD steps, PROBE_STEPS steps with the second thread and as many
# without are timed, alternating in blocks of PROBE_BLOCK steps, and the faster way
# is kept until the next probe (run_loop).
PROBE_PERIOD, PROBE_STEPS, PROBE_BLOCK = 1000, 50, 10

# Slots of the conductance-cell step's memo of arrival effects, by (time, channel).
MEMO_SLOTS = 64
# Rate tables of conductance cells: every TABLE_DV mV from TABLE_V0 (to +100 mV).
TABLE_V0, TABLE_DV, TABLE_POINTS = -150.0, 0.01, 25001

# Target kinds and storage kinds of a delivery connection.
TARGET_GATE, TARGET_NMDA_SOURCE = 0, 1
STORE_CSR, STORE_DENSE, STORE_IDENTITY, STORE_UNIFORM, STORE_CIRCULANT = 0, 1, 2, 3, 4

# What a probe reads.
PROBE_V, PROBE_GATE, PROBE_NMDA_U, PROBE_CELL_GATE, PROBE_CUSTOM = 0, 1, 2, 3, 4

# Status codes returned by a compiled run.
STATUS_DONE, STATUS_SPIKES_FULL, STATUS_DIVERGED, STATUS_ARRIVALS_FULL = 0, 1, 2, 3


class Populations(NamedTuple):
    params: np.ndarray      # (n_pops, N_PARAMS) float64
    ints: np.ndarray        # (n_pops, N_INTS) int64
    switching: np.ndarray   # (n_pops,) int64 scratch: a current switches this step
    margin: np.ndarray      # (n_pops,) mV, populations of summed channels: how far below
    #                         threshold a cell's arrivals are listed before its sums say
    #                         whether it needs them (current_lif_step.premark_cells)
    STATE = ()
    STRUCTURE = ("params", "ints")
    DERIVED = ()
    SCRATCH = ("switching", "margin")


class Neurons(NamedTuple):
    V: np.ndarray           # mV
    ref_until: np.ndarray   # ms, end of the refractory period (absolute time)
    I_now: np.ndarray       # nA, injected current at the start of the step
    dI: np.ndarray          # nA, change of injected current during this step (scratch)
    I_corr: np.ndarray      # nA, exact step-mean current minus the trapezoid (scratch)
    nmda_u: np.ndarray      # (2, N) µS, summed NMDA conductance at t and t+dt (by step parity)
    STATE = ("V", "ref_until", "I_now", "dI", "I_corr", "nmda_u")
    STRUCTURE = ()
    DERIVED = ()
    SCRATCH = ()


class Channels(NamedTuple):
    offset: np.ndarray      # int64, first gate slot of the channel
    pop: np.ndarray         # int64, population the channel belongs to
    decay: np.ndarray       # exp(-dt/tau)
    tau: np.ndarray         # ms
    rate: np.ndarray        # 1/ms, 1 / tau
    E: np.ndarray           # mV, reversal potential
    g: np.ndarray           # µS, the gates (all channels, flat)
    kind: np.ndarray        # int64, CH_* (LIF populations take CH_EXP only)
    tau_rise: np.ndarray    # ms (CH_EXP2), 0 elsewhere
    peak: np.ndarray        # CH_EXP2: 1 / peak of exp(-t/tau) - exp(-t/tau_rise);
    #                         CH_ALPHA_CURRENT: e; CH_EXP: 1
    r: np.ndarray           # second state of CH_EXP2 / CH_ALPHA_CURRENT gates, flat like g;
    #                         summed channels: the jump of the current at the step's end
    summed: np.ndarray      # int64, 1: the channel's arrivals onto linear cells are summed
    #                         in delivery (linear_gates.summed_arrival)
    cell_rate: np.ndarray   # 1/ms, 1 / tau_m of the channel's cells (summed channels)
    cell_inv_C: np.ndarray  # 1/nF, 1 / C of the channel's cells (summed channels)
    v_in: np.ndarray        # mV, per neuron: the step's summed arrivals' change of V at its end
    v_up: np.ndarray        # mV, per neuron: their bound of the rise of V inside the step
    listed: np.ndarray      # uint8, per neuron of summed channels: 0 if its step is the
    #                         quick one, else delivery lists its arrivals: 1 at once, 2 by a
    #                         second pass (current_lif_step.premark_cells, check_cells)
    v_free: np.ndarray      # mV, per neuron: V at the step's end without the step's arrivals
    v_top: np.ndarray       # mV, per neuron: a bound of V inside the step without them
    #                         (inf where the quick step does not apply)
    coef: np.ndarray        # (2, n_channels): each thread's factors of its population's
    #                         currents in the step's V (current_lif_step.premark_cells)
    STATE = ("g", "r")
    STRUCTURE = ("offset", "pop", "tau", "E", "kind", "tau_rise", "peak")
    DERIVED = ("decay", "rate", "summed", "cell_rate", "cell_inv_C")
    SCRATCH = ("v_in", "v_up", "listed", "v_free", "v_top", "coef")


class Stimuli(NamedTuple):
    pop: np.ndarray         # int64
    amp_offset: np.ndarray  # int64, into amp
    start: np.ndarray       # ms
    stop: np.ndarray        # ms
    amp: np.ndarray         # nA, per neuron, flat
    STATE = ("pop", "amp_offset", "start", "stop", "amp")
    STRUCTURE = ()
    DERIVED = ()
    SCRATCH = ()


class Drives(NamedTuple):
    channel: np.ndarray     # int64, gate channel the events enter
    lam_offset: np.ndarray  # int64, into lam and p_none
    lam: np.ndarray         # expected events in a whole step, per neuron, flat
    p_none: np.ndarray      # exp(-lam): probability of no event in a whole step, flat
    start: np.ndarray       # ms, the drive is on during [start, stop)
    stop: np.ndarray        # ms
    weight: np.ndarray      # µS per event
    stream: np.ndarray      # int64, random stream id
    STATE = ()
    STRUCTURE = ("channel", "lam_offset", "lam", "start", "stop", "weight", "stream")
    DERIVED = ("p_none",)
    SCRATCH = ()


class NMDASources(NamedTuple):
    pop: np.ndarray         # int64, presynaptic population
    offset: np.ndarray      # int64, into x and s
    decay_x: np.ndarray     # exp(-dt/tau_x)
    tau_x: np.ndarray       # ms
    tau: np.ndarray         # ms
    alpha: np.ndarray       # 1/ms
    x: np.ndarray           # rise variable, flat
    s: np.ndarray           # gating variable in [0, 1), flat
    pending: np.ndarray     # time of the step's first arrival (ms), -inf if none, flat
    STATE = ("x", "s", "pending")
    STRUCTURE = ("pop", "offset", "tau_x", "tau", "alpha")
    DERIVED = ("decay_x",)
    SCRATCH = ()


class VirtualSources(NamedTuple):
    """Rate windows of the virtual Poisson populations."""
    pop: np.ndarray         # int64, population of each window
    start: np.ndarray       # ms
    stop: np.ndarray        # ms
    lam_offset: np.ndarray  # int64, into lam and p_none
    lam: np.ndarray         # expected spikes in a whole step, per cell, flat
    p_none: np.ndarray      # exp(-lam)
    stream: np.ndarray      # int64, random stream of the window
    STATE = ()
    STRUCTURE = ("pop", "start", "stop", "lam_offset", "lam", "stream")
    DERIVED = ("p_none",)
    SCRATCH = ()


class SpikeLists(NamedTuple):
    """Given spikes of the SpikeSourcePop populations, sorted by time."""
    pop: np.ndarray         # int64, population of each list
    first: np.ndarray       # int64, into times and ids
    stop: np.ndarray        # int64
    times: np.ndarray       # float64, ms
    ids: np.ndarray         # int64, cell within the population
    cursor: np.ndarray      # int64 per list: the next spike to emit (state)
    STATE = ("cursor",)
    STRUCTURE = ("pop", "first", "stop", "times", "ids")
    DERIVED = ()
    SCRATCH = ()


class Connections(NamedTuple):
    pre: np.ndarray         # int64, presynaptic population
    post: np.ndarray        # int64, postsynaptic population
    kind: np.ndarray        # int64, TARGET_*
    target: np.ndarray      # int64, channel (gates) or NMDA source
    store: np.ndarray       # int64, STORE_*
    delay_steps: np.ndarray  # int64, whole steps of the delay
    delay_frac: np.ndarray   # float64, the rest, in steps, in [0, 1)
    ptr_offset: np.ndarray  # int64, into indptr (CSR), dense (row-major pre x post) or kernel
    n_post: np.ndarray      # int64
    per_synapse: np.ndarray  # int64, 1: CSR whose synapses carry their own delay (syn_delay)
    delay_steps_min: np.ndarray  # int64, whole steps of the shortest delay (= delay_steps
    #                              unless per_synapse; then delay_steps is the longest)
    scale: np.ndarray       # float64, multiplies the stored weights (-f for the rise gate of
    #                         a double-exponential synapse on a LIF population; 1 elsewhere)
    group_offset: np.ndarray  # int64, into Storage.delay_groups: the table of a per_synapse
    #                           connection whose delays are whole steps; -1 for none
    STATE = ()
    STRUCTURE = ("pre", "post", "kind", "target", "store", "delay_steps", "delay_frac",
                      "ptr_offset", "n_post", "per_synapse", "delay_steps_min", "scale")
    DERIVED = ("group_offset",)
    SCRATCH = ()


class NMDAProjections(NamedTuple):
    source: np.ndarray      # int64
    post: np.ndarray        # int64, population
    store: np.ndarray       # int64, STORE_*
    ptr_offset: np.ndarray  # int64
    hat_offset: np.ndarray  # int64, into kernel_hat (STORE_CIRCULANT)
    n_post: np.ndarray      # int64
    STATE = ()
    STRUCTURE = ("source", "post", "store", "ptr_offset", "n_post")
    DERIVED = ("hat_offset",)
    SCRATCH = ()


class Storage(NamedTuple):
    indptr: np.ndarray      # int64, absolute positions into indices/weights
    indices: np.ndarray     # int32, postsynaptic neuron, local to its population
    weights: np.ndarray     # float32, µS
    syn_delay: np.ndarray   # float32, per CSR synapse of a per_synapse connection: its delay
    #                         in steps (rows sorted by it); 0 elsewhere. Relative precision
    #                         6e-8: under 1e-6 ms for delays up to 15 ms
    dense: np.ndarray       # float32, µS, row-major blocks
    kernel: np.ndarray      # float64: circulant kernels (µS, W[j, i] = kernel[(i - j) mod n]);
    #                         uniform blocks (weight µS, then 1.0 if i -> i is skipped)
    kernel_hat: np.ndarray  # complex128, rfft of each circulant kernel (NMDA's W s by FFT)
    delay_groups: np.ndarray  # uint32: for a connection with group_offset g >= 0 whose
    #                           delays span k_min ... k_max steps, n = k_max - k_min + 2
    #                           entries per row r: at g + r n + j, where the row's synapses
    #                           of delay k_min + j start, from the connection's first
    #                           synapse (pair_kernels.delay_groups)
    STATE = ()
    STRUCTURE = ("indptr", "indices", "weights", "syn_delay", "dense", "kernel")
    DERIVED = ("kernel_hat", "delay_groups")
    SCRATCH = ()


class SpikeRing(NamedTuple):
    ids: np.ndarray         # (slots, capacity) int32, global neuron index
    theta: np.ndarray       # (slots, capacity) float64, emission time within its step, in steps
    pop_stop: np.ndarray    # (slots, n_pops) int64, end of each population's spikes in the slot
    STATE = ("ids", "theta", "pop_stop")
    STRUCTURE = ()
    DERIVED = ()
    SCRATCH = ()


class Arrivals(NamedTuple):
    """This step's arrivals on linear gates, as a linked list per neuron."""
    head: np.ndarray        # (N,) int64, first arrival of each neuron, -1 if none
    next: np.ndarray        # int64, next arrival of the same neuron, -1 at the end
    time: np.ndarray        # float64, ms
    channel: np.ndarray     # int64
    weight: np.ndarray      # float64, µS
    count: np.ndarray       # (1,) int64
    STATE = ()
    STRUCTURE = ()
    DERIVED = ()
    SCRATCH = ("head", "next", "time", "channel", "weight", "count")


class SharedArrivals(NamedTuple):
    """This step's arrivals through all-to-all (Uniform) projections onto linear gates.

    Such an arrival reaches every neuron of the postsynaptic population at
    the same time with the same weight, so it is listed once, not per neuron.
    A neuron taking the quick step receives it as the exact jump of its gate
    at the end of the step plus a correction of V for the jump's time inside
    the step (``jump`` and ``corr_*``, per channel; see ``lif_rk2``); a neuron
    taking the careful path gets it in its own list and the step is cut there.
    For an arrival of weight w at t_a, L = t + dt - t_a, e = exp(-L / tau) and
    phi(s) = exp(-(s - t_a) / tau) on [t_a, t + dt]:
    """
    pop: np.ndarray         # int64, postsynaptic population
    time: np.ndarray        # float64, ms
    channel: np.ndarray     # int64
    weight: np.ndarray      # float64, µS
    count: np.ndarray       # (1,) int64
    jump: np.ndarray        # (n_channels,) µS: sum of w e
    corr_p: np.ndarray      # µS: sum of w (int phi ds - dt e / 2) / dt
    corr_q: np.ndarray      # µS ms: sum of w int phi(s) (t + dt - s) ds / dt
    corr_r: np.ndarray      # µS ms: sum of w (int phi(s) (s - t) ds - dt^2 e / 2) / dt
    STATE = ()
    STRUCTURE = ()
    DERIVED = ()
    SCRATCH = ("pop", "time", "channel", "weight", "count", "jump", "corr_p", "corr_q", "corr_r")


N_LANES = 10


class StepScratch(NamedTuple):
    """Per-neuron work arrays of one population step (length: the largest population)."""
    G0: np.ndarray          # µS, g_L + sum of gates at t
    H0: np.ndarray          # nA, g_L E_L + sum g E + I at t
    G1: np.ndarray          # µS, at t + dt (gates decayed, no arrivals)
    H1: np.ndarray          # nA
    V_next: np.ndarray      # mV, the quick step's V at t + dt
    keep: np.ndarray        # 1.0: the quick step stands; 0.0: the neuron takes the careful path
    flagged: np.ndarray     # int64, local indices of the neurons with keep 0.0
    lanes: np.ndarray       # (N_LANES, n): lif_rk2._few_arrivals' gathered neurons
    STATE = ()
    STRUCTURE = ()
    DERIVED = ()
    SCRATCH = ("G0", "H0", "G1", "H1", "V_next", "keep", "flagged", "lanes")


class HelperBuffers(NamedTuple):
    """What the two threads of a run share besides the mailbox (second_thread)."""
    ids: np.ndarray         # int32, global neuron index of the second thread's spikes
    theta: np.ndarray       # float64, their emission time within the step, in steps
    times: np.ndarray       # float64, ms
    count: np.ndarray       # int64 (1,), how many
    can_split: np.ndarray   # int64 (n_pops,), 1: population may be split (second_thread)
    split_mid: np.ndarray   # int64 (n_pops,), first neuron of the second thread's half
                            # this step (the population's stop if not split)
    deliverer: np.ndarray   # int64 (n_pops,), who delivers a split population's arrivals:
                            # DELIVER_HALVES (each thread its half), DELIVER_MAIN or
                            # DELIVER_HELPER (one thread all of them; second_thread)
    deliver_mid: np.ndarray  # int64 (n_pops,), first neuron whose arrivals the second
                             # thread delivers this step (split_mid, start or stop)
    STATE = ()
    STRUCTURE = ()
    DERIVED = ()
    SCRATCH = ("ids", "theta", "times", "count", "can_split", "split_mid", "deliverer",
               "deliver_mid")


class SpikeOutput(NamedTuple):
    ids: np.ndarray         # int32, global neuron index
    times: np.ndarray       # float64, ms
    count: np.ndarray       # (1,) int64
    STATE = ()
    STRUCTURE = ()
    DERIVED = ()
    SCRATCH = ("ids", "times", "count")


class Probes(NamedTuple):
    kind: np.ndarray        # int64, PROBE_*
    index: np.ndarray       # int64, into the array the kind reads
    monitor_interval: np.ndarray  # int64 steps, per monitor
    monitor_first: np.ndarray     # int64, first probe of each monitor
    monitor_stop: np.ndarray      # int64
    out_offset: np.ndarray        # int64, start of each monitor's block in out
    out_rows: np.ndarray          # int64, rows written so far in this call, per monitor
    out: np.ndarray               # float64, flat


class AutoStages(NamedTuple):
    """Which specialisations of conductance_step._auto_stages a network needs: each
    field None (never compiled) or an empty array, by (model, gate m takes both
    steps)."""
    rtm: object
    wb: object
    traub: object
    traub_both: object
    hh: object
    hh_both: object


class ConductanceCells(NamedTuple):
    """State, parameters, gap junctions and scratch of the conductance-cell populations."""
    model: np.ndarray       # (n_pops,) int64, MODEL_* (-1: not a conductance population)
    params: np.ndarray      # (n_pops, N_HH_PARAMS) float64, columns H_*
    x: np.ndarray           # (N_GATES, N) gating variables m, h, n, p (unused rows stay 0)
    tables: np.ndarray      # (n_tables, TABLE_POINTS, 24): rates a_m, b_m, ... b_p (1/ms)
    #                         and exp(-(a + b) dt) of each gate, each with its step to the
    #                         next row (columns: conductance_step.TABLE_COLUMN)
    table_of: np.ndarray    # (n_pops,) int64, the population's table (0 if none)
    m_both_steps: np.ndarray  # (n_pops,) int64: 1 where gate m takes both its steps and
    #                           keeps one (conductance_step.m_near_switch)
    gap_indptr: np.ndarray  # (N + 1,) int64: neuron i's gap junctions, by global index
    gap_indices: np.ndarray  # int32, global index of the partner
    gap_g: np.ndarray       # float64, µS
    gap_total: np.ndarray   # (N,) µS, sum of neuron i's gap conductances
    Gs0: np.ndarray         # (N,) scratch: µS, synaptic conductance at t
    Hs0: np.ndarray         # (N,) scratch: nA, synaptic and injected drive at t
    gap0: np.ndarray        # (N,) scratch: nA, sum_j g_ij V_j at t
    n_sub: np.ndarray       # (N,) int64 scratch: substeps the cell took this step
    t_cross: np.ndarray     # (N,) scratch: ms, spike time found in a substep (NaN: none)
    G0: np.ndarray          # (N,) scratch: µS, total membrane conductance at t
    H0: np.ndarray          # (N,) scratch: nA, the matching driving term (C dV/dt = H - G V)
    Gs1: np.ndarray         # (N,) scratch: µS, synaptic conductance at t + dt
    Hs1: np.ndarray         # (N,) scratch: nA, synaptic and injected drive at t + dt
    a0: np.ndarray          # (N_GATES, N) scratch: opening rate of each gate at t, 1/ms
    s0: np.ndarray          # (N_GATES, N) scratch: opening + closing rate at t, 1/ms
    V_star: np.ndarray      # (N,) scratch: mV, the predictor
    x_star: np.ndarray      # (N_GATES, N) scratch
    V_old: np.ndarray       # (N,) scratch: mV, V at t
    u_old: np.ndarray       # (N,) scratch: gate m (an Izhikevich cell's u) at t
    corr: np.ndarray        # (N,) scratch: mV, what the stages miss of the synaptic drive
    moments: np.ndarray     # (N,) scratch: µS ms^2, first moments of the conductances missed
    gap_in: np.ndarray      # (N,) scratch: nA, sum_j g_ij V_j at the predictor
    stiff: np.ndarray       # (N,) int64 scratch: the population's stiff cells this step
    memo: np.ndarray        # (MEMO_SLOTS, 6) unit-weight effects of arrivals (see _arrival)
    # Spikes delivered straight to the cells this step (run_loop._deliver_to_cells), taken
    # and zeroed by the step:
    g_in: np.ndarray        # flat like Channels.g: jumps of the gates at t + dt
    r_in: np.ndarray        # flat like Channels.r: jumps of their second states
    corr_in: np.ndarray     # (N,) mV, what the stages miss of them (see corr)
    moment_in: np.ndarray   # (N,) µS ms^2, their first moments (see moments)
    delta_in: np.ndarray    # (2, N) their delta jumps (see delta)
    delta: np.ndarray       # (2, N) scratch: the step's delta jumps of V: sum w (mV) and
    #                         sum w L (mV ms), L the time from each to t + dt
    STATE = ("x",)
    STRUCTURE = ("model", "params", "gap_indptr", "gap_indices", "gap_g")
    DERIVED = ("tables", "table_of", "m_both_steps", "gap_total")
    SCRATCH = ("Gs0", "Hs0", "gap0", "n_sub", "t_cross", "G0", "H0", "Gs1", "Hs1", "a0", "s0",
                    "V_star", "x_star", "V_old", "u_old", "corr", "moments", "gap_in", "stiff",
                    "memo", "g_in", "r_in", "corr_in", "moment_in", "delta_in", "delta")


class CustomCells(NamedTuple):
    """State and parameters of the populations of user-defined cell models (lifnet.mechanism).

    A population's states other than V (its model's, then its currents') are rows of
    its block of x: state k of cell i at x_offset + (k - 1) n + i.
    """
    model: np.ndarray       # (n_pops,) int64, the population's model in the run loop (-1: none)
    x_offset: np.ndarray    # (n_pops,) int64, into x
    par_offset: np.ndarray  # (n_pops,) int64, into params
    n_params: np.ndarray    # (n_pops,) int64
    x: np.ndarray           # float64, flat
    params: np.ndarray      # float64, flat: the model's parameters, then each current's
    work: np.ndarray        # (custom_step_template.WORK_ROWS, most states) float64 scratch
    decay: np.ndarray       # (4 * most gates of a population,) float64 scratch: their
                            # decays over the step (first half) and a substep
    STATE = ("x",)
    STRUCTURE = ("model", "x_offset", "par_offset", "params")
    DERIVED = ("n_params",)
    SCRATCH = ("work", "decay")


class Status(NamedTuple):
    code: np.ndarray        # (1,) int64, STATUS_*
    neuron: np.ndarray      # (1,) int64, global index of a diverged neuron
    time: np.ndarray        # (1,) float64, ms
    STATE = ()
    STRUCTURE = ()
    DERIVED = ()
    SCRATCH = ("code", "neuron", "time")


# The groups of an assembled network, by their attribute on the Assembly.
GROUPS = {"populations": Populations, "neurons": Neurons, "channels": Channels,
          "stimuli": Stimuli, "drives": Drives, "sources": NMDASources, "virtual": VirtualSources,
          "spike_lists": SpikeLists, "connections": Connections,
          "nmda_projections": NMDAProjections, "storage": Storage, "ring": SpikeRing,
          "arrivals": Arrivals, "shared": SharedArrivals, "scratch": StepScratch,
          "helper": HelperBuffers, "output": SpikeOutput, "cells": ConductanceCells,
          "custom": CustomCells, "status": Status}
