# SPDX-License-Identifier: LGPL-2.1-or-later
"""``python -m ppy_py``: look at and set capabilities from the command line.

    python -m ppy_py caps [PID|self]         a process's sets, in words
    python -m ppy_py getcap PATH...          a file's capabilities, as getcap(8) prints them
    python -m ppy_py setcap CAPS PATH...     set them, same text as setcap(8); -r removes
    python -m ppy_py audit DIR [--ppy PPY]   every capped file under DIR and ppy's verdict

Exit status: 0 ok, 1 an error (one line on stderr each), 2 a bad command line.
Output is line-oriented and stable, for scripts as well as people.

Only ``audit`` starts a process (``ppy --check``, the launcher's own answer);
``subprocess`` is imported there and nowhere else, so importing ppy_py stays
process-free.
"""

import argparse
import errno
import os
import stat
import sys

from ._caps import ALL_MASK, CapSet

PROG = "python -m ppy_py"
SETS = ("effective", "permitted", "inheritable", "bounding", "ambient")


class CliError(Exception):
    """One line for stderr; exit status 1."""


# ---- formatting (pure; unit-tested without root) ---------------------------


def set_words(caps: CapSet) -> str:
    """``"none"``, ``"all"`` (every capability the kernel knows), ``"cap_a,cap_b"``, or
    ``"all except cap_a,cap_b"`` when fewer are missing than present."""
    mask = CapSet(caps).mask
    if mask == 0:
        return "none"
    if mask == ALL_MASK:
        return "all"
    missing = ALL_MASK & ~mask
    if bin(missing).count("1") < bin(mask).count("1"):
        return "all except " + str(CapSet.from_mask(missing))
    return str(CapSet(caps))


def parse_words(text: str) -> CapSet:
    """The inverse of ``set_words``."""
    if text == "none":
        return CapSet()
    if text == "all":
        return CapSet.all()
    if text.startswith("all except "):
        return CapSet.all() - CapSet(text[len("all except "):])
    return CapSet(text)


def securebits_words(bits: "int | None") -> str:
    """``"0x2f noroot,noroot_locked,..."``, ``"0x0 none"``, or ``"unknown"`` (None)."""
    if bits is None:
        return "unknown (the kernel shows securebits only to the process itself)"
    from ._securebits import Securebits

    names = [m.name.lower() for m in Securebits if m.name and bits & m]
    return "%#x %s" % (bits, ",".join(names) or "none")


def state_lines(state: "object", pid: int) -> "list[str]":
    """The ``caps`` output for a CapState."""
    lines = ["pid: %d" % pid]
    for name in SETS:
        lines.append("%s: %s" % (name, set_words(getattr(state, name))))
    lines.append("securebits: %s" % securebits_words(state.securebits_raw))  # type: ignore[attr-defined]
    nnp = state.no_new_privs  # type: ignore[attr-defined]
    lines.append("no_new_privs: %s" % ("unknown" if nnp is None else "yes" if nnp else "no"))
    return lines


def file_caps_text(fc: "object") -> str:
    """getcap(8)'s words for a FileCaps: ``cap_net_raw=ep``, ``=ep`` for every
    capability, ``cap_kill=i cap_net_raw=p``; `` [rootid=N]`` for a v3 entry."""
    p = fc.permitted.mask  # type: ignore[attr-defined]
    i = fc.inheritable.mask  # type: ignore[attr-defined]
    e = fc.effective  # type: ignore[attr-defined]
    if p | i == ALL_MASK and p in (0, ALL_MASK) and i in (0, ALL_MASK):
        text = "=" + ("e" if e else "") + ("i" if i else "") + ("p" if p else "")
        if fc.rootid is not None:  # type: ignore[attr-defined]
            text += " [rootid=%d]" % fc.rootid  # type: ignore[attr-defined]
        return text
    return fc.to_text()  # type: ignore[attr-defined, no-any-return]


def id_words(kind: str, value: int) -> str:
    """``"4242"`` or ``"0(root)"``: numeric, with the name when the database has one."""
    try:
        if kind == "uid":
            import pwd

            name = pwd.getpwuid(value).pw_name
        else:
            import grp

            name = grp.getgrgid(value).gr_name
    except KeyError:
        return "%d" % value
    return "%d(%s)" % (value, name)


