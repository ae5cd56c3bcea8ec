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

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ._caps import LAST_CAP, Cap, CapSet
    from ._errors import (
        CapabilityError,
        CapabilityNotFoundError,
        CapabilityPermissionError,
        ProcTitleError,
        ThreadedCredentialError,
    )
    from ._filecaps import FileCaps, clear_file_caps, file_caps, set_file_caps
    from ._options import (
        MDWE_NO_INHERIT,
        MDWE_REFUSE_EXEC_GAIN,
        Speculation,
        endian,
        fp_mode,
        fpemu,
        fpexc,
        in_bounding,
        io_flusher,
        mce_kill,
        mdwe,
        memory_merge,
        pac_reset_keys,
        sched_core_cookie,
        seccomp_mode,
        set_endian,
        set_fp_mode,
        set_fpemu,
        set_fpexc,
        set_io_flusher,
        set_mce_kill,
        set_mdwe,
        set_memory_merge,
        set_mpx_management,
        set_perf_events,
        set_proctitle,
        set_ptracer,
        set_sched_core,
        set_seccomp_strict,
        set_speculation_ctrl,
        set_thp_disable,
        set_timerslack,
        set_timing,
        set_tsc,
        set_unalign,
        set_vma_name,
        speculation_ctrl,
        thp_disable,
        tid_address,
        timerslack,
        timing,
        tsc,
        unalign,
    )
    from ._privileges import drop_privileges, thread_count
    from ._process import (
        SecurebitsControl,
        child_subreaper,
        dumpable,
        keep_caps,
        no_new_privs,
        pdeathsig,
        process_name,
        securebits,
        set_child_subreaper,
        set_dumpable,
        set_keep_caps,
        set_no_new_privs,
        set_pdeathsig,
        set_process_name,
    )
    from ._securebits import Securebits
    from ._state import (
        Ambient,
        CapState,
        ambient,
        clear_inheritable,
        current,
        drop_bounding,
        drop_caps,
        limit_caps,
        lower_caps,
        raise_caps,
        raised,
        requires,
    )

__version__ = "0.1.0"

if TYPE_CHECKING:
    #: The running kernel's highest capability number (/proc/sys/kernel/cap_last_cap).
    cap_last_cap = LAST_CAP

# name -> submodule that defines it, imported on first access (PEP 562).
_LAZY = {
    "Cap": "_caps",
    "CapSet": "_caps",
    "cap_last_cap": "_caps",
    "LAST_CAP": "_caps",
    "CapabilityError": "_errors",
    "CapabilityNotFoundError": "_errors",
    "CapabilityPermissionError": "_errors",
    "ProcTitleError": "_errors",
    "ThreadedCredentialError": "_errors",
    "Ambient": "_state",
    "CapState": "_state",
    "ambient": "_state",
    "clear_inheritable": "_state",
    "current": "_state",
    "drop_bounding": "_state",
    "drop_caps": "_state",
    "limit_caps": "_state",
    "lower_caps": "_state",
    "raise_caps": "_state",
    "raised": "_state",
    "requires": "_state",
    "SecurebitsControl": "_process",
    "child_subreaper": "_process",
    "dumpable": "_process",
    "keep_caps": "_process",
    "no_new_privs": "_process",
    "pdeathsig": "_process",
    "process_name": "_process",
    "securebits": "_process",
    "set_child_subreaper": "_process",
    "set_dumpable": "_process",
    "set_keep_caps": "_process",
    "set_no_new_privs": "_process",
    "set_pdeathsig": "_process",
    "set_process_name": "_process",
    "Securebits": "_securebits",
    "FileCaps": "_filecaps",
    "clear_file_caps": "_filecaps",
    "file_caps": "_filecaps",
    "set_file_caps": "_filecaps",
    "drop_privileges": "_privileges",
    "thread_count": "_privileges",
    "MDWE_NO_INHERIT": "_options",
    "MDWE_REFUSE_EXEC_GAIN": "_options",
    "Speculation": "_options",
    "endian": "_options",
    "fp_mode": "_options",
    "fpemu": "_options",
    "fpexc": "_options",
    "in_bounding": "_options",
    "io_flusher": "_options",
    "mce_kill": "_options",
    "mdwe": "_options",
    "memory_merge": "_options",
    "pac_reset_keys": "_options",
    "sched_core_cookie": "_options",
    "seccomp_mode": "_options",
    "set_sched_core": "_options",
    "set_endian": "_options",
    "set_fp_mode": "_options",
    "set_fpemu": "_options",
    "set_fpexc": "_options",
    "set_io_flusher": "_options",
    "set_mce_kill": "_options",
    "set_mdwe": "_options",
    "set_memory_merge": "_options",
    "set_mpx_management": "_options",
    "set_perf_events": "_options",
    "set_proctitle": "_options",
    "set_ptracer": "_options",
    "set_seccomp_strict": "_options",
    "set_speculation_ctrl": "_options",
    "set_thp_disable": "_options",
    "set_timerslack": "_options",
    "set_timing": "_options",
    "set_tsc": "_options",
    "set_unalign": "_options",
    "set_vma_name": "_options",
    "speculation_ctrl": "_options",
    "thp_disable": "_options",
    "tid_address": "_options",
    "timerslack": "_options",
    "timing": "_options",
    "tsc": "_options",
    "unalign": "_options",
}

