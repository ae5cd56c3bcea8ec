# SPDX-License-Identifier: LGPL-2.1-or-later
"""Process attributes that matter for privilege hygiene (prctl(2)).

securebits, no_new_privs, the "dumpable" flag, keep-caps, the thread name,
the parent-death signal and the child-subreaper flag.  Every setter checks
prctl's result and reads the value back; every failure is a CapabilityError
naming the prctl option.  Like capabilities, securebits, keep-caps and the
name belong to the calling thread; dumpable, no_new_privs, pdeathsig and
subreaper are per thread too in the kernel, but inherited by new threads and
children as documented in prctl(2).
"""

import errno as _errno

from ._capng import ffi, lib
from ._state import capability_error, errno_text, setpcap_why

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Union

    from ._securebits import Securebits

    BitsLike = Union[int, str, Iterable[Union[int, str]]]


def _prctl(what: str, option: int, a2: int = 0, a3: int = 0) -> int:
    rc: int = lib.ppy_prctl(option, a2, a3, 0, 0)
    if rc < 0:
        raise capability_error(
            "cannot %s: %s" % (what, errno_text(-rc)), -rc, operation=what
        )
    return rc


def _prctl_get_int(what: str, option: int) -> int:
    out = ffi.new("int *")
    _prctl(what, option, int(ffi.cast("unsigned long", out)))
    return int(out[0])


def _check(what: str, got: object, want: object) -> None:
    if got != want:
        raise capability_error(
            "%s: the kernel reports %r after setting %r" % (what, got, want),
            None,
            operation=what,
        )


# ---- no_new_privs ------------------------------------------------------


def no_new_privs() -> bool:
    """PR_GET_NO_NEW_PRIVS: True once execve() can no longer grant privileges
    (setuid bits and file capabilities are ignored)."""
    return _prctl("read no_new_privs (PR_GET_NO_NEW_PRIVS)", lib.PR_GET_NO_NEW_PRIVS) == 1


def set_no_new_privs() -> None:
    """PR_SET_NO_NEW_PRIVS: for this thread, its future threads and children,
    execve() never grants privileges again.  Irreversible."""
    _prctl("set no_new_privs (PR_SET_NO_NEW_PRIVS)", lib.PR_SET_NO_NEW_PRIVS, 1)
    _check("set no_new_privs", no_new_privs(), True)


# ---- dumpable ------------------------------------------------------------


def dumpable() -> bool:
    """PR_GET_DUMPABLE: whether the process may dump core and be ptrace-
    attached by its own uid; /proc/PID files are owned by root when not."""
    return _prctl("read dumpable (PR_GET_DUMPABLE)", lib.PR_GET_DUMPABLE) == 1


def set_dumpable(value: bool) -> None:
    """PR_SET_DUMPABLE: False keeps same-uid processes from ptrace-attaching
    or reading /proc/PID/mem and disables core dumps.  execve() of an
    ordinary program resets it to True."""
    if not isinstance(value, bool):
        raise TypeError("set_dumpable() takes a bool, not %s" % type(value).__name__)
    _prctl("set dumpable (PR_SET_DUMPABLE)", lib.PR_SET_DUMPABLE, int(value))
    _check("set dumpable", dumpable(), value)


# ---- keep-caps -----------------------------------------------------------


def keep_caps() -> bool:
    """PR_GET_KEEPCAPS (the KEEP_CAPS securebit) of the calling thread."""
    return _prctl("read keep-caps (PR_GET_KEEPCAPS)", lib.PR_GET_KEEPCAPS) == 1


def set_keep_caps(value: bool) -> None:
    """PR_SET_KEEPCAPS: keep the permitted set when every uid changes from 0
    to non-zero (effective is still cleared).  execve() clears it."""
    if not isinstance(value, bool):
        raise TypeError("set_keep_caps() takes a bool, not %s" % type(value).__name__)
    _prctl("set keep-caps (PR_SET_KEEPCAPS)", lib.PR_SET_KEEPCAPS, int(value))
    _check("set keep-caps", keep_caps(), value)


# ---- name ----------------------------------------------------------------


def process_name() -> str:
    """PR_GET_NAME: the calling thread's name (``comm``, at most 15 bytes)."""
    buf = ffi.new("char[16]")
    _prctl("read the name (PR_GET_NAME)", lib.PR_GET_NAME, int(ffi.cast("unsigned long", buf)))
    return str(ffi.string(buf).decode("utf-8", "surrogateescape"))


def set_process_name(name: "str | bytes") -> None:
    """PR_SET_NAME: set the calling thread's name, as ps and top show it.

    The kernel keeps 15 bytes and would cut a longer name silently; here a
    longer name (or one with a NUL byte) raises ValueError instead.
    """
    if isinstance(name, str):
        data = name.encode("utf-8", "surrogateescape")
    elif isinstance(name, bytes):
        data = name
    else:
        raise TypeError("name must be str or bytes, not %s" % type(name).__name__)
    if b"\0" in data or len(data) > 15:
        raise ValueError("a thread name is at most 15 bytes without NUL: %r" % (name,))
    buf = ffi.new("char[16]", data)
    _prctl("set the name (PR_SET_NAME)", lib.PR_SET_NAME, int(ffi.cast("unsigned long", buf)))
    _check("set the name", process_name().encode("utf-8", "surrogateescape"), data)


# ---- pdeathsig -----------------------------------------------------------


def pdeathsig() -> int:
    """PR_GET_PDEATHSIG: the signal sent when the parent dies (0: none)."""
    return _prctl_get_int("read pdeathsig (PR_GET_PDEATHSIG)", lib.PR_GET_PDEATHSIG)


