"""The oracle: python-prctl 1.8.1's own test suite against ppy_py.compat.

The test fetches python-prctl's sdist from PyPI (``pip download --no-deps --no-binary
:all: python-prctl==1.8.1``; its metadata step needs libcap's headers, which ``make
deps`` installs), takes its ``test_prctl.py`` and makes two copies: one with only the
build-directory check removed, which imports the real python-prctl (Debian's
python3-prctl, also from ``make deps``), and one that also has its two imports
replaced by ``from ppy_py.compat import prctl, _prctl``. Both run with
/usr/bin/python3, once as root and once as an unprivileged uid, each in a process of
its own (the suite changes the process: it drops from the bounding set, sets
securebits...). Every test the real python-prctl passes must pass with ppy_py too.
"""
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile

import pytest

from ppytest import CALLER, REPO, run

pytestmark = pytest.mark.oracle

PYTHON = "/usr/bin/python3"
RUNNER = os.path.join(REPO, "tests", "prctl_oracle_run.py")
SDIST = "python-prctl-1.8.1.tar.gz"
BUILD_DIR_CHECK = ("curdir = os.path.dirname(__file__)", "sys.path.insert(0, builddir)\n")
IMPORTS = "import prctl\nimport _prctl\n"
COMPAT_IMPORT = "from ppy_py.compat import prctl, _prctl\n"


def _have_real_prctl():
    probe = subprocess.run([PYTHON, "-c", "import prctl, _prctl; print(prctl.__file__)"],
                           capture_output=True, text=True)
    return probe.returncode == 0 and probe.stdout.startswith("/usr/lib/python3/")


@pytest.fixture(scope="module")
def suites():
    """Directory (readable by anyone) with real.py and ours.py, the two copies."""
    if not _have_real_prctl():
        pytest.fail("Debian's python3-prctl is not installed (make deps installs it)")
    work = tempfile.mkdtemp(prefix="ppy-prctl-oracle-")
    try:
        os.chmod(work, 0o755)
        got = subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
             "python-prctl==1.8.1", "-d", work],
            capture_output=True, text=True, timeout=300)
        assert got.returncode == 0, "pip download failed:\n" + got.stdout + got.stderr
        with tarfile.open(os.path.join(work, SDIST)) as tar:
            member = tar.getmember("python-prctl-1.8.1/test_prctl.py")
            source = tar.extractfile(member).read().decode()
        start, end = (source.index(marker) for marker in BUILD_DIR_CHECK)
        end += len(BUILD_DIR_CHECK[1])
        assert "builddir" not in source[end:] and source.count(IMPORTS) == 1
        real = source[:start] + source[end:]
        ours = real.replace(IMPORTS, COMPAT_IMPORT)
        for name, text in (("real.py", real), ("ours.py", ours)):
            with open(os.path.join(work, name), "w") as f:
                f.write(text)
            os.chmod(os.path.join(work, name), 0o644)
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run_suite(path, uid, repo=None):
    argv = [PYTHON, "-I", "-B", RUNNER, path] + ([repo] if repo else [])
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    if uid is None:
        proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300)
    else:
        proc = run(argv, uid=uid, env=env, timeout=300)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("ORACLE-RESULT ")]
    assert lines, "no result (status %d):\n%s\n%s" % (proc.returncode, proc.stdout, proc.stderr)
    return json.loads(lines[-1][len("ORACLE-RESULT "):])


def _compare(work, uid):
    real = _run_suite(os.path.join(work, "real.py"), uid)
    ours = _run_suite(os.path.join(work, "ours.py"), uid, REPO)
    # Each copy ran against what it should.
    assert real["prctl"] == "/usr/lib/python3/dist-packages/prctl.py", real["prctl"]
    assert ours["prctl"] == os.path.join(REPO, "ppy_py", "compat", "prctl.py"), ours["prctl"]
    assert real["euid"] == ours["euid"] == (os.geteuid() if uid is None else uid)
    assert set(real["outcomes"]) == set(ours["outcomes"])
    passed_real = {t for t, o in real["outcomes"].items() if o == "pass"}
    lost = {t: ours["details"].get(t, ours["outcomes"][t])
            for t in passed_real if ours["outcomes"][t] != "pass"}
    assert not lost, "python-prctl passes, ppy_py.compat does not:\n" + "\n".join(
        "%s: %s" % item for item in sorted(lost.items()))
    # Not a vacuous run: the suite has 33 tests; python-prctl passes most on any machine.
    assert len(real["outcomes"]) == 33 and len(passed_real) >= 25, real["outcomes"]
    return real, ours


def test_python_prctl_suite_as_this_user(suites):
    real, ours = _compare(suites, None)
    print("as uid %d: python-prctl passes %d, ppy_py.compat %d of %d" % (
        os.geteuid(), sum(o == "pass" for o in real["outcomes"].values()),
        sum(o == "pass" for o in ours["outcomes"].values()), len(ours["outcomes"])))


@pytest.mark.root
def test_python_prctl_suite_as_an_unprivileged_user(suites):
    real, ours = _compare(suites, CALLER)
    print("as uid %d: python-prctl passes %d, ppy_py.compat %d of %d" % (
        CALLER, sum(o == "pass" for o in real["outcomes"].values()),
        sum(o == "pass" for o in ours["outcomes"].values()), len(ours["outcomes"])))
