"""Build ppy_py._capng: cffi API (out-of-line) mode over the system libcap-ng.

The cdef is capng.h (declarations only), the C side is capng_helpers.c; both
live next to this file.  Used two ways:

* ``setup.py`` names ``ffibuilder`` in ``cffi_modules`` (``pip install .``);
* ``/usr/bin/python3 ppy_py/_build/capng_build.py`` (what ``make`` runs)
  compiles in ``build/cffi/`` and installs the extension next to
  ``ppy_py/__init__.py``, leaving no .c or .o file inside the package.
"""

import os
import shutil
import sys
import sysconfig

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


def build_in_place() -> str:
    """Compile into <repo>/build/cffi and copy the .so into ppy_py/."""
    package_dir = os.path.dirname(_HERE)
    repo = os.path.dirname(package_dir)
    tmpdir = os.path.join(repo, "build", "cffi")
    os.makedirs(tmpdir, exist_ok=True)
    built = ffibuilder.compile(tmpdir=tmpdir, verbose=False)
    suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
    final = os.path.join(package_dir, "_capng" + suffix)
    # Copy beside, then rename: a process that has the old .so mapped keeps
    # a valid file instead of one rewritten under its feet.
    partial = final + ".partial"
    shutil.copyfile(built, partial)
    os.replace(partial, final)
    return final


if __name__ == "__main__":
    print(build_in_place(), file=sys.stderr)
