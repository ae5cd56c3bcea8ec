/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ppy: run a Python script with exactly the capabilities set on it, as its owner.
 *
 *   setcap cap_net_bind_service=p /srv/app/serve.py    (script owned by svc:svc)
 *   ppy /srv/app/serve.py --port 80                    (or #!/usr/local/bin/ppy)
 *
 * ppy is installed with file capabilities (permitted only, never effective), so it starts
 * with an empty effective set and touches every path with the caller's own rights. It reads
 * the script once, through one descriptor, decides, copies that content into a sealed memfd,
 * becomes the script's owner, and execs a fixed interpreter on a fixed boot module that runs
 * the sealed copy. The boot module (LIBDIR/python/ppy_boot.py) then empties the inheritable
 * and ambient sets so no child inherits anything, and lowers the effective set unless the
 * file asked for it.
 *
 * MUST, on every launch, or refuse with one line on stderr and a documented status:
 *  - never exec with more than the script's own capabilities (P = I = A = fP|fI, E = 0,
 *    bounding set empty, no_new_privs), as uid/gid = the script's owner, with no groups;
 *    every system call checked, and the final state read back from the kernel before exec;
 *  - trust nothing from the caller: argv, environment, fds, rlimits, signals, timers, umask,
 *    controlling tty, the script path;
 *  - run exactly the bytes whose capabilities were read (sealed copy, re-checked after reading;
 *    a file anyone holds open for writing is refused, as the kernel refuses to exec it);
 *  - refuse scripts that are not regular, writable by others, set-id, owned by uid/gid 0,
 *    below a directory writable by others, on nosuid/noexec mounts, unreadable or not
 *    executable by the caller, or whose capability xattr is missing, malformed or namespaced;
 *  - check again, after becoming the owner, what the caller could still change before it
 *    (resource limits), and that no controlling terminal is left.
 * MUST NOT: search PATH, parse caller input as interpreter options, use NSS, re-exec itself.
 */
#define _GNU_SOURCE
#include <cap-ng.h>
#include <ctype.h>
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "../ppy_py/_build/origin.h"   /* where code may come from; shared with the boot */

#ifndef PPY_PYTHON
#error "build with -DPPY_PYTHON=\"/usr/bin/python3\" (see Makefile)"
#endif
#ifndef PPY_LIBDIR
#error "build with -DPPY_LIBDIR=\"/usr/local/lib/ppy\" (see Makefile)"
#endif
#ifndef PPY_CONF
#error "build with -DPPY_CONF=\"/usr/local/etc/ppy.conf\" (see Makefile)"
#endif
#ifndef PPY_GRANTABLE
#define PPY_GRANTABLE "all"
#endif
#ifndef PPY_VERSION
#define PPY_VERSION "0.1.0"
#endif

/* Exit statuses: part of the interface (README, ppy --help). */
enum {
	PPY_EX_USAGE    = 64, /* bad command line */
	PPY_EX_NOSCRIPT = 66, /* the caller cannot open the script */
	PPY_EX_FILE     = 80, /* the script file fails a check (type, owner, mode, permission) */
	PPY_EX_DIR      = 81, /* a directory above the script is writable by someone else */
	PPY_EX_MOUNT    = 82, /* the script is on a nosuid or noexec mount */
	PPY_EX_CAPS     = 83, /* missing, malformed, namespaced or ungrantable file capabilities */
	PPY_EX_CHANGED  = 84, /* the script changed while ppy read it */
	PPY_EX_CALLER   = 85, /* the caller's process state is refused */
	PPY_EX_INSTALL  = 86, /* ppy, its interpreter or its boot files are not installed safely */
	PPY_EX_SYSCALL  = 87, /* a system call failed while dropping privileges or starting Python */
};

#define PPY_MAX_SCRIPT (64L << 20)   /* largest script ppy copies (bytes) */
#define PPY_STACK_LIMIT (8L << 20)   /* RLIMIT_STACK soft limit given to the script */
#define PPY_TIMER_SLACK 50000UL      /* ns: the most timer slack the script inherits */
#define PPY_SCRIPT_FD 3              /* where the interpreter finds the sealed script */
#define PPY_INTERP_FD 4              /* the checked interpreter, exec'd by descriptor */
#define PPY_MAX_INTERPRETERS 64      /* interpreter lines in PPY_CONF */
#define PPY_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define XATTR_CAPS "security.capability"
/* Calls and flags newer than Linux 4.18, for headers that predate them; each use has a
   fallback (or a refusal naming the kernel feature) where the kernel lacks it. */
#ifndef AT_EXECVE_CHECK
#define AT_EXECVE_CHECK 0x10000       /* Linux 6.14 */
#endif
#ifndef SCHED_DEADLINE
#define SCHED_DEADLINE 6
#endif
#define IOPRIO_WHO_PROCESS 1          /* <linux/ioprio.h>, which older headers lack */
#define IOPRIO_CLASS_SHIFT 13
#define IOPRIO_CLASS_RT 1
#ifndef SYS_close_range
#define SYS_close_range 436           /* Linux 5.9; the same number on every architecture */
#endif
#define BIT(c) (UINT64_C(1) << (c))
/* What ppy itself needs: switch ids and empty the bounding set. All three are in Docker's
   (and containerd's, and Kubernetes') default bounding set. */
#define NEEDED (BIT(CAP_SETUID) | BIT(CAP_SETGID) | BIT(CAP_SETPCAP))

static char script_shown[PATH_MAX * 4 + 1]; /* the script argument, escaped, for messages */
static int logging;                          /* syslog is open: refusals are logged too */
static unsigned last_cap;                    /* the running kernel's highest capability */
static int init_userns;                      /* /proc/self/uid_map is the initial one */

/* ---------------------------------------------------------------- errors */

static void read_proc(const char *path, char *buf, size_t size);

static void say(const char *raw)
{
	static char msg[4 * 4096 + 1], line[sizeof msg + sizeof script_shown + 16];

	/* Names in RAW were escaped where they came in (a backslash as \x5c); this pass
	   catches any control byte left, and leaves backslashes, so nothing is escaped twice. */
	ppy_escape_bytes(raw, msg, sizeof msg, 0);
	/* Formatted here and written with fputs: glibc's fprintf to the unbuffered stderr
	   would take an 8 KiB buffer on the stack, which a small RLIMIT_STACK may not have. */
	if (script_shown[0])
		snprintf(line, sizeof line, "ppy: %s: %s\n", script_shown, msg);
	else
		snprintf(line, sizeof line, "ppy: %s\n", msg);
	fputs(line, stderr);
	if (logging)
		syslog(LOG_AUTHPRIV | LOG_WARNING, "refused: uid=%u script=%s: %s",
		       (unsigned)getuid(), script_shown[0] ? script_shown : "-", msg);
}

/* The one way out on failure: one line on stderr (and syslog), a documented status. */
__attribute__((noreturn, format(printf, 2, 3)))
static void die(int status, const char *fmt, ...)
{
	static char msg[4096];   /* static: refusing must not need much stack (stack_limit) */
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (len >= (int)sizeof msg)   /* cut short: said, never passed off as the whole */
		memcpy(msg + sizeof msg - 4, "...", 4);
	say(msg);
	_exit(status);
}

/* Like die(), with strerror(errno) appended. errno is saved before anything else runs. */
__attribute__((noreturn, format(printf, 2, 3)))
static void die_errno(int status, const char *fmt, ...)
{
	int saved = errno;
	static char msg[4096];   /* static, as die()'s; a different buffer, passed to it */
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	die(status, "%s: %s", msg, strerror(saved));
}

/* How a name (a path, an argument) is shown: every byte outside printable ASCII, and a
   backslash, as \xNN (origin.h's escape, shared with the boot). */
static void escape(const char *s, char *out, size_t size)
{
	ppy_origin_escape(s, out, size);
}

/* ---------------------------------------------------------------- capabilities */

static const char *cap_name(unsigned c, char *buf, size_t size)
{
	const char *n = capng_capability_to_name(c);

	if (n)
		snprintf(buf, size, "cap_%s", n);
	else
		snprintf(buf, size, "cap_%u", c);
	return buf;
}

static const char *caps_text(uint64_t set, char *buf, size_t size)
{
	char one[48];
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned c = 0; c <= last_cap; c++)
		if (set & BIT(c))
			n += (size_t)snprintf(buf + n, n < size ? size - n : 0, "%s%s",
					      n ? "," : "", cap_name(c, one, sizeof one));
	if (!buf[0])
		snprintf(buf, size, "none");
	return buf;
}

/* The highest capability the kernel knows; every loop over capabilities stops there, and
   verify_owner() checks that the kernel knows none beyond it. */
static unsigned read_last_cap(void)
{
	char buf[32], *end;
	unsigned long v;

	read_proc("/proc/sys/kernel/cap_last_cap", buf, sizeof buf);
	errno = 0;
	v = strtoul(buf, &end, 10);
	if (errno || end == buf || (*end != '\n' && *end != '\0') || v < CAP_SETFCAP || v > 63)
		die(PPY_EX_CALLER, "cannot read /proc/sys/kernel/cap_last_cap");
	return (unsigned)v;
}

/* The capabilities ppy may ever grant, fixed at build time (make GRANTABLE=...). */
static uint64_t grantable(void)
{
	char list[] = PPY_GRANTABLE;
	uint64_t set = 0;
	char *save = NULL;

	if (strcmp(list, "all") == 0)
		return last_cap == 63 ? ~UINT64_C(0) : BIT(last_cap + 1) - 1;
	for (char *w = strtok_r(list, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		int c = capng_name_to_capability(strncasecmp(w, "cap_", 4) == 0 ? w + 4 : w);
		if (c < 0 || (unsigned)c > last_cap)
			die(PPY_EX_INSTALL, "built with unknown capability '%s' in GRANTABLE", w);
		set |= BIT(c);
	}
	return set;
}

/* The kernel's own view of our capability sets (not libcap-ng's copy of it). */
static void kernel_caps(uint64_t *eff, uint64_t *perm, uint64_t *inh)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = { { 0, 0, 0 }, { 0, 0, 0 } };

	if (syscall(SYS_capget, &hdr, d) != 0)
		die_errno(PPY_EX_SYSCALL, "capget");
	*eff = d[0].effective | (uint64_t)d[1].effective << 32;
	*perm = d[0].permitted | (uint64_t)d[1].permitted << 32;
	*inh = d[0].inheritable | (uint64_t)d[1].inheritable << 32;
}

/* Set exactly these permitted, effective and inheritable sets, through libcap-ng. */
static void set_caps(uint64_t perm, uint64_t eff, uint64_t inh, const char *step)
{
	capng_clear(CAPNG_SELECT_CAPS);
	for (unsigned c = 0; c <= last_cap; c++) {
		int type = (perm & BIT(c) ? CAPNG_PERMITTED : 0) |
			   (eff & BIT(c) ? CAPNG_EFFECTIVE : 0) |
			   (inh & BIT(c) ? CAPNG_INHERITABLE : 0);
		if (type && capng_update(CAPNG_ADD, (capng_type_t)type, c) != 0)
			die(PPY_EX_SYSCALL, "%s: capng_update failed for capability %u", step, c);
	}
	/* capng_apply does not always set errno; EPERM is what the kernel would say. */
	errno = EPERM;
	if (capng_apply(CAPNG_SELECT_CAPS) != 0)
		die_errno(PPY_EX_SYSCALL, "%s: capng_apply", step);
}

/* ---------------------------------------------------------------- the caller's process */

/* Open a /proc file, making sure it really is procfs. */
static int open_proc(const char *path)
{
	struct statfs sfs;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		die_errno(PPY_EX_CALLER, "cannot open %s", path);
	if (fstatfs(fd, &sfs) != 0 || sfs.f_type != PROC_SUPER_MAGIC)
		die(PPY_EX_CALLER, "%s is not on procfs", path);
	return fd;
}

/* Read a /proc/self file, making sure it really is procfs. */
static void read_proc(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd = open_proc(path);

	n = read(fd, buf, size - 1);
	if (n < 0)
		die_errno(PPY_EX_CALLER, "cannot read %s", path);
	buf[n] = '\0';
	close(fd);
}

/* All of a /proc file, however long: /proc/self/status lists every supplementary group,
   up to 65536 of them (over 700 KB). The caller frees it. */
static char *read_proc_all(const char *path)
{
	size_t size = 16384, len = 0;
	char *buf = malloc(size), *more;
	int fd = open_proc(path);

	for (;;) {
		if (!buf)
			die(PPY_EX_SYSCALL, "out of memory reading %s", path);
		ssize_t n = read(fd, buf + len, size - len - 1);
		if (n < 0)
			die_errno(PPY_EX_CALLER, "cannot read %s", path);
		if (n == 0)
			break;
		len += (size_t)n;
		if (len + 1 == size) {
			if (size >= (16UL << 20))
				die(PPY_EX_CALLER, "%s is longer than %zu bytes", path, size);
			more = realloc(buf, size *= 2);
			if (!more)
				free(buf);
			buf = more;
		}
	}
	buf[len] = '\0';
	close(fd);
	return buf;
}

static long status_field(const char *status, const char *name)
{
	const char *p = strstr(status, name);

	if (!p)
		die(PPY_EX_CALLER, "no %s in /proc/self/status", name);
	return strtol(p + strlen(name), NULL, 10);
}

/* Refuse a caller that would make the launch run degraded or observable. */
static void check_caller(void)
{
	unsigned long inside, outside, count;
	char buf[4096], more, *status;
	long tracer;
	int mdwe;

	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 0)
		die(PPY_EX_CALLER, "started with no_new_privs set (Kubernetes allowPrivilegeEscalation: "
		    "false, systemd NoNewPrivileges=, docker --security-opt no-new-privileges), under "
		    "which the kernel ignores file capabilities, ppy's and the script's; allow privilege "
		    "escalation for this container or service (ppy sets no_new_privs for the script "
		    "itself), or start the program with ambient capabilities instead of ppy");
	status = read_proc_all("/proc/self/status");
	if ((tracer = status_field(status, "\nTracerPid:")) != 0)
		die(PPY_EX_CALLER, "ppy is being traced (by process %ld); refusing to run under a "
		    "debugger", tracer);
	if (status_field(status, "\nThreads:") != 1)
		die(PPY_EX_CALLER, "more than one thread at start (credentials are per-thread)");
	free(status);
	/* Memory-deny-write-execute can never be cleared once set: a caller's would make a
	   privileged step that needs writable code (a ctypes callback, a JIT) fail halfway.
	   (Before Linux 6.3 the option does not exist: EINVAL, nothing set.) */
	mdwe = prctl(66 /* PR_GET_MDWE */, 0, 0, 0, 0);
	if (mdwe < 0 && errno != EINVAL)
		die_errno(PPY_EX_SYSCALL, "prctl(PR_GET_MDWE)");
	if (mdwe > 0)
		die(PPY_EX_CALLER, "started with memory-deny-write-execute set (prctl PR_SET_MDWE), "
		    "which no process can clear; start the script from a process without it");
	/* A user namespace (a rootless or userns-remapped container) is fine: ids, the
	   capability xattr and ppy's own capabilities are all read as the kernel shows them
	   here, and the capabilities granted count only in this namespace, as an exec's would. */
	read_proc("/proc/self/uid_map", buf, sizeof buf);
	init_userns = sscanf(buf, "%lu %lu %lu %c", &inside, &outside, &count, &more) == 3 &&
		      inside == 0 && outside == 0 && count == 4294967295UL;
}

