# SPDX-License-Identifier: LGPL-2.1-or-later
"""Servers on privileged ports that hold no capability: bind, drop everything, hand over.

Servers bind inside their own libraries (gunicorn, uvicorn, aiohttp, hypercorn), where no
``raised()`` block can reach, and their workers would inherit whatever the master still
holds. The way out is the one systemd's socket activation takes: something privileged
binds the listening sockets, the server receives them already bound (``LISTEN_FDS`` and
``LISTEN_PID``, fds from 3 on) and never needs the capability. With ppy, that something is
the script itself, a few lines long::

    #!/usr/local/bin/ppy /srv/venvs/web/bin/python
    from ppy_py import activation
    activation.serve(["gunicorn", "--workers", "2", "app:app"], listen=["0.0.0.0:80"])

``serve`` binds each address (``net_bind_service`` raised for the ``bind()`` of a port
below the kernel's ``ip_unprivileged_port_start``, nothing else), drops every capability
of the process for good (permitted, effective, inheritable, ambient: read back and
checked), puts the sockets at fds 3, 4, ... with ``LISTEN_FDS``/``LISTEN_PID``/
``LISTEN_FDNAMES`` set, and runs the server in the same process, as its console script
(beside ``sys.executable``) or module would run: gunicorn and hypercorn take
systemd's sockets by themselves (hypercorn with ``--bind fd://3``), uvicorn with ``--fd
3``, and an aiohttp or other asyncio application calls ``activation.sockets()``. The
server and its workers run as the script's owner with nothing effective, nothing
permitted, and ppy's code-origin rule still in force.

Only ``_ppy_sys`` is used (not cffi): it works in any virtualenv ppy allows.
"""

import os
import socket
import sys

import _ppy_sys

from ._errors import CapabilityError, ThreadedCredentialError, capability_error

__all__ = ["bind", "drop_all", "serve", "sockets", "LISTEN_FDS_START"]

#: systemd's first passed descriptor (sd_listen_fds(3)).
LISTEN_FDS_START = 3


def _unprivileged_port_start() -> int:
    try:
        with open("/proc/sys/net/ipv4/ip_unprivileged_port_start") as f:
            return int(f.read())
    except (OSError, ValueError):
        return 1024


def _parse(address: str) -> "tuple[int, tuple[str, int]]":
    """'HOST:PORT', '[V6]:PORT' or ':PORT' (every IPv4 address) -> (family, sockaddr)."""
    if not isinstance(address, str):
        raise TypeError("a listen address is a str like '0.0.0.0:80', not %r" % (address,))
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError("listen address %r: expected HOST:PORT, [IPV6]:PORT or :PORT" % address)
    if host.startswith("[") and host.endswith("]"):
        return socket.AF_INET6, (host[1:-1], int(port))
    if ":" in host:
        raise ValueError("listen address %r: write an IPv6 address in brackets" % address)
    return socket.AF_INET, (host or "0.0.0.0", int(port))


_NET_BIND_SERVICE = 1 << 10


def _bind_raised(sock: socket.socket, addr: "tuple[str, int]") -> None:
    """sock.bind(addr) with net_bind_service effective for that call only (as raised()
    does, through _ppy_sys, so that no cffi backend is needed)."""
    added = _ppy_sys.eff_raise(_NET_BIND_SERVICE)
    if added < 0:
        raise capability_error(
            "activation: cannot raise cap_net_bind_service to bind port %d: %s (set it on "
            "the script: setcap cap_net_bind_service=p)" % (addr[1], os.strerror(-added)),
            -added, operation="raise", capset="effective", caps=[10])
    try:
        sock.bind(addr)
    finally:
        if added:
            rc = _ppy_sys.eff_lower(added)
            if rc < 0:
                raise capability_error("activation: cannot lower cap_net_bind_service: %s"
                                       % os.strerror(-rc), -rc, operation="lower")


def bind(addresses: "list[str]", backlog: int = 1024) -> "list[socket.socket]":
    """Listening TCP sockets on ADDRESSES, bound with ``net_bind_service`` raised only for
    a port below ``ip_unprivileged_port_start``. The sockets are close-on-exec (systemd's
    convention is that the receiver decides)."""
    parsed = [_parse(a) for a in addresses]
    if not parsed:
        raise ValueError("bind: no address to listen on")
    limit = _unprivileged_port_start()
    bound = []
    try:
        for family, addr in parsed:
            sock = socket.socket(family, socket.SOCK_STREAM)
            bound.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                if addr[1] < limit:
                    _bind_raised(sock, addr)
                else:
                    sock.bind(addr)
                sock.listen(backlog)
            except CapabilityError:
                raise
            except OSError as e:   # EADDRINUSE, EADDRNOTAVAIL...: say which address
                raise OSError(e.errno, "activation: cannot listen on %s: %s"
                              % (addresses[len(bound) - 1], e.strerror)) from None
    except BaseException:
        for sock in bound:
            sock.close()
        raise
    return bound


def drop_all() -> None:
    """Drop every capability of the process for good and check it with the kernel:
    nothing effective, permitted, inheritable or ambient. Capabilities belong to a thread,
    so the process must have only this one (ThreadedCredentialError otherwise)."""
    threads = len(os.listdir("/proc/self/task"))
    if threads != 1:
        raise ThreadedCredentialError(
            "activation: %d threads: capabilities belong to each thread, so they cannot all "
            "be dropped from this one; bind and drop before starting threads" % threads)
    rc = _ppy_sys.capset(0, 0, 0)
    if rc < 0:
        raise capability_error("activation: dropping every capability: capset: %s"
                               % os.strerror(-rc), -rc, operation="drop")
    caps = _ppy_sys.capget()
    ambient = [c for c in range(64)
               if _ppy_sys.prctl(_ppy_sys.PR_CAP_AMBIENT, _ppy_sys.PR_CAP_AMBIENT_IS_SET, c) == 1]
    if caps != (0, 0, 0) or ambient:
        raise capability_error("activation: capabilities remain after dropping them all "
                               "(effective, permitted, inheritable: %r; ambient: %r)"
                               % (caps, ambient), operation="drop")