# Literal, so type checkers see what is exported.
__all__ = [
    "Ambient",
    "Cap",
    "CapSet",
    "CapState",
    "CapabilityError",
    "CapabilityNotFoundError",
    "CapabilityPermissionError",
    "FileCaps",
    "MDWE_NO_INHERIT",
    "MDWE_REFUSE_EXEC_GAIN",
    "ProcTitleError",
    "Securebits",
    "SecurebitsControl",
    "Speculation",
    "ThreadedCredentialError",
    "__version__",
    "ambient",
    "cap_last_cap",
    "child_subreaper",
    "clear_file_caps",
    "clear_inheritable",
    "current",
    "drop_bounding",
    "drop_caps",
    "drop_privileges",
    "dumpable",
    "endian",
    "file_caps",
    "fp_mode",
    "fpemu",
    "fpexc",
    "in_bounding",
    "io_flusher",
    "keep_caps",
    "limit_caps",
    "lower_caps",
    "mce_kill",
    "mdwe",
    "memory_merge",
    "no_new_privs",
    "pac_reset_keys",
    "pdeathsig",
    "process_name",
    "raise_caps",
    "raised",
    "requires",
    "sched_core_cookie",
    "seccomp_mode",
    "securebits",
    "set_child_subreaper",
    "set_dumpable",
    "set_endian",
    "set_file_caps",
    "set_fp_mode",
    "set_fpemu",
    "set_fpexc",
    "set_io_flusher",
    "set_keep_caps",
    "set_mce_kill",
    "set_mdwe",
    "set_memory_merge",
    "set_mpx_management",
    "set_no_new_privs",
    "set_pdeathsig",
    "set_perf_events",
    "set_process_name",
    "set_proctitle",
    "set_ptracer",
    "set_sched_core",
    "set_seccomp_strict",
    "set_speculation_ctrl",
    "set_thp_disable",
    "set_timerslack",
    "set_timing",
    "set_tsc",
    "set_unalign",
    "set_vma_name",
    "speculation_ctrl",
    "thp_disable",
    "thread_count",
    "tid_address",
    "timerslack",
    "timing",
    "tsc",
    "unalign",
]


def __getattr__(name: str) -> object:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError("module 'ppy_py' has no attribute %r" % name)
    module = __import__("ppy_py." + module_name, fromlist=[name])
    value = getattr(module, "LAST_CAP" if name == "cap_last_cap" else name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