/* Keep a caller variable only if it is short, printable and names no file. */
static int safe_value(const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || n > 128 || strchr(v, '/') || strchr(v, '%') || strstr(v, ".."))
		return 0;
	for (; *v; v++)
		if (*v < 0x20 || *v > 0x7e)
			return 0;
	return 1;
}

/* Copy the allow-listed caller variables out of ENVP into KEEP, then empty the environment. */
static size_t keep_caller_env(char **envp, char **keep, size_t max)
{
	static const char *allowed[] = { "TERM=", "LANG=", "LANGUAGE=", "TZ=", "LC_", NULL };
	size_t n = 0;

	for (char **e = envp; e && *e && n < max; e++) {
		const char *eq = strchr(*e, '=');
		for (const char **a = allowed; eq && *a; a++)
			if (strncmp(*e, *a, strlen(*a)) == 0 && safe_value(eq + 1)) {
				/* LC_ names: letters and '_' only. */
				if (strncmp(*a, "LC_", 3) == 0 &&
				    strspn(*e, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_") != (size_t)(eq - *e))
					continue;
				if (!(keep[n++] = strdup(*e)))
					die_errno(PPY_EX_SYSCALL, "strdup");
				break;
			}
	}
	if (clearenv() != 0)
		die(PPY_EX_SYSCALL, "clearenv failed");
	return n;
}

/* The controlling terminal's device number, from /proc/self/stat (0: none). */
static unsigned long tty_nr(void)
{
	char buf[1024], *p;
	unsigned long nr;

	read_proc("/proc/self/stat", buf, sizeof buf);
	p = strrchr(buf, ')');     /* the command name may contain anything */
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %lu", &nr) != 1)
		die(PPY_EX_CALLER, "cannot parse /proc/self/stat");
	return nr;
}

/* A hard RLIMIT_STACK of at least 1 MiB, and the soft limit raised to PPY_STACK_LIMIT
   (or the hard one). Called first from main(), in a small frame, then with the others. */
static void stack_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_STACK, &rl) != 0)
		die_errno(PPY_EX_SYSCALL, "getrlimit(RLIMIT_STACK)");
	if (rl.rlim_max < (1L << 20))
		die(PPY_EX_CALLER, "the caller's hard RLIMIT_STACK (%llu) is below 1 MiB",
		    (unsigned long long)rl.rlim_max);
	rl.rlim_cur = rl.rlim_max < PPY_STACK_LIMIT ? rl.rlim_max : PPY_STACK_LIMIT;
	if (setrlimit(RLIMIT_STACK, &rl) != 0)
		die_errno(PPY_EX_SYSCALL, "setrlimit(RLIMIT_STACK)");
}

/*
 * Resource limits: no core dumps, a normal stack, and none of the limits that could cut
 * a privileged step short. Applied once at start (to refuse early) and again after the
 * switch to the owner, when the caller can no longer change them with prlimit(2).
 */
static void apply_limits(void)
{
	static const struct { int res; const char *name; } cut[] = {
		{ RLIMIT_CPU, "RLIMIT_CPU" }, { RLIMIT_FSIZE, "RLIMIT_FSIZE" },
		{ RLIMIT_AS, "RLIMIT_AS" }, { RLIMIT_DATA, "RLIMIT_DATA" },
		{ RLIMIT_RTTIME, "RLIMIT_RTTIME" },
	}, counted[] = {
		{ RLIMIT_NPROC, "RLIMIT_NPROC" }, { RLIMIT_SIGPENDING, "RLIMIT_SIGPENDING" },
		{ RLIMIT_MEMLOCK, "RLIMIT_MEMLOCK" }, { RLIMIT_MSGQUEUE, "RLIMIT_MSGQUEUE" },
	};
	struct rlimit rl;

	rl.rlim_cur = rl.rlim_max = 0;
	if (setrlimit(RLIMIT_CORE, &rl) != 0)
		die_errno(PPY_EX_SYSCALL, "setrlimit(RLIMIT_CORE)");
	stack_limit();
	for (size_t i = 0; i < sizeof cut / sizeof cut[0]; i++) {
		if (getrlimit(cut[i].res, &rl) != 0)
			die_errno(PPY_EX_SYSCALL, "getrlimit(%s)", cut[i].name);
		if (rl.rlim_max != RLIM_INFINITY)
			die(PPY_EX_CALLER, "the caller's hard %s (%llu) could cut the script off "
			    "mid-operation; run it without that limit", cut[i].name,
			    (unsigned long long)rl.rlim_max);
		rl.rlim_cur = RLIM_INFINITY;
		if (setrlimit(cut[i].res, &rl) != 0)
			die_errno(PPY_EX_SYSCALL, "setrlimit(%s)", cut[i].name);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		die_errno(PPY_EX_SYSCALL, "getrlimit(RLIMIT_NOFILE)");
	if (rl.rlim_max < 64)
		die(PPY_EX_CALLER, "the caller's hard RLIMIT_NOFILE (%llu) is below 64",
		    (unsigned long long)rl.rlim_max);
	if (rl.rlim_cur < 1024) {
		rl.rlim_cur = rl.rlim_max < 1024 ? rl.rlim_max : 1024;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			die_errno(PPY_EX_SYSCALL, "setrlimit(RLIMIT_NOFILE)");
	}
	/* Budgets of the owner's whole account (its processes, queued signals, locked memory,
	   message-queue bytes): a failure shows as an error of the call that needs more, and
	   no floor ppy could check would guarantee one, as the owner's other processes count
	   too. The soft limit goes up to the hard one; the hard one, which only
	   CAP_SYS_RESOURCE could raise, is kept. */
	for (size_t i = 0; i < sizeof counted / sizeof counted[0]; i++) {
		if (getrlimit(counted[i].res, &rl) != 0)
			die_errno(PPY_EX_SYSCALL, "getrlimit(%s)", counted[i].name);
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(counted[i].res, &rl) != 0)
			die_errno(PPY_EX_SYSCALL, "setrlimit(%s)", counted[i].name);
	}
}

/*
 * Close every descriptor from LOW up: close_range(2), or, where the kernel lacks it (before
 * 5.9) or a container's seccomp profile refuses it, each descriptor /proc/self/fd lists,
 * read again afterwards to make sure none is left.
 */
static void close_from(unsigned low)
{
	struct statfs sfs;
	DIR *d;
	int dir;

	if (syscall(SYS_close_range, low, ~0U, 0) == 0)
		return;
	if (errno != ENOSYS && errno != EPERM)
		die_errno(PPY_EX_SYSCALL, "close_range");
	dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0 || fstatfs(dir, &sfs) != 0 || sfs.f_type != PROC_SUPER_MAGIC ||
	    !(d = fdopendir(dir)))
		die(PPY_EX_SYSCALL, "close_range is not available and /proc/self/fd cannot be read");
	for (int pass = 0; pass < 2; pass++) {
		struct dirent *e;
		rewinddir(d);
		while ((errno = 0, e = readdir(d))) {
			char *end;
			unsigned long fd = strtoul(e->d_name, &end, 10);
			if (*end || end == e->d_name || fd < low || (int)fd == dir)
				continue;
			if (pass)
				die(PPY_EX_SYSCALL, "descriptor %lu is still open", fd);
			(void)close((int)fd); /* released even when close reports an error */
		}
		if (errno)
			die_errno(PPY_EX_SYSCALL, "reading /proc/self/fd");
	}
	closedir(d);
}

/*
 * Scheduling. A priority above what any process may take for itself (a negative nice
 * value, a real-time or deadline policy, the real-time I/O class) is the caller's, not
 * the script's: it goes back to the default, and RLIMIT_NICE and RLIMIT_RTPRIO to 0 so
 * that the script cannot take it again. A lower one (nice -n 10, chrt --idle or --batch,
 * ionice -c3, taskset) is the caller's choice to spend less of the machine on its own
 * request and only slows the script down, as the caller could anyway: it is kept.
 */
static void reset_scheduling(void)
{
	struct sched_param zero = { 0 };
	struct rlimit none = { 0, 0 };
	int policy, prio;

	/* The system calls themselves: musl's wrappers answer ENOSYS (POSIX's per-process
	   scheduling is not Linux's per-thread one). */
	if ((policy = (int)syscall(SYS_sched_getscheduler, 0)) < 0)
		die_errno(PPY_EX_SYSCALL, "sched_getscheduler");
	prio = policy & ~SCHED_RESET_ON_FORK;
	/* SCHED_RESET_ON_FORK stays: only a privileged process may clear it. */
	if ((prio == SCHED_FIFO || prio == SCHED_RR || prio == SCHED_DEADLINE) &&
	    syscall(SYS_sched_setscheduler, 0, SCHED_OTHER | (policy & SCHED_RESET_ON_FORK),
		    &zero) != 0)
		die_errno(PPY_EX_SYSCALL, "leaving the caller's real-time scheduling policy");
	errno = 0;
	prio = getpriority(PRIO_PROCESS, 0);
	if (errno)
		die_errno(PPY_EX_SYSCALL, "getpriority");
	if (prio < 0 && setpriority(PRIO_PROCESS, 0, 0) != 0)
		die_errno(PPY_EX_SYSCALL, "setpriority");
	if ((prio = (int)syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, 0)) < 0)
		die_errno(PPY_EX_SYSCALL, "ioprio_get");
	if ((prio >> IOPRIO_CLASS_SHIFT) == IOPRIO_CLASS_RT &&
	    syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, 0) != 0)
		die_errno(PPY_EX_SYSCALL, "ioprio_set");
	if (setrlimit(RLIMIT_NICE, &none) != 0 || setrlimit(RLIMIT_RTPRIO, &none) != 0)
		die_errno(PPY_EX_SYSCALL, "setrlimit(RLIMIT_NICE, RLIMIT_RTPRIO)");
}

/* Take every signal the caller left pending (blocked across exec) off the queue, glibc's
   own two (32, 33) included: none is delivered to ppy, none reaches the script. */
static void drain_signals(void)
{
	uint64_t all = ~(BIT(SIGKILL - 1) | BIT(SIGSTOP - 1));
	struct timespec now = { 0, 0 };

	while (syscall(SYS_rt_sigtimedwait, &all, NULL, &now, sizeof all) > 0)
		;
	if (errno != EAGAIN)
		die_errno(PPY_EX_SYSCALL, "rt_sigtimedwait");
}

/* The wait status of CHILD, once it has ended. */
static int reap(pid_t child)
{
	int status;

	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			die_errno(PPY_EX_SYSCALL, "waitpid");
	return status;
}

/*
 * ppy leads the session of its controlling terminal (script -c SCRIPT, ssh -t host
 * SCRIPT): a leader cannot stop leading, and only a living leader keeps the terminal
 * from being taken (TIOCSCTTY) by whoever has it open. So this process stays behind as
 * that leader, the caller's own: it drops every capability, ignores SIGINT and SIGQUIT
 * (the terminal's Ctrl-C and Ctrl-\ are meant for the script, in the same process group),
 * waits, and ends as the script ends. Only then does the launch go on, in the child, which leads nothing.
 */
static void keep_session(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct none[2] = { { 0, 0, 0 }, { 0, 0, 0 } };
	struct sigaction ign = { .sa_handler = SIG_IGN }, dfl = { .sa_handler = SIG_DFL };
	int go[2], status;
	char byte = 1;
	pid_t child;

	if (pipe2(go, O_CLOEXEC) != 0)
		die_errno(PPY_EX_SYSCALL, "pipe");
	if ((child = fork()) < 0)
		die_errno(PPY_EX_SYSCALL, "fork");
	if (child == 0) {
		close(go[1]);
		if (read(go[0], &byte, 1) != 1)
			die(PPY_EX_SYSCALL, "the session leader ppy keeps did not start");
		close(go[0]);
		return;
	}
	close(go[0]);
	if (syscall(SYS_capset, &hdr, none) != 0 || sigaction(SIGINT, &ign, NULL) != 0 ||
	    sigaction(SIGQUIT, &ign, NULL) != 0 || write(go[1], &byte, 1) != 1) {
		int saved = errno;
		kill(child, SIGKILL);
		errno = saved;
		die_errno(PPY_EX_SYSCALL, "staying behind as the session leader");
	}
	close(go[1]);
	status = reap(child);
	if (WIFSIGNALED(status) && sigaction(WTERMSIG(status), &dfl, NULL) == 0)
		kill(getpid(), WTERMSIG(status));    /* end as the script ended */
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

/*
 * Whether a session could make the terminal on FD its own (TIOCSCTTY without stealing):
 * one that no session controls. A child tries, as the leader of a new session, and gives
 * it back (TIOCNOTTY) before it ends: a leader that ends holding a terminal that is not a
 * pseudo-terminal hangs it up, for everyone who has it open. The kernel lets a descriptor
 * open for writing only take a terminal with CAP_SYS_ADMIN (which, with TIOCSCTTY's
 * argument 0, never steals one), and a script able to open it for reading (the owner's
 * rights, a DAC capability) could: the child raises CAP_SYS_ADMIN for that one call, or,
 * in a ppy without it, tries through the descriptor reopened for reading, and cannot tell
 * (status 4) if it cannot reopen it.
 */
static int tty_unclaimed(int fd)
{
	struct sigaction ign = { .sa_handler = SIG_IGN };
	pid_t child;
	int status;

	if ((child = fork()) < 0)
		die_errno(PPY_EX_SYSCALL, "fork");
	if (child == 0) {
		/* No die() here: the parent speaks for the child. */
		struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
		struct __user_cap_data_struct d[2];
		uint64_t perm, admin = BIT(CAP_SYS_ADMIN);
		int took, fl = fcntl(fd, F_GETFL), probe = fd;
		if (fl < 0 || sigaction(SIGHUP, &ign, NULL) != 0 || setsid() < 0 ||
		    syscall(SYS_capget, &hdr, d) != 0)
			_exit(2);
		perm = d[0].permitted | (uint64_t)d[1].permitted << 32;
		if ((fl & O_ACCMODE) == O_WRONLY && (perm & admin)) {
			d[0].effective = (uint32_t)admin;
			d[1].effective = (uint32_t)(admin >> 32);
			if (syscall(SYS_capset, &hdr, d) != 0)
				_exit(2);
		} else if ((fl & O_ACCMODE) == O_WRONLY) {
			char path[32];
			snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
			if ((probe = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC)) < 0)
				_exit(4);
		}
		took = ioctl(probe, TIOCSCTTY, 0) == 0;
		if (took && ioctl(fd, TIOCNOTTY) != 0) {
			/* FD is a pseudo-terminal's master, which took its slave: give that back
			   through /dev/tty. Taken it was, whether or not that works. */
			int tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
			if (tty >= 0)
				(void)ioctl(tty, TIOCNOTTY);
		}
		_exit(took ? 0 : 1);
	}
	status = reap(child);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 4)
		die(PPY_EX_CALLER, "fd %d is a terminal open for writing only, which this ppy "
		    "(without cap_sys_admin) cannot tell is a session's; give the script another "
		    "descriptor there", fd);
	if (!WIFEXITED(status) || WEXITSTATUS(status) > 1)
		die(PPY_EX_SYSCALL, "cannot tell whether fd %d's terminal is free to take", fd);
	return WEXITSTATUS(status) == 0;
}

