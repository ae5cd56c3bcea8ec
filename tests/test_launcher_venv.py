# SPDX-License-Identifier: LGPL-2.1-or-later
"""Interpreters beyond the built-in one: a root-owned virtualenv allowed in PREFIX/etc/ppy.conf,
selected by the script's own #! line."""
import contextlib
import json
import os
import shutil
import subprocess
import textwrap

import pytest

from ppytest import (EX_BOOT, EX_FILE, EX_INSTALL, OWNER, PYTHON, RAN, Install, caps_mask,
                     refused, run)

pytestmark = pytest.mark.root

APP = textwrap.dedent(
    """
    import http.server, json, sys, threading, urllib.request
    import greeting, ppy_py

    class Hello(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = greeting.hello().encode()
            self.send_response(200)
            self.end_headers()
            self.wfile.write(body)
        def log_message(self, *args):
            pass

    with ppy_py.raised("net_bind_service"):
        server = http.server.HTTPServer(("127.0.0.1", 80), Hello)
    threading.Thread(target=server.handle_request, daemon=True).start()
    reply = urllib.request.urlopen("http://127.0.0.1:80/", timeout=10).read().decode()
    caps = [l.split()[1] for l in open("/proc/self/status") if l.startswith(("CapPrm", "CapEff"))]
    print(json.dumps({"reply": reply, "prefix": sys.prefix, "caps": caps,
                      "greeting": greeting.__file__}))
    """
)


@pytest.fixture(scope="module")
def venv_inst():
    inst = Install()
    try:
        venv = os.path.join(inst.base, "venv")
        # --system-site-packages: ppy_py needs cffi's backend (Debian python3-cffi-backend)
        subprocess.run([PYTHON, "-m", "venv", "--without-pip", "--system-site-packages", venv],
                       check=True)
        site = subprocess.run([os.path.join(venv, "bin", "python"), "-c",
                               "import sysconfig; print(sysconfig.get_path('purelib'))"],
                              check=True, capture_output=True, text=True).stdout.strip()
        with open(os.path.join(site, "greeting.py"), "w") as f:
            f.write("def hello():\n    return 'hello from the venv'\n")
        inst.venv = venv
        inst.venv_python = os.path.join(venv, "bin", "python")
        inst.greeting = os.path.join(site, "greeting.py")
        inst.write_conf("# interpreters ppy scripts may ask for\n"
                        f"interpreter {inst.venv_python}\n")
        yield inst
    finally:
        inst.remove()


def venv_script(inst, body=APP, interpreter=None):
    path = inst.script(body, shebang=False)
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:     # rewriting strips the xattr: set it again
        f.write(f"#!{inst.ppy} {interpreter or inst.venv_python}\n" + text)
    subprocess.run(["setcap", "cap_net_bind_service=p", path], check=True)
    return path


def app_result(proc):
    import json
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == RAN
    return json.loads(lines[1])


def test_app_with_a_venv_dependency_serves_port_80(venv_inst):
    path = venv_script(venv_inst)
    res = app_result(run([path]))              # through the #! line: the kernel passes the venv
    assert res["reply"] == "hello from the venv"
    assert res["prefix"] == venv_inst.venv
    assert res["greeting"] == venv_inst.greeting
    assert [int(c, 16) for c in res["caps"]] == [caps_mask(10), 0]


def _with_pth(inst, text):
    """A .pth file in the venv's site-packages (removed by the caller)."""
    pth = os.path.join(os.path.dirname(inst.greeting), "zz-ppy-test-probe.pth")
    with open(pth, "w") as f:
        f.write(text)
    return pth


PROBE = ("import sys; sys.stderr.write('PTH ' + ' '.join(l.split()[1] for l in "
         "open('/proc/self/status') if l.startswith(('CapInh', 'CapEff', 'CapAmb'))) + chr(10))\n")


def assert_probe_saw_no_caps(proc):
    """Every PROBE line shows CapInh, CapEff and CapAmb empty. (This venv's site-packages
    is processed twice by Debian's site.py, with or without ppy.)"""
    probe = [l for l in proc.stderr.splitlines() if l.startswith("PTH ")]
    assert probe and set(probe) == {"PTH " + " ".join(["0000000000000000"] * 3)}, proc.stderr


