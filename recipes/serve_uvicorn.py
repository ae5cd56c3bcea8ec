#!/usr/local/bin/ppy /srv/venvs/web/bin/python
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Recipe: an ASGI app (Starlette) on port 80 with uvicorn, two workers, no capability held.

    /usr/bin/python3 -m venv /srv/venvs/web && /srv/venvs/web/bin/pip install uvicorn starlette
    echo 'interpreter /srv/venvs/web/bin/python' >> /usr/local/etc/ppy.conf   # as root
    install -o web -g web -m 0755 serve_uvicorn.py hello_asgi.py /srv/web/
    setcap cap_net_bind_service=p /srv/web/serve_uvicorn.py
    /srv/web/serve_uvicorn.py

As serve_gunicorn.py: port 80 is bound with the capability raised for bind() alone,
every capability is then dropped, and uvicorn takes the socket as --fd 3. Its workers are
new interpreters (multiprocessing spawn): they start under ppy's boot too and hold
nothing. Who may start it: anyone, safely (nothing is taken from the caller).
"""
from ppy_py import activation

# --no-access-log: its stdout belongs to whoever started it, who need not see others'
# requests (log to syslog or a file of the account's instead, with --log-config).
activation.serve(["uvicorn", "--fd", "3", "--workers", "2", "--no-access-log", "hello_asgi:app"],
                 listen=["0.0.0.0:80"])