/*
 * Drop the controlling tty, so the script cannot push input into the caller's terminal
 * (TIOCSTI) or take it over. A terminal on fds 0-2 that no session controls is refused:
 * the script could start a session of its own and make that terminal its controlling
 * one. A session leader's TIOCNOTTY would leave its terminal with no session (Ctrl-C
 * would reach nobody, and anyone with it open could take it): a leader of its terminal's
 * session stays behind as such (keep_session). Judged by the kernel's tty_nr, not by
 * whether an open worked: a tty in exclusive mode (TIOCEXCL) refuses open("/dev/tty")
 * but not TIOCNOTTY.
 */
static void drop_terminal(void)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, dfl = { .sa_handler = SIG_DFL };

	if (getsid(0) == getpid() && tty_nr() != 0)
		keep_session();
	for (int fd = 0; fd <= 2; fd++) {
		pid_t sid = -1;   /* valgrind does not know TIOCGSID writes it */
		if (!isatty(fd))
			continue;
		/* The terminal of ppy's own session says so (TIOCGSID answers only for the
		   caller's controlling terminal, or a master): no device number is compared,
		   as a terminal of another devpts instance can have the same one. */
		if (ioctl(fd, TIOCGSID, &sid) == 0 && sid == getsid(0))
			continue;
		if (tty_unclaimed(fd))
			die(PPY_EX_CALLER, "fd %d is a terminal that no session controls, which "
			    "the script could make its own; start it from a shell or without that "
			    "terminal", fd);
	}
	/* SIGHUP is ignored meanwhile: a leader's TIOCNOTTY sends it to its process group. */
	if (sigaction(SIGHUP, &ign, NULL) != 0)
		die_errno(PPY_EX_SYSCALL, "sigaction");
	if (tty_nr() != 0) {
		for (int fd = 0; fd <= 2; fd++)
			if (isatty(fd))
				(void)ioctl(fd, TIOCNOTTY); /* ENOTTY: not our controlling tty */
		int tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (tty >= 0) {
			(void)ioctl(tty, TIOCNOTTY);
			close(tty);
		}
		if (tty_nr() != 0)
			die(PPY_EX_CALLER, "cannot detach from the controlling terminal");
	}
	if (sigaction(SIGHUP, &dfl, NULL) != 0)
		die_errno(PPY_EX_SYSCALL, "sigaction");
}

/* Reset everything a caller can leave behind across exec. */
static void reset_process(void)
{
	static const unsigned long kernel_dfl[8];   /* rt_sigaction's SIG_DFL, on any arch */
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	struct itimerval zero = { { 0, 0 }, { 0, 0 } };
	sigset_t none;

	/* fds 0-2 usable: stdin readable, stdout and stderr writable. A closed one (which
	   glibc, for a secure-exec program like ppy, reopens on /dev/full or /dev/null in
	   the direction that fails) is replaced by /dev/null; nothing else is inherited. */
	for (int fd = 0; fd <= 2; fd++) {
		int fl = fcntl(fd, F_GETFL), acc = fl & O_ACCMODE;
		struct stat st;
		/* A directory is no stream (the interpreter would stop, its own way), and a
		   descriptor to resolve names from with the script's rights: refused. */
		if (fl >= 0 && fstat(fd, &st) != 0)
			die_errno(PPY_EX_SYSCALL, "fstat(%d)", fd);
		if (fl >= 0 && S_ISDIR(st.st_mode))
			die(PPY_EX_CALLER, "fd %d is a directory; give the script a file, a pipe, "
			    "a socket or a terminal there", fd);
		if (fl >= 0 && !(fl & O_PATH) && (fd == 0 ? acc != O_WRONLY : acc != O_RDONLY))
			continue;
		int null = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
		if (null < 0 || (null != fd && dup2(null, fd) != fd))
			die_errno(PPY_EX_CALLER, "cannot put /dev/null in place of fd %d, which "
				  "the caller left %s", fd, fl < 0 ? "closed" :
				  fl & O_PATH ? "open for no reading or writing (O_PATH)" :
				  "open the wrong way");
		if (null != fd)
			close(null);
	}
	close_from(3);
	apply_limits();
	reset_scheduling();

	/* No signal pending; default dispositions (glibc refuses to set its own two, 32
	   and 33: the kernel is asked directly), nothing blocked, no timers armed, default
	   personality. */
	drain_signals();
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP && sigaction(sig, &dfl, NULL) != 0 &&
		    (errno != EINVAL ||
		     syscall(SYS_rt_sigaction, sig, kernel_dfl, NULL, sizeof(uint64_t)) != 0))
			die_errno(PPY_EX_SYSCALL, "sigaction(%d)", sig);
	if (sigemptyset(&none) != 0 || sigprocmask(SIG_SETMASK, &none, NULL) != 0)
		die_errno(PPY_EX_SYSCALL, "sigprocmask");
	if (setitimer(ITIMER_REAL, &zero, NULL) || setitimer(ITIMER_VIRTUAL, &zero, NULL) ||
	    setitimer(ITIMER_PROF, &zero, NULL))
		die_errno(PPY_EX_SYSCALL, "setitimer");
	if (personality(PER_LINUX) < 0 || personality(0xffffffff) != PER_LINUX)
		die_errno(PPY_EX_SYSCALL, "personality");
	umask(022);
	if (prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0) || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
		die_errno(PPY_EX_SYSCALL, "prctl");
	/* Not a child subreaper: orphans below the script are not its to reap. */
	int reaper = 1;
	if (prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0) != 0 ||
	    prctl(PR_GET_CHILD_SUBREAPER, (unsigned long)&reaper, 0, 0, 0) != 0 || reaper != 0)
		die_errno(PPY_EX_SYSCALL, "prctl(PR_SET_CHILD_SUBREAPER, 0)");
	/* A SysV semaphore undo list of its own. A caller that started ppy with
	   clone(CLONE_SYSVSEM) shares its list: the script's SEM_UNDO adjustments (the usual
	   single-instance lock) would be undone only when the caller chose to exit. A
	   container profile may refuse unshare(2) (EPERM; ENOSYS, EINVAL): documented. */
	if (unshare(CLONE_SYSVSEM) != 0 && errno != EPERM && errno != ENOSYS && errno != EINVAL)
		die_errno(PPY_EX_SYSCALL, "unshare(CLONE_SYSVSEM)");
	/* Timer slack (how late the kernel may fire a timer, inherited across exec): at most
	   the kernel's usual 50 us. A larger one would let the caller make every sleep and
	   timeout of the script fire as late as it likes; a smaller one is kept. The answer
	   is the value itself, an unsigned long (glibc's prctl() would cut it to an int),
	   so one of 2^64 - 4095 or more reads as an error: set then too. */
	long slack = syscall(SYS_prctl, PR_GET_TIMERSLACK, 0UL, 0UL, 0UL, 0UL);
	if ((slack == -1 || (unsigned long)slack > PPY_TIMER_SLACK) &&
	    prctl(PR_SET_TIMERSLACK, (unsigned long)PPY_TIMER_SLACK, 0, 0, 0) != 0)
		die_errno(PPY_EX_SYSCALL, "prctl(PR_SET_TIMERSLACK)");
	drop_terminal();
}

/* ---------------------------------------------------------------- paths */

/*
 * Walk the directories of the absolute, canonical path ABS from "/" without following
 * symlinks. Each must be owned by root (or by OWNER) and writable by its owner only.
 * Returns an O_PATH descriptor on the last directory; *last is the final name.
 */
static int open_parent(const char *abs, uid_t owner, int status, const char *what,
		       char *copy, size_t size, const char **last)
{
	static char shown[PATH_MAX * 4 + 1];
	struct stat st;
	char *name, *slash;
	int dir;

	if (abs[0] != '/' || strlen(abs) >= size) {
		escape(abs, shown, sizeof shown);
		die(status, "%s: '%s' is not an absolute path", what, shown);
	}
	strcpy(copy, abs);
	dir = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		die_errno(PPY_EX_SYSCALL, "open /");
	for (name = copy + 1;; name = slash + 1) {
		if (fstat(dir, &st) != 0)
			die_errno(PPY_EX_SYSCALL, "fstat");
		if ((st.st_uid != 0 && st.st_uid != owner) || (st.st_mode & (S_IWGRP | S_IWOTH))) {
			if (name > copy + 1)
				name[-1] = '\0';
			escape(name > copy + 1 ? copy : "/", shown, sizeof shown);
			die(status, "%s: directory %s is %s; only root%s may be able to write "
			    "there (chmod go-w, or move the file)", what, shown,
			    st.st_mode & (S_IWGRP | S_IWOTH) ? "writable by group or others"
							    : "owned by another user",
			    owner ? " or the script's owner" : "");
		}
		slash = strchr(name, '/');
		if (!slash)
			break;
		*slash = '\0';
		int next = openat(dir, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0) {
			int saved = errno;
			escape(copy, shown, sizeof shown);
			errno = saved;
			die_errno(status, "%s: cannot open directory %s", what, shown);
		}
		*slash = '/';
		close(dir);
		dir = next;
	}
	if (!*name) {
		escape(abs, shown, sizeof shown);
		die(status, "%s: '%s' names a directory", what, shown);
	}
	*last = name;
	return dir;
}

/* Owned by root (or by OWNER, when not 0) and writable by neither group nor others (with an
   ACL, the group bits are its mask, which bounds every named user and group). */
static int is_trusted(const struct stat *st, uid_t owner)
{
	return (st->st_uid == 0 || st->st_uid == owner) && !(st->st_mode & (S_IWGRP | S_IWOTH));
}

static int is_root_only(const struct stat *st)
{
	return is_trusted(st, 0);
}

/*
 * PATH obeys the one rule for where code may come from (origin.h, shared with the boot):
 * it, every directory above it and every symlink on the way, hop by hop, can have been
 * written only by root or OWNER. WANT_DIR: PATH is a directory. Dies with 86 otherwise.
 */
static void origin_or_die(struct ppy_origin *o, const char *path, int want_dir, uid_t owner,
			  const char *what)
{
	char shown[PATH_MAX * 4 + 1];
	int rc;

	o->owner = owner;
	rc = ppy_origin_walk(o, path, want_dir);
	escape(path, shown, sizeof shown);
	if (rc == PPY_ORIGIN_UNTRUSTED)
		die(PPY_EX_INSTALL, "%s %s is unsafe: %s; only root%s may be able to write it or "
		    "anything on the way to it", what, shown, o->why,
		    owner ? " or the script's owner" : "");
	if (rc != 0) {
		char step[PATH_MAX * 4 + 1];
		/* o->real holds the path as far as the walk got: say which step failed. */
		escape(o->real[0] ? o->real : "/", step, sizeof step);
		errno = rc;
		die_errno(PPY_EX_INSTALL, "%s %s: cannot reach %s as uid %u", what, shown, step,
			  (unsigned)getuid());
	}
}

/* What `ppy --check` found that the launch itself does not refuse: files that would be
   refused if the script imported them. Printed after the verdict, as warnings. */
static struct {
	char *line[16];
	size_t n, more;
} warnings;

__attribute__((format(printf, 1, 2)))
static void warn(const char *fmt, ...)
{
	va_list ap;

	if (warnings.n == sizeof warnings.line / sizeof warnings.line[0]) {
		warnings.more++;
		return;
	}
	va_start(ap, fmt);
	if (vasprintf(&warnings.line[warnings.n], fmt, ap) < 0)
		die(PPY_EX_SYSCALL, "out of memory");
	va_end(ap);
	warnings.n++;
}

static int is_code_file(const char *name)
{
	static const char *const suffixes[] = { ".py", ".pyc", ".so", ".pth", ".zip", ".egg", NULL };
	size_t n = strlen(name);

	for (const char *const *s = suffixes; *s; s++)
		if (n > strlen(*s) && strcmp(name + n - strlen(*s), *s) == 0)
			return 1;
	return 0;
}

static void check_pth(const char *file, uid_t owner);
static void check_editable_finder(const char *file, uid_t owner);

/* NAME escaped, in a buffer of its own (one name per message): the walks below escape
   a name only to show it, and keep no such buffer on their stack. */
static const char *shown_name(const char *name)
{
	static char shown[PATH_MAX * 4 + 1];

	escape(name, shown, sizeof shown);
	return shown;
}

/* The symlink SUB (named NAME) met under ROOT: it must resolve inside ROOT, or to
   something that obeys the rule, walked hop by hop. Kept out of check_tree's frame. */
__attribute__((noinline))
static void check_tree_link(const char *root, const char *sub, const char *name, uid_t owner,
			    int strict)
{
	char *real = realpath(sub, NULL);
	size_t rootlen = strlen(root);
	int inside = real && strncmp(real, root, rootlen) == 0 &&
		     (real[rootlen] == '/' || real[rootlen] == '\0');
	struct ppy_origin o = { .owner = owner };
	struct stat target;
	int found = !inside && real && stat(real, &target) == 0;   /* outside: where to? */
	int is_dir = found && S_ISDIR(target.st_mode);

	if (found && ppy_origin_walk(&o, sub, is_dir) == 0)
		inside = 1;
	if (!inside && strict)
		die(PPY_EX_INSTALL, "installation is unsafe: symlink %s leads outside %s, to "
		    "something not root's alone", shown_name(sub), root);
	if (!inside && (is_code_file(name) || is_dir))
		warn("symlink %s leads outside %s, to something anyone but root or the owner "
		     "could change", shown_name(sub), root);
	free(real);
}

