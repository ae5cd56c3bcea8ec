# SPDX-License-Identifier: LGPL-2.1-or-later
"""`python -m ppy_py`: caps, getcap, setcap, audit.

Unit tests (formatting, parsing, exit statuses) run as anyone; the `root` ones read a
process set up with known capabilities, round-trip file capabilities with the system's
getcap(8)/setcap(8), and audit a real install (tests/ppytest.py)."""
import os
import shutil
import subprocess
import sys
import time

import pytest

from ppytest import EX_FILE, OWNER, REPO, Install, run

import ppy_py
from ppy_py import CapSet, FileCaps, _cli

PY = "/usr/bin/python3"


def cli(*args, env=None, **kw):
    """Run `python3 -m ppy_py ARGS` from the repo; CompletedProcess (text)."""
    e = dict(os.environ if env is None else env)
    e["PYTHONPATH"] = REPO
    return subprocess.run([PY, "-m", "ppy_py", *args], capture_output=True, text=True,
                          env=e, timeout=60, **kw)


def fields(out):
    """`key: value` lines into a dict."""
    return dict(line.split(": ", 1) for line in out.splitlines())


# ---- no root needed --------------------------------------------------------------


def test_set_words_round_trip():
    every = CapSet.all()
    assert _cli.set_words(CapSet()) == "none"
    assert _cli.set_words(every) == "all"
    assert _cli.set_words(CapSet(["net_raw", "kill"])) == "cap_kill,cap_net_raw"
    assert _cli.set_words(every - CapSet(["sys_module"])) == "all except cap_sys_module"
    for s in (CapSet(), every, CapSet(["net_raw"]), every - CapSet(["sys_module", "bpf"])):
        assert _cli.parse_words(_cli.set_words(s)) == s


def test_securebits_words():
    assert _cli.securebits_words(0) == "0x0 none"
    assert _cli.securebits_words(0x2f) == (
        "0x2f noroot,noroot_locked,no_setuid_fixup,no_setuid_fixup_locked,keep_caps_locked")
    assert _cli.securebits_words(None).startswith("unknown")


def test_file_caps_text_matches_getcap_words():
    assert _cli.file_caps_text(FileCaps(["net_bind_service"])) == "cap_net_bind_service=p"
    assert _cli.file_caps_text(FileCaps(["net_raw", "kill"], effective=True)) == "cap_kill,cap_net_raw=ep"
    assert _cli.file_caps_text(FileCaps(["net_raw"], ["kill"])) == "cap_kill=i cap_net_raw=p"
    assert _cli.file_caps_text(FileCaps(CapSet.all(), effective=True)) == "=ep"
    assert _cli.file_caps_text(FileCaps(["net_raw"], rootid=4242)) == "cap_net_raw=p [rootid=4242]"
    assert _cli.file_caps_text(FileCaps()) == "="


def test_audit_line_and_never_reasons():
    st = os.stat_result((0o100755, 1, 2, 1, 0, 4242, 10, 0, 0, 0))
    fc = FileCaps(["net_raw"], rootid=4242)
    never = _cli.never_reasons(st, fc, None)
    assert never == ["v3-rootid=4242", "owner-uid-0"]
    line = _cli.audit_line("/a b/c", st, "x=p", 80, "ppy: /a b/c: refused\tx", never)
    parts = line.split("\t")
    assert parts[0] == "/a b/c"
    assert parts[1] == "owner=0(root):4242" or parts[1].startswith("owner=0(root):4242(")
    assert parts[2:] == ["mode=0755", "caps=x=p", "status=80",
                         "verdict=ppy: /a b/c: refused\\x09x", "never=v3-rootid=4242,owner-uid-0"]
    # A name can fake neither a field, nor a line, nor a terminal escape.
    line = _cli.audit_line("/x.py\r\x1b[2Kfake.py\tverdict=ok", st, "x=p", 0, "v", [])
    assert line.split("\t")[0] == "/x.py\\x0d\\x1b[2Kfake.py\\x09verdict=ok"
    ok = os.stat_result((0o100755, 1, 2, 1, 4242, 4242, 10, 0, 0, 0))
    assert _cli.never_reasons(ok, FileCaps(["net_raw"]), None) == []
    assert _cli.never_reasons(ok, FileCaps(), None) == ["empty-caps"]
    assert _cli.never_reasons(ok, None, "bad") == ["unreadable-xattr"]


@pytest.mark.parametrize("args", [[], ["nope"], ["caps", "x"], ["caps", "0"], ["caps", "-1"],
                                  ["getcap"], ["audit"], ["setcap", "--bogus", "x"]])
