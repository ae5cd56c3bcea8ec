/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ppy's command line: main() from its first line up to the point where it empties the
 * environment (keep_caller_env's clearenv), which comes before anything touches the
 * process or the file system. Covers argc == 0, NULL argv[0], --help, --version,
 * --check, "--", the usage errors, escaping the script argument, and the environment
 * allowlist applied to a fuzzed envp. (What follows in main, the #! interpreter hint and
 * the empty-name and option checks, needs ppy.conf and is covered by fuzz_shebang and
 * fuzz_conf and by the launcher tests.)
 * Input: NUL-separated strings; the first byte says how many are argv, the rest envp.
 * ppy logs its refusals; here syslog() goes nowhere (not millions of lines to the
 * machine's log).
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
int fuzz_clearenv(void);
char *fuzz_strdup(const char *s);
void fuzz_syslog(int priority, const char *fmt, ...);
#define clearenv fuzz_clearenv
#define strdup fuzz_strdup
#define syslog fuzz_syslog
#include "harness.h"
#undef syslog
#undef strdup
#undef clearenv

void fuzz_syslog(int priority, const char *fmt, ...)
{
	(void)priority, (void)fmt;
}

#define PARSED 1000
#define MAXARG 256

static char *owned[64];
static size_t nowned;

char *fuzz_strdup(const char *s)
{
	char *d = strdup(s);
	if (d && nowned < sizeof owned / sizeof owned[0])
		owned[nowned++] = d;
	return d;
}

int fuzz_clearenv(void)
{
	fuzz_exit(PARSED);     /* the parse is over: main would now reset the process */
}

static int escape_same(const char *arg)
{
	static char want[sizeof script_shown];
	escape(arg, want, sizeof want);
	return strcmp(want, script_shown) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *argv[MAXARG + 2], *envp[MAXARG + 1];
	size_t n = 0, nargs;
	int argc, status, first = 1, check = 0, want;

	if (size < 1)
		return 0;
	nargs = data[0] % 8;
	buf = malloc(size);
	CHECK(buf);
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	char *strs[2 * MAXARG];
	for (char *p = buf; p < buf + size - 1 && n < 2 * MAXARG; p += strlen(p) + 1)
		strs[n++] = p;
	argc = (int)(nargs < n ? nargs : n);
	for (int i = 0; i < argc; i++)
		argv[i] = strs[i];
	argv[argc] = NULL;
	size_t ne = 0;
	for (size_t i = (size_t)argc; i < n && ne < MAXARG; i++)
		envp[ne++] = strs[i];
	envp[ne] = NULL;

	script_shown[0] = '\0';
	nowned = 0;
	GUARD(status, status = ppy_main(argc, argv, envp));
	if (status == -1)
		status = 0;        /* ppy_main returned (help, version) */
	for (size_t i = 0; i < nowned; i++)
		free(owned[i]);

	/* The rule, restated. */
	if (argc < 1)
		want = PPY_EX_USAGE;
	else if (argc >= 2 && strcmp(argv[1], "--help") == 0)
		want = 0;
	else if (argc >= 2 && strcmp(argv[1], "--version") == 0)
		want = 0;
	else {
		if (argc >= 2 && strcmp(argv[1], "--check") == 0)
			check = 1, first = 2;
		else if (argc >= 2 && strcmp(argv[1], "--") == 0)
			first = 2;
		want = (first >= argc || (check && first + 1 != argc)) ? PPY_EX_USAGE : PARSED;
	}
	CHECK(status == want);
	if (want == PARSED)
		CHECK(escape_same(argv[first]));
	free(buf);
	return 0;
}
