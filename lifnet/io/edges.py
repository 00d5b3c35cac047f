"""A SONATA edges file as lifnet's synapses, read in chunks.

The edges of a file become one projection per (edge type, presynaptic cell
group, postsynaptic cell group, sign of the weight), stored as CSR: int32
targets and float32 weights, plus float32 delays where the projection's
delays differ (8 or 12 bytes per edge). The file is read twice, a chunk of
``EDGE_CHUNK`` edges at a time: first to count each row's synapses, then to
put each synapse in its place, each pass one compiled loop over the chunk's
columns. So the edge list is never held whole in the file's own types
(int64 ids, float64 values: some 40 bytes per edge), nor in temporaries.
Where an edge population is one projection, the second pass waits for the
network's assembly (``CSR.pending``) and writes straight into the run's
storage, so that the synapses are never held twice; the file is read again
then, and refused if it changed.

Within a row the synapses keep the file's order. A pair may have several
edges (multapses); each stays a synapse of its own.
"""

import math
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ..connectivity import CSR
from ..kernel_cache import njit
from ..pair_kernels import sort_rows_by_delay, steps_of
from .circuit import SYNAPSE_MODELS, WEIGHT_FUNCTIONS, SonataError, _dynamics, _read_types, _text

EDGE_CHUNK = 1 << 19     # edges read at once: about 20 MB of columns


def _check_edge_type(row, synapses_dir, where):
    """Refuse an edge type lifnet cannot read (checked when its first edge is seen)."""
    template = _text(row.get("model_template")) or "static_synapse"
    if template.split(":")[-1] not in SYNAPSE_MODELS:
        raise SonataError(f"{where}: synapse model_template {template!r} is not "
                          f"supported; lifnet reads {', '.join(SYNAPSE_MODELS)}")
    function = _text(row.get("weight_function"))
    if function is not None and function not in WEIGHT_FUNCTIONS:
        raise SonataError(
            f"{where}: weight_function {function!r} is Python code lifnet cannot "
            f"read; it reads {', '.join(WEIGHT_FUNCTIONS)} (syn_weight x nsyns)")
    dynamics = _dynamics(_text(row.get("dynamics_params")), synapses_dir, where)
    unknown = set(dynamics) - {"delay", "weight", "receptor_type"}
    if unknown or dynamics.get("receptor_type", 0) != 0:
        raise SonataError(
            f"{where}: synapse dynamics_params {dynamics} are not supported; "
            "static_synapse takes delay (and weight, replaced by syn_weight x "
            "nsyns, as in BMTK)")


