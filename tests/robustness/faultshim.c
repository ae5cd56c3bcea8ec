/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * faultshim: an LD_PRELOAD library that makes one call of ppy's privileged path fail.
 *
 * Test-only. It is loaded into an uncapped build of ppy run by root: root is not in
 * secure-execution mode, so the dynamic loader honours LD_PRELOAD, and root holds every
 * capability, so the whole privileged path (identity switch, capability sets, bounding
 * set, no_new_privs, exec) really runs. ppy itself is not changed.
 *
 * Every interposed function counts its calls under a label (the function, refined by
 * its first argument where that tells the calls apart: prctl(PR_CAP_AMBIENT),
 * syscall(close_range), fcntl(F_ADD_SEALS)). Only calls made after main() starts count.
 *
 *   PPYFAULT_LOG=FILE          append one line per event to FILE (opened per write: ppy
 *                              closes every inherited descriptor and changes uid):
 *                                S PID                    the library was loaded
 *                                C LABEL INDEX DETAIL     a call (INDEX counts from 1)
 *                                F LABEL INDEX ERRNO      the call made to fail
 *                                E PATH                   execve (or ppy's execveat) was called for real
 *   PPYFAULT_FN=LABEL          the call to fail ...
 *   PPYFAULT_NTH=N             ... its Nth call (default 1) ...
 *   PPYFAULT_ERRNO=E           ... with errno E (a number; default EIO)
 *   PPYFAULT_LIE=1             ... or instead report success (0) without doing anything:
 *                              a kernel that says yes and does not, for the read-back checks
 *   PPYFAULT_OLD_KERNEL=1      execveat(AT_EXECVE_CHECK) fails with EINVAL, uncounted, as on
 *                              a kernel before 6.14, so that ppy takes its read-lease probe
 *
 * When ppy forks (it stays behind as the leader of its terminal's session), the calls
 * the parent makes afterwards are labelled "leader:LABEL", so that its calls and the
 * child's, which count on from the same numbers, stay apart.
 *
 * A failed call does nothing and returns the function's failure value with errno set,
 * except close-like calls (close, fclose, closedir), which release the descriptor first,
 * as Linux always does even when close reports an error.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <unistd.h>

int __open_2(const char *path, int flags);
int capget(cap_user_header_t h, cap_user_data_t d);
int capset(cap_user_header_t h, const cap_user_data_t d);

static int active;                  /* main() has started */
static __thread int inside;         /* a shim call is in progress: don't count nested calls */
static char log_path[512];
static char fail_label[128];
static long fail_nth = 1;
static int fail_errno = EIO;
static int lie;                     /* PPYFAULT_LIE=1: the chosen call "succeeds" */
static const char *side = "";       /* "leader:" in the parent after a fork */
static int old_kernel;              /* PPYFAULT_OLD_KERNEL=1: no AT_EXECVE_CHECK */

#define MAX_LABELS 128
static struct { char label[64]; long n; } counts[MAX_LABELS];

#define REAL(name) static __typeof__(name) *real_##name
#define RESOLVE(name) (real_##name ? real_##name : \
	(real_##name = (__typeof__(real_##name))dlsym(RTLD_NEXT, #name)))

static long raw(long nr, long a, long b, long c, long d)
{
	long ret;
	register long r10 __asm__("r10") = d;

	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10)
			 : "rcx", "r11", "memory");
	return ret;
}

static void logf_(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n, fd, saved = errno;

	if (!log_path[0])
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof line)
		n = sizeof line - 1;
	fd = (int)raw(SYS_openat, AT_FDCWD, (long)log_path, O_WRONLY | O_APPEND | O_CLOEXEC, 0);
	if (fd >= 0) {
		raw(SYS_write, fd, (long)line, n, 0);
		raw(SYS_close, fd, 0, 0, 0);
	}
	errno = saved;
}

