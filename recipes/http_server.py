#!/usr/local/bin/ppy
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Recipe: serve a directory over HTTP on port 80 as a service account.

    install -o www -g www -m 0755 http_server.py /srv/www-server/
    setcap cap_net_bind_service=p /srv/www-server/http_server.py
    # /srv/www-server/http_server.conf, owned by root (or www), mode 0644:
    #     directory /srv/www
    #     port 80
    #     bind 0.0.0.0
    /srv/www-server/http_server.py

Who may start it: anyone, safely. The directory, the port and the address come only from
http_server.conf beside it, which only root or the account can write (checked with
ppy_py.trusted_config); the caller may only add --once (answer one request and exit).
The capability is raised only for bind() and dropped for good right after: the server then
holds nothing.
"""
import functools
import http.server
import sys

import ppy_py

if sys.argv[1:] not in ([], ["--once"]):
    sys.exit("http_server.py takes only --once: what it serves is in http_server.conf")
conf = {"bind": "0.0.0.0", "port": "80"}
for n, line in enumerate(ppy_py.trusted_config("http_server.conf").splitlines(), 1):
    key, _, value = line.strip().partition(" ")
    if key in ("directory", "port", "bind") and value.strip():
        conf[key] = value.strip()
    elif key and not key.startswith("#"):
        sys.exit("http_server.conf, line %d: expected 'directory', 'port' or 'bind'" % n)
if not conf.get("directory", "").startswith("/") or not conf["port"].isdigit():
    sys.exit("http_server.conf needs 'directory /absolute/path' and a numeric port")

class Handler(http.server.SimpleHTTPRequestHandler):
    """Requests are logged to syslog, not to stderr: stderr belongs to whoever started the
    server, who need not see others' requests (query strings can hold their tokens)."""

    def log_message(self, fmt, *args):
        import syslog
        syslog.syslog(syslog.LOG_INFO, "%s %s" % (self.address_string(), fmt % args))


handler = functools.partial(Handler, directory=conf["directory"])
with ppy_py.raised("net_bind_service"):
    server = http.server.HTTPServer((conf["bind"], int(conf["port"])), handler)
ppy_py.drop_caps("net_bind_service")    # bound: no need for it again, ever
print("serving %s on %s:%s, effective capabilities: %s"
      % (conf["directory"], conf["bind"], conf["port"], ppy_py.current().effective or "none"),
      flush=True)
if sys.argv[1:] == ["--once"]:
    server.handle_request()
else:
    server.serve_forever()
