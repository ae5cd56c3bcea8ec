# SPDX-License-Identifier: LGPL-2.1-or-later
"""Each refusal of ppy's boot (wrapper/ppy_boot.py), made to happen.

The kernel calls the boot checks cannot be made to fail for real (a capset that
succeeds but leaves the effective set full, an ambient bit that stays after
PR_CAP_AMBIENT_CLEAR_ALL...), so the boot is run here, as ppy runs it
(python -I -S -B -c STUB DIR 3 ...), against a stand-in _ppy_sys whose
answers each test chooses. Each refusal must be status 88, one line naming the
reason, and no script code run. No privilege is needed.
"""
import json
import os
import shutil
import subprocess

import pytest

from ppytest import EX_BOOT, PYTHON, RAN

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STUB = "import sys;sys.path.insert(0,sys.argv.pop(1));import ppy_boot;ppy_boot.main()"
PERM = 1 << 10  # what the stand-in says is permitted

# _ppy_sys.py for the tests: every answer comes from FAKE_SYS (JSON), call by call.
FAKE_SYS = '''
import json, os
_plan = json.loads(os.environ.get("FAKE_SYS", "{}"))
_calls = {}
PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, PR_CAP_AMBIENT_IS_SET = 47, 4, 1
PR_GET_DUMPABLE, PR_SET_DUMPABLE = 3, 4

def _answer(name, default):
    n = _calls[name] = _calls.get(name, 0) + 1
    answers = _plan.get(name, [])
    value = answers[n - 1] if n <= len(answers) else default
    return tuple(value) if isinstance(value, list) else value

def capget():
    return _answer("capget", [0, %(perm)d, 0])

def capset(e, p, i):
    return _answer("capset", 0)

def prctl(option, *args):
    key = "prctl_%%d_%%s" %% (option, args[0] if args else "")
    return _answer(key, 0)

def fully_sealed(fd):
    return _answer("fully_sealed", 1)

def tty_nr():
    return _answer("tty_nr", 0)

# The code-origin rule: the stand-in accepts everything unless the plan refuses a path
# ("origin_refuse": [path, ...]); the real rule has tests of its own (test_launcher_origin).
class UntrustedCodeError(ImportError):
    pass

def origin_install(owner):
    _calls["origin_owner"] = owner

def origin_check(path, want_dir=False):
    if path in _plan.get("origin_refuse", []):
        raise UntrustedCodeError("refusing to load %%s: planted" %% path, path=path)
    return path

def origin_refusals():
    return (0, "")

def compile(source, filename):
    # Planted module changes, standing in for what site-packages code could do next.
    import sys
    for name, file in _plan.get("plant", {}).items():
        sys.modules[name] = type(sys)(name)
        if file is not None:
            sys.modules[name].__file__ = file
    if _plan.get("plant_unshowable"):     # its __file__ raises what cannot be shown
        class Unshowable(Exception):
            def __str__(self):
                raise Unshowable()
        class Module(type(sys)):
            @property
            def __file__(self):
                raise Unshowable()
        sys.modules["ppy_py.bad"] = Module("ppy_py.bad")
    return __builtins__["compile"](source, os.fsdecode(filename), "exec", dont_inherit=True)
''' % {"perm": PERM}


@pytest.fixture
def bootdir(tmp_path):
    """A copy of the boot beside the stand-in _ppy_sys and a ppy_py package."""
    shutil.copy(os.path.join(REPO, "wrapper", "ppy_boot.py"), tmp_path / "ppy_boot.py")
    pkg = tmp_path / "ppy_py"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (tmp_path / "_ppy_sys.py").write_text(FAKE_SYS)
    (pkg / "hardening.py").write_text(
        "import os\ndef forbid_exec(mode):\n    return os.environ.get('FAKE_GUARD') != 'old'\n")
    script = tmp_path / "script.py"
    script.write_text(f"print({RAN!r})\n")
    return tmp_path


def boot(bootdir, plan=None, effective="0", forbid="-", env=None):
    """Run the boot with PLAN for the stand-in; fd 3 is the script (the stand-in says sealed)."""
    exec_boot = ("import os, sys\n"
                 "fd = os.open(sys.argv[1], os.O_RDONLY)\n"
                 "os.dup2(fd, 3) if fd != 3 else os.set_inheritable(3, True)\n"
                 "os.execv(sys.argv[2], sys.argv[2:])\n")
    cmd = [PYTHON, "-c", exec_boot, str(bootdir / "script.py"),
           PYTHON, "-I", "-S", "-B", "-c", STUB, str(bootdir), "3", effective, forbid, "/s.py"]
    environ = {"FAKE_SYS": json.dumps(plan or {}), **(env or {})}
    # A new session: no controlling terminal, whatever terminal runs the tests.
    return subprocess.run(cmd, capture_output=True, text=True, env=environ, timeout=60,
                          start_new_session=True)


def refused(proc, *words):
    assert proc.returncode == EX_BOOT, (proc.returncode, proc.stderr)
    assert RAN not in proc.stdout, "script code ran"
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("ppy: /s.py: boot: "), proc.stderr
    for w in words:
        assert w in lines[0], (w, lines[0])


