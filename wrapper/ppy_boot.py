# SPDX-License-Identifier: LGPL-2.1-or-later
"""ppy boot: the first Python code of every ppy launch, installed as LIBDIR/python/ppy_boot.py.

The launcher execs, as the script's owner, with the script's capabilities in the permitted,
inheritable and ambient sets (the only way an unmodified interpreter receives them):

    python -I -S -B -c "import sys;sys.path.insert(0,sys.argv.pop(1));import ppy_boot;ppy_boot.main()" \
        LIBDIR/python 3 EFFECTIVE FORBID PATH ARG...

so this file is imported, not run: Python reads it from the bytecode that `make install`
compiled beside it (root's, like the file), instead of compiling it on every launch. The
first sys.path entry stays LIBDIR/python, so the script imports the checked ppy_py, and
this file the checked _ppy_sys beside it (top-level: no package to import first). With
-S, no site-packages code, .pth file or sitecustomize runs before this file has dropped the
capabilities. Before any script code runs, main():

1. empties the inheritable and ambient sets, so no child process inherits a capability, and
   the effective set;
2. makes the process non-dumpable (no core file, no same-uid /proc snooping);
3. reads all of that back from the kernel (capget, prctl, tty_nr from /proc/thread-self/stat);
4. if root's ppy.conf says so (FORBID is "raise" or "log"), installs the
   ppy_py.hardening.forbid_exec audit hook, before any site-packages code could interfere;
5. reads the sealed copy of the script (fd 3) and compiles it, named by its real PATH;
6. runs site.main(), what the interpreter would have run at start-up without -S (so
   site-packages code runs with nothing inheritable, ambient or effective), then puts
   LIBDIR/python back at the front of sys.path if a .pth file put something before it,
   and checks that any ppy_py module site code imported came from there;
7. raises the whole permitted set into the effective set if the file's effective bit
   was set (EFFECTIVE == "1"), and checks it;
8. runs the script as __main__.

Steps 1-3, 5 and 7 use _ppy_sys (a small stable-ABI extension): neither cffi
nor ppy_py is loaded before the script asks for it.
Any failure (an exception included) stops here with status 88 and one line on stderr; no
script code runs. A syntax error in the script is reported as Python reports it (status 1).
Nothing the caller passes (ARG...) is read here: it becomes sys.argv[1:].
"""
import os
import sys

EX_BOOT = 88


def shown(text):
    """TEXT as printable ASCII, anything else (a newline, a backslash) as \\xNN, as ppy
    shows names: no name can add a line to stderr."""
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:   # a lone surrogate outside U+DC80..U+DCFF
        raw = text.encode("utf-8", "surrogatepass")
    return "".join(chr(b) if 0x20 <= b < 0x7F and b != 0x5C else "\\x%02x" % b for b in raw)


def fail(path, msg):
    """One line on stderr, then status 88, whatever happens while writing it."""
    try:
        os.write(2, ("ppy: %s: boot: %s\n" % (shown(path), shown(msg))).encode())
    finally:
        os._exit(EX_BOOT)


def checked(path, what, rc):
    """RC, a result from _ppy_sys (>= 0, or -errno); a failure stops the launch."""
    if rc < 0:
        fail(path, "%s: %s" % (what, os.strerror(-rc)))
    return rc


def capget(path, _sys):
    """(effective, permitted, inheritable) of this thread; a failure stops the launch."""
    caps = _sys.capget()
    if not isinstance(caps, tuple):
        checked(path, "capget", caps)
    return caps


def drop_start_up_state(path, library):
    try:
        import _ppy_sys as _sys
    except ImportError as e:
        fail(path, "cannot load _ppy_sys: %s" % e)
    # -S: nothing ran before this file, so this is the checked copy in LIBRARY.
    if os.path.dirname(_sys.__file__) != library:
        fail(path, "_ppy_sys was loaded from %s, not from ppy's library" % _sys.__file__)
    _, permitted, _ = capget(path, _sys)
    checked(path, "capset", _sys.capset(0, permitted, 0))
    checked(path, "ambient clear", _sys.prctl(_sys.PR_CAP_AMBIENT, _sys.PR_CAP_AMBIENT_CLEAR_ALL))
    checked(path, "not dumpable", _sys.prctl(_sys.PR_SET_DUMPABLE, 0))
    # Read it all back from the kernel.
    if checked(path, "cannot read tty_nr", _sys.tty_nr()) != 0:
        fail(path, "a controlling terminal remains")
    effective, permitted, inheritable = capget(path, _sys)
    # (Ambient is always within permitted and inheritable; each cap is asked anyway.)
    if inheritable != 0 or any(
            _sys.prctl(_sys.PR_CAP_AMBIENT, _sys.PR_CAP_AMBIENT_IS_SET, cap) != 0
            for cap in range(64) if permitted >> cap & 1):
        fail(path, "inheritable or ambient capabilities remain")
    if effective != 0:
        fail(path, "the effective set is not empty")
    if _sys.prctl(_sys.PR_GET_DUMPABLE) != 0:
        fail(path, "the process is still dumpable")
    return _sys


