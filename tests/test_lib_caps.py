# SPDX-License-Identifier: LGPL-2.1-or-later
"""ppy_py.Cap and ppy_py.CapSet: names, parsing, set algebra.  No privilege needed."""

import pickle

import pytest

import lib_helpers  # noqa: F401  (puts the repo on sys.path)
import ppy_py
from ppy_py import Cap, CapSet
from ppy_py._capng import ffi, lib


def test_last_cap_is_the_kernels():
    with open("/proc/sys/kernel/cap_last_cap") as f:
        assert ppy_py.cap_last_cap == int(f.read())
    # The fallback used when /proc is missing agrees.
    assert lib.ppy_probe_last_cap() == ppy_py.cap_last_cap


def test_names_agree_with_libcap_ng_and_the_header():
    from ppy_py._caps import KNOWN_NAMES

    assert len(KNOWN_NAMES) == lib.CAP_LAST_CAP + 1
    for number, name in enumerate(KNOWN_NAMES):
        got = lib.capng_capability_to_name(number)
        assert got != ffi.NULL, number
        assert ffi.string(got).decode() == name
        assert lib.capng_name_to_capability(name.encode()) == number


def test_every_kernel_cap_is_a_member():
    members = Cap.all()
    assert len(members) == ppy_py.cap_last_cap + 1
    assert [int(c) for c in members] == list(range(ppy_py.cap_last_cap + 1))
    assert Cap.CHECKPOINT_RESTORE == 40
    assert Cap.NET_BIND_SERVICE == 10


@pytest.mark.parametrize("spelling", ["net_raw", "NET_RAW", "cap_net_raw", "CAP_NET_RAW", " Net_Raw ", 13, "13", "cap_13"])
def test_parse_spellings(spelling):
    assert Cap.parse(spelling) is Cap.NET_RAW
    assert Cap(spelling) is Cap.NET_RAW


def test_cap_is_an_int_with_names():
    cap = Cap.NET_BIND_SERVICE
    assert isinstance(cap, int) and cap == 10 and cap.value == 10
    assert str(cap) == "cap_net_bind_service"
    assert "%s" % cap == "cap_net_bind_service"
    assert "%d" % cap == "10"
    assert f"{cap}" == "cap_net_bind_service" and f"{cap:03d}" == "010"
    assert repr(cap) == "Cap.NET_BIND_SERVICE"
    assert cap.name == "NET_BIND_SERVICE"
    assert cap.macro == "CAP_NET_BIND_SERVICE"
    assert cap.mask == 1 << 10
    assert pickle.loads(pickle.dumps(cap)) is cap
    assert hash(cap) == hash(10)


def test_number_above_last_cap_is_refused():
    with pytest.raises(ValueError, match=r"above the running kernel's cap_last_cap \(%d\)" % ppy_py.cap_last_cap):
        Cap.parse(ppy_py.cap_last_cap + 1)
    with pytest.raises(ValueError, match="above"):
        Cap.parse("cap_%d" % (ppy_py.cap_last_cap + 1))
    with pytest.raises(ValueError, match="negative"):
        Cap.parse(-1)
    with pytest.raises(ValueError):
        Cap.parse(1 << 70)


def test_unknown_name_names_the_input_and_suggests():
    with pytest.raises(ValueError) as info:
        Cap.parse("net_rwa")
    assert "'net_rwa'" in str(info.value)
    assert "did you mean 'net_raw'" in str(info.value)
    with pytest.raises(ValueError, match="unknown capability 'frobnicate'$"):
        Cap.parse("frobnicate")
    with pytest.raises(ValueError, match="unknown capability ''"):
        Cap.parse("")


@pytest.mark.parametrize("bad", [True, False, b"net_raw", bytearray(b"net_raw"), 13.0, None, [13], object()])
def test_wrong_types_are_type_errors(bad):
    with pytest.raises(TypeError):
        Cap.parse(bad)


def test_bool_is_refused_even_after_caching():
    Cap.parse("dac_override")  # cap 1: a bool must never hit a cached entry
    with pytest.raises(TypeError):
        ppy_py.raised(True)
    with pytest.raises(TypeError):
        CapSet([True])


def test_capset_algebra():
    a = CapSet(["net_raw", "chown"])
    b = CapSet("cap_net_raw,cap_kill")
    assert a | b == CapSet([Cap.CHOWN, Cap.KILL, Cap.NET_RAW])
    assert a & b == CapSet(["net_raw"])
    assert a - b == CapSet(["chown"])
    assert a ^ b == CapSet(["chown", "kill"])
    assert "net_raw" in a and Cap.NET_RAW in a and 13 in a and "kill" not in a
    assert len(a) == 2 and len(CapSet()) == 0
    assert list(a) == [Cap.CHOWN, Cap.NET_RAW]
    assert all(type(c) is Cap for c in a)
    assert str(a) == "cap_chown,cap_net_raw"
    assert repr(a) == "CapSet('cap_chown,cap_net_raw')"
    assert CapSet.parse(str(a)) == a
    assert CapSet.parse("") == CapSet() and not CapSet()
    assert int(a) == a.mask == (1 << 0) | (1 << 13)
    assert CapSet.from_mask(a.mask) == a
    assert a <= a | b and a < a | b and not a < a and a | b >= b and a | b > b
    assert a.issubset(["chown", "net_raw", "kill"]) and a.issuperset(["chown"])
    assert a.isdisjoint(["kill"]) and not a.isdisjoint(["chown"])
    assert a.union(["kill"], [Cap.SETUID]) == CapSet("kill,setuid,chown,net_raw")
    assert a.intersection(["chown", "kill"]) == CapSet("chown")
    assert a.difference(["chown"]) == CapSet("net_raw")
    assert a.symmetric_difference(["chown", "kill"]) == CapSet("net_raw,kill")