/*
 * Every file and directory under DIR (an open directory, at WHERE below the tree ROOT)
 * obeys the rule for OWNER (0: root's alone). A symlink must resolve inside ROOT, or to
 * something that obeys the rule, walked hop by hop. STRICT: anything else refuses the
 * launch (86); otherwise (what `ppy --check` reads of a virtualenv or of the script's
 * directory, checked again where each module is loaded) a code file, or a directory
 * above one, that breaks the rule is a warning, and .pth files are followed.
 */
static void check_tree(int dir, const char *root, const char *where, int depth, uid_t owner,
		       int strict, int bad_above)
{
	DIR *d = fdopendir(dir);
	struct dirent *e;
	struct stat st;

	if (!d && !strict) {
		warn("cannot read %s as the caller: not checked (%s)", shown_name(where),
		     strerror(errno));
		close(dir);
		return;
	}
	if (!d)
		die_errno(PPY_EX_INSTALL, "cannot read %s", shown_name(where));
	while ((errno = 0, e = readdir(d))) {
		char sub[PATH_MAX];
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (snprintf(sub, sizeof sub, "%s/%s", where, e->d_name) >= (int)sizeof sub) {
			/* The script's directory: what --check cannot name, it says it did not
			   check (a launch checks each import as it happens). An installation
			   that deep is refused. */
			if (!strict) {
				warn("a path under %s is longer than %d bytes: not checked",
				     shown_name(where), PATH_MAX - 1);
				continue;
			}
			die(PPY_EX_INSTALL, "path too long under %s", shown_name(where));
		}
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			die_errno(PPY_EX_INSTALL, "cannot stat %s", shown_name(sub));
		if (S_ISLNK(st.st_mode)) {
			check_tree_link(root, sub, e->d_name, owner, strict);
			continue;
		}
		if (strict && (!is_trusted(&st, owner) || !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))))
			die(PPY_EX_INSTALL, "installation is unsafe: %s must be a file or directory "
			    "owned by root and writable only by root", shown_name(sub));
		if (!strict && S_ISREG(st.st_mode) && is_code_file(e->d_name)) {
			if (!is_trusted(&st, owner))
				warn("%s would be refused if imported: it is %s", shown_name(sub),
				     st.st_uid != 0 && st.st_uid != owner ? "owned by another user"
									 : "writable by group or others");
			else if (bad_above)
				warn("%s would be refused if imported: a directory above it is "
				     "not root's or the owner's alone", shown_name(sub));
			int in_site = strcmp(where + strlen(where) - strlen("site-packages"),
					     "site-packages") == 0;
			if (depth >= 1 && in_site && strlen(e->d_name) > 4 &&
			    strcmp(e->d_name + strlen(e->d_name) - 4, ".pth") == 0)
				check_pth(sub, owner);
			if (depth >= 1 && in_site && strncmp(e->d_name, "__editable___", 13) == 0 &&
			    strlen(e->d_name) > 10 &&
			    strcmp(e->d_name + strlen(e->d_name) - 10, "_finder.py") == 0)
				check_editable_finder(sub, owner);
		}
		if (S_ISDIR(st.st_mode)) {
			int fd = depth >= 24 ? -1 : openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY |
								      O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0 && !strict) {
				if (depth >= 24)
					warn("%s is more than 24 directories deep: not checked",
					     shown_name(sub));
				else
					warn("cannot read %s as the caller: not checked (%s)",
					     shown_name(sub), strerror(errno));
				continue;
			}
			if (fd < 0)
				die(PPY_EX_INSTALL, "installation is unsafe: cannot check %s",
				    shown_name(sub));
			check_tree(fd, root, sub, depth + 1, owner, strict,
				   bad_above || !is_trusted(&st, owner));
		}
	}
	if (errno)
		die_errno(PPY_EX_INSTALL, "cannot read %s", shown_name(where));
	closedir(d);
}

/* PATH is a directory that, with everything under and above it, obeys the rule for OWNER
   (0: root's alone); STRICT as check_tree. */
static void check_trusted_tree(const char *path, const char *what, uid_t owner, int strict)
{
	/* Each tree is walked once, for each owner and strictness: a .pth file may add a
	   directory that holds it (a project with its venv inside, installed with pip
	   install -e .), which would otherwise be walked again and again. */
	static struct { dev_t dev; ino_t ino; uid_t owner; int strict; } walked[64];
	static size_t nwalked;
	struct ppy_origin o;
	struct stat st;
	int fd;

	origin_or_die(&o, path, 1, owner, what);
	fd = open(o.real, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && !strict) {   /* searchable, not readable, by the caller: not listed */
		char shown[PATH_MAX * 4 + 1];
		escape(path, shown, sizeof shown);
		warn("cannot list %s %s as the caller: not checked (%s)", what, shown,
		     strerror(errno));
		return;
	}
	if (fd < 0 || fstat(fd, &st) != 0)
		die_errno(PPY_EX_INSTALL, "%s %s", what, path);
	for (size_t i = 0; i < nwalked; i++)
		if (walked[i].dev == st.st_dev && walked[i].ino == st.st_ino &&
		    walked[i].owner == owner && walked[i].strict == strict) {
			close(fd);
			return;
		}
	if (nwalked < sizeof walked / sizeof walked[0])
		walked[nwalked++] = (typeof(walked[0])){ st.st_dev, st.st_ino, owner, strict };
	check_tree(fd, o.real, o.real, 0, owner, strict, 0);
}

static void check_root_tree(const char *path, const char *what)
{
	check_trusted_tree(path, what, 0, 1);
}

/*
 * A .pth file in site-packages runs at every launch (the boot checks it there): it and
 * every directory it adds must obey the rule (`ppy --check` refuses, 86, as the launch
 * would), and what is under those directories is read as check_tree reads a virtualenv.
 */
static void check_pth(const char *file, uid_t owner)
{
	char text[65536], sitedir[PATH_MAX], added[PATH_MAX * 2], *line, *save = NULL, *slash;
	char shown[PATH_MAX * 4 + 1], what[sizeof shown + 64];
	static int nesting;   /* .pth files met in trees that .pth files add */
	struct ppy_origin o;
	ssize_t n;
	int fd;

	escape(file, shown, sizeof shown);
	/* Python reads .pth files in site-packages only, not in the directories they add;
	   --check looks a few levels into those too, and no further (each level takes
	   ~130 KiB of stack). */
	if (nesting >= 4) {
		warn("%s is in a directory that .pth files add, 4 levels down: not checked", shown);
		return;
	}
	nesting++;
	origin_or_die(&o, file, 0, owner, ".pth file");
	if ((fd = open(o.real, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    (n = read(fd, text, sizeof text - 1)) < 0)
		die_errno(PPY_EX_INSTALL, ".pth file %s", file);
	close(fd);
	text[n] = '\0';
	snprintf(sitedir, sizeof sitedir, "%s", file);
	if ((slash = strrchr(sitedir, '/')))
		*slash = '\0';
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		size_t len = strlen(line);
		struct stat st;
		while (len && strchr(" \t\r", line[len - 1]))
			line[--len] = '\0';
		if (!len || line[0] == '#' || strncmp(line, "import ", 7) == 0 ||
		    strncmp(line, "import\t", 7) == 0)
			continue;
		if ((line[0] == '/' ? (size_t)snprintf(added, sizeof added, "%s", line)
				    : (size_t)snprintf(added, sizeof added, "%s/%s", sitedir, line))
			    >= sizeof added || stat(added, &st) != 0)
			continue;   /* site adds only what exists */
		if (S_ISREG(st.st_mode)) {   /* a zip archive or egg */
			snprintf(what, sizeof what, "archive that %s adds:", shown);
			origin_or_die(&o, added, 0, owner, what);
			continue;
		}
		if (!S_ISDIR(st.st_mode))
			continue;
		snprintf(what, sizeof what, "directory that %s adds:", shown);
		check_trusted_tree(added, what, owner, 0);
	}
	nesting--;
}

/*
 * setuptools' editable installs (pip install -e) that a .pth does not name by directory:
 * its __editable___NAME_finder.py maps each package to a source directory (MAPPING =
 * {'pkg': '/home/dev/src/pkg'}), imported through a finder of its own. Each absolute path
 * quoted there that breaks the rule is a warning: the package would be refused if imported.
 */
static void check_editable_finder(const char *file, uid_t owner)
{
	char text[65536], shown[PATH_MAX * 4 + 1], where[PATH_MAX * 4 + 1], *map, *q, *end;
	ssize_t n;
	int fd = open(file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0 || (n = read(fd, text, sizeof text - 1)) < 0) {
		if (fd >= 0)
			close(fd);
		return;   /* its own check (check_tree's) already spoke of the file */
	}
	close(fd);
	text[n] = '\0';
	if (!(map = strstr(text, "\nMAPPING")) || !(end = strchr(map + 1, '\n')))
		return;
	*end = '\0';
	escape(file, shown, sizeof shown);
	for (q = map; (q = strpbrk(q, "'\"")); ) {
		char quote = *q++, *close_q = strchr(q, quote), path[PATH_MAX];
		struct ppy_origin o = { .owner = owner };
		if (!close_q)
			break;
		if (*q == '/' && (size_t)(close_q - q) < sizeof path) {
			memcpy(path, q, (size_t)(close_q - q));
			path[close_q - q] = '\0';
			escape(path, where, sizeof where);
			if (ppy_origin_walk(&o, path, 1) == PPY_ORIGIN_UNTRUSTED)
				warn("the editable install %s maps a package to %s, which would be "
				     "refused if imported: %s", shown, where, o.why);
		}
		q = close_q + 1;
	}
}

/* S without the blanks around it (spaces, tabs, \r, \f, \v), in place. */
static char *trim(char *s)
{
	char *end;

	s += strspn(s, " \t\r\f\v");
	for (end = s + strlen(s); end > s && strchr(" \t\r\f\v", end[-1]); end--)
		;
	*end = '\0';
	return s;
}

/*
 * A virtualenv's Python reads its standard library from the base installation that
 * pyvenv.cfg's "home" names (home/../lib): those directories must obey the rule too.
 */
static void check_venv_home(const char *cfg, uid_t owner)
{
	char text[4096], home[PATH_MAX], *line, *save = NULL;
	struct ppy_origin o;
	struct stat st;
	ssize_t n;
	int fd = open(cfg, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0 || (n = read(fd, text, sizeof text - 1)) < 0)
		die_errno(PPY_EX_INSTALL, "cannot read %s", cfg);
	close(fd);
	text[n] = '\0';
	/* As CPython reads it (getpath): the first line whose key, before the first '=' and
	   stripped, is "home" in any case; its value stripped, spaces inside kept. */
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '='), *value;
		if (!eq)
			continue;
		*eq = '\0';
		if (strcasecmp(trim(line), "home") != 0)
			continue;
		value = trim(eq + 1);
		if (value[0] != '/' || strlen(value) >= sizeof home)
			break;
		strcpy(home, value);
		{
			char *slash;
			origin_or_die(&o, home, 1, owner, "virtualenv home");
			if ((slash = strrchr(home, '/')) && slash != home) {
				strcpy(slash, "/lib");
				if (lstat(home, &st) == 0)
					origin_or_die(&o, home, 1, owner, "virtualenv home library");
			}
			return;
		}
	}
	die(PPY_EX_INSTALL, "%s names no absolute home", cfg);
}

/*
 * What the interpreter runs from its standard library before ppy's boot has put the rule
 * in place: the encodings package (any codec in it: the locale, which the caller chooses
 * among those installed, picks one) and the modules of it that a CPython without frozen
 * ones reads at start-up, each with its bytecode. They run holding the capabilities, so
 * they are checked here, before the exec, as the boot checks them after. REAL, the
 * interpreter's physical path, is ".../bin/pythonX.Y", whose library is
 * ".../lib/pythonX.Y"; for an interpreter named otherwise, or without that directory,
 * only the boot's check remains (README, "Where code may come from").
 */
static void check_start_up_library(const char *real, uid_t owner)
{
	static const char *const early[] = { "abc", "codecs", "io", "linecache", "zipimport" };
	static char lib[PATH_MAX], file[PATH_MAX + 64];
	const char *base = strrchr(real, '/'), *prefix_end = base;
	struct ppy_origin o;
	struct stat st;
	unsigned major, minor;
	int end = -1;

	while (prefix_end && prefix_end > real && prefix_end[-1] != '/')   /* .../bin: its parent */
		prefix_end--;
	if (!base || prefix_end == real ||
	    sscanf(base + 1, "python%u.%u%n", &major, &minor, &end) != 2 || end < 0 ||
	    base[1 + end] != '\0' ||
	    snprintf(lib, sizeof lib, "%.*slib/python%u.%u", (int)(prefix_end - real), real, major,
		     minor) >= (int)sizeof lib)
		return;
	if (lstat(lib, &st) != 0) {
		if (errno != ENOENT)
			die_errno(PPY_EX_INSTALL, "cannot tell where %s's standard library is",
				  shown_name(real));
		return;
	}
	snprintf(file, sizeof file, "%s/encodings", lib);
	check_trusted_tree(file, "standard library", owner, 1);
	for (size_t i = 0; i < sizeof early / sizeof early[0]; i++)
		for (int pyc = 0; pyc < 2; pyc++) {
			if (pyc)
				snprintf(file, sizeof file, "%s/__pycache__/%s.cpython-%u%u.pyc", lib,
					 early[i], major, minor);
			else
				snprintf(file, sizeof file, "%s/%s.py", lib, early[i]);
			if (lstat(file, &st) == 0)
				origin_or_die(&o, file, 0, owner, "standard library module");
			else if (errno != ENOENT)
				die_errno(PPY_EX_INSTALL, "standard library module %s",
					  shown_name(file));
		}
}

/*
 * The interpreter runs with the script's capabilities before any script code: it, every
 * directory above it and every symlink on the way to it, hop by hop, must have been
 * written by root or the script's OWNER only; so must a virtualenv's pyvenv.cfg (which
 * Python looks for beside the interpreter, then one directory up) and the base
 * installation its "home" names. Returns a descriptor on the file that was checked: ppy
 * execs that descriptor, so no one can switch a link on the way between check and exec.
 * (Modules are checked where they are loaded, by the boot; WHOLE, for `ppy --check`,
 * also reads the whole virtualenv and what its .pth files add.)
 */