def test_site_packages_code_runs_only_after_the_capabilities_are_dropped(venv_inst):
    # A .pth file in site-packages runs code at interpreter start-up. ppy starts python
    # with -S and the boot runs site.main() after emptying inheritable, ambient and
    # effective: that code must see none of them, and the script must still get its
    # site-packages (greeting) and its permitted capability.
    pth = _with_pth(venv_inst, PROBE)
    try:
        proc = run([venv_script(venv_inst)])
        res = app_result(proc)
        assert res["reply"] == "hello from the venv"
        assert [int(c, 16) for c in res["caps"]] == [caps_mask(10), 0]
        assert_probe_saw_no_caps(proc)
    finally:
        os.unlink(pth)


def test_site_packages_code_runs_without_effective_caps_even_for_an_ep_script(venv_inst):
    # The file's effective bit (=ep) is applied after site-packages start-up, not before.
    pth = _with_pth(venv_inst, PROBE)
    try:
        path = venv_script(venv_inst, "import json\nprint(json.dumps([l.split()[1] for l in "
                                      "open('/proc/self/status') if l.startswith(('CapPrm', "
                                      "'CapEff', 'CapInh', 'CapAmb'))]))\n")
        subprocess.run(["setcap", "cap_net_bind_service=ep", path], check=True)
        proc = run([path])
        assert proc.returncode == 0, proc.stderr
        assert [int(c, 16) for c in json.loads(proc.stdout.splitlines()[1])] == \
            [0, caps_mask(10), caps_mask(10), 0]           # CapInh, CapPrm, CapEff, CapAmb
        assert_probe_saw_no_caps(proc)
    finally:
        os.unlink(pth)


def test_site_packages_code_cannot_switch_off_forbid_exec(venv_inst):
    # The guard is installed before site-packages code runs: a .pth can neither stop it
    # being added, nor spawn a process itself.
    spawn = ("import subprocess\n"
             "try:\n    subprocess.run(['/bin/true'])\n    print('SPAWNED')\n"
             "except PermissionError:\n    print('REFUSED')\n")
    path = venv_script(venv_inst, spawn)
    venv_inst.write_conf(f"interpreter {venv_inst.venv_python}\nforbid-exec raise {path}\n")
    pth = _with_pth(venv_inst, "import sys; sys.addaudithook = lambda hook: None\n"
                               "import ppy_py.hardening as h; h._installed_modes.add('raise')\n"
                               "import subprocess; subprocess.run(['/bin/true']); "
                               "print('PTH-SPAWNED')\n")
    try:
        proc = run([path])
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.splitlines() == [RAN, "REFUSED"], proc.stdout
        assert "PTH-SPAWNED" not in proc.stdout
    finally:
        os.unlink(pth)
        venv_inst.write_conf(f"interpreter {venv_inst.venv_python}\n")


def test_site_packages_code_that_exits_is_a_boot_failure(venv_inst):
    pth = _with_pth(venv_inst, "import sys; sys.exit(5)\n")
    try:
        refused(run([venv_script(venv_inst)]), EX_BOOT, "boot", "SystemExit")
    finally:
        os.unlink(pth)


def test_site_packages_code_starts_with_nothing_blocked(venv_inst):
    # ppy holds SIGINT and SIGQUIT across its exec; the boot lets them go before any
    # site-packages code runs: a thread a .pth starts (and what that thread starts) gets
    # Ctrl-C and Ctrl-\\ like the script.
    pth = _with_pth(venv_inst, "import threading, sys; t = threading.Thread(target=lambda: "
                               "sys.stderr.write('PTH-THREAD ' + [l.split()[1] for l in "
                               "open('/proc/thread-self/status') if l.startswith('SigBlk')][0] "
                               "+ chr(10))); t.start(); t.join()\n")
    try:
        proc = run([venv_script(venv_inst)])
        assert proc.returncode == 0, proc.stderr
        seen = [l for l in proc.stderr.splitlines() if l.startswith("PTH-THREAD ")]
        assert seen and all(int(l.split()[1], 16) == 0 for l in seen), proc.stderr
    finally:
        os.unlink(pth)


