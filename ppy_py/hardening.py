# SPDX-License-Identifier: LGPL-2.1-or-later
"""Hardening a capped Python process: no shelling out, an exec guard, Landlock.

``import ppy_py.hardening`` is cheap (only ``os``/``sys``, already loaded);
``ctypes``, ``platform``, ``uuid``, ``syslog`` are imported only by the
function that needs them.

* ``patch_stdlib()`` makes the stdlib calls that start a process for a
  mundane answer (``ctypes.util.find_library`` -> ``ldconfig``/``gcc``/``ld``;
  ``platform.processor()`` -> ``uname -p``; ``platform.architecture()`` ->
  ``file``; ``uuid``'s MAC fallbacks -> ``ip``/``ifconfig``/``arp``/
  ``netstat``) give the same answers without one.
* ``forbid_exec(mode)`` adds a ``sys.addaudithook`` guard refusing (or
  logging) every later process creation.  The ``sys`` API cannot remove an
  audit hook: once added, the guard lasts for the life of the process, and
  of any forked child (code that deliberately rewrites it, or calls
  execve(2) through ctypes, gets around it: a guard, not a sandbox).
* ``restrict_paths(read=..., write=...)`` gives up filesystem access with
  Landlock (Linux 5.13+).

None of these is a sandbox against hostile code in the same process (PEP 578:
code that can call ``ctypes`` can call ``execve`` directly); they keep an
honest program's behaviour small and visible.
"""

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable

__all__ = [
    "ProcessCreationRefused",
    "find_library",
    "forbid_exec",
    "landlock_abi_version",
    "patch_stdlib",
    "restrict_paths",
]


# --------------------------------------------------------------------------
# find_library without ldconfig/gcc/ld

_CACHE_FILE = "/etc/ld.so.cache"
_NEW_MAGIC = b"glibc-ld.so.cache1.1"
_OLD_MAGIC = b"ld.so-1.7.0"

# glibc sysdeps/generic/ldconfig.h: flags of a cache entry.
_FLAG_TYPE_MASK = 0x00FF
_FLAG_ELF_LIBC6 = 0x0003
_FLAG_REQUIRED_MASK = 0xFF00
# ldconfig -p prints these as "(libc6,x86-64)" etc.; ctypes matches that text.
_MACHINE_FLAGS = {
    "x86_64": 0x0300,  # FLAG_X8664_LIB64
    "aarch64": 0x0A00,  # FLAG_AARCH64_LIB64
    "ppc64": 0x0500,  # FLAG_POWERPC_LIB64
    "ppc64le": 0x0500,
    "s390x": 0x0400,  # FLAG_S390_LIB64
    "riscv64": 0x1000,  # FLAG_RISCV_FLOAT_ABI_DOUBLE (lp64d), the common one
}
_STD_LIB_DIRS = (
    "/lib/%s-linux-gnu",
    "/usr/lib/%s-linux-gnu",
    "/lib64",
    "/usr/lib64",
    "/lib",
    "/usr/lib",
    "/usr/local/lib",
)


def _ld_cache_entries(path: str = _CACHE_FILE) -> "list[tuple[int, str, str]]":
    """(flags, soname, path) for each entry of glibc's ld.so.cache, in file
    order (the order ``ldconfig -p`` prints).  [] when unreadable/unknown.

    Format (glibc elf/cache.c, sysdeps/generic/dl-cache.h): an optional old
    "ld.so-1.7.0" section (12-byte header, nlibs, 12-byte entries), then
    "glibc-ld.so.cache1.1": u32 nlibs, u32 len_strings, u8 flags, 3 pad,
    u32 extension_offset, u32 unused[3] (48 bytes), then nlibs entries of
    {i32 flags, u32 key, u32 value, u32 osversion, u64 hwcap} (24 bytes).
    key/value are offsets of NUL-terminated strings from the start of the
    new header.
    """
    import struct

    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return []
    base = 0
    if data.startswith(_OLD_MAGIC):
        if len(data) < 16:
            return []
        (old_n,) = struct.unpack_from("=I", data, 12)
        base = data.find(_NEW_MAGIC, 16 + old_n * 12)  # aligned after the old part
        if base < 0:
            return []
    if data[base : base + len(_NEW_MAGIC)] != _NEW_MAGIC:
        return []
    if len(data) < base + 48:
        return []
    nlibs, _len_strings = struct.unpack_from("=II", data, base + 20)
    entries = []
    off = base + 48
    if off + nlibs * 24 > len(data):
        return []

    def string(at: int) -> str:
        start = base + at
        end = data.find(b"\0", start)
        if start >= len(data) or end < 0:
            raise ValueError
        return os.fsdecode(data[start:end])

    try:
        for i in range(nlibs):
            flags, key, value, _osv, _hwcap = struct.unpack_from("=iIIIQ", data, off + 24 * i)
            entries.append((flags, string(key), string(value)))
    except (ValueError, struct.error):
        return []
    return entries