/* Count a call; return 1 if this one must fail (errno is then set). */
static int fault(const char *label, const char *detail)
{
	char full[sizeof counts[0].label];
	int i;

	if (!active || inside)
		return 0;
	snprintf(full, sizeof full, "%s%s", side, label);
	label = full;
	for (i = 0; i < MAX_LABELS && counts[i].label[0]; i++)
		if (strcmp(counts[i].label, label) == 0)
			break;
	if (i == MAX_LABELS)
		return 0;
	if (!counts[i].label[0])
		snprintf(counts[i].label, sizeof counts[i].label, "%s", label);
	counts[i].n++;
	logf_("C %s %ld %s\n", label, counts[i].n, detail ? detail : "-");
	if (strcmp(label, fail_label) == 0 && counts[i].n == fail_nth) {
		logf_("F %s %ld %d\n", label, counts[i].n, fail_errno);
		errno = fail_errno;
		return 1;
	}
	return 0;
}

__attribute__((constructor)) static void init(void)
{
	const char *v;

	if ((v = getenv("PPYFAULT_LOG")))
		snprintf(log_path, sizeof log_path, "%s", v);
	if ((v = getenv("PPYFAULT_FN")))
		snprintf(fail_label, sizeof fail_label, "%s", v);
	if ((v = getenv("PPYFAULT_NTH")))
		fail_nth = strtol(v, NULL, 10);
	if ((v = getenv("PPYFAULT_ERRNO")))
		fail_errno = (int)strtol(v, NULL, 10);
	if ((v = getenv("PPYFAULT_OLD_KERNEL")))
		old_kernel = strcmp(v, "1") == 0;
	if ((v = getenv("PPYFAULT_LIE")))
		lie = strcmp(v, "1") == 0;
	logf_("S %ld\n", (long)getpid());
}

/* ------------------------------------------------------------ start-up: count from main */

typedef int (*main_fn)(int, char **, char **);
static main_fn real_main;

static int wrapped_main(int argc, char **argv, char **envp)
{
	active = 1;
	return real_main(argc, argv, envp);
}

int __libc_start_main(main_fn main, int argc, char **argv, void (*init_)(void),
		      void (*fini)(void), void (*rtld_fini)(void), void *stack_end)
{
	static __typeof__(__libc_start_main) *next;

	next = (__typeof__(next))dlsym(RTLD_NEXT, "__libc_start_main");
	real_main = main;
	return next(wrapped_main, argc, argv, init_, fini, rtld_fini, stack_end);
}

/* ------------------------------------------------------------ labels */

static const char *prctl_name(int op)
{
	switch (op) {
	case PR_SET_KEEPCAPS: return "prctl(PR_SET_KEEPCAPS)";
	case PR_GET_KEEPCAPS: return "prctl(PR_GET_KEEPCAPS)";
	case PR_CAP_AMBIENT: return "prctl(PR_CAP_AMBIENT)";
	case PR_CAPBSET_READ: return "prctl(PR_CAPBSET_READ)";
	case PR_CAPBSET_DROP: return "prctl(PR_CAPBSET_DROP)";
	case PR_SET_NO_NEW_PRIVS: return "prctl(PR_SET_NO_NEW_PRIVS)";
	case PR_GET_NO_NEW_PRIVS: return "prctl(PR_GET_NO_NEW_PRIVS)";
	case PR_SET_DUMPABLE: return "prctl(PR_SET_DUMPABLE)";
	case PR_SET_PDEATHSIG: return "prctl(PR_SET_PDEATHSIG)";
	case PR_GET_SECUREBITS: return "prctl(PR_GET_SECUREBITS)";
	case PR_SET_SECUREBITS: return "prctl(PR_SET_SECUREBITS)";
	case PR_GET_TIMERSLACK: return "prctl(PR_GET_TIMERSLACK)";
	case PR_SET_TIMERSLACK: return "prctl(PR_SET_TIMERSLACK)";
	default: return "prctl(other)";
	}
}

