"""Launch timer for bench.py: one of these runs per identity (root, the caller, the caller
holding an ambient capability), so every variant is spawned and timed by the same code.

Protocol: one JSON request per line on stdin, one JSON reply per line on stdout.
  request {"argv": [...], "env": {...}, "reps": n, "capture": bool,
           "nargs": n, "arglen": n, "nenv": n, "envlen": n}
  reply   {"ns": [...], "status": [...], "out": str, "err": str}
nargs/nenv append that many generated arguments / environment variables (each of
arglen/envlen characters) to the request's own, built here so no megabyte travels the pipe.

Each launch is timed with perf_counter_ns() around os.posix_spawn() (glibc: clone(CLONE_VM|
CLONE_VFORK) + execve) and waitpid(); stdin, stdout and stderr are /dev/null unless captured.
Started with `python3 -I -c SOURCE` so it imports nothing but the standard library.
"""
import json
import os
import sys
import time


def extra(req):
    args = ["a%0*d" % (max(req.get("arglen", 8) - 1, 1), i) for i in range(req.get("nargs", 0))]
    env = {}
    for i in range(req.get("nenv", 0)):
        name = "BENCH_V%d" % i
        env[name] = "v" * max(req.get("envlen", 8) - len(name) - 1, 1)
    return args, env


def main():
    devnull_r = os.open("/dev/null", os.O_RDONLY)
    devnull_w = os.open("/dev/null", os.O_WRONLY)
    quiet = [(os.POSIX_SPAWN_DUP2, devnull_r, 0), (os.POSIX_SPAWN_DUP2, devnull_w, 1),
             (os.POSIX_SPAWN_DUP2, devnull_w, 2)]
    cache_key, cache = None, None
    reply_out = sys.stdout
    for line in sys.stdin:
        req = json.loads(line)
        key = (req.get("nargs", 0), req.get("arglen", 8), req.get("nenv", 0), req.get("envlen", 8))
        if key != cache_key:
            cache_key, cache = key, extra(req)
        argv = list(req["argv"]) + cache[0]
        env = dict(req["env"])
        env.update(cache[1])
        res = {"ns": [], "status": [], "out": "", "err": ""}
        if req.get("capture"):
            out_r, out_w = os.pipe()
            err_r, err_w = os.pipe()
            acts = [(os.POSIX_SPAWN_DUP2, devnull_r, 0), (os.POSIX_SPAWN_DUP2, out_w, 1),
                    (os.POSIX_SPAWN_DUP2, err_w, 2)]
            try:
                pid = os.posix_spawn(argv[0], argv, env, file_actions=acts)
            except OSError as e:
                res["status"].append(-1)
                res["err"] = "spawn failed: %s" % e
            else:
                os.close(out_w)
                os.close(err_w)
                # Output is small here; read stdout then stderr, then reap.
                res["out"] = _read_all(out_r)
                res["err"] = _read_all(err_r)
                _, st = os.waitpid(pid, 0)
                res["status"].append(os.waitstatus_to_exitcode(st))
            for fd in (out_r, err_r):
                try:
                    os.close(fd)
                except OSError:
                    pass
            for fd in (out_w, err_w):
                try:
                    os.close(fd)
                except OSError:
                    pass
        else:
            perf = time.perf_counter_ns
            for _ in range(req.get("reps", 1)):
                t0 = perf()
                try:
                    pid = os.posix_spawn(argv[0], argv, env, file_actions=quiet)
                except OSError:
                    res["ns"].append(perf() - t0)
                    res["status"].append(-1)
                    continue
                _, st = os.waitpid(pid, 0)
                res["ns"].append(perf() - t0)
                res["status"].append(os.waitstatus_to_exitcode(st))
        reply_out.write(json.dumps(res) + "\n")
        reply_out.flush()


def _read_all(fd):
    chunks = []
    while True:
        b = os.read(fd, 65536)
        if not b:
            break
        chunks.append(b)
    return b"".join(chunks).decode("utf-8", "replace")


main()
