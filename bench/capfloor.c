/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * capfloor: the C floor for the library benchmarks (bench/bench.py compiles and runs it).
 *
 *   capfloor OP BATCHES OPS [PATH]
 *
 * OP is one of
 *   toggle-capset   raise and lower cap_net_bind_service in the effective set, capset(2)
 *                   with prebuilt structs (one op = one change)
 *   toggle-rmw      the same as capget(2) + capset(2) (read-modify-write, never overwriting
 *                   a change made elsewhere: what ppy_py's C helper does)
 *   toggle-capng    the same through libcap-ng: capng_update + capng_apply(CAPNG_SELECT_CAPS)
 *   current-capget  read E/P/I: one capget(2)
 *   current-capng   read E/P/I through libcap-ng: capng_get_caps_process()
 *   current-full    everything ppy_py.current() returns: capget, PR_CAPBSET_READ for each
 *                   capability, PR_CAP_AMBIENT_IS_SET for each one both permitted and
 *                   inheritable (ambient is always within both), securebits, no_new_privs, keepcaps
 *   file-getxattr   read PATH's security.capability xattr: one getxattr(2), no parsing
 *   file-capng      open PATH, capng_get_caps_fd, close
 *
 * Needs cap_net_bind_service in the permitted set for the toggles. Before timing, a raise
 * and a lower are each checked in /proc/self/status (so a silent no-op cannot win), reads
 * are checked to see the capability. After a warm-up it prints one line per batch:
 * the batch's nanoseconds per op.
 */
#define _GNU_SOURCE
#include <cap-ng.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#define CAP CAP_NET_BIND_SERVICE

static struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
static struct __user_cap_data_struct up[2], down[2], got[2];
static const char *path;
static volatile int sink;

static void fail(const char *what)
{
	fprintf(stderr, "capfloor: %s\n", what);
	exit(1);
}

static uint64_t status_mask(const char *field)
{
	char line[256];
	uint64_t v = 0;
	size_t n = strlen(field);
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		fail("cannot read /proc/self/status");
	while (fgets(line, sizeof line, f))
		if (strncmp(line, field, n) == 0)
			v = strtoull(line + n, NULL, 16);
	fclose(f);
	return v;
}

static int effective_has(void)
{
	return (status_mask("CapEff:") >> CAP) & 1;
}

static void op_capset(int on)
{
	if (syscall(SYS_capset, &hdr, on ? up : down) != 0)
		fail("capset");
}

static void op_rmw(int on)
{
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &hdr, d) != 0)
		fail("capget");
	if (on)
		d[0].effective |= 1u << CAP;
	else
		d[0].effective &= ~(1u << CAP);
	if (syscall(SYS_capset, &hdr, d) != 0)
		fail("capset");
}

static unsigned last_cap;

static void op_full(void)
{
	uint64_t bnd = 0, amb = 0, pi;

	if (syscall(SYS_capget, &hdr, got) != 0)
		fail("capget");
	/* Ambient is always within permitted & inheritable: ask only about those. */
	pi = ((uint64_t)got[1].permitted << 32 | got[0].permitted) &
	     ((uint64_t)got[1].inheritable << 32 | got[0].inheritable);
	for (unsigned c = 0; c <= last_cap; c++) {
		int b = prctl(PR_CAPBSET_READ, c, 0, 0, 0);
		int a = (pi >> c & 1) ? prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, c, 0, 0) : 0;
		if (b < 0 || a < 0)
			fail("prctl");
		bnd |= (uint64_t)b << c;
		amb |= (uint64_t)a << c;
	}
	if (prctl(PR_GET_SECUREBITS, 0, 0, 0, 0) < 0 || prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) < 0 ||
	    prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0) < 0)
		fail("prctl");
	sink += (int)(bnd ^ amb);
}

static void op_capng(int on)
{
	if (capng_update(on ? CAPNG_ADD : CAPNG_DROP, CAPNG_EFFECTIVE, CAP) != 0 ||
	    capng_apply(CAPNG_SELECT_CAPS) != 0)
		fail("capng_update/capng_apply");
}

static void op_capget(void)
{
	if (syscall(SYS_capget, &hdr, got) != 0)
		fail("capget");
	sink += (int)got[0].permitted;
}

