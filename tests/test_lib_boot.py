# SPDX-License-Identifier: LGPL-2.1-or-later
"""The calls ppy's boot script makes, in the state the launcher leaves.

The launcher execs python as a non-root uid with the script's capabilities in
permitted, effective, inheritable and ambient.  setpriv(1) builds the same
state here; the child then runs the boot sequence and reports what the kernel
says.
"""

import pytest

import lib_helpers
from lib_helpers import bit
from ppy_py import Cap

NBS = Cap.NET_BIND_SERVICE

BOOT = lib_helpers.STATUS_SNIPPET + """
import sys
events = []
sys.addaudithook(lambda ev, args: events.append(ev) if ev in (
    "subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
    "os.forkpty", "ctypes.dlopen") else None)
before = status()
import ppy_py
ppy_py.clear_inheritable()
ppy_py.ambient.clear()
if KEEP_EFFECTIVE is False:
    ppy_py.lower_caps(*ppy_py.current().effective)
ppy_py.set_dumpable(False)
st = os.stat("/proc/self/status")  # owned by root once not dumpable
print(json.dumps({"before": before, "after": status(), "dumpable": ppy_py.dumpable(),
                  "status_owner": st.st_uid, "events": events,
                  "ctypes": "ctypes" in sys.modules}))
"""


@pytest.mark.root
@pytest.mark.parametrize("keep_effective", [False, True])
def test_boot_sequence_from_ambient_caps(keep_effective):
    out = lib_helpers.run_python(
        BOOT.replace("KEEP_EFFECTIVE", repr(keep_effective)), setpriv=lib_helpers.ONE_CAP_NOBODY
    )
    before, after = out["before"], out["after"]
    # The set-up is what the launcher leaves: one cap everywhere, uid 4242.
    for key in ("CapEff", "CapPrm", "CapInh", "CapAmb"):
        assert before[key] == bit(NBS), key
    assert after["Uid"] == [4242] * 4
    assert after["CapInh"] == 0 and after["CapAmb"] == 0
    assert after["CapPrm"] == bit(NBS)
    assert after["CapEff"] == (bit(NBS) if keep_effective else 0)
    assert out["dumpable"] is False and out["status_owner"] == 0
    assert out["events"] == [] and out["ctypes"] is False


@pytest.mark.root
def test_boot_calls_fail_loudly():
    # set_dumpable with a non-bool, lower_caps of a typo: errors, not silence.
    code = lib_helpers.STATUS_SNIPPET + """
import ppy_py
errors = []
for call in (lambda: ppy_py.set_dumpable(0), lambda: ppy_py.lower_caps("net_bind_servce"),
             lambda: ppy_py.ambient.raise_caps("net_raw")):
    try:
        call()
        errors.append(None)
    except Exception as e:
        errors.append([type(e).__name__, str(e)])
print(json.dumps(errors))
"""
    out = lib_helpers.run_python(code, setpriv=lib_helpers.ONE_CAP_NOBODY)
    assert out[0][0] == "TypeError"
    assert out[1][0] == "ValueError" and "did you mean 'net_bind_service'" in out[1][1]
    assert out[2] == ["CapabilityPermissionError",
                      "cannot raise CAP_NET_RAW in ambient: not in the permitted and inheritable sets"]


@pytest.mark.root
def test_the_whole_api_starts_no_process():
    # Import and use of every area: zero process-starting audit events, no ctypes.
    code = lib_helpers.STATUS_SNIPPET + """
import sys, tempfile
events = []
sys.addaudithook(lambda ev, args: events.append(ev) if ev in (
    "subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn",
    "os.forkpty", "ctypes.dlopen") else None)
import ppy_py
st = ppy_py.current(); str(st.securebits); st.to_text()
ppy_py.CapState.for_pid(1)
with ppy_py.raised("net_bind_service"):
    pass
ppy_py.ambient.get(); ppy_py.securebits.get(); ppy_py.no_new_privs(); ppy_py.process_name()
with tempfile.NamedTemporaryFile(dir="/tmp") as f:
    ppy_py.set_file_caps(f.name, ["net_raw"], rootid=1000)
    ppy_py.file_caps(f.name).to_text()
    ppy_py.clear_file_caps(f.name)
try:
    ppy_py.Cap.parse("net_rwa")
except ValueError:
    pass
ppy_py.drop_privileges("nobody", keep=["net_bind_service"], ambient=True)
print(json.dumps({"events": events, "ctypes": "ctypes" in sys.modules, "uid": status()["Uid"]}))
"""
    out = lib_helpers.run_python(code)
    assert out == {"events": [], "ctypes": False, "uid": [65534] * 4}