def _hand_over(socks: "list[socket.socket]", names: "list[str] | None") -> None:
    """The sockets at fds 3..3+n-1, inheritable, and the LISTEN_* variables set."""
    n = len(socks)
    wanted = range(LISTEN_FDS_START, LISTEN_FDS_START + n)
    ours = {s.fileno() for s in socks}
    for fd in wanted:
        if fd not in ours:
            try:
                os.fstat(fd)
            except OSError:
                continue
            raise ValueError("activation: fd %d is already open: call serve() before opening "
                             "files or sockets of your own" % fd)
    import fcntl

    above = max(list(wanted) + list(ours)) + 1   # out of the way of both first
    high = [fcntl.fcntl(s.fileno(), fcntl.F_DUPFD_CLOEXEC, above) for s in socks]
    try:
        for sock in socks:
            sock.close()
        for fd, tmp in zip(wanted, high):
            os.dup2(tmp, fd, inheritable=True)
    finally:
        for tmp in high:
            os.close(tmp)
    os.environ["LISTEN_FDS"] = str(n)
    os.environ["LISTEN_PID"] = str(os.getpid())
    if names:
        os.environ["LISTEN_FDNAMES"] = ":".join(names)
    else:
        os.environ.pop("LISTEN_FDNAMES", None)


def _server_program(name: str) -> str:
    """NAME as a path: itself if it has a slash, else the console script of that name in
    the interpreter's own bin directory (never a search of PATH)."""
    if "/" in name:
        return name
    path = os.path.join(os.path.dirname(sys.executable), name)
    if not os.path.isfile(path):
        raise FileNotFoundError("activation: no %r beside %s (install it into that "
                                "environment, or give a path)" % (name, sys.executable))
    return path


def serve(argv: "list[str]", listen: "list[str]", *, names: "list[str] | None" = None,
          backlog: int = 1024) -> None:
    """Bind LISTEN, drop every capability, hand the sockets over as systemd does and run
    the server ARGV in this process: ``["gunicorn", ...]`` runs that console script
    from beside ``sys.executable``, ``["-m", "module", ...]`` that module (as ``python -m``).
    It returns (or raises SystemExit) when the server does."""
    import runpy

    if not argv or not all(isinstance(a, str) for a in argv):
        raise TypeError("serve: argv is a non-empty list of str")
    if argv[0] == "-m" and len(argv) < 2:
        raise ValueError("serve: -m needs a module name")
    if names is not None and (len(names) != len(listen) or
                              any(":" in n or not n for n in names)):
        raise ValueError("serve: one name per address, without ':'")
    program = None if argv[0] == "-m" else _server_program(argv[0])
    # What the server (and a hot upgrade's trampoline, run by plain python) inherits:
    # nothing that points an interpreter at other code.
    for var in [v for v in os.environ if v.startswith("PYTHON")]:
        del os.environ[var]
    socks = bind(listen, backlog)
    try:
        drop_all()
        _hand_over(socks, names)
    except BaseException:
        for sock in socks:
            sock.close()
        raise
    if program is None:
        sys.argv[:] = [argv[1], *argv[2:]]
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
    else:
        sys.argv[:] = [_relaunch_via(program), *argv[1:]]
        _run_program(program)


def _run_program(program: str) -> None:
    """PROGRAM (a console script) as __main__, as runpy.run_path would run it, but with
    sys.argv[0] left as set (run_path puts the program's own path there)."""
    import builtins
    import io
    import types

    with io.open_code(program) as f:   # through ppy's code-origin rule, under ppy
        code = compile(f.read(), program, "exec", dont_inherit=True)
    module = types.ModuleType("__main__")
    module.__file__ = program
    module.__builtins__ = builtins
    saved = sys.modules.get("__main__")
    sys.modules["__main__"] = module
    try:
        exec(code, module.__dict__)
    finally:
        if saved is not None:
            sys.modules["__main__"] = saved


def _relaunch_via(program: str) -> str:
    """What sys.argv[0] should be for PROGRAM: under ppy, the boot's trampoline
    (ppy_reexec.py), so that a hot upgrade running [sys.executable] + sys.argv again
    (gunicorn's USR2) comes back through ppy's boot, with its rule and exec guard; outside
    ppy, the program itself."""
    boot = sys.modules.get("ppy_boot")
    if boot is None or not isinstance(getattr(boot, "FORBID", None), str):
        return program
    os.environ["PPY_RELAUNCH"] = "%s:%s" % (boot.FORBID, program)
    return os.path.join(os.path.dirname(boot.__file__), "ppy_reexec.py")


def sockets() -> "list[socket.socket]":
    """The sockets passed by socket activation to this process (``LISTEN_PID`` is this
    pid): fds 3, 4, ... as socket objects, or [] when none were passed. The variables are
    removed, as sd_listen_fds(1) does, so that children do not take them for theirs."""
    try:
        pid = int(os.environ.get("LISTEN_PID", ""))
        count = int(os.environ.get("LISTEN_FDS", ""))
    except ValueError:
        return []
    if pid != os.getpid() or count <= 0:
        return []
    for var in ("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"):
        os.environ.pop(var, None)
    return [socket.socket(fileno=fd) for fd in range(LISTEN_FDS_START, LISTEN_FDS_START + count)]
