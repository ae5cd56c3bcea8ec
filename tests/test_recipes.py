# SPDX-License-Identifier: LGPL-2.1-or-later
"""The README's recipes (recipes/), each run for real: installed as the README says, owned by a
service uid, capped as the recipe's header says, started by another unprivileged uid."""
import configparser
import os
import shlex
import shutil
import subprocess
import tarfile
import threading
import time
import urllib.request

import pytest

from ppytest import CALLER, OWNER, PYTHON, REPO, Install, run

ADDR = "127.0.0.3"    # a loopback address of its own: other suites bind 127.0.0.1:80


def first_line(proc, want, timeout=20):
    """The first stdout line of PROC if it contains WANT; otherwise kill PROC and fail with
    its stderr (never block reading from a process that is still running)."""
    import select
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    line = proc.stdout.readline() if ready else ""
    if want not in line:
        proc.kill()
        raise AssertionError("first line %r lacks %r; stderr: %s" % (line, want, proc.stderr.read()))
    return line

pytestmark = pytest.mark.root
RECIPES = os.path.join(REPO, "recipes")


@pytest.fixture(scope="module")
def inst():
    i = Install()
    try:
        i.app = os.path.join(i.base, "app")
        os.mkdir(i.app, 0o755)
        yield i
    finally:
        i.remove()


def install_recipe(inst, name, caps, owner=OWNER, mode=0o755, group=None, directory=None):
    """Copy recipes/NAME, point its #! at this install's ppy, chown, chmod, setcap."""
    with open(os.path.join(RECIPES, name)) as f:
        text = f.read()
    assert text.startswith("#!/usr/local/bin/ppy\n")
    directory = directory or inst.app
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        f.write(f"#!{inst.ppy}\n" + text.split("\n", 1)[1])
    os.chown(path, owner, owner if group is None else group)
    os.chmod(path, mode)
    subprocess.run(["setcap", caps, path], check=True)
    return path


def recipe_dir(inst, name):
    """A directory of its own for one recipe and its .conf (root's, 0755)."""
    d = os.path.join(inst.base, name)
    os.makedirs(d, 0o755, exist_ok=True)
    return d


def write_conf(directory, name, text, owner=0, mode=0o644):
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        f.write(text)
    os.chown(path, owner, owner)
    os.chmod(path, mode)
    return path


STRANGER = 4444


