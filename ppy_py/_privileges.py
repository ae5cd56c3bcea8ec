# SPDX-License-Identifier: LGPL-2.1-or-later
"""drop_privileges(): from root to a user, keeping a few capabilities, for good.

The job of deescalate's ``lockdown_account`` and uWSGI's ``--cap``, in this
order (each step says why):

 1. refuse if the process has more than one thread: uids and capabilities
    are per thread, so other threads would stay root;
 2. PR_SET_KEEPCAPS on, so permitted survives the uid change below;
 3. setresgid(g, g, g), then setgroups() (none unless asked: a root process
    is often in group 0), then setresuid(u, u, u), saved ids included;
 4. capset: permitted = keep (+ CAP_SETPCAP for now), effective = keep if
    asked, inheritable = keep if ambient is asked;
 5. clear the bounding set, so no execve() can add a capability;
 6. securebits NOROOT and NO_SETUID_FIXUP set, KEEP_CAPS off, all three
    locked: uid 0 gives nothing back, even after execve() of a setuid-root
    program (needs CAP_SETPCAP, which is then dropped unless kept);
 7. raise the kept caps in ambient if asked, so child processes get them;
 8. no_new_privs if asked;
 9. read everything back from the kernel and raise if anything differs.

A failure after step 2 leaves the process half-changed: the error says so,
and the only safe reaction is to exit.
"""

import os

from ._caps import ALL_MASK, Cap, CapSet, _from_mask, macros, mask_of
from ._capng import lib
from ._errors import ThreadedCredentialError, capability_error, errno_text
from ._state import CapState, _capget, current

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

    from ._caps import CapLike

_KEEP = lib.SECBIT_KEEP_CAPS
_LOCKED_BITS = (
    lib.SECBIT_NOROOT | lib.SECBIT_NOROOT_LOCKED | lib.SECBIT_NO_SETUID_FIXUP
    | lib.SECBIT_NO_SETUID_FIXUP_LOCKED | lib.SECBIT_KEEP_CAPS_LOCKED
)
_MAX_ID = 0xFFFFFFFE  # (uid_t)-1 means "unchanged" to the kernel: never a target


def thread_count() -> int:
    """Threads in this process, from /proc/self/task (the kernel's list)."""
    return len(os.listdir("/proc/self/task"))


