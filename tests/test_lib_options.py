"""ppy_py's prctl options (ppy_py/_options.py) and what python-prctl's own suite
(tests/test_prctl_oracle.py) skips on x86_64 or leaves unasserted: each change is
checked against what the kernel shows elsewhere (/proc, a refused mmap, a SIGKILL),
in a forked child or another process, never in the pytest process."""

import errno
import mmap
import os
import signal
import subprocess

import pytest

import lib_helpers
from lib_helpers import in_child
import ppy_py
from ppy_py import CapabilityError
from ppytest import Install, report

_WX = mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC


def _proc_field(path, key):
    with open(path) as f:
        for line in f:
            if line.startswith(key):
                return line.split(":", 1)[1].strip()
    return None


def test_mdwe_refuses_writable_executable_memory():
    def child():
        before = ppy_py.mdwe()
        mmap.mmap(-1, 4096, prot=_WX).close()   # allowed before
        flags = ppy_py.set_mdwe()
        try:
            mmap.mmap(-1, 4096, prot=_WX)
            refused = None
        except OSError as e:
            refused = e.errno
        try:
            ppy_py.set_mdwe(no_inherit=True)   # a set flag cannot change
            changed = None
        except CapabilityError as e:
            changed = [e.errno, str(e)]
        return [before, flags, ppy_py.mdwe(), refused, changed]

    before, flags, after, refused, changed = in_child(child)
    assert before == 0 and flags == after == ppy_py.MDWE_REFUSE_EXEC_GAIN == 1
    assert refused == errno.EACCES
    assert changed[0] == errno.EPERM and "PR_SET_MDWE" in changed[1]


def test_thp_disable_shows_in_proc_status():
    def child():
        out = [ppy_py.thp_disable(), _proc_field("/proc/self/status", "THP_enabled")]
        ppy_py.set_thp_disable(True)
        out += [ppy_py.thp_disable(), _proc_field("/proc/self/status", "THP_enabled")]
        ppy_py.set_thp_disable(False)
        return out + [ppy_py.thp_disable()]

    assert in_child(child) == [False, "1", True, "0", False]


def test_memory_merge_shows_in_ksm_stat():
    def child():
        out = [ppy_py.memory_merge(), _proc_field("/proc/self/ksm_stat", "ksm_merge_any")]
        ppy_py.set_memory_merge(True)
        out += [ppy_py.memory_merge(), _proc_field("/proc/self/ksm_stat", "ksm_merge_any")]
        ppy_py.set_memory_merge(False)
        return out + [ppy_py.memory_merge(), _proc_field("/proc/self/ksm_stat", "ksm_merge_any")]

    assert in_child(child) == [False, "no", True, "yes", False, "no"]


def test_speculation_ctrl_reads_and_explains_refusals():
    for feature in ("store_bypass", "indirect_branch", "l1d_flush"):
        value = ppy_py.speculation_ctrl(feature)
        assert value == ppy_py.speculation_ctrl(getattr(ppy_py.Speculation, feature.upper()))
        assert value == 0 or value & ~ppy_py.Speculation.PRCTL in (2, 4, 8, 16)

    def child():
        value = ppy_py.speculation_ctrl("store_bypass")
        try:
            ppy_py.set_speculation_ctrl("store_bypass", "disable")
        except CapabilityError as e:
            return [value, e.errno, str(e)]
        return [value, 0, ppy_py.speculation_ctrl("store_bypass")]

    value, err, what = in_child(child)
    if value & ppy_py.Speculation.PRCTL:   # under per-thread control: it took
        assert err == 0 and what & ppy_py.Speculation.DISABLE
    else:                                  # as on this machine: ENXIO, said so
        assert err == errno.ENXIO and "PR_SET_SPECULATION_CTRL" in what
    with pytest.raises(ValueError, match="unknown mode"):
        ppy_py.speculation_ctrl("meltdown")
    with pytest.raises(ValueError):
        ppy_py.set_speculation_ctrl("store_bypass", "off")


