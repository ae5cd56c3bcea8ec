# SPDX-License-Identifier: LGPL-2.1-or-later
"""Fault injection: every failable call on ppy's launch path fails in turn.

ppy is installed as usual and started by root with tests/robustness/faultshim.c in
LD_PRELOAD (root is not in secure-execution mode, so the loader honours it, and root holds
every capability, so the whole privileged path runs: identity switch, capability sets,
ambient and bounding sets, no_new_privs, the sealed copy, exec). A first run counts every
interposed call of a successful launch; then each call point is made to fail, once per
relevant errno, in a fresh launch.

Each faulted launch must end in one of two ways:
  refused    a documented status (64, 66, 80-88), exactly one "ppy: " line on stderr, the
             script's marker never printed, no report written, execve never called;
  tolerated  the failure cannot weaken the launch (a close that reports an error, a pread
             interrupted and retried, no controlling tty, an unreadable /etc/passwd ...):
             the script ran with exactly its capabilities as its owner. Only the labels in
             TOLERABLE may end this way, each for the reason given there.
Anything else fails the test. It runs twice: without a controlling terminal (every
errno), and with one (a pty; EIO), where ppy must also detach and the script must have
no terminal. The tables are written to build/fault-table-{plain,tty}.txt and summarised
on stdout (run with -s, as `make check-faults` does).
"""
import collections
import concurrent.futures
import errno
import fcntl
import json
import os
import subprocess
import termios

import pytest

from ppytest import OWNER, RAN, REPO, Install

pytestmark = pytest.mark.root

ERRNOS = [errno.EPERM, errno.EAGAIN, errno.ENOMEM, errno.EINTR, errno.EIO]
ALLOC = {"calloc", "strdup", "asprintf", "realpath", "fopen", "fdopendir"}  # ENOMEM only
DOCUMENTED = {64, 66, 80, 81, 82, 83, 84, 85, 86, 87, 88}
TABLE = os.path.join(REPO, "build", "fault-table.txt")

# Labels (or (label, detail suffix)) whose failure a launch may survive, and why that is safe. A tolerated launch is
# still checked: the script must have run as its owner with exactly its capabilities.
TOLERABLE = {
    "close": "the descriptor is released even when close reports an error",
    "fclose": "the stream is released even when fclose reports an error",
    "closedir": "the directory stream is released even when closedir reports an error",
    "pread": "EINTR is retried; the copy is checked against the file afterwards",
    "write": "EINTR is retried (the write into the memfd)",
    "fgetpwent": "an unreadable or short /etc/passwd only means HOME=/ and no USER",
    "fopen": "/etc/passwd unreadable: HOME=/ and no USER",
    "fcntl(F_GETFL)": "a standard descriptor that cannot be queried is replaced by /dev/null",
    "ioctl": "TIOCNOTTY's result is not trusted: ppy reads tty_nr again and refuses if a "
             "controlling terminal remains (the report's tty_nr is checked to be 0)",
    ("open", "/dev/tty"): "one of the ways ppy detaches; judged by tty_nr afterwards, not by "
                          "whether the open worked",
    "fcntl(F_SETLEASE)": "the read-lease probe for writers is the fallback for kernels "
                         "without execveat(AT_EXECVE_CHECK); where that check answered, only "
                         "EAGAIN (a writer exists) refuses",
    "unshare": "unshare(CLONE_SYSVSEM): EPERM is how a container profile refuses it (ENOSYS, "
               "EINVAL: kernels and profiles without it); ppy runs on with the caller's "
               "undo list then (documented); any other error refuses",
    "syscall(prctl)": "the one raw prctl, PR_GET_TIMERSLACK (its answer is the slack, an "
                      "unsigned long): a failure reads like a slack too large to show, so ppy "
                      "sets 50 us, and that prctl(PR_SET_TIMERSLACK) is checked",
    "syscall(rt_sigtimedwait)": "EAGAIN is its answer when no signal is pending (the "
                                "loop's normal end); any other error refuses",
    "syscall(close_range)": "EPERM is how a container profile refuses it (as ENOSYS is how a "
                            "kernel before 5.9 does): ppy closes what /proc/self/fd lists "
                            "instead and reads the list again (the report's fds are checked)",
    "syscall(keyctl)": "EPERM (a container profile refusing keyctl, as Docker's does) or "
                       "ENOSYS (no keys in the kernel): the script cannot reach a keyring "
                       "either; any other error refuses",
    ("lstat", "/etc/ppy.conf"): "only a shortcut for 'there is no configuration': when it "
                                "fails, ppy opens the file through its checked directory, and "
                                "that open decides (no file there: no configuration)",
    ("execve", "fd 4"): "EPERM (a container profile) or ENOSYS (before 3.19) from the "
                        "execveat that starts the interpreter: ppy execs the same descriptor "
                        "through /proc/self/fd/4, on procfs (the report's state is checked)",
    "syscall(execveat)": "EPERM is how a container profile refuses it: ppy then asks with the "
                         "read-lease probe, as on a kernel before 6.14 (the 'old' sweep fails "
                         "each call of that probe in turn)",
}
# The parent ppy leaves behind as the leader of its terminal's session (a pty caller):
# its calls are labelled "leader:LABEL", and tolerated where the same call is.
LEADER = "leader:"

