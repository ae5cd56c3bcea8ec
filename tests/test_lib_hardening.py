# SPDX-License-Identifier: LGPL-2.1-or-later
"""ppy_py.hardening: patch_stdlib (no subprocess), forbid_exec, Landlock.

Process creation is observed with a real audit hook installed first in a
fresh ``/usr/bin/python3 -I`` (run_python); Landlock is applied for real in
a forked child (in_child), which is then thrown away.
"""

import errno
import os
import shutil

import pytest

from lib_helpers import PYTHON, REPO, in_child, run_python

SPAWN_EVENTS = "('subprocess.Popen', 'os.exec', 'os.posix_spawn', 'os.system', 'os.spawn', 'pty.spawn', 'os.fork', 'os.forkpty')"

HOOK = """
import json, sys
EVENTS = []
def _hook(event, args, _names=%s):
    if event in _names:
        EVENTS.append([event, repr(args)[:120]])
sys.addaudithook(_hook)
def observe(func, *args):
    del EVENTS[:]
    result = func(*args)
    return result, list(EVENTS)
""" % SPAWN_EVENTS

LIBS = ["c", "m", "cap-ng", "crypto", "ssl", "z", "nonexistent", "uuid", "pthread", "stdc++"]


def test_import_is_light():
    out = run_python(
        """
        import json, sys
        before = set(sys.modules)
        import ppy_py.hardening
        new = sorted(set(sys.modules) - before)
        print(json.dumps(new))
        """
    )
    for heavy in ("ctypes", "platform", "uuid", "syslog", "subprocess", "ppy_py._capng", "ppy_py._landlock"):
        assert heavy not in out, out


def test_patched_calls_start_no_process_and_give_the_same_answers():
    out = run_python(
        HOOK
        + """
import ctypes.util, platform, uuid
LIBS = %r
def processor():
    platform._uname_cache = None      # processor is cached per uname_result
    return platform.processor()
def node():
    uuid._node = None
    return uuid.getnode()
calls = [("find_library(%%r)" %% n, ctypes.util.find_library, n) for n in LIBS]
calls += [("platform.processor", processor), ("platform.architecture", platform.architecture),
          ("platform.uname", lambda: list(platform.uname()[:5])), ("platform.system", platform.system),
          ("uuid.getnode", node)]
before = {c[0]: observe(*c[1:]) for c in calls}
import ppy_py.hardening
patched = ppy_py.hardening.patch_stdlib()
after = {c[0]: observe(*c[1:]) for c in calls}
getters = {name: observe(getattr(uuid, name)) for name in
           ("_ip_getnode", "_ifconfig_getnode", "_arp_getnode", "_netstat_getnode")}
print(json.dumps({"before": before, "after": after, "patched": patched, "getters": getters}))
"""
        % LIBS
    )
    before, after = out["before"], out["after"]
    # The test can fail: unpatched, these really start processes here.
    assert before["find_library('c')"][1], before
    assert len(before["find_library('nonexistent')"][1]) >= 2, before  # ldconfig, gcc, ld
    assert before["platform.processor"][1], before
    assert before["platform.architecture"][1], before
    for name, (result, events) in after.items():
        assert events == [], (name, events)
        assert result == before[name][0], (name, result, before[name][0])
    assert "ctypes.util.find_library" in out["patched"]
    assert "platform.processor" in out["patched"]
    assert "platform._syscmd_file" in out["patched"]
    macs = set()
    for iface in os.listdir("/sys/class/net"):
        with open("/sys/class/net/%s/address" % iface) as f:
            macs.add(int(f.read().strip().replace(":", "") or "0", 16))
    for name, (result, events) in out["getters"].items():
        assert events == [], (name, events)
        assert result is None or result in macs, (name, result)


def test_find_library_more_names_match_ctypes():
    # Same answers as the real (spawning) ctypes.util.find_library.
    names = LIBS + ["dl", "rt", "gcc_s", "python3.11", "ffi", "expat", "lzma", "bz2", "ssl3", "c.so"]
    out = run_python(
        """
        import ctypes.util, json, sys
        names = %r
        real = [ctypes.util.find_library(n) for n in names]
        import ppy_py.hardening as h
        ours = [h.find_library(n) for n in names]
        print(json.dumps([names, real, ours]))
        """
        % names
    )
    names, real, ours = out
    assert dict(zip(names, ours)) == dict(zip(names, real))
    assert real[0] == "libc.so.6"


