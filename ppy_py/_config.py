# SPDX-License-Identifier: LGPL-2.1-or-later
"""What a capped script acts on, held to the rule its code is held to."""
import os

from _ppy_sys import UntrustedCodeError
from _ppy_sys import origin_open as _origin_open

__all__ = ["UntrustedCodeError", "trusted_config", "trusted_directory"]


def trusted_config(path: str) -> str:
    """The text (UTF-8) of PATH, a file that only root or this process's user can have
    written: owned by one of them, writable by neither group nor others (mode or ACL), and
    so is every directory above it and every symlink on the way (walked hop by hop, as
    ppy walks the code it runs). The file is read through the descriptor that was checked.

    A script holding a capability takes what it acts on (which files, which port) from
    such a file rather than from its caller's arguments: anyone who may start it then
    gets only what root or its owner wrote down. PermissionError names what breaks the
    rule; a relative PATH is taken from the working directory (under ppy, the script's
    own directory).
    """
    fd = _origin_open(path, os.getuid())
    with open(fd, "rb") as f:
        return f.read().decode("utf-8")


def trusted_directory(path: str) -> int:
    """A descriptor (O_RDONLY | O_DIRECTORY, close-on-exec; the caller closes it) on PATH,
    a directory that only root or this process's user can write, under the same rule as
    trusted_config(). For what a script writes with a capability's help: create the file
    relative to it (``os.open(name, os.O_CREAT | os.O_EXCL ..., dir_fd=fd)``), where no one
    else can have put a file or link first. PermissionError names what breaks the rule."""
    return _origin_open(path, os.getuid(), True)
