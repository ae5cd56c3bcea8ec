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