def never_reasons(st: os.stat_result, fc: "object | None", error: "str | None") -> "list[str]":
    """Why ppy would refuse this file's capabilities whoever calls and whatever
    else changes (other than re-owning it or rewriting its xattr)."""
    why = []
    if error is not None:
        why.append("unreadable-xattr")
    if fc is not None:
        if fc.version == 3:  # type: ignore[attr-defined]
            why.append("v3-rootid=%d" % fc.rootid)  # type: ignore[attr-defined]
        elif fc.version == 1:  # type: ignore[attr-defined]
            why.append("v1-xattr")
        if not (fc.permitted or fc.inheritable):  # type: ignore[attr-defined]
            why.append("empty-caps")
    if st.st_uid == 0:
        why.append("owner-uid-0")
    if st.st_gid == 0:
        why.append("group-gid-0")
    return why


def audit_line(path: str, st: os.stat_result, caps: str, status: int, verdict: str,
               never: "list[str]", who: str = "", warnings: "list[str] | None" = None) -> str:
    """One tab-separated line: PATH, then key=value fields: owner, mode, caps, status,
    ``who`` (who may start it, when ppy would run it), ``verdict``, then ``warning`` and
    ``never`` when there are any."""
    fields = [
        _shown(path),
        _shown("owner=%s:%s" % (id_words("uid", st.st_uid), id_words("gid", st.st_gid))),
        "mode=%04o" % stat.S_IMODE(st.st_mode),
        _shown("caps=%s" % caps),
        "status=%d" % status,
    ]
    # ppy's own lines name files escaped already (a backslash as \x5c): shown as they are,
    # only a byte outside printable ASCII (none should be) escaped.
    if who:
        fields.append(_shown("who=%s" % who, keep_backslash=True))
    fields.append(_shown("verdict=%s" % verdict, keep_backslash=True))
    if warnings:
        fields.append(_shown("warning=%s" % " | ".join(warnings), keep_backslash=True))
    if never:
        fields.append(_shown("never=%s" % ",".join(never)))
    return "\t".join(fields)


def _shown(text: str, keep_backslash: bool = False) -> str:
    """TEXT with every byte outside printable ASCII, and a backslash, as \\xNN, as ppy
    shows names: a file name cannot add a line, a tab (a field) or a terminal escape.
    KEEP_BACKSLASH: TEXT is ppy's own, whose names are escaped already."""
    raw = text.encode("utf-8", "surrogateescape")
    return "".join(chr(b) if 0x20 <= b < 0x7F and (b != 0x5C or keep_backslash)
                   else "\\x%02x" % b for b in raw)


def _error(exc: BaseException) -> str:
    """EXC as one line: an OSError by what its errno says (the file is named beside it,
    escaped once; the exception's own text would name it again, through repr), anything
    else by str()."""
    if isinstance(exc, OSError) and exc.errno:
        return _shown("%s (%s)" % (os.strerror(exc.errno), errno.errorcode.get(exc.errno, exc.errno)))
    return _shown(str(exc))


# ---- commands ----------------------------------------------------------------


def _pid(text: str) -> int:
    if text == "self":
        return 0
    try:
        pid = int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError("not a pid: %r (a positive number or 'self')" % text)
    if pid <= 0:
        raise argparse.ArgumentTypeError("not a pid: %r (a positive number or 'self')" % text)
    return pid


def cmd_caps(args: argparse.Namespace) -> int:
    from ._state import CapState, current

    if args.pid in (0, os.getpid()):
        state, pid = current(), os.getpid()
    else:
        pid = args.pid
        if not os.path.exists("/proc/%d" % pid):
            raise CliError("process %d: no such process" % pid)
        try:
            state = CapState.for_pid(pid)
        except OSError as exc:
            raise CliError("process %d: %s" % (pid, exc))
    for line in state_lines(state, pid):
        print(line)
    return 0