def test_http_server_on_port_80(inst):
    www = os.path.join(inst.base, "www")
    os.makedirs(www, 0o755, exist_ok=True)
    with open(os.path.join(www, "index.html"), "w") as f:
        f.write("hello from port 80\n")
    d = recipe_dir(inst, "http")
    write_conf(d, "http_server.conf", f"directory {www}\nport 80\nbind {ADDR}\n")
    path = install_recipe(inst, "http_server.py", "cap_net_bind_service=p", directory=d)
    server = subprocess.Popen(["setpriv", f"--reuid={CALLER}", f"--regid={CALLER}", "--clear-groups",
                               path, "--once"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env={})
    try:
        first_line(server, "effective capabilities: none")
        body = urllib.request.urlopen(f"http://{ADDR}:80/index.html", timeout=10).read()
        assert body == b"hello from port 80\n"
        assert server.wait(timeout=10) == 0
    finally:
        server.kill()
        server.wait()


def test_http_server_takes_nothing_from_its_caller(inst):
    # Finding 8: installed 0755 as its header said, it served any directory the caller
    # named (the owner's 0600 files) on any port the caller chose (port 23).
    home = os.path.join(inst.base, "svc-home")
    os.makedirs(home, 0o711, exist_ok=True)
    os.chown(home, OWNER, OWNER)
    d = recipe_dir(inst, "http2")
    write_conf(d, "http_server.conf", f"directory {inst.base}/www\nport 80\nbind {ADDR}\n")
    path = install_recipe(inst, "http_server.py", "cap_net_bind_service=p", directory=d)
    proc = run([path, "--directory", home, "--port", "23"], timeout=30)
    assert proc.returncode == 1 and "takes only --once" in proc.stderr, proc.stderr
    assert "serving" not in proc.stdout


def test_a_config_another_account_could_write_is_refused(inst):
    d = recipe_dir(inst, "http3")
    conf = write_conf(d, "http_server.conf", f"directory /\nport 23\nbind {ADDR}\n",
                      owner=STRANGER)
    path = install_recipe(inst, "http_server.py", "cap_net_bind_service=p", directory=d)
    proc = run([path, "--once"], timeout=30)
    assert proc.returncode == 1, proc.stderr
    assert "%s is owned by uid %d; only root and uid %d may be able to write it" % (
        conf, STRANGER, OWNER) in proc.stderr
    assert "serving" not in proc.stdout


def _secret(inst):
    secret_dir = os.path.join(inst.base, "secret")
    os.makedirs(secret_dir, 0o700, exist_ok=True)
    with open(os.path.join(secret_dir, "shadow"), "w") as f:
        f.write("root-only content\n")
    os.chmod(os.path.join(secret_dir, "shadow"), 0o600)
    out_dir = os.path.join(inst.base, "backups")
    os.makedirs(out_dir, 0o755, exist_ok=True)
    os.chown(out_dir, OWNER, OWNER)
    return secret_dir, out_dir


def test_backup_reads_what_the_account_cannot(inst):
    secret_dir, out_dir = _secret(inst)
    target = os.path.join(out_dir, "secret.tar.gz")
    d = recipe_dir(inst, "backup")
    write_conf(d, "backup.conf", f"source {secret_dir}\ntarget {target}\n")
    path = install_recipe(inst, "backup.py", "cap_dac_read_search=p", directory=d)
    proc = run([path])
    assert proc.returncode == 0, proc.stderr
    with tarfile.open(target) as tar:
        assert tar.extractfile("secret/shadow").read() == b"root-only content\n"
    st = os.stat(target)
    assert st.st_uid == OWNER            # written with the account's own rights
    assert st.st_mode & 0o777 == 0o600   # and readable by the account only
    # and without the capability, the same account cannot read it
    plain = run([PYTHON, "-c", f"open({secret_dir + '/shadow'!r})"], uid=OWNER)
    assert plain.returncode != 0 and "Permission denied" in plain.stderr


def test_backup_takes_nothing_from_its_caller(inst):
    # Finding 8: `backup.py /etc/shadow /tmp/o.tgz` gave any user a 0644 archive of it.
    secret_dir, out_dir = _secret(inst)
    d = recipe_dir(inst, "backup2")
    write_conf(d, "backup.conf", f"source {secret_dir}\ntarget {out_dir}/ok.tar.gz\n")
    path = install_recipe(inst, "backup.py", "cap_dac_read_search=p", directory=d)
    stolen = os.path.join(out_dir, "stolen.tar.gz")
    proc = run([path, os.path.join(secret_dir, "shadow"), stolen])
    assert proc.returncode == 1 and "takes no arguments" in proc.stderr, proc.stderr
    assert not os.path.exists(stolen)


def test_backup_writes_only_where_no_one_else_can_put_a_file(inst):
    # The stranger plants the archive's name (or any name) in a directory it may write:
    # the recipe refuses that directory instead of handing it what the capability read.
    secret_dir, _ = _secret(inst)
    shared = os.path.join(inst.base, "shared")
    os.makedirs(shared, exist_ok=True)
    os.chmod(shared, 0o1777)
    planted = os.path.join(shared, "etc.tar.gz.partial")
    with open(planted, "w"):
        pass
    os.chown(planted, STRANGER, STRANGER)
    os.chmod(planted, 0o666)
    d = recipe_dir(inst, "backup3")
    write_conf(d, "backup.conf", f"source {secret_dir}\ntarget {shared}/etc.tar.gz\n")
    path = install_recipe(inst, "backup.py", "cap_dac_read_search=p", directory=d)
    proc = run([path])
    assert proc.returncode == 1, proc.stderr
    assert "writable by group or others" in proc.stderr, proc.stderr
    assert os.path.getsize(planted) == 0 and not os.path.exists(os.path.join(shared, "etc.tar.gz"))


def test_ping_with_a_raw_socket(inst):
    d = recipe_dir(inst, "ping")
    write_conf(d, "ping.conf", "127.0.0.1\n127.0.0.2\n")
    path = install_recipe(inst, "ping.py", "cap_net_raw=p", directory=d)
    proc = run([path])
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("reply from 127.0.0.1: seq=1")
    assert lines[1].startswith("reply from 127.0.0.2: seq=2")
    proc = run([path, "192.0.2.1"])
    assert proc.returncode == 1 and "takes no arguments" in proc.stderr


def test_set_clock_check_mode_does_not_change_the_clock(inst):
    # 0750, group 4343: its callers are the members of that group (here the caller).
    path = install_recipe(inst, "set_clock.py", "cap_sys_time=p", mode=0o750, group=CALLER)
    before = time.time()
    proc = run([path, "--check"])
    after = time.time()
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "without raising: refused",
        "inside ppy_py.raised('sys_time'): allowed; the clock was not changed"]
    assert 0 <= after - before < 30