def test_ld_cache_parser_reads_every_entry():
    import ppy_py.hardening as h

    entries = h._ld_cache_entries()
    assert entries, "no /etc/ld.so.cache entries parsed"
    for flags, key, value in entries:
        assert ".so" in key and "/" not in key, key
        assert value.startswith("/"), value
    assert any(k == "libc.so.6" for _, k, _ in entries)
    assert h._ld_cache_entries("/nonexistent") == []


def test_ld_cache_parser_rejects_garbage(tmp_path):
    import ppy_py.hardening as h

    bad = tmp_path / "cache"
    bad.write_bytes(b"glibc-ld.so.cache1.1" + b"\xff" * 40)  # nlibs far too large
    assert h._ld_cache_entries(str(bad)) == []
    bad.write_bytes(b"not a cache at all")
    assert h._ld_cache_entries(str(bad)) == []


def test_patch_stdlib_is_idempotent():
    out = run_python(
        """
        import json, ppy_py.hardening as h
        first = h.patch_stdlib()
        second = h.patch_stdlib()
        print(json.dumps([first, second]))
        """
    )
    first, second = out
    assert first and second == []


def test_pth_file_defers_until_import(tmp_path):
    pth = os.path.join(REPO, "ppy_py", "_pth", "ppy_py-hardening.pth")
    shutil.copy(pth, tmp_path / "ppy_py-hardening.pth")
    out = run_python(
        HOOK
        + """
import site
site.addsitedir(%r)           # processes the .pth as site.py would
loaded_early = [m for m in ("ctypes", "ctypes.util", "platform", "uuid") if m in sys.modules]
import ctypes.util, platform
found, events = observe(ctypes.util.find_library, "cap-ng")
proc, events2 = observe(platform.processor)
print(json.dumps([loaded_early, found, events + events2]))
"""
        % str(tmp_path)
    )
    loaded_early, found, events = out
    assert loaded_early == []
    assert found == "libcap-ng.so.0"
    assert events == []


# ---------------------------------------------------------------- forbid_exec

FORBID = HOOK + """
import os, subprocess
import ppy_py.hardening as h
def attempt(func):
    try:
        func()
    except PermissionError as e:
        return [type(e).__name__, str(e)]
    return None
"""


def test_forbid_exec_raise_names_the_call():
    out = run_python(
        FORBID
        + """
added = h.forbid_exec("raise")
results = {
    "popen": attempt(lambda: subprocess.run(["ls", "-l", "/"])),
    "system": attempt(lambda: os.system("true")),
    "exec": attempt(lambda: os.execv("/bin/true", ["true", "x"])),
    "posix_spawn": attempt(lambda: os.posix_spawn("/bin/true", ["true"], {})),
    "posix_spawnp": attempt(lambda: os.posix_spawnp("true", ["true"], {})),
    "popen_os": attempt(lambda: os.popen("true")),
}
again = h.forbid_exec("raise")
looser = h.forbid_exec("log")
results["still"] = attempt(lambda: subprocess.run(["true"]))
print(json.dumps([added, again, looser, results]))
"""
    )
    added, again, looser, results = out
    assert added is True and again is False and looser is False
    prefix = "ppy_py.hardening: process creation refused: "
    assert results["popen"] == ["ProcessCreationRefused", prefix + "subprocess.Popen(['ls', '-l', '/'])"]
    assert results["system"][1] == prefix + "os.system('true')"
    assert results["exec"][1] == prefix + "os.exec(['true', 'x'])"
    assert results["posix_spawn"][1] == prefix + "os.posix_spawn(['true'])"
    assert results["posix_spawnp"][1] == prefix + "os.posix_spawn(['true'])"
    assert results["popen_os"][1] == prefix + "subprocess.Popen(['/bin/sh', '-c', 'true'])"
    assert results["still"] is not None  # "log" after "raise" does not loosen it


