"""Every notebook in notebooks/ runs from top to bottom and draws its figures.

The documentation build (``sphinx-build``, run by ``.ci/run``) executes every notebook as
written and fails on any error. Here the two longest run shortened (``SHORTER``: fewer
trials, a shorter delay or stimulus), so that the test suite stays within its time budget
while still running every cell and drawing every figure.
"""

import pathlib

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((pathlib.Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


# Text of a notebook's cell -> its replacement under test. Each must be found: a notebook
# that no longer contains it fails the test instead of silently running at full length.
SHORTER = {
    "compte2000": [
        ("CUE_START, CUE_LENGTH, DELAY = 2000.0, 250.0, 3000.0",
         "CUE_START, CUE_LENGTH, DELAY = 500.0, 250.0, 500.0"),
        ("(s.times >= 1000) & (s.times < 2000)", "(s.times >= 250) & (s.times < 500)"),
        ("free.run(6000.0)", "free.run(1000.0)"),
        ("t_start=5500.0,\n                    t_stop=6000.0",
         "t_start=500.0,\n                    t_stop=1000.0"),
        ("SEEDS = range(6)", "SEEDS = range(2)"),
    ],
    "wang2002": [
        ("STIM_START, STIM_DURATION = 500.0, 1500.0", "STIM_START, STIM_DURATION = 200.0, 800.0"),
        ("for s in range(8)]", "for s in range(1)]"),
    ],
}


def shortened(nb, stem):
    for old, new in SHORTER.get(stem, []):
        cells = [cell for cell in nb.cells if old in cell.source]
        assert len(cells) == 1, f"{stem}: {old!r} is in {len(cells)} cells, expected 1"
        cells[0].source = cells[0].source.replace(old, new)
    return nb


# A notebook runs on the pytest worker that runs its model's tests (group "<stem>_kernel"),
# which compiles the kernels both use once.
RUNS = [pytest.param(p, id=p.stem, marks=pytest.mark.xdist_group(f"{p.stem}_kernel"))
        for p in NOTEBOOKS]


@pytest.mark.parametrize("path", RUNS)
def test_notebook_runs_and_draws(path, tmp_path):
    nb = shortened(nbformat.read(path, as_version=4), path.stem)
    NotebookClient(nb, timeout=1200, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    figures = sum(1 for cell in nb.cells if cell.cell_type == "code"
                  for out in cell.get("outputs", []) if "image/png" in out.get("data", {}))
    drawing_cells = sum(1 for cell in nb.cells if cell.cell_type == "code"
                        and ("bump(" in cell.source or "plt." in cell.source))
    assert figures >= drawing_cells


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_committed_without_outputs(path):
    """The repository keeps notebooks small and diffable; the documentation site runs them
    and shows their figures (docs/conf.py)."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.get("outputs") and cell.get("execution_count") is None
