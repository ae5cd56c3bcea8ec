# SPDX-License-Identifier: LGPL-2.1-or-later
"""Helpers for the ppy_py library tests (tests/test_lib_*.py).

Tests that change credentials never do it in the pytest process: they run in
a forked child (``in_child``) or in a fresh /usr/bin/python3 (``run_python``,
optionally under ``setpriv`` to start as a non-root uid holding chosen
capabilities).  The child reports what the *kernel* says, read from
/proc/thread-self/status, and the parent asserts on that.
"""

import inspect
import json
import os
import subprocess
import sys
import textwrap
import traceback

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTHON = os.environ.get("PPY_PYTHON", "/usr/bin/python3")
STATUS_MASKS = ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")

if REPO not in sys.path:
    sys.path.insert(0, REPO)


def status(path="/proc/thread-self/status"):
    """The kernel's view: Cap* fields as ints, plus NoNewPrivs, Uid, Gid, Groups."""
    out = {}
    with open(path) as f:
        for line in f:
            key, _, value = line.partition(":")
            value = value.strip()
            if key in STATUS_MASKS:
                out[key] = int(value, 16)
            elif key == "NoNewPrivs":
                out[key] = int(value)
            elif key in ("Uid", "Gid"):
                out[key] = [int(v) for v in value.split()]
            elif key == "Groups":
                out[key] = sorted(int(v) for v in value.split())
    return out


def bit(cap):
    return 1 << int(cap)


def _single_threaded():
    """Wait (up to a second) until a thread an earlier test joined has left the kernel too:
    join() returns before the thread is gone from /proc, and a fork meanwhile is a fork of
    a multi-threaded process (Python 3.12+ warns)."""
    import time

    for _ in range(1000):
        with open("/proc/self/status") as f:
            if any(line == "Threads:\t1\n" for line in f):
                return
        time.sleep(0.001)
    raise AssertionError("another thread is still running: the child would be forked from "
                         "a multi-threaded process")


def in_child(func, *args):
    """Run ``func(*args)`` in a forked child and return its (JSON) result.

    An exception in the child is re-raised in the parent as AssertionError
    carrying the child's traceback, so a failing assertion still fails the
    test with its message.
    """
    _single_threaded()
    read_fd, write_fd = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # child: never return into pytest
        code = 0
        try:
            os.close(read_fd)
            try:
                payload = {"ok": func(*args)}
            except BaseException:
                payload = {"error": traceback.format_exc()}
                code = 1
            data = json.dumps(payload).encode()
            while data:
                data = data[os.write(write_fd, data):]
        finally:
            os._exit(code)
    os.close(write_fd)
    chunks = []
    while True:
        chunk = os.read(read_fd, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(read_fd)
    _, wait_status = os.waitpid(pid, 0)
    raw = b"".join(chunks)
    if not raw:
        raise AssertionError("child died without reporting (wait status %#x)" % wait_status)
    payload = json.loads(raw)
    if "error" in payload:
        raise AssertionError("in the child:\n" + payload["error"])
    assert os.waitstatus_to_exitcode(wait_status) == 0
    return payload["ok"]


def run_python(code, *, setpriv=None, check=True, env=None, timeout=60):
    """Run ``code`` in a fresh ``/usr/bin/python3 -I`` with the repo on sys.path.

    ``setpriv`` is a list of setpriv(1) options to start under, e.g.
    ``["--reuid=4242", "--regid=4242", "--clear-groups",
    "--inh-caps=+net_bind_service", "--ambient-caps=+net_bind_service"]``.
    The code's last stdout line must be JSON; it is returned parsed.
    """
    prologue = "import sys; sys.path.insert(0, %r)\n" % REPO
    argv = [PYTHON, "-I", "-c", prologue + textwrap.dedent(code)]
    if setpriv is not None:
        argv = ["setpriv"] + list(setpriv) + ["--"] + argv
    proc = subprocess.run(
        argv, capture_output=True, text=True, env=env or {"PATH": "/usr/bin:/bin"}, timeout=timeout
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            "child exited %d\nstdout:\n%s\nstderr:\n%s" % (proc.returncode, proc.stdout, proc.stderr)
        )
    lines = proc.stdout.strip().splitlines()
    result = json.loads(lines[-1]) if lines else None
    if not check:
        return proc.returncode, result, proc.stderr
    return result


# Prepended to run_python code: the same status() reader inside the child, from its source.
STATUS_SNIPPET = (
    "\nimport json, os\nSTATUS_MASKS = %r\n" % (STATUS_MASKS,)
    + inspect.getsource(status)
)

ONE_CAP_NOBODY = [
    "--reuid=4242",
    "--regid=4242",
    "--clear-groups",
    "--inh-caps=+net_bind_service",
    "--ambient-caps=+net_bind_service",
]
