"""An exclusive lock on an open file, shared between processes, chosen per platform.

POSIX (Linux, macOS): ``flock`` on the file itself. Windows: ``msvcrt.locking`` of one byte
far beyond the end of the file, so the lock never blocks readers of the data. The modules
are imported when a lock is taken, never at import time (the command line must import on
every platform).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

# Windows: the locked byte (beyond any real log; locking past the end of a file is allowed)
_WINDOWS_LOCK_OFFSET = 1 << 40
_WINDOWS_RETRY_S = 0.01


@contextmanager
def exclusive(fh: BinaryIO) -> Iterator[None]:
    """Hold an exclusive lock on ``fh`` (blocking until it is free) for the ``with`` body."""
    if sys.platform == "win32":
        with _windows_lock(fh):
            yield
        return
    import fcntl  # noqa: PLC0415 - POSIX only

    fcntl.flock(fh, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(fh, fcntl.LOCK_UN)


if sys.platform == "win32":  # pragma: no cover - Windows only

    @contextmanager
    def _windows_lock(fh: BinaryIO) -> Iterator[None]:
        import msvcrt  # noqa: PLC0415 - imported when used (never at import time)

        fd = fh.fileno()
        while True:
            os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
            try:
                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
                break
            except OSError:
                time.sleep(_WINDOWS_RETRY_S)
        try:
            yield
        finally:
            os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
            fh.seek(0, os.SEEK_END)
