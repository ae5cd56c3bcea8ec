# SPDX-License-Identifier: LGPL-2.1-or-later
"""The build itself: what make says about an interpreter it cannot use, the hardening flags
it asks of the compiler, the capability list it gives ppy, and which package manager
`make deps` uses. Nothing here changes the tree: make stops before building, or only
prints (-n)."""
import glob
import os
import shutil
import subprocess
import venv

import pytest

from ppytest import REPO


def make(*args, env=None):
    return subprocess.run(["make", "--no-print-directory", "-C", REPO, *args],
                          capture_output=True, text=True, env=env)


def one_line_refusal(proc):
    assert proc.returncode != 0
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


OLD = sorted(glob.glob("/root/.pyenv/versions/[23].*/bin/python")) if os.access(
    "/root", os.X_OK) else []
OLD = [p for p in OLD if subprocess.run([p, "-c", "import sys; sys.exit(sys.version_info >= (3, 9))"]
                                        ).returncode == 0]


@pytest.mark.parametrize("python", OLD or [pytest.param(None, marks=pytest.mark.skip(
    reason="no CPython below 3.9 on this machine (pyenv's, under /root/.pyenv/versions)"))])
def test_python_below_3_9_is_refused_before_anything_is_built(python):
    version = subprocess.run([python, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
                             capture_output=True, text=True).stdout.strip()
    line = one_line_refusal(make(f"PYTHON={python}", "all"))
    assert f"PYTHON={python} is CPython {version}: ppy needs CPython 3.9 or later" in line


def test_python_without_cffi_is_named_with_what_it_lacks(tmp_path):
    venv.create(tmp_path / "venv", system_site_packages=False, with_pip=False)
    python = str(tmp_path / "venv" / "bin" / "python")
    line = one_line_refusal(make(f"PYTHON={python}", "all"))
    assert f"PYTHON={python}" in line and "lacks cffi, needed to build ppy_py" in line
    assert f"{python} -m pip install cffi" in line


def test_a_python_that_does_not_run_is_named():
    line = one_line_refusal(make("PYTHON=/nonexistent/python3", "install"))
    assert "PYTHON=/nonexistent/python3 is not a program that runs" in line


def test_goals_that_build_nothing_do_not_ask_python():
    proc = make("PYTHON=/nonexistent/python3", "print-filecaps")
    assert proc.returncode == 0 and proc.stdout == "all=p\n", proc.stderr


def test_filecaps_are_grantable_plus_what_ppy_needs():
    caps = make("-s", "GRANTABLE=cap_net_raw", "print-filecaps").stdout.strip()
    assert caps.startswith("cap_net_raw,") and caps.endswith("=p")
    assert {"cap_setuid", "cap_setgid", "cap_setpcap"} <= set(caps[:-2].split(","))


def compile_command(cc):
    # -n prints the commands; wrapper/build.conf is always remade, so ppy's line is printed.
    proc = make("-n", f"CC={cc}", "wrapper/ppy")
    assert proc.returncode == 0, proc.stderr
    return [line for line in proc.stdout.splitlines() if "-o wrapper/ppy" in line][0].split()


def test_hardening_flags_are_those_the_compiler_accepts(tmp_path):
    # A compiler without CET or stack clash protection (arm64 gcc has no -fcf-protection;
    # older gccs have neither): the build leaves them out instead of failing.
    cc = tmp_path / "cc-without-cet"
    cc.write_text('#!/bin/sh\nfor a; do case $a in -fcf-protection*|-fstack-clash-protection)\n'
                  '  echo "cc1: error: $a is not supported for this target" >&2; exit 1;; esac; done\n'
                  'exec cc "$@"\n')
    cc.chmod(0o755)
    flags = compile_command(str(cc))
    assert "-fcf-protection" not in flags and "-fstack-clash-protection" not in flags
    assert {"-fstack-protector-strong", "-D_FORTIFY_SOURCE=3", "-fPIE", "-pie"} <= set(flags)
    native = compile_command("cc")
    if os.uname().machine == "x86_64":
        assert "-fcf-protection" in native and "-fstack-clash-protection" in native


@pytest.mark.skipif(not shutil.which("aarch64-linux-gnu-gcc"),
                    reason="no aarch64 cross compiler (make deps-portability)")
def test_aarch64_gets_branch_protection_not_cet():
    flags = compile_command("aarch64-linux-gnu-gcc")
    assert "-fcf-protection" not in flags and "-mbranch-protection=standard" in flags


# ------------------------------------------------------------------ make deps

def stand_ins(tmp_path, *names):
    """A PATH holding only stand-ins for NAMES, each writing its argv to NAME.args."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in names:
        (bin_dir / name).write_text(f'#!/bin/sh\necho "$@" >> {tmp_path}/{name}.args\n')
        (bin_dir / name).chmod(0o755)
    return {"PATH": str(bin_dir)}


def deps(tmp_path, env, *sets):
    return subprocess.run(["/bin/sh", os.path.join(REPO, "packaging", "deps.sh"), *sets],
                          capture_output=True, text=True, env=env)


def test_deps_uses_apt_get_where_there_is_one(tmp_path):
    env = stand_ins(tmp_path, "apt-get", "dnf", "apk")
    proc = deps(tmp_path, env, "base", "deb")
    assert proc.returncode == 0, proc.stderr
    calls = (tmp_path / "apt-get.args").read_text().splitlines()
    assert "update" in calls[0]
    install = calls[1].split()
    assert install[install.index("install"):][:4] == ["install", "-y", "-qq", "--no-install-recommends"]
    assert {"libcap-ng-dev", "python3-cffi", "python3-dev", "libcap2-bin", "debhelper",
            "lintian", "dh-python"} <= set(install)
    assert not (tmp_path / "dnf.args").exists() and not (tmp_path / "apk.args").exists()


def test_deps_uses_dnf_then_apk(tmp_path):
    env = stand_ins(tmp_path, "dnf", "apk")
    proc = deps(tmp_path, env, "base", "deb")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "deps.sh: skipping 'deb': it needs Debian's tools (apt-get)\n"
    dnf = (tmp_path / "dnf.args").read_text().split()
    assert dnf[:2] == ["install", "-y"]
    assert {"libcap-ng-devel", "python3-cffi", "python3-devel", "gcc"} <= set(dnf)
    assert not (tmp_path / "apk.args").exists()
    (tmp_path / "bin" / "dnf").unlink()
    assert deps(tmp_path, env, "base").returncode == 0
    apk = (tmp_path / "apk.args").read_text().split()
    assert apk[0] == "add" and {"libcap-ng-dev", "py3-cffi", "python3-dev", "setpriv",
                                "linux-headers"} <= set(apk)


def test_deps_without_a_known_package_manager_says_so(tmp_path):
    proc = deps(tmp_path, stand_ins(tmp_path), "base")
    assert proc.returncode == 1
    assert proc.stderr.startswith("deps.sh: no apt-get, dnf or apk on this machine")
    assert len(proc.stderr.splitlines()) == 1
