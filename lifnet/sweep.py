"""Parameter sweeps: many runs of one model over a grid, on local processes or a Dask cluster.

    table = ln.sweep("examples/netpyne_tut2_lif.yaml", grid={"connections.0.weight": [0.01, 0.02]},
                     seeds=[0, 1], duration=500.0, out="sweep-out", workers=2)

A model is a built-in model's name (``"compte2000"``: parameters are its
keywords), a model function defined at module level, or a model file / spec
dict (parameters are key paths such as ``populations.E.n``; the seed is
``network.seed``). Each run becomes a row: its parameters, seed, status
(``ok`` or ``failed`` with the error), metrics, wall time and lifnet version.

Rows go to ``<out>/runs.sqlite`` the moment a run finishes, each in its own
transaction (and, with ``save_spikes``, the run's spikes to a SONATA file):
SQLite is in the standard library, a crashed writer leaves no half row,
and a later sweep reads the finished keys to skip them (NetPyNE's ``skip``),
so an interrupted sweep loses at most the runs in flight.

Executors: local processes (default; each worker runs numba on one thread,
and the kernels compile once per worker from the on-disk cache), or
``dask.distributed`` when ``scheduler`` is an address or a Client, so the
same sweep runs on a cluster with no other change.

Faults: a run that fails is a row with its error; a worker process that dies
(killed, or crashed by a library) fails its own run only, the others go on
in new processes. Workers end within a second when the sweep's process
dies, however it dies. One sweep writes to a folder at a time (a lock); a
store that is not a sweep's, or that cannot be written, is an error that
says so before any run.
"""

import contextlib
import hashlib
import inspect
import itertools
import json
import os
import sqlite3
import threading
import time
import traceback

import numpy as np

from . import __version__, models, spec
from . import validation as val
from .analysis import decode_bump
from .io import write_spikes
from .populations import is_ring

BUILT_IN = "builtin:"


def _points(grid, values, random, n_random, random_seed):
    points = []
    if grid:
        names = list(grid)
        for combo in itertools.product(*(list(grid[n]) for n in names)):
            points.append(dict(zip(names, combo, strict=True)))
    for point in values or []:
        points.append(dict(point))
    if random:
        rng = np.random.default_rng(random_seed)
        for _ in range(n_random):
            points.append({name: float(rng.uniform(lo, hi)) for name, (lo, hi) in random.items()})
    if not points:
        points.append({})
    return points


def _check_parameters(model, points):
    """Refuse, before any run, a parameter the model does not have."""
    first = {}
    for point in points:
        for name, value in point.items():
            first.setdefault(name, value)
    if isinstance(model, dict) or (isinstance(model, str) and model.endswith(
            (".yaml", ".yml", ".json"))):
        data = spec.load(model)     # (a path the file's sections refuse fails each run)
        for path, value in first.items():
            spec.override(data, f"{path}={json.dumps(value)}")
        return
    if isinstance(model, str) and model not in models.MODELS:
        raise val.ParameterError(f"sweep: model={model!r} is neither a model file (.yaml, "
                                 f".yml, .json) nor a built-in model ({', '.join(models.MODELS)})")
    build = model if callable(model) else models.MODELS[model]
    parameters = inspect.signature(build).parameters
    if any(p.kind is p.VAR_KEYWORD for p in parameters.values()):
        return
    unknown = [name for name in first if name not in parameters or name == "seed"]
    if unknown:
        known = [name for name in parameters if name != "seed"]
        raise val.ParameterError(f"sweep: {', '.join(map(repr, unknown))} is not a parameter "
                                 f"of {getattr(build, '__name__', build)}; its parameters: "
                                 f"{', '.join(known)}")


def _model_id(model):
    if isinstance(model, dict):
        return "spec:" + hashlib.sha256(json.dumps(model, sort_keys=True).encode()).hexdigest()
    if callable(model):
        return f"function:{model.__module__}.{model.__qualname__}"
    if not str(model).endswith((".yaml", ".yml", ".json")):
        return f"{BUILT_IN}{model}"
    # A model file by its content: a rerun after an edit runs again.
    with open(model, "rb") as f:
        return "file:" + hashlib.sha256(f.read()).hexdigest()


