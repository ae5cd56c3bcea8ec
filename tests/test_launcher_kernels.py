"""Kernels from 4.18 on, and container seccomp profiles, simulated on this kernel.

tests/kernelsim.c, started by root, installs a seccomp filter WITHOUT no_new_privs (so file
capabilities still apply) and then runs `setpriv --reuid=CALLER ... ppy SCRIPT`. The filter
makes one system call (or flag) fail at a time, as a kernel without it answers (ENOSYS, or
EINVAL for a flag) or as a container profile that does not know it answers (EPERM), and
then every call and flag newer than a whole kernel: 4.18 (RHEL 8), 5.4, 5.10, 5.15, 6.1,
6.6, 6.12.

The calls come from an ftrace of a launch (raw_syscalls:sys_enter, ppy and its Python
boot, on 6.18): the only ones newer than 4.18 are close_range (5.9), faccessat2 (5.8,
through glibc's faccessat), execveat with AT_EXECVE_CHECK (6.14) and rseq (4.18, glibc).
Each launch either runs the script with exactly its state, read back from
/proc/self/status in the script, or is refused with the documented status and one line
naming the call; never anything in between.
"""
import os
import subprocess

import pytest

from ppytest import (CALLER, EX_BOOT, EX_FILE, EX_SYSCALL, OWNER, REPO, refused, report,
                     status_caps)

pytestmark = pytest.mark.root

NET_BIND = 10
KERNELS = ["4.18", "5.4", "5.10", "5.15", "6.1", "6.6", "6.12"]
SIGTSTP, SIGTTIN, SIGTTOU = 20, 21, 22
NO_EXECVE_CHECK = ["--deny", "execveat:AT_EXECVE_CHECK=EINVAL"]   # any kernel before 6.14


def sim(inst, rules, argv, uid=CALLER, **kw):
    """Run ARGV as UID under the seccomp rules RULES (installed by root, no no_new_privs)."""
    cmd = [inst.kernelsim, *rules, "--", "setpriv", f"--reuid={uid}", f"--regid={uid}",
           "--clear-groups", *argv]
    return subprocess.run(cmd, capture_output=True, text=True, env={}, timeout=60, **kw)


def runs_exactly(proc):
    """The script ran as its owner with exactly cap_net_bind_service permitted, nothing else
    in any set, no_new_privs, and only fds 0-2 (and the one listing /proc/self/fd)."""
    rep = report(proc)
    st = rep["status"]
    assert st["Uid"].split() == [str(OWNER)] * 4 and st["Gid"].split() == [str(OWNER)] * 4
    assert st["Groups"] == ""
    assert status_caps(rep, "CapPrm") == 1 << NET_BIND
    for s in ("CapEff", "CapInh", "CapAmb", "CapBnd"):
        assert status_caps(rep, s) == 0, s
    assert st["NoNewPrivs"] == "1"
    assert st["Seccomp"] == "2"            # the simulation really was in force
    assert rep["fds"] == [0, 1, 2, 3], rep["fds"]
    return rep


def launch_with_inherited_fds(inst, rules, script):
    r, w = os.pipe()
    os.set_inheritable(r, True)
    os.set_inheritable(w, True)
    try:
        return sim(inst, rules, [inst.ppy, script], pass_fds=(r, w))
    finally:
        os.close(r)
        os.close(w)


