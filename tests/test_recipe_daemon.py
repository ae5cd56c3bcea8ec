# SPDX-License-Identifier: LGPL-2.1-or-later
"""recipes/daemon_drop.py, run as the README says: started as root, drops to nobody with
ppy_py.drop_privileges(keep=["net_bind_service"]), binds port 80 afterwards, serves once."""
import os
import select
import subprocess
import time
import urllib.request

import pytest

from ppytest import REPO

pytestmark = pytest.mark.root
ADDR = "127.0.0.4"   # a loopback address of its own: other suites bind 127.0.0.1:80
NET_BIND_SERVICE = 1 << 10
LOCKED = 0x2f        # NOROOT, NO_SETUID_FIXUP and their locks, KEEP_CAPS_LOCKED (KEEP_CAPS off)


def lines_until(proc, want, timeout=20):
    """stdout lines of PROC up to the one containing WANT; kill PROC and fail otherwise."""
    got, end = [], time.monotonic() + timeout
    while time.monotonic() < end:
        ready, _, _ = select.select([proc.stdout], [], [], max(0, end - time.monotonic()))
        line = proc.stdout.readline() if ready else ""
        if not line:
            break
        got.append(line.rstrip("\n"))
        if want in line:
            return got
    proc.kill()
    raise AssertionError("no %r in %r; stderr: %s" % (want, got, proc.stderr.read()))


def test_daemon_drops_to_nobody_then_binds_port_80():
    proc = subprocess.Popen(
        ["/usr/bin/python3", os.path.join(REPO, "recipes", "daemon_drop.py"),
         "--user", "nobody", "--bind", ADDR, "--port", "80", "--once"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd="/",
        env={"PYTHONPATH": REPO, "PATH": "/usr/bin:/bin"})
    try:
        out = lines_until(proc, "serving on")
        body = urllib.request.urlopen("http://%s:80/" % ADDR, timeout=10).read().decode()
        assert proc.wait(timeout=10) == 0, proc.stderr.read()
    finally:
        proc.kill()
        proc.wait()
    assert body == "hello from uid 65534, permitted: cap_net_bind_service\n"
    assert out[-1] == "serving on %s:80, effective capabilities: none" % ADDR

    mine = dict(line.split(": ", 1) if ": " in line else (line.rstrip(":"), "")
                for line in out if not line.startswith("child "))
    child = dict(line[len("child "):].split(": ", 1) if ": " in line
                 else (line[len("child "):].rstrip(":"), "")
                 for line in out if line.startswith("child "))
    assert mine["Uid"] == mine["Gid"] == "65534 65534 65534 65534"
    assert mine["Groups"] == ""
    assert int(mine["CapPrm"], 16) == NET_BIND_SERVICE
    assert int(mine["CapEff"], 16) == 0       # raised only around bind()
    assert int(mine["CapInh"], 16) == int(mine["CapAmb"], 16) == 0
    assert int(mine["CapBnd"], 16) == 0
    assert mine["NoNewPrivs"] == "1"
    assert int(mine["Securebits"], 16) == LOCKED
    assert mine["setuid(0)"].startswith("refused")
    # a child process holds nothing and cannot get root back
    assert child["Uid"] == child["Gid"] == "65534 65534 65534 65534"
    assert child["Groups"] == ""
    for key in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        assert int(child[key], 16) == 0, key
    assert child["NoNewPrivs"] == "1"
    assert child["setuid(0)"].startswith("refused")


def test_daemon_refuses_to_start_unprivileged():
    proc = subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3",
         os.path.join(REPO, "recipes", "daemon_drop.py"), "--bind", ADDR, "--once"],
        capture_output=True, text=True, env={"PYTHONPATH": REPO}, cwd="/", timeout=30)
    assert proc.returncode == 1
    assert proc.stderr == "daemon_drop: start me as root: I drop to --user myself\n"
    assert proc.stdout == ""
