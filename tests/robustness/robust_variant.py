# SPDX-License-Identifier: LGPL-2.1-or-later
"""pytest plugin: run the launcher test suite against an instrumented ppy.

Loaded with `-p robust_variant` (tests/robustness on PYTHONPATH) by `make check-sanitize`
(PPY_TEST_VARIANT=asan) and `make check-valgrind` (PPY_TEST_VARIANT=valgrind). The test
files themselves are unchanged: this plugin wraps ppytest.Install so that, right after the
usual `make install PREFIX=...`, bin/ppy is replaced, and points test_launcher_cli's PPY
at a variant built with the default settings.

asan      bin/ppy is ppy built with -fsanitize=address,undefined (make VARIANT=asan
          variant, same PREFIX/PYTHON/GRANTABLE), given the same file capabilities as the
          real one. ASan and UBSan run fine in secure-execution mode; their options are
          compiled in (tests/robustness/sanitize_opts.c): any report ends ppy with status
          99 and is written to INSTALL/san/, which must be empty at the end.
musl      bin/ppy is ppy built against musl instead of glibc (make VARIANT=musl variant: musl-gcc,
          libcap-ng built for musl; make check-musl), given the same file capabilities.
valgrind  bin/ppy is a /bin/sh wrapper that runs the real ppy under valgrind memcheck
          (--trace-children=no: the interpreter ppy execs runs natively). For callers other
          than root to get ppy's capabilities, a private copy of the memcheck tool carries
          ppy's file capabilities; an ACL lets only the test uids (CALLER, OWNER, 65534)
          execute it, and it is deleted with the install. Valgrind gives its guest
          AT_SECURE=0, so tests/robustness/vgshim.c is preloaded (it zeroes capget's
          output buffer, which valgrind 3.19 under-reports as written). Each launch
          writes INSTALL/vglog/vg.PID; any error in one fails the session.

What cannot run under a variant is deselected below, each with its reason, and listed in
the terminal summary.
"""
import glob
import os
import re
import shutil
import subprocess
import sys

import pytest

VARIANT = os.environ.get("PPY_TEST_VARIANT", "")
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests"))

# Tests a variant cannot run meaningfully: (variant, test name substring) -> reason.
SKIP = {
    ("valgrind", "test_tiny_stack_limit_is_refused_not_crashed[16]"):
        "valgrind's memcheck tool, which carries ppy's file capabilities here, dies with "
        "SIGSEGV under a 16 KiB hard stack limit before the guest starts (valgrind /bin/true "
        "does too); 20, 64 and 100 KiB run",
    ("valgrind", "test_tiny_soft_stack_limit_is_raised_not_crashed["):
        "valgrind keeps a client's setrlimit(RLIMIT_STACK) virtual, so the interpreter that "
        "ppy execs still gets the caller's small soft limit (a script under the valgrind "
        "build reports 64 KiB where the real ppy gives it 8 MiB) and Python dies",
    ("valgrind", "test_argc_zero_is_refused"):
        "the wrapper is a #! script: the kernel gives it argv[0], so ppy never sees argc 0",
    ("valgrind", "test_grantable_limits_what_ppy_grants"):
        "it reads bin/ppy's file capabilities; they are on the memcheck copy here",
    ("valgrind", "test_ppy_without_its_file_caps_refuses"):
        "it removes bin/ppy's file capabilities; they are on the memcheck copy here",
    ("valgrind", "test_environment_is_rebuilt_from_an_allowlist"):
        "the caller's LD_AUDIT/TMPDIR... reach the wrapper (/bin/sh, env, valgrind), which "
        "is not in secure-execution mode; ppy's own environment handling still runs in "
        "the other tests",
    ("valgrind", "test_ld_preload_and_pythonpath_do_not_run_code"):
        "the caller's LD_PRELOAD runs in the wrapper (/bin/sh), which is not secure-exec",
    ("valgrind", "test_shared_filesystem_state_names_the_process_that_shares_it"):
        "ppy reads its own caps through /proc/self/exe, which valgrind points at the guest "
        "file, and valgrind refuses to run a file that has capabilities",
    ("valgrind", "test_a_capability_the_bounding_set_lacks_is_named"):
        "ppy reads its own caps through /proc/self/exe (the uncapped guest file here) before "
        "it names the bounding set",
    ("valgrind", "test_ppy_on_a_nosuid_mount_says_so"):
        "bin/ppy is the wrapper; the capped memcheck copy is not on the nosuid mount",
    ("valgrind", "test_ppy_itself_is_given_no_cap_lease"):
        "it reads bin/ppy's file capabilities; they are on the memcheck copy here",
    ("valgrind", "test_no_lease_at_all_where_the_kernel_answers"):
        "vgshim answers AT_EXECVE_CHECK with EINVAL (valgrind cannot run it), so under "
        "valgrind ppy always takes the read-lease path; the lease tests run it",
    ("valgrind", "test_one_call_missing[fcntl:F_SETLEASE=EINVAL]"):
        "without AT_EXECVE_CHECK (vgshim), leases off is a refusal: "
        "test_no_lease_and_no_execve_check_is_refused_naming_both",
    ("valgrind", "test_a_writer_racing_the_lease_probe_gets_a_refusal_not_a_dead_ppy[before"):
        "vgshim already makes every launch one without AT_EXECVE_CHECK: the [this] run is it",
    ("valgrind", "test_one_call_missing[close_range="):
        "the fallback closes what /proc/self/fd lists, which under valgrind includes "
        "valgrind's own descriptors, which the guest cannot close (it is refused, 87)",
    ("valgrind", "test_whole_kernel[4.18-"): "no close_range: as test_one_call_missing[close_range=",
    ("valgrind", "test_whole_kernel[5.4-"): "no close_range: as test_one_call_missing[close_range=",
    ("valgrind", "test_writers_are_refused_without_execve_check[4.18-"):
        "no close_range: as test_one_call_missing[close_range=",
    ("valgrind", "test_one_call_missing[statx=EPERM]"):
        "valgrind itself cannot start when statx fails with EPERM",
    ("valgrind", "test_a_caller_cannot_stop_ppy_while_it_holds_a_lease"):
        "400 single-stepped launches under valgrind take many minutes; the seccomp "
        "user-notification test checks the same invariant deterministically",
    ("valgrind", "test_owner_rewrite_never_runs_new_content_with_caps"):
        "under valgrind ppy copies the 4 MB script so slowly that every launch overlaps a "
        "rewrite and is (correctly) refused, so the test's 'some launches ran' half fails",
    ("valgrind", "test_a_caller_with_memory_deny_write_execute_is_refused"):
        "valgrind translates code into memory it writes and executes, which the caller's "
        "memory-deny-write-execute forbids: valgrind cannot start at all",
    ("valgrind", "test_low_nproc_limit_never_runs_with_another_identity"):
        "its point is an execve that fails (EAGAIN), which valgrind cannot survive "
        "(\"EXEC FAILED: I can't recover\")",
}

