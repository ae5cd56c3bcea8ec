"""What of the caller's process reaches the script, read back in the script: many
supplementary groups, scheduling (nice, policy, affinity, I/O priority), the limits that
count the owner's account, pending signals, and a cgroup delegated to the caller. The
README's process-state table says what each becomes, and why."""
import os
import platform
import select
import signal
import subprocess
import textwrap
import time

import pytest

from ppytest import CALLER, OWNER, PYTHON, RAN, report, run

pytestmark = pytest.mark.root

SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_BATCH, SCHED_IDLE = 0, 1, 2, 3, 5
RESET_ON_FORK = 0x40000000
IOPRIO_GET = {"x86_64": 252, "aarch64": 31}.get(platform.machine())

STATE = textwrap.dedent(
    f"""
    import ctypes, json, os, resource
    status = {{}}
    for line in open("/proc/self/status"):
        k, _, v = line.partition(":")
        status[k] = v.strip()
    libc = ctypes.CDLL(None, use_errno=True)
    print(json.dumps({{
        "nice": os.getpriority(os.PRIO_PROCESS, 0),
        "policy": os.sched_getscheduler(0),
        "affinity": sorted(os.sched_getaffinity(0)),
        "ioprio": libc.syscall({IOPRIO_GET or -1}, 1, 0),
        "limits": {{n: resource.getrlimit(getattr(resource, "RLIMIT_" + n))
                    for n in ("NPROC", "SIGPENDING", "MEMLOCK", "MSGQUEUE", "NICE", "RTPRIO")}},
        "status": status,
    }}))
    """
)


def caller(*argv, groups=None):
    grp = ["--groups=" + ",".join(map(str, groups))] if groups else ["--clear-groups"]
    return ["setpriv", f"--reuid={CALLER}", f"--regid={CALLER}", *grp, *argv]


def launch(argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, env={}, **kw)


# ------------------------------------------------------------------ many groups

@pytest.mark.parametrize("gids", [
    # about 600 groups, half of them with 10-digit gids, as directory services give
    [100000 + i for i in range(300)] + [3000000000 + i for i in range(300)],
    # 2,000 groups, all 10-digit: /proc/self/status is over 20 KB
    [1000000000 + 7 * i for i in range(2000)],
], ids=["600", "2000"])
def test_a_caller_in_many_groups_can_run_a_script(inst, gids):
    path = inst.script()
    check = launch(caller("sh", "-c", "wc -c < /proc/self/status", groups=gids))
    assert int(check.stdout) > 4096, check.stdout   # the file no longer fits in 4 KB
    rep = report(launch(caller(inst.ppy, path, groups=gids)))
    assert rep["status"]["Groups"] == ""
    assert rep["status"]["Uid"].split() == [str(OWNER)] * 4


# ------------------------------------------------------------------ scheduling

@pytest.mark.parametrize("policy", [["--fifo", "10"], ["--rr", "10"],
                                    ["--fifo", "--reset-on-fork", "10"],
                                    ["--deadline", "--sched-runtime", "1000000",
                                     "--sched-deadline", "10000000", "--sched-period",
                                     "10000000", "0"]],
                         ids=["fifo", "rr", "fifo-reset-on-fork", "deadline"])
def test_a_priority_above_the_default_is_not_the_scripts(inst, policy):
    # Root (who may) starts the caller with a negative nice value, a real-time policy,
    # the real-time I/O class and RLIMIT_NICE/RTPRIO that would let it take them back.
    if IOPRIO_GET is None:
        pytest.skip("no ioprio_get number for this machine in the test")
    probe = launch(["chrt", *policy, "true"])
    if probe.returncode != 0:
        pytest.skip(f"this kernel refuses that policy to root here: {probe.stderr.strip()}")
    # Raising RLIMIT_NICE/RTPRIO needs CAP_SYS_RESOURCE, which some containers' root lacks.
    limits = ["prlimit", "--nice=30:30", "--rtprio=50:50"]
    if launch([*limits, "true"]).returncode != 0:
        limits = []
    cmd = ["nice", "-n", "-5", "chrt", *policy, "ionice", "-c1", "-n2", *limits,
           *caller(inst.ppy, inst.script(STATE))]
    got = report(launch(cmd))
    assert got["nice"] == 0
    # Only a privileged process may clear reset-on-fork: it stays, on SCHED_OTHER.
    assert got["policy"] & ~RESET_ON_FORK == SCHED_OTHER
    assert got["policy"] & RESET_ON_FORK == (RESET_ON_FORK if "--reset-on-fork" in policy else 0)
    assert got["ioprio"] >> 13 != 1, got["ioprio"]        # not IOPRIO_CLASS_RT
    assert got["limits"]["NICE"] == [0, 0] and got["limits"]["RTPRIO"] == [0, 0]


