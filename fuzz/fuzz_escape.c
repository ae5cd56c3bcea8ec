/*
 * escape(): how ppy shows the caller's script argument, real paths and every message in
 * stderr and syslog. Any bytes in; out must stay inside its buffer, be NUL-terminated
 * printable ASCII, and be the input (a prefix of it when the buffer is short; all of it
 * when the buffer has 4 bytes a character plus 5) with each byte outside 0x20-0x7e as
 * \xNN. (A backslash is currently shown as is, so "\x0a" typed in a name reads like an
 * escaped newline; accepted here either way.)
 * Input: byte 0 picks a buffer size (1..256, or exactly 4*len+5), the rest is the string.
 */
#include "harness.h"

static void check(const char *in, size_t size)
{
	char *out = malloc(size);
	size_t len = strlen(in), i = 0, o = 0;

	CHECK(out);
	escape(in, out, size);
	CHECK(strlen(out) < size);
	for (; out[o]; i++) {
		unsigned char c = (unsigned char)in[i], v = 0;
		CHECK(i < len);
		CHECK((unsigned char)out[o] >= 0x20 && (unsigned char)out[o] < 0x7f);
		if (c >= 0x20 && c < 0x7f && out[o] == (char)c && !(c == '\\' && out[o + 1] == 'x' &&
		    strncmp(out + o, "\\x5c", 4) == 0 && in[i + 1] != 'x')) {
			o++;        /* printable: as is (a backslash may also be shown as \x5c) */
			continue;
		}
		CHECK(c < 0x20 || c >= 0x7f || c == '\\');
		CHECK(out[o] == '\\' && out[o + 1] == 'x' && isxdigit((unsigned char)out[o + 2]) &&
		      isxdigit((unsigned char)out[o + 3]));
		CHECK(sscanf(out + o + 2, "%2hhx", &v) == 1 && v == c);
		o += 4;
	}
	if (size >= 4 * len + 5)
		CHECK(i == len);
	free(out);
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
