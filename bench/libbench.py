# SPDX-License-Identifier: LGPL-2.1-or-later
"""One library's micro-benchmarks, in one process (bench/bench.py runs one per library and run).

    python libbench.py LIB BATCHES TARGET_MS SCRIPT PPY_PY_DIR

LIB is ppy_py, python-prctl, pyprctl, capng or os (the standard library reference: the raw
xattr, nothing decoded). Needs cap_net_bind_service in the permitted set (bench.py starts it
as an unprivileged uid holding it permitted, inheritable and ambient; the effective bit is
lowered here first). Prints one JSON object: for each operation the library has, the
nanoseconds per op of each batch, or why it was not measured.

Operations (one op is one change for the toggles, one call for the rest):
  toggle   raise, then lower, cap_net_bind_service in the effective set, the library's
           idiomatic call (checked in /proc/self/status before timing: no silent no-op wins)
  scoped   a context-manager round trip (ppy_py.raised, pyprctl.scoped_effective_caps), per change
  current  read the process's capability sets
  file     read SCRIPT's file capabilities
Each is warmed up, then sized to take about TARGET_MS per batch.
"""
import json
import os
import sys
import time

CAP = 10  # CAP_NET_BIND_SERVICE
NAME = "net_bind_service"


def cap_eff():
    with open("/proc/self/status", "rb") as f:
        for line in f:
            if line.startswith(b"CapEff:"):
                return (int(line.split()[1], 16) >> CAP) & 1
    raise RuntimeError("no CapEff")


class Skip(Exception):
    pass


def lib_ppy_py(script):
    import ppy_py

    raise_caps, lower_caps, raised = ppy_py.raise_caps, ppy_py.lower_caps, ppy_py.raised

    def up():
        raise_caps(NAME)

    def down():
        lower_caps(NAME)

    def scoped():
        with raised(NAME):
            pass

    def current():
        return ppy_py.current()

    def check_current(s):
        return CAP in {int(c) for c in s.permitted}

    ops = {"toggle": (up, down), "scoped": scoped, "current": (current, check_current)}

    # Diagnostics (where the time goes): the same change given a Cap instead of a name, and
    # the cffi calls alone under the public API (private names: skipped if they change).
    cap = ppy_py.Cap.NET_BIND_SERVICE

    def up_cap():
        raise_caps(cap)

    def down_cap():
        lower_caps(cap)

    ops["diag-toggle-cap"] = (up_cap, down_cap)
    try:
        from ppy_py import _state

        mask, raw_up, raw_down = 1 << CAP, _state._raise, _state._lower
        ffi, lib, last = _state.ffi, _state.lib, _state.LAST_CAP
        st = ffi.new("struct ppy_state *")

        def up_raw():
            raw_up(mask)

        def down_raw():
            raw_down(mask)

        def current_raw():
            return lib.ppy_read_state(st, last)

        ops["diag-toggle-raw"] = (up_raw, down_raw)
        ops["diag-current-raw"] = (current_raw, lambda rc: rc == 0 and (st.permitted >> CAP) & 1)
    except (ImportError, AttributeError) as e:
        ops["diag-toggle-raw"] = ops["diag-current-raw"] = "private names changed: %s" % e
    try:
        file_caps = ppy_py.file_caps
    except (AttributeError, ImportError) as e:
        ops["file"] = "missing: ppy_py.file_caps (%s)" % e
    else:
        def file():
            return file_caps(script)

        def check_file(fc):
            return CAP in {int(c) for c in fc.permitted}

        ops["file"] = (file, check_file)
    return ops


def lib_python_prctl(script):
    import prctl

    eff = prctl.cap_effective
    all_caps = prctl.ALL_CAPS
    sets = (prctl.CAP_EFFECTIVE, prctl.CAP_PERMITTED, prctl.CAP_INHERITABLE)

    def up():
        eff.net_bind_service = True

    def down():
        eff.net_bind_service = False

    def current():
        return prctl.get_caps((all_caps, sets))

    def check_current(r):
        return r[prctl.CAP_PERMITTED][CAP]

    return {"toggle": (up, down), "scoped": "no context manager",
            "current": (current, check_current), "file": "no file-capability API"}


def lib_pyprctl(script):
    import pyprctl

    eff = pyprctl.cap_effective
    scoped_caps = pyprctl.scoped_effective_caps
    nbs = [pyprctl.Cap.NET_BIND_SERVICE]

    def up():
        eff.net_bind_service = True

    def down():
        eff.net_bind_service = False

    def scoped():  # replaces E (empty here) with {net_bind_service}, then restores it
        with scoped_caps(nbs):
            pass

    def current():
        return pyprctl.CapState.get_current()

    def check_current(s):
        return pyprctl.Cap.NET_BIND_SERVICE in s.permitted

    def file():
        return pyprctl.FileCaps.get_for_file(script)

    def check_file(fc):
        return pyprctl.Cap.NET_BIND_SERVICE in fc.permitted

    return {"toggle": (up, down), "scoped": scoped, "current": (current, check_current),
            "file": (file, check_file)}