def test_bad_command_lines_exit_2(args):
    proc = cli(*args)
    assert proc.returncode == 2, proc
    assert proc.stdout == "" and "usage:" in proc.stderr


@pytest.mark.parametrize("command", ["caps", "getcap", "setcap", "audit"])
def test_help_for_each_command(command):
    proc = cli(command, "--help")
    assert proc.returncode == 0 and proc.stdout.startswith("usage: python -m ppy_py " + command)
    assert cli("--help").stdout.count(command) >= 1


def test_caps_self_is_the_kernel_view():
    proc = cli("caps")
    assert proc.returncode == 0, proc.stderr
    got = fields(proc.stdout)
    assert list(got) == ["pid", "effective", "permitted", "inheritable", "bounding", "ambient",
                         "securebits", "no_new_privs"]
    status = {}
    for line in open("/proc/self/status"):   # same credentials as the child's
        k, _, v = line.partition(":")
        status[k] = v.strip()
    for name, key in (("effective", "CapEff"), ("permitted", "CapPrm"), ("bounding", "CapBnd"),
                      ("ambient", "CapAmb"), ("inheritable", "CapInh")):
        assert _cli.parse_words(got[name]).mask == int(status[key], 16), name
    assert got["securebits"] == _cli.securebits_words(int(ppy_py.securebits.get()))
    assert got["no_new_privs"] == ("yes" if status["NoNewPrivs"] == "1" else "no")
    assert fields(cli("caps", "self").stdout).keys() == got.keys()


def test_caps_missing_pid_is_one_line_status_1():
    pid = int(open("/proc/sys/kernel/pid_max").read())  # never a live pid
    proc = cli("caps", str(pid))
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr == "python -m ppy_py: process %d: no such process\n" % pid


def test_getcap_no_caps_and_missing(tmp_path):
    f = tmp_path / "plain"
    f.write_text("x")
    proc = cli("getcap", str(f))
    assert (proc.returncode, proc.stdout) == (0, "")
    assert cli("getcap", "-v", str(f)).stdout == "%s\n" % f
    proc = cli("getcap", str(f), str(tmp_path / "missing"))
    assert proc.returncode == 1 and len(proc.stderr.splitlines()) == 1
    assert "missing" in proc.stderr and "No such file" in proc.stderr


def test_names_are_shown_escaped(tmp_path):
    # A file name is the caller's: a newline or a terminal escape in it must not add a
    # line (one that could pass for another file's capabilities) or drive the terminal.
    evil = tmp_path / "a\nb\x1b[2Jc"
    evil.write_text("x")
    shown = str(tmp_path) + "/a\\x0ab\\x1b[2Jc"
    assert cli("getcap", "-v", str(evil)).stdout == shown + "\n"
    proc = cli("getcap", str(evil) + "\nmissing")
    assert proc.returncode == 1 and len(proc.stderr.splitlines()) == 1, proc.stderr
    assert shown + "\\x0amissing" in proc.stderr and "\x1b" not in proc.stderr
    assert "\\x5c" not in proc.stderr     # named once, escaped once (no repr of it)
    proc = cli("setcap", "cap_net_raw=p", str(evil) + "\nmissing")
    assert proc.returncode == 1 and len(proc.stderr.splitlines()) == 1, proc.stderr
    assert "\x1b" not in proc.stderr and "\\x5c" not in proc.stderr
    proc = cli("audit", str(evil))
    assert proc.returncode == 1 and len(proc.stderr.splitlines()) == 1, proc.stderr
    assert "\x1b" not in proc.stderr


@pytest.mark.root
def test_setcap_shows_the_name_escaped(tmp_path):
    evil = tmp_path / "a\nb"
    evil.write_text("x")
    proc = cli("setcap", "cap_net_raw=p", str(evil))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == str(tmp_path) + "/a\\x0ab cap_net_raw=p\n"
    proc = cli("setcap", "-r", str(evil))
    assert proc.stdout == str(tmp_path) + "/a\\x0ab cleared\n"


def test_setcap_bad_text_is_status_1(tmp_path):
    f = tmp_path / "f"
    f.write_text("x")
    proc = cli("setcap", "cap_no_such_thing=p", str(f))
    assert proc.returncode == 1 and proc.stderr.startswith("python -m ppy_py: setcap: ")
    proc = cli("setcap", "cap_net_raw=p")
    assert proc.returncode == 1


def test_audit_without_ppy_says_pass_it(tmp_path):
    proc = cli("audit", str(tmp_path), env={"PATH": str(tmp_path)})
    assert proc.returncode == 1
    assert proc.stderr == ("python -m ppy_py: audit: no ppy on PATH: pass the installed "
                           "launcher with --ppy PATH\n")


