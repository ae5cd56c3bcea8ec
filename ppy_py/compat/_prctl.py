"""python-prctl's ``_prctl`` module (its C part), on ppy_py.

``prctl(option, arg=0, arg2=0)`` accepts the options python-prctl accepts,
checks their arguments as it does (``ValueError``/``TypeError`` before any
system call) and returns what it returns: a bool for the flag getters, an int
for the other getters, a str for PR_GET_NAME, None for setters.  A refusal by
the kernel is an ``OSError`` carrying its errno (a ``ppy_py.CapabilityError``:
``PermissionError`` for EPERM), whose message names the prctl option.

``get_caps(effective, permitted=None, inheritable=None)`` and
``set_caps(effective_set, permitted_set, inheritable_set, effective_clear,
permitted_clear, inheritable_clear)`` take lists of capability numbers, as
python-prctl's do, and use capget(2)/capset(2) directly (no libcap).

Differences, all additions: the ``CAP_*`` constants name every capability of
the running kernel (``CAP_CHECKPOINT_RESTORE``, ``CAP_PERFMON``, ``CAP_BPF``...),
``CAP_LAST_CAP`` is the running kernel's last capability (python-prctl: its
build headers'), and the securebits include ``NO_CAP_AMBIENT_RAISE`` and its lock.
"""

import _signal  # signal's C half: the same SIGRTMAX, without loading enum (about 3 ms)
import os as _os

import _ppy_sys

from .. import _ppy_prctl as _c
from .._caps import LAST_CAP as _LAST_CAP
from .._caps import _BY_NUMBER

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any

    from .._errors import CapabilityError

# ---- constants, named as python-prctl names them ------------------------------------------

_PAIRS = (
    "CHILD_SUBREAPER", "DUMPABLE", "ENDIAN", "FPEMU", "FPEXC", "FP_MODE", "IO_FLUSHER",
    "KEEPCAPS", "NAME", "NO_NEW_PRIVS", "PDEATHSIG", "SECCOMP", "SECUREBITS",
    "SPECULATION_CTRL", "THP_DISABLE", "TIMERSLACK", "TIMING", "TSC", "UNALIGN",
)  # fmt: skip
_SINGLE = (
    "PR_CAPBSET_READ", "PR_CAPBSET_DROP", "PR_ENDIAN_BIG", "PR_ENDIAN_LITTLE",
    "PR_ENDIAN_PPC_LITTLE", "PR_FPEMU_NOPRINT", "PR_FPEMU_SIGFPE", "PR_FP_EXC_SW_ENABLE",
    "PR_FP_EXC_DIV", "PR_FP_EXC_OVF", "PR_FP_EXC_UND", "PR_FP_EXC_RES", "PR_FP_EXC_INV",
    "PR_FP_EXC_DISABLED", "PR_FP_EXC_NONRECOV", "PR_FP_EXC_ASYNC", "PR_FP_EXC_PRECISE",
    "PR_FP_MODE_FR", "PR_FP_MODE_FRE", "PR_MCE_KILL_DEFAULT", "PR_MCE_KILL_EARLY",
    "PR_MCE_KILL_LATE", "PR_MPX_ENABLE_MANAGEMENT", "PR_MPX_DISABLE_MANAGEMENT",
    "PR_PAC_RESET_KEYS", "PR_PAC_APIAKEY", "PR_PAC_APIBKEY", "PR_PAC_APDAKEY",
    "PR_PAC_APDBKEY", "PR_PAC_APGAKEY", "PR_SET_PTRACER", "PR_SET_PTRACER_ANY",
    "PR_SPEC_STORE_BYPASS", "PR_SPEC_INDIRECT_BRANCH", "PR_SPEC_PRCTL", "PR_SPEC_ENABLE",
    "PR_SPEC_DISABLE", "PR_SPEC_FORCE_DISABLE", "PR_SPEC_DISABLE_NOEXEC",
    "PR_TASK_PERF_EVENTS_DISABLE", "PR_TASK_PERF_EVENTS_ENABLE", "PR_GET_TID_ADDRESS",
    "PR_TIMING_STATISTICAL", "PR_TIMING_TIMESTAMP", "PR_TSC_ENABLE", "PR_TSC_SIGSEGV",
    "PR_UNALIGN_NOPRINT", "PR_UNALIGN_SIGBUS",
    "SECBIT_NOROOT", "SECBIT_NOROOT_LOCKED", "SECBIT_NO_SETUID_FIXUP",
    "SECBIT_NO_SETUID_FIXUP_LOCKED", "SECBIT_KEEP_CAPS", "SECBIT_KEEP_CAPS_LOCKED",
    "SECBIT_NO_CAP_AMBIENT_RAISE", "SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED",
    "SECURE_NOROOT", "SECURE_NOROOT_LOCKED", "SECURE_NO_SETUID_FIXUP",
    "SECURE_NO_SETUID_FIXUP_LOCKED", "SECURE_KEEP_CAPS", "SECURE_KEEP_CAPS_LOCKED",
    "SECURE_NO_CAP_AMBIENT_RAISE", "SECURE_NO_CAP_AMBIENT_RAISE_LOCKED",
)  # fmt: skip

