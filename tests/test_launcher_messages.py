"""Refusals say the real cause, name caller-chosen names escaped (a backslash as \\x5c, so a
name cannot pass for an escaped byte), and are all logged, the caller's state included.
Each is read on stderr and, through a syslog socket the test owns (tests/ownlog.py), in
the log."""
import os
import subprocess

import pytest

from ownlog import OwnLog
from ppytest import (CALLER, EX_CALLER, EX_DIR, EX_FILE, EX_INSTALL, EX_USAGE, OWNER, RAN,
                     refused, report, run, write_script)

pytestmark = pytest.mark.root

# Looks like an escaped newline followed by a forged log line, if shown unescaped.
FORGED = "\\x0aDec 24 12:00:00 host ppy[1]: run: caller uid=0 caps=cap_sys_admin"


def shown(name):
    """NAME as ppy shows it: printable ASCII but the backslash as is, the rest as \\xNN."""
    return "".join(c if 0x20 <= ord(c) < 0x7F and c != "\\" else "\\x%02x" % ord(c)
                   for c in name)


def as_caller(*argv):
    return ["setpriv", f"--reuid={CALLER}", f"--regid={CALLER}", "--clear-groups", *argv]


def logged_run(inst, argv, devices=None, **kw):
    """Run ARGV with /dev/log our own socket: (CompletedProcess, OwnLog)."""
    log = OwnLog(inst.base, **({"devices": devices} if devices else {}))
    with log:
        proc = subprocess.run(log.wrap(argv), capture_output=True, text=True, timeout=60,
                              env={}, **kw)
    return proc, log


def refused_and_logged(inst, argv, status, *words, **kw):
    """The refusal on stderr, and the same line in the log ("ppy: SCRIPT: why" there as
    "refused: uid=CALLER script=SCRIPT: why"), as LOG_AUTHPRIV|LOG_WARNING."""
    proc, log = logged_run(inst, argv, **kw)
    line = refused(proc, status, *words)
    msg = log.find(f"refused: uid={CALLER} ", line[len("ppy: "):])
    assert msg.startswith("<84>"), msg
    return line, msg


# ------------------------------------------------------------------ names, escaped

def test_root_owned_file_given_as_the_script_names_it_escaped(inst):
    # A root-owned file where the script goes, with arguments after it: it is the script,
    # refused as root's, and named as the caller wrote it, escaped, in both places.
    name = os.path.join(inst.base, "root-owned" + FORGED)
    with open(name, "w") as f:
        f.write("print('hi')\n")
    os.chmod(name, 0o755)
    line, msg = refused_and_logged(inst, as_caller(inst.ppy, name, "--port", "80"), EX_FILE,
                                   "owned by uid 0")
    assert line.startswith(f"ppy: {shown(name)}: owned by uid 0"), line
    assert f"script={shown(name)}: owned by uid 0" in msg, msg
    assert "\\x5cx0a" in line and "\\x0aDec" not in line.replace("\\x5cx0a", "")


def test_interpreter_named_by_the_shebang_is_shown_escaped(inst):
    # "#!.../ppy INTERPRETER" with an interpreter ppy.conf does not list: the kernel
    # passes that word (here a root-owned file with a backslash in its name) first.
    interp = os.path.join(inst.base, "py" + FORGED.replace(" ", "_"))
    with open(interp, "w") as f:
        f.write("")
    os.chmod(interp, 0o755)
    path = inst.script(shebang=False, name="asks-for-interp.py")
    with open(path) as f:
        body = f.read()
    with open(path, "w") as f:
        f.write(f"#!{inst.ppy} {interp}\n" + body)
    subprocess.run(["setcap", "cap_net_bind_service=p", path], check=True)
    line, msg = refused_and_logged(inst, as_caller(path), EX_FILE, "its #! line asks for",
                                   "does not allow")
    assert line.startswith(f"ppy: {path}: its #! line asks for interpreter '{shown(interp)}'"), line
    assert f"interpreter '{shown(interp)}'" in msg, msg


def test_directory_ppy_cannot_open_is_shown_escaped(inst):
    # The caller reaches the script from its working directory, below a directory it
    # cannot search: ppy's walk from / cannot open the next one, and says which.
    locked = os.path.join(inst.base, "locked")
    inner = os.path.join(locked, "in" + FORGED)
    os.makedirs(inner, 0o755)
    os.chmod(locked, 0o700)
    for d in (locked, inner):
        os.chown(d, OWNER, OWNER)
    inst.script(directory=inner, name="s.py")
    line, msg = refused_and_logged(inst, as_caller(inst.ppy, "./s.py"), EX_DIR,
                                   "cannot open directory", "Permission denied", cwd=inner)
    assert f"cannot open directory {shown(inner)}: Permission denied" in line, line
    assert f"cannot open directory {shown(inner)}: Permission denied" in msg, msg


# ------------------------------------------------------------------ every refusal is logged

