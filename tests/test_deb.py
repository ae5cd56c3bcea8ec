# SPDX-License-Identifier: LGPL-2.1-or-later
"""The Debian packages (debian/): `make deb` builds ppy and python3-ppy with dpkg-buildpackage
and fails unless lintian finds no error or warning; installed with apt, the postinst gives
/usr/bin/ppy the Makefile's FILECAPS and a capped script runs through it as another uid;
purged, nothing that install made is left.

It builds (about 15 s) and installs system-wide (/usr/bin/ppy), so it runs with
`make check-deb` (PPY_DEB=1), not in make test."""
import glob
import os
import shutil
import subprocess
import tempfile

import pytest

from ppytest import CALLER, OWNER, REPO, RAN, caps_mask, run

pytestmark = [
    pytest.mark.root,
    pytest.mark.skipif(not os.environ.get("PPY_DEB"),
                       reason="builds and installs the Debian packages system-wide: make check-deb"),
]

APT_ENV = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
PACKAGES = ("ppy", "python3-ppy")


def installed(package):
    proc = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package], capture_output=True,
                          text=True)
    return proc.returncode == 0 and proc.stdout == "install ok installed"


def known_to_dpkg(package):
    """Installed, or removed with its configuration left (not purged)."""
    proc = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package], capture_output=True,
                          text=True)
    return proc.returncode == 0 and "not-installed" not in proc.stdout


