"""Installing, running, and installing again leave nothing that Python could import.

What a new user does after cloning: ``pip install .``, ``lifnet run``, then
``pip install -e .`` in the same environment. A kernel cache written into
``site-packages/lifnet`` by the run used to survive pip's uninstall there and
shadow the editable install (``ImportError: cannot import name 'layout'``).
This runs that sequence in a new virtual environment that sees this one's
packages for lifnet's dependencies (so nothing is downloaded but the build
backend) and installs a copy of this checkout.
"""

import os
import pathlib
import shutil
import subprocess
import sys
import sysconfig
import venv

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent

CHECK_IMPORTS = """
import importlib, pathlib, sys
import lifnet
missing = [name for name in lifnet.__all__ if not hasattr(lifnet, name)]
assert not missing, missing
for module in ("cli", "spec", "sweep", "io", "models", "analysis", "plotting",
               "kernel_cache", "showcase", "integrators.layout", "integrators.run_loop"):
    importlib.import_module("lifnet." + module)
print(pathlib.Path(lifnet.__file__).resolve().parent)
"""


def _copy_checkout(dest):
    ignore = shutil.ignore_patterns(".git", "build", "*.egg-info", "__pycache__", ".ci",
                                    "lifnet-output", ".peer-env", "docs", "notebooks",
                                    "*.nbi", "*.nbc")
    shutil.copytree(ROOT, dest, ignore=ignore)


def _installed_files(site, package="lifnet"):
    root = site / package
    return {str(p.relative_to(site)) for p in root.rglob("*") if p.is_file()} \
        if root.exists() else set()


def _record(site):
    (dist,) = site.glob("lifnet-*.dist-info")
    return {line.split(",")[0] for line in (dist / "RECORD").read_text().splitlines()}


@pytest.mark.long
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX paths of a virtual environment")
def test_install_run_then_editable_install_imports_every_public_name(tmp_path):
    checkout = tmp_path / "lifnet-clone"
    _copy_checkout(checkout)
    env_dir = tmp_path / "env"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    site = pathlib.Path(subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True).stdout.strip())
    # lifnet's dependencies from this environment, after the new one's own packages.
    (site / "outer-packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = dict(os.environ, LIFNET_CACHE_DIR=str(tmp_path / "cache"), LIFNET_QUIET="1",
               PIP_DISABLE_PIP_VERSION_CHECK="1", VIRTUAL_ENV=str(env_dir),
               PATH=f"{env_dir / 'bin'}{os.pathsep}{os.environ['PATH']}")
    env.pop("PYTHONPATH", None)

    def run(*cmd, cwd=checkout):
        done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True,
                              timeout=900)
        assert done.returncode == 0, f"{cmd}:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
        return done.stdout

    pip = [str(python), "-m", "pip", "install", "--no-deps", "--quiet"]
    run(*pip, ".")
    run(str(env_dir / "bin" / "lifnet"), "run", "--duration", "50", "--out",
        str(tmp_path / "out"), cwd=tmp_path)
    assert (tmp_path / "out" / "coba" / "spikes.h5").exists()
    # The run wrote nothing into the installed package: every file there is pip's.
    stray = _installed_files(site) - _record(site)
    assert not stray, f"files the run left in site-packages: {sorted(stray)[:10]}"

    run(*pip, "-e", ".")
    assert not (site / "lifnet").exists(), "pip's uninstall left a lifnet folder behind"
    where = run(str(python), "-c", CHECK_IMPORTS, cwd=tmp_path).strip()
    assert pathlib.Path(where) == (checkout / "lifnet").resolve()
    assert "lifnet" in run(str(env_dir / "bin" / "lifnet"), "--version", cwd=tmp_path)

    # And back: a regular install over the editable one, then uninstall.
    run(*pip, ".")
    run(str(python), "-m", "pip", "uninstall", "--yes", "--quiet", "lifnet")
    assert not (site / "lifnet").exists()
    assert not list(site.glob("__editable__*lifnet*"))