def cmd_getcap(args: argparse.Namespace) -> int:
    from ._filecaps import file_caps

    status = 0
    for path in args.paths:
        try:
            fc = file_caps(path)
        except (OSError, ValueError) as exc:
            print("%s: %s: %s" % (PROG, _shown(path), _error(exc)), file=sys.stderr)
            status = 1
            continue
        if fc is not None:
            print("%s %s" % (_shown(path), file_caps_text(fc)))
        elif args.verbose:
            print(_shown(path))
    return status


def cmd_setcap(args: argparse.Namespace) -> int:
    from ._filecaps import FileCaps, clear_file_caps, set_file_caps

    if args.remove:
        paths = ([args.caps] if args.caps is not None else []) + args.paths
        want = None
    else:
        paths = args.paths
        if args.caps is None or not paths:
            raise CliError("setcap: name the capabilities and at least one file "
                           "(or -r/clear and the files)")
        if args.caps == "clear":
            want = None
        else:
            try:
                want = FileCaps.from_text(args.caps, rootid=args.rootid or None)
            except ValueError as exc:
                raise CliError("setcap: %s" % exc)
    if not paths:
        raise CliError("setcap: no file named")
    status = 0
    for path in paths:
        try:
            if os.path.islink(path):
                raise ValueError("a symbolic link: name the file itself")
            if want is None:
                clear_file_caps(path, follow_symlinks=False)
                print("%s cleared" % _shown(path))
            else:
                got = set_file_caps(path, want, follow_symlinks=False)
                print("%s %s" % (_shown(path), file_caps_text(got)))
        except (OSError, ValueError) as exc:
            print("%s: %s: %s" % (PROG, _shown(path), _error(exc)), file=sys.stderr)
            status = 1
    return status


def _check(ppy: str, path: str) -> "tuple[int, str, str, list[str]]":
    """``PPY --check PATH`` as the current user: (status, its verdict line, who may start
    the script, its warnings)."""
    import subprocess

    try:
        proc = subprocess.run([ppy, "--check", path], stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, errors="replace", timeout=60)
    except (OSError, subprocess.SubprocessError) as exc:
        raise CliError("audit: cannot run %s --check: %s" % (ppy, exc))
    lines = (proc.stdout + proc.stderr).splitlines()
    who, warnings, rest = "", [], []
    for line in lines:
        _, sep, tail = line.partition(": may be started by ")
        if proc.returncode == 0 and sep and not who:
            who = tail
        elif proc.returncode == 0 and ": warning: " in line:
            warnings.append(line.split(": warning: ", 1)[1])
        else:
            rest.append(line)
    return (proc.returncode, (rest[0] if len(rest) == 1 else " | ".join(rest) or "(no output)"),
            who, warnings)


def cmd_audit(args: argparse.Namespace) -> int:
    import shutil

    from ._filecaps import XATTR_NAME, FileCaps

    ppy = args.ppy or shutil.which("ppy")
    if not ppy:
        raise CliError("audit: no ppy on PATH: pass the installed launcher with --ppy PATH")
    if os.path.islink(args.dir):
        raise CliError("audit: %s: a symbolic link: name the directory itself" % args.dir)
    if not os.path.isdir(args.dir):
        raise CliError("audit: %s: not a directory" % args.dir)
    status = 0
    counts = {"files": 0, "run": 0, "refused": 0, "never": 0, "warned": 0}

    def walk_error(exc: OSError) -> None:
        nonlocal status
        name = exc.filename if isinstance(exc.filename, str) else ""
        print("%s: audit: %s: %s" % (PROG, _shown(name), _error(exc)), file=sys.stderr)
        status = 1

    for top, dirs, files in os.walk(args.dir, onerror=walk_error, followlinks=False):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(top, name)
            try:
                st = os.lstat(path)
                if not stat.S_ISREG(st.st_mode):
                    continue
                try:
                    data = os.getxattr(path, XATTR_NAME, follow_symlinks=False)
                except OSError as exc:
                    import errno

                    if exc.errno in (errno.ENODATA, errno.EOPNOTSUPP):
                        continue
                    raise
            except OSError as exc:
                walk_error(exc)
                continue
            fc, error = None, None
            try:
                fc = FileCaps.from_xattr(data)
                caps = file_caps_text(fc)
            except ValueError as exc:
                error = str(exc)
                caps = "invalid(%s)" % error
            code, verdict, who, warnings = _check(ppy, path)
            never = never_reasons(st, fc, error)
            counts["files"] += 1
            counts["run" if code == 0 else "refused"] += 1
            counts["never"] += bool(never)
            counts["warned"] += bool(warnings)
            print(audit_line(path, st, caps, code, verdict, never, who, warnings), flush=True)
    print("# %(files)d capped files: %(run)d would run, %(refused)d refused, "
          "%(never)d never honoured, %(warned)d with warnings" % counts)
    if status == 0 and getattr(args, "strict", False) and (counts["refused"] or counts["warned"]):
        return 3
    return status