_g = globals()
for _name in _PAIRS:
    _g["PR_GET_" + _name] = getattr(_c, "PR_GET_" + _name)
    _g["PR_SET_" + _name] = getattr(_c, "PR_SET_" + _name)
for _name in _SINGLE:
    _g[_name] = getattr(_c, _name)
# python-prctl's names for the machine-check kill policy and the Yama ptracer, which
# has no getter in the kernel: python-prctl remembers what was set (NOT_SET: -1).
PR_GET_MCE_KILL: int = _c.PR_MCE_KILL_GET
PR_SET_MCE_KILL: int = _c.PR_MCE_KILL
PR_GET_PTRACER = -1

# libcap's cap_flag_t.
CAP_EFFECTIVE = 0
CAP_PERMITTED = 1
CAP_INHERITABLE = 2
CAP_LAST_CAP: int = _LAST_CAP
for _cap in _BY_NUMBER:
    _g["CAP_UNKNOWN_%d" % _cap if _cap.name.isdigit() else _cap.macro] = int(_cap)
del _g, _name, _cap

# ---- errors ---------------------------------------------------------------------------------

_OPTION_NAMES: "dict[int, str]" = {}


def _oserror(option: int, err: int) -> "CapabilityError":
    """The OSError python-prctl raises (PyErr_SetFromErrno), as a CapabilityError that
    also names the option."""
    from .._errors import capability_error, errno_text

    if not _OPTION_NAMES:
        for key, value in globals().items():
            if key.startswith(("PR_GET_", "PR_SET_", "PR_CAPBSET_", "PR_MPX_", "PR_TASK_",
                               "PR_PAC_RESET")) and key != "PR_SET_PTRACER_ANY":
                _OPTION_NAMES.setdefault(value, key)
    name = _OPTION_NAMES.get(option, "prctl option %d" % option)
    return capability_error("%s: %s" % (name, errno_text(err)), err, operation=name)


# ---- prctl() --------------------------------------------------------------------------------

_ULONG = (1 << 64) - 1
_LONG_MIN, _LONG_MAX = -(1 << 63), (1 << 63) - 1

_call = _c.call
_get = _c.get
_get_int = _c.get_int


def _one_of(allowed: "tuple[int, ...]", message: str) -> "Callable[[int, int], tuple[int, int]]":
    def check(arg: int, arg2: int) -> "tuple[int, int]":
        if arg not in allowed:
            raise ValueError(message)
        return arg, arg2

    check.allowed = frozenset(allowed)  # type: ignore[attr-defined]
    check.message = message  # type: ignore[attr-defined]
    return check


def _mask_of(bits: int, message: str) -> "Callable[[int, int], tuple[int, int]]":
    def check(arg: int, arg2: int) -> "tuple[int, int]":
        if arg & ~bits:
            raise ValueError(message)
        return arg, arg2

    return check


def _as_flag(arg: int, arg2: int) -> "tuple[int, int]":
    return (1 if arg else 0), arg2


def _must_be_one(arg: int, arg2: int) -> "tuple[int, int]":
    if not arg:
        raise ValueError("Argument must be 1")
    return 1, arg2


