/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * C helpers compiled into ppy_py._capng (see capng.h for the contract).
 *
 * Rules kept here:
 *  - every system call result is checked; errno is copied at once;
 *  - a helper either does its whole job or reports the first failure;
 *  - libcap-ng's staging state is per thread: a helper that uses it saves
 *    the caller's state, initialises it in this thread, and restores it, all
 *    inside one call, so the thread that reads is the thread that used it.
 */
#include <errno.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <cap-ng.h>

#include "rawcaps.h"

#define PPY_STEP_CAPGET 1
#define PPY_STEP_BOUNDING 2
#define PPY_STEP_AMBIENT 3
#define PPY_STEP_SECUREBITS 4
#define PPY_STEP_NO_NEW_PRIVS 5
#define PPY_STEP_KEEPCAPS 6
#define PPY_STEP_LIBCAPNG 7

struct ppy_state {
    uint64_t effective;
    uint64_t permitted;
    uint64_t inheritable;
    uint64_t bounding;
    uint64_t ambient;
    int securebits;
    int no_new_privs;
    int keep_caps;
    int failed_step;
    int capng_rc;
};

static long ppy_prctl(int option, unsigned long a2, unsigned long a3,
                      unsigned long a4, unsigned long a5)
{
    int rc = prctl(option, a2, a3, a4, a5);

    if (rc < 0)
        return ppy_neg_errno();
    return rc;
}

static int ppy_read_state(struct ppy_state *st, int last_cap)
{
    int cap, rc;

    st->bounding = st->ambient = 0;
    st->failed_step = st->capng_rc = 0;
    rc = ppy_capget(&st->effective, &st->permitted, &st->inheritable);
    if (rc != 0) {
        st->failed_step = PPY_STEP_CAPGET;
        return rc;
    }
    for (cap = 0; cap <= last_cap && cap < 64; cap++) {
        rc = prctl(PR_CAPBSET_READ, (unsigned long)cap, 0UL, 0UL, 0UL);
        if (rc < 0) {
            st->failed_step = PPY_STEP_BOUNDING;
            return ppy_neg_errno();
        }
        if (rc)
            st->bounding |= (uint64_t)1 << cap;
        /* The kernel keeps ambient within permitted & inheritable (it drops an
           ambient bit whenever either loses it): ask only about those. */
        if (!((st->permitted & st->inheritable) >> cap & 1))
            continue;
        rc = prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, (unsigned long)cap, 0UL, 0UL);
        if (rc < 0) {
            st->failed_step = PPY_STEP_AMBIENT;
            return ppy_neg_errno();
        }
        if (rc)
            st->ambient |= (uint64_t)1 << cap;
    }
    rc = prctl(PR_GET_SECUREBITS, 0UL, 0UL, 0UL, 0UL);
    if (rc < 0) {
        st->failed_step = PPY_STEP_SECUREBITS;
        return ppy_neg_errno();
    }
    st->securebits = rc;
    rc = prctl(PR_GET_NO_NEW_PRIVS, 0UL, 0UL, 0UL, 0UL);
    if (rc < 0) {
        st->failed_step = PPY_STEP_NO_NEW_PRIVS;
        return ppy_neg_errno();
    }
    st->no_new_privs = rc;
    rc = prctl(PR_GET_KEEPCAPS, 0UL, 0UL, 0UL, 0UL);
    if (rc < 0) {
        st->failed_step = PPY_STEP_KEEPCAPS;
        return ppy_neg_errno();
    }
    st->keep_caps = rc;
    return 0;
}

static int ppy_read_pid(int pid, struct ppy_state *st, int last_cap)
{
    static const capng_type_t kinds[5] = {
        CAPNG_EFFECTIVE, CAPNG_PERMITTED, CAPNG_INHERITABLE,
        CAPNG_BOUNDING_SET, CAPNG_AMBIENT,
    };
    uint64_t *masks[5] = {
        &st->effective, &st->permitted, &st->inheritable,
        &st->bounding, &st->ambient,
    };
    void *saved;
    int k, cap, rc, err;

    st->effective = st->permitted = st->inheritable = 0;
    st->bounding = st->ambient = 0;
    st->securebits = st->no_new_privs = st->keep_caps = -1;
    st->failed_step = st->capng_rc = 0;

    /* Keep whatever this thread had staged (another user of libcap-ng in
       the same process must not see it change). */
    saved = capng_save_state();
    if (saved == NULL) {
        st->failed_step = PPY_STEP_LIBCAPNG;
        return -ENOMEM;
    }
    capng_setpid(pid);
    errno = 0;
    rc = capng_get_caps_process();
    err = errno;
    if (rc != 0) {
        st->failed_step = PPY_STEP_LIBCAPNG;
        st->capng_rc = rc;
        capng_restore_state(&saved);
        /* libcap-ng does not always set errno: say EIO then. */
        return -(err ? err : EIO);
    }
    for (k = 0; k < 5; k++)
        for (cap = 0; cap <= last_cap && cap < 64; cap++)
            if (capng_have_capability(kinds[k], (unsigned int)cap) == 1)
                *masks[k] |= (uint64_t)1 << cap;
    capng_restore_state(&saved);
    return 0;
}

static int ppy_probe_last_cap(void)
{
    int cap;

    for (cap = 0; cap < 64; cap++)
        if (prctl(PR_CAPBSET_READ, (unsigned long)cap, 0UL, 0UL, 0UL) < 0) {
            if (errno != EINVAL)
                return ppy_neg_errno();
            return cap - 1;
        }
    return 63;
}
