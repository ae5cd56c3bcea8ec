# SPDX-License-Identifier: LGPL-2.1-or-later
"""The one rule for where code may come from, enforced where code is loaded.

Every file a ppy script's interpreter loads as code (the interpreter, modules as source,
bytecode, extension modules or zip archives, .pth files and the directories they add) can
have been written only by root or the script's owner: owned by one of them, not writable by
group or others, and so is every directory above it and every symlink on the way, hop by
hop (ppy_py/_build/origin.h, shared by the launcher and the boot). STRANGER below is a
third account: neither root, nor the owner, nor the caller.
"""
import os
import shutil
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
import zipfile

import pytest

from ppytest import (CALLER, EX_INSTALL, OWNER, PYTHON, RAN, refused, run)

pytestmark = pytest.mark.root

STRANGER = 4444


def own_dir(inst, name, owner, mode=0o755):
    d = os.path.join(inst.base, name)
    os.makedirs(d, exist_ok=True)
    os.chown(d, owner, owner)
    os.chmod(d, mode)
    return d


def write(path, text, owner, mode=0o644):
    with open(path, "w") as f:
        f.write(text)
    os.chown(path, owner, owner)
    os.chmod(path, mode)
    return path


TRY_IMPORT = textwrap.dedent("""
    import sys
    sys.path.insert(0, sys.argv[1])
    try:
        import {name}
        print("IMPORTED")
    except ImportError as e:
        print(type(e).__name__)
        print(e)
""")


def import_from(inst, directory, name="planted"):
    """Launch a script that imports NAME from DIRECTORY; (first line after RAN, second)."""
    proc = inst.launch(inst.script(TRY_IMPORT.format(name=name)), directory)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == RAN and "PLANTED-RAN" not in proc.stdout, proc.stdout
    return lines[1:]


# ---------------------------------------------------------------- modules

def test_a_module_in_another_accounts_directory_is_refused(inst):
    d = own_dir(inst, "stranger-lib", STRANGER)
    write(os.path.join(d, "planted.py"), "print('PLANTED-RAN')\n", STRANGER)
    kind, msg = import_from(inst, d)
    assert kind == "UntrustedCodeError"
    assert "directory %s is owned by uid %d" % (d, STRANGER) in msg
    assert "only root and uid %d (the script's owner)" % OWNER in msg


def test_a_module_others_may_write_is_refused_in_a_trusted_directory(inst):
    d = own_dir(inst, "owner-lib-1", OWNER)
    write(os.path.join(d, "planted.py"), "print('PLANTED-RAN')\n", OWNER, 0o646)
    kind, msg = import_from(inst, d)
    assert kind == "UntrustedCodeError"
    assert "planted.py is writable by group or others (mode 0646" in msg


def test_group_write_through_an_acl_mask_is_refused(inst):
    d = own_dir(inst, "owner-lib-acl", OWNER)
    path = write(os.path.join(d, "planted.py"), "print('PLANTED-RAN')\n", OWNER)
    subprocess.run(["setfacl", "-m", "u:%d:rw" % STRANGER, path], check=True)
    kind, msg = import_from(inst, d)
    assert kind == "UntrustedCodeError" and "writable by group or others" in msg


def test_a_module_of_root_or_the_owner_imports(inst):
    d = own_dir(inst, "owner-lib-2", OWNER)
    write(os.path.join(d, "planted.py"), "", OWNER)
    assert import_from(inst, d) == ["IMPORTED"]


def test_a_symlink_owned_by_another_account_is_refused_hop_by_hop(inst):
    # root's directory, a link in it owned by a stranger, to a trusted module.
    d = own_dir(inst, "owner-lib-3", OWNER)
    write(os.path.join(d, "real.py"), "print('PLANTED-RAN')\n", OWNER)
    link = os.path.join(d, "planted.py")
    os.symlink("real.py", link)
    os.lchown(link, STRANGER, STRANGER)
    kind, msg = import_from(inst, d)
    assert kind == "UntrustedCodeError" and "symlink %s is owned by uid %d" % (link, STRANGER) in msg


