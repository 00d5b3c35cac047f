"""Compiled kernels are cached in lifnet's own folder, keyed, private, and safe to share."""

import os
import pathlib
import stat
import subprocess
import sys
import textwrap
import time

import pytest

import lifnet
from lifnet import kernel_cache

KERNEL_MODULE = textwrap.dedent("""
    from lifnet.kernel_cache import njit

    @njit(cache=True)
    def mix(a, b):
        return a * 2 + b
""")

WORKER = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, sys.argv[1])
    import kernels
    start = float(sys.argv[2])
    while time.time() < start:
        time.sleep(0.001)
    kind = sys.argv[3]
    a, b = {"ii": (1, 2), "ff": (1.5, 2.5), "if": (1, 2.5), "fi": (1.5, 2),
            "cc": (1j, 2j), "bb": (True, False)}[kind]
    assert kernels.mix(a, b) == a * 2 + b
""")

CHECK = textwrap.dedent("""
    import sys
    sys.path.insert(0, sys.argv[1])
    import kernels
    for a, b in ((1, 2), (1.5, 2.5), (1, 2.5), (1.5, 2), (1j, 2j), (True, False)):
        kernels.mix(a, b)
    print(sum(kernels.mix.stats.cache_hits.values()), sum(kernels.mix.stats.cache_misses.values()))
""")


def test_kernels_are_cached_in_a_private_keyed_folder_outside_the_package(tmp_path):
    env = dict(os.environ, LIFNET_CACHE_DIR=str(tmp_path / "cache"))
    code = ("import lifnet, lifnet.kernel_cache as k; from lifnet.integrators import philox; "
            "philox.philox4x32(1, 2, 3, 4, 5, 6); print(k.kernel_folder())")
    folder = pathlib.Path(subprocess.run([sys.executable, "-c", code], env=env, check=True,
                                         capture_output=True, text=True).stdout.strip())
    assert folder.parent == tmp_path / "cache" / "kernels"
    assert folder.name.startswith(f"{lifnet.__version__}-py{sys.version_info[0]}")
    assert list(folder.rglob("*.nbi")), "the kernel's index is in lifnet's folder"
    for path in (tmp_path / "cache", folder):
        assert stat.S_IMODE(path.stat().st_mode) == 0o700
    package = pathlib.Path(lifnet.__file__).parent
    assert not list(package.rglob("*.nbi")) and not list(package.rglob("*.nbc"))


def test_the_key_changes_with_any_kernel_source(monkeypatch, tmp_path):
    source = tmp_path / "lifnet"
    (source / "integrators").mkdir(parents=True)
    (source / "integrators" / "layout.py").write_text("A = 1\n")
    (source / "plotting.py").write_text("B = 1\n")
    monkeypatch.setattr(kernel_cache, "_PACKAGE", source)
    monkeypatch.setattr(kernel_cache, "__file__", str(source / "kernel_cache.py"))
    first = kernel_cache.key()
    (source / "plotting.py").write_text("B = 2\n")       # no kernel: same key
    assert kernel_cache.key() == first
    (source / "integrators" / "layout.py").write_text("A = 2\n")
    assert kernel_cache.key() != first


def test_a_cache_folder_of_another_user_or_open_to_others_is_refused(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    env = dict(os.environ, LIFNET_CACHE_DIR=str(shared))
    run = subprocess.run([sys.executable, "-W", "always", "-c",
                          "import lifnet.kernel_cache as k; print(k.kernel_folder())"],
                         env=env, capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "None"
    assert "writable by others" in run.stderr and "LIFNET_CACHE_DIR" in run.stderr


@pytest.mark.skipif(not kernel_cache._INDEX_LOCKS, reason="numba's cache index is not lockable")
def test_processes_saving_overloads_of_one_kernel_at_once_lose_none(tmp_path):
    """Six processes compile six signatures of one kernel at the same moment; every one
    must be in the cache afterwards (numba rewrites the index whole on each save)."""
    (tmp_path / "kernels.py").write_text(KERNEL_MODULE)
    env = dict(os.environ, LIFNET_CACHE_DIR=str(tmp_path / "cache"))
    start = time.time() + 3.0
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, str(tmp_path), str(start), kind],
                              env=env) for kind in ("ii", "ff", "if", "fi", "cc", "bb")]
    assert all(p.wait(timeout=120) == 0 for p in procs)
    hits, misses = subprocess.run([sys.executable, "-c", CHECK, str(tmp_path)], env=env,
                                  check=True, capture_output=True, text=True).stdout.split()
    assert (int(hits), int(misses)) == (6, 0)


SLOW_WORKER = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, sys.argv[1])
    import kernels
    compile_now = kernels.mix._compiler.compile

    def slow_compile(*args):       # a kernel that takes 2 s to compile
        time.sleep(2.0)
        return compile_now(*args)

    kernels.mix._compiler.compile = slow_compile
    start = float(sys.argv[2])
    while time.time() < start:
        time.sleep(0.001)
    assert kernels.mix(1.5, 2.5) == 5.5
    print(sum(kernels.mix.stats.cache_misses.values()))
""")


def test_processes_wanting_one_signature_at_once_compile_it_once(tmp_path):
    """Two processes ask for the same new signature at the same moment: one compiles it,
    the other waits and loads it from the cache (test workers and a sweep's runs would
    otherwise each spend a core's tens of seconds on the same kernels)."""
    (tmp_path / "kernels.py").write_text(KERNEL_MODULE)
    env = dict(os.environ, LIFNET_CACHE_DIR=str(tmp_path / "cache"))
    start = time.time() + 3.0
    procs = [subprocess.Popen([sys.executable, "-c", SLOW_WORKER, str(tmp_path), str(start)],
                              env=env, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    compiled = sorted(int(p.communicate(timeout=120)[0]) for p in procs)
    assert all(p.returncode == 0 for p in procs)
    assert compiled == [0, 1]


def test_compile_notice_names_the_kernel_and_its_time(tmp_path):
    (tmp_path / "kernels.py").write_text(KERNEL_MODULE.replace("lifnet.kernel_cache",
                                                               "lifnet.kernel_cache"))
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import kernels; "
            "kernels.mix(1, 2); kernels.mix(1, 2)")
    env = dict(os.environ, LIFNET_CACHE_DIR=str(tmp_path / "cache"))
    env.pop("LIFNET_QUIET", None)
    first = subprocess.run([sys.executable, "-c", code, str(tmp_path)], env=env, check=True,
                           capture_output=True, text=True).stderr
    assert "lifnet: compiling kernels for this machine, once" in first
    assert "  mix ... done in" in first
    again = subprocess.run([sys.executable, "-c", code, str(tmp_path)], env=env, check=True,
                           capture_output=True, text=True).stderr
    assert "compiling" not in again