def test_sched_core_gives_a_cookie_or_says_why():
    def child():
        try:
            cookie = ppy_py.set_sched_core("process")
        except CapabilityError as e:
            return [None, e.errno, str(e)]
        return [cookie, 0, ppy_py.sched_core_cookie()]

    cookie, err, text = in_child(child)
    if cookie is None:   # this machine's kernel: no CONFIG_SCHED_CORE
        assert err == errno.EINVAL and "CONFIG_SCHED_CORE" in text
    else:
        assert cookie != 0 and text == cookie
    with pytest.raises(ValueError):
        ppy_py.set_sched_core("core")


def test_seccomp_strict_allows_write_then_kills():
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            ppy_py.set_seccomp_strict()
            os.write(w, b"wrote")
            os.getpid()   # not read/write/exit/sigreturn: SIGKILL
            os.write(w, b" and lived")
        finally:
            os._exit(0)
    os.close(w)
    got = os.read(r, 100)
    os.close(r)
    _, status = os.waitpid(pid, 0)
    assert got == b"wrote"
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    assert ppy_py.seccomp_mode() == 0


def test_a_timer_slack_beyond_an_int_reads_back_whole():
    # PR_GET_TIMERSLACK answers with an unsigned long; glibc's prctl() cuts it to an int.
    def child():
        out = []
        for ns in (2**32 + 7, 2**40):
            ppy_py.set_timerslack(ns)
            with open("/proc/self/timerslack_ns") as f:
                out.append([ppy_py.timerslack(), int(f.read())])
        return out

    assert in_child(child) == [[2**32 + 7, 2**32 + 7], [2**40, 2**40]]


def test_timerslack_timing_mce_tsc_round_trip():
    def child():
        default = ppy_py.timerslack()
        ppy_py.set_timerslack(12345)
        slack = ppy_py.timerslack()
        with open("/proc/self/timerslack_ns") as f:
            shown = int(f.read())
        ppy_py.set_timerslack(0)
        ppy_py.set_mce_kill("early")
        mce = ppy_py.mce_kill()
        ppy_py.set_mce_kill("default")
        ppy_py.set_tsc("sigsegv")
        tsc = ppy_py.tsc()
        ppy_py.set_tsc("enable")
        try:
            ppy_py.set_timing("timestamp")
            timestamp = None
        except CapabilityError as e:
            timestamp = e.errno
        return [slack, shown, ppy_py.timerslack() == default, mce, ppy_py.mce_kill(), tsc,
                ppy_py.tsc(), ppy_py.timing(), timestamp]

    assert in_child(child) == [12345, 12345, True, "early", "default", "sigsegv", "enable",
                               "statistical", errno.EINVAL]


def test_architecture_only_options_say_where_they_exist():
    calls = {
        "PR_GET_ENDIAN": ppy_py.endian, "PR_GET_FPEMU": ppy_py.fpemu,
        "PR_GET_FPEXC": ppy_py.fpexc, "PR_GET_FP_MODE": ppy_py.fp_mode,
        "PR_GET_UNALIGN": ppy_py.unalign,
        "PR_PAC_RESET_KEYS": lambda: ppy_py.pac_reset_keys(0),
        "PR_MPX_ENABLE_MANAGEMENT": lambda: ppy_py.set_mpx_management(True),
    }
    for option, call in calls.items():
        with pytest.raises(CapabilityError) as caught:
            call()
        assert caught.value.errno == errno.EINVAL
        text = str(caught.value)
        assert option in text and ("only on" in text or "removed MPX" in text), text
        assert os.uname().machine in text or "MPX" in text


def test_vma_name_checks_input_and_names_or_explains():
    page = mmap.mmap(-1, 2 * mmap.PAGESIZE)
    for bad in ("", "a" * 80, "x[1]", "dollar$", "tab\t", "é"):
        with pytest.raises(ValueError):
            ppy_py.set_vma_name(page, bad)
    with pytest.raises(TypeError):
        ppy_py.set_vma_name(4096, "x")            # an address needs a length
    with pytest.raises(ValueError, match="page-aligned"):
        ppy_py.set_vma_name(4097, "x", 4096)
    try:
        ppy_py.set_vma_name(page, "ppy-test-name")
    except CapabilityError as e:   # this machine's kernel lacks CONFIG_ANON_VMA_NAME
        assert e.errno == errno.EINVAL and "CONFIG_ANON_VMA_NAME" in str(e)
    else:
        with open("/proc/self/maps") as f:
            assert "[anon:ppy-test-name]" in f.read()
        ppy_py.set_vma_name(page, None)
    page.close()