def _key(model_id, params, seed, duration):
    text = json.dumps([model_id, params, seed, duration], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def default_metrics(network, result):
    """Per population: rate, CV, synchrony, peak frequency; the bump angle of ring populations.

    - ``rate_<pop>``: mean rate, Hz;
    - ``cv_<pop>``: mean coefficient of variation of the interspike intervals;
    - ``synchrony_<pop>``: Golomb's chi, the SD of the population activity
      (5 ms bins) over the mean SD of single cells' binned counts (0 for
      independent cells, 1 for identical ones);
    - ``peak_hz_<pop>``: frequency of the largest peak of the population
      activity's power spectrum above 2 Hz (1 ms bins), Hz;
    - ``angle_<pop>`` and ``bump_<pop>``: for ring populations, the decoded
      direction (degrees) and bump length over the last quarter of the run.
    """
    out = {}
    duration = result.t
    edges = np.arange(0.0, duration + 5.0, 5.0)
    for name, pop in network.populations.items():
        tr = result.spikes(name)
        out[f"rate_{name}"] = tr.rate(duration) if duration > 0 else 0.0
        cvs = []
        for i in np.unique(tr.ids):
            isi = np.diff(tr.times[tr.ids == i])
            if isi.size >= 2:
                cvs.append(isi.std() / isi.mean())
        out[f"cv_{name}"] = float(np.mean(cvs)) if cvs else float("nan")
        counts = np.zeros((pop.n, edges.size - 1))
        if len(tr):
            np.add.at(counts, (tr.ids, np.clip(np.searchsorted(edges, tr.times, "right") - 1,
                                               0, edges.size - 2)), 1.0)
        single = counts.var(axis=1).mean()
        out[f"synchrony_{name}"] = (float(np.sqrt(counts.mean(axis=0).var() / single))
                                    if single > 0 else float("nan"))
        activity, _ = np.histogram(tr.times, np.arange(0.0, duration + 1.0, 1.0))
        power = np.abs(np.fft.rfft(activity - activity.mean())) ** 2
        freqs = np.fft.rfftfreq(activity.size, d=1e-3)
        band = freqs > 2.0
        out[f"peak_hz_{name}"] = (float(freqs[band][np.argmax(power[band])])
                                  if band.any() and len(tr) else float("nan"))
        if is_ring(pop) and duration >= 4.0:
            d = decode_bump(tr, pop.theta, t_start=0.75 * duration, t_stop=duration,
                            width=0.25 * duration)
            out[f"angle_{name}"] = float(np.degrees(d["angle"][0]))
            out[f"bump_{name}"] = float(d["length"][0])
    return out


def run_one(task):
    """Build and run one point; return its row (never raises)."""
    model, params, seed, duration, metrics, spikes_path = task
    row = {"params": params, "seed": seed, "status": "ok", "metrics": {}, "error": None}
    t0 = time.perf_counter()
    try:
        network = _build(model, params, seed)
        result = network.run(duration, progress=False)
        row["metrics"] = dict((metrics or default_metrics)(network, result))
        if spikes_path is not None:
            write_spikes(spikes_path, {name: result.spikes(name)
                                       for name in network.populations})
    except Exception:   # a failed run is a row, not the end of the sweep
        row["status"] = "failed"
        row["error"] = traceback.format_exc(limit=6)
    row["wall_s"] = time.perf_counter() - t0
    return row


def _build(model, params, seed):
    if isinstance(model, dict) or (isinstance(model, str) and model.endswith(
            (".yaml", ".yml", ".json"))):
        data = spec.load(model)
        for path, value in params.items():
            spec.override(data, f"{path}={json.dumps(value)}")
        spec.override(data, f"network.seed={seed}")
        return spec.build(data)[0]
    build = model if callable(model) else models.MODELS[model]
    return build(seed=seed, **params)


def _init_worker(parent):
    import numba

    numba.set_num_threads(1)
    threading.Thread(target=_end_with, args=(parent,), daemon=True).start()


def _end_with(parent):
    """End this worker once the sweep's process is gone (this one is then adopted)."""
    while os.getppid() == parent:
        time.sleep(0.25)
    os._exit(1)


COLUMNS = ("key", "model", "params", "seed", "duration", "status", "metrics", "error",
           "wall_s", "version", "finished")


class _Store:
    """The sweep's SQLite file: one row per finished run."""

    def __init__(self, path):
        self.path = path
        try:
            self.db = sqlite3.connect(path)
            self.db.execute("CREATE TABLE IF NOT EXISTS runs (key TEXT PRIMARY KEY, model "
                            "TEXT, params TEXT, seed INTEGER, duration REAL, status TEXT, "
                            "metrics TEXT, error TEXT, wall_s REAL, version TEXT, finished REAL)")
            self.db.commit()
            columns = tuple(row[1] for row in self.db.execute("PRAGMA table_info(runs)"))
            self.db.execute("BEGIN IMMEDIATE")   # can it be written? (nothing is)
            self.db.rollback()
            check = self.db.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise sqlite3.DatabaseError(f"its integrity check says: {check}")
        except (sqlite3.Error, ValueError) as err:   # (ValueError: text that is not UTF-8)
            raise OSError(f"{path}: cannot be used as a sweep's store ({err}); give another "
                          "--out, or remove the file to start again") from None
        if columns != COLUMNS:
            raise OSError(f"{path}: holds a table 'runs' that is not a lifnet sweep's "
                          f"(columns {', '.join(columns)}); give another --out")

    def _damaged(self, err):
        return OSError(f"{self.path}: a stored run cannot be read ({type(err).__name__}: "
                       f"{err}); the store is damaged: give another --out, or remove the file "
                       "to run everything again")

    def done(self):
        try:
            return {k for (k,) in self.db.execute("SELECT key FROM runs")}
        except (sqlite3.Error, ValueError) as err:
            raise self._damaged(err) from None

    def add(self, key, model_id, duration, row):
        try:
            with self.db:   # one transaction: the row is there whole or not at all
                self.db.execute(
                    "INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (key, model_id, json.dumps(row["params"], sort_keys=True), int(row["seed"]),
                     duration, row["status"], json.dumps(row["metrics"]), row["error"],
                     row["wall_s"], __version__, time.time()))
        except sqlite3.Error as err:
            stored = self.db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
            raise OSError(f"{self.path}: the run {row['params']}, seed {row['seed']} could not "
                          f"be stored ({err}); the sweep stops here with the {stored} runs the "
                          "store holds kept. Make room and run the same command again: it "
                          "skips them") from None

    def rows(self, keys):
        placeholder = ",".join("?" * len(keys))
        try:
            cur = self.db.execute(f"SELECT key, params, seed, status, metrics, error, wall_s "
                                  f"FROM runs WHERE key IN ({placeholder})", list(keys))
            return {k: {"params": json.loads(p), "seed": s, "status": st,
                        "metrics": json.loads(m), "error": e, "wall_s": w}
                    for k, p, s, st, m, e, w in cur}
        except (sqlite3.Error, ValueError, TypeError) as err:   # (ValueError: JSON, UTF-8)
            raise self._damaged(err) from None


