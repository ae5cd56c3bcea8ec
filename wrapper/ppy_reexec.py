# SPDX-License-Identifier: LGPL-2.1-or-later
"""ppy's re-execution trampoline, installed as LIBDIR/python/ppy_reexec.py.

A server that ppy_py.activation.serve() runs has this file as sys.argv[0]. A hot upgrade
that starts the server again as `[sys.executable] + sys.argv` (gunicorn's USR2) runs
`python .../ppy_reexec.py ARGS...`: this file then execs the interpreter again through
ppy's boot, as a re-execution (python -I -S -B, the code-origin rule, the exec guard),
on the server program named in PPY_RELAUNCH ("MODE:PROGRAM", set by serve()), with ARGS.
The new process holds no capability (none is passed to a child of a ppy script), so it
only inherits what the old one hands over (the listening sockets). Without PPY_RELAUNCH,
or anything unexpected in it, it stops with one line and status 88.

gunicorn (27 and before) announces socket-activated listeners again as LISTEN_FDS=n at fds
3.. although it moved them to other descriptors (its open PR #3285): when exactly n
listening sockets were inherited, they are put back at 3.. as announced; otherwise this
stops with one line rather than let the new server fail on a closed descriptor.
"""
import os
import socket
import stat
import sys

BOOT = "import sys;sys.path.insert(0,sys.argv.pop(1));import ppy_boot;ppy_boot.main()"


def stop(why):
    os.write(2, ("ppy: ppy_reexec.py: %s; restart the service instead\n" % why).encode(
        "ascii", "backslashreplace"))
    os._exit(88)


def listening(fd):
    try:
        if not stat.S_ISSOCK(os.fstat(fd).st_mode):
            return False
        sock = socket.socket(fileno=fd)
        try:
            return sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN) == 1
        finally:
            sock.detach()
    except OSError:
        return False


def put_back_activated_sockets():
    """LISTEN_FDS=n for this pid: fds 3..3+n-1 must be the n listening sockets."""
    try:
        if int(os.environ.get("LISTEN_PID", "-1")) != os.getpid():
            return
        count = int(os.environ["LISTEN_FDS"])
    except (KeyError, ValueError):
        return
    wanted = list(range(3, 3 + count))
    if all(listening(fd) for fd in wanted):
        return
    found = sorted(int(fd) for fd in os.listdir("/proc/self/fd") if listening(int(fd)))
    if len(found) != count:
        stop("the old server announced %d listening sockets (LISTEN_FDS) and passed %d"
             % (count, len(found)))
    import fcntl

    above = max(wanted + found) + 1   # out of the way of both, whatever is free
    moved = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, above) for fd in found]
    for fd in found:
        os.close(fd)
    for fd, tmp in zip(wanted, moved):
        os.dup2(tmp, fd, inheritable=True)
        os.close(tmp)


def main():
    mode, sep, program = os.environ.get("PPY_RELAUNCH", "").partition(":")
    if not sep or mode not in ("-", "raise", "log") or not program.startswith("/"):
        stop("started without PPY_RELAUNCH=MODE:/PROGRAM (it only re-runs a server that "
             "ppy_py.activation.serve() started)")
    put_back_activated_sockets()
    library = os.path.dirname(os.path.abspath(__file__))
    os.execv(sys.executable, [sys.executable, "-I", "-S", "-B", "-c", BOOT, library, "3", "0",
                              mode, program, *sys.argv[1:]])


if __name__ == "__main__":
    main()