def _number(value):
    """A type table's value as a float (NaN: none)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return np.nan


class _Columns:
    """An edge population's columns, read by row ranges as the file stores them (the
    kernels take any integer and float types): ids and type, and syn_weight, nsyns and
    delay (an empty array where no edge has the column)."""

    def __init__(self, pop, like=None):
        """``like``: the _Columns of the same population read before (the file unchanged),
        whose layout of groups holds: the group datasets are not scanned again."""
        self.pop = pop
        self.n = pop["edge_type_id"].shape[0]
        self.group = self.per_edge = None
        self._buffers = {}
        if like is not None:
            self.per_edge, self.group_name = like.per_edge, like.group_name
            self.group = None if self.group_name is None else pop[self.group_name]
            return
        ids = pop["edge_group_id"] if "edge_group_id" in pop else None
        index = pop["edge_group_index"] if "edge_group_index" in pop else None
        first = int(ids[0]) if ids is not None and self.n else 0
        one_group = True
        for a in range(0, self.n, EDGE_CHUNK):
            b = min(self.n, a + EDGE_CHUNK)
            if not _in_row_order(a, first, self._read(ids, a, b), self._read(index, a, b)):
                one_group = False
                break
        if one_group:
            # The common case (BMTK, lifnet): one group in row order, read in slices.
            self.group = pop[str(first)] if str(first) in pop else None
            self.group_name = None if self.group is None else str(first)
            return
        self.group_name = None
        # Several groups: their values gathered into full columns first.
        ids, index = ids[()], index[()]
        self.per_edge = {name: np.full(self.n, np.nan) for name in
                         ("syn_weight", "nsyns", "delay")}
        for gid in np.unique(ids):
            if str(gid) not in pop:
                continue
            g = pop[str(gid)]
            rows = np.flatnonzero(ids == gid)
            for name, column in self.per_edge.items():
                if name in g:
                    column[rows] = g[name][()][index[rows]]

    def _read(self, dataset, a, b, which=0):
        """Rows a ... b - 1 of a dataset (None: an empty array) into buffer 0 or 1 of those
        kept for it."""
        if dataset is None:
            return np.zeros(0, np.int64)
        buffer = self._buffers.get((dataset.name, which))
        if buffer is None:
            buffer = np.empty(min(EDGE_CHUNK, self.n), dataset.dtype)
            self._buffers[dataset.name, which] = buffer
        if b > a:
            dataset.read_direct(buffer, np.s_[a:b], np.s_[0:b - a])
        return buffer[:b - a]

    def read(self, a, b, targets=True, buffer=0):
        """(source, target, edge type, syn_weight, nsyns, delay) of rows a ... b - 1 in
        buffer 0 or 1; no targets (an empty array) unless ``targets``."""
        pop = self.pop
        values = []
        for name in ("syn_weight", "nsyns", "delay"):
            if self.per_edge is not None:
                values.append(self.per_edge[name][a:b])
            elif self.group is not None and name in self.group:
                values.append(self._read(self.group[name], a, b, buffer))
            else:
                values.append(np.zeros(0))
        return (self._read(pop["source_node_id"], a, b, buffer),
                self._read(pop["target_node_id"] if targets else None, a, b, buffer),
                self._read(pop["edge_type_id"], a, b, buffer), *values)

    def chunks(self, targets=True):
        """The columns (``read``) of each EDGE_CHUNK rows in turn; the next chunk is read
        by a second thread while the caller works on this one (the kernels release the
        GIL), each in a buffer of its own."""
        bounds = [(a, min(self.n, a + EDGE_CHUNK)) for a in range(0, self.n, EDGE_CHUNK)]
        with ThreadPoolExecutor(1) as reader:
            ahead = reader.submit(self.read, *bounds[0], targets, 0) if bounds else None
            for k in range(len(bounds)):
                chunk = ahead.result()
                if k + 1 < len(bounds):
                    ahead = reader.submit(self.read, *bounds[k + 1], targets, (k + 1) % 2)
                yield chunk


@njit(cache=True)
def _in_row_order(a, group, ids, index):
    """Whether rows a, a + 1, ... are all in group ``group`` at their own row (ids and
    index may be empty: absent)."""
    for k in range(ids.shape[0]):
        if ids[k] != group:
            return False
    for k in range(index.shape[0]):
        if index[k] != a + k:
            return False
    return True


# What a pass over a chunk stopped at (with the edge's index): the end, an edge of a
# projection not seen yet, or an edge lifnet cannot take.
DONE, NEW_PROJECTION, UNKNOWN_TYPE, NO_WEIGHT, NO_DELAY, BAD_SOURCE, BAD_TARGET = range(7)


@njit(cache=True, inline="always")
def _edge(k, columns, types, nodes, n_a, n_b):
    """(status, key, row, col, weight, delay) of edge k: its projection's key (edge type
    position, pre group, post group, sign), its row and column in that projection, its
    weight (syn_weight x nsyns, NEST's unit) and delay (ms)."""
    src, trg, type_id, syn_weight, nsyns, delay = columns
    type_ids, type_weight, type_nsyns, type_delay = types
    pre_of, pre_index, post_of, post_index = nodes
    this_type = np.int64(type_id[k])
    lo, hi = 0, type_ids.shape[0]        # binary search of the sorted type ids
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if type_ids[mid] <= this_type:
            lo = mid
        else:
            hi = mid
    t = lo
    if type_ids.shape[0] == 0 or type_ids[t] != this_type:
        return UNKNOWN_TYPE, 0, 0, 0, 0.0, 0.0
    w = np.float64(syn_weight[k]) if syn_weight.shape[0] else math.nan
    w = type_weight[t] if w != w else w
    m = np.float64(nsyns[k]) if nsyns.shape[0] else math.nan
    m = type_nsyns[t] if m != m else m
    d = np.float64(delay[k]) if delay.shape[0] else math.nan
    d = type_delay[t] if d != d else d
    if w != w:
        return NO_WEIGHT, 0, 0, 0, 0.0, 0.0
    if d != d:
        return NO_DELAY, 0, 0, 0, 0.0, 0.0
    i = np.int64(src[k])
    if i < 0 or i >= pre_of.shape[0]:
        return BAD_SOURCE, 0, 0, 0, 0.0, 0.0
    post, col = 0, 0           # (the first pass needs no targets where n_b is 1)
    if trg.shape[0]:
        j = np.int64(trg[k])
        if j < 0 or j >= post_of.shape[0]:
            return BAD_TARGET, 0, 0, 0, 0.0, 0.0
        post, col = post_of[j], post_index[j]
    w *= 1.0 if m != m else m
    key = ((t * n_a + pre_of[i]) * n_b + post) * 2 + (1 if w >= 0.0 else 0)
    return DONE, key, pre_index[i], col, w, d


@njit(cache=True, refcount=False, nogil=True)
def _count(start, columns, types, nodes, n_a, n_b, slot_of_key, row0, counts, ranges):
    """First pass over a chunk from edge ``start``: count each row's synapses and find each
    projection's delay and weight ranges (ranges[slot]: shortest, longest delay, least,
    largest weight). Returns (status, edge, key) where it stopped."""
    for k in range(start, columns[0].shape[0]):
        status, key, row, _, w, d = _edge(k, columns, types, nodes, n_a, n_b)
        if status != DONE:
            return status, k, key
        if w == 0.0:
            continue
        s = slot_of_key[key]
        if s < 0:
            return NEW_PROJECTION, k, key
        counts[row0[s] + row] += 1
        ranges[s, 0] = min(ranges[s, 0], d)
        ranges[s, 1] = max(ranges[s, 1], d)
        ranges[s, 2] = min(ranges[s, 2], w)
        ranges[s, 3] = max(ranges[s, 3], w)
    return DONE, columns[0].shape[0], 0


@njit(cache=True, refcount=False, nogil=True)
def _place(columns, types, nodes, n_a, n_b, slot_of_key, row0, divisor, delay_shift, fill,
           indices, weights, delays):
    """Second pass over a chunk: put each synapse at the next free place of its row
    (fill: the row's next place), its weight in lifnet's unit (/ divisor[slot]).
    Returns (status, edge) where it stopped."""
    for k in range(columns[0].shape[0]):
        status, key, row, col, w, d = _edge(k, columns, types, nodes, n_a, n_b)
        if status != DONE:      # (a target out of range: the first pass reads no targets)
            return status, k
        if w == 0.0:
            continue
        s = slot_of_key[key]
        at = row0[s] + row
        q = fill[at]
        fill[at] = q + 1
        indices[q] = col
        weights[q] = w / divisor[s]
        if delay_shift[s] >= 0:
            delays[q - delay_shift[s]] = d
    return DONE, columns[0].shape[0]


class _Projection:
    """One projection of the file: (edge type position, pre group, post group, sign)."""

    def __init__(self, key, slot, pre, post, sign, row0):
        self.key, self.slot, self.pre, self.post, self.sign = key, slot, pre, post, sign
        self.rows = slice(row0, row0 + len(pre.node_ids))   # its rows in the row counts
        self.first = self.n = 0          # its synapses in the file's synapse arrays


def read_edge_projections(edges_file, types_file, synapses_dir, nodes):
    """The projections of an edges file: [(pre CellGroup, post CellGroup, receptor, weights,
    delay, autapses)]: weights a CSR, or one number (lifnet's unit) where the edges
    connect every pair with one weight and one delay; delay a number (ms) where all
    of a projection's edges share it, else None (the CSR holds them).

    ``nodes`` maps a SONATA node population to (its CellGroups, each node's group,
    each node's index in its group). Weights are syn_weight x nsyns (BMTK's
    semantics), in lifnet's units by the target cells' receptor.
    """
    import h5py

    types = _read_types(types_file)
    type_ids = np.array(sorted(types), dtype=np.int64)
    rows = [types[t] for t in sorted(types)]
    out = []
    with h5py.File(edges_file, "r") as f:
        if "edges" not in f:
            raise SonataError(f"{edges_file}: no /edges group")
        # (a list: iterating items() holds h5py's lock, which the reading thread needs)
        for pop_name, pop in list(f["edges"].items()):
            where = f"{edges_file}: population {pop_name!r}"
            src_pop = _text(pop["source_node_id"].attrs.get("node_population"))
            trg_pop = _text(pop["target_node_id"].attrs.get("node_population"))
            for which, p in (("source", src_pop), ("target", trg_pop)):
                if p not in nodes:
                    raise SonataError(f"edges {pop_name!r}: {which} population {p!r} is not "
                                      "among the nodes")
            out += _population(pop, where, rows, type_ids, synapses_dir, nodes[src_pop],
                               nodes[trg_pop])
    return out


def _population(pop, where, types, type_ids, synapses_dir, pre, post):
    """read_edge_projections for one edge population (types: the type table's rows, by
    their sorted ids type_ids)."""
    pre_groups, pre_of, pre_index = pre
    post_groups, post_of, post_index = post
    n_a, n_b = len(pre_groups), len(post_groups)
    table = {name: np.array([_number(types[t].get(name)) for t in range(len(type_ids))])
             for name in ("syn_weight", "nsyns", "delay")}
    for t in np.flatnonzero(np.isnan(table["delay"])):
        # The type's delay may be in its dynamics_params (read again, and checked, when
        # an edge of the type is seen).
        try:
            dynamics = _dynamics(_text(types[t].get("dynamics_params")), synapses_dir, "")
        except SonataError:
            continue
        table["delay"][t] = _number(dynamics.get("delay"))
    type_arrays = (type_ids, table["syn_weight"], table["nsyns"], table["delay"])
    node_arrays = (pre_of, pre_index.astype(np.int64), post_of, post_index.astype(np.int64))
    columns = _Columns(pop)
    slot_of_key = np.full(len(type_ids) * n_a * n_b * 2, -1, np.int64)
    projections = []
    checked = set()
    counts = np.zeros(0, np.int64)
    ranges = np.zeros((0, 4))

    def refuse(status, columns, k):
        what = {UNKNOWN_TYPE: f"edge type {columns[2][k]} is not in the edge types file",
                NO_WEIGHT: f"edge type {columns[2][k]}: no syn_weight, neither per edge nor "
                           "in its edge type",
                NO_DELAY: f"edge type {columns[2][k]}: no delay, neither per edge nor in its "
                          "edge type",
                BAD_SOURCE: f"source node id {columns[0][k]} is not among the "
                            f"{pre_of.size} nodes of its population",
                BAD_TARGET: f"target node id {columns[1][k]} is not among the "
                            f"{post_of.size} nodes of its population"}[status]
        raise SonataError(f"{where}: {what}")

    # First pass: which projections there are, each row's synapses, the ranges.
    for chunk in columns.chunks(targets=n_b > 1):
        start = 0
        while True:
            row0 = np.array([p.rows.start for p in projections], np.int64)
            status, start, key = _count(start, chunk, type_arrays, node_arrays, n_a, n_b,
                                        slot_of_key, row0, counts, ranges)
            if status == DONE:
                break
            if status != NEW_PROJECTION:
                refuse(status, chunk, start)
            t, b = key // 2 // n_b // n_a, key // 2 % n_b
            pre_g = pre_groups[key // 2 // n_b % n_a]
            if t not in checked:
                _check_edge_type(types[t], synapses_dir, f"{where}, edge type {type_ids[t]}")
                checked.add(t)
            if post_groups[b].model == "virtual":
                raise SonataError(f"edges onto virtual population {post_groups[b].population!r}"
                                  ": virtual nodes take no synapses")
            proj = _Projection(key, len(projections), pre_g, post_groups[b],
                               1 if key % 2 else -1, counts.size)
            slot_of_key[key] = proj.slot
            projections.append(proj)
            counts = np.concatenate([counts, np.zeros(len(pre_g.node_ids), np.int64)])
            ranges = np.vstack([ranges, [np.inf, -np.inf, np.inf, -np.inf]])

    # Places: projections in key order (edge type, groups, sign), then by row; delays
    # stored only for the projections whose delays differ.
    in_order = sorted(projections, key=lambda p: p.key)
    row0 = np.array([p.rows.start for p in projections], np.int64)
    fill = np.empty(counts.size, np.int64)
    delay_shift = np.full(len(projections), -1, np.int64)
    divisor = np.ones(len(projections))
    total = n_delays = 0
    for proj in in_order:
        rows = counts[proj.rows]
        proj.first, proj.n = total, int(rows.sum())
        fill[proj.rows] = total + np.cumsum(rows) - rows
        if ranges[proj.slot, 0] != ranges[proj.slot, 1]:
            delay_shift[proj.slot] = total - n_delays
            n_delays += proj.n
        proj.receptor, divisor[proj.slot] = proj.post.receptor(proj.sign)
        total += proj.n

    def second_pass(columns, indices, weights, delays):
        """Each synapse in its row (indices, weights, delays: the file's synapse arrays)."""
        at = fill.copy()
        for chunk in columns.chunks():
            status, k = _place(chunk, type_arrays, node_arrays, n_a, n_b, slot_of_key, row0,
                               divisor, delay_shift, at, indices, weights, delays)
            if status != DONE:
                refuse(status, chunk, k)

    if len(in_order) == 1 and not _may_be_every_pair(in_order[0], ranges):
        # One projection: its synapses are placed when the network is assembled, straight
        # into the run's storage, so that they are never held twice.
        proj = in_order[0]
        varied = delay_shift[proj.slot] >= 0
        shortest, longest = ranges[proj.slot, :2]
        indptr = np.concatenate([[0], np.cumsum(counts[proj.rows])])
        csr = CSR.pending(indptr, len(proj.post.node_ids),
                          _Deferred(pop.file.filename, columns, second_pass, indptr, varied),
                          (float(shortest), float(longest)) if varied else None)
        return [(proj.pre, proj.post, proj.receptor, csr,
                 None if varied else float(shortest), True)]
    indices, weights = np.empty(total, np.int32), np.empty(total, np.float32)
    delays = np.empty(n_delays, np.float32)
    second_pass(columns, indices, weights, delays)

    result = []
    for proj in in_order:
        indptr = np.concatenate([[0], np.cumsum(counts[proj.rows])])
        shift = delay_shift[proj.slot]
        shortest, _, least, largest = ranges[proj.slot]
        csr = CSR(indptr, indices[proj.first:proj.first + proj.n],
                  weights[proj.first:proj.first + proj.n], len(proj.post.node_ids),
                  delays=None if shift < 0 else delays[proj.first - shift:
                                                        proj.first - shift + proj.n])
        if shift < 0 and least == largest:
            autapses = _every_pair(csr, proj.pre is proj.post)
            if autapses is not None:
                # Every pair, one weight, one delay (an all-to-all rule): one number.
                result.append((proj.pre, proj.post, proj.receptor,
                               float(least / divisor[proj.slot]), float(shortest), autapses))
                continue
        result.append((proj.pre, proj.post, proj.receptor, csr,
                       float(shortest) if shift < 0 else None, True))
    return result


class _Deferred:
    """The second pass of an edge population of one projection, run when the network's
    assembly asks for its synapses (``CSR.pending``): the file read again, refused if it
    changed since it was loaded."""

    def __init__(self, path, columns, second_pass, indptr, varied):
        self.path, self.columns, self.population = path, columns, columns.pop.name
        self.second_pass, self.indptr, self.varied = second_pass, indptr, varied
        self.stamp = _stamp_of(path)

    def __call__(self, indices, weights, delays, dt, last=False):
        import h5py

        if _stamp_of(self.path) != self.stamp:
            raise SonataError(f"{self.path} changed after it was loaded; its synapses are "
                              "read when the network is built: load the circuit again")
        own = delays if self.varied else np.zeros(0, np.float32)
        with h5py.File(self.path, "r") as f:
            self.second_pass(_Columns(f[self.population], like=self.columns), indices,
                             weights, own)
        if self.varied:
            sort_rows_by_delay(self.indptr, indices, weights, delays)
            if dt is not None:
                steps_of(delays, dt, delays)


def _stamp_of(path):
    status = os.stat(path)
    return status.st_size, status.st_mtime_ns


def _may_be_every_pair(proj, ranges):
    """Whether a projection's counts allow it to connect every pair with one weight and
    one delay (then it is read at once, to see whether it does: see _every_pair)."""
    shortest, longest, least, largest = ranges[proj.slot]
    n_pre, n_post = len(proj.pre.node_ids), len(proj.post.node_ids)
    return shortest == longest and least == largest and proj.n in (
        n_pre * n_post, n_pre * (n_pre - 1))

def _every_pair(csr, same_cells):
    """Whether the CSR connects every pair once: None if not, else whether it connects a
    cell to itself (False where pre is post and only the diagonal is missing)."""
    n_pre, n_post, n = csr.indptr.size - 1, csr.n_post, csr.n_synapses
    autapses = n == n_pre * n_post
    if not (autapses or (same_cells and n == n_pre * (n_pre - 1))):
        return None
    rows = np.repeat(np.arange(n_pre, dtype=np.int64), np.diff(csr.indptr))
    seen = np.bincount(rows * n_post + csr.indices, minlength=n_pre * n_post)
    if not autapses:
        seen[np.arange(n_pre) * (n_post + 1)] += 1     # the diagonal, as if there
    return autapses if (seen == 1).all() else None
