# SPDX-License-Identifier: LGPL-2.1-or-later
"""Reading and changing the capability sets of the calling thread.

Linux keeps five capability sets per *thread* (capabilities(7)):

* permitted   -- the most this thread may ever have effective again;
* effective   -- what the kernel checks right now;
* inheritable -- kept across execve() when the program's file allows it;
* ambient     -- kept across execve() of any program that is not setuid or
  file-capable; always a subset of permitted and inheritable;
* bounding    -- a limit on what execve() can add to permitted.

Every call here acts on the calling thread only, as capset(2) does.  Raising
and lowering the effective set is one capget + one capset inside one C call
(``_ppy_sys``, which keeps the GIL: cheaper than a cffi call);
nothing is cached, so a change made by other code is never overwritten.
"""

import errno as _errno

import _ppy_sys

try:
    from ._capng import ffi, lib
except ImportError:   # no cffi backend in this interpreter, or ppy_py built for another
    ffi = lib = None  # Python: everything but another process's state goes through _ppy_sys

# prctl(2) options and flags (linux/prctl.h, linux/securebits.h), for _ppy_sys.prctl.
PR_GET_KEEPCAPS, PR_CAPBSET_READ, PR_CAPBSET_DROP, PR_GET_SECUREBITS = 7, 23, 24, 27
PR_GET_NO_NEW_PRIVS, PR_CAP_AMBIENT = 39, 47
PR_CAP_AMBIENT_IS_SET, PR_CAP_AMBIENT_RAISE, PR_CAP_AMBIENT_LOWER = 1, 2, 3
PR_CAP_AMBIENT_CLEAR_ALL, SECBIT_NO_CAP_AMBIENT_RAISE = 4, 1 << 6
_prctl = _ppy_sys.prctl   # its result, or -errno, as capng_helpers.c's ppy_prctl
from _ppy_sys import Scope as _Scope
from _ppy_sys import eff_lower as _lower
from _ppy_sys import eff_raise as _raise
from ._caps import (
    ALL_MASK,
    EMPTY,
    LAST_CAP,
    Cap,
    CapSet,
    _from_mask,
    caps_of_mask,
    macros,
    mask_of,
    parse_cap,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from typing import Any, TypeVar

    from ._caps import CapLike
    from ._errors import CapabilityError
    from ._securebits import Securebits

    F = TypeVar("F", bound=Callable[..., Any])


# The exceptions module is imported only when an error is built: a capped
# script that never fails never loads it (about 0.2 ms of start-up).
def capability_error(
    message: str,
    err: "int | None" = None,
    *,
    operation: "str | None" = None,
    capset: "str | None" = None,
    caps: "Iterable[int]" = (),
    capng_rc: "int | None" = None,
) -> "CapabilityError":
    from ._errors import capability_error as build

    return build(
        message, err, operation=operation, capset=capset, caps=caps, capng_rc=capng_rc
    )


def errno_text(err: int) -> str:
    from ._errors import errno_text as text

    return text(err)


_STEP_NAMES = {} if lib is None else {
    lib.PPY_STEP_CAPGET: "capget",
    lib.PPY_STEP_BOUNDING: "PR_CAPBSET_READ",
    lib.PPY_STEP_AMBIENT: "PR_CAP_AMBIENT_IS_SET",
    lib.PPY_STEP_SECUREBITS: "PR_GET_SECUREBITS",
    lib.PPY_STEP_NO_NEW_PRIVS: "PR_GET_NO_NEW_PRIVS",
    lib.PPY_STEP_KEEPCAPS: "PR_GET_KEEPCAPS",
    lib.PPY_STEP_LIBCAPNG: "libcap-ng capng_get_caps_process",
}


class CapState:
    """A snapshot of one thread's capability state.

    ``effective``, ``permitted``, ``inheritable``, ``bounding`` and
    ``ambient`` are ``CapSet``; ``securebits`` is a ``Securebits`` flag,
    ``no_new_privs`` and ``keep_caps`` are bools.  For another process
    (``CapState.for_pid``) the kernel does not publish securebits or
    keep-caps: those are None there.
    """

    __slots__ = (
        "effective",
        "permitted",
        "inheritable",
        "bounding",
        "ambient",
        "securebits_raw",
        "no_new_privs",
        "keep_caps",
        "pid",
    )

    effective: "CapSet"
    permitted: "CapSet"
    inheritable: "CapSet"
    bounding: "CapSet"
    ambient: "CapSet"
    securebits_raw: "int | None"
    no_new_privs: "bool | None"
    keep_caps: "bool | None"
    pid: "int | None"

    def __init__(
        self,
        effective: "CapSet" = EMPTY,
        permitted: "CapSet" = EMPTY,
        inheritable: "CapSet" = EMPTY,
        bounding: "CapSet" = EMPTY,
        ambient: "CapSet" = EMPTY,
        securebits: "int | None" = 0,
        no_new_privs: "bool | None" = False,
        keep_caps: "bool | None" = False,
        pid: "int | None" = None,
    ) -> None:
        self.effective = CapSet(effective)
        self.permitted = CapSet(permitted)
        self.inheritable = CapSet(inheritable)
        self.bounding = CapSet(bounding)
        self.ambient = CapSet(ambient)
        self.securebits_raw = None if securebits is None else int(securebits)
        self.no_new_privs = no_new_privs
        self.keep_caps = keep_caps
        self.pid = pid

    @classmethod
    def current(cls) -> "CapState":
        """The calling thread's state, read from the kernel (capget + prctl)."""
        return current()

    @classmethod
    def for_pid(cls, pid: int) -> "CapState":
        """Another process's sets, read through libcap-ng (capget(2) and
        /proc/PID/status).  ``securebits`` and ``keep_caps`` are None: the
        kernel does not publish them for other processes.
        """
        if isinstance(pid, bool) or not isinstance(pid, int) or pid <= 0:
            raise ValueError("pid must be a positive int, not %r" % (pid,))
        if lib is None:
            raise ImportError("CapState.for_pid needs libcap-ng through cffi: install cffi "
                              "in this interpreter (python3-cffi-backend, or pip install "
                              "cffi), or build ppy_py for this Python")
        st = ffi.new("struct ppy_state *")
        rc = lib.ppy_read_pid(pid, st, LAST_CAP)
        if rc != 0:
            err = -rc
            how = "" if st.capng_rc == 0 else " (libcap-ng returned %d)" % st.capng_rc
            if st.capng_rc and err == 5:
                how += "; libcap-ng set no errno"
            raise capability_error(
                "cannot read the capabilities of process %d: %s%s"
                % (pid, errno_text(err), how),
                err,
                operation="read",
                capng_rc=st.capng_rc or None,
            )
        return cls(
            _from_mask(st.effective),
            _from_mask(st.permitted),
            _from_mask(st.inheritable),
            _from_mask(st.bounding & ALL_MASK),
            _from_mask(st.ambient),
            None,
            _read_status_nnp(pid),
            None,
            pid,
        )

    @property
    def securebits(self) -> "Securebits | None":
        """The securebits as a ``Securebits`` flag (None for another process)."""
        if self.securebits_raw is None:
            return None
        from ._securebits import Securebits

        return Securebits(self.securebits_raw)

    def __setattr__(self, name: str, value: object) -> None:
        if hasattr(self, "pid"):
            raise AttributeError("CapState is immutable")
        object.__setattr__(self, name, value)

    def _key(self) -> "tuple[object, ...]":
        return (
            self.effective,
            self.permitted,
            self.inheritable,
            self.bounding,
            self.ambient,
            self.securebits_raw,
            self.no_new_privs,
            self.keep_caps,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CapState):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def to_text(self) -> str:
        """libcap-style text of E/P/I, as ``getpcaps`` prints it:
        ``"cap_chown,cap_kill=eip cap_net_raw=p"``; ``"="`` when empty."""
        return flags_text(
            self.effective.mask, self.permitted.mask, self.inheritable.mask
        )

    def __repr__(self) -> str:
        bits = "?" if self.securebits_raw is None else "%#x" % self.securebits_raw
        return (
            "CapState(effective=%r, permitted=%r, inheritable=%r, bounding=%r, "
            "ambient=%r, securebits=%s, no_new_privs=%r, keep_caps=%r)"
            % (
                str(self.effective),
                str(self.permitted),
                str(self.inheritable),
                str(self.bounding),
                str(self.ambient),
                bits,
                self.no_new_privs,
                self.keep_caps,
            )
        )


def flags_text(e: int, p: int, i: int) -> str:
    """Group capabilities by their e/i/p flags: ``"cap_a=ep cap_b=i"``."""
    groups: "dict[str, list[str]]" = {}
    for cap in caps_of_mask(e | p | i):
        bit = 1 << cap
        flags = ("e" if e & bit else "") + ("i" if i & bit else "") + ("p" if p & bit else "")
        groups.setdefault(flags, []).append(str(cap))
    if not groups:
        return "="
    return " ".join(",".join(names) + "=" + flags for flags, names in groups.items())


def _read_status_nnp(pid: int) -> "bool | None":
    try:
        with open("/proc/%d/status" % pid, "rb") as f:
            for line in f:
                if line.startswith(b"NoNewPrivs:"):
                    return line.split()[1] == b"1"
    except OSError:
        return None
    return None


def current() -> "CapState":
    """The calling thread's capability state, read from the kernel now.

    capget(2) for effective/permitted/inheritable, PR_CAPBSET_READ and
    PR_CAP_AMBIENT_IS_SET for every capability up to cap_last_cap,
    PR_GET_SECUREBITS, PR_GET_NO_NEW_PRIVS and PR_GET_KEEPCAPS (in one C call through
    cffi where the interpreter has its backend, else through _ppy_sys).
    """
    if lib is None:
        return _current_sys()
    st = ffi.new("struct ppy_state *")
    rc = lib.ppy_read_state(st, LAST_CAP)
    if rc != 0:
        step = _STEP_NAMES.get(st.failed_step, "?")
        raise capability_error(
            "cannot read the capability state (%s): %s" % (step, errno_text(-rc)),
            -rc,
            operation="read",
        )
    return CapState(
        _from_mask(st.effective),
        _from_mask(st.permitted),
        _from_mask(st.inheritable),
        _from_mask(st.bounding),
        _from_mask(st.ambient),
        st.securebits,
        bool(st.no_new_privs),
        bool(st.keep_caps),
    )


def _current_sys() -> "CapState":
    """current() through _ppy_sys, the same calls in the same order, for an interpreter
    without cffi's backend."""
    e, p, i = _capget()
    bounding = ambient = 0
    values = []
    for cap in range(min(LAST_CAP, 63) + 1):
        rc = _prctl(PR_CAPBSET_READ, cap)
        if rc < 0:
            return _read_failed("PR_CAPBSET_READ", rc)
        bounding |= (rc != 0) << cap
        if (p & i) >> cap & 1:   # ambient stays within permitted & inheritable
            rc = _prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap)
            if rc < 0:
                return _read_failed("PR_CAP_AMBIENT_IS_SET", rc)
            ambient |= (rc != 0) << cap
    for option, name in ((PR_GET_SECUREBITS, "PR_GET_SECUREBITS"),
                         (PR_GET_NO_NEW_PRIVS, "PR_GET_NO_NEW_PRIVS"),
                         (PR_GET_KEEPCAPS, "PR_GET_KEEPCAPS")):
        rc = _prctl(option)
        if rc < 0:
            return _read_failed(name, rc)
        values.append(rc)
    return CapState(_from_mask(e), _from_mask(p), _from_mask(i), _from_mask(bounding),
                    _from_mask(ambient), values[0], bool(values[1]), bool(values[2]))


