# SPDX-License-Identifier: LGPL-2.1-or-later
"""What make needs to know about PYTHON before it builds anything with it.

Prints one line: "ok EXT_SUFFIX INCLUDE_DIR" when PYTHON can build and run ppy_py, or
"error REASON" naming what it lacks. Run by the Makefile as `$(PYTHON) pycheck.py`, so it
is written for any Python, even one far too old, to run far enough to say so.
"""
import os
import sys


def main():
    exe = sys.executable or "this Python"
    impl = getattr(getattr(sys, "implementation", None), "name", "python2")
    version = "%d.%d.%d" % tuple(sys.version_info[:3])
    if sys.version_info < (3, 9) or impl != "cpython":
        return ("error PYTHON=%s is %s %s: ppy needs CPython 3.9 or later "
                "(name another with make PYTHON=...)"
                % (exe, "CPython" if impl in ("cpython", "python2") else impl, version))
    import sysconfig

    lacks = []
    try:
        import cffi  # noqa: F401  generates the C of ppy_py._capng
        import _cffi_backend  # noqa: F401  which needs it at run time
    except ImportError:
        lacks.append("cffi")
    include = sysconfig.get_paths()["include"]
    if not os.path.exists(os.path.join(include, "Python.h")):
        lacks.append("its C headers (%s/Python.h)" % include)
    if lacks:
        fix = ("install the system's python3-cffi and python3-dev (make deps does)"
               if exe.startswith("/usr/bin/") else "%s -m pip install cffi" % exe)
        return "error PYTHON=%s (CPython %s) lacks %s, needed to build ppy_py: %s" % (
            exe, version, " and ".join(lacks), fix)
    return "ok %s %s" % (sysconfig.get_config_var("EXT_SUFFIX"), include)


if __name__ == "__main__":
    print(main())
