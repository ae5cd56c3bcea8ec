# SPDX-License-Identifier: LGPL-2.1-or-later
"""Exceptions raised by ppy_py.

Every refusal by the kernel or by libcap-ng becomes a ``CapabilityError``
(an ``OSError``) whose message names the operation, the set and the
capability, e.g. ``cannot raise CAP_SYS_ADMIN in effective: not in the
permitted set``.  Where errno is EPERM or EACCES the exception is also a
``PermissionError``; where it is ENOENT, also a ``FileNotFoundError``, so
callers can catch either the ppy_py class or the builtin one.

Bad input (an unknown name, a number above the kernel's cap_last_cap) is a
``ValueError`` or ``TypeError`` raised before anything is changed.
"""

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable


class CapabilityError(OSError):
    """The kernel or libcap-ng refused a capability operation.

    ``errno`` is the kernel's error number, or None when nothing reported
    one (libcap-ng often fails without setting errno; the message says so).
    ``operation``, ``capset`` and ``caps`` repeat what the message says, for
    programs; ``capng_rc`` is libcap-ng's return code when it was involved.
    """

    def __init__(
        self,
        message: str,
        errno: "int | None" = None,
        *,
        operation: "str | None" = None,
        capset: "str | None" = None,
        caps: "Iterable[int]" = (),
        capng_rc: "int | None" = None,
        filename: "str | None" = None,
    ) -> None:
        if errno is None:
            super().__init__(message)
        elif filename is None:
            super().__init__(errno, message)
        else:
            super().__init__(errno, message, filename)
        self.message = message
        self.operation = operation
        self.capset = capset
        self.caps = tuple(caps)
        self.capng_rc = capng_rc

    def __str__(self) -> str:
        return self.message


class CapabilityPermissionError(CapabilityError, PermissionError):
    """A ``CapabilityError`` with errno EPERM or EACCES."""


class CapabilityNotFoundError(CapabilityError, FileNotFoundError):
    """A ``CapabilityError`` with errno ENOENT (a file that does not exist)."""


class ProcTitleError(CapabilityError, RuntimeError):
    """``set_proctitle`` found no argument area it may write (no /proc, or the area no
    longer holds the interpreter's argv).  Also a ``RuntimeError``, which python-prctl
    raises there."""


class ThreadedCredentialError(CapabilityError):
    """A process-wide credential change was asked while other threads exist.

    Linux keeps credentials per thread; changing them in one thread while
    others run would leave those others with the old uid or capabilities.
    """


def _class_for(err: int) -> "type[CapabilityError]":
    import errno  # only on the error path: keeps import ppy_py light

    if err in (errno.EPERM, errno.EACCES):
        return CapabilityPermissionError
    if err == errno.ENOENT:
        return CapabilityNotFoundError
    return CapabilityError


def errno_text(err: int) -> str:
    """``"Operation not permitted (EPERM)"`` for 1."""
    import errno

    name = errno.errorcode.get(err, "errno %d" % err)
    return "%s (%s)" % (os.strerror(err), name)


def capability_error(
    message: str,
    err: "int | None" = None,
    *,
    operation: "str | None" = None,
    capset: "str | None" = None,
    caps: "Iterable[int]" = (),
    capng_rc: "int | None" = None,
    filename: "str | None" = None,
) -> "CapabilityError":
    """Build (not raise) the right CapabilityError subclass for ``err``."""
    cls = _class_for(err) if err else CapabilityError
    return cls(
        message,
        err if err else None,
        operation=operation,
        capset=capset,
        caps=caps,
        capng_rc=capng_rc,
        filename=filename,
    )