def set_pdeathsig(sig: int) -> None:
    """PR_SET_PDEATHSIG: get ``sig`` when the parent thread exits (0 clears).

    Cleared by the kernel on execve() of a setuid/file-capable program and
    when credentials change.
    """
    import signal  # here, not at import: it loads enum

    if isinstance(sig, bool) or not isinstance(sig, int) or not 0 <= sig < signal.NSIG:
        raise ValueError("not a signal number: %r" % (sig,))
    _prctl("set pdeathsig (PR_SET_PDEATHSIG)", lib.PR_SET_PDEATHSIG, int(sig))
    _check("set pdeathsig", pdeathsig(), int(sig))


# ---- child subreaper -----------------------------------------------------


def child_subreaper() -> bool:
    """PR_GET_CHILD_SUBREAPER."""
    return _prctl_get_int(
        "read child_subreaper (PR_GET_CHILD_SUBREAPER)", lib.PR_GET_CHILD_SUBREAPER
    ) != 0


def set_child_subreaper(value: bool) -> None:
    """PR_SET_CHILD_SUBREAPER: orphaned descendants are re-parented to this
    process instead of init, so it can wait() for them."""
    if not isinstance(value, bool):
        raise TypeError("set_child_subreaper() takes a bool, not %s" % type(value).__name__)
    _prctl("set child_subreaper (PR_SET_CHILD_SUBREAPER)", lib.PR_SET_CHILD_SUBREAPER, int(value))
    _check("set child_subreaper", child_subreaper(), value)


# ---- securebits ------------------------------------------------------------

_BASE = (
    lib.SECBIT_NOROOT | lib.SECBIT_NO_SETUID_FIXUP | lib.SECBIT_KEEP_CAPS
    | lib.SECBIT_NO_CAP_AMBIENT_RAISE
)
_ALL = _BASE | _BASE << 1


def _bits_of(bits: "BitsLike") -> int:
    from ._securebits import Securebits

    if isinstance(bits, bool):
        raise TypeError("securebits cannot be a bool")
    if isinstance(bits, int):
        value = int(bits)
    elif isinstance(bits, str):
        value = 0
        for part in bits.replace("|", ",").split(","):
            key = part.strip().upper()
            if key.startswith("SECBIT_"):
                key = key[7:]
            if not key:
                continue
            try:
                value |= Securebits[key]
            except KeyError:
                raise ValueError("unknown securebit %r" % part.strip()) from None
    else:
        value = 0
        for item in bits:
            value |= _bits_of(item)
    if value < 0 or value & ~_ALL:
        raise ValueError("not a securebits value: %#x" % value)
    return value


def _names(bits: int) -> str:
    from ._securebits import Securebits

    return "|".join(m.name or "?" for m in Securebits if m & bits) or "0"


class SecurebitsControl:
    """``ppy_py.securebits``: read and change the calling thread's securebits.

    ``securebits.get()`` returns a ``Securebits`` flag.  ``set()`` and
    ``clear()`` read the current value, change only the named bits, write
    it back (PR_SET_SECUREBITS needs CAP_SETPCAP in effective) and read it
    again to check.  ``set(bits, lock=True)`` also sets each named bit's
    ``*_LOCKED`` partner; ``lock(bits)`` locks bits at their current value.
    Attribute access gives the flag members: ``securebits.NOROOT``.
    """

    __slots__ = ()

    def get(self) -> "Securebits":
        """PR_GET_SECUREBITS."""
        from ._securebits import Securebits

        return Securebits(_prctl("read securebits (PR_GET_SECUREBITS)", lib.PR_GET_SECUREBITS))

    def _write(self, new: int, what: str) -> "Securebits":
        cur = int(self.get())
        if new == cur:
            return self.get()
        changed = cur ^ new
        # What the kernel refuses: a base bit whose lock is set, or a lock
        # bit being cleared.  Say which, instead of a bare EPERM.
        locked = (changed & _BASE & (cur >> 1)) | (changed & cur & ~_BASE)
        if locked:
            raise capability_error(
                "cannot %s securebits %s: locked" % (what, _names(locked)),
                _errno.EPERM,
                operation=what,
                capset="securebits",
            )
        rc = lib.ppy_prctl(lib.PR_SET_SECUREBITS, new, 0, 0, 0)
        if rc < 0:
            raise capability_error(
                "cannot %s securebits %s: %s" % (what, _names(changed), setpcap_why(-rc)),
                -rc,
                operation=what,
                capset="securebits",
            )
        after = self.get()
        _check("%s securebits" % what, int(after), new)
        return after

    def set(self, bits: "BitsLike", *, lock: bool = False) -> "Securebits":
        """Set ``bits`` (read-modify-write); with ``lock=True`` also lock them.
        Returns the new value."""
        value = _bits_of(bits)
        if lock:
            value |= (value & _BASE) << 1
        return self._write(int(self.get()) | value, "set")

    def clear(self, bits: "BitsLike") -> "Securebits":
        """Clear ``bits`` (read-modify-write).  Lock bits cannot be cleared."""
        return self._write(int(self.get()) & ~_bits_of(bits), "clear")

    def lock(self, bits: "BitsLike") -> "Securebits":
        """Lock the named base bits at their current value."""
        value = _bits_of(bits)
        return self._write(int(self.get()) | (value & _BASE) << 1 | (value & ~_BASE), "lock")

    def __getattr__(self, name: str) -> "Securebits":
        from ._securebits import Securebits

        try:
            return Securebits[name]
        except KeyError:
            raise AttributeError(name) from None

    def __repr__(self) -> str:
        return "<securebits %s>" % _names(int(self.get()))


securebits = SecurebitsControl()
