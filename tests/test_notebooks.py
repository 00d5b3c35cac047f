"""Every notebook in notebooks/ runs from top to bottom and draws its figures."""

import pathlib

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((pathlib.Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


# A notebook runs on the pytest worker that runs its model's tests (group "<stem>_kernel"),
# which compiles the kernels both use once.
RUNS = [pytest.param(p, id=p.stem, marks=pytest.mark.xdist_group(f"{p.stem}_kernel"))
        for p in NOTEBOOKS]


@pytest.mark.parametrize("path", RUNS)
def test_notebook_runs_and_draws(path, tmp_path):
    nb = nbformat.read(path, as_version=4)
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
