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

from ppytest import CALLER, OWNER, REPO, Install, run

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


def install_recipe(inst, name, caps, owner=OWNER):
    """Copy recipes/NAME, point its #! at this install's ppy, chown, chmod 0755, setcap."""
    with open(os.path.join(RECIPES, name)) as f:
        text = f.read()
    assert text.startswith("#!/usr/local/bin/ppy\n")
    path = os.path.join(inst.app, name)
    with open(path, "w") as f:
        f.write(f"#!{inst.ppy}\n" + text.split("\n", 1)[1])
    os.chown(path, owner, owner)
    os.chmod(path, 0o755)
    subprocess.run(["setcap", caps, path], check=True)
    return path


def test_http_server_on_port_80(inst):
    www = os.path.join(inst.base, "www")
    os.makedirs(www, 0o755, exist_ok=True)
    with open(os.path.join(www, "index.html"), "w") as f:
        f.write("hello from port 80\n")
    path = install_recipe(inst, "http_server.py", "cap_net_bind_service=p")
    server = subprocess.Popen(["setpriv", f"--reuid={CALLER}", f"--regid={CALLER}", "--clear-groups",
                               path, "--bind", ADDR, "--port", "80", "--directory", www,
                               "--once"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env={})
    try:
        first_line(server, "effective capabilities: none")
        body = urllib.request.urlopen(f"http://{ADDR}:80/index.html", timeout=10).read()
        assert body == b"hello from port 80\n"
        assert server.wait(timeout=10) == 0
    finally:
        server.kill()
        server.wait()


def test_backup_reads_what_the_account_cannot(inst):
    secret_dir = os.path.join(inst.base, "secret")
    os.makedirs(secret_dir, 0o700, exist_ok=True)
    with open(os.path.join(secret_dir, "shadow"), "w") as f:
        f.write("root-only content\n")
    os.chmod(os.path.join(secret_dir, "shadow"), 0o600)
    out_dir = os.path.join(inst.base, "backups")
    os.makedirs(out_dir, 0o755, exist_ok=True)
    os.chown(out_dir, OWNER, OWNER)
    target = os.path.join(out_dir, "secret.tar.gz")
    path = install_recipe(inst, "backup.py", "cap_dac_read_search=p")
    proc = run([path, secret_dir, target])
    assert proc.returncode == 0, proc.stderr
    with tarfile.open(target) as tar:
        assert tar.extractfile("secret/shadow").read() == b"root-only content\n"
    assert os.stat(target).st_uid == OWNER      # written with the account's own rights
    # and without the capability, the same account cannot read it
    plain = run(["/usr/bin/python3", "-c", f"open({secret_dir + '/shadow'!r})"], uid=OWNER)
    assert plain.returncode != 0 and "Permission denied" in plain.stderr


def test_ping_with_a_raw_socket(inst):
    path = install_recipe(inst, "ping.py", "cap_net_raw=p")
    proc = run([path, "127.0.0.1"])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("reply from 127.0.0.1: seq=1")


def test_set_clock_check_mode_does_not_change_the_clock(inst):
    path = install_recipe(inst, "set_clock.py", "cap_sys_time=p")
    before = time.time()
    proc = run([path, "--check"])
    after = time.time()
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "without raising: refused",
        "inside ppy_py.raised('sys_time'): allowed; the clock was not changed"]
    assert 0 <= after - before < 30


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
    assert argv[0] == "/srv/app/http_server.py"
    www = os.path.join(inst.base, "www-unit")
    os.makedirs(www, 0o755, exist_ok=True)
    with open(os.path.join(www, "index.html"), "w") as f:
        f.write("unit\n")
    path = install_recipe(inst, "http_server.py", "cap_net_bind_service=p")
    argv = [path] + [www if a == "/srv/www" else a for a in argv[1:]] + ["--bind", ADDR, "--once"]
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
