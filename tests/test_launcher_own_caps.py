"""ppy's own privileges in containers: what it needs, and every reason the kernel gives less.

ppy needs cap_setuid, cap_setgid and cap_setpcap besides what it grants: all three are in
Docker's (containerd's, Kubernetes') default bounding set, so a capped script runs there
without --cap-add. When the kernel gave ppy less than it needs, the refusal names the cause,
read from the kernel: the capability the bounding set lacks, no_new_privs, a tracer, shared
filesystem state, or ppy's own file on a nosuid mount.
"""
import os
import subprocess

import pytest

from ppytest import (CALLER, EX_CALLER, EX_INSTALL, OWNER, Install, compile_helper,
                     refused, report, status_caps)

pytestmark = pytest.mark.root

NET_BIND = 10
DOCKER_CAPS = ["chown", "dac_override", "fsetid", "fowner", "mknod", "net_raw", "setgid",
               "setuid", "setfcap", "setpcap", "net_bind_service", "sys_chroot", "kill",
               "audit_write"]
DOCKER = "-all," + ",".join("+" + c for c in DOCKER_CAPS)


def as_caller(inst, bounding, argv, before_6_14=False, **kw):
    """ARGV as the caller, whose bounding set root reduced first (as a container runtime
    does); optionally as on a kernel without AT_EXECVE_CHECK."""
    cmd = ["setpriv", f"--bounding-set={bounding}", f"--reuid={CALLER}", f"--regid={CALLER}",
           "--clear-groups", *argv]
    if before_6_14:
        cmd = [inst.kernelsim, "--deny", "execveat:AT_EXECVE_CHECK=EINVAL", "--", *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, env={}, timeout=60, **kw)


def runs_exactly(proc, caps=1 << NET_BIND):
    rep = report(proc)
    st = rep["status"]
    assert st["Uid"].split() == [str(OWNER)] * 4 and st["Groups"] == ""
    assert status_caps(rep, "CapPrm") == caps
    for s in ("CapEff", "CapInh", "CapAmb", "CapBnd"):
        assert status_caps(rep, s) == 0, s
    assert st["NoNewPrivs"] == "1"


@pytest.mark.parametrize("before_6_14", [False, True], ids=["this-kernel", "before-6.14"])
@pytest.mark.parametrize("bounding", [DOCKER, "-lease"], ids=["docker-default", "no-cap_lease"])
def test_the_container_default_bounding_set_is_enough(inst, bounding, before_6_14):
    """Docker's default bounding set (no cap_lease), on this kernel and on one without
    AT_EXECVE_CHECK, where the writer probe takes a read lease as the script's owner
    instead of borrowing CAP_LEASE. (Before: 85, 'the kernel withheld ppy's own
    capabilities (the caller shares its filesystem state, ...)'.)"""
    path = inst.script()
    runs_exactly(as_caller(inst, bounding, [inst.ppy, path], before_6_14))
    check = as_caller(inst, bounding, [inst.ppy, "--check", path], before_6_14)
    assert check.returncode == 0 and "would run" in check.stdout, check.stderr


def test_ppy_itself_is_given_no_cap_lease():
    small = Install(grantable="cap_net_bind_service")
    try:
        got = subprocess.run(["getcap", small.ppy], capture_output=True, text=True).stdout
        assert got.split()[-1] == "cap_setgid,cap_setuid,cap_setpcap,cap_net_bind_service=p"
        runs_exactly(small.launch(small.script()))
    finally:
        small.remove()


@pytest.mark.parametrize("bounding, caps, missing", [
    (DOCKER, "cap_net_admin=p", "cap_net_admin"),                  # a script's capability
    (DOCKER, "cap_net_bind_service,cap_sys_time=p", "cap_sys_time"),
    ("-setpcap", "cap_net_bind_service=p", "cap_setpcap"),          # one ppy needs itself
    ("-setuid", "cap_net_bind_service=p", "cap_setuid"),
    ("-setgid,-setpcap", "cap_net_bind_service=p", "cap_setgid,cap_setpcap"),
])
def test_a_capability_the_bounding_set_lacks_is_named(inst, bounding, caps, missing):
    proc = as_caller(inst, bounding, [inst.ppy, inst.script(caps=caps)])
    line = refused(proc, EX_CALLER, "the caller's bounding set lacks %s," % missing, "--cap-add=")
    assert "withheld" not in line


def test_ppy_on_a_nosuid_mount_says_so(inst):
    """ppy's own binary on a nosuid mount (here: a bind mount of its bin/ with nosuid, in a
    mount namespace of its own): the kernel ignores its file capabilities."""
    bindir = os.path.dirname(inst.ppy)
    proc = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c",
         f'mount --bind "$0" "$0" && mount -o remount,bind,nosuid "$0" && exec setpriv '
         f'--reuid={CALLER} --regid={CALLER} --clear-groups "$1" "$2"',
         bindir, inst.ppy, inst.script()], capture_output=True, text=True, env={})
    refused(proc, EX_INSTALL, "ppy's own file %s is on a nosuid mount" % inst.ppy)


CLONE_FS = r"""
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
static char **args;
static int child(void *arg) { (void)arg; execv(args[0], args); return 99; }
int main(int argc, char **argv) {
    static char stack[1 << 16];
    int st;
    (void)argc;
    args = argv + 1;
    pid_t pid = clone(child, stack + sizeof stack, CLONE_FS | SIGCHLD, NULL);
    if (pid < 0) return 98;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
"""


def test_shared_filesystem_state_names_the_process_that_shares_it(inst):
    """The kernel withholds file capabilities from an exec whose filesystem state (cwd,
    root, umask) is shared with another process (clone(CLONE_FS)); ppy finds that process
    by the umask /proc shows for it."""
    helper = compile_helper("clonefs", CLONE_FS, inst.base)
    proc = subprocess.Popen(["setpriv", f"--reuid={CALLER}", f"--regid={CALLER}",
                             "--clear-groups", helper, inst.ppy, inst.script()],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={})
    out, err = proc.communicate(timeout=60)
    done = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    refused(done, EX_CALLER, "shares its filesystem state", "as process %d does" % proc.pid)
