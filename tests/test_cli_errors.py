"""The command line refuses bad values before it runs anything, and says when runs failed."""

import json
import os
import shutil

import pytest

from lifnet.cli import main

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "examples", "netpyne_tut2_lif.yaml")


@pytest.mark.parametrize("argv, message", [
    (["--grid", "connections.0.weight=a:b:c"], "START:STOP:NUM"),
    (["--grid", "connections.0.weight=0:1:-1"], "NUM between 1"),
    (["--grid", "connections.0.weight=0:1:1e9"], "START:STOP:NUM"),
    (["--grid", "connections.0.weight=[1,"], "cannot read"),
    (["--seeds", "a"], "--seeds a"),
    (["--seeds", str(2 ** 64)], "--seeds"),
    (["--workers", "-1"], "--workers -1"),
    (["--metric", "nope"], "--metric nope"),
    (["--metric", "rate_X"], "--metric rate_X"),
])
def test_sweep_refuses_bad_values_before_running(argv, message, tmp_path, capsys):
    out = tmp_path / "sweep"
    code = main(["sweep", EXAMPLE, "--duration", "20", "--out", str(out), *argv])
    assert code == 2
    assert message in capsys.readouterr().err
    assert not (out / "runs.sqlite").exists()


@pytest.mark.parametrize("assignment, message", [
    ("populations.S.n.x=1", "populations.S.n is a value"),
    ("run.duration=[1,", "cannot read the value"),
])
def test_run_set_paths_that_cannot_apply_are_refused(assignment, message, tmp_path, capsys):
    code = main(["run", EXAMPLE, "--set", assignment, "--out", str(tmp_path)])
    assert code == 2
    assert message in capsys.readouterr().err


def test_a_sweep_whose_runs_all_fail_exits_nonzero_with_a_count(tmp_path, capsys):
    code = main(["sweep", EXAMPLE, "--duration", "10", "--out", str(tmp_path / "s"),
                 "--grid", "populations.S.n=0,-1", "--workers", "1", "--no-progress"])
    assert code == 1
    assert "2 of 2 runs failed" in capsys.readouterr().err


def test_the_sweep_store_knows_an_edited_model_file(tmp_path, capsys):
    model = tmp_path / "model.yaml"
    shutil.copy(EXAMPLE, model)
    argv = ["sweep", str(model), "--duration", "50", "--out", str(tmp_path / "s"),
            "--workers", "1", "--no-progress"]
    assert main(argv) == 0
    assert "(1 now" in capsys.readouterr().out
    model.write_text(model.read_text().replace("rate: 10.0", "rate: 100.0"))
    assert main(argv) == 0
    assert "(1 now" in capsys.readouterr().out


def test_an_output_folder_that_cannot_be_made_is_refused_before_the_run(tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    code = main(["run", EXAMPLE, "--duration", "10", "--out", str(blocker / "out")])
    assert code == 2
    err = capsys.readouterr().err
    assert "a_file" in err and "ms at dt" not in err


def test_a_short_run_still_writes_its_summary(tmp_path, capsys):
    assert main(["run", EXAMPLE, "--duration", "49", "--out", str(tmp_path)]) == 0
    summary = json.loads((tmp_path / "netpyne_tut2_lif" / "summary.json").read_text())
    assert summary["duration_ms"] == 49


def test_ctrl_c_during_a_run_saves_what_was_simulated(tmp_path, capsys, monkeypatch):
    import h5py

    import lifnet as ln

    run = ln.Network.run

    def interrupted(self, duration, **kwargs):
        run(self, 20.0, **kwargs)
        raise KeyboardInterrupt("run stopped at t=20 ms")

    monkeypatch.setattr(ln.Network, "run", interrupted)
    assert main(["run", EXAMPLE, "--duration", "1000", "--out", str(tmp_path)]) == 130
    assert "the 20 ms simulated are saved in" in capsys.readouterr().err
    out = tmp_path / "netpyne_tut2_lif"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["simulated_ms"] == 20.0 and "t=20 ms" in summary["interrupted"]
    with h5py.File(out / "spikes.h5") as f:
        times = [f[f"spikes/{p}/timestamps"][:] for p in f["spikes"]]
    assert sum(t.size for t in times) > 0 and max(t.max() for t in times if t.size) < 20.0
