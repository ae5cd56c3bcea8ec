/*
 * kernelsim: run a command as if on an older kernel, or under a container's seccomp profile.
 *
 * Test-only (tests/test_launcher_kernels.py). Started by root, it installs a seccomp filter
 * WITHOUT no_new_privs (root holds CAP_SYS_ADMIN, so the kernel allows that), then execs
 * COMMAND, typically `setpriv --reuid=CALLER ... ppy SCRIPT`. Without no_new_privs, file
 * capabilities still apply after the filter is in place: ppy gets its own, exactly as on a
 * real machine, and everything it and its Python boot call goes through the filter.
 *
 *   kernelsim [RULE...] [--kernel X.Y --errno E] [--notify-lease LOG --caller UID] -- COMMAND...
 *
 *   --deny NAME=E            the system call NAME fails with errno E (ENOSYS, EPERM, EINVAL;
 *                            0: it returns 0 without running, as a filter can make it)
 *   --deny NAME:FLAG=E       only when it is called with FLAG: execveat:AT_EXECVE_CHECK,
 *                            fcntl:F_SETLEASE, fcntl:F_ADD_SEALS, fcntl:F_GET_SEALS,
 *                            prctl:PR_CAP_AMBIENT, prctl:PR_SET_DUMPABLE,
 *                            memfd_create:MFD_ALLOW_SEALING
 *   --kernel X.Y --errno E   every system call newer than Linux X.Y fails with E (ENOSYS as
 *                            that kernel answers; EPERM as a container profile written for
 *                            it answers), and every flag newer than X.Y fails with EINVAL,
 *                            as that kernel answers an unknown flag
 *   --notify-lease LOG       every fcntl(F_SETLEASE) stops in the kernel until this program
 *                            has written a line to LOG about the caller at that moment: its
 *                            argument, its Uid line, its blocked signals, and whether the
 *                            process --caller UID may signal it (errno of kill(pid, 0))
 *
 * Only x86_64 and aarch64 are known; other architectures are refused.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__x86_64__)
#define ARCH AUDIT_ARCH_X86_64
#define NR_EXECVEAT 322
#define NR_FCNTL 72
#define NR_PRCTL 157
#define NR_MEMFD_CREATE 319
#define NR_RSEQ 334
#define NR_GETRANDOM 318
#define NR_STATX 332
#define NR_FACCESSAT 269
#elif defined(__aarch64__)
#define ARCH AUDIT_ARCH_AARCH64
#define NR_EXECVEAT 281
#define NR_FCNTL 25
#define NR_PRCTL 167
#define NR_MEMFD_CREATE 279
#define NR_RSEQ 293
#define NR_GETRANDOM 278
#define NR_STATX 291
#define NR_FACCESSAT 48
#else
#error "kernelsim knows the system call numbers of x86_64 and aarch64 only"
#endif

/* System calls by the kernel that added them (X*100+Y); from 424 on the numbers are the
   same on every architecture. Everything below 424 predates Linux 4.18, except these. */
