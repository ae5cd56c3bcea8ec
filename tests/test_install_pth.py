# SPDX-License-Identifier: LGPL-2.1-or-later
"""`make install-pth SITEDIR=...` activates ppy_py.hardening.patch_stdlib() for every program
of a venv, before any other import: find_library then starts no process."""
import os
import subprocess
import sys

from ppytest import PYTHON, REPO

PROBE = r"""
import sys
events = []
sys.addaudithook(lambda e, a: events.append(e) if e in ("subprocess.Popen", "os.exec", "os.posix_spawn") else None)
import ctypes.util
print(ctypes.util.find_library("c") + "|" + ",".join(events))
"""


def test_pth_activates_patch_stdlib_in_a_venv(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([PYTHON, "-m", "venv", "--without-pip", "--system-site-packages", str(venv)],
                   check=True)
    py = str(venv / "bin" / "python")
    site = subprocess.run([py, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          check=True, capture_output=True, text=True).stdout.strip()
    # ppy_py itself, from this checkout (an installed copy would do the same)
    (open(os.path.join(site, "00-ppy-checkout.pth"), "w")).write(REPO + "\n")
    before = subprocess.run([py, "-c", PROBE], capture_output=True, text=True)
    assert before.returncode == 0 and "subprocess.Popen" in before.stdout, before.stdout
    subprocess.run(["make", "-s", "-C", REPO, "install-pth", f"SITEDIR={site}"], check=True)
    after = subprocess.run([py, "-c", PROBE], capture_output=True, text=True)
    assert after.returncode == 0, after.stderr
    lib, events = after.stdout.strip().split("|")
    assert events == ""
    assert lib == before.stdout.split("|")[0] == "libc.so.6"
