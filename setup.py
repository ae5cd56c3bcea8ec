# SPDX-License-Identifier: LGPL-2.1-or-later
"""Build hook for the compiled modules; all metadata is in pyproject.toml.

* ppy_py._capng: cffi API mode over libcap-ng (the cdef is _build/capng.h);
* _ppy_sys: capget/capset/prctl on CPython's stable ABI, for the hot path
  of raised() and for ppy's boot (see ppy_py/_build/sysmodule.c for why); a
  top-level module, so that the boot need not import the package;
* ppy_py._ppy_prctl: prctl(2) for the process options and ppy_py.compat, on the
  stable ABI too (see ppy_py/_build/prctlmodule.c).
"""

from setuptools import Extension, setup

setup(
    packages=["ppy_py", "ppy_py.compat"],
    package_data={"ppy_py": ["py.typed", "*.pyi"]},
    exclude_package_data={"ppy_py": ["_build/*"]},  # sources, not data
    cffi_modules=["ppy_py/_build/capng_build.py:ffibuilder"],
    ext_modules=[
        Extension(
            "_ppy_sys",
            ["ppy_py/_build/sysmodule.c"],
            include_dirs=["ppy_py/_build"],
            depends=["ppy_py/_build/rawcaps.h", "ppy_py/_build/origin.h"],
            py_limited_api=True,
        ),
        Extension(
            "ppy_py._ppy_prctl",
            ["ppy_py/_build/prctlmodule.c"],
            include_dirs=["ppy_py/_build"],
            depends=["ppy_py/_build/prctl_compat.h"],
            py_limited_api=True,
        ),
    ],
)
