# SPDX-License-Identifier: LGPL-2.1-or-later
"""The ASGI app serve_uvicorn.py and serve_hypercorn.py run (Starlette)."""
import json
import os

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route


def held():
    return {line.split(":")[0]: line.split()[1] for line in open("/proc/self/status")
            if line.startswith(("CapInh", "CapPrm", "CapEff", "CapAmb"))}


async def hello(request):
    return PlainTextResponse(json.dumps({"pid": os.getpid(), "ppid": os.getppid(),
                                         "uid": os.getuid(), "caps": held(),
                                         "cwd": os.getcwd()}))

app = Starlette(routes=[Route("/", hello)])
