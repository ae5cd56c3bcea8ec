# SPDX-License-Identifier: LGPL-2.1-or-later
"""How refusals are reported: CapabilityError and its builtin-compatible subclasses."""

import errno
import os

import pytest

from lib_helpers import in_child
import ppy_py
from ppy_py._errors import capability_error, errno_text


@pytest.mark.parametrize(
    "err, builtin",
    [(errno.EPERM, PermissionError), (errno.EACCES, PermissionError), (errno.ENOENT, FileNotFoundError)],
)
def test_errno_picks_a_builtin_compatible_class(err, builtin):
    e = capability_error("cannot do it", err, operation="raise", capset="effective", caps=[ppy_py.Cap.KILL])
    assert isinstance(e, ppy_py.CapabilityError) and isinstance(e, builtin) and isinstance(e, OSError)
    assert e.errno == err and str(e) == "cannot do it"
    assert e.operation == "raise" and e.capset == "effective" and e.caps == (ppy_py.Cap.KILL,)


def test_other_errno_and_none():
    e = capability_error("odd", errno.EINVAL)
    assert type(e) is ppy_py.CapabilityError and e.errno == errno.EINVAL
    assert not isinstance(e, PermissionError)
    e = capability_error("libcap-ng failed without errno", None, capng_rc=-3)
    assert e.errno is None and e.capng_rc == -3 and str(e) == "libcap-ng failed without errno"


def test_errno_text():
    assert errno_text(errno.EPERM) == "Operation not permitted (EPERM)"
    assert errno_text(99999).endswith("(errno 99999)")


def test_exception_names_are_exported():
    assert issubclass(ppy_py.CapabilityPermissionError, PermissionError)
    assert issubclass(ppy_py.CapabilityNotFoundError, FileNotFoundError)
    assert issubclass(ppy_py.ThreadedCredentialError, ppy_py.CapabilityError)
    assert set(ppy_py.__all__) <= set(dir(ppy_py))
    for name in ppy_py.__all__:
        assert getattr(ppy_py, name) is not None
    with pytest.raises(AttributeError):
        ppy_py.no_such_name


@pytest.mark.root
def test_a_real_kernel_refusal_as_a_non_root_uid():
    def child():
        os.setresuid(4242, 4242, 4242)  # no keep-caps: every capability is gone
        try:
            ppy_py.raise_caps("sys_admin")
        except PermissionError as e:
            return [type(e).__name__, str(e), e.errno, e.capset, [int(c) for c in e.caps]]
        return None

    name, msg, err, capset, caps = in_child(child)
    assert name == "CapabilityPermissionError"
    assert msg == "cannot raise CAP_SYS_ADMIN in effective: not in the permitted set"
    assert err == errno.EPERM and capset == "effective" and caps == [21]
