# SPDX-License-Identifier: LGPL-2.1-or-later
"""The virtualenv of real PyPI packages that tests/test_apps.py runs under ppy.

    python tests/apps/appsvenv.py [PYTHON]     build it if needed (needs the network), print its path

Root's, 0755, under /var/lib/ppy-test-cache, one per requirements file and interpreter (a
fresh machine builds it once; later runs reuse it). `make test` builds it before it enters
its network namespace, where PyPI cannot be reached.
"""
import hashlib
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REQUIREMENTS = os.path.join(HERE, "requirements.txt")
CACHE = "/var/lib/ppy-test-cache"


def path(python):
    with open(REQUIREMENTS, "rb") as f:
        key = hashlib.sha256(f.read() + python.encode()).hexdigest()[:16]
    return os.path.join(CACHE, "apps-" + key)


def ensure(python):
    """The venv's directory, built first if it is not complete."""
    venv = path(python)
    if os.path.exists(os.path.join(venv, ".complete")):
        return venv
    os.makedirs(CACHE, 0o755, exist_ok=True)
    os.chmod(CACHE, 0o755)
    shutil.rmtree(venv, ignore_errors=True)   # an interrupted build
    subprocess.run([python, "-m", "venv", venv], check=True)
    os.chmod(venv, 0o755)
    subprocess.run([os.path.join(venv, "bin", "pip"), "install", "-q", "--no-cache-dir",
                    "--disable-pip-version-check", "-r", REQUIREMENTS], check=True)
    open(os.path.join(venv, ".complete"), "w").close()
    return venv


if __name__ == "__main__":
    print(ensure(sys.argv[1] if len(sys.argv) > 1 else "/usr/bin/python3"))
