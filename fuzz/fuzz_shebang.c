/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * select_interpreter(): the script's own first line ("#!/usr/local/bin/ppy INTERPRETER")
 * read from the sealed copy, and the word the kernel passed from it (the hint). Checked
 * against a restatement of the rule: the line must end within 256 bytes (a newline, or
 * the end of a file shorter than that, as the kernel reads it); the word after a
 * launcher named ppy (or .../ppy), trimmed, selects an interpreter only if ppy.conf lists
 * it; a hint must equal that word; anything else runs the built-in interpreter.
 * Input: byte 0 bit 0: a hint follows, up to a NUL; then the script's content.
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include "harness.h"

static char *allowed[] = { "/usr/bin/python3", "/srv/venvs/web/bin/python", "/opt/py/bin/py" };

/* The rule, restated: returns the status (or -1), and the selected word in WANT. */
static int reference(const uint8_t *c, size_t clen, const char *hint, const char **want)
{
	static char line[300];
	size_t len = clen < 256 ? clen : 256, nl, i, j, k, e;
	const char *word = NULL;

	if (len >= 2 && c[0] == '#' && c[1] == '!') {
		for (nl = 0; nl < len && c[nl] != '\n'; nl++)
			;
		if (nl == len && len == 256)
			return PPY_EX_FILE;
		for (i = 2, j = 0; i < nl && c[i]; i++)
			line[j++] = (char)c[i];
		line[j] = '\0';
		for (i = 0; line[i] == ' ' || line[i] == '\t'; i++)
			;
		for (k = i; line[k] && line[k] != ' ' && line[k] != '\t'; k++)
			;
		if (k - i >= 3 && !memcmp(line + k - 3, "ppy", 3) && (k - i == 3 || line[k - 4] == '/')) {
			for (; line[k] == ' ' || line[k] == '\t'; k++)
				;
			for (e = strlen(line); e > k && (line[e - 1] == ' ' || line[e - 1] == '\t' ||
							 line[e - 1] == '\r'); e--)
				;
			line[e] = '\0';
			word = line + k;
		}
	}
	if (hint && (!word || strcmp(word, hint) != 0))
		return PPY_EX_FILE;
	if (!word || !*word) {
		*want = NULL;          /* the built-in interpreter */
		return -1;
	}
	for (i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
		if (!strcmp(allowed[i], word)) {
			*want = word;
			return -1;
		}
	return PPY_EX_FILE;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int mfd = -1;
	char hintbuf[512];
	const char *hint = NULL, *want = NULL;
	const char *volatile got = NULL;
	int status, ref;

	if (size < 1)
		return 0;
	if (data[0] & 1) {
		size_t h = 0;
		for (data++, size--; h < size && data[h] && h < sizeof hintbuf - 1; h++)
			hintbuf[h] = (char)data[h];
		hintbuf[h] = '\0';
		hint = hintbuf;
		data += h < size ? h + 1 : h;
		size -= h < size ? h + 1 : h;
	} else {
		data++, size--;
	}
	if (mfd < 0)
		CHECK((mfd = memfd_create("fuzz-script", MFD_CLOEXEC)) >= 0);
	CHECK(ftruncate(mfd, 0) == 0);
	CHECK(pwrite(mfd, data, size, 0) == (ssize_t)size);

	static struct conf conf;
	if (!conf.ninterp) {
		for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
			conf.interp[conf.ninterp++] = allowed[i];
	}
	script_shown[0] = '\0';
	GUARD(status, got = select_interpreter(mfd, &conf, hint));
	ref = reference(data, size, hint, &want);
	CHECK(status == ref);
	if (status == -1) {
		if (!want) {
			CHECK(strcmp(got, PPY_PYTHON) == 0);
		} else {
			CHECK(strcmp(got, want) == 0);
			free((void *)got);       /* a listed interpreter is a strdup'ed copy */
		}
	}
	return 0;
}
