# SPDX-License-Identifier: LGPL-2.1-or-later
"""ppy boot: the first Python code of every ppy launch, installed as LIBDIR/python/ppy_boot.py.

The launcher execs, as the script's owner, in the script's directory, with the script's
capabilities in the permitted, inheritable and ambient sets (the only way an unmodified
interpreter receives them):

    python -I -S -B -c "import sys;sys.path.insert(0,sys.argv.pop(1));import ppy_boot;ppy_boot.main()" \
        LIBDIR/python 3 EFFECTIVE FORBID PATH ARG...

so this file is imported, not run: Python reads it from the bytecode that `make install`
compiled beside it (root's, like the file), instead of compiling it on every launch. With
-S, no site-packages code, .pth file or sitecustomize runs before this file has dropped the
capabilities. Before any script code runs, main():

1. empties the inheritable and ambient sets, so no child process inherits a capability, and
   the effective set; makes the process non-dumpable; reads all of that back from the
   kernel (capget, prctl, tty_nr from /proc/thread-self/stat);
2. installs the code-origin rule (_ppy_sys.origin_install): from then on every file opened
   as code (modules' source and bytecode, zip archives, .pth files, extension modules) must
   be one only root or the script's owner could have written, checked hop by hop from "/"
   where it is loaded; and checks the same of everything the interpreter loaded before this
   file ran (its start-up modules, and every file mapped executable: the interpreter and
   its shared libraries). A start-up file that breaks the rule stops the launch with 86;
3. if root's ppy.conf says so (FORBID is "raise" or "log"), installs the
   ppy_py.hardening.forbid_exec audit hook, before any site-packages code could interfere;
4. reads the sealed copy of the script (fd 3) and compiles it, named by its real PATH;
   stops (88) if a SIGINT or SIGQUIT (Ctrl-C, Ctrl-\\) arrived so far (ppy blocked both
   across its exec), then unblocks them;
5. runs site.main(), what the interpreter would have run at start-up without -S (so
   site-packages code runs with nothing inheritable, ambient or effective, under the rule):
   a .pth file, a module it imports, or a directory it adds that breaks the rule stops the
   launch with 86; then puts the script's directory first on sys.path (modules beside the
   script import as under `python script.py`) and LIBDIR/python second, and checks that
   any ppy_py module site code imported came from there;
6. raises the whole permitted set into the effective set if the file's effective bit
   was set (EFFECTIVE == "1"), and checks it;
7. runs the script as __main__.

A re-execution of this same command line by the script's own process (a reloader that
runs sys.orig_argv again, such as Werkzeug's) arrives with no capability at all (the
kernel gives none to a child of a ppy script) and no sealed copy: the boot then reads the
script from PATH, under the same rule and the same steps, and runs it without capabilities.

Steps 1, 2, 4 and 6 use _ppy_sys (a small stable-ABI extension): neither cffi
nor ppy_py is loaded before the script asks for it.
Any other failure (an exception included) stops here with status 88 and one line on
stderr; no script code runs. A syntax error in the script is reported as Python reports it
(status 1). Nothing the caller passes (ARG...) is read here: it becomes sys.argv[1:].
"""
import os
import sys

EX_INSTALL = 86   # code that root or the owner did not write: the installation is unsafe
EX_BOOT = 88
FORBID = "-"      # root's forbid-exec mode for this script, once main() has read it


def shown(text):
    """TEXT as printable ASCII, anything else (a newline, a backslash) as \\xNN, as ppy
    shows names: no name can add a line to stderr."""
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:   # a lone surrogate outside U+DC80..U+DCFF
        raw = text.encode("utf-8", "surrogatepass")
    return "".join(chr(b) if 0x20 <= b < 0x7F and b != 0x5C else "\\x%02x" % b for b in raw)


def fail(path, msg, status=EX_BOOT):
    """One line on stderr, then STATUS (88 unless said), whatever happens while writing it."""
    try:
        os.write(2, ("ppy: %s: boot: %s\n" % (shown(path), shown(msg))).encode())
    finally:
        os._exit(status)