# Points where a failure used to be survived (fail-open bugs in wrapper/ppy.c found by this
# sweep, since fixed); the tests below keep them refusing. (label, detail suffix)
# (Empty now; an entry is reported as "known bug" in the tables, not as BAD, and gets a
# strict-xfail test below until the launcher is fixed.)
KNOWN_BUGS = {
}

# Fail-open points this sweep found and the launcher has since fixed: each must refuse.
REGRESSIONS = {
    ("lstat", "/pyvenv.cfg"): "check_interpreter() took any fstatat (now lstat) error on "
    "INTERPRETER/../../pyvenv.cfg for 'not a virtualenv' and skipped the root-only check "
    "of the environment; only ENOENT means that (fixed in 4a71bf4)",
}

SCRIPT = """
import json, os, sys
st = {}
for line in open("/proc/self/status"):
    k, _, v = line.partition(":")
    st[k] = v.strip()
rep = {k: st[k] for k in ("Uid", "Gid", "Groups", "CapInh", "CapPrm", "CapEff", "CapBnd",
                          "CapAmb", "NoNewPrivs")}
rep["fds"] = sorted(int(f) for f in os.listdir("/proc/self/fd"))
rep["tty_nr"] = open("/proc/self/stat").read().rsplit(")", 1)[1].split()[4]
with open(sys.argv[1], "w") as f:
    json.dump(rep, f)
print(json.dumps(rep))
"""

EXPECTED = {"Uid": "\t".join([str(OWNER)] * 4), "Gid": "\t".join([str(OWNER)] * 4),
            "Groups": "", "CapInh": "%016x" % 0, "CapPrm": "%016x" % (1 << 10),
            "CapEff": "%016x" % 0, "CapBnd": "%016x" % 0, "CapAmb": "%016x" % 0,
            "NoNewPrivs": "1", "tty_nr": "0"}


@pytest.fixture(scope="module")
def setup():
    inst = Install()
    try:   # removed even if a step below fails: it holds a capability-holding ppy
        shim = os.path.join(inst.base, "faultshim.so")
        subprocess.run(["cc", "-O1", "-g", "-shared", "-fPIC", "-Wall", "-Wextra", "-Werror",
                        "-o", shim, os.path.join(REPO, "tests", "robustness", "faultshim.c"),
                        "-ldl"], check=True)
        out = os.path.join(inst.base, "out")
        os.mkdir(out, 0o755)
        os.chown(out, OWNER, OWNER)
        logs = os.path.join(inst.base, "logs")
        os.mkdir(logs, 0o755)
        script = inst.script(SCRIPT, name="faulted.py")
        yield inst, shim, script, out, logs
    finally:
        inst.remove()


def with_ctty(slave):
    """preexec_fn: a new session whose controlling terminal is the pty SLAVE (stdin)."""
    def preexec():
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)
    return preexec


