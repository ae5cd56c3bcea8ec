/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * capget(2)/capset(2) of the calling thread, shared by both compiled modules:
 * ppy_py._capng (cffi, capng_helpers.c) and _ppy_sys (sysmodule.c).
 * Each returns 0 (or a result >= 0), or -errno; nothing is cached, so a
 * change made by other code in this thread is never overwritten.
 */
#ifndef PPY_RAWCAPS_H
#define PPY_RAWCAPS_H

#include <errno.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/capability.h>

/* -errno after a failed call; never 0 (a failure must not read as success). */
static int ppy_neg_errno(void)
{
    return errno > 0 ? -errno : -EIO;
}

static int ppy_capget(uint64_t *e, uint64_t *p, uint64_t *i)
{
    struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct d[2] = { { 0, 0, 0 }, { 0, 0, 0 } };

    *e = *p = *i = 0;
    if (syscall(SYS_capget, &hdr, d) != 0)
        return ppy_neg_errno();
    *e = (uint64_t)d[1].effective << 32 | d[0].effective;
    *p = (uint64_t)d[1].permitted << 32 | d[0].permitted;
    *i = (uint64_t)d[1].inheritable << 32 | d[0].inheritable;
    return 0;
}

static int ppy_capset(uint64_t e, uint64_t p, uint64_t i)
{
    struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct d[2] = {
        { (uint32_t)e, (uint32_t)p, (uint32_t)i },
        { (uint32_t)(e >> 32), (uint32_t)(p >> 32), (uint32_t)(i >> 32) },
    };

    if (syscall(SYS_capset, &hdr, d) != 0)
        return ppy_neg_errno();
    return 0;
}

#endif
