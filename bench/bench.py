#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""ppy benchmarks: ppy against the tools a user would pick instead, side by side, in one run.

    sudo make bench                 # or: sudo /usr/bin/python3 bench/bench.py [--quick]

Prints the tables and writes them to bench/results.md (raw samples: bench/results/last.json).
Needs root: it installs ppy into a throwaway prefix, creates two system accounts, sets file
capabilities and starts the alternatives (setpriv, capsh, runuser, sudo) the way root does.

What is measured (everything interleaved: each repetition runs every variant of a section
once, in a fresh random order; medians; ratios to the baseline of the same run):

* launcher: a hello-world script and one that binds 127.0.0.1:80 inside ppy_py.raised(),
  run by `python3 -I` as the caller (baseline), by ppy and by its #! line (started by the
  caller), and by setpriv, capsh, runuser and sudo (started by root, switching to the
  caller). Each variant is run once and checked (exit 0, expected output, which names the
  uid) before it is timed.
* scaling: ppy against the baseline as the script grows (1 KiB .. 10 MiB) and as the number
  of arguments and environment variables grows (up to ARG_MAX).
* library: import cost (wall clock, interleaved, and -X importtime) of ppy_py, python-prctl,
  pyprctl and libcap-ng's capng; ns per raise/lower, per context-manager round trip, per
  current() and per file-capability read, one process per library and run, after warm-up,
  against a C program calling capset(2)/capget(2)/getxattr(2) and libcap-ng directly; and
  ns per prctl get/set call of python-prctl, ppy_py.compat and ppy_py (bench/prctlbench.py).

Launches are timed by bench/runner.py (perf_counter_ns around posix_spawn + waitpid), one
runner per identity, so root-started and caller-started variants are timed by the same code;
its overhead is measured with /bin/true and reported.
"""
import argparse
import datetime
import json
import os
import platform
import pwd
import random
import re
import shutil
import signal
import stat
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
PYTHON = "/usr/bin/python3"          # what ppy is built for and every variant runs
OWNER, OWNER_NAME = 4252, "ppy-bench-svc"   # owns the capped scripts (ppy runs them as it)
CALLER, CALLER_NAME = 4353, "ppy-bench"     # the unprivileged user who starts them
CAP = "cap_net_bind_service"
# The port-80 script binds this loopback address, not 127.0.0.1: tests running on the same
# machine listen on 127.0.0.1:80, and a listener there makes every bind fail.
ADDR = "127.0.0.2"
ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
       "LANG": "C.UTF-8"}
PYPRCTL = "pyprctl==0.1.3"
DEBS = {  # command or file -> Debian package
    "/usr/bin/sudo": "sudo", "/usr/sbin/capsh": "libcap2-bin", "/usr/sbin/setcap": "libcap2-bin",
    "/usr/bin/setpriv": "util-linux", "/usr/sbin/runuser": "util-linux", "/usr/bin/cc": "gcc",
    "/usr/include/cap-ng.h": "libcap-ng-dev", "/usr/lib/python3/dist-packages/prctl.py":
    "python3-prctl", "/usr/lib/python3/dist-packages/capng.py": "python3-cap-ng",
    "/usr/lib/python3/dist-packages/cffi": "python3-cffi", "/usr/lib/python3.11/ensurepip":
    "python3-venv", "/usr/bin/make": "make",
}

HELLO = 'import os, sys\nprint("hello from uid %d, %d args" % (os.getuid(), len(sys.argv) - 1))\n'
PORT80 = '''import os, socket, sys
sys.path.append(%(lib)r)  # where ppy_py is installed (ppy's boot has already added it)
import ppy_py
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
with ppy_py.raised("net_bind_service"):
    s.bind((%(addr)r, 80))
print("bound %%s:%%d as uid %%d" %% (s.getsockname() + (os.getuid(),)))
s.close()
'''
# What ppy_boot.py does before the script's first line, run by plain python3 -I -B: the
# difference to ppy is then the C launcher's share, the difference to the baseline Python's.
BOOTLIKE = '''import os, sys
sys.path.insert(0, %(lib)r)
import _ppy_sys as _sys
e, p, i = _sys.capget()
assert _sys.capset(0, p, 0) == 0
assert _sys.prctl(_sys.PR_CAP_AMBIENT, _sys.PR_CAP_AMBIENT_CLEAR_ALL) == 0
assert _sys.prctl(_sys.PR_SET_DUMPABLE, 0) == 0
assert _sys.tty_nr() == 0
assert _sys.capget() == (0, p, 0) and _sys.prctl(_sys.PR_GET_DUMPABLE) == 0
fd = os.open(__file__, os.O_RDONLY)
code = _sys.compile(os.pread(fd, os.fstat(fd).st_size, 0), os.fsencode(__file__))
os.close(fd)
import site
site.main()
print("hello from uid %%d, %%d args" %% (os.getuid(), len(sys.argv) - 1))
'''


# ----------------------------------------------------------------------------- helpers

def log(*a):
    print(*a, file=sys.stderr, flush=True)


def sh(*cmd, **kw):
    kw.setdefault("check", True)
    return subprocess.run(list(cmd), **kw)


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def quart(xs):
    if len(xs) < 4:
        return (min(xs), max(xs)) if xs else (float("nan"),) * 2
    q = statistics.quantiles(xs, n=4)
    return q[0], q[2]


def ms(ns):
    return ns / 1e6


def delta_ci(v, base, resamples=400):
    """95% bootstrap interval of median(v) - median(base), resampling whole rounds (sample i
    of both lists comes from the same interleaved round)."""
    a, b = v.ns, base.ns
    n = min(len(a), len(b))
    if n < 5:
        return float("nan"), float("nan")
    rnd = random.Random(1)
    ds = []
    for _ in range(resamples):
        idx = [rnd.randrange(n) for _ in range(n)]
        ds.append(med([a[i] for i in idx]) - med([b[i] for i in idx]))
    ds.sort()
    return ds[int(0.025 * resamples)], ds[int(0.975 * resamples) - 1]


def fmt_delta(v, base):
    lo, hi = delta_ci(v, base)
    return "%+.2f [%+.2f, %+.2f]" % (ms(v.median_ - base.median_), ms(lo), ms(hi))


# ----------------------------------------------------------------------------- set-up

def ensure_debs():
    missing = sorted({pkg for path, pkg in DEBS.items() if not os.path.exists(path)})
    if missing:
        log("bench: installing Debian packages:", " ".join(missing))
        sh("apt-get", "update", "-qq")
        sh("apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing,
           env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"), stdout=subprocess.DEVNULL)


def ensure_account(uid, name):
    try:
        pw = pwd.getpwuid(uid)
    except KeyError:
        try:
            pwd.getpwnam(name)
            sys.exit("bench: account %s exists with another uid than %d" % (name, uid))
        except KeyError:
            pass
        log("bench: creating system account %s (uid %d)" % (name, uid))
        sh("useradd", "--system", "--uid", str(uid), "--user-group", "--no-create-home",
           "--home-dir", "/", "--shell", "/usr/sbin/nologin", name)
        return
    if pw.pw_name != name:
        sys.exit("bench: uid %d belongs to %s, not %s; free it or change bench.py" %
                 (uid, pw.pw_name, name))


def write_script(path, body, caps=CAP + "=p"):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(body)
    os.chown(tmp, OWNER, OWNER)
    os.chmod(tmp, 0o755)
    os.rename(tmp, path)
    sh("setcap", caps, path)


def bench_dir(path):
    """PATH as /var/lib/NAME, if that is what it names; the bench exits before it creates,
    changes or removes anything otherwise. (Directly under /var/lib: ppy refuses scripts
    below world-writable directories such as /tmp.)"""
    name = path[len("/var/lib/"):].strip("/") if path.startswith("/var/lib/") else ""
    if not name or "/" in name or name in (".", ".."):
        sys.exit("bench: --dir must be a directory directly under /var/lib, not %r" % path)
    return "/var/lib/" + name


MARKER = ".ppy-bench"   # in the work directory: the bench made it


def claim_dir(base):
    """BASE as the bench's own directory: made here (root's, 0755, with MARKER in it), or
    made by an earlier run. Anything else (a symlink, a file, a directory of another user,
    one writable by group or others, one the bench did not make) is refused before the
    bench builds in it, changes it or removes anything from it."""
    try:
        os.mkdir(base, 0o755)
    except FileExistsError:
        st = os.lstat(base)
        if (not stat.S_ISDIR(st.st_mode) or st.st_uid != 0 or st.st_mode & 0o022
                or not os.path.isfile(os.path.join(base, MARKER))):
            sys.exit("bench: %s exists and is not the bench's own directory (a root-owned "
                     "directory, writable by root only, holding %s); choose another --dir"
                     % (base, MARKER))
        return
    os.chown(base, 0, 0)
    os.chmod(base, 0o755)
    with open(os.path.join(base, MARKER), "x"):
        pass


def capable_programs(base):
    """The programs under BASE that the bench gives file capabilities (which may not exist):
    ppy, the --compare commit's ppy, execfloor."""
    return [os.path.join(base, "prefix", "bin", "ppy"),
            os.path.join(base, "prefix-compare", "bin", "ppy"),
            os.path.join(base, "execfloor")]


