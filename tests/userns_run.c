/*
 * userns_run: run a command as root of a user namespace, in a container-like root.
 *
 * Test-only (tests/test_launcher_userns.py). Started by root, it sets up what a root-created
 * container runtime (LXD/Incus, Docker with userns-remap, Kubernetes hostUsers: false, or
 * rootless Podman through newuidmap) sets up, then runs COMMAND as the namespace's root:
 *
 *   - a user namespace whose uid and gid maps are "0 BASE COUNT", written by root from
 *     outside (so setgroups stays allowed, as newuidmap/newgidmap leave it);
 *   - a mount namespace whose root (pivot_root) is ROOT: the host's root filesystem seen through an
 *     idmapped mount (Linux 5.12; how Incus shifts an image), so the system's files appear
 *     root's inside, with /proc and /dev bound in, and SRV bound, plain, on ROOT/srv: a
 *     directory that belongs to the namespace's root on disk (host uid BASE), where it
 *     installs ppy and keeps its scripts, as in an unshifted container image;
 *   - a network namespace of the user namespace's own, loopback up.
 *
 *   userns_run [--deny-setgroups] BASE COUNT ROOT SRV -- COMMAND...
 *
 * --deny-setgroups writes "deny" to the namespace's setgroups file first, as an unprivileged
 * creator must (then nobody in it can change supplementary groups).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/mount.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif

static void fail(const char *what)
{
	fprintf(stderr, "userns_run: %s: %s\n", what, strerror(errno));
	exit(125);
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) || close(fd) != 0)
		fail(path);
}

static void bind_into(const char *from, const char *root, const char *to, unsigned long flags)
{
	char path[4096];

	snprintf(path, sizeof path, "%s%s", root, to);
	if (mount(from, path, NULL, MS_BIND | flags, NULL) != 0)
		fail(path);
}

int main(int argc, char **argv)
{
	char map[128], path[64];
	int sync[2], nsfd, tree, i;
	struct mount_attr attr = { 0 };
	struct ifreq ifr = { 0 };
	pid_t holder;

	int deny = argc > 1 && strcmp(argv[1], "--deny-setgroups") == 0;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		;
	if (i != 5 + deny || i + 1 >= argc) {
		fprintf(stderr, "usage: userns_run [--deny-setgroups] BASE COUNT ROOT SRV -- COMMAND...\n");
		return 125;
	}
	const char *base = argv[1 + deny], *count = argv[2 + deny], *root = argv[3 + deny],
		   *srv = argv[4 + deny];

	/* A child creates the user namespace; root writes its maps from outside. */
	if (pipe(sync) != 0)
		fail("pipe");
	holder = fork();
	if (holder == 0) {
		char c;
		if (unshare(CLONE_NEWUSER) != 0)
			_exit(1);
		close(sync[1]);
		(void)read(sync[0], &c, 1);   /* wait until the parent is done with us */
		_exit(0);
	}
	for (int tries = 0;; tries++) {   /* wait until the child is in its namespace */
		char mine[64], its[64];
		ssize_t a = readlink("/proc/self/ns/user", mine, sizeof mine - 1);
		snprintf(path, sizeof path, "/proc/%d/ns/user", holder);
		ssize_t b = readlink(path, its, sizeof its - 1);
		if (a > 0 && b > 0 && (a != b || memcmp(mine, its, (size_t)a) != 0))
			break;
		if (tries > 10000)
			fail("the child did not enter a user namespace");
		usleep(100);
	}
	snprintf(map, sizeof map, "0 %s %s\n", base, count);
	snprintf(path, sizeof path, "/proc/%d/uid_map", holder);
	write_file(path, map);
	if (deny) {
		snprintf(path, sizeof path, "/proc/%d/setgroups", holder);
		write_file(path, "deny");
	}
	snprintf(path, sizeof path, "/proc/%d/gid_map", holder);
	write_file(path, map);
	snprintf(path, sizeof path, "/proc/%d/ns/user", holder);
	if ((nsfd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		fail(path);
	close(sync[1]);
	waitpid(holder, NULL, 0);

	/* The container's root: the host's / idmapped to the namespace, SRV bound plain. */
	if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		fail("mount namespace");
	tree = (int)syscall(SYS_open_tree, AT_FDCWD, "/", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (tree < 0)
		fail("open_tree /");
	attr.attr_set = MOUNT_ATTR_IDMAP;
	attr.userns_fd = (unsigned)nsfd;
	if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof attr) != 0)
		fail("mount_setattr (idmapped mount)");
	if (syscall(SYS_move_mount, tree, "", AT_FDCWD, root, MOVE_MOUNT_F_EMPTY_PATH) != 0)
		fail("move_mount");
	bind_into("/proc", root, "/proc", MS_REC);
	bind_into("/dev", root, "/dev", MS_REC);
	bind_into(srv, root, "/srv", 0);
	/* pivot_root, not chroot: a chrooted process may not create user namespaces, and a
	   container's processes may (the nested-namespace test needs it). */
	if (chdir(root) != 0 || syscall(SYS_pivot_root, ".", ".") != 0 ||
	    umount2(".", MNT_DETACH) != 0 || chdir("/") != 0)
		fail("pivot_root");

	/* Become the namespace's root, with a network namespace of its own. */
	if (setns(nsfd, CLONE_NEWUSER) != 0)
		fail("setns");
	if ((!deny && setgroups(0, NULL) != 0) || setresgid(0, 0, 0) != 0 || setresuid(0, 0, 0) != 0)
		fail("becoming the namespace's root");
	if (unshare(CLONE_NEWNET) != 0)
		fail("network namespace");
	{
		int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
		if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) != 0)
			fail("lo");
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0)
			fail("lo up");
		close(s);
	}
	execvp(argv[i + 1], argv + i + 1);
	fail(argv[i + 1]);
}
