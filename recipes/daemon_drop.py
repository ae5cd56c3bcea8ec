#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Recipe: a daemon started by root that drops to a user, keeping one capability (uWSGI's --cap).

    # as root (systemd, an init script); ppy_py from `make install`:
    PYTHONPATH=/usr/local/lib/ppy/python python3 daemon_drop.py --user nobody --port 80

No ppy and no file capabilities here: the process starts with all of root's capabilities
and, before it opens anything, becomes the user for good with
``ppy_py.drop_privileges(user, keep=["net_bind_service"])``: uids and gids all the user's,
no supplementary groups, only CAP_NET_BIND_SERVICE permitted (not effective), an empty
bounding set, securebits NOROOT/NO_SETUID_FIXUP locked (uid 0 would give nothing back) and
no_new_privs. The port is bound after that, raising the capability only around bind().
It prints what the kernel reports for itself and for a child process, then serves HTTP.
"""
import argparse
import http.server
import os
import subprocess
import sys

import ppy_py

STATUS_KEYS = ("Uid", "Gid", "Groups", "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb",
               "NoNewPrivs")
CHILD = ("import os\n"
         "keys = %r\n"
         "for line in open('/proc/self/status'):\n"
         "    if line.split(':')[0] in keys: print('child', line.rstrip().replace('\\t', ' '))\n"
         "try:\n"
         "    os.setuid(0)\n"
         "    print('child setuid(0): succeeded')\n"
         "except OSError as e:\n"
         "    print('child setuid(0): refused,', e.strerror)\n" % (STATUS_KEYS,))

parser = argparse.ArgumentParser()
parser.add_argument("--user", default="nobody")
parser.add_argument("--port", type=int, default=80)
parser.add_argument("--bind", default="0.0.0.0")
parser.add_argument("--once", action="store_true", help="answer one request, then exit")
args = parser.parse_args()

if os.geteuid() != 0:
    sys.exit("daemon_drop: start me as root: I drop to --user myself")

# Before anything else (and before any thread): root -> the user, for good.
ppy_py.drop_privileges(args.user, keep=["net_bind_service"])

for line in open("/proc/self/status"):
    if line.split(":")[0] in STATUS_KEYS:
        print(line.rstrip().replace("\t", " "))
print("Securebits: %#x" % int(ppy_py.securebits.get()))
try:
    os.setuid(0)
    print("setuid(0): succeeded")
except OSError as exc:
    print("setuid(0): refused,", exc.strerror)
sys.stdout.flush()
subprocess.run([sys.executable, "-I", "-S", "-c", CHILD], check=True, cwd="/")


class Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = ("hello from uid %d, permitted: %s\n"
                % (os.getuid(), ppy_py.current().permitted or "none")).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


with ppy_py.raised("net_bind_service"):
    server = http.server.HTTPServer((args.bind, args.port), Hello)
print("serving on %s:%d, effective capabilities: %s"
      % (args.bind, args.port, ppy_py.current().effective or "none"), flush=True)
if args.once:
    server.handle_request()
else:
    server.serve_forever()
