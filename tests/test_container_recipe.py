"""recipes/container/Dockerfile, run step by step under the conditions Docker gives them.

There is no Docker engine on the test machine, so this runs the recipe's instructions itself,
in a private mount namespace: the root filesystem is an overlayfs (this Debian 12 machine's
root as the lower layer, for debian:12-slim; a fresh tmpfs upper layer), /proc is fresh,
/dev is a tmpfs with the usual nodes and no /dev/log (so ppy has no syslog), /tmp is empty.
Each RUN runs as root with Docker's default bounding set and environment; COPY copies the
build context minus Dockerfile.dockerignore; CMD runs as the USER, with Docker's bounding
set, in a network namespace of its own. The apt-get RUN is not run (no downloads in a
test): every package it names must be installed in the lower layer instead.
"""
import fnmatch
import json
import os
import re
import select
import shlex
import shutil
import subprocess
import tempfile

import pytest

from ppytest import EX_FILE, REPO

pytestmark = pytest.mark.root

RECIPE = os.path.join(REPO, "recipes", "container")
DOCKER_CAPS = ["chown", "dac_override", "fsetid", "fowner", "mknod", "net_raw", "setgid",
               "setuid", "setfcap", "setpcap", "net_bind_service", "sys_chroot", "kill",
               "audit_write"]
BOUNDING = "--bounding-set=-all," + ",".join("+" + c for c in DOCKER_CAPS)
DOCKER_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def instructions(path):
    """(INSTRUCTION, argument) of a Dockerfile: comments dropped, continuations joined."""
    out, cur = [], ""
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if not cur and (not line.strip() or line.lstrip().startswith("#")):
                continue
            if line.endswith("\\"):
                cur += line[:-1] + " "
                continue
            cur += line
            word, _, arg = cur.strip().partition(" ")
            out.append((word.upper(), arg.strip()))
            cur = ""
    return out


def context_copy(dest):
    """The build context (the repository) minus Dockerfile.dockerignore, as COPY sees it."""
    with open(os.path.join(RECIPE, "Dockerfile.dockerignore")) as f:
        patterns = [p.strip() for p in f if p.strip() and not p.startswith("#")]

    def ignored(rel):
        return any(fnmatch.fnmatch(rel, p) or fnmatch.fnmatch(rel, p.replace("**/", ""))
                   or fnmatch.fnmatch(os.path.basename(rel), p.replace("**/", ""))
                   for p in patterns)

    def skip(directory, names):
        rel = os.path.relpath(directory, REPO)
        return [n for n in names if ignored(os.path.normpath(os.path.join(rel, n)))]

    shutil.copytree(REPO, dest, ignore=skip, symlinks=True)


def installed(package):
    return subprocess.run(["dpkg-query", "-W", "-f=${Status}", package], capture_output=True,
                          text=True).stdout == "install ok installed"


