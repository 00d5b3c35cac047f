"""Sweeps: tables from local processes and Dask agree, failures are rows, re-runs skip work."""

import numpy as np
import pytest

import lifnet as ln

MODEL = {
    "network": {"dt": 0.1},
    "populations": {"E": {"type": "PyrPop", "n": 40}, "I": {"type": "InterPop", "n": 10}},
    "stimuli": [{"population": "E", "type": "PoissonDrive", "rate": 1800.0, "weight": 0.004},
                {"population": "I", "type": "PoissonDrive", "rate": 1800.0, "weight": 0.0015}],
    "connections": [{"pre": "E", "post": "I", "weight": 0.002, "rule": "probability",
                     "p": 0.3},
                    {"pre": "I", "post": "E", "receptor": "GABA", "weight": 0.001}],
    "run": {"duration": 200.0},
}
GRID = {"stimuli.0.weight": [0.004, 0.006]}


def test_local_sweep_rows_follow_the_parameter_and_dask_gives_the_same_table(tmp_path):
    local = ln.sweep(MODEL, grid=GRID, seeds=[0, 1], duration=200.0, out=tmp_path / "a",
                     workers=2)
    assert list(local["status"]) == ["ok"] * 4
    # A stronger drive gives a higher rate, in every seed.
    low = local[local["stimuli.0.weight"] == 0.004].set_index("seed")["rate_E"]
    high = local[local["stimuli.0.weight"] == 0.006].set_index("seed")["rate_E"]
    assert np.all(high > low + 1.0)
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      host="127.0.0.1", dashboard_address=":0") as cluster, \
            Client(cluster) as client:
        remote = ln.sweep(MODEL, grid=GRID, seeds=[0, 1], duration=200.0,
                          out=tmp_path / "b", scheduler=client)
    metrics = [c for c in local.columns if c.startswith(("rate_", "cv_", "synchrony_"))]
    np.testing.assert_array_equal(local[metrics].to_numpy(), remote[metrics].to_numpy())


def test_failures_are_rows_and_a_rerun_skips_what_is_done(tmp_path):
    first = ln.sweep(MODEL, grid={"populations.E.n": [20, -3]}, seeds=[0], duration=100.0,
                     out=tmp_path, workers=2)
    ok, failed = first.iloc[0], first.iloc[1]
    assert ok["status"] == "ok" and failed["status"] == "failed"
    assert "n=-3 must be" in failed["error"]
    # Interrupted-then-resumed: a larger sweep runs only the new points.
    second = ln.sweep(MODEL, grid={"populations.E.n": [20, -3, 30]}, seeds=[0],
                      duration=100.0, out=tmp_path, workers=2)
    assert list(second["ran_now"]) == [False, False, True]
    assert second.iloc[0]["rate_E"] == ok["rate_E"]
    with pytest.raises(ln.ParameterError, match="duration"):
        ln.sweep(MODEL, duration=-1.0, out=tmp_path)


def test_a_parameter_the_model_does_not_have_is_refused_before_any_run(tmp_path):
    with pytest.raises(ln.ParameterError, match="'w_exc' is not a parameter of coba; its "
                                                "parameters: n, exc_fraction, p, w_e"):
        ln.sweep("coba", grid={"w_exc": [0.1, 0.2]}, duration=10.0, out=tmp_path / "a")
    with pytest.raises(ln.ParameterError, match="neither a model file .* nor a built-in"):
        ln.sweep("cobaa", duration=10.0, out=tmp_path / "c")
    assert not any(tmp_path.iterdir())


def test_lifnet_sweep_command_writes_table_and_figure(tmp_path):
    import yaml

    from lifnet.cli import main

    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(MODEL))
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--grid", "stimuli.0.weight=0.004:0.006:2",
                 "--grid", "populations.E.n=20,30", "--seeds", "0", "--duration", "100",
                 "--workers", "2", "--out", str(out)]) == 0
    import pandas as pd

    table = pd.read_csv(out / "sweep.csv")
    assert len(table) == 4 and set(table["status"]) == {"ok"}
    assert (out / "sweep_rate_E.png").stat().st_size > 0


