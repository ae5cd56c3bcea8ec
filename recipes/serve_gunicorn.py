#!/usr/local/bin/ppy /srv/venvs/web/bin/python
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Recipe: a WSGI app (Flask) on port 80 with gunicorn, two workers, no capability held.

    /usr/bin/python3 -m venv /srv/venvs/web && /srv/venvs/web/bin/pip install gunicorn flask
    echo 'interpreter /srv/venvs/web/bin/python' >> /usr/local/etc/ppy.conf   # as root
    install -o web -g web -m 0755 serve_gunicorn.py hello_wsgi.py /srv/web/
    setcap cap_net_bind_service=p /srv/web/serve_gunicorn.py
    /srv/web/serve_gunicorn.py

The script binds port 80 with cap_net_bind_service raised for that bind() alone, drops
every capability, and runs gunicorn on the bound socket (ppy_py.activation): gunicorn's
master and workers hold nothing. Who may start it: anyone, safely: the port, the app and
gunicorn's options are written here, not taken from the caller (a gunicorn -c file is
Python). The app is imported from this directory (the script's, where ppy starts it).
A hot upgrade (kill -USR2 on the master) comes back through ppy's boot; the new master
is then no longer the first process, so under systemd give gunicorn --pid in a
RuntimeDirectory and the unit PIDFile=. With setproctitle installed in the venv, ps shows
"gunicorn: master [...]" instead of the interpreter's command line.
"""
from ppy_py import activation

# gunicorn 27's control socket would go in $HOME/.gunicorn (ppy passes no XDG_RUNTIME_DIR):
# off here; give it --control-socket /run/web/gunicorn.ctl in a directory of the account's
# if you use gunicornc.
activation.serve(["gunicorn", "--no-control-socket", "--workers", "2", "hello_wsgi:app"],
                 listen=["0.0.0.0:80"])
