# SPDX-License-Identifier: LGPL-2.1-or-later
"""Binding: the code that runs with capabilities is exactly the content they were set on.

Both tests race real launches against a path swap or a rewrite, and fail if any launch
ran the other content while holding a capability.
"""
import errno
import os
import subprocess
import threading
import time

import pytest

from ppytest import CALLER, EX_CAPS, EX_CHANGED, EX_FILE, OWNER, Install, RAN

pytestmark = pytest.mark.root

SAY = "import sys\nprint(open('/proc/self/status').read().split('CapPrm:')[1].split()[0], {tag!r})\n"
LAUNCHES = 150


@pytest.fixture(scope="module")
def inst():
    i = Install()
    yield i
    i.remove()


def outcomes(procs):
    """(content tag, CapPrm) of each launch that ran, and the statuses of those that did not."""
    ran, statuses = [], []
    for p in procs:
        lines = p.stdout.splitlines()
        if len(lines) >= 2 and lines[0] == RAN:
            cap, tag = lines[1].split()
            ran.append((tag, int(cap, 16)))
        else:
            statuses.append(p.returncode)
    return ran, statuses


def launch_many(argv):
    procs = []
    for _ in range(LAUNCHES):
        procs.append(subprocess.run(["setpriv", f"--reuid={CALLER}", f"--regid={CALLER}",
                                     "--clear-groups", *argv],
                                    capture_output=True, text=True, env={}, timeout=60))
    return procs


def test_symlink_swap_never_runs_other_code_with_caps(inst):
    good = inst.script(SAY.format(tag="GOOD"), name="good.py")
    evil = inst.script(SAY.format(tag="EVIL"), caps=None, name="evil.py")
    link = os.path.join(inst.scripts, "swapped.py")
    os.symlink(good, link)
    stop = threading.Event()

    def swap():
        tmp = link + ".tmp"
        while not stop.is_set():
            for target in (evil, good):
                os.symlink(target, tmp)
                os.rename(tmp, link)

    t = threading.Thread(target=swap)
    t.start()
    try:
        procs = launch_many([inst.ppy, link])
    finally:
        stop.set()
        t.join()
    ran, statuses = outcomes(procs)
    assert ("EVIL", 0x400) not in ran
    assert all(tag == "GOOD" and cap == 0x400 for tag, cap in ran), ran
    # refused: no caps left (83), changed while read (84), or open for writing (80)
    assert set(statuses) <= {EX_CAPS, EX_CHANGED, EX_FILE}, statuses
    assert ran and statuses, "the race was not exercised in both directions"


def test_owner_rewrite_never_runs_new_content_with_caps(inst):
    """The owner overwrites a capped script's last line with new code, while root restores
    and re-setcaps the original in a loop. The new code never held caps. The script is
    4 MB of comments with the changing line last, so a write often lands while ppy is
    copying: only ppy's check after the copy can catch that."""
    padding = ("#" + "x" * 99 + "\n") * 40000
    good, evil = SAY.format(tag="GOOD"), SAY.format(tag="EVIL")
    path = inst.script(padding + good, name="rewritten.py")
    with open(path, "rb") as f:
        offset = f.read().rindex(b"GOOD")
    stop = threading.Event()

    rounds = []

    def churn():
        # While ppy asks the kernel whether it may exec the file (AT_EXECVE_CHECK), the
        # kernel briefly denies write access (ETXTBSY): such a round is simply retried.
        while not stop.is_set():
            # owner: write(2) new code in place (the kernel strips the xattr)
            subprocess.run(["setpriv", f"--reuid={OWNER}", f"--regid={OWNER}", "--clear-groups",
                            "/usr/bin/python3", "-c",
                            "import os,sys; fd=os.open(sys.argv[1], os.O_WRONLY);"
                            "os.pwrite(fd, b'EVIL', int(sys.argv[2])); os.close(fd)",
                            path, str(offset)], capture_output=True)
            time.sleep(0.001)
            # root: restore the blessed content, then bless it again
            fd = None
            while fd is None and not stop.is_set():
                try:
                    fd = os.open(path, os.O_WRONLY)
                except OSError as e:
                    assert e.errno == errno.ETXTBSY, e
                    time.sleep(0.0005)
            if fd is None:
                return
            os.pwrite(fd, b"GOOD", offset)
            os.close(fd)
            subprocess.run(["setcap", "cap_net_bind_service=p", path], check=True)
            rounds.append(1)
            time.sleep(0.001)

    t = threading.Thread(target=churn)
    t.start()
    try:
        procs = launch_many([inst.ppy, path])
    finally:
        stop.set()
        t.join()
    ran, statuses = outcomes(procs)
    assert not [r for r in ran if r[0] == "EVIL" and r[1]], ran
    assert all(tag == "GOOD" and cap == 0x400 for tag, cap in ran), ran
    # refused: no caps left (83), changed while read (84), or open for writing (80)
    assert set(statuses) <= {EX_CAPS, EX_CHANGED, EX_FILE}, statuses
    assert ran and statuses, "the race was not exercised in both directions"
    assert len(rounds) > 20, "the rewriter barely ran: %d rounds" % len(rounds)


def test_a_writer_racing_the_lease_probe_gets_a_refusal_not_a_dead_ppy(inst):
    """ppy probes for writers with a read lease. A writer opening the file while ppy holds
    it makes the kernel signal ppy (SIGIO, which kills by default). Root spins opens for
    writing (O_NONBLOCK: each one starts a lease break and returns at once): every launch
    must run or be refused with status 80 and one line, never die by a signal. (Before
    the fix, about 1 launch in 9 here died by SIGIO, silently.)"""
    path = inst.script(SAY.format(tag="LEASED"), name="leased.py")
    stop = threading.Event()

    def opener():
        while not stop.is_set():
            try:
                os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
            except OSError as e:
                assert e.errno in (errno.EWOULDBLOCK, errno.ETXTBSY), e

    t = threading.Thread(target=opener)
    t.start()
    try:
        procs = [inst.launch(path) for _ in range(LAUNCHES)]
    finally:
        stop.set()
        t.join()
    ran, statuses = outcomes(procs)
    assert all(s >= 0 for s in statuses), sorted(set(statuses))
    assert set(statuses) <= {EX_FILE}, sorted(set(statuses))
    for p in procs:
        if p.returncode == EX_FILE:
            assert len(p.stderr.splitlines()) == 1 and "open for writing" in p.stderr, p.stderr
    assert all(tag == "LEASED" for tag, _ in ran)
    assert ran and statuses, "the race was not exercised in both directions"
