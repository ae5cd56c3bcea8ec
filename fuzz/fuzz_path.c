/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * open_parent(): the walk from "/" down a path (the script's real path as the kernel
 * names it; the caller chooses every component) without following symlinks, checking
 * each directory's owner and mode. On the real file system, read-only (O_PATH opens).
 * Checked: it refuses (81) or returns an O_PATH descriptor on a directory and a last
 * name inside its own copy of the path, non-empty and without '/'; nothing overflows.
 * Input: byte 0 picks the owner allowed besides root (0, 4242 or the byte), the rest is
 * the path.
 */
#define _GNU_SOURCE
#include "harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int base = -1;
	char *path, copy[PATH_MAX];
	const char *volatile last = NULL;
	volatile int dir = -1;
	struct stat st;
	uid_t owner;
	int status;

	if (size < 1)
		return 0;
	if (base < 0) {          /* descriptors above this one are the harness's to close */
		base = open("/", O_PATH | O_CLOEXEC);
		CHECK(base >= 0);
	}
	owner = data[0] % 3 == 0 ? 0 : data[0] % 3 == 1 ? 4242 : data[0];
	path = malloc(size);
	CHECK(path);
	memcpy(path, data + 1, size - 1);
	path[size - 1] = '\0';

	script_shown[0] = '\0';
	GUARD(status, dir = open_parent(path, owner, PPY_EX_DIR, "fuzz", copy, sizeof copy,
					(const char **)&last));
	CHECK(status == -1 || status == PPY_EX_DIR);
	if (status == -1) {
		CHECK(path[0] == '/' && strlen(path) < sizeof copy);
		CHECK(last > copy && last < copy + sizeof copy && *last && !strchr(last, '/'));
		CHECK(fstat(dir, &st) == 0 && S_ISDIR(st.st_mode));
		CHECK(st.st_uid == 0 || st.st_uid == owner);
	}
	syscall(SYS_close_range, (unsigned)base + 1, ~0U, 0);
	free(path);
	return 0;
}
