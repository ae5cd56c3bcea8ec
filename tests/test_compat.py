"""ppy_py.compat beside the real python-prctl (Debian's python3-prctl): the same public
names and constant values, and what python-prctl cannot name. Behaviour test by test is
python-prctl's own suite (test_prctl_oracle.py); changes run in forked children."""

import pytest

from lib_helpers import in_child
from ppy_py import Cap
from ppy_py.compat import _prctl, prctl

real_prctl = pytest.importorskip("prctl")
real_c = pytest.importorskip("_prctl")


def _public(module):
    return {n for n in dir(module) if not n.startswith("_")}


def test_every_public_name_of_python_prctl_is_there_with_its_value():
    for real, ours in ((real_prctl, prctl), (real_c, _prctl)):
        missing = _public(real) - _public(ours)
        assert not missing, (real.__name__, sorted(missing))
        for name in _public(real):
            value = getattr(real, name)
            if isinstance(value, int):
                assert getattr(ours, name) == value, name
            elif callable(value):
                assert callable(getattr(ours, name)), name
    # python-prctl's tuples hold the capabilities its headers named; ours hold the kernel's.
    assert set(prctl.ALL_CAP_NAMES) >= set(real_prctl.ALL_CAP_NAMES) - {"last_cap"}
    assert prctl.ALL_FLAGS == real_prctl.ALL_FLAGS
    assert prctl.ALL_FLAG_NAMES == real_prctl.ALL_FLAG_NAMES


def test_every_capability_of_the_kernel_is_named_once():
    assert sorted(prctl.ALL_CAPS) == list(range(Cap.all()[-1] + 1))
    for cap in Cap.all():
        assert getattr(_prctl, cap.macro) == cap
        assert cap.name.lower() in prctl.ALL_CAP_NAMES
    assert _prctl.CAP_CHECKPOINT_RESTORE == 40 and _prctl.CAP_LAST_CAP == Cap.all()[-1]
    assert isinstance(prctl.capbset.checkpoint_restore, bool)
    assert prctl.capbset.last_cap == prctl.capbset.checkpoint_restore   # python-prctl's alias
    got = prctl.get_caps(("checkpoint_restore", prctl.ALL_FLAGS), ("CAP_BPF", prctl.CAP_EFFECTIVE))
    assert set(got[prctl.CAP_EFFECTIVE]) == {Cap.CHECKPOINT_RESTORE, Cap.BPF}


def test_same_answers_as_python_prctl():
    for name in ("get_dumpable", "get_keepcaps", "get_no_new_privs", "get_securebits",
                 "get_timerslack", "get_timing", "get_pdeathsig", "get_child_subreaper",
                 "get_name", "get_seccomp", "get_thp_disable", "get_tsc", "get_mce_kill",
                 "get_ptracer"):
        assert getattr(prctl, name)() == getattr(real_prctl, name)(), name
        assert type(getattr(prctl, name)()) is type(getattr(real_prctl, name)()), name
    assert prctl.get_caps((prctl.ALL_CAPS[:40], prctl.ALL_FLAGS)) == \
        real_prctl.get_caps((real_prctl.ALL_CAPS[:40], real_prctl.ALL_FLAGS))
    for cap in ("kill", "sys_admin", "net_raw", "setpcap"):
        for obj in ("capbset", "cap_effective", "cap_permitted", "cap_inheritable"):
            assert getattr(getattr(prctl, obj), cap) == getattr(getattr(real_prctl, obj), cap)
    for bit in ("noroot", "keep_caps", "no_setuid_fixup_locked"):
        assert getattr(prctl.securebits, bit) == getattr(real_prctl.securebits, bit)
    assert prctl.securebits.no_cap_ambient_raise is False   # python-prctl has no name for it


def test_errors_match_python_prctl():
    cases = [
        (lambda m: m.capbset_read(999), ValueError),
        (lambda m: m.set_pdeathsig(999), ValueError),
        (lambda m: m.set_timing(99), ValueError),
        (lambda m: m.get_speculation_ctrl(99), ValueError),
        (lambda m: m.get_dumpable("42"), TypeError),
        (lambda m: m.set_name(5), TypeError),
        (lambda m: m.get_caps((1234, m.ALL_FLAGS)), ValueError),
        (lambda m: m.get_caps((m.CAP_SYS_ADMIN, "abc")), KeyError),
        (lambda m: m._prctl.prctl(999), ValueError),
        (lambda m: m.set_proctitle(5), TypeError),
        (lambda m: m.set_proctitle("a\0b"), ValueError),
        (lambda m: m.get_endian(), OSError),
        (lambda m: setattr(m.capbset, "kill", True), ValueError),
        (lambda m: setattr(m.capbset, "foo", 1), AttributeError),
    ]
    for call, exc in cases:
        for module in (real_prctl, prctl):
            with pytest.raises(exc):
                call(module)


@pytest.mark.root
def test_set_caps_and_objects_in_a_child():
    def child(module_name):
        m = real_prctl if module_name == "real" else prctl
        m.set_keepcaps(True)
        m.set_name("compat-test")
        m.cap_inheritable.net_raw = True
        m.cap_effective.net_raw = False
        m.set_caps((["kill", m.CAP_CHOWN], [m.CAP_EFFECTIVE], False))
        m.securebits.keep_caps = False
        return [m.get_keepcaps(), m.get_name(), m.cap_inheritable.net_raw,
                m.cap_effective.net_raw, m.cap_permitted.net_raw, m.cap_effective.kill,
                m.cap_effective.chown, m.get_securebits()]

    assert in_child(child, "ours") == in_child(child, "real") == \
        [False, "compat-test", True, False, True, False, False, 0]
