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
from _signal import NSIG as _NSIG  # signal's C half, loaded at start-up (signal loads enum)

from . import _ppy_prctl as _c

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Union

    from ._errors import CapabilityError
    from ._securebits import Securebits

    BitsLike = Union[int, str, Iterable[Union[int, str]]]


# Errors are built only when something fails: a program that never fails never loads
# the exceptions module (or cffi, which _state needs).
def capability_error(
    message: str, err: "int | None", *, operation: str, capset: "str | None" = None
) -> "CapabilityError":
    from ._errors import capability_error as build

    return build(message, err, operation=operation, capset=capset)


def errno_text(err: int) -> str:
    from ._errors import errno_text as text

    return text(err)


def _failed(what: str, result: object) -> "CapabilityError":
    """The error for a _ppy_prctl result: -errno, or (errno,) when the read-back of a
    setter failed."""
    if isinstance(result, tuple):
        return capability_error(
            "cannot %s: reading it back failed: %s" % (what, errno_text(result[0])),
            result[0],
            operation=what,
        )
    err = -result if isinstance(result, int) and result < 0 else 0
    return capability_error("cannot %s: %s" % (what, errno_text(err) if err else repr(result)),
                            err or None, operation=what)


_get = _c.get
_get_int = _c.get_int
# Each checked setter: one C call that sets, then reads the value back (see prctlmodule.c).
_SET_NO_NEW_PRIVS = _c.bind_checked(_c.PR_SET_NO_NEW_PRIVS, _c.PR_GET_NO_NEW_PRIVS, False)
_SET_DUMPABLE = _c.bind_checked(_c.PR_SET_DUMPABLE, _c.PR_GET_DUMPABLE, False)
_SET_KEEPCAPS = _c.bind_checked(_c.PR_SET_KEEPCAPS, _c.PR_GET_KEEPCAPS, False)
_SET_PDEATHSIG = _c.bind_checked(_c.PR_SET_PDEATHSIG, _c.PR_GET_PDEATHSIG, True)
_SET_CHILD_SUBREAPER = _c.bind_checked(_c.PR_SET_CHILD_SUBREAPER, _c.PR_GET_CHILD_SUBREAPER, True)


def _check(what: str, got: object, want: object) -> None:
    if got != want:
        if isinstance(got, tuple) or (isinstance(got, int) and got < 0):
            raise _failed(what, got)
        raise capability_error(
            "%s: the kernel reports %r after setting %r" % (what, got, want),
            None,
            operation=what,
        )


# ---- no_new_privs ------------------------------------------------------


def no_new_privs() -> bool:
    """PR_GET_NO_NEW_PRIVS: True once execve() can no longer grant privileges
    (setuid bits and file capabilities are ignored)."""
    r: int = _get(_c.PR_GET_NO_NEW_PRIVS)
    if r < 0:
        raise _failed("read no_new_privs (PR_GET_NO_NEW_PRIVS)", r)
    return r == 1


def set_no_new_privs() -> None:
    """PR_SET_NO_NEW_PRIVS: for this thread, its future threads and children,
    execve() never grants privileges again.  Irreversible.  Read back and checked."""
    _check("set no_new_privs (PR_SET_NO_NEW_PRIVS)",
           _SET_NO_NEW_PRIVS(1), 1)


# ---- dumpable ------------------------------------------------------------


def dumpable() -> bool:
    """PR_GET_DUMPABLE: whether the process may dump core and be ptrace-
    attached by its own uid; /proc/PID files are owned by root when not."""
    r: int = _get(_c.PR_GET_DUMPABLE)
    if r < 0:
        raise _failed("read dumpable (PR_GET_DUMPABLE)", r)
    return r == 1


def set_dumpable(value: bool) -> None:
    """PR_SET_DUMPABLE: False keeps same-uid processes from ptrace-attaching
    or reading /proc/PID/mem and disables core dumps.  execve() of an
    ordinary program resets it to True.  Read back and checked."""
    if value.__class__ is not bool:
        raise TypeError("set_dumpable() takes a bool, not %s" % type(value).__name__)
    r = _SET_DUMPABLE(value)
    if r != value:
        _check("set dumpable (PR_SET_DUMPABLE)", r, int(value))


# ---- keep-caps -----------------------------------------------------------


def keep_caps() -> bool:
    """PR_GET_KEEPCAPS (the KEEP_CAPS securebit) of the calling thread."""
    r: int = _get(_c.PR_GET_KEEPCAPS)
    if r < 0:
        raise _failed("read keep-caps (PR_GET_KEEPCAPS)", r)
    return r == 1


