"""prctl get/set calls of python-prctl, ppy_py.compat and ppy_py, side by side.

    python prctlbench.py all|python-prctl|compat|ppy_py BATCHES TARGET_MS PPY_PY_DIR

python-prctl is Debian's python3-prctl, compat ppy_py.compat.prctl (the same calls),
ppy_py its own API (checked setters read the value back in the same C call). "all" times
every call but set_proctitle with the three libraries in one process, batch by batch in
random order; a single library times set_proctitle alone (see main()). Each call is run
once and its answer checked against the kernel's (/proc/self/status, comm, cmdline,
timerslack_ns) before it is timed: a call that does nothing cannot win. Prints one JSON
object: "LIB:operation" -> the nanoseconds per call of each batch.
"""
import json
import os
import random
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from libbench import make_loop, sized  # noqa: E402  (the same loop, warm-up, sizing)


def _status(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return line.split(":", 1)[1].strip()
    return None


def _read(path):
    with open(path, "rb") as f:
        return f.read()


# operation -> (what it must return, or None for a setter; a check of the kernel's view)
CHECKS = {
    "get_dumpable": (True, None),
    "set_dumpable": (None, lambda: _status("CoreDumping") is not None),
    "get_keepcaps": (False, None),
    "set_keepcaps": (None, None),
    "get_no_new_privs": (0, lambda: _status("NoNewPrivs") == "0"),
    "get_name": ("prctl-bench", lambda: _read("/proc/thread-self/comm") == b"prctl-bench\n"),
    "set_name": (None, lambda: _read("/proc/thread-self/comm") == b"prctl-bench\n"),
    "get_pdeathsig": (0, None),
    "set_pdeathsig": (None, None),
    "get_child_subreaper": (0, None),
    "set_child_subreaper": (None, None),
    "get_timerslack": (50000, lambda: _read("/proc/self/timerslack_ns") == b"50000\n"),
    "set_timerslack": (None, lambda: _read("/proc/self/timerslack_ns") == b"50000\n"),
    "get_timing": (0, None),
    "set_timing": (None, None),
    "get_thp_disable": (False, lambda: _status("THP_enabled") == "1"),
    "set_thp_disable": (None, lambda: _status("THP_enabled") == "1"),
    "get_tsc": (1, None),
    "set_tsc": (None, None),
    "get_mce_kill": (2, None),
    "set_mce_kill": (None, None),
    "get_seccomp": (0, lambda: _status("Seccomp") == "0"),
    "get_securebits": (0, None),
    "get_speculation_ctrl": ("same", None),
    "capbset_read": (True, None),
    "capbset.kill": (True, None),
    "set_proctitle": (None, lambda: _read("/proc/self/cmdline").rstrip(b"\0") == b"prctl-bench"),
}


def prctl_ops(prctl):
    """python-prctl's calls (also ppy_py.compat.prctl's: the same module interface)."""
    p = prctl
    return {
        "get_dumpable": p.get_dumpable, "set_dumpable": lambda: p.set_dumpable(True),
        "get_keepcaps": p.get_keepcaps, "set_keepcaps": lambda: p.set_keepcaps(False),
        "get_no_new_privs": p.get_no_new_privs,
        "get_name": p.get_name, "set_name": lambda: p.set_name("prctl-bench"),
        "get_pdeathsig": p.get_pdeathsig, "set_pdeathsig": lambda: p.set_pdeathsig(0),
        "get_child_subreaper": p.get_child_subreaper,
        "set_child_subreaper": lambda: p.set_child_subreaper(0),
        "get_timerslack": p.get_timerslack, "set_timerslack": lambda: p.set_timerslack(50000),
        "get_timing": p.get_timing, "set_timing": lambda: p.set_timing(p.TIMING_STATISTICAL),
        "get_thp_disable": p.get_thp_disable, "set_thp_disable": lambda: p.set_thp_disable(False),
        "get_tsc": p.get_tsc, "set_tsc": lambda: p.set_tsc(p.TSC_ENABLE),
        "get_mce_kill": p.get_mce_kill, "set_mce_kill": lambda: p.set_mce_kill(p.MCE_KILL_DEFAULT),
        "get_seccomp": p.get_seccomp, "get_securebits": p.get_securebits,
        "get_speculation_ctrl": lambda: p.get_speculation_ctrl(p.SPEC_STORE_BYPASS),
        "capbset_read": lambda: p.capbset_read(p.CAP_KILL),
        "capbset.kill": lambda: p.capbset.kill,
        "set_proctitle": lambda: p.set_proctitle("prctl-bench"),
    }


def ppy_py_ops():
    import ppy_py

    kill = ppy_py.Cap.KILL
    return {
        "get_dumpable": ppy_py.dumpable, "set_dumpable": lambda: ppy_py.set_dumpable(True),
        "get_keepcaps": ppy_py.keep_caps, "set_keepcaps": lambda: ppy_py.set_keep_caps(False),
        "get_no_new_privs": ppy_py.no_new_privs,
        "get_name": ppy_py.process_name,
        "set_name": lambda: ppy_py.set_process_name("prctl-bench"),
        "get_pdeathsig": ppy_py.pdeathsig, "set_pdeathsig": lambda: ppy_py.set_pdeathsig(0),
        "get_child_subreaper": ppy_py.child_subreaper,
        "set_child_subreaper": lambda: ppy_py.set_child_subreaper(False),
        "get_timerslack": ppy_py.timerslack,
        "set_timerslack": lambda: ppy_py.set_timerslack(50000),
        "get_timing": ppy_py.timing, "set_timing": lambda: ppy_py.set_timing("statistical"),
        "get_thp_disable": ppy_py.thp_disable,
        "set_thp_disable": lambda: ppy_py.set_thp_disable(False),
        "get_tsc": ppy_py.tsc, "set_tsc": lambda: ppy_py.set_tsc("enable"),
        "get_mce_kill": ppy_py.mce_kill, "set_mce_kill": lambda: ppy_py.set_mce_kill("default"),
        "get_seccomp": ppy_py.seccomp_mode,
        "get_securebits": ppy_py.securebits.get,
        "get_speculation_ctrl": lambda: ppy_py.speculation_ctrl("store_bypass"),
        "capbset_read": lambda: ppy_py.in_bounding(kill),
        "capbset.kill": lambda: ppy_py.in_bounding(kill),
        "set_proctitle": lambda: ppy_py.set_proctitle("prctl-bench"),
    }


# ppy_py's answers in its own types (names, not numbers), for the check before timing.
PPY_PY_ANSWERS = {"get_no_new_privs": False, "get_child_subreaper": False,
                  "get_timing": "statistical", "get_tsc": "enable", "get_mce_kill": "default"}


def main():
    """LIB "all": python-prctl, compat and ppy_py in this one process, each operation's
    batches interleaved library by library in random order, so that the machine's drift
    hits all three alike. set_proctitle cannot be shared (python-prctl's finds argv by
    walking back from environ and crashes once another library has written the area, and
    ppy_py refuses an area that no longer holds argv): it runs with LIB set to one
    library, in a process of its own."""
    lib, batches, target_ms, ppy_dir = sys.argv[1:5]
    sys.path.insert(0, ppy_dir)
    batches, target_ns = int(batches), int(float(target_ms) * 1e6)
    libs = {}
    if lib in ("all", "python-prctl"):
        import prctl

        libs["python-prctl"] = prctl_ops(prctl)
    if lib in ("all", "compat"):
        from ppy_py.compat import prctl as compat

        libs["compat"] = prctl_ops(compat)
    if lib in ("all", "ppy_py"):
        libs["ppy_py"] = ppy_py_ops()
    ops = [op for op in CHECKS if (op == "set_proctitle") == (lib != "all")]
    result = {}
    for name in libs:
        if "set_name" in ops:
            libs[name]["set_name"]()
        libs[name]["set_timerslack"]()
    for op in ops:
        loops = {}
        for name, calls in libs.items():
            fn = calls[op]
            want, check = CHECKS[op]
            if name == "ppy_py":
                want = PPY_PY_ANSWERS.get(op, want)
            try:
                got = fn()
                if want is not None and want != "same" and got != want:
                    raise RuntimeError("returned %r, expected %r" % (got, want))
                if check is not None and not check():
                    raise RuntimeError("the kernel does not show the expected state")
                loop = make_loop(fn, False)
                loops[name] = loop, sized(loop, target_ns)
            except Exception as e:  # report, never fake
                result["%s:%s" % (name, op)] = "failed: %s: %s" % (type(e).__name__, e)
        order = list(loops)
        for _ in range(batches):
            random.shuffle(order)
            for name in order:
                loop, n = loops[name]
                t0 = time.perf_counter_ns()
                loop(n)
                result.setdefault("%s:%s" % (name, op), []).append(
                    (time.perf_counter_ns() - t0) / n)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


main()
