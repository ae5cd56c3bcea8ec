"""Build hook for the cffi extension; all metadata is in pyproject.toml."""

from setuptools import setup

setup(
    packages=["ppy_py"],
    package_data={"ppy_py": ["py.typed", "*.pyi"]},
    cffi_modules=["ppy_py/_build/capng_build.py:ffibuilder"],
)
