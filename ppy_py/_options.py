"""Process options of prctl(2) beyond capabilities: hardening, tuning, and the rest
of what python-prctl offers.

Hardening a service: ``set_mdwe()`` (memory-deny-write-execute),
``set_thp_disable()``, ``set_memory_merge(False)`` (KSM opt-out),
``set_speculation_ctrl()``, ``set_io_flusher()``, ``set_ptracer()``,
``set_perf_events()``, ``set_seccomp_strict()``, ``set_vma_name()``, and
``set_proctitle()``.  Every call goes straight to ``ppy_py._ppy_prctl`` (no cffi):
a getter is one C call, and a setter whose option has a getter reads the value
back from the kernel in the same C call and raises if it differs.  A refusal raises
``CapabilityError`` (an ``OSError``, ``PermissionError`` for EPERM) naming the
operation and the prctl option; bad input raises ``ValueError``/``TypeError``
before anything changes.

Options that only some architectures have (the endianness and FP modes, unaligned
access, the TSC, pointer-authentication keys) are called on every architecture:
where the kernel refuses them with EINVAL, the error says which architectures
have them.  Like most of prctl, each acts on the calling thread (or, for the
memory options, the whole process), and is inherited by children as prctl(2)
describes.
"""

import os

from . import _ppy_prctl as _c
from ._caps import Cap as _Cap
from ._caps import parse_cap as _parse_cap

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Union

    from ._errors import CapabilityError, ProcTitleError

    Mode = Union[str, int]

_get = _c.get
_get_int = _c.get_int
_set_get = _c.set_get
_set_get_int = _c.set_get_int
_call = _c.call
# Checked setters: one C call that sets, then reads the value back (see prctlmodule.c).
_SET_MDWE = _c.bind_checked(_c.PR_SET_MDWE, _c.PR_GET_MDWE, False)
_SET_THP_DISABLE = _c.bind_checked(_c.PR_SET_THP_DISABLE, _c.PR_GET_THP_DISABLE, False)
_SET_MEMORY_MERGE = _c.bind_checked(_c.PR_SET_MEMORY_MERGE, _c.PR_GET_MEMORY_MERGE, False)
_SET_IO_FLUSHER = _c.bind_checked(_c.PR_SET_IO_FLUSHER, _c.PR_GET_IO_FLUSHER, False)
_SET_TIMERSLACK = _c.bind_checked(_c.PR_SET_TIMERSLACK, _c.PR_GET_TIMERSLACK, False)
_SET_TIMING = _c.bind_checked(_c.PR_SET_TIMING, _c.PR_GET_TIMING, False)
_SET_TSC = _c.bind_checked(_c.PR_SET_TSC, _c.PR_GET_TSC, True)
_CAPBSET_READ = _c.bind(_c.PR_CAPBSET_READ)
_SPEC_GET = _c.bind(_c.PR_GET_SPECULATION_CTRL)
_MCE_KILL_SET = _c.bind(_c.PR_MCE_KILL, _c.PR_MCE_KILL_SET)

_MACHINE = os.uname().machine

# Options the kernel has only on some architectures (arch/*/include/asm/processor.h
# defines the hook; elsewhere prctl answers EINVAL).
_ARCH_ONLY = {
    "PR_GET_ENDIAN": "powerpc",
    "PR_SET_ENDIAN": "powerpc",
    "PR_GET_FPEMU": "ia64 (removed in Linux 6.7)",
    "PR_SET_FPEMU": "ia64 (removed in Linux 6.7)",
    "PR_GET_FPEXC": "powerpc",
    "PR_SET_FPEXC": "powerpc",
    "PR_GET_FP_MODE": "mips",
    "PR_SET_FP_MODE": "mips",
    "PR_GET_UNALIGN": "alpha, ia64, parisc, powerpc, sh, loongarch",
    "PR_SET_UNALIGN": "alpha, ia64, parisc, powerpc, sh, loongarch",
    "PR_GET_TSC": "x86",
    "PR_SET_TSC": "x86",
    "PR_PAC_RESET_KEYS": "arm64 with pointer authentication",
}

# What an EINVAL most likely means for options that a kernel may lack.
_MAYBE_MISSING = {
    "PR_SET_MDWE": "Linux 6.3 or later (PR_MDWE_NO_INHERIT: 6.7)",
    "PR_GET_MDWE": "Linux 6.3 or later",
    "PR_SET_MEMORY_MERGE": "Linux 6.4 or later built with CONFIG_KSM",
    "PR_GET_MEMORY_MERGE": "Linux 6.4 or later built with CONFIG_KSM",
    "PR_SET_VMA": "Linux 5.17 or later built with CONFIG_ANON_VMA_NAME",
    "PR_GET_TID_ADDRESS": "a kernel built with CONFIG_CHECKPOINT_RESTORE",
    "PR_SET_IO_FLUSHER": "Linux 5.6 or later",
    "PR_GET_IO_FLUSHER": "Linux 5.6 or later",
    "PR_SET_PTRACER": "the Yama security module (/proc/sys/kernel/yama)",
    "PR_SCHED_CORE": "Linux 5.14 or later built with CONFIG_SCHED_CORE",
    "PR_MPX_ENABLE_MANAGEMENT": "an x86 kernel older than 5.4, which removed MPX",
    "PR_MPX_DISABLE_MANAGEMENT": "an x86 kernel older than 5.4, which removed MPX",
}


