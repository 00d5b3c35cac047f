"""Sweeps under faults: dying workers, a killed sweep, a busy or foreign store."""

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import pytest

import lifnet as ln


def tiny_model(seed, kill=False, sleep=0.0, index=0, hold="", disk_full=False):
    """A network of two cells; ``kill`` ends the worker process as a crash would; points
    with ``index`` > 0 wait while the file ``hold`` exists; ``disk_full`` makes the
    worker's disk look full."""
    if disk_full:
        import collections

        from lifnet.io import atomic

        usage = collections.namedtuple("usage", "total used free")
        atomic.shutil.disk_usage = lambda path: usage(10 ** 6, 10 ** 6, 0)
    if kill:
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(sleep)
    while index > 0 and hold and os.path.exists(hold):
        time.sleep(0.1)
    net = ln.Network(dt=0.1, seed=seed)
    net.add(ln.PyrPop(2, name="E"))
    return net


def test_a_worker_that_dies_fails_its_own_run_only(tmp_path):
    table = ln.sweep(tiny_model, grid={"kill": [False, True, False]}, seeds=[0, 1],
                     duration=5.0, out=str(tmp_path), workers=2, progress=False)
    failed = table[table["status"] != "ok"]
    assert list(failed["kill"]) == [True, True]
    assert all("worker process" in e for e in failed["error"])
    assert (table[~table["kill"]]["status"] == "ok").all()


def test_a_full_disk_fails_the_runs_it_hits_and_a_full_store_stops_the_sweep(tmp_path,
                                                                            monkeypatch):
    grid = {"disk_full": [False, True], "sleep": [0.0, 0.01]}
    table = ln.sweep(tiny_model, grid=grid, duration=5.0, out=str(tmp_path), workers=2,
                     progress=False, save_spikes=True)
    full = table["disk_full"]
    assert (table[~full]["status"] == "ok").all()
    assert all("nothing was written" in e for e in table[full]["error"])
    assert table[full]["spikes_file"].isna().all()
    assert sorted(p.suffix for p in (tmp_path / "spikes").iterdir()) == [".h5", ".h5"]

    store_class = sys.modules["lifnet.sweep"]._Store

    class FillingStore:
        """The store's connection, as on a disk that fills after one more row."""

        def __init__(self, db):
            self.db, self.rows = db, 0

        def __enter__(self):
            return self.db.__enter__()

        def __exit__(self, *exc):
            return self.db.__exit__(*exc)

        def execute(self, statement, *args):
            if statement.startswith("INSERT"):
                self.rows += 1
                if self.rows > 1:
                    raise sqlite3.OperationalError("database or disk is full")
            return self.db.execute(statement, *args)

    init = store_class.__init__

    def filling_init(self, path):
        init(self, path)
        self.db = FillingStore(self.db)

    monkeypatch.setattr(store_class, "__init__", filling_init)
    grid = {"sleep": [0.0, 0.001, 0.002, 0.003]}
    with pytest.raises(OSError, match=r"could not be stored \(database or disk is full\); the "
                                      r"sweep stops here with the 5 runs"):
        ln.sweep(tiny_model, grid=grid, duration=5.0, out=str(tmp_path), workers=1,
                 progress=False)
    monkeypatch.undo()
    table = ln.sweep(tiny_model, grid=grid, duration=5.0, out=str(tmp_path), workers=1,
                     progress=False)
    assert (table["status"] == "ok").all()
    assert list(table["ran_now"]) == [False, True, True, True]


def test_a_second_sweep_into_the_same_folder_is_refused(tmp_path):
    import fcntl

    with open(tmp_path / "runs.sqlite.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        lock.write("4242")
        lock.flush()
        with pytest.raises(OSError, match="another sweep is writing there.*4242"):
            ln.sweep(tiny_model, grid={"sleep": [0.0]}, duration=5.0, out=str(tmp_path),
                     workers=1, progress=False)


def test_a_store_that_is_not_a_sweeps_is_refused(tmp_path):
    (tmp_path / "runs.sqlite").write_bytes(b"this is not a database" * 100)
    with pytest.raises(OSError, match="cannot be used as a sweep's store"):
        ln.sweep(tiny_model, grid={"sleep": [0.0]}, duration=5.0, out=str(tmp_path),
                 workers=1, progress=False)
    other = tmp_path / "other"
    other.mkdir()
    with sqlite3.connect(other / "runs.sqlite") as db:
        db.execute("CREATE TABLE runs (id INTEGER, name TEXT)")
    with pytest.raises(OSError, match="not a lifnet sweep's"):
        ln.sweep(tiny_model, grid={"sleep": [0.0]}, duration=5.0, out=str(other), workers=1,
                 progress=False)


def test_a_store_whose_rows_are_damaged_is_refused_naming_it(tmp_path):
    ln.sweep(tiny_model, grid={"sleep": [0.0]}, duration=5.0, out=str(tmp_path), workers=1,
             progress=False)
    with sqlite3.connect(tmp_path / "runs.sqlite") as db:
        db.execute("UPDATE runs SET params = '{\"sleep\": \x01.0}'")
    with pytest.raises(OSError, match=r"runs.sqlite: a stored run cannot be read \(JSONDecode"):
        ln.sweep(tiny_model, grid={"sleep": [0.0]}, duration=5.0, out=str(tmp_path),
                 workers=1, progress=False)


def _children(pid):
    kids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                kids.append(int(entry))
    return kids


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc (Linux)")
def test_killing_a_sweep_leaves_no_worker_and_a_rerun_runs_each_point_once(tmp_path):
    flag = tmp_path / "hold"
    flag.write_text("the runs with index > 0 wait while this file exists")
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {os.path.dirname(__file__)!r})
        import lifnet as ln
        from test_sweep_faults import tiny_model
        ln.sweep(tiny_model, grid={{"index": [0, 1, 2, 3], "hold": [{str(flag)!r}]}},
                 duration=5.0, out={str(tmp_path)!r}, workers=2, progress=False)
    """)
    sweep = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.time() + 120
    while len(_children(sweep.pid)) < 2 and time.time() < deadline:
        time.sleep(0.2)
    workers = _children(sweep.pid)
    assert len(workers) >= 2
    time.sleep(3.0)   # a quick run finishes and is stored
    sweep.kill()
    sweep.wait()
    time.sleep(5.0)
    assert not [w for w in workers if _alive(w)]
    with sqlite3.connect(tmp_path / "runs.sqlite") as db:
        stored = db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
    assert stored == 1   # the point that did not wait
    flag.unlink()
    table = ln.sweep(tiny_model, grid={"index": [0, 1, 2, 3], "hold": [str(flag)]},
                     duration=5.0, out=str(tmp_path), workers=2, progress=False)
    assert (table["status"] == "ok").all()
    assert list(table["ran_now"]) == [False, True, True, True]
