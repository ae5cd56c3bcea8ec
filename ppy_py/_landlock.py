# SPDX-License-Identifier: LGPL-2.1-or-later
"""Landlock (Linux 5.13+) through the raw syscalls, for ppy_py.hardening.

ctypes is imported here, and only when this module is: ``import
ppy_py.hardening`` does not load it.  Each argument is passed as an
explicit ``c_long``/``c_void_p`` because syscall(2) is variadic.

Syscall numbers 444-446 are the same on every Linux architecture that has
them (the unified numbering since 5.x; see include/uapi/asm-generic/unistd.h
and arch/x86/entry/syscalls/syscall_64.tbl).
"""

import ctypes
import errno
import os

from ._errors import capability_error, errno_text

_NR_CREATE_RULESET = 444
_NR_ADD_RULE = 445
_NR_RESTRICT_SELF = 446
_CREATE_RULESET_VERSION = 1 << 0
_RULE_PATH_BENEATH = 1

# <linux/landlock.h> LANDLOCK_ACCESS_FS_*, and the ABI that introduced each.
EXECUTE = 1 << 0
WRITE_FILE = 1 << 1
READ_FILE = 1 << 2
READ_DIR = 1 << 3
REMOVE_DIR = 1 << 4
REMOVE_FILE = 1 << 5
MAKE_CHAR = 1 << 6
MAKE_DIR = 1 << 7
MAKE_REG = 1 << 8
MAKE_SOCK = 1 << 9
MAKE_FIFO = 1 << 10
MAKE_BLOCK = 1 << 11
MAKE_SYM = 1 << 12
REFER = 1 << 13  # ABI 2
TRUNCATE = 1 << 14  # ABI 3
IOCTL_DEV = 1 << 15  # ABI 5

_ABI1 = (1 << 13) - 1


def known_access(abi: int) -> int:
    """Every filesystem access right the given ABI version handles."""
    bits = _ABI1
    if abi >= 2:
        bits |= REFER
    if abi >= 3:
        bits |= TRUNCATE
    if abi >= 5:
        bits |= IOCTL_DEV
    return bits


READ = READ_FILE | READ_DIR
WRITE = (
    WRITE_FILE | REMOVE_DIR | REMOVE_FILE | MAKE_CHAR | MAKE_DIR | MAKE_REG | MAKE_SOCK
    | MAKE_FIFO | MAKE_BLOCK | MAKE_SYM | REFER | TRUNCATE | IOCTL_DEV
)
# Rights that make sense on a non-directory (the kernel refuses others, EINVAL).
FILE_ONLY = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV


class _PathBeneath(ctypes.Structure):
    _pack_ = 1  # __attribute__((packed)) in <linux/landlock.h>
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


_libc = ctypes.CDLL(None, use_errno=True)
_syscall = _libc.syscall
_syscall.restype = ctypes.c_long
_L = ctypes.c_long


def _call(*args: object) -> "tuple[int, int]":
    ctypes.set_errno(0)
    rc = _syscall(*args)
    return rc, ctypes.get_errno()


def abi_version() -> int:
    rc, err = _call(_L(_NR_CREATE_RULESET), ctypes.c_void_p(None), _L(0), _L(_CREATE_RULESET_VERSION))
    if rc < 0:
        if err in (errno.ENOSYS, errno.EOPNOTSUPP):
            return 0
        raise capability_error("cannot read the Landlock ABI version: " + errno_text(err), err,
                               operation="landlock_create_ruleset")
    return rc


def restrict(read: "list[str]", write: "list[str]", execute: "list[str]") -> int:
    abi = abi_version()
    if abi == 0:
        raise capability_error(
            "Landlock is not available on this kernel (disabled or older than 5.13)",
            errno.EOPNOTSUPP, operation="landlock_create_ruleset",
        )
    handled = known_access(abi)
    rules: "dict[str, int]" = {}
    for paths, access in ((read, READ), (write, READ | WRITE), (execute, READ | EXECUTE)):
        for p in paths:
            key = os.fsdecode(os.fspath(p))
            rules[key] = rules.get(key, 0) | (access & handled)
    # Open every path first: a missing one fails before anything changes.
    fds: "list[tuple[str, int, int]]" = []
    try:
        for path, access in rules.items():
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError as e:
                raise capability_error(
                    "Landlock: cannot open %r: %s" % (path, errno_text(e.errno or 0)),
                    e.errno, operation="landlock_add_rule", filename=path,
                ) from None
            import stat

            if not stat.S_ISDIR(os.fstat(fd).st_mode):
                access &= FILE_ONLY
            fds.append((path, fd, access))
        attr = ctypes.c_uint64(handled)  # struct landlock_ruleset_attr, fs part only
        rc, err = _call(_L(_NR_CREATE_RULESET), ctypes.byref(attr), _L(ctypes.sizeof(attr)), _L(0))
        if rc < 0:
            raise capability_error("landlock_create_ruleset failed: " + errno_text(err), err,
                                   operation="landlock_create_ruleset")
        ruleset = rc
        try:
            for path, fd, access in fds:
                if not access:
                    continue
                rule = _PathBeneath(access, fd)
                rc, err = _call(_L(_NR_ADD_RULE), _L(ruleset), _L(_RULE_PATH_BENEATH), ctypes.byref(rule), _L(0))
                if rc < 0:
                    raise capability_error(
                        "landlock_add_rule for %r failed: %s" % (path, errno_text(err)), err,
                        operation="landlock_add_rule", filename=path,
                    )
            from ._process import no_new_privs, set_no_new_privs

            if not no_new_privs():
                set_no_new_privs()
            rc, err = _call(_L(_NR_RESTRICT_SELF), _L(ruleset), _L(0))
            if rc < 0:
                raise capability_error("landlock_restrict_self failed: " + errno_text(err), err,
                                       operation="landlock_restrict_self")
        finally:
            os.close(ruleset)
    finally:
        for _path, fd, _access in fds:
            os.close(fd)
    return abi
