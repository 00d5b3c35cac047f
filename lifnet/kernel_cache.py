"""Where lifnet's compiled kernels live, and the word a user gets while they compile.

Every numba kernel of lifnet is declared with this module's ``njit`` (not
numba's), which directs numba's on-disk cache to a folder of lifnet's own,
``$LIFNET_CACHE_DIR/kernels/<key>/`` if ``LIFNET_CACHE_DIR`` is set, else
``<user cache folder>/lifnet/kernels/<key>/`` (platformdirs:
``~/.cache/lifnet`` on Linux), and never the installed package: a cache
file left in ``site-packages/lifnet`` outlives ``pip uninstall`` and
shadows a later editable install. ``<key>`` names lifnet's version,
Python's and numba's, and a digest of every source file compiled code can
depend on (``kernel_sources``), so two versions (or an edited checkout)
never load each other's kernels, and a kernel whose inlined helpers changed
in another file is never reused (numba's own check looks at the kernel's
file only). Folders of other keys not used for ``STALE_DAYS`` are removed.

The folders are private (mode 0700) and must belong to the user. Where that
cannot be had, or where numba no longer takes a cache folder the way this
module sets it, lifnet warns once and compiles without a disk cache, in
memory, in each process: slower to start, never wrong.

Compiling takes seconds to tens of seconds, once per machine and model shape.
While a kernel compiles, a line on standard error says which and how long it
took last time (``compile-times.json`` beside the kernel folders), counting
the seconds on a terminal. ``LIFNET_QUIET=1`` silences it.
"""

import contextlib
import hashlib
import json
import os
import pathlib
import shutil
import sys
import threading
import time
import warnings
import weakref

import numba
from numba.core import event, sigutils

from . import __version__
from .numba_inlining import copy_in_one_piece

try:
    import fcntl
except ImportError:         # not POSIX: no lock between processes
    fcntl = None

copy_in_one_piece()

STALE_DAYS = 14
# Seconds a kernel took to compile on a 2-core virtual machine (AMD EPYC,
# 2026-12): the estimate until this machine has compiled it once.
TYPICAL_SECONDS = {"advance": 12.0, "serve": 12.0}
# What a user is told is compiling, by kernel name; others by their own name.
DESCRIPTIONS = {
    "advance": "the run loop and cell steps",
    "serve": "the second thread's step",
    "_bernoulli_rows": "random connections",
    "_fixed_indegree_csr": "connections of fixed in-degree",
    "draw_rows": "a connection rule",
    "draw_partners": "a connection rule",
}

_PACKAGE = pathlib.Path(__file__).resolve().parent
_KERNELS = weakref.WeakSet()     # every dispatcher made by this module's njit
_state = {"folder": None, "checked": False, "warned": False}
_lock = threading.Lock()


def kernel_sources():
    """The source files compiled code can depend on: every file of ``integrators/``
    (its layout constants are frozen into the kernels) and every file that
    defines a kernel. A constant a kernel reads must live in one of them."""
    own = pathlib.Path(__file__).resolve()
    return sorted(path for path in _PACKAGE.rglob("*.py") if path != own and (
        path.parent.name == "integrators" or b"njit" in path.read_bytes()))