def sweep(model, *, grid=None, values=None, random=None, n_random=0, random_seed=0,
          seeds=(0,), duration, metrics=None, out, workers=None, scheduler=None,
          progress=None, save_spikes=False):
    """Run a model over parameter points and seeds; return a pandas DataFrame.

    Parameters
    ----------
    model : str, dict or function
        Built-in model name, model file path or spec dict, or a module-level
        model function (keywords are the parameters, plus ``seed``).
    grid : dict
        Parameter -> values; every combination is a point.
    values : list of dict
        Explicit points.
    random : dict
        Parameter -> (low, high): ``n_random`` points drawn uniformly (seeded
        by ``random_seed``).
    seeds : sequence of int
        Every point runs once per seed.
    duration : float
        Simulated time per run, ms.
    metrics : function(network, result) -> dict, optional
        Module-level function; default ``default_metrics``.
    out : str
        Folder of the sweep's store (``runs.sqlite``); re-running skips what it holds.
    workers : int, optional
        Local processes (default: all cores).
    scheduler : str or distributed.Client, optional
        Run on a Dask cluster instead.
    progress : bool, optional
        Progress bar with time left (default: on a terminal).
    save_spikes : bool
        Also write each run's spikes as a SONATA file,
        ``<out>/spikes/<run key>.h5`` (atomically, by the worker; on a Dask
        cluster ``out`` must be on a file system the workers share). The
        table's ``spikes_file`` column names it.
    """
    duration = val.positive("duration", duration, owner="sweep")
    _check_parameters(model, _points(grid, values, random, n_random, random_seed))
    os.makedirs(out, exist_ok=True)
    with _only_writer(out):
        return _sweep(model, grid, values, random, n_random, random_seed, seeds, duration,
                      metrics, out, workers, scheduler, progress, save_spikes)