def _wanted_flags() -> "int | None":
    """Required-bits value for this interpreter's ABI, None for 'any libc6'."""
    import struct

    machine = os.uname().machine
    if struct.calcsize("l") == 8:
        return _MACHINE_FLAGS.get(machine)
    return 0 if machine in ("i386", "i486", "i586", "i686", "x86_64") else None


def find_library(name: str) -> "str | None":
    """``ctypes.util.find_library`` for glibc Linux, without a subprocess.

    Looks ``lib<name>.*`` up in /etc/ld.so.cache the way ctypes reads
    ``ldconfig -p`` (first entry in cache order for this ABI); if the cache
    has none, searches LD_LIBRARY_PATH and the standard library directories
    for ``lib<name>.so.*`` (ctypes would ask gcc/ld there) and returns its
    file name.
    """
    import re

    pattern = re.compile(r"lib%s\.\S+\Z" % re.escape(name))
    wanted = _wanted_flags()
    for flags, key, _value in _ld_cache_entries():
        if flags & _FLAG_TYPE_MASK != _FLAG_ELF_LIBC6:
            continue
        if wanted is not None and flags & _FLAG_REQUIRED_MASK != wanted:
            continue
        if pattern.match(key):
            return key
    return _search_dirs(name)


def _search_dirs(name: str) -> "str | None":
    triplet = os.uname().machine
    dirs = [d for d in os.environ.get("LD_LIBRARY_PATH", "").split(":") if d]
    dirs += [d % triplet if "%s" in d else d for d in _STD_LIB_DIRS]
    prefix = "lib%s.so" % name
    for d in dirs:
        try:
            names = os.listdir(d)
        except OSError:
            continue
        versioned = sorted(n for n in names if n.startswith(prefix + "."))
        if versioned:
            return versioned[0] if len(versioned) == 1 else min(versioned, key=len)
        if prefix in names:
            # an unversioned .so (maybe a linker script): resolve the symlink
            real = os.path.basename(os.path.realpath(os.path.join(d, prefix)))
            return real if real.startswith(prefix) else prefix
    return None


# --------------------------------------------------------------------------
# platform and uuid replacements


def _processor() -> str:
    # platform._Processor.from_subprocess runs `uname -p`.  GNU coreutils
    # answers "unknown" on Linux (Debian, upstream), which platform turns
    # into "".  (Fedora patches coreutils to print the machine instead.)
    return ""


def _elf_file_description(target: str, default: str = "") -> str:
    """What platform.architecture() needs from `file -b`, read from the ELF
    header: "ELF 64-bit LSB executable" / "... shared object"."""
    try:
        with open(os.path.realpath(target), "rb") as f:
            head = f.read(20)
    except OSError:
        return default
    if len(head) < 18 or head[:4] != b"\x7fELF" or head[4] not in (1, 2) or head[5] not in (1, 2):
        return default
    bits = "32-bit" if head[4] == 1 else "64-bit"
    order = "LSB" if head[5] == 1 else "MSB"
    e_type = int.from_bytes(head[16:18], "little" if head[5] == 1 else "big")
    kind = {1: "relocatable", 2: "executable", 3: "shared object", 4: "core file"}.get(e_type, "")
    return "ELF %s %s %s" % (bits, order, kind)


def _sysfs_getnode() -> "int | None":
    """A universally administered MAC from /sys/class/net, as uuid wants."""
    try:
        names = sorted(os.listdir("/sys/class/net"))
    except OSError:
        return None
    first_local = None
    for name in names:
        try:
            with open("/sys/class/net/%s/address" % name) as f:
                text = f.read().strip()
        except OSError:
            continue
        try:
            mac = int(text.replace(":", ""), 16)
        except ValueError:
            continue
        if mac == 0 or len(text) != 17:
            continue
        if not mac & (1 << 41):  # universally administered: uuid's preference
            return mac
        if first_local is None:
            first_local = mac
    return first_local