def drop_capabilities(base):
    """Leave no capability-holding program, and no capability-marked script, behind."""
    for path in capable_programs(base):
        if os.path.exists(path):
            sh("setcap", "-r", path, check=False, stderr=subprocess.DEVNULL)
    shutil.rmtree(os.path.join(base, "scripts"), ignore_errors=True)


class Setup:
    def __init__(self, base, install=True, worktree=False, compare=None):
        self.base = base
        self.prefix = os.path.join(base, "prefix")
        self.ppy, compare_ppy, self.execfloor = capable_programs(base)
        self.lib = os.path.join(self.prefix, "lib", "ppy", "python")
        self.scripts = os.path.join(base, "scripts")
        self.venv_py = os.path.join(base, "venv", "bin", "python")
        self.capfloor = os.path.join(base, "capfloor")
        ensure_debs()
        ensure_account(OWNER, OWNER_NAME)
        ensure_account(CALLER, CALLER_NAME)
        caps = sh("getcap", self.ppy, capture_output=True, text=True, check=False).stdout \
            if os.path.exists(self.ppy) else ""
        if install or "=p" not in caps:
            # The committed tree by default: the results then name one commit, and the
            # build does not touch (or race with) the shared work tree's wrapper/ppy.
            src = REPO if worktree else self.export_head()
            log("bench: make -C %s install PREFIX=%s" % (src, self.prefix))
            sh("make", "-s", "-C", src, "install", "PREFIX=" + self.prefix, "PYTHON=" + PYTHON,
               stdout=subprocess.DEVNULL)
        if not os.path.exists(os.path.join(base, "venv", "lib", "python3.11", "site-packages",
                                           "pyprctl")):
            log("bench: venv with %s (system site packages: python3-prctl, python3-cap-ng)" %
                PYPRCTL)
            sh(PYTHON, "-m", "venv", "--system-site-packages", os.path.join(base, "venv"))
            sh(self.venv_py, "-m", "pip", "install", "-q", "--disable-pip-version-check",
               PYPRCTL)
        sh("cc", "-O2", "-Wall", "-Wextra", "-o", self.capfloor,
           os.path.join(HERE, "capfloor.c"), "-lcap-ng")
        os.chmod(self.capfloor, 0o755)
        self.compare = self.compare_ppy = None
        if compare:
            # Another commit, installed beside HEAD and timed in the same interleaving: the
            # honest way to say how much faster (or slower) a change made ppy.
            rev = sh("git", "-C", REPO, "rev-parse", "--short", compare, capture_output=True,
                     text=True).stdout.strip()
            prefix = os.path.dirname(os.path.dirname(compare_ppy))
            src = self.export(rev, os.path.join(base, "src-compare"))
            log("bench: make -C %s install PREFIX=%s (--compare %s)" % (src, prefix, rev))
            sh("make", "-s", "-C", src, "install", "PREFIX=" + prefix, "PYTHON=" + PYTHON,
               stdout=subprocess.DEVNULL)
            self.compare, self.compare_ppy = rev, compare_ppy
        sh("cc", "-O2", "-Wall", "-Wextra", "-o", self.execfloor,
           os.path.join(HERE, "execfloor.c"))
        os.chmod(self.execfloor, 0o755)
        sh("setcap", "cap_net_bind_service=p", self.execfloor)
        if os.path.isdir(self.scripts):
            shutil.rmtree(self.scripts)
        os.mkdir(self.scripts, 0o755)
        head = "#!%s\n" % self.ppy
        self.hello = self.script("hello.py", head + HELLO)
        self.port80 = self.script("port80.py", head + PORT80 % {"lib": self.lib, "addr": ADDR})
        self.bootlike = self.script("bootlike.py", head + BOOTLIKE % {"lib": self.lib})
        self.sized = {}
        for size in SIZES:
            body = head + HELLO      # then comment lines (80 bytes) up to exactly SIZE
            line = "# " + "x" * 77 + "\n"
            pad = size - len(body)
            body += line * (pad // len(line))
            if pad % len(line):
                body += "#" * (pad % len(line) - 1) + "\n"
            self.sized[size] = self.script("size-%d.py" % size, body)
            assert os.path.getsize(self.sized[size]) == size, size

    def export_head(self):
        return self.export("HEAD", os.path.join(self.base, "src"))

    def export(self, rev, src):
        shutil.rmtree(src, ignore_errors=True)
        os.mkdir(src, 0o755)
        tar = sh("git", "-C", REPO, "archive", rev, capture_output=True).stdout
        sh("tar", "-x", "-C", src, input=tar)
        return src

    def script(self, name, body):
        path = os.path.join(self.scripts, name)
        write_script(path, body)
        return path


# ----------------------------------------------------------------------------- runners

class Runner:
    """A bench/runner.py process with one identity; spawns and times what it is sent."""

    def __init__(self, name, prefix):
        with open(os.path.join(HERE, "runner.py")) as f:
            src = f.read()
        self.name = name
        self.proc = subprocess.Popen(prefix + [PYTHON, "-I", "-c", src], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, cwd="/", env=ENV)

    def call(self, argv, reps=1, capture=False, env=None, **extra):
        req = dict(argv=argv, env=ENV if env is None else env, reps=reps, capture=capture,
                   **extra)
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            sys.exit("bench: runner %s died" % self.name)
        return json.loads(line)

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


def start_runners():
    ids = ["setpriv", "--reuid=%d" % CALLER, "--regid=%d" % CALLER, "--clear-groups"]
    runners = {
        "root": Runner("root", []),
        "caller": Runner("caller", ids),
        "caller+amb": Runner("caller+amb", ids + ["--inh-caps=+net_bind_service",
                                                  "--ambient-caps=+net_bind_service"]),
    }
    want = {"root": (0, 0), "caller": (CALLER, 0), "caller+amb": (CALLER, 1 << 10)}
    for name, r in runners.items():
        st = r.call(["/bin/cat", "/proc/self/status"], capture=True)["out"]
        uid = int(re.search(r"^Uid:\s+(\d+)", st, re.M).group(1))
        amb = int(re.search(r"^CapAmb:\s+([0-9a-f]+)", st, re.M).group(1), 16)
        if (uid, amb) != want[name]:
            sys.exit("bench: runner %s is uid %d with ambient %#x, expected %s" %
                     (name, uid, amb, want[name]))
    return runners


# ----------------------------------------------------------------------------- variants

class Variant:
    def __init__(self, key, label, runner, argv, expect, group, started_by=None, **extra):
        self.key, self.label, self.runner, self.argv = key, label, runner, argv
        self.expect, self.group, self.extra = expect, group, extra
        self.started_by = started_by or {"root": "root", "caller": "caller",
                                         "caller+amb": "caller (+ambient cap)"}[runner]
        self.ns, self.status = [], []
        self.verified = None

    def verify(self, runners):
        r = runners[self.runner].call(self.argv, capture=True, **self.extra)
        out = r["out"].strip()
        ok = r["status"] == [0] and (self.expect is None or out == self.expect)
        self.verified = dict(ok=ok, status=r["status"][0], out=out[-300:],
                             err=r["err"].strip()[-300:])
        return ok

    def run(self, runners, reps=1):
        r = runners[self.runner].call(self.argv, reps=reps, **self.extra)
        self.ns += r["ns"]
        self.status += r["status"]

    @property
    def failures(self):
        return sum(1 for s in self.status if s != 0)

    def summary(self):
        lo, hi = quart(self.ns)
        return dict(key=self.key, label=self.label, group=self.group, runner=self.runner,
                    argv=self.argv, n=len(self.ns), median=med(self.ns), q1=lo, q3=hi,
                    failures=self.failures, verified=self.verified, extra=self.extra)


def interleave(variants, runners, reps, reps_of=None, label=""):
    """Each round runs every variant (that still wants samples) once, in a random order."""
    reps_of = reps_of or {}
    want = {v.key: reps_of.get(v.key, reps) for v in variants}
    rounds = max(want.values())
    t0 = time.monotonic()
    for i in range(rounds):
        todo = [v for v in variants if want[v.key] > i]
        random.shuffle(todo)
        for v in todo:
            v.run(runners)
        if (i + 1) % max(1, rounds // 10) == 0:
            log("bench: %s round %d/%d (%.0f s)" % (label, i + 1, rounds, time.monotonic() - t0))


def capsh_argv(script):
    keep = 1 << 10
    every = (1 << (int(open("/proc/sys/kernel/cap_last_cap").read()) + 1)) - 1
    drop = sh("capsh", "--decode=%#x" % (every & ~keep), capture_output=True,
              text=True).stdout.strip().split("=", 1)[1]
    return ["/usr/sbin/capsh", "--drop=" + drop, "--inh=" + CAP, "--keep=1",
            "--gid=%d" % CALLER, "--groups=", "--uid=%d" % CALLER, "--caps=%s+eip" % CAP,
            "--addamb=" + CAP, "--no-new-privs", "--shell=" + PYTHON, "--", "-I", script]


def setpriv_argv(script):
    return ["/usr/bin/setpriv", "--reuid=%d" % CALLER, "--regid=%d" % CALLER, "--clear-groups",
            "--inh-caps=-all,+net_bind_service", "--ambient-caps=-all,+net_bind_service",
            "--bounding-set=-all,+net_bind_service", "--no-new-privs", PYTHON, "-I", script]


def launcher_variants(s):
    vs = []
    for group, script, who in (("hello", s.hello, None), ("port80", s.port80, None)):
        def exp(uid, n=0):
            if group == "hello":
                return "hello from uid %d, %d args" % (uid, n)
            return "bound %s:80 as uid %d" % (ADDR, uid)
        base_runner = "caller" if group == "hello" else "caller+amb"
        vs += [
            Variant(group + ":baseline", "python3 -I script (baseline)", base_runner,
                    [PYTHON, "-I", script], exp(CALLER), group),
            Variant(group + ":ppy", "ppy script", "caller", [s.ppy, script], exp(OWNER), group),
            Variant(group + ":shebang", "script (its #! line runs ppy)", "caller", [script],
                    exp(OWNER), group),
            *([Variant(group + ":compare", "ppy script, ppy at %s (--compare)" % s.compare,
                       "caller", [s.compare_ppy, script], exp(OWNER), group)]
              if s.compare else []),
            Variant(group + ":setpriv", "setpriv --reuid --regid --clear-groups --inh-caps "
                    "--ambient-caps --bounding-set --no-new-privs python3 -I", "root",
                    setpriv_argv(script), exp(CALLER), group),
            Variant(group + ":capsh", "capsh --drop --inh --keep=1 --gid --groups= --uid --caps "
                    "--addamb --no-new-privs --shell=python3 -- -I", "root", capsh_argv(script),
                    exp(CALLER), group),
        ]
        if group == "hello":  # runuser and sudo cannot give a capability: hello only
            vs += [
                Variant(group + ":runuser", "runuser -u USER -- python3 -I", "root",
                        ["/usr/sbin/runuser", "-u", CALLER_NAME, "--", PYTHON, "-I", script],
                        exp(CALLER), group),
                Variant(group + ":sudo", "sudo -u USER -- python3 -I", "root",
                        ["/usr/bin/sudo", "-u", CALLER_NAME, "--", PYTHON, "-I", script],
                        exp(CALLER), group),
            ]
    vs += [
        Variant("ref:true-root", "/bin/true (driver overhead, root runner)", "root",
                ["/bin/true"], "", "ref"),
        Variant("ref:true-caller", "/bin/true (driver overhead, caller runner)", "caller",
                ["/bin/true"], "", "ref"),
        Variant("ref:true-amb", "/bin/true (driver overhead, caller+ambient runner)",
                "caller+amb", ["/bin/true"], "", "ref"),
        Variant("ref:check", "ppy --check hello (the C checks, no Python)", "caller",
                [s.ppy, "--check", s.hello], None, "ref"),
        Variant("ref:bootlike", "python3 -I -S -B doing ppy_boot.py's work, then hello", "caller",
                [PYTHON, "-I", "-S", "-B", s.bootlike], exp_hello(CALLER), "ref"),
        Variant("ref:execfloor", "execfloor python3 -I hello: a file-capability program that "
                "only execs (bench/execfloor.c)", "caller",
                [s.execfloor, PYTHON, "-I", s.hello], exp_hello(CALLER), "ref"),
    ]
    return vs


def exp_hello(uid, n=0):
    return "hello from uid %d, %d args" % (uid, n)


def negative_checks(s, runners):
    """runuser and sudo cannot hand a capability to the script: show that the port-80
    script fails under them, so the table's n/a is measured, not assumed."""
    out = {}
    for key, argv in (("runuser", ["/usr/sbin/runuser", "-u", CALLER_NAME, "--", PYTHON, "-I",
                                   s.port80]),
                      ("sudo", ["/usr/bin/sudo", "-u", CALLER_NAME, "--", PYTHON, "-I",
                                s.port80])):
        r = runners["root"].call(argv, capture=True)
        last = (r["err"].strip().splitlines() or [""])[-1]
        out[key] = dict(status=r["status"][0], err=last[-200:])
    return out


# ----------------------------------------------------------------------------- scaling

SIZES = [1 << 10, 10 << 10, 100 << 10, 1 << 20, 10 << 20]
ARGLEN = 16


def count_points(arg_max):
    top = (arg_max - 8192) // (ARGLEN + 1 + 8)   # each: 16 chars, NUL, a pointer
    return [0, 16, 256, 4096, 32768, top]


def scale_variants(s, arg_max):
    vs = []
    for size in SIZES:
        tag = "%d KiB" % (size >> 10) if size < 1 << 20 else "%d MiB" % (size >> 20)
        vs.append(Variant("size:%d:baseline" % size, tag, "caller",
                          [PYTHON, "-I", s.sized[size]], exp_hello(CALLER), "size"))
        vs.append(Variant("size:%d:ppy" % size, tag, "caller", [s.ppy, s.sized[size]],
                          exp_hello(OWNER), "size"))
    for n in count_points(arg_max):
        vs.append(Variant("args:%d:baseline" % n, n, "caller", [PYTHON, "-I", s.hello],
                          exp_hello(CALLER, n), "args", nargs=n, arglen=ARGLEN))
        vs.append(Variant("args:%d:ppy" % n, n, "caller", [s.ppy, s.hello],
                          exp_hello(OWNER, n), "args", nargs=n, arglen=ARGLEN))
        vs.append(Variant("args:%d:true" % n, n, "caller", ["/bin/true"], "", "args",
                          nargs=n, arglen=ARGLEN))
    for n in count_points(arg_max):
        vs.append(Variant("env:%d:baseline" % n, n, "caller", [PYTHON, "-I", s.hello],
                          exp_hello(CALLER), "env", nenv=n, envlen=ARGLEN))
        vs.append(Variant("env:%d:ppy" % n, n, "caller", [s.ppy, s.hello],
                          exp_hello(OWNER), "env", nenv=n, envlen=ARGLEN))
        vs.append(Variant("env:%d:true" % n, n, "caller", ["/bin/true"], "", "env",
                          nenv=n, envlen=ARGLEN))
    return vs


def scale_reps(vs, reps):
    """Fewer repetitions for the big scripts (a 10 MiB launch takes ~0.1-0.2 s)."""
    out = {}
    for v in vs:
        if v.group == "size":
            size = int(v.key.split(":")[1])
            out[v.key] = max(5, reps // {1 << 20: 3, 10 << 20: 8}.get(size, 1))
        else:
            out[v.key] = reps
    return out


# ----------------------------------------------------------------------------- library

IMPORTS = {
    "ppy_py": ("import ppy_py", "import ppy_py; ppy_py.current()"),
    "python-prctl": ("import prctl", "import prctl; prctl.get_caps((prctl.ALL_CAPS, "
                     "(prctl.CAP_EFFECTIVE, prctl.CAP_PERMITTED, prctl.CAP_INHERITABLE)))"),
    "pyprctl": ("import pyprctl", "import pyprctl; pyprctl.CapState.get_current()"),
    "capng": ("import capng", "import capng; capng.capng_get_caps_process()"),
}
C_NS_GUESS = {"toggle-capset": 1500, "toggle-rmw": 2000, "toggle-capng": 2000,  # sizing only
              "current-capget": 500, "current-full": 20000, "current-capng": 30000,
              "file-getxattr": 3000, "file-capng": 5000}
PYLIBS = ["ppy_py", "python-prctl", "pyprctl", "capng"]
C_OPS = {"toggle": ["toggle-capset", "toggle-rmw", "toggle-capng"],
         "current": ["current-capget", "current-full", "current-capng"],
         "file": ["file-getxattr", "file-capng"]}


def import_variants(s):
    env = dict(ENV, PYTHONPATH=s.lib)
    vs = [Variant("imp:pass", "python -c pass (baseline)", "caller", [s.venv_py, "-c", "pass"],
                  "", "import", env=env)]
    for lib in PYLIBS:
        for kind, code in zip(("import", "ready"), IMPORTS[lib]):
            vs.append(Variant("imp:%s:%s" % (lib, kind), lib, "caller",
                              [s.venv_py, "-c", code], "", kind, env=env))
    return vs


def importtime(s, runners, rounds):
    """-X importtime: microseconds of the top-level imports that `-c pass` does not do."""
    env = dict(ENV, PYTHONPATH=s.lib)

    def top(code):
        err = runners["caller"].call([s.venv_py, "-X", "importtime", "-c", code], capture=True,
                                     env=env)["err"]
        res = {}
        for line in err.splitlines():
            m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( +)(\S+)", line)
            if m and len(m.group(3)) == 1:
                res[m.group(4)] = int(m.group(2))
        return res, err

    out = {}
    jobs = [(lib, kind, code) for lib in PYLIBS for kind, code in zip(("import", "ready"),
                                                                      IMPORTS[lib])]
    samples = {(lib, kind): [] for lib, kind, _ in jobs}
    detail = {}
    for _ in range(rounds):
        random.shuffle(jobs)
        base, _ = top("pass")
        for lib, kind, code in jobs:
            res, err = top(code)
            samples[(lib, kind)].append(sum(v for k, v in res.items() if k not in base))
            detail[(lib, kind)] = err
    for key, xs in samples.items():
        out["%s:%s" % key] = med(xs)
    return out, detail


def collect(runner, argv, what, prefix, samples, notes, per_run=None):
    """Run a bench script that prints one JSON object, {operation: [ns per op of each
    batch] or why it was not measured}; add its samples (or per_run(samples), one value
    for the run) and notes under PREFIX + operation, or note under WHAT that it failed."""
    r = runner.call(argv, capture=True)
    if r["status"] != [0]:
        notes[what] = "failed (status %s): %s" % (r["status"], r["err"][-300:])
        return
    for op, val in json.loads(r["out"]).items():
        if isinstance(val, str):
            notes[prefix + op] = val
        else:
            samples.setdefault(prefix + op, []).extend([per_run(val)] if per_run else val)


def library_throughput(s, runners, rounds, batches, target_ms):
    """Per round, one process per Python library and per C operation, in random order."""
    jobs = [("py", lib) for lib in PYLIBS + ["os"]] + \
           [("c", op) for ops in C_OPS.values() for op in ops]
    samples = {}
    notes = {}
    t0 = time.monotonic()
    for i in range(rounds):
        random.shuffle(jobs)
        for kind, what in jobs:
            if kind == "py":
                argv = [s.venv_py, "-I", os.path.join(HERE, "libbench.py"), what, str(batches),
                        str(target_ms), s.hello, s.lib]
                collect(runners["caller+amb"], argv, what, what + ":", samples, notes)
            else:
                ops = max(2, int(target_ms * 1e6 / C_NS_GUESS[what]))
                r = runners["caller+amb"].call([s.capfloor, what, str(batches), str(ops),
                                                s.hello], capture=True)
                if r["status"] != [0]:
                    notes["c:" + what] = "failed: %s" % r["err"].strip()
                    continue
                samples.setdefault("c:" + what, []).extend(float(x) for x in r["out"].split())
        log("bench: library round %d/%d (%.0f s)" % (i + 1, rounds, time.monotonic() - t0))
    return {k: med(v) for k, v in samples.items()}, {k: len(v) for k, v in samples.items()}, \
        notes


PRCTL_LIBS = ["python-prctl", "compat", "ppy_py"]
# operation (python-prctl's name) -> the ppy_py call timed beside it
PRCTL_PPY = {
    "get_dumpable": "dumpable()", "set_dumpable": "set_dumpable(True)",
    "get_keepcaps": "keep_caps()", "set_keepcaps": "set_keep_caps(False)",
    "get_no_new_privs": "no_new_privs()", "get_name": "process_name()",
    "set_name": "set_process_name(...)", "get_pdeathsig": "pdeathsig()",
    "set_pdeathsig": "set_pdeathsig(0)", "get_child_subreaper": "child_subreaper()",
    "set_child_subreaper": "set_child_subreaper(False)", "get_timerslack": "timerslack()",
    "set_timerslack": "set_timerslack(50000)", "get_timing": "timing()",
    "set_timing": "set_timing(\"statistical\")", "get_thp_disable": "thp_disable()",
    "set_thp_disable": "set_thp_disable(False)", "get_tsc": "tsc()",
    "set_tsc": "set_tsc(\"enable\")", "get_mce_kill": "mce_kill()",
    "set_mce_kill": "set_mce_kill(\"default\")", "get_seccomp": "seccomp_mode()",
    "get_securebits": "securebits.get()",
    "get_speculation_ctrl": "speculation_ctrl(\"store_bypass\")",
    "capbset_read": "in_bounding(Cap.KILL)", "capbset.kill": "in_bounding(Cap.KILL)",
    "set_proctitle": "set_proctitle(...)",
}


def prctl_throughput(s, runners, rounds, batches, target_ms):
    """Per round: one process timing python-prctl, ppy_py.compat and ppy_py batch by batch
    in random order, and one per library for set_proctitle, in random order
    (bench/prctlbench.py: every call checked against the kernel before it is timed)."""
    jobs = ["all"] + PRCTL_LIBS
    samples, notes = {}, {}
    t0 = time.monotonic()
    for i in range(rounds):
        random.shuffle(jobs)
        for lib in jobs:
            argv = [s.venv_py, "-I", os.path.join(HERE, "prctlbench.py"), lib, str(batches),
                    str(target_ms), s.lib]
            # Calls of 0.2 us against a machine shared with other work: a batch that another
            # process preempted is a few times slower. The fastest batch of each library in a
            # run is its least disturbed; the median over runs of that is reported.
            collect(runners["caller"], argv, lib, "", samples, notes, per_run=min)
        log("bench: prctl round %d/%d (%.0f s)" % (i + 1, rounds, time.monotonic() - t0))
    return {k: med(v) for k, v in samples.items()}, {k: len(v) for k, v in samples.items()}, \
        notes


def prctl_report(rep, thr, counts, notes, goals):
    rep.add("### prctl get/set calls, beside python-prctl", "",
            "Nanoseconds per call, as uid %d: each run is one process that times the three "
            "libraries batch by batch in random order (set_proctitle: a process per library, "
            "since python-prctl crashes once another library has written the argument area); "
            "each cell is the median over runs of a run's fastest batch (a call takes about "
            "0.2 µs; a batch that another process preempted is several times slower). python-prctl is Debian's python3-prctl; "
            "compat is `ppy_py.compat.prctl`, the same calls; ppy_py is its own API, whose "
            "setters read the value back from the kernel in the same C call (one prctl more). "
            "Each call's answer is checked against the kernel's view (/proc) before it is "
            "timed. In brackets: × python-prctl." % CALLER, "")
    rows, slower = [], {"compat": [], "ppy_py get": [], "ppy_py set": []}
    for op in PRCTL_PPY:
        real = thr.get("python-prctl:" + op)
        row = [op, PRCTL_PPY[op], fmt_ns(real) if real else notes.get("python-prctl:" + op, "–")]
        for lib in ("compat", "ppy_py"):
            got = thr.get("%s:%s" % (lib, op))
            if got is None or real is None:
                row.append(notes.get("%s:%s" % (lib, op), notes.get(lib, "–")))
                continue
            row.append("%s (%.2f×)" % (fmt_ns(got), got / real))
            if got > real:
                key = lib if lib == "compat" else "ppy_py " + ("set" if op.startswith("set")
                                                               else "get")
                slower[key].append("%s %.2f×" % (op, got / real))
        rows.append(row)
    rep.table(["python-prctl call", "ppy_py call", "python-prctl ns", "ppy_py.compat ns",
               "ppy_py ns"], rows)
    rep.add("Runs per cell: %s." % ", ".join(sorted(set("%d" % n for n in counts.values()))),
            "")
    measured = [op for op in PRCTL_PPY if "python-prctl:" + op in thr]
    for key, label in (("compat", "ppy_py.compat"), ("ppy_py get", "ppy_py getters"),
                       ("ppy_py set", "ppy_py setters (checked: one prctl more)")):
        goals.append(("prctl: %s at least as fast as python-prctl's same call" % label,
                      bool(measured) and not slower[key],
                      ("slower: " + ", ".join(slower[key])) if slower[key] else
                      "all %d measured calls" % len([op for op in measured
                                                     if key == "compat" or
                                                     op.startswith("set") == (key == "ppy_py set")])))


def fmt_ns(ns):
    return "%.0f" % ns


# ----------------------------------------------------------------------------- apps

VENV_SIZES = (1000, 10000, 50000)
FLASK = "Flask==3.1.3"      # as tests/apps/requirements.txt pins it
FLASK_SCRIPT = ('import os, time\nt = time.perf_counter_ns()\nimport flask\n'
                'print("imported flask in %d ns as uid %d" % (time.perf_counter_ns() - t, '
                'os.getuid()))\n')


def padded_venv(path, files):
    """A root-owned venv whose site-packages holds FILES extra files (500 a directory),
    made once and kept in the bench directory."""
    mark = os.path.join(path, ".ppy-bench-files")
    if os.path.exists(mark) and open(mark).read() == str(files):
        return os.path.join(path, "bin", "python")
    shutil.rmtree(path, ignore_errors=True)
    sh(PYTHON, "-m", "venv", "--without-pip", path)
    site = sh(os.path.join(path, "bin", "python"), "-c",
              "import sysconfig; print(sysconfig.get_path('purelib'))", capture_output=True,
              text=True).stdout.strip()
    pad = os.path.join(site, "ppy_bench_pad")
    for i in range(files):
        d = os.path.join(pad, "d%03d" % (i // 500))
        if i % 500 == 0:
            os.makedirs(d, 0o755)
        with open(os.path.join(d, "m%05d.py" % i), "w") as f:
            f.write("X = %d\n" % i)
    with open(mark, "w") as f:
        f.write(str(files))
    return os.path.join(path, "bin", "python")


def flask_venv(path):
    mark = os.path.join(path, ".ppy-bench-flask")
    if not os.path.exists(mark) or open(mark).read() != FLASK:
        shutil.rmtree(path, ignore_errors=True)
        sh(PYTHON, "-m", "venv", path)
        sh(os.path.join(path, "bin", "pip"), "install", "-q", "--disable-pip-version-check",
           FLASK)
        with open(mark, "w") as f:
            f.write(FLASK)
    return os.path.join(path, "bin", "python")


def app_variants(s):
    """Hello under the built-in interpreter and under venvs of growing size (ppy walks no
    venv at launch); a script importing Flask under ppy and under the same interpreter
    without it."""
    pythons = {n: padded_venv(os.path.join(s.base, "venv-%d" % n), n) for n in VENV_SIZES}
    flask_py = flask_venv(os.path.join(s.base, "venv-flask"))
    conf = os.path.join(s.prefix, "etc", "ppy.conf")
    os.makedirs(os.path.dirname(conf), 0o755, exist_ok=True)
    with open(conf, "w") as f:
        f.write("".join("interpreter %s\n" % p for p in [*pythons.values(), flask_py]))
    os.chmod(conf, 0o644)
    vs = [Variant("apps:builtin", "ppy hello, built-in interpreter", "caller",
                  [s.ppy, s.hello], exp_hello(OWNER), "apps")]
    for n, py in pythons.items():
        script = s.script("hello-venv-%d.py" % n, "#!%s %s\n%s" % (s.ppy, py, HELLO))
        vs.append(Variant("apps:venv-%d" % n, "ppy hello, venv of %d files" % n, "caller",
                          [s.ppy, script], exp_hello(OWNER), "apps"))
        vs.append(Variant("apps:check-%d" % n, "ppy --check, venv of %d files (the static "
                          "walk)" % n, "caller", [s.ppy, "--check", script], None, "apps"))
    fl = s.script("flask-ppy.py", "#!%s %s\n%s" % (s.ppy, flask_py, FLASK_SCRIPT))
    plain = s.script("flask-plain.py", FLASK_SCRIPT)
    hello_flask = s.script("hello-flask-venv.py", "#!%s %s\n%s" % (s.ppy, flask_py, HELLO))
    vs += [
        Variant("flask:ppy", "ppy: import flask", "caller", [s.ppy, fl], None, "flask"),
        Variant("flask:plain", "venv python -I: import flask (no ppy)", "caller",
                [flask_py, "-I", plain], None, "flask"),
        Variant("flask:ppy-hello", "ppy hello in the Flask venv", "caller", [s.ppy, hello_flask],
                exp_hello(OWNER), "flask"),
        Variant("flask:plain-hello", "venv python -I hello (no ppy)", "caller",
                [flask_py, "-I", s.hello], exp_hello(CALLER), "flask"),
    ]
    return vs


def flask_import_times(by, runners, rounds):
    """The import itself, timed inside each process (perf_counter_ns around `import
    flask`), ppy and plain alternated, ROUNDS each."""
    out = {"flask:ppy": [], "flask:plain": []}
    for _ in range(rounds):
        for key in random.sample(list(out), 2):
            v = by[key]
            r = runners[v.runner].call(v.argv, capture=True)
            m = re.search(r"imported flask in (\d+) ns", r["out"])
            if r["status"] == [0] and m:
                out[key].append(int(m.group(1)))
    return out


def apps_report(rep, vs, imports, goals):
    by = {v.key: v for v in vs}
    base = by["apps:builtin"].median_
    rep.add("## Real applications: venv size and a framework import", "",
            "ppy checks what a script loads where it is loaded, not what is installed: a "
            "launch does not walk the virtualenv (`ppy --check` still does, for the whole "
            "static answer). Venvs made with `python3 -m venv --without-pip`, padded with N "
            "small modules in site-packages; each named in ppy.conf, each hello script's #! "
            "line names its venv. × built-in: ratio to ppy's hello under the built-in "
            "interpreter, same rounds.", "")
    rows = [[by["apps:builtin"].label, "%s [%s–%s]" % (fmt_ms(base), fmt_ms(by["apps:builtin"].q1_),
                                                    fmt_ms(by["apps:builtin"].q3_)), "1.000", ""]]
    for n in VENV_SIZES:
        v, c = by["apps:venv-%d" % n], by["apps:check-%d" % n]
        rows.append([v.label, "%s [%s–%s]" % (fmt_ms(v.median_), fmt_ms(v.q1_), fmt_ms(v.q3_)),
                     "%.3f" % (v.median_ / base), "%s ms" % fmt_ms(c.median_)])
    rep.table(["launch", "ms [IQR]", "× built-in", "`ppy --check` of it"], rows)
    v = by["apps:venv-10000"]
    goals.append(("apps: a venv of 10,000 files adds ≤ 5% to a hello world under the built-in "
                  "interpreter", v.median_ / base <= 1.05,
                  "×%.3f (%s ms against %s ms)" % (v.median_ / base, fmt_ms(v.median_),
                                                   fmt_ms(base))))
    p, q = by["flask:ppy"], by["flask:plain"]
    ph, qh = by["flask:ppy-hello"], by["flask:plain-hello"]
    ip, iq = med(imports["flask:ppy"]), med(imports["flask:plain"])
    rep.add("Flask (%s) in a venv with its dependencies: a script that imports it, under ppy "
            "and under the same venv's python -I as the caller, interleaved; the import "
            "itself is also timed inside each process (%d runs each)." %
            (FLASK, len(imports["flask:ppy"])), "")
    rep.table(["", "ppy ms", "no ppy ms", "ratio"], [
        ["whole launch of `import flask`", fmt_ms(p.median_), fmt_ms(q.median_),
         "%.3f" % (p.median_ / q.median_)],
        ["hello in the same venv (launch cost only)", fmt_ms(ph.median_), fmt_ms(qh.median_),
         "%.3f" % (ph.median_ / qh.median_)],
        ["`import flask` itself, timed inside", fmt_ms(ip), fmt_ms(iq), "%.3f" % (ip / iq)],
    ])
    goals.append(("apps: importing Flask under ppy costs ≤ 10% more than without", ip / iq <= 1.10,
                  "×%.3f (%s ms against %s ms; the whole launch ×%.3f)" %
                  (ip / iq, fmt_ms(ip), fmt_ms(iq), p.median_ / q.median_)))


# ----------------------------------------------------------------------------- report

def machine(worktree):
    cpu = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    pyv = sh(PYTHON, "-c", "import platform; print(platform.python_version())",
             capture_output=True, text=True).stdout.strip()
    capng = sh("dpkg-query", "-W", "-f=${Version}", "libcap-ng0", capture_output=True,
               text=True, check=False).stdout.strip()
    sudo = sh("dpkg-query", "-W", "-f=${Version}", "sudo", capture_output=True, text=True,
              check=False).stdout.strip()
    commit = sh("git", "-C", REPO, "rev-parse", "--short", "HEAD", capture_output=True,
                text=True, check=False).stdout.strip()
    dirty = sh("git", "-C", REPO, "status", "--porcelain", "--", "wrapper", "ppy_py",
               capture_output=True, text=True, check=False).stdout.strip()
    if not worktree:
        commit += " (the committed tree, exported with git archive)"
    elif dirty:
        commit += " plus the work tree's uncommitted changes to wrapper/ or ppy_py/"
    return dict(nproc=os.cpu_count(), kernel=platform.release(), cpu=cpu, python=pyv,
                libcap_ng=capng, sudo=sudo, commit=commit,
                date=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                arg_max=os.sysconf("SC_ARG_MAX"))


def fmt_ms(ns):
    return "%.2f" % ms(ns)


def fmt_us(ns):
    return "%.2f" % (ns / 1000)


class Report:
    def __init__(self):
        self.lines = []

    def add(self, *lines):
        self.lines += lines

    def table(self, head, rows):
        self.lines.append("| " + " | ".join(head) + " |")
        self.lines.append("|" + "|".join("---" if i == 0 else "---:" for i in range(len(head)))
                          + "|")
        for r in rows:
            self.lines.append("| " + " | ".join(str(c) for c in r) + " |")
        self.lines.append("")

    def text(self):
        return "\n".join(self.lines) + "\n"


def launcher_report(rep, vs, negatives, goals):
    by = {v.key: v for v in vs}
    rep.add("## Launcher", "",
            "Median wall time of one launch (spawn to exit, as seen by the runner), its ratio "
            "to the baseline of the same script, and the difference of the medians with a "
            "95%% bootstrap interval (resampling whole rounds). `hello`: prints one "
            "line; `port 80`: imports ppy_py, binds %s:80 (SO_REUSEADDR) inside "
            "`ppy_py.raised(\"net_bind_service\")`, closes. Scripts are owned by uid %d, mode "
            "0755, `%s=p`; the caller is uid %d (`%s`). ppy runs the script as its owner; "
            "every other variant as the caller." % (ADDR, OWNER, CAP, CALLER, CALLER_NAME), "")
    rows = []
    order = ["baseline", "ppy", "shebang", "compare", "setpriv", "capsh", "runuser", "sudo"]
    for name in order:
        if "hello:" + name not in by:
            continue
        h = by.get("hello:" + name)
        p = by.get("port80:" + name)
        row = [h.label, h.started_by]
        for v, base in ((h, by["hello:baseline"]), (p, by["port80:baseline"])):
            if v is None:
                neg = negatives.get(name, {})
                row += ["n/a", "", "cannot grant a capability (verified: status %s, `%s`)" %
                        (neg.get("status"), neg.get("err", "").replace("|", "/"))]
                continue
            row += ["%s [%s–%s]" % (fmt_ms(v.median_), fmt_ms(v.q1_), fmt_ms(v.q3_)),
                    "%.3f" % (v.median_ / base.median_),
                    fmt_delta(v, base)]
        rows.append(row)
    rep.table(["variant", "started by", "hello ms [IQR]", "× baseline", "Δ ms [95% interval]",
               "port 80 ms [IQR]", "× baseline", "Δ ms [95% interval]"], rows)
    rep.add("Reference rows, timed in the same interleaving:", "")
    rows = []
    for key in ("ref:true-root", "ref:true-caller", "ref:true-amb", "ref:check",
                "ref:bootlike", "ref:execfloor"):
        v = by[key]
        rows.append([v.label, v.started_by, "%s [%s–%s]" % (fmt_ms(v.median_), fmt_ms(v.q1_),
                                                            fmt_ms(v.q3_))])
    rep.table(["reference", "started by", "ms [IQR]"], rows)
    ver = []
    for v in vs:
        if v.verified:
            ver.append("%s %s: status %d, `%s`" % ("✔" if v.verified["ok"] else "✘", v.key,
                                                   v.verified["status"],
                                                   v.verified["out"][:80] or "(no output)"))
    fails = ["%s: %d of %d timed runs exited non-zero" % (v.key, v.failures, len(v.status))
             for v in vs if v.failures]
    rep.add("Checked before timing (exit status and the exact output line, which names the "
            "uid the script ran as; the port-80 line proves the capability was granted):", "")
    rep.add(*["- " + x for x in ver], "")
    rep.add("Timed runs that failed: " + ("; ".join(fails) if fails else "none."), "")

    base_h, base_p = by["hello:baseline"].median_, by["port80:baseline"].median_
    for group, base in (("hello", base_h), ("port80", base_p)):
        for name in ("ppy", "shebang"):
            v = by[group + ":" + name]
            ratio = v.median_ / base
            goals.append(("launcher %s: `%s` adds ≤ 5%% to the baseline" % (group, v.label),
                          ratio <= 1.05, "×%.3f, %+.2f ms (baseline %.2f ms; 5%% = %.2f ms)" %
                          (ratio, ms(v.median_ - base), ms(base), ms(base) * 0.05) +
                          "; 95%% interval of the difference %+.2f..%+.2f ms" %
                          tuple(ms(x) for x in delta_ci(v, by[group + ":baseline"]))))
        alts = [by[group + ":" + n] for n in ("setpriv", "capsh", "runuser", "sudo")
                if group + ":" + n in by]
        v = by[group + ":ppy"]
        slower = [a for a in alts if a.median_ <= v.median_]
        goals.append(("launcher %s: ppy faster than every alternative" % group, not slower,
                      "ppy %.2f ms; " % ms(v.median_) + ", ".join(
                          "%s %.2f ms" % (a.key.split(":")[1], ms(a.median_)) for a in alts)))


def scale_report(rep, vs, arg_max):
    by = {v.key: v for v in vs}
    rep.add("## How launch cost grows", "",
            "ppy against the baseline (`python3 -I`, same caller) as the script grows and as "
            "the caller passes more arguments or environment variables (each %d characters; "
            "the largest count fills ARG_MAX = %d bytes less 8 KiB). ppy copies the script "
            "into a sealed memfd and Python compiles it from there; it drops every caller "
            "variable but a few locale ones, so the interpreter it starts never sees a large "
            "environment." % (ARGLEN, arg_max), "")
    for group, head, keys in (
            ("size", "script size", SIZES),
            ("args", "arguments", count_points(arg_max)),
            ("env", "environment variables", count_points(arg_max))):
        rows = []
        for k in keys:
            b, p = by["%s:%d:baseline" % (group, k)], by["%s:%d:ppy" % (group, k)]
            t = by.get("%s:%d:true" % (group, k))
            rows.append([b.label, b.n_, fmt_ms(b.median_), fmt_ms(p.median_),
                         fmt_delta(p, b), "%.3f" % (p.median_ / b.median_)] +
                        ([fmt_ms(t.median_)] if t else []))
        rep.table([head, "runs", "baseline ms", "ppy ms", "Δ ms [95% interval]", "× baseline"] +
                  (["/bin/true, same " + head.split()[-1] + ", ms"] if group != "size" else []),
                  rows)
    def extra(size):
        return by["size:%d:ppy" % size].median_ - by["size:%d:baseline" % size].median_

    def base(size):
        return by["size:%d:baseline" % size].median_

    k, m1, m10 = extra(1 << 10), extra(1 << 20), extra(10 << 20)
    rep.add("Growth with script size: ppy's extra time over the baseline is %+.2f ms at 1 KiB, "
            "%+.2f ms at 1 MiB and %+.2f ms at 10 MiB: %.2f ms per MiB from 1 KiB to 1 MiB and "
            "%.2f ms per MiB from 1 to 10 MiB (a quadratic copy would make the second slope "
            "about 10× the first). The baseline's own time grows %.2f ms per MiB from 1 to "
            "10 MiB (reading, tokenising and compiling)."
            % (ms(k), ms(m1), ms(m10), ms(m1 - k) / (1023 / 1024), ms(m10 - m1) / 9,
               ms(base(10 << 20) - base(1 << 20)) / 9), "")
    pts = count_points(arg_max)
    mid, top = pts[-2], pts[-1]
    for group, what in (("args", "arguments"), ("env", "environment variables")):
        def d(n, g=group):
            return by["%s:%d:ppy" % (g, n)].median_ - by["%s:%d:baseline" % (g, n)].median_

        def t(n, g=group):
            return by["%s:%d:true" % (g, n)].median_

        rep.add("Growth with %s: ppy's extra time goes from %+.2f ms (none) to %+.2f ms "
                "(%d) and %+.2f ms (%d): %+.1f µs per 1000 up to %d and %+.1f µs per 1000 "
                "beyond (a quadratic scan would make the second slope several times the "
                "first). One exec of /bin/true with the same %s grows %.1f µs per 1000."
                % (what, ms(d(0)), ms(d(mid)), mid, ms(d(top)), top,
                   (d(mid) - d(0)) / mid * 1000 / 1e3, mid, (d(top) - d(mid)) / (top - mid) *
                   1000 / 1e3, what, (t(top) - t(0)) / top * 1000 / 1e3), "")
    rep.add("ppy's arguments are copied by two execs (ppy's own, then the interpreter's), the "
            "baseline's by one, so ppy's extra time grows by about one /bin/true exec's copy; "
            "its environment is copied once (ppy's exec) and dropped, while the baseline's "
            "interpreter copies all of it into os.environ, so ppy ends up cheaper there.", "")


def library_report(rep, imp_vs, itime, thr, counts, notes, goals):
    by = {v.key: v for v in imp_vs}
    base = by["imp:pass"]
    rep.add("## Library", "", "### Import cost", "",
            "Wall time of `python -c 'import X'` (and of importing and reading the current "
            "capabilities once, \"ready\") minus `python -c pass`, same interpreter (a venv of "
            "/usr/bin/python3 with system site packages), interleaved, median; and the "
            "`-X importtime` cumulative µs of the modules the import adds. Baseline `-c pass`: "
            "%s ms." % fmt_ms(base.median_), "")
    rows = []
    for lib in PYLIBS:
        i, r = by["imp:%s:import" % lib], by["imp:%s:ready" % lib]
        rows.append([lib, fmt_delta(i, base), "%d" % itime.get("%s:import" % lib, 0),
                     fmt_delta(r, base), "%d" % itime.get("%s:ready" % lib, 0)])
    rep.table(["library", "import, added ms [95% interval]", "-X importtime µs",
               "import + current(), added ms [95% interval]", "-X importtime µs"], rows)

    rep.add("### Throughput", "",
            "Nanoseconds per operation, median over runs × batches (each run a fresh process "
            "per library, after warm-up; runs interleaved). Run as uid %d holding `%s` "
            "permitted, inheritable and ambient (started by `setpriv --inh-caps "
            "--ambient-caps`), the effective bit lowered first. In brackets: × the C floor "
            "(first C column)." % (CALLER, CAP), "")
    rows = []
    labels = {
        "toggle": "raise or lower one cap (per change)",
        "scoped": "context manager round trip (per change)",
        "current": "read the current capabilities",
        "file": "read a file's capabilities",
    }
    cfloor = {"toggle": "c:toggle-capset", "scoped": "c:toggle-capset",
              "current": "c:current-capget", "file": "c:file-getxattr"}
    ccols = {"toggle": ("c:toggle-capset", "c:toggle-rmw", "c:toggle-capng"),
             "scoped": ("c:toggle-capset", "c:toggle-rmw", "c:toggle-capng"),
             "current": ("c:current-capget", "c:current-full", "c:current-capng"),
             "file": ("c:file-getxattr", None, "c:file-capng")}

    def cell(key, floor):
        if key is None:
            return "–"
        if key in thr:
            return "%s (%.1f×)" % (fmt_us(thr[key]), thr[key] / floor) if floor else \
                fmt_us(thr[key])
        return notes.get(key, "–")

    for op in ("toggle", "scoped", "current", "file"):
        floor = thr.get(cfloor[op])
        row = [labels[op]]
        row += [cell(k, floor) for k in ccols[op]]
        row += [cell("%s:%s" % (lib, op), floor) for lib in PYLIBS + ["os"]]
        rows.append(row)
    rep.table(["µs per op", "C: raw syscall", "C: capget+capset / full read", "C: libcap-ng",
               "ppy_py", "python-prctl", "pyprctl", "capng (SWIG)", "os.getxattr"], rows)
    rep.add("Columns: raw syscall = one `capset(2)` with prebuilt structs / one `capget(2)` / "
            "one `getxattr(2)`; capget+capset = the read-modify-write ppy_py's C helper does; "
            "full read = capget plus PR_CAPBSET_READ for every capability, "
            "PR_CAP_AMBIENT_IS_SET for each one both permitted and inheritable, securebits, "
            "no_new_privs and keepcaps, which is what "
            "`ppy_py.current()` returns; libcap-ng = `capng_update`+`capng_apply`, "
            "`capng_get_caps_process` (which reads /proc/self/status), "
            "open+`capng_get_caps_fd`+close. Python calls: ppy_py `raise_caps(\"net_bind_service\")`/"
            "`lower_caps(...)`, `with raised(...)`, `current()`, `file_caps(path)`; "
            "python-prctl `cap_effective.net_bind_service = True/False`, "
            "`get_caps((ALL_CAPS, (E, P, I)))`; pyprctl `cap_effective.net_bind_service = "
            "True/False`, `scoped_effective_caps([Cap.NET_BIND_SERVICE])`, "
            "`CapState.get_current()`, `FileCaps.get_for_file(path)`; capng "
            "`capng_update`+`capng_apply`, `capng_get_caps_process()`, "
            "open+`capng_get_caps_fd`+close; os.getxattr: the raw xattr, nothing decoded "
            "(a reference, not a library). Samples per cell: %s." %
            ", ".join("%s %d" % (k, n) for k, n in sorted(counts.items())), "")

    # goals
    def val(lib, op):
        return thr.get("%s:%s" % (lib, op))

    for op in ("toggle", "scoped", "current", "file"):
        mine = val("ppy_py", op)
        others = {lib: val(lib, op) for lib in PYLIBS[1:] if val(lib, op) is not None}
        if mine is None:
            goals.append(("library %s: ppy_py fastest Python library" % labels[op], False,
                          "not measured: %s" % notes.get("ppy_py:" + op, "?")))
            continue
        beaten = {k: v for k, v in others.items() if v <= mine}
        goals.append(("library %s: ppy_py fastest Python library" % labels[op], not beaten,
                      "ppy_py %s µs; " % fmt_us(mine) + ", ".join(
                          "%s %s µs" % (k, fmt_us(v)) for k, v in others.items())))
    imp = {lib: by["imp:%s:import" % lib].median_ - base.median_ for lib in PYLIBS}
    beaten = {k: v for k, v in imp.items() if k != "ppy_py" and v <= imp["ppy_py"]}
    goals.append(("library import: ppy_py fastest Python library", not beaten,
                  ", ".join("%s %+.2f ms" % (k, ms(v)) for k, v in imp.items())))
    t = val("ppy_py", "toggle")
    why = []
    if t is not None and (t > 2000 or (val("capng", "toggle") or 1e18) <= t):
        why.append("raise/lower: ppy_py's C helper reads the sets (capget) and writes them "
                   "(capset) in one call, so a change made elsewhere is never overwritten; "
                   "that pair costs %s µs in C, against %s µs for a bare capset with "
                   "prebuilt structs. capng (SWIG) issues only capset from the state it staged "
                   "earlier (%s µs in C through libcap-ng). ppy_py = %.2f× its own C floor."
                   % (fmt_us(thr.get("c:toggle-rmw", 0)), fmt_us(thr.get("c:toggle-capset", 0)),
                      fmt_us(thr.get("c:toggle-capng", 0)),
                      t / thr["c:toggle-rmw"] if thr.get("c:toggle-rmw") else float("nan")) +
                   (" Inside ppy_py: the C call alone (_ppy_sys, mask precomputed) takes %s µs, "
                    "`raise_caps(Cap.NET_BIND_SERVICE)` %s µs, `raise_caps(\"net_bind_service\")` "
                    "%s µs: the rest is parsing the argument and building the returned CapSet."
                    % (fmt_us(thr["ppy_py:diag-toggle-raw"]), fmt_us(thr["ppy_py:diag-toggle-cap"]),
                       fmt_us(t)) if "ppy_py:diag-toggle-raw" in thr and
                    "ppy_py:diag-toggle-cap" in thr else ""))
    c = val("ppy_py", "current")
    if c is not None and any((val(l, "current") or 1e18) <= c for l in PYLIBS[1:]):
        why.append("current(): ppy_py returns the whole state (effective, permitted, "
                   "inheritable, bounding, ambient, securebits, no_new_privs, keepcaps): one "
                   "capget, a prctl per capability for the bounding set and one per capability "
                   "both permitted and inheritable for the ambient set; that costs %s µs in C, "
                   "against "
                   "%s µs for the single capget that pyprctl's CapState.get_current() makes (it "
                   "reads E/P/I only). ppy_py = %.2f× its own C floor."
                   % (fmt_us(thr.get("c:current-full", 0)), fmt_us(thr.get("c:current-capget", 0)),
                      c / thr["c:current-full"] if thr.get("c:current-full") else float("nan")) +
                   (" Inside ppy_py: the C helper alone (`ppy_read_state`) takes %s µs; building "
                    "the CapState object the rest." % fmt_us(thr["ppy_py:diag-current-raw"])
                    if "ppy_py:diag-current-raw" in thr else ""))
    if why:
        rep.add("Where ppy_py's time goes where it is not the fastest:", "",
                *["- " + w for w in why], "")
    goals.append(("library: a raise or lower ≤ 2 µs", t is not None and t <= 2000,
                  "ppy_py %s µs per change (C capset %s µs, C capget+capset %s µs)" %
                  (fmt_us(t) if t else "?", fmt_us(thr.get("c:toggle-capset", 0)),
                   fmt_us(thr.get("c:toggle-rmw", 0)))))
    goals.append(("library: import ≤ +1.5 ms", imp["ppy_py"] <= 1.5e6,
                  "%+.2f ms wall clock, %d µs -X importtime" %
                  (ms(imp["ppy_py"]), itime.get("ppy_py:import", 0))))


def where_launch_time_goes(rep, vs, s, runners):
    """Split ppy's extra time into the C launcher and the Python boot, and list the boot's
    imports. (strace -c is not possible: ppy refuses to run traced, by design.)"""
    by = {v.key: v for v in vs}
    base, ppy = by["hello:baseline"].median_, by["hello:ppy"].median_
    boot, check = by["ref:bootlike"].median_, by["ref:check"].median_
    true, floor = by["ref:true-caller"].median_, by["ref:execfloor"].median_
    rep.add("### Where ppy's launch time goes", "",
            "- ppy − baseline: %+.2f ms in all." % ms(ppy - base),
            "- The floor of any launcher that is a program of its own (one more exec, of a "
            "file-capability binary that does nothing else: bench/execfloor.c) − baseline = "
            "%+.2f ms, against the %.2f ms that the 5%% goal allows for everything." %
            (ms(floor - base), ms(0.05 * base)),
            "- Python side (the boot's work: importing _ppy_sys, dropping the start-up "
            "capabilities and reading them back, reading tty_nr, reading and "
            "compiling the script, then site.main()): `python3 -I -S -B` taking the same steps "
            "− baseline = %+.2f ms (ppy "
            "imports the boot module from its installed bytecode; this reference compiles "
            "its own small file instead)." %
            ms(boot - base),
            "- C side (exec of a file-capability binary, which is AT_SECURE, the checks, the "
            "memfd copy, the identity switch, the second exec): ppy − that = %+.2f ms; of it, "
            "`ppy --check` (parse, reset, every check, no copy, no switch, no exec) − `/bin/true` "
            "= %+.2f ms." % (ms(ppy - boot), ms(check - true)),
            "- `strace -c` of ppy cannot be taken: ppy refuses to run traced (status 85), and a "
            "traced file-capability binary would not get its capabilities anyway.", "")
    env = dict(ENV)
    rows = []
    samples = {}
    for _ in range(15):
        err = runners["caller"].call([PYTHON, "-I", "-S", "-B", "-X", "importtime", s.bootlike],
                                     capture=True, env=env)["err"]
        for line in err.splitlines():
            m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( +)(\S+)", line)
            if m:
                samples.setdefault((len(m.group(3)), m.group(4)), []).append(int(m.group(2)))
    base_err = runners["caller"].call([PYTHON, "-I", "-B", "-X", "importtime", s.hello],
                                      capture=True, env=env)["err"]
    base_mods = {m.group(1) for m in re.finditer(r"\|\s+(\S+)\s*$", base_err, re.M)}
    for (depth, name), xs in sorted(samples.items(), key=lambda kv: -med(kv[1])):
        if name in base_mods or depth > 3:
            continue
        rows.append([("&nbsp;" * 2 * (depth - 1)) + name, "%d" % med(xs)])
    rep.add("`python3 -I -S -B -X importtime` of the boot's work, modules the baseline does not "
            "import (cumulative µs, median of 15, top levels):", "")
    rep.table(["module", "cumulative µs"], rows[:14])


# ----------------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer repetitions (under a minute)")
    ap.add_argument("--reps", type=int, help="launch repetitions (default 200, quick 30)")
    ap.add_argument("--only", default="launcher,scale,library,apps",
                    help="comma list of sections: launcher, scale, library, apps")
    ap.add_argument("--dir", default="/var/lib/ppy-bench",
                    help="root-owned work directory directly under /var/lib")
    ap.add_argument("--out", default=os.path.join(HERE, "results.md"))
    ap.add_argument("--no-install", action="store_true",
                    help="reuse the ppy already installed in --dir (with --keep last time)")
    ap.add_argument("--worktree", action="store_true",
                    help="install from the work tree as it is (uncommitted changes included) "
                    "instead of the committed HEAD")
    ap.add_argument("--keep", action="store_true",
                    help="leave the bench's ppy its file capabilities afterwards (by default "
                    "they are removed, and set again by the next run)")
    ap.add_argument("--compare", metavar="REV",
                    help="also install the commit REV and time its ppy in the same rounds "
                    "(that ppy holds its file capabilities while the bench runs)")
    ap.add_argument("--seed", type=int, default=None)
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench: run as root (sudo make bench): it installs ppy, sets file "
                 "capabilities and starts setpriv, capsh, runuser and sudo as root")
    random.seed(args.seed)
    sections = set(args.only.split(","))
    reps = args.reps or (30 if args.quick else 200)
    t_start = time.monotonic()
    load_start = os.getloadavg()
    base = bench_dir(args.dir)
    claim_dir(base)
    # SIGTERM too runs the finally below, which drops every capability the bench set.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    runners = {}
    try:   # from here on, whatever stops the bench, the finally drops the capabilities
        s = Setup(base, install=not args.no_install, worktree=args.worktree,
                  compare=args.compare)
        runners = start_runners()
        info = machine(args.worktree)
        rep = Report()
        goals = []
        raw = dict(machine=info, args=vars(args))
        body = Report()
        if "launcher" in sections:
            vs = launcher_variants(s)
            bad = [v for v in vs if not v.verify(runners)]
            for v in bad:
                log("bench: %s failed its check: status %s, out %r, err %r" %
                    (v.key, v.verified["status"], v.verified["out"], v.verified["err"]))
            if bad:
                sys.exit("bench: a variant does not work; not timing anything")
            negatives = negative_checks(s, runners)
            interleave(vs, runners, reps, label="launcher")
            for v in vs:
                v.median_, (v.q1_, v.q3_), v.n_ = med(v.ns), quart(v.ns), len(v.ns)
            launcher_report(body, vs, negatives, goals)
            if not all(ok for name, ok, _ in goals if name.startswith("launcher")):
                where_launch_time_goes(body, vs, s, runners)
            raw["launcher"] = [v.summary() | {"ns": v.ns} for v in vs]
            raw["negatives"] = negatives
            overhead = {k: ms(next(v for v in vs if v.key == k).median_)
                        for k in ("ref:true-root", "ref:true-caller", "ref:true-amb")}
            raw["driver_overhead_ms"] = overhead
        if "scale" in sections:
            arg_max = os.sysconf("SC_ARG_MAX")
            vs = scale_variants(s, arg_max)
            bad = [v for v in vs if not v.verify(runners)]
            for v in bad:
                log("bench: %s failed its check: status %s, out %r, err %r" %
                    (v.key, v.verified["status"], v.verified["out"][-100:],
                     v.verified["err"][-200:]))
            if bad:
                sys.exit("bench: a scaling variant does not work; not timing anything")
            sreps = max(10, reps // 2)
            interleave(vs, runners, sreps, scale_reps(vs, sreps), label="scaling")
            for v in vs:
                v.median_, (v.q1_, v.q3_), v.n_ = med(v.ns), quart(v.ns), len(v.ns)
            scale_report(body, vs, arg_max)
            raw["scale"] = [v.summary() | {"ns": v.ns} for v in vs]
        if "library" in sections:
            ivs = import_variants(s)
            bad = [v for v in ivs if not v.verify(runners)]
            if bad:
                sys.exit("bench: import check failed: %s" % "; ".join(
                    "%s: %s" % (v.key, v.verified["err"][-200:]) for v in bad))
            interleave(ivs, runners, 15 if args.quick else 60, label="import")
            for v in ivs:
                v.median_, (v.q1_, v.q3_), v.n_ = med(v.ns), quart(v.ns), len(v.ns)
            itime, _ = importtime(s, runners, 5 if args.quick else 15)
            thr, counts, notes = library_throughput(
                s, runners, rounds=3 if args.quick else 9, batches=5,
                target_ms=15 if args.quick else 40)
            library_report(body, ivs, itime, thr, counts, notes, goals)
            raw["library"] = dict(imports=[v.summary() | {"ns": v.ns} for v in ivs],
                                  importtime=itime, throughput=thr, counts=counts, notes=notes)
            pthr, pcounts, pnotes = prctl_throughput(
                s, runners, rounds=3 if args.quick else 9, batches=7 if args.quick else 15,
                target_ms=5 if args.quick else 10)
            prctl_report(body, pthr, pcounts, pnotes, goals)
            raw["prctl"] = dict(throughput=pthr, counts=pcounts, notes=pnotes)
        if "apps" in sections:
            avs = app_variants(s)
            bad = [v for v in avs if not v.verify(runners)]
            if bad:
                sys.exit("bench: an apps variant failed its check: %s" % "; ".join(
                    "%s: %s %s" % (v.key, v.verified["out"][-100:], v.verified["err"][-200:])
                    for v in bad))
            interleave(avs, runners, max(10, reps // 4), label="apps")
            for v in avs:
                v.median_, (v.q1_, v.q3_), v.n_ = med(v.ns), quart(v.ns), len(v.ns)
            imports = flask_import_times({v.key: v for v in avs}, runners,
                                         10 if args.quick else 40)
            apps_report(body, avs, imports, goals)
            raw["apps"] = dict(variants=[v.summary() | {"ns": v.ns} for v in avs],
                               flask_import_ns=imports)
    finally:
        try:
            if not args.keep:
                drop_capabilities(base)
        finally:
            for r in runners.values():
                r.close()

    took = time.monotonic() - t_start
    load_end = os.getloadavg()
    rep.add("# ppy benchmark results", "",
            "Written by `sudo make bench%s` (bench/bench.py) on %s, in %.0f s. Absolute times "
            "drift on these machines: compare ratios within one run." %
            (" BENCH_ARGS=--quick" if args.quick else "", info["date"], took), "",
            "Machine: %d CPUs (%s), kernel %s, Python %s (/usr/bin/python3), libcap-ng %s, "
            "sudo %s; ppy at commit %s; ARG_MAX %d." %
            (info["nproc"], info["cpu"], info["kernel"], info["python"], info["libcap_ng"],
             info["sudo"], info["commit"], info["arg_max"]), "",
            "Load average (1 min) %.2f at the start, %.2f at the end: other work on the machine "
            "shows up as noise in every row alike, which interleaving spreads evenly." %
            (load_start[0], load_end[0]), "")
    if "driver_overhead_ms" in raw:
        o = raw["driver_overhead_ms"]
        rep.add("Repetitions: %d per launcher variant, interleaved in random order. Driver "
                "overhead (posix_spawn + waitpid of /bin/true, median): %.2f ms as root, %.2f ms "
                "as the caller, %.2f ms as the caller holding an ambient capability; it is "
                "included in every launch time below, not subtracted." %
                (reps, o["ref:true-root"], o["ref:true-caller"], o["ref:true-amb"]), "")
    rep.add("## Goals", "")
    rep.table(["goal", "met?", "measured"],
              [[g, "**yes**" if ok else "**no**", d] for g, ok, d in goals])
    rep.lines += body.lines
    text = rep.text()
    print(text)
    with open(args.out, "w") as f:
        f.write(text)
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    with open(os.path.join(HERE, "results", "last.json"), "w") as f:
        json.dump(raw, f)
    log("bench: wrote %s (raw samples in bench/results/last.json) in %.0f s" % (args.out, took))


if __name__ == "__main__":
    main()
