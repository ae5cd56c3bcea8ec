# SPDX-License-Identifier: LGPL-2.1-or-later
"""forbid-exec: root's ppy.conf, not the script's owner, decides that a script may not
start processes; ppy's boot installs ppy_py.hardening.forbid_exec before its first line."""
import os
import textwrap

import pytest

from ppytest import EX_BOOT, EX_INSTALL, OWNER, RAN, Install, refused, run

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


# ------------------------------------------------------------------ the file, not the name

def _spawn_result(path):
    out = run([path]).stdout.splitlines()
    assert out and out[0] == RAN, out
    return out[1]


def test_a_hard_link_of_a_forbidden_script_is_forbidden_too(inst):
    # The owner links its script elsewhere: the same file, with the same capabilities
    # (they are on the inode), so the same switch.
    guarded = inst.script(SPAWN)
    inst.write_conf(f"forbid-exec raise {guarded}\n")
    home = os.path.join(inst.base, "owner-home")
    os.makedirs(home, 0o755, exist_ok=True)
    os.chown(home, OWNER, OWNER)
    link = os.path.join(home, "fx2.py")
    proc = run(["ln", guarded, link], uid=OWNER)
    assert proc.returncode == 0, proc.stderr
    assert _spawn_result(guarded).startswith("REFUSED")
    assert _spawn_result(link).startswith("REFUSED")


def test_a_fresh_copy_at_the_forbidden_path_is_forbidden(inst):
    # Root replaces the script with a new file (a new inode) at the path it named.
    guarded = inst.script(SPAWN)
    inst.write_conf(f"forbid-exec raise {guarded}\n")
    old = os.stat(guarded).st_ino
    fresh = inst.script(SPAWN, name="fresh-copy.py")
    os.rename(fresh, guarded)
    assert os.stat(guarded).st_ino != old
    assert _spawn_result(guarded).startswith("REFUSED")


def test_a_path_through_a_symlink_names_the_file_it_reaches(inst):
    # ppy.conf names the script through a symlinked directory (a "current" release):
    # the file there is forbidden, whatever its real path.
    release = os.path.join(inst.base, "release-1")
    os.makedirs(release, 0o755, exist_ok=True)
    current = os.path.join(inst.base, "current")
    if not os.path.islink(current):
        os.symlink(release, current)
    path = inst.script(SPAWN, directory=release, name="app.py")
    inst.write_conf(f"forbid-exec raise {current}/app.py\n")
    assert _spawn_result(path).startswith("REFUSED")


def test_under_ppy_no_subinterpreter_escapes_forbid_exec(inst):
    # sys.addaudithook hooks belong to one interpreter: a subinterpreter used to spawn
    # freely under 'raise'. Under ppy none can be created at all (the code-origin rule
    # refuses them); outside ppy, forbid_exec's runtime guard covers them (test_lib_hardening).
    body = textwrap.dedent("""
        try:
            import _xxsubinterpreters as si
        except ImportError:        # 3.13
            import _interpreters as si
        try:
            si.run_string(si.create(), "import os; os.system('/bin/true'); print('SUB-SPAWNED')")
        except Exception as e:
            print("REFUSED", e.__cause__ or e.__context__ or e)
    """)
    path = inst.script(body)
    inst.write_conf(f"forbid-exec raise {path}\n")
    proc = run([path])
    assert proc.returncode == 0, proc.stderr
    assert "SUB-SPAWNED" not in proc.stdout and "REFUSED" in proc.stdout
    assert "may not create a subinterpreter" in proc.stderr, proc.stderr


def _private_script_and_link(inst, name):
    """A script in a directory of root's that only root may search, named by ppy.conf
    there, and a hard link to it (root's doing) in a directory anyone may search."""
    private = os.path.join(inst.base, f"private-{name}")
    os.makedirs(private, 0o700, exist_ok=True)
    guarded = inst.script(SPAWN, directory=private, name=f"{name}.py")
    home = os.path.join(inst.base, "owner-home")
    os.makedirs(home, 0o755, exist_ok=True)
    os.chown(home, OWNER, OWNER)
    link = os.path.join(home, f"{name}-link.py")
    if os.path.exists(link):
        os.unlink(link)
    os.link(guarded, link)
    return guarded, link


