# SPDX-License-Identifier: LGPL-2.1-or-later
"""Real applications under ppy: servers and frameworks from PyPI in a root-owned virtualenv
allowed in ppy.conf, driven over HTTP on 127.0.0.1 (make test runs in a network namespace of
its own, so port 80 and 443 are this run's).

The pinned packages (tests/apps/requirements.txt) are installed once per requirements file
into /var/lib/ppy-test-cache (root's, 0755) by tests/apps/appsvenv.py, which `make test` runs
before it enters its network namespace.
Every server binds through ppy_py.activation (capability raised for bind() only), then runs
with nothing permitted, effective, inheritable or ambient, in its master and its workers.
"""
import os
import shutil
import signal
import ssl
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request

import pytest

from ppytest import CALLER, OWNER, PYTHON, RAN, REPO, Install, refused, run, write_script

pytestmark = pytest.mark.root

ZERO = "0000000000000000"


@pytest.fixture(scope="session")
def apps_python():
    """The cached virtualenv's python (tests/apps/appsvenv.py; make test builds it first)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        "appsvenv", os.path.join(REPO, "tests", "apps", "appsvenv.py"))
    apps_venv = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(apps_venv)
    try:
        return os.path.join(apps_venv.ensure(PYTHON), "bin", "python")
    except subprocess.CalledProcessError as e:
        pytest.fail("cannot build the apps virtualenv (%s): run `make apps-venv` where PyPI "
                    "can be reached" % e)


RECIPES = os.path.join(REPO, "recipes")
APPS = ("hello_wsgi.py", "hello_asgi.py", "hello_aiohttp.py")


@pytest.fixture(scope="module")
def inst(apps_python):
    inst = Install()
    try:
        inst.write_conf("interpreter %s\n" % apps_python)
        inst.app = os.path.join(inst.base, "app")
        os.mkdir(inst.app, 0o755)
        os.chown(inst.app, OWNER, OWNER)
        inst.python = apps_python
        for name in APPS:     # the recipes' apps, beside the scripts as the headers say
            path = os.path.join(inst.app, name)
            shutil.copy(os.path.join(RECIPES, name), path)
            os.chown(path, OWNER, OWNER)
        yield inst
    finally:
        inst.remove()


def recipe(inst, name):
    """recipes/NAME installed as its header says: beside the apps, owned by the service
    account, 0755, cap_net_bind_service=p; its #! names this install's ppy and venv."""
    with open(os.path.join(RECIPES, name)) as f:
        first, text = f.read().split("\n", 1)
    assert first == "#!/usr/local/bin/ppy /srv/venvs/web/bin/python", first
    assert "setcap cap_net_bind_service=p" in text
    return write_script(os.path.join(inst.app, name),
                        ("#!%s %s\n%s" % (inst.ppy, inst.python, text)).encode())


def capped(inst, name, body, caps="cap_net_bind_service=p"):
    """A script NAME (not a recipe) in the app directory, owned by OWNER, on the apps
    interpreter."""
    return write_script(os.path.join(inst.app, name),
                        ("#!%s %s\n%s" % (inst.ppy, inst.python, textwrap.dedent(body))).encode(),
                        caps)


def start(path, *args, cwd=None):
    """Start PATH as the caller, in a session (and process group) of its own: everything
    the server starts stays in that group, which stop() ends. (Never kill by uid: other
    test runs use the same uids.)"""
    return subprocess.Popen(["setpriv", "--reuid=%d" % CALLER, "--regid=%d" % CALLER,
                             "--clear-groups", path, *args], env={}, cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)


def fetch(url, context=None, deadline=30):
    """GET URL, retrying while the server starts; the decoded JSON report."""
    import json
    end = time.monotonic() + deadline
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5, context=context) as r:
                return json.loads(r.read().decode())
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if time.monotonic() > end:
                raise AssertionError("no answer from %s in %d s" % (url, deadline))
            time.sleep(0.1)


def group_processes(proc):
    """{pid: (cmdline, {CapInh, CapPrm, CapEff, CapAmb})} of every process in PROC's
    process group (its session: start_new_session), with OWNER's uid."""
    found = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % pid) as f:
                stat = f.read()
            with open("/proc/%s/status" % pid) as f:
                status = f.read()
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if int(stat[stat.rindex(")") + 2:].split()[2]) != proc.pid:   # pgrp
            continue
        fields = dict(l.split(":", 1) for l in status.splitlines() if ":" in l)
        if fields["Uid"].split()[0] != str(OWNER):
            continue
        found[int(pid)] = (cmdline, {k: fields[k].strip() for k in
                                     ("CapInh", "CapPrm", "CapEff", "CapAmb")})
    return found