def _read_failed(step: str, rc: int) -> "CapState":
    raise capability_error("cannot read the capability state (%s): %s"
                           % (step, errno_text(-rc)), -rc, operation="read")


def _capget() -> "tuple[int, int, int]":
    caps = _ppy_sys.capget()
    if not isinstance(caps, tuple):
        raise capability_error(
            "cannot read capabilities (capget): %s" % errno_text(-caps), -caps,
            operation="read")
    return caps


def setpcap_why(err: int) -> str:
    """Why a change that needs CAP_SETPCAP (bounding set, securebits) failed with ERR:
    EPERM without CAP_SETPCAP in the effective set says so; otherwise the errno."""
    if err == _errno.EPERM:
        e, _, _ = _capget()
        if not e >> Cap.SETPCAP & 1:
            return "CAP_SETPCAP is not in the effective set"
    return errno_text(err)


def _capset(e: int, p: int, i: int, verb: str, where: str, capset: str, mask: int) -> None:
    """capset(2), or raise "cannot <verb> <caps> <where>: <errno>"."""
    rc = _ppy_sys.capset(e, p, i)
    if rc != 0:
        raise capability_error(
            "cannot %s %s %s: %s" % (verb, macros(mask), where, errno_text(-rc)),
            -rc,
            operation=verb,
            capset=capset,
            caps=caps_of_mask(mask),
        )


