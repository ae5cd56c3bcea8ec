# SPDX-License-Identifier: LGPL-2.1-or-later
"""ppy_py.apparmor: the absent-AppArmor path for real, the write format
against a fake attr file (the formats libapparmor's kernel.c writes)."""

import errno

import pytest

import ppy_py
import ppy_py.apparmor as aa

APPARMOR = aa.enabled()


@pytest.fixture
def fake_attr(tmp_path, monkeypatch):
    path = tmp_path / "current"
    path.write_bytes(b"")
    monkeypatch.setattr(aa, "_attr_override", str(path))
    return path


@pytest.mark.skipif(APPARMOR, reason="AppArmor is enabled on this kernel")
@pytest.mark.parametrize("call", [lambda: aa.change_profile("p"), lambda: aa.change_hat("h", 1)])
def test_absent_apparmor_is_a_clear_error(call):
    with pytest.raises(aa.AppArmorNotEnabledError) as info:
        call()
    e = info.value
    assert str(e) == "AppArmor is not enabled on this kernel"
    assert isinstance(e, ppy_py.CapabilityError) and isinstance(e, OSError)
    assert e.errno in (errno.ENOENT, errno.EINVAL)


def test_change_profile_format(fake_attr):
    aa.change_profile("myapp-worker")
    assert fake_attr.read_bytes() == b"changeprofile myapp-worker"


def test_change_profile_non_ascii_and_namespace(fake_attr):
    aa.change_profile(":ns:prof//sub é")
    assert fake_attr.read_bytes() == "changeprofile :ns:prof//sub é".encode()


def test_change_hat_format(fake_attr):
    aa.change_hat("handler", 0xDEADBEEF)
    assert fake_attr.read_bytes() == b"changehat 00000000deadbeef^handler"


def test_change_hat_full_token_and_return(fake_attr):
    token = (1 << 64) - 1
    aa.change_hat("h", token)
    assert fake_attr.read_bytes() == b"changehat ffffffffffffffff^h"
    fake_attr.write_bytes(b"")
    aa.change_hat(None, token)  # back to the parent profile
    assert fake_attr.read_bytes() == b"changehat ffffffffffffffff^"


@pytest.mark.parametrize(
    "call, exc",
    [
        (lambda: aa.change_profile(""), ValueError),
        (lambda: aa.change_profile("a\nb"), ValueError),
        (lambda: aa.change_profile("a\0b"), ValueError),
        (lambda: aa.change_profile(b"bytes"), TypeError),
        (lambda: aa.change_profile("x" * 4097), ValueError),
        (lambda: aa.change_hat("h", -1), ValueError),
        (lambda: aa.change_hat("h", 1 << 64), ValueError),
        (lambda: aa.change_hat("h", True), TypeError),
        (lambda: aa.change_hat("h", "1"), TypeError),
        (lambda: aa.change_hat(None, 0), ValueError),
    ],
)
def test_bad_input_writes_nothing(fake_attr, call, exc):
    with pytest.raises(exc):
        call()
    assert fake_attr.read_bytes() == b""


def test_kernel_refusal_is_an_apparmor_error(tmp_path, monkeypatch):
    # A directory cannot be opened for writing: EISDIR stands in for the
    # kernel refusing the write; the error names the operation.
    monkeypatch.setattr(aa, "_attr_override", str(tmp_path))
    with pytest.raises(aa.AppArmorError) as info:
        aa.change_profile("p")
    assert info.value.errno == errno.EISDIR
    assert "change_profile to 'p'" in str(info.value)