RUN = "runs"
ONE_CALL = [
    # newer than 4.18, used by ppy: a fallback keeps the guarantee
    ("close_range=ENOSYS", RUN), ("close_range=EPERM", RUN),
    ("faccessat2=ENOSYS", RUN), ("faccessat2=EPERM", RUN),
    ("execveat:AT_EXECVE_CHECK=EINVAL", RUN),
    ("execveat=ENOSYS", RUN), ("execveat=EPERM", RUN),
    # used by glibc or Python; they cope
    ("rseq=ENOSYS", RUN), ("rseq=EPERM", RUN), ("getrandom=ENOSYS", RUN),
    ("getrandom=EPERM", RUN), ("clone3=ENOSYS", RUN), ("clone3=EPERM", RUN),
    ("openat2=EPERM", RUN), ("statx=EPERM", RUN),
    # leases off (fs.leases-enable=0, or a filesystem without them): only needed before 6.14
    ("fcntl:F_SETLEASE=EINVAL", RUN),
    # older than 4.18, so only a profile refuses them: a refusal that names the call
    ("memfd_create=EPERM", (EX_SYSCALL, "memfd_create")),
    ("memfd_create:MFD_ALLOW_SEALING=EINVAL", (EX_SYSCALL, "memfd_create")),
    ("fcntl:F_ADD_SEALS=EINVAL", (EX_SYSCALL, "sealing the script copy")),
    ("fcntl:F_GET_SEALS=EINVAL", (EX_BOOT, "cannot read the script copy")),
    ("prctl:PR_CAP_AMBIENT=EINVAL", (EX_SYSCALL, "ambient")),
]


@pytest.mark.parametrize("rule, expected", ONE_CALL, ids=[r for r, _ in ONE_CALL])
def test_one_call_missing(inst, rule, expected):
    script = inst.script()
    proc = launch_with_inherited_fds(inst, ["--deny", rule], script)
    if expected == RUN:
        runs_exactly(proc)
    else:
        refused(proc, *expected)


def test_no_lease_and_no_execve_check_is_refused_naming_both(inst):
    """Before 6.14 with leases unavailable, ppy cannot tell whether a writer exists."""
    proc = sim(inst, NO_EXECVE_CHECK + ["--deny", "fcntl:F_SETLEASE=EINVAL"],
               [inst.ppy, inst.script()])
    refused(proc, EX_FILE, "cannot tell whether it is open for writing", "AT_EXECVE_CHECK")


@pytest.mark.parametrize("err", ["ENOSYS", "EPERM"])
def test_a_profile_refusing_faccessat2_does_not_hide_the_real_answer(inst, err):
    """glibc's faccessat() tries faccessat2 first and passes a profile's EPERM on as the
    answer; ppy asks the original call, so 'may not execute' stays true and only true."""
    refused(sim(inst, ["--deny", f"faccessat2={err}"], [inst.ppy, inst.script(mode=0o644)]),
            EX_FILE, "may not execute", "Permission denied")


@pytest.mark.parametrize("err", ["ENOSYS", "EPERM"])
@pytest.mark.parametrize("kernel", KERNELS)
def test_whole_kernel(inst, kernel, err):
    """Every call and flag newer than KERNEL missing: ENOSYS as that kernel answers, EPERM
    as a container profile for it answers."""
    script = inst.script()
    runs_exactly(launch_with_inherited_fds(inst, ["--kernel", kernel, "--errno", err], script))
    check = sim(inst, ["--kernel", kernel, "--errno", err], [inst.ppy, "--check", script])
    assert check.returncode == 0 and "would run" in check.stdout, check.stderr


# ------------------------------------------------------------------ writers before 6.14

