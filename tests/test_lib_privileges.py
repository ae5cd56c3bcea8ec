# SPDX-License-Identifier: LGPL-2.1-or-later
"""drop_privileges(): from root to a user, checked against /proc in forked children."""

import errno
import os
import socket
import subprocess
import sys
import threading

import pytest

from lib_helpers import bit, in_child, status
import ppy_py
from ppy_py import Cap
from ppy_py._capng import lib

NBS = Cap.NET_BIND_SERVICE
LOCKED = 0x01 | 0x02 | 0x04 | 0x08 | 0x20  # NOROOT, NO_SETUID_FIXUP (+locks), KEEP_CAPS_LOCKED

pytestmark = pytest.mark.root


@pytest.fixture(scope="module")
def throwaway_user():
    """A system user with one supplementary group, removed afterwards."""
    name, extra = "ppytestu%d" % os.getpid(), "ppytestg%d" % os.getpid()
    subprocess.run(["groupadd", "--system", extra], check=True)
    try:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                        "--groups", extra, name], check=True)
        try:
            import grp
            import pwd

            yield pwd.getpwnam(name), grp.getgrnam(extra).gr_gid
        finally:
            subprocess.run(["userdel", name], check=True)
    finally:
        subprocess.run(["groupdel", extra], check=False)


def _after(**kwargs):
    def child():
        state = ppy_py.drop_privileges(**kwargs)
        st = status()
        return {"status": st, "secbits": lib.ppy_prctl(lib.PR_GET_SECUREBITS, 0, 0, 0, 0),
                "returned": [state.permitted.mask, state.effective.mask, state.bounding.mask],
                "keepcaps": lib.ppy_prctl(lib.PR_GET_KEEPCAPS, 0, 0, 0, 0)}
    return in_child(child)


def test_drop_to_nobody_keeping_one_cap():
    out = _after(user="nobody", keep=["net_bind_service"])
    st = out["status"]
    assert st["Uid"] == [65534] * 4 and st["Gid"] == [65534] * 4
    assert st["Groups"] == []  # root's groups are gone
    assert st["CapPrm"] == bit(NBS)
    assert st["CapEff"] == 0  # effective only when asked
    assert st["CapInh"] == 0 and st["CapAmb"] == 0 and st["CapBnd"] == 0
    assert st["NoNewPrivs"] == 1
    assert out["secbits"] & LOCKED == LOCKED and not out["secbits"] & 0x10
    assert out["keepcaps"] == 0
    assert out["returned"] == [bit(NBS), 0, 0]


def _bind_low_port():
    """True if a port below 1024 binds; the errno (EACCES) if refused."""
    for port in range(600, 1024):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
                return True
            except OSError as e:
                if e.errno != errno.EADDRINUSE:
                    return e.errno
    raise AssertionError("every port 600..1023 is in use")


def test_effective_and_binding_a_low_port():
    def child():
        ppy_py.drop_privileges("nobody", keep="net_bind_service", effective=True)
        bound = _bind_low_port()
        with ppy_py.raised():  # nothing to raise: a no-op
            pass
        ppy_py.lower_caps(NBS)
        refused = _bind_low_port()
        with ppy_py.raised(NBS):
            again = _bind_low_port()
        try:
            os.setuid(0)
            back = "became root"
        except PermissionError:
            back = "refused"
        return [status(), bound, refused, again, back]

    st, bound, refused, again, back = in_child(child)
    assert st["CapEff"] == 0 and st["CapPrm"] == bit(NBS)
    assert bound is True and refused == errno.EACCES and again is True
    assert back == "refused"


def test_ambient_reaches_children():
    def child():
        ppy_py.drop_privileges(65534, 65534, keep=[NBS], ambient=True)
        out = subprocess.run([sys.executable, "-c", "print(open('/proc/self/status').read())"],
                             capture_output=True, text=True, check=True).stdout
        fields = dict(l.split(":\t") for l in out.splitlines() if l.startswith("Cap"))
        return [status(), {k: int(v, 16) for k, v in fields.items()}]

    st, kid = in_child(child)
    assert st["CapAmb"] == st["CapInh"] == bit(NBS)
    assert kid["CapAmb"] == kid["CapPrm"] == kid["CapEff"] == bit(NBS)
    assert kid["CapBnd"] == 0


