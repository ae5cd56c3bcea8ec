#!/usr/local/bin/ppy /srv/venvs/web/bin/python
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Recipe: a WSGI app (Flask) on port 80 with gunicorn, two workers, no capability held.

    python3 -m venv /srv/venvs/web && /srv/venvs/web/bin/pip install gunicorn flask
    echo 'interpreter /srv/venvs/web/bin/python' >> /usr/local/etc/ppy.conf   # as root
    install -o web -g web -m 0755 serve_gunicorn.py hello_wsgi.py /srv/web/
    setcap cap_net_bind_service=p /srv/web/serve_gunicorn.py
    /srv/web/serve_gunicorn.py

The script binds port 80 with cap_net_bind_service raised for that bind() alone, drops
every capability, and runs gunicorn on the bound socket (ppy_py.activation): gunicorn's
master and workers hold nothing. Who may start it: anyone, safely: the port, the app and
gunicorn's options are written here, not taken from the caller (a gunicorn -c file is
Python). The app is imported from this directory (the script's, where ppy starts it).
A hot upgrade (kill -USR2 on the master) comes back through ppy's boot.
"""
from ppy_py import activation

activation.serve(["gunicorn", "--workers", "2", "hello_wsgi:app"], listen=["0.0.0.0:80"])
