# SPDX-License-Identifier: LGPL-2.1-or-later
"""Copies of pyenv's CPythons that any uid may run, for `make check-pythons`.

pyenv's interpreters live under /root (mode 0700) and carry RUNPATH=/root/.pyenv/...,
so another uid cannot run them, and ppy refuses an interpreter that is not root's alone
with every directory above it. Each VERSION is copied once (without its own test suite)
to DEST/VERSION, root-owned and writable only by root, every ELF RUNPATH is pointed at
the copy's lib/ with patchelf, and cffi and pytest are installed into it with pip. A copy
is reused while DEST/VERSION/.ppy-ready says it was made from the same source.

    pythons.py [--src DIR] [--dest DIR] VERSION...   prints one interpreter path a line
"""
import argparse
import os
import shutil
import stat
import subprocess
import sys

PIP_PACKAGES = ["cffi>=1.15", "pytest"]
READY = ".ppy-ready"


def is_elf(path):
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"\x7fELF"
    except OSError:
        return False


def fix_runpaths(root, libdir):
    """Every ELF file under ROOT whose RUNPATH/RPATH names anything gets LIBDIR instead."""
    fixed = 0
    for dirpath, _, files in os.walk(root):
        for name in files:
            path = os.path.join(dirpath, name)
            if os.path.islink(path) or not is_elf(path):
                continue
            old = subprocess.run(["patchelf", "--print-rpath", path], capture_output=True,
                                 text=True)
            if old.returncode == 0 and old.stdout.strip():
                subprocess.run(["patchelf", "--set-rpath", libdir, path], check=True)
                fixed += 1
    return fixed


def root_only(root):
    """Owned by root, writable by nobody else, readable (and searchable) by all."""
    for dirpath, dirs, files in os.walk(root):
        for name in [dirpath] + [os.path.join(dirpath, n) for n in dirs + files]:
            st = os.lstat(name)
            if stat.S_ISLNK(st.st_mode):
                os.lchown(name, 0, 0)
                continue
            os.chown(name, 0, 0)
            mode = stat.S_IMODE(st.st_mode) & ~0o022 & ~0o7000
            mode |= 0o555 if stat.S_ISDIR(st.st_mode) or mode & 0o100 else 0o444
            os.chmod(name, mode)


def interpreter(copy, version):
    major_minor = ".".join(version.split(".")[:2])
    return os.path.join(copy, "bin", "python" + major_minor)


def prepare(src_root, dest, version):
    src = os.path.join(src_root, version)
    copy = os.path.join(dest, version)
    py = interpreter(copy, version)
    stamp = os.path.join(copy, READY)
    want = "%s %s\n" % (src, " ".join(PIP_PACKAGES))
    if os.path.exists(stamp) and open(stamp).read() == want:
        return py
    if not os.path.isdir(src):
        sys.exit("pythons.py: %s is missing (pyenv install %s)" % (src, version))
    major_minor = ".".join(version.split(".")[:2])
    partial = copy + ".partial"
    shutil.rmtree(partial, ignore_errors=True)
    shutil.rmtree(copy, ignore_errors=True)
    testdir = os.path.join(src, "lib", "python" + major_minor)
    shutil.copytree(src, partial, symlinks=True,
                    ignore=lambda d, names: ["test", "idlelib"] if d == testdir else [])
    fix_runpaths(partial, os.path.join(copy, "lib"))
    os.rename(partial, copy)
    env = {"PATH": "/usr/bin:/bin", "PIP_ROOT_USER_ACTION": "ignore",
           "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_WARN_SCRIPT_LOCATION": "1"}
    subprocess.run([py, "-m", "pip", "install", "-q", *PIP_PACKAGES], check=True, env=env)
    root_only(copy)
    check = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                            py, "-c", "import cffi, _cffi_backend, sys; print(sys.version)"],
                           capture_output=True, text=True, env={})
    if check.returncode != 0:
        sys.exit("pythons.py: %s does not run as uid 65534: %s" % (py, check.stderr.strip()))
    with open(stamp, "w") as f:
        f.write(want)
    return py


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", default="/root/.pyenv/versions")
    ap.add_argument("--dest", default="/var/lib/ppy-pythons")
    ap.add_argument("versions", nargs="+")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("pythons.py: run as root (it makes root-owned copies)")
    os.makedirs(args.dest, 0o755, exist_ok=True)
    os.chmod(args.dest, 0o755)
    for v in args.versions:
        print(prepare(args.src, args.dest, v), flush=True)


if __name__ == "__main__":
    main()