static const struct { const char *name; int nr; int since; } calls[] = {
#ifdef __x86_64__
	{ "uretprobe", 335, 611 },
#endif
	{ "pidfd_send_signal", 424, 501 }, { "io_uring_setup", 425, 501 },
	{ "io_uring_enter", 426, 501 }, { "io_uring_register", 427, 501 },
	{ "open_tree", 428, 502 }, { "move_mount", 429, 502 }, { "fsopen", 430, 502 },
	{ "fsconfig", 431, 502 }, { "fsmount", 432, 502 }, { "fspick", 433, 502 },
	{ "pidfd_open", 434, 503 }, { "clone3", 435, 503 }, { "close_range", 436, 509 },
	{ "openat2", 437, 506 }, { "pidfd_getfd", 438, 506 }, { "faccessat2", 439, 508 },
	{ "process_madvise", 440, 510 }, { "epoll_pwait2", 441, 511 },
	{ "mount_setattr", 442, 512 }, { "quotactl_fd", 443, 514 },
	{ "landlock_create_ruleset", 444, 513 }, { "landlock_add_rule", 445, 513 },
	{ "landlock_restrict_self", 446, 513 }, { "memfd_secret", 447, 514 },
	{ "process_mrelease", 448, 515 }, { "futex_waitv", 449, 516 },
	{ "set_mempolicy_home_node", 450, 517 }, { "cachestat", 451, 605 },
	{ "fchmodat2", 452, 606 }, { "map_shadow_stack", 453, 606 }, { "futex_wake", 454, 607 },
	{ "futex_wait", 455, 607 }, { "futex_requeue", 456, 607 }, { "statmount", 457, 608 },
	{ "listmount", 458, 608 }, { "lsm_get_self_attr", 459, 608 },
	{ "lsm_set_self_attr", 460, 608 }, { "lsm_list_modules", 461, 608 },
	{ "mseal", 462, 610 }, { "setxattrat", 463, 613 }, { "getxattrat", 464, 613 },
	{ "listxattrat", 465, 613 }, { "removexattrat", 466, 613 },
	{ "open_tree_attr", 467, 615 }, { "file_getattr", 468, 617 }, { "file_setattr", 469, 617 },
	/* older ones, for rules naming them */
	{ "execveat", NR_EXECVEAT, 319 }, { "fcntl", NR_FCNTL, 0 }, { "prctl", NR_PRCTL, 0 },
	{ "memfd_create", NR_MEMFD_CREATE, 317 }, { "rseq", NR_RSEQ, 418 },
	{ "getrandom", NR_GETRANDOM, 317 }, { "statx", NR_STATX, 411 },
	{ "faccessat", NR_FACCESSAT, 0 },
};

/* Flags (argument conditions) by the kernel that added them. */
enum { ANY, BITS, EQUAL };
static const struct {
	const char *name; int nr; int arg; int how; unsigned val; int since;
} flags[] = {
	{ "execveat:AT_EXECVE_CHECK", NR_EXECVEAT, 4, BITS, 0x10000, 614 },
	{ "fcntl:F_SETLEASE", NR_FCNTL, 1, EQUAL, 1024, 0 },
	{ "fcntl:F_ADD_SEALS", NR_FCNTL, 1, EQUAL, 1033, 317 },
	{ "fcntl:F_GET_SEALS", NR_FCNTL, 1, EQUAL, 1034, 317 },
	{ "prctl:PR_CAP_AMBIENT", NR_PRCTL, 0, EQUAL, 47, 403 },
	{ "prctl:PR_SET_DUMPABLE", NR_PRCTL, 0, EQUAL, 4, 0 },
	{ "memfd_create:MFD_ALLOW_SEALING", NR_MEMFD_CREATE, 1, BITS, 2, 317 },
};

static struct sock_filter prog[1024];
static unsigned short len;

static void emit(struct sock_filter f)
{
	if (len >= sizeof prog / sizeof prog[0]) {
		fprintf(stderr, "kernelsim: too many rules\n");
		exit(125);
	}
	prog[len++] = f;
}

/* One rule: if nr == NR (and the condition holds) return ACTION, else go on. */
static void rule(int nr, int arg, int how, unsigned val, unsigned action)
{
	emit((struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)));
	emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nr, 0,
					  how == ANY ? 1 : 3));
	if (how != ANY) {
		/* the low 32 bits of the argument (both architectures are little-endian) */
		emit((struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
						  offsetof(struct seccomp_data, args) + 8 * arg));
		emit((struct sock_filter)BPF_JUMP(BPF_JMP | (how == BITS ? BPF_JSET : BPF_JEQ) | BPF_K,
						  val, 0, 1));
	}
	emit((struct sock_filter)BPF_STMT(BPF_RET | BPF_K, action));
}

static int errno_of(const char *s)
{
	if (strcmp(s, "ENOSYS") == 0)
		return ENOSYS;
	if (strcmp(s, "EPERM") == 0)
		return EPERM;
	if (strcmp(s, "EINVAL") == 0)
		return EINVAL;
	if (strcmp(s, "0") == 0)   /* "done", without doing it: a filter that lies */
		return 0;
	fprintf(stderr, "kernelsim: unknown errno %s\n", s);
	exit(125);
}