static const char *syscall_name(long nr)
{
	switch (nr) {
	case SYS_capget: return "syscall(capget)";
	case SYS_capset: return "syscall(capset)";
	case SYS_close_range: return "syscall(close_range)";
	case SYS_memfd_create: return "syscall(memfd_create)";
	case SYS_execveat: return "syscall(execveat)";
	case SYS_rt_sigtimedwait: return "syscall(rt_sigtimedwait)";
	case SYS_rt_sigaction: return "syscall(rt_sigaction)";
	case SYS_ioprio_get: return "syscall(ioprio_get)";
	case SYS_ioprio_set: return "syscall(ioprio_set)";
	case SYS_faccessat: return "syscall(faccessat)";
	case SYS_sched_getscheduler: return "syscall(sched_getscheduler)";
	case SYS_keyctl: return "syscall(keyctl)";
	case SYS_sched_setscheduler: return "syscall(sched_setscheduler)";
	case SYS_prctl: return "syscall(prctl)";
	default: return "syscall(other)";
	}
}

static const char *fcntl_name(int cmd)
{
	switch (cmd) {
	case F_GETFL: return "fcntl(F_GETFL)";
	case F_SETFD: return "fcntl(F_SETFD)";
	case F_GETFD: return "fcntl(F_GETFD)";
	case F_ADD_SEALS: return "fcntl(F_ADD_SEALS)";
	case F_GET_SEALS: return "fcntl(F_GET_SEALS)";
	case F_DUPFD_CLOEXEC: return "fcntl(F_DUPFD_CLOEXEC)";
	case F_SETLEASE: return "fcntl(F_SETLEASE)";
	default: return "fcntl(other)";
	}
}

/* ------------------------------------------------------------ interposers */


/* Wrap a call that fails with FAILVAL: count, maybe fail, else call the real one. */
#define WRAP(label, detail, failval, call) do { \
	if (fault(label, detail)) return lie ? (__typeof__(call))0 : failval; \
	inside++; __typeof__(call) r_ = call; inside--; return r_; \
} while (0)

REAL(open);
int open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	va_start(ap, flags);
	if (flags & (O_CREAT | O_TMPFILE))
		mode = va_arg(ap, mode_t);
	va_end(ap);
	RESOLVE(open);
	WRAP("open", path, -1, real_open(path, flags, mode));
}

REAL(__open_2);
int __open_2(const char *path, int flags)
{
	RESOLVE(__open_2);
	WRAP("open", path, -1, real___open_2(path, flags));
}

REAL(openat);
int openat(int dir, const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	va_start(ap, flags);
	if (flags & (O_CREAT | O_TMPFILE))
		mode = va_arg(ap, mode_t);
	va_end(ap);
	RESOLVE(openat);
	WRAP("openat", path, -1, real_openat(dir, path, flags, mode));
}

REAL(fstat);
int fstat(int fd, struct stat *st)
{
	RESOLVE(fstat);
	WRAP("fstat", NULL, -1, real_fstat(fd, st));
}

REAL(fstatat);
int fstatat(int dir, const char *path, struct stat *st, int flags)
{
	RESOLVE(fstatat);
	WRAP("fstatat", path, -1, real_fstatat(dir, path, st, flags));
}

REAL(lstat);
int lstat(const char *path, struct stat *st)
{
	RESOLVE(lstat);
	WRAP("lstat", path, -1, real_lstat(path, st));
}

REAL(fstatfs);
int fstatfs(int fd, struct statfs *st)
{
	RESOLVE(fstatfs);
	WRAP("fstatfs", NULL, -1, real_fstatfs(fd, st));
}

REAL(statfs);
int statfs(const char *path, struct statfs *buf)
{
	RESOLVE(statfs);
	WRAP("statfs", path, -1, real_statfs(path, buf));
}

REAL(unshare);
int unshare(int flags)
{
	RESOLVE(unshare);
	WRAP("unshare", NULL, -1, real_unshare(flags));
}

