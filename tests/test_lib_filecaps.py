# SPDX-License-Identifier: LGPL-2.1-or-later
"""File capabilities: the xattr codec, and getcap/setcap agreeing with it."""

import os
import shutil
import struct
import subprocess
import tempfile

import pytest

from lib_helpers import bit, in_child
import ppy_py
from ppy_py import Cap, FileCaps

RAW = Cap.NET_RAW
KILL = Cap.KILL
XATTR = "security.capability"


def getcap(path):
    out = subprocess.run(["getcap", "-n", str(path)], capture_output=True, text=True, check=True)
    return out.stdout.strip().partition(" ")[2]


def setcap(text, path, rootid=None):
    argv = ["setcap"] + (["-n", str(rootid)] if rootid is not None else []) + [text, str(path)]
    subprocess.run(argv, check=True, capture_output=True)


@pytest.fixture
def target():
    # Not under pytest's tmp_path: its parents are 0700, and some tests
    # touch the file as uid 4242.
    directory = tempfile.mkdtemp(prefix="ppy-filecaps-")
    os.chmod(directory, 0o755)
    path = os.path.join(directory, "target")
    with open(path, "wb") as f:
        f.write(b"#!/bin/sh\n")
    yield path
    shutil.rmtree(directory)


# ---- codec (no privilege) -------------------------------------------------------


def test_v2_encoding_layout():
    data = FileCaps([RAW, Cap.CHECKPOINT_RESTORE], [KILL], effective=True).to_xattr()
    magic, p_lo, i_lo, p_hi, i_hi = struct.unpack("<5I", data)
    assert magic == 0x02000001
    assert (p_lo, i_lo, p_hi, i_hi) == (bit(RAW), bit(KILL), 1 << (40 - 32), 0)
    assert FileCaps.from_xattr(data) == FileCaps([RAW, 40], [KILL], True)


def test_v3_and_v1_decoding():
    v3 = struct.pack("<6I", 0x03000000, bit(RAW), 0, 0, 0, 1000)
    caps = FileCaps.from_xattr(v3)
    assert (caps.version, caps.rootid, caps.effective) == (3, 1000, False)
    assert caps.permitted == {RAW} and caps.to_xattr() == v3
    v1 = struct.pack("<3I", 0x01000001, bit(KILL), bit(RAW))
    caps = FileCaps.from_xattr(v1)
    assert (caps.version, caps.rootid, caps.effective) == (1, None, True)
    assert caps.permitted == {KILL} and caps.inheritable == {RAW}


@pytest.mark.parametrize("data", [
    b"", b"\x00\x00\x00\x02", b"\x00" * 19,
    struct.pack("<5I", 0x05000000, 0, 0, 0, 0),            # unknown revision
    struct.pack("<6I", 0x02000000, 0, 0, 0, 0, 0),         # v2 magic, v3 size
    struct.pack("<5I", 0x02000100, 0, 0, 0, 0),            # unknown flag bit
])
def test_malformed_xattrs_are_refused(data):
    with pytest.raises(ValueError):
        FileCaps.from_xattr(data)


def test_bits_above_last_cap_are_not_dropped_silently():
    data = struct.pack("<5I", 0x02000000, 0, 0, 1 << (ppy_py.cap_last_cap + 1 - 32), 0)
    with pytest.raises(ValueError, match="above the running kernel's cap_last_cap"):
        FileCaps.from_xattr(data)


def test_text_forms():
    caps = FileCaps.from_text("cap_net_raw,cap_kill+ep")
    assert caps == FileCaps([RAW, KILL], (), True) and caps.to_text() == "cap_kill,cap_net_raw=ep"
    caps = FileCaps.from_text("cap_net_raw=p cap_kill=i")
    assert caps.permitted == {RAW} and caps.inheritable == {KILL} and not caps.effective
    assert FileCaps.from_text(caps.to_text()) == caps
    assert FileCaps.from_text("=ep").permitted == ppy_py.CapSet.all()
    assert FileCaps.from_text("cap_net_raw=eip cap_net_raw-i").inheritable == set()
    assert FileCaps([RAW], rootid=1000).to_text() == "cap_net_raw=p [rootid=1000]"
    with pytest.raises(ValueError, match="one effective bit"):
        FileCaps.from_text("cap_net_raw=ep cap_kill=p")
    with pytest.raises(ValueError, match="did you mean"):
        FileCaps.from_text("cap_net_rwa=p")
    with pytest.raises(ValueError, match="unknown flag"):
        FileCaps.from_text("cap_net_raw=px")


def test_bad_arguments():
    with pytest.raises(TypeError):
        FileCaps([RAW], effective=1)
    with pytest.raises(ValueError):
        FileCaps([RAW], rootid=-1)
    with pytest.raises(ValueError):
        FileCaps([RAW], rootid=2 ** 32 - 1)
    with pytest.raises(TypeError):
        ppy_py.file_caps(3.5)
    with pytest.raises(TypeError):
        ppy_py.file_caps(True)
    with pytest.raises(ValueError):
        ppy_py.file_caps(-1)


def test_missing_file(tmp_path):
    missing = tmp_path / "nope"
    with pytest.raises(FileNotFoundError) as info:
        ppy_py.file_caps(missing)
    assert isinstance(info.value, ppy_py.CapabilityError)
    assert str(info.value).startswith("cannot read the file capabilities of '%s'" % missing)
    with pytest.raises(ppy_py.CapabilityNotFoundError):
        ppy_py.set_file_caps(missing, [RAW])


