# SPDX-License-Identifier: LGPL-2.1-or-later
"""Launch timer for bench.py: one of these runs per identity (root, the caller, the caller
holding an ambient capability), so every variant is spawned and timed by the same code.

Protocol: one JSON request per line on stdin, one JSON reply per line on stdout.
  request {"argv": [...], "env": {...}, "reps": n, "capture": bool,
           "nargs": n, "arglen": n, "nenv": n, "envlen": n}
  reply   {"ns": [...], "status": [...], "out": str, "err": str}
nargs/nenv append that many generated arguments / environment variables (each of
arglen/envlen characters) to the request's own, built here so no megabyte travels the pipe.

Each launch is timed with perf_counter_ns() around libc's posix_spawn() (glibc: clone(CLONE_VM|
CLONE_VFORK) + execve) and waitpid(), called through ctypes with argv and envp arrays built
beforehand (and kept per request), so converting a megabyte of arguments is never timed;
stdin, stdout and stderr are /dev/null. Captured runs (checks, not timed) use os.posix_spawn.
Started with `python3 -I -c SOURCE`: standard library only, no ldconfig, no subprocess.
"""
import ctypes
import json
import os
import sys
import time

libc = ctypes.CDLL("libc.so.6", use_errno=True)
libc.posix_spawn.argtypes = [ctypes.POINTER(ctypes.c_int), ctypes.c_char_p, ctypes.c_void_p,
                             ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]


def extra(req):
    args = ["a%0*d" % (max(req.get("arglen", 8) - 1, 1), i) for i in range(req.get("nargs", 0))]
    env = {}
    for i in range(req.get("nenv", 0)):
        name = "BENCH_V%d" % i
        env[name] = "v" * max(req.get("envlen", 8) - len(name) - 1, 1)
    return args, env


def full(req):
    args, env = extra(req)
    e = dict(req["env"])
    e.update(env)
    return list(req["argv"]) + args, e


def c_strings(strings):
    arr = (ctypes.c_char_p * (len(strings) + 1))()
    arr[:-1] = [s.encode() for s in strings]
    arr[-1] = None
    return arr


def _read_all(fd):
    chunks = []
    while True:
        b = os.read(fd, 65536)
        if not b:
            break
        chunks.append(b)
    return b"".join(chunks).decode("utf-8", "replace")


def captured(argv, env, devnull_r):
    res = {"ns": [], "status": [], "out": "", "err": ""}
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    acts = [(os.POSIX_SPAWN_DUP2, devnull_r, 0), (os.POSIX_SPAWN_DUP2, out_w, 1),
            (os.POSIX_SPAWN_DUP2, err_w, 2)]
    try:
        pid = os.posix_spawn(argv[0], argv, env, file_actions=acts)
    except OSError as e:
        os.close(out_w)
        os.close(err_w)
        res["status"].append(-1)
        res["err"] = "spawn failed: %s" % e
    else:
        os.close(out_w)
        os.close(err_w)
        res["out"] = _read_all(out_r)  # small outputs: no deadlock between the two pipes
        res["err"] = _read_all(err_r)
        _, st = os.waitpid(pid, 0)
        res["status"].append(os.waitstatus_to_exitcode(st))
    os.close(out_r)
    os.close(err_r)
    return res


def main():
    devnull_r = os.open("/dev/null", os.O_RDONLY)
    devnull_w = os.open("/dev/null", os.O_WRONLY)
    actions = ctypes.create_string_buffer(512)  # posix_spawn_file_actions_t is 80 bytes
    if (libc.posix_spawn_file_actions_init(actions) or
            libc.posix_spawn_file_actions_adddup2(actions, devnull_r, 0) or
            libc.posix_spawn_file_actions_adddup2(actions, devnull_w, 1) or
            libc.posix_spawn_file_actions_adddup2(actions, devnull_w, 2)):
        sys.exit("runner: posix_spawn_file_actions failed")
    prepared = {}  # request without reps -> (path, argv array, envp array)
    waitpid, perf, spawn = os.waitpid, time.perf_counter_ns, libc.posix_spawn
    pid = ctypes.c_int()
    for line in sys.stdin:
        req = json.loads(line)
        if req.get("capture"):
            argv, env = full(req)
            res = captured(argv, env, devnull_r)
        else:
            key = json.dumps({k: v for k, v in req.items() if k != "reps"}, sort_keys=True)
            if key not in prepared:
                argv, env = full(req)
                prepared[key] = (argv[0].encode(), c_strings(argv),
                                 c_strings(["%s=%s" % kv for kv in env.items()]))
            path, c_argv, c_envp = prepared[key]
            res = {"ns": [], "status": [], "out": "", "err": ""}
            for _ in range(req.get("reps", 1)):
                t0 = perf()
                rc = spawn(ctypes.byref(pid), path, actions, None, c_argv, c_envp)
                if rc != 0:
                    res["ns"].append(perf() - t0)
                    res["status"].append(-1)
                    continue
                _, st = waitpid(pid.value, 0)
                res["ns"].append(perf() - t0)
                res["status"].append(os.waitstatus_to_exitcode(st))
        sys.stdout.write(json.dumps(res) + "\n")
        sys.stdout.flush()


main()