def set_keep_caps(value: bool) -> None:
    """PR_SET_KEEPCAPS: keep the permitted set when every uid changes from 0
    to non-zero (effective is still cleared).  execve() clears it.  Read back
    and checked."""
    if value.__class__ is not bool:
        raise TypeError("set_keep_caps() takes a bool, not %s" % type(value).__name__)
    r = _SET_KEEPCAPS(value)
    if r != value:
        _check("set keep-caps (PR_SET_KEEPCAPS)", r, int(value))


# ---- name ----------------------------------------------------------------


def process_name() -> str:
    """PR_GET_NAME: the calling thread's name (``comm``, at most 15 bytes)."""
    r = _c.get_name()
    if r.__class__ is not str:
        raise _failed("read the name (PR_GET_NAME)", r)
    return r


def set_process_name(name: "str | bytes") -> None:
    """PR_SET_NAME: set the calling thread's name, as ps and top show it.

    The kernel keeps 15 bytes and would cut a longer name silently; here a
    longer name (or one with a NUL byte) raises ValueError instead.  Read back
    and checked.
    """
    if isinstance(name, str):
        data = name.encode("utf-8", "surrogateescape")
    elif isinstance(name, bytes):
        data = name
    else:
        raise TypeError("name must be str or bytes, not %s" % type(name).__name__)
    if b"\0" in data or len(data) > 15:
        raise ValueError("a thread name is at most 15 bytes without NUL: %r" % (name,))
    r = _c.set_name(data)
    if r != data:
        _check("set the name (PR_SET_NAME)", r, data)


# ---- pdeathsig -----------------------------------------------------------


def pdeathsig() -> int:
    """PR_GET_PDEATHSIG: the signal sent when the parent dies (0: none)."""
    r: int = _get_int(_c.PR_GET_PDEATHSIG)
    if r < 0:
        raise _failed("read pdeathsig (PR_GET_PDEATHSIG)", r)
    return r


def set_pdeathsig(sig: int) -> None:
    """PR_SET_PDEATHSIG: get ``sig`` when the parent thread exits (0 clears).

    Cleared by the kernel on execve() of a setuid/file-capable program and
    when credentials change.  Read back and checked.
    """
    if sig.__class__ is not int:
        if isinstance(sig, bool) or not isinstance(sig, int):
            raise ValueError("not a signal number: %r" % (sig,))
        sig = int(sig)  # signal.Signals
    if not 0 <= sig < _NSIG:
        raise ValueError("not a signal number: %r" % (sig,))
    r = _SET_PDEATHSIG(sig)
    if r != sig:
        _check("set pdeathsig (PR_SET_PDEATHSIG)", r, sig)


# ---- child subreaper -----------------------------------------------------


def child_subreaper() -> bool:
    """PR_GET_CHILD_SUBREAPER."""
    r: int = _get_int(_c.PR_GET_CHILD_SUBREAPER)
    if r < 0:
        raise _failed("read child_subreaper (PR_GET_CHILD_SUBREAPER)", r)
    return r != 0


def set_child_subreaper(value: bool) -> None:
    """PR_SET_CHILD_SUBREAPER: orphaned descendants are re-parented to this
    process instead of init, so it can wait() for them.  Read back and checked."""
    if value.__class__ is not bool:
        raise TypeError("set_child_subreaper() takes a bool, not %s" % type(value).__name__)
    r = _SET_CHILD_SUBREAPER(value)
    if r != value:
        _check("set child_subreaper (PR_SET_CHILD_SUBREAPER)", r, int(value))


# ---- securebits ------------------------------------------------------------

_BASE = (
    _c.SECBIT_NOROOT | _c.SECBIT_NO_SETUID_FIXUP | _c.SECBIT_KEEP_CAPS
    | _c.SECBIT_NO_CAP_AMBIENT_RAISE
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


_SECUREBITS: "dict[int, Securebits]" = {}


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
        r: int = _c.get(_c.PR_GET_SECUREBITS)
        try:
            return _SECUREBITS[r]
        except KeyError:
            pass
        if r < 0:
            raise _failed("read securebits (PR_GET_SECUREBITS)", r)
        from ._securebits import Securebits

        # Building an IntFlag costs about 1 us; there are only 256 values.
        _SECUREBITS[r] = bits = Securebits(r)
        return bits

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
        rc: int = _c.call(_c.PR_SET_SECUREBITS, new)
        if rc < 0:
            from ._state import setpcap_why

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
