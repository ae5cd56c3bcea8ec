/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * parse_xattr(): the security.capability bytes of the script (any bytes root, the owner
 * through a user namespace, or a filesystem image can put there). Checked against an
 * independent reading of the format: only a 20-byte revision-2 host xattr with known
 * flags, non-empty, naming only capabilities the kernel has, is accepted, with
 * caps = permitted | inheritable.
 * Input: byte 0 picks the kernel's last capability (CAP_SETFCAP..63), the rest (at most
 * 64 bytes, as read_xattr reads) is the xattr.
 */
#include "harness.h"

static uint32_t le(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct script s;
	int status, ok;
	uint64_t caps = 0;
	uint32_t magic = 0;

	if (size < 1)
		return 0;
	last_cap = CAP_SETFCAP + data[0] % (64 - CAP_SETFCAP);
	data++, size--;
	if (size > sizeof s.xattr)
		size = sizeof s.xattr;
	memset(&s, 0, sizeof s);
	memcpy(s.xattr, data, size);
	s.xattr_len = (ssize_t)size;
	snprintf(script_shown, sizeof script_shown, "fuzz.py");

	GUARD(status, parse_xattr(&s));

	if (size >= 4)
		magic = le(data);
	if (size == 20)
		caps = (uint64_t)(le(data + 4) | le(data + 8)) |
		       (uint64_t)(le(data + 12) | le(data + 16)) << 32;
	ok = size == 20 && (magic >> 24) == 2 && (magic & 0x00fffffe) == 0 && caps != 0 &&
	     (last_cap == 63 || (caps >> (last_cap + 1)) == 0);
	if (ok) {
		CHECK(status == -1);
		CHECK(s.caps == caps);
		CHECK(s.effective == (int)(magic & 1));
	} else {
		CHECK(status == PPY_EX_CAPS);
	}
	return 0;
}