@pytest.fixture(scope="module")
def container():
    """Build the image from the recipe and start its CMD; yields (process, root pid)."""
    steps = instructions(os.path.join(RECIPE, "Dockerfile"))
    assert steps[0] == ("FROM", "debian:12-slim"), steps[0]
    with open("/etc/debian_version") as f:
        if not f.read().startswith("12"):
            pytest.skip("the lower layer stands in for debian:12-slim: needs a Debian 12 host")
    base = tempfile.mkdtemp(prefix="ppy-test-", dir="/var/lib")
    os.chmod(base, 0o755)
    proc = None
    try:
        root, layer, context = (os.path.join(base, d) for d in ("root", "layer", "context"))
        os.mkdir(root, 0o755)
        os.mkdir(layer, 0o755)
        context_copy(context)
        sh = ["set -e",
              f"mount -t tmpfs -o mode=0755 ppy-layer {layer}",
              f"mkdir {layer}/upper {layer}/work",
              f"mount -t overlay overlay -o lowerdir=/,upperdir={layer}/upper,"
              f"workdir={layer}/work {root}",
              f"mount -t proc proc {root}/proc",
              f"mount -t tmpfs -o mode=1777,nosuid,nodev tmp {root}/tmp",
              f"mount -t tmpfs -o mode=0755,nosuid dev {root}/dev",
              f"for n in null zero full random urandom tty; do touch {root}/dev/$n;"
              f" mount --bind /dev/$n {root}/dev/$n; done",
              f"test ! -e {root}/dev/log"]
        user = cmd = None
        for word, arg in steps[1:]:
            if word == "RUN" and "apt-get" in arg:
                names = arg.split(" install ", 1)[1].split("&&")[0].split()
                missing = [n for n in names if not n.startswith("-") and not installed(n)]
                assert not missing, "the lower layer lacks %s (make deps)" % missing
            elif word == "RUN":
                sh.append(f"chroot {root} setpriv {BOUNDING} env -i {DOCKER_ENV} HOME=/root "
                          f"/bin/sh -c {shlex.quote(arg)} >&2")   # stdout: the service's
            elif word == "COPY":
                src, dst = arg.split()
                assert src == ".", arg
                sh.append(f"mkdir -p {root}{dst} && cp -a {context}/. {root}{dst} && "
                          f"chown -R 0:0 {root}{dst}")
            elif word == "USER":
                user = arg
            elif word == "CMD":
                cmd = json.loads(arg)
            else:
                assert word in ("EXPOSE",), word
        assert user and user != "root" and cmd, (user, cmd)
        run = " ".join(shlex.quote(a) for a in [
            "chroot", root, "setpriv", BOUNDING, f"--reuid={user}", f"--regid={user}",
            "--init-groups", "env", "-i", DOCKER_ENV, *cmd])
        sh.append("exec unshare --net sh -c %s" % shlex.quote("ip link set lo up && exec " + run))
        proc = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                                 "\n".join(sh)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True,
                                env={"PATH": DOCKER_ENV.split("=", 1)[1]})
        ready, _, _ = select.select([proc.stdout], [], [], 120)
        line = proc.stdout.readline() if ready else ""
        if "serving" not in line:
            proc.kill()
            raise AssertionError("the service did not start: %r %s" % (line, proc.stderr.read()))
        proc.user = user
        yield proc
    finally:
        if proc:
            proc.kill()
            proc.wait()
        shutil.rmtree(base, ignore_errors=True)


def inside(proc, *argv, user=None):
    """Run ARGV in the container's mount and network namespaces, as USER (or root)."""
    if user:
        argv = ("setpriv", BOUNDING, f"--reuid={user}", f"--regid={user}", "--init-groups",
                "env", "-i", DOCKER_ENV, *argv)
    return subprocess.run(["nsenter", "-t", str(proc.pid), "-m", "-n", "-r", "-w", *argv],
                          capture_output=True, text=True, timeout=60,
                          env={"PATH": DOCKER_ENV.split("=", 1)[1]})


def test_the_service_answers_on_port_80(container):
    got = inside(container, "/usr/bin/python3", "-c",
                 "import urllib.request;print(urllib.request.urlopen("
                 "'http://127.0.0.1:80/index.html', timeout=10).read().decode())")
    assert got.returncode == 0, got.stderr
    assert got.stdout.strip() == "hello from a ppy service"


def test_the_service_runs_as_its_owner_and_holds_nothing_once_bound(container):
    with open("/proc/%d/status" % container.pid) as f:
        st = dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)
    owner = inside(container, "id", "-u", "svc-http").stdout.strip()
    caller = inside(container, "id", "-u", container.user).stdout.strip()
    assert owner and caller and owner != caller
    assert st["Uid"].split() == [owner] * 4 and st["Groups"].strip() == ""
    # http_server.py drops cap_net_bind_service for good once port 80 is bound.
    assert int(st["CapPrm"], 16) == 0 and int(st["CapEff"], 16) == 0
    assert int(st["CapBnd"], 16) == 0 and int(st["CapAmb"], 16) == 0
    assert st["NoNewPrivs"] == "1"


def test_check_and_a_refusal_without_syslog(container):
    """No /dev/log: ppy still answers, and a refusal is still one line and a status."""
    assert inside(container, "test", "-e", "/dev/log").returncode == 1
    ok = inside(container, "/usr/local/bin/ppy", "--check", "/srv/app/http_server.py",
                user=container.user)
    assert ok.returncode == 0 and "would run /srv/app/http_server.py" in ok.stdout, ok.stderr
    bad = inside(container, "/usr/local/bin/ppy", "/srv/www/index.html", user=container.user)
    assert bad.returncode == EX_FILE, bad.stderr
    assert len(bad.stderr.splitlines()) == 1 and bad.stderr.startswith("ppy: ")
    assert re.search(r"root|uid 0|execute", bad.stderr), bad.stderr