def test_ctrl_c_during_site_packages_code_is_the_same_one_line(venv_inst):
    pth = _with_pth(venv_inst, "import os, signal; os.kill(os.getpid(), signal.SIGINT)\n")
    try:
        refused(run([venv_script(venv_inst)]), EX_BOOT,
                "boot: interrupted (SIGINT) before the script started")
    finally:
        os.unlink(pth)


def test_ppy_on_the_command_line_takes_the_interpreter_from_the_script(venv_inst):
    res = app_result(run([venv_inst.ppy, venv_script(venv_inst)]))
    assert res["prefix"] == venv_inst.venv


def test_check_names_the_interpreter(venv_inst):
    proc = run([venv_inst.ppy, "--check", venv_script(venv_inst)])
    assert proc.returncode == 0, proc.stderr
    assert f"under {venv_inst.venv_python}" in proc.stdout


def test_interpreter_not_in_the_config_is_refused(venv_inst):
    path = venv_script(venv_inst, interpreter="/usr/bin/python3.11")
    refused(run([path]), EX_FILE, "/usr/bin/python3.11", "does not allow")


def test_caller_cannot_pick_the_interpreter_for_a_script(venv_inst):
    """A script whose #! line names no interpreter runs only under the built-in one."""
    plain = venv_inst.script("import sys\nprint(sys.prefix)\n")
    ok = run([venv_inst.ppy, plain])
    assert ok.returncode == 0 and ok.stdout.splitlines()[1] != venv_inst.venv
    refused(run([venv_inst.ppy, venv_inst.venv_python, plain]), EX_FILE, "does not name")


def test_group_writable_config_is_refused(venv_inst):
    os.chmod(venv_inst.conf, 0o664)
    try:
        refused(run([venv_script(venv_inst)]), EX_INSTALL, "ppy.conf", "root")
    finally:
        os.chmod(venv_inst.conf, 0o644)


def test_config_owned_by_another_user_is_refused(venv_inst):
    os.chown(venv_inst.conf, OWNER, 0)
    try:
        refused(run([venv_inst.ppy, venv_script(venv_inst)]), EX_INSTALL, "ppy.conf")
    finally:
        os.chown(venv_inst.conf, 0, 0)


def test_bad_config_line_is_refused_with_its_number(venv_inst):
    venv_inst.write_conf(f"interpreter {venv_inst.venv_python}\nallow everything\n")
    try:
        refused(run([venv_inst.ppy, venv_script(venv_inst)]), EX_INSTALL, "line 2")
    finally:
        venv_inst.write_conf(f"interpreter {venv_inst.venv_python}\n")


STRANGER = 4444   # neither root nor the script's owner: another service account


IMPORT_GREETING = ("try:\n    import greeting\n    print('IMPORTED', greeting.__file__)\n"
                   "except ImportError as e:\n    print(type(e).__name__, e.path)\n"
                   "    print(e)\n")


def _import_refused(inst, file, *words):
    """The script runs, and importing greeting fails with UntrustedCodeError naming FILE."""
    proc = run([venv_script(inst, IMPORT_GREETING)])
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[1] == "UntrustedCodeError " + file, proc.stdout
    for w in ("refusing to load " + file, "only root and uid %d (the script's owner)" % OWNER,
              *words):
        assert w in lines[2], (w, lines[2])


def test_a_writable_module_in_the_venv_is_not_loaded(venv_inst):
    # Cost follows what is loaded: the venv is not walked at launch; the module that
    # breaks the rule is refused where it is imported, with the file and the rule named.
    os.chmod(venv_inst.greeting, 0o666)
    try:
        _import_refused(venv_inst, venv_inst.greeting, "writable by group or others (mode 0666")
        proc = run([venv_inst.ppy, "--check", venv_script(venv_inst)])
        assert proc.returncode == 0, proc.stderr
        assert "warning: %s would be refused if imported" % venv_inst.greeting in proc.stdout
    finally:
        os.chmod(venv_inst.greeting, 0o644)


