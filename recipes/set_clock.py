#!/usr/local/bin/ppy
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Recipe: set the system clock, holding only cap_sys_time.

    install -o timekeeper -g timekeepers -m 0750 set_clock.py /srv/clock/
    setcap cap_sys_time=p /srv/clock/set_clock.py
    /srv/clock/set_clock.py 2026-11-22T12:00:00Z     # set the clock
    /srv/clock/set_clock.py --check                  # prove the permission, change nothing

Who may start it: only the members of group timekeepers. The time is the caller's to
choose, so the callers are limited instead: mode 0750, and the script refuses to run when
others may execute it. (install sets the group before setcap: a chown or chgrp removes
file capabilities. ppy runs the script with the file's group, timekeepers, as its gid.) --check calls settimeofday(NULL, NULL): the kernel checks
CAP_SYS_TIME and changes nothing.
"""
import ctypes
import datetime
import os
import stat
import sys

import ppy_py

if os.stat(__file__).st_mode & (stat.S_IROTH | stat.S_IXOTH):
    sys.exit("set_clock.py: any local user may start it, and it sets the clock: limit it to "
             "a group of callers (chgrp timekeepers set_clock.py; chmod 0750 set_clock.py)")

libc = ctypes.CDLL(None, use_errno=True)
# settimeofday(2)'s number (asm/unistd.h): glibc's wrapper would not pass two NULLs on.
SYS_settimeofday = {"x86_64": 164, "aarch64": 170, "armv7l": 79, "i686": 79, "ppc64le": 79,
                    "s390x": 79, "riscv64": 170}.get(os.uname().machine)


def no_op_settime():
    if SYS_settimeofday is None:
        sys.exit("set_clock.py --check: settimeofday's number is not known for %s"
                 % os.uname().machine)
    if libc.syscall(SYS_settimeofday, None, None) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


if sys.argv[1:] == ["--check"]:
    try:
        no_op_settime()
        print("without raising: allowed (unexpected!)")
    except PermissionError:
        print("without raising: refused")
    with ppy_py.raised("sys_time"):
        no_op_settime()
    print("inside ppy_py.raised('sys_time'): allowed; the clock was not changed")
elif len(sys.argv) == 2:
    when = datetime.datetime.fromisoformat(sys.argv[1].replace("Z", "+00:00"))
    with ppy_py.raised("sys_time"):
        time_ns = int(when.timestamp() * 1e9)
        import time
        time.clock_settime_ns(time.CLOCK_REALTIME, time_ns)
    print("clock set to %s" % when.isoformat())
else:
    sys.exit("usage: set_clock.py ISO-TIME | --check")
