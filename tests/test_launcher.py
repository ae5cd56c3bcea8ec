# SPDX-License-Identifier: LGPL-2.1-or-later
"""The launcher, for real: installed with file capabilities, scripts owned by one uid,
started by another, checked through the script's own /proc/self/status."""
import json
import os
import resource
import shutil
import socket
import stat
import subprocess
import textwrap

import pytest

from ppytest import (CALLER, EX_BOOT, EX_CALLER, EX_CAPS, EX_DIR, EX_FILE, EX_INSTALL, EX_MOUNT,
                     EX_NOSCRIPT, EX_SYSCALL, EX_USAGE, OWNER, PYTHON, RAN, REPORT, Install,
                     caps_mask, compile_helper, refused, report, run, status_caps,
                     write_script)

pytestmark = pytest.mark.root

NET_BIND, NET_RAW, DAC_OVERRIDE, SYS_ADMIN = 10, 13, 1, 21


# ------------------------------------------------------------------ what the script gets

def test_script_gets_exactly_its_caps_as_its_owner(inst):
    path = inst.script()
    rep = report(inst.launch(path, "a1", "--port", "80"))
    st = rep["status"]
    assert st["Uid"].split() == [str(OWNER)] * 4
    assert st["Gid"].split() == [str(OWNER)] * 4
    assert st["Groups"] == ""
    assert status_caps(rep, "CapPrm") == caps_mask(NET_BIND)
    assert status_caps(rep, "CapEff") == 0          # =p: raised only when needed
    assert status_caps(rep, "CapInh") == 0
    assert status_caps(rep, "CapAmb") == 0
    assert status_caps(rep, "CapBnd") == 0
    assert st["NoNewPrivs"] == "1"
    assert rep["argv"] == [path, "a1", "--port", "80"]
    assert rep["file"] == path and rep["name"] == "__main__"
    assert rep["isolated"] == 1 and rep["dont_write_bytecode"] is True
    assert rep["ppy_py"].startswith(inst.libdir + "/")


def test_effective_bit_starts_caps_effective(inst):
    rep = report(inst.launch(inst.script(caps="cap_net_bind_service,cap_net_raw=ep")))
    both = caps_mask(NET_BIND, NET_RAW)
    assert status_caps(rep, "CapPrm") == both
    assert status_caps(rep, "CapEff") == both
    assert status_caps(rep, "CapAmb") == 0 and status_caps(rep, "CapInh") == 0


def test_inheritable_file_caps_are_granted_too(inst):
    rep = report(inst.launch(inst.script(caps="cap_net_raw=i")))
    assert status_caps(rep, "CapPrm") == caps_mask(NET_RAW)
    assert status_caps(rep, "CapEff") == 0


def test_shebang_and_double_dash_launches(inst):
    path = inst.script()
    assert report(run([path, "x"]))["argv"] == [path, "x"]
    assert report(run([inst.ppy, "--", path, "-c", "y"]))["argv"] == [path, "-c", "y"]


def test_symlink_to_script_runs_the_file_reached(inst):
    path = inst.script()
    link = os.path.join(inst.scripts, "link-to-script.py")
    os.symlink(path, link)
    rep = report(inst.launch(link))
    assert rep["file"] == path
    assert status_caps(rep, "CapPrm") == caps_mask(NET_BIND)


BIND = textwrap.dedent(
    """
    import socket, ppy_py
    def try_bind():
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", 80))
            return "bound"
        except PermissionError:
            return "refused"
        finally:
            s.close()
    before = try_bind()
    with ppy_py.raised("net_bind_service"):
        inside = try_bind()
    print(before, inside, try_bind())
    """
)


def test_port_80_binds_only_while_raised(inst):
    proc = inst.launch(inst.script(BIND))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[1] == "refused bound refused"


CHILD = textwrap.dedent(
    """
    import subprocess, sys
    py = subprocess.run([sys.executable, "-c",
        "print([l.split()[1] for l in open('/proc/self/status') if l.startswith('Cap')])"],
        capture_output=True, text=True).stdout.strip()
    sh = subprocess.run(["/bin/sh", "-c", "grep -E '^Cap(Prm|Eff|Amb|Inh)' /proc/self/status"],
        capture_output=True, text=True).stdout.split()
    print(py)
    print(sh)
    """
)


def test_children_inherit_no_capability(inst):
    proc = inst.launch(inst.script(CHILD, caps="cap_net_bind_service,cap_net_raw=ep"))
    assert proc.returncode == 0, proc.stderr
    py, sh = proc.stdout.splitlines()[1:3]
    # CapInh, CapPrm, CapEff, CapBnd, CapAmb of a python child: all zero
    assert py == str(["0000000000000000"] * 5)
    assert sh.count("0000000000000000") == 4, sh


def test_import_ppy_py_and_real_traceback_path(inst):
    path = inst.script("import ppy_py\nraise RuntimeError('boom')\n")
    proc = inst.launch(path)
    assert proc.returncode == 1
    assert f'File "{path}", line 4, in <module>' in proc.stderr   # 1: #!, 2: RAN marker
    assert "RuntimeError: boom" in proc.stderr
    assert "ppy_boot" not in proc.stderr


def test_syntax_error_is_reported_as_python_would_and_nothing_runs(inst):
    path = inst.script("x = (\n")
    proc = inst.launch(path)
    assert proc.returncode == 1
    assert RAN not in proc.stdout
    assert "SyntaxError" in proc.stderr and path in proc.stderr
    assert "ppy_boot" not in proc.stderr


def test_source_is_compiled_as_python_compiles_a_file(inst):
    # The boot compiles the sealed copy itself (ppy_py._sys.compile): a PEP 263
    # coding cookie on line 2 is honoured, a NUL byte is a syntax error.
    latin = write_script(os.path.join(inst.scripts, "latin.py"),
                         f"#!{inst.ppy}\n# -*- coding: latin-1 -*-\n".encode()
                         + "print(ascii('\xe9'))\n".encode("latin-1"))
    proc = inst.launch(latin)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "'\\xe9'\n"
    nul = write_script(os.path.join(inst.scripts, "nul.py"),
                       f"#!{inst.ppy}\nprint('{RAN}')\n\0\n".encode())
    proc = inst.launch(nul)
    assert proc.returncode == 1 and RAN not in proc.stdout
    assert "SyntaxError" in proc.stderr and "null bytes" in proc.stderr