static int version_of(const char *s)
{
	int major, minor;

	if (sscanf(s, "%d.%d", &major, &minor) != 2) {
		fprintf(stderr, "kernelsim: bad kernel version %s\n", s);
		exit(125);
	}
	return major * 100 + minor;
}

static void deny(const char *spec)
{
	char name[64];
	const char *eq = strchr(spec, '=');

	if (!eq || (size_t)(eq - spec) >= sizeof name) {
		fprintf(stderr, "kernelsim: expected NAME=ERRNO, got %s\n", spec);
		exit(125);
	}
	memcpy(name, spec, (size_t)(eq - spec));
	name[eq - spec] = '\0';
	for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
		if (strcmp(flags[i].name, name) == 0) {
			rule(flags[i].nr, flags[i].arg, flags[i].how, flags[i].val,
			     SECCOMP_RET_ERRNO | (unsigned)errno_of(eq + 1));
			return;
		}
	for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++)
		if (strcmp(calls[i].name, name) == 0) {
			rule(calls[i].nr, 0, ANY, 0, SECCOMP_RET_ERRNO | (unsigned)errno_of(eq + 1));
			return;
		}
	fprintf(stderr, "kernelsim: unknown system call or flag %s\n", name);
	exit(125);
}

static void kernel(int version, int err)
{
	for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
		if (flags[i].since > version)
			rule(flags[i].nr, flags[i].arg, flags[i].how, flags[i].val,
			     SECCOMP_RET_ERRNO | EINVAL);
	for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++)
		if (calls[i].since > version)
			rule(calls[i].nr, 0, ANY, 0, SECCOMP_RET_ERRNO | (unsigned)err);
}

/* ------------------------------------------------------------ --notify-lease */

static void field(const char *status, const char *name, char *out, size_t size)
{
	const char *p = strstr(status, name);
	size_t n;

	snprintf(out, size, "?");
	if (!p)
		return;
	p += strlen(name);
	p += strspn(p, " \t");
	n = strcspn(p, "\n");
	snprintf(out, size, "%.*s", (int)n, p);
	for (char *c = out; *c; c++)
		if (*c == '\t')
			*c = ' ';
}

/* errno of kill(PID, 0) from a process with CALLER's uid and gid (0: allowed). */
static int caller_may_signal(pid_t pid, uid_t caller)
{
	int st;
	pid_t child = fork();

	if (child == 0) {
		if (setgroups(0, NULL) || setresgid(caller, caller, caller) ||
		    setresuid(caller, caller, caller))
			_exit(255);
		_exit(kill(pid, 0) == 0 ? 0 : errno);
	}
	if (child < 0 || waitpid(child, &st, 0) != child || !WIFEXITED(st))
		return 255;
	return WEXITSTATUS(st);
}

static void supervise(int listener, pid_t child, const char *log, uid_t caller)
{
	struct seccomp_notif_sizes sizes;
	FILE *out = fopen(log, "a");

	if (!out || syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) != 0) {
		perror("kernelsim: notify");
		exit(125);
	}
	for (;;) {
		struct pollfd p = { listener, POLLIN, 0 };
		char buf[4096], path[64], uid[128], blk[64];
		struct seccomp_notif *req = calloc(1, sizes.seccomp_notif > sizeof *req ?
						   sizes.seccomp_notif : sizeof *req);
		struct seccomp_notif_resp *resp = calloc(1, sizes.seccomp_notif_resp > sizeof *resp ?
							 sizes.seccomp_notif_resp : sizeof *resp);
		ssize_t n;
		int fd;

		if (!req || !resp)
			exit(125);
		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			break;
		if (p.revents & (POLLHUP | POLLERR | POLLNVAL))
			break;
		if (!(p.revents & POLLIN))
			continue;
		if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, req) != 0) {
			if (errno == EINTR || errno == ENOENT)
				continue;
			break;
		}
		snprintf(path, sizeof path, "/proc/%d/status", req->pid);
		buf[0] = '\0';
		if ((fd = open(path, O_RDONLY)) >= 0) {
			n = read(fd, buf, sizeof buf - 1);
			buf[n > 0 ? n : 0] = '\0';
			close(fd);
		}
		field(buf, "\nUid:", uid, sizeof uid);
		field(buf, "\nSigBlk:", blk, sizeof blk);
		/* the notification is still this process's (it did not die meanwhile) */
		if (ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &req->id) == 0) {
			fprintf(out, "SETLEASE arg=%llu uid=%s sigblk=%s caller_kill=%d\n",
				(unsigned long long)req->data.args[2], uid, blk,
				caller_may_signal((pid_t)req->pid, caller));
			fflush(out);
		}
		resp->id = req->id;
		resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		(void)ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, resp);
		free(req);
		free(resp);
	}
	fclose(out);
	(void)child;
}