def test_numeric_ids_without_passwd_entry():
    out = _after(user=4242, group=4243, keep=())
    st = out["status"]
    assert st["Uid"] == [4242] * 4 and st["Gid"] == [4243] * 4
    assert st["CapPrm"] == st["CapEff"] == st["CapBnd"] == 0


def test_by_name_with_the_users_groups(throwaway_user):
    entry, extra_gid = throwaway_user
    out = _after(user=entry.pw_name, user_groups=True, keep=["net_raw"], effective=True)
    st = out["status"]
    assert st["Uid"] == [entry.pw_uid] * 4 and st["Gid"] == [entry.pw_gid] * 4
    assert st["Groups"] == sorted({entry.pw_gid, extra_gid})
    assert st["CapEff"] == st["CapPrm"] == bit(Cap.NET_RAW)


def test_explicit_groups_and_options_off(throwaway_user):
    entry, extra_gid = throwaway_user
    out = _after(user=entry.pw_uid, group=entry.pw_gid, groups=[extra_gid, "nogroup"],
                 no_new_privs=False, clear_bounding=False, lock_securebits=False)
    st = out["status"]
    assert st["Groups"] == sorted({extra_gid, 65534})
    assert st["NoNewPrivs"] == 0
    assert st["CapBnd"] == status()["CapBnd"]
    assert out["secbits"] == 0


@pytest.mark.parametrize("kwargs, match", [
    ({"user": -1, "group": 1}, "not a valid id"),
    ({"user": 2 ** 32 - 1, "group": 1}, "not a valid id"),
    ({"user": 4242, "group": -1}, "not a valid id"),
    ({"user": 4242}, "no passwd entry"),
    ({"user": 4242, "group": 4242, "user_groups": True}, "no passwd entry"),
    ({"user": "no-such-user-ppy"}, "unknown user"),
    ({"user": "nobody", "group": "no-such-group-ppy"}, "unknown group"),
    ({"user": "nobody", "keep": ["net_rwa"]}, "did you mean"),
])
def test_bad_input_changes_nothing(kwargs, match):
    def child():
        try:
            ppy_py.drop_privileges(**kwargs)
        except ValueError as e:
            return [str(e), status()["Uid"]]
        return None

    msg, uid = in_child(child)
    assert match in msg and uid == [0] * 4


def test_wrong_types():
    with pytest.raises(TypeError):
        ppy_py.drop_privileges(4242.0, 1)
    with pytest.raises(TypeError):
        ppy_py.drop_privileges(True, 1)
    with pytest.raises(TypeError):
        ppy_py.drop_privileges("nobody", effective="yes")


def test_refuses_with_a_second_thread():
    def child():
        stop = threading.Event()
        t = threading.Thread(target=stop.wait)
        t.start()
        try:
            ppy_py.drop_privileges("nobody")
        except ppy_py.ThreadedCredentialError as e:
            result = [str(e), status()["Uid"], ppy_py.thread_count()]
        else:
            result = None
        stop.set()
        t.join()
        return result

    msg, uid, threads = in_child(child)
    assert "2 threads" in msg and "per thread" in msg
    assert uid == [0] * 4 and threads == 2


def test_needs_setuid_and_keep_must_be_permitted():
    def child():
        out = []
        ppy_py.drop_caps("net_raw")
        try:
            ppy_py.drop_privileges("nobody", keep=["net_raw"])
        except ppy_py.CapabilityError as e:
            out.append(str(e))
        ppy_py.drop_caps("setuid")
        try:
            ppy_py.drop_privileges("nobody")
        except PermissionError as e:
            out.append(str(e))
        out.append(status()["Uid"])
        return out

    keep_msg, setuid_msg, uid = in_child(child)
    assert keep_msg == "cannot keep CAP_NET_RAW: not in the permitted set"
    assert setuid_msg == "drop_privileges needs CAP_SETUID in the permitted set"
    assert uid == [0] * 4


def test_returned_state_is_read_from_the_kernel():
    def child():
        state = ppy_py.drop_privileges("nobody", keep=[NBS], effective=True)
        return [state == ppy_py.current(), int(state.securebits)]

    same, bits = in_child(child)
    assert same and bits & LOCKED == LOCKED