@pytest.mark.parametrize("limit, words", [
    ("--cpu=10:10", ["RLIMIT_CPU (10)"]),
    ("--fsize=100000:100000", ["RLIMIT_FSIZE (100000)"]),
    ("--nofile=32:32", ["RLIMIT_NOFILE (", ") is below 64"]),   # valgrind reserves some
    ("--rttime=1000000:1000000", ["RLIMIT_RTTIME (1000000)"]),
])
def test_refusals_about_the_callers_limits_are_logged(inst, limit, words):
    path = inst.script()
    line, msg = refused_and_logged(inst, as_caller("prlimit", limit, inst.ppy, path),
                                   EX_CALLER, *words)
    assert f"script={path}: the caller's hard" in msg, msg


def test_usage_refusals_are_logged(inst):
    refused_and_logged(inst, as_caller(inst.ppy, "-c", "print(1)"), EX_USAGE,
                       "looks like an option")
    refused_and_logged(inst, as_caller(inst.ppy), EX_USAGE, "usage")


def test_a_standard_descriptor_ppy_cannot_replace_is_said_and_logged(inst):
    # stdin open for writing only, and no /dev/null to put in its place (a /dev without
    # it, in the test's mount namespace): one line on stderr, and in the log, not a
    # silent exit.
    path = inst.script()
    sink = os.path.join(inst.base, "stdin-for-writing")
    with open(sink, "w") as f:
        os.chmod(sink, 0o666)
        proc, log = logged_run(inst, as_caller(inst.ppy, path), stdin=f,
                               devices=("zero", "full", "random", "urandom", "tty"))
    line = refused(proc, EX_CALLER, "cannot put /dev/null in place of fd 0")
    assert line.startswith(f"ppy: {path}: "), line
    log.find(f"refused: uid={CALLER} ", line[len("ppy: "):])


def test_check_is_not_logged_but_a_launch_is(inst):
    path = inst.script()
    proc, log = logged_run(inst, as_caller(inst.ppy, "--check", path))
    assert proc.returncode == 0, proc.stderr
    assert not log.seen, log.seen
    proc, log = logged_run(inst, as_caller(inst.ppy, path))
    report(proc)
    msg = log.find(f"run: caller uid={CALLER} script={path} ")
    assert msg.startswith("<85>") and f"as uid={OWNER}" in msg, msg


# ------------------------------------------------------------------ the real cause

def test_a_short_shebang_line_without_newline_is_a_script(inst):
    # The kernel runs a file that is only "#!.../ppy" with no newline; ppy did too, but
    # refused it as "longer than 255 bytes". It is an empty program.
    path = write_script(os.path.join(inst.scripts, "just-a-shebang.py"),
                         f"#!{inst.ppy}".encode())
    for argv in ([path], [inst.ppy, path]):
        proc = run(argv)
        assert proc.returncode == 0 and proc.stdout == "" and proc.stderr == "", proc
    # A #! line that really does not end within 256 bytes is still refused, as that.
    long = write_script(os.path.join(inst.scripts, "long-shebang.py"),
                         f"#!{inst.ppy} /{'x' * 300}".encode())
    refused(run([inst.ppy, long]), EX_FILE, "its #! line is longer than 255 bytes")


def test_a_configuration_error_names_the_real_line(inst):
    # Blank lines and comments count: the bad line is the fourth.
    try:
        inst.write_conf("\n# interpreters\n\ninterpreter relative/python\n")
        refused(run([inst.ppy, inst.script()]), EX_INSTALL, "line 4", "expected")
        inst.write_conf("".join(f"interpreter /opt/py{i}/bin/python\n" for i in range(65)))
        refused(run([inst.ppy, inst.script()]), EX_INSTALL, "line 65",
                "more than 64 'interpreter' lines")
    finally:
        os.unlink(inst.conf)


def test_a_real_path_too_long_to_check_is_said_so(inst):
    # Reached relatively from a deep working directory, the script's real path is longer
    # than PATH_MAX: ppy cannot walk it, and says so (it used to fail as a system call).
    top = os.path.join(inst.base, "deep")
    os.mkdir(top, 0o755)
    fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for _ in range(20):
            os.mkdir("d" * 250, 0o755, dir_fd=fd)
            nxt = os.open("d" * 250, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = nxt
        with open(os.open("s.py", os.O_WRONLY | os.O_CREAT, 0o755, dir_fd=fd), "w") as f:
            f.write(f"print({RAN!r})\n")
        os.chown("s.py", OWNER, OWNER, dir_fd=fd)
        subprocess.run(["setcap", "cap_net_bind_service=p", f"/proc/self/fd/{fd}/s.py"],
                       check=True, pass_fds=(fd,))
        proc = subprocess.run(as_caller(inst.ppy, "./s.py"), capture_output=True, text=True,
                              env={}, preexec_fn=lambda: os.fchdir(fd), pass_fds=(fd,),
                              timeout=60)
    finally:
        os.close(fd)
        subprocess.run(["rm", "-rf", top])
    refused(proc, EX_FILE, "its real path is longer than 4094 bytes")


def test_a_name_cut_short_says_so(inst):
    # 5000 control bytes escape to 20000 characters, more than a message holds: the line
    # ends with "..." so that a shortened name never passes for the whole one.
    name = "\x01" * 5000
    proc = subprocess.run(as_caller(inst.ppy, name), capture_output=True, text=True,
                          env={}, timeout=60)
    assert proc.returncode == 66, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("ppy: \\x01\\x01") and "...: " in lines[0], lines[0][-200:]
    assert "\\x01" * 4000 in lines[0] and "\x01" not in lines[0]