REAL(fchdir);
int fchdir(int fd)
{
	RESOLVE(fchdir);
	WRAP("fchdir", NULL, -1, real_fchdir(fd));
}

REAL(dup3);
int dup3(int old, int new, int flags)
{
	RESOLVE(dup3);
	WRAP("dup3", NULL, -1, real_dup3(old, new, flags));
}

REAL(fstatvfs);
int fstatvfs(int fd, struct statvfs *st)
{
	RESOLVE(fstatvfs);
	WRAP("fstatvfs", NULL, -1, real_fstatvfs(fd, st));
}

REAL(fgetxattr);
ssize_t fgetxattr(int fd, const char *name, void *value, size_t size)
{
	RESOLVE(fgetxattr);
	WRAP("fgetxattr", name, -1, real_fgetxattr(fd, name, value, size));
}

REAL(readlink);
ssize_t readlink(const char *path, char *buf, size_t size)
{
	RESOLVE(readlink);
	WRAP("readlink", path, -1, real_readlink(path, buf, size));
}

REAL(faccessat);
int faccessat(int dir, const char *path, int mode, int flags)
{
	RESOLVE(faccessat);
	WRAP("faccessat", path, -1, real_faccessat(dir, path, mode, flags));
}

REAL(read);
ssize_t read(int fd, void *buf, size_t n)
{
	RESOLVE(read);
	WRAP("read", NULL, -1, real_read(fd, buf, n));
}

REAL(pread);
ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
	RESOLVE(pread);
	WRAP("pread", NULL, -1, real_pread(fd, buf, n, off));
}

REAL(write);
ssize_t write(int fd, const void *buf, size_t n)
{
	RESOLVE(write);
	WRAP("write", NULL, -1, real_write(fd, buf, n));
}

REAL(fcntl);
int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	long arg;

	va_start(ap, cmd);
	arg = va_arg(ap, long);
	va_end(ap);
	RESOLVE(fcntl);
	WRAP(fcntl_name(cmd), NULL, -1, real_fcntl(fd, cmd, arg));
}

REAL(dup2);
int dup2(int a, int b)
{
	RESOLVE(dup2);
	WRAP("dup2", NULL, -1, real_dup2(a, b));
}

REAL(close);
int close(int fd)
{
	RESOLVE(close);
	if (fault("close", NULL)) {
		int e = errno;
		inside++;
		real_close(fd);
		inside--;
		errno = e;
		return -1;
	}
	WRAP("close", NULL, -1, real_close(fd));
}

REAL(fclose);
int fclose(FILE *f)
{
	RESOLVE(fclose);
	if (fault("fclose", NULL)) {
		int e = errno;
		inside++;
		real_fclose(f);
		inside--;
		errno = e;
		return EOF;
	}
	WRAP("fclose", NULL, EOF, real_fclose(f));
}

REAL(closedir);
int closedir(DIR *d)
{
	RESOLVE(closedir);
	if (fault("closedir", NULL)) {
		int e = errno;
		inside++;
		real_closedir(d);
		inside--;
		errno = e;
		return -1;
	}
	WRAP("closedir", NULL, -1, real_closedir(d));
}

REAL(syscall);
long syscall(long nr, ...)
{
	va_list ap;
	long a[6];

	va_start(ap, nr);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	RESOLVE(syscall);
	if (nr == SYS_execveat && (a[4] & 0x10000) && old_kernel) {
		errno = EINVAL;   /* AT_EXECVE_CHECK unknown, as before Linux 6.14 */
		return -1;
	}
	char detail[24];
	snprintf(detail, sizeof detail, "%ld", nr);
	/* ppy starts the interpreter with execveat(fd, "", ..., AT_EMPTY_PATH): the exec. */
	if (nr == SYS_execveat && !(a[4] & 0x10000 /* AT_EXECVE_CHECK */)) {
		snprintf(detail, sizeof detail, "fd %ld", a[0]);
		if (fault("execve", detail))
			return -1;
		logf_("E fd %ld\n", a[0]);
		return real_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	}
	WRAP(syscall_name(nr), detail, -1L, real_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]));
}