@pytest.mark.parametrize("how", ["descriptor", "mapping"])
@pytest.mark.parametrize("kernel", ["4.18", "6.1"])
def test_writers_are_refused_without_execve_check(inst, kernel, how):
    """The read-lease fallback still refuses a script some process holds open for writing
    (a descriptor, or only a shared writable mapping), at launch. --check takes no lease
    (see below) and says that a launch checks it."""
    import mmap
    path = inst.script()
    fd = os.open(path, os.O_RDWR)
    m = None
    if how == "mapping":
        m = mmap.mmap(fd, 0, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        os.close(fd)
    try:
        refused(sim(inst, ["--kernel", kernel], [inst.ppy, path]), EX_FILE, "open for writing")
        check = sim(inst, ["--kernel", kernel], [inst.ppy, "--check", path])
        assert check.returncode == 0, check.stderr
        assert (f"ppy: {path}: warning: this kernel cannot say whether the script is open for "
                "writing without a lease, which --check does not take: a launch checks it"
                ) in check.stdout.splitlines(), check.stdout
    finally:
        if m:
            m.close()
        else:
            os.close(fd)
    runs_exactly(sim(inst, ["--kernel", kernel], [inst.ppy, path]))


def parse(line):
    """'SETLEASE arg=0 uid=4242 4242 4242 4242 sigblk=... caller_kill=1' -> dict."""
    head, _, rest = line.partition(" ")
    out, key = {}, None
    for word in rest.split(" "):
        if "=" in word:
            key, _, value = word.partition("=")
            out[key] = value
        else:
            out[key] += " " + word
    return out


@pytest.mark.parametrize("mode", ["launch", "check"])
def test_no_lease_at_all_where_the_kernel_answers(inst, mode):
    """With AT_EXECVE_CHECK (6.14+) ppy takes no lease: nothing a caller could stop it in."""
    path = inst.script()
    argv = [inst.ppy, path] if mode == "launch" else [inst.ppy, "--check", path]
    log = os.path.join(inst.base, "lease-" + mode)
    proc = sim(inst, ["--notify-lease", log, "--caller", str(CALLER)], argv)
    assert proc.returncode == 0, proc.stderr
    assert not os.path.exists(log) or open(log).read() == ""


def test_check_takes_no_lease_before_6_14(inst):
    """A dry run needs no lease: a caller who could freeze ppy (a delegated cgroup) while it
    held one would hold up root's and the owner's writes to the script for
    lease-break-time. --check does not become the owner either."""
    path = inst.script()
    log = os.path.join(inst.base, "lease-old-check")
    if os.path.exists(log):
        os.unlink(log)
    proc = sim(inst, NO_EXECVE_CHECK + ["--notify-lease", log, "--caller", str(CALLER)],
               [inst.ppy, "--check", path])
    assert proc.returncode == 0 and "would run" in proc.stdout, proc.stderr
    assert "a launch checks it" in proc.stdout
    assert not os.path.exists(log) or open(log).read() == ""


def test_the_lease_is_held_only_as_the_owner_with_stop_signals_blocked(inst):
    """Before 6.14 ppy probes with a read lease. Each fcntl(F_SETLEASE) is stopped in the
    kernel (seccomp user notification) and looked at: ppy must already be the owner (all
    four uids), so the caller cannot signal it (kill(pid, 0) from the caller's uid: EPERM),
    and the terminal's stop signals (SIGTSTP, SIGTTIN, SIGTTOU) must be blocked. Otherwise
    a caller who stops ppy while it holds the lease blocks root's and the owner's
    open(O_WRONLY) for lease-break-time (45 s). (Before the fix: the lease was taken with
    the caller's uid, with CAP_LEASE raised, and any signal reached it.)"""
    path = inst.script()
    argv = [inst.ppy, path]
    log = os.path.join(inst.base, "lease-old-launch")
    if os.path.exists(log):
        os.unlink(log)
    proc = sim(inst, NO_EXECVE_CHECK + ["--notify-lease", log, "--caller", str(CALLER)], argv)
    runs_exactly(proc)
    calls = [parse(line) for line in open(log).read().splitlines()]
    assert [c["arg"] for c in calls] == ["0", "2"], calls      # F_RDLCK, then F_UNLCK
    for c in calls:
        assert c["uid"].split() == [str(OWNER)] * 4, c
        assert c["caller_kill"] == "1", c                         # EPERM
        blocked = int(c["sigblk"], 16)
        for sig in (SIGTSTP, SIGTTIN, SIGTTOU):
            assert blocked >> (sig - 1) & 1, (sig, c)


HOLDER = r"""
import fcntl, os, signal, sys, time
F_SETLEASE = 1024
fd = os.open(sys.argv[1], os.O_RDONLY)
signal.signal(signal.SIGURG, signal.SIG_IGN)
fcntl.fcntl(fd, fcntl.F_SETSIG, signal.SIGURG)
fcntl.fcntl(fd, F_SETLEASE, fcntl.F_RDLCK)
print("HELD", flush=True)
sys.stdin.readline()            # root has started a lease break
sys.stdin.readline()            # the test saw it in /proc/locks and starts ppy: count now
time.sleep(float(sys.argv[2]))
fcntl.fcntl(fd, F_SETLEASE, fcntl.F_UNLCK)
print("RELEASED", flush=True)
sys.stdin.readline()
"""


@pytest.mark.parametrize("hold", [0.03, None], ids=["let-go-soon", "never-let-go"])
def test_a_lease_break_in_progress_is_not_reported_as_a_writer(inst, hold):
    """Before 6.14 the read lease also fails (EAGAIN) while another process's lease on the
    file is being broken, even once the writer that broke it has given up (O_NONBLOCK), and
    no process has the file open for writing at all. ppy waits a little for the holder
    (often another launch) to let go and then runs; if it does not, the refusal says what
    is going on, not 'open for writing'. (Before the fix: 'open for writing' at once.)"""
    path = inst.script()
    holder = subprocess.Popen(["/usr/bin/python3", "-c", HOLDER, path, str(hold or 3600)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "HELD\n"
        with pytest.raises(BlockingIOError):          # a writer comes and gives up
            os.open(path, os.O_WRONLY | os.O_NONBLOCK)
        holder.stdin.write("broken\n")
        holder.stdin.flush()
        with open("/proc/locks") as f:
            assert " BREAKING " in f.read()
        # The holder's countdown starts only now: a busy machine that held this process
        # up for more than HOLD before it read /proc/locks found the lease gone already.
        holder.stdin.write("go\n")
        holder.stdin.flush()
        proc = sim(inst, NO_EXECVE_CHECK, [inst.ppy, path])
        if hold:
            runs_exactly(proc)
            assert holder.stdout.readline() == "RELEASED\n"
        else:
            line = refused(proc, EX_FILE, "lease on it is being broken", "try again")
            assert "open for writing by" not in line
    finally:
        holder.kill()
        holder.wait()


OLD_SYSCALL_H = """/* <sys/syscall.h> as a 4.18-era system has it: nothing newer than Linux 4.18 */
#include_next <sys/syscall.h>
#undef SYS_close_range
#undef __NR_close_range
#undef SYS_faccessat2
#undef __NR_faccessat2
#undef SYS_openat2
#undef __NR_openat2
#undef SYS_clone3
#undef __NR_clone3
#undef SYS_pidfd_open
#undef __NR_pidfd_open
"""


def test_ppy_builds_with_headers_older_than_the_calls_it_uses(tmp_path):
    """RHEL 8's headers (Linux 4.18) declare neither close_range nor faccessat2 nor
    AT_EXECVE_CHECK: ppy.c must build, with the project's flags, and run."""
    inc = tmp_path / "include" / "sys"
    inc.mkdir(parents=True)
    (inc / "syscall.h").write_text(OLD_SYSCALL_H)
    flags = subprocess.run(["make", "-s", "-C", REPO, "-f", "Makefile", "-f", "-",
                            "print-flags"], input="print-flags:\n\t@echo $(CFLAGS) $(HARDEN) "
                           "$(CONF) @@ $(LDHARDEN)\n", capture_output=True, text=True)
    assert flags.returncode == 0, flags.stderr
    cflags, ldflags = flags.stdout.split("@@")
    out = tmp_path / "ppy"
    build = subprocess.run(["cc", "-I", str(tmp_path / "include"), *cflags.split(), "-o", str(out),
                            os.path.join(REPO, "wrapper", "ppy.c"), *ldflags.split(),
                            "-lcap-ng"], capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    assert subprocess.run([str(out), "--version"], capture_output=True).returncode == 0