def test_a_directory_reached_through_a_symlink_is_walked_too(inst):
    # A trusted link to a directory in the stranger's tree: the target is walked.
    stranger = own_dir(inst, "stranger-lib-2", STRANGER)
    write(os.path.join(stranger, "planted.py"), "print('PLANTED-RAN')\n", STRANGER)
    d = own_dir(inst, "owner-lib-4", OWNER)
    os.symlink(stranger, os.path.join(d, "via"))
    kind, msg = import_from(inst, os.path.join(d, "via"))
    assert kind == "UntrustedCodeError" and "directory %s is owned by uid %d" % (stranger, STRANGER) in msg


def test_sourceless_bytecode_is_checked_too(inst):
    # A .pyc with no source is read by SourcelessFileLoader, not through io.open_code.
    d = own_dir(inst, "stranger-pyc", STRANGER)
    src = os.path.join(d, "planted.py")
    write(src, "print('PLANTED-RAN')\n", STRANGER)
    import py_compile
    py_compile.compile(src, cfile=os.path.join(d, "planted.pyc"), doraise=True)
    os.unlink(src)
    os.chown(os.path.join(d, "planted.pyc"), STRANGER, STRANGER)
    kind, msg = import_from(inst, d)
    assert kind == "UntrustedCodeError" and "planted.pyc" in msg


def test_an_extension_module_is_checked_before_it_is_loaded(inst):
    source = subprocess.run([PYTHON, "-c", "import _json; print(getattr(_json, '__file__', ''))"],
                            capture_output=True, text=True).stdout.strip()
    if not source:
        pytest.skip("_json is built into %s: no extension module to copy" % PYTHON)
    ext = source[source.index(".", source.rindex("/")):]
    d = own_dir(inst, "stranger-ext", STRANGER)
    shutil.copy(source, os.path.join(d, "_json" + ext))
    os.chown(os.path.join(d, "_json" + ext), STRANGER, STRANGER)
    body = ("import sys, importlib.util\n"
            "spec = importlib.util.spec_from_file_location('_json', sys.argv[1])\n"
            "try:\n    importlib.util.module_from_spec(spec)\n    print('LOADED')\n"
            "except ImportError as e:\n    print(type(e).__name__)\n    print(e)\n")
    proc = inst.launch(inst.script(body), os.path.join(d, "_json" + ext))
    lines = proc.stdout.splitlines()
    assert lines[1] == "UntrustedCodeError", proc.stdout + proc.stderr
    assert "directory %s is owned by uid %d" % (d, STRANGER) in lines[2]


def test_a_zip_archive_on_sys_path_is_checked(inst):
    d = own_dir(inst, "stranger-zip", STRANGER)
    archive = os.path.join(d, "lib.zip")
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("planted.py", "print('PLANTED-RAN')\n")
    os.chown(archive, STRANGER, STRANGER)
    kind, msg = import_from(inst, archive)
    assert kind == "UntrustedCodeError" and "lib.zip" in msg


LATER_IMPORT = textwrap.dedent("""
    import sys
    sys.path.insert(0, sys.argv[1])
    import early
    print("READY", flush=True)
    sys.stdin.readline()
    try:
        import later
        print("IMPORTED")
    except ImportError as e:
        print(type(e).__name__, e)
""")