_valid_cap = _one_of(tuple(range(_LAST_CAP + 1)), "Unknown capability")
_valid_signal = _one_of(tuple(range(_signal.SIGRTMAX + 1)), "Unknown signal")
_SPEC_WHICH = (_c.PR_SPEC_STORE_BYPASS, _c.PR_SPEC_INDIRECT_BRANCH)
_SPEC_VALUE = (_c.PR_SPEC_ENABLE, _c.PR_SPEC_DISABLE, _c.PR_SPEC_FORCE_DISABLE,
               _c.PR_SPEC_DISABLE_NOEXEC)


_spec_get = _one_of(_SPEC_WHICH, "Invalid speculation control setting")


def _spec_set(arg: int, arg2: int) -> "tuple[int, int]":
    _spec_get(arg, arg2)
    if arg2 not in _SPEC_VALUE:
        raise ValueError("Invalid speculation control value")
    return arg, arg2


_SECBITS = (_c.SECBIT_NOROOT | _c.SECBIT_NOROOT_LOCKED | _c.SECBIT_NO_SETUID_FIXUP
            | _c.SECBIT_NO_SETUID_FIXUP_LOCKED | _c.SECBIT_KEEP_CAPS | _c.SECBIT_KEEP_CAPS_LOCKED
            | _c.SECBIT_NO_CAP_AMBIENT_RAISE | _c.SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED)

# What each option returns: "bool"/"int" (prctl's result), "none" (a setter), "out"
# (an int the kernel stores through arg2), "tid" (a pointer stored there), and the
# special cases; and how its argument is checked first.
_TABLE: "dict[int, tuple[str, Any]]" = {
    _c.PR_CAPBSET_READ: ("bool", _valid_cap),
    _c.PR_CAPBSET_DROP: ("none", _valid_cap),
    _c.PR_SET_CHILD_SUBREAPER: ("none", None),
    _c.PR_GET_CHILD_SUBREAPER: ("out", None),
    _c.PR_SET_DUMPABLE: ("none", _as_flag),
    _c.PR_GET_DUMPABLE: ("bool", None),
    _c.PR_SET_ENDIAN: ("none", _one_of(
        (_c.PR_ENDIAN_LITTLE, _c.PR_ENDIAN_BIG, _c.PR_ENDIAN_PPC_LITTLE), "Unknown endianness")),
    _c.PR_GET_ENDIAN: ("out", None),
    _c.PR_SET_FPEMU: ("none", _one_of(
        (_c.PR_FPEMU_NOPRINT, _c.PR_FPEMU_SIGFPE), "Unknown floating-point emulation setting")),
    _c.PR_GET_FPEMU: ("out", None),
    _c.PR_SET_FPEXC: ("none", _mask_of(
        _c.PR_FP_EXC_SW_ENABLE | _c.PR_FP_EXC_DIV | _c.PR_FP_EXC_OVF | _c.PR_FP_EXC_UND
        | _c.PR_FP_EXC_RES | _c.PR_FP_EXC_INV | _c.PR_FP_EXC_DISABLED | _c.PR_FP_EXC_NONRECOV
        | _c.PR_FP_EXC_ASYNC | _c.PR_FP_EXC_PRECISE, "Unknown floating-point exception mode")),
    _c.PR_GET_FPEXC: ("out", None),
    _c.PR_SET_FP_MODE: ("none", _one_of(
        (_c.PR_FP_MODE_FR, _c.PR_FP_MODE_FRE), "Unknown floating-point mode")),
    _c.PR_GET_FP_MODE: ("int", None),
    _c.PR_SET_IO_FLUSHER: ("none", _as_flag),
    _c.PR_GET_IO_FLUSHER: ("bool", None),
    _c.PR_SET_KEEPCAPS: ("none", _as_flag),
    _c.PR_GET_KEEPCAPS: ("bool", None),
    _c.PR_MCE_KILL: ("mce", _one_of(
        (_c.PR_MCE_KILL_DEFAULT, _c.PR_MCE_KILL_EARLY, _c.PR_MCE_KILL_LATE),
        "Unknown memory corruption kill policy")),
    _c.PR_MCE_KILL_GET: ("int", None),
    _c.PR_MPX_ENABLE_MANAGEMENT: ("none", None),
    _c.PR_MPX_DISABLE_MANAGEMENT: ("none", None),
    _c.PR_SET_NO_NEW_PRIVS: ("none", _must_be_one),
    _c.PR_GET_NO_NEW_PRIVS: ("int", None),
    _c.PR_PAC_RESET_KEYS: ("none", _mask_of(
        _c.PR_PAC_APIAKEY | _c.PR_PAC_APIBKEY | _c.PR_PAC_APDAKEY | _c.PR_PAC_APDBKEY
        | _c.PR_PAC_APGAKEY, "Unknown pointer authentication key")),
    _c.PR_SET_PDEATHSIG: ("none", _valid_signal),
    _c.PR_GET_PDEATHSIG: ("out", None),
    _c.PR_SET_PTRACER: ("ptracer", None),
    PR_GET_PTRACER: ("get_ptracer", None),
    _c.PR_SET_SECCOMP: ("none", _must_be_one),
    _c.PR_GET_SECCOMP: ("bool", None),
    _c.PR_SET_SECUREBITS: ("none", _mask_of(_SECBITS, "Invalid securebits set")),
    _c.PR_GET_SECUREBITS: ("int", None),
    _c.PR_SET_SPECULATION_CTRL: ("none", _spec_set),
    _c.PR_GET_SPECULATION_CTRL: ("int", _spec_get),
    _c.PR_TASK_PERF_EVENTS_DISABLE: ("none", None),
    _c.PR_TASK_PERF_EVENTS_ENABLE: ("none", None),
    _c.PR_SET_THP_DISABLE: ("none", None),
    _c.PR_GET_THP_DISABLE: ("bool", None),
    _c.PR_SET_TIMERSLACK: ("none", None),
    _c.PR_GET_TIMERSLACK: ("int", None),
    _c.PR_SET_TIMING: ("none", _one_of(
        (_c.PR_TIMING_STATISTICAL, _c.PR_TIMING_TIMESTAMP), "Invalid timing constant")),
    _c.PR_GET_TIMING: ("bool", None),
    _c.PR_SET_TSC: ("none", _one_of((_c.PR_TSC_ENABLE, _c.PR_TSC_SIGSEGV), "Invalid TSC setting")),
    _c.PR_GET_TSC: ("out", None),
    _c.PR_SET_UNALIGN: ("none", _one_of(
        (_c.PR_UNALIGN_NOPRINT, _c.PR_UNALIGN_SIGBUS), "Invalid TSC setting")),
    _c.PR_GET_UNALIGN: ("out", None),
    _c.PR_GET_TID_ADDRESS: ("tid", None),
    _c.PR_SET_NAME: ("set_name", None),
    _c.PR_GET_NAME: ("get_name", None),
}