static int check_interpreter(const char *path, uid_t owner, int whole)
{
	char dir[PATH_MAX], cfg[PATH_MAX + 16], shown[PATH_MAX * 4 + 1];
	struct ppy_origin o;
	struct stat st;
	int fd;

	escape(path, shown, sizeof shown);
	origin_or_die(&o, path, 0, owner, "interpreter");
	if (!(o.st.st_mode & S_IXOTH))
		die(PPY_EX_INSTALL, "interpreter %s must be executable by everyone (mode %04o)",
		    shown, (unsigned)(o.st.st_mode & 07777));
	fd = open(o.real, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0)
		die_errno(PPY_EX_INSTALL, "interpreter %s", shown);
	if (st.st_dev != o.st.st_dev || st.st_ino != o.st.st_ino)
		die(PPY_EX_INSTALL, "interpreter %s changed while ppy checked it", shown);
	check_start_up_library(o.real, owner);

	/* A virtualenv: pyvenv.cfg beside the interpreter (as given), or one level up. */
	snprintf(dir, sizeof dir, "%s", path);
	for (int up = 0; up < 2; up++) {
		char *slash = strrchr(dir, '/');
		if (!slash || slash == dir)
			break;
		*slash = '\0';
		snprintf(cfg, sizeof cfg, "%s/pyvenv.cfg", dir);
		if (lstat(cfg, &st) != 0) {
			/* Only "no such file" means "not here"; anything else is unknown. */
			if (errno != ENOENT)
				die_errno(PPY_EX_INSTALL, "cannot tell whether %s is a virtualenv", dir);
			continue;
		}
		origin_or_die(&o, cfg, 0, owner, "virtualenv configuration");
		check_venv_home(o.real, owner);
		if (whole)
			check_trusted_tree(dir, "virtualenv", owner, 0);
		break;
	}
	return fd;
}

/*
 * The boot module and the ppy_py library, both in LIBDIR/python. Returns that directory,
 * which the interpreter puts first on sys.path before it imports ppy_boot.
 */