def _error(what: str, option: str, err: int) -> "CapabilityError":
    """CapabilityError "cannot WHAT (OPTION): strerror (ENAME)[; why]"."""
    import errno

    from ._errors import capability_error, errno_text

    why = ""
    if err == errno.EINVAL and option in _ARCH_ONLY:
        why = "; the kernel has this option only on %s, and this is %s" % (
            _ARCH_ONLY[option],
            _MACHINE,
        )
    elif err == errno.EINVAL and option in _MAYBE_MISSING:
        why = "; it needs %s" % _MAYBE_MISSING[option]
    elif err == errno.EPERM and option in ("PR_SET_IO_FLUSHER", "PR_GET_IO_FLUSHER"):
        why = "; it needs CAP_SYS_RESOURCE in the effective set"
    return capability_error(
        "cannot %s (%s): %s%s" % (what, option, errno_text(err), why),
        err,
        operation="%s (%s)" % (what, option),
    )


def _set_failed(what: str, option: str, result: object, want: object) -> "CapabilityError":
    """Explain a set_get/set_get_int result other than WANT: the set failed (-errno), the
    read-back failed ((errno,)), or the kernel reports another value."""
    if isinstance(result, tuple):
        return _error("read back after we " + what, option.replace("SET", "GET"), result[0])
    if isinstance(result, int) and result < 0:
        return _error(what, option, -result)
    from ._errors import capability_error

    return capability_error(
        "%s (%s): the kernel reports %r after setting %r" % (what, option, result, want),
        None,
        operation="%s (%s)" % (what, option),
    )


def _flag(name: str, value: object) -> bool:
    if value.__class__ is not bool:
        raise TypeError("%s() takes a bool, not %s" % (name, type(value).__name__))
    return value


def _mode(name: str, value: "Mode", modes: "dict[str, int]") -> int:
    """A mode given by name (any case) or by the kernel's number; ValueError otherwise."""
    if isinstance(value, str):
        number = modes.get(value.strip().lower())
        if number is not None:
            return number
    elif isinstance(value, int) and not isinstance(value, bool):
        if value in modes.values():
            return value
    else:
        raise TypeError("%s: a mode is a str or an int, not %s" % (name, type(value).__name__))
    raise ValueError(
        "%s: unknown mode %r; one of %s" % (name, value, ", ".join(sorted(modes)))
    )


def _any(modes: "dict[str, int]") -> "dict[object, int]":
    """Name or number -> number: the common call (a mode given exactly as listed, str or
    int, never a bool) is one dict lookup; anything else goes to _mode(), which also
    takes other spellings and explains what is wrong."""
    table: "dict[object, int]" = {k: v for k, v in modes.items()}
    table.update({v: v for v in modes.values()})
    return table


def _name_of(value: int, modes: "dict[str, int]") -> str:
    for key, number in modes.items():
        if number == value:
            return key
    return str(value)


def _names(modes: "dict[str, int]") -> "dict[int, str]":
    return {number: key for key, number in modes.items()}


def _uint(name: str, value: object, limit: int = (1 << 64) - 1) -> int:
    if value.__class__ is not int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError("%s takes an int, not %s" % (name, type(value).__name__))
        value = int(value)
    if not 0 <= value <= limit:
        raise ValueError("%s: %r is out of range 0..%d" % (name, value, limit))
    return value


# ---- memory-deny-write-execute (Linux 6.3) --------------------------------------------

MDWE_REFUSE_EXEC_GAIN: int = _c.PR_MDWE_REFUSE_EXEC_GAIN
MDWE_NO_INHERIT: int = _c.PR_MDWE_NO_INHERIT


def mdwe() -> int:
    """PR_GET_MDWE: the process's memory-deny-write-execute flags; 0 when off, else
    ``MDWE_REFUSE_EXEC_GAIN`` (1), with ``MDWE_NO_INHERIT`` (2) when children do not
    inherit it."""
    r: int = _get(_c.PR_GET_MDWE)
    if r < 0:
        raise _error("read memory-deny-write-execute", "PR_GET_MDWE", -r)
    return r


def set_mdwe(*, no_inherit: bool = False) -> int:
    """PR_SET_MDWE with PR_MDWE_REFUSE_EXEC_GAIN: from now on the kernel refuses any
    mapping that is, or could become, both writable and executable: ``mmap()`` or
    ``mprotect()`` with PROT_EXEC on memory that is or was writable, or that was not
    executable before, fails with EACCES.  Irreversible for the process; inherited by
    children across fork() and execve() unless ``no_inherit`` (Linux 6.7).  Code that
    generates machine code at run time (JITs, some libffi closures) stops working.
    Returns the flags read back."""
    flags = _c.PR_MDWE_REFUSE_EXEC_GAIN
    if _flag("set_mdwe(no_inherit=...)", no_inherit):
        flags |= _c.PR_MDWE_NO_INHERIT
    r = _SET_MDWE(flags)
    if r != flags:
        raise _set_failed("set memory-deny-write-execute", "PR_SET_MDWE", r, flags)
    return flags


