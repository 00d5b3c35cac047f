"""Write a file so that it is either complete or absent: a temporary file, then a rename."""

import contextlib
import io
import os
import shutil
import tempfile


@contextlib.contextmanager
def atomic_path(path, suffix=".tmp"):
    """Yield a temporary path next to ``path``; rename it to ``path`` if the block succeeds."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(suffix=suffix, dir=folder)
    os.close(fd)
    try:
        os.chmod(tmp, 0o666 & ~_umask())   # mkstemp's 0600 is not what open() would give
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_bytes(path, data):
    """Write ``data`` to ``path`` whole or not at all, with room checked first.

    A full disk or a folder that cannot be written is an ``OSError`` that says
    which file and how much room it needed; no temporary file is left, and a
    file already at ``path`` is left as it was.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    free = shutil.disk_usage(folder).free
    if len(data) > free:
        raise OSError(f"cannot write {path}: it needs {len(data)} bytes and {folder} has "
                      f"{free} free; nothing was written")
    try:
        with atomic_path(path, suffix=".part") as tmp, open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except OSError as err:
        raise OSError(err.errno, f"cannot write {path} ({len(data)} bytes): {err.strerror}; "
                      "nothing was written") from None


@contextlib.contextmanager
def hdf5_file(path):
    """Yield a new HDF5 file (h5py) built in memory; on success it is written to ``path``.

    HDF5's own writer can crash the process when the disk fills while it
    closes a file; built in memory, the file reaches the disk through
    ``write_bytes``, which fails cleanly instead.
    """
    import h5py

    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        yield f
    write_bytes(path, buffer.getvalue())
