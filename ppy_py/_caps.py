# SPDX-License-Identifier: LGPL-2.1-or-later
"""Capability names and numbers (``Cap``) and immutable sets of them (``CapSet``).

The kernel numbers capabilities 0..cap_last_cap and says which is last in
/proc/sys/kernel/cap_last_cap.  ``Cap`` has one member per number up to that
value, read when ppy_py is imported: a capability the running kernel does not
have is refused, and one the kernel has but this table does not name yet is
still usable by number (``Cap(41)``, text ``cap_41``, as libcap writes it).

``Cap`` is an ``int`` subclass, so a member goes straight to the kernel.
``CapSet`` is a 64-bit mask with a frozenset-like interface; it builds no
Python objects until you iterate it.
"""

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from typing import ClassVar, Union

    CapLike = Union["Cap", int, str]

# Kernel names, index = capability number (include/uapi/linux/capability.h).
# tests/test_lib_caps.py checks them against libcap-ng and the C header.
KNOWN_NAMES = (
    "chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill",
    "setgid", "setuid", "setpcap", "linux_immutable", "net_bind_service",
    "net_broadcast", "net_admin", "net_raw", "ipc_lock", "ipc_owner",
    "sys_module", "sys_rawio", "sys_chroot", "sys_ptrace", "sys_pacct",
    "sys_admin", "sys_boot", "sys_nice", "sys_resource", "sys_time",
    "sys_tty_config", "mknod", "lease", "audit_write", "audit_control",
    "setfcap", "mac_override", "mac_admin", "syslog", "wake_alarm",
    "block_suspend", "audit_read", "perfmon", "bpf", "checkpoint_restore",
)  # fmt: skip


def _read_last_cap() -> int:
    """cap_last_cap of the running kernel.

    Read from /proc; when /proc is not mounted, probe PR_CAPBSET_READ (which
    fails with EINVAL above the last capability).  Starts no process.
    """
    try:
        fd = os.open("/proc/sys/kernel/cap_last_cap", os.O_RDONLY | os.O_CLOEXEC)
        try:
            value = int(os.read(fd, 32))
        finally:
            os.close(fd)
    except (OSError, ValueError):
        from ._capng import lib

        value = lib.ppy_probe_last_cap()
        if value < 0:
            raise ImportError(
                "ppy_py: cannot find the kernel's last capability: "
                "/proc/sys/kernel/cap_last_cap is unreadable and "
                "PR_CAPBSET_READ failed with errno %d" % -value
            ) from None
    if not 0 <= value <= 63:
        raise ImportError("ppy_py: kernel reports cap_last_cap = %d, outside 0..63" % value)
    return value


LAST_CAP = _read_last_cap()
ALL_MASK = (1 << (LAST_CAP + 1)) - 1