def forbid_exec(path, mode):
    if mode == "-":
        return
    try:
        from ppy_py import hardening

        added = hardening.forbid_exec(mode)
    except Exception as e:
        fail(path, "cannot forbid process creation: %s" % e)
    if added is not True:   # nothing else has run (-S): the hook must be new
        fail(path, "cannot forbid process creation: a guard was already there")


def read_script(path, fd, _sys):
    if checked(path, "cannot read the script copy", _sys.fully_sealed(fd)) != 1:
        fail(path, "the script copy is not sealed")
    try:
        # Sealed against growing and shrinking: its size is final, so read exactly that.
        size = os.fstat(fd).st_size
        source = os.pread(fd, size, 0)
        os.close(fd)
    except OSError as e:
        fail(path, "cannot read the script copy: %s" % e)
    if len(source) != size:
        fail(path, "cannot read the script copy: %d of %d bytes" % (len(source), size))
    return source


def check_library_modules(path, library, _sys):
    """Every ppy_py module loaded so far (site code may import ppy_py.hardening) is the copy
    in LIBDIR/python, and _ppy_sys is still the one this boot checked. A consistency check
    against a .pth that loaded another copy, not a boundary: site-packages code (root's
    alone) that sets out to get around it, for instance with a finder of its own, can."""
    if sys.modules.get("_ppy_sys") is not _sys:
        fail(path, "site-packages code replaced _ppy_sys")
    package = os.path.join(library, "ppy_py")
    for name, module in list(sys.modules.items()):
        if name == "ppy_py" or name.startswith("ppy_py."):
            file = getattr(module, "__file__", None)
            if type(file) is not str or os.path.dirname(file) != package:
                fail(path, "site-packages code loaded %s from %s, not from ppy's library"
                     % (name, file))


def raise_effective(path, _sys):
    """The file's effective bit: the whole permitted set effective, checked."""
    _, permitted, _ = capget(path, _sys)
    checked(path, "capset", _sys.capset(permitted, permitted, 0))
    if capget(path, _sys) != (permitted, permitted, 0):
        fail(path, "effective set is not as the file asked")


def start(path):
    """Everything before the script's first line. Returns its code and __main__ module,
    or None after printing the script's SyntaxError as Python would."""
    library = sys.path[0]   # LIBDIR/python, which ppy put first
    _sys = drop_start_up_state(path, library)
    # Before any site-packages code: the guard, then the checked bytes.
    forbid_exec(path, sys.argv[3])
    source = read_script(path, 3, _sys)
    try:
        # As compile(source, path, "exec", dont_inherit=True), without the ~1 ms the
        # builtin spends building every AST node type first (see sysmodule.c).
        code = _sys.compile(source, os.fsencode(path))
    except SyntaxError:
        import traceback

        traceback.print_exc(limit=0)
        return None
    # Only now, with no capability inheritable, ambient or effective, run what `python`
    # without -S would have run at start-up: site-packages, their .pth files, sitecustomize.
    import site

    site.main()
    # A .pth file may put its own directory first (setuptools' old easy-install.pth does):
    # ppy's library goes back in front, so the script's `import ppy_py` gets the checked
    # copy that matches the _ppy_sys already loaded. What site code has already imported
    # stays imported: it must have come from the library too.
    if sys.path[0] != library:
        sys.path[:] = [library] + [p for p in sys.path if p != library]
    check_library_modules(path, library, _sys)
    if sys.argv[2] == "1":
        raise_effective(path, _sys)
    import builtins

    main_module = type(sys)("__main__")
    main_module.__file__ = path
    main_module.__cached__ = None
    main_module.__builtins__ = builtins
    return code, main_module


def main():
    if (sys.argv[0] != "-c" or len(sys.argv) < 5 or sys.argv[1] != "3"
            or sys.argv[2] not in ("0", "1") or sys.argv[3] not in ("-", "raise", "log")):
        fail("?", "started without ppy")
    path = sys.argv[4]
    try:
        started = start(path)
    except BaseException as e:   # SystemExit too: site code may call sys.exit()
        try:
            what = "%s: %s" % (type(e).__name__, e)
        except BaseException:    # an exception that cannot even be shown
            what = "an exception that cannot be shown"
        fail(path, what)
    if started is None:
        sys.exit(1)   # the script's SyntaxError, already reported
    code, main_module = started
    sys.modules["__main__"] = main_module
    sys.argv[:] = [path] + sys.argv[5:]
    try:
        exec(code, main_module.__dict__)
    except (SystemExit, KeyboardInterrupt):
        raise
    except BaseException as e:
        # Report as Python would, without this file's frame.
        tb = e.__traceback__.tb_next if e.__traceback__ else None
        sys.excepthook(type(e), e.with_traceback(tb), tb)
        sys.exit(1)
