/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * escape(): how ppy shows the caller's script argument, real paths and every message in
 * stderr and syslog. Any bytes in; out must stay inside its buffer, be NUL-terminated
 * printable ASCII, and be the input (all of it when the buffer has 4 bytes a character
 * plus 5; when the buffer is short, a prefix of it ending in "...", so that a shortened
 * name never passes for the whole one) with each byte outside 0x20-0x7e as \xNN. (A backslash is currently shown as is, so "\x0a" typed in a name reads like an
 * escaped newline; both ways are accepted here, each applied to the whole string.)
 * Input: byte 0 picks a buffer size (1..256, or exactly 4*len+5), the rest is the string.
 */
#include "harness.h"

/* The rule, restated: bytes outside 0x20-0x7e (and a backslash if ESC_BS) as \xNN, while
   4 more bytes and the NUL fit; cut short, the last 3 bytes that fit are "...". */
static void reference(const char *in, char *out, size_t size, int esc_bs)
{
	size_t n = 0;

	for (; *in && n + 5 < size; in++) {
		unsigned char c = (unsigned char)*in;
		if (c >= 0x20 && c < 0x7f && !(esc_bs && c == '\\')) {
			out[n++] = (char)c;
		} else {
			static const char hex[] = "0123456789abcdef";
			out[n++] = '\\', out[n++] = 'x', out[n++] = hex[c >> 4], out[n++] = hex[c & 15];
		}
	}
	if (*in && size >= 4) {
		if (n + 4 > size)
			n = size - 4;
		out[n++] = '.', out[n++] = '.', out[n++] = '.';
	}
	out[n] = '\0';
}

static void check(const char *in, size_t size)
{
	char *out = malloc(size), *a = malloc(size), *b = malloc(size);

	CHECK(out && a && b);
	escape(in, out, size);
	CHECK(strlen(out) < size);
	for (const char *p = out; *p; p++)
		CHECK((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f);
	reference(in, a, size, 0);
	reference(in, b, size, 1);
	CHECK(strcmp(out, a) == 0 || strcmp(out, b) == 0);
	if (size >= 4 * strlen(in) + 5) {        /* room for everything: nothing dropped */
		size_t lo = strlen(out), li = strlen(in);
		CHECK(lo >= li);
		if (lo >= 3 && strcmp(out + lo - 3, "...") == 0)   /* no "..." of its own */
			CHECK(li >= 3 && strcmp(in + li - 3, "...") == 0);
	}
	free(out), free(a), free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in;

	if (size < 1)
		return 0;
	in = malloc(size);
	CHECK(in);
	memcpy(in, data + 1, size - 1);
	in[size - 1] = '\0';
	check(in, 1 + data[0] % 256);
	check(in, 4 * strlen(in) + 5);
	free(in);
	return 0;
}