def _raise_failed(mask: int, err: int) -> "BaseException":
    """Explain why raising ``mask`` in effective failed."""
    try:
        _, p, _ = _capget()
    except OSError as exc:
        return exc
    missing = mask & ~p
    if missing:
        return capability_error(
            "cannot raise %s in effective: not in the permitted set" % macros(missing),
            err,
            operation="raise",
            capset="effective",
            caps=caps_of_mask(missing),
        )
    return capability_error(
        "cannot raise %s in effective: %s" % (macros(mask), errno_text(err)),
        err,
        operation="raise",
        capset="effective",
        caps=caps_of_mask(mask),
    )


def _lower_failed(mask: int, rc: int) -> "BaseException":
    return capability_error(
        "cannot lower %s in effective: %s" % (macros(mask), errno_text(-rc)),
        -rc,
        operation="lower",
        capset="effective",
        caps=caps_of_mask(mask),
    )


def raise_caps(*caps: "CapLike | CapSet") -> "CapSet":
    """Add ``caps`` to the effective set of the calling thread.

    Each must already be in the permitted set (the kernel never lets the
    effective set grow beyond it); otherwise ``CapabilityError`` (EPERM)
    names the missing ones and nothing changes.  Returns the caps that were
    not effective before (what ``lower_caps`` must undo).
    """
    mask = _mask_of(caps)
    added = _raise(mask)
    if added < 0:
        raise _raise_failed(mask, -added)
    return _from_mask(added)