static char *check_library(void)
{
	struct stat st;
	char *lib = realpath(PPY_LIBDIR, NULL), *pydir, *boot;

	if (!lib)
		die_errno(PPY_EX_INSTALL, "library directory %s", PPY_LIBDIR);
	check_root_tree(lib, "library directory");
	if (asprintf(&pydir, "%s/python", lib) < 0 || asprintf(&boot, "%s/ppy_boot.py", pydir) < 0)
		die(PPY_EX_SYSCALL, "out of memory");
	if (fstatat(AT_FDCWD, boot, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
		die(PPY_EX_INSTALL, "boot file %s is missing", boot);
	free(boot);
	free(lib);
	return pydir;
}

/* What root's PPY_CONF says. */
struct conf {
	char *interp[PPY_MAX_INTERPRETERS];   /* interpreters scripts may ask for */
	size_t ninterp;
	char *forbid[PPY_MAX_INTERPRETERS];   /* scripts (real paths, or "*") ... */
	const char *forbid_mode[PPY_MAX_INTERPRETERS]; /* ... that may not start processes */
	struct stat forbid_file[PPY_MAX_INTERPRETERS]; /* the file each path named (st_nlink 0: none) */
	size_t forbid_line[PPY_MAX_INTERPRETERS];      /* where each came from */
	size_t nforbid;
};

__attribute__((noreturn))
static void too_many_lines(const char *what, size_t line)
{
	die(PPY_EX_INSTALL, "configuration %s, line %zu: more than %d '%s' lines", PPY_CONF,
	    line, PPY_MAX_INTERPRETERS, what);
}

/*
 * The file a forbid-exec line names, into *ST; 0 if there is none there. Its directory
 * must be root's alone, with every directory and symlink above it (origin.h's rule for
 * owner 0): then nobody else can rename the script away from the path, hide it behind a
 * symlink loop, or make the name unresolvable for every launch. Found with
 * CAP_DAC_READ_SEARCH where ppy holds it: a caller who cannot search that directory
 * starts the script through another link, and must still be held to the line. Only
 * metadata is read, of a path root wrote. Anything that cannot be resolved is an error
 * in root's configuration (86): a forbidden script must not slip through.
 */
static int forbidden_file(const char *path, size_t line, struct stat *st)
{
	static char dir[PATH_MAX], shown[PATH_MAX * 4 + 1], file[PATH_MAX];
	uint64_t eff, perm, inh, search = BIT(CAP_DAC_READ_SEARCH);
	struct ppy_origin o = { .owner = 0 };
	const char *base = strrchr(path, '/') + 1;   /* PATH starts with '/' */
	int rc, saved = 0;

	escape(path, shown, sizeof shown);
	if (*base == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		die(PPY_EX_INSTALL, "configuration %s, line %zu: forbid-exec '%s' names no file",
		    PPY_CONF, line, shown);
	snprintf(dir, sizeof dir, "%.*s", (int)(base - path), path);
	kernel_caps(&eff, &perm, &inh);
	if (perm & search)
		set_caps(perm, search, inh, "searching for a forbid-exec file");
	rc = ppy_origin_walk(&o, dir, 1);
	if (rc == 0 && snprintf(file, sizeof file, "%s/%s", strcmp(o.real, "/") ? o.real : "",
				base) >= (int)sizeof file)
		rc = ENAMETOOLONG;
	if (rc == 0 && lstat(file, st) != 0)
		saved = errno;
	if (perm & search)
		set_caps(perm, 0, inh, "clearing the effective set");
	if (rc == PPY_ORIGIN_UNTRUSTED)
		die(PPY_EX_INSTALL, "configuration %s, line %zu: forbid-exec '%s': %s; keep the "
		    "script in a directory only root can write", PPY_CONF, line, shown, o.why);
	/* Nothing there now (in directories only root can change): the path alone is
	   forbidden, for whatever root puts there later. */
	if (rc == ENOENT || rc == ENOTDIR || (rc == 0 && (saved == ENOENT || saved == ENOTDIR)))
		return 0;
	if (rc != 0 || saved != 0) {
		errno = rc ? rc : saved;
		die_errno(PPY_EX_INSTALL, "configuration %s, line %zu: cannot resolve '%s'%s",
			  PPY_CONF, line, shown, errno == EACCES && !(perm & search) ?
			  " (this ppy lacks cap_dac_read_search: build it with that in GRANTABLE, "
			  "or let every caller search the directory)" : "");
	}
	if (S_ISLNK(st->st_mode))
		die(PPY_EX_INSTALL, "configuration %s, line %zu: forbid-exec '%s' is a symbolic "
		    "link; name the script itself", PPY_CONF, line, shown);
	return S_ISREG(st->st_mode);
}

/*
 * PPY_CONF, if it exists, says, one item per line:
 *     interpreter /srv/venvs/web/bin/python     an interpreter scripts may ask for
 *     forbid-exec raise|log /srv/app/serve.py   refuse (or log) any process creation by
 *                                               that script ("*": every script): the file
 *                                               at that path now (under any name, as its
 *                                               capabilities are), or any file there later
 * It and its directories must be root's alone: the script's owner cannot change it.
 */
static void read_conf(struct conf *c)
{
	static char text[65536];
	char copy[PATH_MAX];
	const char *last;
	struct stat st;
	size_t line = 0;
	ssize_t len;
	int dir, fd;

	memset(c, 0, sizeof *c);
	/* No file (or no etc/ directory) is no configuration; only root can create either. */
	if (lstat(PPY_CONF, &st) != 0 && errno == ENOENT)
		return;
	dir = open_parent(PPY_CONF, 0, PPY_EX_INSTALL, "configuration", copy, sizeof copy, &last);
	fd = openat(dir, last, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return;
	if (fd < 0 || fstat(fd, &st) != 0)
		die_errno(PPY_EX_INSTALL, "configuration %s", PPY_CONF);
	close(dir);
	if (!S_ISREG(st.st_mode) || !is_root_only(&st))
		die(PPY_EX_INSTALL, "configuration %s must be a file owned and writable only by "
		    "root", PPY_CONF);
	len = read(fd, text, sizeof text - 1);
	if (len < 0)
		die_errno(PPY_EX_INSTALL, "configuration %s", PPY_CONF);
	if (len == (ssize_t)sizeof text - 1)
		die(PPY_EX_INSTALL, "configuration %s is larger than %zu bytes", PPY_CONF,
		    sizeof text - 2);
	text[len] = '\0';
	close(fd);
	for (char *l = text, *next; l; l = next) {
		char word[32], mode[8], path[PATH_MAX], extra;
		if ((next = strchr(l, '\n')))
			*next++ = '\0';
		line++;
		l += strspn(l, " \t");
		if (*l == '#' || *l == '\0')
			continue;
		if (sscanf(l, "%31s %4095s %c", word, path, &extra) == 2 &&
		    strcmp(word, "interpreter") == 0 && path[0] == '/') {
			if (c->ninterp == PPY_MAX_INTERPRETERS)
				too_many_lines("interpreter", line);
			if (!(c->interp[c->ninterp++] = strdup(path)))
				die(PPY_EX_SYSCALL, "out of memory");
		} else if (sscanf(l, "%31s %7s %4095s %c", word, mode, path, &extra) == 3 &&
			   strcmp(word, "forbid-exec") == 0 &&
			   (strcmp(mode, "raise") == 0 || strcmp(mode, "log") == 0) &&
			   (path[0] == '/' || strcmp(path, "*") == 0)) {
			if (c->nforbid == PPY_MAX_INTERPRETERS)
				too_many_lines("forbid-exec", line);
			c->forbid_mode[c->nforbid] = strcmp(mode, "raise") == 0 ? "raise" : "log";
			c->forbid_line[c->nforbid] = line;
			if (!(c->forbid[c->nforbid++] = strdup(path)))
				die(PPY_EX_SYSCALL, "out of memory");
		} else {
			die(PPY_EX_INSTALL, "configuration %s, line %zu: expected 'interpreter "
			    "/absolute/path' or 'forbid-exec raise|log /absolute/path|*'",
			    PPY_CONF, line);
		}
	}
}

/* The file each forbid-exec line names now (a hard link elsewhere is the same file,
   capabilities and all), found whatever the caller may search (forbidden_file). */
static void resolve_forbidden(struct conf *c)
{
	for (size_t i = 0; i < c->nforbid; i++)
		if (c->forbid[i][0] != '/' ||
		    !forbidden_file(c->forbid[i], c->forbid_line[i], &c->forbid_file[i]))
			c->forbid_file[i].st_nlink = 0;
}

/* "raise" or "log" if root's config forbids process creation by the script at PATH
   (its real path), or by the file ST itself under any other name. */
static const char *forbid_mode(const struct conf *c, const char *path, const struct stat *st)
{
	const char *mode = "-";

	for (size_t i = 0; i < c->nforbid; i++)
		if (strcmp(c->forbid[i], "*") == 0 || strcmp(c->forbid[i], path) == 0 ||
		    (c->forbid_file[i].st_nlink && c->forbid_file[i].st_dev == st->st_dev &&
		     c->forbid_file[i].st_ino == st->st_ino))
			if (strcmp(mode, "raise") != 0)   /* the stricter line wins */
				mode = c->forbid_mode[i];
	return mode;
}

static int conf_allows(const struct conf *c, const char *path)
{
	for (size_t i = 0; i < c->ninterp; i++)
		if (strcmp(c->interp[i], path) == 0)
			return 1;
	return 0;
}

/*
 * The word after ppy on a script's "#!" line, from the first LEN bytes of the file read
 * into BUF (which has room for a NUL after them): "#!/usr/local/bin/ppy
 * /srv/venvs/web/bin/python" gives "/srv/venvs/web/bin/python", "#!/usr/local/bin/ppy"
 * gives "", any other first line NULL. Like the kernel, it looks for the line within the
 * first 256 bytes; in a shorter file, the line may end with the file instead of a newline.
 * *TOOLONG is set when a #! line does not end within them.
 */
static char *shebang_word(char *buf, ssize_t len, int *toolong)
{
	char *nl, *word, *end;

	buf[len] = '\0';
	*toolong = 0;
	if (len < 2 || buf[0] != '#' || buf[1] != '!')
		return NULL;
	if ((nl = memchr(buf, '\n', (size_t)len)))
		*nl = '\0';
	else if (len >= 256)
		*toolong = 1;
	word = buf + 2 + strspn(buf + 2, " \t");          /* the launcher */
	end = word + strcspn(word, " \t");
	if (end - word < 3 || strncmp(end - 3, "ppy", 3) != 0 ||
	    (end - word != 3 && end[-4] != '/'))
		return NULL;
	word = end + strspn(end, " \t");                    /* what follows it */
	for (end = word + strlen(word); end > word && strchr(" \t\r", end[-1]); end--)
		;
	*end = '\0';
	return word;
}

/* The script's #! line names an interpreter ppy.conf does not list. */
__attribute__((noreturn))
static void refuse_interpreter(const char *word)
{
	static char shown[PATH_MAX * 4 + 1];

	escape(word, shown, sizeof shown);
	die(PPY_EX_FILE, "its #! line asks for interpreter '%s', which %s does not allow "
	    "(add 'interpreter %s' there as root)", shown, PPY_CONF, shown);
}

/*
 * The interpreter is chosen by the script's own first line, read from FD (the sealed
 * copy when launching): "#!/usr/local/bin/ppy /srv/venvs/web/bin/python" selects that
 * interpreter if PPY_CONF allows it; anything else runs the built-in one. HINT is the
 * word the kernel passed from that line, if ppy was started through it: it must agree.
 */
static const char *select_interpreter(int fd, const struct conf *c, const char *hint)
{
	char buf[257], *word;
	int toolong;
	ssize_t len = pread(fd, buf, sizeof buf - 1, 0);

	if (len < 0)
		die_errno(PPY_EX_SYSCALL, "read");
	word = shebang_word(buf, len, &toolong);
	if (toolong)
		die(PPY_EX_FILE, "its #! line is longer than %zu bytes", sizeof buf - 2);
	if (hint && (!word || strcmp(word, hint) != 0))
		die(PPY_EX_FILE, "started with interpreter %s, which its #! line does not name", hint);
	if (!word || !*word)
		return PPY_PYTHON;
	if (!conf_allows(c, word))
		refuse_interpreter(word);
	if (!(word = strdup(word)))
		die(PPY_EX_SYSCALL, "out of memory");
	return word;
}

/* PATH is a file whose #! line names WORD after ppy: the kernel started ppy for it
   ("#!.../ppy WORD" makes ppy's arguments WORD PATH ARG...). */
static int names_interpreter(const char *path, const char *word)
{
	char buf[257];
	struct stat st;
	ssize_t len;
	int toolong, yes = 0, fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0)
		return 0;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (len = pread(fd, buf, sizeof buf - 1, 0)) >= 0) {
		const char *got = shebang_word(buf, len, &toolong);
		yes = got && strcmp(got, word) == 0;
	}
	close(fd);
	return yes;
}

/* ---------------------------------------------------------------- the script */

struct script {
	int fd;              /* the one descriptor everything is read through */
	struct stat st;      /* its fstat when the capabilities were read */
	char path[PATH_MAX]; /* its real path, as the kernel names the open file */
	unsigned char xattr[64];
	ssize_t xattr_len;
	uint64_t caps;       /* fP | fI */
	int effective;       /* the file's effective bit */
	int dirfd;           /* O_PATH, its directory: the script starts there */
};

static void read_xattr(struct script *s)
{
	s->xattr_len = fgetxattr(s->fd, XATTR_CAPS, s->xattr, sizeof s->xattr);
	if (s->xattr_len >= 0)
		return;
	if (errno == ENODATA)
		die(PPY_EX_CAPS, "has no file capabilities (a write, chown or chgrp removes them); "
		    "as root grant what it needs, e.g. "
		    "setcap cap_net_bind_service=p %s", script_shown);
	if (errno == ERANGE)
		die(PPY_EX_CAPS, "malformed capability xattr (too long)");
	if (errno == EOVERFLOW)   /* a revision-3 xattr whose rootid is not mapped here */
		die(PPY_EX_CAPS, "its capabilities are namespaced (revision 3) for a user namespace "
		    "whose root is not mapped in this one: the kernel does not grant them here");
	die_errno(PPY_EX_CAPS, "cannot read its capability xattr");
}

/*
 * Decide what the xattr grants: what the kernel would grant an exec of this file here.
 * The kernel shows a revision-3 xattr as revision 2 exactly where its rootid is the root of
 * this user namespace or of one above it (security/commoncap.c, cap_inode_getsecurity),
 * which is where an exec honours it; anywhere else it shows revision 3 (rootid as mapped
 * here), or fails with EOVERFLOW, and an exec ignores it. So only revision 2 is accepted.
 * (In the initial namespace every xattr root set is revision 2; a revision 3 there was set
 * in some user namespace, as any user can with unshare -Ur setcap.)
 */
static void parse_xattr(struct script *s)
{
	uint32_t w[6];
	uint32_t rev;

	if (s->xattr_len < 4)
		die(PPY_EX_CAPS, "malformed capability xattr (%zd bytes)", s->xattr_len);
	memcpy(w, s->xattr, s->xattr_len < 20 ? 4 : s->xattr_len < 24 ? 20 : 24);
	rev = le32toh(w[0]) & VFS_CAP_REVISION_MASK;
	if (rev == VFS_CAP_REVISION_3 && s->xattr_len == XATTR_CAPS_SZ_3)
		die(PPY_EX_CAPS, "its capabilities are namespaced (revision 3, rootid %u): they were "
		    "set in another user namespace (e.g. with unshare -Ur setcap), and the kernel "
		    "does not grant them in this one", (unsigned)le32toh(w[5]));
	if (rev == VFS_CAP_REVISION_3)
		die(PPY_EX_CAPS, "malformed namespaced (revision 3) capability xattr (%zd bytes)",
		    s->xattr_len);
	if (rev == VFS_CAP_REVISION_1)
		die(PPY_EX_CAPS, "obsolete revision-1 capability xattr; set it again with setcap");
	if (rev != VFS_CAP_REVISION_2 || s->xattr_len != XATTR_CAPS_SZ_2 ||
	    (le32toh(w[0]) & ~(VFS_CAP_REVISION_MASK | VFS_CAP_FLAGS_EFFECTIVE)))
		die(PPY_EX_CAPS, "malformed capability xattr (magic 0x%08x, %zd bytes)",
		    le32toh(w[0]), s->xattr_len);
	s->effective = (le32toh(w[0]) & VFS_CAP_FLAGS_EFFECTIVE) != 0;
	s->caps = (le32toh(w[1]) | le32toh(w[2])) |
		  (uint64_t)(le32toh(w[3]) | le32toh(w[4])) << 32;
	if (last_cap < 63 && (s->caps >> (last_cap + 1)))
		die(PPY_EX_CAPS, "its capability xattr names capabilities this kernel does not "
		    "know (above %u)", last_cap);
	if (!s->caps)
		die(PPY_EX_CAPS, "its file capabilities are empty; as root grant what it needs, "
		    "e.g. setcap cap_net_bind_service=p %s", script_shown);
}

static const char open_for_writing[] = "is open for writing by some process (a writable "
	"descriptor or shared mapping); hand scripts over as fresh copies, not by chown";

/*
 * Nobody may hold the script open for writing. A writable shared mapping changes the code
 * without the kernel stripping the capability xattr or changing ctime, so a process that
 * could write the file before it was handed over (chown, chmod, setcap) could keep doing
 * so. The kernel refuses to exec such a file (ETXTBSY); ppy asks it the same question
 * (AT_EXECVE_CHECK, Linux 6.14, which also applies LSM exec policy), which needs no
 * privilege and leaves nothing behind. Returns 1 where the kernel cannot answer (before
 * 6.14, or a seccomp profile that refuses execveat): probe_writers() then asks with a read
 * lease, once ppy is the owner.
 */
static int check_no_writers(const struct script *s)
{
	char *none[] = { NULL };

	if (syscall(SYS_execveat, s->fd, "", none, none, AT_EMPTY_PATH | AT_EXECVE_CHECK) == 0)
		return 0;
	if (errno == ETXTBSY)
		die(PPY_EX_FILE, "%s", open_for_writing);
	if (errno == EINVAL || errno == ENOSYS || errno == EPERM)
		return 1;
	die_errno(PPY_EX_FILE, "the kernel would not execute it");
}

/* Some process's lease on the script is being broken (/proc/locks says BREAKING): a writer
   is opening it, or did and gave up (O_NONBLOCK), and the holder has not let go yet. */
static int lease_breaking(const struct script *s)
{
	char line[256], type[16], state[16];
	unsigned maj, min;
	unsigned long ino;
	int found = 0;
	FILE *f = fopen("/proc/locks", "re");

	while (f && !found && fgets(line, sizeof line, f))
		found = sscanf(line, "%*d: %15s %15s %*s %*d %x:%x:%lu", type, state, &maj, &min,
			       &ino) == 5 && strcmp(type, "LEASE") == 0 &&
			strcmp(state, "BREAKING") == 0 && maj == major(s->st.st_dev) &&
			min == minor(s->st.st_dev) && ino == (unsigned long)s->st.st_ino;
	if (f)
		fclose(f);
	return found;
}

/*
 * The writer check where the kernel could not answer: a read lease, which the kernel
 * refuses (EAGAIN) while the file is open for writing. A lease needs the file's owner as
 * fsuid (or CAP_LEASE, which ppy does not need), so it is taken only now that ppy is the
 * owner: the caller can no longer stop ppy while it holds it, which would block root's and
 * the owner's open(O_WRONLY) for lease-break-time (45 s). The terminal's stop signals wait
 * until it is released. A writer opening the file meanwhile makes the kernel signal the
 * holder, by default with SIGIO, whose default action kills: F_SETSIG makes it SIGURG,
 * ignored by default, so such a race ends in one of the refusals below or a normal launch.
 * That it comes after the sealed copy gives a writer nothing: one that lets go of the file
 * before the probe could have written whatever it wanted before letting go anyway.
 */
static void probe_writers(const struct script *s)
{
	struct timespec ms = { 0, 1000000 };
	sigset_t stops, before;
	int err;

	if (sigemptyset(&stops) || sigaddset(&stops, SIGTSTP) || sigaddset(&stops, SIGTTIN) ||
	    sigaddset(&stops, SIGTTOU) || sigprocmask(SIG_BLOCK, &stops, &before) != 0)
		die_errno(PPY_EX_SYSCALL, "sigprocmask");
	if (fcntl(s->fd, F_SETSIG, SIGURG) != 0)
		die_errno(PPY_EX_SYSCALL, "fcntl(F_SETSIG)");
	for (int tries = 0;; tries++) {
		err = 0;
		if (fcntl(s->fd, F_SETLEASE, F_RDLCK) != 0)
			err = errno;
		else if (fcntl(s->fd, F_SETLEASE, F_UNLCK) != 0)
			die_errno(PPY_EX_SYSCALL, "releasing the read lease");
		/* EAGAIN also while another lease is being broken (even by a writer that has
		   since given up): its holder, often another launch, lets go at once, unless a
		   busy machine has not scheduled it yet; wait for it a quarter of a second. */
		if (err != EAGAIN || tries == 250 || !lease_breaking(s))
			break;
		nanosleep(&ms, NULL);
	}
	if (sigprocmask(SIG_SETMASK, &before, NULL) != 0)
		die_errno(PPY_EX_SYSCALL, "sigprocmask");
	if (err == EAGAIN && lease_breaking(s))
		die(PPY_EX_FILE, "a lease on it is being broken: some process is opening it for "
		    "writing, or gave up doing so, and the lease holder has not let go; try again");
	if (err == EAGAIN)
		die(PPY_EX_FILE, "%s", open_for_writing);
	if (err) {
		errno = err;
		die_errno(PPY_EX_FILE, "cannot tell whether it is open for writing (no "
			  "AT_EXECVE_CHECK, and the read-lease probe failed)");
	}
}

/*
 * In a user namespace, the kernel shows an owner that is not mapped there as the overflow
 * id (65534 unless /proc/sys/kernel/overflowuid says otherwise), and becoming that id would
 * run the script as someone other than its owner. A mapped account with that number cannot
 * be told apart, so it cannot own a script here either.
 */
static void check_mapped_owner(const struct stat *st)
{
	char uid[32], gid[32];

	read_proc("/proc/sys/kernel/overflowuid", uid, sizeof uid);
	read_proc("/proc/sys/kernel/overflowgid", gid, sizeof gid);
	if (st->st_uid == (uid_t)strtoul(uid, NULL, 10) || st->st_gid == (gid_t)strtoul(gid, NULL, 10))
		die(PPY_EX_FILE, "owned by uid %u gid %u, which is how this user namespace shows an "
		    "owner it does not map (see /proc/self/uid_map); give the script to another "
		    "account of this namespace", (unsigned)st->st_uid, (unsigned)st->st_gid);
}

/* Open the script as the caller and run every check on that one descriptor. */
static void check_script(const char *arg, struct script *s)
{
	char proc[64], copy[PATH_MAX];
	const char *last;
	struct statvfs vfs;
	struct stat here;
	ssize_t n;
	int dir;

	s->fd = open(arg, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (s->fd < 0)
		die_errno(PPY_EX_NOSCRIPT, "cannot open");
	if (fstat(s->fd, &s->st) != 0)
		die_errno(PPY_EX_SYSCALL, "fstat");
	if (!S_ISREG(s->st.st_mode))
		die(PPY_EX_FILE, "not a regular file");
	if (s->st.st_uid == 0 || s->st.st_gid == 0)
		die(PPY_EX_FILE, "owned by %s 0: a script must not run as root; give it to a "
		    "service account (chown svc:svc)", s->st.st_uid == 0 ? "uid" : "gid");
	if (s->st.st_uid == (uid_t)-1 || s->st.st_gid == (gid_t)-1)
		die(PPY_EX_FILE, "owned by uid or gid -1, which no process can be");
	if (!init_userns)
		check_mapped_owner(&s->st);
	if (s->st.st_mode & (S_ISUID | S_ISGID))
		die(PPY_EX_FILE, "has the setuid or setgid bit; remove it (chmod ug-s)");
	if (s->st.st_mode & (S_IWGRP | S_IWOTH))
		die(PPY_EX_FILE, "writable by group or others (mode %04o, or an ACL); "
		    "only its owner may write it (chmod go-w)", (unsigned)(s->st.st_mode & 07777));
	if (s->st.st_size > PPY_MAX_SCRIPT)
		die(PPY_EX_FILE, "larger than %ld bytes", PPY_MAX_SCRIPT);
	if (fstatvfs(s->fd, &vfs) != 0)
		die_errno(PPY_EX_SYSCALL, "fstatvfs");
	if (vfs.f_flag & (ST_NOSUID | ST_NOEXEC))
		die(PPY_EX_MOUNT, "on a %s mount, where the kernel ignores file capabilities",
		    vfs.f_flag & ST_NOSUID ? "nosuid" : "noexec");
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", s->fd);
	/* The original faccessat, not glibc's faccessat(), which tries faccessat2 (Linux 5.8)
	   first and passes on a container profile's EPERM for it as if it were the answer. */
	if (syscall(SYS_faccessat, AT_FDCWD, proc, X_OK) != 0)
		die_errno(PPY_EX_FILE, "the caller may not execute it");

	/* The real path of what was opened; every directory above it must be trusted. */
	n = readlink(proc, s->path, sizeof s->path - 1);
	if ((n < 0 && errno == ENAMETOOLONG) || n >= (ssize_t)sizeof s->path - 1)
		die(PPY_EX_FILE, "its real path is longer than %zu bytes, too long to check",
		    sizeof s->path - 2);
	if (n < 0)
		die_errno(PPY_EX_SYSCALL, "readlink %s", proc);
	s->path[n] = '\0';
	dir = open_parent(s->path, s->st.st_uid, PPY_EX_DIR, "untrusted path", copy,
			  sizeof copy, &last);
	if (fstatat(dir, last, &here, AT_SYMLINK_NOFOLLOW) != 0 ||
	    here.st_dev != s->st.st_dev || here.st_ino != s->st.st_ino)
		die(PPY_EX_CHANGED, "the script was moved or replaced while ppy checked it");
	s->dirfd = dir;

	read_xattr(s);
	parse_xattr(s);
}

/*
 * Copy the script into a sealed memfd, then check nothing changed while copying: a
 * write(2) strips the xattr and changes ctime, a re-setcap changes ctime and maybe the
 * xattr. The interpreter runs the sealed copy, never the file again.
 */
static int snapshot(struct script *s)
{
	static char buf[65536];
	unsigned char again[sizeof s->xattr];
	struct stat st;
	off_t total = 0;
	ssize_t n, len;
	int mfd = (int)syscall(SYS_memfd_create, "ppy-script", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (mfd < 0)
		die_errno(PPY_EX_SYSCALL, "memfd_create");
	for (;;) {
		n = pread(s->fd, buf, sizeof buf, total);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die_errno(PPY_EX_SYSCALL, "read");
		if (n == 0)
			break;
		if (total + n > PPY_MAX_SCRIPT)
			die(PPY_EX_CHANGED, "the script grew while ppy read it");
		for (ssize_t done = 0; done < n;) {
			ssize_t w = write(mfd, buf + done, (size_t)(n - done));
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				die_errno(PPY_EX_SYSCALL, "write to memfd");
			done += w;
		}
		total += n;
	}
	if (fcntl(mfd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) != 0)
		die_errno(PPY_EX_SYSCALL, "sealing the script copy");

	len = fgetxattr(s->fd, XATTR_CAPS, again, sizeof again);
	if (fstat(s->fd, &st) != 0)
		die_errno(PPY_EX_SYSCALL, "fstat");
	if (len != s->xattr_len || memcmp(again, s->xattr, (size_t)len) != 0 ||
	    total != s->st.st_size || st.st_size != s->st.st_size ||
	    st.st_ctim.tv_sec != s->st.st_ctim.tv_sec ||
	    st.st_ctim.tv_nsec != s->st.st_ctim.tv_nsec ||
	    st.st_mtim.tv_sec != s->st.st_mtim.tv_sec ||
	    st.st_mtim.tv_nsec != s->st.st_mtim.tv_nsec ||
	    st.st_uid != s->st.st_uid || st.st_gid != s->st.st_gid ||
	    st.st_mode != s->st.st_mode)
		die(PPY_EX_CHANGED, "the script changed while ppy read it; nothing was run");
	return mfd;
}

/* ---------------------------------------------------------------- the new process */

/* HOME, USER and LOGNAME of the owner from /etc/passwd itself (no NSS modules loaded). */
static void owner_env(uid_t uid, char **env, size_t *n)
{
	FILE *f = fopen("/etc/passwd", "re");
	const char *home = "/", *user = NULL;
	struct passwd *pw;
	char *v;

	while (f && (pw = fgetpwent(f)))
		if (pw->pw_uid == uid) {
			if (pw->pw_dir[0] == '/' && strlen(pw->pw_dir) < 1024)
				home = pw->pw_dir;
			if (strlen(pw->pw_name) < 256)
				user = pw->pw_name;
			break;
		}
	if (asprintf(&v, "HOME=%s", home) < 0)
		die(PPY_EX_SYSCALL, "out of memory");
	env[(*n)++] = v;
	if (user) {
		if (asprintf(&v, "USER=%s", user) < 0)
			die(PPY_EX_SYSCALL, "out of memory");
		env[(*n)++] = v;
		if (asprintf(&v, "LOGNAME=%s", user) < 0)
			die(PPY_EX_SYSCALL, "out of memory");
		env[(*n)++] = v;
	}
	if (f)
		fclose(f);
}

/* Why setgroups(2) failed, if this user namespace forbids it (/proc/self/setgroups is
   "deny", as an unprivileged creator of a namespace must make it): a clause, errno kept. */
static const char *setgroups_denied(void)
{
	char buf[16] = "";
	int saved = errno, fd = open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		ssize_t n = read(fd, buf, sizeof buf - 1);
		buf[n > 0 ? n : 0] = '\0';
		close(fd);
	}
	errno = saved;
	return strncmp(buf, "deny", 4) == 0 ? " (this user namespace denies it: /proc/self/"
		"setgroups is deny, so the caller's supplementary groups cannot be dropped)" : "";
}

/*
 * Become the owner with exactly CAPS, in an order the kernel accepts:
 * ids first (keep-caps so nothing is lost), inheritable while the bounding set still
 * allows it, ambient (needs permitted and inheritable), then the bounding set (needs
 * CAP_SETPCAP), then drop what ppy itself needed. Each step is checked; the result is
 * read back from the kernel afterwards.
 */
static void become_owner(uid_t uid, gid_t gid, uint64_t caps)
{
	uint64_t eff, perm, inh;

	kernel_caps(&eff, &perm, &inh);
	set_caps(perm, NEEDED, 0, "raising setuid/setgid/setpcap");
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0)
		die_errno(PPY_EX_SYSCALL, "prctl(PR_SET_KEEPCAPS)");
	if (setresgid(gid, gid, gid) != 0)
		die_errno(PPY_EX_SYSCALL, "setresgid(%u)", (unsigned)gid);
	if (setgroups(0, NULL) != 0)
		die_errno(PPY_EX_SYSCALL, "setgroups%s", setgroups_denied());
	if (setresuid(uid, uid, uid) != 0)
		die_errno(PPY_EX_SYSCALL, "setresuid(%u)", (unsigned)uid);
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0)
		die_errno(PPY_EX_SYSCALL, "prctl(PR_SET_KEEPCAPS)");
	set_caps(caps | BIT(CAP_SETPCAP), BIT(CAP_SETPCAP), caps, "setting inheritable");
	for (unsigned c = 0; c <= last_cap; c++)
		if ((caps & BIT(c)) &&
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) != 0)
			die_errno(PPY_EX_SYSCALL, "raising capability %u in the ambient set", c);
	/* One PR_CAPBSET_DROP each (capng_apply(CAPNG_SELECT_BOUNDS) costs 3x as much). */
	for (unsigned c = 0; c <= last_cap; c++)
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0)
			die_errno(PPY_EX_SYSCALL, "dropping capability %u from the bounding set", c);
	set_caps(caps, 0, caps, "dropping ppy's own capabilities");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		die_errno(PPY_EX_SYSCALL, "prctl(PR_SET_NO_NEW_PRIVS)");
}

