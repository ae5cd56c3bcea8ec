# SPDX-License-Identifier: LGPL-2.1-or-later
"""ppy_py: Linux capabilities for Python, over libcap-ng (cffi API mode).

Read and change the capability sets of the calling thread, hold a capability
only while it is needed, drop privileges from root keeping a few
capabilities, and read or write file capabilities::

    import ppy_py
    with ppy_py.raised("net_bind_service"):
        sock.bind(("0.0.0.0", 80))

Capabilities are accepted everywhere as ``Cap``, a name in any spelling
(``"net_raw"``, ``"CAP_NET_RAW"``) or a number up to the running kernel's
cap_last_cap.  Refusals raise ``CapabilityError`` (an ``OSError``); bad input
raises ``ValueError``/``TypeError`` before anything changes.

Importing ppy_py starts no process and loads nothing else: ``Cap``,
``CapSet``, the compiled modules, the exceptions and the rest are loaded on
first use of a name that needs them (PEP 562), so a program pays only for
what it uses (and ppy's boot, which needs only ``_ppy_sys``, pays for
none of it).
"""

__version__ = "0.1.0"

# submodule -> the names it defines (" name name "), each imported on first access of one
# (PEP 562). One string per submodule costs less to load than an entry per name, and the
# type checkers' view, the imports and __all__, lives in __init__.pyi: importing ppy_py
# runs no import statement at all. cap_last_cap is _caps.LAST_CAP.
_LAZY = {
    "_caps": " Cap CapSet cap_last_cap LAST_CAP ",
    "_errors": (
        " CapabilityError CapabilityNotFoundError CapabilityPermissionError "
        "ProcTitleError ThreadedCredentialError "
    ),
    "_state": (
        " Ambient CapState ambient clear_inheritable current drop_bounding "
        "drop_caps limit_caps lower_caps raise_caps raised requires "
    ),
    "_process": (
        " SecurebitsControl child_subreaper dumpable keep_caps no_new_privs "
        "pdeathsig process_name securebits set_child_subreaper set_dumpable "
        "set_keep_caps set_no_new_privs set_pdeathsig set_process_name "
    ),
    "_securebits": " Securebits ",
    "_filecaps": " FileCaps clear_file_caps file_caps set_file_caps ",
    "_config": " UntrustedCodeError trusted_config trusted_directory ",
    "_privileges": " drop_privileges thread_count ",
    "_options": (
        " MDWE_NO_INHERIT MDWE_REFUSE_EXEC_GAIN Speculation endian fp_mode "
        "fpemu fpexc in_bounding io_flusher mce_kill mdwe memory_merge "
        "pac_reset_keys sched_core_cookie seccomp_mode set_sched_core "
        "set_endian set_fp_mode set_fpemu set_fpexc set_io_flusher "
        "set_mce_kill set_mdwe set_memory_merge set_mpx_management "
        "set_perf_events set_proctitle set_ptracer set_seccomp_strict "
        "set_speculation_ctrl set_thp_disable set_timerslack set_timing "
        "set_tsc set_unalign set_vma_name speculation_ctrl thp_disable "
        "tid_address timerslack timing tsc unalign "
    ),
}


def __getattr__(name: str) -> object:
    key = " %s " % name
    for module_name, names in _LAZY.items():
        if key in names:
            break
    else:
        if name == "__all__":   # for "from ppy_py import *"; made once
            value: object = sorted(_names() - {"LAST_CAP"} | {"__version__"})
            globals()[name] = value
            return value
        raise AttributeError("module 'ppy_py' has no attribute %r" % name)
    module = __import__("ppy_py." + module_name, fromlist=[name])
    value = getattr(module, "LAST_CAP" if name == "cap_last_cap" else name)
    globals()[name] = value
    return value


def _names() -> "set[str]":
    return {name for names in _LAZY.values() for name in names.split()}


def __dir__() -> "list[str]":
    return sorted(set(globals()) | _names())
