"""`lifnet run` writes a raster and a SONATA spike file that a plain HDF5 reader opens."""

import json
import subprocess

import h5py
import numpy as np


def test_lifnet_run_writes_raster_and_sonata_spikes(tmp_path):
    out = subprocess.run(["lifnet", "run", "--duration", "200", "--out", str(tmp_path)],
                         check=True, capture_output=True, text=True).stdout
    folder = tmp_path / "coba"
    assert "raster.png" in out
    assert (folder / "raster.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = json.loads((folder / "summary.json").read_text())
    with h5py.File(folder / "spikes.h5") as f:
        for pop, n_cells in (("E", 3200), ("I", 800)):
            ts = f[f"spikes/{pop}/timestamps"][()]
            ids = f[f"spikes/{pop}/node_ids"][()]
            assert f[f"spikes/{pop}/timestamps"].attrs["units"] == "ms"
            assert len(ts) == len(ids) == summary["spikes"][pop] > 0
            assert np.all(np.diff(ts) >= 0) and ts.max() < 200.0
            assert ids.max() < n_cells
            assert 5.0 < summary["rates_hz"][pop] < 40.0