/* Read the result back from the kernel; any difference stops the launch. */
static void verify_owner(uid_t uid, gid_t gid, uint64_t caps)
{
	uid_t r, e, s;
	gid_t rg, eg, sg;
	uint64_t eff, perm, inh;

	if (getresuid(&r, &e, &s) != 0 || r != uid || e != uid || s != uid ||
	    (uid_t)setfsuid((uid_t)-1) != uid)
		die(PPY_EX_SYSCALL, "verification failed: user ids are not %u", (unsigned)uid);
	if (getresgid(&rg, &eg, &sg) != 0 || rg != gid || eg != gid || sg != gid ||
	    (gid_t)setfsgid((gid_t)-1) != gid)
		die(PPY_EX_SYSCALL, "verification failed: group ids are not %u", (unsigned)gid);
	if (getgroups(0, NULL) != 0)
		die(PPY_EX_SYSCALL, "verification failed: supplementary groups remain");
	kernel_caps(&eff, &perm, &inh);
	if (perm != caps || inh != caps || eff != 0)
		die(PPY_EX_SYSCALL, "verification failed: capability sets differ from the file's");
	for (unsigned c = 0; c <= last_cap; c++) {
		int amb = prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, c, 0, 0);
		if (amb < 0 || amb != ((caps & BIT(c)) != 0))
			die(PPY_EX_SYSCALL, "verification failed: ambient capability %u", c);
		if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) != 0)
			die(PPY_EX_SYSCALL, "verification failed: bounding set still has %u", c);
	}
	/* The loops stop at cap_last_cap: the kernel must know no capability beyond it. */
	if (last_cap < 63 &&
	    (prctl(PR_CAPBSET_READ, last_cap + 1, 0, 0, 0) != -1 || errno != EINVAL))
		die(PPY_EX_SYSCALL, "verification failed: a capability beyond cap_last_cap (%u)",
		    last_cap);
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1 || prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0) != 0)
		die(PPY_EX_SYSCALL, "verification failed: no_new_privs or keep-caps");
	if (tty_nr() != 0 || personality(0xffffffff) != PER_LINUX)
		die(PPY_EX_SYSCALL, "verification failed: controlling tty or personality");
	/* Until the switch, the caller could change our limits with prlimit(2); now it can't. */
	apply_limits();
}

/* Capabilities that read or write any file or change the system: a script holding one
   must not take what it acts on from just anyone (`ppy --check` warns). */
#define SYSTEM_CAPS (BIT(CAP_CHOWN) | BIT(CAP_DAC_OVERRIDE) | BIT(CAP_DAC_READ_SEARCH) | \
	BIT(CAP_FOWNER) | BIT(CAP_FSETID) | BIT(CAP_KILL) | BIT(CAP_SETGID) | BIT(CAP_SETUID) | \
	BIT(CAP_SETPCAP) | BIT(CAP_LINUX_IMMUTABLE) | BIT(CAP_NET_ADMIN) | BIT(CAP_IPC_OWNER) | \
	BIT(CAP_SYS_MODULE) | BIT(CAP_SYS_RAWIO) | BIT(CAP_SYS_CHROOT) | BIT(CAP_SYS_PTRACE) | \
	BIT(CAP_SYS_PACCT) | BIT(CAP_SYS_ADMIN) | BIT(CAP_SYS_BOOT) | BIT(CAP_SYS_NICE) | \
	BIT(CAP_SYS_RESOURCE) | BIT(CAP_SYS_TIME) | BIT(CAP_MKNOD) | BIT(CAP_AUDIT_CONTROL) | \
	BIT(CAP_SETFCAP) | BIT(CAP_MAC_OVERRIDE) | BIT(CAP_MAC_ADMIN) | BIT(CAP_SYSLOG) | \
	BIT(39) /* bpf */ | BIT(40) /* checkpoint_restore */)

/* The name of group GID from /etc/group itself (no NSS modules), or NULL. */
static const char *group_name(gid_t gid, char *buf, size_t size)
{
	FILE *f = fopen("/etc/group", "re");
	struct group *gr;
	const char *found = NULL;

	while (f && (gr = fgetgrent(f)))
		if (gr->gr_gid == gid) {
			snprintf(buf, size, "%s", gr->gr_name);
			found = buf;
			break;
		}
	if (f)
		fclose(f);
	return found;
}

/*
 * Who may start the script, from its mode and its directories' (a caller must search
 * every directory above it, and read and execute it): "any local user", "members of
 * group G", or only its owner; an ACL can name more. Returns 1 for "any local user".
 */
static int who_may_start(const struct script *s, char *buf, size_t size)
{
	char dir[PATH_MAX], name[128], shown[4 * sizeof name + 1], *slash;
	struct stat st;
	int others = (s->st.st_mode & (S_IROTH | S_IXOTH)) == (S_IROTH | S_IXOTH);
	int group = (s->st.st_mode & (S_IRGRP | S_IXGRP)) == (S_IRGRP | S_IXGRP);
	int acl = fgetxattr(s->fd, "system.posix_acl_access", NULL, 0) > 0;

	snprintf(dir, sizeof dir, "%s", s->path);
	while ((slash = strrchr(dir, '/'))) {
		*(slash == dir ? slash + 1 : slash) = '\0';
		if (lstat(dir, &st) != 0) {
			others = group = 0;
			break;
		}
		if (!(st.st_mode & S_IXOTH)) {
			others = 0;
			if (!(st.st_mode & S_IXGRP) || st.st_gid != s->st.st_gid)
				group = 0;
		}
		if (slash == dir)
			break;
	}
	if (others)
		snprintf(buf, size, "any local user");
	else if (group) {
		const char *g = group_name(s->st.st_gid, name, sizeof name);
		escape(g ? g : "?", shown, sizeof shown);
		snprintf(buf, size, "its owner and the members of group %s (gid %u)", shown,
			 (unsigned)s->st.st_gid);
	} else
		snprintf(buf, size, "its owner only");
	if (acl && !others)
		snprintf(buf + strlen(buf), size - strlen(buf), ", and the users and groups its ACL "
			 "names");
	return others;
}

/*
 * The caller's session keyring is the caller's: the script gets one of its own, new and
 * empty, as pam_keyinit gives su and sudo theirs. Otherwise the script could read the
 * keys the caller put there (or use the credentials it planted), and the caller read
 * what the script keeps in "its" session keyring. Without keys in the kernel (ENOSYS),
 * or under a seccomp profile that refuses keyctl (Docker's: EPERM), the script cannot
 * reach any keyring either, and nothing is needed.
 */
static void new_session_keyring(void)
{
	long id = syscall(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, NULL, 0, 0, 0);

	if (id < 0 && (errno == ENOSYS || errno == EPERM))
		return;
	if (id < 0)
		die_errno(PPY_EX_SYSCALL, "keyctl(KEYCTL_JOIN_SESSION_KEYRING)");
	if (syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3 /* KEY_SPEC_SESSION_KEYRING */,
		    0, 0, 0) != id)
		die(PPY_EX_SYSCALL, "verification failed: the session keyring is not a new one");
}

/* The umask /proc shows for process PID, or -1. */
static long umask_of(const char *pid)
{
	char path[64], buf[4096], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "/proc/%s/status", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return (p = strstr(buf, "\nUmask:")) ? strtol(p + 7, NULL, 8) : -1;
}

/* Another process whose filesystem state (cwd, root, umask: clone(CLONE_FS)) is ppy's own,
   found by the one part of it /proc shows, the umask: ppy sets two rare ones in turn and
   looks for a process that follows both. Its pid, or 0. Only used to explain a refusal. */
static long fs_sharer(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	long found = 0;

	while (d && !found && (e = readdir(d))) {
		if (!isdigit((unsigned char)e->d_name[0]) || atol(e->d_name) == (long)getpid())
			continue;
		umask(0517);
		if (umask_of(e->d_name) == 0517) {
			umask(0265);
			if (umask_of(e->d_name) == 0265)
				found = atol(e->d_name);
		}
	}
	umask(022);
	if (d)
		closedir(d);
	return found;
}

/*
 * ppy's permitted set lacks MISSING (capabilities it needs, or the script asks for). The
 * kernel gave ppy (its file's capabilities & the caller's bounding set), or nothing at all
 * if ppy's file is on a nosuid mount, or the caller set no_new_privs, traces ppy or shares
 * its filesystem state with it (the first two are refused in check_caller()). Say which,
 * as read from the kernel.
 */
__attribute__((noreturn))
static void own_caps_missing(uint64_t missing)
{
	char names[2048], first[48], exe[PATH_MAX * 4 + 1], real[PATH_MAX];
	uint32_t w[6];
	uint64_t file = 0, bounding = 0;
	struct statvfs vfs;
	ssize_t n = -1, len;
	long sharer;
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC), unread = fd < 0;

	if (fd >= 0 && (n = fgetxattr(fd, XATTR_CAPS, w, sizeof w)) < 0 && errno != ENODATA)
		unread = 1;   /* unknown: go on to the other causes */
	len = readlink("/proc/self/exe", real, sizeof real - 1);
	real[len > 0 ? len : 0] = '\0';
	escape(real, exe, sizeof exe);
	if (n == XATTR_CAPS_SZ_3 && (le32toh(w[0]) & VFS_CAP_REVISION_MASK) == VFS_CAP_REVISION_3)
		die(PPY_EX_INSTALL, "ppy's own file capabilities (%s) are namespaced for another user "
		    "namespace (revision 3, rootid %u), which the kernel does not honour here; set "
		    "them again as root of this one (make install)", exe, (unsigned)le32toh(w[5]));
	if (n == XATTR_CAPS_SZ_2)
		file = (le32toh(w[1]) | le32toh(w[2])) | (uint64_t)(le32toh(w[3]) | le32toh(w[4])) << 32;
	if (!unread && (missing & ~file))
		die(PPY_EX_INSTALL, "ppy itself does not hold %s (install it with 'make install', "
		    "which sets its file capabilities)", caps_text(missing & ~file, names, sizeof names));
	if (fd >= 0 && fstatvfs(fd, &vfs) == 0 && (vfs.f_flag & ST_NOSUID))
		die(PPY_EX_INSTALL, "ppy's own file %s is on a nosuid mount, where the kernel ignores "
		    "its file capabilities; install ppy on a mount without nosuid", exe);
	for (unsigned c = 0; c <= last_cap; c++)
		if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1)
			bounding |= BIT(c);
	caps_text(missing & ~bounding, names, sizeof names);
	for (unsigned c = 0; c <= last_cap; c++)
		if (missing & ~bounding & BIT(c)) {
			cap_name(c, first, sizeof first);
			break;
		}
	if (missing & ~bounding)
		die(PPY_EX_CALLER, "the caller's bounding set lacks %s, so the kernel gave ppy none "
		    "of it (containers drop most capabilities: add it to the container, e.g. docker "
		    "run --cap-add=%s, or the pod's securityContext.capabilities.add)", names, first);
	if ((sharer = fs_sharer()) != 0)
		die(PPY_EX_CALLER, "the kernel withheld ppy's capabilities: the caller shares its "
		    "filesystem state (clone(CLONE_FS)) with ppy, as process %ld does; start ppy "
		    "from a process that shares it with none", sharer);
	die(PPY_EX_CALLER, "the kernel withheld %s from ppy for a reason ppy cannot see (not "
	    "its file, the bounding set, no_new_privs, a tracer, a nosuid mount, nor a process "
	    "visible here sharing its filesystem state)", caps_text(missing, names, sizeof names));
}

