"""What of the caller's process reaches the script, read back in the script: many
supplementary groups, scheduling (nice, policy, affinity, I/O priority), the limits that
count the owner's account, pending signals, and a cgroup delegated to the caller. The
README's process-state table says what each becomes, and why."""
import json
import os
import platform
import select
import subprocess
import textwrap
import time

import pytest

from ppytest import CALLER, OWNER, PYTHON, RAN, Install, report, run

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


@pytest.fixture(scope="module")
def inst():
    i = Install()
    yield i
    i.remove()


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

def state(proc):
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == RAN, proc.stdout
    return json.loads(lines[1])


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
    got = state(launch(cmd))
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
    got = state(launch(cmd))
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
    got = state(launch(caller("prlimit", "--nproc=50:", "--sigpending=10:", "--memlock=1000:",
                              "--msgqueue=10:", inst.ppy, inst.script(STATE))))
    for name, value in hard.items():
        assert got["limits"][name] == [value, value], (name, got["limits"])
    lowered = state(launch(caller("prlimit", "--nproc=4000:4000", inst.ppy,
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
    got = state(proc)            # SIGUSR1 pending used to kill ppy at its reset
    st = got["status"]
    assert int(st["SigPnd"], 16) == 0 and int(st["ShdPnd"], 16) == 0, st
    assert int(st["SigBlk"], 16) == 0
    assert int(st["SigIgn"], 16) & ((1 << 31) | (1 << 32)) == 0, st["SigIgn"]