def test_forbid_exec_a_fresh_posixsubprocess_is_refused():
    # _posixsubprocess is built in with multi-phase init: deleting it from sys.modules and
    # importing it again gives a fresh module whose fork_exec raises no audit event.
    out = run_python(
        FORBID
        + """
h.forbid_exec("raise")
def fresh():
    del sys.modules["_posixsubprocess"]
    import _posixsubprocess
    r, w = os.pipe()
    pid = _posixsubprocess.fork_exec([b"/bin/true"], [b"/bin/true"], True, (), None, None,
                                     -1, -1, -1, -1, -1, -1, r, w, True, False, 0, None,
                                     None, None, -1, None, False)
    os.waitpid(pid, 0)
    return "RAN"
print(json.dumps(attempt(fresh) or "RAN"))
"""
    )
    assert out == ["ProcessCreationRefused",
                   "ppy_py.hardening: process creation refused: importing _posixsubprocess again"]


def test_forbid_exec_fork_allowed_exec_in_child_refused():
    out = run_python(
        FORBID
        + """
h.forbid_exec("raise")
rc = os.spawnv(os.P_WAIT, "/bin/true", ["true"])   # fork, then exec in the child
pid = os.fork()
if pid == 0:
    try:
        os.execv("/bin/true", ["true"])
    except PermissionError:
        os._exit(42)
    os._exit(0)
_, status = os.waitpid(pid, 0)
print(json.dumps([rc, os.waitstatus_to_exitcode(status)]))
"""
    )
    assert out == [127, 42]


def test_forbid_exec_covers_multiprocessing_spawn():
    out = run_python(
        FORBID
        + """
import multiprocessing
h.forbid_exec("raise")
ctx = multiprocessing.get_context("spawn")
p = ctx.Process(target=print)
print(json.dumps(attempt(p.start)))
"""
    )
    assert out[0] == "ProcessCreationRefused"
    assert "_posixsubprocess.fork_exec(" in out[1] and PYTHON in out[1]


def test_forbid_exec_log_mode_reports_once_and_proceeds():
    rc, out, err = run_python(
        FORBID
        + """
h.forbid_exec("log")
import importlib, sys
del sys.modules["subprocess"]
subprocess = importlib.import_module("subprocess")   # binds the wrapped fork_exec
r = subprocess.run(["true"])
s = os.system("true")
print(json.dumps([r.returncode, s]))
""",
        check=False,
    )
    assert rc == 0, err
    assert out == [0, 0]
    lines = [l for l in err.splitlines() if l.startswith("ppy_py.hardening:")]
    assert len(lines) == 2, err
    assert lines[0].startswith("ppy_py.hardening: process creation: subprocess.Popen(['true'])")
    assert lines[1].startswith("ppy_py.hardening: process creation: os.system('true')")


def test_forbid_exec_bad_mode():
    import ppy_py.hardening as h

    with pytest.raises(ValueError):
        h.forbid_exec("off")


# ------------------------------------------------------------------ Landlock

def _abi():
    import ppy_py.hardening as h

    return h.landlock_abi_version()


needs_landlock = pytest.mark.skipif(_abi() == 0, reason="Landlock is not enabled on this kernel")


@needs_landlock
def test_restrict_paths_for_real(tmp_path):
    dirs = {}
    for name in "ABC":
        d = tmp_path / name
        d.mkdir()
        (d / "f").write_text(name)
        dirs[name] = str(d)

    def child(a, b, c):
        import ppy_py.hardening as h

        def try_(func):
            try:
                func()
                return "ok"
            except PermissionError:
                return "EACCES"

        def write(path):
            with open(path, "w") as f:
                f.write("x")

        abi = h.restrict_paths(read=[a], write=[b])
        return {
            "abi": abi,
            "read A": try_(lambda: open(a + "/f").read()),
            "list A": try_(lambda: os.listdir(a)),
            "read B": try_(lambda: open(b + "/f").read()),
            "read C": try_(lambda: open(c + "/f").read()),
            "list C": try_(lambda: os.listdir(c)),
            "write A": try_(lambda: write(a + "/f")),
            "create A": try_(lambda: write(a + "/new")),
            "write B": try_(lambda: write(b + "/f")),
            "create B": try_(lambda: write(b + "/new")),
            "unlink B": try_(lambda: os.unlink(b + "/new")),
            "unlink A": try_(lambda: os.unlink(a + "/f")),
            "nnp": int(__import__("ppy_py").no_new_privs()),
        }

    got = in_child(child, dirs["A"], dirs["B"], dirs["C"])
    assert got["abi"] >= 1
    assert got == {
        "abi": got["abi"],
        "read A": "ok", "list A": "ok", "read B": "ok",
        "read C": "EACCES", "list C": "EACCES",
        "write A": "EACCES", "create A": "EACCES", "unlink A": "EACCES",
        "write B": "ok", "create B": "ok", "unlink B": "ok",
        "nnp": 1,
    }
    # The parent (pytest) is untouched.
    assert open(dirs["C"] + "/f").read() == "C"