# ---- transparent huge pages --------------------------------------------------------------


def thp_disable() -> bool:
    """PR_GET_THP_DISABLE: whether transparent huge pages are off for this process."""
    r: int = _get(_c.PR_GET_THP_DISABLE)
    if r < 0:
        raise _error("read the THP-disable flag", "PR_GET_THP_DISABLE", -r)
    return r != 0


def set_thp_disable(value: bool) -> None:
    """PR_SET_THP_DISABLE: True stops the kernel backing this process's memory with
    transparent huge pages (a service's memory then grows, and is shared with KSM, in
    4 KiB pages only).  Inherited by children across fork() and execve()."""
    want = int(_flag("set_thp_disable", value))
    r = _SET_THP_DISABLE(want)
    if r != want:
        raise _set_failed("set the THP-disable flag", "PR_SET_THP_DISABLE", r, want)


# ---- KSM (kernel same-page merging) --------------------------------------------------


def memory_merge() -> bool:
    """PR_GET_MEMORY_MERGE: whether KSM may merge any of this process's anonymous
    pages with identical pages of other processes (Linux 6.4, CONFIG_KSM)."""
    r: int = _get(_c.PR_GET_MEMORY_MERGE)
    if r < 0:
        raise _error("read the KSM merge flag", "PR_GET_MEMORY_MERGE", -r)
    return r != 0


def set_memory_merge(value: bool) -> None:
    """PR_SET_MEMORY_MERGE: True opts every anonymous mapping of the process in to KSM;
    False opts it out and unmerges its pages (merged pages leak timing across
    processes: a copy-on-write fault reveals that another process holds the same
    page).  Inherited across fork(), not execve()."""
    want = int(_flag("set_memory_merge", value))
    r = _SET_MEMORY_MERGE(want)
    if r != want:
        raise _set_failed("set the KSM merge flag", "PR_SET_MEMORY_MERGE", r, want)


# ---- IO flusher --------------------------------------------------------------------------


def io_flusher() -> bool:
    """PR_GET_IO_FLUSHER: whether this process is marked as an IO flusher (needs
    CAP_SYS_RESOURCE)."""
    r: int = _get(_c.PR_GET_IO_FLUSHER)
    if r < 0:
        raise _error("read the IO-flusher flag", "PR_GET_IO_FLUSHER", -r)
    return r != 0


def set_io_flusher(value: bool) -> None:
    """PR_SET_IO_FLUSHER: mark this process as one that the kernel's writeback depends
    on (a FUSE daemon, a userspace block device): its own allocations then never wait
    on IO, so it cannot deadlock the memory reclaim that waits on it.  Needs
    CAP_SYS_RESOURCE; inherited across fork()."""
    want = int(_flag("set_io_flusher", value))
    r = _SET_IO_FLUSHER(want)
    if r != want:
        raise _set_failed("set the IO-flusher flag", "PR_SET_IO_FLUSHER", r, want)


# ---- speculation control -----------------------------------------------------------------


class Speculation:
    """Names and bits of PR_GET/SET_SPECULATION_CTRL.

    Features: ``STORE_BYPASS`` (Spectre v4), ``INDIRECT_BRANCH`` (Spectre v2 between
    user processes), ``L1D_FLUSH`` (flush the L1 data cache on context switch).  A
    reading is 0 (``NOT_AFFECTED``) or ``PRCTL`` (the thread may change it) or'ed with
    one state: ``ENABLE`` (speculation on: not mitigated), ``DISABLE`` (mitigated),
    ``FORCE_DISABLE`` (mitigated for good), ``DISABLE_NOEXEC`` (mitigated until
    execve()).  For ``L1D_FLUSH``, ``ENABLE`` means the flush is on.
    """

    STORE_BYPASS: int = _c.PR_SPEC_STORE_BYPASS
    INDIRECT_BRANCH: int = _c.PR_SPEC_INDIRECT_BRANCH
    L1D_FLUSH: int = _c.PR_SPEC_L1D_FLUSH
    NOT_AFFECTED: int = _c.PR_SPEC_NOT_AFFECTED
    PRCTL: int = _c.PR_SPEC_PRCTL
    ENABLE: int = _c.PR_SPEC_ENABLE
    DISABLE: int = _c.PR_SPEC_DISABLE
    FORCE_DISABLE: int = _c.PR_SPEC_FORCE_DISABLE
    DISABLE_NOEXEC: int = _c.PR_SPEC_DISABLE_NOEXEC