def _no_node() -> None:
    return None


# --------------------------------------------------------------------------
# patch_stdlib

_PATCHED: "dict[str, object]" = {}


def _set(module: object, attr: str, value: object, label: str, done: "list[str]") -> None:
    if getattr(module, attr, None) is value:
        return
    if label not in _PATCHED:
        _PATCHED[label] = getattr(module, attr, None)
    setattr(module, attr, value)
    done.append(label)


def _patch_ctypes_util(done: "list[str]") -> None:
    import ctypes.util as cu

    if os.name != "posix" or sys.platform != "linux":
        return
    _set(cu, "find_library", find_library, "ctypes.util.find_library", done)
    # Private helpers that spawn, in case something calls them directly.
    if hasattr(cu, "_findSoname_ldconfig"):
        _set(cu, "_findSoname_ldconfig", _ldconfig_soname, "ctypes.util._findSoname_ldconfig", done)
    for attr in ("_findLib_gcc", "_findLib_ld"):
        if hasattr(cu, attr):
            _set(cu, attr, _no_path, "ctypes.util." + attr, done)


def _ldconfig_soname(name: str) -> "str | None":
    wanted = _wanted_flags()
    import re

    pattern = re.compile(r"lib%s\.\S+\Z" % re.escape(name))
    for flags, key, _value in _ld_cache_entries():
        if flags & _FLAG_TYPE_MASK == _FLAG_ELF_LIBC6 and (
            wanted is None or flags & _FLAG_REQUIRED_MASK == wanted
        ) and pattern.match(key):
            return key
    return None


def _no_path(name: str) -> None:
    return None


def _patch_platform(done: "list[str]") -> None:
    import platform

    proc = getattr(platform, "_Processor", None)
    if proc is not None and hasattr(proc, "from_subprocess"):
        # get() looks up get_<sys.platform> first, then from_subprocess.
        if getattr(proc, "get_" + sys.platform, None) is not _processor:
            _PATCHED.setdefault("platform._Processor.get_" + sys.platform, None)
            setattr(proc, "get_" + sys.platform, staticmethod(_processor))
            done.append("platform.processor")
    if hasattr(platform, "_syscmd_file"):
        _set(platform, "_syscmd_file", _elf_file_description, "platform._syscmd_file", done)


def _patch_uuid(done: "list[str]") -> None:
    import uuid

    for attr in ("_ip_getnode", "_ifconfig_getnode", "_arp_getnode", "_netstat_getnode", "_lanscan_getnode"):
        if hasattr(uuid, attr):
            _set(uuid, attr, _sysfs_getnode if attr in ("_ip_getnode", "_ifconfig_getnode") else _no_node,
                 "uuid." + attr, done)
    getters = getattr(uuid, "_GETTERS", None)
    if isinstance(getters, list):
        safe = [g for g in getters if getattr(g, "__name__", "") == "_unix_getnode"
                or getattr(g, "__name__", "") == "_windll_getnode"]
        new = safe + [_sysfs_getnode]
        if getters != new:
            _PATCHED.setdefault("uuid._GETTERS", list(getters))
            getters[:] = new
            done.append("uuid._GETTERS")


_PATCHERS: "dict[str, Callable[[list[str]], None]]" = {
    "ctypes.util": _patch_ctypes_util,
    "platform": _patch_platform,
    "uuid": _patch_uuid,
}


class _PatchOnImport:
    """sys.meta_path entry: patch ctypes.util/platform/uuid right after their
    first import, so a .pth file costs nothing until they are used."""

    def find_spec(self, fullname, path=None, target=None):  # type: ignore[no-untyped-def]
        patcher = _PATCHERS.get(fullname)
        if patcher is None:
            return None
        import importlib.machinery

        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return None
        loader = spec.loader
        original: "Any" = loader.exec_module
        patch: "Callable[[list[str]], None]" = patcher

        class _Loader:
            def __getattr__(self, name):  # type: ignore[no-untyped-def]
                return getattr(loader, name)

            def create_module(self, spec):  # type: ignore[no-untyped-def]
                return loader.create_module(spec)

            def exec_module(self, module):  # type: ignore[no-untyped-def]
                original(module)
                try:
                    patch([])
                except Exception:  # a failed patch must not break the import
                    pass

        spec.loader = _Loader()  # type: ignore[assignment]
        return spec


