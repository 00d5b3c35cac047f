"""The `lifnet` command: what it writes, what it says, and every flag applied or refused."""

import json
import re
import subprocess
import sys

import h5py
import numpy as np
import pytest

import lifnet
from lifnet.cli import main
from lifnet.models import MODELS

EXAMPLE = "examples/netpyne_tut2_lif.yaml"


def test_lifnet_run_writes_figure_sonata_spikes_and_a_summary(tmp_path):
    out = subprocess.run(["lifnet", "run", "--duration", "200", "--out", str(tmp_path)],
                         check=True, capture_output=True, text=True).stdout
    folder = tmp_path / "coba"
    assert re.search(r"^coba: 200 ms at dt 0\.1 ms, seed 1, in [\d.]+ s \([\d.]+ s in all\); "
                     r"rates E [\d.]+ Hz, I [\d.]+ Hz$", out, flags=re.M), out
    assert "wrote spikes.h5, figure.png, summary.json in" in out
    assert (folder / "figure.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = json.loads((folder / "summary.json").read_text())
    assert "asynchronous irregular" in summary["figure_caption"]
    with h5py.File(folder / "spikes.h5") as f:
        for pop, n_cells in (("E", 3200), ("I", 800)):
            ts = f[f"spikes/{pop}/timestamps"][()]
            ids = f[f"spikes/{pop}/node_ids"][()]
            assert f[f"spikes/{pop}/timestamps"].attrs["units"] == "ms"
            assert len(ts) == len(ids) == summary["spikes"][pop] > 0
            assert np.all(np.diff(ts) >= 0) and ts.max() < 200.0
            assert ids.max() < n_cells
            assert 5.0 < summary["rates_hz"][pop] < 40.0


def test_version(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"lifnet {lifnet.__version__}"


@pytest.mark.parametrize("argv, expected", [
    (["--help"], ["lifnet run", "lifnet sweep", "lifnet bench", "second-order"]),
    (["run", "--help"], ["examples:", "--model wang2002 --set coherence", *MODELS,
                         "Compte et al. (2000), 4250 ms"]),
    (["sweep", "--help"], ["examples:", "progress bar over the runs", "runs.sqlite"]),
    (["bench", "--help"], ["workloads:", "coba", "cobahh", "sweep", "examples:"]),
])
def test_help_says_what_each_command_does_with_examples(argv, expected, capsys):
    with pytest.raises(SystemExit):
        main(argv)
    text = capsys.readouterr().out
    for words in expected:
        assert words in text, words
    assert "``" not in text


@pytest.mark.parametrize("argv, message", [
    (["run", EXAMPLE, "--model", "ping"], "give a model file or --model, not both"),
    (["run", "--model", "wang2002", "--set", "cohrence=3"],
     "wang2002 has no keyword 'cohrence'; it has coherence, N_E"),
    (["run", "--model", "coba", "--set", "n"], "expected KEY=VALUE"),
    (["run", EXAMPLE, "--set", "populations.nope.n=3"], "populations.nope"),
    (["run", "--model", "coba", "--dt", "-1"], "dt=-1.0 must be > 0"),
    (["run", "--model", "coba", "--seed", "-1"], "seed=-1 must be >= 0"),
])
def test_a_flag_that_cannot_apply_is_refused(argv, message, tmp_path, capsys):
    assert main([*argv, "--out", str(tmp_path)]) == 2
    assert message in capsys.readouterr().err
    assert not any(tmp_path.iterdir()), "nothing is written for a refused command"


@pytest.mark.parametrize("argv", [["run", "--threads", "3"], ["bench", "--only", "nope"],
                                  ["run", "--model", "nope"]])
def test_a_value_outside_the_choices_is_refused_with_the_choices(argv, capsys):
    with pytest.raises(SystemExit) as done:
        main(argv)
    assert done.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_seed_dt_and_duration_apply_to_a_model_file(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(lifnet.__path__[0] + "/..")
    assert main(["run", EXAMPLE, "--seed", "5", "--dt", "0.05", "--duration", "100",
                 "--out", str(tmp_path)]) == 0
    summary = json.loads((tmp_path / "netpyne_tut2_lif" / "summary.json").read_text())
    assert (summary["seed"], summary["dt_ms"], summary["duration_ms"]) == (5, 0.05, 100.0)
    with h5py.File(tmp_path / "netpyne_tut2_lif" / "spikes.h5") as f:
        assert max(f[f"spikes/{p}/timestamps"][()].max(initial=0) for p in f["spikes"]) < 100


@pytest.mark.xdist_group("rtm_async_kernel")   # with the notebook, which runs the same model
def test_set_applies_a_keyword_of_a_built_in_model(tmp_path, capsys):
    assert main(["run", "--model", "rtm_async", "--set", "n_i=8", "--duration", "100",
                 "--out", str(tmp_path)]) == 0
    summary = json.loads((tmp_path / "rtm_async" / "summary.json").read_text())
    assert summary["keywords"] == {"n_i": 8}
    assert set(summary["spikes"]) == {"E", "kick", "I"}


def test_each_built_in_model_shows_its_phenomenon(tmp_path, capsys):
    """The default runs long enough for what the paper is about, and the caption says it."""
    checks = {
        "compte2000": r"Decoded over the last 500 ms: (\d+)°, (\d+)° from the cue",
        "wang2002": r"Pool (A|B) wins: it reaches 15 Hz (\d+) ms after",
        "ping": r"Rhythm: ([\d.]+) Hz",
    }
    for model, pattern in checks.items():
        assert main(["run", "--model", model, "--seed", "1", "--out", str(tmp_path)]) == 0
        caption = json.loads((tmp_path / model / "summary.json").read_text())["figure_caption"]
        found = re.search(pattern, caption)
        assert found, caption
        if model == "compte2000":
            assert int(found[2]) <= 30           # the bump held the cue through the delay
        elif model == "ping":
            assert 35.0 < float(found[1]) < 50.0


@pytest.mark.xdist_group("tutorial_2_kernel")   # the kernel test_netpyne_load compiles
def test_lifnet_run_executes_a_netpyne_model_file_as_netpyne_ships_it(tmp_path, monkeypatch):
    """NetPyNE's tutorial 2 (a Python file that imports netpyne) runs without netpyne: its
    spikes, the traces of gid 1 (S's cell 1) and the figures its analysis asks for."""
    monkeypatch.chdir(lifnet.__path__[0] + "/..")
    with pytest.warns(UserWarning, match="simConfig keys filename"):
        assert main(["run", "examples/netpyne_tut2.py", "--seed", "2", "--duration", "30",
                     "--out", str(tmp_path)]) == 0
    assert "netpyne" not in sys.modules
    folder = tmp_path / "netpyne_tut2"
    summary = json.loads((folder / "summary.json").read_text())
    assert (summary["seed"], summary["dt_ms"], summary["duration_ms"]) == (2, 0.025, 30.0)
    assert {"spikes.h5", "report_0_S_V.h5", "raster.png", "traces_0_S_V.png",
            "positions.png"} <= set(summary["files"])
    with h5py.File(folder / "report_0_S_V.h5") as f:
        assert f["report/S/mapping/node_ids"][()].tolist() == [1]


def test_a_netpyne_model_file_using_more_than_specs_and_sim_is_refused(tmp_path, capsys):
    model = tmp_path / "model.py"
    model.write_text("from netpyne import specs, sim\nsim.net.createPops()\n")
    assert main(["run", str(model), "--out", str(tmp_path)]) == 2
    assert "netpyne.sim.net: lifnet's stand-in for NetPyNE has only createSimulateAnalyze" in (
        capsys.readouterr().err)