def test_capset_mixes_with_builtin_sets():
    a = CapSet(["net_raw", "chown"])
    fs = frozenset({Cap.NET_RAW, Cap.CHOWN})
    assert a == fs and fs == a and a == {0, 13}
    assert hash(a) == hash(fs)
    assert {a: 1}[CapSet("chown,net_raw")] == 1
    assert a | {Cap.KILL} == CapSet("chown,kill,net_raw")
    assert {Cap.KILL} | a == CapSet("chown,kill,net_raw")
    assert {0, 13, 5} - a == CapSet("kill")
    assert a != {0, 13, 99}
    assert a != "cap_chown,cap_net_raw"
    with pytest.raises(TypeError):
        a | ["kill"]  # like frozenset: operators take sets, methods take iterables


def test_capset_all_and_immutability():
    everything = CapSet.all()
    assert len(everything) == ppy_py.cap_last_cap + 1
    assert CapSet.parse("all") == everything
    with pytest.raises(AttributeError):
        everything._mask = 0
    with pytest.raises(AttributeError):
        everything.foo = 1
    assert pickle.loads(pickle.dumps(everything)) == everything


def test_capset_from_mask_validates():
    with pytest.raises(ValueError, match="outside"):
        CapSet.from_mask(1 << (ppy_py.cap_last_cap + 1))
    with pytest.raises(ValueError):
        CapSet.from_mask(-1)
    with pytest.raises(TypeError):
        CapSet.from_mask("3")
    with pytest.raises(TypeError):
        CapSet.parse(["chown"])
    with pytest.raises(ValueError, match="did you mean"):
        CapSet("cap_chown,cap_net_rwa")


def test_import_loads_no_heavy_module_and_starts_nothing():
    code = """
import sys
events = []
sys.addaudithook(lambda ev, args: events.append(ev) if ev.split(".")[0] in ("subprocess", "os") and ev in (
    "subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty") else None)
before = set(sys.modules)
import ppy_py
loaded = sorted(set(sys.modules) - before)
import json
print(json.dumps({"events": events, "loaded": loaded}))
"""
    out = lib_helpers.run_python(code)
    assert out["events"] == []
    assert "ctypes" not in out["loaded"]
    for heavy in ("enum", "typing", "functools", "collections", "ctypes.util", "subprocess", "_cffi_backend"):
        assert heavy not in out["loaded"], out["loaded"]


_FAKE_LAST_CAP = """
import json, os, tempfile
fake = tempfile.NamedTemporaryFile("w", delete=False)
fake.write("%d\\n")
fake.close()
real_open = os.open
os.open = lambda path, *a, **k: real_open(fake.name if path == "/proc/sys/kernel/cap_last_cap" else path, *a, **k)
import ppy_py
from ppy_py import Cap, CapSet
os.open = real_open
os.unlink(fake.name)
out = {"last": ppy_py.cap_last_cap, "all": len(Cap.all()), "has_cr": hasattr(Cap, "CHECKPOINT_RESTORE")}
for probe in ("checkpoint_restore", 40, "cap_41", 41, 42, "cap_42"):
    try:
        cap = Cap.parse(probe)
        out[str(probe)] = [int(cap), str(cap), cap.name, cap.macro, repr(cap)]
    except ValueError as e:
        out[str(probe)] = str(e)
out["set"] = str(CapSet.all() - CapSet(range(min(40, ppy_py.cap_last_cap + 1))))
print(json.dumps(out))
"""


def test_a_newer_kernel_gets_numbered_caps():
    # The kernel's cap_last_cap decides, not our name table: pretend it is 41.
    out = lib_helpers.run_python(_FAKE_LAST_CAP % 41)
    assert out["last"] == 41 and out["all"] == 42 and out["has_cr"]
    assert out["cap_41"] == out["41"] == [41, "cap_41", "41", "CAP_41", "Cap(41)"]
    assert "above the running kernel's cap_last_cap (41)" in out["42"]
    assert out["set"] == "cap_checkpoint_restore,cap_41"


def test_an_older_kernel_refuses_newer_caps():
    out = lib_helpers.run_python(_FAKE_LAST_CAP % 37)
    assert out["last"] == 37 and out["all"] == 38 and not out["has_cr"]
    assert out["checkpoint_restore"] == (
        "capability 'checkpoint_restore' (number 40) is not supported by the running kernel "
        "(cap_last_cap = 37)")
    assert "above the running kernel's cap_last_cap (37)" in out["40"]
    assert out["set"] == ""