class Cap(int):
    """One Linux capability: an ``int`` (its number) with a name.

    ``Cap.NET_RAW``, ``Cap(13)``, ``Cap("net_raw")`` and ``Cap.parse(x)`` all
    give the same object.  ``str(cap)`` is the libcap text form
    (``cap_net_raw``); ``cap.name`` is the member name (``NET_RAW``);
    ``cap.macro`` is the C name (``CAP_NET_RAW``).  Only capabilities up to
    the running kernel's cap_last_cap exist.
    """

    __slots__ = ()

    CHOWN: "ClassVar[Cap]"
    DAC_OVERRIDE: "ClassVar[Cap]"
    DAC_READ_SEARCH: "ClassVar[Cap]"
    FOWNER: "ClassVar[Cap]"
    FSETID: "ClassVar[Cap]"
    KILL: "ClassVar[Cap]"
    SETGID: "ClassVar[Cap]"
    SETUID: "ClassVar[Cap]"
    SETPCAP: "ClassVar[Cap]"
    LINUX_IMMUTABLE: "ClassVar[Cap]"
    NET_BIND_SERVICE: "ClassVar[Cap]"
    NET_BROADCAST: "ClassVar[Cap]"
    NET_ADMIN: "ClassVar[Cap]"
    NET_RAW: "ClassVar[Cap]"
    IPC_LOCK: "ClassVar[Cap]"
    IPC_OWNER: "ClassVar[Cap]"
    SYS_MODULE: "ClassVar[Cap]"
    SYS_RAWIO: "ClassVar[Cap]"
    SYS_CHROOT: "ClassVar[Cap]"
    SYS_PTRACE: "ClassVar[Cap]"
    SYS_PACCT: "ClassVar[Cap]"
    SYS_ADMIN: "ClassVar[Cap]"
    SYS_BOOT: "ClassVar[Cap]"
    SYS_NICE: "ClassVar[Cap]"
    SYS_RESOURCE: "ClassVar[Cap]"
    SYS_TIME: "ClassVar[Cap]"
    SYS_TTY_CONFIG: "ClassVar[Cap]"
    MKNOD: "ClassVar[Cap]"
    LEASE: "ClassVar[Cap]"
    AUDIT_WRITE: "ClassVar[Cap]"
    AUDIT_CONTROL: "ClassVar[Cap]"
    SETFCAP: "ClassVar[Cap]"
    MAC_OVERRIDE: "ClassVar[Cap]"
    MAC_ADMIN: "ClassVar[Cap]"
    SYSLOG: "ClassVar[Cap]"
    WAKE_ALARM: "ClassVar[Cap]"
    BLOCK_SUSPEND: "ClassVar[Cap]"
    AUDIT_READ: "ClassVar[Cap]"
    PERFMON: "ClassVar[Cap]"
    BPF: "ClassVar[Cap]"
    CHECKPOINT_RESTORE: "ClassVar[Cap]"

    def __new__(cls, value: "CapLike") -> "Cap":
        return parse_cap(value)

    @classmethod
    def parse(cls, value: "CapLike") -> "Cap":
        """Accept a ``Cap``, a number, or a name in any spelling.

        ``"net_raw"``, ``"NET_RAW"``, ``"cap_net_raw"``, ``"CAP_NET_RAW"``,
        ``"13"``, ``"cap_13"`` and ``13`` all give ``Cap.NET_RAW``.  Unknown
        names and numbers above cap_last_cap raise ``ValueError``; other
        types (``bool``, ``bytes``, ``float``...) raise ``TypeError``.
        """
        return parse_cap(value)

    @classmethod
    def all(cls) -> "tuple[Cap, ...]":
        """Every capability of the running kernel, by number."""
        return tuple(_BY_NUMBER)

    @property
    def name(self) -> str:
        """Member name: ``"NET_RAW"`` (``"41"`` for an unnamed capability)."""
        return _TEXT[self][4:].upper()

    @property
    def macro(self) -> str:
        """C macro name: ``"CAP_NET_RAW"`` (``"CAP_41"`` when unnamed)."""
        return _TEXT[self].upper()

    @property
    def value(self) -> int:
        """The capability number, as a plain int."""
        return int(self)

    @property
    def mask(self) -> int:
        """``1 << number``."""
        return 1 << self

    def __str__(self) -> str:
        return _TEXT[self]

    def __repr__(self) -> str:
        text = _TEXT[self]
        if text[4:].isdigit():
            return "Cap(%d)" % self
        return "Cap." + text[4:].upper()

    def __format__(self, spec: str) -> str:
        if spec:
            return int.__format__(int(self), spec)
        return _TEXT[self]

    def __reduce__(self) -> "tuple[type[Cap], tuple[int]]":
        return (Cap, (int(self),))


_BY_NUMBER: "list[Cap]" = []
_TEXT: "dict[int, str]" = {}  # number -> "cap_net_raw"
_BY_KEY: "dict[str, Cap]" = {}  # "net_raw", "13" -> Cap
_PARSE_CACHE: "dict[object, Cap]" = {}


def _install() -> None:
    for number in range(LAST_CAP + 1):
        member = int.__new__(Cap, number)
        short = KNOWN_NAMES[number] if number < len(KNOWN_NAMES) else str(number)
        _BY_NUMBER.append(member)
        _TEXT[number] = "cap_" + short
        _BY_KEY[short] = member
        _BY_KEY[str(number)] = member
        if not short.isdigit():
            setattr(Cap, short.upper(), member)


_install()


def _unknown_name(value: str) -> "ValueError":
    key = value.strip().lower()
    key = key[4:] if key.startswith("cap_") else key
    if key in KNOWN_NAMES:
        return ValueError(
            "capability %r (number %d) is not supported by the running kernel "
            "(cap_last_cap = %d)" % (value, KNOWN_NAMES.index(key), LAST_CAP)
        )
    import difflib  # error path only: keep it out of import time

    close = difflib.get_close_matches(key, KNOWN_NAMES[: LAST_CAP + 1], n=1, cutoff=0.6)
    hint = "; did you mean %r?" % close[0] if close else ""
    return ValueError("unknown capability %r%s" % (value, hint))