def stop(proc):
    """End the server's whole process group; its output."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            return proc.communicate(timeout=20)[0]
        except subprocess.TimeoutExpired:
            continue
    return proc.communicate()[0]


def serve(path, n=4, url="http://127.0.0.1:80/", context=None, cwd=None, processes=1):
    """Start the server PATH, take N answers from URL and the state of its processes once
    there are PROCESSES of them (workers boot after the first answers), stop it:
    (answers, processes, its output)."""
    proc = start(path, cwd=cwd)
    try:
        answers = [fetch(url, context=context) for _ in range(n)]
        end = time.monotonic() + 30
        while len(procs := group_processes(proc)) < processes and time.monotonic() < end:
            time.sleep(0.1)
    finally:
        log = stop(proc)
    return answers, procs, log


def assert_served_by_nothing(answers, log=""):
    """Every answer came from the owner's uid with nothing in any capability set."""
    assert all(a["uid"] == OWNER and set(a["caps"].values()) == {ZERO} for a in answers), \
        (answers, log)


def assert_nothing_held(procs, at_least):
    assert len(procs) >= at_least, procs
    for pid, (cmdline, caps) in procs.items():
        assert set(caps.values()) == {ZERO}, (pid, cmdline, caps)
        assert "ppy_boot" in cmdline, (pid, cmdline)   # every one started under ppy's boot


# ---------------------------------------------------------------- servers (E)

def test_gunicorn_flask_two_workers_on_port_80(inst):
    answers, procs, log = serve(recipe(inst, "serve_gunicorn.py"), n=8, processes=3)
    assert_served_by_nothing(answers, log)
    assert answers[0]["cwd"] == inst.app       # the script's directory: gunicorn's --chdir
    assert_nothing_held(procs, 3)              # the master and two workers
    assert "Booting worker" in log


def test_uvicorn_starlette_two_spawned_workers_on_port_80(inst):
    # uvicorn's workers are new interpreters (multiprocessing spawn): they too start under
    # ppy's boot (ppy_boot.child), with the code-origin rule, and hold nothing.
    answers, procs, log = serve(recipe(inst, "serve_uvicorn.py"), n=8, processes=3)
    assert_served_by_nothing(answers, log)
    assert_nothing_held(procs, 3)
    spawned = [c for c, _ in procs.values() if "ppy_boot.child" in c and "spawn_main" in c]
    assert len(spawned) == 2, procs


def test_hypercorn_two_workers_on_port_80(inst):
    answers, procs, log = serve(recipe(inst, "serve_hypercorn.py"), processes=3)
    assert_served_by_nothing(answers, log)
    assert_nothing_held(procs, 3)


def test_aiohttp_tls_on_port_443(inst):
    key, cert = os.path.join(inst.app, "tls.key"), os.path.join(inst.app, "tls.crt")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    for f, mode in ((key, 0o600), (cert, 0o644)):
        os.chown(f, OWNER, OWNER)
        os.chmod(f, mode)
    insecure = ssl.create_default_context()
    insecure.check_hostname = False
    insecure.verify_mode = ssl.CERT_NONE
    answers, procs, log = serve(recipe(inst, "serve_aiohttp.py"), n=1,
                                url="https://127.0.0.1:443/", context=insecure)
    assert_served_by_nothing(answers, log)
    assert_nothing_held(procs, 1)


def test_without_the_helper_a_library_bind_fails_and_says_why(inst):
    # =p and a server that binds inside its own library: EACCES, as the issue saw. The
    # helper above is the way; this pins the reason down.
    path = capped(inst, "serve_plain.py", """
        import sys
        sys.argv = ["gunicorn", "--bind", "127.0.0.1:80", "hello_wsgi:app"]
        from gunicorn.app.wsgiapp import run
        run()
    """)
    proc = start(path)
    try:
        out = proc.communicate(timeout=60)[0]
    finally:
        stop(proc)
    assert proc.returncode != 0 and "Permission denied" in out, out


# ---------------------------------------------------------------- re-execution (F)