_SPEC_FEATURES = {
    "store_bypass": _c.PR_SPEC_STORE_BYPASS,
    "indirect_branch": _c.PR_SPEC_INDIRECT_BRANCH,
    "l1d_flush": _c.PR_SPEC_L1D_FLUSH,
}
_SPEC_MODES = {
    "enable": _c.PR_SPEC_ENABLE,
    "disable": _c.PR_SPEC_DISABLE,
    "force_disable": _c.PR_SPEC_FORCE_DISABLE,
    "disable_noexec": _c.PR_SPEC_DISABLE_NOEXEC,
}


def speculation_ctrl(feature: "Mode") -> int:
    """PR_GET_SPECULATION_CTRL for ``feature`` ("store_bypass", "indirect_branch",
    "l1d_flush" or a ``Speculation`` number): the bits described in ``Speculation``."""
    which = _SPEC_FEATURES.get(feature)  # type: ignore[arg-type]  # a name: one lookup
    if which is None:   # a number, another spelling, or wrong (a bool, ...): explained
        which = _mode("speculation_ctrl", feature, _SPEC_FEATURES)
    r: int = _SPEC_GET(which)
    if r < 0:
        raise _error("read speculation control of " + _name_of(which, _SPEC_FEATURES),
                     "PR_GET_SPECULATION_CTRL", -r)
    return r


def set_speculation_ctrl(feature: "Mode", mode: "Mode") -> None:
    """PR_SET_SPECULATION_CTRL: set ``feature`` to ``mode`` ("enable", "disable",
    "force_disable", "disable_noexec") for this thread; threads and children created
    afterwards inherit it.  "disable" turns the mitigation on (speculation off);
    "force_disable" cannot be undone.  The kernel refuses with ENXIO where the feature
    is not under per-thread control (``speculation_ctrl()`` lacks ``PRCTL``: see the
    ``spec_store_bypass_disable=``/``spectre_v2_user=`` boot options), and with EPERM
    after "force_disable".  Read back and checked."""
    which = _mode("set_speculation_ctrl", feature, _SPEC_FEATURES)
    value = _mode("set_speculation_ctrl", mode, _SPEC_MODES)
    what = "set speculation control of %s to %s" % (
        _name_of(which, _SPEC_FEATURES), _name_of(value, _SPEC_MODES))
    rc: int = _call(_c.PR_SET_SPECULATION_CTRL, which, value)
    if rc < 0:
        raise _error(what, "PR_SET_SPECULATION_CTRL", -rc)
    got = _call(_c.PR_GET_SPECULATION_CTRL, which)
    if got < 0:
        raise _error("read back after we " + what, "PR_GET_SPECULATION_CTRL", -got)
    # FORCE_DISABLE reads back as FORCE_DISABLE; DISABLE_NOEXEC as itself.
    if not got & value:
        raise _set_failed(what, "PR_SET_SPECULATION_CTRL", got, value)


# ---- anonymous mapping names (Linux 5.17) ------------------------------------------------

_VMA_NAME_MAX = 79  # ANON_VMA_NAME_MAX_LEN (80) with its NUL
_VMA_NAME_BAD = frozenset(b"[]\\$`")


def set_vma_name(mapping: object, name: "str | bytes | None", length: "int | None" = None) -> None:
    """PR_SET_VMA_ANON_NAME: name anonymous memory, as /proc/PID/maps then shows it
    (``[anon:NAME]``), so an admin can tell which part of a service holds memory.

    ``mapping`` is a writable buffer (an ``mmap.mmap``, a ``bytearray``: its whole
    memory, or ``length`` bytes of it) or a page-aligned address (then ``length`` is
    required); ``name`` is at most 79 printable ASCII characters without ``[ ] \\ $ `
    `` (``None`` removes the name).  Needs Linux 5.17 built with CONFIG_ANON_VMA_NAME
    (EINVAL otherwise); only private or shared anonymous memory can be named."""
    if name is None:
        data = None
    else:
        if isinstance(name, str):
            data = name.encode("ascii", "replace") if name.isascii() else None
        elif isinstance(name, bytes):
            data = name
        else:
            raise TypeError("set_vma_name: name is str, bytes or None, not %s"
                            % type(name).__name__)
        if (data is None or not data or len(data) > _VMA_NAME_MAX
                or any(b < 0x20 or b > 0x7E or b in _VMA_NAME_BAD for b in data)):
            raise ValueError("set_vma_name: a mapping name is 1 to 79 printable ASCII "
                             "characters without [ ] \\ $ or `: %r" % (name,))
    if isinstance(mapping, int) and not isinstance(mapping, bool):
        if length is None:
            raise TypeError("set_vma_name: an address needs a length")
        start, size = _uint("set_vma_name address", mapping), _uint("set_vma_name length", length)
    else:
        start, size = _buffer_area(mapping)
        if length is not None:
            if not 0 <= _uint("set_vma_name length", length) <= size:
                raise ValueError("set_vma_name: length %d is beyond the buffer (%d bytes)"
                                 % (length, size))
            size = length
    if start % os.sysconf("SC_PAGE_SIZE"):
        raise ValueError("set_vma_name: address %#x is not page-aligned" % start)
    rc: int = _c.set_vma_name(start, size, data)
    if rc < 0:
        raise _error("name %d bytes of memory at %#x" % (size, start), "PR_SET_VMA", -rc)


