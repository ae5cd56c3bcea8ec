# Type stub for the compiled module ppy_py._ppy_prctl (see _build/prctlmodule.c).
# Every function returns its result (>= 0) or -errno; a setter whose read-back
# failed returns (errno,).
from collections.abc import Callable

PR_CAPBSET_DROP: int
PR_CAPBSET_READ: int
PR_CAP_AMBIENT: int
PR_ENDIAN_BIG: int
PR_ENDIAN_LITTLE: int
PR_ENDIAN_PPC_LITTLE: int
PR_FPEMU_NOPRINT: int
PR_FPEMU_SIGFPE: int
PR_FP_EXC_ASYNC: int
PR_FP_EXC_DISABLED: int
PR_FP_EXC_DIV: int
PR_FP_EXC_INV: int
PR_FP_EXC_NONRECOV: int
PR_FP_EXC_OVF: int
PR_FP_EXC_PRECISE: int
PR_FP_EXC_RES: int
PR_FP_EXC_SW_ENABLE: int
PR_FP_EXC_UND: int
PR_FP_MODE_FR: int
PR_FP_MODE_FRE: int
PR_GET_CHILD_SUBREAPER: int
PR_GET_DUMPABLE: int
PR_GET_ENDIAN: int
PR_GET_FPEMU: int
PR_GET_FPEXC: int
PR_GET_FP_MODE: int
PR_GET_IO_FLUSHER: int
PR_GET_KEEPCAPS: int
PR_GET_MDWE: int
PR_GET_MEMORY_MERGE: int
PR_GET_NAME: int
PR_GET_NO_NEW_PRIVS: int
PR_GET_PDEATHSIG: int
PR_GET_SECCOMP: int
PR_GET_SECUREBITS: int
PR_GET_SPECULATION_CTRL: int
PR_GET_THP_DISABLE: int
PR_GET_TID_ADDRESS: int
PR_GET_TIMERSLACK: int
PR_GET_TIMING: int
PR_GET_TSC: int
PR_GET_UNALIGN: int
PR_MCE_KILL: int
PR_MCE_KILL_CLEAR: int
PR_MCE_KILL_DEFAULT: int
PR_MCE_KILL_EARLY: int
PR_MCE_KILL_GET: int
PR_MCE_KILL_LATE: int
PR_MCE_KILL_SET: int
PR_MDWE_NO_INHERIT: int
PR_MDWE_REFUSE_EXEC_GAIN: int
PR_MPX_DISABLE_MANAGEMENT: int
PR_MPX_ENABLE_MANAGEMENT: int
PR_PAC_APDAKEY: int
PR_PAC_APDBKEY: int
PR_PAC_APGAKEY: int
PR_PAC_APIAKEY: int
PR_PAC_APIBKEY: int
PR_PAC_RESET_KEYS: int
PR_SET_CHILD_SUBREAPER: int
PR_SET_DUMPABLE: int
PR_SCHED_CORE_SCOPE_PROCESS_GROUP: int
PR_SCHED_CORE_SCOPE_THREAD_GROUP: int
PR_SCHED_CORE_SCOPE_THREAD: int
PR_SCHED_CORE_CREATE: int
PR_SCHED_CORE_GET: int
PR_SCHED_CORE: int
PR_SET_ENDIAN: int
PR_SET_FPEMU: int
PR_SET_FPEXC: int
PR_SET_FP_MODE: int
PR_SET_IO_FLUSHER: int
PR_SET_KEEPCAPS: int
PR_SET_MDWE: int
PR_SET_MEMORY_MERGE: int
PR_SET_NAME: int
PR_SET_NO_NEW_PRIVS: int
PR_SET_PDEATHSIG: int
PR_SET_PTRACER: int
PR_SET_PTRACER_ANY: int
PR_SET_SECCOMP: int
PR_SET_SECUREBITS: int
PR_SET_SPECULATION_CTRL: int
PR_SET_THP_DISABLE: int
PR_SET_TIMERSLACK: int
PR_SET_TIMING: int
PR_SET_TSC: int
PR_SET_UNALIGN: int
PR_SET_VMA: int
PR_SET_VMA_ANON_NAME: int
PR_SPEC_DISABLE: int
PR_SPEC_DISABLE_NOEXEC: int
PR_SPEC_ENABLE: int
PR_SPEC_FORCE_DISABLE: int
PR_SPEC_INDIRECT_BRANCH: int
PR_SPEC_L1D_FLUSH: int
PR_SPEC_NOT_AFFECTED: int
PR_SPEC_PRCTL: int
PR_SPEC_STORE_BYPASS: int
PR_TASK_PERF_EVENTS_DISABLE: int
PR_TASK_PERF_EVENTS_ENABLE: int
PR_TIMING_STATISTICAL: int
PR_TIMING_TIMESTAMP: int
PR_TSC_ENABLE: int
PR_TSC_SIGSEGV: int
PR_UNALIGN_NOPRINT: int
PR_UNALIGN_SIGBUS: int
SECBIT_KEEP_CAPS: int
SECBIT_KEEP_CAPS_LOCKED: int
SECBIT_NOROOT: int
SECBIT_NOROOT_LOCKED: int
SECBIT_NO_CAP_AMBIENT_RAISE: int
SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED: int
SECBIT_NO_SETUID_FIXUP: int
SECBIT_NO_SETUID_FIXUP_LOCKED: int
SECCOMP_MODE_FILTER: int
SECCOMP_MODE_STRICT: int
SECURE_KEEP_CAPS: int
SECURE_KEEP_CAPS_LOCKED: int
SECURE_NOROOT: int
SECURE_NOROOT_LOCKED: int
SECURE_NO_CAP_AMBIENT_RAISE: int
SECURE_NO_CAP_AMBIENT_RAISE_LOCKED: int
SECURE_NO_SETUID_FIXUP: int
SECURE_NO_SETUID_FIXUP_LOCKED: int

def call(option: int, arg2: int = ..., arg3: int = ..., arg4: int = ..., arg5: int = ..., /) -> int: ...
def get(option: int, /) -> int: ...
def get_int(option: int, /) -> int: ...
def get_ulong(option: int, /) -> int: ...
def set_get(set_option: int, value: int, get_option: int, arg3: int = ..., /) -> "int | tuple[int]": ...
def set_get_int(set_option: int, value: int, get_option: int, /) -> "int | tuple[int]": ...
def get_name() -> "str | int": ...
def sched_core_cookie() -> int: ...
def bind(option: int, arg2: int = ..., /) -> "Callable[[int], int]": ...
def bind_checked(set_option: int, get_option: int, through_pointer: bool, /) -> "Callable[[int], int | tuple[int]]": ...
def set_name_only(name: str, /) -> "int | None": ...
def set_title_finder(finder: "Callable[[], tuple[int, int]]", /) -> None: ...
def set_title(title: "str | bytes", /) -> None: ...
def set_name(name: bytes, /) -> "bytes | int | tuple[int]": ...
def set_vma_name(start: int, length: int, name: "bytes | None", /) -> int: ...
def peek(address: int, size: int, /) -> "bytes | int": ...
