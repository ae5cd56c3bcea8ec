/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * keep_caller_env(): which of the caller's environment variables reach the script.
 * Input: NUL-separated "NAME=value" strings (any bytes). Checked against an independent
 * statement of the README's rule: TERM, LANG, LANGUAGE, TZ and LC_[A-Z_]* only, with a
 * value of 1-128 printable ASCII characters containing no '/', '%' or "..", the first 40
 * such entries, in order, copied exactly.
 */
#include "harness.h"

#define MAXENV 512

static int allowed(const char *e)
{
	const char *eq = strchr(e, '='), *v;
	size_t name, n;

	if (!eq)
		return 0;
	name = (size_t)(eq - e);
	if (!((name == 4 && !memcmp(e, "TERM", 4)) || (name == 4 && !memcmp(e, "LANG", 4)) ||
	      (name == 8 && !memcmp(e, "LANGUAGE", 8)) || (name == 2 && !memcmp(e, "TZ", 2)) ||
	      (name >= 3 && !memcmp(e, "LC_", 3))))
		return 0;
	for (size_t i = 0; i < name; i++)
		if (!((e[i] >= 'A' && e[i] <= 'Z') || e[i] == '_'))
			return 0;
	v = eq + 1;
	n = strlen(v);
	if (n < 1 || n > 128)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < 0x20 || v[i] > 0x7e || v[i] == '/' || v[i] == '%')
			return 0;
		if (v[i] == '.' && v[i + 1] == '.')
			return 0;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *envp[MAXENV + 1], *keep[64];
	size_t n = 0, kept = 0, want = 0;
	int status;

	CHECK(buf);
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (char *p = buf; p < buf + size && n < MAXENV; p += strlen(p) + 1)
		envp[n++] = p;
	envp[n] = NULL;

	GUARD(status, kept = keep_caller_env(envp, keep, 40));
	CHECK(status == -1);
	CHECK(kept <= 40);
	for (size_t i = 0; i < n && want < 40; i++) {
		if (!allowed(envp[i]))
			continue;
		CHECK(want < kept && strcmp(keep[want], envp[i]) == 0);
		want++;
	}
	CHECK(want == kept);
	for (size_t i = 0; i < kept; i++)
		free(keep[i]);
	free(buf);
	return 0;
}
