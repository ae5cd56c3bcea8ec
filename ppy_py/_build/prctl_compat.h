/*
 * prctl options newer than the build machine's <linux/prctl.h> (Debian 12 ships the
 * headers of Linux 6.1). The numbers are the kernel's ABI (include/uapi/linux/prctl.h)
 * and never change; a header that has them wins. An option the running kernel does not
 * know fails with EINVAL, which ppy_py reports as such.
 */
#ifndef PPY_PRCTL_COMPAT_H
#define PPY_PRCTL_COMPAT_H

#include <linux/prctl.h>

/* Memory-deny-write-execute, Linux 6.3 (PR_MDWE_NO_INHERIT: 6.7). */
#ifndef PR_SET_MDWE
#define PR_SET_MDWE 65
#endif
#ifndef PR_GET_MDWE
#define PR_GET_MDWE 66
#endif
#ifndef PR_MDWE_REFUSE_EXEC_GAIN
#define PR_MDWE_REFUSE_EXEC_GAIN (1UL << 0)
#endif
#ifndef PR_MDWE_NO_INHERIT
#define PR_MDWE_NO_INHERIT (1UL << 1)
#endif

/* KSM for the whole process, Linux 6.4. */
#ifndef PR_SET_MEMORY_MERGE
#define PR_SET_MEMORY_MERGE 67
#endif
#ifndef PR_GET_MEMORY_MERGE
#define PR_GET_MEMORY_MERGE 68
#endif

/* Anonymous mapping names, Linux 5.17. */
#ifndef PR_SET_VMA
#define PR_SET_VMA 0x53564d41
#endif
#ifndef PR_SET_VMA_ANON_NAME
#define PR_SET_VMA_ANON_NAME 0
#endif

/* Core scheduling, Linux 5.14. */
#ifndef PR_SCHED_CORE
#define PR_SCHED_CORE 62
#define PR_SCHED_CORE_GET 0
#define PR_SCHED_CORE_CREATE 1
#define PR_SCHED_CORE_SCOPE_THREAD 0
#define PR_SCHED_CORE_SCOPE_THREAD_GROUP 1
#define PR_SCHED_CORE_SCOPE_PROCESS_GROUP 2
#endif

/* L1D flush on context switch, Linux 5.15. */
#ifndef PR_SPEC_L1D_FLUSH
#define PR_SPEC_L1D_FLUSH 2
#endif

#endif
