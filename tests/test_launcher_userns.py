"""User namespaces: rootless Podman, LXD/Incus, Docker userns-remap, Kubernetes hostUsers: false.

tests/userns_run.c builds, as root, the container such runtimes build: a user namespace
mapping 0-65535 to host uids NS_BASE.., a root filesystem that appears root's inside (the
host's, through an idmapped mount), /srv belonging to the namespace's root on disk, and a
network namespace of its own. Inside, the namespace's root installs ppy with
`make install PREFIX=/srv/prefix` and caps scripts with setcap (which writes revision-3
xattrs with rootid NS_BASE on disk); an unprivileged uid of the namespace runs them.

ppy must grant exactly what the kernel grants an exec of a file carrying the same xattr in
the same namespace, and refuse what it would not: a revision-3 xattr counts only where its
rootid is the root of the caller's namespace or of one above it, so the namespace's own
setcap works inside and gains nothing on the host, and a caller who forges one in a
namespace of its own (unshare -Ur setcap) gains nothing in the namespace it came from.
"""
import os
import shutil
import subprocess
import tempfile

import pytest

from ppytest import (CALLER, EX_CALLER, EX_CAPS, EX_FILE, EX_INSTALL, EX_SYSCALL, OWNER, PYTHON,
                     RAN, REPO, REPORT, Install, compile_helper, refused, report, run,
                     status_caps)

pytestmark = pytest.mark.root

NS_BASE, NS_COUNT = 310000, 65536
NET_BIND, NET_RAW = 10, 13
PREFIX = "/srv/prefix"
PPY = PREFIX + "/bin/ppy"

BIND = """
import socket, ppy_py
s = socket.socket()
try:
    s.bind(("127.0.0.1", 80))
    print("BOUND WITHOUT RAISING")
except PermissionError:
    print("refused without raising")
with ppy_py.raised("net_bind_service"):
    s.bind(("127.0.0.1", 80))
print("bound 80 inside raised()")
"""