def test_a_forbidden_file_the_caller_cannot_reach_is_still_found(inst):
    # The caller cannot search the directory ppy.conf names, and starts the script through
    # a hard link elsewhere: ppy finds the file ppy.conf names with its own right to
    # search (CAP_DAC_READ_SEARCH), so the link is held to the line as well.
    guarded, link = _private_script_and_link(inst, "hidden")
    inst.write_conf(f"forbid-exec raise {guarded}\n")
    assert run(["stat", guarded]).returncode != 0     # the caller cannot reach it
    assert _spawn_result(link).startswith("REFUSED")


def test_a_forbidden_path_ppy_cannot_resolve_stops_every_launch():
    # A ppy built without CAP_DAC_READ_SEARCH cannot search that directory either: the
    # configuration is refused (86), rather than the line silently matching nothing.
    small = Install(grantable="cap_net_bind_service")
    try:
        guarded, link = _private_script_and_link(small, "unresolved")
        small.write_conf(f"forbid-exec raise {guarded}\n")
        proc = run([link])
        refused(proc, EX_INSTALL, "line 1", "cannot resolve", guarded, "Permission denied",
                "this ppy lacks cap_dac_read_search")
        assert RAN not in proc.stdout
    finally:
        small.remove()


def test_a_forbidden_path_must_be_in_directories_only_root_can_write(inst):
    # In a directory of its owner's, the owner could rename the script away from the path,
    # or make the path unresolvable (a symlink loop), which would refuse every launch on
    # the machine: the line itself is refused, by its number, before anything runs.
    own = os.path.join(inst.base, "owner-app")
    os.makedirs(own, 0o755, exist_ok=True)
    os.chown(own, OWNER, OWNER)
    guarded = inst.script(SPAWN, directory=own, name="serve.py")
    inst.write_conf(f"# services\nforbid-exec raise {guarded}\n")
    proc = run([inst.script()])
    refused(proc, EX_INSTALL, "line 2", f"forbid-exec '{guarded}'",
            f"directory {own} is owned by uid {OWNER}",
            "keep the script in a directory only root can write")
    assert not proc.stderr.startswith(f"ppy: {inst.scripts}")   # a configuration error


def test_a_forbidden_path_with_nothing_there_yet_is_no_error(inst):
    # A path root has not filled yet (in directories only root can change): the path alone
    # is forbidden; other scripts run.
    inst.write_conf(f"forbid-exec raise {inst.base}/not-yet/serve.py\n"
                    f"forbid-exec raise {inst.scripts}/not-yet.py\n")
    assert _spawn_result(inst.script(SPAWN)) == "SPAWNED"


def test_a_forbidden_path_that_is_a_symlink_is_a_configuration_error(inst):
    # The line must name the script itself: capabilities follow the file, and so does the
    # switch, which a link's own inode would not (the launch refused, by the line's number).
    target = inst.script(SPAWN)
    link = os.path.join(inst.scripts, "via-link.py")
    os.symlink(target, link)
    try:
        inst.write_conf(f"forbid-exec raise {link}\n")
        refused(run([inst.script()]), EX_INSTALL, "line 1", f"forbid-exec '{link}' is a "
                "symbolic link; name the script itself")
    finally:
        os.unlink(link)
        inst.write_conf("")


@pytest.mark.parametrize("name", ["", ".", ".."])
def test_a_forbidden_path_that_names_no_file_is_a_configuration_error(inst, name):
    inst.write_conf(f"forbid-exec raise {inst.scripts}/{name}\n")
    try:
        refused(run([inst.script()]), EX_INSTALL, "line 1",
                f"forbid-exec '{inst.scripts}/{name}' names no file")
    finally:
        inst.write_conf("")