def lib_capng(script):
    import capng

    update, apply_ = capng.capng_update, capng.capng_apply
    ADD, DROP, EFF, SEL = capng.CAPNG_ADD, capng.CAPNG_DROP, capng.CAPNG_EFFECTIVE, capng.CAPNG_SELECT_CAPS
    C = capng.CAP_NET_BIND_SERVICE
    if capng.capng_get_caps_process() != 0:
        raise RuntimeError("capng_get_caps_process failed")

    def up():
        if update(ADD, EFF, C) or apply_(SEL):
            raise OSError("capng raise failed")

    def down():
        if update(DROP, EFF, C) or apply_(SEL):
            raise OSError("capng lower failed")

    def current():
        return capng.capng_get_caps_process()

    def check_current(rc):
        return rc == 0 and capng.capng_have_capability(capng.CAPNG_PERMITTED, C) == 1

    o_open, o_close, get_fd = os.open, os.close, capng.capng_get_caps_fd
    flags = os.O_RDONLY | os.O_CLOEXEC

    def file():
        fd = o_open(script, flags)
        try:
            return get_fd(fd)
        finally:
            o_close(fd)

    def check_file(rc):
        return rc == 0 and capng.capng_have_capability(capng.CAPNG_PERMITTED, C) == 1

    return {"toggle": (up, down), "scoped": "no context manager",
            "current": (current, check_current), "file": (file, check_file)}


def lib_os(script):
    getxattr = os.getxattr

    def file():
        return getxattr(script, "security.capability")

    def check_file(b):
        return len(b) == 20 and (int.from_bytes(b[4:8], "little") >> CAP) & 1 == 1

    return {"toggle": "reference for file reads only", "scoped": "-", "current": "-",
            "file": (file, check_file)}


LIBS = {"ppy_py": lib_ppy_py, "python-prctl": lib_python_prctl, "pyprctl": lib_pyprctl,
        "capng": lib_capng, "os": lib_os}


def make_loop(op, pairs):
    """A timing loop calling OP n times (or n/2 times each half of a pair)."""
    if pairs:
        a, b = op

        def loop(n):
            for _ in range(n // 2):
                a()
                b()
        return loop

    def loop(n):
        for _ in range(n):
            op()
    return loop


def sized(loop, target_ns):
    """Warm LOOP up and return how many calls take about TARGET_NS."""
    perf = time.perf_counter_ns
    n = 2
    while True:
        t0 = perf()
        loop(n)
        dt = perf() - t0
        if dt > target_ns // 4 or n >= 1 << 24:
            break
        n *= 2
    return max(2, int(n * target_ns / max(dt, 1)))


def measure(loop, batches, target_ns, per=1):
    perf = time.perf_counter_ns
    n = max(2, sized(loop, target_ns) & ~1)
    out = []
    for _ in range(batches):
        t0 = perf()
        loop(n)
        out.append((perf() - t0) / (n * per))
    return out


def main():
    lib, batches, target_ms, script, ppy_dir = sys.argv[1:6]
    sys.path.insert(0, ppy_dir)
    batches, target_ns = int(batches), int(float(target_ms) * 1e6)
    ops = LIBS[lib](script)
    result = {}
    names = ["toggle", "scoped", "current", "file"] + sorted(k for k in ops if k.startswith("diag-"))
    for name in names:
        op = ops.get(name, "-")
        if isinstance(op, str):
            result[name] = op
            continue
        try:
            if name.endswith("toggle") or "-toggle-" in name:
                up, down = op
                down()
                if cap_eff():
                    raise RuntimeError("lower did not clear the effective bit")
                up()
                if not cap_eff():
                    raise RuntimeError("raise did not set the effective bit")
                down()
                if cap_eff():
                    raise RuntimeError("lower did not clear the effective bit")
                result[name] = measure(make_loop(op, True), batches, target_ns)
            elif name == "scoped":
                if cap_eff():
                    raise RuntimeError("effective bit set before the scoped test")
                result[name] = measure(make_loop(op, False), batches, target_ns, per=2)
                if cap_eff():
                    raise RuntimeError("effective bit left set after the scoped test")
            else:
                fn, check = op
                if not check(fn()):
                    raise RuntimeError("the result does not show cap_net_bind_service")
                result[name] = measure(make_loop(fn, False), batches, target_ns)
        except Exception as e:  # report, never fake
            result[name] = "failed: %s: %s" % (type(e).__name__, e)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