def test_a_killed_dask_worker_loses_no_run(tmp_path):
    """One worker process is killed mid-sweep; its runs are redone elsewhere, each row once."""
    import os
    import signal
    import sqlite3
    import threading
    import time

    from distributed import Client, LocalCluster

    store = tmp_path / "runs.sqlite"
    killed_at = []

    def kill_after_three_rows(pid):
        while not killed_at:
            time.sleep(0.05)
            if store.exists():
                with sqlite3.connect(store) as db:
                    done = db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
                if done >= 3:
                    os.kill(pid, signal.SIGKILL)
                    killed_at.append(done)

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=":0") as cluster, Client(cluster) as client:
        client.wait_for_workers(2)
        pid = next(iter(client.run(os.getpid).values()))
        killer = threading.Thread(target=kill_after_three_rows, args=(pid,), daemon=True)
        killer.start()
        table = ln.sweep(MODEL, grid={"stimuli.0.weight": [0.004, 0.005, 0.006]},
                         seeds=list(range(6)), duration=1000.0, out=tmp_path, scheduler=client)
        killer.join(timeout=5)
    assert killed_at and killed_at[0] < 18   # the worker died while runs were left
    assert len(table) == 18 and set(table["status"]) == {"ok"}
    with sqlite3.connect(store) as db:
        assert db.execute("SELECT COUNT(*), COUNT(DISTINCT key) FROM runs").fetchone() == (18, 18)


def test_built_in_metrics_find_the_rhythm_and_the_bump():
    from lifnet.sweep import default_metrics

    net = ln.Network(dt=0.1, seed=1)
    net.add(ln.PoissonPop(200, rate=[(k * 25.0, k * 25.0 + 3.0, 2000.0) for k in range(40)],
                          name="P"))                      # volleys every 25 ms: 40 Hz
    ring = net.add(ln.PyrRingPop(64, name="R", V_init=-60.0))
    net.stimulate(ring, ln.RingCue(amplitude=1.0, kappa=8.0, theta=np.pi / 2))
    result = net.run(1000.0)
    m = default_metrics(net, result)
    assert m["peak_hz_P"] == pytest.approx(40.0, abs=1.0)
    assert m["synchrony_P"] > 0.8
    assert m["angle_R"] == pytest.approx(90.0, abs=3.0) and m["bump_R"] > 0.5


def test_lifnet_bench_runs_every_workload(capsys):
    from lifnet.cli import main

    assert main(["bench", "--scale", "0.1"]) == 0
    out = capsys.readouterr().out
    for name in ("coba", "compte2000", "wang2002", "gap", "ping", "cobahh", "build", "sweep"):
        assert out.count(name) >= 1


def test_the_example_sweeps_run(tmp_path):
    """examples/README.md's tutorial-8 grid and a built-in model's sweep, at small size."""
    import pathlib

    import pandas as pd

    from lifnet.cli import main

    tut2 = pathlib.Path(__file__).parent.parent / "examples" / "netpyne_tut2_lif.yaml"
    assert main(["sweep", str(tut2), "--grid", "connections.0.receptor.tau=3:7:2",
                 "--grid", "connections.0.weight=0.01,0.03", "--duration", "300",
                 "--metric", "rate_M", "--workers", "2", "--out", str(tmp_path / "a")]) == 0
    table = pd.read_csv(tmp_path / "a" / "sweep.csv")
    assert len(table) == 4 and (tmp_path / "a" / "sweep_rate_M.png").exists()
    assert main(["sweep", "compte2000", "--grid", "J_plus=1.6,2.0", "--grid", "N_E=256",
                 "--grid", "N_I=64", "--duration", "100", "--metric", "bump_E",
                 "--workers", "2", "--out", str(tmp_path / "b")]) == 0
    assert set(pd.read_csv(tmp_path / "b" / "sweep.csv")["status"]) == {"ok"}


def test_saved_spikes_are_the_runs_spikes(tmp_path):
    """save_spikes: one SONATA file per run, read back equal to the same run in Python."""
    from lifnet.io import read_spikes
    from lifnet.spec import build

    table = ln.sweep(MODEL, grid=GRID, seeds=[3], duration=100.0, out=tmp_path, workers=1,
                     save_spikes=True)
    assert table["spikes_file"].notna().all()
    spec = {**MODEL, "network": {"dt": 0.1, "seed": 3}}
    spec["stimuli"] = [dict(MODEL["stimuli"][0], weight=0.006), MODEL["stimuli"][1]]
    result = build(spec)[0].run(100.0)
    saved = read_spikes(table.iloc[1]["spikes_file"])
    for name in ("E", "I"):
        np.testing.assert_array_equal(saved[name][0], result.spikes(name).times)
    # A store written without spikes runs again when spikes are asked for.
    again = ln.sweep(MODEL, grid=GRID, seeds=[3], duration=100.0, out=tmp_path, workers=1,
                     save_spikes=True)
    assert not again["ran_now"].any()