def test_a_module_owned_by_another_account_is_not_loaded(venv_inst):
    os.chown(venv_inst.greeting, STRANGER, STRANGER)
    try:
        _import_refused(venv_inst, venv_inst.greeting, "is owned by uid %d" % STRANGER)
    finally:
        os.chown(venv_inst.greeting, 0, 0)


def test_a_module_owned_by_the_scripts_owner_is_loaded(venv_inst):
    # The rule is root or the script's owner: the owner is trusted with the capabilities.
    os.chown(venv_inst.greeting, OWNER, OWNER)
    try:
        proc = run([venv_script(venv_inst, IMPORT_GREETING)])
        assert proc.stdout.splitlines()[1] == "IMPORTED " + venv_inst.greeting, proc.stdout
    finally:
        os.chown(venv_inst.greeting, 0, 0)


def test_symlink_out_of_the_venv_to_a_writable_place_is_not_followed(venv_inst):
    import tempfile
    where = tempfile.mkdtemp(dir="/tmp")     # /tmp: world-writable, so anyone could replace
    os.chmod(where, 0o755)
    planted = os.path.join(where, "evil.py")
    with open(planted, "w") as f:
        f.write("print('EVIL')\n")
    link = os.path.join(os.path.dirname(venv_inst.greeting), "evil.py")
    os.symlink(planted, link)
    try:
        proc = run([venv_script(venv_inst, "try:\n    import evil\nexcept ImportError as e:\n"
                                           "    print(e)\n")])
        assert proc.returncode == 0, proc.stderr
        assert "EVIL" not in proc.stdout
        assert "directory /tmp is writable by group or others" in proc.stdout
    finally:
        os.unlink(link)
        shutil.rmtree(where)


def refused_with_strangers_home(inst, name, line):
    """pyvenv.cfg's home line replaced by LINE (a format for the directory NAME/bin, made
    under a directory of STRANGER's): the launch is refused, naming that home."""
    fake = os.path.join(inst.base, name, "bin")
    os.makedirs(fake, 0o755, exist_ok=True)
    os.chown(os.path.dirname(fake), STRANGER, STRANGER)
    cfg = os.path.join(inst.venv, "pyvenv.cfg")
    original = open(cfg).read()
    with open(cfg, "w") as f:
        f.write("".join(line % fake if l.startswith("home") else l
                        for l in original.splitlines(True)))
    try:
        refused(run([venv_script(inst)]), EX_INSTALL, "virtualenv home",
                "owned by uid %d" % STRANGER)
    finally:
        with open(cfg, "w") as f:
            f.write(original)


def test_venv_home_owned_by_another_account_is_refused(venv_inst):
    """pyvenv.cfg's home names the base Python whose standard library the venv uses."""
    refused_with_strangers_home(venv_inst, "user-python", "home = %s\n")


def test_a_writable_pyvenv_cfg_is_refused(venv_inst):
    cfg = os.path.join(venv_inst.venv, "pyvenv.cfg")
    os.chmod(cfg, 0o666)
    try:
        refused(run([venv_script(venv_inst)]), EX_INSTALL, "pyvenv.cfg", "writable by group")
    finally:
        os.chmod(cfg, 0o644)


# -------------------------------------------------------- .pth files (finding 3)

def _editable_checkout(inst, owner, mode=0o755):
    """What `pip install -e` of another account's checkout leaves: a directory outside the
    venv, owned by OWNER, holding a module, and a .pth in site-packages naming it."""
    src = os.path.join(inst.base, "checkout-%d" % owner)
    os.makedirs(src, exist_ok=True)
    os.chown(src, owner, owner)
    os.chmod(src, mode)
    mod = os.path.join(src, "planted_mod.py")
    with open(mod, "w") as f:
        f.write("print('PLANTED-MODULE-RAN')\n")
    os.chown(mod, owner, owner)
    return src, _with_pth(inst, src + "\n")