def described(e):
    """Exception E as one line for fail(), even one whose str() raises."""
    try:
        return "%s: %s" % (type(e).__name__, e)
    except BaseException:
        return "an exception that cannot be shown"


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


def load_sys(path, library):
    try:
        import _ppy_sys as _sys
    except ImportError as e:
        fail(path, "cannot load _ppy_sys: %s" % e)
    # -S: nothing ran before this file, so this is the checked copy in LIBRARY.
    if os.path.dirname(_sys.__file__) != library:
        fail(path, "_ppy_sys was loaded from %s, not from ppy's library" % _sys.__file__)
    return _sys


def drop_start_up_state(path, _sys):
    """Empty E, I and A, make the process non-dumpable, read it all back. Returns the
    permitted set it started with (0: a re-execution, which ppy never starts)."""
    _, started_with, _ = capget(path, _sys)
    checked(path, "capset", _sys.capset(0, started_with, 0))
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
    return started_with


def start_up_files():
    """Every file the interpreter loaded before the rule was in place: the modules it
    imported at start-up (their source, and their bytecode where there is some), and every
    file mapped executable (the interpreter, its shared libraries, _ppy_sys)."""
    files = []
    for module in list(sys.modules.values()):
        spec = getattr(module, "__spec__", None)
        if spec is None or not spec.has_location or not isinstance(spec.origin, str):
            continue
        files.append(spec.origin)
        if isinstance(spec.cached, str) and os.path.exists(spec.cached):
            files.append(spec.cached)
    # os.read, not open(): the first open() of a process costs more than the read.
    fd = os.open("/proc/self/maps", os.O_RDONLY | os.O_CLOEXEC)
    try:
        chunks = []
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(fd)
    for line in b"".join(chunks).split(b"\n"):
        fields = line.split(None, 5)
        if len(fields) == 6 and b"x" in fields[1] and fields[5].startswith(b"/"):
            name = fields[5]
            if not name.endswith(b" (deleted)"):
                files.append(os.fsdecode(name))
    return sorted(set(files))


def code_origin(path, _sys, loaders):
    """Install the rule for the script's owner (this process's uid, which ppy made the
    owner's), and check what was loaded before it. LOADERS: importlib's internals, whose
    two loaders that do not read through io.open_code are made to."""
    _sys.origin_install(os.getuid())
    for file in start_up_files():
        try:
            _sys.origin_check(file)
        except ImportError as e:   # UntrustedCodeError
            fail(path, "the interpreter loaded code at start-up: %s" % e, EX_INSTALL)
    from io import open_code

    check = _sys.origin_check
    extension_create = loaders.ExtensionFileLoader.create_module

    def create_module(self, spec):
        """An extension module is checked before the dynamic loader maps it."""
        check(spec.origin)
        return extension_create(self, spec)

    def get_data(self, path):
        """Sourceless bytecode, read through the rule like source (io.open_code)."""
        with open_code(str(path)) as file:
            return file.read()

    loaders.ExtensionFileLoader.create_module = create_module
    loaders.SourcelessFileLoader.get_data = get_data
    # A zip archive on sys.path that breaks the rule: zipimport reads it through
    # io.open_code, but the path-hook machinery takes any ImportError for "not a zip" and
    # moves on; its entry answers every import with the refusal instead.
    untrusted = _sys.UntrustedCodeError

    class Refused:
        def __init__(self, error):
            self.error = error

        def find_spec(self, name, target=None):
            raise untrusted(str(self.error), name=name, path=self.error.path)

        def invalidate_caches(self):
            pass

    for n, hook in enumerate(sys.path_hooks):
        if getattr(hook, "__name__", "") == "zipimporter":
            def zip_hook(entry, zipimporter=hook):
                try:
                    return zipimporter(entry)
                except untrusted as e:
                    return Refused(e)

            sys.path_hooks[n] = zip_hook