def test_set_clock_refuses_to_answer_anyone(inst):
    # Finding 8: installed 0755, `set_clock.py --check` answered for anyone (and setting
    # the clock would have worked for anyone too). It refuses to run while others may.
    d = recipe_dir(inst, "clock2")
    path = install_recipe(inst, "set_clock.py", "cap_sys_time=p", directory=d)
    proc = run([path, "--check"])
    assert proc.returncode == 1, proc.stdout
    assert "any local user may start it, and it sets the clock" in proc.stderr
    assert "allowed" not in proc.stdout
    check = run([inst.ppy, "--check", path])
    assert "warning: any local user may start it, and cap_sys_time" in check.stdout


def test_systemd_unit_starts_the_script_as_its_user(inst):
    """No systemd runs here (no PID 1 systemd), so the unit's command is run the way
    systemd would: as User=, with an empty environment."""
    unit = configparser.ConfigParser(interpolation=None, strict=False)
    unit.optionxform = str
    unit.read(os.path.join(RECIPES, "ppy-http.service"))
    service = unit["Service"]
    for forbidden in ("NoNewPrivileges", "SystemCallFilter", "RestrictNamespaces"):
        assert forbidden not in service, forbidden
    user = service["User"]
    uid = int(subprocess.run(["id", "-u", user], capture_output=True, text=True,
                             check=True).stdout)
    argv = shlex.split(service["ExecStart"])
    assert argv == ["/srv/app/http_server.py"]
    www = os.path.join(inst.base, "www-unit")
    os.makedirs(www, 0o755, exist_ok=True)
    with open(os.path.join(www, "index.html"), "w") as f:
        f.write("unit\n")
    d = recipe_dir(inst, "unit")
    write_conf(d, "http_server.conf", f"directory {www}\nport 80\nbind {ADDR}\n")
    path = install_recipe(inst, "http_server.py", "cap_net_bind_service=p", directory=d)
    argv = [path, "--once"]
    server = subprocess.Popen(["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                               *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env={})
    try:
        first_line(server, "serving")
        assert urllib.request.urlopen(f"http://{ADDR}:80/", timeout=10).status == 200
        assert server.wait(timeout=10) == 0
    finally:
        server.kill()
        server.wait()
    if shutil.which("systemd-analyze"):
        proc = subprocess.run(["systemd-analyze", "verify", os.path.join(RECIPES, "ppy-http.service")],
                              capture_output=True, text=True)
        assert "ppy-http.service" not in proc.stderr or "Command" in proc.stderr, proc.stderr
