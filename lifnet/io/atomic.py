"""Write a file so that it is either complete or absent: a temporary file, then a rename."""

import contextlib
import os
import tempfile


@contextlib.contextmanager
def atomic_path(path, suffix=".tmp"):
    """Yield a temporary path next to ``path``; rename it to ``path`` if the block succeeds."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(suffix=suffix, dir=folder)
    os.close(fd)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
