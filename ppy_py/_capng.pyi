# SPDX-License-Identifier: LGPL-2.1-or-later
# Type stub for the compiled cffi module ppy_py._capng (see _build/capng.h).
from typing import Any

class _Lib:
    CAP_LAST_CAP: int
    VFS_CAP_REVISION_MASK: int
    VFS_CAP_REVISION_1: int
    VFS_CAP_REVISION_2: int
    VFS_CAP_REVISION_3: int
    VFS_CAP_FLAGS_EFFECTIVE: int
    PR_SET_PDEATHSIG: int
    PR_GET_PDEATHSIG: int
    PR_GET_DUMPABLE: int
    PR_SET_DUMPABLE: int
    PR_GET_KEEPCAPS: int
    PR_SET_KEEPCAPS: int
    PR_SET_NAME: int
    PR_GET_NAME: int
    PR_CAPBSET_READ: int
    PR_CAPBSET_DROP: int
    PR_GET_SECUREBITS: int
    PR_SET_SECUREBITS: int
    PR_SET_CHILD_SUBREAPER: int
    PR_GET_CHILD_SUBREAPER: int
    PR_SET_NO_NEW_PRIVS: int
    PR_GET_NO_NEW_PRIVS: int
    PR_CAP_AMBIENT: int
    PR_CAP_AMBIENT_IS_SET: int
    PR_CAP_AMBIENT_RAISE: int
    PR_CAP_AMBIENT_LOWER: int
    PR_CAP_AMBIENT_CLEAR_ALL: int
    SECBIT_NOROOT: int
    SECBIT_NOROOT_LOCKED: int
    SECBIT_NO_SETUID_FIXUP: int
    SECBIT_NO_SETUID_FIXUP_LOCKED: int
    SECBIT_KEEP_CAPS: int
    SECBIT_KEEP_CAPS_LOCKED: int
    SECBIT_NO_CAP_AMBIENT_RAISE: int
    SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED: int
    PPY_STEP_CAPGET: int
    PPY_STEP_BOUNDING: int
    PPY_STEP_AMBIENT: int
    PPY_STEP_SECUREBITS: int
    PPY_STEP_NO_NEW_PRIVS: int
    PPY_STEP_KEEPCAPS: int
    PPY_STEP_LIBCAPNG: int
    def capng_capability_to_name(self, capability: int) -> Any: ...
    def capng_name_to_capability(self, name: bytes) -> int: ...
    def ppy_capget(self, effective: Any, permitted: Any, inheritable: Any) -> int: ...
    def ppy_capset(self, effective: int, permitted: int, inheritable: int) -> int: ...
    def ppy_read_state(self, out: Any, last_cap: int) -> int: ...
    def ppy_read_pid(self, pid: int, out: Any, last_cap: int) -> int: ...
    def ppy_prctl(self, option: int, arg2: int, arg3: int, arg4: int, arg5: int) -> int: ...
    def ppy_probe_last_cap(self) -> int: ...

lib: _Lib
ffi: Any