findings = []     # (install, file, first lines) of every sanitizer/valgrind report
swapped = []      # every install whose bin/ppy was replaced
launches = []     # valgrind: one log per instrumented launch
deselected = []


def _make_variant(variant, out, prefix=None, grantable=None, san_log=None):
    import ppytest

    cmd = ["make", "-s", "-C", REPO, "variant", f"VARIANT={variant}", f"VARIANT_OUT={out}",
           f"PYTHON={ppytest.PYTHON}"]
    if prefix:
        cmd.append(f"PREFIX={prefix}")
    if grantable:
        cmd.append(f"GRANTABLE={grantable}")
    if san_log:
        cmd.append(f"SAN_LOG={san_log}")
    subprocess.run(cmd, check=True, capture_output=True, text=True)


def _help(ppy):
    return subprocess.run([ppy, "--help"], capture_output=True, text=True, env={}).stdout


def _valgrind_wrapper(path, real, vg_lib, log_dir, shim):
    lib = f"VALGRIND_LIB={vg_lib} " if vg_lib else ""
    with open(path, "w") as f:
        f.write("#!/bin/sh\n# ppy under valgrind memcheck (test-only, robust_variant.py)\n"
                f"exec env {lib}LD_PRELOAD={shim} /usr/bin/valgrind --tool=memcheck -q "
                f"--vgdb=no --error-exitcode=99 --trace-children=no --leak-check=no "
                f"--log-file={log_dir}/vg.%p {real} \"$@\"\n")
    os.chmod(path, 0o755)


def _build_shim(out):
    subprocess.run(["cc", "-O1", "-shared", "-fPIC", "-Wall", "-Wextra", "-Werror", "-o", out,
                    os.path.join(HERE, "vgshim.c"), "-ldl"], check=True)


def swap(inst):
    """Replace INST's bin/ppy by the variant, keeping its file capabilities."""
    import ppytest

    before = _help(inst.ppy)
    grantable = re.search(r"grantable: (\S+)", before).group(1)
    caps = os.getxattr(inst.ppy, "security.capability")
    if VARIANT in ("asan", "musl"):
        san = os.path.join(inst.base, "san")
        os.mkdir(san)
        os.chmod(san, 0o1777)
        out = os.path.join(inst.base, "ppy-" + VARIANT)
        _make_variant(VARIANT, out, inst.prefix, grantable, san)
        with open(out, "rb") as f:
            mark = b"__asan_init" if VARIANT == "asan" else b"/lib/ld-musl-"
            assert mark in f.read(), "the variant is not " + VARIANT
        shutil.copyfile(out, inst.ppy)
        os.setxattr(inst.ppy, "security.capability", caps)
        after = _help(inst.ppy)
    else:
        real = os.path.join(inst.base, "ppy-real")
        shutil.copy2(inst.ppy, real)
        os.removexattr(real, "security.capability")   # valgrind refuses capped files
        vg = os.path.join(inst.base, "vg")
        os.mkdir(vg, 0o755)
        for name in ("memcheck-amd64-linux", "vgpreload_core-amd64-linux.so",
                     "vgpreload_memcheck-amd64-linux.so", "default.supp"):
            shutil.copy2(os.path.join("/usr/libexec/valgrind", name), vg)
        tool = os.path.join(vg, "memcheck-amd64-linux")
        os.chmod(tool, 0o750)
        users = ",".join(f"u:{u}:rx" for u in sorted({ppytest.CALLER, ppytest.OWNER, 65534}))
        subprocess.run(["setfacl", "-m", users, tool], check=True)
        os.setxattr(tool, "security.capability", caps)
        logs = os.path.join(inst.base, "vglog")
        os.mkdir(logs)
        os.chmod(logs, 0o1777)
        shim = os.path.join(inst.base, "vgshim.so")
        _build_shim(shim)
        _valgrind_wrapper(inst.ppy, real, vg, logs, shim)
        after = _help(real)
    assert after == before, "the variant was built with other settings:\n%s\n%s" % (before, after)
    swapped.append(inst.ppy)