@pytest.mark.parametrize("policy, want", [(["--idle", "0"], SCHED_IDLE),
                                          (["--batch", "0"], SCHED_BATCH)])
def test_a_lower_priority_the_caller_chose_is_kept(inst, policy, want):
    # nice(1), chrt --idle/--batch, ionice -c3, taskset: the caller's choice to spend less
    # of the machine on its own request; it only slows the script down (on purpose).
    if IOPRIO_GET is None:
        pytest.skip("no ioprio_get number for this machine in the test")
    cmd = caller("nice", "-n", "7", "chrt", *policy, "ionice", "-c3", "taskset", "-c", "0",
                 inst.ppy, inst.script(STATE))
    got = report(launch(cmd))
    assert got["nice"] == 7 and got["policy"] == want and got["affinity"] == [0]
    assert got["ioprio"] >> 13 == 3, got["ioprio"]        # IOPRIO_CLASS_IDLE


def test_counted_limits_get_their_soft_limit_up_to_the_hard_one(inst):
    # Budgets of the owner's account: soft limits the caller lowered go back up to the
    # hard ones, which are kept (only CAP_SYS_RESOURCE could raise them).
    hard = {}
    for name in ("NPROC", "SIGPENDING", "MEMLOCK", "MSGQUEUE"):
        out = launch(caller("prlimit", "--" + name.lower(), "--raw", "--noheadings",
                            "--output=HARD")).stdout.split()
        hard[name] = int(out[0]) if out[0] != "unlimited" else -1
    got = report(launch(caller("prlimit", "--nproc=50:", "--sigpending=10:", "--memlock=1000:",
                              "--msgqueue=10:", inst.ppy, inst.script(STATE))))
    for name, value in hard.items():
        assert got["limits"][name] == [value, value], (name, got["limits"])
    lowered = report(launch(caller("prlimit", "--nproc=4000:4000", inst.ppy,
                                  inst.script(STATE))))
    assert lowered["limits"]["NPROC"] == [4000, 4000]


PENDING = textwrap.dedent(
    """
    import ctypes, os, signal, sys
    libc = ctypes.CDLL(None, use_errno=True)
    # glibc's own signals 32 and 33, ignored through the kernel, blocked, and queued
    ign = (ctypes.c_ulong * 4)(1, 0, 0, 0)          # SIG_IGN, no flags
    mask = ctypes.c_ulong((1 << 31) | (1 << 32))
    for sig in (32, 33):
        assert libc.syscall(13, sig, ign, None, 8) == 0       # rt_sigaction
    assert libc.syscall(14, 0, ctypes.byref(mask), None, 8) == 0   # rt_sigprocmask
    rt = signal.SIGRTMIN + 3
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1, signal.SIGCHLD,
                                              signal.SIGWINCH, rt})
    for sig in (signal.SIGUSR1, signal.SIGCHLD, signal.SIGWINCH, rt, rt, 32, 33):
        os.kill(os.getpid(), sig)
    os.execv(sys.argv[1], sys.argv[1:])
    """
)