def cover_child_interpreters(library, mode):
    """multiprocessing's spawn and forkserver start methods (uvicorn --workers, concurrent
    .futures) start new interpreters, `python -I -S -B -c "from multiprocessing... import
    main; ..."`, which run no ppy code: every one of them goes through
    multiprocessing.util.spawnv_passfds, whose -c code gets child() in front, so the rule
    and the exec guard hold there too. (They hold no capability: a child of a ppy script
    is given none.)"""
    prefix = ("import sys;sys.path.insert(0,%r);import ppy_boot;ppy_boot.child(%r);"
              "del sys.path[0];" % (library, mode))

    def cover(util):
        spawnv_passfds = util.spawnv_passfds
        if getattr(spawnv_passfds, "_ppy_child", False):
            return

        def covered(path, args, passfds):
            args = list(args)
            if "-c" in args[:-1] and args[args.index("-c") + 1].startswith("from multiprocessing"):
                args[args.index("-c") + 1] = prefix + args[args.index("-c") + 1]
            return spawnv_passfds(path, args, passfds)

        covered._ppy_child = True
        util.spawnv_passfds = covered

    if "multiprocessing.util" in sys.modules:
        cover(sys.modules["multiprocessing.util"])
        return

    class Finder:
        """Finds nothing itself: wraps how multiprocessing.util is loaded, once."""
        @staticmethod
        def find_spec(name, path=None, target=None):
            if name != "multiprocessing.util":
                return None
            sys.meta_path.remove(Finder)
            from importlib.machinery import PathFinder

            spec = PathFinder.find_spec(name, path, target)
            if spec is not None and spec.loader is not None:
                exec_module = spec.loader.exec_module

                def exec_and_cover(module):
                    exec_module(module)
                    cover(module)

                spec.loader.exec_module = exec_and_cover
            return spec

    sys.meta_path.insert(0, Finder)


def child(mode):
    """The first code of an interpreter that multiprocessing started for a ppy script
    (see cover_child_interpreters): the start-up state checked, the code-origin rule for
    this uid, and the exec guard if root's ppy.conf set one. Any failure: one line, and
    the child goes no further."""
    path = "multiprocessing child"
    try:
        library = sys.path[0]
        _sys = load_sys(path, library)
        drop_start_up_state(path, _sys)
        code_origin(path, _sys, sys.modules["_frozen_importlib_external"])
        forbid_exec(path, mode)
        cover_child_interpreters(library, mode)
    except BaseException as e:   # as main(): nothing of the child's code runs
        fail(path, described(e))


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


def reread_script(path):
    """A re-execution: the script from PATH, through the rule (io.open_code)."""
    from io import open_code

    try:
        with open_code(path) as file:
            return file.read()
    except ImportError as e:   # UntrustedCodeError
        fail(path, "re-executed: %s" % e, EX_INSTALL)
    except OSError as e:
        fail(path, "re-executed, cannot read the script: %s" % e)


def run_site(path, _sys):
    """site.main(), with every .pth file, the modules it imports and the directories it
    adds under the rule. site reports a failing .pth line on stderr and carries on; a
    refusal by the rule stops the launch instead, with one line: so site's output is held
    back until it is known that nothing was refused."""
    import io
    import site

    addpackage = site.addpackage

    def checked_addpackage(sitedir, name, known_paths):
        before, refused = set(sys.path), _sys.origin_refusals()[0]
        result = addpackage(sitedir, name, known_paths)
        if _sys.origin_refusals()[0] != refused:   # an import of its, which site swallowed
            fail(path, "%s: %s" % (os.path.join(sitedir, name), _sys.origin_refusals()[1]),
                 EX_INSTALL)
        for entry in sys.path:
            if entry not in before:
                try:   # a directory, or a zip archive or egg (a file)
                    _sys.origin_check(entry, not os.path.isfile(entry))
                except ImportError as e:
                    fail(path, "%s adds directory %s to sys.path: %s"
                         % (os.path.join(sitedir, name), entry, e), EX_INSTALL)
        return result

    refused_before, _ = _sys.origin_refusals()
    stderr, sys.stderr = sys.stderr, io.StringIO()
    site.addpackage = checked_addpackage
    try:
        site.main()
    except ImportError:   # a .pth file that breaks the rule: site lets that through
        if _sys.origin_refusals()[0] == refused_before:
            raise
    finally:
        site.addpackage = addpackage
        held, sys.stderr = sys.stderr.getvalue(), stderr
    refused, last = _sys.origin_refusals()
    if refused != refused_before:
        fail(path, "site-packages: %s" % last, EX_INSTALL)
    if held:
        stderr.write(held)
        stderr.flush()


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