def launch(setup, key, fn=None, nth=1, err=errno.EIO, tty=False, lie=False, groups=None,
           old=False):
    inst, shim, script, out, logs = setup
    log = os.path.join(logs, key + ".log")
    rep = os.path.join(out, key + ".json")
    for p in (log, rep):
        if os.path.exists(p):
            os.unlink(p)
    with open(log, "w"):
        pass
    os.chmod(log, 0o666)  # written after ppy became the script's owner, too
    env = {"LD_PRELOAD": shim, "PPYFAULT_LOG": log}
    if fn:
        env.update(PPYFAULT_FN=fn, PPYFAULT_NTH=str(nth), PPYFAULT_ERRNO=str(err))
    if lie:
        env["PPYFAULT_LIE"] = "1"
    if old:
        env["PPYFAULT_OLD_KERNEL"] = "1"
    if tty:
        master, slave = os.openpty()
        try:
            proc = subprocess.run([inst.ppy, script, rep], capture_output=True, text=True,
                                  env=env, timeout=60, stdin=slave,
                                  preexec_fn=with_ctty(slave))
        finally:
            os.close(slave)
            os.close(master)
    else:
        proc = subprocess.run([inst.ppy, script, rep], capture_output=True, text=True,
                              env=env, timeout=60, extra_groups=groups)
    with open(log) as f:
        events = [line.split(" ", 3) for line in f.read().splitlines()]
    report = None
    if os.path.exists(rep):
        with open(rep) as f:
            report = json.load(f)
    return proc, events, report


def points(events):
    """Every (label, index) of the calls a launch made."""
    return [(e[1], int(e[2])) for e in events if e[0] == "C"]


def tolerable(label, detail):
    if label.startswith(LEADER):
        label = label[len(LEADER):]
    return label in TOLERABLE or (label, detail) in TOLERABLE or any(
        isinstance(k, tuple) and k[0] == label and detail.endswith(k[1]) for k in TOLERABLE)


def known_bug(label, detail):
    return any(label == bl and detail.endswith(suffix) for bl, suffix in KNOWN_BUGS)


def verdict(label, err, proc, events, report, detail="-"):
    """('refused'|'tolerated'|'known bug'|'not reached'|'BAD: why', one-line message)."""
    lines = proc.stderr.splitlines()
    msg = lines[0] if lines else ""
    injected = any(e[0] == "F" for e in events)
    execed = any(e[0] == "E" for e in events)
    starts = sum(1 for e in events if e[0] == "S")
    if starts != 1:
        return "BAD: the shim was loaded %d times (LD_PRELOAD reached the interpreter?)" % starts, msg
    if not injected:
        return "not reached", msg
    if proc.returncode == 0 and report is not None:
        if report != {**EXPECTED, "fds": report.get("fds")} or report["fds"][:3] != [0, 1, 2] \
                or len(report["fds"]) != 4:
            return "BAD: ran with the wrong state: %s" % report, msg
        if known_bug(label, detail):
            return "known bug", msg
        if not tolerable(label, detail):
            return "BAD: ran although %s failed" % label, msg
        return "tolerated", msg
    if proc.returncode not in DOCUMENTED:
        return "BAD: status %d" % proc.returncode, msg
    if RAN in proc.stdout or report is not None:
        return "BAD: script code ran", msg
    if execed:
        return "BAD: execve was called", msg
    if len(lines) != 1 or not msg.startswith("ppy: "):
        return "BAD: stderr is not one ppy: line: %r" % proc.stderr, msg
    return "refused", msg