def test_a_pth_adding_another_accounts_directory_refuses_the_launch(venv_inst):
    # Finding 3: a second service account's editable checkout, named by a .pth, planted a
    # module that a third account's capped script imported with its capability raised.
    src, pth = _editable_checkout(venv_inst, STRANGER)
    try:
        script = venv_script(venv_inst, "import ppy_py\nwith ppy_py.raised('net_bind_service'):\n"
                                        "    import planted_mod\n")
        refused(run([script]), EX_INSTALL, "boot", pth, "adds directory " + src,
                "owned by uid %d" % STRANGER)
        proc = run([venv_inst.ppy, "--check", script])
        refused(proc, EX_INSTALL, "directory that %s adds" % pth, src)
    finally:
        os.unlink(pth)
        shutil.rmtree(src)


def test_a_pth_adding_the_owners_directory_is_accepted(venv_inst):
    src, pth = _editable_checkout(venv_inst, OWNER)
    try:
        proc = run([venv_script(venv_inst, "import planted_mod\n")])
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.splitlines()[1] == "PLANTED-MODULE-RAN"
    finally:
        os.unlink(pth)
        shutil.rmtree(src)


def test_a_pth_file_others_can_write_refuses_the_launch(venv_inst):
    pth = _with_pth(venv_inst, "# nothing\n")
    os.chmod(pth, 0o666)
    try:
        refused(run([venv_script(venv_inst)]), EX_INSTALL, "boot", "site-packages",
                "refusing to load " + pth, "writable by group or others")
    finally:
        os.unlink(pth)


def test_a_pth_importing_untrusted_code_refuses_the_launch(venv_inst):
    # (It takes the directory off sys.path again, so that only the import is refused.)
    src, pth = _editable_checkout(venv_inst, STRANGER)
    with open(pth, "w") as f:
        f.write("import sys; sys.path.insert(0, %r); import planted_mod; sys.path.pop(0)\n" % src)
    try:
        proc = run([venv_script(venv_inst)])
        refused(proc, EX_INSTALL, "boot", "zz-ppy-test-probe.pth", "planted_mod",
                "owned by uid %d" % STRANGER)
        assert "PLANTED-MODULE-RAN" not in proc.stdout + proc.stderr
    finally:
        os.unlink(pth)
        shutil.rmtree(src)


@contextlib.contextmanager
def _egg_put_first(inst, then=""):
    """A directory with its own ppy_py (which prints PLANTED-PPY_PY when imported) that a .pth
    puts first on sys.path, as setuptools' old easy-install.pth does; THEN continues that
    .pth line. Yields (directory, .pth); both are removed afterwards."""
    egg = os.path.join(os.path.dirname(inst.greeting), "zz-egg")
    os.makedirs(os.path.join(egg, "ppy_py"), 0o755)
    with open(os.path.join(egg, "ppy_py", "__init__.py"), "w") as f:
        f.write("print('PLANTED-PPY_PY')\n")
    pth = _with_pth(inst, "import sys; sys.path.insert(0, %r)%s\n" % (egg, then))
    try:
        yield egg, pth
    finally:
        os.unlink(pth)
        shutil.rmtree(egg)


def test_a_pth_that_puts_its_directory_first_does_not_replace_ppy_py(venv_inst):
    # The boot no longer imports ppy_py itself, so after site.main() it must put its
    # library back in front: the script's ppy_py is the checked copy, not the egg's.
    with _egg_put_first(venv_inst) as (egg, _):
        proc = run([venv_script(venv_inst, "import sys, ppy_py\nprint(ppy_py.__file__)\n"
                                           "print(sys.path.index(%r))\n" % egg)])
        assert proc.returncode == 0, proc.stderr
        assert "PLANTED-PPY_PY" not in proc.stdout
        lines = proc.stdout.splitlines()
        assert lines[1].startswith(venv_inst.libdir + "/"), lines
        assert int(lines[2]) == 2, lines     # kept, after the script's directory and the library


