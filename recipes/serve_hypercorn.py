#!/usr/local/bin/ppy /srv/venvs/web/bin/python
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Recipe: an ASGI app on port 80 with hypercorn, two workers, no capability held.

    /srv/venvs/web/bin/pip install hypercorn starlette
    install -o web -g web -m 0755 serve_hypercorn.py hello_asgi.py /srv/web/
    setcap cap_net_bind_service=p /srv/web/serve_hypercorn.py

hypercorn takes the bound socket as --bind fd://3. Who may start it: anyone, safely.
"""
from ppy_py import activation

activation.serve(["hypercorn", "--bind", "fd://3", "--workers", "2", "hello_asgi:app"],
                 listen=["0.0.0.0:80"])