def lower_caps(*caps: "CapLike | CapSet") -> None:
    """Remove ``caps`` from the effective set; they stay permitted, so
    ``raise_caps`` can bring them back.  Lowering a cap that is not
    effective is not an error."""
    mask = _mask_of(caps)
    if mask:
        rc = _lower(mask)
        if rc != 0:
            raise _lower_failed(mask, rc)


class raised(_Scope):
    """Context manager and decorator: ``caps`` effective inside, as before after.

    ``with raised(Cap.NET_BIND_SERVICE): sock.bind(("", 80))`` adds the caps
    to the effective set of the calling thread on entry and, on exit (also
    on error), removes again exactly those it added: a cap that was already
    effective stays effective, so nesting works.  A cap missing from the
    permitted set raises ``CapabilityError`` on entry.  Failing to lower
    on exit raises too, never silently.

    One ``raised`` object may be entered again while inside it, and by
    several threads at once: each thread's entries are kept apart, since
    each thread has its own effective set.  Entering and leaving are done in
    C (``_ppy_sys.Scope``), one capget and at most one capset each.

    As a decorator (``@raised(...)`` or ``@requires(...)``) each call raises
    and lowers on its own.  Coroutine and generator functions are refused:
    their bodies run interleaved with other code on the same thread, which
    would run with the caps raised.  For the same reason, do not ``yield``
    or ``await`` inside ``with raised(...)``: the caps stay raised while
    other code runs, and a suspended block left last undoes the entries of
    one object in the wrong order.  An entry belongs to the thread that made
    it; a thread that ends inside a block leaves its entry behind (and its
    caps go with the thread).
    """

    __slots__ = ()

    if TYPE_CHECKING:  # the C __new__ (Scope): from its own cache, else _parse

        def __new__(cls, *caps: "CapLike | CapSet") -> "raised": ...

    # Called by the C __new__ and mask_of() for arguments not in their cache (which
    # keeps only all-str ones: a bool or float would compare equal to a Cap).
    _parse = staticmethod(mask_of)

    @property
    def caps(self) -> "CapSet":
        return _from_mask(self._mask)

    # Called by the C __enter__/__exit__ when the kernel refuses.
    def _enter_failed(self, err: int) -> None:
        raise _raise_failed(self._mask, err)

    def _exit_failed(self, added: int, err: int) -> None:
        raise _lower_failed(added, -err)

    def __call__(self, func: "F") -> "F":
        code = getattr(func, "__code__", None)
        # CO_GENERATOR | CO_COROUTINE | CO_ITERABLE_COROUTINE | CO_ASYNC_GENERATOR
        if code is not None and code.co_flags & (0x20 | 0x80 | 0x100 | 0x200):
            raise TypeError(
                "cannot hold capabilities around %s: it is a generator or "
                "coroutine function, whose body runs interleaved with other code "
                "in the same thread" % getattr(func, "__qualname__", func)
            )
        scope = self

        def wrapper(*args: "Any", **kwargs: "Any") -> "Any":
            # The C __enter__ raises and records in one call, so no Python signal
            # handler can run between the two and leave the caps raised.
            with scope:
                return func(*args, **kwargs)

        for attr in ("__module__", "__name__", "__qualname__", "__doc__"):
            try:
                setattr(wrapper, attr, getattr(func, attr))
            except AttributeError:
                pass
        wrapper.__dict__.update(getattr(func, "__dict__", {}))
        wrapper.__wrapped__ = func  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    def __repr__(self) -> str:
        return "raised(%r)" % str(_from_mask(self._mask))


