"""The caller's terminal, with real ptys: the script never has a controlling terminal and
cannot take one back, whether or not ppy leads the terminal's session, and Ctrl-C still
reaches it.

A process that leads a session (started as `script -qec SCRIPT`, `ssh -t host SCRIPT`,
`tmux new-window SCRIPT`: the shell execs the script in place) can make any terminal it
has open and that no session controls its controlling terminal again (TIOCSCTTY), and
then push input into it (TIOCSTI). ppy, leading the session, stays behind as its leader
(the caller's uid, no capabilities) and runs the script in a child that leads nothing.
"""
import os
import pty
import select
import subprocess
import textwrap
import time

import pytest

from ppytest import CALLER, EX_CALLER, RAN

pytestmark = pytest.mark.root

# What the script tries: take the terminal on fd 0 directly, and again after leaving for
# a session of its own (setsid); then push a byte into it. tty_nr: /proc/self/stat's.
TAKE = textwrap.dedent(
    """
    import fcntl, os, termios
    def tty_nr():
        return open("/proc/self/stat").read().rsplit(")", 1)[1].split()[4]
    def attempt(how):
        try:
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)
            took = "took"
        except OSError as e:
            took = "refused %d" % e.errno
        try:
            fcntl.ioctl(0, termios.TIOCSTI, b"x")
            sti = "INJECTED"
        except OSError as e:
            sti = "refused %d" % e.errno
        print("%s: TIOCSCTTY %s, tty_nr %s, TIOCSTI %s" % (how, took, tty_nr(), sti))
    print("start: leader %s, tty_nr %s" % (os.getsid(0) == os.getpid(), tty_nr()))
    attempt("direct")
    try:
        os.setsid()
        attempt("after setsid")
    except OSError as e:
        print("after setsid: setsid refused %d" % e.errno)
    """
)

# Waits for Ctrl-C; then reports its parent (the leader ppy left behind, if any).
INTERRUPT = textwrap.dedent(
    """
    import os, sys, time
    print("READY", flush=True)
    try:
        time.sleep(20)
        print("NO-SIGINT")
    except KeyboardInterrupt:
        print("GOT-SIGINT")
    parent = {}
    for line in open("/proc/%d/status" % os.getppid()):
        k, _, v = line.partition(":")
        parent[k] = v.split()
    print("PARENT uid %s CapPrm %s CapEff %s" % (parent["Uid"][0], parent["CapPrm"][0],
                                                   parent["CapEff"][0]))
    sys.exit(7)
    """
)


def in_pty(argv, ctrl_c_after=None, timeout=30, session=True):
    """Run ARGV (as root; it drops to the caller itself) on a new pty. With SESSION, in
    a new session whose controlling terminal the pty is (pty.fork: ARGV leads it);
    otherwise the pty is only its fds 0-2, in a session of its own with no terminal.
    Ctrl-C is typed once CTRL_C_AFTER appears. Returns (output, wait status)."""
    if session:
        pid, fd = pty.fork()
        if pid == 0:
            os.execv(argv[0], argv)
    else:
        fd, slave = os.openpty()
        pid = os.fork()
        if pid == 0:
            os.setsid()
            for n in range(3):
                os.dup2(slave, n)
            os.execv(argv[0], argv)
        os.close(slave)
    out, typed = b"", False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:      # EIO: every process on the slave side is gone
            break
        if not chunk:
            break
        out += chunk
        if ctrl_c_after and not typed and ctrl_c_after.encode() in out:
            time.sleep(0.2)
            os.write(fd, b"\x03")
            typed = True
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return out.decode(errors="replace").replace("\r\n", "\n"), status


def as_caller(*argv):
    return ["/usr/bin/setpriv", f"--reuid={CALLER}", f"--regid={CALLER}", "--clear-groups",
            *argv]


def test_a_session_leader_cannot_take_the_terminal_back(inst):
    # pty.fork: ppy itself leads the session of its controlling terminal.
    text, status = in_pty(as_caller(inst.ppy, inst.script(TAKE)))
    assert os.waitstatus_to_exitcode(status) == 0, text
    assert "start: leader False, tty_nr 0" in text, text
    assert "direct: TIOCSCTTY refused 1, tty_nr 0, TIOCSTI refused 1" in text, text
    assert "after setsid: TIOCSCTTY refused 1, tty_nr 0, TIOCSTI refused 1" in text, text
    assert "INJECTED" not in text and "took" not in text