def test_file_system_without_xattrs():
    # procfs has no xattr support at all.
    with pytest.raises(ppy_py.CapabilityError, match="does not support extended attributes") as info:
        ppy_py.file_caps("/proc/self/status")
    assert info.value.errno == 95


# ---- against getcap/setcap (root) ----------------------------------------------


@pytest.mark.root
def test_setcap_bytes_equal_ours(target):
    setcap("cap_net_raw,cap_kill+ep", target)
    assert os.getxattr(target, XATTR) == FileCaps([RAW, KILL], (), True).to_xattr()
    setcap("cap_net_raw=p cap_kill=i", target)
    assert os.getxattr(target, XATTR) == FileCaps([RAW], [KILL]).to_xattr()
    setcap("cap_net_raw=p", target, rootid=1000)
    assert os.getxattr(target, XATTR) == FileCaps([RAW], rootid=1000).to_xattr()


@pytest.mark.root
def test_read_what_setcap_wrote(target):
    assert ppy_py.file_caps(target) is None
    setcap("cap_net_raw,cap_kill+ep", target)
    caps = ppy_py.file_caps(target)
    assert caps == FileCaps([RAW, KILL], (), True) and caps.rootid is None and caps.version == 2
    setcap("cap_net_raw=p", target, rootid=1000)
    caps = ppy_py.file_caps(target)
    assert caps.rootid == 1000 and caps.version == 3 and caps.permitted == {RAW}
    with open(target, "rb") as f:  # by file descriptor
        assert ppy_py.file_caps(f.fileno()) == caps


@pytest.mark.root
def test_getcap_reads_what_we_wrote(target):
    got = ppy_py.set_file_caps(target, ["net_raw", KILL], effective=True)
    assert got == FileCaps([RAW, KILL], (), True)
    assert getcap(target) == "cap_kill,cap_net_raw=ep"
    ppy_py.set_file_caps(target, permitted=[RAW], inheritable=["kill"])
    assert getcap(target) in ("cap_kill=i cap_net_raw+p", "cap_net_raw=p cap_kill+i")
    got = ppy_py.set_file_caps(target, [RAW], rootid=1000)  # v3: what libcap-ng 0.8.3 cannot write
    assert got.rootid == 1000 and got.version == 3
    assert getcap(target) == "cap_net_raw=p [rootid=1000]"
    with open(target, "rb") as f:
        ppy_py.set_file_caps(f.fileno(), FileCaps.from_text("cap_kill=ep"))
    assert getcap(target) == "cap_kill=ep"


@pytest.mark.root
def test_rootid_zero_is_stored_as_v2(target):
    got = ppy_py.set_file_caps(target, [RAW], rootid=0)
    assert got.version == 2 and got.rootid is None
    assert len(os.getxattr(target, XATTR)) == 20


@pytest.mark.root
def test_clear(target):
    ppy_py.clear_file_caps(target)  # none yet: not an error
    setcap("cap_net_raw+ep", target)
    ppy_py.clear_file_caps(target)
    assert getcap(target) == "" and ppy_py.file_caps(target) is None


@pytest.mark.root
def test_setting_needs_cap_setfcap(target):
    os.chown(target, 4242, 4242)

    def child():
        os.setresuid(4242, 4242, 4242)
        try:
            ppy_py.set_file_caps(target, ["net_raw"])
        except PermissionError as e:
            return str(e)
        return None

    msg = in_child(child)
    assert msg.startswith("cannot set the file capabilities of '%s'" % target)
    assert "CAP_SETFCAP" in msg
    assert ppy_py.file_caps(target) is None


@pytest.mark.root
def test_ramfs_has_no_xattrs(tmp_path):
    mnt = tmp_path / "ramfs"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "ramfs", "ppy-test", str(mnt)], check=True)
    try:
        (mnt / "f").write_text("x")
        with pytest.raises(ppy_py.CapabilityError, match="does not support extended attributes"):
            ppy_py.set_file_caps(mnt / "f", [RAW])
        with pytest.raises(ppy_py.CapabilityError, match="does not support extended attributes"):
            ppy_py.file_caps(mnt / "f")
    finally:
        subprocess.run(["umount", str(mnt)], check=True)


@pytest.mark.root
def test_the_kernel_grants_what_we_wrote(target):
    # A copy of cat(1) with file caps: exec'd by uid 4242 it must start with
    # exactly those caps; a v3 entry for rootid 1000 must give none. (Not a copy
    # of the interpreter: one outside its prefix finds no standard library.)
    python = os.path.join(os.path.dirname(target), "cat")
    shutil.copy2(os.path.realpath(shutil.which("cat")), python)
    argv = ["setpriv", "--reuid=4242", "--regid=4242", "--clear-groups", "--", python, "/proc/self/status"]

    def prm():
        out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
        line = [l for l in out.splitlines() if l.startswith("CapPrm")][0]
        eff = [l for l in out.splitlines() if l.startswith("CapEff")][0]
        return int(line.split()[1], 16), int(eff.split()[1], 16)

    ppy_py.set_file_caps(python, [RAW], effective=True)
    assert prm() == (bit(RAW), bit(RAW))
    ppy_py.set_file_caps(python, [RAW, KILL])
    assert prm() == (bit(RAW) | bit(KILL), 0)
    ppy_py.set_file_caps(python, [RAW], effective=True, rootid=1000)
    assert prm() == (0, 0)
