# SPDX-License-Identifier: LGPL-2.1-or-later
"""make check-cross: ppy and both extensions, as the Makefile builds them with Debian's aarch64
cross gcc, are aarch64 code with the hardening that target has (arm64 has no -fcf-protection,
which stopped the build before; it has -mbranch-protection instead).

Not run: this machine cannot execute aarch64 code. PPY_CROSS names the built tree."""
import glob
import os
import re
import subprocess

import pytest

TREE = os.environ.get("PPY_CROSS", "")
pytestmark = pytest.mark.skipif(not TREE, reason="make check-cross builds the tree it checks")


def readelf(*args):
    return subprocess.run(["readelf", "-W", *args], check=True, capture_output=True,
                          text=True).stdout


def built():
    ppy = os.path.join(TREE, "wrapper", "ppy")
    exts = glob.glob(os.path.join(TREE, "_ppy_sys.abi3.so")) + \
        glob.glob(os.path.join(TREE, "ppy_py", "_capng.*.so"))
    return ppy, exts


def test_everything_is_aarch64():
    ppy, exts = built()
    assert len(exts) == 2, exts
    for f in [ppy] + exts:
        assert re.search(r"Machine:\s+AArch64", readelf("-h", f)), f


def test_launcher_is_hardened_for_aarch64():
    ppy, _ = built()
    assert re.search(r"Type:\s+DYN", readelf("-h", ppy)) and "INTERP" in readelf("-l", ppy)
    assert "GNU_RELRO" in readelf("-l", ppy)
    dyn = readelf("-d", ppy)
    assert re.search(r"FLAGS_1\).*\bNOW\b.*\bPIE\b|FLAGS_1\).*\bPIE\b", dyn)
    assert "libcap-ng.so.0" in dyn and "RPATH" not in dyn and "RUNPATH" not in dyn
    syms = readelf("--dyn-syms", ppy)
    assert "__stack_chk_fail" in syms
    assert len(set(re.findall(r"\b(__\w+_chk)\b", syms)) - {"__stack_chk_fail"}) >= 3
    stack = [l for l in readelf("-l", ppy).splitlines() if "GNU_STACK" in l]
    assert stack and stack[0].split()[-2] == "RW"


def test_flags_are_the_ones_the_target_has():
    with open(os.path.join(TREE, "wrapper", "build.conf")) as f:
        conf = f.read()
    assert conf.startswith("aarch64-linux-gnu-gcc ")
    assert "-fcf-protection" not in conf                 # x86 only
    assert "-mbranch-protection=standard" in conf        # arm64's PAC/BTI
    assert "-fstack-clash-protection" in conf and "-D_FORTIFY_SOURCE=3" in conf


def test_capng_extension_links_libcap_ng():
    _, exts = built()
    capng = [e for e in exts if "_capng" in e][0]
    assert capng.endswith("-aarch64-linux-gnu.so")
    assert "libcap-ng.so.0" in readelf("-d", capng)