def filecaps():
    return subprocess.run(["make", "-s", "--no-print-directory", "-C", REPO, "print-filecaps"],
                          check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture(scope="module")
def debs():
    if not shutil.which("dpkg-buildpackage") or not shutil.which("apt-get"):
        pytest.skip("not a Debian system: no dpkg-buildpackage/apt-get")
    proc = subprocess.run(["make", "-s", "-C", REPO, "deb"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    found = {p: glob.glob(os.path.join(REPO, "build", "deb", f"{p}_*.deb")) for p in PACKAGES}
    assert all(len(v) == 1 for v in found.values()), found
    return {p: v[0] for p, v in found.items()}


@pytest.fixture(scope="module")
def system(debs):
    if os.path.exists("/usr/bin/ppy") and not installed("ppy"):
        pytest.skip("a ppy that is not from this package is at /usr/bin/ppy; not replacing it")
    proc = subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends",
                           *debs.values()], capture_output=True, text=True, env=APT_ENV)
    try:
        assert proc.returncode == 0, proc.stdout + proc.stderr
        files = subprocess.run(["dpkg", "-L", *PACKAGES], check=True, capture_output=True,
                               text=True).stdout.split("\n")
        yield [f for f in files if f]
    finally:
        subprocess.run(["apt-get", "purge", "-y", "-q", *PACKAGES], capture_output=True,
                       env=APT_ENV)


def test_lintian_passes_and_both_packages_are_built(debs):
    # make deb runs lintian --fail-on error,warning; here, that it checked both packages.
    log = subprocess.run(["lintian", "--fail-on", "error,warning", "--tag-display-limit", "0",
                          glob.glob(os.path.join(REPO, "build", "deb", "ppy_*.changes"))[0]],
                         capture_output=True, text=True)
    assert log.returncode == 0, log.stdout + log.stderr
    for package, deb in debs.items():
        fields = subprocess.run(["dpkg-deb", "-f", deb, "Package", "Depends"], check=True,
                                capture_output=True, text=True).stdout
        assert f"Package: {package}" in fields
        assert "python3-cffi-backend" in fields and "libcap-ng0" in fields


def test_postinst_sets_the_makefiles_filecaps(system):
    # The exact xattr `setcap FILECAPS` writes (all=p: revision 2, every capability the
    # kernel knows permitted, no effective bit), compared byte for byte.
    ref_dir = tempfile.mkdtemp(prefix="ppy-deb-ref-", dir="/var/lib")
    try:
        ref = os.path.join(ref_dir, "ref")
        open(ref, "w").close()
        subprocess.run(["setcap", filecaps(), ref], check=True)
        assert os.getxattr("/usr/bin/ppy", "security.capability") == \
            os.getxattr(ref, "security.capability")
    finally:
        shutil.rmtree(ref_dir)
    raw = os.getxattr("/usr/bin/ppy", "security.capability")
    assert int.from_bytes(raw[:4], "little") == 0x02000000     # no effective bit


def test_a_capped_script_runs_as_its_owner_for_another_uid(system):
    base = tempfile.mkdtemp(prefix="ppy-deb-test-", dir="/var/lib")
    try:
        os.chmod(base, 0o755)
        script = os.path.join(base, "serve.py")
        with open(script, "w") as f:
            f.write(f"#!/usr/bin/ppy\nprint({RAN!r})\nimport os, ppy_py\n"
                    "print(open('/proc/self/status').read().split('CapPrm:')[1].split()[0])\n"
                    "print(ppy_py.__file__)\nprint(os.getuid())\n")
        os.chown(script, OWNER, OWNER)
        os.chmod(script, 0o755)
        subprocess.run(["setcap", "cap_net_raw=p", script], check=True)
        proc = run([script])
        assert proc.returncode == 0, proc.stderr
        lines = proc.stdout.splitlines()
        assert lines[0] == RAN
        assert int(lines[1], 16) == caps_mask(13)
        assert lines[2].startswith("/usr/lib/ppy/python/ppy_py/")
        assert lines[3] == str(OWNER)
        # The library of python3-ppy, for programs outside ppy.
        lib = run(["/usr/bin/python3", "-I", "-m", "ppy_py", "getcap", script])
        assert lib.returncode == 0, lib.stderr
        assert lib.stdout.strip() == f"{script} cap_net_raw=p"
        where = run(["/usr/bin/python3", "-I", "-c", "import ppy_py; print(ppy_py.__file__)"])
        assert where.stdout.startswith("/usr/lib/python3/dist-packages/ppy_py/"), where
    finally:
        shutil.rmtree(base)
    assert "/usr/share/man/man1/ppy.1.gz" in system


def test_postinst_compiled_checked_hash_bytecode(system):
    pycs = glob.glob("/usr/lib/ppy/python/__pycache__/ppy_boot.*.pyc")
    assert pycs
    with open(pycs[0], "rb") as f:
        flags = int.from_bytes(f.read(8)[4:8], "little")
    assert flags == 0b11, flags          # hash-based, checked against the source


def test_postinst_says_what_to_do_when_setcap_fails(system, tmp_path):
    fake = tmp_path / "bin"
    fake.mkdir()
    # as setcap says it on a file system without security.capability xattrs, on two lines
    (fake / "setcap").write_text("#!/bin/sh\necho 'Failed to set capabilities on file'\n"
                                 "echo '/usr/bin/ppy: Operation not supported' >&2\nexit 1\n")
    (fake / "setcap").chmod(0o755)
    subprocess.run(["dpkg-deb", "-e", glob.glob(os.path.join(REPO, "build", "deb",
                                                             "ppy_*.deb"))[0],
                    str(tmp_path / "ctl")], check=True)
    before = os.getxattr("/usr/bin/ppy", "security.capability")
    proc = subprocess.run(["sh", str(tmp_path / "ctl" / "postinst"), "configure"],
                          capture_output=True, text=True,
                          env={"PATH": f"{fake}:/usr/sbin:/usr/bin:/sbin:/bin"})
    assert proc.returncode == 0, proc.stderr          # the package still configures
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert "could not give /usr/bin/ppy its file capabilities" in lines[0]
    assert "Operation not supported" in lines[0]
    assert f"setcap '{filecaps()}' /usr/bin/ppy" in lines[0]
    assert "status 86" in lines[0]
    assert os.getxattr("/usr/bin/ppy", "security.capability") == before


def test_purge_leaves_nothing_behind(system):
    subprocess.run(["apt-get", "purge", "-y", "-q", *PACKAGES], check=True,
                   capture_output=True, env=APT_ENV)
    assert not any(known_to_dpkg(p) for p in PACKAGES)
    ours = [f for f in system if "ppy" in f]
    assert ours and not [f for f in ours if os.path.lexists(f)]
    assert not os.path.exists("/usr/lib/ppy")