def _buffer_area(buffer: object) -> "tuple[int, int]":
    """(address, size) of a writable buffer (only on this path: loads ctypes)."""
    import ctypes

    try:
        view = ctypes.c_char.from_buffer(buffer)  # type: ignore[arg-type]
    except TypeError as e:
        raise TypeError("set_vma_name: mapping is an address or a writable buffer: %s" % e) \
            from None
    try:
        return ctypes.addressof(view), memoryview(buffer).nbytes  # type: ignore[arg-type]
    finally:
        del view


# ---- core scheduling (Linux 5.14) ---------------------------------------------------------

_SCHED_SCOPES = {
    "thread": _c.PR_SCHED_CORE_SCOPE_THREAD,
    "process": _c.PR_SCHED_CORE_SCOPE_THREAD_GROUP,
    "process_group": _c.PR_SCHED_CORE_SCOPE_PROCESS_GROUP,
}


def sched_core_cookie() -> int:
    """PR_SCHED_CORE_GET: this process's core-scheduling cookie; 0 when it has none.
    Tasks with different cookies never run at the same time on the two hyperthreads of
    one core."""
    r: int = _c.sched_core_cookie()
    if r < 0:
        raise _error("read the core-scheduling cookie", "PR_SCHED_CORE", -r)
    return r


def set_sched_core(scope: str = "process") -> int:
    """PR_SCHED_CORE_CREATE: give this "thread", "process" (all its threads) or
    "process_group" a new core-scheduling cookie of its own, so that no task of another
    cookie (another service, another user) runs on the sibling hyperthread of the core it
    runs on: the side channels between hyperthreads (L1TF, MDS and the like) then reach
    nothing of anyone else's.  Inherited by children and new threads.  Needs a kernel
    built with CONFIG_SCHED_CORE (EINVAL otherwise) and an SMT machine to matter.  Returns
    the new cookie, read back."""
    value = _SCHED_SCOPES.get(scope) if scope.__class__ is str else None
    if value is None:
        value = _mode("set_sched_core", scope, _SCHED_SCOPES)
    rc: int = _call(_c.PR_SCHED_CORE, _c.PR_SCHED_CORE_CREATE, 0, value)
    if rc < 0:
        raise _error("create a core-scheduling cookie", "PR_SCHED_CORE", -rc)
    cookie = sched_core_cookie()
    if cookie == 0:
        raise _set_failed("create a core-scheduling cookie", "PR_SCHED_CORE", cookie, "non-zero")
    return cookie


# ---- seccomp, ptracer, perf events -------------------------------------------------------


def seccomp_mode() -> int:
    """PR_GET_SECCOMP: 0 when no seccomp is on, 2 with a filter (strict mode, 1, cannot
    be read: the call itself kills a thread in strict mode, with SIGKILL)."""
    r: int = _get(_c.PR_GET_SECCOMP)
    if r < 0:
        raise _error("read the seccomp mode", "PR_GET_SECCOMP", -r)
    return r


def set_seccomp_strict() -> None:
    """PR_SET_SECCOMP with SECCOMP_MODE_STRICT: from the next system call on, this
    thread may only call read(), write() (on descriptors it already has), _exit() and
    sigreturn(); any other call kills it with SIGKILL.  Irreversible.  Python itself
    needs other calls (to allocate memory, and exit_group() to exit), so use it in a
    forked child that computes on data it already holds and writes the answer to a pipe:
    the parent reads the answer, then sees the child end with SIGKILL."""
    rc: int = _call(_c.PR_SET_SECCOMP, _c.SECCOMP_MODE_STRICT)
    if rc < 0:
        raise _error("enter seccomp strict mode", "PR_SET_SECCOMP", -rc)


def set_ptracer(pid: "int | str") -> None:
    """PR_SET_PTRACER (Yama): allow process ``pid`` and its descendants to ptrace this
    one, when /proc/sys/kernel/yama/ptrace_scope is 1; ``0`` withdraws the permission,
    ``"any"`` allows every process.  The kernel has no getter.  Without Yama the call
    fails with EINVAL."""
    if pid == "any":
        value = _c.PR_SET_PTRACER_ANY & ((1 << 64) - 1)  # (unsigned long)-1
    else:
        value = _uint("set_ptracer pid", pid, 0x7FFFFFFF)
    rc: int = _call(_c.PR_SET_PTRACER, value)
    if rc < 0:
        raise _error("allow %s to ptrace this process" % pid, "PR_SET_PTRACER", -rc)


def set_perf_events(enabled: bool) -> None:
    """PR_TASK_PERF_EVENTS_ENABLE/DISABLE: start or stop every perf event counter
    attached to this process (the kernel has no getter)."""
    option = "PR_TASK_PERF_EVENTS_ENABLE" if _flag("set_perf_events", enabled) else \
        "PR_TASK_PERF_EVENTS_DISABLE"
    rc: int = _call(getattr(_c, option))
    if rc < 0:
        raise _error("%s perf events" % ("enable" if enabled else "disable"), option, -rc)