def test_pending_signals_and_glibcs_own_ignored_ones_do_not_reach_the_script(inst):
    helper = os.path.join(inst.base, "pending.py")
    with open(helper, "w") as f:
        f.write(PENDING)
    proc = launch(caller(os.path.realpath(PYTHON), helper, inst.ppy, inst.script(STATE)))
    got = report(proc)            # SIGUSR1 pending used to kill ppy at its reset
    st = got["status"]
    assert int(st["SigPnd"], 16) == 0 and int(st["ShdPnd"], 16) == 0, st
    assert int(st["SigBlk"], 16) == 0
    assert int(st["SigIgn"], 16) & ((1 << 31) | (1 << 32)) == 0, st["SigIgn"]


# ------------------------------------------------------------------ a delegated cgroup

def cgroup2_root():
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            if fields[fields.index("-") + 1] == "cgroup2":
                return fields[4]
    return None


RAISED_STEP = textwrap.dedent(
    """
    import os, sys, ppy_py
    def eff():
        return [l.split()[1] for l in open("/proc/self/status") if l.startswith("CapEff")][0]
    with ppy_py.raised("net_bind_service"):
        print("IN-RAISED", eff(), flush=True)
        line = sys.stdin.readline()
        print("STEP-DONE", line.strip(), eff(), flush=True)
    print("AFTER", eff(), flush=True)
    """
)


@pytest.fixture
def delegated():
    """A cgroup v2 subtree delegated to CALLER as systemd delegates user@.service
    (directory, cgroup.procs, cgroup.threads, cgroup.subtree_control are the caller's),
    and in it a child cgroup the caller made. Yields (subtree, child)."""
    root = cgroup2_root()
    if not root:
        pytest.skip("no cgroup2 hierarchy mounted")
    sub = os.path.join(root, f"ppy-test-{os.getpid()}")
    os.mkdir(sub)
    job = os.path.join(sub, "job")
    try:
        for name in ("", "cgroup.procs", "cgroup.threads", "cgroup.subtree_control"):
            os.chown(os.path.join(sub, name), CALLER, CALLER)
        made = run(["mkdir", job])                          # the caller's own cgroup
        assert made.returncode == 0, made.stderr
        yield sub, job
    finally:
        for d in (job, sub):
            for _ in range(50):
                try:
                    os.rmdir(d)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.1)


def start_in(sub, job, argv):
    """Root puts the launch in SUB (as systemd starts the user's manager there); the
    caller moves itself into its own JOB cgroup and runs ARGV."""
    inner = 'echo $$ > "$0/cgroup.procs" && exec "$@"'
    cmd = ["sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', sub,
           *caller("sh", "-c", inner, job, *argv)]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, bufsize=0, env={})
    proc.pending = b""
    return proc


def read_line(proc, timeout=20):
    """The next line of PROC's stdout, or None if none comes within TIMEOUT seconds
    (unbuffered: select() must see what is not read yet)."""
    deadline = time.monotonic() + timeout
    while b"\n" not in proc.pending:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([proc.stdout], [], [], left)[0]:
            return None
        chunk = os.read(proc.stdout.fileno(), 4096)
        if not chunk:
            return proc.pending.decode() or None
        proc.pending += chunk
    line, _, proc.pending = proc.pending.partition(b"\n")
    return line.decode() + "\n"


def as_caller_write(path, value):
    done = run(["sh", "-c", 'echo "$1" > "$0"', path, value])
    assert done.returncode == 0, done.stderr


