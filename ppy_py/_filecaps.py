# SPDX-License-Identifier: LGPL-2.1-or-later
"""File capabilities: the ``security.capability`` extended attribute (getcap/setcap).

ppy_py reads and writes the xattr itself, with ``os.getxattr`` and
``os.setxattr`` (paths or file descriptors), instead of libcap-ng's
``capng_get_caps_fd``/``capng_apply_caps_fd``: libcap-ng 0.8.3 cannot write a
v3 (rootid) entry.  The layout (<linux/capability.h>, all little-endian
32-bit words)::

    v1 (12 bytes): magic_etc, permitted, inheritable            -- read only
    v2 (20 bytes): magic_etc, {permitted, inheritable} x 2 (low, high words)
    v3 (24 bytes): as v2, then rootid

``magic_etc`` holds the revision in its top byte and VFS_CAP_FLAGS_EFFECTIVE
(bit 0).  A v3 entry applies only inside a user namespace whose root is
``rootid``; the kernel ignores it everywhere else, so ``FileCaps.rootid``
is always shown and never folded into host capabilities.  Writing v3 with
rootid 0 from the initial namespace stores v2: the kernel normalises it.
"""

import os
import struct

from ._caps import ALL_MASK, LAST_CAP, CapSet, _from_mask, mask_of
from ._capng import lib
from ._errors import capability_error, errno_text

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Union

    from ._caps import CapLike

    PathOrFd = Union[int, str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]

XATTR_NAME = "security.capability"
_REV_MASK = lib.VFS_CAP_REVISION_MASK
_EFFECTIVE = lib.VFS_CAP_FLAGS_EFFECTIVE
_V1, _V2, _V3 = lib.VFS_CAP_REVISION_1, lib.VFS_CAP_REVISION_2, lib.VFS_CAP_REVISION_3
_MAX_ROOTID = 0xFFFFFFFE  # (uid_t)-1 is "no uid"


