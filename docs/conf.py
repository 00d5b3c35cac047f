"""Sphinx configuration of lifnet's documentation.

The notebooks live in ``notebooks/`` (committed without outputs); the build
copies them into ``gallery/`` and executes them, so the site shows their
figures.
"""

import pathlib
import shutil

import lifnet

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent

project = "lifnet"
author = "lifnet developers"
copyright = "2026, lifnet developers"
release = lifnet.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_nb",
]
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
html_theme = "furo"
html_title = f"lifnet {release}"

autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": False}
numpydoc_show_class_members = False
numpydoc_validation_checks = set()
numpydoc_xref_param_type = False

myst_enable_extensions = ["dollarmath", "colon_fence"]
nb_execution_mode = "force"
nb_execution_timeout = 1800
nb_execution_raise_on_error = True
nb_execution_show_tb = True
suppress_warnings = ["myst.header"]


def _copy_notebooks():
    gallery = HERE / "gallery"
    gallery.mkdir(exist_ok=True)
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        shutil.copyfile(notebook, gallery / notebook.name)


_copy_notebooks()