def test_a_delegated_cgroup_can_freeze_and_kill_the_script_and_nothing_more(inst, delegated):
    # Accepted, as for any setuid program the caller starts there (passwd, sudo): the
    # caller may stop the script at any point, even inside raised(), and thaw it or
    # kill it; the script runs on exactly as before, or ends. ppy does not refuse it.
    sub, job = delegated
    path = inst.script(RAISED_STEP)
    proc = start_in(sub, job, [inst.ppy, path])
    try:
        assert read_line(proc) == RAN + "\n"
        assert read_line(proc) == "IN-RAISED 0000000000000400\n"
        with open(os.path.join(job, "cgroup.procs")) as f:
            assert str(proc.pid) in f.read().split()
        as_caller_write(os.path.join(job, "cgroup.freeze"), "1")
        for _ in range(100):
            with open(os.path.join(job, "cgroup.events")) as f:
                if "frozen 1" in f.read():
                    break
            time.sleep(0.05)
        else:
            pytest.fail("the cgroup never froze")
        proc.stdin.write(b"go\n")
        assert read_line(proc, timeout=0.5) is None          # frozen mid-step
        as_caller_write(os.path.join(job, "cgroup.freeze"), "0")
        assert read_line(proc) == "STEP-DONE go 0000000000000400\n"
        assert read_line(proc) == "AFTER 0000000000000000\n"
        assert proc.wait(timeout=20) == 0, proc.stderr.read().decode()
    finally:
        proc.kill()
        proc.wait()

    proc = start_in(sub, job, [inst.ppy, path])
    try:
        assert read_line(proc) == RAN + "\n"
        assert read_line(proc) == "IN-RAISED 0000000000000400\n"
        as_caller_write(os.path.join(job, "cgroup.kill"), "1")
        assert proc.wait(timeout=20) == -9
        assert b"STEP-DONE" not in proc.pending + proc.stdout.read()
    finally:
        proc.kill()
        proc.wait()


# ------------------------------------------------------------------ timer slack, fds 0-2

SLACK = textwrap.dedent(
    """
    print("SLACK", open("/proc/self/timerslack_ns").read().strip())
    """
)


def with_slack(ns):
    def set_it():
        import ctypes
        if ctypes.CDLL(None, use_errno=True).prctl(29, ctypes.c_ulong(ns), 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "PR_SET_TIMERSLACK")
    return set_it


@pytest.mark.parametrize("given, seen", [(10 * 10**9, 50000), (2**32, 50000), (2**32 + 1, 50000),
                                         (2**63, 50000), (2**64 - 1, 50000), (1000, 1000)])
def test_a_large_timer_slack_is_not_the_scripts(inst, given, seen):
    # Ten seconds of slack would let the caller make every sleep and timeout of the script
    # fire up to ten seconds late: the script gets at most the kernel's usual 50 us. A
    # smaller slack (more precise timers) is the caller's to give.
    proc = launch(caller(inst.ppy, inst.script(SLACK)), preexec_fn=with_slack(given))
    assert proc.returncode == 0, proc.stderr
    assert f"SLACK {seen}" in proc.stdout.splitlines(), proc.stdout


def test_a_directory_on_fd_0_is_refused(inst):
    path = inst.script()
    fd = os.open("/", os.O_RDONLY | os.O_DIRECTORY)
    try:
        proc = launch(caller(inst.ppy, path), stdin=fd)
    finally:
        os.close(fd)
    assert proc.returncode == 85, proc.stderr
    assert RAN not in proc.stdout
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0] == (
        f"ppy: {path}: fd 0 is a directory; give the script a file, a pipe, a socket or "
        "a terminal there"), proc.stderr


