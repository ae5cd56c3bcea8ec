# SPDX-License-Identifier: LGPL-2.1-or-later
"""The WSGI app serve_gunicorn.py runs: it says who serves it and what that process holds."""
import json
import os

from flask import Flask

app = Flask(__name__)


def held():
    return {line.split(":")[0]: line.split()[1] for line in open("/proc/self/status")
            if line.startswith(("CapInh", "CapPrm", "CapEff", "CapAmb"))}


@app.route("/")
def hello():
    return json.dumps({"pid": os.getpid(), "ppid": os.getppid(), "uid": os.getuid(),
                       "caps": held(), "cwd": os.getcwd()})
