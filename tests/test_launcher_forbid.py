# SPDX-License-Identifier: LGPL-2.1-or-later
"""forbid-exec: root's ppy.conf, not the script's owner, decides that a script may not
start processes; ppy's boot installs ppy_py.hardening.forbid_exec before its first line."""
import os
import textwrap

import pytest

from ppytest import EX_BOOT, EX_INSTALL, RAN, Install, refused, run

pytestmark = pytest.mark.root

SPAWN = textwrap.dedent(
    """
    import subprocess, sys
    try:
        subprocess.run(["/bin/true"], check=True)
        print("SPAWNED")
    except PermissionError as e:
        print("REFUSED", e)
    # the owner's code cannot take the guard away: audit hooks stay
    sys.addaudithook(lambda *a: None)
    try:
        subprocess.run(["/bin/true"])
        print("SPAWNED-AGAIN")
    except PermissionError:
        print("STILL-REFUSED")
    """
)


@pytest.fixture(scope="module")
def inst():
    i = Install()
    yield i
    i.remove()


def test_forbid_exec_raise_refuses_process_creation(inst):
    guarded = inst.script(SPAWN)
    free = inst.script(SPAWN)
    inst.write_conf(f"forbid-exec raise {guarded}\n")
    out = run([guarded]).stdout.splitlines()
    assert out[0] == RAN
    assert out[1].startswith("REFUSED") and "subprocess.Popen" in out[1], out
    assert out[2] == "STILL-REFUSED"
    assert run([free]).stdout.splitlines()[1:] == ["SPAWNED", "SPAWNED-AGAIN"]


def test_forbid_exec_star_and_log_mode(inst):
    path = inst.script(SPAWN)
    inst.write_conf("forbid-exec log *\n")
    proc = run([path])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[1:] == ["SPAWNED", "SPAWNED-AGAIN"]
    assert "process creation" in proc.stderr and "/bin/true" in proc.stderr


def test_the_stricter_line_wins(inst):
    path = inst.script(SPAWN)
    inst.write_conf(f"forbid-exec log *\nforbid-exec raise {path}\n")
    assert run([path]).stdout.splitlines()[1].startswith("REFUSED")


def test_bad_forbid_exec_line_is_refused(inst):
    inst.write_conf("forbid-exec sometimes *\n")
    refused(run([inst.script()]), EX_INSTALL, "line 1", "forbid-exec")


def test_missing_hardening_module_stops_the_launch(inst):
    """If the guard cannot be installed, no script code runs (status 88)."""
    path = inst.script(SPAWN)
    inst.write_conf(f"forbid-exec raise {path}\n")
    module = os.path.join(inst.libdir, "python", "ppy_py", "hardening.py")
    cached = [os.path.join(inst.libdir, "python", "ppy_py", "__pycache__", f)
              for f in os.listdir(os.path.join(inst.libdir, "python", "ppy_py", "__pycache__"))
              if f.startswith("hardening.")]
    os.rename(module, module + ".away")
    for c in cached:
        os.rename(c, c + ".away")
    try:
        refused(run([path]), EX_BOOT, "cannot forbid process creation")
    finally:
        os.rename(module + ".away", module)
        for c in cached:
            os.rename(c + ".away", c)


SUBINTERPRETER = textwrap.dedent(
    """
    import _xxsubinterpreters as si
    for code in ("import os; os.system('/bin/true'); print('SUB-SPAWNED')",
                 "import subprocess; subprocess.run(['/bin/true']); print('SUB-SPAWNED')",
                 "import os; os.posix_spawn('/bin/true', ['true'], {}); print('SUB-SPAWNED')"):
        try:
            si.run_string(si.create(), code)
        except Exception as e:
            print("REFUSED", e)
    """
)


def test_forbid_exec_covers_subinterpreters(inst):
    # sys.addaudithook hooks belong to one interpreter: a subinterpreter started by the
    # script used to spawn freely under 'raise'. The runtime-wide guard covers it.
    path = inst.script(SUBINTERPRETER)
    inst.write_conf(f"forbid-exec raise {path}\n")
    proc = run([path])
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.splitlines()
    assert "SUB-SPAWNED" not in proc.stdout, out
    assert len(out) == 4 and all(l.startswith("REFUSED") for l in out[1:]), out
    assert "process creation refused in a subinterpreter: os.system" in out[1]
    assert "import _posixsubprocess" in out[2]
    assert "os.posix_spawn" in out[3]


def test_forbid_exec_log_reports_subinterpreters(inst):
    path = inst.script(SUBINTERPRETER)
    inst.write_conf("forbid-exec log *\n")
    proc = run([path])
    assert proc.returncode == 0, proc.stderr
    # os.system and os.posix_spawn go ahead, each reported (subprocess itself may be refused
    # by CPython in a subinterpreter: "not supported for isolated subinterpreters").
    assert proc.stdout.count("SUB-SPAWNED") >= 2, proc.stdout
    for event in ("os.system", "os.posix_spawn"):
        assert "process creation in a subinterpreter: %s (pid " % event in proc.stderr