static void op_capng_get(void)
{
	if (capng_get_caps_process() != 0)
		fail("capng_get_caps_process");
}

static void op_getxattr(void)
{
	char buf[64];

	if (getxattr(path, "security.capability", buf, sizeof buf) <= 0)
		fail("getxattr");
	sink += buf[4];
}

static void op_capng_fd(void)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || capng_get_caps_fd(fd) != 0)
		fail("open/capng_get_caps_fd");
	close(fd);
}

static long long now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void run(const char *op, long ops)
{
	if (strcmp(op, "toggle-capset") == 0)
		for (long i = 0; i < ops; i += 2) {
			op_capset(1);
			op_capset(0);
		}
	else if (strcmp(op, "toggle-rmw") == 0)
		for (long i = 0; i < ops; i += 2) {
			op_rmw(1);
			op_rmw(0);
		}
	else if (strcmp(op, "toggle-capng") == 0)
		for (long i = 0; i < ops; i += 2) {
			op_capng(1);
			op_capng(0);
		}
	else if (strcmp(op, "current-capget") == 0)
		for (long i = 0; i < ops; i++)
			op_capget();
	else if (strcmp(op, "current-capng") == 0)
		for (long i = 0; i < ops; i++)
			op_capng_get();
	else if (strcmp(op, "current-full") == 0)
		for (long i = 0; i < ops; i++)
			op_full();
	else if (strcmp(op, "file-getxattr") == 0)
		for (long i = 0; i < ops; i++)
			op_getxattr();
	else if (strcmp(op, "file-capng") == 0)
		for (long i = 0; i < ops; i++)
			op_capng_fd();
	else
		fail("unknown OP");
}

int main(int argc, char **argv)
{
	const char *op;
	long batches, ops;

	if (argc < 4)
		fail("usage: capfloor OP BATCHES OPS [PATH]");
	op = argv[1];
	batches = atol(argv[2]);
	ops = atol(argv[3]) & ~1L;
	path = argc > 4 ? argv[4] : "/";
	{
		FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
		if (!f || fscanf(f, "%u", &last_cap) != 1 || last_cap > 63)
			fail("cannot read cap_last_cap");
		fclose(f);
	}

	/* Prebuilt structs: the current sets with CAP in E (up) and without it (down). */
	if (syscall(SYS_capget, &hdr, up) != 0)
		fail("capget");
	if (!(up[0].permitted & (1u << CAP)))
		fail("cap_net_bind_service is not in the permitted set");
	up[0].effective |= 1u << CAP;
	memcpy(down, up, sizeof down);
	down[0].effective &= ~(1u << CAP);
	if (capng_get_caps_process() != 0)
		fail("capng_get_caps_process");

	/* Check the operation really does what it says before timing it. */
	if (strncmp(op, "toggle-", 7) == 0) {
		void (*f)(int) = strcmp(op, "toggle-capset") == 0 ? op_capset
				 : strcmp(op, "toggle-rmw") == 0  ? op_rmw
								    : op_capng;
		f(1);
		if (!effective_has())
			fail("raise did not show in /proc/self/status");
		f(0);
		if (effective_has())
			fail("lower did not show in /proc/self/status");
	} else if (strcmp(op, "current-capget") == 0) {
		op_capget();
		if (!(got[0].permitted & (1u << CAP)))
			fail("capget does not show the capability");
	} else if (strcmp(op, "current-full") == 0) {
		op_full();
		if (!(got[0].permitted & (1u << CAP)))
			fail("capget does not show the capability");
	} else if (strcmp(op, "current-capng") == 0) {
		op_capng_get();
		if (capng_have_capability(CAPNG_PERMITTED, CAP) != 1)
			fail("capng does not show the capability");
	} else if (strcmp(op, "file-capng") == 0) {
		op_capng_fd();
		if (capng_have_capability(CAPNG_PERMITTED, CAP) != 1)
			fail("capng_get_caps_fd does not show the capability");
	}

	run(op, ops / 10 + 2); /* warm-up */
	for (long b = 0; b < batches; b++) {
		long long t0 = now();
		run(op, ops);
		printf("%.1f\n", (double)(now() - t0) / (double)ops);
	}
	return 0;
}