def sweep(setup, tty, errnos, name, old=False):
    """Count the calls of a good launch, then fail each in turn; print and check the table."""
    proc, events, report = launch(setup, "count-" + name, tty=tty, old=old)
    assert proc.returncode == 0, proc.stderr
    assert report == {**EXPECTED, "fds": report["fds"]}, report
    assert sum(1 for e in events if e[0] == "S") == 1, "the shim was not loaded"
    assert any(e[0] == "E" for e in events), "execve was not seen"
    calls = points(events)
    assert len(calls) == len(set(calls))
    details = {(e[1], int(e[2])): e[3].rstrip() for e in events if e[0] == "C"}
    for must in ("setresuid", "setresgid", "setgroups", "capset", "capng_apply",
                 "prctl(PR_CAP_AMBIENT)", "prctl(PR_CAPBSET_DROP)",
                 "prctl(PR_SET_NO_NEW_PRIVS)", "syscall(close_range)",
                 "syscall(memfd_create)", "fcntl(F_ADD_SEALS)", "fgetxattr", "execve",
                 "open", "fstat", *(["fcntl(F_SETLEASE)"] if old else [])):
        assert any(label == must for label, _ in calls), f"{must} never called: shim or path changed"

    runs = [(label, nth, err) for label, nth in calls for err in errnos(label)]
    jobs = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        for label, nth, err in runs:
            key = "%s-%s-%d-%d" % (name, "".join(c if c.isalnum() else "_" for c in label),
                                   nth, err)
            jobs[(label, nth, err)] = pool.submit(launch, setup, key, label, nth, err, tty,
                                                  old=old)
    rows = []
    for (label, nth, err), job in jobs.items():
        proc, ev, rep = job.result()
        detail = details.get((label, nth), "-")
        what, msg = verdict(label, err, proc, ev, rep, detail)
        rows.append((label, nth, errno.errorcode[err], detail, proc.returncode, what, msg))

    table = TABLE.replace(".txt", "-%s.txt" % name)
    os.makedirs(os.path.dirname(table), exist_ok=True)
    with open(table, "w") as f:
        f.write("function\tcall\terrno\tdetail\tstatus\tresult\tmessage\n")
        for r in rows:
            f.write("\t".join(str(x) for x in r) + "\n")

    per = collections.OrderedDict()
    for label, nth, err, _, status, what, _ in rows:
        s = per.setdefault(label, {"points": set(), "runs": 0, "refused": 0, "tolerated": 0,
                                   "not reached": 0, "known bug": 0, "bad": 0,
                                   "statuses": set()})
        s["points"].add(nth)
        s["runs"] += 1
        key = what if what in ("refused", "tolerated", "not reached", "known bug") else "bad"
        s[key] += 1
        if what == "refused":
            s["statuses"].add(status)
    print("\nfault injection, %s:" % name)
    print("%-28s %6s %5s %8s %9s %7s %5s %4s  %s" % (
        "function", "points", "runs", "refused", "tolerated", "unreach", "known", "BAD",
        "refusal statuses"))
    for label, s in sorted(per.items()):
        print("%-28s %6d %5d %8d %9d %7d %5d %4d  %s" % (
            label, len(s["points"]), s["runs"], s["refused"], s["tolerated"],
            s["not reached"], s["known bug"], s["bad"],
            ",".join(map(str, sorted(s["statuses"])))))
    total = collections.Counter(
        r[5] if r[5] in ("refused", "tolerated", "not reached", "known bug") else "BAD"
        for r in rows)
    print("%s: %d failure points, %d faulted launches: %d refused, %d tolerated, "
          "%d not reached, %d known bug, %d BAD (full table: %s)" % (
              name, len(calls), len(rows), total["refused"], total["tolerated"],
              total["not reached"], total["known bug"], total["BAD"], table))

    bad = [r for r in rows if r[5].startswith("BAD")]
    assert not bad, "\n".join(map(str, bad[:30]))
    # Nearly every point is really reached when faulted (the path is deterministic).
    assert total["not reached"] <= len(rows) // 50, [r for r in rows if r[5] == "not reached"][:20]
    # The calls that switch identity and capabilities are never survived.
    for r in rows:
        if r[0] in ("setresuid", "setresgid", "setgroups", "capset", "capng_apply",
                    "prctl(PR_CAP_AMBIENT)", "prctl(PR_CAPBSET_DROP)",
                    "prctl(PR_SET_NO_NEW_PRIVS)", "syscall(memfd_create)",
                    "fcntl(F_ADD_SEALS)", "execve", "fgetxattr", "fcntl(F_SETLEASE)"):
            if r[0] == "execve" and r[3] == "fd 4" and r[2] == "EPERM":
                continue   # execveat refused: the /proc/self/fd/4 exec (its own point) runs
            assert r[5] == "refused", r
    return calls


def test_every_call_on_the_launch_path_fails_safely(setup):
    """Each call point, each of EPERM, EAGAIN, ENOMEM, EINTR, EIO (ENOMEM only for
    allocating calls); the caller has no controlling terminal."""
    sweep(setup, False, lambda label: [errno.ENOMEM] if label in ALLOC else ERRNOS, "plain")