# ---- timer slack, timing, machine-check policy -------------------------------------------


def timerslack() -> int:
    """PR_GET_TIMERSLACK: this thread's timer slack in nanoseconds, how late the kernel
    may fire its timers so as to group wake-ups."""
    r: int = _get(_c.PR_GET_TIMERSLACK)
    if r < 0:
        raise _error("read the timer slack", "PR_GET_TIMERSLACK", -r)
    return r


def set_timerslack(nanoseconds: int) -> None:
    """PR_SET_TIMERSLACK: set this thread's timer slack; 0 restores the default (the
    value it inherited at creation).  Read back and checked (except for 0)."""
    ns = nanoseconds
    if ns.__class__ is not int or not 0 <= ns < 1 << 63:
        ns = _uint("set_timerslack", nanoseconds, (1 << 63) - 1)
    r = _SET_TIMERSLACK(ns)
    if r != ns and (ns != 0 or not isinstance(r, int) or r < 0):
        raise _set_failed("set the timer slack", "PR_SET_TIMERSLACK", r, ns)


_TIMING = {"statistical": _c.PR_TIMING_STATISTICAL, "timestamp": _c.PR_TIMING_TIMESTAMP}
_TIMING_NAMES = _names(_TIMING)
_TIMING_ANY = _any(_TIMING)


def timing() -> str:
    """PR_GET_TIMING: "statistical" (the only mode Linux implements)."""
    r: int = _get(_c.PR_GET_TIMING)
    if r < 0:
        raise _error("read the timing mode", "PR_GET_TIMING", -r)
    return _TIMING_NAMES.get(r) or str(r)


def set_timing(mode: "Mode") -> None:
    """PR_SET_TIMING: "statistical"; the kernel refuses "timestamp" (EINVAL)."""
    value = _TIMING_ANY.get(mode) if mode.__class__ is str or mode.__class__ is int \
        else None
    if value is None:
        value = _mode("set_timing", mode, _TIMING)
    r = _SET_TIMING(value)
    if r != value:
        raise _set_failed("set the timing mode", "PR_SET_TIMING", r, value)


_MCE = {"early": _c.PR_MCE_KILL_EARLY, "late": _c.PR_MCE_KILL_LATE,
        "default": _c.PR_MCE_KILL_DEFAULT}
_MCE_NAMES = _names(_MCE)
_MCE_ANY = _any(_MCE)


def mce_kill() -> str:
    """PR_MCE_KILL_GET: how this thread is killed when a memory error corrupts one of
    its pages: "early" (at once), "late" (on access) or "default" (the system's
    vm.memory_failure_early_kill)."""
    r: int = _get(_c.PR_MCE_KILL_GET)
    if r < 0:
        raise _error("read the machine-check kill policy", "PR_MCE_KILL_GET", -r)
    return _MCE_NAMES.get(r) or str(r)


def set_mce_kill(policy: "Mode") -> None:
    """PR_MCE_KILL (PR_MCE_KILL_SET): set the machine-check kill policy, "early",
    "late" or "default".  Read back and checked."""
    value = _MCE_ANY.get(policy) if policy.__class__ is str or policy.__class__ is int \
        else None
    if value is None:
        value = _mode("set_mce_kill", policy, _MCE)
    rc: int = _MCE_KILL_SET(value)
    if rc < 0:
        raise _error("set the machine-check kill policy", "PR_MCE_KILL", -rc)
    got = _get(_c.PR_MCE_KILL_GET)
    if got != value:
        raise _set_failed("set the machine-check kill policy", "PR_MCE_KILL",
                          (-got,) if got < 0 else got, value)


# ---- architecture-only options -----------------------------------------------------------

_TSC = {"enable": _c.PR_TSC_ENABLE, "sigsegv": _c.PR_TSC_SIGSEGV}
_TSC_NAMES = _names(_TSC)
_TSC_ANY = _any(_TSC)
_ENDIAN = {"big": _c.PR_ENDIAN_BIG, "little": _c.PR_ENDIAN_LITTLE,
           "ppc_little": _c.PR_ENDIAN_PPC_LITTLE}
_FPEMU = {"noprint": _c.PR_FPEMU_NOPRINT, "sigfpe": _c.PR_FPEMU_SIGFPE}


def tsc() -> str:
    """PR_GET_TSC (x86): "enable" when this thread may read the time-stamp counter
    (rdtsc), "sigsegv" when reading it raises SIGSEGV."""
    r: int = _get_int(_c.PR_GET_TSC)
    if r < 0:
        raise _error("read the TSC mode", "PR_GET_TSC", -r)
    return _TSC_NAMES.get(r) or str(r)


def set_tsc(mode: "Mode") -> None:
    """PR_SET_TSC (x86): "sigsegv" makes rdtsc raise SIGSEGV in this thread (a timing
    side channel closed), "enable" allows it again.  Read back and checked."""
    value = _TSC_ANY.get(mode) if mode.__class__ is str or mode.__class__ is int \
        else None
    if value is None:
        value = _mode("set_tsc", mode, _TSC)
    r = _SET_TSC(value)
    if r != value:
        raise _set_failed("set the TSC mode", "PR_SET_TSC", r, value)