# valgrind 3.19 has no wrapper for TIOCGSID (0x5429, an ioctl number without size or direction
# bits), so it notes the call on the log. That note is about valgrind, not a memory error:
# ppy sets the pid_t to -1 before the call, so nothing valgrind cannot see is ever read. Only
# this exact note is dropped; any other line in a log still fails the session.
_KNOWN_NOTE = re.compile(
    r"==\d+== Warning: noted but unhandled ioctl 0x5429 with no size/direction hints\.\n"
    r"==\d+==    This could cause spurious value errors to appear\.\n"
    r"==\d+==    See README_MISSING_SYSCALL_OR_IOCTL for guidance on writing a proper wrapper\.\n")


def collect(base):
    """Record the reports left under BASE (an install or a cli variant directory)."""
    for f in sorted(glob.glob(os.path.join(base, "san", "*"))):
        with open(f, errors="replace") as fh:
            findings.append((f, fh.read(4000)))
    for f in sorted(glob.glob(os.path.join(base, "vglog", "vg.*"))):
        launches.append(f)
        with open(f, errors="replace") as fh:
            text = _KNOWN_NOTE.sub("", fh.read())
        if text.strip():
            findings.append((f, text[:4000]))


def pytest_configure(config):
    if VARIANT not in ("asan", "musl", "valgrind"):
        raise pytest.UsageError("PPY_TEST_VARIANT must be asan, musl or valgrind")
    import ppytest

    orig_init, orig_remove = ppytest.Install.__init__, ppytest.Install.remove

    def init(self, *a, **kw):
        orig_init(self, *a, **kw)
        swap(self)

    def remove(self):
        collect(self.base)
        orig_remove(self)

    ppytest.Install.__init__ = init
    ppytest.Install.remove = remove

    # The command-line tests run wrapper/ppy (default settings) as root.
    cli = os.path.join(REPO, "build", "variants", "cli-" + VARIANT)
    shutil.rmtree(cli, ignore_errors=True)
    os.makedirs(cli)
    ppy = os.path.join(cli, "ppy")
    if VARIANT in ("asan", "musl"):
        os.mkdir(os.path.join(cli, "san"), 0o1777)
        _make_variant(VARIANT, ppy, san_log=os.path.join(cli, "san"))
    else:
        _make_variant("plain", os.path.join(cli, "ppy-real"))
        os.mkdir(os.path.join(cli, "vglog"), 0o1777)
        _build_shim(os.path.join(cli, "vgshim.so"))
        _valgrind_wrapper(ppy, os.path.join(cli, "ppy-real"), None,
                          os.path.join(cli, "vglog"), os.path.join(cli, "vgshim.so"))
    config._robust_cli = (cli, ppy)


def pytest_collection_modifyitems(config, items):
    keep = []
    for item in items:
        reason = next((r for (v, name), r in SKIP.items() if v == VARIANT and name in item.nodeid),
                      None)
        if reason:
            deselected.append((item.nodeid, reason))
        else:
            keep.append(item)
    if deselected:
        config.hook.pytest_deselected(items=[i for i in items if i not in keep])
        items[:] = keep


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    mod = getattr(item, "module", None)
    if mod is not None and mod.__name__.endswith("test_launcher_cli") and hasattr(mod, "PPY"):
        mod.PPY = item.config._robust_cli[1]


def pytest_sessionfinish(session, exitstatus):
    collect(session.config._robust_cli[0])
    if findings and session.exitstatus == 0:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    tr = terminalreporter
    tr.section(f"ppy under {VARIANT}")
    tr.write_line(f"{len(swapped)} installs ran the {VARIANT} build of ppy")
    for nodeid, reason in deselected:
        tr.write_line(f"not run under {VARIANT}: {nodeid}: {reason}")
    if VARIANT == "valgrind":
        cli = sum(1 for f in launches if "/build/variants/cli-" in f)
        tr.write_line(f"{len(launches)} ppy launches ran under valgrind memcheck "
                      f"({cli} of them from test_launcher_cli)")
    tr.write_line(f"{len(findings)} {VARIANT} reports")
    for f, text in findings[:20]:
        tr.write_line(f"--- {f}\n{text}")