def test_every_call_fails_safely_on_a_kernel_without_execve_check(setup):
    """As on a kernel before 6.14 (the shim answers AT_EXECVE_CHECK with EINVAL): ppy then
    probes for writers with a read lease once it is the owner, after the identity switch,
    so every call from there on fails in turn too; EIO only (the rest of the path is the
    plain sweep's)."""
    sweep(setup, False, lambda label: [errno.ENOMEM] if label in ALLOC else [errno.EIO],
          "old", old=True)


def test_every_call_fails_safely_with_a_controlling_terminal(setup):
    """The same with the caller in a session whose controlling terminal is a pty, so ppy
    must detach from it (and every call of that step can fail too); EIO only. The script
    must never run with a controlling terminal (tty_nr 0 in its report)."""
    calls = sweep(setup, True, lambda label: [errno.ENOMEM] if label in ALLOC else [errno.EIO],
                  "tty")
    assert any(label == "ioctl" for label, _ in calls), "ppy did not detach from the tty"


@pytest.mark.parametrize("bug", [
    *[pytest.param(b, id="fixed:" + b[0] + b[1]) for b in sorted(REGRESSIONS)],
    *[pytest.param(b, id="known:" + b[0] + b[1],
                   marks=pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[b]))
      for b in sorted(KNOWN_BUGS)]])
def test_fail_open_points_refuse(setup, bug):
    """A failure at each listed point (EIO, ENOMEM, EINTR) is refused, not run through."""
    key = "".join(c if c.isalnum() else "_" for c in bug[0] + bug[1])
    proc, events, _ = launch(setup, "count-" + key)
    where = [(e[1], int(e[2])) for e in events
             if e[0] == "C" and e[1] == bug[0] and e[3].rstrip().endswith(bug[1])]
    if not where:
        pytest.skip("ppy no longer makes this call")
    label, nth = where[0]
    for err in (errno.EIO, errno.ENOMEM, errno.EINTR):
        proc, events, report = launch(setup, "%s-%d" % (key, err), label, nth, err)
        what, msg = verdict(label, err, proc, events, report)
        assert what == "refused", (errno.errorcode[err], what, proc.returncode, msg)


def _last_index(events, label):
    return max(int(e[2]) for e in events if e[0] == "C" and e[1] == label)


@pytest.mark.parametrize("label, which, words", [
    ("setresuid", "first", "user ids are not"),
    ("setresgid", "first", "group ids are not"),
    ("setgroups", "first", "supplementary groups remain"),
    ("capset", "last", "capability sets differ"),
    ("prctl(PR_CAPBSET_DROP)", "first cap", "bounding set still has"),
    ("prctl(PR_CAPBSET_DROP)", "last cap", "bounding set still has"),
    ("prctl(PR_CAPBSET_READ)", "last", "beyond cap_last_cap"),
    ("prctl(PR_SET_NO_NEW_PRIVS)", "first", "no_new_privs"),
])
def test_the_read_back_catches_a_call_that_says_yes_and_does_nothing(setup, label, which,
                                                                      words):
    # The fault sweep makes calls fail; verify_owner() is there for the calls that report
    # success and leave the state as it was. The shim makes one do exactly that
    # (PPYFAULT_LIE): each must stop the launch with 87 and one line, before any exec.
    # The caller has a supplementary group, so a setgroups() that does nothing shows.
    _, events, _ = launch(setup, "lie-count", groups=[OWNER + 7])
    if which.endswith(" cap"):
        # ppy drops 0..cap_last_cap in order, one call each; a drop that does nothing shows
        # only for a capability the caller's bounding set has (containers lack some).
        with open("/proc/self/status") as f:
            bnd = int(next(l for l in f if l.startswith("CapBnd:")).split()[1], 16)
        present = [c for c in range(64) if bnd >> c & 1]
        cap = present[0] if which == "first cap" else present[-1]
        nth, words = cap + 1, "%s %d" % (words, cap)
    else:
        nth = 1 if which == "first" else _last_index(events, label)
    proc, events, report = launch(setup, "lie-%s-%s" % (label, which), label, nth, lie=True,
                                  groups=[OWNER + 7])
    assert any(e[0] == "F" for e in events), "the call was not reached"
    status, msg = verdict(label, 0, proc, events, report)
    assert status == "refused" and proc.returncode == 87, (status, proc.returncode, msg)
    assert "verification failed" in msg and words in msg, msg