/* ---------------------------------------------------------------- main */

static void usage(void)
{
	printf(
		"usage: ppy [--] SCRIPT [ARG...]   run SCRIPT with its file capabilities, as its owner\n"
		"       ppy --check SCRIPT         say whether and how SCRIPT would run, run nothing\n"
		"       ppy --help | --version\n"
		"interpreter %s, library %s, configuration %s, grantable: %s\n"
		"exit status when ppy refuses: 64 usage, 66 cannot open, 80 script file, 81 directory,\n"
		"82 mount, 83 capabilities, 84 changed during launch, 85 caller state, 86 installation,\n"
		"87 system call failed, 88 interpreter start-up (ppy_boot.py)\n",
		PPY_PYTHON, PPY_LIBDIR, PPY_CONF, PPY_GRANTABLE);
}

static int launch(int argc, char **argv, char **envp, int check, int first);

int main(int argc, char **argv, char **envp)
{
	int check = 0, first = 1;

	/* Every refusal of a launch is logged, the caller's state included: the log opens
	   first (it connects on the first message, after the descriptors are reset). */
	openlog("ppy", LOG_PID, LOG_AUTHPRIV);
	logging = 1;

	/* Parse. Nothing after SCRIPT is ever read by ppy or by the interpreter as an option. */
	if (argc < 1 || !argv[0])
		die(PPY_EX_USAGE, "started without argv[0]; refusing");
	if (argc >= 2 && strcmp(argv[1], "--help") == 0) {
		usage();
		return 0;
	}
	if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
		printf("ppy %s\n", PPY_VERSION);
		return 0;
	}
	if (argc >= 2 && strcmp(argv[1], "--check") == 0)
		check = 1, first = 2, logging = 0;   /* a dry run, for anyone: not logged */
	else if (argc >= 2 && strcmp(argv[1], "--") == 0)
		first = 2;
	if (first >= argc || (check && first + 1 != argc))
		die(PPY_EX_USAGE, "usage: ppy [--] SCRIPT [ARG...] | ppy --check SCRIPT | ppy --help");
	escape(argv[first], script_shown, sizeof script_shown);
	/* The stack before anything that needs much of it: main() stays small, so that a
	   caller's small RLIMIT_STACK is refused (or its soft limit raised) here, before the
	   checks below take tens of KiB, instead of killing ppy with SIGSEGV. */
	stack_limit();
	return launch(argc, argv, envp, check, first);
}

/* Everything after the command line: check, transition, exec. */
static __attribute__((noinline)) int launch(int argc, char **argv, char **envp, int check,
					    int first)
{
	char *env[64], caps_buf[2048], one[48];
	const char *arg;
	struct script s;
	uint64_t eff, perm, inh, grant;
	size_t nenv;
	int mfd, ifd, lease_probe;
	static struct conf conf;
	char *pydir;
	const char *python, *hint = NULL;
	struct stat st;

	/* Trust nothing the caller left: environment, fds, signals, timers, limits, tty. */
	nenv = keep_caller_env(envp, env, 40);
	reset_process();
	last_cap = read_last_cap();
	check_caller();

	/* Touch no path with privilege: empty the effective set before opening anything. */
	kernel_caps(&eff, &perm, &inh);
	set_caps(perm, 0, inh, "clearing the effective set");

	/* Started through "#!/usr/local/bin/ppy INTERPRETER": the kernel passes that word. */
	{
		/* Which script it is depends on the configuration (the first word may be a
		   #! line's interpreter): a configuration error names none. */
		char shown_before[sizeof script_shown];
		memcpy(shown_before, script_shown, sizeof shown_before);
		script_shown[0] = '\0';
		read_conf(&conf);
		resolve_forbidden(&conf);
		memcpy(script_shown, shown_before, sizeof script_shown);
	}
	if (first + 1 < argc && conf_allows(&conf, argv[first])) {
		hint = argv[first++];
	} else if (first + 1 < argc && argv[first][0] == '/' && stat(argv[first], &st) == 0 &&
		   S_ISREG(st.st_mode) && st.st_uid == 0 &&
		   names_interpreter(argv[first + 1], argv[first])) {
		/* A root-owned program where the script goes, named by the next argument's #!
		   line: the kernel passed the word of a "#!.../ppy INTERPRETER" line that
		   PPY_CONF does not list. (Any other root-owned file is a script given by hand,
		   refused below as root's.) */
		escape(argv[first + 1], script_shown, sizeof script_shown);
		refuse_interpreter(argv[first]);
	}
	arg = argv[first];
	escape(arg, script_shown, sizeof script_shown);
	if (arg[0] == '\0')
		die(PPY_EX_USAGE, "empty script name");
	if (arg[0] == '-')
		die(PPY_EX_USAGE, "looks like an option; ppy takes no interpreter options "
		    "(name a script called '%s' as ./%s)", script_shown, script_shown);

	if ((perm & NEEDED) != NEEDED)
		own_caps_missing(NEEDED & ~perm);
	check_script(arg, &s);
	grant = grantable();
	for (unsigned c = 0; c <= last_cap; c++)
		if ((s.caps & BIT(c)) && !(grant & BIT(c)))
			die(PPY_EX_CAPS, "asks for %s, which this ppy may not grant (built with "
			    "GRANTABLE=%s)", cap_name(c, one, sizeof one), PPY_GRANTABLE);
	if (s.caps & ~perm)
		own_caps_missing(s.caps & ~perm);
	lease_probe = check_no_writers(&s);
	caps_text(s.caps, caps_buf, sizeof caps_buf);

	if (check) {
		static char shown[PATH_MAX * 4 + 1], pyshown[PATH_MAX * 4 + 1], who[1024];
		char here[PATH_MAX], *slash;
		int anyone;
		python = select_interpreter(s.fd, &conf, hint);
		close(check_interpreter(python, s.st.st_uid, 1));
		check_library();
		/* The modules beside the script, checked at launch only as they are imported. */
		snprintf(here, sizeof here, "%s", s.path);
		if ((slash = strrchr(here, '/')))
			*(slash == here ? slash + 1 : slash) = '\0';
		check_trusted_tree(here, "script directory", s.st.st_uid, 0);
		/* No lease for a dry run: a caller who can freeze ppy (a delegated cgroup)
		   while it holds one holds up root's and the owner's writes to the script. */
		if (lease_probe)
			warn("this kernel cannot say whether the script is open for writing without "
			     "a lease, which --check does not take: a launch checks it");
		escape(s.path, shown, sizeof shown);
		escape(python, pyshown, sizeof pyshown);
		printf("ppy: %s: would run %s under %s as uid %u gid %u, no groups, with %s %s\n",
		       script_shown, shown, pyshown, (unsigned)s.st.st_uid, (unsigned)s.st.st_gid,
		       caps_buf, s.effective ? "permitted and effective from the start"
					     : "permitted, raised when needed (ppy_py.raised)");
		anyone = who_may_start(&s, who, sizeof who);
		printf("ppy: %s: may be started by %s\n", script_shown, who);
		if (anyone && (s.caps & SYSTEM_CAPS))
			printf("ppy: %s: warning: any local user may start it, and %s reads or writes "
			       "files or changes the system: limit who may start it (chmod 0750 and a "
			       "group of callers) and take what it acts on from a file only root or "
			       "its owner can write, not from its arguments\n", script_shown,
			       caps_text(s.caps & SYSTEM_CAPS, caps_buf, sizeof caps_buf));
		for (size_t w = 0; w < warnings.n; w++)
			printf("ppy: %s: warning: %s\n", script_shown, warnings.line[w]);
		if (warnings.more)
			printf("ppy: %s: warning: and %zu more like these\n", script_shown, warnings.more);
		/* An answer that did not reach the caller (a full disk, a closed pipe) is no
		   answer: say so, as a failure, rather than exit 0. */
		if (fflush(stdout) != 0 || ferror(stdout))
			die_errno(PPY_EX_SYSCALL, "writing the answer to standard output");
		exit(0);
	}

	/* Bind: from here on only the sealed copy of what was checked is used. */
	mfd = snapshot(&s);
	python = select_interpreter(mfd, &conf, hint);
	ifd = check_interpreter(python, s.st.st_uid, 0);
	pydir = check_library();
	owner_env(s.st.st_uid, env, &nenv);
	env[nenv++] = "PATH=" PPY_PATH;
	env[nenv] = NULL;

	{
		/* The caller's uid, for the log line once ppy is the owner. */
		uid_t caller = getuid();
		static char shown[PATH_MAX * 4 + 1];

		become_owner(s.st.st_uid, s.st.st_gid, s.caps);
		verify_owner(s.st.st_uid, s.st.st_gid, s.caps);
		if (lease_probe)
			probe_writers(&s);
		new_session_keyring();
		/* Logged once nothing is left to refuse but a failing system call. */
		escape(s.path, shown, sizeof shown);
		syslog(LOG_AUTHPRIV | LOG_NOTICE,
		       "run: caller uid=%u script=%s dev=%lu ino=%lu as uid=%u gid=%u caps=%s%s",
		       (unsigned)caller, shown, (unsigned long)s.st.st_dev,
		       (unsigned long)s.st.st_ino, (unsigned)s.st.st_uid, (unsigned)s.st.st_gid,
		       caps_buf, s.effective ? " (effective)" : "");
	}

	/* The script starts in its own directory, never the caller's (which frameworks put
	   on sys.path, and which tools like http.server serve). */
	if (fchdir(s.dirfd) != 0)
		die_errno(PPY_EX_SYSCALL, "cannot enter the script's directory");

	/* The sealed copy is the only descriptor besides 0-2 that the interpreter gets; the
	   interpreter's own (close-on-exec) is what execveat runs. */
	closelog();
	logging = 0;
	close(s.fd);
	if ((ifd = fcntl(ifd, F_DUPFD_CLOEXEC, PPY_INTERP_FD + 1)) < 0)
		die_errno(PPY_EX_SYSCALL, "fcntl(F_DUPFD_CLOEXEC)");
	if (mfd == PPY_SCRIPT_FD) {
		if (fcntl(mfd, F_SETFD, 0) != 0)
			die_errno(PPY_EX_SYSCALL, "fcntl");
	} else if (dup2(mfd, PPY_SCRIPT_FD) != PPY_SCRIPT_FD) {
		die_errno(PPY_EX_SYSCALL, "dup2");
	}
	if (dup3(ifd, PPY_INTERP_FD, O_CLOEXEC) != PPY_INTERP_FD)
		die_errno(PPY_EX_SYSCALL, "dup3");
	close_from(PPY_INTERP_FD + 1U);

	{
		/* Ctrl-C or Ctrl-\ before the script's first line: held (blocked across exec)
		   until the boot has done its work, which then stops with one line (88), not a
		   traceback from the middle of the interpreter's start-up or a silent death.
		   The boot unblocks both before the script runs. */
		sigset_t held;
		if (sigemptyset(&held) != 0 || sigaddset(&held, SIGINT) != 0 ||
		    sigaddset(&held, SIGQUIT) != 0 || sigprocmask(SIG_BLOCK, &held, NULL) != 0)
			die_errno(PPY_EX_SYSCALL, "sigprocmask");
	}
	{
		const char *fixed[] = {
			python,
			"-I",   /* isolated: no PYTHON* variables, no user site, no script dir */
			"-S",   /* no site-packages code yet: the boot runs site.main() later */
			"-B",   /* write no bytecode anywhere */
			/* Import (not run) the boot, so its bytecode from `make install` is used. */
			"-c", "import sys;sys.path.insert(0,sys.argv.pop(1));import ppy_boot;ppy_boot.main()",
			pydir, "3", s.effective ? "1" : "0", forbid_mode(&conf, s.path, &s.st), s.path,
		};
		size_t nfixed = sizeof fixed / sizeof fixed[0];
		size_t nargs = (size_t)(argc - first - 1);
		char **args = calloc(nfixed + nargs + 1, sizeof *args);
		size_t i = 0;
		if (!args)
			die(PPY_EX_SYSCALL, "out of memory");
		for (; i < nfixed; i++)
			args[i] = (char *)fixed[i];
		for (int a = first + 1; a < argc; a++)
			args[i++] = argv[a];
		args[i] = NULL;
		/* argv[0] stays the path as configured: a virtualenv's Python finds its
		   pyvenv.cfg from it. */
		syscall(SYS_execveat, PPY_INTERP_FD, "", args, env, AT_EMPTY_PATH);
		if (errno == ENOSYS || errno == EPERM) {
			/* A container profile that refuses execveat (or a kernel before 3.19): the
			   same descriptor through its /proc link, which names that open file, not
			   a path anyone could switch. */
			char fdpath[32];
			struct statfs sfs;
			snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", PPY_INTERP_FD);
			if (statfs("/proc/self/fd", &sfs) != 0 || sfs.f_type != PROC_SUPER_MAGIC)
				die(PPY_EX_SYSCALL, "execveat is refused and /proc is not procfs");
			execve(fdpath, args, env);
		}
		die_errno(PPY_EX_SYSCALL, "cannot start %s%s", python,
			  errno == EAGAIN ? " (the owner is at its RLIMIT_NPROC process limit)" :
			  errno == ENOENT ? " (a #! script cannot be run as the interpreter)" : "");
	}
}