class FileCaps:
    """The capabilities stored on a file (what ``getcap`` shows).

    On execve() of the file, roughly: new permitted = (file permitted &
    bounding) | (file inheritable & thread inheritable) | ambient-if-none;
    with ``effective`` True, all of new permitted starts effective.
    ``rootid`` is None for v1/v2 (host) entries and the namespace root uid
    for v3 entries; ``version`` is the revision read (1, 2 or 3).
    """

    __slots__ = ("permitted", "inheritable", "effective", "rootid", "version")

    permitted: CapSet
    inheritable: CapSet
    effective: bool
    rootid: "int | None"
    version: int

    def __init__(
        self,
        permitted: "Iterable[CapLike] | str | CapSet" = (),
        inheritable: "Iterable[CapLike] | str | CapSet" = (),
        effective: bool = False,
        rootid: "int | None" = None,
        version: "int | None" = None,
    ) -> None:
        if not isinstance(effective, bool):
            raise TypeError("effective must be a bool, not %s" % type(effective).__name__)
        if rootid is not None:
            if isinstance(rootid, bool) or not isinstance(rootid, int):
                raise TypeError("rootid must be an int or None")
            if not 0 <= rootid <= _MAX_ROOTID:
                raise ValueError("rootid %d is not a valid uid (0..%d)" % (rootid, _MAX_ROOTID))
        if version is None:
            version = 3 if rootid else 2
        object.__setattr__(self, "permitted", CapSet(permitted))
        object.__setattr__(self, "inheritable", CapSet(inheritable))
        object.__setattr__(self, "effective", effective)
        object.__setattr__(self, "rootid", rootid)
        object.__setattr__(self, "version", version)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("FileCaps is immutable")

    # ---- the xattr codec ----------------------------------------------

    @classmethod
    def from_xattr(cls, data: bytes) -> "FileCaps":
        """Decode a ``security.capability`` value (v1, v2 or v3).

        Malformed data raises ValueError; capability bits above the running
        kernel's cap_last_cap raise ValueError too (rather than being
        dropped from the answer).
        """
        n = len(data)
        if n < 4:
            raise ValueError("security.capability is %d bytes: too short" % n)
        magic = struct.unpack_from("<I", data)[0]
        revision = magic & _REV_MASK
        if magic & ~_REV_MASK & ~_EFFECTIVE:
            raise ValueError("security.capability has unknown flags %#x" % magic)
        rootid = None
        if revision == _V1 and n == 12:
            permitted, inheritable = struct.unpack_from("<II", data, 4)
            version = 1
        elif revision in (_V2, _V3) and n == (20 if revision == _V2 else 24):
            p_lo, i_lo, p_hi, i_hi = struct.unpack_from("<IIII", data, 4)
            permitted = p_hi << 32 | p_lo
            inheritable = i_hi << 32 | i_lo
            version = 2
            if revision == _V3:
                rootid = struct.unpack_from("<I", data, 20)[0]
                version = 3
        else:
            raise ValueError(
                "security.capability: revision %#x with %d bytes is not a known layout"
                % (revision >> 24, n)
            )
        extra = (permitted | inheritable) & ~ALL_MASK
        if extra:
            raise ValueError(
                "the file's capabilities include bits %#x, above the running kernel's "
                "cap_last_cap (%d)" % (extra, LAST_CAP)
            )
        new = object.__new__(cls)
        object.__setattr__(new, "permitted", _from_mask(permitted))
        object.__setattr__(new, "inheritable", _from_mask(inheritable))
        object.__setattr__(new, "effective", bool(magic & _EFFECTIVE))
        object.__setattr__(new, "rootid", rootid)
        object.__setattr__(new, "version", version)
        return new

    def to_xattr(self) -> bytes:
        """Encode as v2 (rootid None or 0) or v3 (any other rootid)."""
        p, i = self.permitted.mask, self.inheritable.mask
        flags = _EFFECTIVE if self.effective else 0
        words = [p & 0xFFFFFFFF, i & 0xFFFFFFFF, p >> 32, i >> 32]
        if self.rootid:
            return struct.pack("<IIIIII", _V3 | flags, *words, self.rootid)
        return struct.pack("<IIIII", _V2 | flags, *words)

    # ---- text ------------------------------------------------------------

    def to_text(self) -> str:
        """libcap-style text, e.g. ``"cap_net_raw=ep"`` or
        ``"cap_kill=i cap_net_raw=p"``; ``" [rootid=N]"`` is appended for a
        v3 entry, as ``getcap -n`` does."""
        from ._state import flags_text

        p, i = self.permitted.mask, self.inheritable.mask
        text = flags_text((p | i) if self.effective else 0, p, i)
        if self.rootid is not None:
            text += " [rootid=%d]" % self.rootid
        return text

    @classmethod
    def from_text(cls, text: str, rootid: "int | None" = None) -> "FileCaps":
        """Parse libcap text such as ``"cap_net_raw,cap_kill+ep"`` or
        ``"cap_net_raw=p cap_kill=i"`` (clauses of ``caps`` then ``=``,
        ``+`` or ``-`` with flags from ``eip``; no caps before ``=`` means
        all).  A file has one effective bit, so ``e`` must cover all of the
        permitted and inheritable caps or none of them."""
        if not isinstance(text, str):
            raise TypeError("from_text() takes a str")
        sets = {"e": 0, "i": 0, "p": 0}
        for clause in text.split():
            pos = min((clause.find(op) for op in "=+-" if op in clause), default=-1)
            if pos < 0:
                raise ValueError("%r: no '=', '+' or '-' in %r" % (text, clause))
            names, rest = clause[:pos], clause[pos:]
            if names.strip().lower() in ("", "all"):
                mask = ALL_MASK
            else:
                mask = mask_of([names])
            op = ""
            for ch in rest:
                if ch in "=+-":
                    op = ch
                    if op == "=":
                        for key in sets:
                            sets[key] &= ~mask
                elif ch in "eip":
                    if op == "-":
                        sets[ch] &= ~mask
                    else:
                        sets[ch] |= mask
                else:
                    raise ValueError("%r: unknown flag %r (use e, i, p)" % (text, ch))
        pi = sets["p"] | sets["i"]
        if sets["e"] not in (0, pi):
            raise ValueError(
                "%r: a file has one effective bit: 'e' must be set on all of its "
                "permitted and inheritable capabilities or on none" % text
            )
        return cls(
            _from_mask(sets["p"]), _from_mask(sets["i"]), bool(sets["e"]) and bool(pi), rootid
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FileCaps):
            return NotImplemented
        return (self.permitted, self.inheritable, self.effective, self.rootid or None) == (
            other.permitted,
            other.inheritable,
            other.effective,
            other.rootid or None,
        )

    def __hash__(self) -> int:
        return hash((self.permitted.mask, self.inheritable.mask, self.effective, self.rootid or None))

    def __repr__(self) -> str:
        return "FileCaps(permitted=%r, inheritable=%r, effective=%r, rootid=%r)" % (
            str(self.permitted),
            str(self.inheritable),
            self.effective,
            self.rootid,
        )


