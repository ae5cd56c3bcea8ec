#!/usr/local/bin/ppy
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Demo: bind port 80 as a service account, holding only cap_net_bind_service."""
import os
import socket
import subprocess
import sys

import ppy_py

state = ppy_py.current()
print("running as uid=%d gid=%d groups=%s" % (os.getuid(), os.getgid(), os.getgroups()))
print("permitted=%s effective=%s ambient=%s bounding=%s no_new_privs=%s" % (
    state.permitted or "none", state.effective or "none", state.ambient or "none",
    state.bounding or "none", state.no_new_privs))

sock = socket.socket()
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    sock.bind(("127.0.0.1", 80))
    print("bind port 80 without raising: succeeded (unexpected!)")
    sys.exit(1)
except PermissionError:
    print("bind port 80 without raising: refused, as it should be")
with ppy_py.raised("net_bind_service"):
    sock.bind(("127.0.0.1", 80))
print("bind port 80 inside ppy_py.raised('net_bind_service'): bound to %s:%d" % sock.getsockname())
print("effective after the block: %s" % (ppy_py.current().effective or "none"))
child = subprocess.run(["grep", "^Cap", "/proc/self/status"], capture_output=True, text=True)
print("a child process holds: " + " ".join(child.stdout.split()))