def test_flask_debug_reloader_reexecutes_through_the_boot(inst):
    # Werkzeug's reloader runs sys.orig_argv again in a child, which holds no capability:
    # the boot re-reads the script from its path and runs it under the same rule.
    # The README's pattern: the first process binds port 80, the re-executed child serves.
    path = capped(inst, "serve_debug.py", """
        import os, ppy_py, hello_wsgi
        if os.environ.get("WERKZEUG_RUN_MAIN") == "true":
            hello_wsgi.app.run(host="127.0.0.1", port=80, debug=True)
        else:
            with ppy_py.raised("net_bind_service"):
                hello_wsgi.app.run(host="127.0.0.1", port=80, debug=True)
    """)
    proc = start(path)
    try:
        answer = fetch("http://127.0.0.1:80/")
        procs = group_processes(proc)
    finally:
        log = stop(proc)
    assert "cannot read the script copy" not in log, log
    server = procs[answer["pid"]]
    assert "ppy_boot.main()" in server[0] and path in server[0], server
    assert set(answer["caps"].values()) == {ZERO}
    reloader = procs[answer["ppid"]]
    assert reloader[1]["CapPrm"] != ZERO    # the reloader is the ppy-launched process


def test_gunicorn_usr2_hot_upgrade_comes_back_through_the_boot(inst):
    path = recipe(inst, "serve_gunicorn.py")
    proc = start(path)
    try:
        old = fetch("http://127.0.0.1:80/")
        master = old["ppid"]
        os.kill(master, signal.SIGUSR2)
        for _ in range(100):   # the new master: a child of the old one, under ppy's boot
            new = [p for p, (c, _) in group_processes(proc).items()
                   if "ppy_boot.main()" in c and "bin/gunicorn" in c and p != master]
            if len(new) >= 3:  # the new master and its two workers
                break
            time.sleep(0.1)
        os.kill(master, signal.SIGTERM)   # the old master goes; the new one keeps serving
        time.sleep(1)
        answer = fetch("http://127.0.0.1:80/")
        procs = group_processes(proc)
    finally:
        stop(proc)
    assert answer["pid"] != old["pid"] and answer["ppid"] != master
    new_master = procs[answer["ppid"]]
    assert "ppy_boot.main()" in new_master[0] and "bin/gunicorn" in new_master[0], new_master
    assert set(answer["caps"].values()) == {ZERO} and set(new_master[1].values()) == {ZERO}


# ---------------------------------------------------------------- the caller's inputs (finding 2)

def test_gunicorn_started_from_the_callers_directory_loads_the_owners_app(inst):
    # gunicorn puts its --chdir (by default the working directory) on sys.path: the caller's
    # own hello_wsgi.py used to run as the owner. The script starts in its own directory.
    caller_dir = os.path.join(inst.base, "caller-dir")
    os.makedirs(caller_dir, exist_ok=True)
    os.chown(caller_dir, CALLER, CALLER)
    with open(os.path.join(caller_dir, "hello_wsgi.py"), "w") as f:
        f.write("raise SystemExit('CALLER-CODE-RAN')\n")
    answers, _, log = serve(recipe(inst, "serve_gunicorn.py"), n=1, cwd=caller_dir)
    assert "CALLER-CODE-RAN" not in log
    assert answers[0]["cwd"] == inst.app


def test_a_gunicorn_config_file_from_the_caller_is_refused(inst):
    # A script that passes its arguments on to gunicorn: the caller's -c file is Python that
    # gunicorn loads; the code-origin rule refuses it (the caller's file, in its directory).
    caller_dir = os.path.join(inst.base, "caller-conf")
    os.makedirs(caller_dir, exist_ok=True)
    os.chown(caller_dir, CALLER, CALLER)
    conf = os.path.join(caller_dir, "evil_conf.py")
    with open(conf, "w") as f:
        f.write("print('CALLER-CONFIG-RAN', flush=True)\n")
    os.chown(conf, CALLER, CALLER)
    path = capped(inst, "serve_args.py", """
        import sys
        from ppy_py import activation
        activation.serve(["gunicorn", *sys.argv[1:], "hello_wsgi:app"], listen=["127.0.0.1:80"])
    """)
    proc = start(path, "-c", conf)
    try:
        out = proc.communicate(timeout=60)[0]
    finally:
        stop(proc)
    assert "CALLER-CONFIG-RAN" not in out
    assert "refusing to load %s" % conf in out and "owned by uid %d" % CALLER in out, out