def test_boot_loads_only_its_own_small_module(inst):
    # The boot must not pay for cffi or ppy_py (not even the package) before the script
    # asks for them, and must run from the bytecode `make install` compiled (not compile
    # itself).
    import importlib.util
    import struct

    source = os.path.join(inst.libdir, "python", "ppy_boot.py")
    with open(importlib.util.cache_from_source(source), "rb") as f:
        header = f.read(16)
    # What the import checks before it uses the bytecode: magic, flags 3 (checked hash)
    # and the source's hash, so a stale .pyc is never used, whatever the mtimes say.
    with open(source, "rb") as f:
        source_hash = importlib.util.source_hash(f.read())
    assert header[:4] == importlib.util.MAGIC_NUMBER
    assert struct.unpack("<I", header[4:8]) == (3,) and header[8:16] == source_hash
    path = inst.script("import sys\n"
                       "print(sorted(m for m in sys.modules\n"
                       "             if m.startswith(('ppy', '_ppy', '_cffi'))))\n")
    proc = inst.launch(path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[1:] == ["['_ppy_sys', 'ppy_boot']"]


def test_script_sees_the_builtins_module_as_python_gives_it(inst):
    proc = inst.launch(inst.script("import builtins\n"
                                   "print(__builtins__ is builtins, __builtins__.len('abc'))\n"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[1:] == ["True 3"]


def test_exit_status_of_the_script_is_passed_through(inst):
    assert inst.launch(inst.script("import sys; sys.exit(7)\n")).returncode == 7


def test_owner_from_passwd_sets_home_and_user(inst):
    rep = report(inst.launch(inst.script(owner=65534)))
    env = rep["environ"]
    assert env["USER"] == env["LOGNAME"] == "nobody"
    assert env["HOME"] == "/nonexistent"


# ------------------------------------------------------------------ ppy --check

def test_check_reports_identity_and_caps_without_running(inst):
    path = inst.script()
    proc = run([inst.ppy, "--check", path])
    assert proc.returncode == 0, proc.stderr
    assert RAN not in proc.stdout
    assert f"as uid {OWNER} gid {OWNER}" in proc.stdout
    assert "cap_net_bind_service" in proc.stdout


def test_check_says_who_may_start_it_and_warns_about_system_capabilities(inst):
    def check(path, gid=None):
        proc = run([inst.ppy, "--check", path], gid=gid)
        assert proc.returncode == 0, proc.stderr
        # Without AT_EXECVE_CHECK (an old kernel; valgrind does not pass the flag on)
        # --check also says it took no lease: tests/test_launcher_kernels.py's business.
        return [line for line in proc.stdout.splitlines() if "a launch checks it" not in line]
    d = os.path.join(inst.base, "who-dir")    # only these scripts: no warning about others
    os.makedirs(d, 0o755, exist_ok=True)
    path = inst.script(directory=d)
    assert check(path)[1:] == ["ppy: %s: may be started by any local user" % path]
    path = inst.script(caps="cap_dac_read_search,cap_net_bind_service=p", directory=d)
    lines = check(path)
    assert lines[1:] == [
        "ppy: %s: may be started by any local user" % path,
        "ppy: %s: warning: any local user may start it, and cap_dac_read_search reads or "
        "writes files or changes the system: limit who may start it (chmod 0750 and a group of "
        "callers) and take what it acts on from a file only root or its owner can write, not "
        "from its arguments" % path]
    # Limited to a group of callers (0750): a member may start it, no warning.
    path = inst.script(caps="cap_dac_read_search=p", mode=0o750, directory=d)
    assert check(path, gid=OWNER)[1:] == [
        "ppy: %s: may be started by its owner and the members of group ? (gid %d)" % (path, OWNER)]


def test_check_whose_answer_cannot_be_written_fails(inst):
    # An answer lost on the way (a full disk) must not pass for "would run" (before: 0).
    path = inst.script()
    with open("/dev/full", "w") as full:
        proc = subprocess.run(["setpriv", f"--reuid={CALLER}", f"--regid={CALLER}",
                               "--clear-groups", inst.ppy, "--check", path], env={},
                              stdout=full, stderr=subprocess.PIPE, text=True, timeout=60)
    assert proc.returncode == EX_SYSCALL, proc.stderr
    assert proc.stderr == ("ppy: %s: writing the answer to standard output: No space left "
                           "on device\n" % path), proc.stderr


def test_check_reports_the_failing_check_with_the_launch_status(inst):
    path = inst.script(caps=None)
    refused(run([inst.ppy, "--check", path]), EX_CAPS, path, "setcap")


# ------------------------------------------------------------------ the script file

def test_root_owned_script_is_refused(inst):
    refused(inst.launch(inst.script(owner=0)), EX_FILE, "uid 0", "chown")


def test_gid_0_script_is_refused(inst):
    refused(inst.launch(inst.script(group=0)), EX_FILE, "gid 0")


@pytest.mark.parametrize("mode", [0o775, 0o757, 0o777])
def test_group_or_other_writable_script_is_refused(inst, mode):
    path = inst.script()
    os.chmod(path, mode)     # chmod keeps the xattr: the mode check is what refuses
    assert "cap_net_bind_service" in subprocess.run(["getcap", path], capture_output=True,
                                                   text=True).stdout
    refused(inst.launch(path), EX_FILE, path, "writable by group or others")


def test_acl_granting_write_is_refused(inst):
    path = inst.script()
    subprocess.run(["setfacl", "-m", f"u:{CALLER}:rw", path], check=True)
    refused(inst.launch(path), EX_FILE, "writable")


def test_setuid_bit_is_refused(inst):
    path = inst.script()
    os.chmod(path, 0o4755)
    refused(inst.launch(path), EX_FILE, "setuid")


def test_not_a_regular_file(inst):
    d = os.path.join(inst.scripts, "adir.py")
    os.mkdir(d, 0o755)
    os.chown(d, OWNER, OWNER)
    refused(inst.launch(d), EX_FILE, "not a regular file")


def test_caller_who_cannot_read_cannot_run(inst):
    path = inst.script(mode=0o711)
    refused(inst.launch(path), EX_NOSCRIPT, path, "Permission denied")


def test_caller_who_cannot_execute_cannot_run(inst):
    path = inst.script(mode=0o644)
    refused(inst.launch(path), EX_FILE, "may not execute")


def test_script_without_caps_is_refused_with_setcap_hint(inst):
    path = inst.script(caps=None)
    refused(inst.launch(path), EX_CAPS, path, "no file capabilities", "setcap")


def raw_xattr(path, data):
    try:
        os.setxattr(path, "security.capability", data)
    except OSError as e:
        pytest.skip(f"the kernel refuses to store this xattr ({e}); nothing to test")


def test_revision_1_xattr_is_refused(inst):
    path = inst.script(caps=None)
    raw_xattr(path, (0x01000000).to_bytes(4, "little") + (1 << 10).to_bytes(4, "little") * 2)
    refused(inst.launch(path), EX_CAPS, "revision-1")


def test_bits_above_cap_last_cap_are_refused(inst):
    path = inst.script(caps=None)
    last = int(open("/proc/sys/kernel/cap_last_cap").read())
    if last >= 63:
        pytest.skip("this kernel knows all 64 capability bits")
    hi = 1 << (last + 1 - 32)
    data = b"".join(v.to_bytes(4, "little") for v in (0x02000000, 1 << 10, 0, hi, 0))
    raw_xattr(path, data)
    refused(inst.launch(path), EX_CAPS, "does not know")


def test_empty_caps_xattr_is_refused(inst):
    path = inst.script(caps=None)
    raw_xattr(path, (0x02000000).to_bytes(4, "little") + bytes(16))
    refused(inst.launch(path), EX_CAPS, "empty")


def test_namespaced_xattr_forged_in_a_user_namespace_is_refused(inst):
    """Any user can set a v3 xattr on their own file inside `unshare -Ur`."""
    path = inst.script(caps=None)
    proc = run(["unshare", "-Ur", shutil.which("setcap"), "cap_dac_override,cap_net_bind_service=ip", path],
               uid=OWNER)
    if proc.returncode != 0:
        pytest.skip(f"unprivileged user namespaces unavailable: {proc.stderr.strip()}")
    assert "rootid" in subprocess.run(["getcap", "-n", path], capture_output=True,
                                      text=True).stdout
    refused(inst.launch(path), EX_CAPS, "namespaced")


def test_grantable_limits_what_ppy_grants():
    small = Install(grantable="cap_net_bind_service")
    try:
        ok = small.script()
        assert status_caps(report(small.launch(ok)), "CapPrm") == caps_mask(NET_BIND)
        bad = small.script(caps="cap_net_bind_service,cap_net_raw=p")
        refused(small.launch(bad), EX_CAPS, "cap_net_raw", "GRANTABLE")
        # ppy itself holds only what it may grant plus what it needs to switch ids
        getcap = subprocess.run(["getcap", small.ppy], capture_output=True, text=True).stdout
        assert "cap_net_raw" not in getcap and "cap_net_bind_service" in getcap
    finally:
        small.remove()


# ------------------------------------------------------------------ directories and mounts

def test_directory_writable_by_others_is_refused(inst):
    d = os.path.join(inst.base, "open-dir")
    os.mkdir(d)
    os.chmod(d, 0o777)
    path = inst.script(directory=d)
    refused(inst.launch(path), EX_DIR, d, "writable by group or others")


def test_sticky_tmp_is_refused(inst):
    import tempfile
    d = tempfile.mkdtemp(prefix="ppy-in-tmp-", dir="/tmp")
    try:
        os.chmod(d, 0o755)
        path = inst.script(directory=d)
        refused(inst.launch(path), EX_DIR, "writable by group or others")
    finally:
        shutil.rmtree(d)   # no capped file left behind in /tmp


def test_directory_owned_by_another_user_is_refused(inst):
    d = os.path.join(inst.base, "callers-dir")
    os.mkdir(d, 0o755)
    os.chown(d, CALLER, CALLER)
    refused(inst.launch(inst.script(directory=d)), EX_DIR, "owned by another user")


def test_directory_owned_by_the_script_owner_is_fine(inst):
    d = os.path.join(inst.base, "owners-dir")
    os.mkdir(d, 0o755)
    os.chown(d, OWNER, OWNER)
    report(inst.launch(inst.script(directory=d)))


@pytest.mark.parametrize("flag", ["nosuid", "noexec"])
def test_script_on_nosuid_or_noexec_mount_is_refused(inst, flag):
    mnt = os.path.join(inst.base, "mnt", flag)
    os.makedirs(mnt, 0o755, exist_ok=True)
    os.chmod(os.path.dirname(mnt), 0o755)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"{flag},mode=0755", "ppytest", mnt],
                   check=True)
    try:
        path = inst.script(directory=mnt)
        refused(inst.launch(path), EX_MOUNT, flag)
    finally:
        subprocess.run(["umount", mnt], check=True)


# ------------------------------------------------------------------ the caller's state

def test_environment_is_rebuilt_from_an_allowlist(inst, tmp_path):
    pydir = os.path.join(inst.base, "evil-pythonpath")
    os.makedirs(pydir, exist_ok=True)
    with open(os.path.join(pydir, "sitecustomize.py"), "w") as f:
        f.write("print('SITECUSTOMIZE-RAN')\n")
    os.chmod(pydir, 0o755)
    env = {
        "LD_PRELOAD": "/nonexistent/evil.so", "LD_LIBRARY_PATH": "/tmp", "LD_AUDIT": "x.so",
        "PYTHONPATH": pydir, "PYTHONSTARTUP": os.path.join(pydir, "sitecustomize.py"),
        "PYTHONINSPECT": "1", "PYTHONHOME": "/tmp", "GLIBC_TUNABLES": "glibc.malloc.check=3",
        "GCONV_PATH": ".", "MALLOC_CHECK_": "3", "TMPDIR": "/tmp/evil", "SSLKEYLOGFILE": "/tmp/k",
        "OPENSSL_CONF": "/tmp/c", "BASH_ENV": "/tmp/x", "PATH": "/tmp/evil:/usr/bin",
        "HOME": "/tmp/evil", "IFS": "x", "TERM": "xterm-256color", "LANG": "C.UTF-8",
        "LC_ALL": "../../tmp/evil", "TZ": "UTC", "LC_MESSAGES": "C",
    }
    rep = report(inst.launch(inst.script(), env=env))
    got = rep["environ"]
    assert set(got) <= {"TERM", "LANG", "LANGUAGE", "TZ", "LC_MESSAGES", "LC_CTYPE", "PATH",
                        "HOME", "USER", "LOGNAME", "LC_ALL"}
    assert got["TERM"] == "xterm-256color" and got["LANG"] == "C.UTF-8" and got["TZ"] == "UTC"
    assert got["LC_MESSAGES"] == "C"
    assert "LC_ALL" not in got                     # its value names a path
    assert got["PATH"] == "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    assert got["HOME"] == "/"                      # uid 4242 has no passwd entry


PRELOAD = r"""
#include <stdio.h>
__attribute__((constructor)) static void hit(void) {
    char comm[64] = "";
    FILE *f = fopen("/proc/self/comm", "r");
    if (f) { fgets(comm, sizeof comm, f); fclose(f); }
    printf("PRELOAD-RAN:%s", comm);   /* comm ends in a newline */
    fflush(stdout);
}
"""


def test_ld_preload_and_pythonpath_do_not_run_code(inst):
    helpers = os.path.join(inst.base, "helpers")
    os.makedirs(helpers, 0o755, exist_ok=True)
    so = os.path.join(helpers, "evil.so")
    src = os.path.join(helpers, "evil.c")
    open(src, "w").write(PRELOAD)
    subprocess.run(["cc", "-shared", "-fPIC", "-o", so, src], check=True)
    os.chmod(so, 0o755)
    with open(os.path.join(helpers, "sitecustomize.py"), "w") as f:
        f.write("print('SITECUSTOMIZE-RAN')\n")
    # Sanity: the same environment does run code in a plain python as that user.
    plain = run([os.path.realpath("/usr/bin/python3"), "-c", "pass"],
                env={"LD_PRELOAD": so, "PYTHONPATH": helpers})
    assert "PRELOAD-RAN:python" in plain.stdout and "SITECUSTOMIZE-RAN" in plain.stdout
    proc = inst.launch(inst.script(), env={"LD_PRELOAD": so, "PYTHONPATH": helpers,
                                           "PYTHONINSPECT": "1", "PYTHONSTARTUP": so})
    assert proc.returncode == 0, proc.stderr
    # setpriv itself (root, not secure-exec) loads it; ppy and python must not
    assert "PRELOAD-RAN:python" not in proc.stdout and "PRELOAD-RAN:ppy" not in proc.stdout
    assert "SITECUSTOMIZE-RAN" not in proc.stdout
    assert RAN in proc.stdout.splitlines()


def test_inherited_fds_are_closed_and_closed_stdio_reopened(inst):
    path = inst.script()
    r, w = os.pipe()
    os.set_inheritable(r, True)
    os.set_inheritable(w, True)
    try:
        rep = report(inst.launch(path, pass_fds=(r, w)))
    finally:
        os.close(r)
        os.close(w)
    assert rep["fds"] == [0, 1, 2, 3]   # 3 is the listdir of /proc/self/fd itself
    # With stdin and stdout closed the script still runs, on /dev/null.
    body = "import os, sys\nsys.stderr.write(os.readlink('/proc/self/fd/0') + ' ' + os.readlink('/proc/self/fd/1'))\n"
    p2 = inst.script(body)
    proc = subprocess.run(["setpriv", f"--reuid={CALLER}", f"--regid={CALLER}", "--clear-groups",
                           "sh", "-c", f'exec "$0" "$1" <&- >&-', inst.ppy, p2],
                          capture_output=True, text=True, env={})
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "/dev/null /dev/null"


def test_signals_timers_umask_and_limits_are_reset(inst):
    path = inst.script()
    helper = os.path.join(inst.base, "dirty-caller.py")
    with open(helper, "w") as f:
        f.write(textwrap.dedent(f"""
            import os, resource, signal, sys
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            signal.pthread_sigmask(signal.SIG_BLOCK, {{signal.SIGUSR1, signal.SIGCHLD}})
            signal.setitimer(signal.ITIMER_REAL, 100.0)
            os.umask(0)
            resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY,) * 2)
            resource.setrlimit(resource.RLIMIT_STACK, (resource.RLIM_INFINITY,) * 2)
            os.execv("{inst.ppy}", ["ppy", "{path}"])
        """))
    rep = report(run([os.path.realpath("/usr/bin/python3"), helper]))
    st = rep["status"]
    assert int(st["SigBlk"], 16) == 0
    assert not int(st["SigIgn"], 16) & (1 << (15 - 1))       # SIGTERM not ignored
    assert rep["itimer"] == [0.0, 0.0]
    assert rep["umask"] == 0o022
    assert rep["core"] == [0, 0]
    assert rep["stack"][0] == 8 << 20


def test_finite_hard_fsize_limit_is_refused(inst):
    path = inst.script()
    proc = run(["prlimit", "--fsize=1000000:1000000", inst.ppy, path])
    refused(proc, EX_CALLER, "RLIMIT_FSIZE")


def test_no_new_privs_caller_is_refused(inst):
    proc = subprocess.run(["setpriv", f"--reuid={CALLER}", f"--regid={CALLER}", "--clear-groups",
                           "--nnp", inst.ppy, inst.script()], capture_output=True, text=True)
    refused(proc, EX_CALLER, "no_new_privs", "allowPrivilegeEscalation",
            "ignores file capabilities")


TRACEME = r"""
#include <stdio.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv) {
    pid_t pid = fork();
    int st;
    if (pid == 0) {
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        execv(argv[1], argv + 1);
        _exit(99);
    }
    for (;;) {
        if (waitpid(pid, &st, 0) < 0) return 98;
        if (WIFEXITED(st)) return WEXITSTATUS(st);
        if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
        ptrace(PTRACE_CONT, pid, 0, WIFSTOPPED(st) && WSTOPSIG(st) != SIGTRAP ? WSTOPSIG(st) : 0);
    }
}
"""


def test_traced_ppy_is_refused(inst):
    helper = compile_helper("traceme", TRACEME, inst.base)
    refused(run([helper, inst.ppy, inst.script()]), EX_CALLER, "traced (by process")


def test_low_nproc_limit_never_runs_with_another_identity(inst):
    """The owner is over RLIMIT_NPROC when ppy switches to it. Older kernels fail the
    execve with EAGAIN (ppy must then exit 87 and run nothing); this 6.18 kernel checks
    NPROC at fork only and lets the exec through. Either way the script must never run
    as anyone but the owner, nor with other capabilities."""
    sleeper = subprocess.Popen(["setpriv", f"--reuid={OWNER}", f"--regid={OWNER}",
                                "--clear-groups", "sleep", "30"])
    try:
        wait_for_uid(sleeper.pid, OWNER)
        proc = run(["prlimit", "--nproc=1:1", inst.ppy, inst.script()])
    finally:
        sleeper.kill()
        sleeper.wait()
    if proc.returncode == EX_SYSCALL:
        refused(proc, EX_SYSCALL, "RLIMIT_NPROC")
    else:
        rep = report(proc)
        assert rep["status"]["Uid"].split() == [str(OWNER)] * 4
        assert status_caps(rep, "CapPrm") == caps_mask(NET_BIND)
        assert status_caps(rep, "CapAmb") == 0


def wait_for_uid(pid, uid):
    import time
    for _ in range(500):
        with open(f"/proc/{pid}/status") as f:
            if f"Uid:\t{uid}\t" in f.read():
                return
        time.sleep(0.01)
    raise AssertionError(f"process {pid} never became uid {uid}")


TIOCSTI = textwrap.dedent(
    """
    import fcntl, termios
    try:
        fcntl.ioctl(0, termios.TIOCSTI, b"x")
        print("INJECTED")
    except OSError as e:
        print("refused", e.errno)
    """
)


def tiocsti_in_a_terminal_session(inst, exclusive=False):
    """Run the TIOCSTI script as the caller in a session whose controlling terminal is a
    pty, like a login shell's (with the tty in exclusive mode if asked); its output."""
    import pty
    path = inst.script(TIOCSTI, caps="cap_net_bind_service=ep")
    pid, fd = pty.fork()
    if pid == 0:
        if exclusive:   # open("/dev/tty") now fails for ppy (EBUSY)
            import fcntl
            import termios
            fcntl.ioctl(0, termios.TIOCEXCL)
        os.execv("/usr/bin/setpriv", ["setpriv", f"--reuid={CALLER}", f"--regid={CALLER}",
                                      "--clear-groups", inst.ppy, path])
    out = b""
    while True:
        try:
            chunk = os.read(fd, 1024)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.waitpid(pid, 0)
    return out.decode(errors="replace")


def test_script_cannot_push_input_into_the_callers_terminal(inst):
    text = tiocsti_in_a_terminal_session(inst)
    assert RAN in text, text
    assert "INJECTED" not in text and "refused 1" in text, text


def test_no_core_dump_and_not_dumpable(inst):
    cwd = os.path.join(inst.base, "core-dir")
    os.makedirs(cwd, 0o755, exist_ok=True)
    os.chown(cwd, OWNER, OWNER)
    body = textwrap.dedent(
        """
        import ctypes, os, signal
        print("dumpable", ctypes.CDLL(None).prctl(3, 0, 0, 0, 0), flush=True)
        os.kill(os.getpid(), signal.SIGSEGV)
        """
    )
    proc = inst.launch(inst.script(body, caps="cap_dac_read_search=p"), cwd=cwd)
    assert "dumpable 0" in proc.stdout
    assert proc.returncode == -11
    assert not [f for f in os.listdir(cwd) if f.startswith("core")]


def test_no_bytecode_is_written_even_with_dac_override(inst):
    lib = os.path.join(inst.base, "rootlib")
    os.makedirs(lib, 0o755, exist_ok=True)
    with open(os.path.join(lib, "helper_mod.py"), "w") as f:
        f.write("VALUE = 42\n")
    body = f"import sys\nsys.path.insert(0, {lib!r})\nimport helper_mod\nprint(helper_mod.VALUE)\n"
    proc = inst.launch(inst.script(body, caps="cap_dac_override=ep"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[1] == "42"
    assert "__pycache__" not in os.listdir(lib)


def test_modules_beside_the_script_import_as_under_python(inst):
    # As `python script.py`: the script's directory comes first on sys.path, so a helper
    # module beside it imports, and a module there named like a standard one shadows it
    # (the owner's directory, checked with every directory above it).
    d = os.path.join(inst.base, "app-dir")
    os.makedirs(os.path.join(d, "pkg"), 0o755, exist_ok=True)
    for sub in ("", "pkg"):
        os.chown(os.path.join(d, sub), OWNER, OWNER)
    files = {"helper.py": "WHO = 'helper beside the script'\n",
             "pkg/__init__.py": "", "pkg/mod.py": "WHO = 'a package beside the script'\n",
             "json.py": "print('SHADOW-RAN')\n"}
    for name, text in files.items():
        with open(os.path.join(d, name), "w") as f:
            f.write(text)
        os.chown(os.path.join(d, name), OWNER, OWNER)
    body = ("import sys, helper, pkg.mod, json\n"
            "print(helper.WHO); print(pkg.mod.WHO); print(json.__file__)\n"
            "print(sys.path[0])\n")
    proc = inst.launch(inst.script(body, directory=d))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[1:] == ["SHADOW-RAN", "helper beside the script", "a package beside the script",
                         os.path.join(d, "json.py"), d], lines


def test_the_script_starts_in_its_own_directory_not_the_callers(inst):
    # The caller's working directory never reaches the script: frameworks put the working
    # directory on sys.path (gunicorn's default --chdir), and http.server serves it.
    caller_dir = os.path.join(inst.base, "caller-cwd")
    os.makedirs(caller_dir, 0o755, exist_ok=True)
    os.chown(caller_dir, CALLER, CALLER)
    with open(os.path.join(caller_dir, "wsgi_app.py"), "w") as f:
        f.write("print('CALLER-CODE-RAN')\n")
    body = ("import os, sys\nprint(os.getcwd())\n"
            "sys.path.insert(0, '')\n"       # what gunicorn and runpy do with the cwd
            "import wsgi_app\n")
    path = inst.script(body)
    proc = inst.launch(path, cwd=caller_dir)
    lines = proc.stdout.splitlines()
    assert lines[1] == os.path.dirname(path), proc.stdout
    assert "CALLER-CODE-RAN" not in proc.stdout
    assert "No module named 'wsgi_app'" in proc.stderr


# ------------------------------------------------------------------ the boot on its own

BOOT_STUB = "import sys;sys.path.insert(0,sys.argv.pop(1));import ppy_boot;ppy_boot.main()"


def _boot_directly(inst, fd3, argv=None, caps=True, uid=CALLER):
    """Start the installed boot as ppy would, but by hand, with FD3 (or nothing) as fd 3:
    as uid 4242 holding a capability as ppy leaves it (permitted, inheritable, ambient), so
    the boot must find the sealed copy; or, CAPS false, as UID holding nothing, as a
    re-execution by a script's own process arrives."""
    pydir = os.path.join(inst.libdir, "python")
    argv = argv or [pydir, "3", "0", "-", "/nonexistent/script.py"]
    exec_boot = ("import os, sys\n"
                 "fd = int(sys.argv[1])\n"
                 "if fd >= 0: os.dup2(fd, 3)\n"
                 "os.execv(sys.argv[2], sys.argv[2:])\n")
    cmd = [PYTHON, "-c", exec_boot, str(fd3 if fd3 is not None else -1),
           PYTHON, "-I", "-S", "-B", "-c", BOOT_STUB, *argv]
    pass_fds = [fd3] if fd3 is not None else []
    if not caps:
        return run(cmd, uid=uid, pass_fds=pass_fds)
    return subprocess.run(["setpriv", f"--reuid={OWNER}", f"--regid={OWNER}", "--clear-groups",
                           "--inh-caps=+net_bind_service", "--ambient-caps=+net_bind_service",
                           *cmd], capture_output=True, text=True, env={}, timeout=60,
                          pass_fds=pass_fds)


def test_boot_refuses_without_a_sealed_copy(inst):
    code = f"print({RAN!r})\n".encode()
    # No fd 3 at all.
    refused(_boot_directly(inst, None), EX_BOOT, "boot", "cannot read the script copy")
    # An unsealed memfd, and a pipe: the content would run if the boot trusted them.
    unsealed = os.memfd_create("copy", os.MFD_ALLOW_SEALING)
    os.write(unsealed, code)
    r, w = os.pipe()
    os.write(w, code)
    os.close(w)
    try:
        refused(_boot_directly(inst, unsealed), EX_BOOT, "boot", "not sealed")
        refused(_boot_directly(inst, r), EX_BOOT, "boot", "cannot read the script copy")
    finally:
        os.close(unsealed)
        os.close(r)


def test_boot_failure_is_one_escaped_line_even_with_a_broken_stderr(inst):
    pydir = os.path.join(inst.libdir, "python")
    # A newline in the name cannot add a line: it is shown as \x0a, as ppy shows names.
    proc = _boot_directly(inst, None, [pydir, "3", "0", "-", "/x\nFORGED.py"])
    refused(proc, EX_BOOT, "/x\\x0aFORGED.py", "cannot read the script copy")
    # stderr a pipe nobody reads: the message cannot be written, the status is still 88.
    r, w = os.pipe()
    os.close(r)
    try:
        cmd = ["setpriv", f"--reuid={CALLER}", f"--regid={CALLER}", "--clear-groups",
               PYTHON, "-I", "-S", "-B", "-c", BOOT_STUB, pydir, "3", "0", "-", "/x.py"]
        proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=w, env={}, timeout=60)
    finally:
        os.close(w)
    assert proc.returncode == EX_BOOT


def test_boot_fails_closed_on_any_exception():
    # An unexpected exception before the script (here: planted in the installed boot,
    # which only root can do; its bytecode no longer matches, so the source runs) is a
    # boot failure: status 88, one line, nothing ran.
    inst = Install()
    try:
        boot = os.path.join(inst.libdir, "python", "ppy_boot.py")
        with open(boot) as f:
            text = f.read()
        planted = text.replace('def read_script(path, fd, _sys):\n',
                               'def read_script(path, fd, _sys):\n'
                               '    raise RuntimeError("planted failure")\n')
        assert planted != text
        with open(boot, "w") as f:
            f.write(planted)
        refused(inst.launch(inst.script()), EX_BOOT, "boot", "RuntimeError", "planted failure")
    finally:
        inst.remove()


def test_boot_refuses_argv_not_from_ppy(inst):
    sealed = os.memfd_create("copy", os.MFD_ALLOW_SEALING)
    os.write(sealed, f"print({RAN!r})\n".encode())
    import fcntl
    fcntl.fcntl(sealed, fcntl.F_ADD_SEALS, fcntl.F_SEAL_SEAL | fcntl.F_SEAL_SHRINK
                | fcntl.F_SEAL_GROW | fcntl.F_SEAL_WRITE)
    pydir = os.path.join(inst.libdir, "python")
    try:
        for argv in ([pydir, "4", "0", "-", "/x.py"], [pydir, "3", "2", "-", "/x.py"],
                     [pydir, "3", "0", "maybe", "/x.py"], [pydir, "3", "0", "-"]):
            refused(_boot_directly(inst, sealed, argv), EX_BOOT, "started without ppy")
        # The same copy with ppy's argv runs: the refusals above are about the argv.
        proc = _boot_directly(inst, sealed)
        assert proc.returncode == 0 and proc.stdout == RAN + "\n", proc.stderr
    finally:
        os.close(sealed)


# ------------------------------------------------------------------ the installation

def test_untrusted_boot_file_is_refused(inst):
    boot = os.path.join(inst.libdir, "python", "ppy_boot.py")
    os.chmod(boot, 0o664)
    try:
        refused(inst.launch(inst.script()), EX_INSTALL, "ppy_boot.py", "root")
    finally:
        os.chmod(boot, 0o644)


def test_untrusted_library_file_is_refused(inst):
    planted = os.path.join(inst.libdir, "python", "ppy_py", "planted.py")
    open(planted, "w").close()
    os.chown(planted, OWNER, OWNER)
    try:
        refused(inst.launch(inst.script()), EX_INSTALL, "planted.py")
    finally:
        os.unlink(planted)


def test_ppy_without_its_file_caps_refuses(inst):
    bare = os.path.join(inst.base, "bare")
    os.makedirs(bare, 0o755, exist_ok=True)
    copy = os.path.join(bare, "ppy")
    subprocess.run(["cp", inst.ppy, copy], check=True)   # cp drops the xattr
    refused(run([copy, inst.script()]), EX_INSTALL, "does not hold")


def test_launch_is_logged_to_syslog(inst):
    if os.path.exists("/dev/log"):
        pytest.skip("a syslog daemon owns /dev/log here; not replacing it")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("/dev/log")
    os.chmod("/dev/log", 0o666)      # as syslog daemons make it
    try:
        sock.settimeout(5)
        path = inst.script()
        report(inst.launch(path))
        msg = ""
        while f"script={path} " not in msg:    # other launches may log meanwhile
            msg = sock.recv(4096).decode()
    finally:
        sock.close()
        os.unlink("/dev/log")
    assert f"caller uid={CALLER}" in msg and f"script={path}" in msg
    assert f"as uid={OWNER}" in msg and "caps=cap_net_bind_service" in msg
    assert msg.startswith("<85>")   # LOG_AUTHPRIV | LOG_NOTICE


# ------------------------------------------------------------------ attacks found in review

def test_script_held_open_for_writing_is_refused(inst):
    """A writable shared mapping (kept from before a hand-over) changes the code without the
    kernel stripping the xattr: ppy refuses while anyone holds the file open for writing."""
    import mmap
    path = inst.script()
    fd = os.open(path, os.O_RDWR)
    m = mmap.mmap(fd, 0, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
    os.close(fd)                       # only the mapping keeps write access now
    try:
        refused(inst.launch(path), EX_FILE, "open for writing")
    finally:
        m.close()
    report(inst.launch(path))          # released: it runs
    fd = os.open(path, os.O_WRONLY)    # a plain writable descriptor counts too
    try:
        refused(inst.launch(path), EX_FILE, "open for writing")
    finally:
        os.close(fd)


def test_exclusive_tty_does_not_keep_the_controlling_terminal(inst):
    """TIOCEXCL makes open('/dev/tty') fail for ppy; it must still drop the terminal."""
    text = tiocsti_in_a_terminal_session(inst, exclusive=True)
    assert RAN in text, text
    assert "INJECTED" not in text and "refused 1" in text, text


RLIMIT_RACE = r"""
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
/* As the caller: start ppy and single-step it with SIGSTOP/SIGCONT (allowed: same uid
   until it switches), until its early limit check has passed (it raised the soft
   RLIMIT_CPU we set finite); then, while it is stopped, lower its RLIMIT_FSIZE. */
int main(int argc, char **argv) {
    struct rlimit cpu = { 100000, RLIM_INFINITY }, small = { 4096, 4096 }, now;
    struct timespec slice = { 0, 20000 };
    int st, hit = 0;
    (void)argc;
    setrlimit(RLIMIT_CPU, &cpu);
    pid_t pid = fork();
    if (pid == 0) { execv(argv[1], argv + 1); _exit(99); }
    for (int i = 0; i < 100000; i++) {
        if (kill(pid, SIGSTOP) != 0)
            break;
        waitpid(pid, &st, WUNTRACED);
        int rc = prlimit(pid, RLIMIT_CPU, NULL, &now);
        if (rc == 0 && now.rlim_cur == RLIM_INFINITY)
            hit = prlimit(pid, RLIMIT_FSIZE, &small, NULL) == 0;
        kill(pid, SIGCONT);
        if (rc != 0 || hit)
            break;
        nanosleep(&slice, NULL);
    }
    waitpid(pid, &st, 0);
    fprintf(stdout, "HIT %d\n", hit);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
"""


def test_caller_cannot_lower_limits_after_the_check(inst):
    helper = compile_helper("rlrace", RLIMIT_RACE, inst.base)
    body = "import resource\nprint('FSIZE', resource.getrlimit(resource.RLIMIT_FSIZE))\n"
    path = inst.script(body)
    hits = 0
    for _ in range(10):
        proc = run([helper, inst.ppy, path])
        hits += "HIT 1" in proc.stdout
        if RAN in proc.stdout:
            assert "FSIZE (-1, -1)" in proc.stdout, proc.stdout   # unlimited
        else:   # refused by a limit check, or a setrlimit the attacker made fail
            assert proc.returncode in (EX_CALLER, EX_SYSCALL), proc.stderr
            assert "RLIMIT_FSIZE" in proc.stderr, proc.stderr
    assert hits, "the attacker never changed ppy's limits: the race was not exercised"


def test_newline_in_a_directory_name_cannot_forge_a_log_line(inst):
    d = os.path.join(inst.base, "evil\nNov 22 12:00:00 host ppy[1]: run: caps=cap_sys_admin")
    os.mkdir(d)
    os.chmod(d, 0o777)
    line = refused(inst.launch(inst.script(directory=d)), EX_DIR)
    assert "\\x0a" in line


def test_caller_personality_is_reset(inst):
    body = "import os\nprint('RELEASE', os.uname().release)\n"
    proc = run(["setarch", "x86_64", "--uname-2.6", "-R", inst.ppy, inst.script(body)])
    assert proc.returncode == 0, proc.stderr
    assert "RELEASE 2.6" not in proc.stdout and "RELEASE" in proc.stdout


# From 16 KiB an empty C program starts on this kernel (below, the kernel or the dynamic
# loader kills even /bin/true before main()); from there on ppy refuses a small hard limit
# or raises a small soft one, never dies with SIGSEGV. Its checks take tens of KiB of stack,
# so main() checks the limit first in a small frame. Where the stack starts varies from run
# to run (ASLR), so each limit is tried many times: 64 KiB gave 139 on every run before.
@pytest.mark.parametrize("kib", [16, 20, 64, 100])
def test_tiny_stack_limit_is_refused_not_crashed(inst, kib):
    script = inst.script()
    for _ in range(15):
        refused(run(["prlimit", f"--stack={kib << 10}:{kib << 10}", inst.ppy, script]),
                EX_CALLER, "RLIMIT_STACK", "below 1 MiB")


@pytest.mark.parametrize("kib", [16, 32])
def test_tiny_soft_stack_limit_is_raised_not_crashed(inst, kib):
    script = inst.script()
    for _ in range(5):
        got = report(run(["prlimit", f"--stack={kib << 10}:unlimited", inst.ppy, script]))
        assert got["stack"] == [8 << 20, resource.RLIM_INFINITY], got["stack"]


def test_install_puts_the_man_page_where_man_finds_it(inst):
    page = os.path.join(inst.prefix, "share", "man", "man1", "ppy.1")
    assert os.stat(page).st_mode & 0o777 == 0o644
    text = subprocess.run(["man", "-l", page], capture_output=True, text=True,
                          env={"MANWIDTH": "100", "PATH": os.environ.get("PATH", "/usr/bin")}).stdout
    assert "run a Python script with exactly the capabilities set on it" in text
    for status in ("64", "80", "83", "88"):
        assert status in text


@pytest.mark.parametrize("source, status, words", [
    # a procfs file that holds no number
    ("/proc/sys/kernel/ostype", EX_CALLER, ["cannot read /proc/sys/kernel/cap_last_cap"]),
    # a number, but not from procfs
    ("file", EX_CALLER, ["/proc/sys/kernel/cap_last_cap is not on procfs"]),
    # procfs, a number, too low: the loops would stop short; the read-back catches it
    ("/proc/sys/net/ipv4/tcp_app_win", EX_SYSCALL,
     ["verification failed: a capability beyond cap_last_cap"]),
])
def test_a_cap_last_cap_that_is_not_the_kernels_is_refused(inst, source, status, words):
    # Every loop over capabilities (the bounding-set drop, the read-back) stops at
    # cap_last_cap. Only root can change what the file shows (here: a bind mount in a
    # mount namespace of its own); ppy must still refuse rather than leave capabilities
    # beyond it in the bounding set.
    if source == "file":
        source = os.path.join(inst.base, "cap_last_cap")
        with open(source, "w") as f:
            f.write("40\n")
    elif not os.path.exists(source):
        pytest.skip("%s does not exist on this kernel" % source)
    if source.endswith("tcp_app_win"):
        with open(source) as f, open("/proc/sys/kernel/cap_last_cap") as g:
            if not 31 <= int(f.read()) < int(g.read()):   # CAP_SETFCAP .. below the last
                pytest.skip("tcp_app_win is not just below cap_last_cap here")
    script = inst.script()
    proc = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-c",
         'mount --bind "$0" /proc/sys/kernel/cap_last_cap && exec "$@"', source,
         "setpriv", f"--reuid={CALLER}", f"--regid={CALLER}", "--clear-groups",
         inst.ppy, script],
        capture_output=True, text=True, timeout=60, env={})
    refused(proc, status, *words)


# ------------------------------------------------------------------ re-execution

def test_a_re_execution_runs_the_script_from_its_path_without_capabilities(inst):
    # What a reloader does (Werkzeug runs sys.orig_argv again): the boot's own command line,
    # from the script's process, which holds no capability. The boot reads the script from
    # its path under the code-origin rule (its owner is this uid) and runs it with nothing;
    # whatever is at fd 3 is not the script's copy and is left alone.
    path = inst.script("import os\n"
                       "print(sorted(l.split()[0] for l in open('/proc/self/status')\n"
                       "             if l.startswith('Cap') and int(l.split()[1], 16)))\n"
                       "print(os.fstat(3).st_size)\n")
    other = os.memfd_create("not-the-script")
    os.write(other, b"print('FD3-CONTENT-RAN')\n")
    pydir = os.path.join(inst.libdir, "python")
    try:
        proc = _boot_directly(inst, other, [pydir, "3", "0", "-", path], caps=False, uid=OWNER)
    finally:
        os.close(other)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == RAN and "FD3-CONTENT-RAN" not in proc.stdout
    assert lines[1] == "['CapBnd:']"   # nothing permitted, effective, inheritable, ambient
    assert lines[2] == "25"       # fd 3 was left open, as the re-executing process passed it


def test_a_re_execution_of_someone_elses_script_is_refused(inst):
    # Run by hand by another user, the same command line is refused: the script is not
    # that user's (nor root's) code.
    path = inst.script()
    pydir = os.path.join(inst.libdir, "python")
    proc = _boot_directly(inst, None, [pydir, "3", "0", "-", path], caps=False, uid=CALLER)
    refused(proc, EX_INSTALL, "re-executed", "refusing to load", "owned by uid %d" % OWNER)


KEYS = """
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
SYS_add_key, SYS_keyctl = 248, 250      # x86_64
def keyctl(*args):
    return libc.syscall(SYS_keyctl, *[ctypes.c_long(a) for a in args])
def read_key(serial):
    buf = ctypes.create_string_buffer(256)
    n = libc.syscall(SYS_keyctl, ctypes.c_long(11), ctypes.c_long(serial), buf, ctypes.c_long(256))
    return buf.raw[:n] if n >= 0 else "denied: " + os.strerror(ctypes.get_errno())
"""


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="the test's syscall numbers are x86_64's")
def test_the_script_gets_a_session_keyring_of_its_own(inst):
    # The caller's session keyring would cross the identity switch both ways: the script
    # could read the caller's keys, and the caller what the script keeps in "its" session
    # keyring (a Kerberos KEYRING: cache). The script starts in a new, empty one.
    body = KEYS + """
caller_key = int(sys.argv[1])
print(keyctl(0, -3, 0))                       # KEYCTL_GET_KEYRING_ID of @s
print(read_key(caller_key))
"""
    path = inst.script(body)
    starter = KEYS + """
ring = keyctl(1, 0)                                # KEYCTL_JOIN_SESSION_KEYRING, anonymous
key = libc.syscall(SYS_add_key, b"user", b"caller-secret", b"caller password",
                   ctypes.c_size_t(15), ctypes.c_long(-3))
print(ring, key, flush=True)
os.execv(sys.argv[1], [sys.argv[1], sys.argv[2], str(key)])
"""
    proc = run([PYTHON, "-c", starter, inst.ppy, path])
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    ring, key = map(int, lines[0].split())
    assert ring > 0 and key > 0 and lines[1] == RAN
    assert int(lines[2]) not in (ring, -1), lines
    assert lines[3].startswith("denied: "), lines


def test_a_caller_with_memory_deny_write_execute_is_refused(inst):
    # PR_SET_MDWE survives exec and can never be cleared: a privileged step needing
    # writable code (a ctypes callback) would fail halfway. Refused, 85, naming it.
    starter = ("import ctypes, os, sys\n"
               "libc = ctypes.CDLL(None, use_errno=True)\n"
               "if libc.prctl(65, 1, 0, 0, 0) != 0:\n"
               "    print('NO-MDWE', os.strerror(ctypes.get_errno())); sys.exit(0)\n"
               "os.execv(sys.argv[1], sys.argv[1:])\n")
    proc = run([PYTHON, "-c", starter, inst.ppy, inst.script()])
    if proc.stdout.startswith("NO-MDWE"):
        pytest.skip("this kernel has no PR_SET_MDWE: " + proc.stdout)
    refused(proc, EX_CALLER, "memory-deny-write-execute")
