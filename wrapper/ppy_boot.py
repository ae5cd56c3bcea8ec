"""ppy boot: the first Python code of every ppy launch, installed as LIBDIR/python/ppy_boot.py.

The launcher execs, as the script's owner, with the script's capabilities in the permitted,
inheritable and ambient sets (the only way an unmodified interpreter receives them):

    python -I -S -B -c "import sys;sys.path.insert(0,sys.argv.pop(1));import ppy_boot;ppy_boot.main()" \
        LIBDIR/python 3 EFFECTIVE FORBID PATH ARG...

so this file is imported, not run: Python reads it from the bytecode that `make install`
compiled beside it (root's, like the file), instead of compiling it on every launch. The
first sys.path entry stays LIBDIR/python, so the script imports the checked ppy_py. With
-S, no site-packages code, .pth file or sitecustomize runs while the capabilities are still
inheritable and ambient. Before any script code runs, main():

1. empties the inheritable and ambient sets, so no child process inherits a capability;
2. empties the effective set unless the file's effective bit was set (EFFECTIVE == "1");
3. makes the process non-dumpable (no core file, no same-uid /proc snooping);
4. reads all of that back from the kernel (capget, prctl, /proc/thread-self/stat's tty_nr);
5. runs site.main(), what the interpreter would have run at start-up without -S;
6. if root's ppy.conf says so (FORBID is "raise" or "log"), installs the
   ppy_py.hardening.forbid_exec audit hook, which the script cannot remove;
7. compiles the sealed copy of the script (fd 3) and runs it as __main__, named by its
   real PATH.

Steps 1-3 and the compiling use ppy_py._sys (a small stable-ABI extension): neither cffi
nor the rest of ppy_py is loaded before the script asks for it.
Any failure (an exception included) stops here with status 88 and one line on stderr; no
script code runs. A syntax error in the script is reported as Python reports it (status 1).
Nothing the caller passes (ARG...) is read here: it becomes sys.argv[1:].
"""
import os
import sys

EX_BOOT = 88


def fail(path, msg):
    sys.stderr.write("ppy: %s: boot: %s\n" % (path, msg))
    sys.stderr.flush()
    os._exit(EX_BOOT)


def read_proc(name):
    """The whole of /proc/thread-self/NAME, read with plain system calls (no io objects)."""
    fd = os.open("/proc/thread-self/" + name, os.O_RDONLY | os.O_CLOEXEC)
    try:
        chunks = []
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
    finally:
        os.close(fd)


def drop_start_up_state(path, keep_effective):
    try:
        from ppy_py import _sys
    except ImportError as e:
        fail(path, "cannot load ppy_py: %s" % e)
    # -S: nothing ran before this file, so ppy_py is the checked copy ppy put first on sys.path.
    if os.path.dirname(_sys.__file__) != os.path.join(sys.path[0], "ppy_py"):
        fail(path, "ppy_py was loaded from %s, not from ppy's library" % _sys.__file__)
    # Each call returns its result or -errno, checked here.
    caps = _sys.capget()
    if not isinstance(caps, tuple):
        fail(path, "capget: %s" % os.strerror(-caps))
    permitted = caps[1]
    steps = (
        ("capset", lambda: _sys.capset(permitted if keep_effective else 0, permitted, 0)),
        ("ambient clear", lambda: _sys.prctl(_sys.PR_CAP_AMBIENT, _sys.PR_CAP_AMBIENT_CLEAR_ALL)),
        ("not dumpable", lambda: _sys.prctl(_sys.PR_SET_DUMPABLE, 0)),
    )
    for name, step in steps:
        rc = step()
        if rc < 0:
            fail(path, "%s: %s" % (name, os.strerror(-rc)))
    # Read it all back from the kernel.
    if read_proc("stat").rsplit(b")", 1)[1].split()[4] != b"0":   # tty_nr
        fail(path, "a controlling terminal remains")
    caps = _sys.capget()
    if not isinstance(caps, tuple):
        fail(path, "capget: %s" % os.strerror(-caps))
    effective, permitted, inheritable = caps
    # (Ambient is always within permitted and inheritable; each cap is asked anyway.)
    if inheritable != 0 or any(
            _sys.prctl(_sys.PR_CAP_AMBIENT, _sys.PR_CAP_AMBIENT_IS_SET, cap) != 0
            for cap in range(64) if permitted >> cap & 1):
        fail(path, "inheritable or ambient capabilities remain")
    if effective != (permitted if keep_effective else 0):
        fail(path, "effective set is not as the file asked")
    if _sys.prctl(_sys.PR_GET_DUMPABLE) != 0:
        fail(path, "the process is still dumpable")
    return _sys


def forbid_exec(path, mode):
    if mode == "-":
        return
    try:
        from ppy_py import hardening

        hardening.forbid_exec(mode)
    except Exception as e:
        fail(path, "cannot forbid process creation: %s" % e)


def read_script(path, fd, _sys):
    sealed = _sys.fully_sealed(fd)
    if sealed < 0:
        fail(path, "cannot read the script copy: %s" % os.strerror(-sealed))
    if sealed != 1:
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


def start(path):
    """Everything before the script's first line; returns its code and __main__ module."""
    _sys = drop_start_up_state(path, sys.argv[2] == "1")
    # Only now, with no capability left to pass on, run what `python` without -S would
    # have run at start-up: site-packages, their .pth files, sitecustomize.
    import site

    site.main()
    forbid_exec(path, sys.argv[3])
    source = read_script(path, 3, _sys)
    try:
        # As compile(source, path, "exec", dont_inherit=True), without the ~1 ms the
        # builtin spends building every AST node type first (see sysmodule.c).
        code = _sys.compile(source, os.fsencode(path))
    except SyntaxError:
        import traceback

        traceback.print_exc(limit=0)
        sys.exit(1)
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
        code, main_module = start(path)
    except SystemExit:   # the script's SyntaxError, reported as Python would
        raise
    except BaseException as e:
        fail(path, "%s: %s" % (type(e).__name__, e))
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