static int send_fd(int sock, int fd)
{
	char data = 'x', ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &data, 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			      .msg_controllen = sizeof ctl };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof fd);
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	char data, ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &data, 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			      .msg_controllen = sizeof ctl };
	struct cmsghdr *c;
	int fd;

	if (recvmsg(sock, &msg, 0) != 1 || !(c = CMSG_FIRSTHDR(&msg)) ||
	    c->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(c), sizeof fd);
	return fd;
}

int main(int argc, char **argv)
{
	const char *notify = NULL;
	uid_t caller = 65534;
	int version = 0, err = ENOSYS, i, sv[2];
	struct sock_fprog fprog;
	pid_t child;

	/* Other architectures and the x32 ABI on x86_64 pass through untouched (the tests run
	   x86_64 binaries), so the rules below see only the numbers above. */
	emit((struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)));
	emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH, 1, 0));
	emit((struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--deny") == 0 && i + 1 < argc)
			deny(argv[++i]);
		else if (strcmp(argv[i], "--kernel") == 0 && i + 1 < argc)
			version = version_of(argv[++i]);
		else if (strcmp(argv[i], "--errno") == 0 && i + 1 < argc)
			err = errno_of(argv[++i]);
		else if (strcmp(argv[i], "--notify-lease") == 0 && i + 1 < argc)
			notify = argv[++i];
		else if (strcmp(argv[i], "--caller") == 0 && i + 1 < argc)
			caller = (uid_t)strtoul(argv[++i], NULL, 10);
		else {
			fprintf(stderr, "kernelsim: unknown option %s\n", argv[i]);
			return 125;
		}
	}
	if (i + 1 >= argc) {
		fprintf(stderr, "usage: kernelsim [RULE...] -- COMMAND...\n");
		return 125;
	}
	if (version)
		kernel(version, err);
	if (notify)
		rule(NR_FCNTL, 1, EQUAL, 1024, SECCOMP_RET_USER_NOTIF);
	emit((struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
	fprog.len = len;
	fprog.filter = prog;

	if (!notify) {
		if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) != 0) {
			perror("kernelsim: seccomp");
			return 125;
		}
		execvp(argv[i + 1], argv + i + 1);
		perror("kernelsim: exec");
		return 127;
	}
	/* The child installs the filter and hands its listener to this process, which then
	   answers each stopped fcntl(F_SETLEASE) after looking at the caller. */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		perror("kernelsim: socketpair");
		return 125;
	}
	child = fork();
	if (child == 0) {
		int listener = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
					    SECCOMP_FILTER_FLAG_NEW_LISTENER, &fprog);
		if (listener < 0 || send_fd(sv[1], listener) != 0) {
			perror("kernelsim: seccomp listener");
			_exit(125);
		}
		close(listener);
		close(sv[0]);
		close(sv[1]);
		execvp(argv[i + 1], argv + i + 1);
		perror("kernelsim: exec");
		_exit(127);
	}
	close(sv[1]);
	{
		int listener = recv_fd(sv[0]), st;
		if (listener < 0) {
			fprintf(stderr, "kernelsim: no listener from the child\n");
			return 125;
		}
		supervise(listener, child, notify, caller);
		if (waitpid(child, &st, 0) != child)
			return 125;
		return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	}
}