# raise_caps("net_bind_service") and lower_caps(...) parse their names once, through
# raised()'s cache (kept in _ppy_sys).
_mask_of = raised.mask_of


def requires(*caps: "CapLike | CapSet") -> "raised":
    """Decorator: ``@requires("net_bind_service")`` holds the caps raised
    for the duration of each call (see ``raised``)."""
    return raised(*caps)


def clear_inheritable() -> None:
    """Empty the inheritable set of the calling thread.

    capset(2) also drops every ambient capability, since the kernel keeps
    ambient a subset of inheritable.  Effective and permitted are kept.
    """
    e, p, i = _capget()
    if i:
        _capset(e, p, 0, "clear", "from inheritable", "inheritable", i)


def drop_caps(*caps: "CapLike | CapSet") -> None:
    """Remove ``caps`` for good from effective, permitted, inheritable and
    ambient (one capset; the kernel drops ambient with inheritable).

    A capability dropped from permitted cannot come back without execve()
    of a privileged program.  The bounding set is separate: see
    ``drop_bounding``.  The result is read back and checked.
    """
    mask = mask_of(caps)
    _drop_mask(mask, "drop")


def limit_caps(*caps: "CapLike | CapSet") -> None:
    """Keep only ``caps`` (where held now); drop every other capability the
    kernel knows, for good, from effective, permitted, inheritable and
    ambient.  Listing a capability that is not held is not an error."""
    mask = mask_of(caps)
    _drop_mask(ALL_MASK & ~mask, "limit")


def _drop_mask(mask: int, operation: str) -> None:
    if not mask:
        return
    e, p, i = _capget()
    have = (e | p | i) & mask
    if have:
        _capset(
            e & ~mask,
            p & ~mask,
            i & ~mask,
            "drop",
            "from effective, permitted and inheritable",
            "permitted",
            have,
        )
    after = current()
    left = (
        after.effective.mask | after.permitted.mask | after.inheritable.mask | after.ambient.mask
    ) & mask
    if left:
        raise capability_error(
            "%s: %s still present after capset" % (operation, macros(left)),
            None,
            operation=operation,
            caps=caps_of_mask(left),
        )