# What PR_SET_PTRACER was last given (python-prctl's getter; the kernel has none).
_ptracer: "list[int]" = []


def _long(value: object) -> int:
    """A C long, as PyArg_ParseTuple's "l" takes it."""
    if isinstance(value, int):
        number = int(value)
    else:
        import operator

        number = operator.index(value)  # type: ignore[arg-type]  # TypeError: a float, a str
    if not _LONG_MIN <= number <= _LONG_MAX:
        raise OverflowError("Python int too large to convert to C long")
    return number


def prctl(option: int, arg: "int | str" = 0, arg2: int = 0, *rest: object) -> "Any":
    """prctl(option, arg=0, arg2=0): python-prctl's _prctl.prctl (see the module)."""
    if rest:
        raise TypeError("function takes at most 3 arguments (%d given)" % (3 + len(rest)))
    option = _long(option)
    if isinstance(arg, str):
        if arg2 != 0:
            raise TypeError("function takes exactly 2 arguments (3 given)")
        if option != _c.PR_SET_NAME:
            raise TypeError("an integer is required")
        if "\0" in arg:
            raise ValueError("embedded null character")
        return _run(option, 0, 0, arg.encode("utf-8"))
    arg, arg2 = _long(arg), _long(arg2)
    if option == _c.PR_SET_NAME:
        raise TypeError("a string is required")
    return _run(option, arg, arg2, None)