class Container:
    def __init__(self):
        self.base = tempfile.mkdtemp(prefix="ppy-test-", dir="/var/lib")
        os.chmod(self.base, 0o755)
        try:
            self.root = os.path.join(self.base, "root")     # the idmapped / goes here
            self.srv = os.path.join(self.base, "srv")       # /srv inside
            os.mkdir(self.root, 0o755)
            os.mkdir(self.srv, 0o755)
            with open(os.path.join(REPO, "tests", "userns_run.c")) as f:
                self.helper = compile_helper("userns_run", f.read(), self.base)
            self.copy_source(os.path.join(self.srv, "src"))
            for d in ("app", "home"):
                os.mkdir(os.path.join(self.srv, d), 0o755)
            subprocess.run(["chown", "-R", "%d:%d" % (NS_BASE, NS_BASE), self.srv], check=True)
            self.count = 0
            probe = self.sh("true")
            if probe.returncode == 125 and "idmapped mount" in probe.stderr:
                pytest.skip("this root filesystem has no idmapped mounts (Linux 5.12+, ext4, "
                            "xfs, btrfs...): " + probe.stderr.strip())
            build = self.sh("make -s -C /srv/src install PREFIX=%s PYTHON=%s" % (PREFIX, PYTHON))
            assert build.returncode == 0, build.stdout + build.stderr
        except BaseException:
            self.remove()
            raise

    @staticmethod
    def copy_source(dest):
        """What `make install` reads, as a release tarball would hold it."""
        skip = shutil.ignore_patterns("__pycache__", "*.so", ".built-*", "ppy", "build.conf")
        for d in ("wrapper", "ppy_py", "doc"):
            shutil.copytree(os.path.join(REPO, d), os.path.join(dest, d), ignore=skip)
        shutil.copy(os.path.join(REPO, "Makefile"), dest)
        for mk in ("robustness/robust.mk", "portability/portability.mk"):   # the Makefile's
            os.makedirs(os.path.join(dest, "tests", os.path.dirname(mk)), exist_ok=True)
            shutil.copy(os.path.join(REPO, "tests", mk), os.path.join(dest, "tests", mk))

    def sh(self, command, uid=None, deny_setgroups=False):
        """Run COMMAND (sh -c) in the container, as its root, or as UID of the namespace."""
        argv = ["sh", "-c", command]
        if uid is not None:
            groups = "--keep-groups" if deny_setgroups else "--clear-groups"
            argv = ["setpriv", f"--reuid={uid}", f"--regid={uid}", groups, *argv]
        deny = ["--deny-setgroups"] if deny_setgroups else []
        return subprocess.run([self.helper, *deny, str(NS_BASE), str(NS_COUNT), self.root,
                               self.srv, "--", *argv], capture_output=True, text=True,
                              timeout=120, env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"})

    def script(self, body=REPORT, caps="cap_net_bind_service=p", owner=OWNER, host_owner=None):
        """A script in /srv/app owned by OWNER of the namespace (or HOST_OWNER, a host uid),
        capped by the namespace's root (or not, CAPS=None). Returns its path inside."""
        self.count += 1
        name = "s%d.py" % self.count
        host = os.path.join(self.srv, "app", name)
        with open(host, "w") as f:
            f.write("#!%s\nprint(%r, flush=True)\n%s" % (PPY, RAN, body))
        uid = host_owner if host_owner is not None else NS_BASE + owner
        os.chown(host, uid, uid)
        os.chmod(host, 0o755)
        if caps:
            done = self.sh("setcap %s /srv/app/%s" % (caps, name))
            assert done.returncode == 0, done.stderr
        return "/srv/app/" + name

    def host_path(self, inside):
        return os.path.join(self.srv, inside[len("/srv/"):])

    def launch(self, path, *args, uid=CALLER):
        return self.sh(" ".join([PPY, path, *args]), uid=uid)

    def remove(self):
        shutil.rmtree(self.base, ignore_errors=True)


@pytest.fixture(scope="module")
def ct():
    c = Container()
    yield c
    c.remove()


@pytest.fixture(scope="module")
def host():
    i = Install()
    yield i
    i.remove()


def test_the_namespace_root_installs_ppy_and_caps_a_script_that_runs_as_its_owner(ct):
    path = ct.script()
    rep = report(ct.launch(path, "a1"))
    st = rep["status"]
    assert st["Uid"].split() == [str(OWNER)] * 4       # as the namespace shows ids
    assert st["Gid"].split() == [str(OWNER)] * 4 and st["Groups"] == ""
    assert status_caps(rep, "CapPrm") == 1 << NET_BIND
    for s in ("CapEff", "CapInh", "CapAmb", "CapBnd"):
        assert status_caps(rep, s) == 0, s
    assert st["NoNewPrivs"] == "1"
    assert rep["argv"] == [path, "a1"] and rep["fds"] == [0, 1, 2, 3]
    assert rep["ppy_py"].startswith(PREFIX + "/lib/ppy/python/")
    # on disk, both xattrs are the namespace's (revision 3, rootid = its root on the host)
    for f in (ct.host_path(path), ct.host_path(PPY)):
        shown = subprocess.run(["getcap", "-n", f], capture_output=True, text=True).stdout
        assert "[rootid=%d]" % NS_BASE in shown, shown


def test_check_inside_the_namespace(ct):
    path = ct.script()
    proc = ct.sh("%s --check %s" % (PPY, path), uid=CALLER)
    assert proc.returncode == 0, proc.stderr
    assert "would run %s under %s as uid %d gid %d, no groups, with cap_net_bind_service" % (
        path, PYTHON, OWNER, OWNER) in proc.stdout


def test_the_capability_works_in_the_namespace_and_only_when_raised(ct):
    """cap_net_bind_service of the namespace binds port 80 in its own network namespace."""
    proc = ct.launch(ct.script(BIND))
    assert proc.returncode == 0, proc.stderr
    assert "refused without raising" in proc.stdout
    assert "bound 80 inside raised()" in proc.stdout


def test_a_host_v2_xattr_counts_in_the_namespace_too(ct):
    """Host root's (revision 2) capabilities count in every namespace, for an exec as for ppy."""
    path = ct.script(caps=None)
    subprocess.run(["setcap", "cap_net_raw=p", ct.host_path(path)], check=True)
    assert status_caps(report(ct.launch(path)), "CapPrm") == 1 << NET_RAW


def test_the_namespaces_capabilities_count_nowhere_on_the_host(ct, host):
    """The same inode, capped by the namespace's root, reached from the host (a hard link in
    a directory root owns): a revision-3 xattr the initial namespace does not honour."""
    path = ct.script()
    link = os.path.join(host.scripts, "from-the-namespace.py")
    os.link(ct.host_path(path), link)
    try:
        refused(host.launch(link), EX_CAPS, "namespaced", "rootid %d" % NS_BASE)
    finally:
        os.unlink(link)


def test_the_namespaces_ppy_holds_nothing_on_the_host(ct, host):
    refused(run([ct.host_path(PPY), host.script()]), EX_INSTALL, "namespaced",
            "rootid %d" % NS_BASE)


def test_a_capability_forged_in_a_nested_namespace_is_refused(ct):
    """The caller owns a file in the namespace and caps it as root of a namespace of its own
    (unshare -Ur setcap): its rootid is the caller here, which the kernel does not honour."""
    home = os.path.join(ct.srv, "home", "caller")
    os.mkdir(home, 0o755)
    os.chown(home, NS_BASE + CALLER, NS_BASE + CALLER)
    path = ct.script(caps=None, owner=CALLER)
    mine = "/srv/home/caller/mine.py"
    os.rename(ct.host_path(path), ct.host_path(mine))
    forged = ct.sh("unshare -Ur setcap cap_net_raw,cap_sys_admin=p %s" % mine, uid=CALLER)
    if forged.returncode != 0:
        pytest.skip("no nested user namespaces here: " + forged.stderr.strip())
    refused(ct.launch(mine), EX_CAPS, "namespaced", "rootid %d" % CALLER)


def test_a_script_of_the_namespaces_root_is_refused(ct):
    refused(ct.launch(ct.script(owner=0)), EX_FILE, "owned by uid 0")


@pytest.mark.parametrize("who", ["unmapped", "mapped overflow id"])
def test_an_owner_shown_as_the_overflow_id_is_refused(ct, who):
    """An owner the namespace does not map shows as 65534; becoming 65534 would run the
    script as someone else, so a mapped 65534 cannot own a script here either."""
    if who == "unmapped":
        path = ct.script(caps=None, host_owner=NS_BASE + NS_COUNT + 100)
        subprocess.run(["setcap", "cap_net_bind_service=p", ct.host_path(path)], check=True)
    else:
        path = ct.script(owner=65534)
    refused(ct.launch(path), EX_FILE, "owned by uid 65534", "does not map")


def test_no_new_privs_in_the_namespace_is_explained(ct):
    proc = ct.sh("setpriv --nnp %s %s" % (PPY, ct.script()), uid=CALLER)
    refused(proc, EX_CALLER, "no_new_privs", "allowPrivilegeEscalation")


def test_a_namespace_that_denies_setgroups_is_explained(ct):
    """A namespace whose creator wrote "deny" to setgroups (as an unprivileged one must):
    ppy cannot drop the caller's supplementary groups there, and says why."""
    proc = ct.sh("%s %s" % (PPY, ct.script()), uid=CALLER, deny_setgroups=True)
    refused(proc, EX_SYSCALL, "setgroups", "this user namespace denies it")
