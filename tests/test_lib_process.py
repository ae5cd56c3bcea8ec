# SPDX-License-Identifier: LGPL-2.1-or-later
"""prctl attributes: dumpable, keep-caps, name, pdeathsig, subreaper,
no_new_privs and securebits.  Changes run in forked children."""

import signal

import pytest

from lib_helpers import in_child, status
import ppy_py
from ppy_py._capng import lib


def _raw(option):
    return lib.ppy_prctl(option, 0, 0, 0, 0)


def test_getters_match_raw_prctl():
    assert ppy_py.dumpable() is (_raw(lib.PR_GET_DUMPABLE) == 1)
    assert ppy_py.keep_caps() is (_raw(lib.PR_GET_KEEPCAPS) == 1)
    assert ppy_py.no_new_privs() is bool(status()["NoNewPrivs"])
    assert int(ppy_py.securebits.get()) == _raw(lib.PR_GET_SECUREBITS)
    with open("/proc/thread-self/comm") as f:
        assert ppy_py.process_name() == f.read().rstrip("\n")
    assert isinstance(ppy_py.pdeathsig(), int)
    assert isinstance(ppy_py.child_subreaper(), bool)


def test_set_dumpable():
    def child():
        ppy_py.set_dumpable(False)
        off = [ppy_py.dumpable(), _raw(lib.PR_GET_DUMPABLE)]
        ppy_py.set_dumpable(True)
        return off + [ppy_py.dumpable()]

    assert in_child(child) == [False, 0, True]
    with pytest.raises(TypeError):
        ppy_py.set_dumpable(0)


def test_name_pdeathsig_subreaper_keepcaps():
    def child():
        ppy_py.set_process_name("ppy-test")
        with open("/proc/thread-self/comm") as f:
            comm = f.read().strip()
        ppy_py.set_pdeathsig(signal.SIGTERM)
        sig = ppy_py.pdeathsig()
        ppy_py.set_pdeathsig(0)
        ppy_py.set_child_subreaper(True)
        sub = [ppy_py.child_subreaper(), _raw(lib.PR_GET_CHILD_SUBREAPER)]
        ppy_py.set_keep_caps(True)
        keep = [ppy_py.keep_caps(), _raw(lib.PR_GET_KEEPCAPS), ppy_py.current().keep_caps]
        ppy_py.set_keep_caps(False)
        return [comm, sig, ppy_py.pdeathsig(), sub, keep, ppy_py.keep_caps()]

    comm, sig, cleared, sub, keep, keep_off = in_child(child)
    assert comm == "ppy-test"
    assert sig == signal.SIGTERM and cleared == 0
    assert sub[0] is True  # PR_GET_CHILD_SUBREAPER writes through a pointer
    assert keep == [True, 1, True] and keep_off is False


def test_bad_attribute_values():
    with pytest.raises(ValueError, match="15 bytes"):
        ppy_py.set_process_name("x" * 16)
    with pytest.raises(ValueError):
        ppy_py.set_process_name("a\0b")
    with pytest.raises(TypeError):
        ppy_py.set_process_name(5)
    with pytest.raises(ValueError):
        ppy_py.set_pdeathsig(1000)
    with pytest.raises(ValueError):
        ppy_py.set_pdeathsig(True)
    with pytest.raises(TypeError):
        ppy_py.set_child_subreaper("yes")


def test_no_new_privs():
    def child():
        before = status()["NoNewPrivs"]
        ppy_py.set_no_new_privs()
        return [before, status()["NoNewPrivs"], ppy_py.no_new_privs()]

    assert in_child(child) == [0, 1, True]


def test_securebits_flag_has_all_eight_bits():
    S = ppy_py.Securebits
    assert [m.name for m in S] == [
        "NOROOT", "NOROOT_LOCKED", "NO_SETUID_FIXUP", "NO_SETUID_FIXUP_LOCKED",
        "KEEP_CAPS", "KEEP_CAPS_LOCKED", "NO_CAP_AMBIENT_RAISE", "NO_CAP_AMBIENT_RAISE_LOCKED",
    ]
    assert [int(m) for m in S] == [1 << n for n in range(8)]
    assert ppy_py.securebits.NOROOT is S.NOROOT


@pytest.mark.root
def test_securebits_set_is_read_modify_write_and_locks():
    def child():
        sb = ppy_py.securebits
        S = ppy_py.Securebits
        seen = []
        sb.set(S.KEEP_CAPS)
        seen.append(_raw(lib.PR_GET_SECUREBITS))
        sb.set("noroot", lock=True)  # keeps KEEP_CAPS, adds NOROOT and its lock
        seen.append(_raw(lib.PR_GET_SECUREBITS))
        sb.clear(S.KEEP_CAPS)
        seen.append(_raw(lib.PR_GET_SECUREBITS))
        try:
            sb.clear("noroot")
        except PermissionError as e:
            seen.append(str(e))
        sb.lock("no_setuid_fixup")  # locks it at its current value (off)
        seen.append(_raw(lib.PR_GET_SECUREBITS))
        try:
            sb.set("no_setuid_fixup")
        except ppy_py.CapabilityError as e:
            seen.append(str(e))
        seen.append(int(ppy_py.current().securebits))
        return seen

    seen = in_child(child)
    assert seen[0] == 0x10
    assert seen[1] == 0x10 | 0x1 | 0x2
    assert seen[2] == 0x3
    assert seen[3] == "cannot clear securebits NOROOT: locked"
    assert seen[4] == 0x3 | 0x8
    assert seen[5] == "cannot set securebits NO_SETUID_FIXUP: locked"
    assert seen[6] == 0xB


@pytest.mark.root
def test_securebits_need_setpcap():
    def child():
        ppy_py.lower_caps("setpcap")
        try:
            ppy_py.securebits.set("noroot")
        except ppy_py.CapabilityError as e:
            return [str(e), e.errno, _raw(lib.PR_GET_SECUREBITS)]
        return None

    msg, err, bits = in_child(child)
    assert msg == "cannot set securebits NOROOT: CAP_SETPCAP is not in the effective set"
    assert err == 1 and bits == 0


def test_securebits_bad_input():
    with pytest.raises(ValueError, match="unknown securebit 'noroof'"):
        ppy_py.securebits.set("noroof")
    with pytest.raises(ValueError):
        ppy_py.securebits.set(0x100)
    with pytest.raises(TypeError):
        ppy_py.securebits.set(True)
