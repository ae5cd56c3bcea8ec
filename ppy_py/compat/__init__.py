"""Drop-in replacements for python-prctl's modules, on ppy_py.

A program written for python-prctl switches with one line::

    from ppy_py.compat import prctl, _prctl     # was: import prctl, _prctl

``prctl`` and ``_prctl`` have every public name of python-prctl 1.8.1's modules
(the get_*/set_* functions, the constants, ``get_caps``/``set_caps``,
``set_proctitle`` and the ``capbset``, ``cap_effective``, ``cap_permitted``,
``cap_inheritable`` and ``securebits`` objects) with the same behaviour, checked
by python-prctl's own test suite (tests/test_prctl_oracle.py).  They need
neither libcap nor a compiler, and name every capability of the running kernel,
also those python-prctl cannot (``checkpoint_restore``, ``perfmon``, ``bpf``...).
For new code, use ppy_py's own API (``ppy_py.raised``, ``ppy_py.set_mdwe``...).
"""