def test_audit_refuses_a_symlinked_or_missing_dir(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "l").symlink_to(tmp_path / "d")
    for name, why in (("l", "a symbolic link"), ("missing", "not a directory")):
        proc = cli("audit", str(tmp_path / name), "--ppy", "/bin/false")
        assert proc.returncode == 1 and proc.stdout == ""
        assert proc.stderr == "python -m ppy_py: audit: %s: %s%s\n" % (
            tmp_path / name, why, ": name the directory itself" if name == "l" else "")


def test_importing_ppy_py_and_the_cli_starts_nothing():
    code = ("import sys, ppy_py, ppy_py._cli; "
            "print(sorted(m for m in ('subprocess', 'shutil') if m in sys.modules))")
    proc = subprocess.run([PY, "-I", "-c", "import sys; sys.path.insert(0, %r); %s" % (REPO, code)],
                          capture_output=True, text=True, check=True)
    assert proc.stdout == "[]\n"


# ---- root ----------------------------------------------------------------------------


@pytest.mark.root
def test_caps_of_another_process():
    proc = subprocess.Popen(["setpriv", "--reuid=4343", "--regid=4343", "--clear-groups",
                             "--inh-caps=+net_raw", "--ambient-caps=+net_raw", "sleep", "30"])
    try:
        for _ in range(200):  # until setpriv has exec'd sleep
            if os.readlink("/proc/%d/exe" % proc.pid).endswith("/sleep"):
                break
            time.sleep(0.02)
        out = cli("caps", str(proc.pid))
        assert out.returncode == 0, out.stderr
        got = fields(out.stdout)
        bnd = int(next(line for line in open("/proc/%d/status" % proc.pid)
                       if line.startswith("CapBnd:")).split()[1], 16)
        assert got == {
            "pid": str(proc.pid),
            "effective": "cap_net_raw",
            "permitted": "cap_net_raw",
            "inheritable": "cap_net_raw",
            "bounding": _cli.set_words(CapSet.from_mask(bnd)),
            "ambient": "cap_net_raw",
            "securebits": "unknown (the kernel shows securebits only to the process itself)",
            "no_new_privs": "no",
        }
    finally:
        proc.kill()
        proc.wait()


ROUND_TRIPS = ["cap_net_bind_service=p", "cap_net_bind_service,cap_net_raw=p", "cap_net_raw=ep",
               "cap_kill=i cap_net_raw=p", "cap_chown,cap_kill=eip", "all=p", "all=ep", "="]


def getcap_value(path, *flags):
    """What the system getcap prints after the path, parsed, rootid split off."""
    out = subprocess.run(["getcap", *flags, path], capture_output=True, text=True, check=True).stdout
    assert out.startswith(path + " "), out
    text = out[len(path) + 1:].strip()
    rootid = None
    if text.endswith("]") and " [rootid=" in text:
        text, _, r = text.rpartition(" [rootid=")
        rootid = int(r[:-1])
    return FileCaps.from_text(text, rootid=rootid)


@pytest.mark.root
@pytest.mark.parametrize("text", ROUND_TRIPS)
def test_setcap_getcap_against_the_system_tools(tmp_path, text):
    ours, theirs = str(tmp_path / "ours"), str(tmp_path / "theirs")
    for p in (ours, theirs):
        with open(p, "w") as f:
            f.write("x")
    want = FileCaps.from_text(text)
    # ours writes, the system reads; the system writes, ours reads
    proc = cli("setcap", text, ours)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "%s %s\n" % (ours, _cli.file_caps_text(want))
    subprocess.run(["setcap", text, theirs], check=True)
    assert getcap_value(ours) == want
    proc = cli("getcap", theirs, ours)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "".join("%s %s\n" % (p, _cli.file_caps_text(want)) for p in (theirs, ours))
    # byte for byte the same xattr, whoever wrote it
    xattr = "security.capability"
    assert os.getxattr(ours, xattr) == os.getxattr(theirs, xattr)
    # removal, both ways
    assert cli("setcap", "-r", ours).returncode == 0
    subprocess.run(["setcap", "-r", theirs], check=True)
    for p in (ours, theirs):
        assert ppy_py.file_caps(p) is None
        assert subprocess.run(["getcap", p], capture_output=True, text=True).stdout == ""