@needs_landlock
def test_restrict_paths_missing_path_changes_nothing(tmp_path):
    def child(missing, other):
        import ppy_py
        import ppy_py.hardening as h

        try:
            h.restrict_paths(read=[missing])
        except ppy_py.CapabilityError as e:
            err = [e.errno, str(e), isinstance(e, FileNotFoundError)]
        else:
            err = None
        return [err, open(other).read()]

    other = tmp_path / "o"
    other.write_text("still readable")
    err, text = in_child(child, str(tmp_path / "nope"), str(other))
    assert err[0] == errno.ENOENT and err[2] is True and "nope" in err[1]
    assert text == "still readable"


@needs_landlock
def test_restrict_paths_file_rule(tmp_path):
    one = tmp_path / "one"
    one.write_text("1")
    two = tmp_path / "two"
    two.write_text("2")

    def child(one, two):
        import ppy_py.hardening as h

        h.restrict_paths(read=[one])
        res = [open(one).read()]
        try:
            open(two).read()
            res.append("ok")
        except PermissionError:
            res.append("EACCES")
        return res

    assert in_child(child, str(one), str(two)) == ["1", "EACCES"]


def test_forbid_exec_before_the_script_runs(tmp_path):
    # What ppy_boot.py will do: switch the guard on, then run the script.
    script = tmp_path / "s.py"
    script.write_text("import subprocess\nsubprocess.check_call(['id'])\nprint('not reached')\n")
    import subprocess

    boot = (
        "import sys, runpy; sys.path.insert(0, %r)\n"
        "import ppy_py.hardening; ppy_py.hardening.forbid_exec('raise')\n"
        "sys.argv = [%r]; runpy.run_path(%r, run_name='__main__')\n" % (REPO, str(script), str(script))
    )
    proc = subprocess.run(["/usr/bin/python3", "-I", "-B", "-c", boot], capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin"}, timeout=60)
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert "not reached" not in proc.stdout
    assert proc.stderr.rstrip().splitlines()[-1] == (
        "ppy_py.hardening.ProcessCreationRefused: ppy_py.hardening: process creation refused: "
        "subprocess.Popen(['id'])"
    ), proc.stderr


def test_find_library_falls_back_to_library_dirs(tmp_path, monkeypatch):
    import ppy_py.hardening as h

    (tmp_path / "libppyfake.so.1").write_bytes(b"")
    (tmp_path / "libppyfake.so.1.2.3").write_bytes(b"")
    monkeypatch.setenv("LD_LIBRARY_PATH", str(tmp_path))
    assert h.find_library("ppyfake") == "libppyfake.so.1"
    assert h.find_library("ppyfake-absent") is None


def test_forbid_exec_covers_subinterpreters_too():
    # Outside ppy (which refuses subinterpreters altogether), forbid_exec's hook belongs to
    # the main interpreter only; a runtime-wide guard in _ppy_sys covers the others.
    out = run_python(
        FORBID
        + """
try:
    import _xxsubinterpreters as si
except ImportError:            # 3.13
    import _interpreters as si
h.forbid_exec("raise")
results = []
for code in ("import os; os.system('/bin/true')",
             "import os; os.posix_spawn('/bin/true', ['true'], {})",
             "import subprocess"):
    try:
        run = getattr(si, "run_string", None) or si.exec
        failed = run(si.create(), code)   # 3.13 returns what the code raised; before, raises
        results.append(failed.msg if failed else "RAN")
    except Exception as e:
        results.append(str(e))
print(json.dumps(results))
"""
    )
    assert "process creation refused in a subinterpreter: os.system" in out[0]
    assert "process creation refused in a subinterpreter: os.posix_spawn" in out[1]
    assert "import _posixsubprocess" in out[2] or "not supported" in out[2], out[2]