# ---- parsing -------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Linux capabilities of processes and files, and what ppy would do "
                    "with capped scripts. Exit status: 0 ok, 1 error, 2 bad command line.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser(
        "caps", help="show a process's capability sets in words",
        description="Show the effective, permitted, inheritable, bounding and ambient sets "
                    "of a process (none / all / cap_a,cap_b), its securebits (only readable "
                    "for this process itself) and no_new_privs.")
    p.add_argument("pid", nargs="?", type=_pid, default=0, metavar="PID",
                   help="a process id, or 'self' (the default: this command's own process)")
    p.set_defaults(func=cmd_caps)

    p = sub.add_parser(
        "getcap", help="show files' capabilities like getcap(8)",
        description="Print 'PATH CAPS' for each file with capabilities, as getcap(8) does; "
                    "a namespaced (v3) entry ends in ' [rootid=N]'. Files without are "
                    "skipped (listed alone with -v).")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="also list files without capabilities")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.set_defaults(func=cmd_getcap)

    p = sub.add_parser(
        "setcap", help="set or remove files' capabilities like setcap(8)",
        description="Set CAPS (cap_from_text(3) syntax, e.g. 'cap_net_bind_service=p', "
                    "'cap_net_raw,cap_kill=ep', 'cap_kill=i cap_net_raw=p') on each PATH, "
                    "read it back and print it; 'clear' or -r removes them. Symbolic "
                    "links are refused. Needs CAP_SETFCAP.")
    p.add_argument("-r", "--remove", action="store_true", help="remove the capabilities")
    p.add_argument("-n", "--rootid", type=int, default=None, metavar="ROOTID",
                   help="write a namespaced (v3) entry for a user namespace whose root is ROOTID")
    p.add_argument("caps", nargs="?", metavar="CAPS", help="the capabilities, or 'clear'")
    p.add_argument("paths", nargs="*", metavar="PATH")
    p.set_defaults(func=cmd_setcap)

    p = sub.add_parser(
        "audit", help="list capped files under a directory and ppy's verdict on each",
        description="Walk DIR (symbolic links are not followed) and print one tab-separated "
                    "line per regular file with a security.capability xattr: PATH, "
                    "owner=UID(name):GID(name), mode=, caps=, status=, who= (who may start "
                    "it), verdict= (the exit status and line of 'PPY --check PATH', run as "
                    "you), warning= (its warnings), and never= when ppy would refuse the "
                    "file's capabilities whoever runs it (namespaced v3 entry, owned by uid "
                    "or gid 0, empty or v1 entry). A last line '# N capped files: ...' sums "
                    "up. ppy --check runs with your rights: a script only a group may start "
                    "is checked only when you are in that group.")
    p.add_argument("dir", metavar="DIR")
    p.add_argument("--ppy", metavar="PATH",
                   help="the installed launcher (default: ppy on PATH)")
    p.add_argument("--strict", action="store_true",
                   help="exit with 3 when a capped file would be refused or has a warning "
                        "(for cron and monitoring)")
    p.set_defaults(func=cmd_audit)
    return parser


def main(argv: "list[str] | None" = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except CliError as exc:
        print("%s: %s" % (PROG, _shown(str(exc))), file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 1
