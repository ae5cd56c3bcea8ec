# SPDX-License-Identifier: LGPL-2.1-or-later
"""Helpers for the launcher tests: a throwaway install, capped scripts, runs as other uids.

Everything lives under one root-owned 0755 directory in /var/lib (not /tmp: ppy refuses
scripts and installs below world-writable directories, which is one of the things tested).
"""
import json
import os
import shutil
import subprocess
import tempfile
import textwrap

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTHON = os.environ.get("PPY_PYTHON", "/usr/bin/python3")
OWNER = 4242    # owns the capped scripts (no passwd entry needed)
CALLER = 4343   # an unprivileged user who starts them
RAN = "SCRIPT-CODE-RAN"  # every test script prints this first: its absence proves nothing ran

# Exit statuses documented in the README and `ppy --help`.
EX_USAGE, EX_NOSCRIPT, EX_FILE, EX_DIR, EX_MOUNT, EX_CAPS = 64, 66, 80, 81, 82, 83
EX_CHANGED, EX_CALLER, EX_INSTALL, EX_SYSCALL, EX_BOOT = 84, 85, 86, 87, 88

# A script that reports what it got, as JSON on stdout after the RAN marker.
REPORT = textwrap.dedent(
    """
    import json, os, resource, signal, sys
    status = {}
    for line in open("/proc/self/status"):
        k, _, v = line.partition(":")
        status[k] = v.strip()
    import ppy_py
    print(json.dumps({
        "status": status, "argv": sys.argv, "file": __file__, "environ": dict(os.environ),
        "fds": sorted(int(f) for f in os.listdir("/proc/self/fd")),
        "isolated": sys.flags.isolated, "dont_write_bytecode": sys.dont_write_bytecode,
        "umask": os.umask(0o022), "core": resource.getrlimit(resource.RLIMIT_CORE),
        "stack": resource.getrlimit(resource.RLIMIT_STACK),
        "itimer": signal.getitimer(signal.ITIMER_REAL), "cwd_ok": True,
        "ppy_py": ppy_py.__file__, "name": __name__,
    }))
    """
)


def run(argv, uid=CALLER, gid=None, *, env=None, timeout=60, **kw):
    """Run ARGV as UID:GID with no supplementary groups; return CompletedProcess (text)."""
    gid = uid if gid is None else gid
    cmd = ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups", *argv]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                          env={} if env is None else env, **kw)


def report(proc):
    """The JSON a REPORT script printed; fails the test with ppy's stderr otherwise."""
    assert proc.returncode == 0, f"status {proc.returncode}, stderr: {proc.stderr}"
    lines = proc.stdout.splitlines()
    assert lines and lines[0] == RAN, proc.stdout
    return json.loads(lines[1])


def refused(proc, status, *words):
    """Assert a refusal: the status, one 'ppy: ...' line naming the reason, no script code ran."""
    assert proc.returncode == status, f"status {proc.returncode} != {status}: {proc.stderr}"
    assert RAN not in proc.stdout, "script code ran"
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("ppy: "), proc.stderr
    for w in words:
        assert w in lines[0], f"{w!r} not in {lines[0]!r}"
    return lines[0]


def write_script(path, content, caps="cap_net_bind_service=p"):
    """Write CONTENT (bytes, exactly) at PATH as a script owned by OWNER, mode 0755, with
    CAPS set; return PATH."""
    with open(path, "wb") as f:
        f.write(content)
    os.chown(path, OWNER, OWNER)
    os.chmod(path, 0o755)
    subprocess.run(["setcap", caps, path], check=True)
    return path


def caps_mask(*numbers):
    return sum(1 << n for n in numbers)


class Install:
    """ppy installed with `make install PREFIX=...` into a fresh root-owned directory."""

    def __init__(self, grantable="all"):
        self.base = tempfile.mkdtemp(prefix="ppy-test-", dir="/var/lib")
        os.chmod(self.base, 0o755)
        self.prefix = os.path.join(self.base, "prefix")
        self.ppy = os.path.join(self.prefix, "bin", "ppy")
        self.libdir = os.path.join(self.prefix, "lib", "ppy")
        self.scripts = os.path.join(self.base, "scripts")
        self.conf = os.path.join(self.prefix, "etc", "ppy.conf")   # none until write_conf
        self.count = 0
        try:
            os.mkdir(self.scripts, 0o755)
            subprocess.run(["make", "-s", "-C", REPO, "install", f"PREFIX={self.prefix}",
                            f"PYTHON={PYTHON}", f"GRANTABLE={grantable}"],
                           check=True, capture_output=True, text=True)
        except BaseException:
            self.remove()   # a half-made install leaves no capability-holding ppy behind
            raise

    def write_conf(self, text):
        """Write root's ppy.conf (0644, as ppy requires) with TEXT."""
        os.makedirs(os.path.dirname(self.conf), 0o755, exist_ok=True)
        with open(self.conf, "w") as f:
            f.write(text)
        os.chmod(self.conf, 0o644)

    def script(self, body=REPORT, caps="cap_net_bind_service=p", owner=OWNER, group=None,
               mode=0o755, directory=None, name=None, shebang=True):
        """Write a script owned by OWNER, set CAPS on it (None: none), return its path."""
        self.count += 1
        directory = directory or self.scripts
        path = os.path.join(directory, name or f"s{self.count}.py")
        head = f"#!{self.ppy}\n" if shebang else ""
        with open(path, "w") as f:
            f.write(head + f"print({RAN!r}, flush=True)\n" + body)
        os.chown(path, owner, owner if group is None else group)
        os.chmod(path, mode)
        if caps:
            subprocess.run(["setcap", caps, path], check=True)
        return path

    def launch(self, script, *args, uid=CALLER, **kw):
        return run([self.ppy, script, *args], uid=uid, **kw)

    @property
    def kernelsim(self):
        """tests/kernelsim.c (older kernels and container seccomp profiles, simulated),
        built once into this install's directory."""
        path = os.path.join(self.base, "kernelsim")
        if not os.path.exists(path):
            with open(os.path.join(REPO, "tests", "kernelsim.c")) as f:
                compile_helper("kernelsim", f.read(), self.base)
        return path

    def remove(self):
        subprocess.run(["umount", "-R", "-q", os.path.join(self.base, "mnt")],
                       capture_output=True)
        shutil.rmtree(self.base, ignore_errors=True)


def status_caps(rep, field):
    return int(rep["status"][field], 16)


def compile_helper(name, source, out_dir):
    """Build a small C test helper into OUT_DIR and return its path."""
    src = os.path.join(out_dir, name + ".c")
    exe = os.path.join(out_dir, name)
    with open(src, "w") as f:
        f.write(source)
    subprocess.run(["cc", "-O1", "-o", exe, src], check=True, capture_output=True)
    os.chmod(exe, 0o755)
    return exe
