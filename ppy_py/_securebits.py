# SPDX-License-Identifier: LGPL-2.1-or-later
"""The ``Securebits`` flag type (imported on first use: ``enum`` is slow to load).

securebits are per-thread flags (see capabilities(7), "The securebits flags")
that change how the kernel treats uid 0 and uid changes.  Each base bit has a
``*_LOCKED`` partner; once a lock bit is set neither bit can change again,
in this thread or in any child.  Values come from <linux/securebits.h> at
build time.
"""

import enum

from . import _ppy_prctl as lib


class Securebits(enum.IntFlag):
    """All eight securebits (PR_GET_SECUREBITS / PR_SET_SECUREBITS)."""

    #: uid 0 gets no capabilities from execve(), and root-owned setuid gives none.
    NOROOT = lib.SECBIT_NOROOT
    NOROOT_LOCKED = lib.SECBIT_NOROOT_LOCKED
    #: changing uids to or from 0 does not touch the capability sets.
    NO_SETUID_FIXUP = lib.SECBIT_NO_SETUID_FIXUP
    NO_SETUID_FIXUP_LOCKED = lib.SECBIT_NO_SETUID_FIXUP_LOCKED
    #: permitted survives a change of all uids away from 0 (PR_SET_KEEPCAPS);
    #: cleared by execve().
    KEEP_CAPS = lib.SECBIT_KEEP_CAPS
    KEEP_CAPS_LOCKED = lib.SECBIT_KEEP_CAPS_LOCKED
    #: PR_CAP_AMBIENT_RAISE is refused.
    NO_CAP_AMBIENT_RAISE = lib.SECBIT_NO_CAP_AMBIENT_RAISE
    NO_CAP_AMBIENT_RAISE_LOCKED = lib.SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED


BASE_BITS = (
    Securebits.NOROOT
    | Securebits.NO_SETUID_FIXUP
    | Securebits.KEEP_CAPS
    | Securebits.NO_CAP_AMBIENT_RAISE
)
LOCK_BITS = Securebits(BASE_BITS << 1)
ALL_BITS = BASE_BITS | LOCK_BITS