def patch_stdlib(defer: bool = False) -> "list[str]":
    """Replace the stdlib paths that start a process with in-process ones.

    Returns the names patched by this call ([] when already done:
    idempotent).  Never starts a process itself.  With ``defer=True`` the
    modules not yet imported are patched when first imported (what the .pth
    file uses, so interpreter start-up does not pay for ctypes/uuid).
    """
    done: "list[str]" = []
    for name, patcher in _PATCHERS.items():
        if name in sys.modules or not defer:
            patcher(done)
    if defer and not any(isinstance(f, _PatchOnImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _PatchOnImport())
        done.append("sys.meta_path")
    return done


# --------------------------------------------------------------------------
# forbid_exec

class ProcessCreationRefused(PermissionError):
    """forbid_exec("raise") refused to start a process."""


# event -> how to show its arguments
_EXEC_EVENTS = frozenset(
    ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "pty.spawn", "os.startfile",
     "_posixsubprocess.fork_exec")
)
_FORK_EXEC_EVENT = "_posixsubprocess.fork_exec"
_installed_modes: "set[str]" = set()


def _describe(event: str, args: "tuple[Any, ...]") -> str:
    try:
        if event == "subprocess.Popen":  # (executable, args, cwd, env)
            shown = args[1]
        elif event == _FORK_EXEC_EVENT:  # (args, executable_list)
            shown = args[0] if args[0] else args[1]
        elif event in ("os.exec", "os.posix_spawn"):  # (path, argv, env)
            shown = args[1] if args[1] else args[0]
        elif event == "os.spawn":  # (mode, path, args, env)
            shown = args[2]
        else:  # os.system(command), pty.spawn(argv), os.startfile(path, ...)
            shown = args[0]
        if isinstance(shown, (list, tuple)):
            text = repr([os.fsdecode(a) if isinstance(a, bytes) else a for a in shown])
        else:
            text = repr(os.fsdecode(shown) if isinstance(shown, bytes) else shown)
    except Exception:
        text = "..."
    if len(text) > 300:
        text = text[:296] + " ...]" if text.startswith("[") else text[:296] + "..."
    return "%s(%s)" % (event, text)


def _wrap_fork_exec() -> None:
    try:
        import _posixsubprocess
    except ImportError:
        return
    original: "Any" = _posixsubprocess.fork_exec
    if getattr(original, "_ppy_audited", False):
        return
    audit = sys.audit

    def fork_exec(*args: "Any") -> "Any":
        audit(_FORK_EXEC_EVENT, args[0], args[1] if len(args) > 1 else None)
        return original(*args)

    fork_exec._ppy_audited = True  # type: ignore[attr-defined]
    fork_exec.__doc__ = original.__doc__
    _posixsubprocess.fork_exec = fork_exec