def release_interrupts(path):
    """ppy blocked SIGINT and SIGQUIT across its exec, so that Ctrl-C or Ctrl-\\ during
    the start-up is held until here: one held now stops the launch with one line; then
    both are unblocked, and the script starts with nothing blocked."""
    import _signal

    held = _signal.sigpending() & {_signal.SIGINT, _signal.SIGQUIT}
    if held:
        fail(path, "interrupted (%s) before the script started" % " and ".join(
            {_signal.SIGINT: "SIGINT", _signal.SIGQUIT: "SIGQUIT"}[s] for s in sorted(held)))
    _signal.pthread_sigmask(_signal.SIG_UNBLOCK, (_signal.SIGINT, _signal.SIGQUIT))


def start(path):
    """Everything before the script's first line. Returns its code and __main__ module,
    or None after printing the script's SyntaxError as Python would."""
    library = sys.path[0]   # LIBDIR/python, which ppy put first
    _sys = load_sys(path, library)
    loaders = sys.modules["_frozen_importlib_external"]
    relaunched = drop_start_up_state(path, _sys) == 0
    code_origin(path, _sys, loaders)
    # Before any site-packages code: the guard, then the checked bytes.
    forbid_exec(path, sys.argv[3])
    cover_child_interpreters(library, sys.argv[3])
    source = reread_script(path) if relaunched else read_script(path, 3, _sys)
    try:
        # As compile(source, path, "exec", dont_inherit=True), without the ~1 ms the
        # builtin spends building every AST node type first (see sysmodule.c).
        code = _sys.compile(source, os.fsencode(path))
    except SyntaxError:
        import traceback

        traceback.print_exc(limit=0)
        return None
    # Ctrl-C and Ctrl-\ held so far: one that came stops here; site code (a thread or a
    # process a .pth starts) gets them unblocked, as the script does.
    release_interrupts(path)
    # Only now, with no capability inheritable, ambient or effective, run what `python`
    # without -S would have run at start-up: site-packages, their .pth files, sitecustomize.
    run_site(path, _sys)
    # As `python script.py`: the script's directory first (ppy started the interpreter in
    # it, and checked it and every directory above). Then ppy's library, so that the
    # script's `import ppy_py` gets the checked copy that matches the _ppy_sys already
    # loaded (a .pth file may have put its own directory first, as setuptools' old
    # easy-install.pth does). What site code has already imported stays imported: it
    # must have come from the library too.
    here = os.path.dirname(path)
    sys.path[:] = [here, library] + [p for p in sys.path if p not in (here, library)]
    global FORBID
    FORBID = sys.argv[3]
    check_library_modules(path, library, _sys)
    if sys.argv[2] == "1" and not relaunched:
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
    except KeyboardInterrupt:    # Ctrl-C while site-packages code ran
        fail(path, "interrupted (SIGINT) before the script started")
    except BaseException as e:   # SystemExit too: site code may call sys.exit()
        fail(path, described(e))
    if started is None:
        sys.exit(1)   # the script's SyntaxError, already reported
    code, main_module = started
    sys.modules["__main__"] = main_module
    sys.argv[:] = [path] + sys.argv[5:]
    if os.environ.get("PPY_RELAUNCH", "").partition(":")[2] == path:
        # A server activation.serve() runs, re-executed: its argv[0] stays the trampoline,
        # so that the next hot upgrade comes back through the boot too.
        sys.argv[0] = os.path.join(sys.path[1], "ppy_reexec.py")
    try:
        exec(code, main_module.__dict__)
    except (SystemExit, KeyboardInterrupt):
        raise
    except BaseException as e:
        # Report as Python would, without this file's frame.
        tb = e.__traceback__.tb_next if e.__traceback__ else None
        sys.excepthook(type(e), e.with_traceback(tb), tb)
        sys.exit(1)
