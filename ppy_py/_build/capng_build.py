# SPDX-License-Identifier: LGPL-2.1-or-later
"""Build ppy_py._capng: cffi API (out-of-line) mode over the system libcap-ng.

The cdef is capng.h (declarations only), the C side is capng_helpers.c; both
live next to this file.  Used two ways:

* ``setup.py`` names ``ffibuilder`` in ``cffi_modules`` (``pip install .``);
* ``$(PYTHON) ppy_py/_build/capng_build.py OUT.c`` (what ``make`` runs) only
  writes the module's C source; make compiles it with its own compiler and
  flags, like _ppy_sys, so that building needs cffi but not setuptools (which
  Python 3.12 no longer ships) and a cross compiler can build it too.
"""

import os
import sys

from cffi import FFI  # type: ignore[import-untyped]

_HERE = os.path.dirname(os.path.abspath(__file__))


def _read(name: str) -> str:
    with open(os.path.join(_HERE, name), encoding="utf-8") as f:
        return f.read()


ffibuilder = FFI()
ffibuilder.cdef(_read("capng.h"))
ffibuilder.set_source(
    "ppy_py._capng",
    _read("capng_helpers.c"),
    libraries=["cap-ng"],
    include_dirs=[_HERE],  # rawcaps.h, shared with sysmodule.c
    extra_compile_args=["-Wall", "-Wextra", "-Wno-unused-parameter", "-O2"],
)


def emit(path: str) -> None:
    """Write the C source of ppy_py._capng to PATH (replaced whole, never half-written)."""
    partial = path + ".partial"
    ffibuilder.emit_c_code(partial)
    os.replace(partial, path)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: capng_build.py OUT.c")
    emit(sys.argv[1])
