/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vgshim: preloaded into ppy under valgrind (test-only; make check-valgrind).
 *
 * Valgrind 3.19's capget wrapper marks only one __user_cap_data_struct as written, but
 * with _LINUX_CAPABILITY_VERSION_2/3 the kernel fills two. memcheck then flags every use
 * of the upper 32 capability bits (ppy's kernel_caps(), libcap-ng's capng_update) as
 * uninitialised. This shim zeroes both structs before the real call, so the bytes the
 * kernel then writes are seen as defined; it changes no value ppy sees.
 *
 * Valgrind 3.19 also treats execveat(fd, "", {NULL}, {NULL}, AT_EMPTY_PATH |
 * AT_EXECVE_CHECK) (Linux 6.14: "would the kernel exec this?", which execs nothing) as a
 * real exec: it reads argv[0] through the NULL and then tries to run the file. The shim
 * answers that call EINVAL, as a kernel before 6.14 does, so under valgrind ppy takes its
 * fallback (the read-lease probe). The AT_EXECVE_CHECK branch is therefore not run under
 * valgrind; the ASan build and the normal suite run it.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <linux/capability.h>
#include <stdarg.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int capget(cap_user_header_t h, cap_user_data_t d);

static void zero(cap_user_header_t h, cap_user_data_t d)
{
	if (h && d && h->version != _LINUX_CAPABILITY_VERSION_1)
		memset(d, 0, 2 * sizeof *d);
}

long syscall(long nr, ...)
{
	static long (*real)(long, ...);
	va_list ap;
	long a[6];

	va_start(ap, nr);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (!real)
		real = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
	if (nr == SYS_capget)
		zero((cap_user_header_t)a[0], (cap_user_data_t)a[1]);
	if (nr == SYS_execveat && (a[4] & 0x10000 /* AT_EXECVE_CHECK */)) {
		errno = EINVAL;
		return -1;
	}
	return real(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

int capget(cap_user_header_t h, cap_user_data_t d)
{
	static int (*real)(cap_user_header_t, cap_user_data_t);

	if (!real)
		real = (int (*)(cap_user_header_t, cap_user_data_t))dlsym(RTLD_NEXT, "capget");
	zero(h, d);
	return real(h, d);
}