@pytest.mark.root
def test_setcap_v3_rootid_against_the_system_tools(tmp_path):
    ours, theirs = str(tmp_path / "ours"), str(tmp_path / "theirs")
    for p in (ours, theirs):
        with open(p, "w") as f:
            f.write("x")
    assert cli("setcap", "-n", "4242", "cap_net_raw=ep", ours).returncode == 0
    subprocess.run(["setcap", "-n", "4242", "cap_net_raw=ep", theirs], check=True)
    xattr = "security.capability"
    assert os.getxattr(ours, xattr) == os.getxattr(theirs, xattr)
    want = FileCaps(["net_raw"], effective=True, rootid=4242)
    assert getcap_value(ours, "-n") == want
    assert cli("getcap", theirs).stdout == "%s cap_net_raw=ep [rootid=4242]\n" % theirs
    assert cli("setcap", "clear", ours).returncode == 0
    assert ppy_py.file_caps(ours) is None


@pytest.mark.root
def test_setcap_refuses_a_symlink(tmp_path):
    target = tmp_path / "t"
    target.write_text("x")
    link = tmp_path / "l"
    link.symlink_to(target)
    proc = cli("setcap", "cap_net_raw=p", str(link))
    assert proc.returncode == 1 and "symbolic link" in proc.stderr
    assert ppy_py.file_caps(str(target)) is None


@pytest.mark.root
def test_audit_an_install():
    inst = Install()
    try:
        good = inst.script(caps="cap_net_bind_service=p")
        root_owned = inst.script(caps="cap_net_raw=p", owner=0)
        inst.script(caps=None)                     # no caps: not listed
        forged = inst.script(caps=None)
        sub = os.path.join(inst.scripts, "sub")
        os.mkdir(sub, 0o755)
        nested = inst.script(caps="cap_net_raw=ep", directory=sub)
        # Anyone may start it, and it reads any file: a warning.
        reader = inst.script(caps="cap_dac_read_search=p", directory=sub)
        # Only its group may start it: refused to this caller (root, with no capability).
        grouped = inst.script(caps="cap_dac_read_search=p", directory=sub, mode=0o750)
        os.symlink(good, os.path.join(inst.scripts, "zz-link"))  # not followed
        os.symlink(sub, os.path.join(inst.scripts, "zz-dirlink"))  # nor this
        proc = run(["unshare", "-Ur", shutil.which("setcap"), "cap_net_raw=p", forged], uid=OWNER)
        assert proc.returncode == 0, proc.stderr
        assert ppy_py.file_caps(forged).rootid == OWNER

        proc = cli("audit", inst.scripts, "--ppy", inst.ppy)
        assert proc.returncode == 0, proc.stderr
        lines = proc.stdout.splitlines()
        assert lines[-1] == ("# 6 capped files: 3 would run, 3 refused, 2 never honoured, "
                             "1 with warnings")
        rows = {}
        for line in lines[:-1]:
            path, *rest = line.split("\t")
            rows[path] = dict(f.split("=", 1) for f in rest)
        assert sorted(rows) == sorted([good, root_owned, forged, nested, reader, grouped])
        for path in rows:  # the launcher's own answer, as this user
            check = subprocess.run([inst.ppy, "--check", path], capture_output=True, text=True)
            assert rows[path]["status"] == str(check.returncode)
            assert rows[path]["verdict"] == (check.stdout + check.stderr).splitlines()[0]

        g = rows[good]
        assert g["owner"] == "4242:4242" and g["mode"] == "0755"
        assert g["caps"] == "cap_net_bind_service=p" and g["status"] == "0"
        assert g["verdict"].startswith("ppy: %s: would run %s under " % (good, good))
        assert "as uid 4242 gid 4242, no groups, with cap_net_bind_service" in g["verdict"]
        assert "never" not in g and "warning" not in g
        assert g["who"] == "any local user"
        assert rows[nested]["status"] == "0" and rows[nested]["caps"] == "cap_net_raw=ep"
        assert rows[reader]["who"] == "any local user"
        assert rows[reader]["warning"].startswith("any local user may start it, and "
                                                  "cap_dac_read_search reads or writes files")
        assert rows[grouped]["status"] == "66" and "who" not in rows[grouped]
        # --strict: 3 when anything would be refused or warned about (for cron).
        assert cli("audit", inst.scripts, "--ppy", inst.ppy, "--strict").returncode == 3
        assert cli("audit", sub, "--ppy", inst.ppy).returncode == 0

        r = rows[root_owned]
        assert r["owner"] == "0(root):0(root)" and r["status"] == str(EX_FILE)
        assert r["never"] == "owner-uid-0,group-gid-0"
        assert r["verdict"].startswith("ppy: %s: " % root_owned)

        f = rows[forged]
        assert f["caps"] == "cap_net_raw=p [rootid=4242]" and f["status"] == "83"
        assert f["never"] == "v3-rootid=4242"
    finally:
        inst.remove()
