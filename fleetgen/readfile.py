"""Reading an input file without hanging on what is not a file.

Owns: `read_regular`, which every reader of the fleet's inputs (specs, addon folders, fleetgen.yaml,
the cache's content keys) goes through. A FIFO named `clusters/x.yaml` would block a plain `open`
forever, and a device would stream without end; here they are refused with one clear reason.
Must not import anything heavier than `os`.
"""

from __future__ import annotations

import errno
import os
import stat


class NotRegularFileError(OSError):
    """The path is a FIFO, a socket, a device or a folder: nothing fleetgen reads as an input.

    Its `strerror` names what it is, e.g. "not a regular file (a FIFO)"."""


_WHAT = {stat.S_IFIFO: "a FIFO", stat.S_IFSOCK: "a socket", stat.S_IFCHR: "a character device",
         stat.S_IFBLK: "a block device", stat.S_IFDIR: "a folder"}


def read_regular(path: str | os.PathLike[str]) -> bytes:
    """The bytes of the regular file at `path` (symlinks followed).

    Opened non-blocking, then checked with fstat before anything is read, so a FIFO never blocks.

    Raises:
        NotRegularFileError: `path` is not a regular file (`strerror` says what it is).
        OSError: it cannot be opened or read (missing, permission denied, ...).
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            what = _WHAT.get(stat.S_IFMT(mode), "not a file")
            raise NotRegularFileError(errno.EINVAL, f"not a regular file ({what})", os.fspath(path))
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=True) as fh:
            fd = -1
            return fh.read()
    finally:
        if fd >= 0:
            os.close(fd)
