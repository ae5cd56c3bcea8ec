#!/usr/local/bin/ppy /srv/venvs/web/bin/python
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Recipe: an aiohttp app over TLS on port 443, no capability held while it serves.

    /srv/venvs/web/bin/pip install aiohttp
    install -o web -g web -m 0755 serve_aiohttp.py hello_aiohttp.py /srv/web/
    install -o web -g web -m 0600 tls.key /srv/web/; install -o web -g web -m 0644 tls.crt /srv/web/
    setcap cap_net_bind_service=p /srv/web/serve_aiohttp.py

The socket is bound first (capability raised for bind() alone), every capability dropped,
and then the account's own 0600 key is read and the app served on that socket. Who may
start it: anyone, safely (the port, key and app are fixed here and beside it).
"""
import ssl

from aiohttp import web

from ppy_py import activation

sockets = activation.bind(["0.0.0.0:443"])
activation.drop_all()
tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
tls.load_cert_chain("tls.crt", "tls.key")
import hello_aiohttp  # noqa: E402  (after the drop: the app's code never holds anything)

web.run_app(hello_aiohttp.app, sock=sockets[0], ssl_context=tls, print=None)