REAL(capget);
int capget(cap_user_header_t h, cap_user_data_t d)
{
	RESOLVE(capget);
	WRAP("capget", NULL, -1, real_capget(h, d));
}

REAL(capset);
int capset(cap_user_header_t h, const cap_user_data_t d)
{
	RESOLVE(capset);
	WRAP("capset", NULL, -1, real_capset(h, d));
}

REAL(prctl);
int prctl(int op, ...)
{
	va_list ap;
	unsigned long a[4];
	char detail[32];

	va_start(ap, op);
	for (int i = 0; i < 4; i++)
		a[i] = va_arg(ap, unsigned long);
	va_end(ap);
	snprintf(detail, sizeof detail, "%lu,%lu", a[0], a[1]);
	RESOLVE(prctl);
	WRAP(prctl_name(op), detail, -1, real_prctl(op, a[0], a[1], a[2], a[3]));
}

REAL(setresgid);
int setresgid(gid_t r, gid_t e, gid_t s)
{
	RESOLVE(setresgid);
	WRAP("setresgid", NULL, -1, real_setresgid(r, e, s));
}

REAL(setresuid);
int setresuid(uid_t r, uid_t e, uid_t s)
{
	RESOLVE(setresuid);
	WRAP("setresuid", NULL, -1, real_setresuid(r, e, s));
}

REAL(setgroups);
int setgroups(size_t n, const gid_t *g)
{
	RESOLVE(setgroups);
	WRAP("setgroups", NULL, -1, real_setgroups(n, g));
}

REAL(getresuid);
int getresuid(uid_t *r, uid_t *e, uid_t *s)
{
	RESOLVE(getresuid);
	WRAP("getresuid", NULL, -1, real_getresuid(r, e, s));
}

REAL(getresgid);
int getresgid(gid_t *r, gid_t *e, gid_t *s)
{
	RESOLVE(getresgid);
	WRAP("getresgid", NULL, -1, real_getresgid(r, e, s));
}

REAL(getgroups);
int getgroups(int n, gid_t *g)
{
	RESOLVE(getgroups);
	WRAP("getgroups", NULL, -1, real_getgroups(n, g));
}

REAL(sigaction);
int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	RESOLVE(sigaction);
	WRAP("sigaction", NULL, -1, real_sigaction(sig, act, old));
}

REAL(sigprocmask);
int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
	RESOLVE(sigprocmask);
	WRAP("sigprocmask", NULL, -1, real_sigprocmask(how, set, old));
}

REAL(setitimer);
int setitimer(__itimer_which_t which, const struct itimerval *v, struct itimerval *old)
{
	RESOLVE(setitimer);
	WRAP("setitimer", NULL, -1, real_setitimer(which, v, old));
}

REAL(setrlimit);
int setrlimit(__rlimit_resource_t res, const struct rlimit *rl)
{
	RESOLVE(setrlimit);
	WRAP("setrlimit", NULL, -1, real_setrlimit(res, rl));
}

REAL(getrlimit);
int getrlimit(__rlimit_resource_t res, struct rlimit *rl)
{
	RESOLVE(getrlimit);
	WRAP("getrlimit", NULL, -1, real_getrlimit(res, rl));
}

REAL(ioctl);
int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	RESOLVE(ioctl);
	WRAP("ioctl", NULL, -1, real_ioctl(fd, req, arg));
}

REAL(fopen);
FILE *fopen(const char *path, const char *mode)
{
	RESOLVE(fopen);
	WRAP("fopen", path, (FILE *)NULL, real_fopen(path, mode));
}

REAL(fdopendir);
DIR *fdopendir(int fd)
{
	RESOLVE(fdopendir);
	WRAP("fdopendir", NULL, (DIR *)NULL, real_fdopendir(fd));
}