def _run(option: int, arg: int, arg2: int, name: "bytes | None") -> "Any":
    entry = _TABLE.get(option)
    if entry is None:
        raise ValueError("Unknown prctl option")
    kind, check = entry
    if check is not None:
        arg, arg2 = check(arg, arg2)
    if kind == "get_ptracer":
        return _ptracer[0] if _ptracer else _os.getppid()
    if kind == "set_name":
        r = _c.set_name((name or b"")[:16])
        if isinstance(r, tuple):
            raise _oserror(option, r[0])
        if isinstance(r, int):
            raise _oserror(option, -r)
        return None
    if kind == "get_name":
        got = _c.get_name()
        if isinstance(got, int):
            raise _oserror(option, -got)
        return got
    if kind == "out":
        r = _get_int(option)
    elif kind == "tid":
        r = _c.get_ulong(option)
    elif kind == "mce":
        r = _call(option, _c.PR_MCE_KILL_SET, arg & _ULONG)
    else:
        r = _call(option, arg & _ULONG, arg2 & _ULONG)
    if r < 0:
        raise _oserror(option, -r)
    if kind == "bool":
        return r != 0
    if kind in ("int", "out", "tid"):
        return r
    if kind == "ptracer":
        _ptracer[:] = [arg]
    return None


# ---- capabilities -----------------------------------------------------------------------


def _capget() -> "tuple[int, int, int]":
    caps = _ppy_sys.capget()
    if caps.__class__ is not tuple:
        raise _capset_error("capget", -caps)  # type: ignore[operator]
    return caps


def _capset_error(call: str, err: int) -> "CapabilityError":
    from .._errors import capability_error, errno_text

    return capability_error("%s: %s" % (call, errno_text(err)), err, operation=call)


def _numbers(caps: "Sequence[int] | None") -> "list[int]":
    if caps is None:
        return []
    if not hasattr(caps, "__len__") or not hasattr(caps, "__getitem__"):
        raise TypeError("A sequence of integers is required")
    out = []
    for cap in caps:
        if cap.__class__ is not int and not isinstance(cap, int):
            raise TypeError("A sequence of integers is required")
        if not 0 <= cap <= _LAST_CAP:
            raise _capset_error("cap_get_flag", 22)
        out.append(int(cap))
    return out


def get_caps(effective: "Sequence[int]", permitted: "Sequence[int] | None" = None,
             inheritable: "Sequence[int] | None" = None) -> "dict[int, dict[int, bool]]":
    """{CAP_EFFECTIVE: {cap: bool}, CAP_PERMITTED: {...}, CAP_INHERITABLE: {...}} for the
    capabilities listed for each set, read with one capget(2)."""
    lists = (_numbers(effective), _numbers(permitted), _numbers(inheritable))
    masks = _capget()
    out: "dict[int, dict[int, bool]]" = {}
    for flag, caps, mask in zip((CAP_EFFECTIVE, CAP_PERMITTED, CAP_INHERITABLE), lists,
                                masks):
        out[flag] = {cap: bool(mask >> cap & 1) for cap in caps}
    return out


def set_caps(effective_set: "Sequence[int]", permitted_set: "Sequence[int] | None" = None,
             inheritable_set: "Sequence[int] | None" = None,
             effective_clear: "Sequence[int] | None" = None,
             permitted_clear: "Sequence[int] | None" = None,
             inheritable_clear: "Sequence[int] | None" = None) -> None:
    """Add the ``*_set`` capabilities to, then remove the ``*_clear`` ones from, the
    effective, permitted and inheritable sets: one capget(2) and one capset(2)."""
    adds = [_numbers(effective_set), _numbers(permitted_set), _numbers(inheritable_set)]
    clears = [_numbers(effective_clear), _numbers(permitted_clear), _numbers(inheritable_clear)]
    masks = list(_capget())
    for k in range(3):
        for cap in adds[k]:
            masks[k] |= 1 << cap
        for cap in clears[k]:
            masks[k] &= ~(1 << cap)
    rc = _ppy_sys.capset(masks[0], masks[1], masks[2])
    if rc != 0:
        raise _capset_error("capset", -rc)


# The C call itself (python-prctl's is C too): str (or bytes); ValueError for a NUL; the
# argument area is found on the first call, a ProcTitleError (a RuntimeError, as
# python-prctl raises) when it cannot be.
from .._options import set_proctitle as set_proctitle  # noqa: E402
