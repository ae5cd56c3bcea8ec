# SPDX-License-Identifier: LGPL-2.1-or-later
"""AppArmor profile and hat switching through the kernel's /proc interface.

No libapparmor, no ctypes: one ``write(2)`` of the same text libapparmor
writes (libapparmor/src/kernel.c):

* ``aa_change_profile(p)``  -> ``"changeprofile %s"``
* ``aa_change_hat(h, tok)`` -> ``"changehat %016lx^%s"`` (hat "" returns)

to ``/proc/thread-self/attr/apparmor/current`` (Linux 5.8+, the AppArmor
own directory), or ``/proc/thread-self/attr/current`` on older kernels when
AppArmor is the enabled major LSM.  AppArmor confinement is per task, so
this changes the calling thread; call it before starting threads.

In a forking server, switch in each worker after the fork::

    # gunicorn.conf.py
    def post_fork(server, worker):
        import ppy_py.apparmor
        ppy_py.apparmor.change_profile("myapp-worker")

    # celery
    from celery.signals import worker_process_init

    @worker_process_init.connect
    def _confine(**kwargs):
        import ppy_py.apparmor
        ppy_py.apparmor.change_profile("myapp-celery")

Errors are ``AppArmorError`` (a ``ppy_py.CapabilityError``, so an
``OSError``); ``AppArmorNotEnabledError`` when the kernel has no AppArmor.
"""

import errno
import os

from ._errors import CapabilityError, errno_text

__all__ = [
    "AppArmorError",
    "AppArmorNotEnabledError",
    "AppArmorPermissionError",
    "change_hat",
    "change_profile",
    "enabled",
]

_OWN_ATTR = "/proc/thread-self/attr/apparmor/current"
_SHARED_ATTR = "/proc/thread-self/attr/current"
_ENABLED = "/sys/module/apparmor/parameters/enabled"

#: Tests point this at a plain file to see exactly what would be written.
_attr_override: "str | None" = None


class AppArmorError(CapabilityError):
    """The kernel refused an AppArmor operation (errno says why)."""


class AppArmorNotEnabledError(AppArmorError):
    """AppArmor is not enabled on this kernel."""


class AppArmorPermissionError(AppArmorError, PermissionError):
    """An ``AppArmorError`` with errno EPERM or EACCES (policy refused)."""


def enabled() -> bool:
    """True when the kernel runs AppArmor (what aa_is_enabled() checks first)."""
    try:
        with open(_ENABLED) as f:
            return f.read(1) == "Y"
    except OSError:
        return False


def _not_enabled(err: int) -> AppArmorNotEnabledError:
    return AppArmorNotEnabledError(
        "AppArmor is not enabled on this kernel", err, operation="apparmor"
    )


def _attr_path() -> str:
    if _attr_override is not None:
        return _attr_override
    if os.path.exists(_OWN_ATTR):
        return _OWN_ATTR
    # The shared file belongs to whichever major LSM is active: write our
    # command there only when that is AppArmor (never to SELinux's).
    if enabled():
        return _SHARED_ATTR
    raise _not_enabled(errno.ENOENT)


def _write(command: str, operation: str) -> None:
    path = _attr_path()
    data = command.encode("utf-8", "surrogateescape")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    except OSError as e:
        if e.errno in (errno.ENOENT, errno.EINVAL, errno.ENOTDIR) and not enabled():
            raise _not_enabled(e.errno) from None
        raise _error(operation, e.errno or errno.EIO, path) from None
    try:
        try:
            n = os.write(fd, data)
        except OSError as e:
            if e.errno == errno.EINVAL and not enabled():
                raise _not_enabled(e.errno) from None
            raise _error(operation, e.errno or errno.EIO, path) from None
        if n != len(data):  # libapparmor treats a short write as EPROTO
            raise _error(operation, errno.EPROTO, path)
    finally:
        os.close(fd)


def _error(operation: str, err: int, path: str) -> AppArmorError:
    cls = AppArmorPermissionError if err in (errno.EPERM, errno.EACCES) else AppArmorError
    return cls("%s: %s" % (operation, errno_text(err)), err, operation=operation, filename=path)


def _check_name(kind: str, name: str) -> str:
    if not isinstance(name, str):
        raise TypeError("%s must be a str, not %s" % (kind, type(name).__name__))
    if "\0" in name or "\n" in name:
        raise ValueError("%s must not contain NUL or newline: %r" % (kind, name))
    if len(name.encode("utf-8", "surrogateescape")) > 4096:  # PATH_MAX, as libapparmor
        raise ValueError("%s is longer than 4096 bytes" % kind)
    return name


def change_profile(name: str) -> None:
    """Switch the calling thread to AppArmor profile ``name`` now (what
    aa_change_profile() does; the current profile must allow it with a
    ``change_profile -> name,`` rule)."""
    if not _check_name("profile name", name):
        raise ValueError("profile name must not be empty")
    _write("changeprofile " + name, "change_profile to %r" % name)


def change_hat(name: "str | None", token: int) -> None:
    """Enter hat ``name`` of the current profile with a secret ``token``
    (a nonzero 64-bit number, e.g. ``int.from_bytes(os.urandom(8), "big") or 1``),
    or, with ``name=None``, return to the parent profile given the same
    token (what aa_change_hat() does)."""
    if isinstance(token, bool) or not isinstance(token, int):
        raise TypeError("token must be an int")
    if not 0 <= token < 1 << 64:
        raise ValueError("token must fit in 64 unsigned bits")
    hat = "" if name is None else _check_name("hat name", name)
    if not token and not hat:
        raise ValueError("change_hat needs a hat name or a token")
    _write("changehat %016x^%s" % (token, hat), "change_hat to %r" % name)