def test_site_code_that_imports_a_foreign_ppy_py_is_a_boot_failure(venv_inst):
    # Putting the library back in front cannot undo an import that already happened: a .pth
    # that imports ppy_py (as `make install-pth`'s does) after the egg was put first has
    # loaded the egg's. The boot refuses, naming it; the library's own copy is fine.
    with _egg_put_first(venv_inst, "; import ppy_py") as (egg, pth):
        script = venv_script(venv_inst, "import ppy_py\nprint(ppy_py.__file__)\n")
        refused(run([script]), EX_BOOT, "boot", "ppy_py", egg + "/ppy_py/__init__.py",
                "not from ppy's library")
        with open(pth, "w") as f:     # the same import, with nothing put first: it runs
            f.write("import ppy_py.hardening\n")
        proc = run([script])
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.splitlines()[1].startswith(venv_inst.libdir + "/")


def test_boot_imports_the_checked_ppy_py_not_one_in_the_venv(venv_inst):
    site = os.path.dirname(venv_inst.greeting)
    planted = os.path.join(site, "ppy_py")
    os.mkdir(planted, 0o755)
    with open(os.path.join(planted, "__init__.py"), "w") as f:
        f.write("print('PLANTED-PPY_PY')\n")
    try:
        proc = run([venv_script(venv_inst, "import ppy_py\nprint(ppy_py.__file__)\n")])
        assert proc.returncode == 0, proc.stderr
        assert "PLANTED-PPY_PY" not in proc.stdout
        assert proc.stdout.splitlines()[1].startswith(venv_inst.libdir + "/")
    finally:
        shutil.rmtree(planted)


def test_a_venv_without_cffi_still_raises_reads_and_drops():
    # raised(), current() and drop_caps() go through _ppy_sys (no cffi backend needed): a
    # venv made without system site-packages and without cffi, as `python3 -m venv` makes.
    inst = Install()
    try:
        venv = os.path.join(inst.base, "plain-venv")
        subprocess.run([PYTHON, "-m", "venv", "--without-pip", venv], check=True)
        python = os.path.join(venv, "bin", "python")
        inst.write_conf("interpreter %s\n" % python)
        body = textwrap.dedent("""
            import importlib.util, socket, ppy_py
            print(importlib.util.find_spec("_cffi_backend") is None)
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            with ppy_py.raised("net_bind_service"):
                s.bind(("127.0.0.1", 80))
            print(ppy_py.current().permitted)
            ppy_py.drop_caps("net_bind_service")
            print(ppy_py.current().permitted or "none")
        """)
        path = venv_script(inst, body, interpreter=python)
        proc = run([path])
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.splitlines()[1:] == ["True", "cap_net_bind_service", "none"]
    finally:
        inst.remove()


def test_check_warns_about_an_editable_finder_mapping_to_another_accounts_directory(venv_inst):
    # setuptools' newer editable installs: a .pth that imports a finder module whose MAPPING
    # names the source directory. Nothing of it runs until the package is imported (then the
    # rule refuses it); ppy --check reads the mapping and says so.
    src = os.path.join(venv_inst.base, "checkout-finder")
    os.makedirs(os.path.join(src, "mylib"), exist_ok=True)
    os.chown(src, STRANGER, STRANGER)
    site = os.path.dirname(venv_inst.greeting)
    finder = os.path.join(site, "__editable___mylib_0_1_finder.py")
    with open(finder, "w") as f:
        f.write("import sys\nMAPPING: dict[str, str] = {'mylib': %r}\n"
                "def install():\n    pass\n" % os.path.join(src, "mylib"))
    try:
        proc = run([venv_inst.ppy, "--check", venv_script(venv_inst)])
        assert proc.returncode == 0, proc.stderr
        assert ("warning: the editable install %s maps a package to %s, which would be refused "
                "if imported: directory %s is owned by uid %d" % (
                    finder, os.path.join(src, "mylib"), src, STRANGER)) in proc.stdout
    finally:
        os.unlink(finder)
        shutil.rmtree(src)


def test_pyvenv_cfg_is_read_as_python_reads_it(venv_inst):
    # CPython takes the first "home" key in any case, its value stripped, spaces inside kept:
    # ppy checks that same directory (here a stranger's, written "Home = ").
    refused_with_strangers_home(venv_inst, "user python", "Home =  %s  \n")