def parse_cap(value: object) -> "Cap":
    """Implementation of ``Cap.parse`` (see there)."""
    if type(value) is Cap:
        return value
    try:
        return _PARSE_CACHE[value]
    except (KeyError, TypeError):
        pass
    if isinstance(value, bool):
        raise TypeError("a capability cannot be a bool (%r)" % value)
    if isinstance(value, int):
        if 0 <= value <= LAST_CAP:
            return _BY_NUMBER[value]
        if value < 0:
            raise ValueError("capability number %d is negative" % value)
        raise ValueError(
            "capability number %d is above the running kernel's cap_last_cap (%d)"
            % (value, LAST_CAP)
        )
    if isinstance(value, str):
        key = value.strip().lower()
        if key.startswith("cap_"):
            key = key[4:]
        member = _BY_KEY.get(key)
        if member is None:
            if key.isdigit() and len(key) < 4:
                return parse_cap(int(key))
            raise _unknown_name(value)
        # Plain str only: a str subclass may parse differently from how it compares.
        if type(value) is str and len(_PARSE_CACHE) < 512:
            _PARSE_CACHE[value] = member
        return member
    if isinstance(value, (bytes, bytearray)):
        raise TypeError("capability names are str, not bytes (%r)" % (value,))
    raise TypeError(
        "expected a Cap, a capability name or a number, not %s" % type(value).__name__
    )


def mask_of(items: "Iterable[object]") -> int:
    """OR of the capabilities in ``items``.

    Each item may be a ``Cap``, a number, a name, a ``CapSet``, or a str
    holding a comma-separated list (``"net_raw,net_admin"``).
    """
    mask = 0
    for item in items:
        if type(item) is Cap:
            mask |= 1 << item
        elif isinstance(item, CapSet):
            mask |= item._mask
        elif isinstance(item, str) and "," in item:
            for part in item.split(","):
                if part.strip():
                    mask |= 1 << parse_cap(part)
        else:
            mask |= 1 << parse_cap(item)
    return mask


def caps_of_mask(mask: int) -> "tuple[Cap, ...]":
    """The ``Cap`` members whose bits are set in ``mask`` (ascending)."""
    out = []
    number = 0
    while mask:
        if mask & 1:
            out.append(_BY_NUMBER[number])
        mask >>= 1
        number += 1
    return tuple(out)


def macros(mask: int) -> str:
    """``"CAP_NET_RAW, CAP_SYS_ADMIN"`` for error messages."""
    return ", ".join(cap.macro for cap in caps_of_mask(mask))


def _coerce(other: object) -> "int | None":
    if isinstance(other, CapSet):
        return other._mask
    if isinstance(other, (set, frozenset)):
        return mask_of(other)
    return None