def drop_bounding(*caps: "CapLike | CapSet") -> None:
    """Drop ``caps`` from the bounding set (PR_CAPBSET_DROP), for good.

    With no argument, drop every capability the running kernel knows, so
    execve() can never add any to permitted.  Needs CAP_SETPCAP in the
    effective set.  The bounding set is read back and checked.
    """
    mask = mask_of(caps) if caps else ALL_MASK
    for cap in caps_of_mask(mask):
        rc = _prctl(PR_CAPBSET_READ, cap, 0, 0, 0)
        if rc == 0:
            continue
        if rc > 0:
            rc = _prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)
        if rc < 0:
            raise capability_error(
                "cannot drop %s from bounding: %s" % (cap.macro, setpcap_why(-rc)),
                -rc,
                operation="drop",
                capset="bounding",
                caps=(cap,),
            )
    left = current().bounding.mask & mask
    if left:
        raise capability_error(
            "drop: %s still in the bounding set" % macros(left),
            None,
            operation="drop",
            capset="bounding",
            caps=caps_of_mask(left),
        )


def _ambient_failed(what: str, cap: int, rc: int) -> "BaseException":
    err = -rc
    why = errno_text(err)
    if err == _errno.EINVAL:
        why += "; is ambient supported by this kernel (Linux >= 4.3)?"
    return capability_error(
        "cannot %s %s in ambient: %s" % (what, macros(1 << cap), why),
        err,
        operation=what,
        capset="ambient",
        caps=caps_of_mask(1 << cap),
    )


class Ambient:
    """The ambient set of the calling thread (PR_CAP_AMBIENT).

    Ambient capabilities survive execve() of programs that are neither
    setuid nor file-capable: the way to hand a capability to a child
    process.  The kernel keeps ambient a subset of permitted and
    inheritable; ``raise_caps`` says which is missing.
    """

    __slots__ = ()

    def get(self) -> "CapSet":
        """The ambient set, read with PR_CAP_AMBIENT_IS_SET."""
        return current().ambient

    def __contains__(self, cap: object) -> bool:
        number = parse_cap(cap)
        rc = _prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, number, 0, 0)
        if rc < 0:
            raise _ambient_failed("read", number, rc)
        return rc == 1

    def __iter__(self) -> "Iterator[Cap]":
        return iter(self.get())

    def __len__(self) -> int:
        return len(self.get())

    def raise_caps(self, *caps: "CapLike | CapSet") -> None:
        """PR_CAP_AMBIENT_RAISE each cap; each must be in permitted and
        inheritable, and SECBIT_NO_CAP_AMBIENT_RAISE must be off."""
        mask = mask_of(caps)
        if not mask:
            return
        _, p, i = _capget()
        for cap in caps_of_mask(mask):
            bit = 1 << cap
            missing = [n for n, s in (("permitted", p), ("inheritable", i)) if not s & bit]
            if missing:
                raise capability_error(
                    "cannot raise %s in ambient: not in the %s set%s"
                    % (cap.macro, " and ".join(missing), "s" if len(missing) > 1 else ""),
                    _errno.EPERM,
                    operation="raise",
                    capset="ambient",
                    caps=(cap,),
                )
            rc = _prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0)
            if rc < 0:
                if -rc == _errno.EPERM:
                    bits = _prctl(PR_GET_SECUREBITS, 0, 0, 0, 0)
                    if bits >= 0 and bits & SECBIT_NO_CAP_AMBIENT_RAISE:
                        raise capability_error(
                            "cannot raise %s in ambient: securebit "
                            "NO_CAP_AMBIENT_RAISE is set" % cap.macro,
                            _errno.EPERM,
                            operation="raise",
                            capset="ambient",
                            caps=(cap,),
                        )
                raise _ambient_failed("raise", cap, rc)

    def lower_caps(self, *caps: "CapLike | CapSet") -> None:
        """PR_CAP_AMBIENT_LOWER each cap (not an error if it is not set)."""
        for cap in caps_of_mask(mask_of(caps)):
            rc = _prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_LOWER, cap, 0, 0)
            if rc < 0:
                raise _ambient_failed("lower", cap, rc)

    def clear(self) -> None:
        """PR_CAP_AMBIENT_CLEAR_ALL: empty the ambient set."""
        rc = _prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
        if rc < 0:
            err = -rc
            raise capability_error(
                "cannot clear ambient: %s" % errno_text(err),
                err,
                operation="clear",
                capset="ambient",
            )

    def __repr__(self) -> str:
        return "<ambient %r>" % str(self.get())


ambient = Ambient()
