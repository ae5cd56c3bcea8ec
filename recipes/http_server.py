#!/usr/local/bin/ppy
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Recipe: serve a directory over HTTP on port 80 as a service account.

    chown www:www http_server.py; chmod 0755 http_server.py
    setcap cap_net_bind_service=p http_server.py
    ./http_server.py --port 80 --directory /srv/www

The capability is raised only for bind(); the server then runs with nothing effective.
"""
import argparse
import functools
import http.server

import ppy_py

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=80)
parser.add_argument("--bind", default="0.0.0.0")
parser.add_argument("--directory", default=".")
parser.add_argument("--once", action="store_true", help="answer one request, then exit")
args = parser.parse_args()

handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=args.directory)
with ppy_py.raised("net_bind_service"):
    server = http.server.HTTPServer((args.bind, args.port), handler)
print("serving %s on %s:%d, effective capabilities: %s"
      % (args.directory, args.bind, args.port, ppy_py.current().effective or "none"), flush=True)
if args.once:
    server.handle_request()
else:
    server.serve_forever()