def endian() -> str:
    """PR_GET_ENDIAN (powerpc): "big", "little" or "ppc_little"."""
    r: int = _get_int(_c.PR_GET_ENDIAN)
    if r < 0:
        raise _error("read the endianness", "PR_GET_ENDIAN", -r)
    return _name_of(r, _ENDIAN)


def set_endian(mode: "Mode") -> None:
    """PR_SET_ENDIAN (powerpc): switch this thread's endianness."""
    value = _mode("set_endian", mode, _ENDIAN)
    r = _set_get_int(_c.PR_SET_ENDIAN, value, _c.PR_GET_ENDIAN)
    if r != value:
        raise _set_failed("set the endianness", "PR_SET_ENDIAN", r, value)


def fpemu() -> str:
    """PR_GET_FPEMU (ia64): "noprint" or "sigfpe", what happens on an emulated
    floating-point operation."""
    r: int = _get_int(_c.PR_GET_FPEMU)
    if r < 0:
        raise _error("read the FP emulation mode", "PR_GET_FPEMU", -r)
    return _name_of(r, _FPEMU)


def set_fpemu(mode: "Mode") -> None:
    """PR_SET_FPEMU (ia64): "noprint" (emulate silently) or "sigfpe"."""
    value = _mode("set_fpemu", mode, _FPEMU)
    r = _set_get_int(_c.PR_SET_FPEMU, value, _c.PR_GET_FPEMU)
    if r != value:
        raise _set_failed("set the FP emulation mode", "PR_SET_FPEMU", r, value)


_FPEXC_BITS = (_c.PR_FP_EXC_SW_ENABLE | _c.PR_FP_EXC_DIV | _c.PR_FP_EXC_OVF | _c.PR_FP_EXC_UND
               | _c.PR_FP_EXC_RES | _c.PR_FP_EXC_INV | _c.PR_FP_EXC_NONRECOV
               | _c.PR_FP_EXC_ASYNC | _c.PR_FP_EXC_PRECISE)


def fpexc() -> int:
    """PR_GET_FPEXC (powerpc): the floating-point exception mode bits (PR_FP_EXC_*)."""
    r: int = _get_int(_c.PR_GET_FPEXC)
    if r < 0:
        raise _error("read the FP exception mode", "PR_GET_FPEXC", -r)
    return r


def set_fpexc(mode: int) -> None:
    """PR_SET_FPEXC (powerpc): set the floating-point exception mode bits."""
    value = _uint("set_fpexc", mode)
    if value & ~_FPEXC_BITS:
        raise ValueError("set_fpexc: unknown bits %#x" % (value & ~_FPEXC_BITS))
    rc: int = _call(_c.PR_SET_FPEXC, value)
    if rc < 0:
        raise _error("set the FP exception mode", "PR_SET_FPEXC", -rc)


def fp_mode() -> int:
    """PR_GET_FP_MODE (mips): the FP mode bits, PR_FP_MODE_FR (1) and PR_FP_MODE_FRE (2)."""
    r: int = _get(_c.PR_GET_FP_MODE)
    if r < 0:
        raise _error("read the FP mode", "PR_GET_FP_MODE", -r)
    return r


def set_fp_mode(mode: int) -> None:
    """PR_SET_FP_MODE (mips): set the FP mode bits (FR, FRE).  Read back and checked."""
    value = _uint("set_fp_mode", mode)
    if value & ~(_c.PR_FP_MODE_FR | _c.PR_FP_MODE_FRE):
        raise ValueError("set_fp_mode: unknown bits %#x" % value)
    r = _set_get(_c.PR_SET_FP_MODE, value, _c.PR_GET_FP_MODE)
    if r != value:
        raise _set_failed("set the FP mode", "PR_SET_FP_MODE", r, value)


def unalign() -> int:
    """PR_GET_UNALIGN (alpha, ia64, parisc, powerpc, sh, loongarch): what happens on an
    unaligned memory access, PR_UNALIGN_NOPRINT (1: fix it silently) and/or
    PR_UNALIGN_SIGBUS (2)."""
    r: int = _get_int(_c.PR_GET_UNALIGN)
    if r < 0:
        raise _error("read the unaligned-access mode", "PR_GET_UNALIGN", -r)
    return r


def set_unalign(mode: int) -> None:
    """PR_SET_UNALIGN: set those bits.  Read back and checked."""
    value = _uint("set_unalign", mode)
    if value & ~(_c.PR_UNALIGN_NOPRINT | _c.PR_UNALIGN_SIGBUS):
        raise ValueError("set_unalign: unknown bits %#x" % value)
    r = _set_get_int(_c.PR_SET_UNALIGN, value, _c.PR_GET_UNALIGN)
    if r != value:
        raise _set_failed("set the unaligned-access mode", "PR_SET_UNALIGN", r, value)