def _target(path_or_fd: "PathOrFd") -> "tuple[int | str | bytes, str]":
    """What os.*xattr accepts, and how to name it in messages."""
    if isinstance(path_or_fd, bool):
        raise TypeError("expected a path or a file descriptor, not bool")
    if isinstance(path_or_fd, int):
        if path_or_fd < 0:
            raise ValueError("bad file descriptor %d" % path_or_fd)
        return path_or_fd, "fd %d" % path_or_fd
    try:
        path = os.fspath(path_or_fd)
    except TypeError:
        raise TypeError(
            "expected a path or a file descriptor, not %s" % type(path_or_fd).__name__
        ) from None
    return path, repr(os.fsdecode(path))


def _xattr_error(verb: str, name: str, exc: OSError, filename: "str | None") -> BaseException:
    import errno

    err = exc.errno or 0
    why = errno_text(err) if err else str(exc)
    if err == errno.EOPNOTSUPP:
        why = "the file system does not support extended attributes (%s)" % why
    elif err == errno.EPERM and verb == "set":
        why += "; writing file capabilities needs CAP_SETFCAP"
    return capability_error(
        "cannot %s the file capabilities of %s: %s" % (verb, name, why),
        err or None,
        operation=verb,
        capset="file",
        filename=filename,
    )


def file_caps(path_or_fd: "PathOrFd", *, follow_symlinks: bool = True) -> "FileCaps | None":
    """Read a file's capabilities (``getcap``); None when it has none.

    A missing file, a file system without extended attributes or a
    malformed entry raise (``CapabilityError``/``ValueError``).
    """
    target, name = _target(path_or_fd)
    fname = None if isinstance(target, int) else os.fsdecode(target)
    try:
        data = os.getxattr(target, XATTR_NAME, follow_symlinks=follow_symlinks)
    except OSError as exc:
        import errno

        if exc.errno == errno.ENODATA:
            return None
        raise _xattr_error("read", name, exc, fname) from None
    try:
        return FileCaps.from_xattr(data)
    except ValueError as exc:
        raise ValueError("%s: %s" % (name, exc)) from None


def set_file_caps(
    path_or_fd: "PathOrFd",
    permitted: "Iterable[CapLike] | str | CapSet | FileCaps" = (),
    inheritable: "Iterable[CapLike] | str | CapSet" = (),
    effective: bool = False,
    *,
    rootid: "int | None" = None,
    follow_symlinks: bool = True,
) -> FileCaps:
    """Write a file's capabilities (``setcap``), read them back, return them.

    ``permitted`` may also be a whole ``FileCaps``.  With a ``rootid``
    other than None/0 a v3 entry is written: it grants only inside a user
    namespace whose root maps to that uid.  Needs CAP_SETFCAP.  Setting no
    capability at all writes an empty entry; use ``clear_file_caps`` to
    remove it.
    """
    if isinstance(permitted, FileCaps):
        if inheritable or effective or rootid is not None:
            raise TypeError("pass either a FileCaps or permitted/inheritable/effective/rootid")
        want = permitted
    else:
        want = FileCaps(permitted, inheritable, effective, rootid)
    target, name = _target(path_or_fd)
    fname = None if isinstance(target, int) else os.fsdecode(target)
    try:
        os.setxattr(target, XATTR_NAME, want.to_xattr(), 0, follow_symlinks=follow_symlinks)
    except OSError as exc:
        raise _xattr_error("set", name, exc, fname) from None
    got = file_caps(target, follow_symlinks=follow_symlinks)
    if got != want:
        raise capability_error(
            "set the file capabilities of %s: wrote %r, the kernel reports %r" % (name, want, got),
            None,
            operation="set",
            capset="file",
        )
    assert got is not None
    return got


def clear_file_caps(path_or_fd: "PathOrFd", *, follow_symlinks: bool = True) -> None:
    """Remove a file's capabilities (``setcap -r``); no error if it has none.
    Checked by reading back."""
    import errno

    target, name = _target(path_or_fd)
    fname = None if isinstance(target, int) else os.fsdecode(target)
    try:
        os.removexattr(target, XATTR_NAME, follow_symlinks=follow_symlinks)
    except OSError as exc:
        if exc.errno != errno.ENODATA:
            raise _xattr_error("clear", name, exc, fname) from None
    if file_caps(target, follow_symlinks=follow_symlinks) is not None:
        raise capability_error(
            "clear the file capabilities of %s: still present after removexattr" % name,
            None,
            operation="clear",
            capset="file",
        )
