# SPDX-License-Identifier: LGPL-2.1-or-later
"""Load: 2,000 launches of a capped script from two callers, 16 at a time, while root
rewrites the script and sets its capabilities again, in a loop.

The script is 1 MB of comments, then a fixed-width version tag and a print of it. Root's loop writes
a tag nobody blessed ("EVIL.."), then a new version ("V00042"), records that version as
blessed and only then sets the capability xattr again (a write strips it); every tenth
round it truncates and rewrites the whole file instead. Every launch must either run
blessed content holding exactly cap_net_bind_service, with fds 0-2 only, or be refused
(83: no caps at that moment, 84: changed while ppy read it, 80: open for writing at
that moment) with one "ppy:" line.
Nothing else, ever. Before and after: zombies, this process's descriptors and
ppy-script memfds anywhere on the machine are counted and must not grow.

Runs with `make check-load` (PPY_LOAD=1, as CI does); skipped otherwise, to keep
`make test` short.
"""
import concurrent.futures
import errno
import os
import threading
import time

import pytest

from ppytest import CALLER, EX_CAPS, EX_CHANGED, EX_FILE, RAN, Install, run

LAUNCHES = int(os.environ.get("PPY_LOAD_LAUNCHES", "2000"))
IN_FLIGHT = 16
CALLERS = (CALLER, CALLER + 1)
PADDING = ("#" + "x" * 99 + "\n") * 10000     # 1 MB: a rewrite often lands mid-copy
BODY = ("import os\n"
        "TAG = 'V00000'\n"
        "print(open('/proc/self/status').read().split('CapPrm:')[1].split()[0],"
        " ','.join(sorted(os.listdir('/proc/self/fd'))), TAG)\n")

pytestmark = [
    pytest.mark.root,
    pytest.mark.slow,
    pytest.mark.skipif(not os.environ.get("PPY_LOAD"), reason="load test: make check-load"),
]


def zombies(parent=None):
    """Zombies on the machine, or only PARENT's."""
    n = 0
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/stat") as f:
                    state, ppid = f.read().rsplit(")", 1)[1].split()[:2]
                if state == "Z" and (parent is None or int(ppid) == parent):
                    n += 1
            except OSError:
                pass
    return n


def memfds():
    n = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                try:
                    if "memfd:ppy-script" in os.readlink(f"/proc/{pid}/fd/{fd}"):
                        n += 1
                except OSError:
                    pass
        except OSError:
            pass
    return n


def my_fds():
    return len(os.listdir("/proc/self/fd"))


def test_concurrent_launches_while_root_rewrites_and_recaps():
    inst = Install()
    try:
        _run(inst)
    finally:
        inst.remove()


def _run(inst):
    path = inst.script(PADDING + BODY, name="loaded.py")   # the tag is near the end
    with open(path, "rb") as f:
        content = f.read()
    offset = content.index(b"V00000")
    caps = os.getxattr(path, "security.capability")
    blessed = {"V00000"}
    stop = threading.Event()
    rounds = [0]
    busy = [0]

    def open_w():
        # ppy's writer probe (execveat AT_EXECVE_CHECK) denies writes for a moment.
        while True:
            try:
                return os.open(path, os.O_WRONLY)
            except OSError as e:
                if e.errno != errno.ETXTBSY:
                    raise
                busy[0] += 1
                time.sleep(0.0002)

    def churn():
        k = 0
        while not stop.is_set():
            k += 1
            fd = open_w()
            os.pwrite(fd, b"EVIL%02d" % (k % 100), offset)        # never blessed
            os.close(fd)
            time.sleep(0.0005)
            tag = "V%05d" % (k % 100000)
            new = content[:offset] + tag.encode() + content[offset + 6:]
            fd = open_w()
            if k % 10 == 0:                                       # whole-file rewrite
                os.ftruncate(fd, 0)
                os.pwrite(fd, new, 0)
            else:
                os.pwrite(fd, tag.encode(), offset)
            os.close(fd)
            blessed.add(tag)                                      # before the caps
            os.setxattr(path, "security.capability", caps)
            rounds[0] = k
            time.sleep(0.002)

    z0, f0, m0 = zombies(), my_fds(), memfds()
    t = threading.Thread(target=churn)
    t.start()
    start = time.monotonic()
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=IN_FLIGHT) as pool:
            procs = list(pool.map(lambda i: (CALLERS[i % 2], run([inst.ppy, path],
                                                                  uid=CALLERS[i % 2])),
                                  range(LAUNCHES)))
    finally:
        stop.set()
        t.join()
    elapsed = time.monotonic() - start
    for _ in range(50):          # other users' ppy launches may hold one for a moment
        z1, f1, m1 = zombies(), my_fds(), memfds()
        if m1 == 0 and z1 <= z0:
            break
        time.sleep(0.1)
    mine = zombies(os.getpid())

    ran, refused, bad = [], {}, []
    for uid, p in procs:
        lines = p.stdout.splitlines()
        if p.returncode == 0 and len(lines) == 2 and lines[0] == RAN:
            cap, fds, tag = lines[1].split()
            ran.append((uid, tag, int(cap, 16), fds))
            if tag not in blessed or int(cap, 16) != 0x400 or fds not in ("0,1,2,3", "0,1,2"):
                bad.append(("ran", uid, tag, cap, fds))
        elif (p.returncode in (EX_CAPS, EX_CHANGED) or
              (p.returncode == EX_FILE and "open for writing" in p.stderr)) and \
                RAN not in p.stdout and len(p.stderr.splitlines()) == 1 and \
                p.stderr.startswith("ppy: "):
            refused[p.returncode] = refused.get(p.returncode, 0) + 1
        else:
            bad.append(("other", uid, p.returncode, p.stdout[:200], p.stderr[:300]))

    print(f"\nload: {LAUNCHES} launches from uids {CALLERS}, {IN_FLIGHT} in flight, "
          f"{elapsed:.1f} s, {rounds[0]} rewrite+setcap rounds by root "
          f"({busy[0]} writes retried on ETXTBSY)")
    print(f"load: ran {len(ran)} (all blessed content, CapPrm=0x400), refused {refused}, "
          f"bad {len(bad)}; distinct versions run: {len({r[1] for r in ran})}")
    print(f"load: zombies {z0} -> {z1} (children of this process: {mine}), test-process "
          f"fds {f0} -> {f1}, ppy-script memfds on the machine {m0} -> {m1}")
    assert not bad, bad[:10]
    assert ran and refused, "the race was not exercised in both directions"
    assert {r[0] for r in ran} == set(CALLERS)
    assert mine == 0 and z1 <= z0 and f1 == f0 and m1 <= m0
