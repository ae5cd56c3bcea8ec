# SPDX-License-Identifier: LGPL-2.1-or-later
"""The aiohttp app serve_aiohttp.py runs."""
import json
import os

from aiohttp import web


def held():
    return {line.split(":")[0]: line.split()[1] for line in open("/proc/self/status")
            if line.startswith(("CapInh", "CapPrm", "CapEff", "CapAmb"))}


async def hello(request):
    return web.Response(text=json.dumps({"pid": os.getpid(), "ppid": os.getppid(),
                                         "uid": os.getuid(), "caps": held(),
                                         "cwd": os.getcwd()}))

app = web.Application()
app.add_routes([web.get("/", hello)])
