"""`make deb` builds a package that installs with apt on this machine and works: its postinst
gives /usr/bin/ppy its file capabilities, and a capped script runs through it."""
import glob
import os
import shutil
import subprocess
import tempfile

import pytest

from ppytest import CALLER, OWNER, REPO, RAN, caps_mask

pytestmark = pytest.mark.root


def installed_version():
    proc = subprocess.run(["dpkg-query", "-W", "-f=${Status}", "ppy"], capture_output=True,
                          text=True)
    return proc.returncode == 0 and "install ok installed" in proc.stdout


@pytest.fixture
def deb_installed():
    if not shutil.which("dpkg-deb") or not shutil.which("apt-get"):
        pytest.skip("not a Debian system: no dpkg-deb/apt-get")
    if os.path.exists("/usr/bin/ppy") and not installed_version():
        pytest.skip("a ppy that is not from this package is at /usr/bin/ppy; not replacing it")
    subprocess.run(["make", "-s", "-C", REPO, "deb"], check=True, capture_output=True)
    debs = glob.glob(os.path.join(REPO, "build", "ppy_*.deb"))
    assert len(debs) == 1, debs
    proc = subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends", debs[0]],
                          capture_output=True, text=True,
                          env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    try:
        yield "/usr/bin/ppy"
    finally:
        subprocess.run(["apt-get", "purge", "-y", "-q", "ppy"], capture_output=True,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        assert not os.path.exists("/usr/bin/ppy")


def test_package_installs_and_runs_a_capped_script(deb_installed):
    ppy = deb_installed
    # the postinst set ppy's capabilities: every capability, permitted, not effective
    raw = os.getxattr(ppy, "security.capability")
    last = int(open("/proc/sys/kernel/cap_last_cap").read())
    magic, p_lo, i_lo, p_hi, i_hi = (int.from_bytes(raw[i:i + 4], "little") for i in range(0, 20, 4))
    assert magic == 0x02000000                   # revision 2, no effective bit
    assert (p_lo | p_hi << 32) & ((1 << (last + 1)) - 1) == (1 << (last + 1)) - 1

    base = tempfile.mkdtemp(prefix="ppy-deb-test-", dir="/var/lib")
    try:
        os.chmod(base, 0o755)
        script = os.path.join(base, "serve.py")
        with open(script, "w") as f:
            f.write(f"#!{ppy}\nprint({RAN!r})\nimport ppy_py\n"
                    "print(open('/proc/self/status').read().split('CapPrm:')[1].split()[0])\n"
                    "print(ppy_py.__file__)\n")
        os.chown(script, OWNER, OWNER)
        os.chmod(script, 0o755)
        subprocess.run(["setcap", "cap_net_raw=p", script], check=True)
        proc = subprocess.run(["setpriv", f"--reuid={CALLER}", f"--regid={CALLER}",
                               "--clear-groups", script], capture_output=True, text=True, env={})
        assert proc.returncode == 0, proc.stderr
        lines = proc.stdout.splitlines()
        assert lines[0] == RAN
        assert int(lines[1], 16) == caps_mask(13)
        assert lines[2].startswith("/usr/lib/ppy/python/ppy_py/")
        man = subprocess.run(["dpkg", "-L", "ppy"], capture_output=True, text=True).stdout
        assert "/usr/share/man/man1/ppy.1" in man
    finally:
        shutil.rmtree(base)