def forbid_exec(mode: str = "raise") -> bool:
    """Refuse (``"raise"``) or report (``"log"``) every later process creation.

    Adds a ``sys.addaudithook`` hook for the audit events that start a
    program: subprocess.Popen (also os.popen, asyncio subprocesses),
    os.system, os.exec* (also in a forked child), os.posix_spawn[p],
    os.spawn*, pty.spawn.  ``"raise"`` raises ``ProcessCreationRefused`` (a
    ``PermissionError``) naming the call; ``"log"`` writes one line to stderr
    and to syslog (LOG_AUTHPRIV) and lets it proceed.

    ``os.fork``/``os.forkpty`` are allowed: a fork starts no new program, and
    forking servers (gunicorn, multiprocessing "fork") rely on it; an exec
    in the child is still refused, since the child inherits the hook.

    ``multiprocessing``'s "spawn"/"forkserver" start methods call
    ``_posixsubprocess.fork_exec``, which raises no audit event on 3.11;
    the first call wraps it to raise ``_posixsubprocess.fork_exec`` (only
    callers that look it up after that are covered: ``subprocess`` keeps
    its own reference, but raises ``subprocess.Popen`` first anyway).

    Other interpreters of the process (subinterpreters) are covered too:
    ``sys.addaudithook`` hooks belong to one interpreter, so a runtime-wide
    hook in ``_ppy_sys`` (``guard_interpreters``) refuses or reports the same
    events there, and under ``"raise"`` the import of ``_posixsubprocess``.

    The ``sys`` API cannot remove an audit hook, and ``"log"`` after
    ``"raise"`` changes nothing.  Returns True if a hook was
    added, False if an equal or stricter one was already there.  Safe to
    call before the script runs (the launcher does, from ppy.conf).  Not a
    sandbox: ctypes/cffi code can still call execve(2) directly, and code
    that finds the hook (``gc``) and rewrites it can disarm it.
    """
    if mode not in ("raise", "log"):
        raise ValueError("forbid_exec mode must be 'raise' or 'log', not %r" % (mode,))
    if "raise" in _installed_modes or mode in _installed_modes:
        return False
    import _ppy_sys

    _ppy_sys.guard_interpreters(mode)
    _wrap_fork_exec()
    events = _EXEC_EVENTS
    describe = _describe
    write = os.write
    # subprocess raises subprocess.Popen and then (when it was imported after
    # the wrap) calls the wrapped fork_exec with the same args list: report
    # that call once.
    last_popen: "list[object]" = [None]

    def seen(event: str, args: "tuple[Any, ...]") -> bool:
        if event == "subprocess.Popen":
            last_popen[0] = args[1]
            return False
        if event == _FORK_EXEC_EVENT and args[0] is not None and args[0] is last_popen[0]:
            last_popen[0] = None
            return True
        return False

    if mode == "raise":
        refused = ProcessCreationRefused

        def hook(event: str, args: "tuple[Any, ...]") -> None:
            if event in events:
                raise refused("ppy_py.hardening: process creation refused: " + describe(event, args))
            # A second import of _posixsubprocess (after `del sys.modules[...]`) would
            # make a fresh module whose fork_exec raises no event: refused too.
            if event == "import" and args[0] == "_posixsubprocess":
                raise refused("ppy_py.hardening: process creation refused: importing "
                              "_posixsubprocess again")

    else:
        import syslog  # builtin module, imported only for "log"

        priority = syslog.LOG_AUTHPRIV | syslog.LOG_WARNING
        log = syslog.syslog

        def hook(event: str, args: "tuple[Any, ...]") -> None:
            if event == "import" and args[0] == "_posixsubprocess":
                line = ("ppy_py.hardening: _posixsubprocess imported again: what it starts "
                        "is not reported (pid %d)" % os.getpid())
            elif event in events and not seen(event, args):
                line = "ppy_py.hardening: process creation: %s (pid %d)" % (describe(event, args), os.getpid())
            else:
                return
            try:
                write(2, (line + "\n").encode("utf-8", "backslashreplace"))
            except OSError:
                pass
            try:
                log(priority, line)
            except Exception:
                pass

    sys.addaudithook(hook)
    _installed_modes.add(mode)
    return True


# --------------------------------------------------------------------------
# Landlock


def landlock_abi_version() -> int:
    """The kernel's Landlock ABI version; 0 when Landlock is unavailable."""
    from . import _landlock

    return _landlock.abi_version()


def restrict_paths(
    read: "list[str] | tuple[str, ...]" = (),
    write: "list[str] | tuple[str, ...]" = (),
    execute: "list[str] | tuple[str, ...]" = (),
) -> int:
    """Give up filesystem access except beneath the paths named (Landlock).

    After it, this thread and its future threads/children can read files and
    list directories only beneath ``read`` + ``write`` + ``execute``, write,
    create, remove, rename or truncate only beneath ``write``, and execute
    only beneath ``execute``.  Irreversible.  Sets no_new_privs (Landlock
    requires it; ppy scripts already have it).  Access rights the running
    kernel's Landlock ABI does not know are left unrestricted (best effort).

    Only threads created afterwards inherit it: call it before starting
    threads.  Returns the ABI version used.  Raises ``CapabilityError``
    (an OSError) when Landlock is unavailable or refuses.
    """
    from . import _landlock

    return _landlock.restrict(list(read), list(write), list(execute))