def test_io_flusher_needs_sys_resource():
    code = """
import ppy_py, json
try:
    ppy_py.io_flusher(); print(json.dumps(None))
except ppy_py.CapabilityError as e:
    print(json.dumps([e.errno, str(e)]))
"""
    got = lib_helpers.run_python(code, setpriv=["--reuid=4242", "--regid=4242", "--clear-groups"]) \
        if os.geteuid() == 0 else lib_helpers.run_python(code)
    assert got[0] == errno.EPERM and "CAP_SYS_RESOURCE" in got[1]


def test_ptracer_perf_events_tid_bounding():
    def child():
        try:
            ppy_py.set_ptracer("any")
            ptracer = "set"
        except CapabilityError as e:
            ptracer = e.errno
        ppy_py.set_perf_events(False)
        ppy_py.set_perf_events(True)
        return [ptracer, os.path.exists("/proc/sys/kernel/yama")]

    ptracer, yama = in_child(child)
    assert ptracer == ("set" if yama else errno.EINVAL)
    assert ppy_py.tid_address() > 0
    bounding = ppy_py.current().bounding
    assert all(ppy_py.in_bounding(cap) == (cap in bounding) for cap in ppy_py.Cap.all())


def test_bad_input_is_refused_before_any_change():
    for call, exc in (
        (lambda: ppy_py.set_thp_disable(1), TypeError),
        (lambda: ppy_py.set_memory_merge("no"), TypeError),
        (lambda: ppy_py.set_mdwe(no_inherit=1), TypeError),
        (lambda: ppy_py.set_tsc("bogus"), ValueError),
        (lambda: ppy_py.set_tsc(1.0), TypeError),
        (lambda: ppy_py.set_timerslack(-1), ValueError),
        (lambda: ppy_py.set_timerslack("5"), TypeError),
        (lambda: ppy_py.set_fpexc(1 << 30), ValueError),
        (lambda: ppy_py.pac_reset_keys(0xFF), ValueError),
        (lambda: ppy_py.set_ptracer(-1), ValueError),
        (lambda: ppy_py.set_proctitle("a\0b"), ValueError),
        (lambda: ppy_py.set_proctitle(5), TypeError),
        (lambda: ppy_py.in_bounding("net_rwa"), ValueError),
    ):
        with pytest.raises(exc):
            call()
    assert ppy_py.thp_disable() is False and ppy_py.tsc() == "enable"


def test_set_proctitle_here():
    def child():
        with open("/proc/self/cmdline", "rb") as f:
            size = len(f.read())
        ppy_py.set_proctitle("ppy title")
        with open("/proc/self/cmdline", "rb") as f:
            short = f.read()
        ppy_py.set_proctitle("x" * (size + 50))
        with open("/proc/self/cmdline", "rb") as f:
            long = f.read()
        return [size, short.rstrip(b"\0").decode(), len(short), long.rstrip(b"\0").decode()]

    size, short, short_len, long = in_child(child)
    assert short == "ppy title" and short_len == size
    assert long == "x" * (size - 1)   # cut to the area, its last byte stays NUL


@pytest.mark.root
def test_set_proctitle_in_a_ppy_script():
    """Under ppy, argv is the interpreter's (python -I -S -B -c ... LIBDIR/python 3 ...)
    and the process is not dumpable: the title still lands, for ppy_py and compat."""
    inst = Install()
    try:
        body = """
import json, os, sys
from ppy_py.compat import prctl
import ppy_py
def cmdline():
    with open("/proc/self/cmdline", "rb") as f:
        return f.read().rstrip(b"\\0").decode()
before = cmdline()
ppy_py.set_proctitle("ppy-proctitle serve.py --port 80")
mine = cmdline()
prctl.set_proctitle("compat title")
print(json.dumps({"before": before, "mine": mine, "compat": cmdline(), "argv": sys.argv,
                  "dumpable": ppy_py.dumpable(), "ps": open("/proc/%d/cmdline" % os.getpid(),
                  "rb").read().split(b"\\0")[0].decode()}))
"""
        script = inst.script(body=body)
        rep = report(inst.launch(script, "--port", "80"))
    finally:
        inst.remove()
    # The interpreter's own argv, not the script's.
    assert rep["before"].split("\0")[:5] == [lib_helpers.PYTHON, "-I", "-S", "-B", "-c"]
    assert rep["mine"] == "ppy-proctitle serve.py --port 80"
    assert rep["compat"] == "compat title" and rep["ps"] == "compat title"
    assert rep["argv"] == [script, "--port", "80"] and rep["dumpable"] is False