class CapSet:
    """An immutable set of capabilities, stored as a 64-bit mask.

    Behaves like a ``frozenset`` of ``Cap``: ``|``, ``&``, ``-``, ``^``,
    ``in``, ``len``, iteration (ascending ``Cap``), ``<=``/``<`` subset
    tests, hashing, and the named methods (``union`` ... accept any
    iterable).  ``str()`` is the libcap text ``"cap_chown,cap_kill"``;
    ``CapSet("cap_chown,cap_kill")`` parses it back.  ``int(s)`` and
    ``s.mask`` give the kernel mask.
    """

    __slots__ = ("_mask",)

    _mask: int

    def __init__(self, caps: "Iterable[CapLike] | str | CapSet" = ()) -> None:
        if isinstance(caps, CapSet):
            mask = caps._mask
        elif isinstance(caps, str):
            mask = mask_of([caps]) if caps.strip() else 0
        else:
            mask = mask_of(caps)
        object.__setattr__(self, "_mask", mask)

    @classmethod
    def from_mask(cls, mask: int) -> "CapSet":
        """The set whose kernel bit mask is ``mask``.

        Bits above the running kernel's cap_last_cap raise ``ValueError``.
        """
        if isinstance(mask, bool) or not isinstance(mask, int):
            raise TypeError("mask must be an int, not %s" % type(mask).__name__)
        if mask < 0 or mask & ~ALL_MASK:
            raise ValueError(
                "mask %#x has bits outside 0..cap_last_cap (%d)" % (mask, LAST_CAP)
            )
        return _from_mask(mask)

    @classmethod
    def parse(cls, text: str) -> "CapSet":
        """Parse ``"cap_chown,cap_kill"`` (any spelling; ``""`` is empty).

        ``"all"`` is every capability of the running kernel.
        """
        if not isinstance(text, str):
            raise TypeError("CapSet.parse() takes a str, not %s" % type(text).__name__)
        if text.strip().lower() == "all":
            return _from_mask(ALL_MASK)
        return cls(text)

    @classmethod
    def all(cls) -> "CapSet":
        """Every capability of the running kernel (0..cap_last_cap)."""
        return _from_mask(ALL_MASK)

    @property
    def mask(self) -> int:
        return self._mask

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("CapSet is immutable")

    def __int__(self) -> int:
        return self._mask

    def __index__(self) -> int:
        return self._mask

    def __contains__(self, cap: object) -> bool:
        if type(cap) is Cap:
            return bool(self._mask >> cap & 1)
        return bool(self._mask >> parse_cap(cap) & 1)

    def __iter__(self) -> "Iterator[Cap]":
        return iter(caps_of_mask(self._mask))

    def __len__(self) -> int:
        return bin(self._mask).count("1")

    def __bool__(self) -> bool:
        return self._mask != 0

    def __or__(self, other: object) -> "CapSet":
        mask = _coerce(other)
        if mask is None:
            return NotImplemented
        return _from_mask(self._mask | mask)

    __ror__ = __or__

    def __and__(self, other: object) -> "CapSet":
        mask = _coerce(other)
        if mask is None:
            return NotImplemented
        return _from_mask(self._mask & mask)

    __rand__ = __and__

    def __xor__(self, other: object) -> "CapSet":
        mask = _coerce(other)
        if mask is None:
            return NotImplemented
        return _from_mask(self._mask ^ mask)

    __rxor__ = __xor__

    def __sub__(self, other: object) -> "CapSet":
        mask = _coerce(other)
        if mask is None:
            return NotImplemented
        return _from_mask(self._mask & ~mask)

    def __rsub__(self, other: object) -> "CapSet":
        mask = _coerce(other)
        if mask is None:
            return NotImplemented
        return _from_mask(mask & ~self._mask)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, CapSet):
            return self._mask == other._mask
        if isinstance(other, (set, frozenset)):
            try:
                return self._mask == mask_of(other) and len(other) == len(self)
            except (TypeError, ValueError):
                return False
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    def __hash__(self) -> int:
        # Equal to a frozenset of the same Caps, so the hashes must match.
        return hash(frozenset(caps_of_mask(self._mask)))

    def __le__(self, other: object) -> bool:
        mask = _coerce(other)
        if mask is None:
            return NotImplemented
        return self._mask & ~mask == 0

    def __lt__(self, other: object) -> bool:
        mask = _coerce(other)
        if mask is None:
            return NotImplemented
        return self._mask & ~mask == 0 and self._mask != mask

    def __ge__(self, other: object) -> bool:
        mask = _coerce(other)
        if mask is None:
            return NotImplemented
        return mask & ~self._mask == 0

    def __gt__(self, other: object) -> bool:
        mask = _coerce(other)
        if mask is None:
            return NotImplemented
        return mask & ~self._mask == 0 and self._mask != mask

    def union(self, *others: "Iterable[CapLike]") -> "CapSet":
        mask = self._mask
        for other in others:
            mask |= mask_of(other)
        return _from_mask(mask)

    def intersection(self, *others: "Iterable[CapLike]") -> "CapSet":
        mask = self._mask
        for other in others:
            mask &= mask_of(other)
        return _from_mask(mask)

    def difference(self, *others: "Iterable[CapLike]") -> "CapSet":
        mask = self._mask
        for other in others:
            mask &= ~mask_of(other)
        return _from_mask(mask)

    def symmetric_difference(self, other: "Iterable[CapLike]") -> "CapSet":
        return _from_mask(self._mask ^ mask_of(other))

    def issubset(self, other: "Iterable[CapLike]") -> bool:
        return self._mask & ~mask_of(other) == 0

    def issuperset(self, other: "Iterable[CapLike]") -> bool:
        return mask_of(other) & ~self._mask == 0

    def isdisjoint(self, other: "Iterable[CapLike]") -> bool:
        return self._mask & mask_of(other) == 0

    def __str__(self) -> str:
        return ",".join(_TEXT[cap] for cap in caps_of_mask(self._mask))

    def __repr__(self) -> str:
        return "CapSet(%r)" % str(self)

    def __reduce__(self) -> "tuple[type[CapSet], tuple[str]]":
        return (CapSet, (str(self),))


def _from_mask(mask: int) -> "CapSet":
    """Trusted constructor: ``mask`` is already within 0..ALL_MASK.

    CapSets are immutable, so the single-cap and empty ones (what
    ``raise_caps`` returns most) are made once and shared."""
    try:
        return _SMALL_SETS[mask]
    except KeyError:
        pass
    new = object.__new__(CapSet)
    object.__setattr__(new, "_mask", mask)
    return new


_SMALL_SETS: "dict[int, CapSet]" = {}
EMPTY = _from_mask(0)
_SMALL_SETS.update({1 << n: _from_mask(1 << n) for n in range(LAST_CAP + 1)})
_SMALL_SETS[0] = EMPTY