def _check_id(kind: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("%s must be a name or an int, not %s" % (kind, type(value).__name__))
    if not 0 <= value <= _MAX_ID:
        raise ValueError(
            "%s %d is not a valid id (0..%d; -1 would mean 'leave unchanged')"
            % (kind, value, _MAX_ID)
        )
    return value


def _resolve_user(user: "int | str") -> "tuple[int, str | None, int | None]":
    """(uid, name or None, primary gid or None)."""
    import pwd

    if isinstance(user, str):
        try:
            entry = pwd.getpwnam(user)
        except KeyError:
            raise ValueError("unknown user %r" % user) from None
        return _check_id("uid", entry.pw_uid), entry.pw_name, entry.pw_gid
    uid = _check_id("uid", user)
    try:
        entry = pwd.getpwuid(uid)
    except KeyError:
        return uid, None, None
    return uid, entry.pw_name, entry.pw_gid


def _resolve_group(group: "int | str") -> int:
    if isinstance(group, str):
        import grp

        try:
            return _check_id("gid", grp.getgrnam(group).gr_gid)
        except KeyError:
            raise ValueError("unknown group %r" % group) from None
    return _check_id("gid", group)


class _Step:
    """Names the step in progress, for the half-changed error."""

    def __init__(self) -> None:
        self.name = "checks"
        self.changed = False


def drop_privileges(
    user: "int | str",
    group: "int | str | None" = None,
    keep: "Iterable[CapLike] | str | CapSet" = (),
    *,
    effective: bool = False,
    ambient: bool = False,
    user_groups: bool = False,
    groups: "Iterable[int | str]" = (),
    clear_bounding: bool = True,
    lock_securebits: bool = True,
    no_new_privs: bool = True,
) -> CapState:
    """Become ``user`` (and ``group``) keeping only the ``keep`` capabilities.

    ``user``/``group`` are names or numeric ids; ``group`` defaults to the
    user's primary group.  Supplementary groups are emptied, unless
    ``user_groups`` (the user's groups from the group database) or
    ``groups`` (explicit names/ids) are given.  ``keep`` stays permitted;
    with ``effective`` it is also effective; with ``ambient`` it is also
    inheritable and ambient, so child processes receive it.  The bounding
    set is cleared, securebits NOROOT/NO_SETUID_FIXUP are set and locked
    with KEEP_CAPS off, and no_new_privs is set, unless turned off.

    Needs CAP_SETUID, CAP_SETGID and CAP_SETPCAP in the permitted set (root
    has them) and a single-threaded process.  Returns the state read back
    from the kernel after checking it; any difference raises
    ``CapabilityError``.  This thread's credentials, like the whole
    process's, change for good.
    """
    for flag_name, flag in (
        ("effective", effective),
        ("ambient", ambient),
        ("user_groups", user_groups),
        ("clear_bounding", clear_bounding),
        ("lock_securebits", lock_securebits),
        ("no_new_privs", no_new_privs),
    ):
        if not isinstance(flag, bool):
            raise TypeError("%s must be a bool, not %s" % (flag_name, type(flag).__name__))
    keep_mask = mask_of([keep] if isinstance(keep, (str, CapSet)) else keep)
    uid, name, primary = _resolve_user(user)
    if group is None:
        if primary is None:
            raise ValueError("uid %d has no passwd entry: pass group= explicitly" % uid)
        gid = _check_id("gid", primary)
    else:
        gid = _resolve_group(group)
    if isinstance(groups, (str, int)):
        groups = [groups]
    extra = [_resolve_group(g) for g in groups]
    if user_groups:
        if name is None:
            raise ValueError("uid %d has no passwd entry: user_groups needs one" % uid)
        extra += os.getgrouplist(name, gid)
    supplementary = sorted(set(extra))

    threads = thread_count()
    if threads != 1:
        raise ThreadedCredentialError(
            "drop_privileges: the process has %d threads; credentials are per thread, "
            "so the others would keep their uid and capabilities: call it before "
            "starting any thread" % threads,
            None,
            operation="drop_privileges",
        )

    setpcap = 1 << Cap.SETPCAP
    need = 1 << Cap.SETUID | 1 << Cap.SETGID | setpcap
    e, p, i = _capget()
    missing = need & ~p
    if missing:
        raise capability_error(
            "drop_privileges needs %s in the permitted set" % macros(missing),
            1,
            operation="drop_privileges",
            capset="permitted",
        )
    missing = keep_mask & ~p
    if missing:
        raise capability_error(
            "cannot keep %s: not in the permitted set" % macros(missing),
            1,
            operation="drop_privileges",
            capset="permitted",
        )

    step = _Step()
    try:
        _apply(step, uid, gid, supplementary, keep_mask, effective, ambient,
               clear_bounding, lock_securebits, no_new_privs, e, p, i)
        step.name = "verify"
        return _verify(uid, gid, supplementary, keep_mask, effective, ambient,
                       clear_bounding, lock_securebits, no_new_privs)
    except OSError as exc:
        if not step.changed:
            raise
        err = exc.errno if isinstance(exc.errno, int) else None
        raise capability_error(
            "drop_privileges failed at %s: %s; the process is left half-changed, "
            "exit now" % (step.name, exc),
            err,
            operation="drop_privileges",
        ) from exc


def _prctl(what: str, option: int, a2: int = 0) -> int:
    rc: int = lib.ppy_prctl(option, a2, 0, 0, 0)
    if rc < 0:
        raise capability_error("%s: %s" % (what, errno_text(-rc)), -rc, operation=what)
    return rc


def _capset(e: int, p: int, i: int, what: str) -> None:
    rc = lib.ppy_capset(e, p, i)
    if rc != 0:
        raise capability_error("%s (capset): %s" % (what, errno_text(-rc)), -rc, operation=what)


def _apply(
    step: _Step,
    uid: int,
    gid: int,
    supplementary: "list[int]",
    keep: int,
    effective: bool,
    ambient: bool,
    clear_bounding: bool,
    lock_securebits: bool,
    no_new_privs: bool,
    e: int,
    p: int,
    i: int,
) -> None:
    setpcap = 1 << Cap.SETPCAP
    need = 1 << Cap.SETUID | 1 << Cap.SETGID | setpcap

    step.name = "PR_SET_KEEPCAPS"
    step.changed = True
    _prctl("PR_SET_KEEPCAPS", lib.PR_SET_KEEPCAPS, 1)
    step.name = "raising CAP_SETUID, CAP_SETGID, CAP_SETPCAP"
    _capset(e | need, p, i, step.name)

    # Group ids first: once the uid is not 0, changing them needs a cap we
    # may no longer hold in effective.
    step.name = "setresgid(%d)" % gid
    os.setresgid(gid, gid, gid)
    step.name = "setgroups(%s)" % supplementary
    os.setgroups(supplementary)
    step.name = "setresuid(%d)" % uid
    os.setresuid(uid, uid, uid)

    # The uid change cleared effective (keep-caps keeps permitted only).
    step.name = "setting the kept capabilities"
    e_keep = keep if effective else 0
    i_keep = keep if ambient else 0
    _capset(e_keep | setpcap, keep | setpcap, i_keep, step.name)

    if clear_bounding:
        step.name = "clearing the bounding set"
        for cap in range(ALL_MASK.bit_length()):
            if _prctl("PR_CAPBSET_READ", lib.PR_CAPBSET_READ, cap):
                _prctl("PR_CAPBSET_DROP %s" % Cap(cap).macro, lib.PR_CAPBSET_DROP, cap)

    step.name = "securebits"
    bits = _prctl("PR_GET_SECUREBITS", lib.PR_GET_SECUREBITS)
    if lock_securebits:
        new = (bits | _LOCKED_BITS) & ~_KEEP
    else:
        new = bits & ~_KEEP  # same as PR_SET_KEEPCAPS 0
    if new != bits:
        _prctl("PR_SET_SECUREBITS %#x" % new, lib.PR_SET_SECUREBITS, new)

    if ambient:
        step.name = "raising ambient"
        for cap in CapSet.from_mask(keep):
            _ambient_raise(cap)

    step.name = "dropping CAP_SETPCAP"
    _capset(e_keep, keep, i_keep, step.name)

    if no_new_privs:
        step.name = "PR_SET_NO_NEW_PRIVS"
        _prctl("PR_SET_NO_NEW_PRIVS", lib.PR_SET_NO_NEW_PRIVS, 1)


def _ambient_raise(cap: Cap) -> None:
    rc = lib.ppy_prctl(lib.PR_CAP_AMBIENT, lib.PR_CAP_AMBIENT_RAISE, cap, 0, 0)
    if rc < 0:
        raise capability_error(
            "cannot raise %s in ambient: %s" % (cap.macro, errno_text(-rc)),
            -rc,
            operation="raise",
            capset="ambient",
            caps=(cap,),
        )


def _verify(
    uid: int,
    gid: int,
    supplementary: "list[int]",
    keep: int,
    effective: bool,
    ambient: bool,
    clear_bounding: bool,
    lock_securebits: bool,
    no_new_privs: bool,
) -> CapState:
    state = current()
    wrong = []
    if os.getresuid() != (uid, uid, uid):
        wrong.append("uids %s" % (os.getresuid(),))
    if os.getresgid() != (gid, gid, gid):
        wrong.append("gids %s" % (os.getresgid(),))
    if sorted(set(os.getgroups())) != supplementary:
        wrong.append("groups %s" % sorted(os.getgroups()))
    expect = {
        "permitted": keep,
        "effective": keep if effective else 0,
        "inheritable": keep if ambient else 0,
        "ambient": keep if ambient else 0,
    }
    for set_name, mask in expect.items():
        got = getattr(state, set_name).mask
        if got != mask:
            wrong.append("%s %r" % (set_name, str(_from_mask(got))))
    if clear_bounding and state.bounding:
        wrong.append("bounding %r" % str(state.bounding))
    bits = state.securebits_raw or 0
    if lock_securebits and bits & _LOCKED_BITS != _LOCKED_BITS:
        wrong.append("securebits %#x" % bits)
    if bits & _KEEP or state.keep_caps:
        wrong.append("keep-caps still on")
    if no_new_privs and not state.no_new_privs:
        wrong.append("no_new_privs off")
    if wrong:
        raise capability_error(
            "drop_privileges: the kernel reports %s; exit now" % ", ".join(wrong),
            None,
            operation="drop_privileges",
        )
    return state