AMB_IS_SET_NBS = "prctl_47_1"   # PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET (first arg)


def test_the_stand_in_lets_a_clean_boot_run_the_script(bootdir):
    # The baseline every case below changes one answer of: the script runs.
    proc = boot(bootdir)
    assert proc.returncode == 0 and proc.stdout == RAN + "\n", proc.stderr
    proc = boot(bootdir, {"capget": [[0, PERM, 0], [0, PERM, 0], [0, PERM, 0],
                                     [PERM, PERM, 0]]}, effective="1")
    assert proc.returncode == 0 and proc.stdout == RAN + "\n", proc.stderr


@pytest.mark.parametrize("plan, words", [
    ({"capget": [-1]}, ["capget", os.strerror(1)]),
    ({"capset": [-1]}, ["capset", os.strerror(1)]),
    ({"prctl_47_4": [-22]}, ["ambient clear", os.strerror(22)]),
    ({"prctl_4_0": [-1]}, ["not dumpable", os.strerror(1)]),
    ({"capget": [[0, PERM, 0], -5]}, ["capget", os.strerror(5)]),
    ({"capget": [[0, PERM, 0], [PERM, PERM, 0]]}, ["effective set is not empty"]),
    ({"capget": [[0, PERM, 0], [0, PERM, PERM]]}, ["inheritable or ambient"]),
    ({AMB_IS_SET_NBS: [1]}, ["inheritable or ambient"]),
    ({AMB_IS_SET_NBS: [-1]}, ["inheritable or ambient"]),
    ({"prctl_3_": [1]}, ["still dumpable"]),
    ({"prctl_3_": [-1]}, ["still dumpable"]),
    ({"tty_nr": [34816]}, ["a controlling terminal remains"]),
    ({"tty_nr": [-5]}, ["cannot read tty_nr", os.strerror(5)]),
    ({"fully_sealed": [0]}, ["not sealed"]),
    ({"fully_sealed": [-9]}, ["cannot read the script copy", os.strerror(9)]),
])
def test_each_failed_drop_or_check_stops_the_boot(bootdir, plan, words):
    refused(boot(bootdir, plan), *words)


def test_the_effective_bit_is_checked_after_raising(bootdir):
    # EFFECTIVE=1: capset(P, P, 0) after site-packages; a kernel answer that differs stops it.
    refused(boot(bootdir, {"capget": [[0, PERM, 0], [0, PERM, 0], [0, PERM, 0],
                                      [0, PERM, 0]]}, effective="1"),
            "effective set is not as the file asked")
    refused(boot(bootdir, {"capset": [0, -1]}, effective="1"), "capset", os.strerror(1))


def test_a_guard_already_in_place_stops_the_boot(bootdir):
    # Under -S nothing runs before the boot, so forbid_exec must add a new hook.
    refused(boot(bootdir, forbid="raise", env={"FAKE_GUARD": "old"}),
            "a guard was already there")
    proc = boot(bootdir, forbid="raise")
    assert proc.returncode == 0 and proc.stdout == RAN + "\n", proc.stderr


@pytest.mark.parametrize("plant, words", [
    ({"_ppy_sys": "/elsewhere/_ppy_sys.py"}, ["site-packages code replaced _ppy_sys"]),
    ({"ppy_py": "/elsewhere/ppy_py/__init__.py"},
     ["loaded ppy_py from /elsewhere/ppy_py/__init__.py", "not from ppy's library"]),
    ({"ppy_py._state": None}, ["loaded ppy_py._state from None"]),
    # A name no encoder takes (a lone surrogate) is still shown, escaped, on its one line.
    ({"ppy_py.\ud800": "/elsewhere/x.py"}, ["loaded ppy_py.\\xed\\xa0\\x80 from /elsewhere"]),
])
def test_modules_site_code_loaded_from_elsewhere_stop_the_boot(bootdir, plant, words):
    # After site.main(), _ppy_sys must still be the module the boot checked, and every
    # ppy_py module loaded so far must be the library's.
    refused(boot(bootdir, {"plant": plant}), *words)


def test_an_exception_that_cannot_be_shown_is_still_one_line_and_88(bootdir):
    refused(boot(bootdir, {"plant_unshowable": True}), "an exception that cannot be shown")


def test_the_librarys_own_ppy_py_loaded_by_site_code_is_accepted(bootdir):
    plant = {"ppy_py.hardening": str(bootdir / "ppy_py" / "hardening.py")}
    proc = boot(bootdir, {"plant": plant})
    assert proc.returncode == 0 and proc.stdout == RAN + "\n", proc.stderr


def test_ppy_sys_from_elsewhere_stops_the_boot(bootdir):
    # _ppy_sys must come from the directory ppy put first on sys.path.
    (bootdir / "_ppy_sys.py").write_text(FAKE_SYS + "\n__file__ = '/elsewhere/_ppy_sys.py'\n")
    refused(boot(bootdir), "not from ppy's library")
