/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The floor of any launcher that is a program of its own: one more exec, of a binary with
 * a file capability (so the kernel and glibc treat it as secure-exec, as they do ppy), that
 * does nothing but exec its arguments. bench.py times `execfloor python3 -I hello.py`
 * against `python3 -I hello.py`: no check, no identity switch, no capability handed on.
 */
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2)
		return 64;
	execv(argv[1], argv + 1);
	perror("execfloor");
	return 127;
}