_PAC_KEYS = (_c.PR_PAC_APIAKEY | _c.PR_PAC_APIBKEY | _c.PR_PAC_APDAKEY | _c.PR_PAC_APDBKEY
             | _c.PR_PAC_APGAKEY)


def pac_reset_keys(keys: int = 0) -> None:
    """PR_PAC_RESET_KEYS (arm64): give this thread new pointer-authentication keys, the
    PR_PAC_AP*KEY bits of ``keys`` (0: all of them)."""
    value = _uint("pac_reset_keys", keys)
    if value & ~_PAC_KEYS:
        raise ValueError("pac_reset_keys: unknown key bits %#x" % (value & ~_PAC_KEYS))
    rc: int = _call(_c.PR_PAC_RESET_KEYS, value)
    if rc < 0:
        raise _error("reset pointer-authentication keys", "PR_PAC_RESET_KEYS", -rc)


def set_mpx_management(enabled: bool) -> None:
    """PR_MPX_ENABLE/DISABLE_MANAGEMENT: Intel MPX, which Linux 5.4 removed; every kernel
    since refuses it (EINVAL)."""
    option = "PR_MPX_ENABLE_MANAGEMENT" if _flag("set_mpx_management", enabled) else \
        "PR_MPX_DISABLE_MANAGEMENT"
    rc: int = _call(getattr(_c, option))
    if rc < 0:
        raise _error("%s MPX management" % ("enable" if enabled else "disable"), option, -rc)


# ---- the rest: tid address, bounding set, process title ----------------------------------


def tid_address() -> int:
    """PR_GET_TID_ADDRESS: the clear_child_tid address of this thread (what
    set_tid_address(2) set; the C library's thread exit word), for checkpoint/restore.
    Needs a kernel built with CONFIG_CHECKPOINT_RESTORE."""
    r: int = _c.get_ulong(_c.PR_GET_TID_ADDRESS)
    if r < 0:
        raise _error("read the tid address", "PR_GET_TID_ADDRESS", -r)
    return r


def in_bounding(cap: object) -> bool:
    """PR_CAPBSET_READ: whether ``cap`` is in this thread's bounding set (one prctl;
    ``current().bounding`` reads them all)."""
    number = cap if cap.__class__ is _Cap else _parse_cap(cap)
    r: int = _CAPBSET_READ(number)
    if r < 0:
        raise _error("read %s in the bounding set" % number.macro, "PR_CAPBSET_READ", -r)
    return r == 1




def _arg_area() -> "tuple[int, int]":
    """Where the kernel keeps this process's argv strings (what /proc/PID/cmdline and ps
    show): arg_start and arg_end of /proc/self/stat (readable by the process also when it
    is not dumpable, as under ppy), checked by reading that memory back with
    process_vm_readv(2) (the kernel checks the address) and finding there exactly the
    interpreter's own argv (``sys.orig_argv``), so nothing else is ever written over."""
    import sys

    def refuse(why: str) -> "ProcTitleError":
        return _proctitle_error("cannot set the process title: " + why)

    try:
        with open("/proc/self/stat", "rb") as f:
            stat = f.read()
        fields = stat[stat.rindex(b")") + 2:].split()
        start, end = int(fields[45]), int(fields[46])  # fields 48 and 49 of proc(5)
    except (OSError, ValueError, IndexError) as e:
        raise refuse("cannot read arg_start/arg_end from /proc/self/stat: %s" % e) from None
    if not 0 < start < end or end - start > 1 << 24:
        raise refuse("/proc/self/stat gives no argument area (%#x-%#x)" % (start, end))
    found = _c.peek(start, end - start)
    if not isinstance(found, bytes):
        from ._errors import errno_text

        raise refuse("cannot read the argument area (process_vm_readv): %s"
                     % errno_text(-found))
    orig = getattr(sys, "orig_argv", None)
    if orig is not None:
        expected = b"".join(os.fsencode(arg) + b"\0" for arg in orig)
        if found != expected:
            raise refuse("the argument area no longer holds the interpreter's argv "
                         "(changed by other code?)")
    elif not found.endswith(b"\0"):
        raise refuse("the argument area does not end with a NUL byte")
    return start, end - start


def _proctitle_error(message: str) -> "ProcTitleError":
    from ._errors import ProcTitleError

    return ProcTitleError(message, None, operation="set the process title")


set_proctitle = _c.set_title
"""set_proctitle(title: str | bytes) -> None: set the process title, what ``ps`` and
/proc/PID/cmdline show, by writing it over the memory of the process's original
arguments (as setproctitle(3) does): the title is cut to fit that area (its size minus a
NUL; the kernel shows the area up to there) and the rest is cleared.  Works in any
interpreter, also under ppy, where argv is the interpreter's own (``python -I -S -B -c
...``): the area is found from /proc/self/stat and checked to hold exactly
``sys.orig_argv`` before the first write (``ProcTitleError`` otherwise).  ``sys.argv``
is not changed.  The thread name (``set_process_name``) is separate.  One C call."""
_c.set_title_finder(lambda: _arg_area())