def test_an_o_path_stdin_becomes_dev_null(inst):
    # O_PATH: open for neither reading nor writing; the script gets /dev/null instead.
    path = inst.script("import sys\nprint('READ', repr(sys.stdin.read()))\n")
    fd = os.open("/etc/hostname", os.O_PATH)
    try:
        proc = launch(caller(inst.ppy, path), stdin=fd)
    finally:
        os.close(fd)
    assert proc.returncode == 0, proc.stderr
    assert "READ ''" in proc.stdout.splitlines(), proc.stdout + proc.stderr


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGQUIT])
def test_an_interrupt_during_the_start_up_is_one_line(inst, sig):
    # Ctrl-C or Ctrl-\ while the interpreter starts: ppy holds both across its exec, so the
    # boot stops with one line (88), not a traceback from the interpreter's start-up or a
    # silent death. Root stops the process as soon as it is the interpreter, queues the
    # signal, and lets it go on.
    path = inst.script()
    proc = subprocess.Popen(caller(inst.ppy, path), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={})
    python = os.path.realpath(PYTHON)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if os.readlink(f"/proc/{proc.pid}/exe") == python:
                break
        except OSError:
            pass
    os.kill(proc.pid, signal.SIGSTOP)
    os.kill(proc.pid, sig)
    os.kill(proc.pid, signal.SIGCONT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 88, (proc.returncode, err)
    assert RAN not in out
    assert err == f"ppy: {path}: boot: interrupted ({sig.name}) before the script started\n", err


# ------------------------------------------------------------------ shared undo list, subreaper

CLONE_SYSVSEM_RUN = r"""
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/sem.h>
#include <sys/wait.h>
#include <unistd.h>
/* clonesem KEY ARGV...: run ARGV in a child sharing this process's SysV semaphore undo
   list (clone(CLONE_SYSVSEM)), wait for it, then print the semaphore's value while this
   process (the list's other holder) still lives. */
static char stack[1 << 16];
static char **child_argv;
static int child(void *arg) { (void)arg; execv(child_argv[0], child_argv); _exit(127); }
int main(int argc, char **argv)
{
	int status, id;
	pid_t pid;
	(void)argc;
	child_argv = argv + 2;
	pid = clone(child, stack + sizeof stack, CLONE_SYSVSEM | SIGCHLD, NULL);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return 2;
	id = semget((key_t)strtol(argv[1], NULL, 0), 1, 0);
	printf("status %d value %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1,
	       id < 0 ? -1 : semctl(id, 0, GETVAL));
	return 0;
}
"""

SEM_LOCK = textwrap.dedent(
    """
    import ctypes, os, sys
    libc = ctypes.CDLL(None, use_errno=True)
    key = int(sys.argv[1], 0)
    sid = libc.semget(key, 1, 0o1644)          # IPC_CREAT | 0644: the owner's, readable
    class Sembuf(ctypes.Structure):
        _fields_ = [("num", ctypes.c_ushort), ("op", ctypes.c_short), ("flg", ctypes.c_short)]
    # Value 1 (free), then take it with SEM_UNDO: the kernel gives it back when this
    # process's undo list goes.
    libc.semctl(sid, 0, 16, 1)                  # SETVAL
    take = Sembuf(0, -1, 0x1000 | 0o4000)        # SEM_UNDO | IPC_NOWAIT
    print("TOOK" if libc.semop(sid, ctypes.byref(take), 1) == 0 else "BUSY", flush=True)
    """
)


def test_a_shared_semaphore_undo_list_is_not_the_scripts(inst):
    # A caller that starts ppy with clone(CLONE_SYSVSEM) shares its undo list: the script's
    # SEM_UNDO lock stayed taken after it ended, for as long as the caller lived, and every
    # other caller's launch found it busy. ppy gives the script a list of its own.
    from ppytest import compile_helper
    helper = compile_helper("clonesem", CLONE_SYSVSEM_RUN, inst.base)
    key = "0x5e3a%04x" % (os.getpid() & 0xffff)
    try:
        proc = launch(caller(helper, key, inst.ppy, inst.script(SEM_LOCK), key))
        assert proc.returncode == 0, proc.stderr
        lines = proc.stdout.splitlines()
        assert lines[:2] == [RAN, "TOOK"], proc.stdout + proc.stderr
        assert lines[2] == "status 0 value 1", lines   # given back when the script ended
    finally:
        subprocess.run(["ipcrm", "-S", key], capture_output=True)


def test_the_script_is_not_a_child_subreaper(inst):
    script = inst.script("import ctypes\nv = ctypes.c_int(-1)\n"
                         "ctypes.CDLL(None).prctl(37, ctypes.byref(v), 0, 0, 0)\n"
                         "print('SUBREAPER', v.value)\n")     # PR_GET_CHILD_SUBREAPER
    def subreaper():
        import ctypes
        if ctypes.CDLL(None).prctl(36, 1, 0, 0, 0) != 0:     # PR_SET_CHILD_SUBREAPER
            raise OSError("PR_SET_CHILD_SUBREAPER")
    proc = launch(caller(inst.ppy, script), preexec_fn=subreaper)
    assert proc.returncode == 0, proc.stderr
    assert "SUBREAPER 0" in proc.stdout.splitlines(), proc.stdout