@contextlib.contextmanager
def _only_writer(out):
    """Hold ``<out>/runs.sqlite.lock`` for the sweep: a second sweep into out is refused."""
    try:
        import fcntl
    except ImportError:       # not POSIX: no lock
        yield
        return
    path = os.path.join(out, "runs.sqlite.lock")
    with open(path, "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            raise OSError(f"{out}: another sweep is writing there (process "
                          f"{lock.read().strip() or '?'}); wait for it to end or give "
                          "another --out") from None
        lock.seek(0)
        lock.truncate()
        lock.write(str(os.getpid()))
        lock.flush()
        yield


def _sweep(model, grid, values, random, n_random, random_seed, seeds, duration, metrics, out,
           workers, scheduler, progress, save_spikes):
    import pandas as pd

    store = _Store(os.path.join(out, "runs.sqlite"))
    model_id = _model_id(model)
    spikes_dir = os.path.abspath(os.path.join(out, "spikes")) if save_spikes else None
    if spikes_dir is not None:
        os.makedirs(spikes_dir, exist_ok=True)
    tasks, keys = {}, []
    for point in _points(grid, values, random, n_random, random_seed):
        for seed in seeds:
            key = _key(model_id, point, int(seed), duration)
            keys.append(key)
            tasks[key] = (model, point, int(seed), duration, metrics,
                          None if spikes_dir is None else os.path.join(spikes_dir, key + ".h5"))
    done = store.done()
    if spikes_dir is not None:   # a run stored before spikes were asked for runs again
        done = {k for k in done if os.path.exists(os.path.join(spikes_dir, k + ".h5"))}
    todo = [k for k in dict.fromkeys(keys) if k not in done]
    if progress is None:
        import sys

        progress = sys.stderr.isatty() and len(todo) > 1
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(todo), unit="run", desc="lifnet sweep")
    try:
        with contextlib.closing(_execute(todo, tasks, workers, scheduler)) as finished:
            for key, row in finished:
                store.add(key, model_id, duration, row)
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    rows = store.rows(list(dict.fromkeys(keys)))
    table = []
    for key in dict.fromkeys(keys):
        row = rows[key]
        entry = {**row["params"], "seed": row["seed"], "status": row["status"],
                 **row["metrics"], "wall_s": row["wall_s"], "error": row["error"],
                 "ran_now": key in todo}
        if spikes_dir is not None:
            path = os.path.join(spikes_dir, key + ".h5")
            entry["spikes_file"] = path if os.path.exists(path) else None
        table.append(entry)
    return pd.DataFrame(table)


def _execute(todo, tasks, workers, scheduler):
    """Yield (key, row) as runs finish, on local processes or Dask."""
    if not todo:
        return
    if scheduler is not None:
        from distributed import Client, as_completed

        client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
        futures = {client.submit(run_one, tasks[k], pure=False, retries=3, key=f"run-{k}"): k
                   for k in todo}
        for future in as_completed(futures):
            yield futures[future], future.result()
        return
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    left = list(todo)
    alone = False   # after a worker died: each run in a process of its own
    while left:
        n = 1 if alone else (workers or os.cpu_count())
        batch = left[:1] if alone else left
        with ProcessPoolExecutor(max_workers=n, initializer=_init_worker,
                                 initargs=(os.getpid(),)) as pool:
            futures = {pool.submit(run_one, tasks[k]): k for k in batch}
            try:
                for future in as_completed(futures):
                    key = futures[future]
                    try:
                        row = future.result()
                    except BrokenProcessPool:
                        if not alone:
                            break   # which run killed it is not known: each alone, again
                        model, params, seed = tasks[key][:3]
                        row = {"params": params, "seed": seed, "status": "failed",
                               "metrics": {}, "wall_s": float("nan"),
                               "error": "the worker process running this run died (killed, "
                                        "or crashed inside a library)"}
                    left.remove(key)
                    yield key, row
            except BaseException:   # the sweep stops (its store failed, Ctrl-C): start no more
                pool.shutdown(wait=True, cancel_futures=True)
                raise
        alone = alone or bool(left)