REAL(readdir);
struct dirent *readdir(DIR *d)
{
	RESOLVE(readdir);
	WRAP("readdir", NULL, (struct dirent *)NULL, real_readdir(d));
}

REAL(realpath);
char *realpath(const char *path, char *out)
{
	RESOLVE(realpath);
	WRAP("realpath", path, (char *)NULL, real_realpath(path, out));
}

REAL(strdup);
char *strdup(const char *s)
{
	RESOLVE(strdup);
	WRAP("strdup", NULL, (char *)NULL, real_strdup(s));
}

REAL(calloc);
static char boot_arena[4096];
static size_t boot_used;
void *calloc(size_t n, size_t size)
{
	if (!real_calloc) {
		/* dlsym itself may allocate while calloc is being looked up. */
		static int resolving;
		if (resolving) {
			size_t want = (n * size + 15) & ~(size_t)15;
			if (boot_used + want > sizeof boot_arena)
				return NULL;
			boot_used += want;
			return boot_arena + boot_used - want;
		}
		resolving = 1;
		RESOLVE(calloc);
		resolving = 0;
	}
	WRAP("calloc", NULL, (void *)NULL, real_calloc(n, size));
}

REAL(vasprintf);
int __asprintf_chk(char **out, int flag, const char *fmt, ...)
{
	va_list ap;
	int r;

	(void)flag;
	RESOLVE(vasprintf);
	if (fault("asprintf", NULL))
		return -1;
	va_start(ap, fmt);
	inside++;
	r = real_vasprintf(out, fmt, ap);
	inside--;
	va_end(ap);
	return r;
}

int asprintf(char **out, const char *fmt, ...)
{
	va_list ap;
	int r;

	RESOLVE(vasprintf);
	if (fault("asprintf", NULL))
		return -1;
	va_start(ap, fmt);
	inside++;
	r = real_vasprintf(out, fmt, ap);
	inside--;
	va_end(ap);
	return r;
}

REAL(fgetpwent);
struct passwd *fgetpwent(FILE *f)
{
	RESOLVE(fgetpwent);
	WRAP("fgetpwent", NULL, (struct passwd *)NULL, real_fgetpwent(f));
}

REAL(clearenv);
int clearenv(void)
{
	RESOLVE(clearenv);
	WRAP("clearenv", NULL, -1, real_clearenv());
}

REAL(pipe2);
int pipe2(int fds[2], int flags)
{
	RESOLVE(pipe2);
	WRAP("pipe2", NULL, -1, real_pipe2(fds, flags));
}

/* Never "lies" (a fork that says 0 would make one process run both sides). */
REAL(fork);
pid_t fork(void)
{
	pid_t pid;

	RESOLVE(fork);
	if (fault("fork", NULL))
		return -1;
	inside++;
	pid = real_fork();
	inside--;
	if (pid > 0)
		side = "leader:";
	return pid;
}

REAL(execve);
int execve(const char *path, char *const argv[], char *const envp[])
{
	RESOLVE(execve);
	if (fault("execve", path))
		return -1;
	logf_("E %s\n", path);
	return real_execve(path, argv, envp);
}

/* libcap-ng, by name too (its own capset/prctl calls are counted above as well). */
extern int capng_apply(int set);
extern int capng_update(int action, int type, unsigned int capability);

REAL(capng_apply);
int capng_apply(int set)
{
	char detail[16];

	snprintf(detail, sizeof detail, "%d", set);
	RESOLVE(capng_apply);
	if (fault("capng_apply", detail))
		return -1;
	/* libcap-ng's own capset/prctl calls inside are counted and can fail too. */
	return real_capng_apply(set);
}

REAL(capng_update);
int capng_update(int action, int type, unsigned int capability)
{
	RESOLVE(capng_update);
	WRAP("capng_update", NULL, -1, real_capng_update(action, type, capability));
}
