# SPDX-License-Identifier: LGPL-2.1-or-later
"""The installed ppy binary carries the hardening the Makefile asks for, as readelf sees it.

PIE (ELF type DYN with an interpreter and DF_1_PIE), full RELRO (a GNU_RELRO segment and
BIND_NOW), a non-executable stack, the stack protector (__stack_chk_fail), FORTIFY_SOURCE
(__*_chk imports), no RPATH/RUNPATH or text relocations, no
setuid bit, and file capabilities that are permitted only (never effective).

Not checked: CET. ppy is compiled with -fcf-protection, but on Debian 12 the linked
program carries no IBT/SHSTK property (the toolchain's start-up objects are not marked,
so the linker drops it; the same happens for an empty main()).
"""
import os
import re
import stat
import subprocess

import pytest

from ppytest import Install

pytestmark = pytest.mark.root


@pytest.fixture(scope="module")
def ppy():
    inst = Install()
    yield inst.ppy
    inst.remove()


def readelf(*args):
    return subprocess.run(["readelf", "-W", *args], check=True, capture_output=True,
                          text=True).stdout


def test_pie(ppy):
    assert re.search(r"Type:\s+DYN", readelf("-h", ppy))
    assert "INTERP" in readelf("-l", ppy)          # an executable, not a shared library
    assert re.search(r"FLAGS_1\).*\bPIE\b", readelf("-d", ppy))


def test_full_relro(ppy):
    assert "GNU_RELRO" in readelf("-l", ppy)
    dyn = readelf("-d", ppy)
    assert re.search(r"\(FLAGS\).*\bBIND_NOW\b", dyn) or "(BIND_NOW)" in dyn
    assert re.search(r"FLAGS_1\).*\bNOW\b", dyn)


def test_no_executable_stack(ppy):
    stack = [line for line in readelf("-l", ppy).splitlines() if "GNU_STACK" in line]
    assert stack and stack[0].split()[-2] == "RW", stack


def test_stack_protector_and_fortify(ppy):
    syms = readelf("--dyn-syms", ppy)
    assert "__stack_chk_fail" in syms
    chk = set(re.findall(r"\b(__\w+_chk)\b", syms)) - {"__stack_chk_fail"}
    assert len(chk) >= 3, chk                         # e.g. __snprintf_chk, __open_2...


def test_no_rpath_and_no_text_relocations(ppy):
    dyn = readelf("-d", ppy)
    assert "RPATH" not in dyn and "RUNPATH" not in dyn
    assert "TEXTREL" not in dyn


def test_installed_mode_and_file_capabilities(ppy):
    st = os.stat(ppy)
    assert st.st_uid == 0 and not st.st_mode & (stat.S_ISUID | stat.S_ISGID)
    assert not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    caps = subprocess.run(["getcap", ppy], check=True, capture_output=True, text=True).stdout
    assert "=p" in caps and "e" not in caps.split(" ", 1)[1].split("=")[-1], caps