def test_script_minus_c_as_in_the_review(inst):
    # The reviewer's set-up: script(1) runs the script as its session's leader.
    script = inst.script(TAKE)
    proc = subprocess.run(as_caller("script", "-qec", script, "/dev/null"),
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    text = proc.stdout.replace("\r\n", "\n")
    assert proc.returncode == 0, text + proc.stderr
    assert "direct: TIOCSCTTY refused 1, tty_nr 0" in text, text
    assert "INJECTED" not in text and "took" not in text, text


def test_ctrl_c_reaches_a_script_whose_ppy_led_the_session(inst):
    text, status = in_pty(as_caller(inst.ppy, inst.script(INTERRUPT)), ctrl_c_after="READY")
    assert "GOT-SIGINT" in text and "NO-SIGINT" not in text, text
    # The leader left behind is the caller's, with nothing; the script's status is its.
    assert f"PARENT uid {CALLER} CapPrm 0000000000000000 CapEff 0000000000000000" in text, text
    assert os.waitstatus_to_exitcode(status) == 7, text


def test_the_leader_ends_as_the_script_ends(inst):
    # Killed by a signal: the leader ppy kept ends the same way, as a shell would see it.
    text, status = in_pty(as_caller(inst.ppy, inst.script(
        "import os, signal\nos.kill(os.getpid(), signal.SIGTERM)\n")))
    assert RAN in text
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == 15, (status, text)


def test_ctrl_c_and_no_terminal_when_ppy_does_not_lead(inst):
    # The everyday case: a shell leads the session and ppy runs in its foreground.
    text, status = in_pty(["/bin/sh", "-c", '"$@"; exit $?', "sh",
                           *as_caller(inst.ppy, inst.script(INTERRUPT))],
                          ctrl_c_after="READY")
    assert "GOT-SIGINT" in text, text
    text, status = in_pty(["/bin/sh", "-c", '"$@"; exit $?', "sh",
                           *as_caller(inst.ppy, inst.script(TAKE))])
    assert "direct: TIOCSCTTY refused 1, tty_nr 0" in text, text
    assert "after setsid: TIOCSCTTY refused 1, tty_nr 0" in text, text
    assert "INJECTED" not in text and "took" not in text, text


def test_a_leader_with_a_terminal_no_session_controls_is_refused(inst):
    # ppy leads a session of its own, with a pty nobody controls on fds 0-2: the script,
    # leading that session, could make it its controlling terminal.
    path = inst.script(TAKE)
    text, status = in_pty(as_caller(inst.ppy, path), session=False)
    assert os.waitstatus_to_exitcode(status) == EX_CALLER, text
    assert RAN not in text and "took" not in text, text
    lines = [line for line in text.splitlines() if line]
    assert len(lines) == 1 and lines[0].startswith(f"ppy: {path}: fd 0 is a terminal"), text
    assert "no session controls" in lines[0], text


def test_a_terminal_no_session_controls_is_refused_when_ppy_leads_nothing(inst):
    # The same terminal, with a shell leading the session and ppy its child: the script
    # could still start a session of its own (setsid) and make that terminal its
    # controlling one, then push input into it.
    path = inst.script(TAKE)
    text, status = in_pty(["/bin/sh", "-c", '"$@"; exit $?', "sh", *as_caller(inst.ppy, path)],
                          session=False)
    assert os.waitstatus_to_exitcode(status) == EX_CALLER, text
    assert RAN not in text and "took" not in text, text
    lines = [line for line in text.splitlines() if line]
    assert len(lines) == 1 and lines[0].startswith(f"ppy: {path}: fd 0 is a terminal"), text


def test_a_free_pty_master_on_fd_0_is_refused_as_a_free_terminal(inst):
    # TIOCSCTTY through a master takes its slave: the master of a pty nobody controls is a
    # free terminal too (85), not a failure of ppy's probe (87).
    master, slave = os.openpty()
    os.close(slave)
    path = inst.script(TAKE)
    try:
        proc = subprocess.run(as_caller(inst.ppy, path), stdin=master, capture_output=True,
                              text=True, timeout=60, env={})
    finally:
        os.close(master)
    assert proc.returncode == EX_CALLER, proc.stderr
    assert RAN not in proc.stdout
    assert proc.stderr == f"ppy: {path}: fd 0 is a terminal that no session controls, which " \
        "the script could make its own; start it from a shell or without that terminal\n"


# Run by root in a mount namespace of its own with two new devpts instances at A and B:
# terminal 0 of A is ppy's controlling terminal, terminal 0 of B (the same device number,
# 136:0) is fd 2 and free. Prints what ppy said and its status.
TWO_INSTANCES = textwrap.dedent(
    """
    import fcntl, os, sys
    a, b, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
    def pty_in(top):
        master = os.open(top + "/ptmx", os.O_RDWR | os.O_NOCTTY)
        fcntl.ioctl(master, 0x40045431, b"\\0\\0\\0\\0")            # TIOCSPTLCK: unlock
        n = int.from_bytes(fcntl.ioctl(master, 0x80045430, b"\\0\\0\\0\\0"), "little")  # TIOCGPTN
        return master, "%s/%d" % (top, n)
    ma, sa = pty_in(a)
    mb, sb = pty_in(b)
    assert os.stat(sa).st_rdev == os.stat(sb).st_rdev, (sa, sb)
    pid = os.fork()
    if pid == 0:
        os.setsid()
        t = os.open(sa, os.O_RDWR)          # becomes the controlling terminal
        os.dup2(t, 0); os.dup2(t, 1)
        os.dup2(os.open(sb, os.O_RDWR | os.O_NOCTTY), 2)
        os.execv(argv[0], argv)
    out = b""
    while True:
        try:
            chunk = os.read(ma, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    _, status = os.waitpid(pid, 0)
    err = b""
    os.set_blocking(mb, False)
    try:
        err = os.read(mb, 4096)
    except OSError:    # nothing written there (EAGAIN), or nobody has it open (EIO)
        pass
    print(repr(out.decode(errors="replace")), repr(err.decode(errors="replace")),
          os.waitstatus_to_exitcode(status))
    """
)


def test_a_free_terminal_with_the_number_of_ppys_own_is_refused(inst):
    # Each devpts instance numbers its terminals from 0, so a free terminal of another
    # instance can have the very device number of ppy's controlling terminal: ppy asks the
    # terminal which session it belongs to (TIOCGSID), not which number it has.
    a, b = (os.path.join(inst.base, n) for n in ("devpts-a", "devpts-b"))
    os.makedirs(a, exist_ok=True)
    os.makedirs(b, exist_ok=True)
    helper = os.path.join(inst.base, "two_instances.py")
    with open(helper, "w") as f:
        f.write(TWO_INSTANCES)
    path = inst.script(TAKE)
    mount = 'mount -t devpts -o newinstance,ptmxmode=0666 devpts "$0"'
    proc = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-c",
         f'{mount} && mount -t devpts -o newinstance,ptmxmode=0666 devpts "$1" && '
         'shift && exec "$@"', a, b, "/usr/bin/python3", helper, a, b,
         *as_caller(inst.ppy, path)],
        capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout.split()[-1]) == EX_CALLER, proc.stdout
    assert RAN not in proc.stdout and "took" not in proc.stdout, proc.stdout
    assert "fd 2 is a terminal that no session controls" in proc.stdout, proc.stdout


def test_a_free_terminal_open_for_writing_only_is_refused(inst):
    # The kernel lets a descriptor open for writing only take a terminal with CAP_SYS_ADMIN
    # alone, so a probe without it saw "not free"; a script that can open the terminal for
    # reading (its owner's rights, a DAC capability) could still make it its own.
    master, slave = os.openpty()
    wo = os.open(os.ttyname(slave), os.O_WRONLY | os.O_NOCTTY)
    os.close(slave)
    path = inst.script(TAKE)
    try:
        proc = subprocess.run(as_caller(inst.ppy, path), stdin=subprocess.DEVNULL, stdout=wo,
                              stderr=subprocess.PIPE, text=True, timeout=60, env={})
    finally:
        os.close(wo)
        os.close(master)
    assert proc.returncode == EX_CALLER, proc.stderr
    assert proc.stderr.startswith(f"ppy: {path}: fd 1 is a terminal that no session controls")
    assert len(proc.stderr.splitlines()) == 1, proc.stderr
