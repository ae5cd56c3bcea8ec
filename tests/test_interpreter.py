# SPDX-License-Identifier: LGPL-2.1-or-later
"""A ppy built for PPY_PYTHON runs scripts under that interpreter. make test runs this with
the default one; make check-pythons with each CPython from 3.9 to 3.13 (pyenv copies)."""
import os
import subprocess
import textwrap

import pytest

from ppytest import OWNER, PYTHON, REPO, caps_mask, report

pytestmark = pytest.mark.root


def interpreter_facts(code):
    return subprocess.run([PYTHON, "-I", "-c", code], check=True, capture_output=True,
                          text=True).stdout.strip()


def test_script_runs_under_the_built_interpreter_and_binds_port_80(inst):
    body = textwrap.dedent("""
        import socket, sys, ppy_py
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        with ppy_py.raised("net_bind_service"):
            s.bind(("127.0.0.1", 80))
        print(json.dumps({"version": list(sys.version_info[:3]), "executable": sys.executable,
                          "port": s.getsockname()[1], "uid": os.getuid(),
                          "prm": open("/proc/self/status").read().split("CapPrm:")[1].split()[0]}))
        """)
    proc = inst.launch(inst.script("import json, os\n" + body))
    rep = report(proc)
    want = interpreter_facts("import sys, json; print(json.dumps(list(sys.version_info[:3])))")
    assert rep["version"] == eval(want)
    assert os.path.realpath(rep["executable"]) == os.path.realpath(PYTHON)
    assert rep["port"] == 80 and rep["uid"] == OWNER
    assert int(rep["prm"], 16) == caps_mask(10)


def test_build_needs_no_setuptools():
    # The build (the inst fixture's Install, and make) went through for this interpreter; where it has
    # no setuptools (3.12+ ship none), that shows the build does not need it.
    has = subprocess.run([PYTHON, "-I", "-c", "import setuptools"], capture_output=True)
    if has.returncode == 0:
        pytest.skip(f"{PYTHON} has setuptools: nothing to show here (check-pythons: 3.12, 3.13)")
    # -W: as if capng_build.py had changed, so _capng is generated and compiled again now
    built = subprocess.run(["make", "-s", "-C", REPO, f"PYTHON={PYTHON}",
                            "-W", "ppy_py/_build/capng_build.py", "ext"],
                           capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