@pytest.fixture(scope="module")
def faultshim(tmp_path_factory):
    """tests/robustness/faultshim.c built as an LD_PRELOAD library."""
    shim = str(tmp_path_factory.mktemp("shim") / "faultshim.so")
    subprocess.run(["cc", "-O1", "-shared", "-fPIC", "-o", shim,
                    os.path.join(lib_helpers.REPO, "tests", "robustness", "faultshim.c"), "-ldl"],
                   check=True)
    return shim


@pytest.mark.parametrize("call, label, say", [
    ("ppy_py.set_dumpable(False)", "prctl(PR_SET_DUMPABLE)", "reports 1 after setting 0"),
    ("ppy_py.set_no_new_privs()", "prctl(PR_SET_NO_NEW_PRIVS)", "reports 0 after setting 1"),
    ("ppy_py.set_pdeathsig(9)", "prctl(PR_SET_PDEATHSIG)", "reports 0 after setting 9"),
    ("ppy_py.set_thp_disable(True)", "prctl(other)", "reports 0 after setting 1"),
])
def test_setters_read_back_a_kernel_that_says_yes_and_does_nothing(faultshim, call, label, say):
    """The checked setters read the value back in the same C call: a prctl that reports
    success without doing anything (the fault shim's lie) is an error, not silence."""
    code = "import json, ppy_py\ntry:\n    %s\n    print(json.dumps(None))\n" \
           "except ppy_py.CapabilityError as e:\n    print(json.dumps(str(e)))\n" % call
    env = {"PATH": "/usr/bin:/bin", "LD_PRELOAD": faultshim, "PPYFAULT_FN": label,
           "PPYFAULT_LIE": "1"}
    assert say in lib_helpers.run_python(code, env=env)
    # Without the lie, the same call goes through (the shim alone changes nothing).
    assert lib_helpers.run_python(code, env={**env, "PPYFAULT_FN": "none"}) is None


@pytest.mark.root
def test_a_setter_that_a_filter_fakes_is_an_error_not_silence(tmp_path):
    """Why ppy_py's setters read the value back (one prctl more than python-prctl's, which
    bench/results.md shows): a seccomp filter can answer 0 without running the call
    (SECCOMP_RET_ERRNO with errno 0; tests/kernelsim.c here). python-prctl then reports
    success and the process stays dumpable; ppy_py raises. ppy_py.compat keeps
    python-prctl's behaviour, at python-prctl's speed."""
    import ppytest
    with open(os.path.join(ppytest.REPO, "tests", "kernelsim.c")) as f:
        sim = ppytest.compile_helper("kernelsim", f.read(), str(tmp_path))
    code = (
        "import sys, prctl, ppy_py\n"
        "from ppy_py.compat import prctl as compat\n"
        "prctl.set_dumpable(False); print('python-prctl', prctl.get_dumpable())\n"
        "compat.set_dumpable(False); print('compat', compat.get_dumpable())\n"
        "try:\n"
        "    ppy_py.set_dumpable(False); print('ppy_py', ppy_py.dumpable())\n"
        "except OSError as e:\n"
        "    print('ppy_py raised', type(e).__name__, e)\n")
    proc = subprocess.run([sim, "--deny", "prctl:PR_SET_DUMPABLE=0", "--",
                           "/usr/bin/python3", "-c", code],
                          capture_output=True, text=True, timeout=60,
                          env={"PYTHONPATH": ppytest.REPO})
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "python-prctl True" and lines[1] == "compat True", lines
    assert lines[2].startswith("ppy_py raised") and "PR_SET_DUMPABLE" in lines[2], lines