def test_a_long_running_script_checks_each_import_when_it_happens(inst):
    # A server imports one module at start and another later. Meanwhile root hands the
    # directory above the modules to a third account, which swaps the module directory for
    # its own symlink to a directory of the owner's (an upload area). The later import is
    # walked again from "/", not taken from what the first walk found: refused. (A cache
    # of directories found root's, tried once, let the third account's choice load here.)
    top = own_dir(inst, "handed-over", 0)
    lib = own_dir(inst, "handed-over/lib", 0)
    write(os.path.join(lib, "early.py"), "", 0)
    uploads = own_dir(inst, "owner-uploads", OWNER)
    write(os.path.join(uploads, "later.py"), "print('PLANTED-RAN')\n", OWNER)
    proc = subprocess.Popen(
        ["setpriv", f"--reuid={CALLER}", f"--regid={CALLER}", "--clear-groups", inst.ppy,
         inst.script(LATER_IMPORT), lib],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={})
    try:
        assert proc.stdout.readline().strip() == RAN
        assert proc.stdout.readline().strip() == "READY", proc.stderr.read()
        os.chown(top, STRANGER, STRANGER)
        swap = run(["sh", "-c", 'mv "$0/lib" "$0/lib.old" && ln -s "$1" "$0/lib"', top,
                    uploads], uid=STRANGER)
        assert swap.returncode == 0, swap.stderr
        out, err = proc.communicate("go\n", timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.chown(top, 0, 0)
    assert "PLANTED-RAN" not in out, out
    assert out.startswith("UntrustedCodeError") and f"is owned by uid {STRANGER}" in out, out


def test_a_ppy_script_may_not_create_a_subinterpreter(inst):
    # The open_code hook is the runtime's, but the checks of extension modules and of
    # bytecode without source live in the main interpreter's importlib: a subinterpreter
    # would load a stranger's .so unchecked. So none may be created.
    body = ("try:\n    import _xxsubinterpreters as si\nexcept ImportError:\n"
            "    import _interpreters as si\n"
            "try:\n    si.create()\n    print('CREATED')\nexcept Exception as e:\n"
            "    print(type(e).__name__, e.__cause__ or e.__context__ or e)\n")
    proc = inst.launch(inst.script(body))
    assert proc.returncode == 0, proc.stderr
    assert "CREATED" not in proc.stdout and proc.stdout.splitlines()[1].startswith("RuntimeError")
    assert proc.stderr == ("ppy: a ppy script may not create a subinterpreter: ppy checks where "
                           "extension modules and bytecode files come from in the main "
                           "interpreter only\n"), proc.stderr


def test_check_warns_about_modules_beside_the_script(inst):
    d = own_dir(inst, "app-with-bad-module", OWNER)
    write(os.path.join(d, "helper.py"), "", STRANGER)
    path = inst.script(directory=d)
    proc = run([inst.ppy, "--check", path])
    assert proc.returncode == 0, proc.stderr
    assert ("ppy: %s: warning: %s would be refused if imported: it is owned by another user"
            % (path, os.path.join(d, "helper.py"))) in proc.stdout.splitlines()


def test_check_says_what_it_could_not_check_beside_the_script_and_answers(inst):
    # A path deeper than PATH_MAX and a tree deeper than ppy walks, beside the script: the
    # launch checks each import as it happens and runs; --check must give the same answer,
    # saying what it did not check (before: 86, "path too long", for a script that runs).
    d = own_dir(inst, "app-with-deep-trees", OWNER)

    def nest(first, name, count):    # by descriptor: the whole path is too long to name
        fd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
        for n in range(count):
            os.mkdir(first if n == 0 else name, dir_fd=fd)
            sub = os.open(first if n == 0 else name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.fchown(sub, OWNER, OWNER)
            os.close(fd)
            fd = sub
        os.close(fd)

    nest("long", "a" * 200, 22)      # more than 4,400 bytes
    nest("deep", "d", 26)
    path = inst.script(directory=d)
    proc = run([inst.ppy, "--check", path])
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("ppy: %s: would run" % path), proc.stdout
    assert any(line.startswith("ppy: %s: warning: a path under %s/" % (path, d)) and
               line.endswith(" is longer than 4095 bytes: not checked") for line in lines), lines
    assert any(line.startswith("ppy: %s: warning: %s/deep/" % (path, d)) and
               line.endswith(" is more than 24 directories deep: not checked")
               for line in lines), lines
    assert inst.launch(path).returncode == 0


def test_check_follows_a_pth_that_adds_the_project_it_lies_in_once(inst):
    # A project with its venv inside, installed with pip install -e .: the .pth in the
    # venv's site-packages names the project, whose walk meets the .pth again. --check
    # walked it until the stack ran out (139, no line; the launch ran). A chain of .pth
    # files through the trees they add is followed a few levels, then named.
    proj = own_dir(inst, "proj-with-venv", OWNER)
    site = os.path.join(proj, ".venv", "lib", "python3", "site-packages")
    os.makedirs(site)
    write(os.path.join(site, "__editable__.proj.pth"), proj + "\n", OWNER)
    chain = [own_dir(inst, "chain%d" % n, OWNER) for n in range(8)]
    for here, there in zip(chain, chain[1:]):
        os.makedirs(os.path.join(here, "v", "site-packages"))
        write(os.path.join(here, "v", "site-packages", "next.pth"), there + "\n", OWNER)
    write(os.path.join(site, "chain.pth"), chain[0] + "\n", OWNER)
    path = inst.script(directory=proj)
    proc = run([inst.ppy, "--check", path])
    assert proc.returncode == 0, (proc.returncode, proc.stderr)
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("ppy: %s: would run" % path), proc.stdout
    assert any(line.endswith(" is in a directory that .pth files add, 4 levels down: not "
                             "checked") for line in lines), lines
    assert inst.launch(path).returncode == 0


# ---------------------------------------------------------------- the interpreter (finding 4)

FAKE_PYTHON = "#!/bin/sh\ngrep -h Cap /proc/self/status | tr '\\n' ' '; echo STRANGER-PROGRAM-RAN\n"


def test_the_standard_library_the_interpreter_reads_before_the_boot_is_checked_first(inst):
    # An interpreter (root's) whose encodings package, which it runs before ppy's boot can
    # put the rule in place, lies in a directory another account owns: the boot refused it
    # (86) only after it had run holding the capability (before: PLANTED-RAN). The rest of
    # the library is root's: symlinks to Debian's own.
    base = own_dir(inst, "base-python", 0)
    real = os.path.realpath(PYTHON)
    version = os.path.basename(real)                       # python3.X
    os.mkdir(os.path.join(base, "bin"))
    shutil.copy2(real, os.path.join(base, "bin", version))
    lib = os.path.join(base, "lib", version)
    os.makedirs(lib)
    system_lib = os.path.join(os.path.dirname(os.path.dirname(real)), "lib", version)
    for name in os.listdir(system_lib):
        if name != "encodings":
            os.symlink(os.path.join(system_lib, name), os.path.join(lib, name))
    encodings = os.path.join(lib, "encodings")
    shutil.copytree(os.path.join(system_lib, "encodings"), encodings)
    init = os.path.join(encodings, "__init__.py")
    with open(init) as f:
        text = f.read()
    write(init, "import posix; posix.write(1, b'PLANTED-RAN\\n')\n" + text, 0)
    os.chown(encodings, STRANGER, STRANGER)
    interpreter = os.path.join(base, "bin", version)
    inst.write_conf("interpreter %s\n" % interpreter)
    try:
        path = inst.script("print('SCRIPT-RAN')\n", shebang=False)
        with open(path) as f:
            text = f.read()
        write(path, "#!%s %s\n%s" % (inst.ppy, interpreter, text), OWNER, 0o755)
        subprocess.run(["setcap", "cap_net_bind_service=p", path], check=True)
        proc = run([path])
        assert "PLANTED-RAN" not in proc.stdout, proc.stdout
        refused(proc, EX_INSTALL, "standard library %s is unsafe" % encodings,
                "directory %s is owned by uid %d" % (encodings, STRANGER))
        # Given back to root, the same interpreter runs the script.
        os.chown(encodings, 0, 0)
        proc = run([path])
        assert proc.returncode == 0 and "SCRIPT-RAN" in proc.stdout, proc.stdout + proc.stderr
    finally:
        inst.write_conf("")


def test_an_interpreter_that_not_everyone_may_execute_is_refused(inst):
    # Root's, and trusted, but mode 0750: a caller outside its group would get EACCES
    # from the exec after every check; ppy says so first.
    d = own_dir(inst, "private-python", 0)
    interpreter = os.path.join(d, os.path.basename(os.path.realpath(PYTHON)))
    shutil.copy2(os.path.realpath(PYTHON), interpreter)
    os.chmod(interpreter, 0o750)
    inst.write_conf("interpreter %s\n" % interpreter)
    try:
        path = inst.script("print('SCRIPT-RAN')\n", shebang=False)
        with open(path) as f:
            text = f.read()
        write(path, "#!%s %s\n%s" % (inst.ppy, interpreter, text), OWNER, 0o755)
        subprocess.run(["setcap", "cap_net_bind_service=p", path], check=True)
        refused(run([path]), EX_INSTALL, "interpreter %s must be executable by everyone "
                "(mode 0750)" % interpreter)
    finally:
        inst.write_conf("")


def test_ppys_library_must_be_roots_alone_links_included(inst):
    # LIBDIR/python (the boot, ppy_py) is walked strictly: a file of another account's, or
    # a symlink out to one, refuses every launch (86) before anything runs.
    library = os.path.join(inst.prefix, "lib", "ppy", "python")
    outside = own_dir(inst, "stranger-outside", STRANGER)
    planted = write(os.path.join(outside, "extra.py"), "print('PLANTED-RAN')\n", STRANGER)
    link = os.path.join(library, "extra.py")
    os.symlink(planted, link)
    try:
        refused(run([inst.ppy, inst.script()]), EX_INSTALL,
                "installation is unsafe: symlink %s leads outside" % link)
    finally:
        os.unlink(link)
    stray = write(os.path.join(library, "stray.py"), "", STRANGER)
    try:
        refused(run([inst.ppy, inst.script()]), EX_INSTALL,
                "installation is unsafe: %s must be a file or directory owned by root" % stray)
    finally:
        os.unlink(stray)
    assert run([inst.ppy, inst.script()]).returncode == 0


def test_an_interpreter_reached_through_another_accounts_link_is_refused(inst):
    # ppy.conf names root's link, which leads through a directory another account owns;
    # that account could switch its link to a program of its own between ppy's check and
    # the exec. The chain is walked hop by hop, and the interpreter exec'd by descriptor.
    root_dir = own_dir(inst, "interp-root", 0)
    stranger_dir = own_dir(inst, "interp-stranger", STRANGER)
    os.symlink(os.path.realpath(PYTHON), os.path.join(stranger_dir, "python"))
    os.lchown(os.path.join(stranger_dir, "python"), STRANGER, STRANGER)
    configured = os.path.join(root_dir, "python")
    os.symlink(os.path.join(stranger_dir, "python"), configured)
    write(os.path.join(stranger_dir, "fake"), FAKE_PYTHON, STRANGER, 0o755)
    inst.write_conf("interpreter %s\n" % configured)
    path = inst.script(shebang=False)
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write("#!%s %s\n%s" % (inst.ppy, configured, text))
    subprocess.run(["setcap", "cap_net_bind_service=p", path], check=True)
    try:
        refused(run([path]), EX_INSTALL, "interpreter " + configured,
                "directory %s is owned by uid %d" % (stranger_dir, STRANGER))
        # The race the old check lost: the stranger flips its link while callers launch.
        flipper = subprocess.Popen(
            ["setpriv", "--reuid=%d" % STRANGER, "--regid=%d" % STRANGER, "--clear-groups",
             PYTHON, "-c", textwrap.dedent("""
                import os, sys
                d = sys.argv[1]
                while True:
                    for target in (sys.argv[2], os.path.join(d, "fake")):
                        os.symlink(target, os.path.join(d, "next"))
                        os.replace(os.path.join(d, "next"), os.path.join(d, "python"))
             """), stranger_dir, os.path.realpath(PYTHON)])
        try:
            outcomes = [run([path]) for _ in range(60)]
        finally:
            flipper.kill()
            flipper.wait()
        assert not any("STRANGER-PROGRAM-RAN" in p.stdout for p in outcomes)
        assert all(p.returncode == EX_INSTALL for p in outcomes), {p.returncode for p in outcomes}
    finally:
        inst.write_conf("")


def test_the_interpreter_runs_by_descriptor_with_its_configured_name(inst):
    # argv[0] stays the configured path (a virtualenv's Python finds pyvenv.cfg from it);
    # /proc/self/exe is the file that was checked.
    path = inst.script("import os, sys\nprint(sys.executable)\nprint(os.readlink('/proc/self/exe'))\n")
    proc = inst.launch(path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[1:] == [PYTHON, os.path.realpath(PYTHON)]


# ---------------------------------------------------------------- FUSE

@pytest.mark.parametrize("fsname", ["", "user_id=0"])
def test_code_on_a_fuse_filesystem_another_account_mounted_is_refused(inst, fsname):
    # A FUSE server answers stat() as it likes: a squashfs image the stranger made (its
    # files root's, 0644) mounted with squashfuse shows root's files. ppy asks the kernel who
    # mounted it (user_id= among the super options) instead of believing the owner. The
    # source field before them is the mounter's own free text (fsname): "user_id=0" there
    # must not pass for a mount of root's.
    if not all(shutil.which(p) for p in ("squashfuse", "mksquashfs")) or \
            not os.path.exists("/dev/fuse"):
        pytest.skip("squashfuse, mksquashfs and /dev/fuse needed (make deps installs them)")
    tag = fsname.replace("=", "-") or "plain"
    work = own_dir(inst, "fuse-work-" + tag, 0)
    src = own_dir(inst, "fuse-src-" + tag, 0)
    write(os.path.join(src, "planted.py"), "print('PLANTED-RAN')\n", 0)
    image = os.path.join(work, "image.sqfs")
    subprocess.run(["mksquashfs", src, image, "-all-root", "-quiet", "-noappend"], check=True,
                   capture_output=True)
    os.chown(image, STRANGER, STRANGER)
    mnt = own_dir(inst, "fuse-mnt-" + tag, STRANGER)
    script = inst.script(TRY_IMPORT.format(name="planted"))
    # In a mount namespace of the test's own: /dev/fuse usable by users, user_allow_other,
    # and a passwd entry for the stranger (fusermount3 wants a user name).
    with open("/etc/passwd") as f:
        write(os.path.join(work, "passwd"), f.read() + "stranger:x:%d:%d::/:/bin/sh\n"
              % (STRANGER, STRANGER), 0)
    write(os.path.join(work, "fuse.conf"), "user_allow_other\n", 0)
    shell = textwrap.dedent("""
        set -e
        mknod {work}/fuse c 10 229; chmod 666 {work}/fuse
        mount --bind {work}/fuse /dev/fuse
        mount --bind {work}/fuse.conf /etc/fuse.conf
        mount --bind {work}/passwd /etc/passwd
        setpriv --reuid={s} --regid={s} --clear-groups squashfuse -o allow_other{fsname} \\
            {image} {mnt}
        stat -c '%U %a' {mnt}/planted.py
        grep -c ' {mnt} ' /proc/self/mountinfo
        setpriv --reuid={c} --regid={c} --clear-groups {ppy} {script} {mnt} || true
        umount {mnt}
    """).format(work=work, s=STRANGER, c=CALLER, image=image, mnt=mnt, ppy=inst.ppy,
                script=script, fsname=",fsname=" + fsname if fsname else "")
    proc = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", shell],
                          capture_output=True, text=True, timeout=60)
    lines = proc.stdout.splitlines()
    assert lines[:2] == ["root 644", "1"], proc.stdout + proc.stderr   # what stat() is told
    assert lines[2:4] == [RAN, "UntrustedCodeError"], proc.stdout + proc.stderr
    assert "is on a FUSE filesystem mounted by uid %d" % STRANGER in lines[4]
    assert "PLANTED-RAN" not in proc.stdout


CUT_MOUNTER = int("%d1" % OWNER)   # 42421: its decimal starts with the owner's

FUSE_CUT = r"""
import os, subprocess, sys
work, mnt, image, ppy, script, stranger, caller = sys.argv[1:8]
stranger = int(stranger)

def sh(*argv):
    return subprocess.run(argv, check=True, capture_output=True, text=True).stdout

def mount(fsname):
    sh("setpriv", "--reuid=%d" % stranger, "--regid=%d" % stranger, "--clear-groups",
       "squashfuse", "-o", "allow_other,fsname=" + fsname, image, mnt)
    for line in open("/proc/self/mountinfo"):
        if " %s " % mnt in line:
            return line.rstrip("\n")

sh("mknod", work + "/fuse", "c", "10", "229"); os.chmod(work + "/fuse", 0o666)
for src, dst in ((work + "/fuse", "/dev/fuse"), (work + "/fuse.conf", "/etc/fuse.conf"),
                 (work + "/passwd", "/etc/passwd")):
    sh("mount", "--bind", src, dst)
# The mountinfo line with a short SOURCE, then one whose first 8191 bytes (a fixed-size
# fgets buffer) end just after "user_id=" and the owner's digits.
line = mount("x")
sh("umount", mnt)
want = 8191 - (line.index(",user_id=") + len(",user_id=%d" % (stranger // 10)) - len("x"))
spaces = (want - 1) // 4                           # each shown as \040
line = mount(" " * spaces + "a" * (want - 4 * spaces))
cut = line[:8191]
print("CUT-AT", cut[-16:], line[8191:8192])
sys.stdout.flush()
subprocess.run(["setpriv", "--reuid=" + caller, "--regid=" + caller, "--clear-groups", ppy,
                script, mnt])
sh("umount", mnt)
"""


def test_a_fuse_mounter_is_read_from_the_whole_mountinfo_line(inst):
    # The mounter chooses how long SOURCE is (fsname, shown with each space as \040): a
    # line read in 8 KiB pieces ended inside "user_id=42421" as "user_id=4242", the owner,
    # and the stranger's mount was trusted (before: PLANTED-RAN). Read whole, it is not.
    if not all(shutil.which(p) for p in ("squashfuse", "mksquashfs")) or \
            not os.path.exists("/dev/fuse"):
        pytest.skip("squashfuse, mksquashfs and /dev/fuse needed (make deps installs them)")
    work = own_dir(inst, "fuse-cut-work", 0)
    src = own_dir(inst, "fuse-cut-src", 0)
    write(os.path.join(src, "planted.py"), "print('PLANTED-RAN')\n", 0)
    image = os.path.join(work, "image.sqfs")
    subprocess.run(["mksquashfs", src, image, "-all-root", "-quiet", "-noappend"], check=True,
                   capture_output=True)
    os.chown(image, CUT_MOUNTER, CUT_MOUNTER)
    mnt = own_dir(inst, "fuse-cut-mnt", CUT_MOUNTER)
    with open("/etc/passwd") as f:
        write(os.path.join(work, "passwd"), f.read() + "stranger:x:%d:%d::/:/bin/sh\n"
              % (CUT_MOUNTER, CUT_MOUNTER), 0)
    write(os.path.join(work, "fuse.conf"), "user_allow_other\n", 0)
    script = inst.script(TRY_IMPORT.format(name="planted"))
    proc = subprocess.run(["unshare", "-m", "--propagation", "private", sys.executable, "-c",
                           FUSE_CUT, work, mnt, image, inst.ppy, script, str(CUT_MOUNTER),
                           str(CALLER)], capture_output=True, text=True, timeout=60)
    lines = proc.stdout.splitlines()
    # The setup did cut the line where the attack needs it.
    assert lines and lines[0] == "CUT-AT %s 1" % (" rw,user_id=%d" % OWNER)[-16:], \
        proc.stdout + proc.stderr
    assert lines[1:3] == [RAN, "UntrustedCodeError"], proc.stdout + proc.stderr
    assert "is on a FUSE filesystem mounted by uid %d" % CUT_MOUNTER in lines[3]
    assert "PLANTED-RAN" not in proc.stdout


# ---------------------------------------------------------------- the working directory (finding 2)

def test_http_server_started_by_runpy_serves_the_scripts_directory_not_the_callers(inst):
    # The caller went into the owner's home (searchable, 0711) where a 0600 key lies, and
    # started a script that runs http.server, which serves its working directory. The
    # script starts in its own directory: the key is not served.
    home = own_dir(inst, "svc-home", OWNER, 0o711)
    write(os.path.join(home, "tls.key"), "SECRET-KEY\n", OWNER, 0o600)
    body = ("import runpy, sys\n"
            "sys.argv = ['http.server', '--bind', '127.0.0.1', '8765']\n"
            "runpy.run_module('http.server', run_name='__main__', alter_sys=True)\n")
    path = inst.script(body)
    server = subprocess.Popen(["setpriv", "--reuid=%d" % CALLER, "--regid=%d" % CALLER,
                               "--clear-groups", inst.ppy, path], cwd=home,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={})
    try:
        for _ in range(100):
            try:
                listing = urllib.request.urlopen("http://127.0.0.1:8765/", timeout=5).read()
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("the server did not start")
        assert os.path.basename(path).encode() in listing    # its own directory
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen("http://127.0.0.1:8765/tls.key", timeout=5)
        assert err.value.code == 404
    finally:
        server.kill()
        server.wait()