def source_digest():
    """sha256 of the kernel sources (relative names and contents), hex."""
    digest = hashlib.sha256()
    for path in kernel_sources():
        digest.update(str(path.relative_to(_PACKAGE)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def cache_root():
    """lifnet's cache folder: $LIFNET_CACHE_DIR, else the platform's user cache folder."""
    given = os.environ.get("LIFNET_CACHE_DIR")
    if given:
        return pathlib.Path(given).expanduser()
    import platformdirs

    return pathlib.Path(platformdirs.user_cache_dir("lifnet", appauthor=False))


def key():
    """The name of this lifnet's kernel folder (version, Python, numba, source digest)."""
    python = f"py{sys.version_info[0]}{sys.version_info[1]}"
    return f"{__version__}-{python}-numba{numba.__version__}-{source_digest()[:16]}"


def _private_folder(path):
    """Make path (and its missing parents) with mode 0700; check it is the user's own."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = path.stat()
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise PermissionError(f"{path} belongs to another user (uid {info.st_uid})")
    if info.st_mode & 0o022:
        raise PermissionError(f"{path} is writable by others (mode {info.st_mode & 0o777:o})")
    return path


def kernel_folder():
    """This lifnet's kernel folder, made if missing; None where there can be none."""
    with _lock:
        if not _state["checked"]:
            _state["checked"] = True
            try:
                root = _private_folder(cache_root())
                folder = _private_folder(root / "kernels" / key())
                os.utime(folder)          # in use: not stale for STALE_DAYS
                _remove_stale(folder)
                _state["folder"] = folder
            except OSError as err:
                _warn(f"no private cache folder for compiled kernels ({err}); set "
                      "LIFNET_CACHE_DIR to a folder of your own")
        return _state["folder"]


def _remove_stale(current):
    limit = time.time() - STALE_DAYS * 86400.0
    for other in current.parent.iterdir():
        if other != current and other.is_dir():
            with contextlib.suppress(OSError):
                if other.stat().st_mtime < limit:
                    shutil.rmtree(other)


def _warn(message):
    if not _state["warned"]:
        _state["warned"] = True
        warnings.warn(f"lifnet: {message}; kernels compile in every process", stacklevel=3)


def _refcount_option():
    """Whether numba takes its (private) option to compile a kernel without reference
    counting; checked once, where numba's option table lists it."""
    try:
        from numba.core.cpu import CPUTargetOptions
    except ImportError:
        return False
    return hasattr(CPUTargetOptions, "_nrt")


REFCOUNT_OPTION = _refcount_option()


def njit(*args, refcount=None, **options):
    """numba's njit, with ``cache=True`` caching into lifnet's kernel folder.

    Where the folder cannot be had, or numba caches elsewhere than it was told,
    the kernel compiles uncached (one warning per process), so that nothing
    is ever written into the installed package.

    ``refcount=False``: compile without numba's reference counting, for the step
    kernels that allocate nothing and keep no array past the call (with it,
    every call pays an atomic increment and decrement per array of its
    NamedTuple arguments; numba then refuses an allocation, so none slips in).
    numba's option for it is private: where it is gone, kernels compile with
    reference counting (slower, the same results). ``refcount=True`` asks for it
    where a kernel called from such a one allocates.
    """
    if refcount is not None and REFCOUNT_OPTION:
        options["_nrt"] = refcount
    if args and callable(args[0]) and len(args) == 1:
        return njit(**options)(args[0])

    def decorate(func):
        dispatcher = _decorate(func)
        _KERNELS.add(dispatcher)
        if options.get("cache"):
            _one_process_at_a_time(dispatcher)
        return dispatcher

    def _decorate(func):
        if not options.get("cache"):
            return numba.njit(*args, **options)(func)
        folder = kernel_folder()
        if folder is not None:
            previous = getattr(numba.config, "CACHE_DIR", None)
            numba.config.CACHE_DIR = str(folder)
            try:
                dispatcher = numba.njit(*args, **options)(func)
            finally:
                numba.config.CACHE_DIR = previous
            path = getattr(getattr(dispatcher, "_cache", None), "cache_path", None)
            if path is not None and pathlib.Path(path).resolve().is_relative_to(folder.resolve()):
                return dispatcher
            _warn(f"numba {numba.__version__} did not take lifnet's cache folder for "
                  f"{func.__qualname__} (it chose {path})")
        return numba.njit(*args, **{**options, "cache": False})(func)

    return decorate


def _one_process_at_a_time(dispatcher):
    """Let one process at a time compile a signature of this kernel; the others wait
    and load its code from the disk cache.

    Processes that start alike (the workers of a test run, a sweep's runs) would
    otherwise compile the same kernels side by side: each a core's tens of
    seconds, all but one wasted. The lock is a file per kernel and signature in
    the kernel folder, taken after the in-memory check (a kernel called again
    takes no lock) and held while numba loads or compiles; numba then finds the
    other's code in its cache. A caller's signature lock is held while its
    callees compile, and callees never call their callers, so the locks are
    always taken in one order: no two processes wait for each other.
    """
    compile_here = dispatcher.compile
    func = dispatcher.py_func

    def compile_once(sig):
        folder = kernel_folder()
        arg_types, _ = sigutils.normalize_signature(sig)
        if fcntl is None or folder is None or tuple(arg_types) in dispatcher.overloads:
            return compile_here(sig)
        name = f"{func.__module__}.{func.__qualname__}{tuple(arg_types)}"
        locks = folder / "locks"
        locks.mkdir(mode=0o700, exist_ok=True)
        with open(locks / f"{hashlib.sha1(name.encode()).hexdigest()[:24]}.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                return compile_here(sig)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    dispatcher.compile = compile_once


class CompileNotice(event.Listener):
    """Says on standard error which kernel declared with this module's njit compiles (a
    user's mechanisms included), and how long it takes."""

    def __init__(self, stream=sys.stderr):
        self.stream = stream
        self.depth = 0
        self.top = None
        self.told = False

    def on_start(self, ev):
        self.depth += 1
        dispatcher = ev.data["dispatcher"]
        if self.depth != 1 or dispatcher not in _KERNELS:
            return
        if os.environ.get("LIFNET_QUIET"):
            return
        name = dispatcher.py_func.__name__
        # The same kernel takes 20 s for LIF cells and 50 s for conductance cells:
        # the estimate is this variant's last time, else the kernel's, else typical.
        variant = f"{name}-{hashlib.sha1(str(ev.data['args']).encode()).hexdigest()[:10]}"
        times = _compile_times()
        last = times.get(variant, times.get(name, TYPICAL_SECONDS.get(name)))
        about = f", about {last:.0f} s" if last and last >= 1.0 else ""
        if not self.told:
            self.told = True
            self._write(f"lifnet: compiling kernels for this machine, once (cached in "
                        f"{kernel_folder() or 'memory only'})\n")
        self.top = _Ticker(self.stream, f"  {DESCRIPTIONS.get(name, name)}{about}",
                           (name, variant))

    def on_end(self, ev):
        self.depth -= 1
        if self.depth == 0 and self.top is not None:
            self.top.stop()
            self.top = None

    def _write(self, text):
        with contextlib.suppress(OSError, ValueError):
            self.stream.write(text)
            self.stream.flush()


class _Ticker:
    """One kernel's line: counts seconds on a terminal, then says how long it took."""

    def __init__(self, stream, text, names):
        self.stream, self.text, self.names = stream, text, names
        self.t0 = time.perf_counter()
        self.live = getattr(stream, "isatty", lambda: False)()
        self.done = threading.Event()
        self.thread = None
        if self.live:
            self.thread = threading.Thread(target=self._tick, daemon=True)
            self.thread.start()

    def _tick(self):
        while not self.done.wait(1.0):
            self._line(f"{self.text} ... {time.perf_counter() - self.t0:.0f} s", end="")

    def _line(self, text, end):
        with contextlib.suppress(OSError, ValueError):
            self.stream.write(("\r" if self.live else "") + text + end)
            self.stream.flush()

    def stop(self):
        seconds = time.perf_counter() - self.t0
        self.done.set()
        if self.thread is not None:
            self.thread.join()
        self._line(f"{self.text} ... done in {seconds:.1f} s", end="\n")
        _record_compile_time(self.names, seconds)


def _times_file():
    folder = kernel_folder()
    return None if folder is None else folder.parent / "compile-times.json"


def _compile_times():
    path = _times_file()
    try:
        with open(path) as f:
            times = json.load(f)
        return {k: float(v) for k, v in times.items()} if isinstance(times, dict) else {}
    except (OSError, TypeError, ValueError):
        return {}


def _record_compile_time(names, seconds):
    path = _times_file()
    if path is None:
        return
    times = _compile_times()
    times.update({name: round(seconds, 1) for name in names})
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    with contextlib.suppress(OSError):
        tmp.write_text(json.dumps(times, indent=1, sort_keys=True))
        os.replace(tmp, path)


def compile_for(dispatcher, args):
    """Compile (or load) a kernel for these arguments now, before its first call.

    Where numba's cache files cannot be locked one by one (``_lock_index_files``
    found numba's internals moved, or the system has no ``fcntl``), the
    compilation holds a lock file of the kernel folder, so that no two
    processes save overloads of one kernel at once.
    """
    try:
        sig = tuple(numba.typeof(a) for a in args)
    except (TypeError, ValueError):
        return
    if sig in dispatcher.overloads:
        return
    folder = kernel_folder()
    if folder is None or _INDEX_LOCKS or fcntl is None:
        dispatcher.compile(sig)
        return
    with open(folder / "compile.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            dispatcher.compile(sig)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _lock_index_files():
    """Make numba read and write the index of each of lifnet's cached kernels under a lock.

    numba keeps one index file per kernel, mapping each compiled signature to
    a data file, and a process that saves a new overload rewrites the index
    whole: two processes saving different overloads of one kernel at once (a
    sweep whose runs differ in structure, tests side by side) could leave an
    entry naming the other's compiled code, and a process loading meanwhile
    could find an entry whose data file is not written yet. With this, a save
    (index and data) holds an exclusive lock on ``<index>.lock`` and a load a
    shared one; kernels of other packages are left alone. Returns False
    where numba's cache classes are not as expected (then ``compile_for``
    compiles one process at a time instead).
    """
    try:
        from numba.core.caching import IndexDataCacheFile
    except ImportError:
        return False
    save, load = getattr(IndexDataCacheFile, "save", None), getattr(IndexDataCacheFile,
                                                                     "load", None)
    if fcntl is None or save is None or load is None:
        return False
    if getattr(save, "lifnet_locked", False):
        return True

    def locked(method, mode):
        def call(self, *args):
            index = getattr(self, "_index_path", None)
            folder = _state["folder"]
            if index is None or folder is None or not str(index).startswith(str(folder)):
                return method(self, *args)
            with open(f"{index}.lock", "a") as lock:
                fcntl.flock(lock, mode)
                try:
                    return method(self, *args)
                finally:
                    fcntl.flock(lock, fcntl.LOCK_UN)
        call.lifnet_locked = True
        return call

    IndexDataCacheFile.save = locked(save, fcntl.LOCK_EX)
    IndexDataCacheFile.load = locked(load, fcntl.LOCK_SH)
    return True


def cached(dispatcher, args):
    """Whether a kernel has code for these arguments, in memory or in the disk cache.

    Uses numba's dispatcher internals; where they have moved, answers False
    (the caller then takes the choice that needs no new kernel).
    """
    try:
        sig = tuple(numba.typeof(a) for a in args)
        if sig in dispatcher.overloads:
            return True
        return dispatcher._cache.load_overload(sig, dispatcher.targetctx) is not None
    except Exception:  # noqa: BLE001 - any change in numba's internals means "not known"
        return False


event.register("numba:compile", CompileNotice())
_INDEX_LOCKS = _lock_index_files()
